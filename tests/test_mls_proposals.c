/*
 * test_mls_proposals.c: Add, Update and Remove proposals by reference
 * (crypto/mls/group.h, group_proposal.c; RFC 9420 sections 12.1, 12.2,
 * 12.4): sent, kept, committed by another member, and the refusals of
 * section 12.2, each leaving the refusing member's state unchanged.
 */
#include <stdlib.h>
#include <string.h>

#include "group.h"
#include "mls_world.h"
#include "rng.h"
#include "t.h"

/* A group of members 0 .. n-1, built by adds from member 0. */
static bool group_of(mw_world *w, int n)
{
	if (!mw_create(w, 0, "proposals-group"))
		return false;
	for (int a = 1; a < n; a++)
		if (!mw_add(w, 0, a))
			return false;
	return true;
}

/* Member p's proposal msg processed by every other member. */
static bool propose_to_all(mw_world *w, int p, uint8_t *msg, size_t len)
{
	bool ok = mw_all_process(w, p, msg, len, MLS_PROCESSED_PROPOSAL);
	free(msg);
	return ok;
}

TEST(add_by_reference_committed_by_another_member)
{
	mw_world w;
	mw_init(&w, 31);
	uint8_t *pm, *wm = NULL;
	size_t pl, wl = 0;
	if (group_of(&w, 3) && mw_make_kp(&w, 3)) {
		CHECK_OK(mls_group_propose_add(w.m[1].g, w.m[3].kp, w.m[3].kp_len, &pm, &pl));
		CHECK(propose_to_all(&w, 1, pm, pl));
		/* The commit carries no add by value: the reference alone. */
		CHECK(mw_commit_all(&w, 2, NULL, NULL, 0, &wm, &wl));
		CHECK(wm != NULL);
		CHECK_OK(mls_group_join(&w.m[3].g, wm, wl, w.m[3].kp, w.m[3].kp_len, &w.m[3].kps, w.m[3].seed));
		CHECK(mls_group_member_count(w.m[0].g) == 4);
		CHECK(mw_same_epoch(&w, 4));
		CHECK(mw_message(&w, 3, "added by reference"));
		CHECK(mw_message(&w, 1, "welcome"));
	}
	free(wm);
	mw_free(&w);
}

TEST(own_add_committed_by_proposer_with_adds_by_value)
{
	mw_world w;
	mw_init(&w, 32);
	uint8_t *pm, *wm = NULL;
	size_t pl, wl = 0;
	if (group_of(&w, 2) && mw_make_kp(&w, 2) && mw_make_kp(&w, 3)) {
		CHECK_OK(mls_group_propose_add(w.m[1].g, w.m[2].kp, w.m[2].kp_len, &pm, &pl));
		CHECK(propose_to_all(&w, 1, pm, pl));
		const uint8_t *kps[1] = { w.m[3].kp };
		size_t lens[1] = { w.m[3].kp_len };
		/* Both joiners read the one Welcome. */
		CHECK(mw_commit_all(&w, 1, kps, lens, 1, &wm, &wl));
		for (int j = 2; j <= 3; j++)
			CHECK_OK(mls_group_join(&w.m[j].g, wm, wl, w.m[j].kp, w.m[j].kp_len, &w.m[j].kps,
						w.m[j].seed));
		CHECK(mw_same_epoch(&w, 4));
		CHECK(mw_message(&w, 2, "by reference"));
		CHECK(mw_message(&w, 3, "by value"));
	}
	free(wm);
	mw_free(&w);
}

TEST(update_by_reference_gives_the_proposer_its_new_key)
{
	mw_world w;
	mw_init(&w, 33);
	uint8_t *pm, *st = NULL;
	size_t pl, sl;
	if (group_of(&w, 4)) {
		/* Two Updates from member 1: the later one is committed. */
		for (int k = 0; k < 2; k++) {
			CHECK_OK(mls_group_propose_update(w.m[1].g, &w.rng, &pm, &pl));
			CHECK(propose_to_all(&w, 1, pm, pl));
		}
		CHECK_OK(mls_group_propose_update(w.m[2].g, &w.rng, &pm, &pl));
		CHECK(propose_to_all(&w, 2, pm, pl));
		/* The kept proposals survive a save of the proposer. */
		mls_group *copy = NULL;
		CHECK_OK(mls_group_serialize(w.m[1].g, &st, &sl));
		CHECK_OK(mls_group_deserialize(&copy, st, sl));
		CHECK(copy && mw_state_eq(copy, st, sl));
		mls_group_free(w.m[1].g);
		w.m[1].g = copy;
		CHECK(mw_commit_all(&w, 0, NULL, NULL, 0, NULL, NULL));
		CHECK(mw_same_epoch(&w, 4));
		CHECK(mw_message(&w, 1, "new key one"));
		CHECK(mw_message(&w, 2, "new key two"));
		/* Consistent keys: the state reloads (private keys checked
		 * against the tree). */
		for (int i = 0; i < 4; i++) {
			uint8_t *s2;
			size_t l2;
			mls_group *g2 = NULL;
			CHECK_OK(mls_group_serialize(w.m[i].g, &s2, &l2));
			CHECK_OK(mls_group_deserialize(&g2, s2, l2));
			mls_group_free(g2);
			free(s2);
		}
	}
	free(st);
	mw_free(&w);
}

