/*
 * mode_client.c: the one-shot client subcommands for scripts (register,
 * send, dm, recv, group, send-file, get-file, who, fingerprint, trust,
 * history): each parses the shared options (cli_opts.h), opens the engine
 * (cli_client.h), does one thing, prints, and exits with a code a script
 * can branch on: 0 ok, 1 failure, 2 usage, 3 unreachable, 4 denied,
 * 5 server key changed, 6 not found. Errors are one line on stderr,
 * prefixed "echover: "; with --json, stdout carries one JSON object per
 * line (events and results).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli_client.h"
#include "cli_opts.h"
#include "cli_util.h"
#include "keystore.h"
#include "modes.h"
#include "wipe.h"

typedef struct run {
	nt_cli_opts o;
	nt_client *c;
	unsigned events;
	unsigned listed;       /* rows a list printed (who) */
} run;

/* --- output --- */

static void json_str(const char *key, const uint8_t *p, size_t n)
{
	printf("\"%s\":\"", key);
	for (size_t i = 0; i < n; i++) {
		uint8_t ch = p[i];
		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch == '\n')
			printf("\\n");
		else if (ch == '\t')
			printf("\\t");
		else if (ch < 0x20 || ch == 0x7f)
			printf("\\u%04x", ch);
		else
			putchar(ch); /* UTF-8 bytes pass through; JSON is UTF-8 */
	}
	putchar('"');
}

static void json_s(const char *key, const char *s, bool comma)
{
	if (comma)
		putchar(',');
	json_str(key, (const uint8_t *)s, strlen(s));
}

/* Text for terminals: control bytes a peer sent are shown, not obeyed. */
static void text_out(FILE *f, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fputc(p[i] < 0x20 && p[i] != '\n' && p[i] != '\t' ? '?' : p[i] == 0x7f ? '?' : p[i], f);
}

static const char *kind_name(nt_client_event_kind k)
{
	switch (k) {
	case NT_EV_MESSAGE: return "message";
	case NT_EV_FILE: return "file";
	case NT_EV_JOINED: return "joined";
	case NT_EV_MEMBER_ADDED: return "member_added";
	case NT_EV_MEMBER_REMOVED: return "member_removed";
	case NT_EV_LEFT: return "left";
	case NT_EV_JOIN_REQUEST: return "join_request";
	case NT_EV_EPOCH: return "epoch";
	case NT_EV_KEY_CHANGED: return "key_changed";
	case NT_EV_WARNING: return "warning";
	case NT_EV_PROGRESS: return "progress";
	}
	return "?";
}

/* People read a DM by its peer, not by its hashed id. */
static const char *group_label(const char *gid, const char *dm_peer, char out[NT_GROUP_ID_MAX + 16])
{
	if (dm_peer)
		snprintf(out, NT_GROUP_ID_MAX + 16, "dm with %s", dm_peer);
	else
		snprintf(out, NT_GROUP_ID_MAX + 16, "%s", gid ? gid : "");
	return out;
}

static void on_event(void *ctx, const nt_client_event *ev)
{
	run *r = ctx;
	if (ev->kind == NT_EV_PROGRESS) {
		if (isatty(2) && ev->total)
			fprintf(stderr, "\r%3u%% %llu/%llu bytes%s", (unsigned)(ev->done * 100 / ev->total),
				(unsigned long long)ev->done, (unsigned long long)ev->total, ev->done == ev->total ? "\n" : "");
		return;
	}
	if (ev->kind == NT_EV_EPOCH && !r->o.json)
		return;
	r->events++;
	if (r->o.json) {
		printf("{");
		json_s("event", kind_name(ev->kind), false);
		if (ev->group)
			json_s("group", ev->group, true);
		if (ev->peer)
			json_s("from", ev->peer, true);
		if (ev->dm_peer)
			json_s("peer", ev->dm_peer, true);
		if (ev->kind == NT_EV_MESSAGE) {
			putchar(',');
			json_str("text", ev->body, ev->body_len);
		}
		if (ev->kind == NT_EV_FILE) {
			json_s("name", ev->file->name, true);
			printf(",\"size\":%llu", (unsigned long long)ev->file->size);
			json_s("ref", ev->file->ref, true);
		}
		if (ev->text)
			json_s("text", ev->text, true);
		if (ev->kind == NT_EV_MESSAGE || ev->kind == NT_EV_FILE)
			printf(",\"sent_at\":%lld", (long long)ev->sent_at);
		printf(",\"epoch\":%llu}\n", (unsigned long long)ev->epoch);
		fflush(stdout);
		return;
	}
	char label[NT_GROUP_ID_MAX + 16];
	const char *g = group_label(ev->group, ev->dm_peer, label), *p = ev->peer ? ev->peer : "";
	switch (ev->kind) {
	case NT_EV_MESSAGE:
		printf("[%s] %s: ", g, p);
		text_out(stdout, ev->body, ev->body_len);
		putchar('\n');
		break;
	case NT_EV_FILE:
		printf("[%s] %s sent file %s (%llu bytes): echover get-file %s OUT\n", g, p, ev->file->name,
		       (unsigned long long)ev->file->size, ev->file->ref);
		break;
	case NT_EV_JOINED: printf("[%s] joined (epoch %llu)\n", g, (unsigned long long)ev->epoch); break;
	case NT_EV_MEMBER_ADDED: printf("[%s] %s joined\n", g, p); break;
	case NT_EV_MEMBER_REMOVED: printf("[%s] %s left\n", g, p); break;
	case NT_EV_LEFT: printf("[%s] you are no longer a member\n", g); break;
	case NT_EV_JOIN_REQUEST: printf("[%s] %s asks to join\n", g, p); break;
	case NT_EV_KEY_CHANGED:
	case NT_EV_WARNING: fprintf(stderr, "echover: %s\n", ev->text ? ev->text : "warning"); break;
	default: break;
	}
	fflush(stdout);
}

