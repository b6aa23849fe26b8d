/*
 * test_nt_tls.c: the TLS glue (net/tls.h) and the server certificate
 * (net/cert.h). Handshakes run in memory: bytes are pumped between two
 * engines, no sockets. Negative cases: wrong pin, foreign cipher suites and
 * versions, tampered records, oversized records, low-order X25519 points,
 * truncated and mismatched certificates.
 */
#include <stdlib.h>
#include <string.h>

#include <bearssl.h>

#include "cert.h"
#include "codec.h"
#include "hash.h"
#include "p256.h"
#include "rng.h"
#include "t.h"
#include "tls.h"

/* ---- fixtures ------------------------------------------------------------- */

typedef struct server_key {
	uint8_t priv[CR_P256_PRIV_LEN];
	uint8_t pub[CR_P256_PUB_LEN];
	uint8_t cert[NT_CERT_MAX];
	size_t cert_len;
	uint8_t pin[NT_CERT_PIN_LEN];
} server_key;

static bool make_key(server_key *k, uint8_t seed_byte)
{
	uint8_t seed[32];
	cr_rng_det det;
	cr_rng rng;
	memset(seed, seed_byte, sizeof seed);
	cr_rng_det_init(&det, &rng, seed);
	if (cr_p256_keygen(k->priv, k->pub, &rng) != CR_OK)
		return false;
	if (nt_cert_create(k->cert, &k->cert_len, k->priv) != CR_OK)
		return false;
	nt_cert_pin(k->pin, k->pub);
	return true;
}

/* Moves every ciphertext byte `from` has for `to`; returns the count. */
static size_t move(br_ssl_engine_context *from, br_ssl_engine_context *to)
{
	size_t moved = 0;
	for (;;) {
		size_t slen, rlen;
		unsigned char *s = br_ssl_engine_sendrec_buf(from, &slen);
		if (s == NULL)
			break;
		unsigned char *r = br_ssl_engine_recvrec_buf(to, &rlen);
		if (r == NULL)
			break;
		size_t k = slen < rlen ? slen : rlen;
		memcpy(r, s, k);
		br_ssl_engine_sendrec_ack(from, k);
		br_ssl_engine_recvrec_ack(to, k);
		moved += k;
	}
	return moved;
}

static void pump(br_ssl_engine_context *a, br_ssl_engine_context *b)
{
	for (int i = 0; i < 100; i++) {
		size_t m = move(a, b);
		m += move(b, a);
		if (m == 0)
			break;
	}
}

typedef struct pair {
	server_key key;
	nt_tls_cred cred;
	nt_tls server, client;
	uint8_t *sbuf, *cbuf;
	cr_rng_det sdet, cdet;
	cr_rng srng, crng;
} pair;

/* Sets up a server and a client; pin_mode 0: correct pin, 1: no pin
 * (first use), 2: a wrong pin. */
static bool pair_init(pair *p, size_t sbuf_len, size_t cbuf_len, int pin_mode)
{
	uint8_t seed[32];
	memset(p, 0, sizeof *p);
	if (!make_key(&p->key, 7))
		return false;
	if (nt_tls_cred_init(&p->cred, p->key.priv, p->key.cert, p->key.cert_len) != CR_OK)
		return false;
	p->sbuf = malloc(sbuf_len);
	p->cbuf = malloc(cbuf_len);
	memset(seed, 1, sizeof seed);
	cr_rng_det_init(&p->sdet, &p->srng, seed);
	memset(seed, 2, sizeof seed);
	cr_rng_det_init(&p->cdet, &p->crng, seed);
	uint8_t pin[NT_TLS_PIN_LEN];
	memcpy(pin, p->key.pin, sizeof pin);
	if (pin_mode == 2)
		pin[5] ^= 1;
	if (nt_tls_server_init(&p->server, &p->cred, p->sbuf, sbuf_len, &p->srng) != CR_OK)
		return false;
	if (nt_tls_client_init(&p->client, pin_mode == 1 ? NULL : pin, p->cbuf, cbuf_len, &p->crng) != CR_OK)
		return false;
	pump(p->client.eng, p->server.eng);
	return true;
}

static void pair_free(pair *p)
{
	nt_tls_wipe(&p->server);
	nt_tls_wipe(&p->client);
	nt_tls_cred_wipe(&p->cred);
	free(p->sbuf);
	free(p->cbuf);
}

/* Sends n bytes from a to b through the TLS pair and checks they arrive. */
static bool transfer(nt_tls *a, nt_tls *b, const uint8_t *msg, size_t n)
{
	uint8_t *got = malloc(n ? n : 1);
	size_t sent = 0, recvd = 0;
	for (int i = 0; i < 10000 && recvd < n; i++) {
		if (sent < n)
			sent += nt_tls_push_plaintext(a, msg + sent, n - sent);
		pump(a->eng, b->eng);
		recvd += nt_tls_pull_plaintext(b, got + recvd, n - recvd);
	}
	bool ok = recvd == n && memcmp(got, msg, n) == 0;
	free(got);
	return ok;
}

/* ---- certificate ------------------------------------------------------------ */

/* Reads one DER TLV header (definite length, at most 2 length octets). */
static bool der_read(cr_reader *r, uint8_t want_tag, cr_span *content, cr_span *whole)
{
	size_t start = r->off;
	uint8_t tag, l0;
	size_t len;
	if (cr_read_u8(r, &tag) != CR_OK || tag != want_tag || cr_read_u8(r, &l0) != CR_OK)
		return false;
	if (l0 < 0x80) {
		len = l0;
	} else if (l0 == 0x81) {
		uint8_t b;
		if (cr_read_u8(r, &b) != CR_OK || b < 0x80)
			return false;
		len = b;
	} else if (l0 == 0x82) {
		uint16_t b;
		if (cr_read_u16(r, &b) != CR_OK || b < 0x100)
			return false;
		len = b;
	} else {
		return false;
	}
	if (cr_read_span(r, len, content) != CR_OK)
		return false;
	if (whole != NULL) {
		whole->p = r->p + start;
		whole->n = r->off - start;
	}
	return true;
}

typedef struct parsed_cert {
	cr_span tbs;      /* the whole TBSCertificate TLV (what is signed) */
	cr_span spki;     /* the whole SubjectPublicKeyInfo TLV */
	cr_span sig_alg;  /* signatureAlgorithm contents */
	cr_span sig;      /* signatureValue contents (unused-bits octet first) */
} parsed_cert;

