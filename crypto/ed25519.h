/*
 * ed25519.h: Ed25519 (RFC 8032) from libsodium.
 *
 * Keys: a 32-byte seed is the private key as stored and as MLS test vectors
 * give it; the public key is 32 bytes. Verification is strict: the signature's
 * S must be canonical (< L), R and the public key must be canonical encodings
 * and not of small order (libsodium's default checks, built without
 * ED25519_NONDETERMINISTIC or compatibility mode).
 */
#ifndef ECHOVER_ED25519_H
#define ECHOVER_ED25519_H

#include <stddef.h>
#include <stdint.h>

#include "cr_err.h"
#include "rng.h"

#define CR_ED25519_SEED_LEN 32
#define CR_ED25519_PUB_LEN 32
#define CR_ED25519_SIG_LEN 64

cr_err cr_ed25519_public(uint8_t pub[CR_ED25519_PUB_LEN],
			 const uint8_t seed[CR_ED25519_SEED_LEN]) CR_MUST_CHECK;
cr_err cr_ed25519_keygen(uint8_t seed[CR_ED25519_SEED_LEN], uint8_t pub[CR_ED25519_PUB_LEN],
			 const cr_rng *rng) CR_MUST_CHECK;
cr_err cr_ed25519_sign(uint8_t sig[CR_ED25519_SIG_LEN], const uint8_t seed[CR_ED25519_SEED_LEN],
		       const uint8_t *msg, size_t n) CR_MUST_CHECK;
/* CR_OK when valid, CR_ERR_AUTH otherwise. */
cr_err cr_ed25519_verify(const uint8_t sig[CR_ED25519_SIG_LEN], const uint8_t pub[CR_ED25519_PUB_LEN],
			 const uint8_t *msg, size_t n) CR_MUST_CHECK;

#endif
