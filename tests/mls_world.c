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
