/*
 * treekem.c: UpdatePath codec and the TreeKEM operations (RFC 9420
 * sections 7.4-7.6, 7.9).
 */
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "hpke.h"
#include "suite.h"
#include "treekem.h"
#include "tree_journal.h"
#include "wipe.h"
#include "x25519.h"

#define CT_WIRE_LEN (1 + MLS_KEM_OUT_LEN + 1 + MLS_PATH_CT_LEN)

/* ---- codec ---- */

void mls_update_path_free(mls_update_path *up)
{
	mls_leaf_free(&up->leaf);
	for (uint32_t i = 0; i < MLS_TM_MAX_DEPTH; i++)
		free(up->nodes[i].cts);
	memset(up, 0, sizeof *up);
}

cr_err mls_update_path_read(cr_reader *r, mls_update_path *out)
{
	memset(out, 0, sizeof *out);
	cr_reader save = *r, nodes;
	cr_err err;
	CR_CHECK(mls_leaf_decode(r, &out->leaf));
	CR_CHECK(cr_read_vector(r, (size_t)MLS_TM_MAX_DEPTH * (1 + MLS_KEY_LEN + 4 + (size_t)MLS_TREE_MAX_LEAVES * CT_WIRE_LEN),
				&nodes));
	while (cr_reader_left(&nodes) > 0) {
		if (out->n_nodes == MLS_TM_MAX_DEPTH) {
			err = CR_ERR_LIMIT;
			goto out;
		}
		mls_update_path_node *nd = &out->nodes[out->n_nodes];
		cr_reader cts;
		CR_CHECK(cr_read_opaque_fixed(&nodes, MLS_KEY_LEN, nd->encryption_key));
		CR_CHECK(cr_read_vector(&nodes, (size_t)MLS_TREE_MAX_LEAVES * CT_WIRE_LEN, &cts));
		size_t left = cr_reader_left(&cts);
		if (left % CT_WIRE_LEN != 0) {
			err = CR_ERR_MALFORMED;
			goto out;
		}
		size_t cnt = left / CT_WIRE_LEN;
		if (cnt) {
			nd->cts = malloc(cnt * sizeof *nd->cts);
			if (!nd->cts) {
				err = CR_ERR_NOMEM;
				goto out;
			}
		}
		out->n_nodes++;
		for (size_t i = 0; i < cnt; i++) {
			CR_CHECK(cr_read_opaque_fixed(&cts, MLS_KEM_OUT_LEN, nd->cts[i].kem_output));
			CR_CHECK(cr_read_opaque_fixed(&cts, MLS_PATH_CT_LEN, nd->cts[i].ciphertext));
			nd->n_cts++;
		}
	}
	return CR_OK;
out:
	mls_update_path_free(out);
	*r = save;
	return err;
}

cr_err mls_update_path_decode(const uint8_t *p, size_t n, mls_update_path *out)
{
	cr_reader r;
	cr_reader_init(&r, p, n);
	CR_TRY(mls_update_path_read(&r, out));
	if (cr_reader_end(&r) != CR_OK) {
		mls_update_path_free(out);
		return CR_ERR_MALFORMED;
	}
	return CR_OK;
}

void mls_update_path_write(cr_writer *w, const mls_update_path *up)
{
	mls_leaf_encode(w, &up->leaf);
	size_t m = cr_write_vector_begin(w);
	for (uint32_t i = 0; i < up->n_nodes; i++) {
		const mls_update_path_node *nd = &up->nodes[i];
		cr_write_opaque(w, nd->encryption_key, MLS_KEY_LEN);
		size_t m2 = cr_write_vector_begin(w);
		for (size_t k = 0; k < nd->n_cts; k++) {
			cr_write_opaque(w, nd->cts[k].kem_output, MLS_KEM_OUT_LEN);
			cr_write_opaque(w, nd->cts[k].ciphertext, MLS_PATH_CT_LEN);
		}
		cr_write_vector_end(w, m2);
	}
	cr_write_vector_end(w, m);
}

/* ---- private state ---- */

void mls_tree_priv_wipe(mls_tree_priv *p)
{
	cr_wipe(p, sizeof *p);
}

