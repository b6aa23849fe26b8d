#include "rng.h"

#include <string.h>

#include <sodium.h>

#include "wipe.h"

cr_err cr_random(const cr_rng *rng, uint8_t *out, size_t n)
{
	if (!rng || !rng->fill)
		return CR_ERR_ARG;
	cr_err err = rng->fill(rng->ctx, out, n);
	if (err)
		cr_wipe(out, n);
	return err;
}

static cr_err system_fill(void *ctx, uint8_t *out, size_t n)
{
	(void)ctx;
	randombytes_buf(out, n); /* getrandom(2); libsodium aborts rather than return weak bytes */
	return CR_OK;
}

static const cr_rng system_rng = { system_fill, NULL };

const cr_rng *cr_rng_system(void)
{
	return &system_rng;
}

/* Each call keys ChaCha20 with SHA-512(seed || counter)[0..32], so that
 * successive calls give independent streams. */
static cr_err det_fill(void *ctx, uint8_t *out, size_t n)
{
	cr_rng_det *d = ctx;
	uint8_t block[40], key[crypto_hash_sha512_BYTES];
	memcpy(block, d->seed, 32);
	for (int i = 0; i < 8; i++)
		block[32 + i] = (uint8_t)(d->counter >> (56 - 8 * i));
	d->counter++;
	crypto_hash_sha512(key, block, sizeof block);
	randombytes_buf_deterministic(out, n, key);
	cr_wipe(key, sizeof key);
	cr_wipe(block, sizeof block);
	return CR_OK;
}

void cr_rng_det_init(cr_rng_det *d, cr_rng *rng, const uint8_t seed[32])
{
	memcpy(d->seed, seed, 32);
	d->counter = 0;
	rng->fill = det_fill;
	rng->ctx = d;
}

cr_err cr_init(void)
{
	return sodium_init() < 0 ? CR_ERR_RANDOM : CR_OK;
}
