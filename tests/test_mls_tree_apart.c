/*
 * test_mls_tree_apart.c: commits whose Welcome leaves the ratchet tree out
 * of the GroupInfo (mls_group_commit_ex with MLS_COMMIT_TREE_OUT_OF_BAND,
 * RFC 9420 section 12.4.3.3), joining with the tree given apart
 * (mls_group_join_ex), and the container of both (msg_welcome_tree.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "group.h"
#include "msg_keypackage.h"
#include "msg_message.h"
#include "msg_welcome_tree.h"
#include "mls_world.h"
#include "t.h"
#include "tree.h"

static const char GID[] = "group-tree-apart";

/* Committer c adds member a with the tree apart; the others process, a
 * joins from the packed Welcome and tree. A Welcome without its tree is
 * refused on the way. */
static bool add_apart(mw_world *w, int c, int a)
{
	uint8_t *cm = NULL, *wm = NULL, *tr = NULL, *pk = NULL;
	size_t cl, wl, tl, pl;
	mls_welcome_tree wt;
	mls_group *j = NULL;
	bool ok = false;
	if (!mw_make_kp(w, a))
		return false;
	const uint8_t *kps[1] = { w->m[a].kp };
	size_t lens[1] = { w->m[a].kp_len };
	if (!CHECK_OK(mls_group_commit_ex(w->m[c].g, kps, lens, 1, NULL, 0, MLS_COMMIT_TREE_OUT_OF_BAND, &w->rng,
					  &cm, &cl, &wm, &wl, &tr, &tl)) ||
	    !CHECK(wm && tr))
		goto out;
	if (!mw_all_process(w, c, cm, cl, MLS_PROCESSED_COMMIT) || !CHECK_OK(mls_group_commit_confirm(w->m[c].g)))
		goto out;
	/* The tree was written into a buffer of mls_tree_encoded_len bytes:
	 * the length agrees with a plain encoding of the same tree. */
	mls_tree t = { 0 };
	cr_writer tw;
	if (CHECK_OK(mls_tree_decode(tr, tl, &t))) {
		CHECK(mls_tree_encoded_len(&t) == tl);
		cr_writer_init_dynamic(&tw, MLS_TREE_MAX_ENC + 8);
		mls_tree_encode(&tw, &t);
		CHECK(cr_writer_error(&tw) == CR_OK && tw.len == tl && memcmp(tw.p, tr, tl) == 0);
		cr_writer_free(&tw);
	}
	mls_tree_free(&t);
	/* The GroupInfo has no ratchet_tree extension: no join without the tree. */
	CHECK_ERR(mls_group_join(&j, wm, wl, w->m[a].kp, w->m[a].kp_len, &w->m[a].kps, w->m[a].seed),
		  CR_ERR_UNSUPPORTED);
	CHECK(j == NULL);
	if (!CHECK_OK(mls_welcome_tree_pack(wm, wl, tr, tl, &pk, &pl)) ||
	    !CHECK_OK(mls_welcome_tree_decode(pk, pl, &wt)))
		goto out;
	CHECK(wt.welcome.n == wl && memcmp(wt.welcome.p, wm, wl) == 0);
	CHECK(wt.ratchet_tree.n == tl && memcmp(wt.ratchet_tree.p, tr, tl) == 0);
	if (!CHECK_OK(mls_group_join_ex(&w->m[a].g, wt.welcome.p, wt.welcome.n, w->m[a].kp, w->m[a].kp_len,
					&w->m[a].kps, w->m[a].seed, wt.ratchet_tree.p, wt.ratchet_tree.n, NULL, 0)))
		goto out;
	ok = true;
out:
	free(cm);
	free(wm);
	free(tr);
	free(pk);
	return ok;
}

/* A group grown to n members one commit at a time, each by the member
 * before the newcomer, with the tree apart; after each add everyone shares
 * the epoch authenticator, and the newest member's message reaches all. */
