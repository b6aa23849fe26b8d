/*
 * test_e2e_client.c: the client engine (net/cli_client.h) against the real
 * server (tests/e2e_util.h), for what the one-shot commands cannot show:
 * with the ciphertext in hand (taken from the server's log), a joiner
 * cannot decrypt what came before and a leaver what comes after; a message
 * the server replays is ignored; a contact's changed key stops an add
 * until it is trusted; two commits for one epoch do not fork the group;
 * a client killed mid-sync, again and again, resumes and delivers every
 * message exactly once, in order. And the client's rough edges: a failed
 * registration retried, KeyPackages counted as the server has them, roles
 * (an admin removes, a member cannot), a stale leaf refreshed by a sync,
 * the outbox, DM events naming the peer, and a message posted twice under
 * one id (a retry after a lost answer) shown once.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "app_msg.h"
#include "cli_client_int.h"
#include "e2e_util.h"
#include "t.h"

typedef struct seen {
	unsigned n[NT_EV_PROGRESS + 1];
	char last_text[600];
	char last_body[256];
} seen;

static void on_event(void *ctx, const nt_client_event *ev)
{
	seen *s = ctx;
	if (ev->kind <= NT_EV_PROGRESS)
		s->n[ev->kind]++;
	if (ev->text)
		snprintf(s->last_text, sizeof s->last_text, "%s", ev->text);
	if (ev->kind == NT_EV_MESSAGE)
		snprintf(s->last_body, sizeof s->last_body, "%.*s", (int)ev->body_len, (const char *)ev->body);
}

typedef struct user {
	char name[16];
	char db[400];
	nt_client *c;
	seen ev;
} user;

static nt_client_opts opts(server *s, user *u)
{
	nt_client_opts o = { .db_path = u->db, .host = "127.0.0.1", .port = s->port, .user = u->name,
			     .passphrase = "test passphrase", .password = "test password 1", .timeout_ms = 15000,
			     .cheap_kdf = true, .on_event = on_event, .ctx = &u->ev };
	return o;
}

static bool reg(server *s, user *u, const char *name)
{
	memset(u, 0, sizeof *u);
	snprintf(u->name, sizeof u->name, "%s", name);
	snprintf(u->db, sizeof u->db, "%s/%s.db", s->dir, name);
	nt_client_opts o = opts(s, u);
	cr_err e = nt_client_register(&u->c, &o, NULL);
	if (!CHECK_OK(e))
		t_note("register %s: %s", name, nt_client_error(u->c));
	return e == CR_OK;
}

/* The usual start of a test: a fresh folder and server (open
 * registration), and the first n of alice, bob, carol, dave registered
 * into u[0..n-1]. */
static bool cast_up(server *s, user *u, size_t n)
{
	static const char *const names[] = { "alice", "bob", "carol", "dave" };
	if (n > sizeof names / sizeof names[0] || !fixture(s, false) || !CHECK(server_start(s)))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!reg(s, &u[i], names[i]))
			return false;
	return true;
}

static bool reopen(server *s, user *u)
{
	nt_client_close(u->c);
	nt_client_opts o = opts(s, u);
	cr_err e = nt_client_open(&u->c, &o);
	if (!CHECK_OK(e))
		t_note("open %s: %s", u->name, nt_client_error(u->c));
	return e == CR_OK;
}

static void bye(user *u, size_t n)
{
	for (size_t i = 0; i < n; i++)
		nt_client_close(u[i].c);
}

static bool ok(user *u, cr_err e, const char *what)
{
	if (!CHECK_OK(e))
		t_note("%s (%s): %s", what, u->name, nt_client_error(u->c));
	return e == CR_OK;
}

static cr_err send_text(user *u, const char *gid, const char *text)
{
	return nt_client_send(u->c, gid, (const uint8_t *)text, strlen(text));
}

/* The newest application message of gid in u's unacknowledged log. */
static uint8_t *last_ciphertext(user *u, const char *gid, size_t *n)
{
	if (!CHECK_OK(nt_cs_fetch(u->c->s, gid, 0, 0)))
		return NULL;
	uint8_t *out = NULL;
	nt_cli_entry e;
	while (nt_cli_next_entry(&u->c->s->resp.entries, &e) == CR_OK) {
		if (e.kind != NT_KIND_APPLICATION)
			continue;
		free(out);
		out = malloc(e.message.n);
		if (!out)
			return NULL;
		memcpy(out, e.message.p, e.message.n);
		*n = e.message.n;
	}
	CHECK(out != NULL);
	return out;
}

static bool cannot_decrypt(mls_group *g, const uint8_t *ct, size_t n)
{
	uint8_t *pt = NULL;
	size_t pt_len;
	uint32_t sender;
	cr_err e = mls_group_decrypt(g, ct, n, &pt, &pt_len, &sender);
	free(pt);
	return e != CR_OK;
}

