/*
 * pwhash.h: Argon2id password hashing and key derivation (libsodium's crypto_pwhash).
 *
 * Parameters travel with every hash (stored beside it), so they can be raised
 * later without breaking old records. Limits keep a hostile stored record from
 * asking for absurd work.
 */
#ifndef ECHOVER_PWHASH_H
#define ECHOVER_PWHASH_H

#include <stddef.h>
#include <stdint.h>

#include "cr_err.h"

#define CR_ARGON2_SALT_LEN 16

typedef struct cr_argon2_params {
	uint32_t ops;       /* passes (t_cost), >= 1 */
	uint32_t mem_kib;   /* memory in KiB, >= 8 */
} cr_argon2_params;

/* Server password hashes: ~0.1 s on a current core. */
extern const cr_argon2_params CR_ARGON2_INTERACTIVE;
/* Keystores sealed under a passphrase: slower, once per unlock. */
extern const cr_argon2_params CR_ARGON2_SENSITIVE;

/* Derives out[out_len] (16..1024) from the password and a 16-byte salt. */
cr_err cr_argon2id(uint8_t *out, size_t out_len, const uint8_t *pw, size_t pw_len,
		   const uint8_t salt[CR_ARGON2_SALT_LEN], cr_argon2_params p) CR_MUST_CHECK;

#endif