static void grow(uint8_t seed, int n)
{
	mw_world w;
	mw_init(&w, seed);
	CHECK(mw_create(&w, 0, GID));
	for (int a = 1; a < n; a++) {
		if (!CHECK(add_apart(&w, a - 1, a)) || !CHECK(mw_same_epoch(&w, a + 1)))
			break;
		if (a == n - 1 || a % 8 == 0)
			CHECK(mw_message(&w, a, "tree apart"));
	}
	CHECK(mls_group_member_count(w.m[n - 1].g) == (uint32_t)n);
	CHECK(mls_group_epoch(w.m[0].g) == (uint64_t)(n - 1));
	mw_free(&w);
}

TEST(round_trip_2_members)
{
	grow(31, 2);
}

TEST(round_trip_3_members)
{
	grow(32, 3);
}

TEST(round_trip_10_members)
{
	grow(33, 10);
}

TEST(round_trip_50_members)
{
	grow(34, 50);
}

/* The same commit made twice from the same state and random stream, once
 * with the tree in the GroupInfo and once apart: identical commits, the
 * tree apart is exactly the extension's bytes (the in-band Welcome is the
 * other one plus that extension), and both joiners end in the same state. */
TEST(same_commit_in_band_and_apart)
{
	mw_world w;
	mw_init(&w, 35);
	CHECK(mw_create(&w, 0, GID));
	for (int a = 1; a < 4; a++)
		CHECK(add_apart(&w, 0, a));
	CHECK(mw_make_kp(&w, 4));
	uint8_t *st, *c1, *w1, *c2, *w2, *tr, *tr0 = (uint8_t *)"x", *s1, *s2;
	size_t stl, c1l, w1l, c2l, w2l, trl, tr0l = 1, s1l, s2l;
	CHECK_OK(mls_group_serialize(w.m[0].g, &st, &stl));
	mls_group *a = NULL, *b = NULL, *ja = NULL, *jb = NULL;
	CHECK_OK(mls_group_deserialize(&a, st, stl));
	CHECK_OK(mls_group_deserialize(&b, st, stl));
	uint8_t seed[32] = { 9 };
	cr_rng_det da, db;
	cr_rng ra, rb;
	cr_rng_det_init(&da, &ra, seed);
	cr_rng_det_init(&db, &rb, seed);
	const uint8_t *kps[1] = { w.m[4].kp };
	size_t lens[1] = { w.m[4].kp_len };
	/* Flags 0: mls_group_commit exactly, and no tree apart. */
	CHECK_OK(mls_group_commit_ex(a, kps, lens, 1, NULL, 0, 0, &ra, &c1, &c1l, &w1, &w1l, &tr0, &tr0l));
	CHECK(tr0 == NULL && tr0l == 0);
	CHECK_OK(mls_group_commit_ex(b, kps, lens, 1, NULL, 0, MLS_COMMIT_TREE_OUT_OF_BAND, &rb, &c2, &c2l, &w2, &w2l,
				     &tr, &trl));
	CHECK(c1l == c2l && memcmp(c1, c2, c1l) == 0);
	/* extension_type(2) + opaque extension_data<V> around the tree: the
	 * in-band Welcome is longer by the tree and a few prefix bytes. */
	CHECK(w1l > w2l + trl && w1l <= w2l + trl + 16);
	mls_tree t = { 0 };
	uint8_t h[MLS_NH];
	CHECK_OK(mls_tree_decode(tr, trl, &t));
	CHECK_OK(mls_tree_root_hash(&t, h));
	CHECK(t.n_leaves == 8 && mls_tree_leaf(&t, 4) != NULL);
	mls_tree_free(&t);
	CHECK_OK(mls_group_commit_confirm(a));
	CHECK_OK(mls_group_commit_confirm(b));
	CHECK_OK(mls_group_join(&ja, w1, w1l, w.m[4].kp, w.m[4].kp_len, &w.m[4].kps, w.m[4].seed));
	CHECK_OK(mls_group_join_ex(&jb, w2, w2l, w.m[4].kp, w.m[4].kp_len, &w.m[4].kps, w.m[4].seed, tr, trl, NULL,
				   0));
	/* The in-band Welcome joined with the tree also given: the same. */
	mls_group *jc = NULL;
	CHECK_OK(mls_group_join_ex(&jc, w1, w1l, w.m[4].kp, w.m[4].kp_len, &w.m[4].kps, w.m[4].seed, tr, trl, NULL,
				   0));
	if (ja && jb && jc) {
		CHECK_OK(mls_group_serialize(ja, &s1, &s1l));
		CHECK_OK(mls_group_serialize(jb, &s2, &s2l));
		CHECK(s1l == s2l && memcmp(s1, s2, s1l) == 0);
		CHECK(mw_state_eq(jc, s1, s1l));
		uint8_t e1[MLS_NH], e2[MLS_NH];
		mls_group_epoch_authenticator(a, e1);
		mls_group_epoch_authenticator(jb, e2);
		CHECK_MEM(e1, e2, MLS_NH);
		free(s1);
		free(s2);
	}
	mls_group_free(a);
	mls_group_free(b);
	mls_group_free(ja);
	mls_group_free(jb);
	mls_group_free(jc);
	free(st);
	free(c1);
	free(w1);
	free(c2);
	free(w2);
	free(tr);
	mw_free(&w);
}