void mls_treekem_secrets_wipe(mls_treekem_secrets *s)
{
	cr_wipe(s, sizeof *s);
}

/* node_secret = DeriveSecret(path_secret, "node"); DeriveKeyPair. */
static cr_err node_keypair(const uint8_t ps[MLS_PATH_SECRET_LEN], uint8_t priv[MLS_KEY_LEN], uint8_t pub[MLS_KEY_LEN])
{
	uint8_t ns[MLS_NH];
	cr_err err = mls_derive_secret(ns, ps, MLS_PATH_SECRET_LEN, "node");
	if (!err)
		err = mls_hpke_derive_keypair(priv, pub, ns, sizeof ns);
	cr_wipe(ns, sizeof ns);
	return err;
}

static void priv_store(mls_tree_priv *p, uint32_t x, const uint8_t priv[MLS_KEY_LEN])
{
	uint32_t i = 0;
	while (i < p->n && p->node[i] != x)
		i++;
	if (i == p->n) {
		if (p->n == MLS_TM_MAX_DEPTH)
			return; /* cannot happen: only direct-path nodes are stored */
		p->n++;
	}
	p->node[i] = x;
	memcpy(p->priv[i], priv, MLS_KEY_LEN);
}

cr_err mls_tree_priv_set_path_secret(mls_tree_priv *p, uint32_t x, const uint8_t path_secret[MLS_PATH_SECRET_LEN],
				     uint8_t pub[MLS_KEY_LEN])
{
	CR_ENSURE(!mls_tm_is_leaf(x) && mls_tm_in_subtree(2 * p->leaf, x), CR_ERR_ARG);
	uint8_t priv[MLS_KEY_LEN], pk[MLS_KEY_LEN];
	cr_err err = node_keypair(path_secret, priv, pk);
	if (!err) {
		priv_store(p, x, priv);
		if (pub)
			memcpy(pub, pk, MLS_KEY_LEN);
	}
	cr_wipe(priv, sizeof priv);
	return err;
}

cr_err mls_tree_priv_check(const mls_tree_priv *p, const mls_tree *t)
{
	uint8_t pub[MLS_KEY_LEN];
	const mls_leaf_node *l = mls_tree_leaf(t, p->leaf);
	CR_ENSURE(l, CR_ERR_INVALID);
	CR_TRY(cr_x25519_public(pub, p->leaf_priv));
	CR_ENSURE(memcmp(pub, l->encryption_key, MLS_KEY_LEN) == 0, CR_ERR_INVALID);
	for (uint32_t i = 0; i < p->n; i++) {
		uint32_t x = p->node[i];
		CR_ENSURE(x < mls_tree_width(t) && t->nodes[x].type == MLS_NODE_PARENT, CR_ERR_INVALID);
		CR_TRY(cr_x25519_public(pub, p->priv[i]));
		CR_ENSURE(memcmp(pub, t->nodes[x].parent.encryption_key, MLS_KEY_LEN) == 0, CR_ERR_INVALID);
	}
	return CR_OK;
}

/* ---- parent hash chain (section 7.9) ---- */

/* The child of parent x that does not contain leaf node ln. */
static uint32_t copath_child(uint32_t x, uint32_t ln)
{
	uint32_t l = mls_tm_left(x);
	return mls_tm_in_subtree(ln, l) ? mls_tm_right(x) : l;
}

/* Parent hashes for the new keys keys[0..n) on the filtered direct path
 * fdp of leaf node ln: ph[k] (of length ph_len[k]) is the parent_hash
 * field of fdp[k]; leaf_ph that of the leaf. Copath subtrees are not
 * changed by a path, so their cached tree hashes are the original sibling
 * tree hashes (the new nodes have no unmerged leaves). */
