/*
 * test_e2e_server.c: end-to-end tests of the real binary. Each case starts
 * `echover server --listen 127.0.0.1:PORT --db TMP/s.db` as a child process
 * (binary: $ECHOVER_BIN, else ./echover, run from the repository root), on a
 * free loopback port, and talks to it with net/cli_session.h: registration
 * open and by invite, login success and failures, pinning, key packages
 * (one-time consumed, last-resort not), commit ordering and conflicts,
 * offline delivery, acknowledgement and deletion, oversized and malformed
 * frames, a graceful restart and a kill -9 in the middle of a burst of posts
 * (every acknowledged post survives). The child is killed at the end of each
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

#include "cli_session.h"
#include "dm.h"
#include "ed25519.h"
#include "group.h"
#include "st_server.h"
#include "t.h"

#define TIMEOUT_MS 15000

typedef struct server {
	char dir[256];
	char db[300];
	pid_t pid;
	uint16_t port;
	bool invite;
	uint8_t pin[NT_PIN_LEN];
	bool have_pin;
	cr_rng_det det;
	cr_rng rng;
} server;

static const char *bin(void)
{
	const char *b = getenv("ECHOVER_BIN");
	return b && *b ? b : "./echover";
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint16_t free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0 };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t al = sizeof a;
	uint16_t port = 0;
	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &al) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

/* fork + exec of the binary; stdout to out_fd if >= 0, else to TMP/log. */
static pid_t spawn(server *s, char *const argv[], int out_fd)
{
	char log[300];
	snprintf(log, sizeof log, "%s/log", s->dir);
	pid_t pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		int l = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (l >= 0) {
			dup2(l, 2);
			dup2(out_fd >= 0 ? out_fd : l, 1);
		}
		execv(bin(), argv);
		_exit(127);
	}
	return pid;
}

static bool tcp_up(uint16_t port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

/* Starts (or restarts, same db and port when s->port is set) the server and
 * waits until it accepts connections. */
static bool server_start(server *s)
{
	for (int attempt = 0; attempt < 5; attempt++) {
		if (!s->port || attempt > 0)
			s->port = free_port();
		char listen[32];
		snprintf(listen, sizeof listen, "127.0.0.1:%u", s->port);
		char *argv[] = { "echover", "server", "--listen", listen, "--db", s->db, "--policy",
				 s->invite ? "invite" : "open", NULL };
		s->pid = spawn(s, argv, -1);
		if (s->pid < 0)
			return false;
		int64_t end = now_ms() + 10000;
		while (now_ms() < end) {
			int st;
			if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
				s->pid = 0;
				break; /* exited: port taken? try another */
			}
			if (tcp_up(s->port))
				return true;
			usleep(20000);
		}
		if (s->pid > 0) {
			kill(s->pid, SIGKILL);
			waitpid(s->pid, NULL, 0);
			s->pid = 0;
		}
	}
	return false;
}

/* sig: SIGTERM (graceful) or SIGKILL. Waits at most 10 s, then kills. */
static void server_stop(server *s, int sig)
{
	if (s->pid <= 0)
		return;
	kill(s->pid, sig);
	int64_t end = now_ms() + 10000;
	while (now_ms() < end && waitpid(s->pid, NULL, WNOHANG) != s->pid)
		usleep(10000);
	if (now_ms() >= end) {
		kill(s->pid, SIGKILL);
		waitpid(s->pid, NULL, 0);
	}
	s->pid = 0;
}

static bool fixture(server *s, bool invite)
{
	memset(s, 0, sizeof *s);
	uint8_t seed[32] = { 0xe2 };
	cr_rng_det_init(&s->det, &s->rng, seed);
	const char *tmp = getenv("TMPDIR");
	if (!tmp || !*tmp || strlen(tmp) > 180)
		tmp = "/tmp";
	snprintf(s->dir, sizeof s->dir, "%s/echover-e2e-XXXXXX", tmp);
	if (!CHECK(mkdtemp(s->dir) != NULL))
		return false;
	snprintf(s->db, sizeof s->db, "%s/s.db", s->dir);
	s->invite = invite;
	return true;
}

