/*
 * vec_wycheproof_hkdf.c: Wycheproof hkdf_sha256_test.json (hkdf_test_schema_v1).
 *
 * Each case is HKDF-Extract then HKDF-Expand (RFC 5869). Valid cases must
 * give okm exactly; invalid ones (sizes above 255 * 32, RFC 5869 section 2.3)
 * must be refused with CR_ERR_LIMIT. The file has no "acceptable" case for
 * HKDF; one would fail the run.
 */
#include <stdlib.h>

#include "hash.h"
#include "vec_wycheproof.h"

static bool detect(json_t *root)
{
	return wp_detect(root, "HKDF-SHA-256", "hkdf_test_schema_v1.json");
}

static void one(json_t *group, json_t *test)
{
	(void)group;
	t_begin("hkdf-sha256 tcId %lld", wp_id(test));
	size_t il = 0, sl = 0, fl = 0, ol = 0;
	uint64_t size = 0;
	uint8_t *ikm = vec_hex(test, "ikm", &il), *salt = vec_hex(test, "salt", &sl);
	uint8_t *info = vec_hex(test, "info", &fl), *okm = vec_hex(test, "okm", &ol), *out = NULL;
	wp_result r = wp_result_of(test);
	if (!ikm || !salt || !info || !okm || !vec_u64(test, "size", &size) ||
	    !CHECK((r == WP_VALID || r == WP_INVALID) && size <= 1 << 20))
		goto out;
	out = malloc((size_t)size + 1);
	if (!CHECK(out != NULL))
		goto out;
	uint8_t prk[CR_SHA256_LEN];
	cr_hkdf_extract(prk, salt, sl, ikm, il);
	cr_err e = cr_hkdf_expand(out, (size_t)size, prk, sizeof prk, info, fl);
	if (r == WP_VALID) {
		if (CHECK_OK(e))
			vec_check_hex(test, "okm", out, (size_t)size);
	} else {
		CHECK_ERR(e, CR_ERR_LIMIT);
	}
out:
	free(ikm), free(salt), free(info), free(okm), free(out);
	t_end();
}

static void run(json_t *root, const char *path)
{
	(void)path;
	wp_each(root, one);
}

const vec_runner vec_wycheproof_hkdf = { "wycheproof HKDF-SHA256", detect, run };
