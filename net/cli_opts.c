/*
 * cli_opts.c: the client modes' shared options and secret reading
 * (cli_opts.h).
 */
#include "cli_opts.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "cert.h"
#include "safety.h"

typedef enum opt_kind { OPT_FLAG, OPT_STR, OPT_NUM } opt_kind;

typedef struct opt_spec {
	const char *name;
	opt_kind kind;
	size_t offset;
	long min, max;
	unsigned modes; /* the nt_cli_mode bits of the modes that take it */
	const char *arg, *help;
} opt_spec;

/* Modes that talk to the server and may sync (and so refresh our leaf). */
#define SYNCING (NT_MODE_SEND | NT_MODE_DM | NT_MODE_RECV | NT_MODE_GROUP | NT_MODE_CHAT)

#define OFF(f) offsetof(nt_cli_opts, f)
static const opt_spec specs[] = {
	{ "--server", OPT_STR, OFF(server), 0, 0, NT_MODE_ALL, "HOST:PORT", "the server (default 127.0.0.1:7443)" },
	{ "--user", OPT_STR, OFF(user), 0, 0, NT_MODE_ALL, "NAME", "the account (default $ECHOVER_USER)" },
	{ "--db", OPT_STR, OFF(db), 0, 0, NT_MODE_ALL, "PATH",
	  "the client database (default $ECHOVER_HOME/NAME.db, ~/.echover)" },
	{ "--server-pin", OPT_STR, OFF(server_pin), 0, 0, NT_MODE_ALL, "SHA256:...",
	  "the server key's pin, instead of trusting on first use" },
	{ "--invite", OPT_STR, OFF(invite), 0, 0, NT_MODE_REGISTER, "CODE", "the one-time invite code" },
	{ "--id", OPT_STR, OFF(msg_id), 0, 0, NT_MODE_SEND | NT_MODE_DM, "HEX32",
	  "the message's id (32 hex digits): a retry with the same id is shown once" },
	{ "--timeout", OPT_NUM, OFF(timeout_s), 1, 3600, NT_MODE_ALL, "SECONDS", "per server exchange (default 10)" },
	{ "--passphrase-fd", OPT_NUM, OFF(passphrase_fd), 0, 65535, NT_MODE_ALL, "N",
	  "read the keystore passphrase from descriptor N" },
	{ "--password-fd", OPT_NUM, OFF(password_fd), 0, 65535, NT_MODE_ALL, "N",
	  "read the account password from descriptor N" },
	{ "--wait", OPT_NUM, OFF(wait_s), 0, 86400, NT_MODE_RECV, "SECONDS", "keep waiting for messages up to SECONDS" },
	{ "--limit", OPT_NUM, OFF(limit), 1, 10000, NT_MODE_HISTORY, "N", "the last N messages (default 50)" },
	{ "--update-after", OPT_NUM, OFF(update_after_s), 1, 366L * 24 * 3600, SYNCING, "SECONDS",
	  "refresh our keys in a group after SECONDS without a commit of ours (default 7 days)" },
	{ "--json", OPT_FLAG, OFF(json), 0, 0, NT_MODE_ONE_SHOT, NULL, "one JSON object per line on stdout" },
	{ "--cheap-kdf", OPT_FLAG, OFF(cheap_kdf), 0, 0, NT_MODE_REGISTER, NULL,
	  "fast keystore hashing (tests, demos only)" },
	{ "--verified", OPT_FLAG, OFF(verified), 0, 0, NT_MODE_TRUST, NULL, "mark the key as compared out of band" },
};

static const struct {
	unsigned mode;
	const char *name;
} mode_names[] = {
	{ NT_MODE_REGISTER, "register" }, { NT_MODE_SEND, "send" },           { NT_MODE_DM, "dm" },
	{ NT_MODE_RECV, "recv" },         { NT_MODE_GROUP, "group" },         { NT_MODE_SEND_FILE, "send-file" },
	{ NT_MODE_GET_FILE, "get-file" }, { NT_MODE_WHO, "who" },             { NT_MODE_FINGERPRINT, "fingerprint" },
	{ NT_MODE_TRUST, "trust" },       { NT_MODE_HISTORY, "history" },     { NT_MODE_CHAT, "client" },
};