static int exit_code(nt_client_status s)
{
	return s == NT_CLIENT_OK ? 1 : (int)s;
}

static int fail_client(run *r)
{
	const char *msg = r->c ? nt_client_error(r->c) : "out of memory";
	fprintf(stderr, "echover: %s\n", msg[0] ? msg : "failed");
	if (r->o.json) {
		printf("{");
		json_s("error", msg, false);
		printf(",\"code\":%d}\n", exit_code(nt_client_status_of(r->c)));
	}
	return exit_code(nt_client_status_of(r->c));
}

static void ok_json(run *r, const char *what, const char *k2, const char *v2)
{
	if (!r->o.json)
		return;
	printf("{\"ok\":true");
	json_s("result", what, true);
	if (k2)
		json_s(k2, v2, true);
	printf("}\n");
}

/* Reads the secrets and opens (or registers) the client. */
static int start(run *r, bool reg)
{
	char err[256];
	int rc = nt_cli_opts_finish(&r->o, err, sizeof err);
	if (rc) {
		fprintf(stderr, "echover: %s\n", err);
		return rc;
	}
	char pass[CR_KEYSTORE_PASS_MAX + 2], pw[NT_PASSWORD_MAX + 2];
	if (nt_read_secret("keystore passphrase", r->o.passphrase_fd, "ECHOVER_PASSPHRASE", pass, sizeof pass, err,
			   sizeof err) ||
	    nt_read_secret("account password", r->o.password_fd, "ECHOVER_PASSWORD", pw, sizeof pw, err,
			   sizeof err)) {
		cr_wipe(pass, sizeof pass);
		fprintf(stderr, "echover: %s\n", err);
		return 2;
	}
	nt_client_opts co = {
		.db_path = r->o.db_path, .host = r->o.host, .port = r->o.port, .user = r->o.user, .passphrase = pass,
		.password = pw, .server_pin = r->o.have_pin ? r->o.pin : NULL,
		.timeout_ms = r->o.timeout_s ? (int)(r->o.timeout_s * 1000) : 10000, .cheap_kdf = r->o.cheap_kdf,
		.update_after_s = r->o.update_after_s,
		.on_event = on_event, .ctx = r,
	};
	cr_err e = reg ? nt_client_register(&r->c, &co, r->o.invite) : nt_client_open(&r->c, &co);
	cr_wipe(pass, sizeof pass);
	cr_wipe(pw, sizeof pw);
	return e ? fail_client(r) : 0;
}

static int usage_err(const char *mode, const char *usage)
{
	fprintf(stderr, "echover: usage: echover %s %s\n", mode, usage);
	return 2;
}

/* --- subcommands --- */

static int do_register(run *r)
{
	int rc = start(r, true);
	if (rc)
		return rc;
	if (!r->o.json)
		printf("registered %s on %s:%u\n", r->o.user, r->o.host, r->o.port);
	ok_json(r, "registered", "user", r->o.user);
	return 0;
}

static int do_send(run *r)
{
	if (r->o.n_pos != 2)
		return usage_err("send", "GROUP TEXT");
	int rc = start(r, false);
	if (rc)
		return rc;
	const char *t = r->o.pos[1];
	if (nt_client_send_id(r->c, r->o.pos[0], r->o.have_id ? r->o.id : NULL, (const uint8_t *)t, strlen(t)))
		return fail_client(r);
	ok_json(r, "sent", "group", r->o.pos[0]);
	return 0;
}

