/*
 * mode_chat.c: `echover client`, the interactive chat. A thin layer over
 * the client engine (net/cli_client.h): one poll loop over the terminal,
 * the server's socket and a signalfd, so incoming messages appear while the
 * user types. On an event the row being typed is erased, the event printed
 * and the prompt and half-typed line redrawn (net/chat_line.h renders both).
 *
 * In a terminal the chat switches it to non-canonical mode without echo and
 * edits the line itself; the saved settings are restored on every way out
 * (/quit, ^C, ^D, end of input, SIGTERM, SIGHUP, a fatal error). When stdin
 * is not a terminal it reads plain lines, so scripts can pipe commands.
 *
 * Losing the server is not fatal: the chat reconnects with a doubling
 * back-off (1 s up to 30 s, at most CHAT_RECONNECT_TRIES attempts) and says
 * so. Text typed meanwhile is queued in the client database's outbox and
 * sent once the connection is back (also by the next chat, if this one
 * ends first); the screen says both.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "chat_cmd.h"
#include "chat_line.h"
#include "cli_client.h"
#include "cli_opts.h"
#include "keystore.h"
#include "cli_util.h"
#include "modes.h"
#include "wipe.h"

/* Periodic sync even without notifications: a lost NOTIFY costs at most this. */
#define CHAT_SYNC_MS 30000
#define CHAT_RECONNECT_TRIES 10
#define CHAT_BACKOFF_MAX_MS 30000
#define CHAT_HISTORY_LINES 20

typedef struct chat {
	nt_client *c;
	bool online;             /* false from a lost connection until a reconnect works */
	bool tty;
	bool raw;                /* the terminal is in our mode: restore it */
	struct termios saved;
	unsigned cols;
	nt_chat_line line;
	char pipe_buf[NT_CHAT_LINE_MAX + 1]; /* not a terminal: the partial line read */
	size_t pipe_len;
	char current[NT_GROUP_ID_MAX + 1];
	char prompt[NT_GROUP_ID_MAX + 24];
	char current_label[NT_GROUP_ID_MAX + 16]; /* "dm with PEER" for a DM */
	bool progress_shown;
	bool quit;
	int exit_code;
} chat;

/* --- output: every line goes through here so the input row survives --- */

static void redraw(chat *ch)
{
	if (!ch->tty)
		return;
	char out[NT_CHAT_LINE_MAX + 128];
	size_t n = nt_chat_line_render(&ch->line, ch->prompt, ch->cols, out, sizeof out);
	fwrite(out, 1, n, stdout);
	fflush(stdout);
}

static void erase_row(chat *ch)
{
	if (ch->tty)
		fputs(NT_CHAT_ERASE, stdout);
	ch->progress_shown = false;
}

__attribute__((format(printf, 2, 3))) static void show(chat *ch, const char *fmt, ...)
{
	erase_row(ch);
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	redraw(ch);
	fflush(stdout);
}

static void set_prompt(chat *ch)
{
	snprintf(ch->prompt, sizeof ch->prompt, ch->current[0] ? "[%s] " : "> ", ch->current_label);
}

/* What people read for gid: "dm with PEER" for a DM, else the id. */
static const char *label_of(chat *ch, const char *gid, char out[NT_GROUP_ID_MAX + 16])
{
	char peer[NT_USERNAME_MAX + 1];
	if (ch->c && nt_client_dm_peer(ch->c, gid, NULL, peer))
		snprintf(out, NT_GROUP_ID_MAX + 16, "dm with %s", peer);
	else
		snprintf(out, NT_GROUP_ID_MAX + 16, "%s", gid);
	return out;
}

static void set_current(chat *ch, const char *gid)
{
	char copy[sizeof ch->current];
	snprintf(copy, sizeof copy, "%s", gid ? gid : ""); /* gid may be ch->current itself */
	memcpy(ch->current, copy, sizeof copy);
	label_of(ch, ch->current, ch->current_label);
	set_prompt(ch);
}

static const char *clock_now(char buf[8], int64_t at)
{
	time_t t = at > 0 ? (time_t)at : time(NULL);
	struct tm tm;
	if (!localtime_r(&t, &tm) || !strftime(buf, 8, "%H:%M", &tm))
		snprintf(buf, 8, "--:--");
	return buf;
}

