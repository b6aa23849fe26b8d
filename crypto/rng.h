/*
 * rng.h: the one random source.
 *
 * Every function that needs randomness takes a `const cr_rng *`, so that tests
 * and fuzz harnesses inject a deterministic source and production code uses the
 * kernel's getrandom (through libsodium). Nothing calls a random function
 * behind the caller's back.
 */
#ifndef ECHOVER_RNG_H
#define ECHOVER_RNG_H

#include <stddef.h>
#include <stdint.h>

#include "cr_err.h"

typedef struct cr_rng {
	cr_err (*fill)(void *ctx, uint8_t *out, size_t n);
	void *ctx;
} cr_rng;

/* Fills out[n] from rng; on failure out is zeroed. */
cr_err cr_random(const cr_rng *rng, uint8_t *out, size_t n) CR_MUST_CHECK;

/* The kernel's random source (getrandom via libsodium). */
const cr_rng *cr_rng_system(void);

/* A deterministic stream for tests: ChaCha20 keyed by a 32-byte seed, as
 * libsodium's randombytes_buf_deterministic, with a counter so successive
 * calls return successive, different bytes. */
typedef struct cr_rng_det {
	uint8_t seed[32];
	uint64_t counter;
} cr_rng_det;
void cr_rng_det_init(cr_rng_det *d, cr_rng *rng, const uint8_t seed[32]);


/* Call once at the start of a mode, before any other crypto/ function:
 * initialises libsodium (CPU feature detection, the random device). */
cr_err cr_init(void) CR_MUST_CHECK;

#endif
