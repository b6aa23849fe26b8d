/*
 * test_hpke.c: HPKE base mode round trips and the failures it must report:
 * tampered ciphertext, wrong key, wrong aad, wrong info, bad enc (all-zero
 * and small-order points), truncated ciphertext, sequence-number handling.
 */
#include <stdlib.h>
#include <string.h>

#include "hpke.h"
#include "rng.h"
#include "t.h"

static void det_rng(cr_rng_det *d, cr_rng *rng, uint8_t tag)
{
	uint8_t seed[32];
	memset(seed, tag, sizeof seed);
	cr_rng_det_init(d, rng, seed);
}

static void keypair(uint8_t sk[32], uint8_t pk[32], uint8_t tag)
{
	uint8_t ikm[32];
	memset(ikm, tag, sizeof ikm);
	CHECK_OK(mls_hpke_derive_keypair(sk, pk, ikm, sizeof ikm));
}

static const uint8_t INFO[] = "info";
static const uint8_t AAD[] = "aad";
static const uint8_t MSG[] = "a message of some length, 41 bytes long";

TEST(seal_open_base_round_trip)
{
	cr_rng_det d;
	cr_rng rng;
	det_rng(&d, &rng, 1);
	uint8_t sk[32], pk[32], enc[32], ct[sizeof MSG + 16], pt[sizeof MSG];
	keypair(sk, pk, 7);
	CHECK_OK(mls_hpke_seal_base(enc, ct, pk, INFO, 4, AAD, 3, MSG, sizeof MSG, &rng));
	CHECK_OK(mls_hpke_open_base(pt, enc, sk, INFO, 4, AAD, 3, ct, sizeof ct));
	CHECK_MEM(pt, MSG, sizeof MSG);
	/* Fresh randomness gives a fresh enc and ciphertext. */
	uint8_t enc2[32], ct2[sizeof ct];
	CHECK_OK(mls_hpke_seal_base(enc2, ct2, pk, INFO, 4, AAD, 3, MSG, sizeof MSG, &rng));
	CHECK(memcmp(enc, enc2, 32) != 0);
	CHECK(memcmp(ct, ct2, sizeof ct) != 0);
}

TEST(open_base_rejects_tampering)
{
	cr_rng_det d;
	cr_rng rng;
	det_rng(&d, &rng, 2);
	uint8_t sk[32], pk[32], sk2[32], pk2[32], enc[32], ct[sizeof MSG + 16], pt[sizeof MSG];
	keypair(sk, pk, 7);
	keypair(sk2, pk2, 8);
	CHECK_OK(mls_hpke_seal_base(enc, ct, pk, INFO, 4, AAD, 3, MSG, sizeof MSG, &rng));
	/* Every byte of the ciphertext and tag. */
	for (size_t i = 0; i < sizeof ct; i++) {
		ct[i] ^= 0x80;
		memset(pt, 0xaa, sizeof pt);
		CHECK_ERR(mls_hpke_open_base(pt, enc, sk, INFO, 4, AAD, 3, ct, sizeof ct), CR_ERR_AUTH);
		ct[i] ^= 0x80;
	}
	/* Plaintext is zeroed, not released, on failure. */
	uint8_t zero[sizeof pt] = { 0 };
	CHECK_MEM(pt, zero, sizeof pt);
	CHECK_ERR(mls_hpke_open_base(pt, enc, sk2, INFO, 4, AAD, 3, ct, sizeof ct), CR_ERR_AUTH);
	CHECK_ERR(mls_hpke_open_base(pt, enc, sk, INFO, 4, (const uint8_t *)"aaD", 3, ct, sizeof ct),
		  CR_ERR_AUTH);
	CHECK_ERR(mls_hpke_open_base(pt, enc, sk, (const uint8_t *)"infO", 4, AAD, 3, ct, sizeof ct),
		  CR_ERR_AUTH);
	CHECK_ERR(mls_hpke_open_base(pt, enc, sk, INFO, 4, AAD, 2, ct, sizeof ct), CR_ERR_AUTH);
	enc[5] ^= 1;
	CHECK_ERR(mls_hpke_open_base(pt, enc, sk, INFO, 4, AAD, 3, ct, sizeof ct), CR_ERR_AUTH);
	enc[5] ^= 1;
	CHECK_ERR(mls_hpke_open_base(pt, enc, sk, INFO, 4, AAD, 3, ct, 15), CR_ERR_TRUNCATED);
	CHECK_ERR(mls_hpke_open_base(pt, enc, sk, INFO, 4, AAD, 3, ct, sizeof ct - 1), CR_ERR_AUTH);
	CHECK_OK(mls_hpke_open_base(pt, enc, sk, INFO, 4, AAD, 3, ct, sizeof ct));
	CHECK_MEM(pt, MSG, sizeof MSG);
}

