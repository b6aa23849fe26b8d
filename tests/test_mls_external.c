/*
 * test_mls_external.c: external commit joins (crypto/mls/group_external.h,
 * RFC 9420 section 12.4.3.2): GroupInfo export, join from it, processing
 * by members, refusal of tampered GroupInfo and commits, resync, and the
 * pending-commit semantics of the joiner.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ed25519.h"
#include "group.h"
#include "group_external.h"
#include "msg_message.h"
#include "rng.h"
#include "suite.h"
#include "mls_world.h"
#include "t.h"

static const char *NAMES[] = { "alice", "bob", "carol", "dave", "carol", "erin" };
#define MAXM ((int)(sizeof NAMES / sizeof NAMES[0]))

static void world_init(mw_world *w, uint8_t seedbyte)
{
	mw_init(w, seedbyte);
	for (int i = 0; i < MAXM; i++)
		snprintf(w->m[i].name, sizeof w->m[i].name, "%s", NAMES[i]);
}

/* alice (0) creates the group and adds bob (1): epoch 1. */
static bool alice_and_bob(mw_world *w)
{
	return mw_create(w, 0, "ext-group-42") && mw_add(w, 0, 1);
}

/* j joins from a GroupInfo exported by member x; every other active member
 * processes the commit; j confirms. */
static bool join_ext(mw_world *w, int x, int j)
{
	uint8_t *gi = NULL, *cm = NULL;
	size_t gl, cl;
	bool ok = false;
	mw_member *m = &w->m[j];
	if (!mw_keys(w, j) || !CHECK_OK(mls_group_info_export(w->m[x].g, &gi, &gl)))
		goto out;
	if (!CHECK_OK(mls_group_join_external(&m->g, gi, gl, m->seed, (const uint8_t *)m->name, strlen(m->name),
					      &w->rng, &cm, &cl)))
		goto out;
	if (!CHECK(!mls_group_active(m->g) && mls_group_commit_pending(m->g)))
		goto out;
	t_note("%s joins: GroupInfo %zu bytes, external commit %zu bytes", m->name, gl, cl);
	for (int i = 0; i < MAXM; i++) {
		if (i == j || !w->m[i].g || !mls_group_active(w->m[i].g))
			continue;
		mls_processed what;
		if (!CHECK_OK(mls_group_process(w->m[i].g, cm, cl, &what)))
			goto out;
		if (!CHECK(what == MLS_PROCESSED_COMMIT || what == MLS_PROCESSED_REMOVED))
			goto out;
	}
	if (!CHECK_OK(mls_group_commit_confirm(m->g)) || !CHECK(mls_group_active(m->g)))
		goto out;
	ok = true;
out:
	free(gi);
	free(cm);
	return ok;
}

TEST(carol_joins_by_external_commit)
{
	mw_world w;
	world_init(&w, 1);
	CHECK(alice_and_bob(&w));
	/* A message carol must never read: sent before her join. */
	uint8_t *old = NULL;
	size_t ol = 0;
	CHECK_OK(mls_group_encrypt(w.m[0].g, (const uint8_t *)"before carol", 12, &w.rng, &old, &ol));
	CHECK(join_ext(&w, 0, 2));
	CHECK(mls_group_epoch(w.m[0].g) == 2 && mls_group_epoch(w.m[1].g) == 2 && mls_group_epoch(w.m[2].g) == 2);
	CHECK(mls_group_member_count(w.m[0].g) == 3 && mls_group_member_count(w.m[2].g) == 3);
	uint32_t leaf = 99;
	CHECK_OK(mls_group_find_member(w.m[1].g, (const uint8_t *)"carol", 5, &leaf));
	CHECK(leaf == 2 && mls_group_own_leaf(w.m[2].g) == 2);
	CHECK(mw_same_epoch(&w, 2));
	uint8_t e0[32], e2[32];
	CHECK_OK(mls_group_export(w.m[0].g, e0, 32, (const uint8_t *)"k", 1, NULL, 0));
	CHECK_OK(mls_group_export(w.m[2].g, e2, 32, (const uint8_t *)"k", 1, NULL, 0));
	CHECK_MEM(e0, e2, 32);
	CHECK(mw_message(&w, 2, "hi, I am carol"));
	CHECK(mw_message(&w, 0, "welcome carol"));
	CHECK(mw_message(&w, 1, "hello from bob"));
	/* The pre-join message: carol cannot read it (old epoch). */
	uint8_t *pt = NULL;
	size_t pl = 0;
	CHECK(mls_group_decrypt(w.m[2].g, old, ol, &pt, &pl, NULL) != CR_OK);
	CHECK(pt == NULL);
	free(old);
	/* The group goes on with ordinary commits: carol commits an update. */
	uint8_t *cm = NULL;
	size_t cl;
	CHECK_OK(mls_group_commit(w.m[2].g, NULL, NULL, 0, NULL, 0, &w.rng, &cm, &cl, NULL, NULL));
	mls_processed what;
	CHECK_OK(mls_group_process(w.m[0].g, cm, cl, &what));
	CHECK_OK(mls_group_process(w.m[1].g, cm, cl, &what));
	CHECK_OK(mls_group_commit_confirm(w.m[2].g));
	free(cm);
	CHECK(mw_same_epoch(&w, 2));
	CHECK(mw_message(&w, 1, "epoch 3"));
	/* And a second external joiner, from bob's GroupInfo this time. */
	CHECK(join_ext(&w, 1, 3));
	CHECK(mls_group_member_count(w.m[3].g) == 4);
	CHECK(mw_same_epoch(&w, 2));
	CHECK(mw_message(&w, 3, "dave here"));
	/* carol's state survives a save after the join. */
	uint8_t *s = NULL;
	size_t sl = 0;
	CHECK_OK(mls_group_serialize(w.m[2].g, &s, &sl));
	mls_group *c2 = NULL;
	CHECK_OK(mls_group_deserialize(&c2, s, sl));
	CHECK(c2 && mw_state_eq(c2, s, sl));
	mls_group_free(c2);
	free(s);
	mw_free(&w);
}

