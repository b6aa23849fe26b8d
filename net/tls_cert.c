/*
 * tls_cert.c: P-256 server key (BearSSL) and a hand-written DER certificate
 * (tls_cert.h). DER is built inside out: each element's content is written
 * into its own fixed buffer, then wrapped in tag and definite length.
 */
#include "tls_cert.h"

#include <bearssl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "codec.h"
#include "hash.h"
#include "wipe.h"

static const uint8_t OID_EC_PUBKEY[] = { 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01 };
static const uint8_t OID_P256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
/* AlgorithmIdentifier ecdsa-with-SHA256 (RFC 5758 section 3.2: no parameters). */
static const uint8_t ALG_ECDSA_SHA256[] = { 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02 };
static const uint8_t OID_CN[] = { 0x06, 0x03, 0x55, 0x04, 0x03 };
static const char CN[] = "echover server";

/* Tag, DER definite length (short form, or 0x81/0x82 long form), content. */
static void tlv(cr_writer *w, uint8_t tag, const uint8_t *p, size_t n)
{
	cr_write_u8(w, tag);
	if (n < 0x80) {
		cr_write_u8(w, (uint8_t)n);
	} else if (n < 0x100) {
		cr_write_u8(w, 0x81);
		cr_write_u8(w, (uint8_t)n);
	} else if (n < 0x10000) {
		cr_write_u8(w, 0x82);
		cr_write_u16(w, (uint16_t)n);
	} else {
		w->err = w->err ? w->err : CR_ERR_LIMIT;
		return;
	}
	cr_write_bytes(w, p, n);
}

typedef struct der_buf {
	uint8_t b[NT_CERT_MAX];
	cr_writer w;
} der_buf;

static void db_init(der_buf *d)
{
	cr_writer_init_fixed(&d->w, d->b, sizeof d->b);
}

/* Wraps d's content as one TLV into w. */
static void wrap(cr_writer *w, uint8_t tag, der_buf *d)
{
	if (cr_writer_error(&d->w) != CR_OK) {
		w->err = w->err ? w->err : CR_ERR_SPACE;
		return;
	}
	tlv(w, tag, d->b, d->w.len);
}

static void seed_drbg(br_hmac_drbg_context *drbg, uint8_t seed[32])
{
	br_hmac_drbg_init(drbg, &br_sha256_vtable, seed, 32);
	cr_wipe(seed, 32);
}

/* The order n of P-256 (SEC 2 section 2.4.2). */
static const uint8_t P256_N[NT_P256_PRIV_LEN] = {
	0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
};

/* 1 when 0 < d < n, in time independent of d (d is the private key;
 * BearSSL's compute_pub does not check its range). */
static unsigned scalar_ok(const uint8_t d[NT_P256_PRIV_LEN])
{
	unsigned borrow = 0, nonzero = 0;
	for (int i = NT_P256_PRIV_LEN - 1; i >= 0; i--) {
		unsigned t = (unsigned)d[i] - P256_N[i] - borrow;
		borrow = (t >> 8) & 1u;
		nonzero |= d[i];
	}
	return borrow & (unsigned)((nonzero + 0xffu) >> 8);
}

static cr_err compute_pub(nt_server_key *k)
{
	br_ec_private_key sk = { BR_EC_secp256r1, k->priv, sizeof k->priv };
	CR_ENSURE(scalar_ok(k->priv), CR_ERR_INVALID);
	size_t n = br_ec_compute_pub(br_ec_get_default(), NULL, k->pub, &sk);
	CR_ENSURE(n == NT_P256_PUB_LEN, CR_ERR_INVALID);
	return CR_OK;
}

cr_err nt_server_key_new(nt_server_key *k, const cr_rng *rng)
{
	uint8_t seed[32];
	CR_TRY(cr_random(rng, seed, sizeof seed));
	br_hmac_drbg_context drbg;
	seed_drbg(&drbg, seed);
	br_ec_private_key sk;
	uint8_t kbuf[BR_EC_KBUF_PRIV_MAX_SIZE];
	size_t n = br_ec_keygen(&drbg.vtable, br_ec_get_default(), &sk, kbuf, BR_EC_secp256r1);
	cr_err err = CR_OK;
	if (n != NT_P256_PRIV_LEN) {
		err = CR_ERR_RANDOM;
	} else {
		memcpy(k->priv, kbuf, NT_P256_PRIV_LEN);
		err = compute_pub(k);
	}
	cr_wipe(kbuf, sizeof kbuf);
	cr_wipe(&drbg, sizeof drbg);
	if (err)
		nt_server_key_wipe(k);
	return err;
}

cr_err nt_server_key_load(nt_server_key *k, const uint8_t priv[NT_P256_PRIV_LEN])
{
	memcpy(k->priv, priv, NT_P256_PRIV_LEN);
	cr_err err = compute_pub(k);
	if (err)
		nt_server_key_wipe(k);
	return err;
}

void nt_server_key_wipe(nt_server_key *k)
{
	cr_wipe(k, sizeof *k);
}

