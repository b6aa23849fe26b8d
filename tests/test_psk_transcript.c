/*
 * test_psk_transcript.c: PreSharedKeyID decoding failures and round trips,
 * psk_secret properties, and the transcript/confirmation-tag rules on
 * AuthenticatedContent built here (bad prefixes, non-commit content,
 * truncation, tag mismatch, interim of a new group).
 */
#include <string.h>

#include "psk.h"
#include "suite.h"
#include "t.h"
#include "transcript.h"

static const uint8_t NONCE[32] = { 0x11 };

static size_t encode_id(uint8_t *buf, size_t cap, const mls_psk_id *id)
{
	cr_writer w;
	cr_writer_init_fixed(&w, buf, cap);
	mls_psk_id_write(&w, id);
	return cr_writer_error(&w) ? 0 : w.len;
}

TEST(psk_id_round_trip_and_rejects)
{
	uint8_t buf[512];
	mls_psk_id id = { .psktype = MLS_PSK_RESUMPTION, .usage = MLS_RESUMPTION_BRANCH,
			  .psk_group_id = { (const uint8_t *)"grp", 3 }, .psk_epoch = 42,
			  .psk_nonce = { NONCE, 32 } }, back;
	size_t n = encode_id(buf, sizeof buf, &id);
	cr_reader r;
	cr_reader_init(&r, buf, n);
	CHECK_OK(mls_psk_id_read(&r, &back));
	CHECK_OK(cr_reader_end(&r));
	CHECK(back.psk_epoch == 42 && back.usage == MLS_RESUMPTION_BRANCH && back.psk_group_id.n == 3);
	for (size_t k = 0; k < n; k++) {
		cr_reader_init(&r, buf, k);
		CHECK(mls_psk_id_read(&r, &back) != CR_OK);
		CHECK(r.off == 0);
	}
	buf[1] = 4; /* usage */
	cr_reader_init(&r, buf, n);
	CHECK_ERR(mls_psk_id_read(&r, &back), CR_ERR_MALFORMED);
	buf[0] = 3; /* psktype */
	cr_reader_init(&r, buf, n);
	CHECK_ERR(mls_psk_id_read(&r, &back), CR_ERR_MALFORMED);
	/* The codec is structural: a nonce of another length than Nh decodes
	 * (RFC 9420 12.2 makes "psk_nonce MUST be of length KDF.Nh" a rule of
	 * proposal validation), but one above MLS_MAX_PSK_NONCE is refused. */
	id.psk_nonce.n = 31;
	n = encode_id(buf, sizeof buf, &id);
	cr_reader_init(&r, buf, n);
	CHECK_OK(mls_psk_id_read(&r, &back));
	CHECK(back.psk_nonce.n == 31);
	uint8_t big[MLS_MAX_PSK_NONCE + 1] = { 0 };
	id.psk_nonce = (cr_span){ big, sizeof big };
	cr_writer w;
	cr_writer_init_fixed(&w, buf, sizeof buf);
	cr_write_u8(&w, MLS_PSK_EXTERNAL);
	cr_write_opaque(&w, id.psk_id.p, id.psk_id.n);
	cr_write_opaque(&w, big, sizeof big);
	CHECK_OK(cr_writer_error(&w));
	cr_reader_init(&r, buf, w.len);
	CHECK_ERR(mls_psk_id_read(&r, &back), CR_ERR_LIMIT);
}

TEST(psk_secret_properties)
{
	uint8_t out[32], zero[32] = { 0 }, a[32], b[32];
	CHECK_OK(mls_psk_secret(out, NULL, 0));
	CHECK_MEM(out, zero, 32);
	mls_psk p = { { .psktype = MLS_PSK_EXTERNAL, .psk_id = { (const uint8_t *)"id", 2 },
			.psk_nonce = { NONCE, 32 } },
		      (const uint8_t *)"secret", 6 };
	CHECK_OK(mls_psk_secret(a, &p, 1));
	CHECK(memcmp(a, zero, 32) != 0);
	p.psk = (const uint8_t *)"secreT";
	CHECK_OK(mls_psk_secret(b, &p, 1));
	CHECK(memcmp(a, b, 32) != 0);
	p.psk = (const uint8_t *)"secret";
	p.id.psk_id.p = (const uint8_t *)"iD";
	CHECK_OK(mls_psk_secret(b, &p, 1));
	CHECK(memcmp(a, b, 32) != 0);
	CHECK_ERR(mls_psk_secret(b, &p, MLS_PSK_COUNT_MAX + 1), CR_ERR_LIMIT);
	CHECK_MEM(b, zero, 32);
}