TEST(tampered_group_info_refused)
{
	mw_world w;
	world_init(&w, 2);
	CHECK(alice_and_bob(&w));
	CHECK(mw_keys(&w, 2));
	uint8_t *gi = NULL, *cm = NULL;
	size_t gl = 0, cl = 0;
	mls_group *g = NULL;
	CHECK_OK(mls_group_info_export(w.m[0].g, &gi, &gl));
	/* The signature (last bytes) flipped: CR_ERR_AUTH. */
	gi[gl - 1] ^= 0x80;
	CHECK_ERR(mls_group_join_external(&g, gi, gl, w.m[2].seed, (const uint8_t *)"carol", 5, &w.rng, &cm, &cl),
		  CR_ERR_AUTH);
	CHECK(g == NULL && cm == NULL);
	gi[gl - 1] ^= 0x80;
	/* Every byte flipped is refused (signature, tree hash, encoding). */
	size_t refused = 0;
	for (size_t i = 0; i < gl; i++) {
		gi[i] ^= 0x01;
		cr_err e = mls_group_join_external(&g, gi, gl, w.m[2].seed, (const uint8_t *)"carol", 5, &w.rng, &cm,
						   &cl);
		refused += e != CR_OK;
		if (e == CR_OK) {
			t_note("byte %zu accepted", i);
			mls_group_free(g);
			free(cm);
		}
		g = NULL;
		cm = NULL;
		gi[i] ^= 0x01;
	}
	CHECK(refused == gl);
	/* Truncated. */
	CHECK(mls_group_join_external(&g, gi, gl - 1, w.m[2].seed, (const uint8_t *)"carol", 5, &w.rng, &cm, &cl) !=
	      CR_OK);
	/* A Welcome is not a GroupInfo. */
	CHECK(mls_group_join_external(&g, w.m[0].kp, w.m[0].kp_len, w.m[2].seed, (const uint8_t *)"carol", 5, &w.rng,
				      &cm, &cl) != CR_OK);
	/* The intact one still works. */
	CHECK_OK(mls_group_join_external(&g, gi, gl, w.m[2].seed, (const uint8_t *)"carol", 5, &w.rng, &cm, &cl));
	mls_group_free(g);
	free(cm);
	free(gi);
	mw_free(&w);
}

/* Rebuilds alice's GroupInfo without the extension of type drop and signs
 * it again with her key, so only the missing extension is wrong. */
