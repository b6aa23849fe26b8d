/*
 * test_e2e_server.c: end-to-end tests of the real binary. Each case starts
 * `echover server --listen 127.0.0.1:PORT --db TMP/s.db` as a child process
 * (binary: $ECHOVER_BIN, else ./echover, run from the repository root), on a
 * free loopback port, and talks to it with net/cli_session.h: registration
 * open and by invite, login success and failures, pinning, key packages
 * (one-time consumed, last-resort not), commit ordering and conflicts,
 * offline delivery, acknowledgement and deletion, oversized and malformed
 * frames, a graceful restart and a kill -9 in the middle of a burst of posts
 * (every acknowledged post survives), and files sent and fetched through
 * blobs (0 bytes to 100 MiB, byte for byte; a wrong blob id or key leaves
 * no file behind). The child is killed at the end of each
 * case and on failure (and by the kernel if this process dies first:
 * PR_SET_PDEATHSIG); every wait is bounded.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli_file.h"
#include "cli_session.h"
#include "dm.h"
#include "ed25519.h"
#include "group.h"
#include "hash.h"
#include "st_server.h"
#include "e2e_util.h"
#include "t.h"

#define TIMEOUT_MS 15000

/* Connects, pinning the key once it was seen (trust on first use before). */
static nt_cli_session *conn(server *s)
{
	nt_cli_session *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	cr_err e = nt_cs_connect(c, "127.0.0.1", s->port, s->have_pin ? s->pin : NULL, TIMEOUT_MS, &s->rng);
	if (!CHECK_OK(e)) {
		t_note("connect: %s", c->err);
		nt_cs_close(c);
		free(c);
		return NULL;
	}
	if (!s->have_pin) {
		memcpy(s->pin, c->pin, NT_PIN_LEN);
		s->have_pin = true;
	}
	return c;
}

static void disconnect(nt_cli_session *c)
{
	if (c) {
		nt_cs_close(c);
		free(c);
	}
}

static void seed_of(const char *user, uint8_t seed[32])
{
	memset(seed, 0, 32);
	memcpy(seed, user, strlen(user) < 32 ? strlen(user) : 32);
}

static const char PW[] = "correct horse battery";

/* Connects and logs in as user (registering first when reg). */
static nt_cli_session *user_session(server *s, const char *user, bool reg)
{
	nt_cli_session *c = conn(s);
	if (!c)
		return NULL;
	uint8_t seed[32];
	seed_of(user, seed);
	if ((reg && !CHECK_OK(nt_cs_register(c, user, PW, seed, NULL))) || !CHECK_OK(nt_cs_login(c, user, PW, seed))) {
		t_note("%s: %s", user, c->err);
		disconnect(c);
		return NULL;
	}
	return c;
}

/* Expects a server error with this code. */
static bool server_err(nt_cli_session *c, cr_err e, nt_code code)
{
	bool ok = CHECK_ERR(e, CR_ERR_INVALID) && CHECK(c->fail == NT_CS_SERVER) && CHECK(c->code == code);
	if (!ok)
		t_note("wanted code %d, got: %s", code, c->err);
	return ok;
}

static cr_span S(const char *s)
{
	return (cr_span){ (const uint8_t *)s, strlen(s) };
}

static cr_err post(nt_cli_session *c, const char *gid, uint8_t kind, uint64_t epoch, const char *msg,
		   const char *added)
{
	const char *add[1] = { added };
	nt_cli_post p = { .gid = (const uint8_t *)gid, .gid_len = strlen(gid), .kind = kind, .epoch = epoch,
			  .added = add, .n_added = added ? 1 : 0, .message = S(msg),
			  .welcome = added ? S("welcome") : (cr_span){ NULL, 0 } };
	return nt_cs_post(c, &p);
}