TEST(e2e_client_joiner_and_leaver_hold_ciphertext_they_cannot_read)
{
	server s;
	user u[3];
	memset(u, 0, sizeof u);
	uint8_t *past = NULL, *future = NULL;
	size_t past_n = 0, future_n = 0;
	mls_group *bob_then = NULL, *bob_now = NULL;
	st_client_group row;
	if (!fixture(&s, false) || !CHECK(server_start(&s)))
		goto out;
	if (!reg(&s, &u[0], "alice") || !reg(&s, &u[1], "bob") || !reg(&s, &u[2], "carol"))
		goto out;
	if (!ok(&u[0], nt_client_group_create(u[0].c, "club"), "create") ||
	    !ok(&u[0], send_text(&u[0], "club", "the past"), "send"))
		goto out;
	if (!(past = last_ciphertext(&u[0], "club", &past_n)))
		goto out;
	if (!ok(&u[0], nt_client_group_add(u[0].c, "club", "bob"), "add bob") ||
	    !ok(&u[0], nt_client_group_add(u[0].c, "club", "carol"), "add carol") ||
	    !ok(&u[0], send_text(&u[0], "club", "the present"), "send") ||
	    !ok(&u[1], nt_client_sync_group(u[1].c, "club"), "bob syncs") ||
	    !ok(&u[2], nt_client_sync_group(u[2].c, "club"), "carol syncs"))
		goto out;
	CHECK(u[1].ev.n[NT_EV_JOINED] == 1 && u[1].ev.n[NT_EV_MESSAGE] == 1);
	CHECK(!strcmp(u[1].ev.last_body, "the present"));
	if (!ok(&u[1], nt_client_group_load(u[1].c, "club", &bob_then, &row), "bob's state"))
		goto out;
	CHECK(cannot_decrypt(bob_then, past, past_n));
	/* bob leaves; carol, online, commits it; alice writes on. */
	if (!ok(&u[1], nt_client_group_leave(u[1].c, "club"), "bob leaves") ||
	    !ok(&u[2], nt_client_sync(u[2].c), "carol commits") ||
	    !ok(&u[0], send_text(&u[0], "club", "the future"), "send"))
		goto out;
	CHECK(u[2].ev.n[NT_EV_MEMBER_REMOVED] == 1);
	if (!(future = last_ciphertext(&u[0], "club", &future_n)))
		goto out;
	if (!ok(&u[1], nt_client_group_load(u[1].c, "club", &bob_now, &row), "bob's last state"))
		goto out;
	CHECK(cannot_decrypt(bob_then, future, future_n));
	CHECK(cannot_decrypt(bob_now, future, future_n));
	if (ok(&u[1], nt_client_sync(u[1].c), "bob syncs"))
		CHECK(u[1].ev.n[NT_EV_LEFT] == 1 && u[1].ev.n[NT_EV_MESSAGE] == 1);
	if (ok(&u[2], nt_client_sync(u[2].c), "carol syncs"))
		CHECK(!strcmp(u[2].ev.last_body, "the future"));
out:
	mls_group_free(bob_then);
	mls_group_free(bob_now);
	free(past);
	free(future);
	bye(u, 3);
	teardown(&s);
}

TEST(e2e_client_replayed_message_is_ignored)
{
	server s;
	user u[2];
	memset(u, 0, sizeof u);
	uint8_t *ct = NULL;
	size_t n = 0;
	if (!cast_up(&s, u, 2))
		goto out;
	if (!ok(&u[0], nt_client_group_create(u[0].c, "g"), "create") ||
	    !ok(&u[0], nt_client_group_add(u[0].c, "g", "bob"), "add") ||
	    !ok(&u[0], send_text(&u[0], "g", "only once"), "send") || !(ct = last_ciphertext(&u[0], "g", &n)) ||
	    !ok(&u[1], nt_client_sync_group(u[1].c, "g"), "bob syncs"))
		goto out;
	CHECK(u[1].ev.n[NT_EV_MESSAGE] == 1);
	/* The server (here: alice's raw session) stores the same ciphertext twice more. */
	for (int i = 0; i < 2; i++) {
		nt_cli_post p = { .gid = (const uint8_t *)"g", .gid_len = 1, .kind = NT_KIND_APPLICATION,
				  .epoch = 1, .message = { ct, n } };
		if (!CHECK_OK(nt_cs_post(u[0].c->s, &p)))
			goto out;
	}
	if (ok(&u[1], nt_client_sync(u[1].c), "bob syncs again"))
		CHECK(u[1].ev.n[NT_EV_MESSAGE] == 1 && u[1].ev.n[NT_EV_WARNING] == 0);
	/* And a restart of the client changes nothing. */
	if (reopen(&s, &u[1]) && ok(&u[1], nt_client_sync(u[1].c), "bob after reopening"))
		CHECK(u[1].ev.n[NT_EV_MESSAGE] == 1);
out:
	free(ct);
	bye(u, 2);
	teardown(&s);
}

TEST(e2e_client_changed_contact_key_blocks_until_trusted)
{
	server s;
	user u[2];
	memset(u, 0, sizeof u);
	st_client *db = NULL;
	if (!cast_up(&s, u, 2))
		goto out;
	char number[72], fp[48], number2[72];
	if (!ok(&u[0], nt_client_fingerprint(u[0].c, "bob", number, fp), "fingerprint") ||
	    !ok(&u[1], nt_client_fingerprint(u[1].c, "alice", number2, fp), "fingerprint"))
		goto out;
	CHECK(!strcmp(number, number2) && strlen(number) == 71);
	/* alice's pin for bob now holds another key (as if the directory changed). */
	uint8_t other[32];
	memset(other, 0x5a, sizeof other);
	if (!CHECK(st_client_open(&db, u[0].db) == ST_OK) ||
	    !CHECK(st_client_contact_pin_replace(db, (const uint8_t *)"bob", 3, other, 32, 1) == ST_OK))
		goto out;
	st_client_close(db);
	db = NULL;
	if (!ok(&u[0], nt_client_group_create(u[0].c, "g"), "create"))
		goto out;
	CHECK_ERR(nt_client_group_add(u[0].c, "g", "bob"), CR_ERR_AUTH);
	CHECK(nt_client_status_of(u[0].c) == NT_CLIENT_DENIED);
	CHECK(u[0].ev.n[NT_EV_KEY_CHANGED] == 1 && strstr(u[0].ev.last_text, "CHANGED") != NULL &&
	      strstr(u[0].ev.last_text, "echover trust bob") != NULL);
	CHECK_ERR(nt_client_fingerprint(u[0].c, "bob", number, fp), CR_ERR_AUTH);
	if (ok(&u[0], nt_client_trust(u[0].c, "bob", false), "trust") &&
	    ok(&u[0], nt_client_group_add(u[0].c, "g", "bob"), "add after trust") &&
	    ok(&u[1], nt_client_sync_group(u[1].c, "g"), "bob joins"))
		CHECK(u[1].ev.n[NT_EV_JOINED] == 1);
	CHECK_ERR(nt_client_trust(u[0].c, "nobody", false), CR_ERR_INVALID);
	CHECK(nt_client_status_of(u[0].c) == NT_CLIENT_NOT_FOUND);
out:
	st_client_close(db);
	bye(u, 2);
	teardown(&s);
}

