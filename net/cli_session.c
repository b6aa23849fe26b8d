/*
 * cli_session.c: the blocking client session (net/cli_session.h): a socket,
 * poll with a deadline, BearSSL through net/tls.h, frames through
 * net/cli_conn.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cli_session.h"
#include "svr_conn.h"
#include "wipe.h"

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static cr_err fail(nt_cli_session *s, nt_cs_fail f, cr_err e, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static cr_err fail(nt_cli_session *s, nt_cs_fail f, cr_err e, const char *fmt, ...)
{
	s->fail = f;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->err, sizeof s->err, fmt, ap);
	va_end(ap);
	return e;
}

const char *nt_cs_fail_str(nt_cs_fail f)
{
	switch (f) {
	case NT_CS_OK: return "ok";
	case NT_CS_REFUSED: return "connection refused";
	case NT_CS_TIMEOUT: return "timed out";
	case NT_CS_TLS: return "TLS failure";
	case NT_CS_CLOSED: return "connection closed by the server";
	case NT_CS_PROTOCOL: return "protocol violation";
	case NT_CS_SERVER: return "server error";
	case NT_CS_LOCAL: return "local failure";
	}
	return "?";
}

static cr_err tls_failed(nt_cli_session *s)
{
	s->tls_reason = nt_tls_reason_of(&s->tls, NULL);
	if (s->tls_reason == NT_TLS_PIN_MISMATCH || s->tls_reason == NT_TLS_BAD_CERT) {
		uint8_t pin[NT_PIN_LEN];
		if (nt_tls_peer_pin(&s->tls, pin) == CR_OK) {
			memcpy(s->pin, pin, sizeof pin);
			s->have_pin = true;
		}
	}
	if (s->tls_reason == NT_TLS_PIN_MISMATCH) {
		char got[NT_CERT_PIN_STR_LEN];
		nt_cert_pin_str(got, s->pin);
		return fail(s, NT_CS_TLS, CR_ERR_AUTH, "server key does not match the pin (server presented %s)", got);
	}
	return fail(s, NT_CS_TLS, CR_ERR_STATE, "TLS: %s", nt_tls_reason_str(s->tls_reason));
}

/* One round of I/O: sends what TLS has to send, reads what it can take,
 * waiting up to wait_ms for either (0: only what is there now). */
