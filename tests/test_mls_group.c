/*
 * test_mls_group.c: the MLS group state machine (crypto/mls/group.h):
 * key packages, create/add/join, commits processed and refused, pending
 * commits, application messages, removal, serialization, and a random
 * property runs over up to 20 and up to 50 members.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ed25519.h"
#include "group.h"
#include "rng.h"
#include "mls_world.h"
#include "t.h"

static bool create(mw_world *w, int i)
{
	return mw_create(w, i, "group-0123456789");
}

TEST(keypackage_create_and_validate)
{
	mw_world w;
	mw_init(&w, 1);
	CHECK(mw_make_kp(&w, 0));
	CHECK_OK(mls_keypackage_validate(w.m[0].kp, w.m[0].kp_len, 0));
	CHECK_OK(mls_keypackage_validate(w.m[0].kp, w.m[0].kp_len, 1700000000));
	/* Every byte flipped is refused (signature, lengths or structure). */
	for (size_t i = 0; i < w.m[0].kp_len; i++) {
		w.m[0].kp[i] ^= 0x01;
		CHECK(mls_keypackage_validate(w.m[0].kp, w.m[0].kp_len, 0) != CR_OK);
		w.m[0].kp[i] ^= 0x01;
	}
	CHECK(mls_keypackage_validate(w.m[0].kp, w.m[0].kp_len - 1, 0) != CR_OK);
	/* Expired lifetime. */
	uint8_t *kp;
	size_t kl;
	mls_kp_secrets s;
	CHECK_OK(mls_keypackage_create(w.m[0].seed, (const uint8_t *)"bob", 3, 10, 20, &w.rng, &kp, &kl, &s));
	CHECK_OK(mls_keypackage_validate(kp, kl, 15));
	CHECK_ERR(mls_keypackage_validate(kp, kl, 21), CR_ERR_INVALID);
	free(kp);
	mw_free(&w);
}

TEST(two_members_add_join_messages)
{
	mw_world w;
	mw_init(&w, 2);
	CHECK(create(&w, 0));
	CHECK(mls_group_epoch(w.m[0].g) == 0);
	CHECK(mw_add(&w, 0, 1));
	CHECK(mls_group_epoch(w.m[0].g) == 1 && mls_group_epoch(w.m[1].g) == 1);
	CHECK(mw_same_epoch(&w, 1));
	CHECK(mw_message(&w, 0, "hello bob"));
	CHECK(mw_message(&w, 1, "hello alice"));
	CHECK(mw_message(&w, 1, "again"));
	uint32_t leaf;
	CHECK_OK(mls_group_find_member(w.m[0].g, (const uint8_t *)"user1", 5, &leaf));
	CHECK(leaf == 1);
	CHECK(mls_group_member_count(w.m[1].g) == 2);
	uint8_t e1[32], e2[32];
	CHECK_OK(mls_group_export(w.m[0].g, e1, 32, (const uint8_t *)"x", 1, NULL, 0));
	CHECK_OK(mls_group_export(w.m[1].g, e2, 32, (const uint8_t *)"x", 1, NULL, 0));
	CHECK_MEM(e1, e2, 32);
	mw_free(&w);
}

TEST(replay_and_tampered_message_refused)
{
	mw_world w;
	mw_init(&w, 3);
	CHECK(create(&w, 0));
	CHECK(mw_add(&w, 0, 1));
	uint8_t *ct, *pt = NULL;
	size_t cl, pl;
	uint32_t from;
	CHECK_OK(mls_group_encrypt(w.m[0].g, (const uint8_t *)"hi", 2, &w.rng, &ct, &cl));
	for (size_t i = 0; i < cl; i++) {
		ct[i] ^= 0x40;
		CHECK(mls_group_decrypt(w.m[1].g, ct, cl, &pt, &pl, &from) != CR_OK);
		ct[i] ^= 0x40;
	}
	CHECK_OK(mls_group_decrypt(w.m[1].g, ct, cl, &pt, &pl, &from));
	free(pt);
	pt = NULL;
	CHECK(mls_group_decrypt(w.m[1].g, ct, cl, &pt, &pl, &from) != CR_OK);
	CHECK(pt == NULL);
	free(ct);
	mw_free(&w);
}

