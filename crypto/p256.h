/*
 * p256.h: ECDSA over P-256 with SHA-256 (BearSSL), for the server's TLS key
 * and self-signed certificate only. Signatures are deterministic (RFC 6979,
 * BearSSL's HMAC_DRBG nonce derivation).
 */
#ifndef ECHOVER_P256_H
#define ECHOVER_P256_H

#include <stddef.h>
#include <stdint.h>

#include "cr_err.h"
#include "rng.h"

#define CR_P256_PRIV_LEN 32
#define CR_P256_PUB_LEN 65  /* uncompressed point 0x04 || X || Y */
#define CR_P256_SIG_MAX 72  /* DER */
#define CR_P256_SIG_RAW_LEN 64

cr_err cr_p256_keygen(uint8_t priv[CR_P256_PRIV_LEN], uint8_t pub[CR_P256_PUB_LEN],
		      const cr_rng *rng) CR_MUST_CHECK;
cr_err cr_p256_public(uint8_t pub[CR_P256_PUB_LEN], const uint8_t priv[CR_P256_PRIV_LEN]) CR_MUST_CHECK;
/* Signs SHA-256(msg); raw r||s (64 bytes). */
cr_err cr_p256_sign_raw(uint8_t sig[CR_P256_SIG_RAW_LEN], const uint8_t priv[CR_P256_PRIV_LEN],
			const uint8_t *msg, size_t n) CR_MUST_CHECK;
/* Signs SHA-256(msg); DER encoding, *sig_len set. */
cr_err cr_p256_sign_der(uint8_t sig[CR_P256_SIG_MAX], size_t *sig_len,
			const uint8_t priv[CR_P256_PRIV_LEN], const uint8_t *msg, size_t n) CR_MUST_CHECK;
cr_err cr_p256_verify_raw(const uint8_t sig[CR_P256_SIG_RAW_LEN], const uint8_t pub[CR_P256_PUB_LEN],
			  const uint8_t *msg, size_t n) CR_MUST_CHECK;

#endif