TEST(e2e_register_login_and_pinning)
{
	server s;
	if (!fixture_up(&s, false))
		return;
	int64_t t0 = e2e_now_ms();
	nt_cli_session *c = conn(&s);
	if (!c)
		goto out;
	t_note("TCP + TLS handshake + HELLO: %lld ms", (long long)(e2e_now_ms() - t0));
	CHECK(c->conn.hello.policy == NT_POLICY_OPEN);
	uint8_t seed[32], other[32];
	seed_of("alice", seed);
	seed_of("mallory", other);
	/* Before login, account requests are refused. */
	server_err(c, nt_cs_group_create(c, "g"), NT_E_FORBIDDEN);
	CHECK_OK(nt_cs_register(c, "alice", PW, seed, NULL));
	server_err(c, nt_cs_register(c, "alice", PW, seed, NULL), NT_E_EXISTS);
	server_err(c, nt_cs_register(c, "Bad Name", PW, seed, NULL), NT_E_USERNAME);
	server_err(c, nt_cs_register(c, "bob", "short", seed, NULL), NT_E_PASSWORD);
	server_err(c, nt_cs_login(c, "alice", "wrong password!", seed), NT_E_AUTH);
	server_err(c, nt_cs_login(c, "alice", PW, other), NT_E_AUTH);
	server_err(c, nt_cs_login(c, "nobody", PW, seed), NT_E_AUTH);
	t0 = e2e_now_ms();
	CHECK_OK(nt_cs_login(c, "alice", PW, seed));
	t_note("login (Argon2id, server defaults): %lld ms", (long long)(e2e_now_ms() - t0));
	CHECK_OK(nt_cs_identity_fetch(c, "alice"));
	uint8_t pub[32];
	CHECK_OK(cr_ed25519_public(pub, seed));
	CHECK_MEM(c->resp.identity, pub, 32);
	disconnect(c);
	/* The pin was reported on first use; a wrong pin is refused and the
	 * key seen is reported. */
	nt_cli_session *w = calloc(1, sizeof *w);
	if (CHECK(w != NULL)) {
		uint8_t bad[NT_PIN_LEN];
		memcpy(bad, s.pin, sizeof bad);
		bad[0] ^= 1;
		CHECK_ERR(nt_cs_connect(w, "localhost", s.port, bad, TIMEOUT_MS, &s.rng), CR_ERR_AUTH);
		CHECK(w->fail == NT_CS_TLS && w->tls_reason == NT_TLS_PIN_MISMATCH);
		CHECK_MEM(w->pin, s.pin, NT_PIN_LEN);
		nt_cs_close(w);
		/* Names are not resolved: only numeric IPv4 or localhost. */
		CHECK_ERR(nt_cs_connect(w, "example.org", s.port, NULL, TIMEOUT_MS, &s.rng), CR_ERR_ARG);
		nt_cs_close(w);
		free(w);
	}
	/* A peer that accepts TCP but never speaks TLS: a time-out, bounded. */
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in la = { .sin_family = AF_INET, .sin_port = 0 };
	la.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t lal = sizeof la;
	if (CHECK(lfd >= 0 && bind(lfd, (struct sockaddr *)&la, sizeof la) == 0 && listen(lfd, 4) == 0 &&
		  getsockname(lfd, (struct sockaddr *)&la, &lal) == 0)) {
		w = calloc(1, sizeof *w);
		if (CHECK(w != NULL)) {
			t0 = e2e_now_ms();
			CHECK(nt_cs_connect(w, "127.0.0.1", ntohs(la.sin_port), NULL, 300, &s.rng) != CR_OK);
			CHECK(w->fail == NT_CS_TIMEOUT);
			CHECK(e2e_now_ms() - t0 < 3000);
			nt_cs_close(w);
			free(w);
		}
	}
	if (lfd >= 0)
		close(lfd);
	/* A stopped server: connection refused. */
	server_stop(&s, SIGTERM);
	w = calloc(1, sizeof *w);
	if (CHECK(w != NULL)) {
		CHECK(nt_cs_connect(w, "127.0.0.1", s.port, s.pin, TIMEOUT_MS, &s.rng) != CR_OK);
		CHECK(w->fail == NT_CS_REFUSED);
		nt_cs_close(w);
		free(w);
	}
out:
	teardown(&s);
}

TEST(e2e_register_by_invite)
{
	server s;
	if (!fixture(&s, true))
		return;
	char code[80];
	if (!make_invite(&s, code) || !CHECK(server_start(&s)))
		goto out;
	nt_cli_session *c = conn(&s);
	if (!c)
		goto out;
	CHECK(c->conn.hello.policy == NT_POLICY_INVITE);
	uint8_t seed[32];
	seed_of("carol", seed);
	server_err(c, nt_cs_register(c, "carol", PW, seed, NULL), NT_E_INVITE);
	server_err(c, nt_cs_register(c, "carol", PW, seed, "not-a-real-code"), NT_E_INVITE);
	CHECK_OK(nt_cs_register(c, "carol", PW, seed, code));
	/* One-time: the same code does not register a second account. */
	server_err(c, nt_cs_register(c, "dave", PW, seed, code), NT_E_INVITE);
	server_err(c, nt_cs_login(c, "dave", PW, seed), NT_E_AUTH);
	CHECK_OK(nt_cs_login(c, "carol", PW, seed));
	/* Logged in: a second login is not allowed in this state. */
	server_err(c, nt_cs_login(c, "carol", PW, seed), NT_E_UNEXPECTED);
	disconnect(c);
out:
	teardown(&s);
}

TEST(e2e_key_packages)
{
	server s;
	if (!fixture_up(&s, false))
		return;
	nt_cli_session *a = user_session(&s, "alice", true);
	nt_cli_session *b = user_session(&s, "bob", true);
	if (!a || !b) {
		disconnect(a);
		disconnect(b);
		goto out;
	}
	cr_span one[2] = { S("kp-one"), S("kp-two") }, lr = S("kp-last-resort");
	CHECK_OK(nt_cs_kp_upload(a, false, one, 2));
	CHECK(a->resp.one_time_left == 2);
	CHECK_OK(nt_cs_kp_upload(a, true, &lr, 1));
	/* The same KeyPackage again: EXISTS, nothing stored. */
	server_err(a, nt_cs_kp_upload(a, false, one, 1), NT_E_EXISTS);
	server_err(b, nt_cs_kp_fetch(b, "nobody"), NT_E_NOT_FOUND);
	server_err(b, nt_cs_kp_fetch(b, "bob"), NT_E_NOT_FOUND);
	/* One-time ones are consumed oldest first; the last resort stays. */
	const char *want[4] = { "kp-one", "kp-two", "kp-last-resort", "kp-last-resort" };
	for (int i = 0; i < 4; i++) {
		if (!CHECK_OK(nt_cs_kp_fetch(b, "alice")))
			break;
		CHECK(b->resp.last_resort == (i >= 2));
		CHECK(b->resp.key_package.n == strlen(want[i]) &&
		      !memcmp(b->resp.key_package.p, want[i], strlen(want[i])));
	}
	cr_span three = S("kp-three");
	CHECK_OK(nt_cs_kp_upload(a, false, &three, 1));
	CHECK(a->resp.one_time_left == 1);
	disconnect(a);
	disconnect(b);
out:
	teardown(&s);
}

