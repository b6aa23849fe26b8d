/*
 * msg_framing.h: the message framing of RFC 9420 section 6, syntax only:
 * Sender, FramedContent, FramedContentAuthData, PublicMessage and
 * PrivateMessage.
 *
 *   struct { SenderType sender_type; select (sender_type) {
 *       case member: uint32 leaf_index;  case external: uint32 sender_index;
 *       case new_member_commit: case new_member_proposal: struct{}; }; } Sender;
 *   struct { opaque group_id<V>; uint64 epoch; Sender sender;
 *       opaque authenticated_data<V>; ContentType content_type;
 *       select (content_type) { case application: opaque application_data<V>;
 *       case proposal: Proposal proposal; case commit: Commit commit; }; } FramedContent;
 *   struct { opaque signature<V>; select (content_type) {
 *       case commit: MAC confirmation_tag; default: struct{}; }; } FramedContentAuthData;
 *   struct { FramedContent content; FramedContentAuthData auth;
 *       select (sender_type) { case member: MAC membership_tag;
 *       default: struct{}; }; } PublicMessage;
 *   struct { opaque group_id<V>; uint64 epoch; ContentType content_type;
 *       opaque authenticated_data<V>; opaque encrypted_sender_data<V>;
 *       opaque ciphertext<V>; } PrivateMessage;
 *
 * Strictness: sender_type outside 1..4 and content_type outside 1..3 (0 is
 * reserved in both) cannot be delimited and are CR_ERR_MALFORMED. Which
 * sender may send which content (section 6.1) and signatures / tags are
 * checked by message protection, not here.
 * Conventions (read/decode/write, spans, mls_vec): see msg_common.h.
 */
#ifndef ECHOVER_MLS_MSG_FRAMING_H
#define ECHOVER_MLS_MSG_FRAMING_H

#include "msg_commit.h"
#include "msg_common.h"
#include "msg_proposal.h"

/* RFC 9420 section 6: SenderType and ContentType. */
enum {
	MLS_SENDER_MEMBER = 1,
	MLS_SENDER_EXTERNAL = 2,
	MLS_SENDER_NEW_MEMBER_PROPOSAL = 3,
	MLS_SENDER_NEW_MEMBER_COMMIT = 4,
};
enum { MLS_CONTENT_APPLICATION = 1, MLS_CONTENT_PROPOSAL = 2, MLS_CONTENT_COMMIT = 3 };

typedef struct mls_sender {
	uint8_t type;
	uint32_t index;        /* leaf_index (member) or sender_index (external) */
} mls_sender;

typedef struct mls_framed_content {
	cr_span group_id;
	uint64_t epoch;
	mls_sender sender;
	cr_span authenticated_data;      /* at most MLS_MAX_AAD */
	uint8_t content_type;
	cr_span application_data;        /* application */
	mls_proposal proposal;           /* proposal */
	mls_commit commit;               /* commit */
} mls_framed_content;

typedef struct mls_public_message {
	mls_framed_content content;
	cr_span signature;               /* auth.signature */
	cr_span confirmation_tag;        /* auth.confirmation_tag (commit only) */
	cr_span membership_tag;          /* member senders only */
} mls_public_message;

typedef struct mls_private_message {
	cr_span group_id;
	uint64_t epoch;
	uint8_t content_type;
	cr_span authenticated_data;
	cr_span encrypted_sender_data;
	cr_span ciphertext;
} mls_private_message;

cr_err mls_sender_read(cr_reader *r, mls_sender *out) CR_MUST_CHECK;
void mls_sender_write(cr_writer *w, const mls_sender *s);

cr_err mls_framed_content_read(cr_reader *r, mls_framed_content *out) CR_MUST_CHECK;
void mls_framed_content_write(cr_writer *w, const mls_framed_content *fc);
/* The content body alone (application_data, Proposal or Commit), as
 * PrivateMessageContent and the transcript hashes use it. */
cr_err mls_content_body_read(cr_reader *r, uint8_t content_type, mls_framed_content *out) CR_MUST_CHECK;
void mls_content_body_write(cr_writer *w, const mls_framed_content *fc);
/* FramedContentAuthData for a content of the given type. */
void mls_auth_data_write(cr_writer *w, uint8_t content_type, cr_span signature, cr_span confirmation_tag);

cr_err mls_public_message_read(cr_reader *r, mls_public_message *out) CR_MUST_CHECK;
cr_err mls_public_message_decode(const uint8_t *p, size_t n, mls_public_message *out) CR_MUST_CHECK;
void mls_public_message_write(cr_writer *w, const mls_public_message *m);

cr_err mls_private_message_read(cr_reader *r, mls_private_message *out) CR_MUST_CHECK;
cr_err mls_private_message_decode(const uint8_t *p, size_t n, mls_private_message *out) CR_MUST_CHECK;
void mls_private_message_write(cr_writer *w, const mls_private_message *m);

#endif