TEST(three_members_remove)
{
	mw_world w;
	mw_init(&w, 4);
	CHECK(create(&w, 0));
	CHECK(mw_add(&w, 0, 1));
	CHECK(mw_add(&w, 1, 2));
	CHECK(mw_same_epoch(&w, 1));
	CHECK(mw_message(&w, 2, "from carol"));
	CHECK(mw_message(&w, 0, "from alice"));
	/* Alice removes Bob. */
	uint8_t *cm, *wm;
	size_t cl, wl;
	uint32_t bob = mls_group_own_leaf(w.m[1].g);
	CHECK_OK(mls_group_commit(w.m[0].g, NULL, NULL, 0, &bob, 1, &w.rng, &cm, &cl, &wm, &wl));
	CHECK(wm == NULL);
	mls_processed what;
	CHECK_OK(mls_group_process(w.m[2].g, cm, cl, &what));
	CHECK(what == MLS_PROCESSED_COMMIT);
	CHECK_OK(mls_group_process(w.m[1].g, cm, cl, &what));
	CHECK(what == MLS_PROCESSED_REMOVED);
	CHECK(!mls_group_active(w.m[1].g));
	CHECK_OK(mls_group_commit_confirm(w.m[0].g));
	free(cm);
	CHECK(mls_group_member_count(w.m[0].g) == 2);
	/* The next message: Bob cannot read it, even with the ciphertext. */
	uint8_t *ct, *pt = NULL;
	size_t ctl, pl;
	uint32_t from;
	CHECK_OK(mls_group_encrypt(w.m[0].g, (const uint8_t *)"secret", 6, &w.rng, &ct, &ctl));
	CHECK(mls_group_decrypt(w.m[1].g, ct, ctl, &pt, &pl, &from) != CR_OK);
	CHECK_OK(mls_group_decrypt(w.m[2].g, ct, ctl, &pt, &pl, &from));
	free(pt);
	free(ct);
	CHECK(mw_same_epoch(&w, 1));
	mw_free(&w);
}

TEST(new_member_cannot_read_older_epoch)
{
	mw_world w;
	mw_init(&w, 5);
	CHECK(create(&w, 0));
	CHECK(mw_add(&w, 0, 1));
	uint8_t *ct, *pt = NULL;
	size_t cl, pl;
	uint32_t from;
	CHECK_OK(mls_group_encrypt(w.m[0].g, (const uint8_t *)"before", 6, &w.rng, &ct, &cl));
	CHECK(mw_add(&w, 0, 2));
	CHECK(mls_group_decrypt(w.m[2].g, ct, cl, &pt, &pl, &from) != CR_OK);
	free(ct);
	CHECK(mw_message(&w, 2, "now I am in"));
	mw_free(&w);
}

TEST(self_remove_committed_by_other)
{
	mw_world w;
	mw_init(&w, 6);
	CHECK(create(&w, 0));
	CHECK(mw_add(&w, 0, 1));
	CHECK(mw_add(&w, 0, 2));
	uint8_t *pr, *cm, *wm;
	size_t pl, cl, wl;
	mls_processed what;
	CHECK_OK(mls_group_propose_self_remove(w.m[2].g, &pr, &pl));
	CHECK_OK(mls_group_process(w.m[0].g, pr, pl, &what));
	CHECK(what == MLS_PROCESSED_PROPOSAL);
	CHECK_OK(mls_group_process(w.m[1].g, pr, pl, &what));
	/* A proposal processed twice is refused (same target). */
	CHECK(mls_group_process(w.m[1].g, pr, pl, &what) != CR_OK);
	free(pr);
	CHECK_OK(mls_group_commit(w.m[1].g, NULL, NULL, 0, NULL, 0, &w.rng, &cm, &cl, &wm, &wl));
	CHECK_OK(mls_group_process(w.m[0].g, cm, cl, &what));
	CHECK(what == MLS_PROCESSED_COMMIT);
	CHECK_OK(mls_group_process(w.m[2].g, cm, cl, &what));
	CHECK(what == MLS_PROCESSED_REMOVED);
	CHECK_OK(mls_group_commit_confirm(w.m[1].g));
	free(cm);
	CHECK(mls_group_member_count(w.m[0].g) == 2);
	CHECK(mw_same_epoch(&w, 1));
	CHECK(mw_message(&w, 0, "without carol"));
	mw_free(&w);
}

