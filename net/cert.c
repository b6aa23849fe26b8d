#include "cert.h"

#include <string.h>

#include <bearssl.h>
#include <sodium.h>

#include "codec.h"
#include "hash.h"
#include "wipe.h"

/* DER tags (X.690 section 8). */
#define DER_BOOLEAN 0x01
#define DER_INTEGER 0x02
#define DER_BIT_STRING 0x03
#define DER_OCTET_STRING 0x04
#define DER_OID 0x06
#define DER_UTF8STRING 0x0c
#define DER_UTCTIME 0x17
#define DER_GENERALIZEDTIME 0x18
#define DER_SEQUENCE 0x30
#define DER_SET 0x31
#define DER_CTX0 0xa0 /* [0] EXPLICIT, constructed */
#define DER_CTX3 0xa3 /* [3] EXPLICIT, constructed */

/* OIDs, content octets only. */
static const uint8_t OID_EC_PUBLIC_KEY[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01};     /* 1.2.840.10045.2.1 */
static const uint8_t OID_PRIME256V1[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07}; /* 1.2.840.10045.3.1.7 */
static const uint8_t OID_ECDSA_SHA256[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02}; /* 1.2.840.10045.4.3.2 */
static const uint8_t OID_CN[] = {0x55, 0x04, 0x03};                                      /* 2.5.4.3 */
static const uint8_t OID_BASIC_CONSTRAINTS[] = {0x55, 0x1d, 0x13};                       /* 2.5.29.19 */
static const uint8_t OID_KEY_USAGE[] = {0x55, 0x1d, 0x0f};                               /* 2.5.29.15 */

static const char CN[] = "echover server";
static const char NOT_BEFORE[] = "700101000000Z";      /* UTCTime: before 2050 (RFC 5280 4.1.2.5.1) */
static const char NOT_AFTER[] = "99991231235959Z";     /* GeneralizedTime: 2050 and later */

#define SERIAL_LEN 8

/* Each TLV is built in a scratch buffer of this size and then copied, with
 * its length, into its parent: DER needs the length before the contents. */
#define DER_SCRATCH NT_CERT_MAX

/* Makes w fail (sticky): no writer can take SIZE_MAX more bytes. */
static void der_fail(cr_writer *w)
{
	cr_write_bytes(w, NULL, SIZE_MAX);
}

/* X.690 section 8.1.3: definite form, the fewest octets. Contents here are
 * always below 64 KiB (NT_CERT_MAX), so at most 0x82 hi lo. */
static void der_len(cr_writer *w, size_t n)
{
	if (n < 0x80) {
		cr_write_u8(w, (uint8_t)n);
	} else if (n <= 0xff) {
		cr_write_u8(w, 0x81);
		cr_write_u8(w, (uint8_t)n);
	} else if (n <= 0xffff) {
		cr_write_u8(w, 0x82);
		cr_write_u16(w, (uint16_t)n);
	} else {
		/* Unreachable with our sizes; fail rather than emit a
		 * wrong length. */
		der_fail(w);
	}
}

static void der_tlv(cr_writer *w, uint8_t tag, const uint8_t *p, size_t n)
{
	cr_write_u8(w, tag);
	der_len(w, n);
	cr_write_bytes(w, p, n);
}

/* A constructed TLV whose contents were written into inner: the inner
 * writer's error, if any, is carried into w. */
static void der_wrap(cr_writer *w, uint8_t tag, const cr_writer *inner)
{
	if (cr_writer_error(inner) != CR_OK) {
		der_fail(w);
		return;
	}
	der_tlv(w, tag, inner->p, inner->len);
}

static void write_alg_ecdsa_sha256(cr_writer *w)
{
	/* RFC 5758 section 3.2: the parameters field MUST be absent. */
	uint8_t b[16];
	cr_writer in;
	cr_writer_init_fixed(&in, b, sizeof b);
	der_tlv(&in, DER_OID, OID_ECDSA_SHA256, sizeof OID_ECDSA_SHA256);
	der_wrap(w, DER_SEQUENCE, &in);
}

static void write_name(cr_writer *w)
{
	uint8_t b1[64], b2[64], b3[64];
	cr_writer atv, rdn, name;
	cr_writer_init_fixed(&atv, b1, sizeof b1);
	der_tlv(&atv, DER_OID, OID_CN, sizeof OID_CN);
	der_tlv(&atv, DER_UTF8STRING, (const uint8_t *)CN, sizeof CN - 1);
	cr_writer_init_fixed(&rdn, b2, sizeof b2);
	der_wrap(&rdn, DER_SEQUENCE, &atv);
	cr_writer_init_fixed(&name, b3, sizeof b3);
	der_wrap(&name, DER_SET, &rdn);
	der_wrap(w, DER_SEQUENCE, &name);
}

