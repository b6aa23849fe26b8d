/*
 * test_suite.c: the labeled functions of cipher suite 1 beyond the RFC
 * vectors: label domain separation, limits, large (heap) labeled inputs,
 * sign/verify and encrypt/decrypt failures.
 */
#include <stdlib.h>
#include <string.h>

#include "ed25519.h"
#include "hpke.h"
#include "rng.h"
#include "suite.h"
#include "t.h"

static const uint8_t SECRET[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };

TEST(labels_separate_domains)
{
	uint8_t a[32], b[32], c[32];
	CHECK_OK(mls_derive_secret(a, SECRET, 32, "epoch"));
	CHECK_OK(mls_derive_secret(b, SECRET, 32, "epocH"));
	CHECK(memcmp(a, b, 32) != 0);
	CHECK_OK(mls_derive_tree_secret(b, 32, SECRET, 32, "secret", 0));
	CHECK_OK(mls_derive_tree_secret(c, 32, SECRET, 32, "secret", 1));
	CHECK(memcmp(b, c, 32) != 0);
	/* DeriveSecret is ExpandWithLabel with an empty context. */
	CHECK_OK(mls_expand_with_label(b, 32, SECRET, 32, "epoch", NULL, 0));
	CHECK_MEM(a, b, 32);
	/* The length is part of the KDFLabel: a 16-byte output is no prefix. */
	CHECK_OK(mls_expand_with_label(c, 16, SECRET, 32, "epoch", NULL, 0));
	CHECK(memcmp(c, a, 16) != 0);
	uint8_t r1[32], r2[32];
	CHECK_OK(mls_make_key_package_ref(r1, SECRET, 32));
	CHECK_OK(mls_make_proposal_ref(r2, SECRET, 32));
	CHECK(memcmp(r1, r2, 32) != 0);
}

TEST(limits_are_enforced)
{
	char label[MLS_LABEL_MAX + 2];
	memset(label, 'a', sizeof label - 1);
	label[sizeof label - 1] = 0;
	uint8_t out[32];
	memset(out, 0x55, sizeof out);
	CHECK_ERR(mls_derive_secret(out, SECRET, 32, label), CR_ERR_LIMIT);
	uint8_t zero[32] = { 0 };
	CHECK_MEM(out, zero, 32);
	label[MLS_LABEL_MAX] = 0;
	CHECK_OK(mls_derive_secret(out, SECRET, 32, label));
	uint8_t *big = malloc(255 * 32 + 1);
	CHECK_ERR(mls_expand_with_label(big, 255 * 32 + 1, SECRET, 32, "x", NULL, 0), CR_ERR_LIMIT);
	CHECK_OK(mls_expand_with_label(big, 255 * 32, SECRET, 32, "x", NULL, 0));
	free(big);
	CHECK_ERR(mls_derive_secret(out, SECRET, 32, NULL), CR_ERR_ARG);
}

TEST(large_context_goes_to_heap)
{
	/* Contexts above the stack buffer (a GroupContext with extensions). */
	size_t n = 5000;
	uint8_t *ctx = malloc(n), a[32], b[32];
	memset(ctx, 0x11, n);
	CHECK_OK(mls_expand_with_label(a, 32, SECRET, 32, "big", ctx, n));
	ctx[n - 1] ^= 1;
	CHECK_OK(mls_expand_with_label(b, 32, SECRET, 32, "big", ctx, n));
	CHECK(memcmp(a, b, 32) != 0);
	uint8_t seed[32] = { 4 }, pub[32], sig[64];
	CHECK_OK(cr_ed25519_public(pub, seed));
	CHECK_OK(mls_sign_with_label(sig, seed, "big", ctx, n));
	CHECK_OK(mls_verify_with_label(sig, pub, "big", ctx, n));
	ctx[0] ^= 1;
	CHECK_ERR(mls_verify_with_label(sig, pub, "big", ctx, n), CR_ERR_AUTH);
	free(ctx);
}

TEST(encrypt_with_label_round_trip_and_failures)
{
	cr_rng_det d;
	cr_rng rng;
	uint8_t seed[32] = { 7 }, ikm[32] = { 8 }, sk[32], pk[32], sk2[32], pk2[32];
	cr_rng_det_init(&d, &rng, seed);
	CHECK_OK(mls_hpke_derive_keypair(sk, pk, ikm, 32));
	ikm[0] ^= 1;
	CHECK_OK(mls_hpke_derive_keypair(sk2, pk2, ikm, 32));
	static const uint8_t msg[] = "path secret";
	uint8_t kem[32], ct[sizeof msg + 16], pt[sizeof msg];
	CHECK_OK(mls_encrypt_with_label(kem, ct, pk, "UpdatePathNode", SECRET, 32, msg, sizeof msg, &rng));
	CHECK_OK(mls_decrypt_with_label(pt, sk, "UpdatePathNode", SECRET, 32, kem, ct, sizeof ct));
	CHECK_MEM(pt, msg, sizeof msg);
	CHECK_ERR(mls_decrypt_with_label(pt, sk2, "UpdatePathNode", SECRET, 32, kem, ct, sizeof ct), CR_ERR_AUTH);
	CHECK_ERR(mls_decrypt_with_label(pt, sk, "Welcome", SECRET, 32, kem, ct, sizeof ct), CR_ERR_AUTH);
	CHECK_ERR(mls_decrypt_with_label(pt, sk, "UpdatePathNode", SECRET, 31, kem, ct, sizeof ct), CR_ERR_AUTH);
	kem[0] ^= 1;
	CHECK_ERR(mls_decrypt_with_label(pt, sk, "UpdatePathNode", SECRET, 32, kem, ct, sizeof ct), CR_ERR_AUTH);
	memset(kem, 0, 32);
	CHECK_ERR(mls_decrypt_with_label(pt, sk, "UpdatePathNode", SECRET, 32, kem, ct, sizeof ct), CR_ERR_INVALID);
	CHECK_ERR(mls_decrypt_with_label(pt, sk, "UpdatePathNode", SECRET, 32, kem, ct, 3), CR_ERR_INVALID);
}

static const t_case cases[] = {
	T(labels_separate_domains), T(limits_are_enforced), T(large_context_goes_to_heap),
	T(encrypt_with_label_round_trip_and_failures), { 0 },
};

int main(int argc, char **argv)
{
	return t_main(argc, argv, cases);
}
