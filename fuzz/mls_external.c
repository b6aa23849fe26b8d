/*
 * fuzz: external commit joins (crypto/mls/group_external.h) on a two-member group, driven by fuzzer-chosen operations
 *
 * Each input is a program: every 4 bytes are one operation (op, position,
 * xor mask, spare) on a fresh two-member group (deterministic randomness):
 * an external join by "c" from either member's GroupInfo (a second join
 * is a resync that removes the previous "c"), optionally with one byte of
 * the commit tampered first; a tampered GroupInfo; messages; and the rest
 * of the input fed raw as a GroupInfo to the joiner and as a handshake
 * message to a member. Tampered or raw input must never be accepted and
 * must leave the member's serialized state unchanged; after every step all
 * active parties share the epoch authenticator. Any violation aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ed25519.h"
#include "group.h"
#include "group_external.h"
#include "mls_fixture.h"
#include "rng.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NP 3 /* a, b and the external joiner c */

static bool active(const party *x)
{
	return x->g && mls_group_active(x->g);
}

static void same_epoch(party p[NP])
{
	uint8_t a[MLS_NH], b[MLS_NH];
	mls_group_epoch_authenticator(p[0].g, a);
	for (int k = 1; k < NP; k++) {
		if (!active(&p[k]))
			continue;
		mls_group_epoch_authenticator(p[k].g, b);
		fz_must(memcmp(a, b, sizeof a) == 0);
	}
}

/* c joins from member x's GroupInfo; with mask, member 0 first refuses a
 * tampered copy of the commit. */
static void join(party p[NP], int x, size_t pos, uint8_t mask, const cr_rng *rng)
{
	uint8_t *gi, *cm, *st, pub[32], seed[32];
	size_t gl, cl, sl;
	mls_group *g = NULL;
	mls_processed what;
	fz_must(cr_ed25519_keygen(seed, pub, rng) == CR_OK);
	fz_must(mls_group_info_export(p[x].g, &gi, &gl) == CR_OK);
	fz_must(mls_group_join_external(&g, gi, gl, seed, (const uint8_t *)"c", 1, rng, &cm, &cl) == CR_OK);
	if (mask) {
		st = fz_state_of(p[0].g, &sl);
		cm[pos % cl] ^= mask;
		fz_must(mls_group_process(p[0].g, cm, cl, &what) != CR_OK);
		fz_unchanged(p[0].g, st, sl);
		free(st);
		cm[pos % cl] ^= mask;
	}
	for (int k = 0; k < NP; k++) {
		if (!active(&p[k]))
			continue;
		fz_must(mls_group_process(p[k].g, cm, cl, &what) == CR_OK);
		/* The previous "c" is removed by the resync. */
		fz_must(what == (k == 2 ? MLS_PROCESSED_REMOVED : MLS_PROCESSED_COMMIT));
	}
	fz_must(mls_group_commit_confirm(g) == CR_OK);
	mls_group_free(p[2].g);
	p[2].g = g;
	memcpy(p[2].seed, seed, sizeof seed);
	free(gi);
	free(cm);
}

static void tampered_group_info(party p[NP], int x, size_t pos, uint8_t mask, const cr_rng *rng)
{
	uint8_t *gi, *cm = NULL, pub[32], seed[32];
	size_t gl, cl;
	mls_group *g = NULL;
	fz_must(cr_ed25519_keygen(seed, pub, rng) == CR_OK);
	fz_must(mls_group_info_export(p[x].g, &gi, &gl) == CR_OK);
	gi[pos % gl] ^= mask;
	cr_err e = mls_group_join_external(&g, gi, gl, seed, (const uint8_t *)"d", 1, rng, &cm, &cl);
	fz_must(mask ? e != CR_OK : e == CR_OK);
	/* An untampered join not sent: discarded. */
	if (g) {
		mls_group_commit_discard(g);
		fz_must(!mls_group_active(g));
	}
	mls_group_free(g);
	free(cm);
	free(gi);
}

static void message(party p[NP], int s, const cr_rng *rng)
{
	static const uint8_t text[] = "fuzzed external";
	uint8_t *ct, *pt;
	size_t cl, pl;
	uint32_t from;
	if (!active(&p[s]))
		s = 0;
	fz_must(mls_group_encrypt(p[s].g, text, sizeof text, rng, &ct, &cl) == CR_OK);
	for (int k = 0; k < NP; k++) {
		if (k == s || !active(&p[k]))
			continue;
		pt = NULL;
		fz_must(mls_group_decrypt(p[k].g, ct, cl, &pt, &pl, &from) == CR_OK);
		fz_must(pl == sizeof text && memcmp(pt, text, pl) == 0);
		free(pt);
	}
	free(ct);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t seed[32] = { 0xe7 };
	cr_rng_det det;
	cr_rng rng;
	party p[NP];
	memset(p, 0, sizeof p);
	cr_rng_det_init(&det, &rng, seed);
	fz_two_members(p, "fuzz-ext-group", &rng);
	size_t i = 0;
	for (int steps = 0; i + 4 <= size && steps < 12; i += 4, steps++) {
		uint8_t op = data[i] % 5, mask = data[i + 2];
		size_t pos = (size_t)data[i + 1] << 8 | data[i + 3];
		int x = data[i + 1] & 1;
		switch (op) {
		case 0:
			join(p, x, pos, mask, &rng);
			break;
		case 1:
			tampered_group_info(p, x, pos, mask, &rng);
			break;
		case 2:
			message(p, data[i + 3] % NP, &rng);
			break;
		default: {
			/* The rest of the input raw: as a GroupInfo, never a join
			 * (no valid signature); as a handshake message, refused
			 * with the state unchanged. */
			size_t sl, cl;
			uint8_t *st = fz_state_of(p[0].g, &sl), *cm = NULL, pub[32], s2[32];
			mls_group *g = NULL;
			mls_processed what;
			fz_must(cr_ed25519_keygen(s2, pub, &rng) == CR_OK);
			fz_must(mls_group_join_external(&g, data + i + 4, size - i - 4, s2, (const uint8_t *)"e", 1, &rng,
						     &cm, &cl) != CR_OK);
			fz_must(g == NULL && cm == NULL);
			fz_must(mls_group_process(p[0].g, data + i + 4, size - i - 4, &what) != CR_OK);
			fz_unchanged(p[0].g, st, sl);
			free(st);
			i = size;
			break;
		}
		}
		same_epoch(p);
	}
	fz_parties_free(p, NP);
	return 0;
}