static const char *mode_name(unsigned mode)
{
	for (size_t i = 0; i < sizeof mode_names / sizeof mode_names[0]; i++)
		if (mode_names[i].mode == mode)
			return mode_names[i].name;
	return "?";
}

void nt_cli_opts_help(FILE *f, unsigned mode)
{
	for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
		if (!(specs[i].modes & mode))
			continue;
		char left[48];
		snprintf(left, sizeof left, "%s%s%s", specs[i].name, specs[i].arg ? " " : "",
			 specs[i].arg ? specs[i].arg : "");
		fprintf(f, "  %-26s %s\n", left, specs[i].help);
	}
	fprintf(f, "Secrets: ECHOVER_PASSPHRASE / ECHOVER_PASSWORD, or a prompt on the terminal; never argv.\n");
}

int nt_cli_opts_parse(nt_cli_opts *o, unsigned mode, int argc, char **argv, char *err, size_t err_len)
{
	memset(o, 0, sizeof *o);
	o->passphrase_fd = o->password_fd = -1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (a[0] != '-' || a[1] == 0 || (a[1] != '-' && a[1] != 'h')) {
			if (o->n_pos == NT_OPTS_POS_MAX) {
				snprintf(err, err_len, "too many arguments");
				return 2;
			}
			o->pos[o->n_pos++] = a;
			continue;
		}
		if (!strcmp(a, "--")) {
			for (i++; i < argc && o->n_pos < NT_OPTS_POS_MAX; i++)
				o->pos[o->n_pos++] = argv[i];
			break;
		}
		const opt_spec *s = NULL;
		for (size_t k = 0; k < sizeof specs / sizeof specs[0]; k++)
			if (!strcmp(a, specs[k].name))
				s = &specs[k];
		if (!s) {
			snprintf(err, err_len, "unknown option '%s'", a);
			return 2;
		}
		if (!(s->modes & mode)) {
			snprintf(err, err_len, "%s is not an option of `echover %s`", a, mode_name(mode));
			return 2;
		}
		char *field = (char *)o + s->offset;
		if (s->kind == OPT_FLAG) {
			*(bool *)field = true;
			continue;
		}
		if (i + 1 >= argc) {
			snprintf(err, err_len, "%s needs a value (%s)", a, s->arg);
			return 2;
		}
		const char *v = argv[++i];
		if (s->kind == OPT_STR) {
			*(const char **)field = v;
			continue;
		}
		char *end;
		errno = 0;
		long n = strtol(v, &end, 10);
		if (errno || end == v || *end || n < s->min || n > s->max) {
			snprintf(err, err_len, "%s wants a number in %ld..%ld, not '%s'", a, s->min, s->max, v);
			return 2;
		}
		*(long *)field = n;
	}
	return 0;
}

static bool name_ok(const char *u)
{
	size_t n = strlen(u);
	if (n < 1 || n > NT_USERNAME_MAX || u[0] < 'a' || u[0] > 'z')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((u[i] >= 'a' && u[i] <= 'z') || (u[i] >= '0' && u[i] <= '9') || strchr("_.-", u[i])))
			return false;
	return true;
}

