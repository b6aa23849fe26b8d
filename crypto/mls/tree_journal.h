/*
 * tree_journal.h: undo journal and redo list of a ratchet tree, so that a
 * commit is built or checked on the group's own tree instead of on a copy.
 *
 * Copying a tree of 10 000 members (20 000 nodes, 10 000 leaf encodings)
 * for every commit cost more than all its cryptography; a commit changes
 * O(log n) nodes plus its added leaves. While a journal is active
 * (mls_tree_journal_begin), every operation of tree.h and treekem.h saves a
 * node before it first changes it (shallowly: the saved copy takes over the
 * node's buffers, which the node keeps using until it replaces them). Then:
 *
 *   mls_tree_journal_keep   the changes stay; the saved copies are dropped.
 *   mls_tree_journal_undo   the tree is again exactly as at begin (nodes,
 *                           sizes and cached hashes).
 *   mls_tree_journal_redo   before undo: the changed nodes' new contents
 *                           (deep copies) as a redo list, which
 *                           mls_tree_redo_apply later puts into the tree
 *                           the journal started from (a pending commit,
 *                           confirmed after the server accepted it).
 *
 * Rules: a journaled tree is neither copied nor freed before keep or undo;
 * one journal per tree at a time; the journal lives on the caller's stack.
 * Costs: O(1) per changed node (plus the node's size); keep and undo are
 * O(changed nodes); a redo list is O(changed nodes) memory.
 */
#ifndef ECHOVER_MLS_TREE_JOURNAL_H
#define ECHOVER_MLS_TREE_JOURNAL_H

#include "tree.h"

typedef struct mls_tree_saved {
	uint32_t x;
	mls_node node;
} mls_tree_saved;

typedef struct mls_tree_journal {
	mls_tree_saved *v;
	size_t n, cap;
	uint32_t old_leaves;
	bool failed; /* a save could not be stored: keep and redo refuse */
} mls_tree_journal;

typedef struct mls_tree_redo {
	mls_tree_saved *v;
	size_t n;
	uint32_t n_leaves; /* 0: an empty list */
} mls_tree_redo;

void mls_tree_journal_begin(mls_tree *t, mls_tree_journal *j);
/* Room for n more saved nodes, so that the saves of one operation cannot
 * fail half way. No-op without a journal. */
cr_err mls_tree_journal_reserve(mls_tree *t, size_t n) CR_MUST_CHECK;
/* CR_ERR_NOMEM if a save failed (the changes are undone). */
cr_err mls_tree_journal_keep(mls_tree *t) CR_MUST_CHECK;
void mls_tree_journal_undo(mls_tree *t);
cr_err mls_tree_journal_redo(const mls_tree *t, mls_tree_redo *r) CR_MUST_CHECK;

/* Applies r (consumed) to a tree without journal. CR_ERR_NOMEM leaves the
 * tree unchanged and r intact. */
cr_err mls_tree_redo_apply(mls_tree *t, mls_tree_redo *r) CR_MUST_CHECK;
void mls_tree_redo_free(mls_tree_redo *r);

/* For tree.c and treekem.c: save node x before its first change. */
void mls_tree_touch(mls_tree *t, uint32_t x);
/* Before changing node x's buffers in place: gives it its own copies. */
cr_err mls_tree_own(mls_tree *t, uint32_t x) CR_MUST_CHECK;
/* Empties node x: frees its buffers unless the journal owns them. */
void mls_tree_node_release(mls_tree *t, uint32_t x);
/* tree.c: resizes to n_leaves (a power of two), new nodes blank; while
 * journaled the allocation never shrinks, so an undo cannot fail. */
cr_err mls_tree_resize(mls_tree *t, uint32_t n_leaves) CR_MUST_CHECK;

#endif
