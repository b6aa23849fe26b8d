/*
 * test_mls_tree.c: ratchet tree codec, hashes, validation, operations and
 * TreeKEM (crypto/mls/tree.h, treekem.h), on groups built by the API.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ed25519.h"
#include "hpke.h"
#include "t.h"
#include "tree.h"
#include "tree_journal.h"
#include "treekem.h"

static const uint8_t u16_one[] = { 0, 1 };
static const uint8_t gid[] = { 'g', 'r', 'o', 'u', 'p' };

typedef struct member {
	uint8_t seed[32];
	mls_tree_priv priv;
} member;

/* A KeyPackage-source leaf for member i (deterministic keys). */
static bool make_leaf(uint32_t i, member *m, mls_leaf_node *out)
{
	mls_leaf_fields f;
	memset(&f, 0, sizeof f);
	memset(m->seed, (int)(i + 1), sizeof m->seed);
	m->seed[0] = (uint8_t)(i >> 8);
	uint8_t ikm[32];
	memcpy(ikm, m->seed, 32);
	ikm[31] ^= 0x55;
	memset(&m->priv, 0, sizeof m->priv);
	m->priv.leaf = i;
	if (!CHECK_OK(cr_ed25519_public(f.signature_key, m->seed)) ||
	    !CHECK_OK(mls_hpke_derive_keypair(m->priv.leaf_priv, f.encryption_key, ikm, sizeof ikm)))
		return false;
	f.credential_type = MLS_CRED_BASIC;
	f.credential = (cr_span){ (const uint8_t *)"member", 6 };
	f.caps.versions = (cr_span){ u16_one, 2 };
	f.caps.cipher_suites = (cr_span){ u16_one, 2 };
	f.caps.credentials = (cr_span){ u16_one, 2 };
	f.source = MLS_SRC_KEY_PACKAGE;
	f.not_before = 0;
	f.not_after = UINT64_MAX;
	return CHECK_OK(mls_leaf_sign(&f, m->seed, NULL, 0, 0, out));
}

static cr_rng g_rng;
static cr_rng_det g_det;

/* A group of n members built by adds, then a commit with a path from
 * leaf 0 (members get its secrets). */
static bool make_group(uint32_t n, mls_tree *t, member *ms)
{
	uint8_t s[32] = { 1, 2, 3 };
	cr_rng_det_init(&g_det, &g_rng, s);
	mls_leaf_node l;
	if (!make_leaf(0, &ms[0], &l) || !CHECK_OK(mls_tree_create(t, &l)))
		return false;
	mls_leaf_free(&l);
	for (uint32_t i = 1; i < n; i++) {
		uint32_t idx;
		if (!make_leaf(i, &ms[i], &l) || !CHECK_OK(mls_tree_add_leaf(t, &l, &idx)) || !CHECK(idx == i))
			return false;
		mls_leaf_free(&l);
	}
	mls_leaf_fields tmpl;
	mls_leaf_node keep;
	if (!CHECK_OK(mls_leaf_copy(&keep, mls_tree_leaf(t, 0))))
		return false;
	mls_leaf_fields_of(&keep, &tmpl);
	mls_treekem_secrets sec;
	mls_update_path up;
	memset(&up, 0, sizeof up);
	static const uint8_t ctx[] = "epoch 0";
	bool ok = CHECK_OK(mls_treekem_create(t, 0, &tmpl, ms[0].seed, gid, sizeof gid, &g_rng, &ms[0].priv, &sec)) &&
		  CHECK_OK(mls_treekem_encrypt(t, 0, &sec, NULL, 0, ctx, sizeof ctx, &g_rng, &up));
	/* Every member processes the commit (t is already the merged tree). */
	for (uint32_t j = 1; ok && j < n; j++) {
		uint8_t cs[32];
		ok = CHECK_OK(mls_treekem_decrypt(t, 0, &up, NULL, 0, ctx, sizeof ctx, &ms[j].priv, NULL, cs)) &&
		     CHECK_MEM(cs, sec.commit_secret, 32) && CHECK_OK(mls_tree_priv_check(&ms[j].priv, t));
	}
	mls_update_path_free(&up);
	mls_leaf_free(&keep);
	mls_treekem_secrets_wipe(&sec);
	return ok;
}