static bool same_epoch(user *a, user *b, const char *gid)
{
	mls_group *ga = NULL, *gb = NULL;
	st_client_group row;
	bool same = false;
	if (ok(a, nt_client_group_load(a->c, gid, &ga, &row), "load") &&
	    ok(b, nt_client_group_load(b->c, gid, &gb, &row), "load")) {
		uint8_t x[MLS_NH], y[MLS_NH];
		mls_group_epoch_authenticator(ga, x);
		mls_group_epoch_authenticator(gb, y);
		same = mls_group_epoch(ga) == mls_group_epoch(gb) && memcmp(x, y, sizeof x) == 0;
	}
	mls_group_free(ga);
	mls_group_free(gb);
	return same;
}

TEST(e2e_client_two_commits_for_one_epoch_do_not_fork)
{
	server s;
	user u[3];
	memset(u, 0, sizeof u);
	if (!cast_up(&s, u, 3))
		goto out;
	if (!ok(&u[0], nt_client_group_create(u[0].c, "g"), "create") ||
	    !ok(&u[0], nt_client_group_add(u[0].c, "g", "bob"), "add") ||
	    !ok(&u[1], nt_client_sync_group(u[1].c, "g"), "bob joins"))
		goto out;
	/* alice commits (adds carol) while bob, not yet aware, commits an update
	 * for the same epoch: the server refuses bob's, bob syncs and retries. */
	if (!ok(&u[0], nt_client_group_add(u[0].c, "g", "carol"), "add carol"))
		goto out;
	mls_group *g = NULL;
	st_client_group row;
	if (!ok(&u[1], nt_client_group_load(u[1].c, "g", &g, &row), "load"))
		goto out;
	CHECK(mls_group_epoch(g) == 1); /* bob still in epoch 1 */
	mls_group_free(g);
	uint8_t *cm = NULL, *wm = NULL;
	size_t cl, wl;
	if (ok(&u[1], nt_client_group_load(u[1].c, "g", &g, &row), "load") &&
	    CHECK_OK(mls_group_commit(g, NULL, NULL, 0, NULL, 0, cr_rng_system(), &cm, &cl, &wm, &wl))) {
		nt_cli_post p = { .gid = (const uint8_t *)"g", .gid_len = 1, .kind = NT_KIND_COMMIT, .epoch = 1,
				  .message = { cm, cl } };
		CHECK_ERR(nt_cs_post(u[1].c->s, &p), CR_ERR_INVALID);
		CHECK(u[1].c->s->code == NT_E_CONFLICT);
	}
	free(cm);
	free(wm);
	mls_group_free(g);
	/* The engine's own path: it loses, syncs, retries and lands. */
	if (ok(&u[1], nt_client_group_update(u[1].c, "g"), "bob updates") &&
	    ok(&u[0], nt_client_sync(u[0].c), "alice syncs") && ok(&u[2], nt_client_sync_group(u[2].c, "g"), "carol")) {
		CHECK(same_epoch(&u[0], &u[1], "g"));
		CHECK(same_epoch(&u[0], &u[2], "g"));
	}
	if (ok(&u[2], send_text(&u[2], "g", "one group"), "carol sends") && ok(&u[0], nt_client_sync(u[0].c), "a") &&
	    ok(&u[1], nt_client_sync(u[1].c), "b"))
		CHECK(!strcmp(u[0].ev.last_body, "one group") && !strcmp(u[1].ev.last_body, "one group"));
out:
	bye(u, 3);
	teardown(&s);
}

#define N_MSGS 60

typedef struct lines {
	int count[N_MSGS];
	int order_ok;
	int last;
} lines;

static void count_line(void *ctx, const nt_client_line *l)
{
	lines *k = ctx;
	int i;
	if (sscanf((const char *)l->body, "m%d", &i) == 1 && i >= 0 && i < N_MSGS) {
		k->count[i]++;
		if (i < k->last)
			k->order_ok = 0;
		k->last = i;
	}
}

static st_err count_db_line(void *ctx, const st_client_message *m)
{
	char body[16];
	snprintf(body, sizeof body, "%.*s", (int)(m->body_len < 15 ? m->body_len : 15), (const char *)m->body);
	nt_client_line l = { .body = (const uint8_t *)body, .body_len = strlen(body) };
	count_line(ctx, &l);
	return ST_OK;
}

/* Messages in a client's history, read from the store alone. */
static int stored_count(st_client *db)
{
	lines k = { .order_ok = 1, .last = -1 };
	if (!db || st_client_history(db, (const uint8_t *)"g", 1, 1000, count_db_line, &k) != ST_OK)
		return -1;
	int n = 0;
	for (int i = 0; i < N_MSGS; i++)
		n += k.count[i];
	return n;
}