/* A commit adding members 3 and 4 at once, tree apart; the tree handed to
 * member 3 with member 4's leaf replaced by another well-signed leaf is
 * refused (every leaf lies in a copath subtree of the committer's path, so
 * the parent-hash chain already ties it, as does the GroupInfo's tree_hash);
 * bytes flipped, cut or appended are refused too; the joiner gets no group
 * and its inputs stay as they were, and the honest tree still works. */
TEST(tampered_tree_refused)
{
	mw_world w;
	mw_init(&w, 36);
	CHECK(mw_create(&w, 0, GID));
	CHECK(add_apart(&w, 0, 1));
	CHECK(add_apart(&w, 1, 2));
	CHECK(mw_make_kp(&w, 3));
	CHECK(mw_make_kp(&w, 4));
	CHECK(mw_make_kp(&w, 5));
	const uint8_t *kps[2] = { w.m[3].kp, w.m[4].kp };
	size_t lens[2] = { w.m[3].kp_len, w.m[4].kp_len };
	uint8_t *cm, *wm, *tr, *bad;
	size_t cl, wl, tl;
	CHECK_OK(mls_group_commit_ex(w.m[0].g, kps, lens, 2, NULL, 0, MLS_COMMIT_TREE_OUT_OF_BAND, &w.rng, &cm, &cl,
				     &wm, &wl, &tr, &tl));
	CHECK(mw_all_process(&w, 0, cm, cl, MLS_PROCESSED_COMMIT));
	CHECK_OK(mls_group_commit_confirm(w.m[0].g));
	mw_member *j = &w.m[3];
	mls_kp_secrets kps_before = j->kps;
	mls_group *g = NULL;

	/* One leaf changed: member 4's leaf replaced by member 5's. */
	mls_tree t = { 0 };
	mls_key_package kp5;
	mls_leaf_node other;
	uint32_t leaf4 = UINT32_MAX;
	CHECK_OK(mls_tree_decode(tr, tl, &t));
	CHECK_OK(mls_key_package_decode(w.m[5].kp, w.m[5].kp_len, &kp5));
	CHECK_OK(mls_leaf_parse(kp5.leaf_node.p, kp5.leaf_node.n, &other));
	for (uint32_t i = 0; i < t.n_leaves; i++) {
		const mls_leaf_node *l = mls_tree_leaf(&t, i);
		if (l && l->credential.n == strlen(w.m[4].name) && memcmp(l->credential.p, w.m[4].name, l->credential.n) == 0)
			leaf4 = i;
	}
	CHECK(leaf4 != UINT32_MAX);
	if (leaf4 != UINT32_MAX) {
		mls_leaf_free(&t.nodes[2 * leaf4].leaf);
		CHECK_OK(mls_leaf_copy(&t.nodes[2 * leaf4].leaf, &other));
		mls_tree_invalidate(&t, 2 * leaf4);
		CHECK_ERR(mls_tree_validate(&t, (const uint8_t *)GID, sizeof GID - 1), CR_ERR_INVALID);
		cr_writer tw;
		cr_writer_init_dynamic(&tw, MLS_TREE_MAX_ENC + 8);
		mls_tree_encode(&tw, &t);
		CHECK_OK(cr_writer_error(&tw));
		size_t bl;
		bad = cr_writer_take(&tw, &bl);
		CHECK(bad && bl == tl && memcmp(bad, tr, tl) != 0);
		CHECK_ERR(mls_group_join_ex(&g, wm, wl, j->kp, j->kp_len, &j->kps, j->seed, bad, bl, NULL, 0),
			  CR_ERR_INVALID);
		CHECK(g == NULL);
		free(bad);
	}
	mls_leaf_free(&other);
	mls_tree_free(&t);

	/* Bytes flipped anywhere, cut short, one byte more. */
	bad = malloc(tl + 1);
	memcpy(bad, tr, tl);
	size_t step = tl > 200 ? tl / 200 : 1, refused = 0, tried = 0;
	for (size_t i = 0; i < tl; i += step, tried++) {
		bad[i] ^= 0x04;
		cr_err e = mls_group_join_ex(&g, wm, wl, j->kp, j->kp_len, &j->kps, j->seed, bad, tl, NULL, 0);
		refused += e != CR_OK && g == NULL;
		mls_group_free(g);
		g = NULL;
		bad[i] ^= 0x04;
	}
	CHECK(tried > 0 && refused == tried);
	CHECK(mls_group_join_ex(&g, wm, wl, j->kp, j->kp_len, &j->kps, j->seed, bad, tl - 1, NULL, 0) != CR_OK);
	CHECK(g == NULL);
	bad[tl] = 0;
	CHECK(mls_group_join_ex(&g, wm, wl, j->kp, j->kp_len, &j->kps, j->seed, bad, tl + 1, NULL, 0) != CR_OK);
	CHECK(g == NULL);
	free(bad);
	CHECK_MEM(&kps_before, &j->kps, sizeof kps_before);

	/* A commit that adds nobody has neither Welcome nor tree. */
	uint8_t *c2, *w2, *t2;
	size_t c2l, w2l, t2l;
	CHECK_OK(mls_group_commit_ex(w.m[0].g, NULL, NULL, 0, NULL, 0, MLS_COMMIT_TREE_OUT_OF_BAND, &w.rng, &c2, &c2l,
				     &w2, &w2l, &t2, &t2l));
	CHECK(w2 == NULL && t2 == NULL && t2l == 0);
	mls_group_commit_discard(w.m[0].g);
	free(c2);

	/* The honest tree joins, and the joiner agrees with everyone. */
	CHECK_OK(mls_group_join_ex(&j->g, wm, wl, j->kp, j->kp_len, &j->kps, j->seed, tr, tl, NULL, 0));
	CHECK(mw_same_epoch(&w, 4));
	free(cm);
	free(wm);
	free(tr);
	mw_free(&w);
}