static const char *safe(const char *s, char *out, size_t cap)
{
	if (!s)
		return "?";
	nt_chat_sanitize((const uint8_t *)s, strlen(s), false, out, cap);
	return out;
}

static void on_event(void *ctx, const nt_client_event *ev)
{
	chat *ch = ctx;
	char t[8], g[NT_GROUP_ID_MAX * 2 + 16], p[NT_USERNAME_MAX * 2 + 8], named[NT_GROUP_ID_MAX + 16];
	/* A DM reads as its peer, not as its hashed id. */
	if (ev->dm_peer)
		snprintf(named, sizeof named, "dm with %s", ev->dm_peer);
	const char *gid = safe(ev->dm_peer ? named : ev->group, g, sizeof g), *peer = safe(ev->peer, p, sizeof p);
	switch (ev->kind) {
	case NT_EV_MESSAGE: {
		char *body = malloc(ev->body_len * 2 + 1);
		if (!body)
			return;
		nt_chat_sanitize(ev->body, ev->body_len, false, body, ev->body_len * 2 + 1);
		show(ch, "%s <%s@%s> %s", clock_now(t, ev->sent_at), peer, gid, body);
		cr_wipe(body, ev->body_len * 2 + 1);
		free(body);
		break;
	}
	case NT_EV_FILE: {
		char name[NT_CLIENT_FILE_NAME_MAX * 2];
		safe(ev->file->name, name, sizeof name);
		show(ch, "%s <%s@%s> sent a file: %s (%llu bytes); fetch it with /get-file %s %s",
		     clock_now(t, ev->sent_at), peer, gid, name, (unsigned long long)ev->file->size, ev->file->ref, name);
		break;
	}
	case NT_EV_JOINED:
		show(ch, "*** you joined %s (epoch %llu)", gid, (unsigned long long)ev->epoch);
		if (!ch->current[0] && ev->group)
			set_current(ch, ev->group);
		redraw(ch);
		break;
	case NT_EV_MEMBER_ADDED:
		show(ch, "*** %s joined %s", peer, gid);
		break;
	case NT_EV_MEMBER_REMOVED:
		show(ch, "*** %s left %s", peer, gid);
		break;
	case NT_EV_LEFT:
		show(ch, "*** you are no longer in %s", gid);
		if (ev->group && !strcmp(ev->group, ch->current))
			set_current(ch, NULL);
		redraw(ch);
		break;
	case NT_EV_JOIN_REQUEST:
		show(ch, "*** %s asked to join %s", peer, gid);
		break;
	case NT_EV_EPOCH:
		break; /* every membership change already says so */
	case NT_EV_KEY_CHANGED: {
		char text[512];
		safe(ev->text, text, sizeof text);
		const char *on = ch->tty ? "\033[1;31m" : "", *off = ch->tty ? "\033[0m" : "";
		show(ch, "%s!!! WARNING: the identity key of %s has CHANGED. !!!%s\n"
			 "!!! %s\n"
			 "!!! Someone may be impersonating %s. Compare safety numbers (/fingerprint %s)\n"
			 "!!! in person before you accept the new key with /trust %s.",
		     on, peer, off, text, peer, peer, peer);
		break;
	}
	case NT_EV_WARNING: {
		char text[512];
		show(ch, "!!! %s: %s", gid, safe(ev->text, text, sizeof text));
		break;
	}
	case NT_EV_PROGRESS: {
		char bar[128];
		nt_chat_progress(ev->done, ev->total, 30, bar, sizeof bar);
		if (ch->tty) {
			fputs(NT_CHAT_ERASE, stdout);
			fputs(bar, stdout);
			fflush(stdout);
			ch->progress_shown = true;
			if (ev->done >= ev->total)
				show(ch, "%s", bar);
		} else if (ev->done >= ev->total) {
			show(ch, "%s", bar);
		}
		break;
	}
	}
}

/* --- the terminal --- */

static void term_restore(chat *ch)
{
	if (!ch->raw)
		return;
	fputs(NT_CHAT_ERASE, stdout);
	fflush(stdout);
	tcsetattr(STDIN_FILENO, TCSANOW, &ch->saved);
	ch->raw = false;
}

