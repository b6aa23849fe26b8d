/*
 * selftest.c: built-in known-answer tests, one per primitive, run by
 * `echover selftest` in the shipped binary. Vectors are compiled in; their
 * sources are named beside each one.
 */
#include "selftest.h"

#include <string.h>

#include "hash.h"
#include "rng.h"

typedef struct kat {
	const char *name;
	cr_err (*run)(void);
} kat;

/* FIPS 180-2, appendix B.1: SHA-256("abc"). */
static cr_err kat_sha256(void)
{
	static const uint8_t want[32] = {
		0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
		0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
	};
	uint8_t got[32];
	cr_sha256(got, (const uint8_t *)"abc", 3);
	return memcmp(got, want, 32) == 0 ? CR_OK : CR_ERR_AUTH;
}

static const kat kats[] = {
	{ "SHA-256 (FIPS 180-2 B.1)", kat_sha256 },
};

cr_err cr_selftest(FILE *out)
{
	cr_err worst = cr_init();
	if (worst) {
		fprintf(out, "FAIL libsodium initialisation\n");
		return worst;
	}
	for (size_t i = 0; i < sizeof kats / sizeof kats[0]; i++) {
		cr_err e = kats[i].run();
		fprintf(out, "%s %s%s%s\n", e ? "FAIL" : "ok  ", kats[i].name, e ? ": " : "", e ? cr_err_str(e) : "");
		if (e)
			worst = e;
	}
	return worst;
}