TEST(e2e_client_killed_mid_sync_resumes_exactly_once)
{
	server s;
	user u[2];
	memset(u, 0, sizeof u);
	if (!cast_up(&s, u, 2))
		goto out;
	if (!ok(&u[0], nt_client_group_create(u[0].c, "g"), "create") ||
	    !ok(&u[0], nt_client_group_add(u[0].c, "g", "bob"), "add") ||
	    !ok(&u[1], nt_client_sync_group(u[1].c, "g"), "bob joins"))
		goto out;
	char text[16];
	for (int i = 0; i < N_MSGS; i++) {
		snprintf(text, sizeof text, "m%d", i);
		if (!ok(&u[0], send_text(&u[0], "g", text), "send"))
			goto out;
	}
	nt_client_close(u[1].c);
	u[1].c = NULL;
	/* bob's client, in a child, is killed whenever it has stored fifteen
	 * more messages, until one sync runs to its end. */
	char trace[200] = "";
	st_client *db = NULL;
	CHECK(st_client_open(&db, u[1].db) == ST_OK);
	int partial = 0, prev = 0;
	for (int round = 0; round < 8; round++) {
		pid_t pid = fork();
		if (pid == 0) {
			nt_client_opts o = opts(&s, &u[1]);
			o.on_event = NULL;
			nt_client *c = NULL;
			cr_err e = nt_client_open(&c, &o);
			if (!e)
				e = nt_client_sync(c);
			_exit(e ? 1 : 0);
		}
		/* Killed as soon as it has stored ten more messages: mid-sync. */
		int64_t end = e2e_now_ms() + 10000;
		int st = 0;
		bool exited = false;
		while (e2e_now_ms() < end) {
			if (waitpid(pid, &st, WNOHANG) == pid) {
				exited = true;
				break;
			}
			if (stored_count(db) >= prev + 15)
				break;
		}
		if (!exited) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
		}
		int stored = stored_count(db);
		prev = stored;
		size_t tl = strlen(trace);
		snprintf(trace + tl, sizeof trace - tl, " %d%s", stored, WIFSIGNALED(st) ? "k" : "");
		partial += WIFSIGNALED(st) && stored > 0 && stored < N_MSGS;
		if (!WIFSIGNALED(st))
			break;
	}
	st_client_close(db);
	t_note("messages stored after each run (k: killed):%s; %d killed mid-sync", trace, partial);
	CHECK(partial >= 1); /* else this run proved nothing about resuming */
	if (!reopen(&s, &u[1]) || !ok(&u[1], nt_client_sync(u[1].c), "final sync"))
		goto out;
	lines k = { .order_ok = 1, .last = -1 };
	if (ok(&u[1], nt_client_history(u[1].c, "g", 1000, count_line, &k), "history")) {
		int once = 0;
		for (int i = 0; i < N_MSGS; i++)
			once += k.count[i] == 1;
		CHECK(once == N_MSGS);
		CHECK(k.order_ok);
	}
out:
	bye(u, 2);
	teardown(&s);
}

/* Registration that fails (no invite, a wrong one, the name taken, the
 * server away) keeps the identity for the retry, which then succeeds. */
TEST(e2e_client_failed_registration_can_be_retried)
{
	server s;
	user u[2];
	memset(u, 0, sizeof u);
	if (!fixture(&s, true) || !CHECK(server_start(&s)))
		goto out;
	snprintf(u[0].name, sizeof u[0].name, "frank");
	snprintf(u[0].db, sizeof u[0].db, "%s/frank.db", s.dir);
	nt_client_opts o = opts(&s, &u[0]);
	/* No invite, then a wrong one: refused, the identity kept. */
	CHECK_ERR(nt_client_register(&u[0].c, &o, NULL), CR_ERR_INVALID);
	CHECK(nt_client_status_of(u[0].c) == NT_CLIENT_DENIED);
	CHECK(strstr(nt_client_error(u[0].c), "register again") != NULL);
	nt_client_close(u[0].c);
	CHECK_ERR(nt_client_register(&u[0].c, &o, "not-a-code"), CR_ERR_INVALID);
	CHECK(nt_client_status_of(u[0].c) == NT_CLIENT_DENIED);
	nt_client_close(u[0].c);
	/* Opening an unregistered identity says what to do. */
	CHECK(nt_client_open(&u[0].c, &o) != CR_OK);
	CHECK(nt_client_status_of(u[0].c) == NT_CLIENT_NOT_FOUND &&
	      strstr(nt_client_error(u[0].c), "register again") != NULL);
	nt_client_close(u[0].c);
	/* Another passphrase does not open the kept identity. */
	o.passphrase = "another passphrase";
	CHECK_ERR(nt_client_register(&u[0].c, &o, NULL), CR_ERR_AUTH);
	CHECK(nt_client_status_of(u[0].c) == NT_CLIENT_DENIED);
	nt_client_close(u[0].c);
	o.passphrase = "test passphrase";
	/* The retry with a good code succeeds, with the identity made first. */
	char code[80];
	if (!CHECK(make_invite(&s, code)))
		goto out;
	u[0].c = NULL;
	if (!ok(&u[0], nt_client_register(&u[0].c, &o, code), "register with a code"))
		goto out;
	CHECK_ERR(nt_client_register(&u[1].c, &o, code), CR_ERR_STATE); /* registered now */
	nt_client_close(u[1].c);
	u[1].c = NULL;
	/* The name taken: a second database trying "frank" keeps its identity,
	 * and registers under another name. */
	snprintf(u[1].name, sizeof u[1].name, "frank");
	snprintf(u[1].db, sizeof u[1].db, "%s/other.db", s.dir);
	nt_client_opts o2 = opts(&s, &u[1]);
	if (!CHECK(make_invite(&s, code)))
		goto out;
	CHECK(nt_client_register(&u[1].c, &o2, code) != CR_OK);
	CHECK(strstr(nt_client_error(u[1].c), "taken") != NULL);
	nt_client_close(u[1].c);
	u[1].c = NULL;
	snprintf(u[1].name, sizeof u[1].name, "grace");
	o2 = opts(&s, &u[1]);
	if (ok(&u[1], nt_client_register(&u[1].c, &o2, code), "register as grace") && reopen(&s, &u[1]))
		CHECK(!strcmp(nt_client_user(u[1].c), "grace"));
	/* The server away: exit "unreachable", the identity kept, the retry works. */
	nt_client_close(u[1].c);
	u[1].c = NULL;
	server_stop(&s, SIGTERM);
	snprintf(u[1].name, sizeof u[1].name, "heidi");
	snprintf(u[1].db, sizeof u[1].db, "%s/heidi.db", s.dir);
	o2 = opts(&s, &u[1]);
	CHECK(nt_client_register(&u[1].c, &o2, NULL) != CR_OK);
	CHECK(nt_client_status_of(u[1].c) == NT_CLIENT_UNREACHABLE);
	nt_client_close(u[1].c);
	u[1].c = NULL;
	if (!CHECK(server_start(&s)) || !CHECK(make_invite(&s, code)))
		goto out;
	ok(&u[1], nt_client_register(&u[1].c, &o2, code), "heidi after the server came back");
out:
	bye(u, 2);
	teardown(&s);
}