static bool term_raw(chat *ch)
{
	if (tcgetattr(STDIN_FILENO, &ch->saved) != 0)
		return false;
	struct termios t = ch->saved;
	/* ISIG off: ^C arrives as a byte and quits through the same path as /quit. */
	t.c_lflag &= ~(tcflag_t)(ICANON | ECHO | ISIG | IEXTEN);
	t.c_iflag &= ~(tcflag_t)(IXON | ICRNL);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSANOW, &t) != 0)
		return false;
	ch->raw = true;
	return true;
}

static void term_size(chat *ch)
{
	struct winsize ws;
	ch->cols = ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 ? ws.ws_col : 80;
}

/* --- the server: failures, reconnection --- */

/* After an engine call failed: reports it; a lost connection drops the
 * client so the loop reconnects. */
static void failed(chat *ch, const char *what)
{
	show(ch, "error: %s: %s", what, nt_client_error(ch->c));
	if (nt_client_status_of(ch->c) == NT_CLIENT_UNREACHABLE) {
		show(ch, "*** lost the server; reconnecting");
		ch->online = false;
	}
}

static bool connected(chat *ch)
{
	if (!ch->online)
		show(ch, "not connected to the server (reconnecting); /quit leaves");
	return ch->online;
}

static const char *role_name(uint8_t r)
{
	return r == NT_ROLE_OWNER ? "owner" : r == NT_ROLE_ADMIN ? "admin" : "member";
}

static void print_group(void *ctx, const nt_client_group_info *g)
{
	chat *ch = ctx;
	if (g->peer)
		show(ch, "  dm with %-28s epoch %llu (%s)", g->peer, (unsigned long long)g->epoch, g->gid);
	else
		show(ch, "  %-36s %s, %u member(s), epoch %llu", g->gid, role_name(g->role), g->members,
		     (unsigned long long)g->epoch);
}

static void print_member(void *ctx, const nt_client_member *m)
{
	show(ctx, "  %-32s %s%s", m->name, role_name(m->role), m->online ? ", online" : "");
}

static void print_online(void *ctx, const char *user)
{
	show(ctx, "  %s", user);
}

static void print_history(void *ctx, const nt_client_line *l)
{
	chat *ch = ctx;
	char t[8], s[NT_USERNAME_MAX * 2 + 2];
	char *body = malloc(l->body_len * 2 + 1);
	if (!body)
		return;
	nt_chat_sanitize(l->body, l->body_len, false, body, l->body_len * 2 + 1);
	show(ch, "%s <%s> %s", clock_now(t, l->sent_at), safe(l->sender, s, sizeof s), body);
	cr_wipe(body, l->body_len * 2 + 1);
	free(body);
}

/* The group a command names, else the current one. */
static const char *group_or_current(chat *ch, const char *g)
{
	if (g)
		return g;
	if (!ch->current[0])
		show(ch, "no current group: name one, or /switch GROUP");
	return ch->current[0] ? ch->current : NULL;
}

/* Offline: into the outbox, sent after the reconnection. */
/* id: the message's, when a send of it failed (it may have reached the
 * server: members show it once); NULL for a fresh one. */
static void queue_text(chat *ch, const char *gid, const uint8_t *id, const char *text)
{
	char l[NT_GROUP_ID_MAX + 16];
	if (nt_client_outbox_queue(ch->c, gid, id, (const uint8_t *)text, strlen(text)) != CR_OK) {
		show(ch, "error: could not queue the message: %s", nt_client_error(ch->c));
		return;
	}
	set_current(ch, gid);
	show(ch, "*** not connected: queued for %s, sent once the server is back", label_of(ch, gid, l));
}

static void send_text(chat *ch, const char *gid, const char *text)
{
	if (!gid)
		return;
	if (!ch->online) {
		queue_text(ch, gid, NULL, text);
		return;
	}
	uint8_t id[NT_CLIENT_MSG_ID_LEN];
	if (nt_client_msg_id_new(ch->c, id) != CR_OK ||
	    nt_client_send_id(ch->c, gid, id, (const uint8_t *)text, strlen(text)) != CR_OK) {
		failed(ch, "send");
		if (!ch->online)
			queue_text(ch, gid, id, text);
		return;
	}
	char t[8], l[NT_GROUP_ID_MAX + 16];
	set_current(ch, gid);
	show(ch, "%s <%s@%s> %s", clock_now(t, 0), nt_client_user(ch->c), label_of(ch, gid, l), text);
}

