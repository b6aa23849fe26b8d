/*
 * test_keystore.c: passphrase-sealed secrets (crypto/keystore.h): a known
 * answer derived outside echover, round trips, wrong passphrase, every byte
 * tampered, every truncation, parameter limits, passphrase change.
 *
 * Tests use tiny Argon2id parameters (1..2 passes, 8..64 KiB) to stay fast;
 * the format and code path are the same as with the default parameters.
 */
#include <stdlib.h>
#include <string.h>

#include "keystore.h"
#include "t.h"

static const cr_argon2_params SMALL = { 1, 8 };
static const uint8_t PASS[] = "correct horse battery staple";
#define PASS_LEN (sizeof PASS - 1)
#define B2(s) (const uint8_t *)(s), (sizeof(s) - 1)

static cr_rng_det det_state;
static cr_rng det_rng;

static const cr_rng *rng_det(void)
{
	static const uint8_t seed[32] = { 7 };
	cr_rng_det_init(&det_state, &det_rng, seed);
	return &det_rng;
}

/* Hands out 0xa0, 0xa1, ... for the first call (the salt) and 0xb0, 0xb1,
 * ... for the second (the nonce), so the known answer can fix both. */
static cr_err fixed_fill(void *ctx, uint8_t *out, size_t n)
{
	unsigned *calls = ctx;
	for (size_t i = 0; i < n; i++)
		out[i] = (uint8_t)((*calls == 0 ? 0xa0 : 0xb0) + i);
	(*calls)++;
	return CR_OK;
}

static cr_err failing_fill(void *ctx, uint8_t *out, size_t n)
{
	(void)ctx;
	memset(out, 0x55, n);
	return CR_ERR_RANDOM;
}

static void secret32(uint8_t s[32])
{
	for (int i = 0; i < 32; i++)
		s[i] = (uint8_t)i;
}

/* Expected blob computed with Python's `cryptography` package (Argon2id,
 * HMAC/HKDF-Expand, AESGCM), following the derivation in keystore.h:
 *   ikm = Argon2id(pw, salt, t=2, m=64 KiB, p=1, 32)
 *   prk = HMAC-SHA256("echover keystore v1", ikm)
 *   key = HKDF-Expand(prk, "aes-128-gcm key", 16)
 *   blob = header || AESGCM(key).encrypt(nonce, secret, header) */
TEST(known_answer_from_independent_implementation)
{
	static const char want_hex[] =
		"45564b53010000000200000040a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babb"
		"1f4c8ce0b323bddb0abfd7092bc7ba82c872faada06622b237ef263e7c2929d8"
		"13cc79013343f4d45043dc9a6dc574ab";
	size_t want_len;
	uint8_t *want = t_unhex(want_hex, &want_len);
	unsigned calls = 0;
	cr_rng fixed = { fixed_fill, &calls };
	uint8_t secret[32], blob[CR_KEYSTORE_SEALED_LEN(32)];
	secret32(secret);
	size_t n = 0;
	cr_argon2_params p = { 2, 64 };
	CHECK_OK(cr_keystore_seal(blob, sizeof blob, &n, secret, sizeof secret, PASS, PASS_LEN, p, &fixed));
	CHECK(n == want_len && n == sizeof blob);
	CHECK_MEM(blob, want, want_len);
	uint8_t back[64];
	size_t back_len = 0;
	CHECK_OK(cr_keystore_open(back, sizeof back, &back_len, want, want_len, PASS, PASS_LEN,
				  CR_KEYSTORE_MAX_PARAMS));
	CHECK(back_len == 32);
	CHECK_MEM(back, secret, 32);
	free(want);
}