TEST(small_order_enc_is_rejected)
{
	/* RFC 9180 7.1.4: an all-zero DH output must abort. The zero point and
	 * the point of order 8 below both give it. */
	static const uint8_t zero[32] = { 0 };
	static const uint8_t one[32] = { 1 };
	static const uint8_t order8[32] = { 0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3,
					    0xfa, 0xf1, 0x9f, 0xc4, 0x6a, 0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32,
					    0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49, 0xb8, 0x00 };
	uint8_t sk[32], pk[32], ss[32];
	keypair(sk, pk, 9);
	CHECK_ERR(mls_hpke_decap(ss, zero, sk), CR_ERR_INVALID);
	CHECK_ERR(mls_hpke_decap(ss, one, sk), CR_ERR_INVALID);
	CHECK_ERR(mls_hpke_decap(ss, order8, sk), CR_ERR_INVALID);
	uint8_t enc[32], ikm[32] = { 3 };
	CHECK_ERR(mls_hpke_encap_det(ss, enc, zero, ikm, sizeof ikm), CR_ERR_INVALID);
	CHECK_ERR(mls_hpke_encap_det(ss, enc, order8, ikm, sizeof ikm), CR_ERR_INVALID);
	uint8_t zeros[32] = { 0 };
	CHECK_MEM(ss, zeros, 32);
}

TEST(context_sequence_and_export)
{
	cr_rng_det d;
	cr_rng rng;
	det_rng(&d, &rng, 3);
	uint8_t sk[32], pk[32], enc[32];
	keypair(sk, pk, 4);
	mls_hpke_ctx s, r;
	CHECK_OK(mls_hpke_setup_base_s(&s, enc, pk, INFO, 4, &rng));
	CHECK_OK(mls_hpke_setup_base_r(&r, enc, sk, INFO, 4));
	uint8_t c0[sizeof MSG + 16], c1[sizeof MSG + 16], pt[sizeof MSG];
	CHECK_OK(mls_hpke_seal(&s, c0, AAD, 3, MSG, sizeof MSG));
	CHECK_OK(mls_hpke_seal(&s, c1, AAD, 3, MSG, sizeof MSG));
	CHECK(memcmp(c0, c1, sizeof c0) != 0); /* distinct nonces */
	/* Out of order: c1 cannot be opened at seq 0, and the failure leaves seq. */
	CHECK_ERR(mls_hpke_open(&r, pt, AAD, 3, c1, sizeof c1), CR_ERR_AUTH);
	CHECK(r.seq == 0);
	CHECK_OK(mls_hpke_open(&r, pt, AAD, 3, c0, sizeof c0));
	CHECK_OK(mls_hpke_open(&r, pt, AAD, 3, c1, sizeof c1));
	CHECK_MEM(pt, MSG, sizeof MSG);
	r.seq = UINT64_MAX;
	CHECK_ERR(mls_hpke_open(&r, pt, AAD, 3, c1, sizeof c1), CR_ERR_STATE);
	s.seq = UINT64_MAX;
	CHECK_ERR(mls_hpke_seal(&s, c1, AAD, 3, MSG, sizeof MSG), CR_ERR_STATE);
	uint8_t e1[64], e2[64];
	CHECK_OK(mls_hpke_export(&s, e1, sizeof e1, (const uint8_t *)"x", 1));
	CHECK_OK(mls_hpke_export(&r, e2, sizeof e2, (const uint8_t *)"x", 1));
	CHECK_MEM(e1, e2, sizeof e1);
	CHECK_OK(mls_hpke_export(&r, e2, sizeof e2, (const uint8_t *)"y", 1));
	CHECK(memcmp(e1, e2, sizeof e1) != 0);
	uint8_t *big = malloc(255 * 32 + 1);
	CHECK_ERR(mls_hpke_export(&r, big, 255 * 32 + 1, NULL, 0), CR_ERR_LIMIT);
	free(big);
	mls_hpke_ctx_wipe(&s);
	mls_hpke_ctx_wipe(&r);
}

TEST(failing_rng_fails_encap)
{
	cr_rng bad = { NULL, NULL };
	uint8_t sk[32], pk[32], enc[32], ss[32];
	keypair(sk, pk, 5);
	CHECK(mls_hpke_encap(ss, enc, pk, &bad) != CR_OK);
}

static const t_case cases[] = {
	T(seal_open_base_round_trip), T(open_base_rejects_tampering), T(small_order_enc_is_rejected),
	T(context_sequence_and_export), T(failing_rng_fails_encap), { 0 },
};

int main(int argc, char **argv)
{
	return t_main(argc, argv, cases);
}