static void sent_queued(void *ctx, const char *gid, const uint8_t *text, size_t n)
{
	chat *ch = ctx;
	char t[8], l[NT_GROUP_ID_MAX + 16], *body = malloc(n * 2 + 1);
	if (!body)
		return;
	nt_chat_sanitize(text, n, false, body, n * 2 + 1);
	show(ch, "%s <%s@%s> %s (queued, sent now)", clock_now(t, 0), nt_client_user(ch->c), label_of(ch, gid, l),
	     body);
	cr_wipe(body, n * 2 + 1);
	free(body);
}

/* Sends what the outbox holds; says how much went out. */
static void flush_outbox(chat *ch)
{
	size_t sent = 0;
	cr_err e = nt_client_outbox_flush(ch->c, sent_queued, ch, &sent);
	if (sent)
		show(ch, "*** sent %zu queued message(s)", sent);
	if (e != CR_OK)
		failed(ch, "sending the queued messages");
}

/* Runs one typed line. */
static void run_line(chat *ch, char *line)
{
	nt_chat_cmd cmd;
	nt_chat_parse(line, &cmd);
	const char *a = cmd.a[0], *b = cmd.a[1];
	if (cmd.op == NT_CHAT_NOTHING)
		return;
	if (cmd.op == NT_CHAT_BAD) {
		show(ch, "usage: %s", cmd.err);
		return;
	}
	if (cmd.op == NT_CHAT_HELP) {
		erase_row(ch);
		nt_chat_help(stdout);
		redraw(ch);
		return;
	}
	if (cmd.op == NT_CHAT_QUIT) {
		ch->quit = true;
		return;
	}
	if (cmd.op == NT_CHAT_SWITCH) {
		/* Also picks up a group someone added us to that our client does
		 * not hold yet (its Welcome is processed now). */
		if (ch->online && nt_client_sync_group(ch->c, a) != CR_OK) {
			failed(ch, "switch");
			return;
		}
		set_current(ch, a);
		show(ch, "*** plain lines now go to %s", a);
		return;
	}
	if (cmd.op == NT_CHAT_TEXT) {
		send_text(ch, group_or_current(ch, NULL), a);
		return;
	}
	if (cmd.op == NT_CHAT_MSG) {
		send_text(ch, a, b);
		return;
	}
	if (!connected(ch))
		return;
	nt_client *c = ch->c;
	switch (cmd.op) {
	case NT_CHAT_CREATE:
		if (nt_client_group_create(c, a) != CR_OK)
			{ failed(ch, "create"); return; }
		set_current(ch, a);
		show(ch, "*** created %s; you are its owner", a);
		break;
	case NT_CHAT_JOIN:
		if (nt_client_group_join(c, a) != CR_OK)
			{ failed(ch, "join"); return; }
		show(ch, "*** asked to join %s; you are in once an admin's client is online", a);
		break;
	case NT_CHAT_LEAVE:
		if (nt_client_group_leave(c, a) != CR_OK)
			{ failed(ch, "leave"); return; }
		show(ch, "*** leaving %s: another member's client commits it", a);
		break;
	case NT_CHAT_ADD:
		if (nt_client_group_add(c, a, b) != CR_OK)
			{ failed(ch, "add"); return; }
		show(ch, "*** added %s to %s", b, a);
		break;
	case NT_CHAT_REMOVE:
		if (nt_client_group_remove(c, a, b) != CR_OK)
			{ failed(ch, "remove"); return; }
		show(ch, "*** removed %s from %s", b, a);
		break;
	case NT_CHAT_ROLE: {
		const char *r = cmd.a[2];
		if (strcmp(r, "admin") && strcmp(r, "member")) {
			show(ch, "usage: /role GROUP USER admin|member");
			return;
		}
		if (nt_client_group_role(c, a, b, !strcmp(r, "admin") ? NT_ROLE_ADMIN : NT_ROLE_MEMBER) != CR_OK)
			{ failed(ch, "role"); return; }
		show(ch, "*** %s is now %s of %s", b, !strcmp(r, "admin") ? "an admin" : "a member", a);
		break;
	}
	case NT_CHAT_DM: {
		if (nt_client_dm(c, a, (const uint8_t *)b, strlen(b)) != CR_OK)
			{ failed(ch, "dm"); return; }
		char t[8];
		show(ch, "%s <%s -> %s> %s", clock_now(t, 0), nt_client_user(c), a, b);
		break;
	}
	case NT_CHAT_SEND_FILE:
		if (nt_client_send_file(c, a, b) != CR_OK)
			{ failed(ch, "send-file"); return; }
		show(ch, "*** sent %s to %s", b, a);
		break;
	case NT_CHAT_GET_FILE: {
		const char *out = b ? b : "echover-file.bin";
		if (nt_client_get_file(c, a, out) != CR_OK)
			{ failed(ch, "get-file"); return; }
		show(ch, "*** saved %s (hash verified)", out);
		break;
	}
	case NT_CHAT_WHO:
		show(ch, "online now:");
		if (nt_client_presence(c, print_online, ch) != CR_OK)
			failed(ch, "who");
		break;
	case NT_CHAT_GROUPS:
		show(ch, "your groups:");
		if (nt_client_groups(c, print_group, ch) != CR_OK)
			failed(ch, "groups");
		break;
	case NT_CHAT_MEMBERS: {
		const char *g = group_or_current(ch, a);
		if (!g)
			return;
		show(ch, "members of %s:", g);
		if (nt_client_members(c, g, print_member, ch) != CR_OK)
			failed(ch, "members");
		break;
	}
	case NT_CHAT_FINGERPRINT: {
		char number[72], fp[48];
		if (nt_client_fingerprint(c, a, number, fp) != CR_OK)
			{ failed(ch, "fingerprint"); return; }
		show(ch, "safety number of you and %s (compare it with %s in person):\n  %s\n%s's key: %s", a, a,
		     number, a, fp);
		break;
	}
	case NT_CHAT_TRUST: {
		bool verified = b && !strcmp(b, "verified");
		if (b && !verified) {
			show(ch, "usage: /trust USER [verified]");
			return;
		}
		if (nt_client_trust(c, a, verified) != CR_OK)
			{ failed(ch, "trust"); return; }
		show(ch, verified ? "*** %s's key marked verified" : "*** %s's current key accepted", a);
		break;
	}
	case NT_CHAT_HISTORY: {
		const char *g = group_or_current(ch, a);
		if (!g)
			return;
		show(ch, "history of %s:", g);
		if (nt_client_history(c, g, CHAT_HISTORY_LINES, print_history, ch) != CR_OK)
			failed(ch, "history");
		break;
	}
	default:
		break;
	}
}

