#include "msg_private.h"

#include <stdlib.h>
#include <string.h>

#include "aes_gcm.h"
#include "wipe.h"

static void content_aad_write(cr_writer *w, cr_span group_id, uint64_t epoch, uint8_t content_type,
			      cr_span authenticated_data)
{
	mls_write_opaque_max(w, group_id, MLS_MAX_GROUP_ID);
	cr_write_u64(w, epoch);
	cr_write_u8(w, content_type);
	mls_write_opaque_max(w, authenticated_data, MLS_MAX_AAD);
}

static void sender_data_aad_write(cr_writer *w, cr_span group_id, uint64_t epoch, uint8_t content_type)
{
	mls_write_opaque_max(w, group_id, MLS_MAX_GROUP_ID);
	cr_write_u64(w, epoch);
	cr_write_u8(w, content_type);
}

static mls_ratchet_type ratchet_of(uint8_t content_type)
{
	return content_type == MLS_CONTENT_APPLICATION ? MLS_RATCHET_APPLICATION : MLS_RATCHET_HANDSHAKE;
}

cr_err mls_private_message_protect(cr_writer *out, const mls_framed_content *fc, cr_span confirmation_tag,
				   cr_span group_context, const uint8_t sig_seed[MLS_SIG_SEED_LEN],
				   mls_secret_tree *st, const uint8_t sender_data_secret[MLS_NH],
				   size_t padding_len, const cr_rng *rng)
{
	CR_ENSURE(fc->sender.type == MLS_SENDER_MEMBER, CR_ERR_INVALID);
	CR_ENSURE(fc->content_type >= MLS_CONTENT_APPLICATION && fc->content_type <= MLS_CONTENT_COMMIT, CR_ERR_ARG);
	CR_ENSURE(fc->content_type != MLS_CONTENT_COMMIT || confirmation_tag.n == MLS_NH, CR_ERR_ARG);
	CR_ENSURE(padding_len <= MLS_MAX_PADDING, CR_ERR_ARG);

	uint8_t sig[MLS_SIG_LEN];
	mls_ratchet_key rk;
	uint8_t nonce[MLS_NN], guard[4], sd_key[MLS_NK], sd_nonce[MLS_NN];
	uint8_t sd[MLS_SENDER_DATA_LEN], esd[MLS_SENDER_DATA_LEN + CR_GCM_TAG_LEN];
	uint8_t *ct = NULL;
	cr_writer pt, aad;
	cr_err err;
	memset(&rk, 0, sizeof rk);
	cr_writer_init_dynamic(&pt, MLS_MAX_MESSAGE);
	cr_writer_init_dynamic(&aad, MLS_MAX_AAD + MLS_MAX_GROUP_ID + 64);

	CR_CHECK(mls_framed_content_sign(sig, MLS_WIRE_PRIVATE_MESSAGE, fc, group_context, sig_seed));
	/* PrivateMessageContent. */
	mls_content_body_write(&pt, fc);
	cr_span sig_span = { sig, sizeof sig };
	mls_auth_data_write(&pt, fc->content_type, sig_span, confirmation_tag);
	for (size_t i = 0; i < padding_len; i++)
		cr_write_u8(&pt, 0);
	CR_CHECK(cr_writer_error(&pt));
	content_aad_write(&aad, fc->group_id, fc->epoch, fc->content_type, fc->authenticated_data);
	CR_CHECK(cr_writer_error(&aad));

	/* Content encryption with the reuse guard (section 6.3.1). */
	CR_CHECK(mls_secret_tree_next(st, fc->sender.index, ratchet_of(fc->content_type), &rk));
	CR_CHECK(cr_random(rng, guard, sizeof guard));
	memcpy(nonce, rk.nonce, sizeof nonce);
	for (size_t i = 0; i < sizeof guard; i++)
		nonce[i] ^= guard[i];
	size_t ct_len = pt.len + CR_GCM_TAG_LEN;
	ct = malloc(ct_len);
	if (!ct) {
		err = CR_ERR_NOMEM;
		goto out;
	}
	CR_CHECK(cr_aes128gcm_seal(ct, rk.key, nonce, aad.p, aad.len, pt.p, pt.len));

	/* Sender data encryption (section 6.3.2). */
	cr_writer sdw;
	cr_writer_init_fixed(&sdw, sd, sizeof sd);
	cr_write_u32(&sdw, fc->sender.index);
	cr_write_u32(&sdw, rk.generation);
	cr_write_bytes(&sdw, guard, sizeof guard);
	CR_CHECK(cr_writer_error(&sdw));
	CR_CHECK(mls_sender_data_key_nonce(sd_key, sd_nonce, sender_data_secret, ct, ct_len));
	cr_writer_free(&aad);
	cr_writer_init_dynamic(&aad, MLS_MAX_GROUP_ID + 64);
	sender_data_aad_write(&aad, fc->group_id, fc->epoch, fc->content_type);
	CR_CHECK(cr_writer_error(&aad));
	CR_CHECK(cr_aes128gcm_seal(esd, sd_key, sd_nonce, aad.p, aad.len, sd, sizeof sd));

	mls_message m;
	memset(&m, 0, sizeof m);
	m.version = MLS_VERSION_MLS10;
	m.wire_format = MLS_WIRE_PRIVATE_MESSAGE;
	m.u.private_message.group_id = fc->group_id;
	m.u.private_message.epoch = fc->epoch;
	m.u.private_message.content_type = fc->content_type;
	m.u.private_message.authenticated_data = fc->authenticated_data;
	m.u.private_message.encrypted_sender_data.p = esd;
	m.u.private_message.encrypted_sender_data.n = sizeof esd;
	m.u.private_message.ciphertext.p = ct;
	m.u.private_message.ciphertext.n = ct_len;
	cr_write_u16(out, m.version);
	cr_write_u16(out, m.wire_format);
	mls_private_message_write(out, &m.u.private_message);
	err = cr_writer_error(out);
out:
	cr_wipe(sig, sizeof sig);
	cr_wipe(nonce, sizeof nonce);
	cr_wipe(sd_key, sizeof sd_key);
	cr_wipe(sd_nonce, sizeof sd_nonce);
	cr_wipe(sd, sizeof sd);
	mls_ratchet_key_wipe(&rk);
	cr_writer_free(&pt);
	cr_writer_free(&aad);
	free(ct);
	return err;
}

