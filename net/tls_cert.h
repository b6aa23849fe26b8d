/*
 * tls_cert.h: the server's P-256 TLS key and its self-signed X.509
 * certificate (DESIGN.md section 3: made on first start; clients pin the key).
 *
 * The certificate is written by hand in DER through the codec's writer, with
 * the fewest fields a TLS 1.2 client needs: v3, a random positive 127-bit
 * serial, ecdsa-with-SHA256, subject = issuer = CN "echover server",
 * notBefore = creation time, notAfter = 99991231235959Z (RFC 5280 section
 * 4.1.2.5: no well-defined expiration), an id-ecPublicKey/prime256v1 key, no
 * extensions. Trust comes from pinning the key, not from the certificate.
 * The fingerprint users compare is SHA-256 of the SubjectPublicKeyInfo DER,
 * so it names the key and survives a re-issued certificate.
 */
#ifndef ECHOVER_NT_TLS_CERT_H
#define ECHOVER_NT_TLS_CERT_H

#include <stddef.h>
#include <stdint.h>

#include "cr_err.h"
#include "rng.h"

#define NT_P256_PRIV_LEN 32
#define NT_P256_PUB_LEN 65   /* uncompressed point */
#define NT_CERT_MAX 512      /* the certificate is about 330 bytes */
#define NT_SPKI_LEN 91       /* SubjectPublicKeyInfo DER of a P-256 key */

typedef struct nt_server_key {
	uint8_t priv[NT_P256_PRIV_LEN];
	uint8_t pub[NT_P256_PUB_LEN];
} nt_server_key;

/* A fresh key pair from rng (seeds BearSSL's HMAC-DRBG). */
cr_err nt_server_key_new(nt_server_key *k, const cr_rng *rng) CR_MUST_CHECK;
/* Recomputes pub from priv (after loading a stored key); CR_ERR_INVALID if
 * priv is not a valid P-256 scalar. */
cr_err nt_server_key_load(nt_server_key *k, const uint8_t priv[NT_P256_PRIV_LEN]) CR_MUST_CHECK;
void nt_server_key_wipe(nt_server_key *k);

/* The SubjectPublicKeyInfo DER of pub. */
void nt_spki(uint8_t out[NT_SPKI_LEN], const uint8_t pub[NT_P256_PUB_LEN]);
/* SHA-256 of the SPKI: what clients pin and users compare. */
void nt_key_fingerprint(uint8_t out[32], const uint8_t pub[NT_P256_PUB_LEN]);

/* Writes the self-signed certificate into out[NT_CERT_MAX]; *len its size.
 * not_before: unix seconds (>= 0); serial from rng. */
cr_err nt_cert_self_signed(uint8_t out[NT_CERT_MAX], size_t *len, const nt_server_key *k, int64_t not_before,
			   const cr_rng *rng) CR_MUST_CHECK;

#endif