/* --- input --- */

static void read_tty(chat *ch)
{
	uint8_t buf[256];
	ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
	if (n <= 0) {
		if (n == 0 || (errno != EINTR && errno != EAGAIN))
			ch->quit = true;
		return;
	}
	for (ssize_t i = 0; i < n && !ch->quit; i++) {
		switch (nt_chat_line_feed(&ch->line, buf[i])) {
		case NT_KEY_CHANGED:
			redraw(ch);
			break;
		case NT_KEY_FULL:
			fputc('\a', stdout);
			fflush(stdout);
			break;
		case NT_KEY_ENTER: {
			char line[NT_CHAT_LINE_MAX + 1];
			nt_chat_line_take(&ch->line, line, sizeof line);
			redraw(ch);
			run_line(ch, line);
			cr_wipe(line, sizeof line);
			break;
		}
		case NT_KEY_QUIT:
			ch->quit = true;
			break;
		case NT_KEY_NONE:
			break;
		}
	}
	cr_wipe(buf, sizeof buf);
}

static void read_pipe(chat *ch)
{
	ssize_t n = read(STDIN_FILENO, ch->pipe_buf + ch->pipe_len, NT_CHAT_LINE_MAX - ch->pipe_len);
	if (n <= 0) {
		if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
			if (ch->pipe_len) {
				ch->pipe_buf[ch->pipe_len] = '\0';
				run_line(ch, ch->pipe_buf);
				ch->pipe_len = 0;
			}
			ch->quit = true;
		}
		return;
	}
	ch->pipe_len += (size_t)n;
	size_t start = 0;
	for (size_t i = 0; i < ch->pipe_len && !ch->quit; i++) {
		if (ch->pipe_buf[i] != '\n')
			continue;
		ch->pipe_buf[i] = '\0';
		run_line(ch, ch->pipe_buf + start);
		start = i + 1;
	}
	memmove(ch->pipe_buf, ch->pipe_buf + start, ch->pipe_len - start);
	ch->pipe_len -= start;
	if (ch->pipe_len == NT_CHAT_LINE_MAX) {
		show(ch, "error: a line longer than %d bytes was dropped", NT_CHAT_LINE_MAX);
		ch->pipe_len = 0;
	}
}

