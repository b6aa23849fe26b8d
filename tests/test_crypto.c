/*
 * test_crypto.c: unit tests of the primitive wrappers of crypto/: the
 * negative cases known-answer files do not reach (wrong key, truncated tag,
 * tampered AAD, weak X25519 points, non-canonical Ed25519 S, Argon2 limits,
 * P-256 scalar range), the deterministic random source, cr_ct_equal, the
 * HKDF-Expand limit, and the built-in self-test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aes_gcm.h"
#include "pwhash.h"
#include "ed25519.h"
#include "hash.h"
#include "p256.h"
#include "rng.h"
#include "selftest.h"
#include "t.h"
#include "wipe.h"
#include "x25519.h"

static const uint8_t SEED_A[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
static const uint8_t SEED_B[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 11 };

static bool all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;
	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

/* ---- random source ---- */

TEST(rng_det_reproducible)
{
	cr_rng_det d1, d2, d3;
	cr_rng r1, r2, r3;
	uint8_t a[100], b[100], c[100], a2[100];
	cr_rng_det_init(&d1, &r1, SEED_A);
	cr_rng_det_init(&d2, &r2, SEED_A);
	cr_rng_det_init(&d3, &r3, SEED_B);
	CHECK_OK(cr_random(&r1, a, sizeof a));
	CHECK_OK(cr_random(&r2, b, sizeof b));
	CHECK_OK(cr_random(&r3, c, sizeof c));
	CHECK_MEM(a, b, sizeof a);                 /* same seed, same bytes */
	CHECK(memcmp(a, c, sizeof a) != 0);        /* another seed, other bytes */
	CHECK_OK(cr_random(&r1, a2, sizeof a2));
	CHECK(memcmp(a, a2, sizeof a) != 0);       /* successive calls differ */
	CHECK(!all_zero(a, sizeof a));
}

static cr_err failing_fill(void *ctx, uint8_t *out, size_t n)
{
	(void)ctx;
	memset(out, 0x55, n);
	return CR_ERR_RANDOM;
}

static cr_err ff_fill(void *ctx, uint8_t *out, size_t n)
{
	(void)ctx;
	memset(out, 0xff, n);
	return CR_OK;
}

TEST(rng_failure_zeroes_output)
{
	cr_rng bad = { failing_fill, NULL };
	uint8_t out[16];
	memset(out, 0xaa, sizeof out);
	CHECK_ERR(cr_random(&bad, out, sizeof out), CR_ERR_RANDOM);
	CHECK(all_zero(out, sizeof out));
	CHECK_ERR(cr_random(NULL, out, sizeof out), CR_ERR_ARG);
	uint8_t priv[32], pub[32];
	CHECK_ERR(cr_x25519_keygen(priv, pub, &bad), CR_ERR_RANDOM);
	CHECK_ERR(cr_ed25519_keygen(priv, pub, &bad), CR_ERR_RANDOM);
}

TEST(rng_system_differs)
{
	uint8_t a[32], b[32];
	CHECK_OK(cr_init());
	CHECK_OK(cr_random(cr_rng_system(), a, sizeof a));
	CHECK_OK(cr_random(cr_rng_system(), b, sizeof b));
	CHECK(memcmp(a, b, sizeof a) != 0);
}

/* ---- constant-time comparison ---- */

