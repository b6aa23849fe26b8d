/*
 * x25519.h: X25519 (RFC 7748) from libsodium.
 *
 * cr_x25519() rejects an all-zero shared secret (a small-order peer point),
 * as RFC 7748 section 6.1 permits and HPKE (RFC 9180 7.1.4) requires.
 */
#ifndef ECHOVER_X25519_H
#define ECHOVER_X25519_H

#include <stdint.h>

#include "cr_err.h"
#include "rng.h"

#define CR_X25519_LEN 32

cr_err cr_x25519(uint8_t shared[CR_X25519_LEN], const uint8_t priv[CR_X25519_LEN],
		 const uint8_t peer_pub[CR_X25519_LEN]) CR_MUST_CHECK;
cr_err cr_x25519_public(uint8_t pub[CR_X25519_LEN], const uint8_t priv[CR_X25519_LEN]) CR_MUST_CHECK;
cr_err cr_x25519_keygen(uint8_t priv[CR_X25519_LEN], uint8_t pub[CR_X25519_LEN],
			const cr_rng *rng) CR_MUST_CHECK;

#endif