static cr_err pump_io(nt_cli_session *s, int64_t wait_ms)
{
	size_t rlen = 0, wlen = 0;
	uint8_t *rb = nt_tls_recv_buf(&s->tls, &rlen);
	const uint8_t *wb = nt_tls_send_buf(&s->tls, &wlen);
	if (!rb && !wb) {
		nt_tls_state st = nt_tls_status(&s->tls);
		if (st == NT_TLS_FAILED)
			return tls_failed(s);
		return fail(s, NT_CS_CLOSED, CR_ERR_STATE, "the server closed the connection");
	}
	struct pollfd pf = { .fd = s->fd, .events = (short)((rb ? POLLIN : 0) | (wb ? POLLOUT : 0)) };
	int r = poll(&pf, 1, (int)wait_ms);
	if (r < 0 && errno != EINTR)
		return fail(s, NT_CS_LOCAL, CR_ERR_STATE, "poll: %s", strerror(errno));
	if (r <= 0)
		return CR_OK;
	if (wb && (pf.revents & (POLLOUT | POLLERR | POLLHUP))) {
		ssize_t n = send(s->fd, wb, wlen, MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return fail(s, NT_CS_CLOSED, CR_ERR_STATE, "send: %s", strerror(errno));
		if (n > 0)
			nt_tls_send_done(&s->tls, (size_t)n);
	}
	if (rb && (pf.revents & (POLLIN | POLLERR | POLLHUP))) {
		/* The send above may have changed the engine's buffer. */
		rb = nt_tls_recv_buf(&s->tls, &rlen);
		if (!rb)
			return CR_OK;
		ssize_t n = recv(s->fd, rb, rlen, 0);
		if (n == 0)
			return fail(s, NT_CS_CLOSED, CR_ERR_STATE, "the server closed the connection");
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return fail(s, NT_CS_CLOSED, CR_ERR_STATE, "recv: %s", strerror(errno));
		if (n > 0)
			nt_tls_recv_done(&s->tls, (size_t)n);
	}
	if (nt_tls_status(&s->tls) == NT_TLS_FAILED && !nt_tls_want_write(&s->tls))
		return tls_failed(s);
	return CR_OK;
}

/* pump_io until the deadline; past it, a time-out. */
static cr_err pump(nt_cli_session *s, int64_t deadline)
{
	int64_t left = deadline - now_ms();
	if (left <= 0)
		return fail(s, NT_CS_TIMEOUT, CR_ERR_STATE, "no answer from the server within %d ms", s->timeout_ms);
	return pump_io(s, left);
}

static cr_err tcp_connect(nt_cli_session *s, const char *host, uint16_t port, int64_t deadline)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	if (!strcmp(host, "localhost"))
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else if (inet_pton(AF_INET, host, &a.sin_addr) != 1)
		return fail(s, NT_CS_LOCAL, CR_ERR_ARG, "'%s' is not a numeric IPv4 address or localhost", host);
	s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		return fail(s, NT_CS_LOCAL, CR_ERR_STATE, "socket: %s", strerror(errno));
	/* Each request goes out whole in one send and waits for its answer:
	 * with Nagle on, a record behind a not yet acknowledged one waits for
	 * the peer's delayed ACK (measured 46-90 ms per exchange). */
	int one = 1;
	if (setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0)
		return fail(s, NT_CS_LOCAL, CR_ERR_STATE, "TCP_NODELAY: %s", strerror(errno));
	if (connect(s->fd, (struct sockaddr *)&a, sizeof a) != 0) {
		if (errno != EINPROGRESS)
			return fail(s, NT_CS_REFUSED, CR_ERR_STATE, "%s:%u: %s", host, port, strerror(errno));
		struct pollfd pf = { .fd = s->fd, .events = POLLOUT };
		int64_t left = deadline - now_ms();
		if (left <= 0 || poll(&pf, 1, (int)left) <= 0)
			return fail(s, NT_CS_TIMEOUT, CR_ERR_STATE, "%s:%u: connection timed out", host, port);
		int soerr = 0;
		socklen_t sl = sizeof soerr;
		if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0 || soerr != 0)
			return fail(s, NT_CS_REFUSED, CR_ERR_STATE, "%s:%u: %s", host, port, strerror(soerr));
	}
	return CR_OK;
}

/* Sends the frame bytes of w and waits until TLS has sent them all. */
static cr_err send_bytes(nt_cli_session *s, const uint8_t *p, size_t n, int64_t deadline)
{
	cr_reader r;
	cr_reader_init(&r, p, n);
	while (cr_reader_left(&r) || nt_tls_want_write(&s->tls)) {
		if (cr_reader_left(&r)) {
			size_t left = cr_reader_left(&r);
			cr_span sp;
			if (cr_read_span(&r, left, &sp))
				return fail(s, NT_CS_LOCAL, CR_ERR_STATE, "internal");
			size_t took = nt_tls_push_plaintext(&s->tls, sp.p, sp.n);
			/* Put back what TLS did not take. */
			cr_reader_init(&r, sp.p, sp.n);
			cr_span done;
			if (cr_read_span(&r, took, &done))
				return fail(s, NT_CS_LOCAL, CR_ERR_STATE, "internal");
		}
		if (nt_tls_want_write(&s->tls) || cr_reader_left(&r))
			CR_TRY(pump(s, deadline));
	}
	return CR_OK;
}

/* Waits for the next whole frame; decodes it into s->resp. */
static cr_err recv_frame(nt_cli_session *s, int64_t deadline)
{
	for (int rounds = 0; rounds < 1000000; rounds++) {
		if (cr_reader_left(&s->pending)) {
			bool got = false;
			cr_err e = nt_cli_feed(&s->conn, &s->pending, &got, &s->resp);
			if (e)
				return fail(s, NT_CS_PROTOCOL, CR_ERR_MALFORMED, "undecodable frame from the server (%s)",
					    e == CR_ERR_LIMIT ? "too large" : "malformed");
			if (got)
				return CR_OK;
			continue;
		}
		size_t n = nt_tls_pull_plaintext(&s->tls, s->in, sizeof s->in);
		if (n) {
			cr_reader_init(&s->pending, s->in, n);
			continue;
		}
		CR_TRY(pump(s, deadline));
	}
	return fail(s, NT_CS_TIMEOUT, CR_ERR_STATE, "no frame");
}

