/*
 * vec_wycheproof_mac.c: Wycheproof hmac_sha256_test.json (mac_test_schema_v1).
 *
 * A tag of tagSize bits (128 or 256 in the file) is checked as the prefix of
 * the full HMAC-SHA256, compared in constant time, as a verifier of a
 * truncated tag would (RFC 2104 section 5). A tag whose length differs from
 * the group's tagSize is refused. Valid cases must match, invalid ones must
 * not. The file has no "acceptable" case for HMAC; one would fail the run.
 */
#include <stdlib.h>

#include "hash.h"
#include "vec_wycheproof.h"
#include "wipe.h"

static bool detect(json_t *root)
{
	return wp_detect(root, "HMACSHA256", "mac_test_schema_v1.json");
}

/* The verifier under test: accepts tag[tag_len] for (key, msg) when
 * tag_len is the expected size and the tag is the HMAC's prefix. */
static bool hmac_verify(const uint8_t *key, size_t kl, const uint8_t *msg, size_t ml,
			const uint8_t *tag, size_t tag_len, size_t want_len)
{
	uint8_t full[CR_SHA256_LEN];
	if (tag_len != want_len || want_len == 0 || want_len > CR_SHA256_LEN)
		return false;
	cr_hmac_sha256(full, key, kl, msg, ml);
	bool ok = cr_ct_equal(full, tag, tag_len);
	cr_wipe(full, sizeof full);
	return ok;
}

static void one(json_t *group, json_t *test)
{
	int bits = wp_group_int(group, "tagSize");
	if (bits <= 0 || bits % 8 || bits > 256) {
		t_skip("hmac tcId %lld: tag of %d bits", wp_id(test), bits);
		return;
	}
	t_begin("hmac-sha256 tcId %lld", wp_id(test));
	size_t kl = 0, ml = 0, tl = 0;
	uint8_t *key = vec_hex(test, "key", &kl), *msg = vec_hex(test, "msg", &ml), *tag = vec_hex(test, "tag", &tl);
	wp_result r = wp_result_of(test);
	if (!key || !msg || !tag || !CHECK(r == WP_VALID || r == WP_INVALID))
		goto out;
	size_t want_len = (size_t)bits / 8;
	bool ok = hmac_verify(key, kl, msg, ml, tag, tl, want_len);
	CHECK(ok == (r == WP_VALID));
	if (r == WP_VALID && ok) {
		/* The same tag with one byte flipped must be refused. */
		bool all_refused = true;
		for (size_t i = 0; i < tl; i++) {
			tag[i] ^= 0x80;
			if (hmac_verify(key, kl, msg, ml, tag, tl, want_len))
				all_refused = false;
			tag[i] ^= 0x80;
		}
		CHECK(all_refused);
		CHECK(!hmac_verify(key, kl, msg, ml, tag, tl - 1, want_len));
	}
out:
	free(key), free(msg), free(tag);
	t_end();
}

static void run(json_t *root, const char *path)
{
	(void)path;
	wp_each(root, one);
}

const vec_runner vec_wycheproof_mac = { "wycheproof HMAC-SHA256", detect, run };
