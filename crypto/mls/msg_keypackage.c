#include "msg_keypackage.h"

#include <string.h>

#include "leaf.h"

cr_err mls_leaf_node_span_read(cr_reader *r, cr_span *out)
{
	/* Parse on a copy of the reader, then take exactly the bytes the
	 * leaf decoder consumed as a borrowed span of r. */
	cr_reader probe = *r;
	mls_leaf_node leaf;
	memset(out, 0, sizeof *out);
	CR_TRY(mls_leaf_decode(&probe, &leaf));
	mls_leaf_free(&leaf);
	return cr_read_span(r, cr_reader_left(r) - cr_reader_left(&probe), out);
}

cr_err mls_key_package_read(cr_reader *r, mls_key_package *out)
{
	cr_reader save = *r;
	cr_err err;
	memset(out, 0, sizeof *out);
	CR_CHECK(cr_read_u16(r, &out->version));
	if (out->version != MLS_VERSION_MLS10) {
		err = CR_ERR_UNSUPPORTED;
		goto out;
	}
	CR_CHECK(cr_read_u16(r, &out->cipher_suite));
	CR_CHECK(cr_read_opaque(r, MLS_MAX_HPKE_KEY, &out->init_key));
	CR_CHECK(mls_leaf_node_span_read(r, &out->leaf_node));
	CR_CHECK(mls_extensions_read(r, &out->extensions));
	CR_CHECK(cr_read_opaque(r, MLS_MAX_SIGNATURE, &out->signature));
	return CR_OK;
out:
	*r = save;
	memset(out, 0, sizeof *out);
	return err;
}

cr_err mls_key_package_decode(const uint8_t *p, size_t n, mls_key_package *out)
{
	cr_reader r;
	cr_reader_init(&r, p, n);
	CR_TRY(mls_key_package_read(&r, out));
	cr_err err = cr_reader_end(&r);
	if (err)
		memset(out, 0, sizeof *out);
	return err;
}

void mls_key_package_tbs_write(cr_writer *w, const mls_key_package *kp)
{
	if (kp->version != MLS_VERSION_MLS10 || kp->leaf_node.n == 0)
		mls_writer_fail(w, CR_ERR_ARG);
	cr_write_u16(w, kp->version);
	cr_write_u16(w, kp->cipher_suite);
	mls_write_opaque_max(w, kp->init_key, MLS_MAX_HPKE_KEY);
	cr_write_bytes(w, kp->leaf_node.p, kp->leaf_node.n);
	mls_vec_write(w, &kp->extensions);
}

void mls_key_package_write(cr_writer *w, const mls_key_package *kp)
{
	mls_key_package_tbs_write(w, kp);
	mls_write_opaque_max(w, kp->signature, MLS_MAX_SIGNATURE);
}
