/*
 * test_nt_svr_loop.c: the real server loop (net/svr_loop.h) over TLS on
 * 127.0.0.1, in a thread, against BearSSL clients that pin the server key:
 * handshake with the allowed suites only, HELLO, registration and login bound
 * to the exporter, an oversized frame (error, close, the server goes on),
 * garbage instead of TLS, a client offering only CBC suites, TLS buffers
 * sized from the ClientHello (waited for whole, without spinning; a larger
 * record than asked for refused), and a clean stop.
 */
#include <arpa/inet.h>
#include <bearssl.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ed25519.h"
#include "frame.h"
#include "notify_q.h"
#include "online.h"
#include "svr_loop.h"
#include "t.h"
#include "cert.h"
#include "p256.h"
#include "tls.h"

typedef struct fixture {
	nt_server s;
	cr_rng_det det;
	cr_rng rng;
	int stop[2];
	pthread_t th;
	int port;
	cr_err run_err;
	uint8_t pub[CR_P256_PUB_LEN];
	uint8_t pin[NT_PIN_LEN];
} fixture;

static void *run(void *arg)
{
	fixture *f = arg;
	f->run_err = nt_server_run(&f->s);
	return NULL;
}

static bool start_full(fixture *f, cr_argon2_params argon, size_t hash_workers, size_t per_addr,
		       int64_t handshake_timeout)
{
	memset(f, 0, sizeof *f);
	uint8_t seed[32] = { 7 };
	cr_rng_det_init(&f->det, &f->rng, seed);
	if (!CHECK_OK(st_server_open(&f->s.db, ":memory:")))
		return false;
	f->s.cfg.policy = NT_POLICY_OPEN;
	f->s.cfg.frame_max = 1 << 16;
	f->s.cfg.argon = argon;
	f->s.hash_workers = hash_workers;
	f->s.max_conns_per_addr = per_addr;
	f->s.cfg.rng = &f->rng;
	f->s.max_conns = 16;
	f->s.handshake_timeout = handshake_timeout;
	uint8_t priv[CR_P256_PRIV_LEN], cert[NT_CERT_MAX];
	size_t cert_len;
	if (!CHECK_OK(cr_p256_keygen(priv, f->pub, &f->rng)) || !CHECK_OK(nt_cert_create(cert, &cert_len, priv)) ||
	    !CHECK_OK(nt_tls_cred_init(&f->s.cred, priv, cert, cert_len)))
		return false;
	nt_cert_pin(f->pin, f->pub);
	memcpy(f->s.cfg.server_pin, f->pin, sizeof f->pin);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0 };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t al = sizeof a;
	if (!CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && listen(fd, 16) == 0 &&
		   getsockname(fd, (struct sockaddr *)&a, &al) == 0))
		return false;
	f->port = ntohs(a.sin_port);
	f->s.listen_fd = fd;
	if (!CHECK(pipe(f->stop) == 0))
		return false;
	f->s.stop_fd = f->stop[0];
	return CHECK(pthread_create(&f->th, NULL, run, f) == 0);
}

static bool start_with(fixture *f, cr_argon2_params argon, size_t hash_workers, size_t per_addr)
{
	return start_full(f, argon, hash_workers, per_addr, 1);
}

static bool start(fixture *f)
{
	return start_with(f, (cr_argon2_params){ 1, 8 }, 0, 0);
}

static void stop(fixture *f)
{
	CHECK(write(f->stop[1], "x", 1) == 1);
	pthread_join(f->th, NULL);
	CHECK_OK(f->run_err);
	CHECK(f->s.n_conns == 0);
	close(f->stop[0]);
	close(f->stop[1]);
	close(f->s.listen_fd);
	st_server_close(f->s.db);
	nt_tls_cred_wipe(&f->s.cred);
}