static uint8_t *strip_extension(mw_world *w, const uint8_t *gi, size_t gl, uint16_t drop, size_t *out_len)
{
	mls_message m;
	cr_writer ext, tbs, msg;
	uint8_t sig[MLS_SIG_LEN];
	uint8_t *out = NULL;
	cr_writer_init_dynamic(&ext, MLS_MAX_MESSAGE);
	cr_writer_init_dynamic(&tbs, MLS_MAX_MESSAGE);
	cr_writer_init_dynamic(&msg, MLS_MAX_MESSAGE);
	if (!CHECK_OK(mls_message_decode(gi, gl, &m)))
		goto out;
	cr_reader it;
	mls_extension x;
	size_t kept = 0, seen = 0;
	mls_vec_iter(&m.u.group_info.extensions, &it);
	while (mls_extensions_next(&it, &x) == CR_OK) {
		seen++;
		if (x.type == drop)
			continue;
		mls_extension_write(&ext, &x);
		kept++;
	}
	if (!CHECK(seen == 2 && kept == 1) || !CHECK_OK(cr_writer_error(&ext)))
		goto out;
	m.u.group_info.extensions.body = (cr_span){ ext.p, ext.len };
	m.u.group_info.extensions.count = kept;
	mls_group_info_tbs_write(&tbs, &m.u.group_info);
	if (!CHECK_OK(cr_writer_error(&tbs)) ||
	    !CHECK_OK(mls_sign_with_label(sig, w->m[0].seed, "GroupInfoTBS", tbs.p, tbs.len)))
		goto out;
	m.u.group_info.signature = (cr_span){ sig, sizeof sig };
	mls_message_write(&msg, &m);
	if (CHECK_OK(cr_writer_error(&msg)))
		out = cr_writer_take(&msg, out_len);
out:
	cr_writer_free(&ext);
	cr_writer_free(&tbs);
	cr_writer_free(&msg);
	return out;
}

TEST(group_info_without_external_pub_refused)
{
	mw_world w;
	world_init(&w, 3);
	CHECK(alice_and_bob(&w));
	CHECK(mw_keys(&w, 2));
	uint8_t *gi = NULL, *cm = NULL;
	size_t gl = 0, cl = 0;
	mls_group *g = NULL;
	CHECK_OK(mls_group_info_export(w.m[0].g, &gi, &gl));
	size_t sl = 0;
	uint8_t *stripped = strip_extension(&w, gi, gl, 4, &sl);
	CHECK(stripped != NULL);
	if (stripped) {
		CHECK_ERR(mls_group_join_external(&g, stripped, sl, w.m[2].seed, (const uint8_t *)"carol", 5, &w.rng,
						  &cm, &cl),
			  CR_ERR_UNSUPPORTED);
		CHECK(g == NULL && cm == NULL);
		free(stripped);
	}
	/* Without the ratchet tree as well. */
	stripped = strip_extension(&w, gi, gl, 2, &sl);
	CHECK(stripped != NULL);
	if (stripped) {
		CHECK_ERR(mls_group_join_external(&g, stripped, sl, w.m[2].seed, (const uint8_t *)"carol", 5, &w.rng,
						  &cm, &cl),
			  CR_ERR_UNSUPPORTED);
		free(stripped);
	}
	free(gi);
	/* Epoch 0 cannot be exported; nor with a commit pending. */
	mls_group *solo = NULL;
	CHECK(mw_make_kp(&w, 5));
	CHECK_OK(mls_group_create(&solo, (const uint8_t *)"solo", 4, w.m[5].kp, w.m[5].kp_len, &w.m[5].kps, w.m[5].seed,
				  &w.rng));
	CHECK_ERR(mls_group_info_export(solo, &gi, &gl), CR_ERR_STATE);
	mls_group_free(solo);
	CHECK_OK(mls_group_commit(w.m[0].g, NULL, NULL, 0, NULL, 0, &w.rng, &cm, &cl, NULL, NULL));
	CHECK_ERR(mls_group_info_export(w.m[0].g, &gi, &gl), CR_ERR_STATE);
	mls_group_commit_discard(w.m[0].g);
	free(cm);
	mw_free(&w);
}

