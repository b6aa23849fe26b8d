/*
 * vec_wycheproof_xdh.c: Wycheproof x25519_test.json (xdh_comp_schema_v1).
 *
 * Valid cases must give the expected shared secret; invalid ones must be
 * refused. "Acceptable" cases, what echover does:
 *   - the expected shared secret is all zeros (LowOrderPublic /
 *     ZeroSharedSecret): refused with CR_ERR_INVALID, because cr_x25519()
 *     rejects an all-zero result (RFC 7748 section 6.1, RFC 9180 7.1.4);
 *   - otherwise (twist points, non-canonical public encodings): accepted,
 *     and the shared secret must equal the expected one, as RFC 7748
 *     section 5 computes it (the top bit of u is masked, u is taken mod p).
 */
#include <stdlib.h>

#include "vec_wycheproof.h"
#include "x25519.h"

static bool detect(json_t *root)
{
	return wp_detect(root, "XDH", "xdh_comp_schema_v1.json");
}

static bool all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;
	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

static void one(json_t *group, json_t *test)
{
	const char *curve = json_string_value(json_object_get(group, "curve"));
	if (!curve || strcmp(curve, "curve25519")) {
		t_skip("xdh tcId %lld: curve %s", wp_id(test), curve ? curve : "?");
		return;
	}
	t_begin("x25519 tcId %lld", wp_id(test));
	size_t pl = 0, kl = 0, sl = 0;
	uint8_t *pub = vec_hex(test, "public", &pl), *priv = vec_hex(test, "private", &kl);
	uint8_t *shared = vec_hex(test, "shared", &sl);
	wp_result r = wp_result_of(test);
	if (!pub || !priv || !shared || !CHECK(r != WP_BAD))
		goto out;
	if (pl != CR_X25519_LEN || kl != CR_X25519_LEN) {
		/* Keys of another length never reach cr_x25519 (fixed 32-byte
		 * arrays), so they are refused by type. */
		CHECK(r == WP_INVALID);
		goto out;
	}
	uint8_t got[CR_X25519_LEN];
	cr_err e = cr_x25519(got, priv, pub);
	bool zero = sl == CR_X25519_LEN && all_zero(shared, sl);
	if (r == WP_INVALID) {
		CHECK(e != CR_OK);
	} else if (zero) {
		CHECK(r == WP_ACCEPTABLE);
		CHECK_ERR(e, CR_ERR_INVALID);
		CHECK(all_zero(got, sizeof got));
	} else if (CHECK_OK(e)) {
		vec_check_hex(test, "shared", got, sizeof got);
	}
out:
	free(pub), free(priv), free(shared);
	t_end();
}

static void run(json_t *root, const char *path)
{
	(void)path;
	wp_each(root, one);
}

const vec_runner vec_wycheproof_xdh = { "wycheproof X25519", detect, run };
