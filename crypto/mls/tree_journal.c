/*
 * tree_journal.c: undo journal and redo list of a ratchet tree (see
 * tree_journal.h).
 */
#include <stdlib.h>
#include <string.h>

#include "tree_journal.h"

static void contents_free(mls_node *nd)
{
	mls_leaf_free(&nd->leaf);
	mls_parent_free(&nd->parent);
	memset(nd, 0, sizeof *nd);
}

static cr_err node_deep_copy(mls_node *dst, const mls_node *src)
{
	*dst = *src;
	memset(&dst->leaf, 0, sizeof dst->leaf);
	memset(&dst->parent, 0, sizeof dst->parent);
	dst->logged = dst->aliased = false;
	if (src->type == MLS_NODE_LEAF)
		return mls_leaf_copy(&dst->leaf, &src->leaf);
	if (src->type == MLS_NODE_PARENT)
		return mls_parent_copy(&dst->parent, &src->parent);
	return CR_OK;
}

void mls_tree_journal_begin(mls_tree *t, mls_tree_journal *j)
{
	memset(j, 0, sizeof *j);
	j->old_leaves = t->n_leaves;
	t->jr = j;
}

cr_err mls_tree_journal_reserve(mls_tree *t, size_t n)
{
	mls_tree_journal *j = t->jr;
	if (!j || j->cap - j->n >= n)
		return CR_OK;
	size_t nc = j->cap ? j->cap : 32;
	while (nc - j->n < n)
		nc *= 2;
	mls_tree_saved *q = realloc(j->v, nc * sizeof *q);
	CR_ENSURE(q, CR_ERR_NOMEM);
	j->v = q;
	j->cap = nc;
	return CR_OK;
}

void mls_tree_touch(mls_tree *t, uint32_t x)
{
	mls_tree_journal *j = t->jr;
	mls_node *nd = &t->nodes[x];
	if (!j || nd->logged)
		return;
	if (mls_tree_journal_reserve(t, 1) != CR_OK) {
		j->failed = true; /* reserved beforehand: only on a caller's bug */
		return;
	}
	mls_tree_saved *s = &j->v[j->n++];
	s->x = x;
	s->node = *nd;
	nd->logged = true;
	nd->aliased = nd->type != MLS_NODE_BLANK;
}

cr_err mls_tree_own(mls_tree *t, uint32_t x)
{
	mls_node *nd = &t->nodes[x];
	if (!nd->aliased)
		return CR_OK;
	mls_node copy;
	CR_TRY(node_deep_copy(&copy, nd));
	copy.logged = nd->logged;
	*nd = copy;
	return CR_OK;
}

void mls_tree_node_release(mls_tree *t, uint32_t x)
{
	mls_node *nd = &t->nodes[x];
	bool logged = nd->logged;
	if (nd->aliased)
		memset(nd, 0, sizeof *nd);
	else
		contents_free(nd);
	nd->logged = logged;
}

static void journal_end(mls_tree *t)
{
	free(t->jr->v);
	memset(t->jr, 0, sizeof *t->jr);
	t->jr = NULL;
}

void mls_tree_journal_undo(mls_tree *t)
{
	mls_tree_journal *j = t->jr;
	if (!j)
		return;
	uint32_t w = mls_tree_width(t), ow = mls_tm_node_width(j->old_leaves);
	/* Drop every new content, then put the saved ones back. */
	for (size_t i = 0; i < j->n; i++)
		if (j->v[i].x < w)
			mls_tree_node_release(t, j->v[i].x);
	for (uint32_t x = ow; x < w; x++)
		mls_tree_node_release(t, x);
	/* A journaled shrink kept the allocation: cap >= ow. */
	if (ow > w)
		memset(t->nodes + w, 0, (size_t)(ow - w) * sizeof *t->nodes);
	t->n_leaves = j->old_leaves;
	for (size_t i = 0; i < j->n; i++) {
		mls_tree_saved *s = &j->v[i];
		if (s->x < ow) {
			t->nodes[s->x] = s->node;
			t->nodes[s->x].logged = t->nodes[s->x].aliased = false;
		} else {
			contents_free(&s->node);
		}
	}
	journal_end(t);
}

cr_err mls_tree_journal_keep(mls_tree *t)
{
	mls_tree_journal *j = t->jr;
	if (!j)
		return CR_OK;
	if (j->failed) {
		mls_tree_journal_undo(t);
		return CR_ERR_NOMEM;
	}
	uint32_t w = mls_tree_width(t);
	for (size_t i = 0; i < j->n; i++) {
		mls_tree_saved *s = &j->v[i];
		if (s->x < w && t->nodes[s->x].aliased)
			t->nodes[s->x].aliased = false; /* the node keeps the buffers */
		else
			contents_free(&s->node);
		if (s->x < w)
			t->nodes[s->x].logged = false;
	}
	journal_end(t);
	return CR_OK;
}

void mls_tree_redo_free(mls_tree_redo *r)
{
	for (size_t i = 0; i < r->n; i++)
		contents_free(&r->v[i].node);
	free(r->v);
	memset(r, 0, sizeof *r);
}

cr_err mls_tree_journal_redo(const mls_tree *t, mls_tree_redo *r)
{
	const mls_tree_journal *j = t->jr;
	memset(r, 0, sizeof *r);
	CR_ENSURE(j && !j->failed, j ? CR_ERR_NOMEM : CR_ERR_STATE);
	uint32_t w = mls_tree_width(t);
	r->v = malloc((j->n ? j->n : 1) * sizeof *r->v);
	CR_ENSURE(r->v, CR_ERR_NOMEM);
	for (size_t i = 0; i < j->n; i++) {
		uint32_t x = j->v[i].x;
		if (x >= w)
			continue;
		r->v[r->n].x = x;
		cr_err err = node_deep_copy(&r->v[r->n].node, &t->nodes[x]);
		if (err) {
			mls_tree_redo_free(r);
			return err;
		}
		r->n++;
	}
	r->n_leaves = t->n_leaves;
	return CR_OK;
}

cr_err mls_tree_redo_apply(mls_tree *t, mls_tree_redo *r)
{
	CR_ENSURE(!t->jr && r->n_leaves > 0, CR_ERR_STATE);
	CR_TRY(mls_tree_resize(t, r->n_leaves));
	for (size_t i = 0; i < r->n; i++) {
		mls_tree_node_release(t, r->v[i].x);
		t->nodes[r->v[i].x] = r->v[i].node;
	}
	free(r->v);
	memset(r, 0, sizeof *r);
	return CR_OK;
}
