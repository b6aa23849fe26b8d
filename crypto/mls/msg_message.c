#include "msg_message.h"

#include <string.h>

cr_err mls_message_read(cr_reader *r, mls_message *out)
{
	cr_reader save = *r;
	cr_err err;
	memset(out, 0, sizeof *out);
	CR_CHECK(cr_read_u16(r, &out->version));
	if (out->version != MLS_VERSION_MLS10) {
		err = CR_ERR_UNSUPPORTED;
		goto out;
	}
	CR_CHECK(cr_read_u16(r, &out->wire_format));
	switch (out->wire_format) {
	case MLS_WIRE_PUBLIC_MESSAGE:
		CR_CHECK(mls_public_message_read(r, &out->u.public_message));
		break;
	case MLS_WIRE_PRIVATE_MESSAGE:
		CR_CHECK(mls_private_message_read(r, &out->u.private_message));
		break;
	case MLS_WIRE_WELCOME:
		CR_CHECK(mls_welcome_read(r, &out->u.welcome));
		break;
	case MLS_WIRE_GROUP_INFO:
		CR_CHECK(mls_group_info_read(r, &out->u.group_info));
		break;
	case MLS_WIRE_KEY_PACKAGE:
		CR_CHECK(mls_key_package_read(r, &out->u.key_package));
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

cr_err mls_message_decode(const uint8_t *p, size_t n, mls_message *out)
{
	memset(out, 0, sizeof *out);
	CR_ENSURE(n <= MLS_MAX_MESSAGE, CR_ERR_LIMIT);
	cr_reader r;
	cr_reader_init(&r, p, n);
	CR_TRY(mls_message_read(&r, out));
	cr_err err = cr_reader_end(&r);
	if (err)
		memset(out, 0, sizeof *out);
	return err;
}

void mls_message_write_public(cr_writer *w, const mls_public_message *pm)
{
	cr_write_u16(w, MLS_VERSION_MLS10);
	cr_write_u16(w, MLS_WIRE_PUBLIC_MESSAGE);
	mls_public_message_write(w, pm);
}

void mls_message_write(cr_writer *w, const mls_message *m)
{
	if (m->version != MLS_VERSION_MLS10)
		mls_writer_fail(w, CR_ERR_ARG);
	cr_write_u16(w, m->version);
	cr_write_u16(w, m->wire_format);
	switch (m->wire_format) {
	case MLS_WIRE_PUBLIC_MESSAGE:
		mls_public_message_write(w, &m->u.public_message);
		break;
	case MLS_WIRE_PRIVATE_MESSAGE:
		mls_private_message_write(w, &m->u.private_message);
		break;
	case MLS_WIRE_WELCOME:
		mls_welcome_write(w, &m->u.welcome);
		break;
	case MLS_WIRE_GROUP_INFO:
		mls_group_info_write(w, &m->u.group_info);
		break;
	case MLS_WIRE_KEY_PACKAGE:
		mls_key_package_write(w, &m->u.key_package);
		break;
	default:
		mls_writer_fail(w, CR_ERR_ARG);
	}
}
