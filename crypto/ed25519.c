#include "ed25519.h"

#include <sodium.h>

#include "wipe.h"

cr_err cr_ed25519_public(uint8_t pub[CR_ED25519_PUB_LEN], const uint8_t seed[CR_ED25519_SEED_LEN])
{
	uint8_t sk[crypto_sign_SECRETKEYBYTES];
	int rc = crypto_sign_seed_keypair(pub, sk, seed);
	cr_wipe(sk, sizeof sk);
	return rc == 0 ? CR_OK : CR_ERR_INVALID;
}

cr_err cr_ed25519_keygen(uint8_t seed[CR_ED25519_SEED_LEN], uint8_t pub[CR_ED25519_PUB_LEN],
			 const cr_rng *rng)
{
	CR_TRY(cr_random(rng, seed, CR_ED25519_SEED_LEN));
	return cr_ed25519_public(pub, seed);
}

cr_err cr_ed25519_sign(uint8_t sig[CR_ED25519_SIG_LEN], const uint8_t seed[CR_ED25519_SEED_LEN],
		       const uint8_t *msg, size_t n)
{
	uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	int rc = crypto_sign_seed_keypair(pk, sk, seed);
	if (rc == 0)
		rc = crypto_sign_detached(sig, NULL, msg, n, sk);
	cr_wipe(sk, sizeof sk);
	if (rc != 0) {
		cr_wipe(sig, CR_ED25519_SIG_LEN);
		return CR_ERR_INVALID;
	}
	return CR_OK;
}

cr_err cr_ed25519_verify(const uint8_t sig[CR_ED25519_SIG_LEN], const uint8_t pub[CR_ED25519_PUB_LEN],
			 const uint8_t *msg, size_t n)
{
	return crypto_sign_verify_detached(sig, msg, n, pub) == 0 ? CR_OK : CR_ERR_AUTH;
}