static void free_group(mls_tree *t, member *ms, uint32_t n)
{
	mls_tree_free(t);
	for (uint32_t i = 0; i < n; i++)
		mls_tree_priv_wipe(&ms[i].priv);
}

static bool fresh_root_hash(const mls_tree *t, uint8_t out[MLS_HASH_LEN])
{
	cr_writer w;
	cr_writer_init_dynamic(&w, MLS_TREE_MAX_ENC);
	mls_tree_encode(&w, t);
	mls_tree c = { 0 };
	bool ok = CHECK_OK(cr_writer_error(&w)) && CHECK_OK(mls_tree_decode(w.p, w.len, &c)) &&
		  CHECK_OK(mls_tree_root_hash(&c, out));
	mls_tree_free(&c);
	cr_writer_free(&w);
	return ok;
}

TEST(group_validates_and_tamper_fails)
{
	mls_tree t = { 0 };
	member ms[7];
	if (make_group(7, &t, ms)) {
		CHECK(t.n_leaves == 8);
		CHECK_OK(mls_tree_validate(&t, gid, sizeof gid));
		/* wrong group id: leaf 0 (commit source) signature fails */
		CHECK_ERR(mls_tree_validate(&t, gid, sizeof gid - 1), CR_ERR_AUTH);
		/* a parent's parent hash changed */
		uint32_t root = mls_tm_root(t.n_leaves);
		mls_tree c = { 0 };
		uint32_t fdp[MLS_TM_MAX_DEPTH];
		CHECK(mls_tree_filtered_direct_path(&t, 0, fdp) == 3);
		if (CHECK_OK(mls_tree_copy(&c, &t))) {
			c.nodes[fdp[0]].parent.parent_hash[0] ^= 1;
			mls_tree_invalidate(&c, fdp[0]);
			CHECK_ERR(mls_tree_verify_parent_hashes(&c), CR_ERR_INVALID);
			mls_tree_free(&c);
		}
		/* a parent's key replaced */
		if (CHECK_OK(mls_tree_copy(&c, &t))) {
			c.nodes[root].parent.encryption_key[5] ^= 1;
			mls_tree_invalidate(&c, root);
			CHECK_ERR(mls_tree_verify_parent_hashes(&c), CR_ERR_INVALID);
			mls_tree_free(&c);
		}
		/* duplicate encryption key between a parent and a leaf */
		if (CHECK_OK(mls_tree_copy(&c, &t))) {
			memcpy(c.nodes[root].parent.encryption_key, mls_tree_leaf(&c, 3)->encryption_key, MLS_KEY_LEN);
			CHECK_ERR(mls_tree_check_structure(&c), CR_ERR_INVALID);
			mls_tree_free(&c);
		}
		/* the incremental check: passes on the valid tree; sees a changed
		 * node's key equal to an unchanged one's (either side) or to
		 * another changed node's, and a changed leaf breaking its rules */
		if (CHECK_OK(mls_tree_copy(&c, &t))) {
			uint32_t ch_root[1] = { root }, ch_leaf[1] = { 6 }, ch_both[2] = { root, 6 };
			CHECK_OK(mls_tree_check_changed(&c, ch_root, 1));
			CHECK_OK(mls_tree_check_changed(&c, ch_both, 2));
			memcpy(c.nodes[root].parent.encryption_key, mls_tree_leaf(&c, 3)->encryption_key, MLS_KEY_LEN);
			CHECK_ERR(mls_tree_check_changed(&c, ch_root, 1), CR_ERR_INVALID);
			CHECK_ERR(mls_tree_check_changed(&c, ch_leaf, 1), CR_ERR_INVALID);
			memcpy(c.nodes[root].parent.encryption_key, t.nodes[root].parent.encryption_key, MLS_KEY_LEN);
			memcpy(c.nodes[6].leaf.signature_key, mls_tree_leaf(&c, 1)->signature_key, MLS_KEY_LEN);
			CHECK_ERR(mls_tree_check_changed(&c, ch_leaf, 1), CR_ERR_INVALID);
			memcpy(c.nodes[6].leaf.signature_key, mls_tree_leaf(&t, 3)->signature_key, MLS_KEY_LEN);
			memcpy(c.nodes[root].parent.encryption_key, c.nodes[6].leaf.encryption_key, MLS_KEY_LEN);
			CHECK_ERR(mls_tree_check_changed(&c, ch_both, 2), CR_ERR_INVALID);
			mls_tree_free(&c);
		}
		if (CHECK_OK(mls_tree_copy(&c, &t))) {
			uint32_t ch_leaf[1] = { 6 };
			c.nodes[6].leaf.credential_type = 0x7777; /* not in its capabilities */
			CHECK_ERR(mls_tree_check_changed(&c, ch_leaf, 1), CR_ERR_INVALID);
			mls_tree_free(&c);
		}
		/* an unmerged leaf that is blank */
		if (CHECK_OK(mls_tree_copy(&c, &t))) {
			CHECK(c.nodes[1].type == MLS_NODE_PARENT);
			mls_tree_blank(&c, 2);
			CHECK_OK(mls_tree_check_structure(&c));
			CHECK_OK(mls_parent_add_unmerged(&c.nodes[1].parent, 1));
			CHECK_ERR(mls_tree_check_structure(&c), CR_ERR_INVALID);
			uint32_t ch_parent[1] = { 1 };
			CHECK_ERR(mls_tree_check_changed(&c, ch_parent, 1), CR_ERR_INVALID);
			mls_tree_free(&c);
		}
		/* a tampered leaf signature */
		if (CHECK_OK(mls_tree_copy(&c, &t))) {
			mls_leaf_node *l = &c.nodes[4].leaf;
			l->enc[l->enc_len - 1] ^= 1;
			CHECK_ERR(mls_tree_verify_leaves(&c, gid, sizeof gid), CR_ERR_AUTH);
			mls_tree_free(&c);
		}
	}
	free_group(&t, ms, 7);
}

