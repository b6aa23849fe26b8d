#include "x25519.h"

#include <sodium.h>

#include "wipe.h"

cr_err cr_x25519(uint8_t shared[CR_X25519_LEN], const uint8_t priv[CR_X25519_LEN],
		 const uint8_t peer_pub[CR_X25519_LEN])
{
	/* libsodium returns -1 when the result is all zeros (small-order point). */
	if (crypto_scalarmult_curve25519(shared, priv, peer_pub) != 0) {
		cr_wipe(shared, CR_X25519_LEN);
		return CR_ERR_INVALID;
	}
	return CR_OK;
}

cr_err cr_x25519_public(uint8_t pub[CR_X25519_LEN], const uint8_t priv[CR_X25519_LEN])
{
	return crypto_scalarmult_curve25519_base(pub, priv) == 0 ? CR_OK : CR_ERR_INVALID;
}

cr_err cr_x25519_keygen(uint8_t priv[CR_X25519_LEN], uint8_t pub[CR_X25519_LEN], const cr_rng *rng)
{
	CR_TRY(cr_random(rng, priv, CR_X25519_LEN));
	return cr_x25519_public(pub, priv);
}
