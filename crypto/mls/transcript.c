#include "transcript.h"

#include "hash.h"
#include "key_schedule.h"
#include "wipe.h"

#define WIRE_FORMAT_MAX 5      /* RFC 9420 17.2: mls_public_message .. mls_key_package */
#define CONTENT_TYPE_COMMIT 3  /* RFC 9420 6 */
#define AUTH_DATA_MAX (1u << 20)

/* wire_format, group_id, epoch, sender, authenticated_data, content_type */
static cr_err check_header(cr_reader *r)
{
	uint16_t wf;
	uint8_t st, ct;
	uint32_t idx;
	uint64_t epoch;
	cr_span s;
	CR_TRY(cr_read_u16(r, &wf));
	CR_ENSURE(wf >= 1 && wf <= WIRE_FORMAT_MAX, CR_ERR_MALFORMED);
	CR_TRY(cr_read_opaque(r, MLS_GROUP_ID_MAX, &s));
	CR_TRY(cr_read_u64(r, &epoch));
	CR_TRY(cr_read_u8(r, &st));
	/* SenderType: member (1) and external (2) carry a uint32, the
	 * new_member kinds (3, 4) nothing (RFC 9420 6). */
	CR_ENSURE(st >= 1 && st <= 4, CR_ERR_MALFORMED);
	if (st <= 2)
		CR_TRY(cr_read_u32(r, &idx));
	CR_TRY(cr_read_opaque(r, AUTH_DATA_MAX, &s));
	CR_TRY(cr_read_u8(r, &ct));
	CR_ENSURE(ct == CONTENT_TYPE_COMMIT, CR_ERR_INVALID);
	return CR_OK;
}

cr_err mls_transcript_split_commit(const uint8_t *ac, size_t n, cr_span *confirmed_input,
				   cr_span *confirmation_tag)
{
	/* signature<V> (2 + 64: a varint of 64 takes two bytes) and
	 * confirmation_tag<V> (1 + 32) at the end. */
	const size_t sig_field = 2 + MLS_SIG_LEN, tag_field = 1 + MLS_NH;
	CR_ENSURE(ac && n > sig_field + tag_field, CR_ERR_TRUNCATED);
	size_t cut = n - tag_field;
	cr_reader r, t;
	cr_reader_init(&r, ac, n);
	cr_span head, sig, tag;
	CR_TRY(cr_read_span(&r, cut - sig_field, &head));
	CR_TRY(cr_read_opaque(&r, MLS_SIG_LEN, &sig));
	CR_ENSURE(sig.n == MLS_SIG_LEN, CR_ERR_MALFORMED);
	CR_TRY(cr_read_opaque(&r, MLS_NH, &tag));
	CR_ENSURE(tag.n == MLS_NH, CR_ERR_MALFORMED);
	CR_TRY(cr_reader_end(&r));
	cr_reader_init(&t, head.p, head.n);
	CR_TRY(check_header(&t));
	confirmed_input->p = ac;
	confirmed_input->n = cut;
	*confirmation_tag = tag;
	return CR_OK;
}

cr_err mls_confirmed_transcript_hash(uint8_t out[MLS_NH], const uint8_t *interim, size_t interim_len,
				     const uint8_t *confirmed_input, size_t n)
{
	CR_ENSURE(interim_len == 0 || interim_len == MLS_NH, CR_ERR_ARG);
	cr_sha256_ctx h;
	cr_sha256_init(&h);
	cr_sha256_update(&h, interim, interim_len);
	cr_sha256_update(&h, confirmed_input, n);
	cr_sha256_final(&h, out);
	return CR_OK;
}

cr_err mls_interim_transcript_hash(uint8_t out[MLS_NH], const uint8_t confirmed[MLS_NH],
				   const uint8_t *confirmation_tag, size_t tag_len)
{
	CR_ENSURE(tag_len <= MLS_NH, CR_ERR_LIMIT);
	uint8_t pre[1] = { (uint8_t)tag_len }; /* varint of a length < 64 is one byte */
	cr_sha256_ctx h;
	cr_sha256_init(&h);
	cr_sha256_update(&h, confirmed, MLS_NH);
	cr_sha256_update(&h, pre, 1);
	cr_sha256_update(&h, confirmation_tag, tag_len);
	cr_sha256_final(&h, out);
	return CR_OK;
}

void mls_confirmation_tag(uint8_t tag[MLS_NH], const uint8_t confirmation_key[MLS_NH],
			  const uint8_t confirmed_transcript_hash[MLS_NH])
{
	mls_mac(tag, confirmation_key, MLS_NH, confirmed_transcript_hash, MLS_NH);
}

cr_err mls_confirmation_tag_verify(const uint8_t *tag, size_t tag_len, const uint8_t confirmation_key[MLS_NH],
				   const uint8_t confirmed_transcript_hash[MLS_NH])
{
	uint8_t want[MLS_NH];
	mls_confirmation_tag(want, confirmation_key, confirmed_transcript_hash);
	bool ok = tag_len == MLS_NH && cr_ct_equal(tag, want, MLS_NH);
	cr_wipe(want, sizeof want);
	return ok ? CR_OK : CR_ERR_AUTH;
}

cr_err mls_transcript_update(uint8_t confirmed_out[MLS_NH], uint8_t interim_out[MLS_NH],
			     const uint8_t *interim_before, size_t interim_len, const uint8_t *ac, size_t n,
			     const uint8_t *confirmation_key)
{
	cr_span input, tag;
	cr_err err;
	CR_CHECK(mls_transcript_split_commit(ac, n, &input, &tag));
	CR_CHECK(mls_confirmed_transcript_hash(confirmed_out, interim_before, interim_len, input.p, input.n));
	if (confirmation_key)
		CR_CHECK(mls_confirmation_tag_verify(tag.p, tag.n, confirmation_key, confirmed_out));
	CR_CHECK(mls_interim_transcript_hash(interim_out, confirmed_out, tag.p, tag.n));
out:
	if (err) {
		cr_wipe(confirmed_out, MLS_NH);
		cr_wipe(interim_out, MLS_NH);
	}
	return err;
}