static cr_err chain(mls_tree *t, uint32_t ln, const uint32_t *fdp, uint32_t n,
		    const uint8_t (*keys)[MLS_KEY_LEN], uint8_t ph[][MLS_HASH_LEN], size_t *ph_len,
		    uint8_t leaf_ph[MLS_HASH_LEN], size_t *leaf_ph_len)
{
	uint8_t next[MLS_HASH_LEN];
	size_t next_len = 0;
	for (uint32_t k = n; k-- > 0;) {
		memcpy(ph[k], next, next_len);
		ph_len[k] = next_len;
		uint8_t sh[MLS_HASH_LEN];
		CR_TRY(mls_tree_node_hash(t, copath_child(fdp[k], ln), sh));
		uint8_t buf[1 + MLS_KEY_LEN + 1 + MLS_HASH_LEN + 1 + MLS_HASH_LEN];
		cr_writer w;
		cr_writer_init_fixed(&w, buf, sizeof buf);
		cr_write_opaque(&w, keys[k], MLS_KEY_LEN);
		cr_write_opaque(&w, ph[k], ph_len[k]);
		cr_write_opaque(&w, sh, MLS_HASH_LEN);
		CR_TRY(cr_writer_error(&w));
		cr_sha256(next, buf, w.len);
		next_len = MLS_HASH_LEN;
	}
	memcpy(leaf_ph, next, next_len);
	*leaf_ph_len = next_len;
	return CR_OK;
}

/* The nodes install() may save in a journal: the direct path, the leaf,
 * and the ancestors its blanking invalidates. */
#define INSTALL_SAVES (2 * MLS_TM_MAX_DEPTH + 2)

/* Blanks the direct path of leaf node ln and sets the new parents. */
static void install(mls_tree *t, uint32_t ln, const uint32_t *fdp, uint32_t n, const uint8_t (*keys)[MLS_KEY_LEN],
		    uint8_t ph[][MLS_HASH_LEN], const size_t *ph_len, mls_leaf_node *leaf)
{
	uint32_t dp[MLS_TM_MAX_DEPTH];
	uint32_t nd = mls_tm_direct_path(ln, t->n_leaves, dp);
	for (uint32_t i = 0; i < nd; i++)
		mls_tree_blank(t, dp[i]);
	for (uint32_t k = 0; k < n; k++) {
		mls_node *x = &t->nodes[fdp[k]];
		x->type = MLS_NODE_PARENT;
		memcpy(x->parent.encryption_key, keys[k], MLS_KEY_LEN);
		memcpy(x->parent.parent_hash, ph[k], ph_len[k]);
		x->parent.parent_hash_len = ph_len[k];
	}
	mls_tree_blank(t, ln);
	t->nodes[ln].leaf = *leaf;
	t->nodes[ln].type = MLS_NODE_LEAF;
	memset(leaf, 0, sizeof *leaf);
}

/* ---- committer ---- */

