/*
 * file_seal.h: the chunked encryption of files (DESIGN.md section 1, "Files"),
 * pure crypto, no I/O: the caller reads and writes the bytes.
 *
 * A file gets a fresh random 16-byte file key (cr_file_key_new). The key,
 * the SHA-256 of the sealed bytes and the plaintext size travel to the
 * readers inside an MLS message; the server only ever stores the sealed bytes.
 *
 * Format, version 1. The plaintext of n bytes is cut into chunks of
 * CR_FILE_CHUNK bytes; the last one holds the rest (1..CR_FILE_CHUNK bytes),
 * and an empty file is one empty chunk, so there are
 *   chunks(n) = max(1, ceil(n / CR_FILE_CHUNK))
 * chunks, and the sealed file is the concatenation of the sealed chunks:
 *   sealed_size(n) = n + 16 * chunks(n)
 * a pure function of n (cr_file_sealed_size; the inverse, which refuses
 * sizes no plaintext has, is cr_file_plain_size).
 *
 *   prk       = HKDF-Extract(salt = "echover file v1", ikm = file key)
 *   chunk_key = HKDF-Expand(prk, "chunk key", 16)
 *   nonce_i   = 0x00000000 || u64 i            (12 bytes, big-endian)
 *   aad_i     = "echover file chunk v1" || u64 i || u8 final
 *               (final is 1 on the last chunk, 0 on every other)
 *   sealed_i  = AES-128-GCM(chunk_key, nonce_i, aad_i, chunk_i)  (ct || tag)
 *
 * Why each part:
 *   - the index in the nonce and AAD: a chunk moved to another place fails;
 *   - the final flag: a file cut after a whole chunk, or extended by chunks,
 *     fails (the new last chunk was not sealed as final, or the old final
 *     chunk is no longer last); the opener derives the expected number of
 *     chunks from the plaintext size it was told, so the count is bound too;
 *   - the key derivation with its own labels: the file key is never used as
 *     an AES key directly, and a chunk of another file (another key) fails;
 *   - nonces are a counter under a key used for one file only, so no
 *     (key, nonce) pair is ever used for two different plaintexts, as long
 *     as the caller seals one file content per key: sealing the same chunk
 *     twice gives the same bytes (that is what lets a client hash the sealed
 *     stream in a first pass and upload it in a second).
 *
 * Invariants: open checks the tag in constant time before releasing any
 * plaintext and zeroes the output on failure (crypto/aes_gcm.h); contexts
 * hold the derived key and must be wiped (cr_file_wipe). In-place sealing
 * and opening (out == in) are allowed.
 */
#ifndef ECHOVER_FILE_SEAL_H
#define ECHOVER_FILE_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include "aes_gcm.h"
#include "cr_err.h"
#include "rng.h"

#define CR_FILE_KEY_LEN 16
#define CR_FILE_CHUNK 65536u
#define CR_FILE_TAG_LEN CR_GCM_TAG_LEN
#define CR_FILE_SEALED_CHUNK (CR_FILE_CHUNK + CR_FILE_TAG_LEN)
/* Plaintext sizes above this are refused (CR_ERR_LIMIT): far beyond any
 * server's blob limit, and small enough that no size computation overflows. */
#define CR_FILE_PLAIN_MAX ((uint64_t)1 << 48)

/* The keys and shape of one file: what sealing and opening its chunks need. */
typedef struct cr_file_ctx {
	uint8_t chunk_key[CR_AES128_KEY_LEN];
	uint64_t plain_size;
	uint64_t chunks;
} cr_file_ctx;

/* A fresh random file key. */
cr_err cr_file_key_new(uint8_t key[CR_FILE_KEY_LEN], const cr_rng *rng) CR_MUST_CHECK;

/* chunks(n) and sealed_size(n) above; 0 when n > CR_FILE_PLAIN_MAX. */
uint64_t cr_file_chunks(uint64_t plain_size);
uint64_t cr_file_sealed_size(uint64_t plain_size);
/* The plaintext size whose sealed size is sealed_size; CR_ERR_MALFORMED for a
 * size no plaintext seals to (a last chunk shorter than a tag, or a
 * non-final chunk's worth of tag only), CR_ERR_LIMIT above the maximum. */
cr_err cr_file_plain_size(uint64_t sealed_size, uint64_t *plain_size) CR_MUST_CHECK;

/* Derives the chunk key of a file of plain_size bytes (CR_ERR_LIMIT above
 * CR_FILE_PLAIN_MAX; f is zeroed on failure). */
cr_err cr_file_init(cr_file_ctx *f, const uint8_t key[CR_FILE_KEY_LEN], uint64_t plain_size) CR_MUST_CHECK;
void cr_file_wipe(cr_file_ctx *f);

/* Plaintext bytes of chunk index (0 when index is out of range). */
size_t cr_file_chunk_len(const cr_file_ctx *f, uint64_t index);
/* Byte offset of chunk index in the sealed file. */
uint64_t cr_file_sealed_offset(uint64_t index);

/* Seals chunk index: pt_len must be cr_file_chunk_len(f, index) (else
 * CR_ERR_ARG); out receives pt_len + 16 bytes. */
cr_err cr_file_seal_chunk(const cr_file_ctx *f, uint64_t index, uint8_t *out, const uint8_t *pt,
			  size_t pt_len) CR_MUST_CHECK;
/* Opens sealed chunk index: ct_len must be cr_file_chunk_len(f, index) + 16
 * (else CR_ERR_MALFORMED; an index past the last chunk is CR_ERR_LIMIT); out
 * receives ct_len - 16 bytes. A chunk of another file, place or final flag,
 * or any changed byte: CR_ERR_AUTH with out zeroed. */
cr_err cr_file_open_chunk(const cr_file_ctx *f, uint64_t index, uint8_t *out, const uint8_t *ct,
			  size_t ct_len) CR_MUST_CHECK;

#endif
