/*
 * tree.c: ratchet tree storage, codec, resolution, tree and parent hashes
 * (with the parent-hash check), and the Add/Update/Remove operations (RFC
 * 9420 sections 4, 7, 12.1). The other checks of a peer's tree are in
 * tree_validate.c.
 */
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "tree.h"
#include "tree_journal.h"

void mls_nodelist_free(mls_nodelist *l)
{
	free(l->v);
	memset(l, 0, sizeof *l);
}

cr_err mls_nodelist_push(mls_nodelist *l, uint32_t x)
{
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 16;
		uint32_t *q = realloc(l->v, nc * sizeof *q);
		CR_ENSURE(q, CR_ERR_NOMEM);
		l->v = q;
		l->cap = nc;
	}
	l->v[l->n++] = x;
	return CR_OK;
}

uint32_t mls_tree_width(const mls_tree *t)
{
	return mls_tm_node_width(t->n_leaves);
}

static void node_clear(mls_node *nd)
{
	mls_leaf_free(&nd->leaf);
	mls_parent_free(&nd->parent);
	memset(nd, 0, sizeof *nd);
}

void mls_tree_free(mls_tree *t)
{
	/* Only the owned buffers: a tree holds no secret, and clearing every
	 * node (node_clear) doubled the cost of dropping an epoch's tree. */
	if (t->nodes)
		for (uint32_t x = 0; x < mls_tree_width(t); x++) {
			free(t->nodes[x].leaf.enc);
			free(t->nodes[x].parent.unmerged);
		}
	free(t->nodes);
	memset(t, 0, sizeof *t);
}

cr_err mls_tree_resize(mls_tree *t, uint32_t n_leaves)
{
	uint32_t old = mls_tree_width(t), w = mls_tm_node_width(n_leaves);
	if (w > t->cap) {
		mls_node *q = realloc(t->nodes, (size_t)w * sizeof *q);
		CR_ENSURE(q, CR_ERR_NOMEM);
		t->nodes = q;
		t->cap = w;
	}
	if (w < old) {
		/* Journaled, the dropped nodes are saved so that an undo brings
		 * them back with their cached hashes. */
		CR_TRY(mls_tree_journal_reserve(t, old - w));
		for (uint32_t x = w; x < old; x++) {
			mls_tree_touch(t, x);
			mls_tree_node_release(t, x);
		}
		if (!t->jr) {
			mls_node *q = realloc(t->nodes, (size_t)(w ? w : 1) * sizeof *q);
			if (q) { /* else the larger block stays in use */
				t->nodes = q;
				t->cap = w;
			}
		}
	}
	if (w > old)
		memset(t->nodes + old, 0, (size_t)(w - old) * sizeof *t->nodes);
	t->n_leaves = n_leaves;
	return CR_OK;
}

/* Empties node x, saved first when journaled. */
static void node_replace(mls_tree *t, uint32_t x)
{
	mls_tree_touch(t, x);
	mls_tree_node_release(t, x);
}

/* Every change below touches at most a direct path, a leaf and the root. */
#define PATH_SAVES (2 * MLS_TM_MAX_DEPTH + 4)

void mls_tree_invalidate(mls_tree *t, uint32_t x)
{
	uint32_t r = mls_tm_root(t->n_leaves);
	for (;;) {
		mls_tree_touch(t, x);
		t->nodes[x].hash_ok = false;
		if (x == r)
			break;
		x = mls_tm_parent(x);
	}
}

void mls_tree_blank(mls_tree *t, uint32_t x)
{
	node_replace(t, x);
	mls_tree_invalidate(t, x);
}

bool mls_tree_is_blank(const mls_tree *t, uint32_t x)
{
	return x >= mls_tree_width(t) || t->nodes[x].type == MLS_NODE_BLANK;
}

const mls_leaf_node *mls_tree_leaf(const mls_tree *t, uint32_t i)
{
	if (i >= t->n_leaves || t->nodes[2 * i].type != MLS_NODE_LEAF)
		return NULL;
	return &t->nodes[2 * i].leaf;
}

