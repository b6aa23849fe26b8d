/*
 * test_mls_roster.c: the group roster accessors (crypto/mls/group_roster.c):
 * each leaf's credential and signature key, blank leaves after a remove,
 * and out-of-range leaves.
 */
#include <stdlib.h>
#include <string.h>

#include "ed25519.h"
#include "mls_world.h"
#include "t.h"

TEST(roster_names_keys_and_blanks)
{
	static mw_world w;
	mw_init(&w, 0x70);
	static const uint8_t gid[] = "roster";
	uint8_t *cm = NULL, *wm = NULL;
	size_t cl, wl;
	if (!mw_make_kp(&w, 0) || !mw_make_kp(&w, 1) || !mw_make_kp(&w, 2))
		goto out;
	if (!CHECK_OK(mls_group_create(&w.m[0].g, gid, sizeof gid - 1, w.m[0].kp, w.m[0].kp_len, &w.m[0].kps,
				       w.m[0].seed, &w.rng)))
		goto out;
	const uint8_t *kps[2] = { w.m[1].kp, w.m[2].kp };
	size_t lens[2] = { w.m[1].kp_len, w.m[2].kp_len };
	if (!CHECK_OK(mls_group_commit(w.m[0].g, kps, lens, 2, NULL, 0, &w.rng, &cm, &cl, &wm, &wl)) ||
	    !CHECK_OK(mls_group_commit_confirm(w.m[0].g)))
		goto out;
	CHECK(mls_group_leaf_count(w.m[0].g) >= 3); /* the tree may hold blank leaves */
	for (uint32_t i = 0; i < 3; i++) {
		const uint8_t *id;
		size_t id_len;
		uint8_t key[MLS_SIG_PUB_LEN], want[CR_ED25519_PUB_LEN];
		if (!CHECK_OK(mls_group_member(w.m[0].g, i, &id, &id_len, key)))
			continue;
		CHECK(id_len == strlen(w.m[i].name) && memcmp(id, w.m[i].name, id_len) == 0);
		CHECK_OK(cr_ed25519_public(want, w.m[i].seed));
		CHECK_MEM(key, want, 32);
	}
	const uint8_t *id;
	size_t id_len;
	uint8_t key[MLS_SIG_PUB_LEN];
	CHECK_ERR(mls_group_member(w.m[0].g, 3, &id, &id_len, key), CR_ERR_NOT_FOUND);
	CHECK_ERR(mls_group_member(w.m[0].g, mls_group_leaf_count(w.m[0].g), &id, &id_len, key), CR_ERR_NOT_FOUND);
	CHECK_ERR(mls_group_member(w.m[0].g, UINT32_MAX, &id, &id_len, key), CR_ERR_NOT_FOUND);
	free(cm);
	free(wm);
	cm = wm = NULL;
	uint32_t rm = 1;
	if (!CHECK_OK(mls_group_commit(w.m[0].g, NULL, NULL, 0, &rm, 1, &w.rng, &cm, &cl, &wm, &wl)) ||
	    !CHECK_OK(mls_group_commit_confirm(w.m[0].g)))
		goto out;
	CHECK_ERR(mls_group_member(w.m[0].g, 1, &id, &id_len, key), CR_ERR_NOT_FOUND);
	CHECK_OK(mls_group_member(w.m[0].g, 2, &id, &id_len, key));
out:
	free(cm);
	free(wm);
	mw_free(&w);
}


/* What the client engine stores after each step of a self-remove that
 * another member commits must open again. */
static bool round_trips(mls_group *g)
{
	uint8_t *p = NULL;
	size_t n = 0;
	mls_group *back = NULL;
	bool ok = CHECK_OK(mls_group_serialize(g, &p, &n)) && CHECK_OK(mls_group_deserialize(&back, p, n)) &&
		  CHECK(mw_state_eq(back, p, n));
	mls_group_free(back);
	free(p);
	return ok;
}

TEST(state_round_trips_through_a_self_remove)
{
	static mw_world w;
	mw_init(&w, 0x71);
	static const uint8_t gid[] = "leave";
	uint8_t *cm = NULL, *wm = NULL, *prop = NULL, *cm2 = NULL, *wm2 = NULL;
	size_t cl, wl, pl, cl2, wl2;
	if (!mw_make_kp(&w, 0) || !mw_make_kp(&w, 1) || !mw_make_kp(&w, 2))
		goto out;
	if (!CHECK_OK(mls_group_create(&w.m[0].g, gid, sizeof gid - 1, w.m[0].kp, w.m[0].kp_len, &w.m[0].kps,
				       w.m[0].seed, &w.rng)))
		goto out;
	const uint8_t *kps[2] = { w.m[1].kp, w.m[2].kp };
	size_t lens[2] = { w.m[1].kp_len, w.m[2].kp_len };
	if (!CHECK_OK(mls_group_commit(w.m[0].g, kps, lens, 2, NULL, 0, &w.rng, &cm, &cl, &wm, &wl)) ||
	    !CHECK_OK(mls_group_commit_confirm(w.m[0].g)))
		goto out;
	for (int i = 1; i <= 2; i++)
		if (!CHECK_OK(mls_group_join(&w.m[i].g, wm, wl, w.m[i].kp, w.m[i].kp_len, &w.m[i].kps, w.m[i].seed)))
			goto out;
	for (int i = 0; i <= 2; i++)
		if (!round_trips(w.m[i].g))
			goto out;
	if (!CHECK_OK(mls_group_propose_self_remove(w.m[1].g, &prop, &pl)))
		goto out;
	mls_processed what;
	for (int i = 0; i <= 2; i += 2)
		if (!CHECK_OK(mls_group_process(w.m[i].g, prop, pl, &what)) || !round_trips(w.m[i].g))
			goto out;
	uint32_t removed[4];
	CHECK(mls_group_remove_proposals(w.m[0].g, removed, 4) == 1 && removed[0] == 1);
	if (!CHECK_OK(mls_group_commit(w.m[2].g, NULL, NULL, 0, NULL, 0, &w.rng, &cm2, &cl2, &wm2, &wl2)) ||
	    !CHECK_OK(mls_group_commit_confirm(w.m[2].g)))
		goto out;
	CHECK(round_trips(w.m[2].g));
	if (CHECK_OK(mls_group_process(w.m[0].g, cm2, cl2, &what)))
		CHECK(round_trips(w.m[0].g));
	CHECK(mls_group_remove_proposals(w.m[0].g, removed, 4) == 0);
out:
	free(cm), free(wm), free(prop), free(cm2), free(wm2);
	mw_free(&w);
}

static const t_case cases[] = { T(roster_names_keys_and_blanks), T(state_round_trips_through_a_self_remove), { 0 } };

int main(int argc, char **argv) { return t_main(argc, argv, cases); }