/* bob's join requests (KeyPackages the directory never holds) and twenty
 * adds, each consuming one of his published ones: his client counts what
 * the server has, not what it keeps itself, so the directory never runs
 * out of one-time KeyPackages. */
TEST(e2e_client_keypackages_follow_the_servers_count)
{
	server s;
	user u[3];
	memset(u, 0, sizeof u);
	if (!cast_up(&s, u, 3))
		goto out;
	char gid[16];
	for (int i = 0; i < 6; i++) {
		snprintf(gid, sizeof gid, "ask%d", i);
		if (!ok(&u[0], nt_client_group_create(u[0].c, gid), "create") ||
		    !ok(&u[1], nt_client_group_join(u[1].c, gid), "bob asks to join"))
			goto out;
	}
	for (int i = 0; i < NT_CLIENT_KP_TARGET; i++) {
		snprintf(gid, sizeof gid, "g%d", i);
		if (!ok(&u[0], nt_client_group_create(u[0].c, gid), "create") ||
		    !ok(&u[0], nt_client_group_add(u[0].c, gid, "bob"), "add bob") ||
		    !ok(&u[1], nt_client_sync_group(u[1].c, gid), "bob joins"))
			goto out;
	}
	CHECK(u[1].ev.n[NT_EV_JOINED] == NT_CLIENT_KP_TARGET);
	int64_t left = -1;
	CHECK(st_client_kp_server_left_get(u[1].c->db, &left) == ST_OK);
	t_note("after %d adds, bob's client counts %lld on the server", NT_CLIENT_KP_TARGET, (long long)left);
	CHECK(left >= NT_CLIENT_KP_LOW);
	/* carol takes one: a one-time KeyPackage, not the last-resort one. */
	if (CHECK_OK(nt_cs_kp_fetch(u[2].c->s, "bob")))
		CHECK(!u[2].c->s->resp.last_resort);
	/* And a sync with nothing consumed uploads nothing. */
	int64_t before = left;
	if (ok(&u[1], nt_client_sync(u[1].c), "bob syncs") &&
	    CHECK(st_client_kp_server_left_get(u[1].c->db, &left) == ST_OK))
		CHECK(left == before);
out:
	bye(u, 3);
	teardown(&s);
}

/* Roles: the owner makes bob admin; bob can then remove a member; dave,
 * a plain member, cannot (DENIED); nor can a non-owner change roles. */
TEST(e2e_client_admin_removes_member_does_not)
{
	server s;
	user u[4];
	memset(u, 0, sizeof u);
	if (!cast_up(&s, u, 4))
		goto out;
	if (!ok(&u[0], nt_client_group_create(u[0].c, "g"), "create") ||
	    !ok(&u[0], nt_client_group_add(u[0].c, "g", "bob"), "add") ||
	    !ok(&u[0], nt_client_group_add(u[0].c, "g", "carol"), "add") ||
	    !ok(&u[0], nt_client_group_add(u[0].c, "g", "dave"), "add") ||
	    !ok(&u[1], nt_client_sync_group(u[1].c, "g"), "bob joins") ||
	    !ok(&u[3], nt_client_sync_group(u[3].c, "g"), "dave joins"))
		goto out;
	/* dave, a member: neither a remove nor a role change. */
	CHECK(nt_client_group_remove(u[3].c, "g", "carol") != CR_OK);
	CHECK(nt_client_status_of(u[3].c) == NT_CLIENT_DENIED);
	CHECK(strstr(nt_client_error(u[3].c), "only an admin or the owner") != NULL);
	CHECK(nt_client_group_role(u[3].c, "g", "dave", NT_ROLE_ADMIN) != CR_OK);
	CHECK(nt_client_status_of(u[3].c) == NT_CLIENT_DENIED);
	CHECK_ERR(nt_client_group_role(u[0].c, "g", "bob", NT_ROLE_OWNER), CR_ERR_ARG);
	/* The owner makes bob admin; bob removes carol. */
	if (!ok(&u[0], nt_client_group_role(u[0].c, "g", "bob", NT_ROLE_ADMIN), "make bob admin") ||
	    !ok(&u[1], nt_client_group_remove(u[1].c, "g", "carol"), "bob removes carol"))
		goto out;
	unsigned admins = 0;
	if (CHECK_OK(nt_cs_members(u[0].c->s, "g"))) {
		cr_reader r = u[0].c->s->resp.members;
		nt_cli_member x;
		while (nt_cli_next_member(&r, &x) == CR_OK) {
			CHECK(!(x.name.n == 5 && !memcmp(x.name.p, "carol", 5)));
			admins += x.role == NT_ROLE_ADMIN && x.name.n == 3 && !memcmp(x.name.p, "bob", 3);
		}
	}
	CHECK(admins == 1);
	/* Back to member: bob can no longer remove. */
	if (ok(&u[0], nt_client_group_role(u[0].c, "g", "bob", NT_ROLE_MEMBER), "bob back to member")) {
		CHECK(nt_client_group_remove(u[1].c, "g", "dave") != CR_OK);
		CHECK(nt_client_status_of(u[1].c) == NT_CLIENT_DENIED);
	}
out:
	bye(u, 4);
	teardown(&s);
}

