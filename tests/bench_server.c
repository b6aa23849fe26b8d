/*
 * bench_server.c: the real server under load (./build.sh bench server).
 *
 * Starts `echover server` as the end-to-end tests do (tests/e2e_util.h: a
 * child on 127.0.0.1 with a free port and a temporary database), then drives it from this one process with the
 * project's own client code (net/cli_session.h for set-up, net/cli_conn.h
 * frames over the sessions' TLS contexts for the load), many sessions
 * multiplexed with poll:
 *
 *   - set-up: N_CLIENTS users register and log in (in waves, so the
 *     server's hash queue never refuses), GROUPS groups of GROUP_SIZE are
 *     formed by one commit each with `added` routing (the server does not
 *     read MLS, so the messages are opaque bytes);
 *   - load: every client posts MSG_LEN-byte application messages,
 *     pipelined with at most WINDOW unanswered, N_MSGS in all; every member
 *     reads them as a client does (NOTIFY, FETCH, ACK). A delivery is one
 *     message reaching one other member. Each message carries its send time,
 *     so a delivery's latency is from POST sent to entry fetched. Server CPU
 *     is utime + stime of the child (/proc/PID/stat) across the load phase;
 *   - memory: a fresh server, N_IDLE idle TLS connections (HELLO done), and
 *     the growth of its VmRSS (/proc/PID/status) per connection; once with
 *     clients that ask for no record size (a full TLS buffer: 16 KiB
 *     records), once with the record size nt_cli_session asks for
 *     (NT_CS_RECORD) and once with 4 KiB records (NT_TLS_BUF_SMALL).
 *
 * Every loop is bounded in count and time; the child dies with this process
 * (PR_SET_PDEATHSIG) and is killed at the end.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "cli_session.h"
#include "e2e_util.h"
#include "rng.h"

#define N_CLIENTS 100
#define GROUP_SIZE 10
#define GROUPS (N_CLIENTS / GROUP_SIZE)
#define MSG_LEN 256
#define N_MSGS 20000
#define PER_CLIENT (N_MSGS / N_CLIENTS)
#define WINDOW 16
#define LOAD_LIMIT_MS 90000
#define STALL_MS 1000
#define N_IDLE 1000
#define WAVE 32
#define TIMEOUT_MS 30000
#define EXPECTED ((uint64_t)N_MSGS * (GROUP_SIZE - 1))

static const char PW[] = "correct horse battery";
/* Room for every client of the load and the idle phases. */
static char *const SERVER_OPTIONS[] = { "--max-conns", "1200", "--max-conns-per-addr", "1200", "--idle-timeout", "600",
					NULL };

/* what: the step that failed; why: the session's reason, or "" */
static void die(const char *what, const char *why)
{
	fprintf(stderr, "bench_server: %s%s%s\n", what, *why ? ": " : "", why);
	exit(1);
}

static int64_t now_ms(void)
{
	return (int64_t)(bench_now_ns() / 1000000u);
}

/* utime + stime of pid in nanoseconds (/proc/PID/stat fields 14, 15). */
static uint64_t proc_cpu_ns(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	char *p = strrchr(buf, ')');
	unsigned long long ut = 0, st = 0;
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return 0;
	long hz = sysconf(_SC_CLK_TCK);
	return (ut + st) * (1000000000ull / (uint64_t)(hz > 0 ? hz : 100));
}

/* A line "Key:   N kB" of /proc/PID/status, in kB (0 when absent). */
static long proc_status_kb(pid_t pid, const char *key)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	long v = 0;
	if (!f)
		return 0;
	size_t kl = strlen(key);
	while (fgets(line, sizeof line, f))
		if (!strncmp(line, key, kl) && line[kl] == ':')
			v = strtol(line + kl + 1, NULL, 10);
	fclose(f);
	return v;
}