typedef struct seen {
	size_t n;
	uint64_t pos[512];
	uint8_t kind[512];
	uint64_t epoch[512];
	char msg[512][32];
} seen;

/* Fetches everything after `after`, in pages. */
static bool fetch_all(nt_cli_session *c, const char *gid, uint64_t after, seen *out)
{
	memset(out, 0, sizeof *out);
	for (int page = 0; page < 100; page++) {
		if (!CHECK_OK(nt_cs_fetch(c, gid, after, 0))) {
			t_note("fetch: %s", c->err);
			return false;
		}
		if (c->resp.n_entries == 0)
			return true;
		nt_cli_entry e;
		while (nt_cli_next_entry(&c->resp.entries, &e) == CR_OK && out->n < 512) {
			if (!CHECK(e.position > after))
				return false;
			after = e.position;
			out->pos[out->n] = e.position;
			out->kind[out->n] = e.kind;
			out->epoch[out->n] = e.epoch;
			size_t m = e.message.n < 31 ? e.message.n : 31;
			memcpy(out->msg[out->n], e.message.p, m);
			out->n++;
		}
	}
	return CHECK(false);
}

static st_err count_rows(void *ctx, const st_log_entry *e)
{
	(void)e;
	(*(size_t *)ctx)++;
	return ST_OK;
}

TEST(e2e_commits_offline_delivery_and_ack)
{
	server s;
	static seen got;
	if (!fixture_up(&s, false))
		return;
	nt_cli_session *a = user_session(&s, "alice", true);
	nt_cli_session *b = user_session(&s, "bob", true);
	if (!a || !b) {
		disconnect(a);
		disconnect(b);
		goto out;
	}
	CHECK_OK(nt_cs_group_create(a, "team"));
	server_err(b, nt_cs_group_create(b, "team"), NT_E_EXISTS);
	server_err(b, post(b, "team", NT_KIND_APPLICATION, 0, "intruder", NULL), NT_E_FORBIDDEN);
	CHECK_OK(post(a, "team", NT_KIND_APPLICATION, 0, "before-bob", NULL));
	/* Epoch 0 -> 1 adds bob (with a Welcome). */
	CHECK_OK(post(a, "team", NT_KIND_COMMIT, 0, "commit-0", "bob"));
	CHECK(a->resp.epoch == 1);
	/* A second commit for epoch 0: conflict, the group does not fork. */
	server_err(a, post(a, "team", NT_KIND_COMMIT, 0, "commit-0-late", NULL), NT_E_CONFLICT);
	/* Two members commit for epoch 1: the first wins, the second conflicts. */
	CHECK_OK(post(b, "team", NT_KIND_COMMIT, 1, "commit-1-bob", NULL));
	CHECK(b->resp.epoch == 2);
	server_err(a, post(a, "team", NT_KIND_COMMIT, 1, "commit-1-alice", NULL), NT_E_CONFLICT);
	CHECK_OK(post(a, "team", NT_KIND_APPLICATION, 2, "hello-1", NULL));
	CHECK_OK(post(a, "team", NT_KIND_APPLICATION, 2, "hello-2", NULL));
	uint64_t last = a->resp.position;
	disconnect(b);
	disconnect(a);
	/* Offline delivery: bob comes back and reads from his Welcome on. */
	b = user_session(&s, "bob", false);
	if (b && fetch_all(b, "team", 0, &got)) {
		const char *want[5] = { "commit-0", "welcome", "commit-1-bob", "hello-1", "hello-2" };
		const uint8_t kinds[5] = { NT_KIND_COMMIT, NT_KIND_WELCOME, NT_KIND_COMMIT, NT_KIND_APPLICATION,
					   NT_KIND_APPLICATION };
		if (CHECK(got.n == 4)) {
			for (size_t i = 0; i < 4; i++) {
				CHECK(!strcmp(got.msg[i], want[i + 1]));
				CHECK(got.kind[i] == kinds[i + 1]);
			}
			CHECK(got.pos[3] == last);
			CHECK(got.epoch[2] == 2);
		}
		/* Acknowledged entries are not fetched again. */
		CHECK_OK(nt_cs_ack(b, "team", got.pos[1]));
		fetch_all(b, "team", 0, &got);
		CHECK(got.n == 2 && !strcmp(got.msg[0], "hello-1"));
		/* Acks never go backwards nor beyond the log. */
		server_err(b, nt_cs_ack(b, "team", 1), NT_E_LIMIT);
		server_err(b, nt_cs_ack(b, "team", last + 10), NT_E_LIMIT);
		CHECK_OK(nt_cs_ack(b, "team", last));
		fetch_all(b, "team", 0, &got);
		CHECK(got.n == 0);
	}
	disconnect(b);
	a = user_session(&s, "alice", false);
	if (a) {
		fetch_all(a, "team", 0, &got);
		CHECK(got.n == 6 && !strcmp(got.msg[0], "before-bob"));
		CHECK_OK(nt_cs_ack(a, "team", last));
	}
	disconnect(a);
	/* Once every member acknowledged, the log is deleted. */
	server_stop(&s, SIGTERM);
	st_server *db = NULL;
	if (CHECK(st_server_open(&db, s.db) == ST_OK)) {
		st_group g;
		if (CHECK(st_group_get(db, (const uint8_t *)"team", 4, &g) == ST_OK)) {
			CHECK(g.epoch == 2);
			CHECK(g.next_pos == last + 1);
			size_t rows = 0;
			CHECK(st_log_fetch(db, g.id, 0, 256, count_rows, &rows) == ST_OK);
			CHECK(rows == 0);
		}
		st_server_close(db);
	}
out:
	teardown(&s);
}

