/*
 * msg_welcome_tree.h: a Welcome and the ratchet tree it was sent without,
 * in one buffer, for a transport or a log that holds one item per message.
 * RFC 9420 section 12.4.3.3 lets the tree travel apart from the GroupInfo;
 * this is echover's container for the two (not an RFC 9420 structure):
 *
 *   struct {
 *       opaque welcome<V>;              MLSMessage, wire_format welcome
 *       optional<Node> ratchet_tree<V>; the tree, as in the extension
 *   } WelcomeWithTree;
 *
 * The decoder is strict and bounded: the welcome at most MLS_MAX_MESSAGE
 * bytes and a well-formed Welcome MLSMessage (mls_message_decode), the
 * tree vector at most MLS_TREE_MAX_ENC bytes and not empty, nothing after
 * it. The tree's nodes are not decoded here: mls_group_join_ex decodes
 * and validates them and checks the root hash against the GroupInfo's
 * signed tree_hash, so a tree is trusted only through that.
 * A bare Welcome MLSMessage never decodes as this container (its first
 * byte, 0x00 of version mls10, reads as an empty welcome, refused), so a
 * receiver holding either can try this decoder first.
 * Conventions (read/decode/write, spans): see msg_common.h.
 */
#ifndef ECHOVER_MLS_MSG_WELCOME_TREE_H
#define ECHOVER_MLS_MSG_WELCOME_TREE_H

#include "msg_common.h"

typedef struct mls_welcome_tree {
	cr_span welcome;       /* the MLSMessage, without its length prefix */
	cr_span ratchet_tree;  /* the tree vector, length prefix included:
				  what mls_group_join_ex takes */
} mls_welcome_tree;

cr_err mls_welcome_tree_read(cr_reader *r, mls_welcome_tree *out) CR_MUST_CHECK;
cr_err mls_welcome_tree_decode(const uint8_t *p, size_t n, mls_welcome_tree *out) CR_MUST_CHECK;
/* CR_ERR_ARG in the writer if ratchet_tree is not exactly one non-empty
 * vector within the bounds, or the welcome is empty or too long. */
void mls_welcome_tree_write(cr_writer *w, const mls_welcome_tree *wt);
/* The two outputs of mls_group_commit_ex in one malloc'ed buffer *out. */
cr_err mls_welcome_tree_pack(const uint8_t *welcome, size_t welcome_len, const uint8_t *tree, size_t tree_len,
			     uint8_t **out, size_t *out_len) CR_MUST_CHECK;

#endif