static nt_cli_session *connect_full(server *s, const cr_rng *rng)
{
	nt_cli_session *c = calloc(1, sizeof *c);
	if (!c)
		die("out of memory", "");
	if (nt_cs_connect(c, "127.0.0.1", s->port, s->have_pin ? s->pin : NULL, TIMEOUT_MS, rng) != CR_OK)
		die("connect", c->err);
	if (!s->have_pin) {
		memcpy(s->pin, c->pin, NT_PIN_LEN);
		s->have_pin = true;
	}
	/* Pipelined requests go out at once, not behind Nagle. */
	int one = 1;
	(void)setsockopt(nt_cs_fd(c), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return c;
}

static void disconnect(nt_cli_session *c)
{
	nt_cs_close(c);
	free(c);
}

/* ---- one load client: a session driven without blocking ---- */

typedef struct client {
	nt_cli_session *s;
	char name[16];
	char gid[16];
	cr_writer outq;      /* request bytes not yet taken by TLS */
	size_t outq_off;
	uint32_t sent, posted; /* POSTs sent, POST_OK received */
	uint64_t after;      /* receiver: newest position fetched */
	uint64_t notified;   /* newest position a NOTIFY named */
	bool fetching;
} client;

typedef struct load {
	client *cl;
	uint64_t deliveries, posted, errors;
	uint64_t *lat;       /* ns, one per delivery */
	uint8_t filler[MSG_LEN];
	int64_t last_progress;
} load;

static void queue_reset(client *c)
{
	cr_writer_free(&c->outq);
	cr_writer_init_dynamic(&c->outq, 4u << 20);
	c->outq_off = 0;
}

/* Pushes queued requests into TLS (all of them in as few records as TLS
 * takes) and sends what the socket takes now. */
static bool cl_flush(client *c)
{
	nt_tls *t = &c->s->tls;
	for (int i = 0; i < 64; i++) {
		bool moved = false;
		if (c->outq_off < c->outq.len) {
			size_t k = nt_tls_push_plaintext(t, c->outq.p + c->outq_off, c->outq.len - c->outq_off);
			c->outq_off += k;
			moved = k > 0;
			if (c->outq_off == c->outq.len)
				queue_reset(c);
		}
		size_t len;
		const uint8_t *p = nt_tls_send_buf(t, &len);
		if (p) {
			ssize_t n = send(c->s->fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n > 0) {
				nt_tls_send_done(t, (size_t)n);
				moved = true;
			} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
				return false;
			}
		}
		if (!moved)
			break;
	}
	return nt_tls_status(t) == NT_TLS_READY;
}

static void maybe_fetch(client *c)
{
	if (c->fetching || c->notified <= c->after)
		return;
	nt_cli_fetch(&c->s->conn, &c->outq, (const uint8_t *)c->gid, strlen(c->gid), c->after, 0);
	c->fetching = true;
}

static void refill(load *L, client *c)
{
	while (c->sent < PER_CLIENT && c->sent - c->posted < WINDOW) {
		uint8_t msg[MSG_LEN];
		memcpy(msg, L->filler, sizeof msg);
		cr_writer w;
		cr_writer_init_fixed(&w, msg, 12);
		cr_write_u64(&w, bench_now_ns());
		cr_write_u32(&w, c->sent);
		nt_cli_post p = { .gid = (const uint8_t *)c->gid, .gid_len = strlen(c->gid),
				  .kind = NT_KIND_APPLICATION, .message = { msg, sizeof msg } };
		nt_cli_post_msg(&c->s->conn, &c->outq, &p);
		c->sent++;
	}
}

static void on_frame(load *L, client *c, const nt_cli_resp *r)
{
	switch (r->type) {
	case NT_POST_OK:
		c->posted++;
		L->posted++;
		refill(L, c);
		break;
	case NT_NOTIFY:
		if (r->position > c->notified)
			c->notified = r->position;
		maybe_fetch(c);
		break;
	case NT_MESSAGES: {
		uint64_t now = bench_now_ns();
		cr_reader es = r->entries;
		nt_cli_entry e;
		size_t n = 0;
		while (nt_cli_next_entry(&es, &e) == CR_OK) {
			n++;
			c->after = e.position;
			if (e.kind != NT_KIND_APPLICATION ||
			    (e.sender.n == strlen(c->name) && !memcmp(e.sender.p, c->name, e.sender.n)))
				continue;
			cr_reader m;
			uint64_t ts;
			cr_reader_init(&m, e.message.p, e.message.n);
			if (cr_read_u64(&m, &ts) == CR_OK && L->deliveries < EXPECTED)
				L->lat[L->deliveries++] = now - ts;
			L->last_progress = now_ms();
		}
		c->fetching = false;
		if (n) {
			nt_cli_ack(&c->s->conn, &c->outq, (const uint8_t *)c->gid, strlen(c->gid), c->after);
			/* A full answer may not be the end. */
			if (n == NT_FETCH_MAX && c->notified <= c->after)
				c->notified = c->after + 1;
		}
		maybe_fetch(c);
		break;
	}
	case NT_ACK_OK:
		break;
	default:
		if (L->errors++ < 5)
			fprintf(stderr, "bench_server: %s got frame type 0x%04x (code %u: %.*s)\n", c->name, r->type,
				r->code, (int)r->text.n, (const char *)r->text.p);
		break;
	}
}

