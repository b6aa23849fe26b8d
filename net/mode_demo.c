/*
 * mode_demo.c: `echover demo`, a guided tour over real processes.
 *
 * It starts this binary as `echover server` (a child process on 127.0.0.1,
 * a free port, a database in a temporary folder) and runs four client
 * engines (net/cli_client.h) for alice, bob, carol and dave, each with its
 * own database there. Every step is narrated and checked ([ok] / [FAIL]):
 * registration, a group, a join approved by an online admin's client, what
 * a joiner cannot read, a leave committed by another member, what a leaver
 * cannot read, the owner leaving, a DM to someone offline, a file, presence
 * and safety numbers. Beside what each member read it prints what the
 * server stored, read from the server's own database (net/demo_probe.h):
 * ciphertext, and at the end a scan of that database for every plaintext.
 *
 * The claims about the joiner and the leaver are checked beyond the
 * engine's word: the demo takes the message's ciphertext from the server's
 * log and the person's MLS state from their own client database (unsealed
 * with their passphrase), and shows that decryption fails: the joiner's
 * state holds no key for the message's epoch; the leaver's last state,
 * also after it processed the commit that removed him (from the server's
 * log), says he is removed and holds no key for the next epoch.
 *
 * Every wait is bounded; the server is stopped and the temporary folder
 * removed on every way out (SIGINT, SIGTERM and SIGHUP are held and end
 * the tour at the next step; the server child also dies with this process).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "chat_line.h"
#include "cli_client.h"
#include "cli_util.h"
#include "demo_probe.h"
#include "group.h"
#include "loopback.h"
#include "modes.h"
#include "selftest.h"
#include "wipe.h"

#define DEMO_GROUP "room"
#define DEMO_WAIT_ROUNDS 100   /* sync rounds a step may take to settle ... */
#define DEMO_ROUND_PAUSE_US 20000 /* ... with this pause: at most ~2 s plus the syncs */
#define DEMO_SERVER_START_MS 10000
#define DEMO_MSGS 16
#define DEMO_TEXT 160
#define DEMO_GOT (NT_GROUP_ID_MAX + 1 + DEMO_TEXT)

struct demo;

typedef struct person {
	const char *name;
	char db[300];
	char passphrase[64];
	char password[64];
	nt_client *c;                 /* NULL while offline */
	struct demo *d;
	char got[DEMO_MSGS][DEMO_GOT]; /* texts read, as "group|text" */
	size_t n_got;
	bool joined, left;
	nt_client_file file;
	bool got_file;
	unsigned progress;
} person;

/* The demo's state, owned by nt_demo_main. */
typedef struct demo {
	char dir[256];
	char server_db[300];
	char server_log[300];
	pid_t server;
	uint16_t port;
	sigset_t held;
	person alice, bob, carol, dave;
	int step;
	int failures;
	int missing;      /* steps the engine does not offer yet */
	bool interrupted;
} demo;

static void say(demo *d, const char *text)
{
	printf("\n%d. %s\n", ++d->step, text);
	fflush(stdout);
}

static bool expect(demo *d, bool ok, const char *what)
{
	printf("   %s %s\n", ok ? "[ok]  " : "[FAIL]", what);
	fflush(stdout);
	if (!ok)
		d->failures++;
	return ok;
}