static bool parse_cert(const uint8_t *der, size_t n, parsed_cert *pc)
{
	cr_reader r, c, t;
	cr_span cert, tbs_c, skip;
	cr_reader_init(&r, der, n);
	if (!der_read(&r, 0x30, &cert, NULL) || cr_reader_end(&r) != CR_OK)
		return false;
	cr_reader_init(&c, cert.p, cert.n);
	if (!der_read(&c, 0x30, &tbs_c, &pc->tbs))
		return false;
	if (!der_read(&c, 0x30, &pc->sig_alg, NULL) || !der_read(&c, 0x03, &pc->sig, NULL) ||
	    cr_reader_end(&c) != CR_OK)
		return false;
	cr_reader_init(&t, tbs_c.p, tbs_c.n);
	/* version, serial, signature, issuer, validity, subject, spki, [3] */
	static const uint8_t tags[] = {0xa0, 0x02, 0x30, 0x30, 0x30, 0x30};
	for (size_t i = 0; i < sizeof tags; i++)
		if (!der_read(&t, tags[i], &skip, NULL))
			return false;
	if (!der_read(&t, 0x30, &skip, &pc->spki) || !der_read(&t, 0xa3, &skip, NULL))
		return false;
	return cr_reader_end(&t) == CR_OK;
}

TEST(cert_parses_back_and_verifies)
{
	server_key k;
	CHECK(make_key(&k, 1));
	CHECK(k.cert_len > 300 && k.cert_len <= NT_CERT_MAX);

	/* BearSSL's decoder: key, signer type, not a CA. */
	br_x509_decoder_context dc;
	br_x509_decoder_init(&dc, NULL, NULL);
	br_x509_decoder_push(&dc, k.cert, k.cert_len);
	CHECK(br_x509_decoder_last_error(&dc) == 0);
	br_x509_pkey *pk = br_x509_decoder_get_pkey(&dc);
	CHECK(pk != NULL);
	if (pk != NULL) {
		CHECK(pk->key_type == BR_KEYTYPE_EC && pk->key.ec.curve == BR_EC_secp256r1);
		CHECK(pk->key.ec.qlen == CR_P256_PUB_LEN && memcmp(pk->key.ec.q, k.pub, CR_P256_PUB_LEN) == 0);
	}
	CHECK(br_x509_decoder_get_signer_key_type(&dc) == BR_KEYTYPE_EC);
	CHECK(br_x509_decoder_isCA(&dc) == 0);

	uint8_t pub[CR_P256_PUB_LEN];
	CHECK_OK(nt_cert_public_key(k.cert, k.cert_len, pub));
	CHECK_MEM(pub, k.pub, CR_P256_PUB_LEN);

	/* The signature covers the TBSCertificate, under the certificate key. */
	parsed_cert pc;
	CHECK(parse_cert(k.cert, k.cert_len, &pc));
	static const uint8_t ALG[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};
	CHECK(pc.sig_alg.n == sizeof ALG && memcmp(pc.sig_alg.p, ALG, sizeof ALG) == 0);
	CHECK(pc.sig.n > 1 && pc.sig.p[0] == 0);
	uint8_t raw[CR_P256_SIG_MAX];
	memcpy(raw, pc.sig.p + 1, pc.sig.n - 1);
	CHECK(br_ecdsa_asn1_to_raw(raw, pc.sig.n - 1) == CR_P256_SIG_RAW_LEN);
	CHECK_OK(cr_p256_verify_raw(raw, k.pub, pc.tbs.p, pc.tbs.n));

	/* Tampering with any byte of the signed part breaks the signature. */
	uint8_t *tbs = malloc(pc.tbs.n);
	for (size_t i = 0; i < pc.tbs.n; i += 7) {
		memcpy(tbs, pc.tbs.p, pc.tbs.n);
		tbs[i] ^= 0x01;
		CHECK_ERR(cr_p256_verify_raw(raw, k.pub, tbs, pc.tbs.n), CR_ERR_AUTH);
	}
	free(tbs);
	/* ... and under another key it does not verify at all. */
	server_key other;
	CHECK(make_key(&other, 2));
	CHECK_ERR(cr_p256_verify_raw(raw, other.pub, pc.tbs.p, pc.tbs.n), CR_ERR_AUTH);
}

TEST(cert_spki_and_pin)
{
	server_key k;
	CHECK(make_key(&k, 1));
	parsed_cert pc;
	CHECK(parse_cert(k.cert, k.cert_len, &pc));
	uint8_t spki[NT_CERT_SPKI_LEN], pin[NT_CERT_PIN_LEN];
	nt_cert_spki(spki, k.pub);
	CHECK(pc.spki.n == NT_CERT_SPKI_LEN);
	CHECK(pc.spki.n == NT_CERT_SPKI_LEN && memcmp(pc.spki.p, spki, NT_CERT_SPKI_LEN) == 0);
	/* The RFC 5480 prefix of every uncompressed P-256 SPKI. */
	static const uint8_t PREFIX[] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48,
					 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
					 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00};
	CHECK_MEM(spki, PREFIX, sizeof PREFIX);
	CHECK_MEM(spki + sizeof PREFIX, k.pub, CR_P256_PUB_LEN);
	cr_sha256(pin, pc.spki.p, pc.spki.n);
	CHECK_MEM(pin, k.pin, NT_CERT_PIN_LEN);
}

TEST(pin_string_round_trip)
{
	server_key k;
	CHECK(make_key(&k, 1));
	char str[NT_CERT_PIN_STR_LEN];
	nt_cert_pin_str(str, k.pin);
	CHECK(strlen(str) == NT_CERT_PIN_STR_LEN - 1);
	CHECK(strncmp(str, "SHA256:", 7) == 0);
	uint8_t back[NT_CERT_PIN_LEN];
	CHECK_OK(nt_cert_pin_parse(back, str));
	CHECK_MEM(back, k.pin, NT_CERT_PIN_LEN);
	/* Known answer: 32 zero bytes. */
	uint8_t zero[NT_CERT_PIN_LEN] = {0};
	nt_cert_pin_str(str, zero);
	CHECK(strcmp(str, "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA") == 0);
	/* Refused: other prefix, wrong length, padding, bad characters, and
	 * a last character with non-zero unused bits. */
	nt_cert_pin_str(str, k.pin);
	char bad[NT_CERT_PIN_STR_LEN + 2];
	memcpy(bad, str, sizeof str);
	bad[0] = 's';
	CHECK_ERR(nt_cert_pin_parse(back, bad), CR_ERR_MALFORMED);
	memcpy(bad, str, sizeof str);
	bad[NT_CERT_PIN_STR_LEN - 2] = '\0';
	CHECK_ERR(nt_cert_pin_parse(back, bad), CR_ERR_MALFORMED);
	memcpy(bad, str, sizeof str);
	strcat(bad, "=");
	CHECK_ERR(nt_cert_pin_parse(back, bad), CR_ERR_MALFORMED);
	memcpy(bad, str, sizeof str);
	bad[10] = '*';
	CHECK_ERR(nt_cert_pin_parse(back, bad), CR_ERR_MALFORMED);
	CHECK_ERR(nt_cert_pin_parse(back, "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB"), CR_ERR_MALFORMED);
	CHECK_ERR(nt_cert_pin_parse(back, NULL), CR_ERR_MALFORMED);
}

