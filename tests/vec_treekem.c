/*
 * vec_treekem.c: treekem.json (RFC 9420 sections 7.4-7.6, 7.9): private
 * state consistency, merging and decrypting the given UpdatePaths (path
 * secrets, commit secret, tree hash after), and a new UpdatePath of ours
 * processed by every other member.
 */
#include <stdlib.h>
#include <string.h>

#include "msg_groupinfo.h"
#include "treekem.h"
#include "vec.h"

static bool detect(json_t *root)
{
	static const char *const keys[] = { "ratchet_tree", "leaves_private", "update_paths", NULL };
	return vec_mls_has_keys(root, keys);
}

typedef struct vcase {
	mls_tree tree;
	uint8_t *gid, *cth;
	size_t gid_len, cth_len;
	uint64_t epoch;
	mls_tree_priv *priv;   /* n_leaves entries */
	bool *have;
	uint8_t (*sig)[32];
} vcase;

/* GroupContext with the tree hash of t (section 8.1), empty extensions. */
static bool context(const vcase *vc, mls_tree *t, cr_writer *w)
{
	uint8_t h[MLS_HASH_LEN];
	if (!CHECK_OK(mls_tree_root_hash(t, h)))
		return false;
	mls_group_context gc;
	memset(&gc, 0, sizeof gc);
	gc.cipher_suite = 1;
	gc.group_id = (cr_span){ vc->gid, vc->gid_len };
	gc.epoch = vc->epoch;
	gc.tree_hash = (cr_span){ h, sizeof h };
	gc.confirmed_transcript_hash = (cr_span){ vc->cth, vc->cth_len };
	cr_writer_init_dynamic(w, 1 << 16);
	mls_group_context_write(w, &gc);
	return CHECK_OK(cr_writer_error(w));
}

static bool load_privates(vcase *vc, json_t *c)
{
	json_t *lp = json_object_get(c, "leaves_private"), *e;
	size_t i;
	json_array_foreach(lp, i, e) {
		uint64_t idx;
		size_t n1 = 0, n2 = 0;
		if (!vec_u64(e, "index", &idx) || !CHECK(idx < vc->tree.n_leaves))
			return false;
		uint8_t *ep = vec_hex(e, "encryption_priv", &n1);
		uint8_t *sp = vec_hex(e, "signature_priv", &n2);
		bool ok = CHECK(ep && n1 == 32 && sp && n2 == 32);
		mls_tree_priv *p = &vc->priv[idx];
		if (ok) {
			p->leaf = (uint32_t)idx;
			memcpy(p->leaf_priv, ep, 32);
			memcpy(vc->sig[idx], sp, 32);
			vc->have[idx] = true;
		}
		free(ep);
		free(sp);
		json_t *pss = json_object_get(e, "path_secrets"), *ps;
		size_t k;
		json_array_foreach(pss, k, ps) {
			uint64_t node;
			size_t pl = 0;
			uint8_t *sec = vec_hex(ps, "path_secret", &pl);
			if (ok && vec_u64(ps, "node", &node) && CHECK(sec && pl == 32 && node < mls_tree_width(&vc->tree)))
				ok = CHECK_OK(mls_tree_priv_set_path_secret(p, (uint32_t)node, sec, NULL));
			free(sec);
		}
		if (!ok || !CHECK_OK(mls_tree_priv_check(p, &vc->tree))) {
			t_note("private state of leaf %llu", (unsigned long long)idx);
			return false;
		}
	}
	return true;
}

/* Every member j != sender with private state processes up on a copy of
 * the tree; returns false on a failed check. want_ps may be NULL. */
