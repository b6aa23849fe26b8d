#include "safety.h"

#include <string.h>

#include "codec.h"
#include "hash.h"
#include "wipe.h"

/* One hex digit of a nibble v (0..15) without a branch or a table:
 * for v < 10, (v - 10) >> 8 is all ones and the mask turns 'a' - 10 + v
 * into '0' + v; for v >= 10 it is zero. (As libsodium's sodium_bin2hex.) */
static char hex_digit(unsigned v)
{
	return (char)(unsigned char)(87U + v + (((v - 10U) >> 8) & ~38U));
}

cr_err cr_hex_encode(char *out, size_t cap, const uint8_t *in, size_t n)
{
	if (n > (SIZE_MAX - 1) / 2 || cap < 2 * n + 1) {
		if (cap > 0)
			out[0] = '\0';
		return CR_ERR_SPACE;
	}
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex_digit(in[i] >> 4);
		out[2 * i + 1] = hex_digit(in[i] & 0xfU);
	}
	out[2 * n] = '\0';
	return CR_OK;
}

/* The value of one hex digit c in *v, and 0xff when c is a hex digit, 0
 * otherwise, without a branch: (c ^ '0') < 10 for a decimal digit, and
 * (c & ~0x20) - 55 in 10..15 for a letter of either case. */
static unsigned hex_value(unsigned char c, unsigned *v)
{
	unsigned num = c ^ 48U;
	unsigned num_ok = ((num - 10U) >> 8) & 0xffU;
	unsigned alpha = (c & ~32U) - 55U;
	unsigned alpha_ok = (((alpha - 10U) ^ (alpha - 16U)) >> 8) & 0xffU;
	*v = (num_ok & num) | (alpha_ok & alpha);
	return num_ok | alpha_ok;
}

cr_err cr_hex_decode(uint8_t *out, size_t cap, size_t *out_len, const char *hex, size_t hex_len)
{
	*out_len = 0;
	if (hex_len % 2 != 0 || (hex_len && !hex)) {
		cr_wipe(out, cap);
		return CR_ERR_MALFORMED;
	}
	if (cap < hex_len / 2) {
		cr_wipe(out, cap);
		return CR_ERR_SPACE;
	}
	unsigned ok = 0xffU;
	for (size_t i = 0; i < hex_len / 2; i++) {
		unsigned hi, lo;
		ok &= hex_value((unsigned char)hex[2 * i], &hi);
		ok &= hex_value((unsigned char)hex[2 * i + 1], &lo);
		out[i] = (uint8_t)(((hi << 4) | lo) & 0xffU);
	}
	if (ok != 0xffU) {
		cr_wipe(out, cap);
		return CR_ERR_MALFORMED;
	}
	*out_len = hex_len / 2;
	return CR_OK;
}

/* The 30 digits of one user (see safety.h). */
static void user_digits(char digits[30], const uint8_t *name, size_t name_len,
			const uint8_t pub[CR_ED25519_PUB_LEN])
{
	uint8_t h[CR_SHA256_LEN], version[2];
	cr_writer w;
	cr_writer_init_fixed(&w, version, sizeof version);
	cr_write_u16(&w, CR_SAFETY_VERSION);

	cr_sha256_ctx c;
	cr_sha256_init(&c);
	cr_sha256_update(&c, version, sizeof version);
	cr_sha256_update(&c, pub, CR_ED25519_PUB_LEN);
	cr_sha256_update(&c, name, name_len);
	cr_sha256_final(&c, h);
	for (int i = 0; i < CR_SAFETY_ITERATIONS; i++) {
		cr_sha256_init(&c);
		cr_sha256_update(&c, h, sizeof h);
		cr_sha256_update(&c, pub, CR_ED25519_PUB_LEN);
		cr_sha256_final(&c, h);
	}

	cr_reader r;
	cr_reader_init(&r, h, sizeof h);
	for (int g = 0; g < 6; g++) {
		uint64_t chunk = 0;
		for (int b = 0; b < 5; b++) {
			uint8_t byte = 0;
			if (cr_read_u8(&r, &byte)) /* cannot fail: 30 of 32 bytes */
				byte = 0;
			chunk = (chunk << 8) | byte;
		}
		uint32_t v = (uint32_t)(chunk % 100000u);
		for (int d = 4; d >= 0; d--) {
			digits[g * 5 + d] = (char)('0' + v % 10);
			v /= 10;
		}
	}
}

cr_err cr_safety_number(char out[CR_SAFETY_STR_LEN], const uint8_t *name_a, size_t name_a_len,
			const uint8_t pub_a[CR_ED25519_PUB_LEN], const uint8_t *name_b,
			size_t name_b_len, const uint8_t pub_b[CR_ED25519_PUB_LEN])
{
	out[0] = '\0';
	CR_ENSURE(name_a && name_a_len >= 1 && name_a_len <= CR_SAFETY_NAME_MAX, CR_ERR_ARG);
	CR_ENSURE(name_b && name_b_len >= 1 && name_b_len <= CR_SAFETY_NAME_MAX, CR_ERR_ARG);
	CR_ENSURE(pub_a && pub_b, CR_ERR_ARG);
	char a[30], b[30];
	user_digits(a, name_a, name_a_len, pub_a);
	user_digits(b, name_b, name_b_len, pub_b);
	const char *first = memcmp(a, b, sizeof a) <= 0 ? a : b;
	const char *second = first == a ? b : a;
	size_t o = 0;
	for (int g = 0; g < CR_SAFETY_GROUPS; g++) {
		const char *src = g < 6 ? first : second;
		if (g > 0)
			out[o++] = ' ';
		memcpy(&out[o], &src[(g % 6) * 5], 5);
		o += 5;
	}
	out[o] = '\0';
	return CR_OK;
}

void cr_key_fingerprint(char out[CR_FINGERPRINT_STR_LEN], const uint8_t pub[CR_ED25519_PUB_LEN])
{
	static const char label[] = "echover key fingerprint v1";
	uint8_t h[CR_SHA256_LEN];
	cr_sha256_ctx c;
	cr_sha256_init(&c);
	cr_sha256_update(&c, (const uint8_t *)label, sizeof label - 1);
	cr_sha256_update(&c, pub, CR_ED25519_PUB_LEN);
	cr_sha256_final(&c, h);
	char hex[33];
	if (cr_hex_encode(hex, sizeof hex, h, 16)) /* cannot fail: sized for 16 bytes */
		hex[0] = '\0';
	size_t o = 0;
	for (int g = 0; g < 8; g++) {
		if (g > 0)
			out[o++] = ' ';
		memcpy(&out[o], &hex[g * 4], 4);
		o += 4;
	}
	out[o] = '\0';
}
