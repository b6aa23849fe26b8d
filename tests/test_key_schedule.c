/*
 * test_key_schedule.c: GroupContext decoding failures, key-schedule input
 * sensitivity, welcome key/nonce and exporter separation.
 */
#include <string.h>

#include "key_schedule.h"
#include "t.h"

static const uint8_t GID[5] = { 'g', 'r', 'o', 'u', 'p' };
static const uint8_t H1[32] = { 1 }, H2[32] = { 2 };

static size_t encode(uint8_t *buf, size_t cap, const mls_group_context *gc)
{
	cr_writer w;
	cr_writer_init_fixed(&w, buf, cap);
	mls_group_context_write(&w, gc);
	return cr_writer_error(&w) ? 0 : w.len;
}

static mls_group_context sample(void)
{
	mls_group_context gc = { MLS_SUITE_ID, { GID, 5 }, 7, { H1, 32 }, { H2, 32 }, { NULL, 0 } };
	return gc;
}

TEST(group_context_round_trip_and_rejects)
{
	uint8_t buf[256];
	mls_group_context gc = sample(), back;
	static const uint8_t ext[] = { 0x00, 0x02, 0x01, 0xaa };
	gc.extensions = (cr_span){ ext, sizeof ext };
	size_t n = encode(buf, sizeof buf, &gc);
	CHECK(n == 2 + 2 + 1 + 5 + 8 + 33 + 33 + 1 + 4);
	cr_reader r;
	cr_reader_init(&r, buf, n);
	CHECK_OK(mls_group_context_read(&r, &back));
	CHECK_OK(cr_reader_end(&r));
	CHECK(back.epoch == 7 && back.extensions.n == 4 && !memcmp(back.group_id.p, GID, 5));
	/* Every truncation fails and leaves the cursor. */
	for (size_t k = 0; k < n; k++) {
		cr_reader_init(&r, buf, k);
		CHECK(mls_group_context_read(&r, &back) != CR_OK);
		CHECK(r.off == 0);
	}
	buf[1] = 2; /* version */
	cr_reader_init(&r, buf, n);
	CHECK_ERR(mls_group_context_read(&r, &back), CR_ERR_UNSUPPORTED);
	buf[1] = 1;
	buf[3] = 3; /* cipher suite */
	cr_reader_init(&r, buf, n);
	CHECK_ERR(mls_group_context_read(&r, &back), CR_ERR_UNSUPPORTED);
	buf[3] = 1;
	gc.tree_hash.n = 31;
	n = encode(buf, sizeof buf, &gc);
	cr_reader_init(&r, buf, n);
	CHECK_ERR(mls_group_context_read(&r, &back), CR_ERR_MALFORMED);
	gc.tree_hash.n = 32;
	gc.confirmed_transcript_hash.n = 0;
	n = encode(buf, sizeof buf, &gc);
	cr_reader_init(&r, buf, n);
	CHECK_ERR(mls_group_context_read(&r, &back), CR_ERR_MALFORMED);
}

TEST(schedule_depends_on_every_input)
{
	uint8_t buf[256], init[32] = { 9 }, cs[32] = { 8 }, psk[32] = { 0 };
	mls_group_context gc = sample();
	size_t n = encode(buf, sizeof buf, &gc);
	mls_epoch_secrets a, b;
	CHECK_OK(mls_key_schedule_from_init(&a, init, cs, psk, buf, n));
	/* NULL psk_secret and NULL commit_secret mean zeros. */
	CHECK_OK(mls_key_schedule_from_init(&b, init, cs, NULL, buf, n));
	CHECK_MEM(&a, &b, sizeof a);
	CHECK_OK(mls_key_schedule_from_init(&b, init, NULL, NULL, buf, n));
	CHECK(memcmp(a.joiner_secret, b.joiner_secret, 32) != 0);
	buf[n - 2] ^= 1; /* the GroupContext */
	CHECK_OK(mls_key_schedule_from_init(&b, init, cs, psk, buf, n));
	CHECK(memcmp(a.joiner_secret, b.joiner_secret, 32) != 0);
	CHECK(memcmp(a.encryption_secret, b.encryption_secret, 32) != 0);
	init[0] ^= 1;
	buf[n - 2] ^= 1;
	CHECK_OK(mls_key_schedule_from_init(&b, init, cs, psk, buf, n));
	CHECK(memcmp(a.init_secret, b.init_secret, 32) != 0);
	/* All outputs distinct from one another. */
	const uint8_t *f = (const uint8_t *)&a;
	for (size_t i = 0; i < sizeof a / 32; i++)
		for (size_t j = i + 1; j < sizeof a / 32; j++)
			CHECK(memcmp(f + 32 * i, f + 32 * j, 32) != 0);
	uint8_t k[16], nonce[12];
	CHECK_OK(mls_welcome_key_nonce(k, nonce, a.welcome_secret));
	CHECK(memcmp(k, nonce, 12) != 0);
	mls_epoch_secrets_wipe(&a);
	uint8_t zero[sizeof a];
	memset(zero, 0, sizeof zero);
	CHECK_MEM(&a, zero, sizeof a);
}

TEST(exporter_separates_labels_and_contexts)
{
	uint8_t es[32] = { 5 }, a[32], b[32];
	CHECK_OK(mls_exporter(a, 32, es, (const uint8_t *)"x", 1, (const uint8_t *)"c", 1));
	CHECK_OK(mls_exporter(b, 32, es, (const uint8_t *)"y", 1, (const uint8_t *)"c", 1));
	CHECK(memcmp(a, b, 32) != 0);
	CHECK_OK(mls_exporter(b, 32, es, (const uint8_t *)"x", 1, (const uint8_t *)"d", 1));
	CHECK(memcmp(a, b, 32) != 0);
	uint8_t longlabel[MLS_LABEL_MAX + 1] = { 0 };
	CHECK_ERR(mls_exporter(a, 32, es, longlabel, sizeof longlabel, NULL, 0), CR_ERR_LIMIT);
}

static const t_case cases[] = {
	T(group_context_round_trip_and_rejects), T(schedule_depends_on_every_input),
	T(exporter_separates_labels_and_contexts), { 0 },
};

int main(int argc, char **argv)
{
	return t_main(argc, argv, cases);
}