TEST(cert_is_deterministic_per_key)
{
	server_key a, b, c;
	CHECK(make_key(&a, 3));
	CHECK(make_key(&b, 3));
	CHECK(make_key(&c, 4));
	CHECK(a.cert_len == b.cert_len && memcmp(a.cert, b.cert, a.cert_len) == 0);
	CHECK(a.cert_len != c.cert_len || memcmp(a.cert, c.cert, a.cert_len) != 0);
	CHECK(memcmp(a.pin, c.pin, NT_CERT_PIN_LEN) != 0);
}

TEST(cert_decode_rejects_truncated_and_oversized)
{
	server_key k;
	CHECK(make_key(&k, 1));
	uint8_t pub[CR_P256_PUB_LEN];
	size_t bad = 0;
	for (size_t n = 0; n < k.cert_len; n++)
		if (nt_cert_public_key(k.cert, n, pub) == CR_OK)
			bad++;
	CHECK(bad == 0);
	uint8_t *big = calloc(1, NT_CERT_PARSE_MAX + 1);
	CHECK_ERR(nt_cert_public_key(big, NT_CERT_PARSE_MAX + 1, pub), CR_ERR_LIMIT);
	CHECK_ERR(nt_cert_public_key(big, 100, pub), CR_ERR_MALFORMED);
	free(big);
	/* A point that is not on the curve does not decode as a key. */
	uint8_t bent[NT_CERT_MAX];
	memcpy(bent, k.cert, k.cert_len);
	parsed_cert pc;
	CHECK(parse_cert(bent, k.cert_len, &pc));
	size_t off = (size_t)(pc.spki.p - bent) + NT_CERT_SPKI_LEN - 1;
	bent[off] ^= 0x01;
	cr_err e = nt_cert_public_key(bent, k.cert_len, pub);
	/* BearSSL's decoder does not check the point; the handshake does. */
	CHECK(e == CR_OK || e == CR_ERR_MALFORMED || e == CR_ERR_UNSUPPORTED);
}

TEST(cert_bad_private_key_refused)
{
	uint8_t zero[CR_P256_PRIV_LEN] = {0}, out[NT_CERT_MAX];
	size_t n = 99;
	CHECK_ERR(nt_cert_create(out, &n, zero), CR_ERR_INVALID);
	CHECK(n == 0);
}

TEST(cred_refuses_a_foreign_certificate)
{
	server_key a, b;
	CHECK(make_key(&a, 5));
	CHECK(make_key(&b, 6));
	nt_tls_cred c;
	CHECK_ERR(nt_tls_cred_init(&c, a.priv, b.cert, b.cert_len), CR_ERR_INVALID);
	CHECK_ERR(nt_tls_cred_init(&c, a.priv, a.cert, a.cert_len - 1), CR_ERR_MALFORMED);
	CHECK_ERR(nt_tls_cred_init(&c, a.priv, NULL, 0), CR_ERR_ARG);
	CHECK_OK(nt_tls_cred_init(&c, a.priv, a.cert, a.cert_len));
	nt_tls_cred_wipe(&c);
}

/* ---- handshake and records ------------------------------------------------- */

TEST(handshake_data_and_exporter)
{
	pair p;
	CHECK(pair_init(&p, NT_TLS_BUF_FULL, NT_TLS_BUF_FULL, 0));
	CHECK(nt_tls_status(&p.client) == NT_TLS_READY);
	CHECK(nt_tls_status(&p.server) == NT_TLS_READY);
	uint16_t suite = nt_tls_cipher_suite(&p.server);
	CHECK(suite == BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 ||
	      suite == BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256);
	CHECK(nt_tls_cipher_suite(&p.client) == suite);
	CHECK(nt_tls_curve(&p.client) == BR_EC_curve25519);
	CHECK(br_ssl_engine_get_version(p.client.eng) == BR_TLS12);
	CHECK(nt_tls_max_fragment(&p.server) == 16384);

	static const uint8_t hello[] = "hello, server";
	CHECK(transfer(&p.client, &p.server, hello, sizeof hello));
	static const uint8_t back[] = "hello, client";
	CHECK(transfer(&p.server, &p.client, back, sizeof back));
	/* Larger than a record: split and reassembled. */
	size_t big_n = 100000;
	uint8_t *big = malloc(big_n);
	for (size_t i = 0; i < big_n; i++)
		big[i] = (uint8_t)(i * 31 + 7);
	CHECK(transfer(&p.server, &p.client, big, big_n));
	CHECK(transfer(&p.client, &p.server, big, big_n));
	free(big);

	uint8_t es[32], ec[32], ex[32], e0[32];
	static const uint8_t ctxv[] = {1, 2, 3};
	CHECK_OK(nt_tls_exporter(&p.server, "EXPORTER-echover-login", ctxv, sizeof ctxv, es, sizeof es));
	CHECK_OK(nt_tls_exporter(&p.client, "EXPORTER-echover-login", ctxv, sizeof ctxv, ec, sizeof ec));
	CHECK_MEM(es, ec, sizeof es);
	/* Another label or context gives another value. */
	CHECK_OK(nt_tls_exporter(&p.client, "EXPORTER-echover-other", ctxv, sizeof ctxv, ex, sizeof ex));
	CHECK(memcmp(ex, ec, sizeof ex) != 0);
	CHECK_OK(nt_tls_exporter(&p.client, "EXPORTER-echover-login", NULL, 0, e0, sizeof e0));
	CHECK(memcmp(e0, ec, sizeof e0) != 0);
	CHECK_ERR(nt_tls_exporter(&p.client, "x", ctxv, sizeof ctxv, ex, 0), CR_ERR_LIMIT);
	CHECK_ERR(nt_tls_exporter(&p.client, "x", ctxv, sizeof ctxv, ex, NT_TLS_EXPORT_MAX + 1), CR_ERR_LIMIT);

	/* A new session exports something else. */
	pair q;
	CHECK(pair_init(&q, NT_TLS_BUF_FULL, NT_TLS_BUF_FULL, 0));
	uint8_t qs[32], qc[32];
	CHECK_OK(nt_tls_exporter(&q.server, "EXPORTER-echover-login", ctxv, sizeof ctxv, qs, sizeof qs));
	CHECK_OK(nt_tls_exporter(&q.client, "EXPORTER-echover-login", ctxv, sizeof ctxv, qc, sizeof qc));
	CHECK_MEM(qs, qc, sizeof qs);
	CHECK(memcmp(qs, es, sizeof qs) != 0);
	pair_free(&q);

	/* Clean close: close_notify both ways. */
	nt_tls_close(&p.client);
	pump(p.client.eng, p.server.eng);
	CHECK(nt_tls_status(&p.client) == NT_TLS_CLOSED);
	CHECK(nt_tls_status(&p.server) == NT_TLS_CLOSED);
	CHECK(nt_tls_reason_of(&p.server, NULL) == NT_TLS_OK);
	CHECK_ERR(nt_tls_exporter(&p.client, "x", NULL, 0, ex, sizeof ex), CR_ERR_STATE);
	pair_free(&p);
}