static cr_err check(nt_cli_session *s, uint32_t id, uint16_t expected)
{
	cr_err e = nt_cli_match(&s->resp, id, expected);
	if (e == CR_ERR_INVALID) {
		s->code = s->resp.code;
		size_t n = s->resp.text.n < NT_ERROR_TEXT_MAX ? s->resp.text.n : NT_ERROR_TEXT_MAX;
		if (n)
			memcpy(s->text, s->resp.text.p, n);
		s->text[n] = 0;
		/* The text is the server's: keep only printable ASCII. */
		for (size_t i = 0; i < n; i++)
			if (s->text[i] < 0x20 || s->text[i] > 0x7e)
				s->text[i] = '?';
		return fail(s, NT_CS_SERVER, CR_ERR_INVALID, "server error %u (%s): %s", s->code,
			    nt_code_str((nt_code)s->code), s->text);
	}
	if (e)
		return fail(s, NT_CS_PROTOCOL, CR_ERR_MALFORMED, "unexpected frame type 0x%04x id %u (awaited id %u)",
			    s->resp.type, s->resp.id, id);
	s->fail = NT_CS_OK;
	return CR_OK;
}

/* Queues a decoded NOTIFY: a newer one for a queued group replaces it. */
static void queue_notify(nt_cli_session *s, const nt_cli_resp *r)
{
	size_t n = r->gid.n < NT_GROUP_ID_MAX ? r->gid.n : NT_GROUP_ID_MAX;
	for (size_t i = 0; i < s->n_notify; i++) {
		nt_cs_notify *q = &s->notify[i];
		if (strlen(q->gid) == n && memcmp(q->gid, r->gid.p, n) == 0) {
			if (r->position > q->position)
				q->position = r->position;
			return;
		}
	}
	if (s->n_notify == NT_CS_NOTIFY_MAX) {
		s->notify_overflow = true;
		return;
	}
	nt_cs_notify *q = &s->notify[s->n_notify++];
	memcpy(q->gid, r->gid.p, n);
	q->gid[n] = 0;
	q->position = r->position;
}

/* Sends the frame in w without waiting for its answer. Frees w. */
static cr_err send_request(nt_cli_session *s, cr_writer *w)
{
	cr_err e = cr_writer_error(w);
	if (e) {
		cr_writer_free(w);
		return fail(s, NT_CS_LOCAL, e, "request too large for the frame limit");
	}
	e = send_bytes(s, w->p, w->len, now_ms() + s->timeout_ms);
	cr_writer_free(w);
	return e;
}

cr_err nt_cs_await(nt_cli_session *s, uint32_t id, uint16_t expected)
{
	int64_t deadline = now_ms() + s->timeout_ms;
	/* Bounded by the deadline: each round waits for a frame until then. */
	for (;;) {
		CR_TRY(recv_frame(s, deadline));
		if (s->resp.type != NT_NOTIFY)
			break;
		queue_notify(s, &s->resp);
	}
	return check(s, id, expected);
}

/* Sends the frame in w, waits for the answer to id (queueing the NOTIFY
 * frames that arrive meanwhile). Frees w. */
static cr_err exchange(nt_cli_session *s, cr_writer *w, uint32_t id, uint16_t expected)
{
	CR_TRY(send_request(s, w));
	return nt_cs_await(s, id, expected);
}

static void new_writer(nt_cli_session *s, cr_writer *w)
{
	uint32_t lim = s->conn.have_hello ? s->conn.hello.frame_max : NT_FRAME_MAX_DEFAULT;
	cr_writer_init_dynamic(w, (size_t)lim + NT_FRAME_HDR_LEN);
}