TEST(operations_keep_hash_cache_exact)
{
	mls_tree t = { 0 };
	member ms[9];
	if (make_group(5, &t, ms)) {
		uint8_t h[MLS_HASH_LEN], f[MLS_HASH_LEN];
		uint32_t idx;
		mls_leaf_node l;
		CHECK_OK(mls_tree_root_hash(&t, h));
		/* an add below the non-blank root is unmerged there */
		uint32_t root = mls_tm_root(t.n_leaves);
		if (make_leaf(5, &ms[5], &l)) {
			CHECK_OK(mls_tree_add_leaf(&t, &l, &idx));
			CHECK(idx == 5);
			mls_leaf_free(&l);
		}
		CHECK(t.nodes[root].type == MLS_NODE_PARENT && mls_parent_has_unmerged(&t.nodes[root].parent, 5));
		CHECK_OK(mls_tree_validate(&t, gid, sizeof gid));
		CHECK_OK(mls_tree_root_hash(&t, h));
		if (fresh_root_hash(&t, f))
			CHECK_MEM(h, f, sizeof h);
		/* remove 2: a hole; the next add fills it, then extends */
		CHECK_OK(mls_tree_remove_leaf(&t, 2));
		CHECK(mls_tree_leaf(&t, 2) == NULL);
		CHECK_ERR(mls_tree_remove_leaf(&t, 2), CR_ERR_INVALID);
		CHECK_OK(mls_tree_root_hash(&t, h));
		if (fresh_root_hash(&t, f))
			CHECK_MEM(h, f, sizeof h);
		if (make_leaf(6, &ms[6], &l)) {
			CHECK_OK(mls_tree_add_leaf(&t, &l, &idx));
			CHECK(idx == 2);
			mls_leaf_free(&l);
		}
		for (uint32_t i = 7; i < 9; i++)
			if (make_leaf(i, &ms[i], &l)) {
				CHECK_OK(mls_tree_add_leaf(&t, &l, &idx));
				mls_leaf_free(&l);
			}
		CHECK(t.n_leaves == 8);
		CHECK(mls_tree_is_blank(&t, root)); /* blanked by the remove */
		CHECK_OK(mls_tree_validate(&t, gid, sizeof gid));
		CHECK_OK(mls_tree_root_hash(&t, h));
		if (fresh_root_hash(&t, f))
			CHECK_MEM(h, f, sizeof h);
		/* remove the right half: the tree truncates to 4 leaves */
		for (uint32_t i = 4; i < 8; i++)
			if (mls_tree_leaf(&t, i))
				CHECK_OK(mls_tree_remove_leaf(&t, i));
		CHECK(t.n_leaves == 4);
		CHECK_OK(mls_tree_root_hash(&t, h));
		if (fresh_root_hash(&t, f))
			CHECK_MEM(h, f, sizeof h);
		/* update: replaces the leaf and blanks its path */
		if (make_leaf(1, &ms[1], &l)) {
			/* the same encryption key: refused (section 7.3) */
			CHECK_ERR(mls_tree_update_leaf(&t, 1, &l), CR_ERR_INVALID);
			mls_leaf_free(&l);
		}
		if (make_leaf(40, &ms[1], &l)) {
			CHECK_OK(mls_tree_update_leaf(&t, 1, &l));
			CHECK(mls_tree_is_blank(&t, 1) && mls_tree_is_blank(&t, 3));
			mls_leaf_free(&l);
		}
		CHECK_OK(mls_tree_root_hash(&t, h));
		if (fresh_root_hash(&t, f))
			CHECK_MEM(h, f, sizeof h);
	}
	free_group(&t, ms, 9);
}