/* Re-runs the client's ClientHello with other suites or curves: what a
 * different (but acceptable) client would offer. */
static bool pair_reoffer(pair *p, const uint16_t *suites, size_t n, const br_ec_impl *ec)
{
	if (!pair_init(p, NT_TLS_BUF_FULL, NT_TLS_BUF_FULL, 0))
		return false;
	/* pair_init already ran one handshake; start both over. */
	if (nt_tls_server_init(&p->server, &p->cred, p->sbuf, NT_TLS_BUF_FULL, &p->srng) != CR_OK ||
	    nt_tls_client_init(&p->client, p->key.pin, p->cbuf, NT_TLS_BUF_FULL, &p->crng) != CR_OK)
		return false;
	if (suites != NULL)
		br_ssl_engine_set_suites(p->client.eng, suites, n);
	if (ec != NULL)
		br_ssl_engine_set_ec(p->client.eng, ec);
	if (!br_ssl_client_reset(&p->client.u.client.cc, NULL, 0))
		return false;
	pump(p->client.eng, p->server.eng);
	return true;
}

TEST(chacha20_poly1305_suite)
{
	static const uint16_t only[] = {BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256};
	pair p;
	CHECK(pair_reoffer(&p, only, 1, NULL));
	CHECK(nt_tls_status(&p.server) == NT_TLS_READY);
	CHECK(nt_tls_cipher_suite(&p.server) == BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256);
	static const uint8_t m[] = "over chacha";
	CHECK(transfer(&p.client, &p.server, m, sizeof m));
	CHECK(transfer(&p.server, &p.client, m, sizeof m));
	uint8_t a[32], b[32];
	CHECK_OK(nt_tls_exporter(&p.server, "EXPORTER-x", NULL, 0, a, sizeof a));
	CHECK_OK(nt_tls_exporter(&p.client, "EXPORTER-x", NULL, 0, b, sizeof b));
	CHECK_MEM(a, b, sizeof a);
	/* Tampering is caught under this suite too. */
	CHECK(nt_tls_push_plaintext(&p.client, m, sizeof m) == sizeof m);
	uint8_t rec[128];
	size_t n = nt_tls_pull_ciphertext(&p.client, rec, sizeof rec);
	rec[n - 1] ^= 0x80; /* the tag */
	nt_tls_push_ciphertext(&p.server, rec, n);
	CHECK(nt_tls_reason_of(&p.server, NULL) == NT_TLS_TAMPERED);
	pair_free(&p);
}

TEST(server_order_wins)
{
	/* The client lists the suites in the opposite order of the server. */
	pair p;
	CHECK(pair_init(&p, NT_TLS_BUF_FULL, NT_TLS_BUF_FULL, 0));
	uint16_t server_first = p.server.eng->suites_buf[0];
	uint16_t rev[2] = {p.server.eng->suites_buf[1], p.server.eng->suites_buf[0]};
	CHECK(p.server.eng->suites_num == 2);
	pair_free(&p);
	CHECK(pair_reoffer(&p, rev, 2, NULL));
	CHECK(nt_tls_status(&p.client) == NT_TLS_READY);
	CHECK(nt_tls_cipher_suite(&p.client) == server_first);
	pair_free(&p);
}

TEST(p256_ecdhe_when_no_x25519)
{
	br_ec_impl p256 = *nt_tls_ec();
	p256.supported_curves = (uint32_t)1 << BR_EC_secp256r1;
	pair p;
	CHECK(pair_reoffer(&p, NULL, 0, &p256));
	CHECK(nt_tls_status(&p.server) == NT_TLS_READY);
	CHECK(nt_tls_curve(&p.server) == BR_EC_secp256r1);
	static const uint8_t m[] = "over p-256";
	CHECK(transfer(&p.client, &p.server, m, sizeof m));
	pair_free(&p);
}

TEST(renegotiation_refused)
{
	pair p;
	CHECK(pair_init(&p, NT_TLS_BUF_FULL, NT_TLS_BUF_FULL, 0));
	/* Our own engines will not start one. */
	CHECK(br_ssl_engine_renegotiate(p.client.eng) == 0);
	CHECK(br_ssl_engine_renegotiate(p.server.eng) == 0);
	/* A client that tries anyway (the flag removed) gets no new handshake. */
	uint8_t before[32], after[32];
	CHECK_OK(nt_tls_exporter(&p.server, "EXPORTER-x", NULL, 0, before, sizeof before));
	br_ssl_engine_remove_flags(p.client.eng, BR_OPT_NO_RENEGOTIATION);
	CHECK(br_ssl_engine_renegotiate(p.client.eng) == 1);
	pump(p.client.eng, p.server.eng);
	/* The server answers no_renegotiation (alert 100), which BearSSL's
	 * client treats as the end of the connection; the server stays up. */
	int e;
	CHECK(nt_tls_status(&p.client) == NT_TLS_FAILED);
	CHECK(nt_tls_reason_of(&p.client, &e) == NT_TLS_PEER_ALERT);
	CHECK(e == BR_ERR_RECV_FATAL_ALERT + 100);
	CHECK(nt_tls_status(&p.server) == NT_TLS_READY);
	CHECK_OK(nt_tls_exporter(&p.server, "EXPORTER-x", NULL, 0, after, sizeof after));
	CHECK_MEM(before, after, sizeof before);
	pair_free(&p);
}

/* The zero-copy calls, as an event loop uses them, with short reads and
 * writes of a few bytes each. */