TEST(round_trip_and_header_fields)
{
	uint8_t secret[100], blob[CR_KEYSTORE_SEALED_LEN(100)], back[100];
	for (size_t i = 0; i < sizeof secret; i++)
		secret[i] = (uint8_t)(i * 7 + 1);
	size_t n, m;
	CHECK_OK(cr_keystore_seal(blob, sizeof blob, &n, secret, sizeof secret, PASS, PASS_LEN, SMALL, rng_det()));
	CHECK(n == sizeof blob);
	cr_keystore_header h;
	CHECK_OK(cr_keystore_parse(blob, n, CR_KEYSTORE_MAX_PARAMS, &h));
	CHECK(h.version == 1 && h.params.ops == 1 && h.params.mem_kib == 8);
	CHECK(h.header.n == CR_KEYSTORE_HEADER_LEN && h.ciphertext.n == sizeof secret + 16);
	CHECK_OK(cr_keystore_open(back, sizeof back, &m, blob, n, PASS, PASS_LEN, SMALL));
	CHECK(m == sizeof secret);
	CHECK_MEM(back, secret, sizeof secret);
	/* one-byte and maximal secrets */
	uint8_t one = 0x42, got = 0;
	uint8_t small_blob[CR_KEYSTORE_SEALED_LEN(1)];
	CHECK_OK(cr_keystore_seal(small_blob, sizeof small_blob, &n, &one, 1, PASS, 1, SMALL, rng_det()));
	CHECK_OK(cr_keystore_open(&got, 1, &m, small_blob, n, PASS, 1, SMALL));
	CHECK(m == 1 && got == 0x42);
	uint8_t *big = calloc(1, CR_KEYSTORE_SECRET_MAX), *big_blob = malloc(CR_KEYSTORE_SEALED_LEN(CR_KEYSTORE_SECRET_MAX));
	uint8_t *big_back = malloc(CR_KEYSTORE_SECRET_MAX);
	big[100] = 1;
	CHECK_OK(cr_keystore_seal(big_blob, CR_KEYSTORE_SEALED_LEN(CR_KEYSTORE_SECRET_MAX), &n, big,
				  CR_KEYSTORE_SECRET_MAX, PASS, PASS_LEN, SMALL, rng_det()));
	CHECK_OK(cr_keystore_open(big_back, CR_KEYSTORE_SECRET_MAX, &m, big_blob, n, PASS, PASS_LEN, SMALL));
	CHECK(m == CR_KEYSTORE_SECRET_MAX);
	CHECK_MEM(big_back, big, CR_KEYSTORE_SECRET_MAX);
	free(big);
	free(big_blob);
	free(big_back);
}

TEST(fresh_salt_and_nonce_per_seal)
{
	uint8_t secret[32], a[CR_KEYSTORE_SEALED_LEN(32)], b[CR_KEYSTORE_SEALED_LEN(32)];
	secret32(secret);
	size_t n;
	const cr_rng *rng = rng_det();
	CHECK_OK(cr_keystore_seal(a, sizeof a, &n, secret, 32, PASS, PASS_LEN, SMALL, rng));
	CHECK_OK(cr_keystore_seal(b, sizeof b, &n, secret, 32, PASS, PASS_LEN, SMALL, rng));
	cr_keystore_header ha, hb;
	CHECK_OK(cr_keystore_parse(a, sizeof a, SMALL, &ha));
	CHECK_OK(cr_keystore_parse(b, sizeof b, SMALL, &hb));
	CHECK(memcmp(ha.salt, hb.salt, 16) != 0);
	CHECK(memcmp(ha.nonce, hb.nonce, 12) != 0);
	CHECK(memcmp(ha.ciphertext.p, hb.ciphertext.p, ha.ciphertext.n) != 0);
}

TEST(wrong_passphrase_is_auth_and_zeroes_output)
{
	uint8_t secret[32], blob[CR_KEYSTORE_SEALED_LEN(32)], back[48];
	secret32(secret);
	size_t n, m = 99;
	CHECK_OK(cr_keystore_seal(blob, sizeof blob, &n, secret, 32, PASS, PASS_LEN, SMALL, rng_det()));
	static const uint8_t wrong[] = "correct horse battery stapla";
	memset(back, 0xee, sizeof back);
	CHECK_ERR(cr_keystore_open(back, sizeof back, &m, blob, n, wrong, sizeof wrong - 1, SMALL), CR_ERR_AUTH);
	static const uint8_t zero[48];
	CHECK_MEM(back, zero, sizeof back);
	CHECK(m == 0);
	/* a prefix of the right passphrase is another passphrase */
	CHECK_ERR(cr_keystore_open(back, sizeof back, &m, blob, n, PASS, PASS_LEN - 1, SMALL), CR_ERR_AUTH);
	CHECK_ERR(cr_keystore_open(back, sizeof back, &m, blob, n, PASS, 0, SMALL), CR_ERR_ARG);
	CHECK_MEM(back, zero, sizeof back);
}

/* Flipping any bit of any byte must be refused; header bytes too, since the
 * header is the associated data. */
