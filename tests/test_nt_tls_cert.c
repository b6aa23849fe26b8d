/*
 * test_nt_tls_cert.c: the server's P-256 key and self-signed certificate
 * (net/tls_cert.h): BearSSL's X.509 decoder accepts the DER, the key in it is
 * ours, the signature verifies over the TBS and fails when it is tampered;
 * scalar range checks; both time encodings.
 */
#include <bearssl.h>
#include <string.h>

#include "codec.h"
#include "hash.h"
#include "t.h"
#include "tls_cert.h"

static void rng_init(cr_rng_det *d, cr_rng *r, uint8_t s)
{
	uint8_t seed[32];
	memset(seed, s, sizeof seed);
	cr_rng_det_init(d, r, seed);
}

/* Reads one DER TLV (definite length, up to 0x82 form). */
static cr_err read_tlv(cr_reader *r, uint8_t *tag, cr_span *content)
{
	uint8_t t, l;
	CR_TRY(cr_read_u8(r, &t));
	CR_TRY(cr_read_u8(r, &l));
	size_t n = l;
	if (l == 0x81) {
		uint8_t b;
		CR_TRY(cr_read_u8(r, &b));
		n = b;
	} else if (l == 0x82) {
		uint16_t b;
		CR_TRY(cr_read_u16(r, &b));
		n = b;
	} else if (l >= 0x80) {
		return CR_ERR_MALFORMED;
	}
	*tag = t;
	return cr_read_span(r, n, content);
}

TEST(key_generation_and_loading)
{
	cr_rng_det d;
	cr_rng r;
	rng_init(&d, &r, 1);
	nt_server_key a, b, c;
	CHECK_OK(nt_server_key_new(&a, &r));
	CHECK_OK(nt_server_key_new(&b, &r));
	CHECK(a.pub[0] == 0x04);
	CHECK(memcmp(a.priv, b.priv, 32) != 0);
	CHECK_OK(nt_server_key_load(&c, a.priv));
	CHECK_MEM(c.pub, a.pub, NT_P256_PUB_LEN);
	uint8_t bad[32] = { 0 };
	CHECK_ERR(nt_server_key_load(&c, bad), CR_ERR_INVALID);
	static const uint8_t n[32] = {
		0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
	};
	CHECK_ERR(nt_server_key_load(&c, n), CR_ERR_INVALID);
	memset(bad, 0xff, sizeof bad);
	CHECK_ERR(nt_server_key_load(&c, bad), CR_ERR_INVALID);
	memcpy(bad, n, 32);
	bad[31] = 0x50; /* n - 1 */
	CHECK_OK(nt_server_key_load(&c, bad));
	bad[31] = 0x01;
	memset(bad, 0, 31); /* 1 */
	CHECK_OK(nt_server_key_load(&c, bad));
	nt_server_key_wipe(&a);
	nt_server_key_wipe(&b);
	nt_server_key_wipe(&c);
}

TEST(spki_and_fingerprint)
{
	cr_rng_det d;
	cr_rng r;
	rng_init(&d, &r, 2);
	nt_server_key k;
	CHECK_OK(nt_server_key_new(&k, &r));
	uint8_t spki[NT_SPKI_LEN], fp[32], want[32];
	nt_spki(spki, k.pub);
	CHECK(spki[0] == 0x30 && spki[1] == NT_SPKI_LEN - 2);
	CHECK_MEM(spki + NT_SPKI_LEN - 65, k.pub, 65);
	cr_sha256(want, spki, sizeof spki);
	nt_key_fingerprint(fp, k.pub);
	CHECK_MEM(fp, want, 32);
	nt_server_key_wipe(&k);
}

