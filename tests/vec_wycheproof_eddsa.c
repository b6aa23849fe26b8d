/*
 * vec_wycheproof_eddsa.c: Wycheproof ed25519_test.json (eddsa_verify_schema_v1).
 *
 * Valid signatures must verify; each is also checked with every byte of the
 * signature flipped and with the message extended by one byte (each must be
 * refused). Invalid ones (wrong length, non-canonical S, garbage appended,
 * bad encodings) must be refused. The file has no "acceptable" case for
 * Ed25519; echover's verification is strict (ed25519.h), and an acceptable
 * case would fail the run so that it is looked at.
 */
#include <stdlib.h>
#include <string.h>

#include "ed25519.h"
#include "vec_wycheproof.h"

static bool detect(json_t *root)
{
	return wp_detect(root, "EDDSA", "eddsa_verify_schema_v1.json");
}

static void one(json_t *group, json_t *test)
{
	json_t *key = json_object_get(group, "publicKey");
	const char *curve = json_string_value(json_object_get(key, "curve"));
	if (!curve || strcmp(curve, "edwards25519")) {
		t_skip("eddsa tcId %lld: curve %s", wp_id(test), curve ? curve : "?");
		return;
	}
	t_begin("ed25519 tcId %lld", wp_id(test));
	size_t pl = 0, ml = 0, sl = 0;
	uint8_t *pk = vec_hex(key, "pk", &pl), *msg = vec_hex(test, "msg", &ml), *sig = vec_hex(test, "sig", &sl);
	uint8_t *longer = NULL;
	wp_result r = wp_result_of(test);
	if (!pk || !msg || !sig || !CHECK((r == WP_VALID || r == WP_INVALID) && pl == CR_ED25519_PUB_LEN))
		goto out;
	if (sl != CR_ED25519_SIG_LEN) {
		/* A signature of another length never reaches the verifier. */
		CHECK(r == WP_INVALID);
		goto out;
	}
	cr_err e = cr_ed25519_verify(sig, pk, msg, ml);
	if (r == WP_INVALID) {
		CHECK_ERR(e, CR_ERR_AUTH);
		goto out;
	}
	if (!CHECK_OK(e))
		goto out;
	bool all_refused = true;
	for (size_t i = 0; i < sl; i++) {
		sig[i] ^= 0x01;
		if (cr_ed25519_verify(sig, pk, msg, ml) != CR_ERR_AUTH)
			all_refused = false;
		sig[i] ^= 0x01;
	}
	CHECK(all_refused);
	longer = malloc(ml + 1);
	if (CHECK(longer != NULL)) {
		if (ml)
			memcpy(longer, msg, ml);
		longer[ml] = 0;
		CHECK_ERR(cr_ed25519_verify(sig, pk, longer, ml + 1), CR_ERR_AUTH);
	}
out:
	free(pk), free(msg), free(sig), free(longer);
	t_end();
}

static void run(json_t *root, const char *path)
{
	(void)path;
	wp_each(root, one);
}

const vec_runner vec_wycheproof_eddsa = { "wycheproof Ed25519", detect, run };