TEST(ct_equal)
{
	uint8_t a[33], b[33];
	for (size_t i = 0; i < sizeof a; i++)
		a[i] = b[i] = (uint8_t)(i * 7);
	CHECK(cr_ct_equal(a, b, sizeof a));
	CHECK(cr_ct_equal(a, b, 0));
	b[0] ^= 1;
	CHECK(!cr_ct_equal(a, b, sizeof a));
	b[0] ^= 1;
	b[32] ^= 0x80;
	CHECK(!cr_ct_equal(a, b, sizeof a));
	CHECK(cr_ct_equal(a, b, 32)); /* the difference lies past n */
	uint8_t w[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	cr_wipe(w, sizeof w);
	CHECK(all_zero(w, sizeof w));
}

/* ---- hashes, HMAC, HKDF ---- */

TEST(sha256_streaming_matches_one_shot)
{
	uint8_t msg[300], one[32], got[32];
	for (size_t i = 0; i < sizeof msg; i++)
		msg[i] = (uint8_t)(i ^ 0x5a);
	cr_sha256(one, msg, sizeof msg);
	static const size_t cuts[][2] = { { 0, 0 }, { 1, 63 }, { 64, 64 }, { 55, 56 }, { 200, 299 } };
	for (size_t k = 0; k < sizeof cuts / sizeof cuts[0]; k++) {
		cr_sha256_ctx c;
		cr_sha256_init(&c);
		cr_sha256_update(&c, msg, cuts[k][0]);
		cr_sha256_update(&c, msg + cuts[k][0], cuts[k][1] - cuts[k][0]);
		cr_sha256_update(&c, msg + cuts[k][1], sizeof msg - cuts[k][1]);
		cr_sha256_final(&c, got);
		CHECK_MEM(got, one, 32);
		CHECK(all_zero((const uint8_t *)&c, sizeof c)); /* final wipes the context */
	}
}

/* Suspended at every byte and resumed, once or twice in a row, the hash is
 * the one-shot hash; the tail a save leaves out is exactly count % 64. */
TEST(sha256_save_resume_matches_one_shot)
{
	uint8_t msg[300], one[32], got[32], mid[32];
	for (size_t i = 0; i < sizeof msg; i++)
		msg[i] = (uint8_t)(i * 7 + 3);
	cr_sha256(one, msg, sizeof msg);
	for (size_t p = 0; p <= sizeof msg; p++) {
		cr_sha256_ctx c, d;
		cr_sha256_init(&c);
		cr_sha256_update(&c, msg, p);
		uint64_t count = cr_sha256_save(&c, mid);
		if (!CHECK(count == p - p % CR_SHA256_BLOCK))
			break;
		/* A second stop further on, from the resumed context. */
		size_t q = p + (sizeof msg - p) / 2;
		if (!CHECK_OK(cr_sha256_resume(&d, mid, count)))
			break;
		cr_sha256_update(&d, msg + count, q - count);
		count = cr_sha256_save(&d, mid);
		if (!CHECK_OK(cr_sha256_resume(&d, mid, count)))
			break;
		cr_sha256_update(&d, msg + count, sizeof msg - count);
		cr_sha256_final(&d, got);
		if (!CHECK_MEM(got, one, 32))
			t_note("suspended at %zu and %zu", p, q);
		cr_sha256_final(&c, got);
	}
	/* Negative: a count inside a block is refused, and a changed chaining
	 * value or count gives another hash. */
	cr_sha256_ctx c;
	cr_sha256_init(&c);
	cr_sha256_update(&c, msg, 130);
	uint64_t count = cr_sha256_save(&c, mid);
	CHECK(count == 128);
	cr_sha256_final(&c, got);
	CHECK_ERR(cr_sha256_resume(&c, mid, 129), CR_ERR_ARG);
	CHECK_ERR(cr_sha256_resume(&c, mid, 1), CR_ERR_ARG);
	mid[0] ^= 1;
	CHECK_OK(cr_sha256_resume(&c, mid, 128));
	cr_sha256_update(&c, msg + 128, sizeof msg - 128);
	cr_sha256_final(&c, got);
	CHECK(memcmp(got, one, 32) != 0);
	mid[0] ^= 1;
	CHECK_OK(cr_sha256_resume(&c, mid, 192));
	cr_sha256_update(&c, msg + 192, sizeof msg - 192);
	cr_sha256_final(&c, got);
	CHECK(memcmp(got, one, 32) != 0);
	/* Saved before any byte: the initial value, whose resume is init. */
	cr_sha256_init(&c);
	CHECK(cr_sha256_save(&c, mid) == 0);
	CHECK_OK(cr_sha256_resume(&c, mid, 0));
	cr_sha256_update(&c, msg, sizeof msg);
	cr_sha256_final(&c, got);
	CHECK_MEM(got, one, 32);
}

TEST(hmac_key_matters)
{
	uint8_t k1[20], k2[20], long_key[131], t1[32], t2[32], t3[32];
	memset(k1, 0x0b, sizeof k1);
	memcpy(k2, k1, sizeof k2);
	k2[19] ^= 1;
	cr_hmac_sha256(t1, k1, sizeof k1, (const uint8_t *)"Hi There", 8);
	cr_hmac_sha256(t2, k2, sizeof k2, (const uint8_t *)"Hi There", 8);
	CHECK(memcmp(t1, t2, 32) != 0);
	cr_hmac_sha256(t2, k1, sizeof k1, (const uint8_t *)"Hi There", 7);
	CHECK(memcmp(t1, t2, 32) != 0);
	/* A key longer than the block is hashed first (RFC 2104 section 2). */
	memset(long_key, 0xaa, sizeof long_key);
	uint8_t hashed[32];
	cr_sha256(hashed, long_key, sizeof long_key);
	cr_hmac_sha256(t3, long_key, sizeof long_key, (const uint8_t *)"m", 1);
	cr_hmac_sha256(t2, hashed, sizeof hashed, (const uint8_t *)"m", 1);
	CHECK_MEM(t3, t2, 32);
}

TEST(hkdf_expand_limit)
{
	static uint8_t out[255 * 32 + 1];
	uint8_t prk[32];
	cr_hkdf_extract(prk, NULL, 0, (const uint8_t *)"ikm", 3);
	CHECK_OK(cr_hkdf_expand(out, 255 * 32, prk, sizeof prk, (const uint8_t *)"i", 1));
	CHECK_ERR(cr_hkdf_expand(out, 255 * 32 + 1, prk, sizeof prk, (const uint8_t *)"i", 1), CR_ERR_LIMIT);
	CHECK_ERR(cr_hkdf_expand(out, SIZE_MAX, prk, sizeof prk, NULL, 0), CR_ERR_LIMIT);
	/* A shorter output is a prefix of a longer one (RFC 5869 2.3). */
	uint8_t a[42], b[10];
	CHECK_OK(cr_hkdf_expand(a, sizeof a, prk, sizeof prk, (const uint8_t *)"i", 1));
	CHECK_OK(cr_hkdf_expand(b, sizeof b, prk, sizeof prk, (const uint8_t *)"i", 1));
	CHECK_MEM(b, a, sizeof b);
	CHECK_MEM(a, out, sizeof a);
	/* The info is bound: another info, another output. */
	CHECK_OK(cr_hkdf_expand(b, sizeof b, prk, sizeof prk, (const uint8_t *)"j", 1));
	CHECK(memcmp(a, b, sizeof b) != 0);
	/* An empty salt is the same as 32 zero bytes (RFC 5869 2.2). */
	uint8_t zeros[32] = { 0 }, prk2[32];
	cr_hkdf_extract(prk2, zeros, sizeof zeros, (const uint8_t *)"ikm", 3);
	CHECK_MEM(prk2, prk, 32);
}

/* ---- AES-128-GCM ---- */

TEST(aes_gcm_negative)
{
	uint8_t key[16], key2[16], nonce[12], nonce2[12], pt[40], ct[56], out[56];
	const uint8_t aad[] = "header", aad2[] = "heades";
	for (int i = 0; i < 16; i++)
		key[i] = key2[i] = (uint8_t)i;
	key2[15] ^= 1;
	memset(nonce, 7, sizeof nonce);
	memcpy(nonce2, nonce, sizeof nonce2);
	nonce2[0] ^= 1;
	for (size_t i = 0; i < sizeof pt; i++)
		pt[i] = (uint8_t)(0x30 + i);
	CHECK_OK(cr_aes128gcm_seal(ct, key, nonce, aad, 6, pt, sizeof pt));
	CHECK_OK(cr_aes128gcm_open(out, key, nonce, aad, 6, ct, sizeof ct));
	CHECK_MEM(out, pt, sizeof pt);
	/* Wrong key: refused, the output zeroed. */
	memset(out, 0xee, sizeof out);
	CHECK_ERR(cr_aes128gcm_open(out, key2, nonce, aad, 6, ct, sizeof ct), CR_ERR_AUTH);
	CHECK(all_zero(out, sizeof pt));
	CHECK_ERR(cr_aes128gcm_open(out, key, nonce2, aad, 6, ct, sizeof ct), CR_ERR_AUTH);
	CHECK_ERR(cr_aes128gcm_open(out, key, nonce, aad2, 6, ct, sizeof ct), CR_ERR_AUTH);
	CHECK_ERR(cr_aes128gcm_open(out, key, nonce, aad, 5, ct, sizeof ct), CR_ERR_AUTH);
	CHECK_ERR(cr_aes128gcm_open(out, key, nonce, NULL, 0, ct, sizeof ct), CR_ERR_AUTH);
	/* Truncated: a tag cut short, or less than a tag at all. */
	CHECK_ERR(cr_aes128gcm_open(out, key, nonce, aad, 6, ct, sizeof ct - 1), CR_ERR_AUTH);
	CHECK_ERR(cr_aes128gcm_open(out, key, nonce, aad, 6, ct + sizeof pt, 15), CR_ERR_AUTH);
	CHECK_ERR(cr_aes128gcm_open(out, key, nonce, aad, 6, ct, 0), CR_ERR_AUTH);
	/* Tampered in place: refused, and the buffer holds no plaintext. */
	uint8_t buf[56];
	memcpy(buf, ct, sizeof buf);
	buf[3] ^= 0x40;
	CHECK_ERR(cr_aes128gcm_open(buf, key, nonce, aad, 6, buf, sizeof buf), CR_ERR_AUTH);
	CHECK(all_zero(buf, sizeof pt));
	/* An empty message still carries a tag that binds the AAD. */
	uint8_t tag_only[16];
	CHECK_OK(cr_aes128gcm_seal(tag_only, key, nonce, aad, 6, NULL, 0));
	CHECK_OK(cr_aes128gcm_open(out, key, nonce, aad, 6, tag_only, 16));
	CHECK_ERR(cr_aes128gcm_open(out, key, nonce, aad2, 6, tag_only, 16), CR_ERR_AUTH);
	CHECK(cr_aes_gcm_impl()[0] != '\0');
}

/* ---- X25519 ---- */

TEST(x25519_small_order_rejected)
{
	/* Points of small order (RFC 7748 section 6.1; the list of
	 * curve25519 low-order points used by libsodium's blocklist). */
	static const uint8_t weak[][32] = {
		{ 0 },                                   /* u = 0 */
		{ 1 },                                   /* u = 1, order 4 */
		{ 0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f, 0xc4, 0x6a,
		  0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32, 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49, 0xb8, 0x00 }, /* order 8 */
		{ 0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f }, /* p - 1 */
	};
	cr_rng_det d;
	cr_rng rng;
	cr_rng_det_init(&d, &rng, SEED_A);
	uint8_t priv[32], pub[32], shared[32];
	CHECK_OK(cr_x25519_keygen(priv, pub, &rng));
	for (size_t i = 0; i < sizeof weak / sizeof weak[0]; i++) {
		memset(shared, 0xcc, sizeof shared);
		CHECK_ERR(cr_x25519(shared, priv, weak[i]), CR_ERR_INVALID);
		CHECK(all_zero(shared, sizeof shared));
	}
}

TEST(x25519_agreement)
{
	cr_rng_det d;
	cr_rng rng;
	cr_rng_det_init(&d, &rng, SEED_B);
	uint8_t a[32], A[32], b[32], B[32], s1[32], s2[32], s3[32];
	CHECK_OK(cr_x25519_keygen(a, A, &rng));
	CHECK_OK(cr_x25519_keygen(b, B, &rng));
	CHECK(memcmp(A, B, 32) != 0);
	CHECK_OK(cr_x25519(s1, a, B));
	CHECK_OK(cr_x25519(s2, b, A));
	CHECK_MEM(s1, s2, 32);
	B[5] ^= 1; /* another peer key, another secret */
	CHECK_OK(cr_x25519(s3, a, B));
	CHECK(memcmp(s1, s3, 32) != 0);
	/* Keygen is reproducible under the same seed. */
	cr_rng_det_init(&d, &rng, SEED_B);
	CHECK_OK(cr_x25519_keygen(b, B, &rng));
	CHECK_MEM(b, a, 32);
}

/* ---- Ed25519 ---- */

/* The group order L (RFC 8032 section 5.1), little-endian. */
static const uint8_t ED_L[32] = {
	0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
};

TEST(ed25519_noncanonical_s_rejected)
{
	cr_rng_det d;
	cr_rng rng;
	cr_rng_det_init(&d, &rng, SEED_A);
	uint8_t seed[32], pub[32], sig[64], mal[64];
	const uint8_t msg[] = "non-canonical";
	CHECK_OK(cr_ed25519_keygen(seed, pub, &rng));
	CHECK_OK(cr_ed25519_sign(sig, seed, msg, sizeof msg));
	CHECK_OK(cr_ed25519_verify(sig, pub, msg, sizeof msg));
	/* S + L verifies the same equation; RFC 8032 section 5.1.7 requires
	 * rejecting S >= L (signature malleability). */
	memcpy(mal, sig, 64);
	unsigned carry = 0;
	for (int i = 0; i < 32; i++) {
		unsigned v = mal[32 + i] + ED_L[i] + carry;
		mal[32 + i] = (uint8_t)v;
		carry = v >> 8;
	}
	CHECK(carry == 0);
	CHECK_ERR(cr_ed25519_verify(mal, pub, msg, sizeof msg), CR_ERR_AUTH);
	/* S = L exactly, and S with the top bits set. */
	memcpy(mal + 32, ED_L, 32);
	CHECK_ERR(cr_ed25519_verify(mal, pub, msg, sizeof msg), CR_ERR_AUTH);
	memcpy(mal, sig, 64);
	mal[63] |= 0xe0;
	CHECK_ERR(cr_ed25519_verify(mal, pub, msg, sizeof msg), CR_ERR_AUTH);
}

TEST(ed25519_negative)
{
	cr_rng_det d;
	cr_rng rng;
	cr_rng_det_init(&d, &rng, SEED_B);
	uint8_t seed[32], pub[32], seed2[32], pub2[32], sig[64], zero_sig[64] = { 0 };
	const uint8_t msg[] = "hello";
	CHECK_OK(cr_ed25519_keygen(seed, pub, &rng));
	CHECK_OK(cr_ed25519_keygen(seed2, pub2, &rng));
	CHECK_OK(cr_ed25519_sign(sig, seed, msg, 5));
	CHECK_OK(cr_ed25519_verify(sig, pub, msg, 5));
	CHECK_ERR(cr_ed25519_verify(sig, pub2, msg, 5), CR_ERR_AUTH);          /* wrong key */
	CHECK_ERR(cr_ed25519_verify(sig, pub, msg, 4), CR_ERR_AUTH);           /* truncated message */
	CHECK_ERR(cr_ed25519_verify(zero_sig, pub, msg, 5), CR_ERR_AUTH);
	/* Small-order public keys (the identity, encoded as 1) are refused. */
	uint8_t identity[32] = { 1 };
	CHECK_ERR(cr_ed25519_verify(sig, identity, msg, 5), CR_ERR_AUTH);
	/* Signatures are deterministic (RFC 8032 5.1.6). */
	uint8_t sig2[64];
	CHECK_OK(cr_ed25519_sign(sig2, seed, msg, 5));
	CHECK_MEM(sig2, sig, 64);
}

/* ---- Argon2id ---- */

TEST(argon2_param_limits)
{
	uint8_t out[1025], salt[16] = { 9 };
	const uint8_t *pw = (const uint8_t *)"pw";
	cr_argon2_params ok = { 1, 8 };
	CHECK_OK(cr_argon2id(out, 16, pw, 2, salt, ok));
	CHECK_ERR(cr_argon2id(out, 15, pw, 2, salt, ok), CR_ERR_ARG);
	CHECK_ERR(cr_argon2id(out, 1025, pw, 2, salt, ok), CR_ERR_ARG);
	CHECK_ERR(cr_argon2id(out, 32, pw, 2, salt, (cr_argon2_params){ 0, 8 }), CR_ERR_LIMIT);
	CHECK_ERR(cr_argon2id(out, 32, pw, 2, salt, (cr_argon2_params){ 17, 8 }), CR_ERR_LIMIT);
	CHECK_ERR(cr_argon2id(out, 32, pw, 2, salt, (cr_argon2_params){ 1, 7 }), CR_ERR_LIMIT);
	CHECK_ERR(cr_argon2id(out, 32, pw, 2, salt, (cr_argon2_params){ 1, 1024 * 1024 + 1 }), CR_ERR_LIMIT);
	CHECK_ERR(cr_argon2id(out, 32, pw, 2, salt, (cr_argon2_params){ UINT32_MAX, UINT32_MAX }), CR_ERR_LIMIT);
	/* The defaults are within the limits. */
	CHECK(CR_ARGON2_INTERACTIVE.ops >= 1 && CR_ARGON2_INTERACTIVE.mem_kib >= 8);
	CHECK(CR_ARGON2_SENSITIVE.ops <= 16 && CR_ARGON2_SENSITIVE.mem_kib <= 1024 * 1024);
	/* An empty password is allowed and differs from another. */
	uint8_t a[16], b[16];
	CHECK_OK(cr_argon2id(a, 16, NULL, 0, salt, ok));
	CHECK_OK(cr_argon2id(b, 16, pw, 1, salt, ok));
	CHECK(memcmp(a, b, 16) != 0);
}

/* ---- P-256 ---- */

static const uint8_t P256_N[32] = {
	0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
};

TEST(p256_scalar_range)
{
	uint8_t k[32], pub[65], sig[64];
	size_t len = 0;
	uint8_t der[CR_P256_SIG_MAX];
	memset(k, 0, sizeof k);
	CHECK_ERR(cr_p256_public(pub, k), CR_ERR_INVALID);       /* 0 */
	CHECK_ERR(cr_p256_sign_raw(sig, k, (const uint8_t *)"m", 1), CR_ERR_INVALID);
	CHECK_ERR(cr_p256_sign_der(der, &len, k, (const uint8_t *)"m", 1), CR_ERR_INVALID);
	CHECK(len == 0);
	memcpy(k, P256_N, 32);
	CHECK_ERR(cr_p256_public(pub, k), CR_ERR_INVALID);       /* n */
	memset(k, 0xff, 32);
	CHECK_ERR(cr_p256_public(pub, k), CR_ERR_INVALID);       /* 2^256 - 1 */
	memcpy(k, P256_N, 32);
	k[31] -= 1;
	CHECK_OK(cr_p256_public(pub, k));                        /* n - 1: -G */
	memset(k, 0, 32);
	k[31] = 1;
	CHECK_OK(cr_p256_public(pub, k));                        /* 1: G */
	CHECK(pub[0] == 0x04);
	/* A source that only ever gives out-of-range scalars fails keygen. */
	cr_rng ff = { ff_fill, NULL };
	CHECK_ERR(cr_p256_keygen(k, pub, &ff), CR_ERR_RANDOM);
	CHECK(all_zero(k, 32));
}

TEST(p256_sign_verify)
{
	cr_rng_det d;
	cr_rng rng;
	cr_rng_det_init(&d, &rng, SEED_A);
	uint8_t k[32], pub[65], k2[32], pub2[65], sig[64], sig2[64];
	const uint8_t msg[] = "certificate";
	CHECK_OK(cr_p256_keygen(k, pub, &rng));
	CHECK_OK(cr_p256_keygen(k2, pub2, &rng));
	CHECK(memcmp(k, k2, 32) != 0);
	CHECK_OK(cr_p256_sign_raw(sig, k, msg, sizeof msg));
	CHECK_OK(cr_p256_verify_raw(sig, pub, msg, sizeof msg));
	CHECK_ERR(cr_p256_verify_raw(sig, pub2, msg, sizeof msg), CR_ERR_AUTH);
	CHECK_ERR(cr_p256_verify_raw(sig, pub, msg, sizeof msg - 1), CR_ERR_AUTH);
	CHECK_OK(cr_p256_sign_raw(sig2, k, msg, sizeof msg));
	CHECK_MEM(sig2, sig, 64); /* deterministic (RFC 6979) */
	/* Compressed or hybrid prefixes are refused. */
	uint8_t bad[65];
	memcpy(bad, pub, 65);
	bad[0] = 0x06;
	CHECK_ERR(cr_p256_verify_raw(sig, bad, msg, sizeof msg), CR_ERR_AUTH);
	bad[0] = 0x00;
	CHECK_ERR(cr_p256_verify_raw(sig, bad, msg, sizeof msg), CR_ERR_AUTH);
	/* r = 0 or s = 0 never verifies (SEC 1 4.1.4 step 1). */
	uint8_t zs[64];
	memcpy(zs, sig, 64);
	memset(zs + 32, 0, 32);
	CHECK_ERR(cr_p256_verify_raw(zs, pub, msg, sizeof msg), CR_ERR_AUTH);
	memcpy(zs, sig, 64);
	memset(zs, 0, 32);
	CHECK_ERR(cr_p256_verify_raw(zs, pub, msg, sizeof msg), CR_ERR_AUTH);
	/* r or s = n is out of range. */
	memcpy(zs, sig, 64);
	memcpy(zs + 32, P256_N, 32);
	CHECK_ERR(cr_p256_verify_raw(zs, pub, msg, sizeof msg), CR_ERR_AUTH);
	/* Keygen is reproducible under the same seed. */
	cr_rng_det_init(&d, &rng, SEED_A);
	CHECK_OK(cr_p256_keygen(k2, pub2, &rng));
	CHECK_MEM(k2, k, 32);
	CHECK_MEM(pub2, pub, 65);
}

/* ---- the built-in self-test ---- */

TEST(selftest_passes)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!CHECK(f != NULL))
		return;
	cr_err e = cr_selftest(f);
	fclose(f);
	CHECK_OK(e);
	CHECK(text && strstr(text, "FAIL") == NULL);
	size_t ok_lines = 0;
	for (const char *p = text; p && (p = strstr(p, "ok   ")); p++)
		ok_lines++;
	/* One line per primitive: SHA-256, HMAC, HKDF, AES-GCM, X25519,
	 * Ed25519, P-256, Argon2id, the deterministic RNG. */
	CHECK(ok_lines == 9);
	if (text)
		printf("%s", text);
	free(text);
}

static const t_case cases[] = {
	T(rng_det_reproducible), T(rng_failure_zeroes_output), T(rng_system_differs), T(ct_equal),
	T(sha256_streaming_matches_one_shot), T(sha256_save_resume_matches_one_shot), T(hmac_key_matters), T(hkdf_expand_limit), T(aes_gcm_negative),
	T(x25519_small_order_rejected), T(x25519_agreement), T(ed25519_noncanonical_s_rejected),
	T(ed25519_negative), T(argon2_param_limits), T(p256_scalar_range), T(p256_sign_verify),
	T(selftest_passes), { 0 },
};

int main(int argc, char **argv)
{
	return t_main(argc, argv, cases);
}