static void write_validity(cr_writer *w)
{
	uint8_t b[64];
	cr_writer in;
	cr_writer_init_fixed(&in, b, sizeof b);
	der_tlv(&in, DER_UTCTIME, (const uint8_t *)NOT_BEFORE, sizeof NOT_BEFORE - 1);
	der_tlv(&in, DER_GENERALIZEDTIME, (const uint8_t *)NOT_AFTER, sizeof NOT_AFTER - 1);
	der_wrap(w, DER_SEQUENCE, &in);
}

/* Extension ::= SEQUENCE { extnID, critical TRUE, extnValue OCTET STRING } */
static void write_extension(cr_writer *w, const uint8_t *oid, size_t oid_len,
			    const uint8_t *value, size_t value_len)
{
	static const uint8_t TRUE_[] = {0xff};
	uint8_t b[64];
	cr_writer in;
	cr_writer_init_fixed(&in, b, sizeof b);
	der_tlv(&in, DER_OID, oid, oid_len);
	der_tlv(&in, DER_BOOLEAN, TRUE_, sizeof TRUE_);
	der_tlv(&in, DER_OCTET_STRING, value, value_len);
	der_wrap(w, DER_SEQUENCE, &in);
}

static void write_extensions(cr_writer *w)
{
	/* BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, ... }:
	 * with cA FALSE (a DEFAULT value, omitted in DER) it is empty. */
	static const uint8_t BASIC_CONSTRAINTS[] = {DER_SEQUENCE, 0x00};
	/* KeyUsage BIT STRING with only digitalSignature (bit 0): one content
	 * octet 0x80, 7 unused bits (X.690 section 11.2.2: no trailing 0s). */
	static const uint8_t KEY_USAGE[] = {DER_BIT_STRING, 0x02, 0x07, 0x80};
	uint8_t b1[128], b2[128];
	cr_writer list, seq;
	cr_writer_init_fixed(&list, b1, sizeof b1);
	write_extension(&list, OID_BASIC_CONSTRAINTS, sizeof OID_BASIC_CONSTRAINTS,
			BASIC_CONSTRAINTS, sizeof BASIC_CONSTRAINTS);
	write_extension(&list, OID_KEY_USAGE, sizeof OID_KEY_USAGE, KEY_USAGE, sizeof KEY_USAGE);
	cr_writer_init_fixed(&seq, b2, sizeof b2);
	der_wrap(&seq, DER_SEQUENCE, &list);
	der_wrap(w, DER_CTX3, &seq);
}

void nt_cert_spki(uint8_t out[NT_CERT_SPKI_LEN], const uint8_t pub[CR_P256_PUB_LEN])
{
	uint8_t b1[32], b2[80], b3[NT_CERT_SPKI_LEN];
	cr_writer alg, bits, body, spki;
	cr_writer_init_fixed(&alg, b1, sizeof b1);
	der_tlv(&alg, DER_OID, OID_EC_PUBLIC_KEY, sizeof OID_EC_PUBLIC_KEY);
	der_tlv(&alg, DER_OID, OID_PRIME256V1, sizeof OID_PRIME256V1);
	/* BIT STRING: 0 unused bits, then the point (RFC 5480 section 2.2). */
	cr_writer_init_fixed(&bits, b2, sizeof b2);
	cr_write_u8(&bits, 0x00);
	cr_write_bytes(&bits, pub, CR_P256_PUB_LEN);
	cr_writer_init_fixed(&body, b3, sizeof b3);
	der_wrap(&body, DER_SEQUENCE, &alg);
	der_wrap(&body, DER_BIT_STRING, &bits);
	cr_writer_init_fixed(&spki, out, NT_CERT_SPKI_LEN);
	der_wrap(&spki, DER_SEQUENCE, &body);
	/* Fixed-size inputs into buffers sized for them: cannot fail; should
	 * it ever, the output is all zeros, which no pin will match. */
	if (cr_writer_error(&spki) != CR_OK || spki.len != NT_CERT_SPKI_LEN)
		memset(out, 0, NT_CERT_SPKI_LEN);
}

void nt_cert_pin(uint8_t pin[NT_CERT_PIN_LEN], const uint8_t pub[CR_P256_PUB_LEN])
{
	uint8_t spki[NT_CERT_SPKI_LEN];
	nt_cert_spki(spki, pub);
	cr_sha256(pin, spki, sizeof spki);
}

static const char PIN_PREFIX[] = "SHA256:";