cr_err nt_cs_connect(nt_cli_session *s, const char *host, uint16_t port, const uint8_t *expected_pin,
		     int timeout_ms, const cr_rng *rng)
{
	memset(s, 0, sizeof *s);
	s->fd = -1;
	s->timeout_ms = timeout_ms > 0 ? timeout_ms : 10000;
	nt_cli_conn_init(&s->conn, NT_FRAME_MAX_DEFAULT);
	cr_reader_init(&s->pending, s->in, 0);
	int64_t deadline = now_ms() + s->timeout_ms;
	CR_TRY(tcp_connect(s, host, port, deadline));
	if (nt_tls_client_init(&s->tls, expected_pin, s->tlsbuf, sizeof s->tlsbuf, rng))
		return fail(s, NT_CS_LOCAL, CR_ERR_STATE, "TLS client set-up failed");
	s->tls_up = true;
	for (int i = 0; i < 100000 && nt_tls_status(&s->tls) == NT_TLS_HANDSHAKING; i++)
		CR_TRY(pump(s, deadline));
	if (nt_tls_status(&s->tls) != NT_TLS_READY)
		return tls_failed(s);
	if (nt_tls_peer_pin(&s->tls, s->pin))
		return fail(s, NT_CS_TLS, CR_ERR_STATE, "no server key seen");
	s->have_pin = true;
	uint8_t exp[NT_EXPORTER_LEN];
	if (nt_tls_exporter(&s->tls, NT_EXPORTER_LABEL, NULL, 0, exp, sizeof exp))
		return fail(s, NT_CS_TLS, CR_ERR_STATE, "TLS exporter failed");
	nt_cli_bind(&s->conn, exp, s->pin);
	cr_wipe(exp, sizeof exp);
	cr_writer w;
	new_writer(s, &w);
	uint32_t id = nt_cli_hello(&s->conn, &w);
	return exchange(s, &w, id, NT_HELLO_OK);
}

void nt_cs_close(nt_cli_session *s)
{
	if (s->tls_up && s->fd >= 0 && nt_tls_status(&s->tls) == NT_TLS_READY) {
		nt_tls_close(&s->tls);
		/* Best effort, bounded: the server may already be gone. */
		size_t len;
		const uint8_t *wb;
		for (int i = 0; i < 4 && (wb = nt_tls_send_buf(&s->tls, &len)) != NULL; i++) {
			ssize_t n = send(s->fd, wb, len, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n <= 0)
				break;
			nt_tls_send_done(&s->tls, (size_t)n);
		}
	}
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	if (s->tls_up)
		nt_tls_wipe(&s->tls);
	s->tls_up = false;
	nt_cli_conn_free(&s->conn);
	nt_cli_conn_init(&s->conn, NT_FRAME_MAX_DEFAULT);
	cr_wipe(s->in, sizeof s->in);
	cr_reader_init(&s->pending, s->in, 0);
}

cr_err nt_cs_register(nt_cli_session *s, const char *user, const char *password, const uint8_t seed[32],
		      const char *invite)
{
	cr_writer w;
	new_writer(s, &w);
	uint32_t id;
	cr_err e = nt_cli_register(&s->conn, &w, user, password, seed, invite, &id);
	if (e) {
		cr_writer_free(&w);
		return fail(s, NT_CS_LOCAL, e, "cannot sign the registration");
	}
	return exchange(s, &w, id, NT_REGISTER_OK);
}

cr_err nt_cs_login(nt_cli_session *s, const char *user, const char *password, const uint8_t seed[32])
{
	cr_writer w;
	new_writer(s, &w);
	uint32_t id;
	cr_err e = nt_cli_login(&s->conn, &w, user, password, seed, &id);
	if (e) {
		cr_writer_free(&w);
		return fail(s, NT_CS_LOCAL, e, "cannot sign the login");
	}
	return exchange(s, &w, id, NT_LOGIN_OK);
}

cr_err nt_cs_kp_upload(nt_cli_session *s, bool last_resort, const cr_span *kps, size_t n)
{
	cr_writer w;
	new_writer(s, &w);
	uint32_t id = nt_cli_kp_upload(&s->conn, &w, last_resort, kps, n);
	return exchange(s, &w, id, NT_KP_UPLOAD_OK);
}

cr_err nt_cs_kp_fetch(nt_cli_session *s, const char *user)
{
	cr_writer w;
	new_writer(s, &w);
	uint32_t id = nt_cli_kp_fetch(&s->conn, &w, user);
	return exchange(s, &w, id, NT_KP);
}

cr_err nt_cs_identity_fetch(nt_cli_session *s, const char *user)
{
	cr_writer w;
	new_writer(s, &w);
	uint32_t id = nt_cli_identity_fetch(&s->conn, &w, user);
	return exchange(s, &w, id, NT_IDENTITY);
}