/* A hostile peer: raw bytes, then the one answer it gets, then EOF. */
static void hostile(server *s, const uint8_t *p, size_t n, nt_code want)
{
	nt_cli_session *c = conn(s);
	if (!c)
		return;
	if (CHECK_OK(nt_cs_send_raw(c, p, n)) && CHECK_OK(nt_cs_recv(c))) {
		CHECK(c->resp.type == NT_ERROR && c->resp.code == want);
		/* The server closes after it. */
		CHECK(nt_cs_recv(c) != CR_OK && c->fail == NT_CS_CLOSED);
	}
	disconnect(c);
}

TEST(e2e_oversized_and_malformed_frames)
{
	server s;
	if (!fixture_up(&s, false))
		return;
	/* A length above the server's limit, announced before any body. */
	static const uint8_t big[] = { 0xff, 0xff, 0xff, 0xf0, 0x00, 0x12, 0, 0, 0, 9 };
	hostile(&s, big, sizeof big, NT_E_TOO_LARGE);
	/* A LOGIN whose username length runs past the body. */
	static const uint8_t bad[] = { 0, 0, 0, 6, 0x00, 0x12, 0, 0, 0, 9, 0x3f, 'a' };
	hostile(&s, bad, sizeof bad, NT_E_MALFORMED);
	/* A frame type the server does not know, and a second HELLO: answered
	 * with UNEXPECTED, the connection stays usable. */
	static const uint8_t unknown[] = { 0, 0, 0, 5, 0x77, 0x77, 0, 0, 0, 7, 0 };
	static const uint8_t hello2[] = { 0, 0, 0, 9, 0, 1, 0, 0, 0, 8, 0, 1, 0, 1, 0 };
	nt_cli_session *c = conn(&s);
	if (c) {
		if (CHECK_OK(nt_cs_send_raw(c, unknown, sizeof unknown)) && CHECK_OK(nt_cs_recv(c)))
			CHECK(c->resp.type == NT_ERROR && c->resp.id == 7 && c->resp.code == NT_E_UNEXPECTED);
		if (CHECK_OK(nt_cs_send_raw(c, hello2, sizeof hello2)) && CHECK_OK(nt_cs_recv(c)))
			CHECK(c->resp.type == NT_ERROR && c->resp.id == 8 && c->resp.code == NT_E_UNEXPECTED);
		/* Request ids continue from the client's own counter: the
		 * raw frames above used ids the engine will not reuse soon. */
		uint8_t seed[32];
		seed_of("erin", seed);
		CHECK_OK(nt_cs_register(c, "erin", PW, seed, NULL));
		CHECK_OK(nt_cs_login(c, "erin", PW, seed));
		disconnect(c);
	}
	/* The server still serves the next client. */
	c = user_session(&s, "alice", true);
	CHECK(c != NULL);
	disconnect(c);
	teardown(&s);
}

TEST(e2e_restart_keeps_queued_mail)
{
	server s;
	static seen got;
	if (!fixture_up(&s, false))
		return;
	nt_cli_session *a = user_session(&s, "alice", true);
	nt_cli_session *b = user_session(&s, "bob", true);
	if (a && b) {
		CHECK_OK(nt_cs_group_create(a, "g"));
		CHECK_OK(post(a, "g", NT_KIND_COMMIT, 0, "add-bob", "bob"));
		char m[32];
		for (int i = 0; i < 10; i++) {
			snprintf(m, sizeof m, "queued-%d", i);
			CHECK_OK(post(a, "g", NT_KIND_APPLICATION, 1, m, NULL));
		}
	}
	disconnect(a);
	disconnect(b);
	server_stop(&s, SIGTERM);
	/* Same database, same key (same pin), same port. */
	if (!CHECK(server_start(&s)))
		goto out;
	b = user_session(&s, "bob", false);
	if (b && fetch_all(b, "g", 0, &got) && CHECK(got.n == 11)) {
		CHECK(!strcmp(got.msg[0], "welcome"));
		for (int i = 0; i < 10; i++) {
			char m[32];
			snprintf(m, sizeof m, "queued-%d", i);
			CHECK(!strcmp(got.msg[i + 1], m));
		}
	}
	disconnect(b);
out:
	teardown(&s);
}

/* kill -9 while the server works through a pipelined burst of posts: every
 * post whose POST_OK arrived is fetched after the restart. */