TEST(tampered_external_commit_leaves_state_unchanged)
{
	mw_world w;
	world_init(&w, 4);
	CHECK(alice_and_bob(&w));
	CHECK(mw_keys(&w, 2));
	uint8_t *gi = NULL, *cm = NULL, *sa = NULL, *sb = NULL;
	size_t gl = 0, cl = 0, sal = 0, sbl = 0;
	mls_processed what;
	CHECK_OK(mls_group_info_export(w.m[0].g, &gi, &gl));
	CHECK_OK(mls_group_join_external(&w.m[2].g, gi, gl, w.m[2].seed, (const uint8_t *)"carol", 5, &w.rng, &cm,
					 &cl));
	CHECK_OK(mls_group_serialize(w.m[0].g, &sa, &sal));
	CHECK_OK(mls_group_serialize(w.m[1].g, &sb, &sbl));
	/* Every byte flipped: refused, and alice's state is byte for byte the same. */
	size_t refused = 0, same = 0;
	for (size_t i = 0; i < cl; i++) {
		cm[i] ^= 0x01;
		cr_err e = mls_group_process(w.m[0].g, cm, cl, &what);
		refused += e != CR_OK;
		same += mw_state_eq(w.m[0].g, sa, sal);
		if (e == CR_OK)
			t_note("byte %zu accepted", i);
		cm[i] ^= 0x01;
		if (e == CR_OK)
			break;
	}
	CHECK(refused == cl && same == cl);
	CHECK(mls_group_process(w.m[0].g, cm, cl - 1, &what) != CR_OK);
	CHECK(mw_state_eq(w.m[0].g, sa, sal));
	/* The joiner is inactive until it confirms. */
	uint8_t *ct = NULL;
	size_t ctl;
	CHECK_ERR(mls_group_encrypt(w.m[2].g, (const uint8_t *)"x", 1, &w.rng, &ct, &ctl), CR_ERR_STATE);
	/* The untouched commit is accepted by both. */
	CHECK_OK(mls_group_process(w.m[0].g, cm, cl, &what));
	CHECK(what == MLS_PROCESSED_COMMIT);
	CHECK_OK(mls_group_process(w.m[1].g, cm, cl, &what));
	CHECK_OK(mls_group_commit_confirm(w.m[2].g));
	CHECK(mw_same_epoch(&w, 2));
	/* Replayed in the new epoch: refused, state unchanged. */
	free(sa);
	CHECK_OK(mls_group_serialize(w.m[0].g, &sa, &sal));
	CHECK(mls_group_process(w.m[0].g, cm, cl, &what) != CR_OK);
	CHECK(mw_state_eq(w.m[0].g, sa, sal));
	free(sa);
	free(sb);
	free(gi);
	free(cm);
	mw_free(&w);
}

TEST(joiner_discards_when_another_commit_wins)
{
	mw_world w;
	world_init(&w, 5);
	CHECK(alice_and_bob(&w));
	CHECK(mw_keys(&w, 2));
	uint8_t *gi = NULL, *cm = NULL, *bc = NULL, *sa = NULL;
	size_t gl = 0, cl = 0, bcl = 0, sal = 0;
	mls_processed what;
	CHECK_OK(mls_group_info_export(w.m[0].g, &gi, &gl));
	CHECK_OK(mls_group_join_external(&w.m[2].g, gi, gl, w.m[2].seed, (const uint8_t *)"carol", 5, &w.rng, &cm,
					 &cl));
	/* bob's update reaches the server first. */
	CHECK_OK(mls_group_commit(w.m[1].g, NULL, NULL, 0, NULL, 0, &w.rng, &bc, &bcl, NULL, NULL));
	CHECK_OK(mls_group_process(w.m[0].g, bc, bcl, &what));
	CHECK_OK(mls_group_commit_confirm(w.m[1].g));
	mls_group_commit_discard(w.m[2].g);
	CHECK(!mls_group_commit_pending(w.m[2].g) && !mls_group_active(w.m[2].g));
	CHECK_ERR(mls_group_commit_confirm(w.m[2].g), CR_ERR_STATE);
	mls_group_free(w.m[2].g);
	w.m[2].g = NULL;
	/* The stale commit is refused by members, state unchanged. */
	CHECK_OK(mls_group_serialize(w.m[0].g, &sa, &sal));
	CHECK_ERR(mls_group_process(w.m[0].g, cm, cl, &what), CR_ERR_INVALID);
	CHECK(mw_state_eq(w.m[0].g, sa, sal));
	free(cm);
	free(gi);
	/* A stale GroupInfo gives a stale commit too. */
	free(sa);
	/* Retry with a fresh GroupInfo. */
	CHECK(join_ext(&w, 1, 2));
	CHECK(mw_same_epoch(&w, 2));
	CHECK(mw_message(&w, 2, "second try"));
	free(bc);
	mw_free(&w);
}

