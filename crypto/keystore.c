#include "keystore.h"

#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "wipe.h"

const cr_argon2_params CR_KEYSTORE_DEFAULT_PARAMS = { 3, 256 * 1024 };
const cr_argon2_params CR_KEYSTORE_MAX_PARAMS = { 8, 1024 * 1024 };

static const uint8_t MAGIC[4] = { 'E', 'V', 'K', 'S' };
static const char KDF_SALT[] = "echover keystore v1";
static const char KDF_INFO[] = "aes-128-gcm key";

/* The smallest parameters Argon2id accepts (RFC 9106 section 3.1: t >= 1,
 * m >= 8p KiB with p = 1). */
#define ARGON2_MIN_OPS 1
#define ARGON2_MIN_MEM_KIB 8

static cr_err check_params(cr_argon2_params p, cr_argon2_params max)
{
	CR_ENSURE(p.ops >= ARGON2_MIN_OPS && p.mem_kib >= ARGON2_MIN_MEM_KIB, CR_ERR_MALFORMED);
	CR_ENSURE(p.ops <= max.ops && p.mem_kib <= max.mem_kib, CR_ERR_LIMIT);
	return CR_OK;
}

static cr_err parse_header(cr_reader *r, cr_argon2_params max, cr_keystore_header *h)
{
	uint8_t magic[4];
	CR_TRY(cr_read_copy(r, magic, sizeof magic));
	CR_ENSURE(memcmp(magic, MAGIC, sizeof magic) == 0, CR_ERR_MALFORMED);
	CR_TRY(cr_read_u8(r, &h->version));
	CR_ENSURE(h->version == CR_KEYSTORE_VERSION, CR_ERR_UNSUPPORTED);
	CR_TRY(cr_read_u32(r, &h->params.ops));
	CR_TRY(cr_read_u32(r, &h->params.mem_kib));
	CR_TRY(check_params(h->params, max));
	CR_TRY(cr_read_copy(r, h->salt, sizeof h->salt));
	CR_TRY(cr_read_copy(r, h->nonce, sizeof h->nonce));
	return cr_reader_end(r);
}

cr_err cr_keystore_parse(const uint8_t *p, size_t n, cr_argon2_params max, cr_keystore_header *h)
{
	memset(h, 0, sizeof *h);
	cr_reader r, hr;
	cr_reader_init(&r, p, n);
	cr_err err = cr_read_span(&r, CR_KEYSTORE_HEADER_LEN, &h->header);
	if (err == CR_OK) {
		/* The fields are read through a reader over the header alone. */
		cr_reader_init(&hr, h->header.p, h->header.n);
		err = parse_header(&hr, max, h);
	} else {
		/* Shorter than a header: report what is wrong with the fields
		 * present (a bad magic is MALFORMED), else TRUNCATED. */
		cr_reader_init(&hr, p, n);
		err = parse_header(&hr, max, h);
		if (err == CR_OK)
			err = CR_ERR_TRUNCATED; /* cannot happen (a field is cut); be safe */
	}
	if (err == CR_OK) {
		size_t left = cr_reader_left(&r);
		if (left < CR_GCM_TAG_LEN + 1)
			err = CR_ERR_TRUNCATED;
		else if (left > (size_t)CR_KEYSTORE_SECRET_MAX + CR_GCM_TAG_LEN)
			err = CR_ERR_LIMIT;
		else
			err = cr_read_span(&r, left, &h->ciphertext);
	}
	if (err)
		memset(h, 0, sizeof *h);
	return err;
}

/* key[16] from the passphrase and the header's parameters and salt. */
static cr_err derive_key(uint8_t key[CR_AES128_KEY_LEN], const uint8_t *pass, size_t pass_len,
			 const uint8_t salt[CR_ARGON2_SALT_LEN], cr_argon2_params params)
{
	uint8_t ikm[32], prk[CR_SHA256_LEN];
	cr_err err;
	CR_CHECK(cr_argon2id(ikm, sizeof ikm, pass, pass_len, salt, params));
	cr_hkdf_extract(prk, (const uint8_t *)KDF_SALT, sizeof KDF_SALT - 1, ikm, sizeof ikm);
	CR_CHECK(cr_hkdf_expand(key, CR_AES128_KEY_LEN, prk, sizeof prk, (const uint8_t *)KDF_INFO,
				sizeof KDF_INFO - 1));
out:
	cr_wipe(ikm, sizeof ikm);
	cr_wipe(prk, sizeof prk);
	if (err)
		cr_wipe(key, CR_AES128_KEY_LEN);
	return err;
}