TEST(e2e_kill9_keeps_acknowledged_posts)
{
	server s;
	static seen got;
	if (!fixture_up(&s, false))
		return;
	nt_cli_session *a = user_session(&s, "alice", true);
	if (!a)
		goto out;
	CHECK_OK(nt_cs_group_create(a, "burst"));
	enum { N = 300, KILL_AT = 120 };
	uint32_t ids[N];
	size_t sent = 0, acked = 0;
	bool dead = false;
	/* Send everything at once (the server answers in order), kill the
	 * server after KILL_AT answers, read what still comes. */
	cr_writer w;
	cr_writer_init_dynamic(&w, 1u << 20);
	for (size_t i = 0; i < N; i++) {
		char m[32];
		snprintf(m, sizeof m, "burst-%zu", i);
		nt_cli_post p = { .gid = (const uint8_t *)"burst", .gid_len = 5, .kind = NT_KIND_APPLICATION,
				  .message = S(m) };
		ids[i] = nt_cli_post_msg(&a->conn, &w, &p);
	}
	int64_t t0 = e2e_now_ms();
	if (CHECK_OK(cr_writer_error(&w)) && CHECK_OK(nt_cs_send_raw(a, w.p, w.len)))
		sent = N;
	cr_writer_free(&w);
	for (size_t i = 0; i < sent; i++) {
		if (nt_cs_recv(a) != CR_OK)
			break;
		if (!CHECK_OK(nt_cli_match(&a->resp, ids[i], NT_POST_OK)))
			break;
		CHECK(a->resp.position == i + 1);
		acked = i + 1;
		if (acked == KILL_AT) {
			/* Each POST_OK follows a durable commit (synchronous=FULL). */
			t_note("%d durable posts in %lld ms", KILL_AT, (long long)(e2e_now_ms() - t0));
			kill(s.pid, SIGKILL);
			dead = true;
		}
	}
	disconnect(a);
	CHECK(dead);
	CHECK(acked >= KILL_AT);
	server_stop(&s, SIGKILL);
	if (!CHECK(server_start(&s)))
		goto out;
	a = user_session(&s, "alice", false);
	if (a && fetch_all(a, "burst", 0, &got)) {
		/* Every acknowledged post, in order, and nothing invented. */
		CHECK(got.n >= acked && got.n <= N);
		for (size_t i = 0; i < got.n; i++) {
			char m[32];
			snprintf(m, sizeof m, "burst-%zu", i);
			if (!CHECK(!strcmp(got.msg[i], m) && got.pos[i] == i + 1))
				break;
		}
		t_note("acknowledged %zu of %d before kill -9, %zu stored", acked, N, got.n);
	}
	disconnect(a);
out:
	teardown(&s);
}

/* Waits (bounded) for a NOTIFY of gid at position >= pos. */
static bool wait_notify_for(nt_cli_session *c, const char *gid, uint64_t pos)
{
	int64_t end = e2e_now_ms() + 5000;
	while (e2e_now_ms() < end) {
		bool got = false;
		if (!CHECK_OK(nt_cs_wait_notify(c, 200, &got))) {
			t_note("wait: %s", c->err);
			return false;
		}
		nt_cs_notify n;
		while (nt_cs_take_notify(c, &n))
			if (!strcmp(n.gid, gid) && n.position >= pos)
				return true;
	}
	t_note("no NOTIFY for %s at %llu", gid, (unsigned long long)pos);
	return false;
}

/* PRESENCE until it lists exactly `want` (NULL: nobody), bounded: a closed
 * connection leaves the registry when the server notices. */
static bool presence_is(nt_cli_session *c, const char *want)
{
	int64_t end = e2e_now_ms() + 5000;
	do {
		if (!CHECK_OK(nt_cs_presence(c)))
			return false;
		cr_span name;
		if (!want && c->resp.n_names == 0)
			return true;
		if (want && c->resp.n_names == 1 && nt_cli_next_name(&c->resp.names, &name) == CR_OK &&
		    name.n == strlen(want) && !memcmp(name.p, want, name.n))
			return true;
		usleep(20000);
	} while (e2e_now_ms() < end);
	t_note("presence never became %s", want ? want : "empty");
	return false;
}

