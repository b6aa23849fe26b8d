/*
 * suite.h: the labeled functions of MLS cipher suite 0x0001,
 * MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519 (RFC 9420 5.1, 5.2, 5.3),
 * the only suite echover implements.
 *
 * Sizes: Nh = 32 (SHA-256, also the KDF's Nh), Nk = 16, Nn = 12, HPKE keys
 * and kem_output 32 bytes, Ed25519 seeds and public keys 32, signatures 64.
 *
 * Labels are given without the "MLS 1.0 " prefix; these functions add it, as
 * RFC 9420 5.1.3, 5.1.2 and 5.2 require. A label is a NUL-terminated string
 * of at most MLS_LABEL_MAX bytes. Inputs a peer controls (contexts, contents)
 * are bounded by MLS_LABELED_INPUT_MAX; above it the call fails with
 * CR_ERR_LIMIT. Small labeled structures are built on the stack (the secret
 * tree calls ExpandWithLabel for every message, so the common case does not
 * allocate); larger ones in a wiped dynamic writer.
 *
 * Secret outputs are zeroed when a call fails.
 */
#ifndef ECHOVER_MLS_SUITE_H
#define ECHOVER_MLS_SUITE_H

#include <stddef.h>
#include <stdint.h>

#include "cr_err.h"
#include "rng.h"

#define MLS_SUITE_ID 0x0001
#define MLS_NH 32
#define MLS_NK 16
#define MLS_NN 12
#define MLS_NT 16
#define MLS_HPKE_KEY_LEN 32
#define MLS_KEM_OUTPUT_LEN 32
#define MLS_SIG_SEED_LEN 32
#define MLS_SIG_PUB_LEN 32
#define MLS_SIG_LEN 64

#define MLS_LABEL_MAX 255
#define MLS_LABELED_INPUT_MAX (1u << 24)

/* Hash(data): SHA-256. */
void mls_hash(uint8_t out[MLS_NH], const uint8_t *p, size_t n);
/* MAC(key, data): HMAC-SHA256 (RFC 9420 5.1). */
void mls_mac(uint8_t out[MLS_NH], const uint8_t *key, size_t key_len, const uint8_t *p, size_t n);

/* RefHash(label, value) = Hash(RefHashInput{opaque label<V>; opaque value<V>})
 * (RFC 9420 5.2). The label here is used as given (the RFC's labels already
 * carry "MLS 1.0 ...": see the two wrappers below). */
cr_err mls_ref_hash(uint8_t out[MLS_NH], const char *label, const uint8_t *value, size_t n) CR_MUST_CHECK;
/* KeyPackageRef = RefHash("MLS 1.0 KeyPackage Reference", KeyPackage). */
cr_err mls_make_key_package_ref(uint8_t out[MLS_NH], const uint8_t *key_package, size_t n) CR_MUST_CHECK;
/* ProposalRef = RefHash("MLS 1.0 Proposal Reference", AuthenticatedContent). */
cr_err mls_make_proposal_ref(uint8_t out[MLS_NH], const uint8_t *authenticated_content, size_t n) CR_MUST_CHECK;

/* ExpandWithLabel(secret, label, context, length) = KDF.Expand(secret,
 * KDFLabel{uint16 length; opaque label<V> = "MLS 1.0 " + label; opaque context<V>},
 * length) (RFC 9420 5.1.3). length <= 255 * 32. */
cr_err mls_expand_with_label(uint8_t *out, size_t out_len, const uint8_t *secret, size_t secret_len,
			     const char *label, const uint8_t *context, size_t context_len) CR_MUST_CHECK;
/* The same with a label of arbitrary bytes (MLS-Exporter labels), at most
 * MLS_LABEL_MAX bytes. */
cr_err mls_expand_with_label_n(uint8_t *out, size_t out_len, const uint8_t *secret, size_t secret_len,
			       const uint8_t *label, size_t label_len, const uint8_t *context,
			       size_t context_len) CR_MUST_CHECK;
/* DeriveSecret(secret, label) = ExpandWithLabel(secret, label, "", Nh). */
cr_err mls_derive_secret(uint8_t out[MLS_NH], const uint8_t *secret, size_t secret_len,
			 const char *label) CR_MUST_CHECK;
/* DeriveTreeSecret(secret, label, generation, length) =
 * ExpandWithLabel(secret, label, uint32 generation, length) (RFC 9420 9.1). */
cr_err mls_derive_tree_secret(uint8_t *out, size_t out_len, const uint8_t *secret, size_t secret_len,
			      const char *label, uint32_t generation) CR_MUST_CHECK;

/* SignWithLabel(seed, label, content) = Sign(SignContent{opaque label<V> =
 * "MLS 1.0 " + label; opaque content<V>}) (RFC 9420 5.1.2). */
cr_err mls_sign_with_label(uint8_t sig[MLS_SIG_LEN], const uint8_t seed[MLS_SIG_SEED_LEN], const char *label,
			   const uint8_t *content, size_t n) CR_MUST_CHECK;
/* CR_OK when valid, CR_ERR_AUTH when not. */
cr_err mls_verify_with_label(const uint8_t sig[MLS_SIG_LEN], const uint8_t pub[MLS_SIG_PUB_LEN],
			     const char *label, const uint8_t *content, size_t n) CR_MUST_CHECK;

/* EncryptWithLabel(pub, label, context, plaintext) = SealBase(pub,
 * EncryptContext{opaque label<V> = "MLS 1.0 " + label; opaque context<V>}, "",
 * plaintext) (RFC 9420 5.1.3). ct[pt_len + 16]. */
cr_err mls_encrypt_with_label(uint8_t kem_output[MLS_KEM_OUTPUT_LEN], uint8_t *ct,
			      const uint8_t pub[MLS_HPKE_KEY_LEN], const char *label, const uint8_t *context,
			      size_t context_len, const uint8_t *pt, size_t pt_len,
			      const cr_rng *rng) CR_MUST_CHECK;
/* pt[ct_len - 16]; CR_ERR_AUTH (pt zeroed) on any mismatch, CR_ERR_INVALID
 * on a small-order kem_output. */
cr_err mls_decrypt_with_label(uint8_t *pt, const uint8_t priv[MLS_HPKE_KEY_LEN], const char *label,
			      const uint8_t *context, size_t context_len,
			      const uint8_t kem_output[MLS_KEM_OUTPUT_LEN], const uint8_t *ct,
			      size_t ct_len) CR_MUST_CHECK;

#endif