int nt_cli_opts_finish(nt_cli_opts *o, char *err, size_t err_len)
{
	if (!o->user)
		o->user = getenv("ECHOVER_USER");
	if (!o->user || !*o->user) {
		snprintf(err, err_len, "no user: give --user NAME or set ECHOVER_USER");
		return 2;
	}
	if (!name_ok(o->user)) {
		snprintf(err, err_len, "'%s' is not a username (1..32 of a-z 0-9 _ . -, starting with a letter)", o->user);
		return 2;
	}
	const char *server = o->server ? o->server : "127.0.0.1:7443";
	const char *colon = strrchr(server, ':');
	char *end;
	long port = colon ? strtol(colon + 1, &end, 10) : 0;
	if (!colon || colon == server || (size_t)(colon - server) >= sizeof o->host || *end || port < 1 ||
	    port > 65535) {
		snprintf(err, err_len, "--server wants HOST:PORT, not '%s'", server);
		return 2;
	}
	memcpy(o->host, server, (size_t)(colon - server));
	o->host[colon - server] = 0;
	o->port = (uint16_t)port;
	if (o->server_pin) {
		if (nt_cert_pin_parse(o->pin, o->server_pin) != CR_OK) {
			snprintf(err, err_len, "--server-pin wants SHA256: and the base64 the server printed");
			return 2;
		}
		o->have_pin = true;
	}
	if (o->msg_id) {
		size_t n = 0;
		if (strlen(o->msg_id) != 2 * sizeof o->id ||
		    cr_hex_decode(o->id, sizeof o->id, &n, o->msg_id, strlen(o->msg_id)) != CR_OK || n != sizeof o->id) {
			snprintf(err, err_len, "--id wants %zu hex digits, not '%s'", 2 * sizeof o->id, o->msg_id);
			return 2;
		}
		o->have_id = true;
	}
	if (o->db) {
		if (strlen(o->db) >= sizeof o->db_path) {
			snprintf(err, err_len, "--db path too long");
			return 2;
		}
		snprintf(o->db_path, sizeof o->db_path, "%s", o->db);
		return 0;
	}
	char dir[NT_OPTS_PATH_MAX];
	const char *home = getenv("ECHOVER_HOME"), *h = getenv("HOME");
	if (home && *home)
		snprintf(dir, sizeof dir, "%s", home);
	else if (h && *h)
		snprintf(dir, sizeof dir, "%s/.echover", h);
	else {
		snprintf(err, err_len, "no --db, ECHOVER_HOME or HOME: where should the database go?");
		return 2;
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, err_len, "cannot create %s: %s", dir, strerror(errno));
		return 1;
	}
	if ((size_t)snprintf(o->db_path, sizeof o->db_path, "%s/%s.db", dir, o->user) >= sizeof o->db_path) {
		snprintf(err, err_len, "database path too long");
		return 2;
	}
	return 0;
}

static int read_line(int fd, char *out, size_t cap)
{
	size_t n = 0;
	while (n + 1 < cap) {
		char ch;
		ssize_t r = read(fd, &ch, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || ch == '\n')
			break;
		out[n++] = ch;
	}
	if (n && out[n - 1] == '\r')
		n--;
	out[n] = 0;
	return n + 1 < cap ? 0 : -1;
}

int nt_read_secret(const char *prompt, long fd, const char *env, char *out, size_t cap, char *err, size_t err_len)
{
	out[0] = 0;
	if (fd >= 0) {
		if (read_line((int)fd, out, cap) != 0 || !out[0]) {
			snprintf(err, err_len, "%s: nothing (or too much) on descriptor %ld", prompt, fd);
			return -1;
		}
		return 0;
	}
	const char *v = getenv(env);
	if (v && *v) {
		if (strlen(v) + 1 > cap) {
			snprintf(err, err_len, "%s in %s is too long", prompt, env);
			return -1;
		}
		snprintf(out, cap, "%s", v);
		return 0;
	}
	int tty = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (tty < 0) {
		snprintf(err, err_len, "%s: no terminal to ask on (use %s or a -fd option)", prompt, env);
		return -1;
	}
	struct termios old, quiet;
	bool restore = tcgetattr(tty, &old) == 0;
	if (restore) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		quiet.c_lflag |= ECHONL;
		tcsetattr(tty, TCSAFLUSH, &quiet);
	}
	dprintf(tty, "%s: ", prompt);
	int r = read_line(tty, out, cap);
	if (restore)
		tcsetattr(tty, TCSAFLUSH, &old);
	close(tty);
	if (r != 0 || !out[0]) {
		snprintf(err, err_len, "%s: none given", prompt);
		return -1;
	}
	return 0;
}
