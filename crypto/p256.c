#include "p256.h"

#include <string.h>

#include <bearssl.h>

#include "hash.h"
#include "wipe.h"

/* The group order n of P-256 (SEC 2, section 2.4.2), big-endian. */
static const uint8_t P256_N[32] = {
	0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
};

/* Keygen draws a fresh scalar while one falls out of range; the chance of
 * that is about 2^-32 per draw, so many failures mean a broken source. */
#define P256_KEYGEN_TRIES 64

/* True when 1 <= k < n, in time independent of k (it is a private key). */
static bool scalar_in_range(const uint8_t k[32])
{
	uint32_t borrow = 0, nonzero = 0;
	for (int i = 31; i >= 0; i--) {
		uint32_t d = (uint32_t)k[i] - P256_N[i] - borrow;
		borrow = d >> 31;
		nonzero |= k[i];
	}
	/* k - n borrows exactly when k < n. */
	return (borrow & (uint32_t)((nonzero + 0xff) >> 8)) != 0;
}

static void load_priv(br_ec_private_key *sk, const uint8_t priv[CR_P256_PRIV_LEN])
{
	sk->curve = BR_EC_secp256r1;
	sk->x = (unsigned char *)(uintptr_t)priv; /* BearSSL only reads it */
	sk->xlen = CR_P256_PRIV_LEN;
}

cr_err cr_p256_public(uint8_t pub[CR_P256_PUB_LEN], const uint8_t priv[CR_P256_PRIV_LEN])
{
	if (!scalar_in_range(priv))
		return CR_ERR_INVALID;
	br_ec_private_key sk;
	br_ec_public_key pk;
	uint8_t kbuf[BR_EC_KBUF_PUB_MAX_SIZE];
	load_priv(&sk, priv);
	size_t n = br_ec_compute_pub(&br_ec_p256_m31, &pk, kbuf, &sk);
	if (n != CR_P256_PUB_LEN) {
		cr_wipe(pub, CR_P256_PUB_LEN);
		return CR_ERR_INVALID;
	}
	memcpy(pub, pk.q, CR_P256_PUB_LEN);
	return CR_OK;
}

cr_err cr_p256_keygen(uint8_t priv[CR_P256_PRIV_LEN], uint8_t pub[CR_P256_PUB_LEN], const cr_rng *rng)
{
	for (int i = 0; i < P256_KEYGEN_TRIES; i++) {
		cr_err err = cr_random(rng, priv, CR_P256_PRIV_LEN);
		if (err)
			return err;
		/* Rejection sampling keeps the scalar uniform in [1, n-1]
		 * (FIPS 186-4 B.4.2, "testing candidates"). */
		if (scalar_in_range(priv)) {
			err = cr_p256_public(pub, priv);
			if (err)
				cr_wipe(priv, CR_P256_PRIV_LEN);
			return err;
		}
	}
	cr_wipe(priv, CR_P256_PRIV_LEN);
	return CR_ERR_RANDOM;
}

cr_err cr_p256_sign_raw(uint8_t sig[CR_P256_SIG_RAW_LEN], const uint8_t priv[CR_P256_PRIV_LEN],
			const uint8_t *msg, size_t n)
{
	if (!scalar_in_range(priv))
		return CR_ERR_INVALID;
	uint8_t h[CR_SHA256_LEN];
	br_ec_private_key sk;
	load_priv(&sk, priv);
	cr_sha256(h, msg, n);
	/* BearSSL derives the nonce as RFC 6979 section 3.2 specifies
	 * (HMAC_DRBG over the key and the hash), so signatures are
	 * deterministic and match RFC 6979 appendix A.2.5. */
	size_t len = br_ecdsa_i31_sign_raw(&br_ec_p256_m31, &br_sha256_vtable, h, &sk, sig);
	cr_wipe(h, sizeof h);
	if (len != CR_P256_SIG_RAW_LEN) {
		cr_wipe(sig, CR_P256_SIG_RAW_LEN);
		return CR_ERR_INVALID;
	}
	return CR_OK;
}

cr_err cr_p256_sign_der(uint8_t sig[CR_P256_SIG_MAX], size_t *sig_len,
			const uint8_t priv[CR_P256_PRIV_LEN], const uint8_t *msg, size_t n)
{
	*sig_len = 0;
	if (!scalar_in_range(priv))
		return CR_ERR_INVALID;
	uint8_t h[CR_SHA256_LEN];
	br_ec_private_key sk;
	load_priv(&sk, priv);
	cr_sha256(h, msg, n);
	size_t len = br_ecdsa_i31_sign_asn1(&br_ec_p256_m31, &br_sha256_vtable, h, &sk, sig);
	cr_wipe(h, sizeof h);
	if (len == 0 || len > CR_P256_SIG_MAX) {
		cr_wipe(sig, CR_P256_SIG_MAX);
		return CR_ERR_INVALID;
	}
	*sig_len = len;
	return CR_OK;
}

cr_err cr_p256_verify_raw(const uint8_t sig[CR_P256_SIG_RAW_LEN], const uint8_t pub[CR_P256_PUB_LEN],
			  const uint8_t *msg, size_t n)
{
	/* Only the uncompressed form (SEC 1, 2.3.3); BearSSL checks that the
	 * point is on the curve when it decodes it. */
	if (pub[0] != 0x04)
		return CR_ERR_AUTH;
	uint8_t h[CR_SHA256_LEN];
	br_ec_public_key pk;
	pk.curve = BR_EC_secp256r1;
	pk.q = (unsigned char *)(uintptr_t)pub;
	pk.qlen = CR_P256_PUB_LEN;
	cr_sha256(h, msg, n);
	uint32_t ok = br_ecdsa_i31_vrfy_raw(&br_ec_p256_m31, h, sizeof h, &pk, sig, CR_P256_SIG_RAW_LEN);
	return ok == 1 ? CR_OK : CR_ERR_AUTH;
}
