/*
 * safety.h: what two users compare out of band to know they talk to each
 * other (DESIGN.md section 3: pinned identity keys, safety numbers), and the
 * constant-time hex encoding used to show keys.
 *
 * Safety number (Signal's "numeric fingerprint" construction, with SHA-256
 * instead of SHA-512 because SHA-256 is echover's one hash):
 *
 *   for each user (name, Ed25519 identity public key pub):
 *     h = SHA-256(u16 version || pub[32] || name)      version = 0
 *     repeat 5200 times: h = SHA-256(h || pub[32])
 *     digits = for each of the first six 5-byte chunks c of h (30 bytes):
 *              (c as a big-endian 40-bit integer) mod 100000, 5 digits,
 *              leading zeros kept
 *   number = the two 30-digit strings in ascending order, concatenated,
 *            shown as 12 groups of 5 digits separated by single spaces.
 *
 * Sorting makes the number the same on both sides (order-independent). The
 * iteration count is Signal's: it makes a search for a second key whose
 * 30 digits collide with a given user's ~5200 times more costly (the digits
 * carry about 99.7 bits, so the brute force is far beyond reach anyway; the
 * iterations are a margin). The name comes last, after the fixed-size
 * version and key, so the encoding is unambiguous without a length prefix.
 * Names are 1..CR_SAFETY_NAME_MAX bytes.
 *
 * Key fingerprint (pin warnings, `/fingerprint`): the first 16 bytes of
 * SHA-256("echover key fingerprint v1" || pub), in lowercase hex, in 8
 * groups of 4 digits separated by spaces ("1a2b 3c4d ..."): short enough to
 * read aloud, 128 bits so that no second key matches it.
 *
 * Keys are public, but hex encoding and decoding follow the secret-data
 * habit: no table indexed by a byte, no branch on a byte (libsodium's
 * sodium_bin2hex and sodium_hex2bin arithmetic).
 */
#ifndef ECHOVER_SAFETY_H
#define ECHOVER_SAFETY_H

#include <stddef.h>
#include <stdint.h>

#include "cr_err.h"
#include "ed25519.h"

#define CR_SAFETY_VERSION 0
#define CR_SAFETY_ITERATIONS 5200
#define CR_SAFETY_NAME_MAX 255
#define CR_SAFETY_GROUPS 12
/* 12 groups of 5 digits, 11 spaces, the terminating NUL. */
#define CR_SAFETY_STR_LEN (CR_SAFETY_GROUPS * 5 + CR_SAFETY_GROUPS - 1 + 1)
/* 8 groups of 4 hex digits, 7 spaces, the terminating NUL. */
#define CR_FINGERPRINT_STR_LEN (8 * 4 + 7 + 1)

/* The safety number of two users; the same whichever is a and which b.
 * CR_ERR_ARG for an empty or over-long name. On error out is "". */
cr_err cr_safety_number(char out[CR_SAFETY_STR_LEN], const uint8_t *name_a, size_t name_a_len,
			const uint8_t pub_a[CR_ED25519_PUB_LEN], const uint8_t *name_b,
			size_t name_b_len, const uint8_t pub_b[CR_ED25519_PUB_LEN]) CR_MUST_CHECK;

/* The short fingerprint of one public key (always succeeds). */
void cr_key_fingerprint(char out[CR_FINGERPRINT_STR_LEN], const uint8_t pub[CR_ED25519_PUB_LEN]);

/* Lowercase hex of in[n] into out[cap] with a terminating NUL; cap must be at
 * least 2n + 1 (else CR_ERR_SPACE and out is "" when cap > 0). Time depends
 * only on n. */
cr_err cr_hex_encode(char *out, size_t cap, const uint8_t *in, size_t n) CR_MUST_CHECK;

/* Hex (either case) of hex[hex_len] into out[cap]: *out_len = hex_len / 2.
 * An odd length or any non-hex character is CR_ERR_MALFORMED (the whole
 * input is read either way: time depends only on hex_len), cap below
 * hex_len / 2 is CR_ERR_SPACE; on failure out[cap] is zeroed. For keys and
 * pins typed or passed as options. */
cr_err cr_hex_decode(uint8_t *out, size_t cap, size_t *out_len, const char *hex,
		     size_t hex_len) CR_MUST_CHECK;

#endif