TEST(decode_rejects_bad_trees)
{
	mls_tree t = { 0 };
	member ms[3];
	if (!make_group(3, &t, ms)) {
		free_group(&t, ms, 3);
		return;
	}
	cr_writer w;
	cr_writer_init_dynamic(&w, MLS_TREE_MAX_ENC);
	mls_tree_encode(&w, &t);
	CHECK_OK(cr_writer_error(&w));
	size_t n = w.len;
	uint8_t *enc = cr_writer_take(&w, &n);
	mls_tree d = { 0 };
	if (CHECK_OK(mls_tree_decode(enc, n, &d))) {
		CHECK(d.n_leaves == 4);
		mls_tree_free(&d);
	}
	for (size_t k = 0; k < n; k += 7)
		CHECK(mls_tree_decode(enc, k, &d) != CR_OK);
	CHECK(d.nodes == NULL);
	/* a trailing blank node: re-wrap the body plus a 0x00 entry */
	cr_writer_init_dynamic(&w, MLS_TREE_MAX_ENC);
	cr_reader r, body;
	cr_reader_init(&r, enc, n);
	if (CHECK_OK(cr_read_vector(&r, n, &body))) {
		size_t m = cr_write_vector_begin(&w);
		cr_write_bytes(&w, body.p, body.n);
		cr_write_u8(&w, 0);
		cr_write_vector_end(&w, m);
		CHECK_ERR(mls_tree_decode(w.p, w.len, &d), CR_ERR_MALFORMED);
		/* a leaf where a parent belongs: the first entry's type at
		 * position 0 is checked; flip node 0's type to parent */
		CHECK(body.p[0] == 1 && body.p[1] == MLS_NODE_LEAF);
		uint8_t *copy = malloc(n);
		memcpy(copy, enc, n);
		copy[n - body.n + 1] = MLS_NODE_PARENT;
		CHECK_ERR(mls_tree_decode(copy, n, &d), CR_ERR_MALFORMED);
		/* an empty tree */
		uint8_t empty[1] = { 0 };
		CHECK_ERR(mls_tree_decode(empty, 1, &d), CR_ERR_MALFORMED);
		free(copy);
	}
	cr_writer_free(&w);
	free(enc);
	free_group(&t, ms, 3);
}

