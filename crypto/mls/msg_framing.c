#include "msg_framing.h"

#include <string.h>

cr_err mls_sender_read(cr_reader *r, mls_sender *out)
{
	cr_reader save = *r;
	cr_err err;
	memset(out, 0, sizeof *out);
	CR_CHECK(cr_read_u8(r, &out->type));
	switch (out->type) {
	case MLS_SENDER_MEMBER:
	case MLS_SENDER_EXTERNAL:
		CR_CHECK(cr_read_u32(r, &out->index));
		break;
	case MLS_SENDER_NEW_MEMBER_PROPOSAL:
	case MLS_SENDER_NEW_MEMBER_COMMIT:
		break;
	default:
		err = CR_ERR_MALFORMED;
		goto out;
	}
	return CR_OK;
out:
	*r = save;
	memset(out, 0, sizeof *out);
	return err;
}

void mls_sender_write(cr_writer *w, const mls_sender *s)
{
	cr_write_u8(w, s->type);
	switch (s->type) {
	case MLS_SENDER_MEMBER:
	case MLS_SENDER_EXTERNAL:
		cr_write_u32(w, s->index);
		break;
	case MLS_SENDER_NEW_MEMBER_PROPOSAL:
	case MLS_SENDER_NEW_MEMBER_COMMIT:
		break;
	default:
		mls_writer_fail(w, CR_ERR_ARG);
	}
}

cr_err mls_content_body_read(cr_reader *r, uint8_t content_type, mls_framed_content *out)
{
	out->content_type = content_type;
	switch (content_type) {
	case MLS_CONTENT_APPLICATION:
		return cr_read_opaque(r, MLS_MAX_CONTENT, &out->application_data);
	case MLS_CONTENT_PROPOSAL:
		return mls_proposal_read(r, &out->proposal);
	case MLS_CONTENT_COMMIT:
		return mls_commit_read(r, &out->commit);
	default:
		return CR_ERR_MALFORMED;
	}
}

void mls_content_body_write(cr_writer *w, const mls_framed_content *fc)
{
	switch (fc->content_type) {
	case MLS_CONTENT_APPLICATION:
		mls_write_opaque_max(w, fc->application_data, MLS_MAX_CONTENT);
		break;
	case MLS_CONTENT_PROPOSAL:
		mls_proposal_write(w, &fc->proposal);
		break;
	case MLS_CONTENT_COMMIT:
		mls_commit_write(w, &fc->commit);
		break;
	default:
		mls_writer_fail(w, CR_ERR_ARG);
	}
}

cr_err mls_framed_content_read(cr_reader *r, mls_framed_content *out)
{
	cr_reader save = *r;
	cr_err err;
	uint8_t ct;
	memset(out, 0, sizeof *out);
	CR_CHECK(cr_read_opaque(r, MLS_MAX_GROUP_ID, &out->group_id));
	CR_CHECK(cr_read_u64(r, &out->epoch));
	CR_CHECK(mls_sender_read(r, &out->sender));
	CR_CHECK(cr_read_opaque(r, MLS_MAX_AAD, &out->authenticated_data));
	CR_CHECK(cr_read_u8(r, &ct));
	CR_CHECK(mls_content_body_read(r, ct, out));
	return CR_OK;
out:
	*r = save;
	memset(out, 0, sizeof *out);
	return err;
}

void mls_framed_content_write(cr_writer *w, const mls_framed_content *fc)
{
	mls_write_opaque_max(w, fc->group_id, MLS_MAX_GROUP_ID);
	cr_write_u64(w, fc->epoch);
	mls_sender_write(w, &fc->sender);
	mls_write_opaque_max(w, fc->authenticated_data, MLS_MAX_AAD);
	cr_write_u8(w, fc->content_type);
	mls_content_body_write(w, fc);
}