/* A member that processes a commit removing its sibling (whose direct path
 * it shared) must drop the private key of the blanked parent, or its state
 * no longer passes the self-consistency check of deserialization. */
TEST(state_round_trips_after_sibling_removed)
{
	mw_world w;
	mw_init(&w, 12);
	CHECK(create(&w, 0));
	CHECK(mw_add(&w, 0, 1));
	CHECK(mw_add(&w, 0, 2));
	uint8_t *pr, *cm, *wm = NULL, *s = NULL;
	size_t pl, cl, wl = 0, sl = 0;
	mls_processed what;
	CHECK_OK(mls_group_propose_self_remove(w.m[1].g, &pr, &pl));
	CHECK_OK(mls_group_process(w.m[0].g, pr, pl, &what));
	CHECK_OK(mls_group_process(w.m[2].g, pr, pl, &what));
	free(pr);
	CHECK_OK(mls_group_commit(w.m[2].g, NULL, NULL, 0, NULL, 0, &w.rng, &cm, &cl, &wm, &wl));
	CHECK_OK(mls_group_commit_confirm(w.m[2].g));
	CHECK_OK(mls_group_process(w.m[0].g, cm, cl, &what));
	CHECK(what == MLS_PROCESSED_COMMIT);
	free(cm);
	free(wm);
	for (int i = 0; i <= 2; i += 2) {
		mls_group *g2 = NULL;
		CHECK_OK(mls_group_serialize(w.m[i].g, &s, &sl));
		CHECK_OK(mls_group_deserialize(&g2, s, sl));
		CHECK(g2 && mw_state_eq(g2, s, sl));
		mls_group_free(g2);
		free(s);
	}
	mls_group_free(w.m[1].g);
	w.m[1].g = NULL;
	CHECK(mw_message(&w, 0, "after bob"));
	mw_free(&w);
}

TEST(update_own_leaf)
{
	mw_world w;
	mw_init(&w, 7);
	CHECK(create(&w, 0));
	CHECK(mw_add(&w, 0, 1));
	uint8_t *cm, *wm;
	size_t cl, wl;
	mls_processed what;
	CHECK_OK(mls_group_commit(w.m[1].g, NULL, NULL, 0, NULL, 0, &w.rng, &cm, &cl, &wm, &wl));
	CHECK_OK(mls_group_process(w.m[0].g, cm, cl, &what));
	CHECK_OK(mls_group_commit_confirm(w.m[1].g));
	free(cm);
	CHECK(mls_group_epoch(w.m[0].g) == 2);
	CHECK(mw_same_epoch(&w, 1));
	CHECK(mw_message(&w, 1, "updated"));
	mw_free(&w);
}