/* Reads what the socket has, decodes and handles every whole frame. */
static bool cl_read(load *L, client *c)
{
	nt_cli_session *s = c->s;
	for (int i = 0; i < 64; i++) {
		bool moved = false;
		size_t len;
		uint8_t *p = nt_tls_recv_buf(&s->tls, &len);
		if (p) {
			ssize_t n = recv(s->fd, p, len, MSG_DONTWAIT);
			if (n == 0)
				return false;
			if (n > 0) {
				nt_tls_recv_done(&s->tls, (size_t)n);
				moved = true;
			} else if (errno != EAGAIN && errno != EINTR) {
				return false;
			}
		}
		size_t k;
		while ((k = nt_tls_pull_plaintext(&s->tls, s->in, sizeof s->in)) > 0) {
			cr_reader in;
			cr_reader_init(&in, s->in, k);
			moved = true;
			while (cr_reader_left(&in)) {
				bool got = false;
				if (nt_cli_feed(&s->conn, &in, &got, &s->resp) != CR_OK)
					return false;
				if (got)
					on_frame(L, c, &s->resp);
			}
		}
		if (!moved)
			break;
	}
	return nt_tls_status(&s->tls) == NT_TLS_READY;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* ---- set-up ---- */

static void seed_of(const char *user, uint8_t seed[32])
{
	memset(seed, 0, 32);
	memcpy(seed, user, strlen(user) < 32 ? strlen(user) : 32);
}

static void expect(nt_cli_session *s, uint32_t id, uint16_t type, const char *what)
{
	if (nt_cs_recv(s) != CR_OK || nt_cli_match(&s->resp, id, type) != CR_OK)
		die(what, "refused");
}

/* REGISTER + LOGIN pipelined per session, WAVE sessions at a time (the
 * server queues at most 64 hashes). */
static void register_all(client *cl)
{
	for (int w0 = 0; w0 < N_CLIENTS; w0 += WAVE) {
		uint32_t rid[WAVE], lid[WAVE];
		int w1 = w0 + WAVE < N_CLIENTS ? w0 + WAVE : N_CLIENTS;
		for (int i = w0; i < w1; i++) {
			uint8_t seed[32];
			seed_of(cl[i].name, seed);
			cr_writer w;
			cr_writer_init_dynamic(&w, 1u << 16);
			if (nt_cli_register(&cl[i].s->conn, &w, cl[i].name, PW, seed, NULL, &rid[i - w0]) != CR_OK ||
			    nt_cli_login(&cl[i].s->conn, &w, cl[i].name, PW, seed, &lid[i - w0]) != CR_OK ||
			    cr_writer_error(&w) != CR_OK || nt_cs_send_raw(cl[i].s, w.p, w.len) != CR_OK)
				die("register request", "");
			cr_writer_free(&w);
		}
		for (int i = w0; i < w1; i++) {
			expect(cl[i].s, rid[i - w0], NT_REGISTER_OK, "REGISTER");
			expect(cl[i].s, lid[i - w0], NT_LOGIN_OK, "LOGIN");
		}
	}
}

static void form_groups(client *cl)
{
	for (int g = 0; g < GROUPS; g++) {
		client *owner = &cl[g * GROUP_SIZE];
		const char *added[GROUP_SIZE - 1];
		for (int i = 1; i < GROUP_SIZE; i++)
			added[i - 1] = cl[g * GROUP_SIZE + i].name;
		if (nt_cs_group_create(owner->s, owner->gid) != CR_OK)
			die("group create", owner->s->err);
		nt_cli_post p = { .gid = (const uint8_t *)owner->gid, .gid_len = strlen(owner->gid),
				  .kind = NT_KIND_COMMIT, .epoch = 0, .added = added, .n_added = GROUP_SIZE - 1,
				  .message = { (const uint8_t *)"commit", 6 },
				  .welcome = { (const uint8_t *)"welcome", 7 } };
		if (nt_cs_post(owner->s, &p) != CR_OK)
			die("commit", owner->s->err);
		/* Members start after the commit and its Welcome. */
		for (int i = 0; i < GROUP_SIZE; i++)
			cl[g * GROUP_SIZE + i].after = cl[g * GROUP_SIZE + i].notified = owner->s->resp.position + 1;
	}
}

/* ---- the load ---- */

static bool run_load(load *L, int64_t *elapsed_ms)
{
	struct pollfd pf[N_CLIENTS];
	int64_t t0 = now_ms(), end = t0 + LOAD_LIMIT_MS;
	L->last_progress = t0;
	for (int i = 0; i < N_CLIENTS; i++) {
		refill(L, &L->cl[i]);
		if (!cl_flush(&L->cl[i]))
			return false;
	}
	while ((L->deliveries < EXPECTED || L->posted < N_MSGS) && now_ms() < end && L->errors == 0) {
		for (int i = 0; i < N_CLIENTS; i++) {
			client *c = &L->cl[i];
			bool out = c->outq_off < c->outq.len || nt_tls_want_write(&c->s->tls);
			pf[i] = (struct pollfd){ .fd = c->s->fd, .events = (short)(POLLIN | (out ? POLLOUT : 0)) };
		}
		int n = poll(pf, N_CLIENTS, 100);
		if (n < 0 && errno != EINTR)
			return false;
		for (int i = 0; i < N_CLIENTS && n > 0; i++) {
			client *c = &L->cl[i];
			if (!pf[i].revents)
				continue;
			if (!cl_read(L, c) || !cl_flush(c)) {
				fprintf(stderr, "bench_server: %s lost its connection\n", c->name);
				return false;
			}
		}
		/* A NOTIFY may be left out for a reader that fell behind (the
		 * server's bound): after a quiet second everyone fetches. */
		if (now_ms() - L->last_progress > STALL_MS) {
			for (int i = 0; i < N_CLIENTS; i++) {
				client *c = &L->cl[i];
				c->notified = c->after + 1;
				maybe_fetch(c);
				if (!cl_flush(c))
					return false;
			}
			L->last_progress = now_ms();
		}
	}
	*elapsed_ms = now_ms() - t0;
	return L->deliveries == EXPECTED && L->posted == N_MSGS && L->errors == 0;
}

/* ---- idle connections: TLS and HELLO with a chosen record buffer ---- */

/* A bare TLS client with TCP_NODELAY whose buffer is picked: a buffer of
 * NT_TLS_BUF_LEN(frag) asks for frag-byte records (nt_cli_session's is
 * NT_CS_TLS_BUF), NT_TLS_BUF_FULL for none. */
typedef struct small_client {
	int fd;
	nt_tls tls;
	nt_cli_conn conn;
	uint8_t *buf;
	size_t buf_len;
} small_client;

/* One round of socket I/O for a TLS context, waiting up to wait_ms. */
static bool small_io(small_client *c, int wait_ms)
{
	size_t rl = 0, wl = 0;
	uint8_t *rb = nt_tls_recv_buf(&c->tls, &rl);
	const uint8_t *wb = nt_tls_send_buf(&c->tls, &wl);
	struct pollfd pf = { .fd = c->fd, .events = (short)((rb ? POLLIN : 0) | (wb ? POLLOUT : 0)) };
	if (!rb && !wb)
		return false;
	if (poll(&pf, 1, wait_ms) <= 0)
		return true;
	if (wb && (pf.revents & POLLOUT)) {
		ssize_t n = send(c->fd, wb, wl, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0)
			nt_tls_send_done(&c->tls, (size_t)n);
	}
	rb = nt_tls_recv_buf(&c->tls, &rl);
	if (rb && (pf.revents & (POLLIN | POLLHUP | POLLERR))) {
		ssize_t n = recv(c->fd, rb, rl, MSG_DONTWAIT);
		if (n == 0)
			return false;
		if (n > 0)
			nt_tls_recv_done(&c->tls, (size_t)n);
	}
	return nt_tls_status(&c->tls) != NT_TLS_FAILED && nt_tls_status(&c->tls) != NT_TLS_CLOSED;
}

static bool small_connect(small_client *c, const server *s, const cr_rng *rng)
{
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(s->port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int one = 1;
	if (c->fd < 0 || setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0 ||
	    connect(c->fd, (struct sockaddr *)&a, sizeof a) != 0)
		return false;
	if (nt_tls_client_init(&c->tls, s->pin, c->buf, c->buf_len, rng) != CR_OK)
		return false;
	int64_t end = now_ms() + TIMEOUT_MS;
	while (nt_tls_status(&c->tls) == NT_TLS_HANDSHAKING && now_ms() < end)
		if (!small_io(c, 100))
			return false;
	if (nt_tls_status(&c->tls) != NT_TLS_READY)
		return false;
	nt_cli_conn_init(&c->conn, NT_FRAME_MAX_DEFAULT);
	uint8_t hello[64];
	cr_writer w;
	cr_writer_init_fixed(&w, hello, sizeof hello);
	uint32_t id = nt_cli_hello(&c->conn, &w);
	if (cr_writer_error(&w) != CR_OK || nt_tls_push_plaintext(&c->tls, hello, w.len) != w.len)
		return false;
	while (now_ms() < end) {
		if (!small_io(c, 100))
			return false;
		uint8_t in[512];
		size_t k = nt_tls_pull_plaintext(&c->tls, in, sizeof in);
		cr_reader r;
		cr_reader_init(&r, in, k);
		while (cr_reader_left(&r)) {
			bool got = false;
			nt_cli_resp resp;
			if (nt_cli_feed(&c->conn, &r, &got, &resp) != CR_OK)
				return false;
			if (got)
				return nt_cli_match(&resp, id, NT_HELLO_OK) == CR_OK &&
				       (c->buf_len >= NT_TLS_BUF_FULL ||
					NT_TLS_BUF_LEN(nt_tls_max_fragment(&c->tls)) <= c->buf_len);
		}
	}
	return false;
}

static void small_close(small_client *c)
{
	nt_cli_conn_free(&c->conn);
	nt_tls_wipe(&c->tls);
	if (c->fd >= 0)
		close(c->fd);
	free(c->buf);
}

/* RSS growth of a fresh server per idle connection, in bytes. */
static double idle_memory(server *s, size_t buf_len, const cr_rng *rng, double *setup_ms)
{
	s->port = 0; /* a fresh port, as on the first start */
	if (!server_start(s))
		die("server restart failed", "");
	usleep(200000);
	long before = proc_status_kb(s->pid, "VmRSS");
	int64_t t0 = now_ms();
	small_client *sm = calloc(N_IDLE, sizeof *sm);
	if (!sm)
		die("out of memory", "");
	for (int i = 0; i < N_IDLE; i++) {
		sm[i].fd = -1;
		sm[i].buf_len = buf_len;
		sm[i].buf = malloc(sm[i].buf_len);
		if (!sm[i].buf || !small_connect(&sm[i], s, rng))
			die("idle connection failed", "");
	}
	*setup_ms = (double)(now_ms() - t0);
	usleep(300000);
	long after = proc_status_kb(s->pid, "VmRSS");
	for (int i = 0; i < N_IDLE; i++)
		small_close(&sm[i]);
	free(sm);
	server_stop(s, SIGTERM);
	return (double)(after - before) * 1024.0 / N_IDLE;
}

int main(void)
{
	if (cr_init() != CR_OK)
		die("cr_init", "");
	signal(SIGPIPE, SIG_IGN);
	static server srv;
	cr_rng_det det;
	cr_rng rng;
	uint8_t seed[32] = { 0xbe };
	cr_rng_det_init(&det, &rng, seed);
	if (!fixture(&srv, false))
		die("mkdtemp", "");
	srv.options = SERVER_OPTIONS;
	if (!server_start(&srv))
		die("cannot start the server", e2e_bin());

	static load L;
	L.cl = calloc(N_CLIENTS, sizeof *L.cl);
	L.lat = calloc(EXPECTED, sizeof *L.lat);
	if (!L.cl || !L.lat)
		die("out of memory", "");
	for (size_t i = 0; i < sizeof L.filler; i++)
		L.filler[i] = (uint8_t)(i * 131 + 7);
	int64_t t0 = now_ms();
	for (int i = 0; i < N_CLIENTS; i++) {
		client *c = &L.cl[i];
		snprintf(c->name, sizeof c->name, "user%03d", i);
		snprintf(c->gid, sizeof c->gid, "group%02d", i / GROUP_SIZE);
		c->s = connect_full(&srv, &rng);
		cr_writer_init_dynamic(&c->outq, 4u << 20);
	}
	int64_t t_conn = now_ms();
	register_all(L.cl);
	int64_t t_reg = now_ms();
	form_groups(L.cl);
	int64_t t_grp = now_ms();

	uint64_t cpu0 = proc_cpu_ns(srv.pid), self0 = bench_cpu_ns();
	int64_t elapsed = 0;
	bool ok = run_load(&L, &elapsed);
	uint64_t cpu1 = proc_cpu_ns(srv.pid), self1 = bench_cpu_ns();
	long hwm = proc_status_kb(srv.pid, "VmHWM");
	uint16_t suite = nt_tls_cipher_suite(&L.cl[0].s->tls);
	for (int i = 0; i < N_CLIENTS; i++) {
		cr_writer_free(&L.cl[i].outq);
		disconnect(L.cl[i].s);
	}
	server_stop(&srv, SIGTERM);
	if (!ok)
		fprintf(stderr, "bench_server: load incomplete: %llu of %llu deliveries, %llu of %d posts in %lld ms\n",
			(unsigned long long)L.deliveries, (unsigned long long)EXPECTED, (unsigned long long)L.posted,
			N_MSGS, (long long)elapsed);

	double full_ms = 0, cs_ms = 0, small_ms = 0;
	double mem_full = idle_memory(&srv, NT_TLS_BUF_FULL, &rng, &full_ms);
	double mem_cs = idle_memory(&srv, NT_CS_TLS_BUF, &rng, &cs_ms);
	double mem_small = idle_memory(&srv, NT_TLS_BUF_SMALL, &rng, &small_ms);
	teardown(&srv);

	qsort(L.lat, L.deliveries, sizeof *L.lat, cmp_u64);
	double d = (double)(L.deliveries ? L.deliveries : 1);
	double secs = (double)(elapsed ? elapsed : 1) / 1000.0;
	char loadavg[64] = "?";
	FILE *la = fopen("/proc/loadavg", "r");
	if (la) {
		if (!fgets(loadavg, sizeof loadavg, la))
			snprintf(loadavg, sizeof loadavg, "?");
		fclose(la);
		loadavg[strcspn(loadavg, "\n")] = 0;
	}
	printf("echover server under load: %d clients in %d groups of %d, %d-byte messages, TLS 1.2 (suite 0x%04x),\n"
	       "loopback, %d messages pipelined %d deep per client; load average before: %s\n",
	       N_CLIENTS, GROUPS, GROUP_SIZE, MSG_LEN, suite, N_MSGS, WINDOW, loadavg);
	printf("set-up: %d TLS connections %lld ms, %d registrations + logins (Argon2id) %lld ms, %d groups %lld ms\n\n",
	       N_CLIENTS, (long long)(t_conn - t0), N_CLIENTS, (long long)(t_reg - t_conn), GROUPS,
	       (long long)(t_grp - t_reg));
	printf("| figure | value | target |\n| --- | ---: | --- |\n");
	printf("| deliveries (message to one other member) | %llu of %llu%s | |\n", (unsigned long long)L.deliveries,
	       (unsigned long long)EXPECTED, ok ? "" : " (INCOMPLETE)");
	printf("| load phase | %.2f s | |\n", secs);
	printf("| deliveries per second | %.0f | 86,000 (mosquitto 2.0.11, no storage) |\n", (double)L.deliveries / secs);
	printf("| messages stored per second | %.0f | |\n", (double)L.posted / secs);
	printf("| server CPU per delivery | %.2f us | <= 4.5 us |\n", (double)(cpu1 - cpu0) / 1000.0 / d);
	printf("| server CPU (utime+stime) | %.2f s | |\n", (double)(cpu1 - cpu0) / 1e9);
	printf("| load generator CPU per delivery | %.2f us | |\n", (double)(self1 - self0) / 1000.0 / d);
	if (L.deliveries) {
		printf("| latency p50, POST sent to entry fetched | %.2f ms | |\n",
		       (double)L.lat[L.deliveries / 2] / 1e6);
		printf("| latency p99 | %.2f ms | |\n", (double)L.lat[L.deliveries * 99 / 100] / 1e6);
	}
	printf("| server peak RSS under load | %ld KB | |\n", hwm);
	printf("| memory per idle connection, client asking no record size (16 KiB) | %.1f KB | |\n",
	       mem_full / 1024.0);
	printf("| memory per idle connection, echover client (%d-byte records) | %.1f KB | <= 12 KB |\n", NT_CS_RECORD,
	       mem_cs / 1024.0);
	printf("| memory per idle connection, 4 KiB-record client | %.1f KB | |\n", mem_small / 1024.0);
	printf("(%d idle connections each; opened in %.0f, %.0f and %.0f ms)\n", N_IDLE, full_ms, cs_ms, small_ms);
	free(L.lat);
	free(L.cl);
	return ok ? 0 : 1;
}
