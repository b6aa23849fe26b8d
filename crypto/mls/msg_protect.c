#include "msg_protect.h"

#include <string.h>

#include "wipe.h"

cr_err mls_framed_content_check_sender(const mls_framed_content *fc)
{
	switch (fc->sender.type) {
	case MLS_SENDER_MEMBER:
		return CR_OK;
	case MLS_SENDER_EXTERNAL:
		return fc->content_type == MLS_CONTENT_PROPOSAL ? CR_OK : CR_ERR_INVALID;
	case MLS_SENDER_NEW_MEMBER_COMMIT:
		return fc->content_type == MLS_CONTENT_COMMIT ? CR_OK : CR_ERR_INVALID;
	case MLS_SENDER_NEW_MEMBER_PROPOSAL:
		return fc->content_type == MLS_CONTENT_PROPOSAL && fc->proposal.type == MLS_PROPOSAL_ADD ?
			       CR_OK : CR_ERR_INVALID;
	default:
		return CR_ERR_INVALID;
	}
}

void mls_framed_content_tbs_write(cr_writer *w, uint16_t wire_format, const mls_framed_content *fc,
				  cr_span group_context)
{
	cr_write_u16(w, MLS_VERSION_MLS10);
	cr_write_u16(w, wire_format);
	mls_framed_content_write(w, fc);
	if (fc->sender.type == MLS_SENDER_MEMBER || fc->sender.type == MLS_SENDER_NEW_MEMBER_COMMIT) {
		if (group_context.n == 0)
			mls_writer_fail(w, CR_ERR_ARG);
		cr_write_bytes(w, group_context.p, group_context.n);
	}
}

/* The TBS (and the TBM after it) in one wiped dynamic writer. */
static cr_err tbs_build(cr_writer *w, uint16_t wire_format, const mls_framed_content *fc, cr_span group_context)
{
	cr_writer_init_dynamic(w, MLS_MAX_MESSAGE * 2);
	mls_framed_content_tbs_write(w, wire_format, fc, group_context);
	cr_err err = cr_writer_error(w);
	if (err)
		cr_writer_free(w);
	return err;
}

cr_err mls_framed_content_sign(uint8_t sig[MLS_SIG_LEN], uint16_t wire_format, const mls_framed_content *fc,
			       cr_span group_context, const uint8_t sig_seed[MLS_SIG_SEED_LEN])
{
	cr_writer w;
	CR_TRY(tbs_build(&w, wire_format, fc, group_context));
	cr_err err = mls_sign_with_label(sig, sig_seed, "FramedContentTBS", w.p, w.len);
	cr_writer_free(&w);
	return err;
}

cr_err mls_framed_content_verify(cr_span signature, uint16_t wire_format, const mls_framed_content *fc,
				 cr_span group_context, const uint8_t sig_pub[MLS_SIG_PUB_LEN])
{
	CR_ENSURE(signature.n == MLS_SIG_LEN, CR_ERR_AUTH);
	cr_writer w;
	CR_TRY(tbs_build(&w, wire_format, fc, group_context));
	cr_err err = mls_verify_with_label(signature.p, sig_pub, "FramedContentTBS", w.p, w.len);
	cr_writer_free(&w);
	return err;
}

/* membership_tag = MAC(membership_key, FramedContentTBS || FramedContentAuthData). */
static cr_err membership_tag(uint8_t tag[MLS_NH], const mls_public_message *pm, cr_span group_context,
			     const uint8_t *membership_key)
{
	cr_writer w;
	CR_TRY(tbs_build(&w, MLS_WIRE_PUBLIC_MESSAGE, &pm->content, group_context));
	mls_auth_data_write(&w, pm->content.content_type, pm->signature, pm->confirmation_tag);
	cr_err err = cr_writer_error(&w);
	if (!err)
		mls_mac(tag, membership_key, MLS_NH, w.p, w.len);
	cr_writer_free(&w);
	return err;
}

static cr_err public_rules(const mls_public_message *pm)
{
	const mls_framed_content *fc = &pm->content;
	CR_ENSURE(fc->content_type != MLS_CONTENT_APPLICATION, CR_ERR_INVALID);
	return mls_framed_content_check_sender(fc);
}

cr_err mls_public_message_protect(mls_public_message *pm, uint8_t sig[MLS_SIG_LEN], uint8_t tag[MLS_NH],
				  cr_span group_context, const uint8_t sig_seed[MLS_SIG_SEED_LEN],
				  const uint8_t *membership_key)
{
	CR_TRY(public_rules(pm));
	bool member = pm->content.sender.type == MLS_SENDER_MEMBER;
	CR_ENSURE(!member || membership_key, CR_ERR_ARG);
	CR_ENSURE(pm->content.content_type != MLS_CONTENT_COMMIT || pm->confirmation_tag.n == MLS_NH, CR_ERR_ARG);
	CR_TRY(mls_framed_content_sign(sig, MLS_WIRE_PUBLIC_MESSAGE, &pm->content, group_context, sig_seed));
	pm->signature.p = sig;
	pm->signature.n = MLS_SIG_LEN;
	pm->membership_tag.p = NULL;
	pm->membership_tag.n = 0;
	if (member) {
		CR_TRY(membership_tag(tag, pm, group_context, membership_key));
		pm->membership_tag.p = tag;
		pm->membership_tag.n = MLS_NH;
	}
	return CR_OK;
}

cr_err mls_public_message_verify(const mls_public_message *pm, cr_span group_context,
				 const uint8_t sig_pub[MLS_SIG_PUB_LEN], const uint8_t *membership_key)
{
	CR_TRY(public_rules(pm));
	if (pm->content.sender.type == MLS_SENDER_MEMBER) {
		CR_ENSURE(membership_key, CR_ERR_ARG);
		CR_ENSURE(pm->membership_tag.n == MLS_NH, CR_ERR_AUTH);
		uint8_t want[MLS_NH];
		CR_TRY(membership_tag(want, pm, group_context, membership_key));
		bool ok = cr_ct_equal(want, pm->membership_tag.p, MLS_NH);
		cr_wipe(want, sizeof want);
		CR_ENSURE(ok, CR_ERR_AUTH);
	}
	return mls_framed_content_verify(pm->signature, MLS_WIRE_PUBLIC_MESSAGE, &pm->content, group_context,
					 sig_pub);
}