cr_err mls_tree_create(mls_tree *t, const mls_leaf_node *leaf)
{
	memset(t, 0, sizeof *t);
	CR_TRY(mls_tree_resize(t, 1));
	cr_err err = mls_leaf_copy(&t->nodes[0].leaf, leaf);
	if (err) {
		mls_tree_free(t);
		return err;
	}
	t->nodes[0].type = MLS_NODE_LEAF;
	return CR_OK;
}

cr_err mls_tree_copy(mls_tree *dst, const mls_tree *src)
{
	memset(dst, 0, sizeof *dst);
	CR_TRY(mls_tree_resize(dst, src->n_leaves));
	for (uint32_t x = 0; x < mls_tree_width(src); x++) {
		const mls_node *s = &src->nodes[x];
		mls_node *d = &dst->nodes[x];
		cr_err err = CR_OK;
		if (s->type == MLS_NODE_LEAF)
			err = mls_leaf_copy(&d->leaf, &s->leaf);
		else if (s->type == MLS_NODE_PARENT)
			err = mls_parent_copy(&d->parent, &s->parent);
		if (err) {
			mls_tree_free(dst);
			return err;
		}
		d->type = s->type;
		d->hash_ok = s->hash_ok;
		d->sub_blank = s->sub_blank;
		memcpy(d->hash, s->hash, MLS_HASH_LEN);
	}
	return CR_OK;
}

/* ---- codec ---- */

/* Leaf index range [lo, hi] of the subtree under x. */
static void leaf_range(uint32_t x, uint32_t *lo, uint32_t *hi)
{
	uint32_t half = ((uint32_t)1 << mls_tm_level(x)) - 1;
	*lo = (x - half) / 2;
	*hi = (x + half) / 2;
}

cr_err mls_tree_read(cr_reader *r, mls_tree *t)
{
	memset(t, 0, sizeof *t);
	cr_reader save = *r, sub;
	cr_err err;
	size_t count = 0, cap = 0;
	CR_CHECK(cr_read_vector(r, MLS_TREE_MAX_ENC, &sub));
	while (cr_reader_left(&sub) > 0) {
		if (count >= (size_t)mls_tm_node_width(MLS_TREE_MAX_LEAVES)) {
			err = CR_ERR_LIMIT;
			goto out;
		}
		if (count == cap) {
			size_t nc = cap ? cap * 2 : 16;
			mls_node *q = realloc(t->nodes, nc * sizeof *q);
			if (!q) {
				err = CR_ERR_NOMEM;
				goto out;
			}
			memset(q + cap, 0, (nc - cap) * sizeof *q);
			t->nodes = q;
			cap = nc;
			/* Keep n_leaves covering every node written so far, so
			 * that the error path frees them all. */
		}
		mls_node *nd = &t->nodes[count];
		bool present;
		CR_CHECK(cr_read_bool(&sub, &present));
		if (present) {
			uint8_t type;
			CR_CHECK(cr_read_u8(&sub, &type));
			bool even = count % 2 == 0;
			if ((even && type != MLS_NODE_LEAF) || (!even && type != MLS_NODE_PARENT)) {
				err = CR_ERR_MALFORMED;
				goto out;
			}
			if (type == MLS_NODE_LEAF)
				CR_CHECK(mls_leaf_decode(&sub, &nd->leaf));
			else
				CR_CHECK(mls_parent_decode(&sub, MLS_TREE_MAX_LEAVES, &nd->parent));
			nd->type = type;
		}
		count++;
	}
	/* Section 12.4.3.3: the last node must be non-blank. */
	if (count == 0 || t->nodes[count - 1].type == MLS_NODE_BLANK) {
		err = CR_ERR_MALFORMED;
		goto out;
	}
	uint32_t nl = 1;
	while (mls_tm_node_width(nl) < count)
		nl *= 2;
	if (nl > MLS_TREE_MAX_LEAVES) {
		err = CR_ERR_LIMIT;
		goto out;
	}
	{
		uint32_t w = mls_tm_node_width(nl);
		mls_node *q = realloc(t->nodes, (size_t)w * sizeof *q);
		if (!q) {
			err = CR_ERR_NOMEM;
			goto out;
		}
		if (w > cap)
			memset(q + cap, 0, (size_t)(w - cap) * sizeof *q);
		t->nodes = q;
		cap = w;
		t->n_leaves = nl;
		t->cap = w;
	}
	/* Unmerged leaves must lie under their parent. */
	for (uint32_t x = 1; x < mls_tree_width(t); x += 2) {
		const mls_parent_node *pn = &t->nodes[x].parent;
		uint32_t lo, hi;
		leaf_range(x, &lo, &hi);
		for (size_t i = 0; i < pn->n_unmerged; i++)
			if (pn->unmerged[i] < lo || pn->unmerged[i] > hi) {
				err = CR_ERR_MALFORMED;
				goto out;
			}
	}
	return CR_OK;
out:
	if (t->nodes)
		for (size_t i = 0; i < cap; i++)
			node_clear(&t->nodes[i]);
	free(t->nodes);
	memset(t, 0, sizeof *t);
	*r = save;
	return err;
}