TEST(every_tampered_byte_is_rejected)
{
	uint8_t secret[20], blob[CR_KEYSTORE_SEALED_LEN(20)], back[20];
	memset(secret, 0x33, sizeof secret);
	size_t n, m;
	CHECK_OK(cr_keystore_seal(blob, sizeof blob, &n, secret, sizeof secret, PASS, PASS_LEN, SMALL, rng_det()));
	cr_argon2_params max = { 4, 64 }; /* lets a tampered ops/mem byte run Argon2id when small */
	for (size_t i = 0; i < n; i++) {
		for (int bit = 0; bit < 8; bit += 3) {
			blob[i] ^= (uint8_t)(1u << bit);
			cr_err e = cr_keystore_open(back, sizeof back, &m, blob, n, PASS, PASS_LEN, max);
			if (!CHECK(e != CR_OK && m == 0))
				t_note("byte %zu bit %d accepted", i, bit);
			if (i >= 13)
				CHECK_ERR(e, CR_ERR_AUTH); /* salt, nonce, ciphertext, tag */
			blob[i] ^= (uint8_t)(1u << bit);
		}
	}
	CHECK_OK(cr_keystore_open(back, sizeof back, &m, blob, n, PASS, PASS_LEN, max));
}

TEST(every_truncation_and_extension_is_rejected)
{
	uint8_t secret[20], blob[CR_KEYSTORE_SEALED_LEN(20) + 1], back[32];
	memset(secret, 0x44, sizeof secret);
	size_t n, m;
	CHECK_OK(cr_keystore_seal(blob, sizeof blob, &n, secret, sizeof secret, PASS, PASS_LEN, SMALL, rng_det()));
	for (size_t cut = 0; cut < n; cut++) {
		cr_err e = cr_keystore_open(back, sizeof back, &m, blob, cut, PASS, PASS_LEN, SMALL);
		if (cut < CR_KEYSTORE_HEADER_LEN + 17)
			CHECK_ERR(e, CR_ERR_TRUNCATED);
		else
			CHECK_ERR(e, CR_ERR_AUTH);
	}
	blob[n] = 0;
	CHECK_ERR(cr_keystore_open(back, sizeof back, &m, blob, n + 1, PASS, PASS_LEN, SMALL), CR_ERR_AUTH);
	CHECK_ERR(cr_keystore_open(back, sizeof back, &m, NULL, 0, PASS, PASS_LEN, SMALL), CR_ERR_TRUNCATED);
}

static size_t header_with(uint8_t *blob, size_t cap, const char magic[4], uint8_t version,
			  uint32_t ops, uint32_t mem, size_t ct_len)
{
	cr_writer w;
	cr_writer_init_fixed(&w, blob, cap);
	cr_write_bytes(&w, (const uint8_t *)magic, 4);
	cr_write_u8(&w, version);
	cr_write_u32(&w, ops);
	cr_write_u32(&w, mem);
	for (size_t i = 0; i < 28 + ct_len; i++)
		cr_write_u8(&w, (uint8_t)i);
	return cr_writer_error(&w) ? 0 : w.len;
}

