#include "mls_world.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ed25519.h"
#include "t.h"

void mw_init(mw_world *w, uint8_t seedbyte)
{
	uint8_t s[32];
	memset(w, 0, sizeof *w);
	memset(s, seedbyte, sizeof s);
	cr_rng_det_init(&w->det, &w->rng, s);
	for (int i = 0; i < MW_MAX; i++)
		snprintf(w->m[i].name, sizeof w->m[i].name, "user%d", i);
}

void mw_free(mw_world *w)
{
	for (int i = 0; i < MW_MAX; i++) {
		mls_group_free(w->m[i].g);
		free(w->m[i].kp);
		mls_kp_secrets_wipe(&w->m[i].kps);
	}
}

bool mw_keys(mw_world *w, int i)
{
	uint8_t pub[32];
	return CHECK_OK(cr_ed25519_keygen(w->m[i].seed, pub, &w->rng));
}

bool mw_make_kp(mw_world *w, int i)
{
	mw_member *m = &w->m[i];
	free(m->kp);
	m->kp = NULL;
	if (!mw_keys(w, i))
		return false;
	return CHECK_OK(mls_keypackage_create(m->seed, (const uint8_t *)m->name, strlen(m->name), 0, UINT64_MAX,
					      &w->rng, &m->kp, &m->kp_len, &m->kps));
}

bool mw_create(mw_world *w, int i, const char *gid)
{
	mw_member *m = &w->m[i];
	return mw_make_kp(w, i) && CHECK_OK(mls_group_create(&m->g, (const uint8_t *)gid, strlen(gid), m->kp,
							      m->kp_len, &m->kps, m->seed, &w->rng));
}

bool mw_all_process(mw_world *w, int skip, const uint8_t *msg, size_t len, mls_processed what)
{
	for (int i = 0; i < MW_MAX; i++) {
		mls_processed got;
		if (i == skip || !w->m[i].g || !mls_group_active(w->m[i].g))
			continue;
		if (!CHECK_OK(mls_group_process(w->m[i].g, msg, len, &got)) || !CHECK(got == what))
			return false;
	}
	return true;
}

bool mw_commit_all(mw_world *w, int c, const uint8_t *const *kps, const size_t *lens, size_t n, uint8_t **wm,
		   size_t *wl)
{
	uint8_t *cm = NULL;
	size_t cl;
	bool ok = CHECK_OK(mls_group_commit(w->m[c].g, kps, lens, n, NULL, 0, &w->rng, &cm, &cl, wm, wl)) &&
		  mw_all_process(w, c, cm, cl, MLS_PROCESSED_COMMIT) && CHECK_OK(mls_group_commit_confirm(w->m[c].g));
	free(cm);
	return ok;
}

bool mw_add(mw_world *w, int c, int a)
{
	mw_member *m = &w->m[a];
	uint8_t *wm = NULL;
	size_t wl;
	if (!mw_make_kp(w, a))
		return false;
	const uint8_t *kps[1] = { m->kp };
	size_t lens[1] = { m->kp_len };
	bool ok = mw_commit_all(w, c, kps, lens, 1, &wm, &wl) &&
		  CHECK_OK(mls_group_join(&m->g, wm, wl, m->kp, m->kp_len, &m->kps, m->seed));
	free(wm);
	return ok;
}

bool mw_state_eq(const mls_group *g, const uint8_t *s, size_t n)
{
	uint8_t *t = NULL;
	size_t tn = 0;
	bool ok = mls_group_serialize(g, &t, &tn) == CR_OK && tn == n && memcmp(t, s, n) == 0;
	free(t);
	return ok;
}

bool mw_same_epoch(mw_world *w, int min_members)
{
	uint8_t ref[MLS_NH], x[MLS_NH];
	bool ok = true;
	int n = 0;
	for (int i = 0; i < MW_MAX; i++) {
		if (!w->m[i].g || !mls_group_active(w->m[i].g))
			continue;
		mls_group_epoch_authenticator(w->m[i].g, x);
		if (n++ == 0)
			memcpy(ref, x, sizeof ref);
		else if (memcmp(ref, x, sizeof ref) != 0)
			ok = false;
	}
	return CHECK(ok && n >= min_members);
}

bool mw_message(mw_world *w, int s, const char *text)
{
	uint8_t *ct = NULL;
	size_t cl;
	bool ok = false;
	if (!CHECK_OK(mls_group_encrypt(w->m[s].g, (const uint8_t *)text, strlen(text), &w->rng, &ct, &cl)))
		return false;
	for (int i = 0; i < MW_MAX; i++) {
		if (i == s || !w->m[i].g || !mls_group_active(w->m[i].g))
			continue;
		uint8_t *pt = NULL;
		size_t pl;
		uint32_t from;
		if (!CHECK_OK(mls_group_decrypt(w->m[i].g, ct, cl, &pt, &pl, &from)))
			goto out;
		bool good = CHECK(pl == strlen(text) && memcmp(pt, text, pl) == 0) &&
			    CHECK(from == mls_group_own_leaf(w->m[s].g));
		free(pt);
		if (!good)
			goto out;
	}
	ok = true;
out:
	free(ct);
	return ok;
}
