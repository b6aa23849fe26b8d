/*
 * tree.h: the MLS ratchet tree (RFC 9420 sections 4, 7, 12.1.1-12.1.3,
 * 12.4.3.1, 12.4.3.3), cipher suite 0x0001 (SHA-256 tree and parent hashes).
 *
 * Representation: the array of RFC 9420 appendix C. nodes[] has
 * mls_tm_node_width(n_leaves) entries; n_leaves is a power of two, at least
 * 1 and at most MLS_TREE_MAX_LEAVES. Leaf L is node 2L; even nodes are
 * blank or leaves, odd nodes blank or parents (the decoder enforces it).
 * The tree owns its nodes (leaf encodings, unmerged lists); free it with
 * mls_tree_free. A zeroed mls_tree is an empty tree that is safe to free.
 *
 * Tree hashes (RFC 9420 section 7.8) are cached per node: a change to a node
 * invalidates that node and its ancestors only, so after a leaf change or an
 * UpdatePath, mls_tree_root_hash() recomputes O(log n) hashes. A valid cached
 * node implies a valid cached subtree.
 *
 * Invariants kept by the decoder and every operation: each parent's
 * unmerged_leaves is strictly increasing and names leaves of its own subtree.
 * Everything else a joiner must check (leaf signatures, parent-hash chains,
 * unmerged leaves being non-blank and listed in intermediate nodes, key
 * uniqueness) is mls_tree_validate().
 *
 * Costs, n leaves: decode and encode O(size); resolution O(size of the
 * subtree visited); mls_tree_validate O(n log n) hashes and comparisons
 * (sorting for key uniqueness, never pairwise).
 */
#ifndef ECHOVER_MLS_TREE_H
#define ECHOVER_MLS_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "cr_err.h"
#include "leaf.h"
#include "mls_limits.h"
#include "tree_math.h"

/* The group size bound of mls_limits.h. A blank node costs one byte on the
 * wire but a whole mls_node (a few hundred bytes) in memory, so this bounds
 * what a decoded tree can make us allocate (about 13 MB). */
#define MLS_TREE_MAX_LEAVES ((uint32_t)MLS_MAX_MEMBERS)
/* The encoded ratchet_tree vector: it arrives inside one MLS message. */
#define MLS_TREE_MAX_ENC ((size_t)MLS_MAX_MESSAGE)

enum { MLS_NODE_BLANK = 0, MLS_NODE_LEAF = 1, MLS_NODE_PARENT = 2 };

typedef struct mls_node {
	uint8_t type;            /* MLS_NODE_* */
	bool hash_ok;            /* hash caches the node's tree hash */
	bool sub_blank;          /* with hash_ok: every node of the subtree is blank */
	bool logged;             /* saved in the tree's journal (tree_journal.h) */
	bool aliased;            /* its buffers belong to the journal's saved copy */
	uint8_t hash[MLS_HASH_LEN];
	mls_leaf_node leaf;      /* type == MLS_NODE_LEAF */
	mls_parent_node parent;  /* type == MLS_NODE_PARENT */
} mls_node;

struct mls_tree_journal;

typedef struct mls_tree {
	mls_node *nodes;
	uint32_t n_leaves;
	uint32_t cap;                 /* nodes allocated (at least the width) */
	struct mls_tree_journal *jr;  /* non-NULL while changes are journaled */
} mls_tree;

/* A growable list of node indices (resolutions, paths). Free with
 * mls_nodelist_free; a zeroed list is empty. */
typedef struct mls_nodelist {
	uint32_t *v;
	size_t n, cap;
} mls_nodelist;

void mls_nodelist_free(mls_nodelist *l);
cr_err mls_nodelist_push(mls_nodelist *l, uint32_t x) CR_MUST_CHECK;

void mls_tree_free(mls_tree *t);
uint32_t mls_tree_width(const mls_tree *t);
/* A tree of one leaf holding a copy of leaf (a new group's creator). */
cr_err mls_tree_create(mls_tree *t, const mls_leaf_node *leaf) CR_MUST_CHECK;
cr_err mls_tree_copy(mls_tree *dst, const mls_tree *src) CR_MUST_CHECK;

/* optional<Node> ratchet_tree<V> (section 12.4.3.3), length prefix
 * included: the whole input must be consumed; the last node must be
 * non-blank; the tree is extended with blanks to a full tree. */
cr_err mls_tree_decode(const uint8_t *p, size_t n, mls_tree *t) CR_MUST_CHECK;
cr_err mls_tree_read(cr_reader *r, mls_tree *t) CR_MUST_CHECK;
/* The same encoding, trailing blank nodes left out. */
void mls_tree_encode(cr_writer *w, const mls_tree *t);
/* The exact length of mls_tree_encode's output, in one pass over the node
 * headers (no bytes copied), so a large tree is written into a buffer of
 * the right size instead of one grown by doubling, copied and wiped. */
size_t mls_tree_encoded_len(const mls_tree *t);

