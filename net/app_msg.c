/*
 * app_msg.c: the application payload inside MLS PrivateMessages (format in
 * app_msg.h).
 */
#include "app_msg.h"

#include <string.h>

cr_err nt_app_msg_write(cr_writer *w, const nt_app_msg *m)
{
	CR_ENSURE(m->sent_at >= 0, CR_ERR_ARG);
	CR_ENSURE(m->type == NT_APP_TEXT || m->type == NT_APP_FILE, CR_ERR_ARG);
	if (m->type == NT_APP_TEXT)
		CR_ENSURE(m->text.n <= NT_APP_TEXT_MAX, CR_ERR_ARG);
	else
		CR_ENSURE(m->file.name.n >= 1 && m->file.name.n <= NT_APP_NAME_MAX, CR_ERR_ARG);
	cr_write_u8(w, NT_APP_VERSION);
	cr_write_u8(w, m->type);
	cr_write_bytes(w, m->msg_id, NT_APP_MSG_ID_LEN);
	cr_write_u64(w, (uint64_t)m->sent_at);
	if (m->type == NT_APP_TEXT) {
		cr_write_opaque(w, m->text.p, m->text.n);
	} else {
		cr_write_opaque(w, m->file.name.p, m->file.name.n);
		cr_write_u64(w, m->file.size);
		cr_write_bytes(w, m->file.blob_id, NT_BLOB_ID_LEN);
		cr_write_bytes(w, m->file.key, NT_APP_FILE_KEY_LEN);
		cr_write_bytes(w, m->file.sha256, NT_HASH_LEN);
	}
	return cr_writer_error(w);
}

static cr_err read_file(cr_reader *r, nt_app_file *f)
{
	CR_TRY(cr_read_opaque(r, NT_APP_NAME_MAX, &f->name));
	CR_ENSURE(f->name.n >= 1, CR_ERR_MALFORMED);
	CR_TRY(cr_read_u64(r, &f->size));
	CR_TRY(cr_read_copy(r, f->blob_id, NT_BLOB_ID_LEN));
	CR_TRY(cr_read_copy(r, f->key, NT_APP_FILE_KEY_LEN));
	return cr_read_copy(r, f->sha256, NT_HASH_LEN);
}

cr_err nt_app_msg_decode(const uint8_t *p, size_t n, nt_app_msg *m)
{
	memset(m, 0, sizeof *m);
	cr_reader r;
	cr_reader_init(&r, p, n);
	uint8_t version;
	uint64_t sent_at;
	CR_TRY(cr_read_u8(&r, &version));
	CR_ENSURE(version == NT_APP_VERSION, CR_ERR_UNSUPPORTED);
	CR_TRY(cr_read_u8(&r, &m->type));
	CR_ENSURE(m->type == NT_APP_TEXT || m->type == NT_APP_FILE, CR_ERR_UNSUPPORTED);
	CR_TRY(cr_read_copy(&r, m->msg_id, NT_APP_MSG_ID_LEN));
	CR_TRY(cr_read_u64(&r, &sent_at));
	CR_ENSURE(sent_at <= (uint64_t)INT64_MAX, CR_ERR_MALFORMED);
	m->sent_at = (int64_t)sent_at;
	if (m->type == NT_APP_TEXT)
		CR_TRY(cr_read_opaque(&r, NT_APP_TEXT_MAX, &m->text));
	else
		CR_TRY(read_file(&r, &m->file));
	return cr_reader_end(&r);
}