__attribute__((format(printf, 3, 4))) static bool expectf(demo *d, bool ok, const char *fmt, ...)
{
	char line[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	return expect(d, ok, line);
}

/* Stops the tour at the next step when a held signal is pending. */
static bool go_on(demo *d)
{
	sigset_t pending;
	if (sigpending(&pending) == 0)
		for (int s = 1; s < 32; s++)
			if (sigismember(&d->held, s) && sigismember(&pending, s))
				d->interrupted = true;
	return !d->interrupted;
}

/* What the server stores: the length and the first bytes of the message. */
static void show_wire(const char *label, const uint8_t *p, size_t n, const char *plaintext)
{
	printf("   the server stores %-18s %5zu bytes: ", label, n);
	for (size_t i = 0; i < n && i < 24; i++)
		printf("%02x", p[i]);
	printf("...\n");
	if (plaintext && memmem(p, n, plaintext, strlen(plaintext)))
		printf("   (!) the plaintext appears in the stored bytes\n");
}

/* --- events: each person's client reports here --- */

static void on_event(void *ctx, const nt_client_event *ev)
{
	person *p = ctx;
	char g[NT_GROUP_ID_MAX * 2], peer[NT_USERNAME_MAX * 2];
	nt_chat_sanitize((const uint8_t *)(ev->group ? ev->group : "-"), strlen(ev->group ? ev->group : "-"),
			 false, g, sizeof g);
	nt_chat_sanitize((const uint8_t *)(ev->peer ? ev->peer : "-"), strlen(ev->peer ? ev->peer : "-"), false,
			 peer, sizeof peer);
	switch (ev->kind) {
	case NT_EV_MESSAGE: {
		char text[DEMO_TEXT];
		nt_chat_sanitize(ev->body, ev->body_len, false, text, sizeof text);
		printf("   %s reads, from %s in %.12s: \"%s\"\n", p->name, peer, g, text);
		if (p->n_got < DEMO_MSGS)
			snprintf(p->got[p->n_got++], DEMO_GOT, "%s|%s", ev->group ? ev->group : "", text);
		break;
	}
	case NT_EV_FILE:
		printf("   %s sees a file from %s: %s (%llu bytes)\n", p->name, peer, ev->file->name,
		       (unsigned long long)ev->file->size);
		p->file = *ev->file;
		p->got_file = true;
		break;
	case NT_EV_JOINED:
		printf("   %s's client joined %s at epoch %llu\n", p->name, g, (unsigned long long)ev->epoch);
		p->joined = true;
		break;
	case NT_EV_LEFT:
		printf("   %s's client: no longer in %s\n", p->name, g);
		p->left = true;
		break;
	case NT_EV_MEMBER_ADDED:
		printf("   %s's client: %s joined %s\n", p->name, peer, g);
		break;
	case NT_EV_MEMBER_REMOVED:
		printf("   %s's client: %s left %s\n", p->name, peer, g);
		break;
	case NT_EV_JOIN_REQUEST:
		printf("   %s's client: %s asks to join %s\n", p->name, peer, g);
		break;
	case NT_EV_KEY_CHANGED:
	case NT_EV_WARNING:
		printf("   %s's client warns: %s\n", p->name, ev->text ? ev->text : "?");
		break;
	case NT_EV_PROGRESS:
		p->progress++;
		break;
	case NT_EV_EPOCH:
		break;
	}
	fflush(stdout);
}

static bool got_text(const person *p, const char *gid, const char *text)
{
	char want[DEMO_GOT];
	snprintf(want, sizeof want, "%s|%s", gid, text);
	for (size_t i = 0; i < p->n_got; i++)
		if (!strcmp(p->got[i], want))
			return true;
	return false;
}

/* --- the server child --- */

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool server_start(demo *d)
{
	for (int attempt = 0; attempt < 3; attempt++) {
		d->port = nt_loopback_free_port();
		char listen[32];
		snprintf(listen, sizeof listen, "127.0.0.1:%u", d->port);
		pid_t pid = fork();
		if (pid < 0)
			return false;
		if (pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			sigprocmask(SIG_UNBLOCK, &d->held, NULL);
			int l = open(d->server_log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
			if (l >= 0) {
				dup2(l, 1);
				dup2(l, 2);
			}
			execl("/proc/self/exe", "echover", "server", "--listen", listen, "--db", d->server_db,
			      (char *)NULL);
			_exit(127);
		}
		d->server = pid;
		int64_t end = now_ms() + DEMO_SERVER_START_MS;
		while (now_ms() < end) {
			if (waitpid(pid, NULL, WNOHANG) == pid) {
				d->server = 0;
				break; /* exited: the port was taken meanwhile? another one */
			}
			if (nt_loopback_listening(d->port))
				return true;
			usleep(20000);
		}
		if (d->server) {
			kill(d->server, SIGKILL);
			waitpid(d->server, NULL, 0);
			d->server = 0;
		}
	}
	return false;
}

static void server_stop(demo *d)
{
	if (!d->server)
		return;
	kill(d->server, SIGTERM);
	int64_t end = now_ms() + 3000;
	while (now_ms() < end && waitpid(d->server, NULL, WNOHANG) != d->server)
		usleep(10000);
	if (kill(d->server, 0) == 0) {
		kill(d->server, SIGKILL);
		waitpid(d->server, NULL, 0);
	}
	d->server = 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void remove_dir(demo *d)
{
	if (d->dir[0])
		nftw(d->dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
	d->dir[0] = '\0';
}

/* --- the clients --- */

static nt_client_opts opts_of(demo *d, person *p)
{
	return (nt_client_opts){ .db_path = p->db, .host = "127.0.0.1", .port = d->port, .user = p->name,
				 .passphrase = p->passphrase, .password = p->password, .timeout_ms = 10000,
				 .cheap_kdf = true, .on_event = on_event, .ctx = p };
}

static bool person_register(demo *d, person *p)
{
	nt_client_opts o = opts_of(d, p);
	cr_err e = nt_client_register(&p->c, &o, NULL);
	return expectf(d, e == CR_OK, "%s registered (identity key sealed under a passphrase, KeyPackages "
				      "published)%s%s", p->name, e ? ": " : "", e && p->c ? nt_client_error(p->c) : "");
}

static bool person_login(demo *d, person *p)
{
	nt_client_opts o = opts_of(d, p);
	cr_err e = nt_client_open(&p->c, &o);
	if (e == CR_OK)
		e = nt_client_sync(p->c);
	return expectf(d, e == CR_OK, "%s logs in and syncs%s%s", p->name, e ? ": " : "",
		       e && p->c ? nt_client_error(p->c) : "");
}

static void person_logout(person *p)
{
	nt_client_close(p->c);
	p->c = NULL;
}

/* A step the client engine of this build does not offer yet is said so,
 * neither passed nor failed. */
static bool not_yet(demo *d, person *p, cr_err e)
{
	if (e != CR_ERR_UNSUPPORTED)
		return false;
	printf("   [--]   not in this build yet: %s\n", nt_client_error(p->c));
	d->missing++;
	return true;
}

static bool ok_or_say(demo *d, person *p, cr_err e, const char *what)
{
	return expectf(d, e == CR_OK, "%s: %s%s%s", p->name, what, e ? ": " : "", e ? nt_client_error(p->c) : "");
}

/* Syncs the given people, round after round, until cond holds (bounded).
 * gid: also that group by name (one that someone was told they were added
 * to, before their client lists it), or NULL. */
static bool settle_in(demo *d, const char *gid, person *const *ps, size_t n, bool (*cond)(demo *d, void *arg),
		      void *arg)
{
	for (int round = 0; round < DEMO_WAIT_ROUNDS; round++) {
		for (size_t i = 0; i < n; i++) {
			if (!ps[i]->c)
				continue;
			cr_err e = nt_client_sync(ps[i]->c);
			if (e == CR_OK && gid)
				e = nt_client_sync_group(ps[i]->c, gid);
			if (e != CR_OK) {
				expectf(d, false, "%s syncs: %s", ps[i]->name, nt_client_error(ps[i]->c));
				return false;
			}
		}
		if (cond(d, arg))
			return true;
		usleep(DEMO_ROUND_PAUSE_US);
	}
	return false;
}

static bool settle(demo *d, person *const *ps, size_t n, bool (*cond)(demo *d, void *arg), void *arg)
{
	return settle_in(d, NULL, ps, n, cond, arg);
}

static bool has_joined(demo *d, void *arg)
{
	(void)d;
	return ((person *)arg)->joined;
}

typedef struct member_check {
	person *asker;
	const char *gid, *name;
	bool present;  /* filled by the callback */
} member_check;

static void note_member(void *ctx, const nt_client_member *m)
{
	member_check *mc = ctx;
	if (!strcmp(m->name, mc->name))
		mc->present = true;
}

/* True when mc->name is no longer a member (the server's view). */
static bool member_gone(demo *d, void *arg)
{
	(void)d;
	member_check *mc = arg;
	mc->present = false;
	if (nt_client_members(mc->asker->c, mc->gid, note_member, mc) != CR_OK)
		return false;
	return !mc->present;
}

typedef struct text_check {
	person *reader;
	const char *gid, *text;
} text_check;

static bool has_text(demo *d, void *arg)
{
	(void)d;
	text_check *t = arg;
	return got_text(t->reader, t->gid, t->text);
}

typedef struct presence_check {
	const char *want;
	bool seen;
	unsigned count;
} presence_check;

static void note_online(void *ctx, const char *user)
{
	presence_check *pc = ctx;
	pc->count++;
	if (!strcmp(user, pc->want))
		pc->seen = true;
}

static bool has_file(demo *d, void *arg)
{
	(void)d;
	return ((person *)arg)->got_file;
}

/* p's client learns that it is out of the group (NT_EV_LEFT). */
static void expect_left(demo *d, person *p)
{
	for (int round = 0; round < DEMO_WAIT_ROUNDS && !p->left; round++) {
		if (nt_client_sync(p->c) != CR_OK) {
			if (nt_client_status_of(p->c) == NT_CLIENT_DENIED) {
				/* The server has already taken the group's log away from
				 * p; the engine of this build does not conclude "left"
				 * from that yet. */
				printf("   [--]   not in this build yet: %s's client does not notice its removal (%s)\n",
				       p->name, nt_client_error(p->c));
				d->missing++;
				return;
			}
			expectf(d, false, "%s syncs: %s", p->name, nt_client_error(p->c));
			return;
		}
		if (!p->left)
			usleep(DEMO_ROUND_PAUSE_US);
	}
	expectf(d, p->left, "%s's client learns it is out of the group", p->name);
}

/* Sends text from `from` in gid; shows what the server stored (copied to
 * *ct when ct is not NULL, for a later decryption attempt). */
static bool send_and_show(demo *d, person *from, const char *gid, const char *text, uint8_t **ct, size_t *ct_len)
{
	printf("   %s writes: \"%s\"\n", from->name, text);
	if (!ok_or_say(d, from, nt_client_send(from->c, gid, (const uint8_t *)text, strlen(text)),
		       "message encrypted and sent"))
		return false;
	uint8_t *m = NULL;
	size_t n = 0;
	uint64_t pos = 0;
	cr_err e = nt_probe_server_latest(d->server_db, gid, NT_KIND_APPLICATION, &m, &n, &pos);
	if (!expectf(d, e == CR_OK, "the server's log holds it (position %llu)", (unsigned long long)pos))
		return false;
	show_wire("(PrivateMessage)", m, n, text);
	expect(d, !memmem(m, n, text, strlen(text)), "the stored bytes are ciphertext: the text is not in them");
	if (ct) {
		*ct = m;
		*ct_len = n;
	} else {
		free(m);
	}
	return true;
}

/* Tries to decrypt ct with the group state `who` has (or last had) in
 * their own database: true when it decrypts. */
static bool try_decrypt(mls_group *g, const uint8_t *ct, size_t ct_len, const char **why)
{
	uint8_t *pt = NULL;
	size_t pt_len = 0;
	uint32_t sender = 0;
	cr_err e = mls_group_decrypt(g, ct, ct_len, &pt, &pt_len, &sender);
	*why = e ? cr_err_str(e) : "decrypted!";
	if (pt)
		cr_wipe(pt, pt_len);
	free(pt);
	return e == CR_OK;
}

/* A group's commit for one epoch, once the server's log holds it. */
typedef struct commit_at {
	const char *gid;
	uint64_t epoch, pos;
	uint8_t *msg;
	size_t n;
} commit_at;

static bool commit_logged(demo *d, void *arg)
{
	commit_at *ca = arg;
	if (!ca->msg &&
	    nt_probe_server_at_epoch(d->server_db, ca->gid, NT_KIND_COMMIT, ca->epoch, &ca->msg, &ca->n, &ca->pos) != CR_OK)
		ca->msg = NULL;
	return ca->msg != NULL;
}

/* Stronger than a stale state: bob's last state also processes the commit
 * that removed him, taken from the server's log, as his client would have.
 * MLS encrypts that commit's path secrets to the remaining members only,
 * so his state learns that he is out and nothing of the next epoch. */
static void leaver_follows_his_removal(demo *d, mls_group *bob_last, const uint8_t *commit, size_t n,
				       const uint8_t *late, size_t late_len)
{
	uint64_t epoch = mls_group_epoch(bob_last), late_epoch = UINT64_MAX;
	mls_processed what = 0;
	cr_err e = mls_group_process(bob_last, commit, n, &what);
	expectf(d, e == CR_OK && what == MLS_PROCESSED_REMOVED && !mls_group_active(bob_last),
		"bob's last state processes it: it verifies, and his state says he is removed (%s)",
		e ? cr_err_str(e) : what == MLS_PROCESSED_REMOVED ? "removed, inactive" : "still a member?");
	bool named = nt_probe_private_epoch(late, late_len, &late_epoch) == CR_OK;
	expectf(d, named && late_epoch == epoch + 1 && mls_group_epoch(bob_last) == epoch,
		"his state stays at epoch %llu: no key for epoch %llu, which alice's new message names",
		(unsigned long long)mls_group_epoch(bob_last), (unsigned long long)late_epoch);
	const char *why = NULL;
	bool read = try_decrypt(bob_last, late, late_len, &why);
	expectf(d, !read, "bob cannot read it with the state that followed his removal either (%s)", why);
}

static bool join_via_request(demo *d, person *joiner, person *admin, person *const *others, size_t n_others)
{
	cr_err e = nt_client_group_join(joiner->c, DEMO_GROUP);
	if (not_yet(d, joiner, e)) {
		printf("   so %s adds %s herself, from the KeyPackage %s published\n", admin->name, joiner->name,
		       joiner->name);
		if (!ok_or_say(d, admin, nt_client_group_add(admin->c, DEMO_GROUP, joiner->name), "Add committed"))
			return false;
		person *ps[4] = { joiner };
		size_t n = 1;
		for (size_t i = 0; i < n_others && n < 4; i++)
			ps[n++] = others[i];
		return expectf(d, settle_in(d, DEMO_GROUP, ps, n, has_joined, joiner), "%s joined from the Welcome",
			       joiner->name);
	}
	if (!ok_or_say(d, joiner, e, "asks to join " DEMO_GROUP))
		return false;
	person *ps[4] = { admin, joiner };
	size_t n = 2;
	for (size_t i = 0; i < n_others && n < 4; i++)
		ps[n++] = others[i];
	bool ok = settle(d, ps, n, has_joined, joiner);
	return expectf(d, ok, "%s's client approved it (an Add commit) and %s joined from the Welcome", admin->name,
		       joiner->name);
}

static void tour(demo *d)
{
	person *A = &d->alice, *B = &d->bob, *C = &d->carol, *D = &d->dave;
	uint8_t *early = NULL, *late = NULL;
	size_t early_len = 0, late_len = 0;
	mls_group *bob_last = NULL, *g = NULL;
	commit_at removal = { .gid = DEMO_GROUP };
	const char *why = NULL;
	const char *early_text = "the plan, before bob was here";
	const char *late_text = "bob has gone; this is for carol only";
	const char *dm_text = "dave, read this when you are back";
	const char *bob_text = "hi alice, bob here";
	const char *carol_text = "hello both";
	const char *after_text = "alice left too; dave, welcome";
	const char *file_text = "a small file: the minutes of the meeting\n";

	say(d, "A real server starts: this binary as `echover server`, on 127.0.0.1, a fresh database.");
	bool up = server_start(d);
	if (!expectf(d, up, "server listening on 127.0.0.1:%u (its log: server.log)", d->port))
		return;

	say(d, "alice, bob, carol and dave register; dave goes offline at once.");
	if (!person_register(d, A) || !person_register(d, B) || !person_register(d, C) || !person_register(d, D))
		return;
	person_logout(D);

	if (!go_on(d))
		return;
	say(d, "alice creates the group \"" DEMO_GROUP "\" and writes to it before anyone else is in.");
	if (!ok_or_say(d, A, nt_client_group_create(A->c, DEMO_GROUP), "group created (epoch 0, alice owns it)") ||
	    !send_and_show(d, A, DEMO_GROUP, early_text, &early, &early_len))
		goto out;

	if (!go_on(d))
		goto out;
	say(d, "bob asks to join; alice's client, online and owner, approves automatically.");
	if (!join_via_request(d, B, A, NULL, 0))
		goto out;
	expect(d, !got_text(B, DEMO_GROUP, early_text), "bob's client was never given the earlier message");
	if (expect(d, nt_probe_client_group(B->db, B->passphrase, DEMO_GROUP, &g) == CR_OK,
		   "bob's group state, taken from his own database with his passphrase")) {
		/* An MLS state holds the keys of its current epoch only; the
		 * message names its epoch in its clear header. */
		uint64_t early_epoch = UINT64_MAX;
		bool named = nt_probe_private_epoch(early, early_len, &early_epoch) == CR_OK;
		expectf(d, named && early_epoch == 0 && mls_group_epoch(g) > 0,
			"bob's state holds the keys of epoch %llu only: none for epoch %llu, the epoch alice's "
			"message names in its header",
			(unsigned long long)mls_group_epoch(g), (unsigned long long)early_epoch);
		bool read = try_decrypt(g, early, early_len, &why);
		expectf(d, !read, "bob cannot read alice's message from before he joined, even with its ciphertext "
				  "from the server's log (his state is at epoch %llu, the message of epoch 0: %s)",
			(unsigned long long)mls_group_epoch(g), why);
		mls_group_free(g);
		g = NULL;
	}
	if (!send_and_show(d, B, DEMO_GROUP, bob_text, NULL, NULL))
		goto out;
	text_check tc = { A, DEMO_GROUP, bob_text };
	expect(d, settle(d, (person *const[]){ A }, 1, has_text, &tc), "alice reads bob's message");

	if (!go_on(d))
		goto out;
	say(d, "carol joins the same way; she writes and both others read her.");
	if (!join_via_request(d, C, A, (person *const[]){ B }, 1))
		goto out;
	if (!send_and_show(d, C, DEMO_GROUP, carol_text, NULL, NULL))
		goto out;
	tc = (text_check){ A, DEMO_GROUP, carol_text };
	bool a_read = settle(d, (person *const[]){ A, B }, 2, has_text, &tc);
	expect(d, a_read && got_text(B, DEMO_GROUP, carol_text), "alice and bob read carol's message");

	if (!go_on(d))
		goto out;
	say(d, "bob leaves: his client proposes his own removal; carol's client commits it.");
	if (!ok_or_say(d, B, nt_client_group_leave(B->c, DEMO_GROUP), "self-remove proposal posted"))
		goto out;
	/* bob's last state, before anyone removes him: what he keeps on disk. */
	expect(d, nt_probe_client_group(B->db, B->passphrase, DEMO_GROUP, &bob_last) == CR_OK,
	       "bob's last group state kept aside (from his database, unsealed)");
	/* The commit, taken from the server's log before every member has
	 * acknowledged it (the server then deletes it): carol syncs alone. */
	removal.epoch = bob_last ? mls_group_epoch(bob_last) : 0;
	bool logged = bob_last && settle(d, (person *const[]){ C }, 1, commit_logged, &removal);
	expectf(d, logged,
		"carol's client commits it; the commit that removed bob, taken from the server's log (position "
		"%llu, for epoch %llu)",
		(unsigned long long)removal.pos, (unsigned long long)removal.epoch);
	member_check mc = { C, DEMO_GROUP, "bob", false };
	expect(d, settle(d, (person *const[]){ C, A }, 2, member_gone, &mc),
	       "carol's client committed bob's removal; the server lists him no more");
	expect(d, nt_client_sync(A->c) == CR_OK, "alice's client follows");
	if (!send_and_show(d, A, DEMO_GROUP, late_text, &late, &late_len))
		goto out;
	tc = (text_check){ C, DEMO_GROUP, late_text };
	expect(d, settle(d, (person *const[]){ C }, 1, has_text, &tc), "carol reads alice's message");
	expect_left(d, B);
	expect(d, !got_text(B, DEMO_GROUP, late_text), "bob's client was not given the new message");
	if (bob_last) {
		bool read = try_decrypt(bob_last, late, late_len, &why);
		expectf(d, !read, "bob cannot read it, even with its ciphertext and his last group state (epoch %llu: %s)",
			(unsigned long long)mls_group_epoch(bob_last), why);
		if (removal.msg)
			leaver_follows_his_removal(d, bob_last, removal.msg, removal.n, late, late_len);
	}

	if (!go_on(d))
		goto out;
	say(d, "alice, the owner, leaves too; the group goes on: carol is its owner now and adds dave.");
	if (!ok_or_say(d, A, nt_client_group_leave(A->c, DEMO_GROUP), "self-remove proposal posted"))
		goto out;
	mc = (member_check){ C, DEMO_GROUP, "alice", false };
	expect(d, settle(d, (person *const[]){ C }, 1, member_gone, &mc), "carol's client committed alice's removal");
	expect_left(d, A);
	if (!ok_or_say(d, C, nt_client_group_add(C->c, DEMO_GROUP, "dave"),
		       "carol adds dave (offline: from his published KeyPackage)") ||
	    !send_and_show(d, C, DEMO_GROUP, after_text, NULL, NULL))
		goto out;

	if (!go_on(d))
		goto out;
	say(d, "alice writes a direct message to dave, who is offline.");
	char dm[NT_DM_GID_LEN + 1];
	nt_client_dm_gid("alice", "dave", dm);
	printf("   the DM group of alice and dave: %s (both sides compute it)\n", dm);
	printf("   alice writes to dave: \"%s\"\n", dm_text);
	cr_err e = nt_client_dm(A->c, "dave", (const uint8_t *)dm_text, strlen(dm_text));
	bool have_dm = !not_yet(d, A, e);
	if (have_dm && !ok_or_say(d, A, e, "DM group made from dave's KeyPackage; message sent"))
		goto out;
	if (have_dm) {
		uint8_t *m = NULL;
		size_t n = 0;
		uint64_t pos;
		if (expect(d, nt_probe_server_latest(d->server_db, dm, NT_KIND_APPLICATION, &m, &n, &pos) == CR_OK,
			   "the server queues it for dave")) {
			show_wire("(PrivateMessage)", m, n, dm_text);
			free(m);
		}
	}

	if (!go_on(d))
		goto out;
	say(d, "dave logs in: he reads the DM, and the room from the moment carol added him.");
	if (!person_login(d, D))
		goto out;
	tc = (text_check){ D, dm, dm_text };
	if (have_dm)
		expect(d, settle(d, (person *const[]){ D }, 1, has_text, &tc), "dave reads alice's DM");
	tc = (text_check){ D, DEMO_GROUP, after_text };
	expect(d, settle_in(d, DEMO_GROUP, (person *const[]){ D }, 1, has_text, &tc), "dave reads carol's welcome in " DEMO_GROUP);
	expect(d, !got_text(D, DEMO_GROUP, early_text) && !got_text(D, DEMO_GROUP, late_text),
	       "dave reads nothing from before he was added");

	if (!go_on(d))
		goto out;
	say(d, "alice sends dave a small file: encrypted on her side, stored as an opaque blob.");
	char path[320], out_path[320];
	snprintf(path, sizeof path, "%s/minutes.txt", d->dir);
	snprintf(out_path, sizeof out_path, "%s/minutes-dave.txt", d->dir);
	FILE *f = fopen(path, "w");
	bool wrote = f && fputs(file_text, f) >= 0;
	if (f)
		wrote = fclose(f) == 0 && wrote;
	if (!expect(d, wrote, "the file written (41 bytes)"))
		goto out;
	e = nt_client_send_file(A->c, have_dm ? dm : DEMO_GROUP, path);
	bool have_file = !not_yet(d, A, e);
	if (have_file && !ok_or_say(d, A, e, "file encrypted, uploaded, key and hash sent to dave"))
		goto out;
	if (have_file && expect(d, settle(d, (person *const[]){ D }, 1, has_file, D), "dave's client sees the file announced") &&
	    ok_or_say(d, D, nt_client_get_file(D->c, D->file.ref, out_path), "dave fetches it; its hash checks")) {
		FILE *r = fopen(out_path, "r");
		char back[128] = { 0 };
		size_t n = r ? fread(back, 1, sizeof back - 1, r) : 0;
		if (r)
			fclose(r);
		expect(d, n == strlen(file_text) && !memcmp(back, file_text, n), "dave's copy is byte for byte alice's");
		printf("   progress reports while sending and fetching: alice %u, dave %u\n", A->progress, D->progress);
	}

	if (!go_on(d))
		goto out;
	say(d, "Presence: who is online, as the peers one shares a group with see it.");
	{
		presence_check pc = { "dave", false, 0 };
		e = nt_client_presence(A->c, note_online, &pc);
		bool have_presence = !not_yet(d, A, e);
		if (have_presence && ok_or_say(d, A, e, "alice asks who is online"))
			expectf(d, pc.seen, "alice sees dave online (they share the DM group); %u online", pc.count);
		person_logout(D);
		pc = (presence_check){ "dave", false, 0 };
		bool gone = false;
		for (int i = 0; have_presence && i < DEMO_WAIT_ROUNDS && !gone; i++) {
			pc.seen = false;
			if (nt_client_presence(A->c, note_online, &pc) != CR_OK)
				break;
			gone = !pc.seen;
			if (!gone)
				usleep(DEMO_ROUND_PAUSE_US);
		}
		if (have_presence)
			expect(d, gone, "dave logs out; alice sees him offline");
		pc = (presence_check){ "carol", false, 0 };
		if (have_presence && ok_or_say(d, B, nt_client_presence(B->c, note_online, &pc), "bob asks who is online"))
			expect(d, !pc.seen, "bob, who shares no group with carol any more, does not see her");
	}

	if (!go_on(d))
		goto out;
	say(d, "Safety numbers: alice and dave compare one number out of band.");
	{
		char na[72], nd[72], fa[48], fd[48];
		if (!person_login(d, D))
			goto out;
		bool ok = ok_or_say(d, A, nt_client_fingerprint(A->c, "dave", na, fd), "alice computes hers with dave") &&
			  ok_or_say(d, D, nt_client_fingerprint(D->c, "alice", nd, fa), "dave computes his with alice");
		if (ok) {
			printf("   alice sees: %s\n   dave sees:  %s\n", na, nd);
			printf("   dave's key as alice pinned it: %s\n   alice's key as dave pinned it: %s\n", fd, fa);
			expect(d, !strcmp(na, nd), "the two numbers are the same: no one sits between them");
			ok_or_say(d, A, nt_client_trust(A->c, "dave", true), "alice marks dave's key verified");
		}
	}

	say(d, "What the server holds: its whole database, scanned for every message and the file.");
	{
		const char *texts[] = { early_text, bob_text, carol_text, late_text, after_text, dm_text, file_text };
		char wal[320];
		snprintf(wal, sizeof wal, "%s-wal", d->server_db);
		bool found = nt_probe_file_contains(d->server_db, texts, sizeof texts / sizeof texts[0]) ||
			     nt_probe_file_contains(wal, texts, sizeof texts / sizeof texts[0]);
		if (found)
			printf("   (!) plaintext appears in the server's database\n");
		expect(d, !found, "none of the 7 texts is in the server's database or its write-ahead log");
	}

out:
	mls_group_free(bob_last);
	free(removal.msg);
	free(early);
	free(late);
}

static void person_init(demo *d, person *p, const char *name)
{
	p->name = name;
	p->d = d;
	snprintf(p->db, sizeof p->db, "%s/%s.db", d->dir, name);
	/* Demo secrets: the point is the protocol, not these strings. */
	snprintf(p->passphrase, sizeof p->passphrase, "passphrase of %s", name);
	snprintf(p->password, sizeof p->password, "password of %s", name);
}

static void person_free(person *p)
{
	person_logout(p);
	cr_wipe(p->passphrase, sizeof p->passphrase);
	cr_wipe(p->password, sizeof p->password);
}

static bool make_dir(demo *d)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(d->dir, sizeof d->dir, "%s/echover-demo-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(d->dir)) {
		d->dir[0] = '\0';
		return false;
	}
	snprintf(d->server_db, sizeof d->server_db, "%s/server.db", d->dir);
	snprintf(d->server_log, sizeof d->server_log, "%s/server.log", d->dir);
	return true;
}

int nt_demo_main(int argc, char **argv)
{
	if (nt_wants_help(argc, argv)) {
		printf("usage: echover demo\n\n"
		       "A guided tour over real processes: it starts this binary as a server on\n"
		       "127.0.0.1 (a free port, a temporary database) and four clients, alice, bob,\n"
		       "carol and dave, and runs the seed scenarios: a group, joins approved by an\n"
		       "online admin, leaves, a DM to someone offline, a file, presence and safety\n"
		       "numbers. Each step shows what each member reads and what the server stores\n"
		       "(ciphertext only); each check prints [ok] or [FAIL]. Everything it creates\n"
		       "is removed at the end. Exit code 0 when every check passed, 1 otherwise.\n");
		return 0;
	}
	if (argc > 1) {
		fprintf(stderr, "echover demo: unexpected argument '%s'\n", argv[1]);
		return 2;
	}
	printf("== echover demo ==\n\nThe primitives this binary is built on, checked against known answers:\n");
	if (cr_selftest(stdout) != CR_OK) {
		fprintf(stderr, "echover demo: a self-test failed; stopping\n");
		return 1;
	}
	demo *d = calloc(1, sizeof *d);
	if (!d)
		return 1;
	int64_t start = now_ms();
	/* Held, not handled: the tour checks for them between steps and leaves
	 * through the one clean-up path below. */
	sigemptyset(&d->held);
	sigaddset(&d->held, SIGINT);
	sigaddset(&d->held, SIGTERM);
	sigaddset(&d->held, SIGHUP);
	sigset_t old;
	sigprocmask(SIG_BLOCK, &d->held, &old);
	if (!make_dir(d)) {
		fprintf(stderr, "echover demo: cannot create a temporary folder: %s\n", strerror(errno));
		free(d);
		return 1;
	}
	printf("\nEverything this tour creates lives in %s and is removed at the end.\n", d->dir);
	person_init(d, &d->alice, "alice");
	person_init(d, &d->bob, "bob");
	person_init(d, &d->carol, "carol");
	person_init(d, &d->dave, "dave");
	tour(d);
	person_free(&d->alice);
	person_free(&d->bob);
	person_free(&d->carol);
	person_free(&d->dave);
	server_stop(d);
	remove_dir(d);
	int failures = d->failures;
	bool interrupted = d->interrupted;
	int missing = d->missing;
	free(d);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (interrupted) {
		printf("\nInterrupted; the server was stopped and its files removed.\n");
		return 1;
	}
	if (failures) {
		printf("\n%d check(s) failed.\n", failures);
		return 1;
	}
	if (missing)
		printf("\n%d step(s) need parts of the client this build does not have yet.\n", missing);
	printf("\nEvery check passed in %.1f s: a joiner could not read the past, a leaver could\n"
	       "not read the future, and the server held only ciphertext.\n",
	       (double)(now_ms() - start) / 1000.0);
	return 0;
}
