/*
 * mls_fixture.h: what the MLS group harnesses share: a party (identity,
 * KeyPackage, group), a two-member group built with deterministic
 * randomness, and snapshots of a member's serialized state so a harness can
 * assert that a refused message changed nothing. Every failure aborts, which
 * is how a fuzzer learns of it.
 */
#ifndef ECHOVER_FUZZ_MLS_FIXTURE_H
#define ECHOVER_FUZZ_MLS_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "group.h"
#include "rng.h"

typedef struct party {
	uint8_t seed[32];
	uint8_t *kp;
	size_t kp_len;
	mls_kp_secrets kps;
	mls_group *g;
} party;

/* abort() unless c. */
void fz_must(bool c);
/* The serialized state of g (malloc'ed). */
uint8_t *fz_state_of(const mls_group *g, size_t *n);
/* abort() unless g still serializes to s[n]. */
void fz_unchanged(const mls_group *g, const uint8_t *s, size_t n);
/* p[0] ("a") creates group gid and adds p[1] ("b"), who joins: epoch 1. */
void fz_two_members(party p[2], const char *gid, const cr_rng *rng);
/* Frees the groups and KeyPackages of p[n], wiping their secrets. */
void fz_parties_free(party *p, size_t n);

#endif