static bool pass_ok(const uint8_t *pass, size_t pass_len)
{
	return pass && pass_len >= 1 && pass_len <= CR_KEYSTORE_PASS_MAX;
}

cr_err cr_keystore_seal(uint8_t *out, size_t cap, size_t *out_len, const uint8_t *secret,
			size_t secret_len, const uint8_t *pass, size_t pass_len,
			cr_argon2_params params, const cr_rng *rng)
{
	*out_len = 0;
	CR_ENSURE(out && secret && secret_len >= 1 && secret_len <= CR_KEYSTORE_SECRET_MAX, CR_ERR_ARG);
	CR_ENSURE(pass_ok(pass, pass_len), CR_ERR_ARG);
	cr_err err = check_params(params, CR_KEYSTORE_MAX_PARAMS);
	if (err == CR_ERR_MALFORMED)
		err = CR_ERR_ARG;
	CR_TRY(err);
	size_t total = CR_KEYSTORE_SEALED_LEN(secret_len);
	CR_ENSURE(cap >= total, CR_ERR_SPACE);

	uint8_t salt[CR_ARGON2_SALT_LEN], nonce[CR_GCM_NONCE_LEN], key[CR_AES128_KEY_LEN];
	CR_CHECK(cr_random(rng, salt, sizeof salt));
	CR_CHECK(cr_random(rng, nonce, sizeof nonce));

	cr_writer w;
	cr_writer_init_fixed(&w, out, cap);
	cr_write_bytes(&w, MAGIC, sizeof MAGIC);
	cr_write_u8(&w, CR_KEYSTORE_VERSION);
	cr_write_u32(&w, params.ops);
	cr_write_u32(&w, params.mem_kib);
	cr_write_bytes(&w, salt, sizeof salt);
	cr_write_bytes(&w, nonce, sizeof nonce);
	CR_CHECK(cr_writer_error(&w));
	CR_CHECK(w.len == CR_KEYSTORE_HEADER_LEN ? CR_OK : CR_ERR_STATE);

	CR_CHECK(derive_key(key, pass, pass_len, salt, params));
	CR_CHECK(cr_aes128gcm_seal(&out[CR_KEYSTORE_HEADER_LEN], key, nonce, out,
				   CR_KEYSTORE_HEADER_LEN, secret, secret_len));
	*out_len = total;
out:
	cr_wipe(key, sizeof key);
	if (err)
		cr_wipe(out, cap);
	return err;
}

cr_err cr_keystore_open(uint8_t *secret, size_t cap, size_t *secret_len, const uint8_t *blob,
			size_t n, const uint8_t *pass, size_t pass_len, cr_argon2_params max)
{
	*secret_len = 0;
	uint8_t key[CR_AES128_KEY_LEN] = { 0 };
	cr_keystore_header h;
	cr_err err;
	CR_CHECK(secret && pass_ok(pass, pass_len) ? CR_OK : CR_ERR_ARG);
	CR_CHECK(cr_keystore_parse(blob, n, max, &h));
	size_t len = h.ciphertext.n - CR_GCM_TAG_LEN;
	CR_CHECK(cap >= len ? CR_OK : CR_ERR_SPACE);
	CR_CHECK(derive_key(key, pass, pass_len, h.salt, h.params));
	CR_CHECK(cr_aes128gcm_open(secret, key, h.nonce, h.header.p, h.header.n, h.ciphertext.p,
				   h.ciphertext.n));
	*secret_len = len;
out:
	cr_wipe(key, sizeof key);
	if (err && secret)
		cr_wipe(secret, cap);
	return err;
}