TEST(parser_refuses_bad_magic_version_and_params)
{
	uint8_t blob[128];
	cr_keystore_header h;
	size_t n;
	n = header_with(blob, sizeof blob, "EVKS", 1, 1, 8, 32);
	CHECK_OK(cr_keystore_parse(blob, n, SMALL, &h));
	n = header_with(blob, sizeof blob, "EVKs", 1, 1, 8, 32);
	CHECK_ERR(cr_keystore_parse(blob, n, SMALL, &h), CR_ERR_MALFORMED);
	CHECK_ERR(cr_keystore_parse(blob, 6, SMALL, &h), CR_ERR_MALFORMED); /* short, but the magic is wrong */
	n = header_with(blob, sizeof blob, "EVKS", 2, 1, 8, 32);
	CHECK_ERR(cr_keystore_parse(blob, n, SMALL, &h), CR_ERR_UNSUPPORTED);
	n = header_with(blob, sizeof blob, "EVKS", 0, 1, 8, 32);
	CHECK_ERR(cr_keystore_parse(blob, n, SMALL, &h), CR_ERR_UNSUPPORTED);
	n = header_with(blob, sizeof blob, "EVKS", 1, 0, 8, 32);
	CHECK_ERR(cr_keystore_parse(blob, n, SMALL, &h), CR_ERR_MALFORMED);
	n = header_with(blob, sizeof blob, "EVKS", 1, 1, 7, 32);
	CHECK_ERR(cr_keystore_parse(blob, n, SMALL, &h), CR_ERR_MALFORMED);
	n = header_with(blob, sizeof blob, "EVKS", 1, 2, 8, 32);
	CHECK_ERR(cr_keystore_parse(blob, n, SMALL, &h), CR_ERR_LIMIT);
	n = header_with(blob, sizeof blob, "EVKS", 1, 1, 9, 32);
	CHECK_ERR(cr_keystore_parse(blob, n, SMALL, &h), CR_ERR_LIMIT);
	n = header_with(blob, sizeof blob, "EVKS", 1, 0xffffffffu, 0xffffffffu, 32);
	CHECK_ERR(cr_keystore_parse(blob, n, CR_KEYSTORE_MAX_PARAMS, &h), CR_ERR_LIMIT);
	n = header_with(blob, sizeof blob, "EVKS", 1, 9, 8, 32);
	CHECK_ERR(cr_keystore_parse(blob, n, CR_KEYSTORE_MAX_PARAMS, &h), CR_ERR_LIMIT);
	n = header_with(blob, sizeof blob, "EVKS", 1, 1, 1024 * 1024 + 1, 32);
	CHECK_ERR(cr_keystore_parse(blob, n, CR_KEYSTORE_MAX_PARAMS, &h), CR_ERR_LIMIT);
	n = header_with(blob, sizeof blob, "EVKS", 1, 8, 1024 * 1024, 32);
	CHECK_OK(cr_keystore_parse(blob, n, CR_KEYSTORE_MAX_PARAMS, &h));
	/* open refuses oversized parameters before deriving: a 4 GiB request
	 * comes back at once as LIMIT, not as an allocation failure */
	uint8_t back[64];
	size_t m;
	n = header_with(blob, sizeof blob, "EVKS", 1, 1, 0xffffffffu, 32);
	CHECK_ERR(cr_keystore_open(back, sizeof back, &m, blob, n, PASS, PASS_LEN, CR_KEYSTORE_MAX_PARAMS), CR_ERR_LIMIT);
	/* a ciphertext with only a tag (empty secret) is refused */
	n = header_with(blob, sizeof blob, "EVKS", 1, 1, 8, 16);
	CHECK_ERR(cr_keystore_parse(blob, n, SMALL, &h), CR_ERR_TRUNCATED);
}

TEST(parser_refuses_ciphertext_above_limit)
{
	size_t cap = CR_KEYSTORE_SEALED_LEN(CR_KEYSTORE_SECRET_MAX) + 1;
	uint8_t *blob = malloc(cap);
	cr_keystore_header h;
	size_t n = header_with(blob, cap, "EVKS", 1, 1, 8, CR_KEYSTORE_SECRET_MAX + 16 + 1);
	CHECK(n == cap);
	CHECK_ERR(cr_keystore_parse(blob, n, SMALL, &h), CR_ERR_LIMIT);
	CHECK_OK(cr_keystore_parse(blob, n - 1, SMALL, &h));
	free(blob);
}