/* --- options --- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: echover client [--server HOST:PORT] [--user NAME] [--db PATH] [OPTIONS]\n\n"
		"The interactive chat. Messages and events appear while you type; /help lists\n"
		"the commands (/create, /join, /msg, /dm, /send-file, /who, /fingerprint, ...).\n"
		"A line without '/' goes to the current group (/switch GROUP, or the last one\n"
		"written to). ctrl-C, ctrl-D or /quit leave. When stdin is not a terminal,\n"
		"commands are read one a line, so scripts can pipe them. Create the account\n"
		"first with `echover register`. If the server goes away the chat reconnects,\n"
		"waiting 1, 2, 4 ... 30 s between at most %d attempts.\n\noptions:\n",
		CHAT_RECONNECT_TRIES);
	nt_cli_opts_help(f, NT_MODE_CHAT);
	fprintf(f, "\nExit codes: 0 quit, 1 failure, 2 usage, 3 server unreachable, 4 denied,\n"
		   "5 server key changed.\n");
}

/* 0, or 2 with a line on stderr: the chat's options (cli_opts.h refuses
 * those of the one-shot subcommands), and no arguments. */
static int parse_args(int argc, char **argv, nt_cli_opts *o)
{
	char err[256];
	int rc = nt_cli_opts_parse(o, NT_MODE_CHAT, argc, argv, err, sizeof err);
	if (!rc && o->n_pos) {
		snprintf(err, sizeof err, "unexpected argument '%s'", o->pos[0]);
		rc = 2;
	}
	if (!rc)
		rc = nt_cli_opts_finish(o, err, sizeof err);
	if (rc)
		fprintf(stderr, "echover client: %s\n", err);
	return rc;
}

static int exit_code_of(nt_client_status st)
{
	return st == NT_CLIENT_OK ? 0 : (int)st;
}

/* --- the loop --- */

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool reconnect(chat *ch)
{
	if (nt_client_reconnect(ch->c) == CR_OK && nt_client_sync(ch->c) == CR_OK) {
		ch->online = true;
		show(ch, "*** connected again");
		flush_outbox(ch);
		return ch->online;
	}
	show(ch, "*** reconnect failed: %s", nt_client_error(ch->c));
	nt_client_status st = nt_client_status_of(ch->c);
	if (st == NT_CLIENT_PIN || st == NT_CLIENT_DENIED) {
		ch->exit_code = exit_code_of(st);
		ch->quit = true;
	}
	return false;
}

static void handle_signal(chat *ch, int sfd)
{
	struct signalfd_siginfo si;
	if (read(sfd, &si, sizeof si) != (ssize_t)sizeof si)
		return;
	if (si.ssi_signo == SIGWINCH) {
		term_size(ch);
		redraw(ch);
		return;
	}
	ch->quit = true; /* SIGTERM, SIGHUP, SIGINT: leave through the one exit path */
}

static void loop(chat *ch, int sfd)
{
	int64_t next_sync = now_ms() + CHAT_SYNC_MS, next_try = 0;
	int tries = 0, backoff = 1000;
	redraw(ch);
	while (!ch->quit) {
		int64_t now = now_ms();
		if (!ch->online && now >= next_try) {
			if (tries++ >= CHAT_RECONNECT_TRIES) {
				show(ch, "*** gave up after %d attempts", CHAT_RECONNECT_TRIES);
				ch->exit_code = NT_CLIENT_UNREACHABLE;
				break;
			}
			if (reconnect(ch)) {
				tries = 0;
				backoff = 1000;
				next_sync = now_ms() + CHAT_SYNC_MS;
			} else if (!ch->quit) {
				show(ch, "*** next attempt in %d s (%d of %d)", backoff / 1000, tries, CHAT_RECONNECT_TRIES);
				next_try = now_ms() + backoff;
				backoff = backoff * 2 > CHAT_BACKOFF_MAX_MS ? CHAT_BACKOFF_MAX_MS : backoff * 2;
			}
			continue;
		}
		struct pollfd fds[3] = {
			{ .fd = STDIN_FILENO, .events = POLLIN },
			{ .fd = sfd, .events = POLLIN },
			{ .fd = ch->online ? nt_client_fd(ch->c) : -1, .events = POLLIN },
		};
		int64_t until = ch->online ? next_sync : next_try;
		int wait = until > now ? (int)(until - now) : 0;
		int r = poll(fds, 3, wait);
		if (r < 0 && errno != EINTR) {
			show(ch, "error: poll: %s", strerror(errno));
			ch->exit_code = 1;
			break;
		}
		if (r > 0 && fds[1].revents)
			handle_signal(ch, sfd);
		if (ch->quit)
			break;
		if (r > 0 && fds[0].revents) {
			if (ch->tty)
				read_tty(ch);
			else
				read_pipe(ch);
		}
		if (ch->online && ((r > 0 && fds[2].revents) || now_ms() >= next_sync)) {
			bool got = false;
			cr_err e = now_ms() >= next_sync ? nt_client_sync(ch->c) : nt_client_wait(ch->c, 0, &got);
			if (e != CR_OK)
				failed(ch, "sync");
			next_sync = now_ms() + CHAT_SYNC_MS;
			if (!ch->online)
				next_try = now_ms() + 1000;
		}
	}
}