cr_err cr_keystore_reseal(uint8_t *out, size_t cap, size_t *out_len, const uint8_t *blob,
			  size_t n, const uint8_t *old_pass, size_t old_len,
			  const uint8_t *new_pass, size_t new_len, cr_argon2_params new_params,
			  cr_argon2_params max, const cr_rng *rng)
{
	*out_len = 0;
	CR_ENSURE(pass_ok(new_pass, new_len), CR_ERR_ARG);
	uint8_t *secret = malloc(CR_KEYSTORE_SECRET_MAX);
	CR_ENSURE(secret, CR_ERR_NOMEM);
	size_t len = 0;
	cr_err err;
	CR_CHECK(cr_keystore_open(secret, CR_KEYSTORE_SECRET_MAX, &len, blob, n, old_pass, old_len, max));
	CR_CHECK(cr_keystore_seal(out, cap, out_len, secret, len, new_pass, new_len, new_params, rng));
out:
	cr_wipe(secret, CR_KEYSTORE_SECRET_MAX);
	free(secret);
	return err;
}

static const char RECORD_INFO[] = "echover record v1";

/* key[16] || nonce[12] of one record from the data key and its salt. */
static cr_err record_keys(uint8_t key[CR_AES128_KEY_LEN], uint8_t nonce[CR_GCM_NONCE_LEN],
			  const uint8_t data_key[CR_KEYSTORE_DATA_KEY_LEN], const uint8_t salt[16])
{
	uint8_t prk[CR_SHA256_LEN], okm[CR_AES128_KEY_LEN + CR_GCM_NONCE_LEN];
	cr_hkdf_extract(prk, salt, 16, data_key, CR_KEYSTORE_DATA_KEY_LEN);
	cr_err err = cr_hkdf_expand(okm, sizeof okm, prk, sizeof prk, (const uint8_t *)RECORD_INFO,
				    sizeof RECORD_INFO - 1);
	if (err == CR_OK) {
		cr_reader r;
		cr_reader_init(&r, okm, sizeof okm);
		err = cr_read_copy(&r, key, CR_AES128_KEY_LEN);
		if (err == CR_OK)
			err = cr_read_copy(&r, nonce, CR_GCM_NONCE_LEN);
	}
	cr_wipe(prk, sizeof prk);
	cr_wipe(okm, sizeof okm);
	return err;
}

cr_err cr_keystore_record_seal(uint8_t *out, size_t cap, size_t *out_len,
			       const uint8_t key[CR_KEYSTORE_DATA_KEY_LEN], const uint8_t *aad,
			       size_t aad_len, const uint8_t *pt, size_t n, const cr_rng *rng)
{
	*out_len = 0;
	CR_ENSURE(out && key && (pt || n == 0) && (aad || aad_len == 0), CR_ERR_ARG);
	CR_ENSURE(n <= CR_KEYSTORE_RECORD_MAX && aad_len <= CR_KEYSTORE_RECORD_AAD_MAX, CR_ERR_ARG);
	CR_ENSURE(cap >= n + CR_KEYSTORE_RECORD_OVERHEAD, CR_ERR_SPACE);
	uint8_t salt[16], k[CR_AES128_KEY_LEN], nonce[CR_GCM_NONCE_LEN];
	cr_err err;
	CR_CHECK(cr_random(rng, salt, sizeof salt));
	CR_CHECK(record_keys(k, nonce, key, salt));
	cr_writer w;
	cr_writer_init_fixed(&w, out, cap);
	cr_write_u8(&w, CR_KEYSTORE_RECORD_VERSION);
	cr_write_bytes(&w, salt, sizeof salt);
	CR_CHECK(cr_writer_error(&w));
	CR_CHECK(cr_aes128gcm_seal(&out[w.len], k, nonce, aad, aad_len, pt, n));
	*out_len = n + CR_KEYSTORE_RECORD_OVERHEAD;
out:
	cr_wipe(k, sizeof k);
	cr_wipe(nonce, sizeof nonce);
	if (err)
		cr_wipe(out, cap);
	return err;
}