TEST(tampered_commit_and_welcome_leave_state_unchanged)
{
	mw_world w;
	mw_init(&w, 8);
	CHECK(create(&w, 0));
	CHECK(mw_add(&w, 0, 1));
	CHECK(mw_make_kp(&w, 2));
	const uint8_t *kps[1] = { w.m[2].kp };
	size_t lens[1] = { w.m[2].kp_len };
	uint8_t *cm, *wm, *before;
	size_t cl, wl, bl;
	mls_processed what;
	CHECK_OK(mls_group_commit(w.m[0].g, kps, lens, 1, NULL, 0, &w.rng, &cm, &cl, &wm, &wl));
	CHECK_OK(mls_group_serialize(w.m[1].g, &before, &bl));
	size_t step = cl > 400 ? cl / 400 : 1;
	for (size_t i = 0; i < cl; i += step) {
		cm[i] ^= 0x08;
		CHECK(mls_group_process(w.m[1].g, cm, cl, &what) != CR_OK);
		cm[i] ^= 0x08;
	}
	CHECK(mls_group_process(w.m[1].g, cm, cl - 1, &what) != CR_OK);
	CHECK(mw_state_eq(w.m[1].g, before, bl));
	free(before);
	/* Tampered welcome: no join. */
	step = wl > 300 ? wl / 300 : 1;
	for (size_t i = 0; i < wl; i += step) {
		mls_group *j = NULL;
		wm[i] ^= 0x10;
		CHECK(mls_group_join(&j, wm, wl, w.m[2].kp, w.m[2].kp_len, &w.m[2].kps, w.m[2].seed) != CR_OK);
		CHECK(j == NULL);
		wm[i] ^= 0x10;
	}
	/* Wrong key package secrets. */
	mls_kp_secrets bad = w.m[2].kps;
	bad.init_priv[5] ^= 1;
	mls_group *j = NULL;
	CHECK(mls_group_join(&j, wm, wl, w.m[2].kp, w.m[2].kp_len, &bad, w.m[2].seed) != CR_OK);
	CHECK_OK(mls_group_process(w.m[1].g, cm, cl, &what));
	CHECK_OK(mls_group_commit_confirm(w.m[0].g));
	CHECK_OK(mls_group_join(&w.m[2].g, wm, wl, w.m[2].kp, w.m[2].kp_len, &w.m[2].kps, w.m[2].seed));
	free(cm);
	free(wm);
	CHECK(mw_same_epoch(&w, 1));
	CHECK(mw_message(&w, 2, "joined"));
	mw_free(&w);
}

TEST(concurrent_commits_one_wins)
{
	mw_world w;
	mw_init(&w, 9);
	CHECK(create(&w, 0));
	CHECK(mw_add(&w, 0, 1));
	CHECK(mw_add(&w, 0, 2));
	uint8_t *c0, *c1, *wm;
	size_t l0, l1, wl;
	mls_processed what;
	CHECK_OK(mls_group_commit(w.m[0].g, NULL, NULL, 0, NULL, 0, &w.rng, &c0, &l0, &wm, &wl));
	CHECK_OK(mls_group_commit(w.m[1].g, NULL, NULL, 0, NULL, 0, &w.rng, &c1, &l1, &wm, &wl));
	CHECK(mls_group_commit_pending(w.m[0].g));
	uint8_t *cx;
	size_t lx;
	CHECK_ERR(mls_group_commit(w.m[0].g, NULL, NULL, 0, NULL, 0, &w.rng, &cx, &lx, &wm, &wl), CR_ERR_STATE);
	CHECK(cx == NULL);
	/* The server takes member 0's commit: member 1's is discarded. */
	mls_group_commit_discard(w.m[1].g);
	CHECK_OK(mls_group_process(w.m[1].g, c0, l0, &what));
	CHECK_OK(mls_group_process(w.m[2].g, c0, l0, &what));
	CHECK_OK(mls_group_commit_confirm(w.m[0].g));
	/* The losing commit is now of a past epoch. */
	CHECK_ERR(mls_group_process(w.m[2].g, c1, l1, &what), CR_ERR_INVALID);
	CHECK_ERR(mls_group_process(w.m[0].g, c1, l1, &what), CR_ERR_INVALID);
	CHECK(mw_same_epoch(&w, 1));
	free(c0);
	free(c1);
	/* Processing a winning commit also drops one's own pending commit. */
	CHECK_OK(mls_group_commit(w.m[2].g, NULL, NULL, 0, NULL, 0, &w.rng, &c1, &l1, &wm, &wl));
	CHECK_OK(mls_group_commit(w.m[1].g, NULL, NULL, 0, NULL, 0, &w.rng, &c0, &l0, &wm, &wl));
	CHECK_OK(mls_group_process(w.m[2].g, c0, l0, &what));
	CHECK(!mls_group_commit_pending(w.m[2].g));
	CHECK_OK(mls_group_process(w.m[0].g, c0, l0, &what));
	CHECK_OK(mls_group_commit_confirm(w.m[1].g));
	CHECK(mw_same_epoch(&w, 1));
	CHECK(mw_message(&w, 2, "after race"));
	free(c0);
	free(c1);
	mw_free(&w);
}