int nt_chat_main(int argc, char **argv)
{
	if (nt_wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	nt_cli_opts a;
	int rc = parse_args(argc, argv, &a);
	if (rc)
		return rc;
	char passphrase[CR_KEYSTORE_PASS_MAX + 2], password[NT_PASSWORD_MAX + 2], err[256];
	if (nt_read_secret("keystore passphrase", a.passphrase_fd, "ECHOVER_PASSPHRASE", passphrase,
			   sizeof passphrase, err, sizeof err) ||
	    nt_read_secret("account password", a.password_fd, "ECHOVER_PASSWORD", password, sizeof password, err,
			   sizeof err)) {
		fprintf(stderr, "echover client: %s\n", err);
		cr_wipe(passphrase, sizeof passphrase);
		cr_wipe(password, sizeof password);
		return 2;
	}
	chat *ch = calloc(1, sizeof *ch);
	if (!ch) {
		cr_wipe(passphrase, sizeof passphrase);
		cr_wipe(password, sizeof password);
		return 1;
	}
	nt_client_opts co = { .db_path = a.db_path, .host = a.host, .port = a.port, .user = a.user,
			      .passphrase = passphrase, .password = password,
			      .server_pin = a.have_pin ? a.pin : NULL,
			      .timeout_ms = a.timeout_s ? (int)(a.timeout_s * 1000) : 10000,
			      .update_after_s = a.update_after_s, .on_event = on_event, .ctx = ch };
	ch->tty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	nt_chat_line_init(&ch->line);
	set_prompt(ch);
	term_size(ch);

	/* Signals arrive as reads of a descriptor the loop polls, so no handler
	 * and no global flag are needed, and the terminal is restored by the
	 * same code as /quit. SIGPIPE is only blocked: a write to a closed
	 * socket is an error of that write. */
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGWINCH);
	sigaddset(&mask, SIGPIPE);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sigdelset(&mask, SIGPIPE);
	int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);

	cr_err e = nt_client_open(&ch->c, &co);
	/* The engine keeps what a reconnection needs; these copies go now. */
	cr_wipe(passphrase, sizeof passphrase);
	cr_wipe(password, sizeof password);
	if (e == CR_OK)
		e = nt_client_sync(ch->c);
	if (e != CR_OK) {
		fprintf(stderr, "echover client: %s\n", ch->c ? nt_client_error(ch->c) : "out of memory");
		rc = ch->c ? exit_code_of(nt_client_status_of(ch->c)) : 1;
		if (rc == 0)
			rc = 1;
		goto out;
	}
	ch->online = true;
	if (sfd < 0 || (ch->tty && !term_raw(ch))) {
		fprintf(stderr, "echover client: cannot set up the terminal: %s\n", strerror(errno));
		rc = 1;
		goto out;
	}
	show(ch, "*** %s on %s:%u. /help lists the commands; /quit leaves.", a.user, a.host, a.port);
	flush_outbox(ch); /* what an earlier chat queued and could not send */
	loop(ch, sfd);
	rc = ch->exit_code;
out:
	term_restore(ch);
	if (ch->tty && rc == 0)
		printf("bye\n");
	nt_client_close(ch->c);
	if (sfd >= 0)
		close(sfd);
	cr_wipe(ch, sizeof *ch);
	free(ch);
	return rc;
}
