/*
 * hash.h: SHA-256, HMAC-SHA256 and HKDF-SHA256 (RFC 5869), from BearSSL.
 *
 * All functions are one-shot over byte spans, except the streaming SHA-256
 * context (transcript hashes and file hashes feed data in pieces).
 */
#ifndef ECHOVER_HASH_H
#define ECHOVER_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "cr_err.h"

#define CR_SHA256_LEN 32

void cr_sha256(uint8_t out[CR_SHA256_LEN], const uint8_t *msg, size_t n);

/* Streaming SHA-256. The context holds no pointer; it may be copied. */
typedef struct cr_sha256_ctx {
	uint64_t opaque[14]; /* room for br_sha256_context; checked at build time */
} cr_sha256_ctx;
void cr_sha256_init(cr_sha256_ctx *c);
void cr_sha256_update(cr_sha256_ctx *c, const uint8_t *p, size_t n);
void cr_sha256_final(cr_sha256_ctx *c, uint8_t out[CR_SHA256_LEN]); /* wipes c */

/* Suspending a streaming hash, to keep it outside the process between pieces
 * (the server keeps an upload's hash in its database, so an upload goes on
 * from any connection). cr_sha256_save writes the chaining value after the
 * whole 64-byte blocks absorbed so far and returns how many bytes those
 * blocks hold (a multiple of CR_SHA256_BLOCK); the bytes of a last, partial
 * block are not in it: the caller keeps them and feeds them again after
 * cr_sha256_resume (BearSSL's br_sha256_state saves whole blocks only).
 * cr_sha256_resume takes such a count (else CR_ERR_ARG, and c starts
 * empty). The chaining value tells as much about the data as its hash. */
#define CR_SHA256_BLOCK 64
uint64_t cr_sha256_save(const cr_sha256_ctx *c, uint8_t mid[CR_SHA256_LEN]);
cr_err cr_sha256_resume(cr_sha256_ctx *c, const uint8_t mid[CR_SHA256_LEN], uint64_t count) CR_MUST_CHECK;

void cr_hmac_sha256(uint8_t out[CR_SHA256_LEN], const uint8_t *key, size_t key_len,
		    const uint8_t *msg, size_t n);

/* HKDF-Extract(salt, ikm) -> prk[32]. An empty salt means 32 zero bytes. */
void cr_hkdf_extract(uint8_t prk[CR_SHA256_LEN], const uint8_t *salt, size_t salt_len,
		     const uint8_t *ikm, size_t ikm_len);
/* HKDF-Expand(prk, info, L); L at most 255 * 32 (else CR_ERR_LIMIT). The PRK
 * may be of any length (RFC 5869 allows it; Wycheproof tests it). */
cr_err cr_hkdf_expand(uint8_t *out, size_t out_len, const uint8_t *prk, size_t prk_len,
		      const uint8_t *info, size_t info_len) CR_MUST_CHECK;

#endif