TEST(treekem_roundtrip_with_new_member_excluded)
{
	mls_tree t = { 0 };
	member ms[7];
	if (!make_group(6, &t, ms)) {
		free_group(&t, ms, 7);
		return;
	}
	mls_leaf_node l;
	uint32_t added;
	if (!make_leaf(6, &ms[6], &l) || !CHECK_OK(mls_tree_add_leaf(&t, &l, &added))) {
		free_group(&t, ms, 7);
		return;
	}
	mls_leaf_free(&l);
	uint32_t excl[1] = { added };
	mls_tree sender_tree = { 0 }, recv = { 0 };
	mls_treekem_secrets sec;
	mls_update_path up, dec;
	memset(&up, 0, sizeof up);
	memset(&dec, 0, sizeof dec);
	mls_leaf_fields tmpl;
	mls_leaf_node keep;
	uint8_t ctx[] = "provisional group context";
	cr_writer w;
	cr_writer_init_dynamic(&w, 1 << 20);
	CHECK_OK(mls_tree_copy(&sender_tree, &t));
	CHECK_OK(mls_leaf_copy(&keep, mls_tree_leaf(&t, 4)));
	mls_leaf_fields_of(&keep, &tmpl);
	if (CHECK_OK(mls_treekem_create(&sender_tree, 4, &tmpl, ms[4].seed, gid, sizeof gid, &g_rng, &ms[4].priv, &sec)) &&
	    CHECK_OK(mls_treekem_encrypt(&sender_tree, 4, &sec, excl, 1, ctx, sizeof ctx, &g_rng, &up))) {
		mls_update_path_write(&w, &up);
		CHECK_OK(cr_writer_error(&w));
		CHECK_OK(mls_update_path_decode(w.p, w.len, &dec));
		/* truncations fail */
		mls_update_path bad;
		for (size_t k = 0; k < w.len; k += 13)
			CHECK(mls_update_path_decode(w.p, k, &bad) != CR_OK);
		CHECK_OK(mls_tree_copy(&recv, &t));
		CHECK_OK(mls_treekem_merge(&recv, 4, &dec, gid, sizeof gid));
		uint8_t h1[MLS_HASH_LEN], h2[MLS_HASH_LEN];
		CHECK_OK(mls_tree_root_hash(&recv, h1));
		CHECK_OK(mls_tree_root_hash(&sender_tree, h2));
		CHECK_MEM(h1, h2, sizeof h1);
		CHECK_OK(mls_tree_validate(&recv, gid, sizeof gid));
		/* the same path again: the leaf's key is no longer new */
		CHECK_ERR(mls_treekem_merge(&recv, 4, &dec, gid, sizeof gid), CR_ERR_INVALID);
		CHECK_OK(mls_tree_root_hash(&recv, h1));
		CHECK_MEM(h1, h2, sizeof h1);
		for (uint32_t j = 0; j < 7; j++) {
			if (j == 4)
				continue;
			mls_tree_priv p = ms[j].priv;
			uint8_t cs[32];
			if (j == added) {
				/* excluded from the resolution: nothing to decrypt */
				CHECK_ERR(mls_treekem_decrypt(&recv, 4, &dec, excl, 1, ctx, sizeof ctx, &p, NULL, cs),
					  CR_ERR_NOT_FOUND);
				/* it joins with the path secret of the lowest common
				 * ancestor, as a Welcome carries it */
				uint32_t k = 0;
				while (k < sec.n && !mls_tm_in_subtree(2 * added, sec.node[k]))
					k++;
				if (CHECK(k < sec.n)) {
					uint8_t wrong[32] = { 1 };
					CHECK_ERR(mls_treekem_join(&recv, 4, wrong, &p), CR_ERR_INVALID);
					CHECK_OK(mls_treekem_join(&recv, 4, sec.path_secret[k], &p));
					CHECK(p.n == sec.n - k);
					CHECK_OK(mls_tree_priv_check(&p, &recv));
				}
				uint32_t found;
				CHECK_OK(mls_tree_find_leaf(&recv, mls_tree_leaf(&t, added), &found));
				CHECK(found == added);
				CHECK_ERR(mls_tree_find_leaf(&recv, &keep, &found), CR_ERR_NOT_FOUND);
			} else {
				if (CHECK_OK(mls_treekem_decrypt(&recv, 4, &dec, excl, 1, ctx, sizeof ctx, &p, NULL, cs)))
					CHECK_MEM(cs, sec.commit_secret, 32);
				/* another context: the AEAD refuses */
				mls_tree_priv q = ms[j].priv;
				CHECK_ERR(mls_treekem_decrypt(&recv, 4, &dec, excl, 1, ctx, sizeof ctx - 1, &q, NULL, cs),
					  CR_ERR_AUTH);
				mls_tree_priv_wipe(&q);
			}
			mls_tree_priv_wipe(&p);
		}
		/* merging into a tree where the sender's sibling changed: the
		 * leaf's parent hash no longer matches */
		mls_tree other = { 0 };
		if (CHECK_OK(mls_tree_copy(&other, &t))) {
			CHECK_OK(mls_tree_remove_leaf(&other, 5));
			CHECK(mls_treekem_merge(&other, 4, &dec, gid, sizeof gid) != CR_OK);
			mls_tree_free(&other);
		}
	}
	mls_leaf_free(&keep);
	mls_treekem_secrets_wipe(&sec);
	mls_update_path_free(&up);
	mls_update_path_free(&dec);
	cr_writer_free(&w);
	mls_tree_free(&sender_tree);
	mls_tree_free(&recv);
	free_group(&t, ms, 7);
}