TEST(e2e_join_request_notify_presence_dm)
{
	server s;
	nt_cli_session *a = NULL, *b = NULL, *c = NULL;
	uint8_t *kp = NULL;
	if (!fixture_up(&s, false))
		return;
	a = user_session(&s, "alice", true);
	b = user_session(&s, "bob", true);
	c = user_session(&s, "carol", true);
	if (!a || !b || !c)
		goto out;
	CHECK_OK(nt_cs_group_create(a, "team"));
	/* Carol is online but shares no group; bob none yet either. */
	CHECK(presence_is(a, NULL));
	/* bob asks to join with his KeyPackage; alice, online, is told. */
	uint8_t seed[32];
	seed_of("bob", seed);
	size_t kp_len = 0;
	mls_kp_secrets sec;
	if (!CHECK_OK(mls_keypackage_create(seed, (const uint8_t *)"bob", 3, 0, UINT64_MAX, &s.rng, &kp, &kp_len,
					    &sec)))
		goto out;
	mls_kp_secrets_wipe(&sec);
	CHECK_OK(nt_cs_join_request(b, "team", kp, kp_len));
	uint64_t req = b->resp.position;
	server_err(b, nt_cs_join_request(b, "team", kp, kp_len), NT_E_EXISTS);
	CHECK(wait_notify_for(a, "team", req));
	/* ...and FETCHes it: kind JOIN_REQUEST, from bob, his KeyPackage. */
	if (CHECK_OK(nt_cs_fetch(a, "team", 0, 0))) {
		nt_cli_entry e;
		CHECK(a->resp.n_entries == 1);
		if (CHECK_OK(nt_cli_next_entry(&a->resp.entries, &e)))
			CHECK(e.position == req && e.kind == NT_KIND_JOIN_REQUEST && e.sender.n == 3 &&
			      !memcmp(e.sender.p, "bob", 3) && e.message.n == kp_len &&
			      !memcmp(e.message.p, kp, kp_len));
	}
	/* Alice adds bob: bob, now a member, is told of the Welcome. */
	CHECK_OK(post(a, "team", NT_KIND_COMMIT, 0, "commit-add-bob", "bob"));
	uint64_t welcome = a->resp.position + 1;
	CHECK(wait_notify_for(b, "team", welcome));
	/* bob posts while alice awaits another answer: a NOTIFY that arrives
	 * first is queued by her session, not a protocol violation. */
	CHECK_OK(post(b, "team", NT_KIND_APPLICATION, 1, "hello", NULL));
	uint64_t hello = b->resp.position;
	CHECK_OK(nt_cs_groups_list(a));
	CHECK(a->resp.n_groups == 1);
	CHECK(wait_notify_for(a, "team", hello));
	/* Presence: bob only (carol shares nothing); members say who is on. */
	CHECK(presence_is(a, "bob"));
	if (CHECK_OK(nt_cs_members(a, "team"))) {
		nt_cli_member m;
		CHECK(a->resp.n_members == 2);
		CHECK(nt_cli_next_member(&a->resp.members, &m) == CR_OK && m.role == NT_ROLE_OWNER && m.online);
		CHECK(nt_cli_next_member(&a->resp.members, &m) == CR_OK && m.name.n == 3 && m.online);
	}
	disconnect(b);
	b = NULL;
	CHECK(presence_is(a, NULL));
	/* A DM group made by one side is EXISTS for the other. */
	CHECK_OK(nt_cs_dm_create(a, "carol"));
	char dm[NT_DM_GID_LEN + 1];
	CHECK_OK(nt_dm_gid((const uint8_t *)"carol", 5, (const uint8_t *)"alice", 5, dm));
	CHECK(a->resp.gid.n == NT_DM_GID_LEN && !memcmp(a->resp.gid.p, dm, NT_DM_GID_LEN));
	server_err(c, nt_cs_dm_create(c, "alice"), NT_E_EXISTS);
	server_err(c, nt_cs_group_create(c, dm), NT_E_FORBIDDEN);
	/* Nothing else is queued for carol: a wait times out quietly. */
	bool got = true;
	CHECK_OK(nt_cs_wait_notify(c, 50, &got));
	CHECK(!got);
	CHECK(nt_cs_fd(c) >= 0);
out:
	free(kp);
	disconnect(a);
	disconnect(b);
	disconnect(c);
	teardown(&s);
}

/* ------------------------------------------------------------- files */

/* Writes a file of n bytes: a pattern in [0, min(n, 3 chunks)), sparse zeros
 * after, and a few marked bytes near the end (a 100 MiB file costs nothing
 * to make and still differs in every chunk that matters). */
static bool make_file(const char *path, uint64_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return false;
	bool ok = ftruncate(fd, (off_t)n) == 0;
	static uint8_t buf[3 * 65536 + 7];
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (uint8_t)(i * 7 + (i >> 8));
	size_t head = n < sizeof buf ? (size_t)n : sizeof buf;
	ok = ok && pwrite(fd, buf, head, 0) == (ssize_t)head;
	if (n > sizeof buf + 100)
		ok = ok && pwrite(fd, "tail marks", 10, (off_t)(n - 10)) == 10 &&
		     pwrite(fd, "middle", 6, (off_t)(n / 2)) == 6;
	return close(fd) == 0 && ok;
}

static bool same_files(const char *a, const char *b)
{
	FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
	bool same = fa && fb;
	static uint8_t ba[1 << 20], bb[1 << 20];
	while (same) {
		size_t na = fread(ba, 1, sizeof ba, fa), nb = fread(bb, 1, sizeof bb, fb);
		same = na == nb && memcmp(ba, bb, na) == 0;
		if (na == 0)
			break;
	}
	if (fa)
		fclose(fa);
	if (fb)
		fclose(fb);
	return same;
}

/* Entries of dir whose name starts with prefix. */
static int count_named(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	int n = 0;
	struct dirent *e;
	while (d && (e = readdir(d)) != NULL)
		n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
	if (d)
		closedir(d);
	return n;
}

typedef struct progress_log {
	uint64_t calls, last_done, total;
	bool monotonic;
} progress_log;

static void on_progress(void *ctx, uint64_t done, uint64_t total)
{
	progress_log *p = ctx;
	p->monotonic &= done >= p->last_done && done <= total && (p->calls == 0 || total == p->total);
	p->calls++;
	p->last_done = done;
	p->total = total;
}

static double secs_since(int64_t start)
{
	int64_t d = e2e_now_ms() - start;
	return (double)(d > 0 ? d : 1) / 1000.0;
}

