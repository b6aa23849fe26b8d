/*
 * group_external.h: external joins (RFC 9420 section 12.4.3.2), cipher
 * suite 0x0001 only, pure computation.
 *
 * A member publishes a GroupInfo of its current epoch
 * (mls_group_info_export: signed, with the ratchet_tree and external_pub
 * extensions; external_pub is KEM.DeriveKeyPair(external_secret), section
 * 8.6). Anyone holding it can join without a Welcome
 * (mls_group_join_external): the joiner verifies the GroupInfo (signature
 * by its signer's leaf, tree validity, tree hash), then builds a Commit
 * sent as a PublicMessage with sender new_member_commit and no membership
 * tag, whose proposals are one ExternalInit (HPKE kem_output to
 * external_pub; the new epoch's init_secret is the HPKE export, section
 * 8.3) and, when the tree already holds a leaf with the joiner's identity
 * (basic credential), a Remove of that leaf (resync). The commit carries
 * an UpdatePath from the joiner's new leaf, placed where an Add would put
 * it (leftmost blank leaf).
 *
 * The joiner's group is returned with that commit pending and the group
 * inactive: mls_group_commit_confirm once the server accepted it (the group
 * is then active in the new epoch), or mls_group_commit_discard and
 * mls_group_free when it was refused (fetch a fresh GroupInfo and retry).
 * Do not serialize the group before confirming.
 *
 * Members process the commit with mls_group_process like any other: it
 * calls mls_group_process_external for sender new_member_commit, which
 * checks the proposal list (exactly one ExternalInit of 32 bytes, at most
 * one Remove whose leaf has the joiner's credential, nothing by
 * reference; PreSharedKey proposals are CR_ERR_INVALID here), the
 * signature under the path leaf's key, the path, and the confirmation tag,
 * and changes nothing unless all pass.
 *
 * Epoch 0 cannot be exported (its confirmed transcript hash is empty, a
 * GroupInfo's GroupContext carries Nh bytes): CR_ERR_STATE.
 */
#ifndef ECHOVER_MLS_GROUP_EXTERNAL_H
#define ECHOVER_MLS_GROUP_EXTERNAL_H

#include "group.h"
#include "msg_framing.h"

/* *out: MLSMessage (GroupInfo), malloc'ed. CR_ERR_STATE when inactive,
 * in epoch 0 or with a commit pending. */
cr_err mls_group_info_export(const mls_group *g, uint8_t **out, size_t *out_len) CR_MUST_CHECK;

/* group_info: an MLSMessage (GroupInfo) from mls_group_info_export;
 * identity: the joiner's basic credential (at most MLS_IDENTITY_MAX bytes).
 * *g (new, inactive, commit pending) and *commit (MLSMessage with the
 * PublicMessage) are malloc'ed. A GroupInfo without external_pub or
 * ratchet_tree is CR_ERR_UNSUPPORTED; a bad signature CR_ERR_AUTH. */
cr_err mls_group_join_external(mls_group **g, const uint8_t *group_info, size_t group_info_len,
			       const uint8_t sig_seed[MLS_SIG_SEED_LEN], const uint8_t *identity, size_t identity_len,
			       const cr_rng *rng, uint8_t **commit, size_t *commit_len) CR_MUST_CHECK;

/* The same with the resync Remove chosen by the caller: remove is a leaf
 * index, MLS_EXT_REMOVE_NONE (no Remove) or MLS_EXT_REMOVE_SAME_IDENTITY
 * (what mls_group_join_external does). The joiner checks only that the
 * leaf exists (CR_ERR_ARG); members refuse a Remove of a leaf whose
 * credential is not the joiner's. */
#define MLS_EXT_REMOVE_NONE UINT32_MAX
#define MLS_EXT_REMOVE_SAME_IDENTITY (UINT32_MAX - 1)
cr_err mls_group_join_external_remove(mls_group **g, const uint8_t *group_info, size_t group_info_len,
				      const uint8_t sig_seed[MLS_SIG_SEED_LEN], const uint8_t *identity,
				      size_t identity_len, uint32_t remove, const cr_rng *rng, uint8_t **commit,
				      size_t *commit_len) CR_MUST_CHECK;

/* Internal (group_commit.c's mls_group_process): an external commit of the
 * current epoch whose group id and epoch were already checked. */
cr_err mls_group_process_external(mls_group *g, const mls_public_message *pm, mls_processed *what) CR_MUST_CHECK;

#endif