/* A Welcome joined with the tree of another epoch of the same group: that
 * tree is valid on its own, so only the comparison of its root hash with
 * the GroupInfo's signed tree_hash refuses it. */
TEST(tree_of_another_epoch_refused)
{
	mw_world w;
	mw_init(&w, 37);
	CHECK(mw_create(&w, 0, GID));
	CHECK(add_apart(&w, 0, 1));
	CHECK(mw_make_kp(&w, 2));
	CHECK(mw_make_kp(&w, 3));
	const uint8_t *k2[1] = { w.m[2].kp }, *k3[1] = { w.m[3].kp };
	size_t l2[1] = { w.m[2].kp_len }, l3[1] = { w.m[3].kp_len };
	uint8_t *ca, *wa, *ta, *cb, *wb, *tb;
	size_t cal, wal, tal, cbl, wbl, tbl;
	CHECK_OK(mls_group_commit_ex(w.m[0].g, k2, l2, 1, NULL, 0, MLS_COMMIT_TREE_OUT_OF_BAND, &w.rng, &ca, &cal, &wa,
				     &wal, &ta, &tal));
	CHECK(mw_all_process(&w, 0, ca, cal, MLS_PROCESSED_COMMIT));
	CHECK_OK(mls_group_commit_confirm(w.m[0].g));
	CHECK_OK(mls_group_join_ex(&w.m[2].g, wa, wal, w.m[2].kp, w.m[2].kp_len, &w.m[2].kps, w.m[2].seed, ta, tal,
				   NULL, 0));
	CHECK_OK(mls_group_commit_ex(w.m[0].g, k3, l3, 1, NULL, 0, MLS_COMMIT_TREE_OUT_OF_BAND, &w.rng, &cb, &cbl, &wb,
				     &wbl, &tb, &tbl));
	CHECK(mw_all_process(&w, 0, cb, cbl, MLS_PROCESSED_COMMIT));
	CHECK_OK(mls_group_commit_confirm(w.m[0].g));
	mls_group *g = NULL;
	mls_tree t = { 0 };
	CHECK_OK(mls_tree_decode(ta, tal, &t));
	CHECK_OK(mls_tree_validate(&t, (const uint8_t *)GID, sizeof GID - 1));
	mls_tree_free(&t);
	CHECK_ERR(mls_group_join_ex(&g, wb, wbl, w.m[3].kp, w.m[3].kp_len, &w.m[3].kps, w.m[3].seed, ta, tal, NULL,
				    0),
		  CR_ERR_INVALID);
	CHECK(g == NULL);
	CHECK_OK(mls_group_join_ex(&w.m[3].g, wb, wbl, w.m[3].kp, w.m[3].kp_len, &w.m[3].kps, w.m[3].seed, tb, tbl,
				   NULL, 0));
	CHECK(mw_same_epoch(&w, 4));
	CHECK(mw_message(&w, 3, "four"));
	free(ca);
	free(wa);
	free(ta);
	free(cb);
	free(wb);
	free(tb);
	mw_free(&w);
}

