#include "msg_welcome.h"

#include <string.h>

cr_err mls_encrypted_group_secrets_read(cr_reader *r, mls_encrypted_group_secrets *out)
{
	cr_reader save = *r;
	cr_err err;
	memset(out, 0, sizeof *out);
	CR_CHECK(cr_read_opaque(r, MLS_MAX_HASH, &out->new_member));
	CR_CHECK(cr_read_opaque(r, MLS_MAX_HPKE_KEY, &out->kem_output));
	CR_CHECK(cr_read_opaque(r, MLS_MAX_MESSAGE, &out->ciphertext));
	return CR_OK;
out:
	*r = save;
	memset(out, 0, sizeof *out);
	return err;
}

void mls_encrypted_group_secrets_write(cr_writer *w, const mls_encrypted_group_secrets *s)
{
	mls_write_opaque_max(w, s->new_member, MLS_MAX_HASH);
	mls_write_opaque_max(w, s->kem_output, MLS_MAX_HPKE_KEY);
	mls_write_opaque_max(w, s->ciphertext, MLS_MAX_MESSAGE);
}

cr_err mls_welcome_read(cr_reader *r, mls_welcome *out)
{
	cr_reader save = *r, sub;
	cr_err err;
	memset(out, 0, sizeof *out);
	CR_CHECK(cr_read_u16(r, &out->cipher_suite));
	CR_CHECK(mls_vec_begin(r, MLS_MAX_MESSAGE, &sub));
	out->secrets.body.p = sub.p;
	out->secrets.body.n = sub.n;
	while (cr_reader_left(&sub) > 0) {
		mls_encrypted_group_secrets s;
		if (out->secrets.count == MLS_MAX_WELCOME_SECRETS) {
			err = CR_ERR_LIMIT;
			goto out;
		}
		CR_CHECK(mls_encrypted_group_secrets_read(&sub, &s));
		out->secrets.count++;
	}
	if (out->secrets.count == 0) {
		err = CR_ERR_MALFORMED;
		goto out;
	}
	CR_CHECK(cr_read_opaque(r, MLS_MAX_MESSAGE, &out->encrypted_group_info));
	return CR_OK;
out:
	*r = save;
	memset(out, 0, sizeof *out);
	return err;
}

cr_err mls_welcome_decode(const uint8_t *p, size_t n, mls_welcome *out)
{
	cr_reader r;
	cr_reader_init(&r, p, n);
	CR_TRY(mls_welcome_read(&r, out));
	cr_err err = cr_reader_end(&r);
	if (err)
		memset(out, 0, sizeof *out);
	return err;
}

void mls_welcome_write(cr_writer *w, const mls_welcome *wl)
{
	if (wl->secrets.count == 0)
		mls_writer_fail(w, CR_ERR_ARG);
	cr_write_u16(w, wl->cipher_suite);
	mls_vec_write(w, &wl->secrets);
	mls_write_opaque_max(w, wl->encrypted_group_info, MLS_MAX_MESSAGE);
}

cr_err mls_welcome_secrets_next(cr_reader *it, mls_encrypted_group_secrets *out)
{
	if (cr_reader_left(it) == 0)
		return CR_ERR_NOT_FOUND;
	return mls_encrypted_group_secrets_read(it, out);
}

cr_err mls_welcome_find(const mls_welcome *wl, const uint8_t *ref, size_t ref_len,
	mls_encrypted_group_secrets *out)
{
	cr_reader it;
	mls_vec_iter(&wl->secrets, &it);
	for (;;) {
		CR_TRY(mls_welcome_secrets_next(&it, out));
		/* KeyPackageRefs are public hashes: plain comparison is fine. */
		if (out->new_member.n == ref_len && (ref_len == 0 || memcmp(out->new_member.p, ref, ref_len) == 0))
			return CR_OK;
	}
}

cr_err mls_group_secrets_read(cr_reader *r, mls_group_secrets *out)
{
	cr_reader save = *r;
	cr_err err;
	memset(out, 0, sizeof *out);
	CR_CHECK(cr_read_opaque(r, MLS_MAX_HASH, &out->joiner_secret));
	CR_CHECK(cr_read_bool(r, &out->has_path_secret));
	if (out->has_path_secret)
		CR_CHECK(cr_read_opaque(r, MLS_MAX_HASH, &out->path_secret));
	CR_CHECK(mls_psk_ids_read(r, &out->psks));
	return CR_OK;
out:
	*r = save;
	memset(out, 0, sizeof *out);
	return err;
}

cr_err mls_group_secrets_decode(const uint8_t *p, size_t n, mls_group_secrets *out)
{
	cr_reader r;
	cr_reader_init(&r, p, n);
	CR_TRY(mls_group_secrets_read(&r, out));
	cr_err err = cr_reader_end(&r);
	if (err)
		memset(out, 0, sizeof *out);
	return err;
}

void mls_group_secrets_write(cr_writer *w, const mls_group_secrets *g)
{
	mls_write_opaque_max(w, g->joiner_secret, MLS_MAX_HASH);
	cr_write_bool(w, g->has_path_secret);
	if (g->has_path_secret)
		mls_write_opaque_max(w, g->path_secret, MLS_MAX_HASH);
	mls_vec_write(w, &g->psks);
}