/* wire_format 1, group "g", epoch 5, member 2, no aad, content_type, then
 * a body, signature<V> and confirmation_tag<V>. */
static size_t build_ac(uint8_t *buf, size_t cap, uint8_t content_type, const uint8_t tag[32])
{
	static const uint8_t sig[64] = { 0x5a };
	cr_writer w;
	cr_writer_init_fixed(&w, buf, cap);
	cr_write_u16(&w, 1);
	cr_write_opaque(&w, (const uint8_t *)"g", 1);
	cr_write_u64(&w, 5);
	cr_write_u8(&w, 1);
	cr_write_u32(&w, 2);
	cr_write_opaque(&w, NULL, 0);
	cr_write_u8(&w, content_type);
	cr_write_opaque(&w, NULL, 0); /* proposals */
	cr_write_bool(&w, false);     /* no path */
	cr_write_opaque(&w, sig, sizeof sig);
	cr_write_opaque(&w, tag, 32);
	return cr_writer_error(&w) ? 0 : w.len;
}

TEST(transcript_round_trip_and_rejects)
{
	uint8_t key[32] = { 0xc0 }, buf[256], tag[32] = { 0 }, conf[32], interim[32], c2[32], i2[32];
	/* Compute the right tag for a new group (empty interim hash). */
	size_t n = build_ac(buf, sizeof buf, 3, tag);
	cr_span input, t;
	CHECK_OK(mls_transcript_split_commit(buf, n, &input, &t));
	CHECK_OK(mls_confirmed_transcript_hash(conf, NULL, 0, input.p, input.n));
	mls_confirmation_tag(tag, key, conf);
	n = build_ac(buf, sizeof buf, 3, tag);
	CHECK_OK(mls_transcript_update(c2, interim, NULL, 0, buf, n, key));
	CHECK_MEM(c2, conf, 32);
	/* The next epoch chains on the interim hash. */
	CHECK_OK(mls_transcript_update(c2, i2, interim, 32, buf, n, NULL));
	CHECK(memcmp(c2, conf, 32) != 0);
	CHECK_ERR(mls_transcript_update(c2, i2, interim, 32, buf, n, key), CR_ERR_AUTH);
	CHECK_ERR(mls_transcript_update(c2, i2, interim, 31, buf, n, NULL), CR_ERR_ARG);
	uint8_t zero[32] = { 0 };
	CHECK_MEM(c2, zero, 32);
	CHECK_ERR(mls_confirmation_tag_verify(tag, 31, key, conf), CR_ERR_AUTH);
	tag[31] ^= 1;
	CHECK_ERR(mls_confirmation_tag_verify(tag, 32, key, conf), CR_ERR_AUTH);
	/* Not a commit. */
	n = build_ac(buf, sizeof buf, 2, tag);
	CHECK_ERR(mls_transcript_split_commit(buf, n, &input, &t), CR_ERR_INVALID);
	/* Bad signature and tag prefixes, truncation. */
	n = build_ac(buf, sizeof buf, 3, tag);
	buf[n - 33] = 0x1f;
	CHECK(mls_transcript_split_commit(buf, n, &input, &t) != CR_OK);
	buf[n - 33] = 0x20;
	buf[n - 33 - 66] = 0x00;
	CHECK(mls_transcript_split_commit(buf, n, &input, &t) != CR_OK);
	buf[n - 33 - 66] = 0x40;
	CHECK_OK(mls_transcript_split_commit(buf, n, &input, &t));
	for (size_t k = 0; k < n; k++)
		CHECK(mls_transcript_split_commit(buf, k, &input, &t) != CR_OK);
	buf[0] = 0x77; /* wire format */
	CHECK_ERR(mls_transcript_split_commit(buf, n, &input, &t), CR_ERR_MALFORMED);
}

static const t_case cases[] = {
	T(psk_id_round_trip_and_rejects), T(psk_secret_properties), T(transcript_round_trip_and_rejects), { 0 },
};

int main(int argc, char **argv)
{
	return t_main(argc, argv, cases);
}