TEST(e2e_files)
{
	server s;
	nt_cli_session *a = NULL, *b = NULL;
	if (!fixture_up(&s, false))
		return;
	a = user_session(&s, "alice", true);
	b = user_session(&s, "bob", true);
	if (!a || !b)
		goto out;
	static const uint64_t sizes[] = { 0, 1, 3 * 65536 + 17, 100ull << 20 };
	for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
		char in[300], out_path[300], err[256] = "";
		snprintf(in, sizeof in, "%s/in-%zu", s.dir, k);
		snprintf(out_path, sizeof out_path, "%s/out-%zu", s.dir, k);
		if (!CHECK(make_file(in, sizes[k])))
			continue;
		nt_file_ref ref, parsed;
		progress_log ps = { 0, 0, 0, true }, pf = { 0, 0, 0, true };
		int64_t t0 = e2e_now_ms();
		if (!CHECK_OK(nt_file_send(a, in, &s.rng, on_progress, &ps, &ref, err, sizeof err))) {
			t_note("send %zu: %s", k, err);
			continue;
		}
		double send_s = secs_since(t0);
		CHECK(ref.size == sizes[k] && ps.monotonic && ps.calls >= 2 && ps.last_done == sizes[k]);
		/* The reader gets the ref as text, inside an MLS message. */
		char text[NT_FILE_REF_TEXT_MAX];
		nt_file_ref_text(&ref, text);
		if (!CHECK_OK(nt_file_ref_parse(text, &parsed)))
			continue;
		CHECK_MEM(&parsed, &ref, sizeof ref);
		t0 = e2e_now_ms();
		if (!CHECK_OK(nt_file_fetch(b, &parsed, out_path, on_progress, &pf, err, sizeof err)))
			t_note("fetch %zu: %s", k, err);
		double fetch_s = secs_since(t0);
		CHECK(pf.monotonic && pf.last_done == sizes[k]);
		CHECK(same_files(in, out_path));
		if (sizes[k] >= (1u << 20))
			t_note("%llu MiB over loopback TLS: send %.2f s (%.0f MB/s), fetch %.2f s (%.0f MB/s)",
			       (unsigned long long)(sizes[k] >> 20), send_s, (double)sizes[k] / 1e6 / send_s, fetch_s,
			       (double)sizes[k] / 1e6 / fetch_s);
		unlink(out_path);
		if (k == 2) {
			/* A wrong blob id: NOT_FOUND; a wrong key or hash: the
			 * chunks or the hash do not verify. No file is left. */
			nt_file_ref bad = ref;
			bad.blob_id[0] ^= 1;
			CHECK_ERR(nt_file_fetch(b, &bad, out_path, NULL, NULL, err, sizeof err), CR_ERR_INVALID);
			CHECK(b->code == NT_E_NOT_FOUND);
			bad = ref;
			bad.key[5] ^= 0x10;
			CHECK_ERR(nt_file_fetch(b, &bad, out_path, NULL, NULL, err, sizeof err), CR_ERR_AUTH);
			bad = ref;
			bad.sha256[31] ^= 1;
			CHECK_ERR(nt_file_fetch(b, &bad, out_path, NULL, NULL, err, sizeof err), CR_ERR_AUTH);
			bad = ref;
			bad.size -= 1;
			CHECK_ERR(nt_file_fetch(b, &bad, out_path, NULL, NULL, err, sizeof err), CR_ERR_AUTH);
			CHECK(access(out_path, F_OK) != 0 && count_named(s.dir, "out-") == 0);
			/* The session is still usable after a refused fetch. */
			CHECK_OK(nt_file_fetch(b, &ref, out_path, NULL, NULL, err, sizeof err));
			CHECK(same_files(in, out_path));
			unlink(out_path);
		}
		nt_file_ref_wipe(&ref);
		nt_file_ref_wipe(&parsed);
		unlink(in);
	}
	/* Not a regular file: refused before anything is sent. */
	nt_file_ref ref;
	char err[256];
	CHECK_ERR(nt_file_send(a, s.dir, &s.rng, NULL, NULL, &ref, err, sizeof err), CR_ERR_ARG);
	char missing[300];
	snprintf(missing, sizeof missing, "%s/missing", s.dir);
	CHECK(nt_file_send(a, missing, &s.rng, NULL, NULL, &ref, err, sizeof err) != CR_OK);
out:
	disconnect(a);
	disconnect(b);
	teardown(&s);
}

/* Another connection of the sender writes one byte at the blob's current
 * end as soon as the first piece is acknowledged, so a later piece of the
 * pipelined upload no longer follows and is refused. */
typedef struct interloper {
	nt_cli_session *other;
	const nt_file_ref *ref;   /* the upload's, blob id set once created */
	bool done;
	uint64_t at;
} interloper;

static void interlope(void *ctx, uint64_t done, uint64_t total)
{
	interloper *x = ctx;
	(void)total;
	if (x->done || done == 0)
		return;
	/* The server's written count is at a piece's end, a whole number of
	 * sealed chunks; the uploader waits in this call, so it stops moving
	 * once the pieces in flight are stored. */
	for (int pass = 0; pass < 20 && !x->done; pass++) {
		for (uint64_t off = CR_FILE_SEALED_CHUNK; off <= (12ull << 20) && !x->done; off += CR_FILE_SEALED_CHUNK) {
			if (nt_cs_blob_write(x->other, x->ref->blob_id, off, (const uint8_t *)"!", 1) == CR_OK) {
				x->done = true;
				x->at = off;
			}
		}
		if (!x->done)
			usleep(20000);
	}
}

/* Pipelined transfers against the real server: one refused piece ends the
 * upload with that refusal and leaves the session usable; an upload goes
 * on from a new connection; a wrong declared hash is HASH and deletes. */