TEST(serialize_round_trip_mid_conversation)
{
	mw_world w;
	mw_init(&w, 10);
	CHECK(create(&w, 0));
	CHECK(mw_add(&w, 0, 1));
	CHECK(mw_add(&w, 1, 2));
	CHECK(mw_message(&w, 0, "one"));
	CHECK(mw_message(&w, 1, "two"));
	uint8_t *ct, *pt = NULL;
	size_t cl, pl;
	uint32_t from;
	CHECK_OK(mls_group_encrypt(w.m[0].g, (const uint8_t *)"seen", 4, &w.rng, &ct, &cl));
	CHECK_OK(mls_group_decrypt(w.m[1].g, ct, cl, &pt, &pl, &from));
	free(pt);
	pt = NULL;
	for (int i = 0; i < 3; i++) {
		uint8_t *s;
		size_t sl;
		mls_group *g2 = NULL;
		CHECK_OK(mls_group_serialize(w.m[i].g, &s, &sl));
		CHECK_OK(mls_group_deserialize(&g2, s, sl));
		CHECK(g2 && mw_state_eq(g2, s, sl));
		/* Truncations and a trailing byte are refused. */
		for (size_t k = 0; k < sl; k += (sl / 50) + 1) {
			mls_group *g3 = NULL;
			CHECK(mls_group_deserialize(&g3, s, k) != CR_OK);
			CHECK(g3 == NULL);
		}
		uint8_t *s2 = malloc(sl + 1);
		memcpy(s2, s, sl);
		s2[sl] = 0;
		mls_group *g4 = NULL;
		CHECK(mls_group_deserialize(&g4, s2, sl + 1) != CR_OK);
		free(s2);
		free(s);
		mls_group_free(w.m[i].g);
		w.m[i].g = g2;
	}
	/* The restored member still refuses the replay. */
	CHECK(mls_group_decrypt(w.m[1].g, ct, cl, &pt, &pl, &from) != CR_OK);
	free(ct);
	CHECK(mw_same_epoch(&w, 1));
	CHECK(mw_message(&w, 2, "three"));
	CHECK(mw_message(&w, 0, "four"));
	CHECK(mw_add(&w, 2, 3));
	CHECK(mw_message(&w, 3, "five"));
	CHECK(mw_same_epoch(&w, 1));
	mw_free(&w);
}

/* Random adds, removes, updates and messages over 2..20 members. */
/* Random adds, removes, updates and messages (seeded, so every run is the
 * same) over at most max_members; the first grow_to steps only add. After
 * every step all members share one epoch authenticator; a joiner cannot
 * read the epoch before its join; a removed member cannot read the next
 * message while the others can. */
