/*
 * test_nt_tls_hello.c: the ClientHello peek (net/tls_hello.h) over BearSSL's
 * real hellos and hand-built ones, and a server whose buffer was sized from
 * it: the handshake completes, data flows at the asked size, and a client
 * that then sends a larger record is refused. Negative cases: every prefix
 * waits, every broken field and shape gives no size.
 */
#include <stdlib.h>
#include <string.h>

#include <bearssl.h>

#include "cert.h"
#include "codec.h"
#include "p256.h"
#include "rng.h"
#include "t.h"
#include "tls.h"
#include "tls_hello.h"

/* ---- fixtures ------------------------------------------------------------- */

/* The ClientHello record BearSSL's client sends with a buf_len buffer. */
static size_t real_hello(size_t buf_len, uint8_t *out, size_t cap)
{
	nt_tls c;
	uint8_t seed[32] = {9};
	cr_rng_det det;
	cr_rng rng;
	uint8_t *buf = malloc(buf_len);
	size_t n = 0;
	cr_rng_det_init(&det, &rng, seed);
	if (buf && nt_tls_client_init(&c, NULL, buf, buf_len, &rng) == CR_OK) {
		n = nt_tls_pull_ciphertext(&c, out, cap);
		nt_tls_wipe(&c);
	}
	free(buf);
	return n;
}

/* Extensions to put into a built hello: type, then data. */
typedef struct ext {
	uint16_t type;
	const uint8_t *data;
	size_t len;
} ext;

/* A single-record ClientHello; with_exts false leaves the extensions block
 * out altogether. */
static size_t built_hello(uint8_t *out, size_t cap, const ext *e, size_t n_ext, bool with_exts)
{
	cr_writer w;
	cr_writer_init_fixed(&w, out, cap);
	cr_write_u8(&w, 22);
	cr_write_u16(&w, 0x0301);
	size_t rec_len_at = w.len;
	cr_write_u16(&w, 0);
	cr_write_u8(&w, 1);
	size_t hs_len_at = w.len;
	cr_write_u8(&w, 0);
	cr_write_u16(&w, 0);
	cr_write_u16(&w, 0x0303);
	for (int i = 0; i < 32; i++)
		cr_write_u8(&w, (uint8_t)i);
	cr_write_u8(&w, 0);             /* session id */
	cr_write_u16(&w, 4);            /* two suites */
	cr_write_u16(&w, 0xc02b);
	cr_write_u16(&w, 0xcca9);
	cr_write_u8(&w, 1);             /* compression: null */
	cr_write_u8(&w, 0);
	if (with_exts) {
		size_t total = 0;
		for (size_t i = 0; i < n_ext; i++)
			total += 4 + e[i].len;
		cr_write_u16(&w, (uint16_t)total);
		for (size_t i = 0; i < n_ext; i++) {
			cr_write_u16(&w, e[i].type);
			cr_write_u16(&w, (uint16_t)e[i].len);
			cr_write_bytes(&w, e[i].data, e[i].len);
		}
	}
	if (cr_writer_error(&w) != CR_OK)
		return 0;
	size_t rec = w.len - 5, hs = rec - 4;
	out[rec_len_at] = (uint8_t)(rec >> 8);
	out[rec_len_at + 1] = (uint8_t)rec;
	out[hs_len_at] = (uint8_t)(hs >> 16);
	out[hs_len_at + 1] = (uint8_t)(hs >> 8);
	out[hs_len_at + 2] = (uint8_t)hs;
	return w.len;
}

static cr_err frag_of(const uint8_t *p, size_t n, size_t *frag)
{
	size_t need;
	return nt_tls_hello_frag(p, n, frag, &need);
}

/* ---- the decoder ---------------------------------------------------------- */

TEST(bearssl_hellos_ask_their_buffer_size)
{
	static const size_t frags[] = {512, 1024, 2048, 4096};
	uint8_t h[NT_TLS_HELLO_MAX];
	for (size_t i = 0; i < sizeof frags / sizeof frags[0]; i++) {
		size_t n = real_hello(NT_TLS_BUF_LEN(frags[i]), h, sizeof h);
		size_t frag = 0;
		CHECK(n > 50);
		CHECK_OK(frag_of(h, n, &frag));
		CHECK(frag == frags[i]);
	}
	/* A full buffer asks for nothing. */
	size_t n = real_hello(NT_TLS_BUF_FULL, h, sizeof h), frag = 0;
	CHECK_OK(frag_of(h, n, &frag));
	CHECK(frag == NT_TLS_HELLO_FRAG_DEFAULT);
	/* Bytes after the first record (the next records) do not matter. */
	uint8_t more[NT_TLS_HELLO_MAX + 64];
	n = real_hello(NT_TLS_BUF_LEN(1024), more, sizeof more);
	memset(more + n, 0xee, 64);
	CHECK_OK(frag_of(more, n + 64, &frag));
	CHECK(frag == 1024);
}