cr_err cr_keystore_record_open(uint8_t *out, size_t cap, size_t *out_len,
			       const uint8_t key[CR_KEYSTORE_DATA_KEY_LEN], const uint8_t *aad,
			       size_t aad_len, const uint8_t *rec, size_t n)
{
	*out_len = 0;
	uint8_t salt[16], k[CR_AES128_KEY_LEN] = { 0 }, nonce[CR_GCM_NONCE_LEN] = { 0 };
	cr_err err;
	CR_CHECK(out && key && (aad || aad_len == 0) && aad_len <= CR_KEYSTORE_RECORD_AAD_MAX ? CR_OK : CR_ERR_ARG);
	cr_reader r;
	cr_reader_init(&r, rec, n);
	uint8_t version;
	CR_CHECK(cr_read_u8(&r, &version));
	CR_CHECK(version == CR_KEYSTORE_RECORD_VERSION ? CR_OK : CR_ERR_UNSUPPORTED);
	CR_CHECK(cr_read_copy(&r, salt, sizeof salt));
	size_t left = cr_reader_left(&r);
	CR_CHECK(left >= CR_GCM_TAG_LEN ? CR_OK : CR_ERR_TRUNCATED);
	CR_CHECK(left - CR_GCM_TAG_LEN <= CR_KEYSTORE_RECORD_MAX ? CR_OK : CR_ERR_LIMIT);
	CR_CHECK(cap >= left - CR_GCM_TAG_LEN ? CR_OK : CR_ERR_SPACE);
	cr_span ct;
	CR_CHECK(cr_read_span(&r, left, &ct));
	CR_CHECK(record_keys(k, nonce, key, salt));
	CR_CHECK(cr_aes128gcm_open(out, k, nonce, aad, aad_len, ct.p, ct.n));
	*out_len = ct.n - CR_GCM_TAG_LEN;
out:
	cr_wipe(k, sizeof k);
	cr_wipe(nonce, sizeof nonce);
	if (err && out)
		cr_wipe(out, cap);
	return err;
}

/* ------------------------------------------------------------ identity */

void cr_keystore_identity_wipe(cr_keystore_identity *id)
{
	cr_wipe(id, sizeof *id);
}

cr_err cr_keystore_identity_new(cr_keystore_identity *id, uint8_t pub[CR_ED25519_PUB_LEN],
				const cr_rng *rng)
{
	cr_err err;
	CR_CHECK(cr_ed25519_keygen(id->seed, pub, rng));
	CR_CHECK(cr_random(rng, id->data_key, sizeof id->data_key));
out:
	if (err) {
		cr_keystore_identity_wipe(id);
		cr_wipe(pub, CR_ED25519_PUB_LEN);
	}
	return err;
}

void cr_keystore_identity_encode(uint8_t out[CR_KEYSTORE_IDENTITY_LEN], const cr_keystore_identity *id)
{
	cr_writer w;
	cr_writer_init_fixed(&w, out, CR_KEYSTORE_IDENTITY_LEN);
	cr_write_u8(&w, CR_KEYSTORE_IDENTITY_VERSION);
	cr_write_bytes(&w, id->seed, sizeof id->seed);
	cr_write_bytes(&w, id->data_key, sizeof id->data_key);
	if (cr_writer_error(&w)) /* cannot fail: the buffer is sized for it */
		cr_wipe(out, CR_KEYSTORE_IDENTITY_LEN);
}

cr_err cr_keystore_identity_decode(const uint8_t *p, size_t n, cr_keystore_identity *id)
{
	cr_reader r;
	cr_reader_init(&r, p, n);
	uint8_t version;
	cr_err err;
	CR_CHECK(cr_read_u8(&r, &version));
	CR_CHECK(version == CR_KEYSTORE_IDENTITY_VERSION ? CR_OK : CR_ERR_UNSUPPORTED);
	CR_CHECK(cr_read_copy(&r, id->seed, sizeof id->seed));
	CR_CHECK(cr_read_copy(&r, id->data_key, sizeof id->data_key));
	CR_CHECK(cr_reader_end(&r));
out:
	if (err)
		cr_keystore_identity_wipe(id);
	return err;
}