/* The ratchet trees of messages.json: each suite-1 tree (32-byte keys)
 * decodes and re-encodes byte for byte; suite-2 trees (65-byte P-256
 * keys) are refused. */
TEST(messages_vector_trees_roundtrip)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/mls/messages.json", t_vectors_dir());
	json_error_t e;
	json_t *root = json_load_file(path, 0, &e);
	if (!CHECK(root != NULL))
		return;
	size_t i, ok = 0, refused = 0;
	json_t *c;
	json_array_foreach(root, i, c) {
		size_t n = 0;
		uint8_t *b = t_unhex(json_string_value(json_object_get(c, "ratchet_tree")), &n);
		mls_tree t = { 0 };
		if (b && mls_tree_decode(b, n, &t) == CR_OK) {
			cr_writer w;
			cr_writer_init_dynamic(&w, MLS_TREE_MAX_ENC);
			mls_tree_encode(&w, &t);
			if (CHECK(cr_writer_error(&w) == CR_OK && w.len == n && memcmp(w.p, b, n) == 0))
				ok++;
			cr_writer_free(&w);
			mls_tree_free(&t);
		} else {
			refused++;
		}
		free(b);
	}
	CHECK(ok == 200 && refused == 100);
	json_decref(root);
}

/* The encoding of t (malloc'ed) and whether its cached root hash equals a
 * fresh computation. */
static uint8_t *encode_checked(mls_tree *t, size_t *n)
{
	cr_writer w;
	uint8_t h[MLS_HASH_LEN], f[MLS_HASH_LEN];
	cr_writer_init_dynamic(&w, MLS_TREE_MAX_ENC);
	mls_tree_encode(&w, t);
	if (!CHECK_OK(mls_tree_root_hash(t, h)) || !fresh_root_hash(t, f) || !CHECK_MEM(h, f, sizeof h)) {
		cr_writer_free(&w);
		return NULL;
	}
	return cr_writer_take(&w, n);
}

/* Adds that grow the tree, removes that truncate it, an update and a
 * commit path: every kind of change a journal must undo. */
static bool journal_ops(mls_tree *t, member *ms)
{
	uint8_t s[32] = { 9 };
	cr_rng_det det;
	cr_rng rng;
	cr_rng_det_init(&det, &rng, s);
	mls_leaf_node l;
	uint32_t idx;
	bool ok = CHECK_OK(mls_tree_remove_leaf(t, 2));
	for (uint32_t i = 5; ok && i < 10; i++) /* fills 2, 5, 6, 7, then grows to 16 */
		if ((ok = make_leaf(i, &ms[i], &l))) {
			ok = CHECK_OK(mls_tree_add_leaf(t, &l, &idx));
			mls_leaf_free(&l);
		}
	ok = ok && CHECK(t->n_leaves == 16) && CHECK_OK(mls_tree_remove_leaf(t, 8));
	ok = ok && CHECK(t->n_leaves == 8);
	if (ok && (ok = make_leaf(40, &ms[1], &l))) {
		ok = CHECK_OK(mls_tree_update_leaf(t, 1, &l));
		mls_leaf_free(&l);
	}
	mls_leaf_fields tmpl;
	mls_leaf_node old;
	mls_treekem_secrets sec;
	if (!ok || !CHECK_OK(mls_leaf_copy(&old, mls_tree_leaf(t, 0))))
		return false;
	mls_leaf_fields_of(&old, &tmpl);
	ok = CHECK_OK(mls_treekem_create(t, 0, &tmpl, ms[0].seed, gid, sizeof gid, &rng, &ms[0].priv, &sec));
	mls_leaf_free(&old);
	mls_treekem_secrets_wipe(&sec);
	return ok;
}