cr_err mls_tree_decode(const uint8_t *p, size_t n, mls_tree *t)
{
	cr_reader r;
	cr_reader_init(&r, p, n);
	CR_TRY(mls_tree_read(&r, t));
	if (cr_reader_end(&r) != CR_OK) {
		mls_tree_free(t);
		return CR_ERR_MALFORMED;
	}
	return CR_OK;
}

void mls_tree_encode(cr_writer *w, const mls_tree *t)
{
	uint32_t end = mls_tree_width(t);
	while (end > 0 && t->nodes[end - 1].type == MLS_NODE_BLANK)
		end--;
	size_t m = cr_write_vector_begin(w);
	for (uint32_t x = 0; x < end; x++) {
		const mls_node *nd = &t->nodes[x];
		cr_write_bool(w, nd->type != MLS_NODE_BLANK);
		if (nd->type == MLS_NODE_LEAF) {
			cr_write_u8(w, MLS_NODE_LEAF);
			mls_leaf_encode(w, &nd->leaf);
		} else if (nd->type == MLS_NODE_PARENT) {
			cr_write_u8(w, MLS_NODE_PARENT);
			mls_parent_encode(w, &nd->parent);
		}
	}
	cr_write_vector_end(w, m);
}

size_t mls_tree_encoded_len(const mls_tree *t)
{
	uint32_t end = mls_tree_width(t);
	while (end > 0 && t->nodes[end - 1].type == MLS_NODE_BLANK)
		end--;
	size_t body = 0;
	for (uint32_t x = 0; x < end; x++) {
		const mls_node *nd = &t->nodes[x];
		body += 1; /* presence */
		if (nd->type == MLS_NODE_LEAF) {
			body += 1 + nd->leaf.enc_len;
		} else if (nd->type == MLS_NODE_PARENT) {
			const mls_parent_node *pn = &nd->parent;
			size_t um = pn->n_unmerged * 4;
			body += 1 + cr_varint_size(MLS_KEY_LEN) + MLS_KEY_LEN + cr_varint_size(pn->parent_hash_len) +
				pn->parent_hash_len + cr_varint_size(um) + um;
		}
	}
	return cr_varint_size(body) + body;
}

cr_err mls_tree_find_leaf(const mls_tree *t, const mls_leaf_node *leaf, uint32_t *index)
{
	for (uint32_t i = 0; i < t->n_leaves; i++) {
		const mls_leaf_node *l = mls_tree_leaf(t, i);
		if (l && l->enc_len == leaf->enc_len && memcmp(l->enc, leaf->enc, l->enc_len) == 0) {
			*index = i;
			return CR_OK;
		}
	}
	return CR_ERR_NOT_FOUND;
}

/* ---- resolution ---- */

