/*
 * keystore.h: secrets sealed under a passphrase (the client's identity key
 * and anything else it must keep on disk), DESIGN.md section 3.
 *
 * Format, version 1 (all integers big-endian):
 *
 *   offset  size  field
 *        0     4  magic "EVKS"
 *        4     1  version (1)
 *        5     4  Argon2id ops (passes, t_cost)
 *        9     4  Argon2id memory in KiB
 *       13    16  Argon2id salt (random per seal)
 *       29    12  AES-128-GCM nonce (random per seal)
 *       41   n+16 AES-128-GCM ciphertext of the secret, then the tag
 *
 * The 41-byte header is the AEAD's associated data, so every header byte is
 * authenticated: a tampered parameter, salt or nonce fails like a wrong
 * passphrase. The ciphertext runs to the end of the blob (its length is
 * authenticated by the tag's position).
 *
 * Key derivation (domain separated, so the Argon2id output is never used
 * directly as an AES key):
 *   ikm = Argon2id(passphrase, salt, ops, mem_kib, 32 bytes)
 *   prk = HKDF-Extract(salt = "echover keystore v1", ikm)
 *   key = HKDF-Expand(prk, "aes-128-gcm key", 16)
 *
 * Invariants:
 *   - the parser (cr_keystore_parse) reads through the codec only and checks
 *     the Argon2id parameters against the caller's maximum BEFORE any key
 *     derivation, so a hostile file cannot ask for absurd work or memory; the
 *     caller passes the maximum (CR_KEYSTORE_MAX_PARAMS in production, a tiny
 *     one in the fuzz harness), so no build flag changes the code;
 *   - opening fails with CR_ERR_AUTH for a wrong passphrase or any tampered
 *     byte, and then the output buffer is zeroed;
 *   - derived keys and intermediate secrets are wiped on every path;
 *   - every seal draws a fresh salt and nonce, so the (key, nonce) pair is
 *     never reused, including across passphrase changes (cr_keystore_reseal).
 *
 * Sizes: secrets 1..CR_KEYSTORE_SECRET_MAX bytes, passphrases
 * 1..CR_KEYSTORE_PASS_MAX bytes; a blob is CR_KEYSTORE_SEALED_LEN(n) bytes.
 */
#ifndef ECHOVER_KEYSTORE_H
#define ECHOVER_KEYSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "aes_gcm.h"
#include "pwhash.h"
#include "codec.h"
#include "cr_err.h"
#include "ed25519.h"
#include "rng.h"

#define CR_KEYSTORE_VERSION 1
#define CR_KEYSTORE_HEADER_LEN 41
/* A keystore holds keys, not files: 64 KiB is far above an identity seed
 * plus a few HPKE private keys, and small enough to buffer whole. */
#define CR_KEYSTORE_SECRET_MAX 65536
#define CR_KEYSTORE_PASS_MAX 1024
#define CR_KEYSTORE_SEALED_LEN(n) ((size_t)CR_KEYSTORE_HEADER_LEN + (size_t)(n) + CR_GCM_TAG_LEN)

/* What new keystores use: 3 passes over 256 MiB (as CR_ARGON2_SENSITIVE),
 * once per unlock. Measured: 1.0 to 1.7 s per seal or open on a 2-vCPU
 * AMD EPYC cloud VM (CR_ARGON2_INTERACTIVE, 2 passes over 64 MiB: about
 * 0.2 s). Each pass over 256 MiB costs an attacker the same per guess.
 * A demo or an end-to-end test that unlocks many times may pass cheaper
 * parameters explicitly; the format records whichever were used. */
extern const cr_argon2_params CR_KEYSTORE_DEFAULT_PARAMS;
/* The most a stored keystore may ask for: 8 passes over 1 GiB. Above that the
 * file is refused (CR_ERR_LIMIT) without running Argon2id; cr_keystore_seal
 * refuses to write what this limit would not open. */
extern const cr_argon2_params CR_KEYSTORE_MAX_PARAMS;

typedef struct cr_keystore_header {
	uint8_t version;
	cr_argon2_params params;
	uint8_t salt[CR_ARGON2_SALT_LEN];
	uint8_t nonce[CR_GCM_NONCE_LEN];
	cr_span header;     /* the 41 header bytes (the AEAD's associated data) */
	cr_span ciphertext; /* ciphertext and tag, 17..SECRET_MAX + 16 bytes */
} cr_keystore_header;

/* Parses a blob without the passphrase. Errors: CR_ERR_MALFORMED (bad magic,
 * parameters Argon2id cannot take: ops < 1 or mem_kib < 8),
 * CR_ERR_UNSUPPORTED (another version), CR_ERR_TRUNCATED (shorter than a
 * header, a tag and one byte), CR_ERR_LIMIT (parameters above max, or a
 * ciphertext above the secret maximum). Spans borrow from p. */
cr_err cr_keystore_parse(const uint8_t *p, size_t n, cr_argon2_params max,
			 cr_keystore_header *h) CR_MUST_CHECK;

/* Seals secret[secret_len] into out[cap]; *out_len = CR_KEYSTORE_SEALED_LEN.
 * CR_ERR_LIMIT when params exceed CR_KEYSTORE_MAX_PARAMS, CR_ERR_ARG for an
 * empty or over-long secret or passphrase, CR_ERR_SPACE when cap is short. */
cr_err cr_keystore_seal(uint8_t *out, size_t cap, size_t *out_len, const uint8_t *secret,
			size_t secret_len, const uint8_t *pass, size_t pass_len,
			cr_argon2_params params, const cr_rng *rng) CR_MUST_CHECK;