TEST(journal_undo_keep_and_redo_are_exact)
{
	mls_tree t = { 0 }, c = { 0 };
	member ms[12];
	uint8_t *before = NULL, *after = NULL, *x = NULL;
	size_t nb = 0, na = 0, nx = 0;
	mls_tree_journal j;
	mls_tree_redo r = { 0 };
	if (!make_group(5, &t, ms))
		goto out;
	mls_tree_priv p0 = ms[0].priv;
	/* The reference: the same changes on a copy, without a journal. */
	if (!CHECK_OK(mls_tree_copy(&c, &t)) || !journal_ops(&c, ms) || !(after = encode_checked(&c, &na)) ||
	    !(before = encode_checked(&t, &nb)))
		goto out;
	CHECK(na != nb || memcmp(after, before, nb) != 0);
	/* Undo: byte for byte the tree of before, with its cached hashes. */
	ms[0].priv = p0;
	mls_tree_journal_begin(&t, &j);
	if (journal_ops(&t, ms)) {
		CHECK_OK(mls_tree_journal_redo(&t, &r));
		if ((x = encode_checked(&t, &nx)))
			CHECK(nx == na && memcmp(x, after, na) == 0);
		free(x);
		x = NULL;
	}
	mls_tree_journal_undo(&t);
	CHECK(t.jr == NULL);
	if ((x = encode_checked(&t, &nx)))
		CHECK(nx == nb && memcmp(x, before, nb) == 0);
	free(x);
	x = NULL;
	CHECK_OK(mls_tree_validate(&t, gid, sizeof gid));
	/* Redo on the undone tree: the changed tree again. */
	CHECK_OK(mls_tree_redo_apply(&t, &r));
	CHECK(r.n == 0 && r.v == NULL);
	if ((x = encode_checked(&t, &nx)))
		CHECK(nx == na && memcmp(x, after, na) == 0);
	free(x);
	x = NULL;
	/* Keep: the changes stay and the tree owns every buffer (ASan would
	 * see a double free or a leak otherwise). */
	mls_tree_free(&t);
	ms[0].priv = p0;
	if (!make_group(5, &t, ms))
		goto out;
	mls_tree_journal_begin(&t, &j);
	if (journal_ops(&t, ms))
		CHECK_OK(mls_tree_journal_keep(&t));
	else
		mls_tree_journal_undo(&t);
	if ((x = encode_checked(&t, &nx)))
		CHECK(nx == na && memcmp(x, after, na) == 0);
	for (uint32_t i = 0; i < mls_tree_width(&t); i++)
		if (!CHECK(!t.nodes[i].logged && !t.nodes[i].aliased))
			break;
	/* A redo list is refused without a journal, applying one onto a
	 * journaled tree too. */
	CHECK_ERR(mls_tree_journal_redo(&t, &r), CR_ERR_STATE);
	mls_tree_redo empty = { 0 };
	CHECK_ERR(mls_tree_redo_apply(&t, &empty), CR_ERR_STATE);
out:
	mls_tree_redo_free(&r);
	free(before);
	free(after);
	free(x);
	mls_tree_free(&c);
	free_group(&t, ms, 12);
}

static const t_case cases[] = {
	T(group_validates_and_tamper_fails), T(operations_keep_hash_cache_exact), T(decode_rejects_bad_trees),
	T(treekem_roundtrip_with_new_member_excluded), T(messages_vector_trees_roundtrip),
	T(journal_undo_keep_and_redo_are_exact), { 0 },
};

int main(int argc, char **argv) { return t_main(argc, argv, cases); }