void nt_spki(uint8_t out[NT_SPKI_LEN], const uint8_t pub[NT_P256_PUB_LEN])
{
	der_buf alg, bits, spki;
	db_init(&alg);
	cr_write_bytes(&alg.w, OID_EC_PUBKEY, sizeof OID_EC_PUBKEY);
	cr_write_bytes(&alg.w, OID_P256, sizeof OID_P256);
	db_init(&bits);
	cr_write_u8(&bits.w, 0); /* no unused bits */
	cr_write_bytes(&bits.w, pub, NT_P256_PUB_LEN);
	db_init(&spki);
	wrap(&spki.w, 0x30, &alg);
	wrap(&spki.w, 0x03, &bits);
	cr_writer w;
	cr_writer_init_fixed(&w, out, NT_SPKI_LEN);
	wrap(&w, 0x30, &spki);
	/* Fixed sizes: a failure here is a programming error caught by the
	 * unit test (length NT_SPKI_LEN exactly). */
}

void nt_key_fingerprint(uint8_t out[32], const uint8_t pub[NT_P256_PUB_LEN])
{
	uint8_t spki[NT_SPKI_LEN];
	nt_spki(spki, pub);
	cr_sha256(out, spki, sizeof spki);
}

static void write_name(cr_writer *w)
{
	der_buf atv, rdn, name;
	db_init(&atv);
	cr_write_bytes(&atv.w, OID_CN, sizeof OID_CN);
	tlv(&atv.w, 0x0c, (const uint8_t *)CN, sizeof CN - 1); /* UTF8String */
	db_init(&rdn);
	wrap(&rdn.w, 0x30, &atv);
	db_init(&name);
	wrap(&name.w, 0x31, &rdn);
	wrap(w, 0x30, &name);
}

static cr_err write_validity(cr_writer *w, int64_t not_before)
{
	time_t t = (time_t)not_before;
	struct tm tm;
	CR_ENSURE(not_before >= 0 && gmtime_r(&t, &tm), CR_ERR_ARG);
	int year = tm.tm_year + 1900;
	char s[64];
	der_buf v;
	db_init(&v);
	/* RFC 5280 section 4.1.2.5: UTCTime through 2049, GeneralizedTime after. */
	if (year < 2050) {
		int n = snprintf(s, sizeof s, "%02d%02d%02d%02d%02d%02dZ", year % 100, tm.tm_mon + 1, tm.tm_mday,
				 tm.tm_hour, tm.tm_min, tm.tm_sec);
		CR_ENSURE(n == 13, CR_ERR_ARG);
		tlv(&v.w, 0x17, (const uint8_t *)s, 13);
	} else {
		CR_ENSURE(year <= 9999, CR_ERR_ARG);
		CR_ENSURE(strftime(s, sizeof s, "%Y%m%d%H%M%SZ", &tm) == 15, CR_ERR_ARG);
		tlv(&v.w, 0x18, (const uint8_t *)s, 15);
	}
	tlv(&v.w, 0x18, (const uint8_t *)"99991231235959Z", 15);
	wrap(w, 0x30, &v);
	return CR_OK;
}

cr_err nt_cert_self_signed(uint8_t out[NT_CERT_MAX], size_t *len, const nt_server_key *k, int64_t not_before,
			   const cr_rng *rng)
{
	*len = 0;
	uint8_t serial[16];
	CR_TRY(cr_random(rng, serial, sizeof serial));
	/* Positive and minimally encoded: top bit clear, second-highest set. */
	serial[0] = (uint8_t)((serial[0] & 0x7f) | 0x40);

	der_buf tbs;
	db_init(&tbs);
	static const uint8_t version_v3[] = { 0xa0, 0x03, 0x02, 0x01, 0x02 };
	cr_write_bytes(&tbs.w, version_v3, sizeof version_v3);
	tlv(&tbs.w, 0x02, serial, sizeof serial);
	cr_write_bytes(&tbs.w, ALG_ECDSA_SHA256, sizeof ALG_ECDSA_SHA256);
	write_name(&tbs.w);
	CR_TRY(write_validity(&tbs.w, not_before));
	write_name(&tbs.w);
	uint8_t spki[NT_SPKI_LEN];
	nt_spki(spki, k->pub);
	cr_write_bytes(&tbs.w, spki, sizeof spki);

	der_buf tbs_seq;
	db_init(&tbs_seq);
	wrap(&tbs_seq.w, 0x30, &tbs);
	CR_TRY(cr_writer_error(&tbs_seq.w));

	uint8_t hash[32];
	cr_sha256(hash, tbs_seq.b, tbs_seq.w.len);
	br_ec_private_key sk = { BR_EC_secp256r1, (unsigned char *)k->priv, NT_P256_PRIV_LEN };
	uint8_t sig[80];
	size_t sig_len = br_ecdsa_i31_sign_asn1(br_ec_get_default(), &br_sha256_vtable, hash, &sk, sig);
	CR_ENSURE(sig_len > 0 && sig_len <= 72, CR_ERR_INVALID);

	der_buf bits, cert;
	db_init(&bits);
	cr_write_u8(&bits.w, 0);
	cr_write_bytes(&bits.w, sig, sig_len);
	db_init(&cert);
	cr_write_bytes(&cert.w, tbs_seq.b, tbs_seq.w.len);
	cr_write_bytes(&cert.w, ALG_ECDSA_SHA256, sizeof ALG_ECDSA_SHA256);
	wrap(&cert.w, 0x03, &bits);
	cr_writer w;
	cr_writer_init_fixed(&w, out, NT_CERT_MAX);
	wrap(&w, 0x30, &cert);
	CR_TRY(cr_writer_error(&w));
	*len = w.len;
	return CR_OK;
}