static void teardown(server *s)
{
	server_stop(s, SIGKILL);
	DIR *d = opendir(s->dir);
	if (d) {
		struct dirent *e;
		char p[600];
		while ((e = readdir(d)) != NULL) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			snprintf(p, sizeof p, "%s/%s", s->dir, e->d_name);
			unlink(p);
		}
		closedir(d);
	}
	rmdir(s->dir);
}

/* `echover server --db DB invite`: one code into code[]. */
static bool make_invite(server *s, char code[80])
{
	int pfd[2];
	if (!CHECK(pipe(pfd) == 0))
		return false;
	char *argv[] = { "echover", "server", "--db", s->db, "invite", NULL };
	pid_t pid = spawn(s, argv, pfd[1]);
	close(pfd[1]);
	size_t n = 0;
	int64_t end = now_ms() + 10000;
	while (n < 79 && now_ms() < end) {
		struct pollfd pf = { .fd = pfd[0], .events = POLLIN };
		if (poll(&pf, 1, 1000) <= 0)
			continue;
		ssize_t r = read(pfd[0], code + n, 79 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(pfd[0]);
	code[n] = 0;
	char *nl = strchr(code, '\n');
	if (nl)
		*nl = 0;
	int st = -1;
	if (pid > 0)
		waitpid(pid, &st, 0);
	return CHECK(pid > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0 && strlen(code) > 0);
}

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
	if (!fixture(&s, false))
		return;
	if (!CHECK(server_start(&s)))
		goto out;
	int64_t t0 = now_ms();
	nt_cli_session *c = conn(&s);
	if (!c)
		goto out;
	t_note("TCP + TLS handshake + HELLO: %lld ms", (long long)(now_ms() - t0));
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
	t0 = now_ms();
	CHECK_OK(nt_cs_login(c, "alice", PW, seed));
	t_note("login (Argon2id, server defaults): %lld ms", (long long)(now_ms() - t0));
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
			t0 = now_ms();
			CHECK(nt_cs_connect(w, "127.0.0.1", ntohs(la.sin_port), NULL, 300, &s.rng) != CR_OK);
			CHECK(w->fail == NT_CS_TIMEOUT);
			CHECK(now_ms() - t0 < 3000);
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
	if (!fixture(&s, false))
		return;
	if (!CHECK(server_start(&s)))
		goto out;
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
	if (!fixture(&s, false))
		return;
	static seen got;
	if (!CHECK(server_start(&s)))
		goto out;
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
	if (!fixture(&s, false))
		return;
	if (!CHECK(server_start(&s)))
		goto out;
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
out:
	teardown(&s);
}

TEST(e2e_restart_keeps_queued_mail)
{
	server s;
	if (!fixture(&s, false))
		return;
	static seen got;
	if (!CHECK(server_start(&s)))
		goto out;
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
	if (!fixture(&s, false))
		return;
	static seen got;
	if (!CHECK(server_start(&s)))
		goto out;
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
	int64_t t0 = now_ms();
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
			t_note("%d durable posts in %lld ms", KILL_AT, (long long)(now_ms() - t0));
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
	int64_t end = now_ms() + 5000;
	while (now_ms() < end) {
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
	int64_t end = now_ms() + 5000;
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
	} while (now_ms() < end);
	t_note("presence never became %s", want ? want : "empty");
	return false;
}

TEST(e2e_join_request_notify_presence_dm)
{
	server s;
	if (!fixture(&s, false))
		return;
	nt_cli_session *a = NULL, *b = NULL, *c = NULL;
	uint8_t *kp = NULL;
	if (!CHECK(server_start(&s)))
		goto out;
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

static const t_case cases[] = {
	T(e2e_register_login_and_pinning),
	T(e2e_register_by_invite),
	T(e2e_key_packages),
	T(e2e_commits_offline_delivery_and_ack),
	T(e2e_oversized_and_malformed_frames),
	T(e2e_restart_keeps_queued_mail),
	T(e2e_kill9_keeps_acknowledged_posts),
	T(e2e_join_request_notify_presence_dm),
	{ 0 },
};

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (access(bin(), X_OK) != 0) {
		fprintf(stderr, "test_e2e_server: %s not found (set ECHOVER_BIN)\n", bin());
		return 1;
	}
	return t_main(argc, argv, cases);
}