TEST(own_update_left_out_of_own_commit)
{
	mw_world w;
	mw_init(&w, 34);
	uint8_t *pm;
	size_t pl;
	if (group_of(&w, 3)) {
		CHECK_OK(mls_group_propose_update(w.m[1].g, &w.rng, &pm, &pl));
		CHECK(propose_to_all(&w, 1, pm, pl));
		/* Section 12.2: member 1's commit must not carry its own Update;
		 * the others would refuse it. */
		CHECK(mw_commit_all(&w, 1, NULL, NULL, 0, NULL, NULL));
		CHECK(mw_same_epoch(&w, 3));
		CHECK(mw_message(&w, 1, "own path instead"));
	}
	mw_free(&w);
}

TEST(remove_wins_over_update_of_the_same_leaf)
{
	mw_world w;
	mw_init(&w, 35);
	uint8_t *pm, *cm;
	size_t pl, cl;
	mls_processed what;
	if (group_of(&w, 3)) {
		CHECK_OK(mls_group_propose_update(w.m[1].g, &w.rng, &pm, &pl));
		CHECK(propose_to_all(&w, 1, pm, pl));
		uint32_t rm[1] = { 1 };
		CHECK_OK(mls_group_commit(w.m[0].g, NULL, NULL, 0, rm, 1, &w.rng, &cm, &cl, NULL, NULL));
		CHECK_OK(mls_group_process(w.m[2].g, cm, cl, &what));
		CHECK(what == MLS_PROCESSED_COMMIT);
		CHECK_OK(mls_group_process(w.m[1].g, cm, cl, &what));
		CHECK(what == MLS_PROCESSED_REMOVED);
		CHECK_OK(mls_group_commit_confirm(w.m[0].g));
		free(cm);
		CHECK(mls_group_member_count(w.m[2].g) == 2);
		CHECK(mw_same_epoch(&w, 2));
		CHECK(mw_message(&w, 2, "without member one"));
	}
	mw_free(&w);
}

TEST(duplicate_or_existing_add_refused_state_unchanged)
{
	mw_world w;
	mw_init(&w, 36);
	uint8_t *a, *b, *pm, *st;
	size_t al, bl, pl, sl;
	mls_processed what;
	if (group_of(&w, 3) && mw_make_kp(&w, 3)) {
		/* An Add of a member already in the group: refused to send. */
		CHECK_ERR(mls_group_propose_add(w.m[0].g, w.m[1].kp, w.m[1].kp_len, &pm, &pl), CR_ERR_INVALID);
		CHECK(pm == NULL);
		/* Members 0 and 2 propose the same newcomer before seeing each
		 * other's proposal: whoever sees both keeps only the first. */
		CHECK_OK(mls_group_propose_add(w.m[0].g, w.m[3].kp, w.m[3].kp_len, &a, &al));
		CHECK_OK(mls_group_propose_add(w.m[2].g, w.m[3].kp, w.m[3].kp_len, &b, &bl));
		CHECK_OK(mls_group_process(w.m[1].g, a, al, &what));
		CHECK_OK(mls_group_serialize(w.m[1].g, &st, &sl));
		CHECK_ERR(mls_group_process(w.m[1].g, b, bl, &what), CR_ERR_INVALID);
		CHECK(mw_state_eq(w.m[1].g, st, sl));
		/* The same proposal twice. */
		CHECK_ERR(mls_group_process(w.m[1].g, a, al, &what), CR_ERR_INVALID);
		CHECK(mw_state_eq(w.m[1].g, st, sl));
		/* A proposer keeps its own: re-sending the same Add is refused. */
		CHECK_ERR(mls_group_propose_add(w.m[0].g, w.m[3].kp, w.m[3].kp_len, &pm, &pl), CR_ERR_INVALID);
		free(st);
		free(a);
		free(b);
	}
	mw_free(&w);
}