static void check_cert(const uint8_t *cert, size_t n, const nt_server_key *k)
{
	/* BearSSL's decoder: the key must be ours. */
	br_x509_decoder_context dc;
	br_x509_decoder_init(&dc, NULL, NULL);
	br_x509_decoder_push(&dc, cert, n);
	CHECK(br_x509_decoder_last_error(&dc) == 0);
	br_x509_pkey *pk = br_x509_decoder_get_pkey(&dc);
	CHECK(pk != NULL);
	if (!pk)
		return;
	CHECK(pk->key_type == BR_KEYTYPE_EC && pk->key.ec.curve == BR_EC_secp256r1);
	CHECK(pk->key.ec.qlen == 65 && !memcmp(pk->key.ec.q, k->pub, 65));
	CHECK(br_x509_decoder_get_signer_key_type(&dc) == BR_KEYTYPE_EC);
	/* The signature covers the TBS. */
	cr_reader r, c, tbs_start;
	uint8_t tag;
	cr_span content, tbs_c, alg, sigbits, tbs;
	cr_reader_init(&r, cert, n);
	CHECK_OK(read_tlv(&r, &tag, &content));
	CHECK(tag == 0x30 && cr_reader_left(&r) == 0);
	cr_reader_init(&c, content.p, content.n);
	tbs_start = c;
	CHECK_OK(read_tlv(&c, &tag, &tbs_c));
	CHECK_OK(cr_read_span(&tbs_start, c.off, &tbs));
	CHECK_OK(read_tlv(&c, &tag, &alg));
	CHECK_OK(read_tlv(&c, &tag, &sigbits));
	CHECK(tag == 0x03 && sigbits.n > 8 && sigbits.p[0] == 0);
	CHECK_OK(cr_reader_end(&c));
	if (sigbits.n <= 8)
		return;
	br_ec_public_key pub = { BR_EC_secp256r1, (unsigned char *)k->pub, 65 };
	uint8_t h[32];
	cr_sha256(h, tbs.p, tbs.n);
	cr_reader sr;
	cr_span sig, zero;
	cr_reader_init(&sr, sigbits.p, sigbits.n);
	CHECK_OK(cr_read_span(&sr, 1, &zero));
	CHECK_OK(cr_read_span(&sr, cr_reader_left(&sr), &sig));
	CHECK(br_ecdsa_i31_vrfy_asn1(br_ec_get_default(), h, 32, &pub, sig.p, sig.n) == 1);
	h[0] ^= 1;
	CHECK(br_ecdsa_i31_vrfy_asn1(br_ec_get_default(), h, 32, &pub, sig.p, sig.n) == 0);
}

static bool contains(const uint8_t *p, size_t n, const char *s)
{
	size_t k = strlen(s);
	for (size_t i = 0; i + k <= n; i++)
		if (!memcmp(p + i, s, k))
			return true;
	return false;
}

TEST(self_signed_certificate)
{
	cr_rng_det d;
	cr_rng r;
	rng_init(&d, &r, 3);
	nt_server_key k;
	CHECK_OK(nt_server_key_new(&k, &r));
	uint8_t cert[NT_CERT_MAX];
	size_t n = 0;
	CHECK_OK(nt_cert_self_signed(cert, &n, &k, 1795000000, &r)); /* 2026-11-18T11:06:40Z */
	CHECK(n > 200 && n < NT_CERT_MAX);
	check_cert(cert, n, &k);
	CHECK(contains(cert, n, "echover server"));
	CHECK(contains(cert, n, "261118110640Z"));
	CHECK(contains(cert, n, "99991231235959Z"));
	/* After 2049 the start time is a GeneralizedTime. */
	CHECK_OK(nt_cert_self_signed(cert, &n, &k, 2524608000, &r));
	check_cert(cert, n, &k);
	CHECK(contains(cert, n, "20500101000000Z"));
	CHECK_ERR(nt_cert_self_signed(cert, &n, &k, -1, &r), CR_ERR_ARG);
	/* A truncated certificate does not decode. */
	CHECK_OK(nt_cert_self_signed(cert, &n, &k, 1795000000, &r));
	br_x509_decoder_context dc;
	br_x509_decoder_init(&dc, NULL, NULL);
	br_x509_decoder_push(&dc, cert, n - 1); /* truncated */
	CHECK(br_x509_decoder_get_pkey(&dc) == NULL);
	nt_server_key_wipe(&k);
}

static const t_case cases[] = {
	T(key_generation_and_loading), T(spki_and_fingerprint), T(self_signed_certificate), { 0 },
};

int main(int argc, char **argv)
{
	CHECK_OK(cr_init());
	return t_main(argc, argv, cases);
}
