/*
 * msg_private.h: PrivateMessage content and sender data encryption
 * (RFC 9420 sections 6.3, 6.3.1, 6.3.2), cipher suite 0x0001
 * (AES-128-GCM), over the secret tree of secret_tree.h.
 *
 *   struct { select (content_type) { case application: opaque application_data<V>;
 *            case proposal: Proposal; case commit: Commit; };
 *            FramedContentAuthData auth; opaque padding[length_of_padding];
 *   } PrivateMessageContent;
 *   struct { opaque group_id<V>; uint64 epoch; ContentType content_type;
 *            opaque authenticated_data<V>; } PrivateContentAAD;
 *   struct { uint32 leaf_index; uint32 generation; opaque reuse_guard[4]; } SenderData;
 *   struct { opaque group_id<V>; uint64 epoch; ContentType content_type; } SenderDataAAD;
 *
 * Content: key and nonce of the sender's ratchet (handshake ratchet for
 * proposals and commits, application ratchet for application data); the
 * first 4 bytes of the nonce are XORed with a fresh random reuse_guard
 * (section 6.3.1), so that a sender that lost its state does not reuse a
 * nonce. Sender data: key and nonce from sender_data_secret and the first
 * Nh bytes of the content ciphertext (section 6.3.2).
 *
 * Rules enforced: only member senders are encrypted ("the sender MUST
 * verify Sender.sender_type is member", CR_ERR_INVALID); padding must be
 * all zero bytes ("A receiver MUST verify that there are no non-zero bytes
 * in the padding field", CR_ERR_MALFORMED); a generation the secret tree
 * has already handed out or dropped is refused (replay, CR_ERR_INVALID);
 * any AEAD failure is CR_ERR_AUTH. The caller checks that leaf_index names
 * a non-blank leaf and verifies the signature (mls_framed_content_verify
 * with MLS_WIRE_PRIVATE_MESSAGE) with that leaf's key. Keys, nonces and
 * the plaintext copy are wiped on every path.
 */
#ifndef ECHOVER_MLS_MSG_PRIVATE_H
#define ECHOVER_MLS_MSG_PRIVATE_H

#include "msg_framing.h"
#include "msg_message.h"
#include "msg_protect.h"
#include "rng.h"
#include "secret_tree.h"

#define MLS_SENDER_DATA_LEN 12  /* leaf_index, generation, reuse_guard */
#define MLS_MAX_PADDING 4096     /* sender-chosen padding this encoder accepts */

/* A decrypted PrivateMessage: content's spans point into the caller's
 * plaintext buffer and into the PrivateMessage. */
typedef struct mls_private_opened {
	mls_framed_content content;   /* sender: member, leaf_index from SenderData */
	cr_span signature;
	cr_span confirmation_tag;     /* commit only */
	uint32_t generation;
} mls_private_opened;

/* Signs fc (member sender; confirmation_tag of MLS_NH bytes for a commit)
 * under sig_seed, encrypts it with the sender's next ratchet key, pads
 * with padding_len zero bytes, and appends the whole MLSMessage
 * (PrivateMessage) to out. */
cr_err mls_private_message_protect(cr_writer *out, const mls_framed_content *fc, cr_span confirmation_tag,
				   cr_span group_context, const uint8_t sig_seed[MLS_SIG_SEED_LEN],
				   mls_secret_tree *st, const uint8_t sender_data_secret[MLS_NH],
				   size_t padding_len, const cr_rng *rng) CR_MUST_CHECK;

/* Decrypts pm: sender data first, then the content with the key of
 * (leaf_index, generation). pt must hold pm->ciphertext.n - 16 bytes
 * (pt_cap); the caller wipes it when done with out. */
cr_err mls_private_message_open(const mls_private_message *pm, mls_secret_tree *st,
				const uint8_t sender_data_secret[MLS_NH], uint8_t *pt, size_t pt_cap,
				mls_private_opened *out) CR_MUST_CHECK;

#endif