static size_t dribble(nt_tls *from, nt_tls *to, size_t step)
{
	size_t moved = 0;
	for (;;) {
		size_t slen, rlen;
		const uint8_t *s = nt_tls_send_buf(from, &slen);
		uint8_t *r = nt_tls_recv_buf(to, &rlen);
		if (s == NULL || r == NULL)
			return moved;
		size_t k = slen < rlen ? slen : rlen;
		k = k < step ? k : step;
		memcpy(r, s, k);
		nt_tls_send_done(from, k);
		nt_tls_recv_done(to, k);
		moved += k;
	}
}

TEST(zero_copy_calls_with_short_io)
{
	pair p;
	CHECK(pair_init(&p, NT_TLS_BUF_FULL, NT_TLS_BUF_FULL, 0));
	/* Start over, moving at most 7 bytes per call. */
	CHECK_OK(nt_tls_server_init(&p.server, &p.cred, p.sbuf, NT_TLS_BUF_FULL, &p.srng));
	CHECK_OK(nt_tls_client_init(&p.client, p.key.pin, p.cbuf, NT_TLS_BUF_FULL, &p.crng));
	size_t len;
	CHECK(nt_tls_send_buf(&p.server, &len) == NULL && len == 0);
	for (int i = 0; i < 10000; i++) {
		size_t m = dribble(&p.client, &p.server, 7);
		m += dribble(&p.server, &p.client, 7);
		if (m == 0)
			break;
	}
	CHECK(nt_tls_status(&p.client) == NT_TLS_READY);
	CHECK(nt_tls_status(&p.server) == NT_TLS_READY);
	static const uint8_t msg[] = "one byte at a time";
	CHECK(nt_tls_push_plaintext(&p.client, msg, sizeof msg) == sizeof msg);
	while (dribble(&p.client, &p.server, 1) > 0)
		;
	uint8_t got[64];
	CHECK(nt_tls_pull_plaintext(&p.server, got, sizeof got) == sizeof msg);
	CHECK_MEM(got, msg, sizeof msg);
	pair_free(&p);
}

/* The pinning X.509 class on its own, driven as BearSSL drives it. */
static unsigned run_chain(nt_tls *c, const uint8_t *const *certs, const size_t *lens, size_t n)
{
	const br_x509_class **x = &c->u.client.pinner.vtable;
	(*x)->start_chain(x, NULL);
	for (size_t i = 0; i < n; i++) {
		(*x)->start_cert(x, (uint32_t)lens[i]);
		/* in two pieces, as records may split it */
		(*x)->append(x, certs[i], lens[i] / 2);
		(*x)->append(x, certs[i] + lens[i] / 2, lens[i] - lens[i] / 2);
		(*x)->end_cert(x);
	}
	return (*x)->end_chain(x);
}

TEST(pinner_accepts_only_the_pinned_p256_key)
{
	server_key k, other;
	CHECK(make_key(&k, 1));
	CHECK(make_key(&other, 2));
	uint8_t *buf = malloc(NT_TLS_BUF_MIN);
	nt_tls c;
	CHECK_OK(nt_tls_client_init(&c, k.pin, buf, NT_TLS_BUF_MIN, cr_rng_system()));
	const br_x509_class **x = &c.u.client.pinner.vtable;
	const uint8_t *certs[2];
	size_t lens[2];
	unsigned usages = 0;

	certs[0] = k.cert;
	lens[0] = k.cert_len;
	CHECK(run_chain(&c, certs, lens, 1) == 0);
	const br_x509_pkey *pk = (*x)->get_pkey(x, &usages);
	CHECK(pk != NULL && usages == BR_KEYTYPE_SIGN);
	if (pk != NULL)
		CHECK(pk->key_type == BR_KEYTYPE_EC && memcmp(pk->key.ec.q, k.pub, CR_P256_PUB_LEN) == 0);

	/* Extra certificates after the end-entity one are ignored. */
	certs[1] = other.cert;
	lens[1] = other.cert_len;
	CHECK(run_chain(&c, certs, lens, 2) == 0);

	/* Another key: refused, and reported as a pin mismatch. */
	certs[0] = other.cert;
	lens[0] = other.cert_len;
	CHECK(run_chain(&c, certs, lens, 1) == BR_ERR_X509_NOT_TRUSTED);
	CHECK((*x)->get_pkey(x, NULL) == NULL);
	CHECK(nt_tls_reason_of(&c, NULL) == NT_TLS_PIN_MISMATCH);

	/* The right certificate behind a wrong one does not help. */
	certs[1] = k.cert;
	lens[1] = k.cert_len;
	CHECK(run_chain(&c, certs, lens, 2) == BR_ERR_X509_NOT_TRUSTED);

	/* An empty chain, a truncated or a garbage certificate. */
	CHECK(run_chain(&c, certs, lens, 0) == BR_ERR_X509_EMPTY_CHAIN);
	certs[0] = k.cert;
	lens[0] = k.cert_len - 1;
	CHECK(run_chain(&c, certs, lens, 1) != 0);
	CHECK(nt_tls_reason_of(&c, NULL) == NT_TLS_BAD_CERT);
	static const uint8_t junk[40] = {0x30, 0x26};
	certs[0] = junk;
	lens[0] = sizeof junk;
	CHECK(run_chain(&c, certs, lens, 1) != 0);
	CHECK((*x)->get_pkey(x, NULL) == NULL);
	uint8_t seen[NT_TLS_PIN_LEN];
	CHECK_ERR(nt_tls_peer_pin(&c, seen), CR_ERR_STATE);
	nt_tls_wipe(&c);
	free(buf);
}

TEST(exporter_refused_before_handshake)
{
	nt_tls c;
	uint8_t *buf = malloc(NT_TLS_BUF_FULL), out[16];
	CHECK_OK(nt_tls_client_init(&c, NULL, buf, NT_TLS_BUF_FULL, cr_rng_system()));
	CHECK(nt_tls_status(&c) == NT_TLS_HANDSHAKING);
	CHECK(nt_tls_want_write(&c));
	CHECK_ERR(nt_tls_exporter(&c, "x", NULL, 0, out, sizeof out), CR_ERR_STATE);
	CHECK(nt_tls_push_plaintext(&c, out, sizeof out) == 0);
	uint8_t pin[NT_TLS_PIN_LEN];
	CHECK_ERR(nt_tls_peer_pin(&c, pin), CR_ERR_STATE);
	nt_tls_wipe(&c);
	free(buf);
}