TEST(seal_and_open_argument_errors)
{
	uint8_t secret[32], blob[CR_KEYSTORE_SEALED_LEN(32)], back[32];
	secret32(secret);
	size_t n, m;
	CHECK_ERR(cr_keystore_seal(blob, sizeof blob, &n, secret, 0, PASS, PASS_LEN, SMALL, rng_det()), CR_ERR_ARG);
	CHECK_ERR(cr_keystore_seal(blob, sizeof blob, &n, secret, 32, PASS, 0, SMALL, rng_det()), CR_ERR_ARG);
	CHECK_ERR(cr_keystore_seal(blob, sizeof blob, &n, secret, 32, PASS, CR_KEYSTORE_PASS_MAX + 1, SMALL, rng_det()), CR_ERR_ARG);
	CHECK_ERR(cr_keystore_seal(blob, sizeof blob, &n, secret, CR_KEYSTORE_SECRET_MAX + 1, PASS, PASS_LEN, SMALL, rng_det()), CR_ERR_ARG);
	CHECK_ERR(cr_keystore_seal(blob, sizeof blob - 1, &n, secret, 32, PASS, PASS_LEN, SMALL, rng_det()), CR_ERR_SPACE);
	cr_argon2_params too_much = { CR_KEYSTORE_MAX_PARAMS.ops + 1, 8 };
	CHECK_ERR(cr_keystore_seal(blob, sizeof blob, &n, secret, 32, PASS, PASS_LEN, too_much, rng_det()), CR_ERR_LIMIT);
	cr_argon2_params too_little = { 1, 4 };
	CHECK_ERR(cr_keystore_seal(blob, sizeof blob, &n, secret, 32, PASS, PASS_LEN, too_little, rng_det()), CR_ERR_ARG);
	cr_rng bad = { failing_fill, NULL };
	CHECK_ERR(cr_keystore_seal(blob, sizeof blob, &n, secret, 32, PASS, PASS_LEN, SMALL, &bad), CR_ERR_RANDOM);
	CHECK(n == 0);
	/* an output buffer one byte short is refused, and zeroed */
	CHECK_OK(cr_keystore_seal(blob, sizeof blob, &n, secret, 32, PASS, PASS_LEN, SMALL, rng_det()));
	memset(back, 0xee, sizeof back);
	CHECK_ERR(cr_keystore_open(back, 31, &m, blob, n, PASS, PASS_LEN, SMALL), CR_ERR_SPACE);
	static const uint8_t zero[31];
	CHECK_MEM(back, zero, 31);
	CHECK(back[31] == 0xee);
	/* parameters above the caller's maximum */
	cr_argon2_params tiny = { 1, 7 };
	CHECK_ERR(cr_keystore_open(back, sizeof back, &m, blob, n, PASS, PASS_LEN, tiny), CR_ERR_LIMIT);
}

TEST(reseal_changes_passphrase_salt_and_nonce)
{
	uint8_t secret[32], blob[CR_KEYSTORE_SEALED_LEN(32)], blob2[CR_KEYSTORE_SEALED_LEN(32)], back[32];
	secret32(secret);
	size_t n, n2, m;
	const cr_rng *rng = rng_det();
	CHECK_OK(cr_keystore_seal(blob, sizeof blob, &n, secret, 32, PASS, PASS_LEN, SMALL, rng));
	static const uint8_t NEW[] = "new passphrase";
	cr_argon2_params p2 = { 2, 16 };
	CHECK_OK(cr_keystore_reseal(blob2, sizeof blob2, &n2, blob, n, PASS, PASS_LEN, NEW, sizeof NEW - 1,
				    p2, CR_KEYSTORE_MAX_PARAMS, rng));
	CHECK(n2 == n);
	cr_keystore_header h1, h2;
	CHECK_OK(cr_keystore_parse(blob, n, SMALL, &h1));
	CHECK_OK(cr_keystore_parse(blob2, n2, CR_KEYSTORE_MAX_PARAMS, &h2));
	CHECK(h2.params.ops == 2 && h2.params.mem_kib == 16);
	CHECK(memcmp(h1.salt, h2.salt, 16) != 0 && memcmp(h1.nonce, h2.nonce, 12) != 0);
	CHECK_ERR(cr_keystore_open(back, sizeof back, &m, blob2, n2, PASS, PASS_LEN, CR_KEYSTORE_MAX_PARAMS), CR_ERR_AUTH);
	CHECK_OK(cr_keystore_open(back, sizeof back, &m, blob2, n2, NEW, sizeof NEW - 1, CR_KEYSTORE_MAX_PARAMS));
	CHECK(m == 32);
	CHECK_MEM(back, secret, 32);
	/* wrong old passphrase: nothing written */
	memset(blob2, 0xee, sizeof blob2);
	CHECK_ERR(cr_keystore_reseal(blob2, sizeof blob2, &n2, blob, n, NEW, sizeof NEW - 1, NEW, sizeof NEW - 1,
				     p2, CR_KEYSTORE_MAX_PARAMS, rng), CR_ERR_AUTH);
	CHECK(n2 == 0);
	CHECK_ERR(cr_keystore_reseal(blob2, sizeof blob2, &n2, blob, n, PASS, PASS_LEN, NEW, 0,
				     p2, CR_KEYSTORE_MAX_PARAMS, rng), CR_ERR_ARG);
	CHECK_ERR(cr_keystore_reseal(blob2, sizeof blob2 - 1, &n2, blob, n, PASS, PASS_LEN, NEW, sizeof NEW - 1,
				     p2, CR_KEYSTORE_MAX_PARAMS, rng), CR_ERR_SPACE);
}