static int tcp_connect(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int sock_read(void *ctx, unsigned char *buf, size_t len)
{
	ssize_t n = recv(*(int *)ctx, buf, len, 0);
	return n <= 0 ? -1 : (int)n;
}

static int sock_write(void *ctx, const unsigned char *buf, size_t len)
{
	ssize_t n = send(*(int *)ctx, buf, len, MSG_NOSIGNAL);
	return n <= 0 ? -1 : (int)n;
}

typedef struct tls_client {
	int fd;
	br_ssl_client_context cc;
	br_x509_knownkey_context kk;
	br_x509_minimal_context xc;
	br_sslio_context io;
	uint8_t iobuf[BR_SSL_BUFSIZE_BIDI];
	uint32_t id;
	uint16_t type;
	uint8_t body[4096];
	size_t body_n;
} tls_client;

static bool tls_connect(tls_client *c, fixture *f, const uint16_t *suites, size_t n_suites)
{
	memset(c, 0, sizeof *c);
	c->fd = tcp_connect(f->port);
	if (!CHECK(c->fd >= 0))
		return false;
	br_ec_public_key pk = { BR_EC_secp256r1, f->pub, CR_P256_PUB_LEN };
	br_ssl_client_init_full(&c->cc, &c->xc, NULL, 0);
	/* Pin the server key, as the client does after first use. */
	br_x509_knownkey_init_ec(&c->kk, &pk, BR_KEYTYPE_KEYX | BR_KEYTYPE_SIGN);
	br_ssl_engine_set_x509(&c->cc.eng, &c->kk.vtable);
	if (suites)
		br_ssl_engine_set_suites(&c->cc.eng, suites, n_suites);
	br_ssl_engine_set_buffer(&c->cc.eng, c->iobuf, sizeof c->iobuf, 1);
	br_ssl_client_reset(&c->cc, NULL, 0);
	br_sslio_init(&c->io, &c->cc.eng, sock_read, &c->fd, sock_write, &c->fd);
	return true;
}

static bool send_frame(tls_client *c, uint16_t type, const uint8_t *body, size_t n)
{
	uint8_t buf[4096];
	cr_writer w;
	cr_writer_init_fixed(&w, buf, sizeof buf);
	size_t m = nt_frame_begin(&w, type);
	cr_write_u32(&w, ++c->id);
	cr_write_bytes(&w, body, n);
	nt_frame_end(&w, m, 1 << 16);
	return cr_writer_error(&w) == CR_OK && br_sslio_write_all(&c->io, buf, w.len) == 0 &&
	       br_sslio_flush(&c->io) == 0;
}

static bool recv_frame(tls_client *c)
{
	uint8_t hdr[NT_FRAME_HDR_LEN];
	if (br_sslio_read_all(&c->io, hdr, sizeof hdr) != 0)
		return false;
	cr_reader r;
	cr_reader_init(&r, hdr, sizeof hdr);
	uint32_t len;
	if (cr_read_u32(&r, &len) || cr_read_u16(&r, &c->type) || len > sizeof c->body)
		return false;
	c->body_n = len;
	return br_sslio_read_all(&c->io, c->body, len) == 0;
}

static void tls_close(tls_client *c)
{
	close(c->fd);
}

static bool hello(tls_client *c, uint8_t nonce[NT_NONCE_LEN])
{
	if (!send_frame(c, NT_HELLO, (const uint8_t *)"\0\1\0\1\0", 5) || !recv_frame(c))
		return false;
	nt_hello_ok ok;
	if (c->type != NT_HELLO_OK || nt_read_hello_ok(c->body, c->body_n, &ok))
		return false;
	memcpy(nonce, ok.nonce, NT_NONCE_LEN);
	return true;
}

static bool auth(tls_client *c, uint16_t type, const uint8_t nonce[NT_NONCE_LEN], const uint8_t seed[32],
		 const uint8_t pub[32], const uint8_t pin[NT_PIN_LEN])
{
	uint8_t exp[NT_EXPORTER_LEN], msg[200], sig[64], b[512];
	/* The "with context" variant, empty context, as net/tls.c computes it. */
	static const uint8_t empty[1] = { 0 };
	if (!br_ssl_key_export(&c->cc.eng, exp, sizeof exp, NT_EXPORTER_LABEL, empty, 0))
		return false;
	cr_writer w;
	cr_writer_init_fixed(&w, msg, sizeof msg);
	bool reg = type == NT_REGISTER;
	nt_auth_message(&w, reg ? NT_LABEL_REGISTER : NT_LABEL_LOGIN, (const uint8_t *)"alice", 5, nonce, exp, pin);
	if (cr_writer_error(&w) || cr_ed25519_sign(sig, seed, msg, w.len))
		return false;
	cr_writer_init_fixed(&w, b, sizeof b);
	cr_write_opaque(&w, (const uint8_t *)"alice", 5);
	cr_write_opaque(&w, (const uint8_t *)"correct horse", 13);
	if (reg) {
		cr_write_opaque(&w, pub, 32);
		cr_write_opaque(&w, NULL, 0);
	}
	cr_write_opaque(&w, sig, 64);
	return cr_writer_error(&w) == CR_OK && send_frame(c, type, b, w.len) && recv_frame(c);
}

TEST(tls_register_login_and_hostile_clients)
{
	fixture f;
	if (!start(&f))
		return;
	uint8_t seed[32] = { 4 }, pub[32], nonce[NT_NONCE_LEN];
	CHECK_OK(cr_ed25519_public(pub, seed));
	static tls_client c;
	/* Garbage instead of a ClientHello: dropped, the server goes on. */
	int g = tcp_connect(f.port);
	CHECK(g >= 0);
	CHECK(send(g, "GET / HTTP/1.0\r\n\r\n", 18, MSG_NOSIGNAL) == 18);
	char tmp[64];
	/* Perhaps an alert, then EOF or a reset: the server closed it. */
	ssize_t got = 1;
	for (int i = 0; i < 10 && got > 0; i++)
		got = recv(g, tmp, sizeof tmp, 0);
	CHECK(got == 0 || (got < 0 && errno == ECONNRESET));
	close(g);
	/* A peer that never starts the handshake is dropped after the
	 * handshake time-out (1 s here), without a byte from the server. */
	g = tcp_connect(f.port);
	CHECK(g >= 0);
	time_t t0 = time(NULL);
	CHECK(recv(g, tmp, sizeof tmp, 0) == 0);
	CHECK(time(NULL) - t0 <= 4);
	close(g);
	/* Register then log in on a second connection. */
	if (tls_connect(&c, &f, NULL, 0)) {
		CHECK(hello(&c, nonce));
		CHECK(br_ssl_engine_get_version(&c.cc.eng) == BR_TLS12);
		uint16_t suite = c.cc.eng.session.cipher_suite;
		CHECK(suite == BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 ||
		      suite == BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256);
		CHECK(auth(&c, NT_REGISTER, nonce, seed, pub, f.pin));
		CHECK(c.type == NT_REGISTER_OK);
		tls_close(&c);
	}
	if (tls_connect(&c, &f, NULL, 0)) {
		CHECK(hello(&c, nonce));
		/* Signed for another server key (a relay): refused. */
		uint8_t relay_pin[NT_PIN_LEN];
		memcpy(relay_pin, f.pin, sizeof relay_pin);
		relay_pin[5] ^= 0x20;
		CHECK(auth(&c, NT_LOGIN, nonce, seed, pub, relay_pin));
		CHECK(c.type == NT_ERROR);
		CHECK(auth(&c, NT_LOGIN, nonce, seed, pub, f.pin));
		CHECK(c.type == NT_LOGIN_OK);
		/* Oversized frame: error, then the server closes. */
		uint8_t big[NT_FRAME_HDR_LEN] = { 0, 0x10, 0, 0, 0, NT_POST };
		CHECK(br_sslio_write_all(&c.io, big, sizeof big) == 0 && br_sslio_flush(&c.io) == 0);
		CHECK(recv_frame(&c));
		nt_error_body e;
		CHECK(c.type == NT_ERROR && nt_read_error(c.body, c.body_n, &e) == CR_OK && e.code == NT_E_TOO_LARGE);
		CHECK(!recv_frame(&c));
		tls_close(&c);
	}
	/* A client that offers only a CBC suite finds no common suite. */
	static const uint16_t cbc[] = { BR_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256 };
	if (tls_connect(&c, &f, cbc, 1)) {
		CHECK(!hello(&c, nonce));
		tls_close(&c);
	}
	/* ChaCha20-Poly1305 is accepted when the client prefers only it. */
	static const uint16_t chacha[] = { BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 };
	if (tls_connect(&c, &f, chacha, 1)) {
		CHECK(hello(&c, nonce));
		CHECK(c.cc.eng.session.cipher_suite == BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256);
		tls_close(&c);
	}
	/* A client with the wrong pinned key refuses the server. */
	fixture other;
	memset(&other, 0, sizeof other);
	other.port = f.port;
	uint8_t wrong_seed[32] = { 8 };
	cr_rng_det_init(&other.det, &other.rng, wrong_seed);
	uint8_t other_priv[CR_P256_PRIV_LEN];
	CHECK_OK(cr_p256_keygen(other_priv, other.pub, &other.rng));
	if (tls_connect(&c, &other, NULL, 0)) {
		CHECK(!hello(&c, nonce));
		tls_close(&c);
	}
	stop(&f);
}

/* True when c's socket has bytes to read right now. */
static bool readable(const tls_client *c)
{
	struct pollfd pf = { c->fd, POLLIN, 0 };
	return poll(&pf, 1, 0) == 1;
}

/* While logins wait for their (slow, one worker) hashes, a logged-in
 * client's request is answered: the hashes are off the loop thread. */
TEST(logins_hashing_do_not_stall_others)
{
	fixture f;
	/* ~tens of ms per hash, so three queue for a while on one worker. */
	if (!start_with(&f, (cr_argon2_params){ 3, 32 * 1024 }, 1, 0))
		return;
	uint8_t seed[32] = { 4 }, pub[32], nonce[NT_NONCE_LEN];
	CHECK_OK(cr_ed25519_public(pub, seed));
	static tls_client a, b[3];
	uint8_t bn[3][NT_NONCE_LEN];
	bool ok = tls_connect(&a, &f, NULL, 0) && CHECK(hello(&a, nonce)) &&
		  CHECK(auth(&a, NT_REGISTER, nonce, seed, pub, f.pin)) && CHECK(a.type == NT_REGISTER_OK) &&
		  CHECK(auth(&a, NT_LOGIN, nonce, seed, pub, f.pin)) && CHECK(a.type == NT_LOGIN_OK);
	for (int i = 0; ok && i < 3; i++)
		ok = tls_connect(&b[i], &f, NULL, 0) && CHECK(hello(&b[i], bn[i]));
	if (ok) {
		/* Three logins, answers not read yet... */
		for (int i = 0; i < 3; i++) {
			uint8_t exp[NT_EXPORTER_LEN], msg[200], sig[64], body[256];
			static const uint8_t empty[1] = { 0 };
			CHECK(br_ssl_key_export(&b[i].cc.eng, exp, sizeof exp, NT_EXPORTER_LABEL, empty, 0));
			cr_writer w;
			cr_writer_init_fixed(&w, msg, sizeof msg);
			nt_auth_message(&w, NT_LABEL_LOGIN, (const uint8_t *)"alice", 5, bn[i], exp, f.pin);
			CHECK_OK(cr_ed25519_sign(sig, seed, msg, w.len));
			cr_writer_init_fixed(&w, body, sizeof body);
			cr_write_opaque(&w, (const uint8_t *)"alice", 5);
			cr_write_opaque(&w, (const uint8_t *)"correct horse", 13);
			cr_write_opaque(&w, sig, 64);
			CHECK(send_frame(&b[i], NT_LOGIN, body, w.len));
		}
		/* ...then the logged-in client's request, sent after them, is
		 * answered while at least one of them is still hashing. */
		CHECK(send_frame(&a, NT_IDENTITY_FETCH, (const uint8_t *)"\5alice", 6) && recv_frame(&a));
		CHECK(a.type == NT_IDENTITY);
		int pending = 0;
		for (int i = 0; i < 3; i++)
			pending += !readable(&b[i]);
		CHECK(pending >= 1);
		/* And every login completes. */
		for (int i = 0; i < 3; i++)
			CHECK(recv_frame(&b[i]) && b[i].type == NT_LOGIN_OK);
	}
	tls_close(&a);
	for (int i = 0; i < 3; i++)
		if (b[i].fd > 0)
			tls_close(&b[i]);
	stop(&f);
}

/* A third connection from one address is refused while two are open; once
 * one closes, a new one is served. */
TEST(connections_per_address_capped)
{
	fixture f;
	if (!start_with(&f, (cr_argon2_params){ 1, 8 }, 0, 2))
		return;
	static tls_client c[3];
	uint8_t nonce[NT_NONCE_LEN];
	bool ok = tls_connect(&c[0], &f, NULL, 0) && CHECK(hello(&c[0], nonce)) && tls_connect(&c[1], &f, NULL, 0) &&
		  CHECK(hello(&c[1], nonce));
	if (ok) {
		int g = tcp_connect(f.port);
		CHECK(g >= 0);
		char tmp[16];
		/* Closed by the server without a byte. */
		CHECK(g >= 0 && recv(g, tmp, sizeof tmp, 0) == 0);
		if (g >= 0)
			close(g);
		tls_close(&c[0]);
		/* The server notices the close before it accepts the next one
		 * only once it has read EOF; retry a few times. */
		bool served = false;
		for (int i = 0; i < 20 && !served; i++) {
			if (!tls_connect(&c[2], &f, NULL, 0))
				break;
			served = hello(&c[2], nonce);
			tls_close(&c[2]);
		}
		CHECK(served);
		tls_close(&c[1]);
	}
	stop(&f);
}

TEST(online_registry)
{
	nt_online o;
	/* A tiny table, so that users share buckets. */
	if (!CHECK_OK(nt_online_init(&o, 1)))
		return;
	int conns[40];
	for (int i = 0; i < 40; i++)
		CHECK_OK(nt_online_add(&o, 1 + i % 20, &conns[i]));
	CHECK(o.count == 40);
	CHECK_ERR(nt_online_add(&o, 0, &conns[0]), CR_ERR_ARG);
	for (int64_t u = 1; u <= 20; u++)
		CHECK(nt_online_has(&o, u));
	CHECK(!nt_online_has(&o, 21) && !nt_online_has(&o, -1));
	/* User 3 has two connections; removing one keeps it online. */
	nt_online_remove(&o, 3, &conns[2]);
	CHECK(nt_online_has(&o, 3));
	nt_online_remove(&o, 3, &conns[2]); /* twice: harmless */
	nt_online_remove(&o, 4, &conns[2]); /* not its connection: no change */
	CHECK(o.count == 39);
	nt_online_remove(&o, 3, &conns[22]);
	CHECK(!nt_online_has(&o, 3) && nt_online_has(&o, 4) && o.count == 38);
	nt_online_free(&o);
	CHECK(!nt_online_has(&o, 4));
}

static void count_conn(void *ctx, void *conn)
{
	(void)conn;
	(*(int *)ctx)++;
}

TEST(online_each_visits_every_connection_of_user)
{
	nt_online o;
	if (!CHECK_OK(nt_online_init(&o, 1000)))
		return;
	int a, b, c;
	CHECK_OK(nt_online_add(&o, 7, &a));
	CHECK_OK(nt_online_add(&o, 7, &b));
	CHECK_OK(nt_online_add(&o, 8, &c));
	int n = 0;
	nt_online_each(&o, 7, count_conn, &n);
	CHECK(n == 2);
	n = 0;
	nt_online_each(&o, 9, count_conn, &n);
	CHECK(n == 0);
	nt_online_free(&o);
}

TEST(notify_queue_coalesces_and_is_bounded)
{
	static nt_notify_q q;
	nt_notify_q_init(&q);
	CHECK(nt_notify_q_push(&q, (const uint8_t *)"a", 1, 5));
	CHECK(nt_notify_q_push(&q, (const uint8_t *)"a", 1, 9));
	CHECK(nt_notify_q_push(&q, (const uint8_t *)"a", 1, 7)); /* older: kept at 9 */
	CHECK(q.n == 1 && q.e[0].position == 9);
	char gid[8];
	for (int i = 0; i < NT_NOTIFY_Q_MAX - 1; i++) {
		snprintf(gid, sizeof gid, "g%d", i);
		CHECK(nt_notify_q_push(&q, (const uint8_t *)gid, strlen(gid), (uint64_t)i + 1));
	}
	CHECK(q.n == NT_NOTIFY_Q_MAX);
	/* Full: a new group is dropped and counted; a queued one coalesces. */
	CHECK(!nt_notify_q_push(&q, (const uint8_t *)"new", 3, 1));
	CHECK(nt_notify_q_push(&q, (const uint8_t *)"g0", 2, 100));
	CHECK(!nt_notify_q_push(&q, (const uint8_t *)"", 0, 1));
	CHECK(q.dropped == 2 && q.n == NT_NOTIFY_Q_MAX);
	/* Flushed as NOTIFY frames, oldest first, then empty. */
	cr_writer w;
	cr_writer_init_dynamic(&w, 1 << 16);
	nt_notify_q_flush(&q, &w, 1 << 16);
	CHECK_OK(cr_writer_error(&w));
	CHECK(q.n == 0);
	nt_frame_parser fp;
	nt_parser_init(&fp, 1 << 16);
	cr_reader r;
	cr_reader_init(&r, w.p, w.len);
	int frames = 0;
	for (int i = 0; i < 2 * NT_NOTIFY_Q_MAX; i++) {
		bool got = false;
		nt_frame f;
		if (nt_parser_feed(&fp, &r, &got, &f) != CR_OK || !got)
			break;
		cr_reader b;
		cr_reader_init(&b, f.body.p, f.body.n);
		uint32_t id;
		cr_span g;
		uint64_t pos;
		CHECK(f.type == NT_NOTIFY && cr_read_u32(&b, &id) == CR_OK && id == 0 &&
		      cr_read_opaque(&b, NT_GROUP_ID_MAX, &g) == CR_OK && cr_read_u64(&b, &pos) == CR_OK &&
		      cr_reader_end(&b) == CR_OK);
		if (frames == 0)
			CHECK(g.n == 1 && g.p[0] == 'a' && pos == 9);
		if (frames == 1)
			CHECK(g.n == 2 && !memcmp(g.p, "g0", 2) && pos == 100);
		frames++;
	}
	CHECK(frames == NT_NOTIFY_Q_MAX);
	nt_parser_free(&fp);
	cr_writer_free(&w);
}

static bool login_conn(tls_client *c, fixture *f, const uint8_t seed[32], const uint8_t pub[32], bool reg)
{
	uint8_t nonce[NT_NONCE_LEN];
	if (!tls_connect(c, f, NULL, 0) || !CHECK(hello(c, nonce)))
		return false;
	if (reg && !(CHECK(auth(c, NT_REGISTER, nonce, seed, pub, f->pin)) && CHECK(c->type == NT_REGISTER_OK)))
		return false;
	return CHECK(auth(c, NT_LOGIN, nonce, seed, pub, f->pin)) && CHECK(c->type == NT_LOGIN_OK);
}

static bool post_app(tls_client *c, const char *msg)
{
	uint8_t b[128];
	cr_writer w;
	cr_writer_init_fixed(&w, b, sizeof b);
	cr_write_opaque(&w, (const uint8_t *)"g", 1);
	cr_write_u8(&w, NT_KIND_APPLICATION);
	cr_write_u64(&w, 0);
	cr_write_varint(&w, 0);
	cr_write_varint(&w, 0);
	cr_write_opaque(&w, (const uint8_t *)msg, strlen(msg));
	cr_write_varint(&w, 0);
	return cr_writer_error(&w) == CR_OK && send_frame(c, NT_POST, b, w.len);
}

/* The NOTIFY in c->body: position, for group "g". */
static bool notify_pos(const tls_client *c, uint64_t *pos)
{
	cr_reader r;
	cr_reader_init(&r, c->body, c->body_n);
	uint32_t id;
	cr_span g;
	return c->type == NT_NOTIFY && cr_read_u32(&r, &id) == CR_OK && id == 0 &&
	       cr_read_opaque(&r, NT_GROUP_ID_MAX, &g) == CR_OK && g.n == 1 && g.p[0] == 'g' &&
	       cr_read_u64(&r, pos) == CR_OK && cr_reader_end(&r) == CR_OK;
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One user on three connections: the one that posts gets answers only, a
 * reading one gets NOTIFYs, and one that never reads stalls nobody. */
TEST(notify_fan_out_over_the_loop)
{
	fixture f;
	if (!start(&f))
		return;
	uint8_t seed[32] = { 4 }, pub[32];
	CHECK_OK(cr_ed25519_public(pub, seed));
	static tls_client origin, reader, sleeper;
	bool ok = login_conn(&origin, &f, seed, pub, true) && login_conn(&reader, &f, seed, pub, false) &&
		  login_conn(&sleeper, &f, seed, pub, false);
	if (ok)
		ok = CHECK(send_frame(&origin, NT_GROUP_CREATE, (const uint8_t *)"\1g", 2) && recv_frame(&origin) &&
			   origin.type == NT_GROUP_CREATE_OK);
	if (ok) {
		CHECK(post_app(&origin, "first") && recv_frame(&origin) && origin.type == NT_POST_OK);
		uint64_t pos = 0;
		CHECK(recv_frame(&reader) && notify_pos(&reader, &pos) && pos == 1);
		/* A burst: every post is answered in time although `sleeper`
		 * reads nothing; the origin sees no NOTIFY of its own posts. */
		enum { BURST = 300 };
		int64_t t0 = mono_ms();
		int answered = 0;
		for (int i = 0; i < BURST; i++) {
			if (!post_app(&origin, "burst") || !recv_frame(&origin))
				break;
			answered += origin.type == NT_POST_OK;
		}
		int64_t ms = mono_ms() - t0;
		CHECK(answered == BURST);
		CHECK(ms < 20000);
		t_note("%d posts fanned out to 2 connections in %lld ms", BURST, (long long)ms);
		/* The reader catches up to the last position, in at most one
		 * NOTIFY per post (coalesced when they queue up). */
		int notifies = 0;
		uint64_t last = 0;
		while (last < 1 + BURST && notifies <= BURST && recv_frame(&reader) && notify_pos(&reader, &last))
			notifies++;
		CHECK(last == 1 + BURST);
		CHECK(notifies >= 1 && notifies <= BURST);
		t_note("reader got %d NOTIFY frames for %d posts", notifies, BURST);
		CHECK(send_frame(&origin, NT_GROUPS_LIST, NULL, 0) && recv_frame(&origin) && origin.type == NT_GROUPS);
	}
	tls_close(&origin);
	tls_close(&reader);
	tls_close(&sleeper);
	stop(&f);
}

/* A frame of n bytes of body (an unknown type: answered UNEXPECTED, the
 * connection stays), written through TLS in records of the engine's size. */
static bool send_big(tls_client *c, size_t n)
{
	uint8_t *buf = malloc(NT_FRAME_HDR_LEN + 4 + n);
	if (!buf)
		return false;
	cr_writer w;
	cr_writer_init_fixed(&w, buf, NT_FRAME_HDR_LEN + 4 + n);
	size_t m = nt_frame_begin(&w, 0x7f00);
	cr_write_u32(&w, ++c->id);
	for (size_t i = 0; i < n; i++)
		cr_write_u8(&w, (uint8_t)i);
	nt_frame_end(&w, m, 1 << 16);
	bool ok = cr_writer_error(&w) == CR_OK && br_sslio_write_all(&c->io, buf, w.len) == 0 &&
		  br_sslio_flush(&c->io) == 0;
	free(buf);
	return ok;
}

/* Connects a client that asks for 2 KiB records (whatever its buffer, so
 * that it can break its word) and sends its ClientHello in pieces. */
static bool drip_connect(tls_client *c, fixture *f, size_t pieces)
{
	if (!tls_connect(c, f, NULL, 0))
		return false;
	c->cc.eng.log_max_frag_len = 11;
	c->cc.eng.max_frag_len = 2048;
	if (!CHECK(br_ssl_client_reset(&c->cc, NULL, 0)))
		return false;
	size_t len;
	unsigned char *p = br_ssl_engine_sendrec_buf(&c->cc.eng, &len);
	if (!CHECK(p != NULL && len > pieces))
		return false;
	for (size_t i = 0, step = len / pieces; i < len; i += step) {
		size_t k = len - i < step ? len - i : step;
		if (!CHECK(send(c->fd, p + i, k, MSG_NOSIGNAL) == (ssize_t)k))
			return false;
		struct timespec ts = { 0, 30 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	br_ssl_engine_sendrec_ack(&c->cc.eng, len);
	return true;
}

static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The server sizes a connection's TLS buffer from the client's first
 * record, which it waits for whole, without spinning. */
TEST(first_record_sizes_the_tls_buffer)
{
	fixture f;
	/* The time-out counts whole seconds: 1 s could end a slow hello
	 * early, so this server waits 5 s. */
	if (!start_full(&f, (cr_argon2_params){ 1, 8 }, 0, 0, 5))
		return;
	static tls_client c;
	uint8_t nonce[NT_NONCE_LEN];
	/* A hello that comes in pieces is waited for; 2 KiB records carry a
	 * frame of several records. */
	if (drip_connect(&c, &f, 5)) {
		CHECK(hello(&c, nonce));
		CHECK(c.cc.eng.max_frag_len == 2048);
		CHECK(send_big(&c, 10000) && recv_frame(&c) && c.type == NT_ERROR);
		/* A record larger than the 2 KiB it asked for: the server's
		 * buffer cannot take it, TLS fails, the connection goes. */
		c.cc.eng.max_frag_len = 16384;
		CHECK(send_big(&c, 10000));
		CHECK(!recv_frame(&c));
		tls_close(&c);
	}
	/* A client that asks for nothing sends 16 KiB records at will. */
	if (tls_connect(&c, &f, NULL, 0)) {
		CHECK(hello(&c, nonce));
		CHECK(send_big(&c, 10000) && recv_frame(&c) && c.type == NT_ERROR);
		tls_close(&c);
	}
	stop(&f);
	if (!start(&f))
		return;
	/* Part of a hello, then silence: dropped at the handshake time-out
	 * (1 s here), and the wait costs no CPU (no busy loop). */
	int g = tcp_connect(f.port);
	static const uint8_t part[] = { 22, 3, 3, 0, 80, 1, 0, 0 };
	CHECK(g >= 0 && send(g, part, sizeof part, MSG_NOSIGNAL) == (ssize_t)sizeof part);
	char tmp[64];
	double cpu0 = cpu_s();
	int64_t t0 = mono_ms();
	ssize_t got = recv(g, tmp, sizeof tmp, 0);
	/* EOF, or a reset: the server closed with the bytes unread. */
	CHECK(got == 0 || (got < 0 && errno == ECONNRESET));
	int64_t waited = mono_ms() - t0;
	double cpu = cpu_s() - cpu0;
	CHECK(waited >= 500 && waited <= 4000);
	if (!CHECK(cpu < 0.3 * (double)waited / 1000.0))
		t_note("%.3f s of CPU while waiting %lld ms", cpu, (long long)waited);
	close(g);
	/* Part of a hello, then the peer hangs up: dropped at once. */
	g = tcp_connect(f.port);
	CHECK(g >= 0 && send(g, part, sizeof part, MSG_NOSIGNAL) == (ssize_t)sizeof part);
	t0 = mono_ms();
	CHECK(shutdown(g, SHUT_WR) == 0);
	got = recv(g, tmp, sizeof tmp, 0);
	CHECK(got == 0 || (got < 0 && errno == ECONNRESET));
	CHECK(mono_ms() - t0 < 900);
	close(g);
	/* The server still serves. */
	if (tls_connect(&c, &f, NULL, 0)) {
		CHECK(hello(&c, nonce));
		tls_close(&c);
	}
	stop(&f);
}

static const t_case cases[] = {
	T(tls_register_login_and_hostile_clients), T(logins_hashing_do_not_stall_others),
	T(connections_per_address_capped), T(online_registry), T(online_each_visits_every_connection_of_user),
	T(notify_queue_coalesces_and_is_bounded), T(notify_fan_out_over_the_loop),
	T(first_record_sizes_the_tls_buffer), { 0 },
};

int main(int argc, char **argv)
{
	CHECK_OK(cr_init());
	return t_main(argc, argv, cases);
}