/* Wrong arguments leave nothing pending; the old calls still work. */
TEST(arguments_and_old_path)
{
	mw_world w;
	mw_init(&w, 38);
	CHECK(mw_create(&w, 0, GID));
	CHECK(mw_make_kp(&w, 1));
	const uint8_t *kps[1] = { w.m[1].kp };
	size_t lens[1] = { w.m[1].kp_len };
	uint8_t *cm = (uint8_t *)"x", *wm = (uint8_t *)"x", *tr = (uint8_t *)"x";
	size_t cl, wl, tl;
	CHECK_ERR(mls_group_commit_ex(w.m[0].g, kps, lens, 1, NULL, 0, MLS_COMMIT_TREE_OUT_OF_BAND, &w.rng, &cm, &cl,
				      &wm, &wl, NULL, NULL),
		  CR_ERR_ARG);
	CHECK(cm == NULL && wm == NULL && !mls_group_commit_pending(w.m[0].g));
	CHECK_ERR(mls_group_commit_ex(w.m[0].g, kps, lens, 1, NULL, 0, 0x80, &w.rng, &cm, &cl, &wm, &wl, &tr, &tl),
		  CR_ERR_ARG);
	CHECK(cm == NULL && wm == NULL && tr == NULL && !mls_group_commit_pending(w.m[0].g));
	/* The tree in the GroupInfo, as before: mw_add commits with
	 * mls_group_commit and joins with mls_group_join. */
	CHECK(mw_add(&w, 0, 1));
	CHECK(mw_same_epoch(&w, 2));
	CHECK(mw_message(&w, 1, "old path"));
	mw_free(&w);
}