/* Record known answer from Python's `cryptography` (HMAC for the extract,
 * HKDFExpand, AESGCM), following keystore.h:
 *   prk = HMAC-SHA256(salt, data_key); okm = HKDF-Expand(prk, "echover record v1", 28)
 *   rec = 01 || salt || AESGCM(okm[:16]).encrypt(okm[16:], pt, aad)
 * with data_key = 40..5f, salt = a0..af, pt = "group state bytes",
 * aad = "group-id-1". */
TEST(record_known_answer_from_independent_implementation)
{
	static const char want_hex[] =
		"01a0a1a2a3a4a5a6a7a8a9aaabacadaeaf8dbbe221e7d0e979d6916e044a3c785af2"
		"eb62412b0745168db0914c1c8d40c8d2";
	size_t want_len;
	uint8_t *want = t_unhex(want_hex, &want_len);
	uint8_t dk[32];
	for (int i = 0; i < 32; i++)
		dk[i] = (uint8_t)(0x40 + i);
	unsigned calls = 0;
	cr_rng fixed = { fixed_fill, &calls };
	uint8_t rec[64], back[64];
	size_t n, m;
	CHECK_OK(cr_keystore_record_seal(rec, sizeof rec, &n, dk, (const uint8_t *)"group-id-1", 10,
					 (const uint8_t *)"group state bytes", 17, &fixed));
	CHECK(n == want_len && n == 17 + CR_KEYSTORE_RECORD_OVERHEAD);
	CHECK_MEM(rec, want, want_len);
	CHECK_OK(cr_keystore_record_open(back, sizeof back, &m, dk, (const uint8_t *)"group-id-1", 10, want, want_len));
	CHECK(m == 17 && memcmp(back, "group state bytes", 17) == 0);
	free(want);
}

TEST(record_rejects_wrong_key_aad_tampering_and_truncation)
{
	uint8_t dk[32], dk2[32], rec[64], back[64];
	memset(dk, 9, 32);
	memcpy(dk2, dk, 32);
	dk2[0] ^= 1;
	size_t n, m;
	const cr_rng *rng = rng_det();
	CHECK_OK(cr_keystore_record_seal(rec, sizeof rec, &n, dk, B2("gid"), B2("secret state"), rng));
	CHECK_OK(cr_keystore_record_open(back, sizeof back, &m, dk, B2("gid"), rec, n));
	CHECK(m == 12 && memcmp(back, "secret state", 12) == 0);
	CHECK_ERR(cr_keystore_record_open(back, sizeof back, &m, dk2, B2("gid"), rec, n), CR_ERR_AUTH);
	CHECK_ERR(cr_keystore_record_open(back, sizeof back, &m, dk, B2("gie"), rec, n), CR_ERR_AUTH);
	CHECK_ERR(cr_keystore_record_open(back, sizeof back, &m, dk, NULL, 0, rec, n), CR_ERR_AUTH);
	static const uint8_t zero[64];
	CHECK_MEM(back, zero, sizeof back);
	CHECK(m == 0);
	for (size_t i = 0; i < n; i++) {
		rec[i] ^= 0x20;
		cr_err e = cr_keystore_record_open(back, sizeof back, &m, dk, B2("gid"), rec, n);
		CHECK_ERR(e, i == 0 ? CR_ERR_UNSUPPORTED : CR_ERR_AUTH);
		rec[i] ^= 0x20;
	}
	for (size_t cut = 0; cut < n; cut++) {
		cr_err e = cr_keystore_record_open(back, sizeof back, &m, dk, B2("gid"), rec, cut);
		CHECK_ERR(e, cut < CR_KEYSTORE_RECORD_OVERHEAD ? CR_ERR_TRUNCATED : CR_ERR_AUTH);
	}
	CHECK_ERR(cr_keystore_record_open(back, 11, &m, dk, B2("gid"), rec, n), CR_ERR_SPACE);
	/* two seals of the same state differ (fresh salt) */
	uint8_t rec2[64];
	size_t n2;
	CHECK_OK(cr_keystore_record_seal(rec2, sizeof rec2, &n2, dk, B2("gid"), B2("secret state"), rng));
	CHECK(n2 == n && memcmp(rec, rec2, n) != 0);
	/* an empty record is a record */
	CHECK_OK(cr_keystore_record_seal(rec2, sizeof rec2, &n2, dk, NULL, 0, NULL, 0, rng));
	CHECK(n2 == CR_KEYSTORE_RECORD_OVERHEAD);
	CHECK_OK(cr_keystore_record_open(back, 0, &m, dk, NULL, 0, rec2, n2));
	CHECK(m == 0);
	/* arguments */
	CHECK_ERR(cr_keystore_record_seal(rec2, 12 + CR_KEYSTORE_RECORD_OVERHEAD - 1, &n2, dk, NULL, 0,
					  B2("secret state"), rng), CR_ERR_SPACE);
	CHECK_ERR(cr_keystore_record_seal(rec2, sizeof rec2, &n2, dk, rec, CR_KEYSTORE_RECORD_AAD_MAX + 1,
					  B2("x"), rng), CR_ERR_ARG);
	cr_rng bad = { failing_fill, NULL };
	CHECK_ERR(cr_keystore_record_seal(rec2, sizeof rec2, &n2, dk, NULL, 0, B2("x"), &bad), CR_ERR_RANDOM);
}

