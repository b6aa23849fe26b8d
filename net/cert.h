/*
 * cert.h: the server's self-signed X.509 v3 certificate (RFC 5280) and the
 * key pin that clients remember.
 *
 * The certificate exists only because TLS 1.2 needs one to carry the server
 * key: nobody validates it against a CA. Clients pin the key instead, like
 * SSH known_hosts: pin = SHA-256(SubjectPublicKeyInfo), the same value as
 * the SPKI hashes of RFC 7469 section 2.4.
 *
 * Certificate profile (everything fixed but the key and what derives from it):
 *   version v3, serial = 8 bytes of the pin (positive, minimal DER),
 *   issuer = subject = CN=echover server (UTF8String),
 *   validity 1970-01-01 00:00:00Z .. 9999-12-31 23:59:59Z,
 *   SPKI = id-ecPublicKey, prime256v1, uncompressed point (RFC 5480),
 *   extensions: basicConstraints (critical, cA FALSE),
 *               keyUsage (critical, digitalSignature),
 *   signature ecdsa-with-SHA256 (RFC 5758 section 3.2), deterministic
 *   (RFC 6979), so one key always gives the same certificate, byte for byte.
 * The validity is fixed and wide on purpose: a pinned key has no expiry
 * other than its replacement, a wall-clock date would make the bytes depend
 * on when the server first started, and 99991231235959Z is RFC 5280 section
 * 4.1.2.5's "no well-defined expiration date".
 *
 * Sizes: SPKI 91 bytes; the certificate about 330 bytes (the length of the
 * DER signature varies by a few bytes), never more than NT_CERT_MAX.
 */
#ifndef ECHOVER_NT_CERT_H
#define ECHOVER_NT_CERT_H

#include <stddef.h>
#include <stdint.h>

#include "cr_err.h"
#include "p256.h"

#define NT_CERT_MAX 512
#define NT_CERT_SPKI_LEN 91
#define NT_CERT_PIN_LEN 32
/* Largest certificate nt_cert_public_key() reads (a peer's may be any size). */
#define NT_CERT_PARSE_MAX 8192

/* The DER SubjectPublicKeyInfo of a P-256 public key (RFC 5480 section 2). */
void nt_cert_spki(uint8_t out[NT_CERT_SPKI_LEN], const uint8_t pub[CR_P256_PUB_LEN]);

/* pin = SHA-256(SubjectPublicKeyInfo). */
void nt_cert_pin(uint8_t pin[NT_CERT_PIN_LEN], const uint8_t pub[CR_P256_PUB_LEN]);

/* The pin as people read it: "SHA256:" and 43 characters of unpadded
 * base64, the format of OpenSSH key fingerprints. NUL-terminated. */
#define NT_CERT_PIN_STR_LEN (7 + 43 + 1)
void nt_cert_pin_str(char out[NT_CERT_PIN_STR_LEN], const uint8_t pin[NT_CERT_PIN_LEN]);
/* Parses that format back (e.g. a pin given on the command line); anything
 * else, trailing characters included, is CR_ERR_MALFORMED. */
cr_err nt_cert_pin_parse(uint8_t pin[NT_CERT_PIN_LEN], const char *s) CR_MUST_CHECK;

/* The self-signed certificate of priv's key, in DER. */
cr_err nt_cert_create(uint8_t out[NT_CERT_MAX], size_t *out_len,
		      const uint8_t priv[CR_P256_PRIV_LEN]) CR_MUST_CHECK;

/* Decodes a DER certificate (BearSSL's X.509 decoder) and returns its public
 * key, which must be a P-256 point in uncompressed form: anything else is
 * CR_ERR_UNSUPPORTED; a certificate that does not decode is
 * CR_ERR_MALFORMED; above NT_CERT_PARSE_MAX bytes, CR_ERR_LIMIT. The
 * certificate's own signature is not checked (nothing is trusted from it but
 * the key, and the key is pinned). */
cr_err nt_cert_public_key(const uint8_t *der, size_t n, uint8_t pub[CR_P256_PUB_LEN]) CR_MUST_CHECK;

#endif