TEST(resync_removes_previous_leaf_of_same_identity)
{
	mw_world w;
	world_init(&w, 6);
	CHECK(alice_and_bob(&w));
	CHECK(join_ext(&w, 0, 2));
	CHECK(mw_message(&w, 2, "carol, first device"));
	uint32_t before;
	CHECK_OK(mls_group_find_member(w.m[0].g, (const uint8_t *)"carol", 5, &before));
	/* carol's state is lost; she rejoins as member 4 (same identity, new keys). */
	uint8_t *gi = NULL, *cm = NULL;
	size_t gl = 0, cl = 0;
	CHECK(mw_keys(&w, 4));
	CHECK_OK(mls_group_info_export(w.m[1].g, &gi, &gl));
	CHECK_OK(mls_group_join_external(&w.m[4].g, gi, gl, w.m[4].seed, (const uint8_t *)"carol", 5, &w.rng, &cm,
					 &cl));
	mls_processed what;
	CHECK_OK(mls_group_process(w.m[0].g, cm, cl, &what));
	CHECK(what == MLS_PROCESSED_COMMIT);
	CHECK_OK(mls_group_process(w.m[1].g, cm, cl, &what));
	CHECK(what == MLS_PROCESSED_COMMIT);
	/* The old device learns it is out. */
	CHECK_OK(mls_group_process(w.m[2].g, cm, cl, &what));
	CHECK(what == MLS_PROCESSED_REMOVED && !mls_group_active(w.m[2].g));
	CHECK_OK(mls_group_commit_confirm(w.m[4].g));
	CHECK(mls_group_member_count(w.m[0].g) == 3 && mls_group_member_count(w.m[4].g) == 3);
	uint32_t after;
	CHECK_OK(mls_group_find_member(w.m[0].g, (const uint8_t *)"carol", 5, &after));
	CHECK(after == before && mls_group_own_leaf(w.m[4].g) == after);
	CHECK(mw_same_epoch(&w, 2));
	CHECK(mw_message(&w, 4, "carol, second device"));
	CHECK(mw_message(&w, 0, "hi again"));
	free(gi);
	free(cm);
	mw_free(&w);
}

TEST(remove_of_another_identity_refused)
{
	mw_world w;
	world_init(&w, 7);
	CHECK(alice_and_bob(&w));
	CHECK(mw_keys(&w, 5));
	uint8_t *gi = NULL, *cm = NULL, *sa = NULL;
	size_t gl = 0, cl = 0, sal = 0;
	mls_group *g = NULL;
	mls_processed what;
	CHECK_OK(mls_group_info_export(w.m[0].g, &gi, &gl));
	/* erin tries to push bob out while joining: a well-signed commit with
	 * a valid tag, refused by the resync rule. */
	CHECK_OK(mls_group_join_external_remove(&g, gi, gl, w.m[5].seed, (const uint8_t *)"erin", 4, 1, &w.rng, &cm,
						&cl));
	CHECK_OK(mls_group_serialize(w.m[0].g, &sa, &sal));
	CHECK_ERR(mls_group_process(w.m[0].g, cm, cl, &what), CR_ERR_INVALID);
	CHECK(mw_state_eq(w.m[0].g, sa, sal));
	CHECK_ERR(mls_group_process(w.m[1].g, cm, cl, &what), CR_ERR_INVALID);
	CHECK(mls_group_active(w.m[1].g));
	mls_group_free(g);
	g = NULL;
	free(cm);
	cm = NULL;
	/* A leaf that does not exist: refused by the joiner already. */
	CHECK_ERR(mls_group_join_external_remove(&g, gi, gl, w.m[5].seed, (const uint8_t *)"erin", 4, 7, &w.rng, &cm,
						 &cl),
		  CR_ERR_ARG);
	CHECK(g == NULL && cm == NULL);
	/* Without the Remove, erin gets in. */
	CHECK_OK(mls_group_join_external_remove(&g, gi, gl, w.m[5].seed, (const uint8_t *)"erin", 4,
						MLS_EXT_REMOVE_NONE, &w.rng, &cm, &cl));
	CHECK_OK(mls_group_process(w.m[0].g, cm, cl, &what));
	CHECK_OK(mls_group_process(w.m[1].g, cm, cl, &what));
	CHECK_OK(mls_group_commit_confirm(g));
	w.m[5].g = g;
	CHECK(mls_group_member_count(w.m[1].g) == 3);
	CHECK(mw_same_epoch(&w, 2));
	CHECK(mw_message(&w, 5, "erin says hi"));
	free(cm);
	free(sa);
	free(gi);
	mw_free(&w);
}

static const t_case cases[] = {
	T(carol_joins_by_external_commit),
	T(tampered_group_info_refused),
	T(group_info_without_external_pub_refused),
	T(tampered_external_commit_leaves_state_unchanged),
	T(joiner_discards_when_another_commit_wins),
	T(resync_removes_previous_leaf_of_same_identity),
	T(remove_of_another_identity_refused),
	{ 0 },
};

int main(int argc, char **argv)
{
	return t_main(argc, argv, cases);
}
