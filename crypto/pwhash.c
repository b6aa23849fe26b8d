#include "pwhash.h"

#include <sodium.h>

const cr_argon2_params CR_ARGON2_INTERACTIVE = { 2, 64 * 1024 };
const cr_argon2_params CR_ARGON2_SENSITIVE = { 3, 256 * 1024 };

/* Bounds on stored parameters: a record asking for more is refused, not run. */
#define ARGON2_MAX_OPS 16
#define ARGON2_MAX_MEM_KIB (1024 * 1024)

cr_err cr_argon2id(uint8_t *out, size_t out_len, const uint8_t *pw, size_t pw_len,
		   const uint8_t salt[CR_ARGON2_SALT_LEN], cr_argon2_params p)
{
	if (out_len < 16 || out_len > 1024)
		return CR_ERR_ARG;
	if (p.ops < 1 || p.ops > ARGON2_MAX_OPS || p.mem_kib < 8 || p.mem_kib > ARGON2_MAX_MEM_KIB)
		return CR_ERR_LIMIT;
	if (!pw && pw_len)
		return CR_ERR_ARG;
	/* libsodium declares the password non-null even when it is empty. */
	const char *pass = pw ? (const char *)pw : "";
	if (crypto_pwhash(out, out_len, pass, pw_len, salt, p.ops,
			  (size_t)p.mem_kib * 1024, crypto_pwhash_ALG_ARGON2ID13) != 0)
		return CR_ERR_NOMEM;
	return CR_OK;
}
