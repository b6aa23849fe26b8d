/*
 * file_seal.c: chunked file encryption (file_seal.h): HKDF-SHA256 and
 * AES-128-GCM from crypto/hash.h and crypto/aes_gcm.h.
 */
#include "file_seal.h"

#include <string.h>

#include "codec.h"
#include "hash.h"
#include "wipe.h"

static const char KDF_SALT[] = "echover file v1";
static const char KDF_INFO[] = "chunk key";
static const char AAD_LABEL[] = "echover file chunk v1";
#define AAD_LEN (sizeof AAD_LABEL - 1 + 8 + 1)

cr_err cr_file_key_new(uint8_t key[CR_FILE_KEY_LEN], const cr_rng *rng)
{
	return cr_random(rng, key, CR_FILE_KEY_LEN);
}

uint64_t cr_file_chunks(uint64_t plain_size)
{
	if (plain_size > CR_FILE_PLAIN_MAX)
		return 0;
	if (plain_size == 0)
		return 1;
	return (plain_size + CR_FILE_CHUNK - 1) / CR_FILE_CHUNK;
}

uint64_t cr_file_sealed_size(uint64_t plain_size)
{
	uint64_t c = cr_file_chunks(plain_size);
	return c ? plain_size + CR_FILE_TAG_LEN * c : 0;
}

cr_err cr_file_plain_size(uint64_t sealed_size, uint64_t *plain_size)
{
	*plain_size = 0;
	CR_ENSURE(sealed_size <= cr_file_sealed_size(CR_FILE_PLAIN_MAX), CR_ERR_LIMIT);
	CR_ENSURE(sealed_size >= CR_FILE_TAG_LEN, CR_ERR_MALFORMED);
	uint64_t full = sealed_size / CR_FILE_SEALED_CHUNK, rest = sealed_size % CR_FILE_SEALED_CHUNK;
	uint64_t plain;
	if (rest == 0) {
		plain = full * CR_FILE_CHUNK;
	} else {
		/* The last chunk holds a tag and 1.. bytes, unless it is the only
		 * one (the empty file). */
		CR_ENSURE(rest > CR_FILE_TAG_LEN || (rest == CR_FILE_TAG_LEN && full == 0), CR_ERR_MALFORMED);
		plain = full * CR_FILE_CHUNK + rest - CR_FILE_TAG_LEN;
	}
	CR_ENSURE(plain <= CR_FILE_PLAIN_MAX, CR_ERR_LIMIT);
	CR_ENSURE(cr_file_sealed_size(plain) == sealed_size, CR_ERR_MALFORMED);
	*plain_size = plain;
	return CR_OK;
}

cr_err cr_file_init(cr_file_ctx *f, const uint8_t key[CR_FILE_KEY_LEN], uint64_t plain_size)
{
	memset(f, 0, sizeof *f);
	CR_ENSURE(plain_size <= CR_FILE_PLAIN_MAX, CR_ERR_LIMIT);
	uint8_t prk[CR_SHA256_LEN];
	cr_hkdf_extract(prk, (const uint8_t *)KDF_SALT, sizeof KDF_SALT - 1, key, CR_FILE_KEY_LEN);
	cr_err err = cr_hkdf_expand(f->chunk_key, sizeof f->chunk_key, prk, sizeof prk,
				    (const uint8_t *)KDF_INFO, sizeof KDF_INFO - 1);
	cr_wipe(prk, sizeof prk);
	if (err) {
		cr_file_wipe(f);
		return err;
	}
	f->plain_size = plain_size;
	f->chunks = cr_file_chunks(plain_size);
	return CR_OK;
}

void cr_file_wipe(cr_file_ctx *f)
{
	cr_wipe(f, sizeof *f);
}

size_t cr_file_chunk_len(const cr_file_ctx *f, uint64_t index)
{
	if (index >= f->chunks)
		return 0;
	if (index + 1 < f->chunks)
		return CR_FILE_CHUNK;
	return (size_t)(f->plain_size - index * CR_FILE_CHUNK);
}

uint64_t cr_file_sealed_offset(uint64_t index)
{
	return index * CR_FILE_SEALED_CHUNK;
}

/* The nonce and associated data of chunk index. */
static cr_err chunk_params(const cr_file_ctx *f, uint64_t index, uint8_t nonce[CR_GCM_NONCE_LEN],
			   uint8_t aad[AAD_LEN])
{
	cr_writer w;
	cr_writer_init_fixed(&w, nonce, CR_GCM_NONCE_LEN);
	cr_write_u32(&w, 0);
	cr_write_u64(&w, index);
	CR_TRY(cr_writer_error(&w));
	cr_writer_init_fixed(&w, aad, AAD_LEN);
	cr_write_bytes(&w, (const uint8_t *)AAD_LABEL, sizeof AAD_LABEL - 1);
	cr_write_u64(&w, index);
	cr_write_u8(&w, index + 1 == f->chunks ? 1 : 0);
	return cr_writer_error(&w);
}

cr_err cr_file_seal_chunk(const cr_file_ctx *f, uint64_t index, uint8_t *out, const uint8_t *pt, size_t pt_len)
{
	CR_ENSURE(index < f->chunks && pt_len == cr_file_chunk_len(f, index), CR_ERR_ARG);
	CR_ENSURE(out && (pt || pt_len == 0), CR_ERR_ARG);
	uint8_t nonce[CR_GCM_NONCE_LEN], aad[AAD_LEN];
	CR_TRY(chunk_params(f, index, nonce, aad));
	return cr_aes128gcm_seal(out, f->chunk_key, nonce, aad, sizeof aad, pt, pt_len);
}

cr_err cr_file_open_chunk(const cr_file_ctx *f, uint64_t index, uint8_t *out, const uint8_t *ct, size_t ct_len)
{
	CR_ENSURE(out && ct, CR_ERR_ARG);
	CR_ENSURE(index < f->chunks, CR_ERR_LIMIT);
	CR_ENSURE(ct_len == cr_file_chunk_len(f, index) + CR_FILE_TAG_LEN, CR_ERR_MALFORMED);
	uint8_t nonce[CR_GCM_NONCE_LEN], aad[AAD_LEN];
	CR_TRY(chunk_params(f, index, nonce, aad));
	return cr_aes128gcm_open(out, f->chunk_key, nonce, aad, sizeof aad, ct, ct_len);
}
