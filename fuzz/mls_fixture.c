#include "mls_fixture.h"

#include <stdlib.h>
#include <string.h>

#include "ed25519.h"

void fz_must(bool c)
{
	if (!c)
		abort();
}

uint8_t *fz_state_of(const mls_group *g, size_t *n)
{
	uint8_t *s = NULL;
	fz_must(mls_group_serialize(g, &s, n) == CR_OK);
	return s;
}

void fz_unchanged(const mls_group *g, const uint8_t *s, size_t n)
{
	size_t m;
	uint8_t *t = fz_state_of(g, &m);
	fz_must(m == n && memcmp(s, t, n) == 0);
	free(t);
}

void fz_two_members(party p[2], const char *gid, const cr_rng *rng)
{
	uint8_t pub[32];
	for (int i = 0; i < 2; i++) {
		fz_must(cr_ed25519_keygen(p[i].seed, pub, rng) == CR_OK);
		fz_must(mls_keypackage_create(p[i].seed, (const uint8_t *)(i ? "b" : "a"), 1, 0, UINT64_MAX, rng,
					      &p[i].kp, &p[i].kp_len, &p[i].kps) == CR_OK);
	}
	fz_must(mls_group_create(&p[0].g, (const uint8_t *)gid, strlen(gid), p[0].kp, p[0].kp_len, &p[0].kps,
				 p[0].seed, rng) == CR_OK);
	const uint8_t *kps[1] = { p[1].kp };
	size_t lens[1] = { p[1].kp_len };
	uint8_t *cm, *wm;
	size_t cl, wl;
	fz_must(mls_group_commit(p[0].g, kps, lens, 1, NULL, 0, rng, &cm, &cl, &wm, &wl) == CR_OK);
	fz_must(mls_group_commit_confirm(p[0].g) == CR_OK);
	fz_must(mls_group_join(&p[1].g, wm, wl, p[1].kp, p[1].kp_len, &p[1].kps, p[1].seed) == CR_OK);
	free(cm);
	free(wm);
}

void fz_parties_free(party *p, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		mls_group_free(p[k].g);
		free(p[k].kp);
		mls_kp_secrets_wipe(&p[k].kps);
	}
}