TEST(e2e_files_pipelined_refusal_and_continued_upload)
{
	server s;
	nt_cli_session *a = NULL, *a2 = NULL, *b = NULL;
	if (!fixture_up(&s, false))
		return;
	a = user_session(&s, "alice", true);
	a2 = user_session(&s, "alice", false);
	b = user_session(&s, "bob", true);
	if (!a || !a2 || !b)
		goto out;
	char in[300], out_path[300], err[256] = "";
	snprintf(in, sizeof in, "%s/in-pipe", s.dir);
	snprintf(out_path, sizeof out_path, "%s/out-pipe", s.dir);
	if (!CHECK(make_file(in, 8ull << 20)))
		goto out;
	nt_file_ref ref;
	interloper x = { a2, &ref, false, 0 };
	CHECK_ERR(nt_file_send(a, in, &s.rng, interlope, &x, &ref, err, sizeof err), CR_ERR_INVALID);
	CHECK(x.done && x.at > 0);
	t_note("another connection wrote at %llu; the upload: %s", (unsigned long long)x.at, err);
	CHECK(a->fail == NT_CS_SERVER && a->code == NT_E_LIMIT);
	/* The session went on in step: the same file now goes through. */
	CHECK_OK(nt_file_send(a, in, &s.rng, NULL, NULL, &ref, err, sizeof err));
	CHECK_OK(nt_file_fetch(b, &ref, out_path, NULL, NULL, err, sizeof err));
	CHECK(same_files(in, out_path));
	unlink(out_path);
	nt_file_ref_wipe(&ref);
	/* Half an upload on one connection, dropped; the rest from a new one. */
	static uint8_t content[3000];
	for (size_t i = 0; i < sizeof content; i++)
		content[i] = (uint8_t)(i * 11 + 5);
	uint8_t h[32], id[NT_BLOB_ID_LEN];
	cr_sha256(h, content, sizeof content);
	if (!CHECK_OK(nt_cs_blob_create(a2, sizeof content, h)))
		goto out;
	memcpy(id, a2->resp.blob_id, sizeof id);
	uint32_t ids[3];
	CHECK_OK(nt_cs_blob_write_send(a2, id, 0, content, 1000, &ids[0]));
	CHECK_OK(nt_cs_blob_write_send(a2, id, 1000, content + 1000, 333, &ids[1]));
	CHECK_OK(nt_cs_await(a2, ids[0], NT_BLOB_WRITE_OK));
	CHECK(a2->resp.written == 1000 && !a2->resp.complete);
	CHECK_OK(nt_cs_await(a2, ids[1], NT_BLOB_WRITE_OK));
	CHECK(a2->resp.written == 1333);
	disconnect(a2);
	a2 = user_session(&s, "alice", false);
	if (!a2)
		goto out;
	CHECK(server_err(a2, nt_cs_blob_write(a2, id, 1000, content + 1000, 333), NT_E_LIMIT));
	CHECK_OK(nt_cs_blob_write(a2, id, 1333, content + 1333, sizeof content - 1333));
	CHECK(a2->resp.written == sizeof content && a2->resp.complete);
	CHECK_OK(nt_cs_blob_read(b, id, 0, 0));
	CHECK(b->resp.data.n == sizeof content && !memcmp(b->resp.data.p, content, sizeof content));
	/* A wrong declared hash: HASH at the last piece, and the blob is gone. */
	h[7] ^= 1;
	if (!CHECK_OK(nt_cs_blob_create(a2, sizeof content, h)))
		goto out;
	memcpy(id, a2->resp.blob_id, sizeof id);
	CHECK_OK(nt_cs_blob_write_send(a2, id, 0, content, 2000, &ids[0]));
	CHECK_OK(nt_cs_blob_write_send(a2, id, 2000, content + 2000, 1000, &ids[1]));
	CHECK_OK(nt_cs_blob_write_send(a2, id, 3000, content, 1, &ids[2]));
	CHECK_OK(nt_cs_await(a2, ids[0], NT_BLOB_WRITE_OK));
	CHECK(server_err(a2, nt_cs_await(a2, ids[1], NT_BLOB_WRITE_OK), NT_E_HASH));
	CHECK(server_err(a2, nt_cs_await(a2, ids[2], NT_BLOB_WRITE_OK), NT_E_NOT_FOUND));
	CHECK(server_err(b, nt_cs_blob_read(b, id, 0, 0), NT_E_NOT_FOUND));
	unlink(in);
out:
	disconnect(a);
	disconnect(a2);
	disconnect(b);
	teardown(&s);
}

static const t_case cases[] = {
	T(e2e_register_login_and_pinning),
	T(e2e_register_by_invite),
	T(e2e_key_packages),
	T(e2e_commits_offline_delivery_and_ack),
	T(e2e_oversized_and_malformed_frames),
	T(e2e_restart_keeps_queued_mail),
	T(e2e_kill9_keeps_acknowledged_posts),
	T(e2e_join_request_notify_presence_dm),
	T(e2e_files),
	T(e2e_files_pipelined_refusal_and_continued_upload),
	{ 0 },
};

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (access(e2e_bin(), X_OK) != 0) {
		fprintf(stderr, "test_e2e_server: %s not found (set ECHOVER_BIN)\n", e2e_bin());
		return 1;
	}
	return t_main(argc, argv, cases);
}