TEST(commit_naming_an_unknown_proposal_refused_state_unchanged)
{
	mw_world w;
	mw_init(&w, 37);
	uint8_t *pm, *cm, *st;
	size_t pl, cl, sl;
	mls_processed what;
	if (group_of(&w, 3)) {
		CHECK_OK(mls_group_propose_update(w.m[1].g, &w.rng, &pm, &pl));
		/* Member 2 never sees the proposal. */
		CHECK_OK(mls_group_process(w.m[0].g, pm, pl, &what));
		CHECK_OK(mls_group_commit(w.m[0].g, NULL, NULL, 0, NULL, 0, &w.rng, &cm, &cl, NULL, NULL));
		CHECK_OK(mls_group_serialize(w.m[2].g, &st, &sl));
		CHECK_ERR(mls_group_process(w.m[2].g, cm, cl, &what), CR_ERR_INVALID);
		CHECK(mw_state_eq(w.m[2].g, st, sl));
		/* Once it has the proposal, the same commit goes through. */
		CHECK_OK(mls_group_process(w.m[2].g, pm, pl, &what));
		CHECK_OK(mls_group_process(w.m[2].g, cm, cl, &what));
		CHECK(what == MLS_PROCESSED_COMMIT);
		CHECK_OK(mls_group_process(w.m[1].g, cm, cl, &what));
		CHECK_OK(mls_group_commit_confirm(w.m[0].g));
		CHECK(mw_same_epoch(&w, 3));
		CHECK(mw_message(&w, 1, "updated"));
		free(pm);
		free(cm);
		free(st);
	}
	mw_free(&w);
}

TEST(tampered_proposals_and_commit_leave_state_unchanged)
{
	mw_world w;
	mw_init(&w, 38);
	uint8_t *up, *ad, *cm, *wm = NULL, *st;
	size_t ul, al, cl, wl = 0, sl;
	mls_processed what;
	if (group_of(&w, 3) && mw_make_kp(&w, 3)) {
		CHECK_OK(mls_group_propose_update(w.m[1].g, &w.rng, &up, &ul));
		CHECK_OK(mls_group_propose_add(w.m[1].g, w.m[3].kp, w.m[3].kp_len, &ad, &al));
		CHECK_OK(mls_group_serialize(w.m[2].g, &st, &sl));
		uint8_t *msgs[2] = { up, ad };
		size_t lens[2] = { ul, al };
		for (int k = 0; k < 2; k++) {
			size_t step = lens[k] > 200 ? lens[k] / 200 : 1;
			for (size_t i = 0; i < lens[k]; i += step) {
				msgs[k][i] ^= 0x04;
				CHECK(mls_group_process(w.m[2].g, msgs[k], lens[k], &what) != CR_OK);
				msgs[k][i] ^= 0x04;
			}
		}
		CHECK(mw_state_eq(w.m[2].g, st, sl));
		free(st);
		for (int k = 0; k < 2; k++)
			CHECK(mw_all_process(&w, 1, msgs[k], lens[k], MLS_PROCESSED_PROPOSAL));
		/* A commit without a Welcome cannot cover a kept Add. */
		CHECK_ERR(mls_group_commit(w.m[0].g, NULL, NULL, 0, NULL, 0, &w.rng, &cm, &cl, NULL, NULL),
			  CR_ERR_ARG);
		CHECK(!mls_group_commit_pending(w.m[0].g) && cm == NULL);
		CHECK_OK(mls_group_commit(w.m[0].g, NULL, NULL, 0, NULL, 0, &w.rng, &cm, &cl, &wm, &wl));
		CHECK_OK(mls_group_serialize(w.m[2].g, &st, &sl));
		size_t step = cl > 300 ? cl / 300 : 1;
		for (size_t i = 0; i < cl; i += step) {
			cm[i] ^= 0x20;
			CHECK(mls_group_process(w.m[2].g, cm, cl, &what) != CR_OK);
			cm[i] ^= 0x20;
		}
		CHECK(mw_state_eq(w.m[2].g, st, sl));
		free(st);
		CHECK(mw_all_process(&w, 0, cm, cl, MLS_PROCESSED_COMMIT));
		CHECK_OK(mls_group_commit_confirm(w.m[0].g));
		CHECK_OK(mls_group_join(&w.m[3].g, wm, wl, w.m[3].kp, w.m[3].kp_len, &w.m[3].kps, w.m[3].seed));
		CHECK(mw_same_epoch(&w, 4));
		CHECK(mw_message(&w, 1, "updated and added"));
		CHECK(mw_message(&w, 3, "in"));
		free(up);
		free(ad);
		free(cm);
	}
	free(wm);
	mw_free(&w);
}

static const t_case cases[] = {
	T(add_by_reference_committed_by_another_member),
	T(own_add_committed_by_proposer_with_adds_by_value),
	T(update_by_reference_gives_the_proposer_its_new_key),
	T(own_update_left_out_of_own_commit),
	T(remove_wins_over_update_of_the_same_leaf),
	T(duplicate_or_existing_add_refused_state_unchanged),
	T(commit_naming_an_unknown_proposal_refused_state_unchanged),
	T(tampered_proposals_and_commit_leave_state_unchanged),
	{ 0 },
};

int main(int argc, char **argv)
{
	return t_main(argc, argv, cases);
}