TEST(every_prefix_waits_for_the_whole_record)
{
	uint8_t h[NT_TLS_HELLO_MAX];
	size_t n = real_hello(NT_TLS_BUF_LEN(2048), h, sizeof h);
	CHECK(n > 5);
	size_t bad = 0;
	for (size_t k = 0; k < n; k++) {
		size_t frag = 1, need = 0;
		cr_err e = nt_tls_hello_frag(k ? h : NULL, k, &frag, &need);
		size_t want = k < 5 ? 5 : n;
		bad += e != CR_ERR_TRUNCATED || need != want || frag != NT_TLS_HELLO_FRAG_DEFAULT;
	}
	CHECK(bad == 0);
}

TEST(hand_built_hellos)
{
	uint8_t h[NT_TLS_HELLO_MAX], code;
	size_t n, frag;
	static const uint8_t sni[] = {0, 5, 0, 0, 2, 'h', 'i'};
	ext e[3] = {{0, sni, sizeof sni}, {1, &code, 1}, {0xff01, (const uint8_t *)"", 0}};
	for (code = 1; code <= 4; code++) {
		n = built_hello(h, sizeof h, e, 3, true);
		CHECK_OK(frag_of(h, n, &frag));
		CHECK(frag == (size_t)256 << code);
	}
	/* No extensions block, an empty one, one without max_fragment_length. */
	n = built_hello(h, sizeof h, NULL, 0, false);
	CHECK_OK(frag_of(h, n, &frag));
	CHECK(frag == NT_TLS_HELLO_FRAG_DEFAULT);
	n = built_hello(h, sizeof h, NULL, 0, true);
	CHECK_OK(frag_of(h, n, &frag));
	CHECK(frag == NT_TLS_HELLO_FRAG_DEFAULT);
	n = built_hello(h, sizeof h, e, 1, true);
	CHECK_OK(frag_of(h, n, &frag));
	CHECK(frag == NT_TLS_HELLO_FRAG_DEFAULT);
}

TEST(bad_max_fragment_length_gives_no_size)
{
	uint8_t h[NT_TLS_HELLO_MAX], code;
	static const uint8_t two[] = {2, 2};
	size_t n, frag;
	ext e[2] = {{1, &code, 1}, {1, &code, 1}};
	static const uint8_t codes[] = {0, 5, 255};
	for (size_t i = 0; i < sizeof codes; i++) {
		code = codes[i];
		n = built_hello(h, sizeof h, e, 1, true);
		CHECK_ERR(frag_of(h, n, &frag), CR_ERR_MALFORMED);
		CHECK(frag == NT_TLS_HELLO_FRAG_DEFAULT);
	}
	code = 2;
	n = built_hello(h, sizeof h, e, 2, true); /* twice */
	CHECK_ERR(frag_of(h, n, &frag), CR_ERR_MALFORMED);
	ext e2 = {1, two, 2}, e0 = {1, two, 0};  /* two bytes, none */
	n = built_hello(h, sizeof h, &e2, 1, true);
	CHECK_ERR(frag_of(h, n, &frag), CR_ERR_MALFORMED);
	n = built_hello(h, sizeof h, &e0, 1, true);
	CHECK_ERR(frag_of(h, n, &frag), CR_ERR_MALFORMED);
}