cr_err mls_treekem_create(mls_tree *t, uint32_t me, const mls_leaf_fields *tmpl,
			  const uint8_t sig_seed[32], const uint8_t *group_id, size_t group_id_len,
			  const cr_rng *rng, mls_tree_priv *priv, mls_treekem_secrets *sec)
{
	CR_ENSURE(mls_tree_leaf(t, me) != NULL, CR_ERR_ARG);
	uint32_t ln = 2 * me;
	mls_tree_priv np;
	memset(&np, 0, sizeof np);
	memset(sec, 0, sizeof *sec);
	uint8_t keys[MLS_TM_MAX_DEPTH][MLS_KEY_LEN], ph[MLS_TM_MAX_DEPTH][MLS_HASH_LEN];
	size_t ph_len[MLS_TM_MAX_DEPTH];
	uint8_t leaf_ph[MLS_HASH_LEN], leaf_secret[MLS_NH], ps[MLS_PATH_SECRET_LEN], leaf_pub[MLS_KEY_LEN];
	size_t leaf_ph_len;
	mls_leaf_node leaf;
	memset(&leaf, 0, sizeof leaf);
	cr_err err;

	sec->n = mls_tree_filtered_direct_path(t, me, sec->node);
	np.leaf = me;
	CR_CHECK(cr_random(rng, leaf_secret, sizeof leaf_secret));
	CR_CHECK(mls_hpke_derive_keypair(np.leaf_priv, leaf_pub, leaf_secret, sizeof leaf_secret));
	/* Section 7.4: path_secret[0] random, then DeriveSecret(., "path"). */
	CR_CHECK(cr_random(rng, ps, sizeof ps));
	for (uint32_t k = 0; k < sec->n; k++) {
		memcpy(sec->path_secret[k], ps, sizeof ps);
		CR_CHECK(mls_tree_priv_set_path_secret(&np, sec->node[k], ps, keys[k]));
		CR_CHECK(mls_derive_secret(ps, sec->path_secret[k], MLS_PATH_SECRET_LEN, "path"));
	}
	/* Section 8: commit_secret is the path secret after the root's. */
	memcpy(sec->commit_secret, ps, sizeof ps);
	CR_CHECK(chain(t, ln, sec->node, sec->n, (const uint8_t(*)[MLS_KEY_LEN])keys, ph, ph_len, leaf_ph,
		       &leaf_ph_len));
	mls_leaf_fields f = *tmpl;
	memcpy(f.encryption_key, leaf_pub, MLS_KEY_LEN);
	f.source = MLS_SRC_COMMIT;
	f.parent_hash = (cr_span){ leaf_ph, leaf_ph_len };
	CR_CHECK(mls_leaf_sign(&f, sig_seed, group_id, group_id_len, me, &leaf));
	CR_CHECK(mls_tree_journal_reserve(t, INSTALL_SAVES));
	install(t, ln, sec->node, sec->n, (const uint8_t(*)[MLS_KEY_LEN])keys, ph, ph_len, &leaf);
	mls_tree_priv_wipe(priv);
	*priv = np;
out:
	if (err)
		mls_treekem_secrets_wipe(sec);
	mls_leaf_free(&leaf);
	cr_wipe(&np, sizeof np);
	cr_wipe(leaf_secret, sizeof leaf_secret);
	cr_wipe(ps, sizeof ps);
	return err;
}

/* The public key of a non-blank node. */
static const uint8_t *node_pub(const mls_tree *t, uint32_t x)
{
	const mls_node *nd = &t->nodes[x];
	return nd->type == MLS_NODE_LEAF ? nd->leaf.encryption_key : nd->parent.encryption_key;
}

cr_err mls_treekem_encrypt(const mls_tree *t, uint32_t me, const mls_treekem_secrets *sec,
			   const uint32_t *excl, size_t n_excl, const uint8_t *group_context,
			   size_t group_context_len, const cr_rng *rng, mls_update_path *out)
{
	memset(out, 0, sizeof *out);
	const mls_leaf_node *l = mls_tree_leaf(t, me);
	CR_ENSURE(l != NULL, CR_ERR_ARG);
	mls_nodelist res = { 0 };
	cr_err err;
	CR_CHECK(mls_leaf_copy(&out->leaf, l));
	for (uint32_t k = 0; k < sec->n; k++) {
		uint32_t x = sec->node[k];
		mls_update_path_node *nd = &out->nodes[k];
		if (t->nodes[x].type != MLS_NODE_PARENT) {
			err = CR_ERR_STATE;
			goto out;
		}
		memcpy(nd->encryption_key, t->nodes[x].parent.encryption_key, MLS_KEY_LEN);
		out->n_nodes = k + 1;
		res.n = 0;
		CR_CHECK(mls_tree_resolution(t, copath_child(x, 2 * me), excl, n_excl, &res));
		if (res.n) {
			nd->cts = malloc(res.n * sizeof *nd->cts);
			if (!nd->cts) {
				err = CR_ERR_NOMEM;
				goto out;
			}
		}
		for (size_t i = 0; i < res.n; i++) {
			CR_CHECK(mls_encrypt_with_label(nd->cts[i].kem_output, nd->cts[i].ciphertext,
							node_pub(t, res.v[i]), "UpdatePathNode", group_context,
							group_context_len, sec->path_secret[k], MLS_PATH_SECRET_LEN,
							rng));
			nd->n_cts++;
		}
	}
	err = CR_OK;
out:
	mls_nodelist_free(&res);
	if (err)
		mls_update_path_free(out);
	return err;
}

/* ---- receiver ---- */

