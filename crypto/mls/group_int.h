/*
 * group_int.h: the layout of mls_group, shared by group.c (key packages,
 * creation, joining, application messages), group_commit.c (commits and
 * proposals) and group_state.c (serialization). Not a public API.
 *
 * An epoch's state (mls_group_ep) is everything a commit replaces; a
 * pending commit or a commit being processed is built in a separate
 * mls_group_ep and swapped in only when complete, which is how a rejected
 * message leaves the group untouched.
 */
#ifndef ECHOVER_MLS_GROUP_INT_H
#define ECHOVER_MLS_GROUP_INT_H

#include "group.h"
#include "key_schedule.h"
#include "mls_limits.h"
#include "msg_framing.h"
#include "secret_tree.h"
#include "tree.h"
#include "tree_journal.h"
#include "treekem.h"

typedef struct mls_group_ep {
	uint64_t epoch;
	mls_tree tree;
	mls_tree_priv priv;
	uint8_t tree_hash[MLS_NH];
	uint8_t confirmed[MLS_NH];
	size_t confirmed_len; /* 0 in epoch 0 (RFC 9420 8.2), else Nh */
	uint8_t interim[MLS_NH];
	size_t interim_len;
	mls_epoch_secrets sec;
	mls_secret_tree st;
} mls_group_ep;

/* A proposal received (or sent) in the current epoch, kept by reference
 * for the commit that covers it (sections 12.1, 12.4): Add, Update or
 * Remove. body (owned) is the Add's KeyPackage or the Update's LeafNode;
 * key_enc / key_sig are the keys that proposal brings into the tree, which
 * later proposals of the epoch may not reuse. own_priv is the leaf private
 * key of one's own Update, used when another member commits it. */
typedef struct mls_group_prop {
	uint8_t ref[MLS_NH];
	uint16_t type;
	uint32_t sender;
	uint32_t removed;
	uint8_t *body;
	size_t body_len;
	uint8_t key_enc[MLS_KEY_LEN];
	uint8_t key_sig[MLS_KEY_LEN];
	bool has_own_priv;
	uint8_t own_priv[MLS_KEY_LEN];
} mls_group_prop;

/* Proposals kept per epoch: more can only be a flood. */
#define MLS_GROUP_MAX_PROPS 256

struct mls_group {
	uint8_t gid[MLS_MAX_GROUP_ID];
	size_t gid_len;
	uint8_t *gc_ext;      /* GroupContext extensions content (malloc, may be NULL) */
	size_t gc_ext_len;
	uint8_t sig_seed[MLS_SIG_SEED_LEN];
	bool active;
	mls_group_ep cur;
	mls_group_prop props[MLS_GROUP_MAX_PROPS];
	size_t n_props;
	bool has_pend;
	mls_group_ep pend;
	/* A member's pending commit: pend.tree stays empty, its tree is the
	 * current one with these changes (external commits use pend.tree). */
	mls_tree_redo pend_tree;
};

void mls_group_ep_free(mls_group_ep *e);
/* The encoded GroupContext of (e's epoch, tree hash, confirmed hash). */
cr_err mls_group_gc_encode(const mls_group *g, uint64_t epoch, const uint8_t *tree_hash,
			   const uint8_t *confirmed, size_t confirmed_len, cr_writer *w) CR_MUST_CHECK;
/* Epoch keys after the tree and transcript of e are set: key schedule from
 * init_secret (NULL: joiner path not used here) and the secret tree. */
cr_err mls_group_ep_schedule(const mls_group *g, mls_group_ep *e, const uint8_t init_secret[MLS_NH],
			     const uint8_t *commit_secret) CR_MUST_CHECK;
/* Our leaf fields as a KeyPackage carries them (RFC 9420 section 10): the
 * signature key of sig_seed, a basic credential `identity`, MLS 1.0, suite 1
 * and basic credentials only, the lifetime given; other fields untouched. */
cr_err mls_group_kp_leaf_fields(mls_leaf_fields *f, const uint8_t sig_seed[MLS_SIG_SEED_LEN], const uint8_t *identity,
				size_t identity_len, uint64_t not_before, uint64_t not_after) CR_MUST_CHECK;
/* Allocates an empty group. */
cr_err mls_group_alloc(mls_group **g) CR_MUST_CHECK;
/* The confirmed transcript hash after a commit (RFC 9420 section 8.2):
 * Hash(prev's interim || wire_format || FramedContent || signature). */
cr_err mls_group_confirmed_hash(uint8_t out[MLS_NH], const mls_group_ep *prev, const mls_framed_content *fc,
				cr_span sig) CR_MUST_CHECK;
/* e becomes the current epoch (the old one is freed, e wiped); the
 * proposals of the old epoch are dropped. */
void mls_group_enter_epoch(mls_group *g, mls_group_ep *e);

/* group_proposal.c. Drops (and wipes) the proposals of the epoch. */
void mls_group_props_clear(mls_group *g);
/* Stores a proposal sent by a member (pm verified by the caller, or our
 * own), after the checks of section 12.1 against the current tree and the
 * proposals already kept; own_priv: our Update's leaf key, else NULL. */
cr_err mls_group_props_store(mls_group *g, const mls_public_message *pm, const uint8_t *own_priv) CR_MUST_CHECK;
/* The stored proposal with reference ref, or NULL. */
const mls_group_prop *mls_group_props_find(const mls_group *g, cr_span ref);
/* Whether stored proposal i goes into a commit by committer (section
 * 12.2): not one's own Update, not an Update superseded by a later one of
 * the same member or by a Remove of its leaf (stored, or among the
 * removes[n_removes] the committer adds). */
bool mls_group_props_committed(const mls_group *g, size_t i, uint32_t committer, const uint32_t *removes,
			       size_t n_removes);

#endif
