/*
 * fuzz: the MLS group state machine (crypto/mls/group.h) driven by fuzzer-chosen operations on a two-member group
 *
 * Each input is a program: every 4 bytes are one operation (op, position,
 * xor mask, spare) on a fresh two-member group (deterministic randomness):
 * messages both ways, update commits from either side, Update proposals by
 * either side (kept by both until a commit covers them: the other side's
 * commits carry them by reference, the proposer's own leave them out),
 * tampered commits, proposals and application messages (a byte at the
 * chosen position XORed with a non-zero mask), serialization round trips,
 * and the remaining input fed raw to both members. A
 * tampered or raw message must never be accepted and must leave the
 * receiver's serialized state unchanged; after every step both members
 * share the epoch authenticator. Any violation aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ed25519.h"
#include "group.h"
#include "mls_fixture.h"
#include "rng.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_epoch(party p[2])
{
	uint8_t a[MLS_NH], b[MLS_NH];
	mls_group_epoch_authenticator(p[0].g, a);
	mls_group_epoch_authenticator(p[1].g, b);
	fz_must(memcmp(a, b, sizeof a) == 0);
}

static void message(party p[2], int s, size_t pos, uint8_t mask, const cr_rng *rng)
{
	static const uint8_t text[] = "fuzzed conversation";
	uint8_t *ct, *pt = NULL;
	size_t cl, pl, sl;
	uint32_t from;
	fz_must(mls_group_encrypt(p[s].g, text, sizeof text, rng, &ct, &cl) == CR_OK);
	if (mask) {
		uint8_t *st = fz_state_of(p[1 - s].g, &sl);
		ct[pos % cl] ^= mask;
		fz_must(mls_group_decrypt(p[1 - s].g, ct, cl, &pt, &pl, &from) != CR_OK);
		fz_unchanged(p[1 - s].g, st, sl);
		free(st);
		ct[pos % cl] ^= mask;
	}
	fz_must(mls_group_decrypt(p[1 - s].g, ct, cl, &pt, &pl, &from) == CR_OK);
	fz_must(pl == sizeof text && memcmp(pt, text, pl) == 0);
	free(pt);
	/* A replay is refused. */
	pt = NULL;
	fz_must(mls_group_decrypt(p[1 - s].g, ct, cl, &pt, &pl, &from) != CR_OK);
	free(ct);
}

static void commit(party p[2], int s, size_t pos, uint8_t mask, const cr_rng *rng)
{
	uint8_t *cm, *wm, *st;
	size_t cl, wl, sl;
	mls_processed what;
	fz_must(mls_group_commit(p[s].g, NULL, NULL, 0, NULL, 0, rng, &cm, &cl, &wm, &wl) == CR_OK);
	if (mask) {
		st = fz_state_of(p[1 - s].g, &sl);
		cm[pos % cl] ^= mask;
		fz_must(mls_group_process(p[1 - s].g, cm, cl, &what) != CR_OK);
		fz_unchanged(p[1 - s].g, st, sl);
		free(st);
		cm[pos % cl] ^= mask;
		/* A refused commit can also be discarded by its sender. */
		if (pos & 1) {
			mls_group_commit_discard(p[s].g);
			free(cm);
			return;
		}
	}
	fz_must(mls_group_process(p[1 - s].g, cm, cl, &what) == CR_OK && what == MLS_PROCESSED_COMMIT);
	fz_must(mls_group_commit_confirm(p[s].g) == CR_OK);
	free(cm);
}

static void propose_update(party p[2], int s, size_t pos, uint8_t mask, const cr_rng *rng)
{
	uint8_t *pm, *st;
	size_t pl, sl;
	mls_processed what;
	fz_must(mls_group_propose_update(p[s].g, rng, &pm, &pl) == CR_OK);
	if (mask) {
		st = fz_state_of(p[1 - s].g, &sl);
		pm[pos % pl] ^= mask;
		fz_must(mls_group_process(p[1 - s].g, pm, pl, &what) != CR_OK);
		fz_unchanged(p[1 - s].g, st, sl);
		free(st);
		pm[pos % pl] ^= mask;
	}
	fz_must(mls_group_process(p[1 - s].g, pm, pl, &what) == CR_OK && what == MLS_PROCESSED_PROPOSAL);
	/* The same proposal again is refused. */
	fz_must(mls_group_process(p[1 - s].g, pm, pl, &what) != CR_OK);
	free(pm);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t seed[32] = { 0x5e };
	cr_rng_det det;
	cr_rng rng;
	party p[2];
	memset(p, 0, sizeof p);
	cr_rng_det_init(&det, &rng, seed);
	fz_two_members(p, "fuzz-group", &rng);
	size_t i = 0;
	for (int steps = 0; i + 4 <= size && steps < 16; i += 4, steps++) {
		uint8_t op = data[i] % 7, mask = data[i + 2];
		size_t pos = (size_t)data[i + 1] << 8 | data[i + 3];
		switch (op) {
		case 0:
		case 1:
			message(p, op, pos, mask, &rng);
			break;
		case 2:
		case 3:
			commit(p, op - 2, pos, mask, &rng);
			break;
		case 4: {
			/* The rest of the input as a raw message: never accepted. */
			size_t sl, pl;
			uint8_t *st = fz_state_of(p[0].g, &sl), *pt = NULL;
			uint32_t from;
			mls_processed what;
			fz_must(mls_group_process(p[0].g, data + i + 4, size - i - 4, &what) != CR_OK);
			fz_must(mls_group_decrypt(p[0].g, data + i + 4, size - i - 4, &pt, &pl, &from) != CR_OK);
			fz_unchanged(p[0].g, st, sl);
			free(st);
			i = size;
			break;
		}
		case 6:
			propose_update(p, data[i + 1] & 1, pos, mask, &rng);
			break;
		default: {
			/* Serialization round trip of member data[i+1] & 1. */
			size_t sl;
			int k = data[i + 1] & 1;
			uint8_t *st = fz_state_of(p[k].g, &sl);
			mls_group *g2 = NULL;
			fz_must(mls_group_deserialize(&g2, st, sl) == CR_OK);
			fz_unchanged(g2, st, sl);
			mls_group_free(p[k].g);
			p[k].g = g2;
			free(st);
			break;
		}
		}
		same_epoch(p);
	}
	fz_parties_free(p, 2);
	return 0;
}