/* Post-compromise security: once alice's leaf is older than the period,
 * her next sync commits an update; the others follow (same epoch
 * authenticator) and the group still talks. A fresh leaf commits nothing. */
TEST(e2e_client_stale_leaf_is_refreshed_by_a_sync)
{
	server s;
	user u[3];
	memset(u, 0, sizeof u);
	mls_group *g = NULL;
	st_client_group row;
	if (!cast_up(&s, u, 3))
		goto out;
	if (!ok(&u[0], nt_client_group_create(u[0].c, "g"), "create") ||
	    !ok(&u[0], nt_client_group_add(u[0].c, "g", "bob"), "add") ||
	    !ok(&u[0], nt_client_group_add(u[0].c, "g", "carol"), "add") ||
	    !ok(&u[1], nt_client_sync_group(u[1].c, "g"), "bob joins") ||
	    !ok(&u[2], nt_client_sync_group(u[2].c, "g"), "carol joins") || !ok(&u[0], nt_client_sync(u[0].c), "sync"))
		goto out;
	if (!ok(&u[0], nt_client_group_load(u[0].c, "g", &g, &row), "load"))
		goto out;
	uint64_t epoch = mls_group_epoch(g);
	mls_group_free(g);
	g = NULL;
	/* Fresh: a sync commits nothing. */
	if (!ok(&u[0], nt_client_sync(u[0].c), "fresh sync") || !ok(&u[0], nt_client_group_load(u[0].c, "g", &g, &row), "load"))
		goto out;
	CHECK(mls_group_epoch(g) == epoch);
	mls_group_free(g);
	g = NULL;
	/* Older than the period (the client's clock moved on). */
	u[0].c->update_after_s = 3600;
	if (!CHECK(st_client_group_set_own_commit(u[0].c->db, (const uint8_t *)"g", 1, nt_client_now() - 3601) == ST_OK) ||
	    !ok(&u[0], nt_client_sync(u[0].c), "stale sync") || !ok(&u[0], nt_client_group_load(u[0].c, "g", &g, &row), "load"))
		goto out;
	CHECK(mls_group_epoch(g) == epoch + 1);
	CHECK(row.own_commit_at >= nt_client_now() - 60);
	mls_group_free(g);
	g = NULL;
	/* Once refreshed, the next sync does not commit again. */
	if (ok(&u[0], nt_client_sync(u[0].c), "sync again") && ok(&u[0], nt_client_group_load(u[0].c, "g", &g, &row), "load"))
		CHECK(mls_group_epoch(g) == epoch + 1);
	mls_group_free(g);
	g = NULL;
	if (!ok(&u[1], nt_client_sync(u[1].c), "bob follows") || !ok(&u[2], nt_client_sync(u[2].c), "carol follows"))
		goto out;
	CHECK(same_epoch(&u[0], &u[1], "g") && same_epoch(&u[0], &u[2], "g"));
	if (ok(&u[1], send_text(&u[1], "g", "after the refresh"), "bob sends") && ok(&u[0], nt_client_sync(u[0].c), "a") &&
	    ok(&u[2], nt_client_sync(u[2].c), "c"))
		CHECK(!strcmp(u[0].ev.last_body, "after the refresh") && !strcmp(u[2].ev.last_body, "after the refresh"));
out:
	mls_group_free(g);
	bye(u, 3);
	teardown(&s);
}

/* DM events name the peer; the outbox sends what was queued, once, in order. */
static void on_sent(void *ctx, const char *gid, const uint8_t *text, size_t n)
{
	(void)gid;
	char *last = ctx;
	snprintf(last, 64, "%.*s", (int)n, (const char *)text);
}

