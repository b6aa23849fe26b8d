#include "msg_common.h"

#include <string.h>

cr_err mls_vec_begin(cr_reader *r, size_t max_bytes, cr_reader *sub)
{
	return cr_read_vector(r, max_bytes, sub);
}

void mls_vec_write(cr_writer *w, const mls_vec *v)
{
	cr_write_opaque(w, v->body.p, v->body.n);
}

void mls_vec_iter(const mls_vec *v, cr_reader *it)
{
	cr_reader_init(it, v->body.p, v->body.n);
}

void mls_writer_fail(cr_writer *w, cr_err e)
{
	if (w->err == CR_OK)
		w->err = e;
}

void mls_write_opaque_max(cr_writer *w, cr_span s, size_t max)
{
	if (s.n > max) {
		mls_writer_fail(w, CR_ERR_ARG);
		return;
	}
	cr_write_opaque(w, s.p, s.n);
}

/* Lists of structs are bounded twice: in bytes by the message limit
 * (before the body is read) and in items by their own limit. */
static cr_err extension_read(cr_reader *r, mls_extension *e)
{
	CR_TRY(cr_read_u16(r, &e->type));
	return cr_read_opaque(r, MLS_MAX_EXTENSION_DATA, &e->data);
}

cr_err mls_extensions_check(cr_span body, mls_vec *out)
{
	cr_reader sub;
	memset(out, 0, sizeof *out);
	cr_reader_init(&sub, body.p, body.n);
	size_t count = 0;
	while (cr_reader_left(&sub) > 0) {
		mls_extension e;
		CR_ENSURE(count < MLS_MAX_EXTENSIONS, CR_ERR_LIMIT);
		CR_TRY(extension_read(&sub, &e));
		count++;
	}
	out->body = body;
	out->count = count;
	return CR_OK;
}

cr_err mls_extensions_read(cr_reader *r, mls_vec *out)
{
	cr_reader save = *r;
	cr_span body;
	memset(out, 0, sizeof *out);
	CR_TRY(cr_read_opaque(r, MLS_MAX_MESSAGE, &body));
	cr_err err = mls_extensions_check(body, out);
	if (err)
		*r = save;
	return err;
}

cr_err mls_extensions_next(cr_reader *it, mls_extension *out)
{
	if (cr_reader_left(it) == 0)
		return CR_ERR_NOT_FOUND;
	cr_reader save = *it;
	cr_err err = extension_read(it, out);
	if (err) {
		*it = save;
		memset(out, 0, sizeof *out);
	}
	return err;
}

void mls_extension_write(cr_writer *w, const mls_extension *e)
{
	cr_write_u16(w, e->type);
	mls_write_opaque_max(w, e->data, MLS_MAX_EXTENSION_DATA);
}

cr_err mls_psk_id_read(cr_reader *r, mls_psk_id *out)
{
	cr_reader save = *r;
	cr_err err;
	memset(out, 0, sizeof *out);
	CR_CHECK(cr_read_u8(r, &out->psktype));
	switch (out->psktype) {
	case MLS_PSK_EXTERNAL:
		CR_CHECK(cr_read_opaque(r, MLS_MAX_PSK_ID, &out->psk_id));
		break;
	case MLS_PSK_RESUMPTION:
		CR_CHECK(cr_read_u8(r, &out->usage));
		/* RFC 9420 section 8.4: usage is application(1), reinit(2) or
		 * branch(3); 0 is reserved and the rest unassigned. */
		if (out->usage < MLS_RESUMPTION_APPLICATION || out->usage > MLS_RESUMPTION_BRANCH) {
			err = CR_ERR_MALFORMED;
			goto out;
		}
		CR_CHECK(cr_read_opaque(r, MLS_MAX_GROUP_ID, &out->psk_group_id));
		CR_CHECK(cr_read_u64(r, &out->psk_epoch));
		break;
	default:
		err = CR_ERR_MALFORMED;
		goto out;
	}
	CR_CHECK(cr_read_opaque(r, MLS_MAX_PSK_NONCE, &out->psk_nonce));
	return CR_OK;
out:
	*r = save;
	memset(out, 0, sizeof *out);
	return err;
}

void mls_psk_id_write(cr_writer *w, const mls_psk_id *p)
{
	cr_write_u8(w, p->psktype);
	switch (p->psktype) {
	case MLS_PSK_EXTERNAL:
		mls_write_opaque_max(w, p->psk_id, MLS_MAX_PSK_ID);
		break;
	case MLS_PSK_RESUMPTION:
		if (p->usage < MLS_RESUMPTION_APPLICATION || p->usage > MLS_RESUMPTION_BRANCH)
			mls_writer_fail(w, CR_ERR_ARG);
		cr_write_u8(w, p->usage);
		mls_write_opaque_max(w, p->psk_group_id, MLS_MAX_GROUP_ID);
		cr_write_u64(w, p->psk_epoch);
		break;
	default:
		mls_writer_fail(w, CR_ERR_ARG);
		return;
	}
	mls_write_opaque_max(w, p->psk_nonce, MLS_MAX_PSK_NONCE);
}

cr_err mls_psk_ids_read(cr_reader *r, mls_vec *out)
{
	cr_reader save = *r, sub;
	cr_err err;
	memset(out, 0, sizeof *out);
	CR_CHECK(mls_vec_begin(r, MLS_MAX_MESSAGE, &sub));
	out->body.p = sub.p;
	out->body.n = sub.n;
	while (cr_reader_left(&sub) > 0) {
		mls_psk_id id;
		if (out->count == MLS_MAX_PSKS) {
			err = CR_ERR_LIMIT;
			goto out;
		}
		CR_CHECK(mls_psk_id_read(&sub, &id));
		out->count++;
	}
	return CR_OK;
out:
	*r = save;
	memset(out, 0, sizeof *out);
	return err;
}

cr_err mls_psk_ids_next(cr_reader *it, mls_psk_id *out)
{
	if (cr_reader_left(it) == 0)
		return CR_ERR_NOT_FOUND;
	return mls_psk_id_read(it, out);
}