static bool in_sorted(const uint32_t *v, size_t n, uint32_t x)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid] == x)
			return true;
		if (v[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* True when some entry of sorted v lies in [lo, hi]. */
static bool any_in_range(const uint32_t *v, size_t n, uint32_t lo, uint32_t hi)
{
	size_t a = 0, b = n;
	while (a < b) {
		size_t mid = a + (b - a) / 2;
		if (v[mid] < lo)
			a = mid + 1;
		else
			b = mid;
	}
	return a < n && v[a] <= hi;
}

cr_err mls_tree_resolution(const mls_tree *t, uint32_t x, const uint32_t *excl, size_t n_excl,
			   mls_nodelist *out)
{
	const mls_node *nd = &t->nodes[x];
	if (nd->type == MLS_NODE_LEAF) {
		if (!in_sorted(excl, n_excl, x / 2))
			CR_TRY(mls_nodelist_push(out, x));
		return CR_OK;
	}
	if (nd->type == MLS_NODE_PARENT) {
		CR_TRY(mls_nodelist_push(out, x));
		for (size_t i = 0; i < nd->parent.n_unmerged; i++)
			if (!in_sorted(excl, n_excl, nd->parent.unmerged[i]))
				CR_TRY(mls_nodelist_push(out, 2 * nd->parent.unmerged[i]));
		return CR_OK;
	}
	/* A blank subtree known to be blank throughout (cached with the tree
	 * hash) resolves to nothing without a walk of all its nodes. */
	if (mls_tm_is_leaf(x) || (nd->hash_ok && nd->sub_blank))
		return CR_OK;
	CR_TRY(mls_tree_resolution(t, mls_tm_left(x), excl, n_excl, out));
	return mls_tree_resolution(t, mls_tm_right(x), excl, n_excl, out);
}

/* True when the subtree under x has a non-blank node (stops at the first). */
static bool subtree_nonblank(const mls_tree *t, uint32_t x)
{
	if (t->nodes[x].type != MLS_NODE_BLANK)
		return true;
	if (mls_tm_is_leaf(x) || (t->nodes[x].hash_ok && t->nodes[x].sub_blank))
		return false;
	return subtree_nonblank(t, mls_tm_left(x)) || subtree_nonblank(t, mls_tm_right(x));
}

uint32_t mls_tree_filtered_direct_path(const mls_tree *t, uint32_t leaf, uint32_t out[MLS_TM_MAX_DEPTH])
{
	uint32_t dp[MLS_TM_MAX_DEPTH], cp[MLS_TM_MAX_DEPTH];
	uint32_t n = mls_tm_direct_path(2 * leaf, t->n_leaves, dp);
	(void)mls_tm_copath(2 * leaf, t->n_leaves, cp);
	uint32_t c = 0;
	for (uint32_t i = 0; i < n; i++)
		if (subtree_nonblank(t, cp[i]))
			out[c++] = dp[i];
	return c;
}

/* ---- tree hash (section 7.8) ---- */

static void write_parent_filtered(cr_writer *w, const mls_parent_node *pn, const uint32_t *excl,
				  size_t n_excl)
{
	cr_write_opaque(w, pn->encryption_key, MLS_KEY_LEN);
	cr_write_opaque(w, pn->parent_hash, pn->parent_hash_len);
	size_t m = cr_write_vector_begin(w);
	for (size_t i = 0; i < pn->n_unmerged; i++)
		if (!in_sorted(excl, n_excl, pn->unmerged[i]))
			cr_write_u32(w, pn->unmerged[i]);
	cr_write_vector_end(w, m);
}

static cr_err hash_leaf(const mls_node *nd, uint32_t x, bool blank, uint8_t out[MLS_HASH_LEN])
{
	uint8_t head[6] = { MLS_NODE_LEAF, (uint8_t)((x / 2) >> 24), (uint8_t)((x / 2) >> 16),
			    (uint8_t)((x / 2) >> 8), (uint8_t)(x / 2), 0 };
	cr_sha256_ctx c;
	cr_sha256_init(&c);
	if (!blank && nd->type == MLS_NODE_LEAF) {
		head[5] = 1;
		cr_sha256_update(&c, head, sizeof head);
		cr_sha256_update(&c, nd->leaf.enc, nd->leaf.enc_len);
	} else {
		cr_sha256_update(&c, head, sizeof head);
	}
	cr_sha256_final(&c, out);
	return CR_OK;
}

static cr_err hash_parent(const mls_node *nd, const uint32_t *excl, size_t n_excl,
			  const uint8_t lh[MLS_HASH_LEN], const uint8_t rh[MLS_HASH_LEN],
			  uint8_t out[MLS_HASH_LEN])
{
	cr_writer w;
	cr_writer_init_dynamic(&w, MLS_TREE_MAX_ENC);
	cr_write_u8(&w, MLS_NODE_PARENT);
	cr_write_bool(&w, nd->type == MLS_NODE_PARENT);
	if (nd->type == MLS_NODE_PARENT)
		write_parent_filtered(&w, &nd->parent, excl, n_excl);
	cr_write_opaque(&w, lh, MLS_HASH_LEN);
	cr_write_opaque(&w, rh, MLS_HASH_LEN);
	cr_err err = cr_writer_error(&w);
	if (!err)
		cr_sha256(out, w.p, w.len);
	cr_writer_free(&w);
	return err;
}

cr_err mls_tree_node_hash(mls_tree *t, uint32_t x, uint8_t out[MLS_HASH_LEN])
{
	mls_node *nd = &t->nodes[x];
	if (!nd->hash_ok) {
		if (mls_tm_is_leaf(x)) {
			CR_TRY(hash_leaf(nd, x, false, nd->hash));
			nd->sub_blank = nd->type == MLS_NODE_BLANK;
		} else {
			uint8_t lh[MLS_HASH_LEN], rh[MLS_HASH_LEN];
			uint32_t l = mls_tm_left(x), r = mls_tm_right(x);
			CR_TRY(mls_tree_node_hash(t, l, lh));
			CR_TRY(mls_tree_node_hash(t, r, rh));
			CR_TRY(hash_parent(nd, NULL, 0, lh, rh, nd->hash));
			nd->sub_blank = nd->type == MLS_NODE_BLANK && t->nodes[l].sub_blank && t->nodes[r].sub_blank;
		}
		nd->hash_ok = true;
	}
	memcpy(out, nd->hash, MLS_HASH_LEN);
	return CR_OK;
}

cr_err mls_tree_root_hash(mls_tree *t, uint8_t out[MLS_HASH_LEN])
{
	CR_ENSURE(t->n_leaves > 0, CR_ERR_STATE);
	return mls_tree_node_hash(t, mls_tm_root(t->n_leaves), out);
}

/* Tree hash of x with the leaves in excl (sorted) blanked and removed from
 * every unmerged list: cached hashes serve every subtree without them. */
static cr_err hash_excluding(mls_tree *t, uint32_t x, const uint32_t *excl, size_t n_excl,
			     uint8_t out[MLS_HASH_LEN])
{
	uint32_t lo, hi;
	leaf_range(x, &lo, &hi);
	if (!any_in_range(excl, n_excl, lo, hi))
		return mls_tree_node_hash(t, x, out);
	if (mls_tm_is_leaf(x))
		return hash_leaf(&t->nodes[x], x, true, out);
	uint8_t lh[MLS_HASH_LEN], rh[MLS_HASH_LEN];
	CR_TRY(hash_excluding(t, mls_tm_left(x), excl, n_excl, lh));
	CR_TRY(hash_excluding(t, mls_tm_right(x), excl, n_excl, rh));
	return hash_parent(&t->nodes[x], excl, n_excl, lh, rh, out);
}

cr_err mls_tree_parent_hash(mls_tree *t, uint32_t p, uint32_t s, uint8_t out[MLS_HASH_LEN])
{
	const mls_parent_node *pn = &t->nodes[p].parent;
	CR_ENSURE(t->nodes[p].type == MLS_NODE_PARENT, CR_ERR_ARG);
	uint8_t sh[MLS_HASH_LEN];
	CR_TRY(hash_excluding(t, s, pn->unmerged, pn->n_unmerged, sh));
	uint8_t buf[1 + MLS_KEY_LEN + 1 + MLS_HASH_LEN + 1 + MLS_HASH_LEN];
	cr_writer w;
	cr_writer_init_fixed(&w, buf, sizeof buf);
	cr_write_opaque(&w, pn->encryption_key, MLS_KEY_LEN);
	cr_write_opaque(&w, pn->parent_hash, pn->parent_hash_len);
	cr_write_opaque(&w, sh, MLS_HASH_LEN);
	CR_TRY(cr_writer_error(&w));
	cr_sha256(out, buf, w.len);
	return CR_OK;
}

/* ---- parent hash verification (section 7.9.2) ---- */

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* The parent_hash carried by node d, if any. */
static bool node_parent_hash(const mls_node *nd, cr_span *ph)
{
	if (nd->type == MLS_NODE_LEAF && nd->leaf.source == MLS_SRC_COMMIT) {
		*ph = nd->leaf.parent_hash;
		return true;
	}
	if (nd->type == MLS_NODE_PARENT) {
		*ph = (cr_span){ nd->parent.parent_hash, nd->parent.parent_hash_len };
		return true;
	}
	return false;
}

/* Counts the nodes D in resolution(c) whose parent hash is ph and for which
 * p's unmerged leaves under c are exactly resolution(c) minus D. */
static cr_err count_links(mls_tree *t, uint32_t p, uint32_t c, const uint8_t ph[MLS_HASH_LEN],
			  mls_nodelist *res, mls_nodelist *um, size_t *count)
{
	res->n = 0;
	um->n = 0;
	CR_TRY(mls_tree_resolution(t, c, NULL, 0, res));
	const mls_parent_node *pn = &t->nodes[p].parent;
	uint32_t lo, hi;
	leaf_range(c, &lo, &hi);
	for (size_t i = 0; i < pn->n_unmerged; i++)
		if (pn->unmerged[i] >= lo && pn->unmerged[i] <= hi)
			CR_TRY(mls_nodelist_push(um, 2 * pn->unmerged[i]));
	/* um is sorted (unmerged lists are); sort the resolution to compare. */
	qsort(res->v, res->n, sizeof *res->v, cmp_u32);
	if (res->n != um->n + 1)
		return CR_OK;
	for (size_t i = 0; i < res->n; i++) {
		cr_span dph;
		if (!node_parent_hash(&t->nodes[res->v[i]], &dph) || dph.n != MLS_HASH_LEN ||
		    memcmp(dph.p, ph, MLS_HASH_LEN) != 0)
			continue;
		/* res minus res[i] must equal um. */
		bool same = true;
		for (size_t j = 0, k = 0; j < res->n && same; j++) {
			if (j == i)
				continue;
			same = um->v[k++] == res->v[j];
		}
		if (same)
			(*count)++;
	}
	return CR_OK;
}

cr_err mls_tree_verify_parent_hashes(mls_tree *t)
{
	mls_nodelist res = { 0 }, um = { 0 };
	cr_err err = CR_OK;
	for (uint32_t p = 1; p < mls_tree_width(t); p += 2) {
		if (t->nodes[p].type != MLS_NODE_PARENT)
			continue;
		uint32_t l = mls_tm_left(p), r = mls_tm_right(p);
		uint8_t ph_l[MLS_HASH_LEN], ph_r[MLS_HASH_LEN];
		size_t count = 0;
		/* D under the left child: the copath child is the right one. */
		CR_CHECK(mls_tree_parent_hash(t, p, r, ph_l));
		CR_CHECK(mls_tree_parent_hash(t, p, l, ph_r));
		CR_CHECK(count_links(t, p, l, ph_l, &res, &um, &count));
		CR_CHECK(count_links(t, p, r, ph_r, &res, &um, &count));
		if (count != 1) {
			err = CR_ERR_INVALID;
			goto out;
		}
	}
out:
	mls_nodelist_free(&res);
	mls_nodelist_free(&um);
	return err;
}


/* ---- operations (section 12.1) ---- */

static void blank_direct_path(mls_tree *t, uint32_t x)
{
	uint32_t dp[MLS_TM_MAX_DEPTH];
	uint32_t n = mls_tm_direct_path(x, t->n_leaves, dp);
	for (uint32_t i = 0; i < n; i++)
		node_replace(t, dp[i]);
	mls_tree_invalidate(t, x);
}

cr_err mls_tree_add_leaf(mls_tree *t, const mls_leaf_node *leaf, uint32_t *index)
{
	CR_ENSURE(t->n_leaves > 0, CR_ERR_STATE);
	CR_TRY(mls_tree_journal_reserve(t, PATH_SAVES));
	uint32_t i = 0;
	while (i < t->n_leaves && t->nodes[2 * i].type != MLS_NODE_BLANK)
		i++;
	if (i == t->n_leaves) {
		CR_ENSURE(t->n_leaves < MLS_TREE_MAX_LEAVES, CR_ERR_LIMIT);
		CR_TRY(mls_tree_resize(t, t->n_leaves * 2));
	}
	mls_leaf_node copy;
	CR_TRY(mls_leaf_copy(&copy, leaf));
	uint32_t dp[MLS_TM_MAX_DEPTH];
	uint32_t n = mls_tm_direct_path(2 * i, t->n_leaves, dp);
	for (uint32_t k = 0; k < n; k++) {
		mls_node *nd = &t->nodes[dp[k]];
		if (nd->type != MLS_NODE_PARENT)
			continue;
		mls_tree_touch(t, dp[k]);
		cr_err err = mls_tree_own(t, dp[k]);
		if (!err)
			err = mls_parent_add_unmerged(&nd->parent, i);
		if (err) {
			/* Undo the lists already extended. */
			for (uint32_t j = 0; j < k; j++) {
				mls_parent_node *pn = &t->nodes[dp[j]].parent;
				size_t a = 0;
				for (size_t b = 0; b < pn->n_unmerged; b++)
					if (pn->unmerged[b] != i)
						pn->unmerged[a++] = pn->unmerged[b];
				pn->n_unmerged = a;
			}
			mls_leaf_free(&copy);
			return err;
		}
	}
	node_replace(t, 2 * i);
	mls_node *ln = &t->nodes[2 * i];
	ln->leaf = copy;
	ln->type = MLS_NODE_LEAF;
	mls_tree_invalidate(t, 2 * i);
	*index = i;
	return CR_OK;
}

cr_err mls_tree_update_leaf(mls_tree *t, uint32_t i, const mls_leaf_node *leaf)
{
	const mls_leaf_node *old = mls_tree_leaf(t, i);
	CR_ENSURE(old != NULL, CR_ERR_INVALID);
	CR_ENSURE(memcmp(old->encryption_key, leaf->encryption_key, MLS_KEY_LEN) != 0, CR_ERR_INVALID);
	CR_TRY(mls_tree_journal_reserve(t, PATH_SAVES));
	mls_leaf_node copy;
	CR_TRY(mls_leaf_copy(&copy, leaf));
	node_replace(t, 2 * i);
	mls_node *ln = &t->nodes[2 * i];
	ln->leaf = copy;
	ln->type = MLS_NODE_LEAF;
	blank_direct_path(t, 2 * i);
	return CR_OK;
}

cr_err mls_tree_remove_leaf(mls_tree *t, uint32_t i)
{
	CR_ENSURE(mls_tree_leaf(t, i) != NULL, CR_ERR_INVALID);
	CR_TRY(mls_tree_journal_reserve(t, PATH_SAVES));
	node_replace(t, 2 * i);
	blank_direct_path(t, 2 * i);
	/* Truncate while the right subtree of the root is blank. */
	while (t->n_leaves > 1) {
		uint32_t r = mls_tm_right(mls_tm_root(t->n_leaves));
		if (subtree_nonblank(t, r))
			break;
		CR_TRY(mls_tree_resize(t, t->n_leaves / 2));
	}
	return CR_OK;
}
