#include "msg_groupinfo.h"

#include <string.h>

cr_err mls_group_info_read(cr_reader *r, mls_group_info *out)
{
	cr_reader save = *r;
	cr_err err;
	mls_vec gc_ext;
	memset(out, 0, sizeof *out);
	CR_CHECK(mls_group_context_read(r, &out->group_context));
	CR_CHECK(mls_extensions_check(out->group_context.extensions, &gc_ext));
	CR_CHECK(mls_extensions_read(r, &out->extensions));
	CR_CHECK(cr_read_opaque(r, MLS_MAX_HASH, &out->confirmation_tag));
	CR_CHECK(cr_read_u32(r, &out->signer));
	CR_CHECK(cr_read_opaque(r, MLS_MAX_SIGNATURE, &out->signature));
	return CR_OK;
out:
	*r = save;
	memset(out, 0, sizeof *out);
	return err;
}

cr_err mls_group_info_decode(const uint8_t *p, size_t n, mls_group_info *out)
{
	cr_reader r;
	cr_reader_init(&r, p, n);
	CR_TRY(mls_group_info_read(&r, out));
	cr_err err = cr_reader_end(&r);
	if (err)
		memset(out, 0, sizeof *out);
	return err;
}

void mls_group_info_tbs_write(cr_writer *w, const mls_group_info *gi)
{
	mls_group_context_write(w, &gi->group_context);
	mls_vec_write(w, &gi->extensions);
	mls_write_opaque_max(w, gi->confirmation_tag, MLS_MAX_HASH);
	cr_write_u32(w, gi->signer);
}

void mls_group_info_write(cr_writer *w, const mls_group_info *gi)
{
	mls_group_info_tbs_write(w, gi);
	mls_write_opaque_max(w, gi->signature, MLS_MAX_SIGNATURE);
}