cr_err mls_treekem_merge(mls_tree *t, uint32_t sender, const mls_update_path *up, const uint8_t *group_id,
			 size_t group_id_len)
{
	CR_ENSURE(mls_tree_leaf(t, sender) != NULL, CR_ERR_INVALID);
	uint32_t fdp[MLS_TM_MAX_DEPTH], ln = 2 * sender;
	uint32_t n = mls_tree_filtered_direct_path(t, sender, fdp);
	CR_ENSURE(up->n_nodes == n, CR_ERR_INVALID);
	/* Section 7.3: a path's leaf has source commit and, as for an Update
	 * (section 7.5), a new encryption key. */
	CR_ENSURE(up->leaf.source == MLS_SRC_COMMIT, CR_ERR_INVALID);
	CR_ENSURE(memcmp(mls_tree_leaf(t, sender)->encryption_key, up->leaf.encryption_key, MLS_KEY_LEN) != 0,
		  CR_ERR_INVALID);
	uint8_t keys[MLS_TM_MAX_DEPTH][MLS_KEY_LEN], ph[MLS_TM_MAX_DEPTH][MLS_HASH_LEN], leaf_ph[MLS_HASH_LEN];
	size_t ph_len[MLS_TM_MAX_DEPTH], leaf_ph_len;
	for (uint32_t k = 0; k < n; k++)
		memcpy(keys[k], up->nodes[k].encryption_key, MLS_KEY_LEN);
	CR_TRY(chain(t, ln, fdp, n, (const uint8_t(*)[MLS_KEY_LEN])keys, ph, ph_len, leaf_ph, &leaf_ph_len));
	/* Section 7.9.2: the leaf's parent_hash must be the one computed. */
	CR_ENSURE(up->leaf.parent_hash.n == leaf_ph_len &&
			  (leaf_ph_len == 0 || memcmp(up->leaf.parent_hash.p, leaf_ph, leaf_ph_len) == 0),
		  CR_ERR_INVALID);
	CR_TRY(mls_leaf_verify(&up->leaf, group_id, group_id_len, sender));
	CR_TRY(mls_tree_journal_reserve(t, INSTALL_SAVES));
	mls_leaf_node copy;
	CR_TRY(mls_leaf_copy(&copy, &up->leaf));
	install(t, ln, fdp, n, (const uint8_t(*)[MLS_KEY_LEN])keys, ph, ph_len, &copy);
	return CR_OK;
}

/* The private key me holds for node x, or NULL. */
static const uint8_t *held(const mls_tree_priv *me, uint32_t x)
{
	if (x == 2 * me->leaf)
		return me->leaf_priv;
	for (uint32_t i = 0; i < me->n; i++)
		if (me->node[i] == x)
			return me->priv[i];
	return NULL;
}