/* The whole unlock path: a new identity, sealed, opened, decoded, and the
 * public key recomputed from the seed. */
TEST(identity_new_seal_open_decode)
{
	cr_keystore_identity id, back;
	uint8_t pub[32], pub2[32], enc[CR_KEYSTORE_IDENTITY_LEN], blob[CR_KEYSTORE_SEALED_LEN(CR_KEYSTORE_IDENTITY_LEN)];
	uint8_t plain[CR_KEYSTORE_IDENTITY_LEN];
	const cr_rng *rng = rng_det();
	CHECK_OK(cr_keystore_identity_new(&id, pub, rng));
	cr_keystore_identity_encode(enc, &id);
	CHECK(enc[0] == 1);
	CHECK_MEM(&enc[1], id.seed, 32);
	CHECK_MEM(&enc[33], id.data_key, 32);
	CHECK(memcmp(id.seed, id.data_key, 32) != 0);
	size_t n, m;
	CHECK_OK(cr_keystore_seal(blob, sizeof blob, &n, enc, sizeof enc, PASS, PASS_LEN, SMALL, rng));
	CHECK_OK(cr_keystore_open(plain, sizeof plain, &m, blob, n, PASS, PASS_LEN, SMALL));
	CHECK_OK(cr_keystore_identity_decode(plain, m, &back));
	CHECK_MEM(back.seed, id.seed, 32);
	CHECK_MEM(back.data_key, id.data_key, 32);
	CHECK_OK(cr_ed25519_public(pub2, back.seed));
	CHECK_MEM(pub2, pub, 32);
	/* strict decoding */
	CHECK_ERR(cr_keystore_identity_decode(enc, sizeof enc - 1, &back), CR_ERR_TRUNCATED);
	static const cr_keystore_identity zero;
	CHECK_MEM(&back, &zero, sizeof back);
	uint8_t longer[CR_KEYSTORE_IDENTITY_LEN + 1];
	memcpy(longer, enc, sizeof enc);
	longer[sizeof enc] = 0;
	CHECK_ERR(cr_keystore_identity_decode(longer, sizeof longer, &back), CR_ERR_MALFORMED);
	enc[0] = 2;
	CHECK_ERR(cr_keystore_identity_decode(enc, sizeof enc, &back), CR_ERR_UNSUPPORTED);
	CHECK_ERR(cr_keystore_identity_decode(NULL, 0, &back), CR_ERR_TRUNCATED);
	cr_rng bad = { failing_fill, NULL };
	CHECK_ERR(cr_keystore_identity_new(&id, pub, &bad), CR_ERR_RANDOM);
	CHECK_MEM(&id, &zero, sizeof id);
	cr_keystore_identity_wipe(&back);
}

static const t_case cases[] = {
	T(known_answer_from_independent_implementation),
	T(round_trip_and_header_fields),
	T(fresh_salt_and_nonce_per_seal),
	T(wrong_passphrase_is_auth_and_zeroes_output),
	T(every_tampered_byte_is_rejected),
	T(every_truncation_and_extension_is_rejected),
	T(parser_refuses_bad_magic_version_and_params),
	T(parser_refuses_ciphertext_above_limit),
	T(seal_and_open_argument_errors),
	T(reseal_changes_passphrase_salt_and_nonce),
	T(record_known_answer_from_independent_implementation),
	T(record_rejects_wrong_key_aad_tampering_and_truncation),
	T(identity_new_seal_open_decode),
	{ 0 },
};

int main(int argc, char **argv)
{
	if (cr_init())
		return 1;
	return t_main(argc, argv, cases);
}