/* Opens a blob into secret[cap]; *secret_len gets the secret's length.
 * Parameters above max are refused before Argon2id runs. A wrong passphrase
 * or any changed byte gives CR_ERR_AUTH; on every failure secret[cap] is
 * zeroed and *secret_len is 0. CR_ERR_SPACE when cap is short (checked
 * before the expensive derivation). */
cr_err cr_keystore_open(uint8_t *secret, size_t cap, size_t *secret_len, const uint8_t *blob,
			size_t n, const uint8_t *pass, size_t pass_len,
			cr_argon2_params max) CR_MUST_CHECK;

/* Passphrase change (or parameter upgrade): opens blob under old_pass and
 * seals the same secret under new_pass with new_params, a fresh salt and a
 * fresh nonce, into out[cap]. The old blob stays valid until the caller
 * replaces it; the secret only lives in a wiped temporary buffer. */
cr_err cr_keystore_reseal(uint8_t *out, size_t cap, size_t *out_len, const uint8_t *blob,
			  size_t n, const uint8_t *old_pass, size_t old_len,
			  const uint8_t *new_pass, size_t new_len, cr_argon2_params new_params,
			  cr_argon2_params max, const cr_rng *rng) CR_MUST_CHECK;

/*
 * Records: data sealed under a 32-byte data key that lives inside the
 * keystore (so that the passphrase, through one Argon2id run per unlock,
 * protects any number of records: the client's MLS group states at rest).
 *
 *   offset  size  field
 *        0     1  version (1)
 *        1    16  salt (random per seal)
 *       17  n+16  AES-128-GCM ciphertext, then the tag
 *
 *   prk = HKDF-Extract(salt, data_key)
 *   key[16] || nonce[12] = HKDF-Expand(prk, "echover record v1", 28)
 *   AAD = the caller's binding (for a group state: the group id), so a
 *         record moved to another row does not open.
 *
 * A fresh salt per seal gives a fresh key and nonce, so there is no nonce
 * budget to count however often a state is rewritten (a 128-bit salt
 * collides after ~2^64 seals). The version byte is not in the AAD: any
 * other value is refused before decryption, and the salt feeds the key.
 * Sizes: plaintexts 0..CR_KEYSTORE_RECORD_MAX, AAD 0..CR_KEYSTORE_RECORD_AAD_MAX.
 */
#define CR_KEYSTORE_DATA_KEY_LEN 32
#define CR_KEYSTORE_RECORD_VERSION 1
#define CR_KEYSTORE_RECORD_OVERHEAD (1 + 16 + CR_GCM_TAG_LEN)
/* Fits a store/ blob of 16 MiB with its overhead. */
#define CR_KEYSTORE_RECORD_MAX (16u * 1024 * 1024 - 64)
#define CR_KEYSTORE_RECORD_AAD_MAX 1024

/* Seals pt[n] into out[cap] (n + CR_KEYSTORE_RECORD_OVERHEAD bytes). */
cr_err cr_keystore_record_seal(uint8_t *out, size_t cap, size_t *out_len,
			       const uint8_t key[CR_KEYSTORE_DATA_KEY_LEN], const uint8_t *aad,
			       size_t aad_len, const uint8_t *pt, size_t n,
			       const cr_rng *rng) CR_MUST_CHECK;
/* Opens rec[n] into out[cap]. CR_ERR_AUTH for a wrong key, a wrong AAD or
 * any changed byte (out zeroed); CR_ERR_UNSUPPORTED for another version;
 * CR_ERR_TRUNCATED below the overhead; CR_ERR_LIMIT above the maximum;
 * CR_ERR_SPACE when cap is short. */
cr_err cr_keystore_record_open(uint8_t *out, size_t cap, size_t *out_len,
			       const uint8_t key[CR_KEYSTORE_DATA_KEY_LEN], const uint8_t *aad,
			       size_t aad_len, const uint8_t *rec, size_t n) CR_MUST_CHECK;

/*
 * The client's identity secret: what it seals in its keystore.
 *
 *   u8 version (1) || Ed25519 identity seed[32] || record data key[32]
 *
 * The data key seals the records above (group states, KeyPackage private
 * keys), so that one passphrase unlock opens them all and a passphrase
 * change re-seals only the keystore.
 */
#define CR_KEYSTORE_IDENTITY_VERSION 1
#define CR_KEYSTORE_IDENTITY_LEN (1 + CR_ED25519_SEED_LEN + CR_KEYSTORE_DATA_KEY_LEN)

typedef struct cr_keystore_identity {
	uint8_t seed[CR_ED25519_SEED_LEN];
	uint8_t data_key[CR_KEYSTORE_DATA_KEY_LEN];
} cr_keystore_identity;

/* A new identity key pair and data key; pub gets the identity public key. */
cr_err cr_keystore_identity_new(cr_keystore_identity *id, uint8_t pub[CR_ED25519_PUB_LEN],
				const cr_rng *rng) CR_MUST_CHECK;
void cr_keystore_identity_encode(uint8_t out[CR_KEYSTORE_IDENTITY_LEN], const cr_keystore_identity *id);
/* Strict: exactly CR_KEYSTORE_IDENTITY_LEN bytes of version 1; id zeroed on failure. */
cr_err cr_keystore_identity_decode(const uint8_t *p, size_t n, cr_keystore_identity *id) CR_MUST_CHECK;
/* Wipes id. */
void cr_keystore_identity_wipe(cr_keystore_identity *id);

#endif
