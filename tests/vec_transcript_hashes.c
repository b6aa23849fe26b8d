/*
 * vec_transcript_hashes.c: transcript-hashes.json (RFC 9420 test vectors):
 * the AuthenticatedContent is cut into ConfirmedTranscriptHashInput and
 * confirmation_tag; the tag must be MAC(confirmation_key,
 * confirmed_transcript_hash_after); both hashes must match. A tampered
 * content or key must fail. Suites other than 1 are skipped.
 */
#include <stdlib.h>
#include <string.h>

#include "transcript.h"
#include "vec.h"

static bool detect(json_t *root)
{
	static const char *const keys[] = { "cipher_suite", "authenticated_content", "interim_transcript_hash_before",
					    NULL };
	return vec_mls_has_keys(root, keys);
}

static void run_case(json_t *c)
{
	size_t nk, nac, ni;
	uint8_t *key = vec_hex(c, "confirmation_key", &nk), *ac = vec_hex(c, "authenticated_content", &nac);
	uint8_t *ib = vec_hex(c, "interim_transcript_hash_before", &ni);
	if (!key || !ac || !ib || !CHECK(nk == MLS_NH))
		goto out;
	cr_span input, tag;
	uint8_t conf[MLS_NH], interim[MLS_NH];
	if (!CHECK_OK(mls_transcript_split_commit(ac, nac, &input, &tag)))
		goto out;
	CHECK(tag.n == MLS_NH && input.n + 1 + MLS_NH == nac);
	if (CHECK_OK(mls_confirmed_transcript_hash(conf, ib, ni, input.p, input.n)))
		vec_check_hex(c, "confirmed_transcript_hash_after", conf, sizeof conf);
	CHECK_OK(mls_confirmation_tag_verify(tag.p, tag.n, key, conf));
	if (CHECK_OK(mls_interim_transcript_hash(interim, conf, tag.p, tag.n)))
		vec_check_hex(c, "interim_transcript_hash_after", interim, sizeof interim);
	/* All at once, with the tag checked. */
	uint8_t c2[MLS_NH], i2[MLS_NH];
	if (CHECK_OK(mls_transcript_update(c2, i2, ib, ni, ac, nac, key))) {
		CHECK_MEM(c2, conf, MLS_NH);
		CHECK_MEM(i2, interim, MLS_NH);
	}
	key[0] ^= 1;
	CHECK_ERR(mls_transcript_update(c2, i2, ib, ni, ac, nac, key), CR_ERR_AUTH);
	key[0] ^= 1;
	ac[nac / 2] ^= 1; /* content or signature changed: the tag no longer matches */
	CHECK(mls_transcript_update(c2, i2, ib, ni, ac, nac, key) != CR_OK);
	ac[nac / 2] ^= 1;
	CHECK(mls_transcript_split_commit(ac, nac - 1, &input, &tag) != CR_OK);
out:
	free(key), free(ac), free(ib);
}

static void run(json_t *root, const char *path)
{
	(void)path;
	vec_each_suite1_case(root, "transcript-hashes", run_case);
}

const vec_runner vec_transcript_hashes = { "transcript-hashes", detect, run };