TEST(pin_mismatch_is_refused_distinctly)
{
	pair p;
	CHECK(pair_init(&p, NT_TLS_BUF_FULL, NT_TLS_BUF_FULL, 2));
	CHECK(nt_tls_status(&p.client) == NT_TLS_FAILED);
	CHECK(nt_tls_reason_of(&p.client, NULL) == NT_TLS_PIN_MISMATCH);
	/* BearSSL sends no alert on a refused chain: the server just never
	 * completes (the caller drops the socket). */
	CHECK(nt_tls_status(&p.server) != NT_TLS_READY);
	/* The pin actually seen is there to show to the user. */
	uint8_t seen[NT_TLS_PIN_LEN];
	CHECK_OK(nt_tls_peer_pin(&p.client, seen));
	CHECK_MEM(seen, p.key.pin, NT_TLS_PIN_LEN);
	uint8_t x[8];
	CHECK(nt_tls_push_plaintext(&p.client, x, sizeof x) == 0);
	CHECK(strstr(nt_tls_reason_str(NT_TLS_PIN_MISMATCH), "pinned") != NULL);
	pair_free(&p);
}

TEST(first_use_reports_the_pin)
{
	pair p;
	CHECK(pair_init(&p, NT_TLS_BUF_FULL, NT_TLS_BUF_FULL, 1));
	CHECK(nt_tls_status(&p.client) == NT_TLS_READY);
	uint8_t seen[NT_TLS_PIN_LEN];
	CHECK_OK(nt_tls_peer_pin(&p.client, seen));
	CHECK_MEM(seen, p.key.pin, NT_TLS_PIN_LEN);
	CHECK_ERR(nt_tls_peer_pin(&p.server, seen), CR_ERR_ARG);
	/* The caller may still refuse the key it was shown. */
	nt_tls_close(&p.client);
	pump(p.client.eng, p.server.eng);
	CHECK(nt_tls_status(&p.server) == NT_TLS_CLOSED);
	pair_free(&p);
}

/* A raw BearSSL client offering what echover does not: other suites or
 * older versions. The server refuses with a handshake_failure alert. */
static void raw_client_refused(const uint16_t *suites, size_t n, unsigned vmin, unsigned vmax)
{
	server_key k;
	CHECK(make_key(&k, 9));
	nt_tls_cred cred;
	CHECK_OK(nt_tls_cred_init(&cred, k.priv, k.cert, k.cert_len));
	uint8_t *sbuf = malloc(NT_TLS_BUF_FULL), *cbuf = malloc(BR_SSL_BUFSIZE_BIDI);
	nt_tls s;
	CHECK_OK(nt_tls_server_init(&s, &cred, sbuf, NT_TLS_BUF_FULL, cr_rng_system()));

	br_ssl_client_context cc;
	br_x509_minimal_context xc;
	br_ssl_client_init_full(&cc, &xc, NULL, 0);
	br_ssl_engine_set_suites(&cc.eng, suites, n);
	br_ssl_engine_set_versions(&cc.eng, vmin, vmax);
	br_ssl_engine_set_buffer(&cc.eng, cbuf, BR_SSL_BUFSIZE_BIDI, 1);
	uint8_t seed[32] = {42};
	br_ssl_engine_inject_entropy(&cc.eng, seed, sizeof seed);
	CHECK(br_ssl_client_reset(&cc, NULL, 0) == 1);
	pump(&cc.eng, s.eng);

	CHECK(nt_tls_status(&s) == NT_TLS_FAILED);
	CHECK(nt_tls_reason_of(&s, NULL) == NT_TLS_NO_COMMON);
	CHECK(br_ssl_engine_current_state(&cc.eng) == BR_SSL_CLOSED);
	CHECK(br_ssl_engine_last_error(&cc.eng) != BR_ERR_OK);
	CHECK(cc.eng.session.cipher_suite == 0);
	nt_tls_wipe(&s);
	nt_tls_cred_wipe(&cred);
	free(sbuf);
	free(cbuf);
}

TEST(cbc_only_client_refused)
{
	static const uint16_t s[] = {BR_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
				     BR_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA};
	raw_client_refused(s, 2, BR_TLS12, BR_TLS12);
}

TEST(rsa_only_client_refused)
{
	static const uint16_t s[] = {BR_TLS_RSA_WITH_AES_128_GCM_SHA256,
				     BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256};
	raw_client_refused(s, 2, BR_TLS12, BR_TLS12);
}

/* A ClientHello whose highest version is TLS 1.1 (our own, with its
 * client_version patched: BearSSL's client would not even send it). */
TEST(old_version_client_refused)
{
	server_key k;
	CHECK(make_key(&k, 9));
	nt_tls_cred cred;
	CHECK_OK(nt_tls_cred_init(&cred, k.priv, k.cert, k.cert_len));
	uint8_t *sbuf = malloc(NT_TLS_BUF_FULL), *cbuf = malloc(NT_TLS_BUF_FULL);
	nt_tls s, c;
	CHECK_OK(nt_tls_server_init(&s, &cred, sbuf, NT_TLS_BUF_FULL, cr_rng_system()));
	CHECK_OK(nt_tls_client_init(&c, NULL, cbuf, NT_TLS_BUF_FULL, cr_rng_system()));
	uint8_t hello[1024];
	size_t n = nt_tls_pull_ciphertext(&c, hello, sizeof hello);
	/* record header (5), handshake header (4), then client_version */
	CHECK(n > 11 && hello[0] == 22 && hello[5] == 1 && hello[9] == 3 && hello[10] == 3);
	hello[10] = 2;
	CHECK(nt_tls_push_ciphertext(&s, hello, n) == n);
	/* Until its alert is out, the server is not yet failed. */
	CHECK(nt_tls_want_write(&s));
	uint8_t alert[64];
	size_t an = nt_tls_pull_ciphertext(&s, alert, sizeof alert);
	CHECK(an > 0 && alert[0] == 21);
	CHECK(nt_tls_status(&s) == NT_TLS_FAILED);
	CHECK(nt_tls_reason_of(&s, NULL) == NT_TLS_NO_COMMON);
	/* The client refuses the alert's TLS 1.1 record version itself. */
	nt_tls_push_ciphertext(&c, alert, an);
	CHECK(nt_tls_status(&c) == NT_TLS_FAILED);
	CHECK(nt_tls_reason_of(&c, NULL) == NT_TLS_NO_COMMON);
	nt_tls_wipe(&s);
	nt_tls_wipe(&c);
	nt_tls_cred_wipe(&cred);
	free(sbuf);
	free(cbuf);
}

/* A raw BearSSL client that offers a good suite but only P-384: no common
 * curve, so no ECDHE suite is possible. */