static void property_run(uint8_t seed, int max_members, int grow_to, int steps)
{
	mw_world w;
	mw_init(&w, seed);
	CHECK(create(&w, 0));
	uint8_t r[4];
	for (int step = 0; step < steps; step++) {
		int active[MW_MAX], na = 0, free_slots[MW_MAX], nf = 0;
		for (int i = 0; i < max_members; i++) {
			if (w.m[i].g && mls_group_active(w.m[i].g))
				active[na++] = i;
			else
				free_slots[nf++] = i;
		}
		if (!CHECK(na > 0) || !CHECK_OK(cr_random(&w.rng, r, sizeof r)))
			break;
		int op = r[0] % 4, a = active[r[1] % na];
		if (na < 2 || step < grow_to)
			op = 0;
		if (op == 0 && nf > 0) {
			int s = free_slots[r[2] % nf];
			mls_group_free(w.m[s].g);
			w.m[s].g = NULL;
			/* A message of the epoch before the join stays unreadable. */
			uint8_t *old = NULL, *pt = NULL;
			size_t ol = 0, ptl;
			uint32_t from;
			CHECK_OK(mls_group_encrypt(w.m[a].g, (const uint8_t *)"old", 3, &w.rng, &old, &ol));
			if (!CHECK(mw_add(&w, a, s))) {
				free(old);
				break;
			}
			CHECK(mls_group_decrypt(w.m[s].g, old, ol, &pt, &ptl, &from) != CR_OK);
			free(old);
		} else if (op == 1 && na > 2) {
			int v = active[r[2] % na];
			if (v == a)
				continue;
			uint32_t leaf = mls_group_own_leaf(w.m[v].g);
			uint8_t *cm, *wm;
			size_t cl, wl;
			mls_processed what;
			if (!CHECK_OK(mls_group_commit(w.m[a].g, NULL, NULL, 0, &leaf, 1, &w.rng, &cm, &cl, &wm, &wl)))
				break;
			for (int k = 0; k < na; k++)
				if (active[k] != a)
					CHECK_OK(mls_group_process(w.m[active[k]].g, cm, cl, &what));
			CHECK(!mls_group_active(w.m[v].g));
			CHECK_OK(mls_group_commit_confirm(w.m[a].g));
			free(cm);
			/* The removed member cannot read the next message. */
			uint8_t *ct, *pt = NULL;
			size_t ctl, ptl;
			uint32_t from;
			if (CHECK_OK(mls_group_encrypt(w.m[a].g, (const uint8_t *)"after", 5, &w.rng, &ct, &ctl))) {
				CHECK(mls_group_decrypt(w.m[v].g, ct, ctl, &pt, &ptl, &from) != CR_OK);
				CHECK(pt == NULL);
				for (int k = 0; k < na; k++) {
					if (active[k] == a || active[k] == v)
						continue;
					CHECK_OK(mls_group_decrypt(w.m[active[k]].g, ct, ctl, &pt, &ptl, &from));
					free(pt);
					pt = NULL;
				}
				free(ct);
			}
		} else if (op == 2) {
			uint8_t *cm, *wm;
			size_t cl, wl;
			mls_processed what;
			if (!CHECK_OK(mls_group_commit(w.m[a].g, NULL, NULL, 0, NULL, 0, &w.rng, &cm, &cl, &wm, &wl)))
				break;
			for (int k = 0; k < na; k++)
				if (active[k] != a)
					CHECK_OK(mls_group_process(w.m[active[k]].g, cm, cl, &what));
			CHECK_OK(mls_group_commit_confirm(w.m[a].g));
			free(cm);
		} else {
			if (!CHECK(mw_message(&w, a, "property")))
				break;
		}
		if (!mw_same_epoch(&w, 1))
			break;
	}
	int most = 0;
	for (int i = 0; i < max_members; i++)
		if (w.m[i].g && mls_group_active(w.m[i].g) && (int)mls_group_member_count(w.m[i].g) > most)
			most = (int)mls_group_member_count(w.m[i].g);
	CHECK(grow_to == 0 || most > grow_to / 2); /* the run did reach a large group */
	mw_free(&w);
}

TEST(property_random_operations)
{
	property_run(11, 20, 0, 60);
}

TEST(property_fifty_members)
{
	property_run(12, 50, 49, 120);
}

static const t_case cases[] = {
	T(keypackage_create_and_validate),
	T(two_members_add_join_messages),
	T(replay_and_tampered_message_refused),
	T(three_members_remove),
	T(new_member_cannot_read_older_epoch),
	T(self_remove_committed_by_other),
	T(state_round_trips_after_sibling_removed),
	T(update_own_leaf),
	T(tampered_commit_and_welcome_leave_state_unchanged),
	T(concurrent_commits_one_wins),
	T(serialize_round_trip_mid_conversation),
	T(property_random_operations),
	T(property_fifty_members),
	{ 0 },
};

int main(int argc, char **argv)
{
	return t_main(argc, argv, cases);
}
