/*
 * vec_crypto_basics.c: crypto-basics.json (RFC 9420 test vectors): RefHash,
 * ExpandWithLabel, DeriveSecret, DeriveTreeSecret, SignWithLabel /
 * VerifyWithLabel, EncryptWithLabel / DecryptWithLabel. Cipher suites other
 * than 1 are skipped. Each positive check has a negative twin (tampered
 * signature, tampered ciphertext, wrong label).
 */
#include <stdlib.h>
#include <string.h>

#include "rng.h"
#include "suite.h"
#include "vec.h"

static bool detect(json_t *root)
{
	static const char *const keys[] = { "cipher_suite", "ref_hash", "expand_with_label",
					    "sign_with_label", NULL };
	return vec_mls_has_keys(root, keys);
}

static void ref_hash(json_t *o)
{
	size_t n;
	const char *label = vec_str(o, "label");
	uint8_t *value = vec_hex(o, "value", &n), out[MLS_NH];
	if (label && value && CHECK_OK(mls_ref_hash(out, label, value, n)))
		vec_check_hex(o, "out", out, sizeof out);
	free(value);
}

static void expand_with_label(json_t *o)
{
	size_t ns, nc;
	uint64_t len;
	const char *label = vec_str(o, "label");
	uint8_t *secret = vec_hex(o, "secret", &ns), *ctx = vec_hex(o, "context", &nc);
	if (label && secret && ctx && vec_u64(o, "length", &len) && CHECK(len <= 255 * 32)) {
		uint8_t *out = malloc(len + 1);
		if (CHECK_OK(mls_expand_with_label(out, len, secret, ns, label, ctx, nc)))
			vec_check_hex(o, "out", out, len);
		free(out);
	}
	free(secret), free(ctx);
}

static void derive_secret(json_t *o)
{
	size_t ns;
	const char *label = vec_str(o, "label");
	uint8_t *secret = vec_hex(o, "secret", &ns), out[MLS_NH];
	if (label && secret && CHECK_OK(mls_derive_secret(out, secret, ns, label)))
		vec_check_hex(o, "out", out, sizeof out);
	free(secret);
}

static void derive_tree_secret(json_t *o)
{
	size_t ns;
	uint64_t len, gen;
	const char *label = vec_str(o, "label");
	uint8_t *secret = vec_hex(o, "secret", &ns);
	if (label && secret && vec_u64(o, "length", &len) && vec_u64(o, "generation", &gen) &&
	    CHECK(len <= 255 * 32 && gen <= UINT32_MAX)) {
		uint8_t *out = malloc(len + 1);
		if (CHECK_OK(mls_derive_tree_secret(out, len, secret, ns, label, (uint32_t)gen)))
			vec_check_hex(o, "out", out, len);
		free(out);
	}
	free(secret);
}

static void sign_with_label(json_t *o)
{
	size_t npriv, npub, nc, nsig;
	const char *label = vec_str(o, "label");
	uint8_t *priv = vec_hex(o, "priv", &npriv), *pub = vec_hex(o, "pub", &npub);
	uint8_t *content = vec_hex(o, "content", &nc), *sig = vec_hex(o, "signature", &nsig);
	if (label && priv && pub && content && sig && CHECK(npriv == 32 && npub == 32 && nsig == 64)) {
		uint8_t mine[MLS_SIG_LEN];
		/* Ed25519 is deterministic: our signature must equal the vector's. */
		if (CHECK_OK(mls_sign_with_label(mine, priv, label, content, nc)))
			vec_check_hex(o, "signature", mine, sizeof mine);
		CHECK_OK(mls_verify_with_label(sig, pub, label, content, nc));
		CHECK_ERR(mls_verify_with_label(sig, pub, "SignWithLabeL", content, nc), CR_ERR_AUTH);
		if (nc > 0) {
			content[0] ^= 1;
			CHECK_ERR(mls_verify_with_label(sig, pub, label, content, nc), CR_ERR_AUTH);
			content[0] ^= 1;
		}
		sig[10] ^= 4;
		CHECK_ERR(mls_verify_with_label(sig, pub, label, content, nc), CR_ERR_AUTH);
	}
	free(priv), free(pub), free(content), free(sig);
}

static void encrypt_with_label(json_t *o)
{
	size_t npriv, npub, nc, npt, nkem, nct;
	const char *label = vec_str(o, "label");
	uint8_t *priv = vec_hex(o, "priv", &npriv), *pub = vec_hex(o, "pub", &npub);
	uint8_t *ctx = vec_hex(o, "context", &nc), *pt = vec_hex(o, "plaintext", &npt);
	uint8_t *kem = vec_hex(o, "kem_output", &nkem), *ct = vec_hex(o, "ciphertext", &nct);
	if (label && priv && pub && ctx && pt && kem && ct &&
	    CHECK(npriv == 32 && npub == 32 && nkem == 32 && nct >= MLS_NT)) {
		uint8_t *out = malloc(nct + npt + MLS_NT);
		if (CHECK_OK(mls_decrypt_with_label(out, priv, label, ctx, nc, kem, ct, nct)))
			vec_check_hex(o, "plaintext", out, nct - MLS_NT);
		CHECK_ERR(mls_decrypt_with_label(out, priv, "EncryptWithLabeL", ctx, nc, kem, ct, nct),
			  CR_ERR_AUTH);
		ct[0] ^= 1;
		CHECK_ERR(mls_decrypt_with_label(out, priv, label, ctx, nc, kem, ct, nct), CR_ERR_AUTH);
		ct[0] ^= 1;
		/* Our own encryption to pub opens with priv. */
		cr_rng_det d;
		cr_rng rng;
		uint8_t seed[32] = { 9 }, kem2[32], *ct2 = malloc(npt + MLS_NT);
		cr_rng_det_init(&d, &rng, seed);
		if (CHECK_OK(mls_encrypt_with_label(kem2, ct2, pub, label, ctx, nc, pt, npt, &rng)) &&
		    CHECK_OK(mls_decrypt_with_label(out, priv, label, ctx, nc, kem2, ct2, npt + MLS_NT)))
			CHECK_MEM(out, pt, npt);
		free(ct2);
		free(out);
	}
	free(priv), free(pub), free(ctx), free(pt), free(kem), free(ct);
}

static void run_case(json_t *c)
{
	ref_hash(json_object_get(c, "ref_hash"));
	expand_with_label(json_object_get(c, "expand_with_label"));
	derive_secret(json_object_get(c, "derive_secret"));
	derive_tree_secret(json_object_get(c, "derive_tree_secret"));
	sign_with_label(json_object_get(c, "sign_with_label"));
	encrypt_with_label(json_object_get(c, "encrypt_with_label"));
}

static void run(json_t *root, const char *path)
{
	(void)path;
	vec_each_suite1_case(root, "crypto-basics", run_case);
}

const vec_runner vec_crypto_basics = { "crypto-basics", detect, run };