TEST(e2e_client_outbox_sends_once_in_order)
{
	server s;
	user u[2];
	memset(u, 0, sizeof u);
	if (!cast_up(&s, u, 2))
		goto out;
	if (!ok(&u[0], nt_client_group_create(u[0].c, "g"), "create") ||
	    !ok(&u[0], nt_client_group_add(u[0].c, "g", "bob"), "add") ||
	    !ok(&u[1], nt_client_sync_group(u[1].c, "g"), "bob joins"))
		goto out;
	CHECK_OK(nt_client_outbox_queue(u[0].c, "g", NULL, (const uint8_t *)"q1", 2));
	CHECK_OK(nt_client_outbox_queue(u[0].c, "g", NULL, (const uint8_t *)"q2", 2));
	CHECK_OK(nt_client_outbox_queue(u[0].c, "nosuch", NULL, (const uint8_t *)"lost", 4));
	CHECK_ERR(nt_client_outbox_queue(u[0].c, "bad id!", NULL, (const uint8_t *)"x", 1), CR_ERR_ARG);
	size_t n = 0, sent = 0;
	CHECK_OK(nt_client_outbox_count(u[0].c, &n));
	CHECK(n == 3);
	char last[64] = "";
	/* The server away: nothing leaves the queue. */
	server_stop(&s, SIGTERM);
	CHECK(nt_client_outbox_flush(u[0].c, on_sent, last, &sent) != CR_OK);
	CHECK(nt_client_status_of(u[0].c) == NT_CLIENT_UNREACHABLE && sent == 0);
	CHECK_OK(nt_client_outbox_count(u[0].c, &n));
	CHECK(n == 3);
	if (!CHECK(server_start(&s)) || !ok(&u[0], nt_client_reconnect(u[0].c), "reconnect") ||
	    !ok(&u[1], nt_client_reconnect(u[1].c), "reconnect"))
		goto out;
	unsigned warnings = u[0].ev.n[NT_EV_WARNING];
	if (ok(&u[0], nt_client_outbox_flush(u[0].c, on_sent, last, &sent), "flush")) {
		CHECK(sent == 2 && !strcmp(last, "q2"));
		CHECK(u[0].ev.n[NT_EV_WARNING] == warnings + 1); /* the group that does not exist */
	}
	CHECK_OK(nt_client_outbox_count(u[0].c, &n));
	CHECK(n == 0);
	if (ok(&u[1], nt_client_sync(u[1].c), "bob reads"))
		CHECK(u[1].ev.n[NT_EV_MESSAGE] == 2 && !strcmp(u[1].ev.last_body, "q2"));
	/* A second flush sends nothing again. */
	if (ok(&u[0], nt_client_outbox_flush(u[0].c, on_sent, last, &sent), "flush again"))
		CHECK(sent == 0);
	if (ok(&u[1], nt_client_sync(u[1].c), "bob again"))
		CHECK(u[1].ev.n[NT_EV_MESSAGE] == 2);
out:
	bye(u, 2);
	teardown(&s);
}

/* What a sender whose answer was lost does on its retry: the same payload
 * (same message id) encrypted again, so other bytes, posted again. Built
 * here from alice's own state, as nt_client_send_id would, without its
 * "already sent" shortcut. *ct (malloc'ed) is the ciphertext posted. */
static bool post_payload(user *u, const char *gid, const uint8_t id[NT_APP_MSG_ID_LEN], const char *text,
			 uint8_t **ct, size_t *ct_len)
{
	mls_group *g = NULL;
	st_client_group row;
	if (!ok(u, nt_client_group_load(u->c, gid, &g, &row), "load"))
		return false;
	nt_app_msg m = { .type = NT_APP_TEXT, .sent_at = 1, .text = { (const uint8_t *)text, strlen(text) } };
	memcpy(m.msg_id, id, sizeof m.msg_id);
	cr_writer w;
	cr_writer_init_dynamic(&w, NT_APP_MAX);
	uint64_t epoch = mls_group_epoch(g);
	bool done = CHECK_OK(nt_app_msg_write(&w, &m)) && CHECK_OK(mls_group_encrypt(g, w.p, w.len, u->c->rng, ct, ct_len)) &&
		    ok(u, nt_client_group_save(u->c, gid, g), "save");
	cr_writer_free(&w);
	mls_group_free(g);
	nt_cli_post p = { .gid = (const uint8_t *)gid, .gid_len = strlen(gid), .kind = NT_KIND_APPLICATION,
			  .epoch = epoch, .message = { done ? *ct : NULL, done ? *ct_len : 0 } };
	return done && CHECK_OK(nt_cs_post(u->c->s, &p));
}

/* Counts the lines of a history whose body is ctx's text. */
typedef struct text_count {
	const char *text;
	int n;
} text_count;

static void count_text(void *ctx, const nt_client_line *l)
{
	text_count *t = ctx;
	t->n += l->body_len == strlen(t->text) && memcmp(l->body, t->text, l->body_len) == 0;
}

static int history_count(user *u, const char *gid, const char *text)
{
	text_count t = { text, 0 };
	return ok(u, nt_client_history(u->c, gid, 1000, count_text, &t), "history") ? t.n : -1;
}