/* One field of a good hello changed at a time. */
TEST(broken_fields_give_no_size)
{
	uint8_t good[NT_TLS_HELLO_MAX], h[NT_TLS_HELLO_MAX], code = 3;
	ext e = {1, &code, 1};
	size_t n = built_hello(good, sizeof good, &e, 1, true), frag;
	CHECK_OK(frag_of(good, n, &frag));
	/* offsets: 0 type, 1 version, 3 record length, 5 hs type, 6 hs length,
	 * 9 client version, 11 random, 43 session id length, 44 suites length,
	 * 50 compression length, 52 extensions length */
	static const struct { size_t at; uint8_t v; cr_err want; } cases[] = {
		{0, 23, CR_ERR_MALFORMED},  /* application data */
		{0, 0x80, CR_ERR_MALFORMED}, /* an SSLv2-format hello starts so */
		{1, 2, CR_ERR_MALFORMED},   /* record major version */
		{5, 2, CR_ERR_MALFORMED},   /* ServerHello */
		{8, 0xff, CR_ERR_MALFORMED}, /* handshake length past the record */
		{9, 4, CR_ERR_MALFORMED},   /* client major version */
		{43, 33, CR_ERR_MALFORMED}, /* session id longer than 32 */
		{45, 3, CR_ERR_MALFORMED},  /* odd suites length */
		{45, 0, CR_ERR_MALFORMED},  /* no suite */
		{50, 0, CR_ERR_MALFORMED},  /* no compression method */
		{53, 0xff, CR_ERR_MALFORMED}, /* extensions past the end */
		{53, 4, CR_ERR_MALFORMED},  /* extensions shorter than the rest */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		memcpy(h, good, n);
		h[cases[i].at] = cases[i].v;
		cr_err got = frag_of(h, n, &frag);
		if (!CHECK(got == cases[i].want))
			t_note("offset %zu value %u gave %d", cases[i].at, cases[i].v, (int)got);
		CHECK(frag == NT_TLS_HELLO_FRAG_DEFAULT);
	}
	/* A byte past the ClientHello inside the record. */
	memcpy(h, good, n);
	h[n] = 0;
	h[4]++;
	CHECK_ERR(frag_of(h, n + 1, &frag), CR_ERR_MALFORMED);
	/* The hello split over two records: the first holds only part. */
	memcpy(h, good, n);
	h[3] = 0;
	h[4] = 20;
	CHECK_ERR(frag_of(h, n, &frag), CR_ERR_MALFORMED);
	/* A record too short for a handshake header. */
	static const uint8_t tiny[] = {22, 3, 1, 0, 3, 1, 0, 0};
	CHECK_ERR(frag_of(tiny, sizeof tiny, &frag), CR_ERR_MALFORMED);
}

TEST(long_records_give_no_size)
{
	uint8_t h[NT_TLS_HELLO_MAX], code = 1, pad[1200] = {0};
	size_t frag, need;
	/* Longer than the peek: not waited for. */
	static const uint8_t big[] = {22, 3, 1, 0x40, 0x00};
	CHECK_ERR(nt_tls_hello_frag(big, sizeof big, &frag, &need), CR_ERR_LIMIT);
	CHECK(need == 0 && frag == NT_TLS_HELLO_FRAG_DEFAULT);
	/* Asks for 512-byte records in a 1.2 KB record: a buffer of that size
	 * could not even receive it. */
	ext e[2] = {{1, &code, 1}, {21, pad, sizeof pad}};
	size_t n = built_hello(h, sizeof h, e, 2, true);
	CHECK(n > 1200);
	CHECK_ERR(frag_of(h, n, &frag), CR_ERR_LIMIT);
	CHECK(frag == NT_TLS_HELLO_FRAG_DEFAULT);
	code = 2; /* 1,024: still too small */
	n = built_hello(h, sizeof h, e, 2, true);
	CHECK_ERR(frag_of(h, n, &frag), CR_ERR_LIMIT);
	code = 3; /* 2,048 holds it */
	n = built_hello(h, sizeof h, e, 2, true);
	CHECK_OK(frag_of(h, n, &frag));
	CHECK(frag == 2048);
}

/* ---- a server sized by the peek ------------------------------------------- */

typedef struct sized {
	nt_tls_cred cred;
	nt_tls server, client;
	uint8_t *sbuf, *cbuf;
	size_t frag;
} sized;

/* Moves what from has to send into to; returns the count. */
static size_t move_one(nt_tls *from, nt_tls *to)
{
	size_t len;
	const uint8_t *p = nt_tls_send_buf(from, &len);
	if (!p)
		return 0;
	size_t took = nt_tls_push_ciphertext(to, p, len);
	nt_tls_send_done(from, took);
	return took;
}

static void move_all(nt_tls *a, nt_tls *b)
{
	for (int i = 0; i < 1000; i++)
		if (move_one(a, b) + move_one(b, a) == 0)
			break;
}

/* A client with a cbuf_len buffer and a server whose buffer is sized from
 * the client's hello alone. log_frag, when not 0, makes the client ask for
 * and send records of that size whatever its buffer (so that a full-size
 * client can break its word later). */