static int do_dm(run *r)
{
	if (r->o.n_pos != 2)
		return usage_err("dm", "PEER TEXT");
	int rc = start(r, false);
	if (rc)
		return rc;
	const char *t = r->o.pos[1];
	if (nt_client_dm_id(r->c, r->o.pos[0], r->o.have_id ? r->o.id : NULL, (const uint8_t *)t, strlen(t)))
		return fail_client(r);
	ok_json(r, "sent", "peer", r->o.pos[0]);
	return 0;
}

static int do_recv(run *r)
{
	int rc = start(r, false);
	if (rc)
		return rc;
	for (size_t i = 0; i < r->o.n_pos; i++)
		if (nt_client_sync_group(r->c, r->o.pos[i]))
			return fail_client(r);
	if (nt_client_sync(r->c))
		return fail_client(r);
	/* --wait: notifications until the deadline (each names a group to sync). */
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int64_t left = r->o.wait_s * 1000; left > 0;) {
		bool got = false;
		if (nt_client_wait(r->c, (int)left, &got))
			return fail_client(r);
		clock_gettime(CLOCK_MONOTONIC, &t);
		left = r->o.wait_s * 1000 - ((int64_t)(t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
	}
	return 0;
}

static void print_group(void *ctx, const nt_client_group_info *g)
{
	run *r = ctx;
	static const char *roles[] = { "member", "admin", "owner" };
	const char *role = g->role <= 2 ? roles[g->role] : "?";
	if (r->o.json) {
		printf("{");
		json_s("group", g->gid, false);
		json_s("role", role, true);
		if (g->peer)
			json_s("peer", g->peer, true);
		printf(",\"epoch\":%llu,\"members\":%u}\n", (unsigned long long)g->epoch, g->members);
	} else {
		char label[NT_GROUP_ID_MAX + 16];
		printf("%-36s %-6s epoch %-4llu %u members\n", group_label(g->gid, g->peer, label), role,
		       (unsigned long long)g->epoch, g->members);
	}
}

static void print_member(void *ctx, const nt_client_member *m)
{
	run *r = ctx;
	if (r->o.json) {
		printf("{");
		json_s("member", m->name, false);
		printf(",\"role\":%u,\"online\":%s}\n", m->role, m->online ? "true" : "false");
	} else {
		static const char *roles[] = { "member", "admin", "owner" };
		printf("%-32s %-6s%s\n", m->name, m->role <= 2 ? roles[m->role] : "?", m->online ? " online" : "");
	}
}

static int do_group(run *r)
{
	static const char usage[] =
		"create|join|leave|update|members GROUP | list | add|remove GROUP USER | role GROUP USER admin|member";
	if (r->o.n_pos < 1)
		return usage_err("group", usage);
	const char *op = r->o.pos[0], *gid = r->o.n_pos > 1 ? r->o.pos[1] : NULL;
	static const struct { const char *op; size_t args; } ops[] = {
		{ "create", 2 }, { "join", 2 }, { "leave", 2 }, { "update", 2 }, { "list", 1 },
		{ "add", 3 }, { "remove", 3 }, { "role", 4 }, { "members", 2 },
	};
	size_t want = 0;
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
		if (!strcmp(op, ops[i].op))
			want = ops[i].args;
	if (!want || r->o.n_pos != want)
		return usage_err("group", usage);
	uint8_t role = NT_ROLE_MEMBER;
	if (!strcmp(op, "role")) {
		if (!strcmp(r->o.pos[3], "admin"))
			role = NT_ROLE_ADMIN;
		else if (strcmp(r->o.pos[3], "member"))
			return usage_err("group", "role GROUP USER admin|member");
	}
	int rc = start(r, false);
	if (rc)
		return rc;
	cr_err e = CR_OK;
	if (!strcmp(op, "create"))
		e = nt_client_group_create(r->c, gid);
	else if (!strcmp(op, "join"))
		e = nt_client_group_join(r->c, gid);
	else if (!strcmp(op, "leave"))
		e = nt_client_group_leave(r->c, gid);
	else if (!strcmp(op, "update"))
		e = nt_client_group_update(r->c, gid);
	else if (!strcmp(op, "add"))
		e = nt_client_group_add(r->c, gid, r->o.pos[2]);
	else if (!strcmp(op, "remove"))
		e = nt_client_group_remove(r->c, gid, r->o.pos[2]);
	else if (!strcmp(op, "role"))
		e = nt_client_group_role(r->c, gid, r->o.pos[2], role);
	else if (!strcmp(op, "list"))
		e = nt_client_groups(r->c, print_group, r);
	else if (!strcmp(op, "members"))
		e = nt_client_members(r->c, gid, print_member, r);
	else
		return usage_err("group", usage);
	if (e)
		return fail_client(r);
	if (strcmp(op, "list") && strcmp(op, "members"))
		ok_json(r, op, "group", gid);
	return 0;
}

static int do_send_file(run *r)
{
	if (r->o.n_pos != 2)
		return usage_err("send-file", "GROUP PATH");
	int rc = start(r, false);
	if (rc)
		return rc;
	if (nt_client_send_file(r->c, r->o.pos[0], r->o.pos[1]))
		return fail_client(r);
	ok_json(r, "sent", "group", r->o.pos[0]);
	return 0;
}

static int do_get_file(run *r)
{
	if (r->o.n_pos != 2)
		return usage_err("get-file", "REF OUT");
	int rc = start(r, false);
	if (rc)
		return rc;
	if (nt_client_get_file(r->c, r->o.pos[0], r->o.pos[1]))
		return fail_client(r);
	ok_json(r, "fetched", "path", r->o.pos[1]);
	return 0;
}

static void print_user(void *ctx, const char *user)
{
	run *r = ctx;
	r->listed++;
	if (r->o.json) {
		printf("{");
		json_s("online", user, false);
		printf("}\n");
	} else {
		printf("%s\n", user);
	}
}

static int do_who(run *r)
{
	if (r->o.n_pos != 0)
		return usage_err("who", "");
	int rc = start(r, false);
	if (rc)
		return rc;
	if (nt_client_presence(r->c, print_user, r))
		return fail_client(r);
	/* Scripts read --json (no rows: nobody); people get a sentence. */
	if (!r->listed && !r->o.json)
		printf("nobody you share a group with is online\n");
	return 0;
}

static int do_fingerprint(run *r)
{
	if (r->o.n_pos != 1)
		return usage_err("fingerprint", "USER");
	int rc = start(r, false);
	if (rc)
		return rc;
	char number[72], fp[48];
	if (nt_client_fingerprint(r->c, r->o.pos[0], number, fp))
		return fail_client(r);
	if (r->o.json) {
		printf("{");
		json_s("user", r->o.pos[0], false);
		json_s("safety_number", number, true);
		json_s("fingerprint", fp, true);
		printf("}\n");
	} else {
		printf("safety number with %s:\n  %s\nkey fingerprint of %s: %s\n", r->o.pos[0], number, r->o.pos[0], fp);
	}
	return 0;
}

static int do_trust(run *r)
{
	if (r->o.n_pos != 1)
		return usage_err("trust", "USER");
	int rc = start(r, false);
	if (rc)
		return rc;
	if (nt_client_trust(r->c, r->o.pos[0], r->o.verified))
		return fail_client(r);
	if (!r->o.json)
		printf("%s's current key is trusted%s\n", r->o.pos[0], r->o.verified ? " and marked verified" : "");
	ok_json(r, "trusted", "user", r->o.pos[0]);
	return 0;
}

static void print_line(void *ctx, const nt_client_line *l)
{
	run *r = ctx;
	if (r->o.json) {
		printf("{");
		json_s("from", l->sender, false);
		putchar(',');
		json_str("text", l->body, l->body_len);
		printf(",\"sent_at\":%lld}\n", (long long)l->sent_at);
	} else {
		printf("%s: ", l->sender);
		text_out(stdout, l->body, l->body_len);
		putchar('\n');
	}
}

static int do_history(run *r)
{
	if (r->o.n_pos != 1)
		return usage_err("history", "GROUP|@PEER");
	int rc = start(r, false);
	if (rc)
		return rc;
	/* @PEER: the DM with PEER. */
	char gid[NT_GROUP_ID_MAX + 1], peer[NT_USERNAME_MAX + 1];
	const char *arg = r->o.pos[0];
	if (arg[0] == '@')
		nt_client_dm_gid(nt_client_user(r->c), arg + 1, gid);
	else
		snprintf(gid, sizeof gid, "%s", arg);
	if (!r->o.json && nt_client_dm_peer(r->c, gid, arg[0] == '@' ? arg + 1 : NULL, peer))
		printf("dm with %s:\n", peer);
	return nt_client_history(r->c, gid, r->o.limit ? (unsigned)r->o.limit : 50, print_line, r) ? fail_client(r)
													     : 0;
}

typedef struct sub {
	const char *name;
	int (*fn)(run *r);
	unsigned mode;      /* nt_cli_mode: which options it takes */
	const char *usage;  /* the arguments after the mode; lines separated by '\n' */
	const char *help;   /* one paragraph */
} sub;

static const sub subs[] = {
	{ "register", do_register, NT_MODE_REGISTER, "[--invite CODE]",
	  "Creates this user's identity (an Ed25519 key, sealed under the keystore\n"
	  "passphrase in the client database) and registers it on the server with\n"
	  "the account password. A failed attempt keeps the identity: run it again\n"
	  "with the same passphrase." },
	{ "send", do_send, NT_MODE_SEND, "GROUP TEXT",
	  "Sends TEXT to GROUP, encrypted for its members. Exit 3 means the server\n"
	  "could not be reached or its answer was lost: a script may retry with the\n"
	  "same --id, and members shown the first copy are not shown the second." },
	{ "dm", do_dm, NT_MODE_DM, "PEER TEXT",
	  "Sends TEXT to PEER in the two-member group of the two of you, created\n"
	  "from PEER's published KeyPackage if needed: PEER need not be online.\n"
	  "--id makes a retry idempotent, as for send." },
	{ "recv", do_recv, NT_MODE_RECV, "[GROUP...]",
	  "Processes what the server holds for us, in every group (and in each\n"
	  "GROUP named, also one we were just added to) and prints it; with --wait\n"
	  "it goes on waiting for pushes until SECONDS have passed." },
	{ "group", do_group, NT_MODE_GROUP,
	  "create GROUP\njoin GROUP\nleave GROUP\nupdate GROUP\nlist\nadd GROUP USER\nremove GROUP USER\n"
	  "role GROUP USER admin|member\nmembers GROUP",
	  "Group operations: create a group (we own it), ask to join one (an online\n"
	  "admin's client approves), leave (another member commits it), refresh our\n"
	  "keys (update), list ours; admins add and remove members, the owner sets\n"
	  "roles; members lists a group's members with roles and presence." },
	{ "send-file", do_send_file, NT_MODE_SEND_FILE, "GROUP PATH",
	  "Encrypts the file at PATH in chunks, uploads it as an opaque blob and\n"
	  "announces it in GROUP with its key and hash." },
	{ "get-file", do_get_file, NT_MODE_GET_FILE, "REF OUT",
	  "Fetches the file a group announced (REF, as recv printed it), verifies\n"
	  "every chunk and its hash, and writes it to OUT (nothing is left on failure)." },
	{ "who", do_who, NT_MODE_WHO, "", "Lists who is online among the people sharing a group with us." },
	{ "fingerprint", do_fingerprint, NT_MODE_FINGERPRINT, "USER",
	  "Shows the safety number of us and USER (the same on both sides) and\n"
	  "USER's key fingerprint, to compare out of band." },
	{ "trust", do_trust, NT_MODE_TRUST, "USER",
	  "Accepts USER's current key after a change, or with --verified marks it\n"
	  "as compared out of band." },
	{ "history", do_history, NT_MODE_HISTORY, "GROUP|@PEER",
	  "Prints the stored messages of GROUP, or of the DM with PEER." },
	{ NULL, 0, 0, NULL, NULL },
};

static void sub_help(const sub *s)
{
	const char *line = s->usage;
	for (bool first = true; first || *line; first = false) {
		size_t n = strcspn(line, "\n");
		printf("%s echover %s%s%.*s [OPTIONS]\n", first ? "usage:" : "      ", s->name, n ? " " : "", (int)n,
		       line);
		line += n + (line[n] == '\n');
	}
	printf("\n%s\n\nOptions:\n", s->help);
	nt_cli_opts_help(stdout, s->mode);
	printf("\nExit codes: 0 ok, 1 failure, 2 usage, 3 server unreachable, 4 denied (wrong\n"
	       "passphrase, password or invite), 5 server key changed, 6 not found.\n");
}

int nt_client_mode_main(int argc, char **argv)
{
	const sub *s = subs;
	while (s->name && strcmp(s->name, argv[0]))
		s++;
	if (!s->name)
		return 2;
	if (nt_wants_help(argc, argv)) {
		sub_help(s);
		return 0;
	}
	if (cr_init() != CR_OK) {
		fprintf(stderr, "echover: libsodium failed to start\n");
		return 1;
	}
	static run r;
	char err[256];
	if (nt_cli_opts_parse(&r.o, s->mode, argc, argv, err, sizeof err)) {
		fprintf(stderr, "echover: %s (echover %s --help)\n", err, s->name);
		return 2;
	}
	int rc = s->fn(&r);
	nt_client_close(r.c);
	r.c = NULL;
	fflush(stdout);
	return rc;
}