void nt_cert_pin_str(char out[NT_CERT_PIN_STR_LEN], const uint8_t pin[NT_CERT_PIN_LEN])
{
	memcpy(out, PIN_PREFIX, sizeof PIN_PREFIX - 1);
	/* libsodium's base64 runs in constant time; a pin is public, but one
	 * encoder for everything is simpler to audit. */
	sodium_bin2base64(out + sizeof PIN_PREFIX - 1, NT_CERT_PIN_STR_LEN - (sizeof PIN_PREFIX - 1), pin,
			  NT_CERT_PIN_LEN, sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
}

cr_err nt_cert_pin_parse(uint8_t pin[NT_CERT_PIN_LEN], const char *s)
{
	size_t bin_len = 0;
	const char *end = NULL;
	memset(pin, 0, NT_CERT_PIN_LEN);
	if (s == NULL || strncmp(s, PIN_PREFIX, sizeof PIN_PREFIX - 1) != 0)
		return CR_ERR_MALFORMED;
	s += sizeof PIN_PREFIX - 1;
	if (strlen(s) != NT_CERT_PIN_STR_LEN - sizeof PIN_PREFIX)
		return CR_ERR_MALFORMED;
	if (sodium_base642bin(pin, NT_CERT_PIN_LEN, s, strlen(s), NULL, &bin_len, &end,
			      sodium_base64_VARIANT_ORIGINAL_NO_PADDING) != 0 ||
	    bin_len != NT_CERT_PIN_LEN || end == NULL || *end != '\0') {
		memset(pin, 0, NT_CERT_PIN_LEN);
		return CR_ERR_MALFORMED;
	}
	return CR_OK;
}

static void write_tbs_body(cr_writer *w, const uint8_t pub[CR_P256_PUB_LEN])
{
	static const uint8_t V3[] = {DER_INTEGER, 0x01, 0x02};
	uint8_t pin[NT_CERT_PIN_LEN], serial[SERIAL_LEN], spki[NT_CERT_SPKI_LEN];
	uint8_t b[8];
	cr_writer ver;

	cr_writer_init_fixed(&ver, b, sizeof b);
	cr_write_bytes(&ver, V3, sizeof V3);
	der_wrap(w, DER_CTX0, &ver);

	/* RFC 5280 4.1.2.2: a positive integer of at most 20 octets. Taking it
	 * from the pin keeps the certificate a function of the key alone; the
	 * top bits 01 make it positive and its DER minimal at 8 octets. */
	nt_cert_pin(pin, pub);
	memcpy(serial, pin, SERIAL_LEN);
	serial[0] = (uint8_t)((serial[0] & 0x3f) | 0x40);
	der_tlv(w, DER_INTEGER, serial, SERIAL_LEN);

	write_alg_ecdsa_sha256(w);
	write_name(w); /* issuer */
	write_validity(w);
	write_name(w); /* subject: self-signed */
	nt_cert_spki(spki, pub);
	cr_write_bytes(w, spki, sizeof spki);
	write_extensions(w);
}

cr_err nt_cert_create(uint8_t out[NT_CERT_MAX], size_t *out_len, const uint8_t priv[CR_P256_PRIV_LEN])
{
	uint8_t pub[CR_P256_PUB_LEN];
	uint8_t body_buf[DER_SCRATCH], tbs_buf[DER_SCRATCH], cert_buf[DER_SCRATCH];
	uint8_t sig[CR_P256_SIG_MAX + 1];
	size_t sig_len = 0;
	cr_writer body, tbs, cert, w;
	cr_err err;

	*out_len = 0;
	CR_TRY(cr_p256_public(pub, priv));

	cr_writer_init_fixed(&body, body_buf, sizeof body_buf);
	write_tbs_body(&body, pub);
	cr_writer_init_fixed(&tbs, tbs_buf, sizeof tbs_buf);
	der_wrap(&tbs, DER_SEQUENCE, &body);
	CR_TRY(cr_writer_error(&tbs));

	/* signatureValue: BIT STRING, 0 unused bits, then ECDSA-Sig-Value
	 * (RFC 5480 / RFC 5758 section 3.2). */
	sig[0] = 0x00;
	err = cr_p256_sign_der(sig + 1, &sig_len, priv, tbs.p, tbs.len);
	if (err)
		return err;

	cr_writer_init_fixed(&cert, cert_buf, sizeof cert_buf);
	cr_write_bytes(&cert, tbs.p, tbs.len);
	write_alg_ecdsa_sha256(&cert);
	der_tlv(&cert, DER_BIT_STRING, sig, sig_len + 1);

	cr_writer_init_fixed(&w, out, NT_CERT_MAX);
	der_wrap(&w, DER_SEQUENCE, &cert);
	err = cr_writer_error(&w);
	if (err)
		return err;
	*out_len = w.len;
	return CR_OK;
}

cr_err nt_cert_public_key(const uint8_t *der, size_t n, uint8_t pub[CR_P256_PUB_LEN])
{
	br_x509_decoder_context dc;
	const br_x509_pkey *pk;

	memset(pub, 0, CR_P256_PUB_LEN);
	if (n > NT_CERT_PARSE_MAX)
		return CR_ERR_LIMIT;
	br_x509_decoder_init(&dc, NULL, NULL);
	br_x509_decoder_push(&dc, der, n);
	pk = br_x509_decoder_get_pkey(&dc);
	if (pk == NULL)
		return CR_ERR_MALFORMED;
	if (pk->key_type != BR_KEYTYPE_EC || pk->key.ec.curve != BR_EC_secp256r1 ||
	    pk->key.ec.qlen != CR_P256_PUB_LEN || pk->key.ec.q[0] != 0x04)
		return CR_ERR_UNSUPPORTED;
	memcpy(pub, pk->key.ec.q, CR_P256_PUB_LEN);
	return CR_OK;
}