cr_err mls_treekem_decrypt(const mls_tree *t, uint32_t sender, const mls_update_path *up,
			   const uint32_t *excl, size_t n_excl, const uint8_t *group_context,
			   size_t group_context_len, mls_tree_priv *me,
			   uint8_t path_secret[MLS_PATH_SECRET_LEN],
			   uint8_t commit_secret[MLS_PATH_SECRET_LEN])
{
	uint32_t fdp[MLS_TM_MAX_DEPTH], ln = 2 * me->leaf;
	uint32_t n = mls_tree_filtered_direct_path(t, sender, fdp);
	CR_ENSURE(up->n_nodes == n && me->leaf != sender && me->leaf < t->n_leaves, CR_ERR_INVALID);
	uint32_t k = 0;
	while (k < n && !mls_tm_in_subtree(ln, fdp[k]))
		k++;
	CR_ENSURE(k < n, CR_ERR_INVALID);
	mls_nodelist res = { 0 };
	mls_tree_priv np = *me;
	uint8_t ps[MLS_PATH_SECRET_LEN], priv[MLS_KEY_LEN], pub[MLS_KEY_LEN];
	cr_err err;
	CR_CHECK(mls_tree_resolution(t, copath_child(fdp[k], 2 * sender), excl, n_excl, &res));
	if (res.n != up->nodes[k].n_cts) {
		err = CR_ERR_INVALID;
		goto out;
	}
	size_t j = 0;
	const uint8_t *sk = NULL;
	for (; j < res.n && !(sk = held(me, res.v[j])); j++)
		;
	if (!sk) {
		err = CR_ERR_NOT_FOUND;
		goto out;
	}
	CR_CHECK(mls_decrypt_with_label(ps, sk, "UpdatePathNode", group_context, group_context_len,
					up->nodes[k].cts[j].kem_output, up->nodes[k].cts[j].ciphertext,
					MLS_PATH_CT_LEN));
	if (path_secret)
		memcpy(path_secret, ps, sizeof ps);
	/* Drop the keys of the sender's direct path: those nodes were
	 * blanked or replaced by the merge; and of nodes a Remove of this
	 * commit blanked (a removed member's direct path), which t shows. */
	uint32_t a = 0;
	for (uint32_t i = 0; i < np.n; i++)
		if (!mls_tm_in_subtree(2 * sender, np.node[i]) && t->nodes[np.node[i]].type == MLS_NODE_PARENT) {
			np.node[a] = np.node[i];
			memcpy(np.priv[a], np.priv[i], MLS_KEY_LEN);
			a++;
		}
	np.n = a;
	for (uint32_t m = k; m < n; m++) {
		CR_CHECK(node_keypair(ps, priv, pub));
		if (!cr_ct_equal(pub, up->nodes[m].encryption_key, MLS_KEY_LEN)) {
			err = CR_ERR_INVALID;
			goto out;
		}
		priv_store(&np, fdp[m], priv);
		uint8_t next[MLS_PATH_SECRET_LEN];
		err = mls_derive_secret(next, ps, MLS_PATH_SECRET_LEN, "path");
		memcpy(ps, next, sizeof ps);
		cr_wipe(next, sizeof next);
		if (err)
			goto out;
	}
	memcpy(commit_secret, ps, sizeof ps);
	mls_tree_priv_wipe(me);
	*me = np;
	err = CR_OK;
out:
	if (err && path_secret)
		cr_wipe(path_secret, MLS_PATH_SECRET_LEN);
	mls_nodelist_free(&res);
	cr_wipe(&np, sizeof np);
	cr_wipe(ps, sizeof ps);
	cr_wipe(priv, sizeof priv);
	return err;
}

cr_err mls_treekem_join(const mls_tree *t, uint32_t sender, const uint8_t path_secret[MLS_PATH_SECRET_LEN],
			mls_tree_priv *me)
{
	uint32_t fdp[MLS_TM_MAX_DEPTH], ln = 2 * me->leaf;
	CR_ENSURE(me->leaf != sender && me->leaf < t->n_leaves && sender < t->n_leaves, CR_ERR_ARG);
	uint32_t n = mls_tree_filtered_direct_path(t, sender, fdp);
	uint32_t k = 0;
	while (k < n && !mls_tm_in_subtree(ln, fdp[k]))
		k++;
	CR_ENSURE(k < n, CR_ERR_INVALID);
	mls_tree_priv np = *me;
	uint8_t ps[MLS_PATH_SECRET_LEN], next[MLS_PATH_SECRET_LEN], priv[MLS_KEY_LEN], pub[MLS_KEY_LEN];
	cr_err err = CR_OK;
	memcpy(ps, path_secret, sizeof ps);
	for (uint32_t m = k; m < n; m++) {
		const mls_node *nd = &t->nodes[fdp[m]];
		CR_CHECK(node_keypair(ps, priv, pub));
		if (nd->type != MLS_NODE_PARENT || !cr_ct_equal(pub, nd->parent.encryption_key, MLS_KEY_LEN)) {
			err = CR_ERR_INVALID;
			goto out;
		}
		priv_store(&np, fdp[m], priv);
		CR_CHECK(mls_derive_secret(next, ps, MLS_PATH_SECRET_LEN, "path"));
		memcpy(ps, next, sizeof ps);
	}
	mls_tree_priv_wipe(me);
	*me = np;
out:
	cr_wipe(&np, sizeof np);
	cr_wipe(ps, sizeof ps);
	cr_wipe(next, sizeof next);
	cr_wipe(priv, sizeof priv);
	return err;
}
