/*
 * mls_world.h: a small world of MLS members for tests: each member has an
 * Ed25519 identity, a KeyPackage and (once in) a group; all randomness comes
 * from one seeded stream, so every run is the same. Shared by the group and
 * external-commit tests; the helpers CHECK as they go and return false on
 * the first failure.
 */
#ifndef ECHOVER_MLS_WORLD_H
#define ECHOVER_MLS_WORLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "group.h"
#include "rng.h"

#define MW_MAX 52 /* property runs go up to 50 members */

typedef struct mw_member {
	char name[16];          /* the basic credential; "userN" unless set */
	uint8_t seed[32];       /* Ed25519 signature seed */
	uint8_t *kp;
	size_t kp_len;
	mls_kp_secrets kps;
	mls_group *g;
} mw_member;

typedef struct mw_world {
	cr_rng_det det;
	cr_rng rng;
	mw_member m[MW_MAX];
} mw_world;

void mw_init(mw_world *w, uint8_t seedbyte);
void mw_free(mw_world *w);
/* A fresh identity key for member i. */
bool mw_keys(mw_world *w, int i);
/* A fresh identity and KeyPackage for member i. */
bool mw_make_kp(mw_world *w, int i);
/* A fresh KeyPackage for member i, and a new group `gid` of i alone. */
bool mw_create(mw_world *w, int i, const char *gid);
/* Every active member but skip processes msg and reports `what`. */
bool mw_all_process(mw_world *w, int skip, const uint8_t *msg, size_t len, mls_processed what);
/* Member c commits (adding by value kps[n]), every other active member
 * processes the commit, c confirms; a Welcome, if any, goes to *wm. */
bool mw_commit_all(mw_world *w, int c, const uint8_t *const *kps, const size_t *lens, size_t n, uint8_t **wm,
		   size_t *wl);
/* Member c adds member a (a fresh KeyPackage) as above, and a joins. */
bool mw_add(mw_world *w, int c, int a);
/* True when g serializes to exactly s[n] (state unchanged). */
bool mw_state_eq(const mls_group *g, const uint8_t *s, size_t n);
/* Every active member has the same epoch authenticator, and there are at
 * least min_members of them. */
bool mw_same_epoch(mw_world *w, int min_members);
/* Member s encrypts text; every other active member decrypts it and sees s
 * as the sender. */
bool mw_message(mw_world *w, int s, const char *text);

#endif