cr_err nt_cs_group_create(nt_cli_session *s, const char *gid)
{
	cr_writer w;
	new_writer(s, &w);
	uint32_t id = nt_cli_group_create(&s->conn, &w, (const uint8_t *)gid, strlen(gid));
	return exchange(s, &w, id, NT_GROUP_CREATE_OK);
}

cr_err nt_cs_post(nt_cli_session *s, const nt_cli_post *p)
{
	cr_writer w;
	new_writer(s, &w);
	uint32_t id = nt_cli_post_msg(&s->conn, &w, p);
	return exchange(s, &w, id, NT_POST_OK);
}

cr_err nt_cs_fetch(nt_cli_session *s, const char *gid, uint64_t after, uint32_t max)
{
	cr_writer w;
	new_writer(s, &w);
	uint32_t id = nt_cli_fetch(&s->conn, &w, (const uint8_t *)gid, strlen(gid), after, max);
	return exchange(s, &w, id, NT_MESSAGES);
}

cr_err nt_cs_ack(nt_cli_session *s, const char *gid, uint64_t position)
{
	cr_writer w;
	new_writer(s, &w);
	uint32_t id = nt_cli_ack(&s->conn, &w, (const uint8_t *)gid, strlen(gid), position);
	return exchange(s, &w, id, NT_ACK_OK);
}

cr_err nt_cs_blob_create(nt_cli_session *s, uint64_t size, const uint8_t sha256[NT_HASH_LEN])
{
	cr_writer w;
	new_writer(s, &w);
	uint32_t id = nt_cli_blob_create(&s->conn, &w, size, sha256);
	return exchange(s, &w, id, NT_BLOB_CREATE_OK);
}

cr_err nt_cs_blob_write_send(nt_cli_session *s, const uint8_t blob_id[NT_BLOB_ID_LEN], uint64_t offset,
			     const uint8_t *data, size_t n, uint32_t *id)
{
	cr_writer w;
	new_writer(s, &w);
	*id = nt_cli_blob_write(&s->conn, &w, blob_id, offset, data, n);
	return send_request(s, &w);
}

cr_err nt_cs_blob_write(nt_cli_session *s, const uint8_t blob_id[NT_BLOB_ID_LEN], uint64_t offset,
			const uint8_t *data, size_t n)
{
	uint32_t id;
	CR_TRY(nt_cs_blob_write_send(s, blob_id, offset, data, n, &id));
	return nt_cs_await(s, id, NT_BLOB_WRITE_OK);
}

cr_err nt_cs_blob_read_send(nt_cli_session *s, const uint8_t blob_id[NT_BLOB_ID_LEN], uint64_t offset,
			    uint32_t max, uint32_t *id)
{
	cr_writer w;
	new_writer(s, &w);
	*id = nt_cli_blob_read(&s->conn, &w, blob_id, offset, max);
	return send_request(s, &w);
}

cr_err nt_cs_blob_read(nt_cli_session *s, const uint8_t blob_id[NT_BLOB_ID_LEN], uint64_t offset, uint32_t max)
{
	uint32_t id;
	CR_TRY(nt_cs_blob_read_send(s, blob_id, offset, max, &id));
	return nt_cs_await(s, id, NT_BLOB_DATA);
}

cr_err nt_cs_send_raw(nt_cli_session *s, const uint8_t *p, size_t n)
{
	return send_bytes(s, p, n, now_ms() + s->timeout_ms);
}

cr_err nt_cs_recv(nt_cli_session *s)
{
	CR_TRY(recv_frame(s, now_ms() + s->timeout_ms));
	if (s->resp.type == NT_ERROR) {
		s->code = s->resp.code;
		s->fail = NT_CS_SERVER;
	}
	return CR_OK;
}

static cr_err gid_check(nt_cli_session *s, const char *gid)
{
	size_t n = gid ? strlen(gid) : 0;
	if (n < 1 || n > NT_GROUP_ID_MAX)
		return fail(s, NT_CS_LOCAL, CR_ERR_ARG, "a group id has 1..%d bytes", NT_GROUP_ID_MAX);
	return CR_OK;
}

