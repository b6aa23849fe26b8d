/*
 * msg_protect.h: authentication of MLS messages (RFC 9420 sections 6.1,
 * 6.2), cipher suite 0x0001: the signature over FramedContentTBS and the
 * membership tag of a PublicMessage.
 *
 *   struct { ProtocolVersion version = mls10; WireFormat wire_format;
 *            FramedContent content;
 *            select (sender_type) { case member: case new_member_commit:
 *                GroupContext context; default: struct{}; }; } FramedContentTBS;
 *   signature      = SignWithLabel(sig_key, "FramedContentTBS", FramedContentTBS)
 *   struct { FramedContentTBS content_tbs; FramedContentAuthData auth; }
 *            AuthenticatedContentTBM;
 *   membership_tag = MAC(membership_key, AuthenticatedContentTBM)
 *
 * Rules enforced (section 6.1, 6.2): application data is never sent as a
 * PublicMessage ("Applications MUST use PrivateMessage to encrypt
 * application messages", CR_ERR_INVALID); an external sender sends only
 * proposals, a new_member_commit sender only commits, a
 * new_member_proposal sender only Add proposals (CR_ERR_INVALID); a member
 * sender's message carries a membership tag, checked in constant time
 * before the signature (CR_ERR_AUTH). group_context is the encoded
 * GroupContext of the current epoch (mls_group_context_write); which
 * signature key belongs to the sender is the caller's lookup.
 */
#ifndef ECHOVER_MLS_MSG_PROTECT_H
#define ECHOVER_MLS_MSG_PROTECT_H

#include "msg_framing.h"
#include "suite.h"

/* CR_OK when the sender type may send this content (section 6.1). */
cr_err mls_framed_content_check_sender(const mls_framed_content *fc) CR_MUST_CHECK;

/* FramedContentTBS for a message of the given wire format. */
void mls_framed_content_tbs_write(cr_writer *w, uint16_t wire_format, const mls_framed_content *fc,
				  cr_span group_context);

/* Signs fc as it will be sent in wire_format: sig gets the signature. */
cr_err mls_framed_content_sign(uint8_t sig[MLS_SIG_LEN], uint16_t wire_format, const mls_framed_content *fc,
			       cr_span group_context, const uint8_t sig_seed[MLS_SIG_SEED_LEN]) CR_MUST_CHECK;
/* CR_OK when signature is fc's valid signature under sig_pub, CR_ERR_AUTH
 * otherwise. */
cr_err mls_framed_content_verify(cr_span signature, uint16_t wire_format, const mls_framed_content *fc,
				 cr_span group_context, const uint8_t sig_pub[MLS_SIG_PUB_LEN]) CR_MUST_CHECK;

/* Completes pm (content set, confirmation_tag set for a commit): signs it,
 * and for a member sender computes the membership tag with membership_key
 * (MLS_NH bytes; may be NULL for other senders). pm->signature and
 * pm->membership_tag then point into sig and tag, which must outlive pm. */
cr_err mls_public_message_protect(mls_public_message *pm, uint8_t sig[MLS_SIG_LEN], uint8_t tag[MLS_NH],
				  cr_span group_context, const uint8_t sig_seed[MLS_SIG_SEED_LEN],
				  const uint8_t *membership_key) CR_MUST_CHECK;
/* Checks a decoded PublicMessage: sender rules, membership tag (member
 * senders; membership_key MLS_NH bytes), then the signature under
 * sig_pub. */
cr_err mls_public_message_verify(const mls_public_message *pm, cr_span group_context,
				 const uint8_t sig_pub[MLS_SIG_PUB_LEN], const uint8_t *membership_key) CR_MUST_CHECK;

#endif