/* The container: round trip, and every malformed form refused. */
TEST(welcome_tree_codec)
{
	mw_world w;
	mw_init(&w, 39);
	CHECK(mw_create(&w, 0, GID));
	CHECK(mw_make_kp(&w, 1));
	const uint8_t *kps[1] = { w.m[1].kp };
	size_t lens[1] = { w.m[1].kp_len };
	uint8_t *cm, *wm, *tr, *pk;
	size_t cl, wl, tl, pl;
	mls_welcome_tree wt;
	CHECK_OK(mls_group_commit_ex(w.m[0].g, kps, lens, 1, NULL, 0, MLS_COMMIT_TREE_OUT_OF_BAND, &w.rng, &cm, &cl,
				     &wm, &wl, &tr, &tl));
	CHECK_OK(mls_welcome_tree_pack(wm, wl, tr, tl, &pk, &pl));
	CHECK_OK(mls_welcome_tree_decode(pk, pl, &wt));
	cr_writer o;
	cr_writer_init_dynamic(&o, pl + 16);
	mls_welcome_tree_write(&o, &wt);
	CHECK_OK(cr_writer_error(&o));
	CHECK(o.len == pl && memcmp(o.p, pk, pl) == 0);
	cr_writer_free(&o);
	/* Every prefix, and one byte more, is refused. */
	size_t refused = 0;
	for (size_t n = 0; n < pl; n++)
		refused += mls_welcome_tree_decode(pk, n, &wt) != CR_OK;
	CHECK(refused == pl);
	uint8_t *longer = malloc(pl + 1);
	memcpy(longer, pk, pl);
	longer[pl] = 0;
	CHECK_ERR(mls_welcome_tree_decode(longer, pl + 1, &wt), CR_ERR_MALFORMED);
	CHECK(wt.welcome.p == NULL && wt.ratchet_tree.p == NULL);
	free(longer);
	/* A plain Welcome MLSMessage never reads as a container (its version
	 * starts with 0x00: an empty welcome), so a log may hold either. */
	CHECK(mls_welcome_tree_decode(wm, wl, &wt) != CR_OK);
	/* Not a Welcome (the commit), an empty tree vector, a tree of two
	 * vectors, an empty welcome: refused by the decoder and the packer. */
	uint8_t *x;
	size_t xl;
	static const uint8_t empty_tree[1] = { 0 };
	CHECK(mls_welcome_tree_pack(cm, cl, tr, tl, &x, &xl) == CR_OK);
	CHECK_ERR(mls_welcome_tree_decode(x, xl, &wt), CR_ERR_MALFORMED);
	free(x);
	CHECK_ERR(mls_welcome_tree_pack(wm, wl, empty_tree, 1, &x, &xl), CR_ERR_ARG);
	CHECK(x == NULL);
	CHECK_ERR(mls_welcome_tree_pack(wm, wl, tr, tl - 1, &x, &xl), CR_ERR_ARG);
	CHECK_ERR(mls_welcome_tree_pack(NULL, 0, tr, tl, &x, &xl), CR_ERR_ARG);
	uint8_t *two = malloc(2 * tl);
	memcpy(two, tr, tl);
	memcpy(two + tl, tr, tl);
	CHECK_ERR(mls_welcome_tree_pack(wm, wl, two, 2 * tl, &x, &xl), CR_ERR_ARG);
	free(two);
	{
		cr_writer b;
		cr_writer_init_dynamic(&b, pl + 16);
		cr_write_opaque(&b, wm, wl);
		cr_write_u8(&b, 0); /* an empty tree vector */
		CHECK_OK(cr_writer_error(&b));
		CHECK_ERR(mls_welcome_tree_decode(b.p, b.len, &wt), CR_ERR_MALFORMED);
		cr_writer_free(&b);
	}
	{
		/* A welcome length above MLS_MAX_MESSAGE: refused before reading. */
		static const uint8_t huge[] = { 0xbf, 0xff, 0xff, 0xff, 0x00 };
		CHECK_ERR(mls_welcome_tree_decode(huge, sizeof huge, &wt), CR_ERR_LIMIT);
	}
	/* Joining from the decoded container. */
	CHECK_OK(mls_group_commit_confirm(w.m[0].g));
	CHECK_OK(mls_welcome_tree_decode(pk, pl, &wt));
	CHECK_OK(mls_group_join_ex(&w.m[1].g, wt.welcome.p, wt.welcome.n, w.m[1].kp, w.m[1].kp_len, &w.m[1].kps,
				   w.m[1].seed, wt.ratchet_tree.p, wt.ratchet_tree.n, NULL, 0));
	CHECK(mw_same_epoch(&w, 2));
	free(cm);
	free(wm);
	free(tr);
	free(pk);
	mw_free(&w);
}

static const t_case cases[] = {
	T(round_trip_2_members),
	T(round_trip_3_members),
	T(round_trip_10_members),
	T(round_trip_50_members),
	T(same_commit_in_band_and_apart),
	T(tampered_tree_refused),
	T(tree_of_another_epoch_refused),
	T(arguments_and_old_path),
	T(welcome_tree_codec),
	{ 0 },
};

int main(int argc, char **argv)
{
	return t_main(argc, argv, cases);
}
