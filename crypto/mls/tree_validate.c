/*
 * tree_validate.c: the checks a ratchet tree from a peer must pass before it
 * is used (RFC 9420 sections 7.3, 7.9.2, 12.4.3.1): its structure (unmerged
 * leaves, unique keys, credential types every member supports), after a
 * change only the changed nodes, every leaf (mls_leaf_verify), and
 * mls_tree_validate(), which runs them all with the parent-hash check of
 * tree.c.
 */
#include <stdlib.h>
#include <string.h>

#include "tree.h"

static int cmp_key(const void *a, const void *b)
{
	return memcmp(a, b, MLS_KEY_LEN);
}

/* True when the sorted array of n keys has a duplicate. */
static bool has_dup(uint8_t (*keys)[MLS_KEY_LEN], size_t n)
{
	qsort(keys, n, MLS_KEY_LEN, cmp_key);
	for (size_t i = 1; i < n; i++)
		if (memcmp(keys[i - 1], keys[i], MLS_KEY_LEN) == 0)
			return true;
	return false;
}

cr_err mls_tree_check_structure(const mls_tree *t)
{
	uint32_t w = mls_tree_width(t);
	uint8_t(*enc)[MLS_KEY_LEN] = malloc((size_t)w * MLS_KEY_LEN);
	uint8_t(*sig)[MLS_KEY_LEN] = malloc((size_t)t->n_leaves * MLS_KEY_LEN);
	cr_err err = CR_OK;
	size_t ne = 0, ns = 0;
	bool basic = false, x509 = false;
	if (!enc || !sig) {
		err = CR_ERR_NOMEM;
		goto out;
	}
	for (uint32_t x = 0; x < w; x++) {
		const mls_node *nd = &t->nodes[x];
		if (nd->type == MLS_NODE_LEAF) {
			if (mls_leaf_check(&nd->leaf, 0) != CR_OK) {
				err = CR_ERR_INVALID;
				goto out;
			}
			basic |= nd->leaf.credential_type == MLS_CRED_BASIC;
			x509 |= nd->leaf.credential_type == MLS_CRED_X509;
			memcpy(enc[ne++], nd->leaf.encryption_key, MLS_KEY_LEN);
			memcpy(sig[ns++], nd->leaf.signature_key, MLS_KEY_LEN);
		} else if (nd->type == MLS_NODE_PARENT) {
			memcpy(enc[ne++], nd->parent.encryption_key, MLS_KEY_LEN);
			const mls_parent_node *pn = &nd->parent;
			for (size_t i = 0; i < pn->n_unmerged; i++) {
				uint32_t u = pn->unmerged[i];
				/* Section 12.4.3.1: a non-blank descendant leaf
				 * (descent is a decoder invariant), listed in every
				 * non-blank node between it and x. */
				if (2 * u >= w || !mls_tm_in_subtree(2 * u, x) ||
				    t->nodes[2 * u].type != MLS_NODE_LEAF) {
					err = CR_ERR_INVALID;
					goto out;
				}
				for (uint32_t y = mls_tm_parent(2 * u); y != x; y = mls_tm_parent(y))
					if (t->nodes[y].type == MLS_NODE_PARENT &&
					    !mls_parent_has_unmerged(&t->nodes[y].parent, u)) {
						err = CR_ERR_INVALID;
						goto out;
					}
			}
		}
	}
	/* Credential types in use must be supported by every member. */
	for (uint32_t i = 0; i < t->n_leaves; i++) {
		const mls_leaf_node *l = mls_tree_leaf(t, i);
		if (l && ((basic && !mls_u16_list_has(l->caps.credentials, MLS_CRED_BASIC)) ||
			  (x509 && !mls_u16_list_has(l->caps.credentials, MLS_CRED_X509)))) {
			err = CR_ERR_INVALID;
			goto out;
		}
	}
	/* Sections 7.3 and 12.4.3.1: unique encryption and signature keys;
	 * by sorting, O(n log n). */
	if (has_dup(enc, ne) || has_dup(sig, ns))
		err = CR_ERR_INVALID;
out:
	free(enc);
	free(sig);
	return err;
}