void mls_auth_data_write(cr_writer *w, uint8_t content_type, cr_span signature, cr_span confirmation_tag)
{
	mls_write_opaque_max(w, signature, MLS_MAX_SIGNATURE);
	if (content_type == MLS_CONTENT_COMMIT)
		mls_write_opaque_max(w, confirmation_tag, MLS_MAX_HASH);
}

cr_err mls_public_message_read(cr_reader *r, mls_public_message *out)
{
	cr_reader save = *r;
	cr_err err;
	memset(out, 0, sizeof *out);
	CR_CHECK(mls_framed_content_read(r, &out->content));
	CR_CHECK(cr_read_opaque(r, MLS_MAX_SIGNATURE, &out->signature));
	if (out->content.content_type == MLS_CONTENT_COMMIT)
		CR_CHECK(cr_read_opaque(r, MLS_MAX_HASH, &out->confirmation_tag));
	if (out->content.sender.type == MLS_SENDER_MEMBER)
		CR_CHECK(cr_read_opaque(r, MLS_MAX_HASH, &out->membership_tag));
	return CR_OK;
out:
	*r = save;
	memset(out, 0, sizeof *out);
	return err;
}

cr_err mls_public_message_decode(const uint8_t *p, size_t n, mls_public_message *out)
{
	cr_reader r;
	cr_reader_init(&r, p, n);
	CR_TRY(mls_public_message_read(&r, out));
	cr_err err = cr_reader_end(&r);
	if (err)
		memset(out, 0, sizeof *out);
	return err;
}

void mls_public_message_write(cr_writer *w, const mls_public_message *m)
{
	mls_framed_content_write(w, &m->content);
	mls_auth_data_write(w, m->content.content_type, m->signature, m->confirmation_tag);
	if (m->content.sender.type == MLS_SENDER_MEMBER)
		mls_write_opaque_max(w, m->membership_tag, MLS_MAX_HASH);
}

cr_err mls_private_message_read(cr_reader *r, mls_private_message *out)
{
	cr_reader save = *r;
	cr_err err;
	memset(out, 0, sizeof *out);
	CR_CHECK(cr_read_opaque(r, MLS_MAX_GROUP_ID, &out->group_id));
	CR_CHECK(cr_read_u64(r, &out->epoch));
	CR_CHECK(cr_read_u8(r, &out->content_type));
	if (out->content_type < MLS_CONTENT_APPLICATION || out->content_type > MLS_CONTENT_COMMIT) {
		err = CR_ERR_MALFORMED;
		goto out;
	}
	CR_CHECK(cr_read_opaque(r, MLS_MAX_AAD, &out->authenticated_data));
	CR_CHECK(cr_read_opaque(r, MLS_MAX_SENDER_DATA_CT, &out->encrypted_sender_data));
	CR_CHECK(cr_read_opaque(r, MLS_MAX_CIPHERTEXT, &out->ciphertext));
	return CR_OK;
out:
	*r = save;
	memset(out, 0, sizeof *out);
	return err;
}

cr_err mls_private_message_decode(const uint8_t *p, size_t n, mls_private_message *out)
{
	cr_reader r;
	cr_reader_init(&r, p, n);
	CR_TRY(mls_private_message_read(&r, out));
	cr_err err = cr_reader_end(&r);
	if (err)
		memset(out, 0, sizeof *out);
	return err;
}

void mls_private_message_write(cr_writer *w, const mls_private_message *m)
{
	mls_write_opaque_max(w, m->group_id, MLS_MAX_GROUP_ID);
	cr_write_u64(w, m->epoch);
	if (m->content_type < MLS_CONTENT_APPLICATION || m->content_type > MLS_CONTENT_COMMIT)
		mls_writer_fail(w, CR_ERR_ARG);
	cr_write_u8(w, m->content_type);
	mls_write_opaque_max(w, m->authenticated_data, MLS_MAX_AAD);
	mls_write_opaque_max(w, m->encrypted_sender_data, MLS_MAX_SENDER_DATA_CT);
	mls_write_opaque_max(w, m->ciphertext, MLS_MAX_CIPHERTEXT);
}
