/*
 * kp_identity.c: the identity and signature key of a KeyPackage
 * (kp_identity.h).
 */
#include "kp_identity.h"

#include <string.h>

#include "msg_keypackage.h"

cr_err mls_keypackage_identity(const uint8_t *kp, size_t kp_len, uint8_t *identity, size_t cap, size_t *len,
			       uint8_t sig_key[MLS_KEY_LEN])
{
	*len = 0;
	if (sig_key)
		memset(sig_key, 0, MLS_KEY_LEN);
	mls_key_package k;
	CR_TRY(mls_key_package_decode(kp, kp_len, &k));
	mls_leaf_node leaf;
	CR_TRY(mls_leaf_parse(k.leaf_node.p, k.leaf_node.n, &leaf));
	cr_err err = CR_OK;
	if (leaf.credential_type != MLS_CRED_BASIC)
		err = CR_ERR_UNSUPPORTED;
	else if (leaf.credential.n > cap)
		err = CR_ERR_LIMIT;
	if (!err) {
		if (leaf.credential.n)
			memcpy(identity, leaf.credential.p, leaf.credential.n);
		*len = leaf.credential.n;
		if (sig_key)
			memcpy(sig_key, leaf.signature_key, MLS_KEY_LEN);
	}
	mls_leaf_free(&leaf);
	return err;
}