static int cmp_u32_key(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static bool key_in(uint8_t (*keys)[MLS_KEY_LEN], size_t n, const uint8_t *k)
{
	return n && bsearch(k, keys, n, MLS_KEY_LEN, cmp_key) != NULL;
}

/* A set of the first 8 bytes of a few keys, so that the scan of every node
 * in mls_tree_check_changed costs a probe, not a binary search of memcmps;
 * a hit is then confirmed exactly with key_in. */
typedef struct prefix_set {
	uint64_t *v; /* 0: empty slot (a key prefix of 0 is stored as 1) */
	size_t mask;
} prefix_set;

static uint64_t prefix_of(const uint8_t *k)
{
	uint64_t x;
	memcpy(&x, k, sizeof x);
	return x ? x : 1;
}

static cr_err prefix_set_init(prefix_set *s, size_t n)
{
	size_t cap = 64;
	while (cap < 4 * n)
		cap *= 2;
	s->v = calloc(cap, sizeof *s->v);
	s->mask = cap - 1;
	return s->v ? CR_OK : CR_ERR_NOMEM;
}

static void prefix_set_add(prefix_set *s, const uint8_t *k)
{
	uint64_t x = prefix_of(k);
	size_t i = (size_t)(x * 0x9e3779b97f4a7c15u >> 32) & s->mask;
	while (s->v[i] && s->v[i] != x)
		i = (i + 1) & s->mask;
	s->v[i] = x;
}

static bool prefix_set_has(const prefix_set *s, const uint8_t *k)
{
	uint64_t x = prefix_of(k);
	size_t i = (size_t)(x * 0x9e3779b97f4a7c15u >> 32) & s->mask;
	while (s->v[i]) {
		if (s->v[i] == x)
			return true;
		i = (i + 1) & s->mask;
	}
	return false;
}

/* The in-use credential types of leaves a set; bit 0 basic, bit 1 x509. */
static unsigned cred_bit(const mls_leaf_node *l)
{
	return l->credential_type == MLS_CRED_BASIC ? 1u : l->credential_type == MLS_CRED_X509 ? 2u : 0u;
}

static bool supports(const mls_leaf_node *l, unsigned types)
{
	return (!(types & 1u) || mls_u16_list_has(l->caps.credentials, MLS_CRED_BASIC)) &&
	       (!(types & 2u) || mls_u16_list_has(l->caps.credentials, MLS_CRED_X509));
}

cr_err mls_tree_check_changed(const mls_tree *t, const uint32_t *changed, size_t n_changed)
{
	uint32_t w = mls_tree_width(t);
	uint32_t *ch = malloc((n_changed + 1) * sizeof *ch);
	uint8_t(*enc)[MLS_KEY_LEN] = malloc((n_changed + 1) * MLS_KEY_LEN);
	uint8_t(*sig)[MLS_KEY_LEN] = malloc((n_changed + 1) * MLS_KEY_LEN);
	cr_err err = CR_ERR_INVALID;
	size_t nc = 0, ne = 0, ns = 0;
	unsigned used_all = 0, used_kept = 0;
	prefix_set pre = { 0 };
	if (!ch || !enc || !sig) {
		err = CR_ERR_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < n_changed; i++)
		if (changed[i] < w)
			ch[nc++] = changed[i];
	qsort(ch, nc, sizeof *ch, cmp_u32_key);
	/* The changed nodes alone: leaf rules, unmerged lists, their keys. */
	for (size_t i = 0; i < nc; i++) {
		if (i && ch[i] == ch[i - 1])
			continue;
		uint32_t x = ch[i];
		const mls_node *nd = &t->nodes[x];
		if (nd->type == MLS_NODE_LEAF) {
			if (mls_leaf_check(&nd->leaf, 0) != CR_OK)
				goto out;
			memcpy(enc[ne++], nd->leaf.encryption_key, MLS_KEY_LEN);
			memcpy(sig[ns++], nd->leaf.signature_key, MLS_KEY_LEN);
		} else if (nd->type == MLS_NODE_PARENT) {
			memcpy(enc[ne++], nd->parent.encryption_key, MLS_KEY_LEN);
			const mls_parent_node *pn = &nd->parent;
			for (size_t j = 0; j < pn->n_unmerged; j++) {
				uint32_t u = pn->unmerged[j];
				if (2 * u >= w || !mls_tm_in_subtree(2 * u, x) || t->nodes[2 * u].type != MLS_NODE_LEAF)
					goto out;
				for (uint32_t y = mls_tm_parent(2 * u); y != x; y = mls_tm_parent(y))
					if (t->nodes[y].type == MLS_NODE_PARENT &&
					    !mls_parent_has_unmerged(&t->nodes[y].parent, u))
						goto out;
			}
		}
	}
	if (has_dup(enc, ne) || has_dup(sig, ns))
		goto out;
	if (prefix_set_init(&pre, ne + ns) != CR_OK) {
		err = CR_ERR_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < ne; i++)
		prefix_set_add(&pre, enc[i]);
	for (size_t i = 0; i < ns; i++)
		prefix_set_add(&pre, sig[i]);
	/* Every unchanged node against the changed keys: O(n) probes; ch is
	 * sorted, so walking it alongside x tells the changed nodes apart. */
	size_t next = 0;
	for (uint32_t x = 0; x < w; x++) {
		const mls_node *nd = &t->nodes[x];
		while (next < nc && ch[next] < x)
			next++;
		bool is_changed = next < nc && ch[next] == x;
		if (nd->type == MLS_NODE_BLANK)
			continue;
		if (nd->type == MLS_NODE_LEAF) {
			used_all |= cred_bit(&nd->leaf);
			if (!is_changed)
				used_kept |= cred_bit(&nd->leaf);
		}
		if (is_changed)
			continue;
		if (nd->type == MLS_NODE_LEAF) {
			const uint8_t *ek = nd->leaf.encryption_key, *sk = nd->leaf.signature_key;
			if ((prefix_set_has(&pre, ek) && key_in(enc, ne, ek)) ||
			    (prefix_set_has(&pre, sk) && key_in(sig, ns, sk)))
				goto out;
		} else if (prefix_set_has(&pre, nd->parent.encryption_key) &&
			   key_in(enc, ne, nd->parent.encryption_key)) {
			goto out;
		}
	}
	/* Credential types in use: the unchanged leaves supported those they
	 * used themselves; changed leaves must support all of them, and every
	 * leaf a type only changed leaves brought (when there is none, only
	 * the changed leaves need a look). */
	unsigned brought = used_all & ~used_kept;
	for (size_t i = 0; i < nc; i++) {
		if (i && ch[i] == ch[i - 1])
			continue;
		const mls_node *nd = &t->nodes[ch[i]];
		if (nd->type == MLS_NODE_LEAF && !supports(&nd->leaf, used_all))
			goto out;
	}
	for (uint32_t i = 0; brought && i < t->n_leaves; i++) {
		const mls_leaf_node *l = mls_tree_leaf(t, i);
		if (l && !supports(l, brought))
			goto out;
	}
	err = CR_OK;
out:
	free(pre.v);
	free(ch);
	free(enc);
	free(sig);
	return err;
}

cr_err mls_tree_verify_leaves(const mls_tree *t, const uint8_t *group_id, size_t group_id_len)
{
	for (uint32_t i = 0; i < t->n_leaves; i++) {
		const mls_leaf_node *l = mls_tree_leaf(t, i);
		if (l)
			CR_TRY(mls_leaf_verify(l, group_id, group_id_len, i));
	}
	return CR_OK;
}

cr_err mls_tree_validate(mls_tree *t, const uint8_t *group_id, size_t group_id_len)
{
	CR_TRY(mls_tree_check_structure(t));
	CR_TRY(mls_tree_verify_parent_hashes(t));
	return mls_tree_verify_leaves(t, group_id, group_id_len);
}