static bool process_all(vcase *vc, uint32_t sender, const mls_update_path *up, json_t *want_ps,
			const uint8_t *want_cs, json_t *c_for_cs, uint8_t hash_after[MLS_HASH_LEN])
{
	mls_tree t2 = { 0 };
	cr_writer ctx = { 0 };
	bool ok = CHECK_OK(mls_tree_copy(&t2, &vc->tree)) &&
		  CHECK_OK(mls_treekem_merge(&t2, sender, up, vc->gid, vc->gid_len)) &&
		  CHECK_OK(mls_tree_root_hash(&t2, hash_after)) && CHECK_OK(mls_tree_verify_parent_hashes(&t2)) &&
		  context(vc, &t2, &ctx);
	for (uint32_t j = 0; ok && j < vc->tree.n_leaves; j++) {
		if (j == sender || !vc->have[j])
			continue;
		mls_tree_priv p = vc->priv[j];
		uint8_t ps[32], cs[32];
		ok = CHECK_OK(mls_treekem_decrypt(&t2, sender, up, NULL, 0, ctx.p, ctx.len, &p, ps, cs));
		if (ok && want_ps) {
			json_t *w = json_array_get(want_ps, j);
			size_t wl = 0;
			uint8_t *wv = json_is_string(w) ? t_unhex(json_string_value(w), &wl) : NULL;
			ok = CHECK(wv && wl == 32 && memcmp(wv, ps, 32) == 0);
			free(wv);
		}
		if (ok && want_cs)
			ok = CHECK_MEM(cs, want_cs, 32);
		if (ok && c_for_cs)
			ok = vec_check_hex(c_for_cs, "commit_secret", cs, 32);
		if (ok)
			ok = CHECK_OK(mls_tree_priv_check(&p, &t2));
		if (!ok)
			t_note("processing by leaf %u of a path from leaf %u", j, sender);
		mls_tree_priv_wipe(&p);
	}
	cr_writer_free(&ctx);
	mls_tree_free(&t2);
	return ok;
}

static void one_path(vcase *vc, json_t *u)
{
	uint64_t sender;
	size_t n = 0;
	uint8_t *enc = vec_hex(u, "update_path", &n);
	mls_update_path up;
	memset(&up, 0, sizeof up);
	if (!enc || !vec_u64(u, "sender", &sender) || !CHECK(sender < vc->tree.n_leaves) ||
	    !CHECK_OK(mls_update_path_decode(enc, n, &up))) {
		free(enc);
		return;
	}
	uint32_t i = (uint32_t)sender;
	cr_writer w;
	cr_writer_init_dynamic(&w, 1 << 24);
	mls_update_path_write(&w, &up);
	CHECK(cr_writer_error(&w) == CR_OK && w.len == n && memcmp(w.p, enc, n) == 0);
	cr_writer_free(&w);
	uint8_t h[MLS_HASH_LEN];
	if (process_all(vc, i, &up, json_object_get(u, "path_secrets"), NULL, u, h))
		vec_check_hex(u, "tree_hash_after", h, sizeof h);

	/* A tampered ciphertext must not decrypt for the members it is for. */
	if (up.n_nodes > 0 && up.nodes[up.n_nodes - 1].n_cts > 0) {
		up.nodes[up.n_nodes - 1].cts[0].ciphertext[3] ^= 1;
		mls_tree t2 = { 0 };
		cr_writer ctx = { 0 };
		if (CHECK_OK(mls_tree_copy(&t2, &vc->tree)) &&
		    CHECK_OK(mls_treekem_merge(&t2, i, &up, vc->gid, vc->gid_len)) && context(vc, &t2, &ctx)) {
			size_t fails = 0;
			for (uint32_t j = 0; j < vc->tree.n_leaves; j++) {
				if (j == i || !vc->have[j])
					continue;
				mls_tree_priv p = vc->priv[j];
				uint8_t cs[32];
				fails += mls_treekem_decrypt(&t2, i, &up, NULL, 0, ctx.p, ctx.len, &p, NULL, cs) != CR_OK;
				mls_tree_priv_wipe(&p);
			}
			CHECK(fails > 0);
		}
		cr_writer_free(&ctx);
		mls_tree_free(&t2);
		up.nodes[up.n_nodes - 1].cts[0].ciphertext[3] ^= 1;
	}
	/* A tampered leaf (its parent hash no longer verifies, or its
	 * signature) must not merge. */
	{
		mls_tree t2 = { 0 };
		if (CHECK_OK(mls_tree_copy(&t2, &vc->tree))) {
			up.leaf.enc[up.leaf.tbs_len - 2] ^= 1;
			CHECK(mls_treekem_merge(&t2, i, &up, vc->gid, vc->gid_len) != CR_OK);
			up.leaf.enc[up.leaf.tbs_len - 2] ^= 1;
		}
		mls_tree_free(&t2);
	}
	mls_update_path_free(&up);
	free(enc);

	/* Our own UpdatePath from the same sender. */
	if (!vc->have[i])
		return;
	mls_tree t3 = { 0 };
	mls_tree_priv pi = vc->priv[i];
	mls_treekem_secrets sec;
	mls_update_path mine;
	memset(&mine, 0, sizeof mine);
	cr_writer ctx = { 0 };
	cr_rng rng;
	cr_rng_det det;
	uint8_t seed[32] = { 7 };
	cr_rng_det_init(&det, &rng, seed);
	mls_leaf_fields tmpl;
	uint8_t h3[MLS_HASH_LEN], h4[MLS_HASH_LEN];
	if (CHECK_OK(mls_tree_copy(&t3, &vc->tree))) {
		mls_leaf_fields_of(mls_tree_leaf(&vc->tree, i), &tmpl);
		if (CHECK_OK(mls_treekem_create(&t3, i, &tmpl, vc->sig[i], vc->gid, vc->gid_len, &rng, &pi, &sec)) &&
		    CHECK_OK(mls_tree_priv_check(&pi, &t3)) && CHECK_OK(mls_tree_verify_parent_hashes(&t3)) &&
		    CHECK_OK(mls_tree_root_hash(&t3, h3)) && context(vc, &t3, &ctx) &&
		    CHECK_OK(mls_treekem_encrypt(&t3, i, &sec, NULL, 0, ctx.p, ctx.len, &rng, &mine))) {
			if (process_all(vc, i, &mine, NULL, sec.commit_secret, NULL, h4))
				CHECK_MEM(h3, h4, sizeof h3);
		}
		mls_treekem_secrets_wipe(&sec);
	}
	mls_update_path_free(&mine);
	cr_writer_free(&ctx);
	mls_tree_priv_wipe(&pi);
	mls_tree_free(&t3);
}