static bool sized_init(sized *s, size_t cbuf_len, unsigned log_frag)
{
	uint8_t seed[32] = {4}, priv[CR_P256_PRIV_LEN], pub[CR_P256_PUB_LEN], cert[NT_CERT_MAX];
	uint8_t pin[NT_CERT_PIN_LEN], hello[NT_TLS_HELLO_MAX];
	size_t cert_len, need;
	cr_rng_det det;
	cr_rng rng;
	memset(s, 0, sizeof *s);
	cr_rng_det_init(&det, &rng, seed);
	if (cr_p256_keygen(priv, pub, &rng) != CR_OK || nt_cert_create(cert, &cert_len, priv) != CR_OK ||
	    nt_tls_cred_init(&s->cred, priv, cert, cert_len) != CR_OK)
		return false;
	nt_cert_pin(pin, pub);
	s->cbuf = malloc(cbuf_len);
	if (!s->cbuf || nt_tls_client_init(&s->client, pin, s->cbuf, cbuf_len, &rng) != CR_OK)
		return false;
	if (log_frag) {
		s->client.eng->log_max_frag_len = (unsigned char)log_frag;
		s->client.eng->max_frag_len = (uint16_t)(1u << log_frag);
		if (!br_ssl_client_reset(&s->client.u.client.cc, NULL, 0))
			return false;
	}
	/* The peek: the hello stays "in the socket" (the client's buffer). */
	size_t len;
	const uint8_t *p = nt_tls_send_buf(&s->client, &len);
	if (!p || len > sizeof hello)
		return false;
	memcpy(hello, p, len);
	if (nt_tls_hello_frag(hello, len, &s->frag, &need) != CR_OK)
		return false;
	s->sbuf = malloc(NT_TLS_BUF_LEN(s->frag));
	if (!s->sbuf ||
	    nt_tls_server_init(&s->server, &s->cred, s->sbuf, NT_TLS_BUF_LEN(s->frag), &rng) != CR_OK)
		return false;
	move_all(&s->client, &s->server);
	return nt_tls_status(&s->server) == NT_TLS_READY && nt_tls_status(&s->client) == NT_TLS_READY;
}

static void sized_free(sized *s)
{
	nt_tls_wipe(&s->server);
	nt_tls_wipe(&s->client);
	nt_tls_cred_wipe(&s->cred);
	free(s->sbuf);
	free(s->cbuf);
}

/* Sends n bytes a -> b; true when all arrived intact. */
static bool send_through(nt_tls *a, nt_tls *b, size_t n)
{
	uint8_t *m = malloc(n), *got = malloc(n);
	size_t sent = 0, recvd = 0;
	for (size_t i = 0; i < n; i++)
		m[i] = (uint8_t)(i * 7 + 1);
	for (int i = 0; i < 10000 && recvd < n && nt_tls_status(b) == NT_TLS_READY; i++) {
		sent += nt_tls_push_plaintext(a, m + sent, n - sent);
		move_all(a, b);
		recvd += nt_tls_pull_plaintext(b, got + recvd, n - recvd);
	}
	bool ok = recvd == n && memcmp(m, got, n) == 0;
	free(m);
	free(got);
	return ok;
}

TEST(server_sized_by_the_hello_serves_it)
{
	static const unsigned logs[] = {9, 10, 11, 12};
	for (size_t i = 0; i < sizeof logs / sizeof logs[0]; i++) {
		sized s;
		CHECK(sized_init(&s, NT_TLS_BUF_LEN((size_t)1 << logs[i]), 0));
		CHECK(s.frag == (size_t)1 << logs[i]);
		CHECK(nt_tls_max_fragment(&s.server) == s.frag);
		CHECK(nt_tls_max_fragment(&s.client) == s.frag);
		CHECK(send_through(&s.client, &s.server, 40000));
		CHECK(send_through(&s.server, &s.client, 40000));
		sized_free(&s);
	}
}

TEST(larger_record_than_negotiated_is_refused)
{
	sized s;
	CHECK(sized_init(&s, NT_TLS_BUF_FULL, 11));
	CHECK(nt_tls_max_fragment(&s.client) == 2048);
	CHECK(s.frag == 2048);
	CHECK(send_through(&s.client, &s.server, 2048));
	/* The client breaks its word: 16 KiB records from now on. */
	s.client.eng->max_frag_len = 16384;
	CHECK(!send_through(&s.client, &s.server, 16384));
	CHECK(nt_tls_status(&s.server) == NT_TLS_FAILED);
	CHECK(nt_tls_reason_of(&s.server, NULL) == NT_TLS_TOO_LARGE);
	sized_free(&s);
}

static const t_case cases[] = {
	T(bearssl_hellos_ask_their_buffer_size),
	T(every_prefix_waits_for_the_whole_record),
	T(hand_built_hellos),
	T(bad_max_fragment_length_gives_no_size),
	T(broken_fields_give_no_size),
	T(long_records_give_no_size),
	T(server_sized_by_the_hello_serves_it),
	T(larger_record_than_negotiated_is_refused),
	{0},
};

int main(int argc, char **argv)
{
	if (cr_init() != CR_OK)
		return 1;
	return t_main(argc, argv, cases);
}