TEST(client_without_common_curve_refused)
{
	server_key k;
	CHECK(make_key(&k, 9));
	nt_tls_cred cred;
	CHECK_OK(nt_tls_cred_init(&cred, k.priv, k.cert, k.cert_len));
	uint8_t *sbuf = malloc(NT_TLS_BUF_FULL), *cbuf = malloc(BR_SSL_BUFSIZE_BIDI);
	nt_tls s;
	CHECK_OK(nt_tls_server_init(&s, &cred, sbuf, NT_TLS_BUF_FULL, cr_rng_system()));
	br_ssl_client_context cc;
	br_x509_minimal_context xc;
	br_ssl_client_init_full(&cc, &xc, NULL, 0);
	static const uint16_t suites[] = {BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256};
	br_ssl_engine_set_suites(&cc.eng, suites, 1);
	br_ssl_engine_set_ec(&cc.eng, &br_ec_prime_i31); /* P-256/384/521 ... */
	/* ... and of those only P-384 is advertised: a copy with one bit. */
	br_ec_impl p384 = br_ec_prime_i31;
	p384.supported_curves = (uint32_t)1 << BR_EC_secp384r1;
	br_ssl_engine_set_ec(&cc.eng, &p384);
	br_ssl_engine_set_buffer(&cc.eng, cbuf, BR_SSL_BUFSIZE_BIDI, 1);
	uint8_t seed[32] = {43};
	br_ssl_engine_inject_entropy(&cc.eng, seed, sizeof seed);
	CHECK(br_ssl_client_reset(&cc, NULL, 0) == 1);
	pump(&cc.eng, s.eng);
	CHECK(nt_tls_status(&s) == NT_TLS_FAILED);
	CHECK(nt_tls_reason_of(&s, NULL) == NT_TLS_NO_COMMON);
	nt_tls_wipe(&s);
	nt_tls_cred_wipe(&cred);
	free(sbuf);
	free(cbuf);
}

TEST(tampered_record_fails_the_connection)
{
	for (int dir = 0; dir < 2; dir++) {
		pair p;
		CHECK(pair_init(&p, NT_TLS_BUF_FULL, NT_TLS_BUF_FULL, 0));
		nt_tls *from = dir ? &p.server : &p.client, *to = dir ? &p.client : &p.server;
		static const uint8_t msg[] = "attack at dawn";
		CHECK(nt_tls_push_plaintext(from, msg, sizeof msg) == sizeof msg);
		uint8_t rec[256];
		size_t n = nt_tls_pull_ciphertext(from, rec, sizeof rec);
		CHECK(n > 5 + sizeof msg);
		rec[n - 20] ^= 0x04; /* a ciphertext byte */
		CHECK(nt_tls_push_ciphertext(to, rec, n) == n);
		uint8_t got[64];
		CHECK(nt_tls_pull_plaintext(to, got, sizeof got) == 0);
		CHECK(nt_tls_status(to) == NT_TLS_FAILED);
		CHECK(nt_tls_reason_of(to, NULL) == NT_TLS_TAMPERED);
		CHECK(nt_tls_push_ciphertext(to, rec, n) == 0);
		pair_free(&p);
	}
	/* A truncated record followed by a header for another one is not
	 * accepted either. */
	pair p;
	CHECK(pair_init(&p, NT_TLS_BUF_FULL, NT_TLS_BUF_FULL, 0));
	static const uint8_t msg[] = "x";
	CHECK(nt_tls_push_plaintext(&p.client, msg, sizeof msg) == sizeof msg);
	uint8_t rec[256];
	size_t n = nt_tls_pull_ciphertext(&p.client, rec, sizeof rec);
	rec[4] = (uint8_t)(rec[4] - 1); /* header length one short */
	CHECK(nt_tls_push_ciphertext(&p.server, rec, n) <= n);
	uint8_t got[8];
	CHECK(nt_tls_pull_plaintext(&p.server, got, sizeof got) == 0);
	CHECK(nt_tls_status(&p.server) == NT_TLS_FAILED);
	pair_free(&p);
}

TEST(small_client_full_server)
{
	pair p;
	CHECK(pair_init(&p, NT_TLS_BUF_FULL, NT_TLS_BUF_SMALL, 0));
	CHECK(nt_tls_status(&p.client) == NT_TLS_READY);
	CHECK(nt_tls_status(&p.server) == NT_TLS_READY);
	/* The client's max_fragment_length made the server send 4 KiB records. */
	CHECK(nt_tls_max_fragment(&p.client) == 4096);
	CHECK(nt_tls_max_fragment(&p.server) == 4096);
	size_t n = 50000;
	uint8_t *m = malloc(n);
	for (size_t i = 0; i < n; i++)
		m[i] = (uint8_t)(i ^ (i >> 8));
	CHECK(transfer(&p.server, &p.client, m, n));
	CHECK(transfer(&p.client, &p.server, m, n));
	free(m);
	pair_free(&p);
}

TEST(small_server_small_client)
{
	pair p;
	CHECK(pair_init(&p, NT_TLS_BUF_SMALL, NT_TLS_BUF_SMALL, 0));
	CHECK(nt_tls_status(&p.client) == NT_TLS_READY);
	CHECK(nt_tls_status(&p.server) == NT_TLS_READY);
	size_t n = 30000;
	uint8_t *m = malloc(n);
	memset(m, 0x5a, n);
	CHECK(transfer(&p.server, &p.client, m, n));
	CHECK(transfer(&p.client, &p.server, m, n));
	free(m);
	pair_free(&p);
	/* The smallest buffer: 512-byte records. */
	CHECK(pair_init(&p, NT_TLS_BUF_MIN, NT_TLS_BUF_MIN, 0));
	CHECK(nt_tls_status(&p.server) == NT_TLS_READY);
	CHECK(nt_tls_max_fragment(&p.server) == 512);
	static const uint8_t hi[] = "hi";
	CHECK(transfer(&p.client, &p.server, hi, sizeof hi));
	pair_free(&p);
}

TEST(small_server_refuses_large_records)
{
	pair p;
	CHECK(pair_init(&p, NT_TLS_BUF_SMALL, NT_TLS_BUF_FULL, 0));
	/* The handshake itself fits (its records are small or clear). */
	CHECK(nt_tls_status(&p.client) == NT_TLS_READY);
	CHECK(nt_tls_status(&p.server) == NT_TLS_READY);
	size_t n = 16384;
	uint8_t *m = calloc(1, n);
	CHECK(!transfer(&p.client, &p.server, m, n));
	CHECK(nt_tls_status(&p.server) == NT_TLS_FAILED);
	CHECK(nt_tls_reason_of(&p.server, NULL) == NT_TLS_TOO_LARGE);
	free(m);
	pair_free(&p);
}