static void run_case(json_t *c)
{
	vcase vc;
	memset(&vc, 0, sizeof vc);
	size_t n = 0;
	uint8_t *enc = vec_hex(c, "ratchet_tree", &n);
	vc.gid = vec_hex(c, "group_id", &vc.gid_len);
	vc.cth = vec_hex(c, "confirmed_transcript_hash", &vc.cth_len);
	if (!enc || !vc.gid || !vc.cth || !vec_u64(c, "epoch", &vc.epoch) ||
	    !CHECK_OK(mls_tree_decode(enc, n, &vc.tree)))
		goto out;
	vc.priv = calloc(vc.tree.n_leaves, sizeof *vc.priv);
	vc.have = calloc(vc.tree.n_leaves, sizeof *vc.have);
	vc.sig = calloc(vc.tree.n_leaves, sizeof *vc.sig);
	if (!CHECK(vc.priv && vc.have && vc.sig) || !load_privates(&vc, c))
		goto out;
	json_t *ups = json_object_get(c, "update_paths"), *u;
	size_t k;
	json_array_foreach(ups, k, u)
		one_path(&vc, u);
out:
	if (vc.priv)
		for (uint32_t j = 0; j < vc.tree.n_leaves; j++)
			mls_tree_priv_wipe(&vc.priv[j]);
	free(vc.priv);
	free(vc.have);
	free(vc.sig);
	mls_tree_free(&vc.tree);
	free(enc);
	free(vc.gid);
	free(vc.cth);
}

static void run(json_t *root, const char *path)
{
	(void)path;
	vec_each_suite1_case(root, "treekem", run_case);
}

const vec_runner vec_treekem = { "treekem", detect, run };