bool mls_tree_is_blank(const mls_tree *t, uint32_t x);
/* The leaf at leaf index i, or NULL when blank or out of range. */
const mls_leaf_node *mls_tree_leaf(const mls_tree *t, uint32_t i);

/* The leaf whose LeafNode encoding equals leaf's (a joiner finding itself,
 * section 12.4.3.1). CR_ERR_NOT_FOUND if none. */
cr_err mls_tree_find_leaf(const mls_tree *t, const mls_leaf_node *leaf, uint32_t *index) CR_MUST_CHECK;

/* Resolution of node x (section 4.1.1), appended to out; leaves listed in
 * excl (sorted leaf indices, the members added by the current commit) are
 * left out (section 7.6). */
cr_err mls_tree_resolution(const mls_tree *t, uint32_t x, const uint32_t *excl, size_t n_excl,
			   mls_nodelist *out) CR_MUST_CHECK;
/* Filtered direct path of leaf (section 4.1.2): direct-path nodes whose
 * copath child has a non-empty resolution. out holds MLS_TM_MAX_DEPTH. */
uint32_t mls_tree_filtered_direct_path(const mls_tree *t, uint32_t leaf,
				       uint32_t out[MLS_TM_MAX_DEPTH]);

/* Tree hash of node x (section 7.8), using and filling the cache. */
cr_err mls_tree_node_hash(mls_tree *t, uint32_t x, uint8_t out[MLS_HASH_LEN]) CR_MUST_CHECK;
cr_err mls_tree_root_hash(mls_tree *t, uint8_t out[MLS_HASH_LEN]) CR_MUST_CHECK;
/* Marks x and its ancestors as changed. */
void mls_tree_invalidate(mls_tree *t, uint32_t x);

/* Parent hash of parent node p with copath child s (section 7.9): hash of
 * ParentHashInput{p.encryption_key, p.parent_hash, original sibling tree
 * hash of s (p's unmerged leaves blanked)}. */
cr_err mls_tree_parent_hash(mls_tree *t, uint32_t p, uint32_t s, uint8_t out[MLS_HASH_LEN]) CR_MUST_CHECK;

/* Parent-hash validity of every non-blank parent (section 7.9.2, top
 * down: exactly one descendant links to each). CR_ERR_INVALID if not. */
cr_err mls_tree_verify_parent_hashes(mls_tree *t) CR_MUST_CHECK;
/* Unmerged-leaf rules and key uniqueness of section 12.4.3.1, and the
 * structural leaf rules of section 7.3 (credential type and non-default
 * extensions listed in capabilities, credential types in use supported by
 * every member). CR_ERR_INVALID if one fails. */
cr_err mls_tree_check_structure(const mls_tree *t) CR_MUST_CHECK;
/* mls_tree_check_structure for a tree that passed it before the nodes
 * changed[] (node indices; duplicates and indices past the width ignored)
 * were replaced, added or blanked: the leaf rules and unmerged lists of the
 * changed nodes, the uniqueness of their keys among themselves and against
 * every other node, and credential-type support where the changed leaves
 * alter it. A blanked node can break no rule, so removals need not be
 * listed. O(n log k) for k changed nodes, without allocating O(n).
 * CR_ERR_INVALID if one fails. */
cr_err mls_tree_check_changed(const mls_tree *t, const uint32_t *changed, size_t n_changed) CR_MUST_CHECK;

/* Verifies the signature of every non-blank leaf (section 7.3), with
 * group_id as context for the update and commit sources. CR_ERR_AUTH if
 * one fails. */
cr_err mls_tree_verify_leaves(const mls_tree *t, const uint8_t *group_id, size_t group_id_len) CR_MUST_CHECK;
/* Everything a joiner checks about a ratchet tree (section 12.4.3.1) except
 * the comparison of the root hash with the GroupInfo's tree_hash: parent
 * hashes, structure, leaf signatures. */
cr_err mls_tree_validate(mls_tree *t, const uint8_t *group_id, size_t group_id_len) CR_MUST_CHECK;

/* Tree operations (section 12.1). */
/* Add (12.1.1): copies leaf into the leftmost blank leaf (extending the
 * tree when full), adds it to the unmerged lists of its non-blank direct
 * path; *index is the new leaf index. */
cr_err mls_tree_add_leaf(mls_tree *t, const mls_leaf_node *leaf, uint32_t *index) CR_MUST_CHECK;
/* Update (12.1.2): replaces leaf i (non-blank) with a copy of leaf and
 * blanks its direct path. Section 7.3: the new encryption_key must differ
 * from the replaced one (CR_ERR_INVALID). */
cr_err mls_tree_update_leaf(mls_tree *t, uint32_t i, const mls_leaf_node *leaf) CR_MUST_CHECK;
/* Remove (12.1.3): blanks leaf i (non-blank) and its direct path, then
 * truncates the tree while its right half is blank. */
cr_err mls_tree_remove_leaf(mls_tree *t, uint32_t i) CR_MUST_CHECK;
/* Blanks node x (freeing its contents) and invalidates hashes. */
void mls_tree_blank(mls_tree *t, uint32_t x);

#endif