cr_err nt_cs_groups_list(nt_cli_session *s)
{
	cr_writer w;
	new_writer(s, &w);
	uint32_t id = nt_cli_groups_list(&s->conn, &w);
	return exchange(s, &w, id, NT_GROUPS);
}

cr_err nt_cs_members(nt_cli_session *s, const char *gid)
{
	CR_TRY(gid_check(s, gid));
	cr_writer w;
	new_writer(s, &w);
	uint32_t id = nt_cli_members(&s->conn, &w, (const uint8_t *)gid, strlen(gid));
	return exchange(s, &w, id, NT_MEMBER_LIST);
}

cr_err nt_cs_join_request(nt_cli_session *s, const char *gid, const uint8_t *kp, size_t kp_len)
{
	CR_TRY(gid_check(s, gid));
	cr_writer w;
	new_writer(s, &w);
	uint32_t id = nt_cli_join_request(&s->conn, &w, (const uint8_t *)gid, strlen(gid), kp, kp_len);
	return exchange(s, &w, id, NT_JOIN_REQUEST_OK);
}

cr_err nt_cs_role_set(nt_cli_session *s, const char *gid, const char *user, uint8_t role)
{
	CR_TRY(gid_check(s, gid));
	cr_writer w;
	new_writer(s, &w);
	uint32_t id = nt_cli_role_set(&s->conn, &w, (const uint8_t *)gid, strlen(gid), user, role);
	return exchange(s, &w, id, NT_ROLE_SET_OK);
}

cr_err nt_cs_dm_create(nt_cli_session *s, const char *peer)
{
	cr_writer w;
	new_writer(s, &w);
	uint32_t id = nt_cli_dm_create(&s->conn, &w, peer);
	return exchange(s, &w, id, NT_DM_CREATE_OK);
}

cr_err nt_cs_presence(nt_cli_session *s)
{
	cr_writer w;
	new_writer(s, &w);
	uint32_t id = nt_cli_presence(&s->conn, &w);
	return exchange(s, &w, id, NT_ONLINE);
}

/* Decodes the frames TLS has already decrypted; NOTIFYs are queued, any
 * other frame is a violation (no request is outstanding). */
static cr_err drain_notify(nt_cli_session *s)
{
	for (int rounds = 0; rounds < 1000000; rounds++) {
		if (!cr_reader_left(&s->pending)) {
			size_t n = nt_tls_pull_plaintext(&s->tls, s->in, sizeof s->in);
			if (!n)
				return CR_OK;
			cr_reader_init(&s->pending, s->in, n);
		}
		bool got = false;
		nt_cli_resp r;
		cr_err e = nt_cli_feed(&s->conn, &s->pending, &got, &r);
		if (e)
			return fail(s, NT_CS_PROTOCOL, CR_ERR_MALFORMED, "undecodable frame from the server (%s)",
				    e == CR_ERR_LIMIT ? "too large" : "malformed");
		if (got && r.type != NT_NOTIFY)
			return fail(s, NT_CS_PROTOCOL, CR_ERR_MALFORMED,
				    "unexpected frame type 0x%04x id %u (no request outstanding)", r.type, r.id);
		if (got)
			queue_notify(s, &r);
	}
	return CR_OK;
}

cr_err nt_cs_wait_notify(nt_cli_session *s, int timeout_ms, bool *got)
{
	*got = false;
	if (!s->tls_up || s->fd < 0)
		return fail(s, NT_CS_LOCAL, CR_ERR_STATE, "not connected");
	int64_t deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	/* Bounded by the deadline; with 0, one look at what is there now. */
	for (bool looked = false;;) {
		CR_TRY(drain_notify(s));
		if (s->n_notify || s->notify_overflow) {
			*got = true;
			return CR_OK;
		}
		int64_t left = deadline - now_ms();
		if (left <= 0) {
			if (looked)
				return CR_OK;
			left = 0;
			looked = true;
		}
		CR_TRY(pump_io(s, left));
	}
}

bool nt_cs_take_notify(nt_cli_session *s, nt_cs_notify *n)
{
	if (s->n_notify == 0)
		return false;
	*n = s->notify[0];
	memmove(&s->notify[0], &s->notify[1], (s->n_notify - 1) * sizeof s->notify[0]);
	s->n_notify--;
	return true;
}

int nt_cs_fd(const nt_cli_session *s)
{
	return s->fd;
}