/* DESIGN.md 4: at-least-once on the wire, exactly-once to the user. */
TEST(e2e_client_same_message_id_is_delivered_once)
{
	server s;
	user u[2];
	memset(u, 0, sizeof u);
	uint8_t *ct1 = NULL, *ct2 = NULL, *ct3 = NULL;
	size_t n1 = 0, n2 = 0, n3 = 0;
	static const uint8_t id_a[NT_APP_MSG_ID_LEN] = { 0xa1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
	static const uint8_t id_b[NT_APP_MSG_ID_LEN] = { 0xb2, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
	static const uint8_t id_c[NT_APP_MSG_ID_LEN] = { 0xc3, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
	if (!cast_up(&s, u, 2))
		goto out;
	if (!ok(&u[0], nt_client_group_create(u[0].c, "g"), "create") ||
	    !ok(&u[0], nt_client_group_add(u[0].c, "g", "bob"), "add") ||
	    !ok(&u[1], nt_client_sync_group(u[1].c, "g"), "bob joins"))
		goto out;
	/* Two POSTs of one message (same id): two log entries, other bytes. */
	if (!post_payload(&u[0], "g", id_a, "said once", &ct1, &n1) ||
	    !post_payload(&u[0], "g", id_a, "said once", &ct2, &n2))
		goto out;
	CHECK(n1 != n2 || memcmp(ct1, ct2, n1) != 0);
	/* The same text under another id is another message: both show. */
	if (!post_payload(&u[0], "g", id_b, "said twice", &ct3, &n3))
		goto out;
	free(ct3);
	ct3 = NULL;
	if (!post_payload(&u[0], "g", id_c, "said twice", &ct3, &n3))
		goto out;
	if (ok(&u[1], nt_client_sync(u[1].c), "bob syncs")) {
		CHECK(u[1].ev.n[NT_EV_MESSAGE] == 3 && u[1].ev.n[NT_EV_WARNING] == 0);
		CHECK(history_count(&u[1], "g", "said once") == 1);
		CHECK(history_count(&u[1], "g", "said twice") == 2);
	}
	/* The copy bob dropped moved his log position on: a restart shows nothing again. */
	if (reopen(&s, &u[1]) && ok(&u[1], nt_client_sync(u[1].c), "bob after reopening")) {
		CHECK(u[1].ev.n[NT_EV_MESSAGE] == 3);
		CHECK(history_count(&u[1], "g", "said once") == 1);
	}
	/* The engine's own retry with an id it knows as sent posts nothing more;
	 * a message after it still arrives, so bob's group state is sound. */
	static const uint8_t id_d[NT_APP_MSG_ID_LEN] = { 0xd4, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
	const char *retried = "retried by a script";
	if (ok(&u[0], nt_client_send_id(u[0].c, "g", id_d, (const uint8_t *)retried, strlen(retried)), "send") &&
	    ok(&u[0], nt_client_send_id(u[0].c, "g", id_d, (const uint8_t *)retried, strlen(retried)), "send again") &&
	    ok(&u[0], send_text(&u[0], "g", "and then"), "send after")) {
		CHECK(history_count(&u[0], "g", retried) == 1);
		if (ok(&u[1], nt_client_sync(u[1].c), "bob syncs")) {
			CHECK(u[1].ev.n[NT_EV_MESSAGE] == 5 && !strcmp(u[1].ev.last_body, "and then"));
			CHECK(history_count(&u[1], "g", retried) == 1);
		}
	}
out:
	free(ct1);
	free(ct2);
	free(ct3);
	bye(u, 2);
	teardown(&s);
}

typedef struct dm_seen {
	char dm_peer[40];
	char group[80];
} dm_seen;

static void on_dm_event(void *ctx, const nt_client_event *ev)
{
	dm_seen *d = ctx;
	if (ev->kind != NT_EV_MESSAGE)
		return;
	snprintf(d->dm_peer, sizeof d->dm_peer, "%s", ev->dm_peer ? ev->dm_peer : "");
	snprintf(d->group, sizeof d->group, "%s", ev->group ? ev->group : "");
}

TEST(e2e_client_dm_events_name_the_peer)
{
	server s;
	user u[2];
	memset(u, 0, sizeof u);
	if (!cast_up(&s, u, 2))
		goto out;
	if (!ok(&u[0], nt_client_dm(u[0].c, "bob", (const uint8_t *)"hi", 2), "dm") ||
	    !ok(&u[0], nt_client_group_create(u[0].c, "room"), "create") ||
	    !ok(&u[0], nt_client_group_add(u[0].c, "room", "bob"), "add"))
		goto out;
	dm_seen d = { "", "" };
	u[1].c->on_event = on_dm_event;
	u[1].c->ctx = &d;
	char gid[NT_DM_GID_LEN + 1], peer[NT_USERNAME_MAX + 1];
	nt_client_dm_gid("alice", "bob", gid);
	if (ok(&u[1], nt_client_sync(u[1].c), "bob reads"))
		CHECK(!strcmp(d.dm_peer, "alice") && !strcmp(d.group, gid));
	CHECK(nt_client_dm_peer(u[1].c, gid, NULL, peer) && !strcmp(peer, "alice"));
	CHECK(nt_client_dm_peer(u[0].c, gid, NULL, peer) && !strcmp(peer, "bob"));
	CHECK(!nt_client_dm_peer(u[1].c, "room", NULL, peer) && peer[0] == 0);
	/* A hint that is not the peer is not believed. */
	CHECK(nt_client_dm_peer(u[1].c, gid, "mallory", peer) && !strcmp(peer, "alice"));
	if (ok(&u[0], send_text(&u[0], "room", "in room"), "send") && ok(&u[1], nt_client_sync(u[1].c), "bob"))
		CHECK(d.dm_peer[0] == 0 && !strcmp(d.group, "room"));
out:
	bye(u, 2);
	teardown(&s);
}

static const t_case cases[] = {
	T(e2e_client_failed_registration_can_be_retried),
	T(e2e_client_keypackages_follow_the_servers_count),
	T(e2e_client_admin_removes_member_does_not),
	T(e2e_client_stale_leaf_is_refreshed_by_a_sync),
	T(e2e_client_outbox_sends_once_in_order),
	T(e2e_client_same_message_id_is_delivered_once),
	T(e2e_client_dm_events_name_the_peer),
	T(e2e_client_joiner_and_leaver_hold_ciphertext_they_cannot_read),
	T(e2e_client_replayed_message_is_ignored),
	T(e2e_client_changed_contact_key_blocks_until_trusted),
	T(e2e_client_two_commits_for_one_epoch_do_not_fork),
	T(e2e_client_killed_mid_sync_resumes_exactly_once),
	{ 0 },
};

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (cr_init() != CR_OK)
		return 1;
	return t_main(argc, argv, cases);
}