TEST(buffer_too_small_refused)
{
	nt_tls c;
	uint8_t buf[NT_TLS_BUF_MIN];
	CHECK_ERR(nt_tls_client_init(&c, NULL, buf, NT_TLS_BUF_MIN - 1, cr_rng_system()), CR_ERR_ARG);
	CHECK_ERR(nt_tls_client_init(&c, NULL, NULL, NT_TLS_BUF_FULL, cr_rng_system()), CR_ERR_ARG);
	CHECK_OK(nt_tls_client_init(&c, NULL, buf, NT_TLS_BUF_MIN, cr_rng_system()));
	nt_tls_wipe(&c);
}

static cr_err failing_fill(void *ctx, uint8_t *out, size_t n)
{
	(void)ctx;
	(void)out;
	(void)n;
	return CR_ERR_RANDOM;
}

TEST(random_failure_refused)
{
	nt_tls c;
	uint8_t *buf = malloc(NT_TLS_BUF_FULL);
	cr_rng bad = {failing_fill, NULL};
	CHECK_ERR(nt_tls_client_init(&c, NULL, buf, NT_TLS_BUF_FULL, &bad), CR_ERR_RANDOM);
	free(buf);
}

TEST(x25519_low_order_points_refused)
{
	const br_ec_impl *ec = nt_tls_ec();
	CHECK(ec->supported_curves == ((uint32_t)1 << BR_EC_curve25519 | (uint32_t)1 << BR_EC_secp256r1));
	uint8_t k[32];
	memset(k, 0x55, sizeof k);
	/* u = 0 and u = 1 are of small order: the product is all zeros. */
	uint8_t g[32] = {0};
	CHECK(ec->mul(g, sizeof g, k, sizeof k, BR_EC_curve25519) == 0);
	memset(g, 0, sizeof g);
	g[0] = 1;
	CHECK(ec->mul(g, sizeof g, k, sizeof k, BR_EC_curve25519) == 0);
	/* BearSSL alone accepts both (the reason for the wrapper). */
	memset(g, 0, sizeof g);
	CHECK(br_ec_get_default()->mul(g, sizeof g, k, sizeof k, BR_EC_curve25519) == 1);
	/* The base point u = 9 is fine. */
	memset(g, 0, sizeof g);
	g[0] = 9;
	CHECK(ec->mul(g, sizeof g, k, sizeof k, BR_EC_curve25519) == 1);
	/* Curves outside the policy are refused outright. */
	uint8_t r[133];
	CHECK(ec->mulgen(r, k, 32, BR_EC_secp384r1) == 0);
	CHECK(ec->mulgen(r, k, 32, BR_EC_secp256r1) == CR_P256_PUB_LEN);
}

TEST(plaintext_read_in_place)
{
	pair p;
	CHECK(pair_init(&p, NT_TLS_BUF_FULL, NT_TLS_BUF_LEN(2048), 0));
	size_t len = 1;
	CHECK(nt_tls_app_in(&p.server, &len) == NULL && len == 0);
	uint8_t msg[3000];
	for (size_t i = 0; i < sizeof msg; i++)
		msg[i] = (uint8_t)(i * 5 + 3);
	/* The client's records hold 2 KiB: one record, then the rest. */
	CHECK(nt_tls_push_plaintext(&p.client, msg, sizeof msg) == 2048);
	pump(p.client.eng, p.server.eng);
	/* Read in two bites. */
	const uint8_t *in = nt_tls_app_in(&p.server, &len);
	CHECK(in != NULL && len == 2048 && memcmp(in, msg, len) == 0);
	uint8_t *engine_bytes = (uint8_t *)(uintptr_t)in;
	nt_tls_app_in_done(&p.server, 0);
	CHECK(nt_tls_app_in(&p.server, &len) == in && len == 2048);
	nt_tls_app_in_done(&p.server, 1000);
	/* What was used is wiped in the engine's buffer. */
	size_t zero = 0;
	for (size_t i = 0; i < 1000; i++)
		zero += engine_bytes[i] == 0;
	CHECK(zero == 1000);
	in = nt_tls_app_in(&p.server, &len);
	CHECK(in != NULL && len == 1048 && memcmp(in, msg + 1000, len) == 0);
	nt_tls_app_in_done(&p.server, len + 5); /* more than there: only what is */
	CHECK(nt_tls_push_plaintext(&p.client, msg + 2048, sizeof msg - 2048) == sizeof msg - 2048);
	pump(p.client.eng, p.server.eng);
	in = nt_tls_app_in(&p.server, &len);
	CHECK(in != NULL && len == sizeof msg - 2048 && memcmp(in, msg + 2048, len) == 0);
	nt_tls_app_in_done(&p.server, len);
	CHECK(nt_tls_app_in(&p.server, &len) == NULL);
	pair_free(&p);
}

TEST(memory_figures)
{
	/* Not a limit, a record of what a connection costs (see tls.h). */
	t_note("sizeof(nt_tls) = %zu (server part %zu, client part %zu + pinner %zu)", sizeof(nt_tls),
	       sizeof(br_ssl_server_context), sizeof(br_ssl_client_context), sizeof(nt_tls_pinner));
	t_note("buffers: full %zu, small %zu, min %zu", (size_t)NT_TLS_BUF_FULL, (size_t)NT_TLS_BUF_SMALL,
	       (size_t)NT_TLS_BUF_MIN);
	CHECK(sizeof(nt_tls) < 8192);
	CHECK(NT_TLS_BUF_FULL == BR_SSL_BUFSIZE_BIDI);
}

static const t_case cases[] = {
	T(cert_parses_back_and_verifies),
	T(cert_spki_and_pin),
	T(cert_is_deterministic_per_key),
	T(pin_string_round_trip),
	T(cert_decode_rejects_truncated_and_oversized),
	T(cert_bad_private_key_refused),
	T(cred_refuses_a_foreign_certificate),
	T(handshake_data_and_exporter),
	T(chacha20_poly1305_suite),
	T(server_order_wins),
	T(p256_ecdhe_when_no_x25519),
	T(renegotiation_refused),
	T(zero_copy_calls_with_short_io),
	T(pinner_accepts_only_the_pinned_p256_key),
	T(exporter_refused_before_handshake),
	T(pin_mismatch_is_refused_distinctly),
	T(first_use_reports_the_pin),
	T(cbc_only_client_refused),
	T(rsa_only_client_refused),
	T(old_version_client_refused),
	T(client_without_common_curve_refused),
	T(tampered_record_fails_the_connection),
	T(small_client_full_server),
	T(small_server_small_client),
	T(small_server_refuses_large_records),
	T(buffer_too_small_refused),
	T(random_failure_refused),
	T(x25519_low_order_points_refused),
	T(plaintext_read_in_place),
	T(memory_figures),
	{0},
};

int main(int argc, char **argv)
{
	if (cr_init() != CR_OK)
		return 1;
	return t_main(argc, argv, cases);
}
