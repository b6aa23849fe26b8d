#include "msg_proposal.h"

#include <string.h>

static cr_err reinit_read(cr_reader *r, mls_reinit *out)
{
	CR_TRY(cr_read_opaque(r, MLS_MAX_GROUP_ID, &out->group_id));
	CR_TRY(cr_read_u16(r, &out->version));
	CR_TRY(cr_read_u16(r, &out->cipher_suite));
	return mls_extensions_read(r, &out->extensions);
}

cr_err mls_proposal_body_read(cr_reader *r, uint16_t type, mls_proposal *out)
{
	cr_reader save = *r;
	cr_err err;
	memset(out, 0, sizeof *out);
	out->type = type;
	switch (type) {
	case MLS_PROPOSAL_ADD:
		CR_CHECK(mls_key_package_read(r, &out->u.add));
		break;
	case MLS_PROPOSAL_UPDATE:
		CR_CHECK(mls_leaf_node_span_read(r, &out->u.update_leaf));
		break;
	case MLS_PROPOSAL_REMOVE:
		CR_CHECK(cr_read_u32(r, &out->u.remove));
		break;
	case MLS_PROPOSAL_PSK:
		CR_CHECK(mls_psk_id_read(r, &out->u.psk));
		break;
	case MLS_PROPOSAL_REINIT:
		CR_CHECK(reinit_read(r, &out->u.reinit));
		break;
	case MLS_PROPOSAL_EXTERNAL_INIT:
		CR_CHECK(cr_read_opaque(r, MLS_MAX_HPKE_KEY, &out->u.external_init));
		break;
	case MLS_PROPOSAL_GROUP_CONTEXT_EXTENSIONS:
		CR_CHECK(mls_extensions_read(r, &out->u.gce));
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

cr_err mls_proposal_body_decode(const uint8_t *p, size_t n, uint16_t type, mls_proposal *out)
{
	cr_reader r;
	cr_reader_init(&r, p, n);
	CR_TRY(mls_proposal_body_read(&r, type, out));
	cr_err err = cr_reader_end(&r);
	if (err)
		memset(out, 0, sizeof *out);
	return err;
}

void mls_proposal_body_write(cr_writer *w, const mls_proposal *pr)
{
	switch (pr->type) {
	case MLS_PROPOSAL_ADD:
		mls_key_package_write(w, &pr->u.add);
		break;
	case MLS_PROPOSAL_UPDATE:
		if (pr->u.update_leaf.n == 0)
			mls_writer_fail(w, CR_ERR_ARG);
		cr_write_bytes(w, pr->u.update_leaf.p, pr->u.update_leaf.n);
		break;
	case MLS_PROPOSAL_REMOVE:
		cr_write_u32(w, pr->u.remove);
		break;
	case MLS_PROPOSAL_PSK:
		mls_psk_id_write(w, &pr->u.psk);
		break;
	case MLS_PROPOSAL_REINIT:
		mls_write_opaque_max(w, pr->u.reinit.group_id, MLS_MAX_GROUP_ID);
		cr_write_u16(w, pr->u.reinit.version);
		cr_write_u16(w, pr->u.reinit.cipher_suite);
		mls_vec_write(w, &pr->u.reinit.extensions);
		break;
	case MLS_PROPOSAL_EXTERNAL_INIT:
		mls_write_opaque_max(w, pr->u.external_init, MLS_MAX_HPKE_KEY);
		break;
	case MLS_PROPOSAL_GROUP_CONTEXT_EXTENSIONS:
		mls_vec_write(w, &pr->u.gce);
		break;
	default:
		mls_writer_fail(w, CR_ERR_ARG);
	}
}

cr_err mls_proposal_read(cr_reader *r, mls_proposal *out)
{
	cr_reader save = *r;
	uint16_t type;
	memset(out, 0, sizeof *out);
	CR_TRY(cr_read_u16(r, &type));
	cr_err err = mls_proposal_body_read(r, type, out);
	if (err)
		*r = save;
	return err;
}

cr_err mls_proposal_decode(const uint8_t *p, size_t n, mls_proposal *out)
{
	cr_reader r;
	cr_reader_init(&r, p, n);
	CR_TRY(mls_proposal_read(&r, out));
	cr_err err = cr_reader_end(&r);
	if (err)
		memset(out, 0, sizeof *out);
	return err;
}

void mls_proposal_write(cr_writer *w, const mls_proposal *pr)
{
	cr_write_u16(w, pr->type);
	mls_proposal_body_write(w, pr);
}

cr_err mls_proposal_or_ref_read(cr_reader *r, mls_proposal_or_ref *out)
{
	cr_reader save = *r;
	cr_err err;
	memset(out, 0, sizeof *out);
	CR_CHECK(cr_read_u8(r, &out->type));
	switch (out->type) {
	case MLS_POR_PROPOSAL:
		CR_CHECK(mls_proposal_read(r, &out->proposal));
		break;
	case MLS_POR_REFERENCE:
		CR_CHECK(cr_read_opaque(r, MLS_MAX_HASH, &out->reference));
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

void mls_proposal_or_ref_write(cr_writer *w, const mls_proposal_or_ref *por)
{
	cr_write_u8(w, por->type);
	switch (por->type) {
	case MLS_POR_PROPOSAL:
		mls_proposal_write(w, &por->proposal);
		break;
	case MLS_POR_REFERENCE:
		mls_write_opaque_max(w, por->reference, MLS_MAX_HASH);
		break;
	default:
		mls_writer_fail(w, CR_ERR_ARG);
	}
}
