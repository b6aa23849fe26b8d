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