/* PrivateMessageContent: body, auth data, then zero padding. */
static cr_err content_parse(const uint8_t *pt, size_t n, const mls_private_message *pm, mls_private_opened *out)
{
	cr_reader r;
	cr_span pad;
	cr_reader_init(&r, pt, n);
	CR_TRY(mls_content_body_read(&r, pm->content_type, &out->content));
	CR_TRY(cr_read_opaque(&r, MLS_MAX_SIGNATURE, &out->signature));
	if (pm->content_type == MLS_CONTENT_COMMIT)
		CR_TRY(cr_read_opaque(&r, MLS_MAX_HASH, &out->confirmation_tag));
	CR_TRY(cr_read_span(&r, cr_reader_left(&r), &pad));
	uint8_t acc = 0;
	for (size_t i = 0; i < pad.n; i++)
		acc |= pad.p[i];
	return acc == 0 ? CR_OK : CR_ERR_MALFORMED;
}

cr_err mls_private_message_open(const mls_private_message *pm, mls_secret_tree *st,
				const uint8_t sender_data_secret[MLS_NH], uint8_t *pt, size_t pt_cap,
				mls_private_opened *out)
{
	uint8_t sd_key[MLS_NK], sd_nonce[MLS_NN], sd[MLS_SENDER_DATA_LEN], nonce[MLS_NN];
	mls_ratchet_key rk;
	cr_writer aad;
	cr_err err;
	memset(out, 0, sizeof *out);
	memset(&rk, 0, sizeof rk);
	CR_ENSURE(pm->content_type >= MLS_CONTENT_APPLICATION && pm->content_type <= MLS_CONTENT_COMMIT,
		  CR_ERR_MALFORMED);
	CR_ENSURE(pm->ciphertext.n >= CR_GCM_TAG_LEN, CR_ERR_AUTH);
	CR_ENSURE(pt_cap >= pm->ciphertext.n - CR_GCM_TAG_LEN, CR_ERR_SPACE);
	CR_ENSURE(pm->encrypted_sender_data.n == MLS_SENDER_DATA_LEN + CR_GCM_TAG_LEN, CR_ERR_AUTH);
	cr_writer_init_dynamic(&aad, MLS_MAX_AAD + MLS_MAX_GROUP_ID + 64);

	CR_CHECK(mls_sender_data_key_nonce(sd_key, sd_nonce, sender_data_secret, pm->ciphertext.p,
					   pm->ciphertext.n));
	sender_data_aad_write(&aad, pm->group_id, pm->epoch, pm->content_type);
	CR_CHECK(cr_writer_error(&aad));
	CR_CHECK(cr_aes128gcm_open(sd, sd_key, sd_nonce, aad.p, aad.len, pm->encrypted_sender_data.p,
				   pm->encrypted_sender_data.n));
	cr_reader r;
	uint32_t leaf, generation;
	cr_span guard;
	cr_reader_init(&r, sd, sizeof sd);
	CR_CHECK(cr_read_u32(&r, &leaf));
	CR_CHECK(cr_read_u32(&r, &generation));
	CR_CHECK(cr_read_span(&r, 4, &guard));

	CR_CHECK(mls_secret_tree_get(st, leaf, ratchet_of(pm->content_type), generation, &rk));
	memcpy(nonce, rk.nonce, sizeof nonce);
	for (size_t i = 0; i < guard.n; i++)
		nonce[i] ^= guard.p[i];
	cr_writer_free(&aad);
	cr_writer_init_dynamic(&aad, MLS_MAX_AAD + MLS_MAX_GROUP_ID + 64);
	content_aad_write(&aad, pm->group_id, pm->epoch, pm->content_type, pm->authenticated_data);
	CR_CHECK(cr_writer_error(&aad));
	size_t pt_len = pm->ciphertext.n - CR_GCM_TAG_LEN;
	CR_CHECK(cr_aes128gcm_open(pt, rk.key, nonce, aad.p, aad.len, pm->ciphertext.p, pm->ciphertext.n));

	out->content.group_id = pm->group_id;
	out->content.epoch = pm->epoch;
	out->content.sender.type = MLS_SENDER_MEMBER;
	out->content.sender.index = leaf;
	out->content.authenticated_data = pm->authenticated_data;
	out->generation = generation;
	CR_CHECK(content_parse(pt, pt_len, pm, out));
out:
	if (err) {
		memset(out, 0, sizeof *out);
		cr_wipe(pt, pt_cap < pm->ciphertext.n ? pt_cap : pm->ciphertext.n);
	}
	cr_wipe(sd_key, sizeof sd_key);
	cr_wipe(sd_nonce, sizeof sd_nonce);
	cr_wipe(sd, sizeof sd);
	cr_wipe(nonce, sizeof nonce);
	mls_ratchet_key_wipe(&rk);
	cr_writer_free(&aad);
	return err;
}
