/*
 * fuzz: net/cli_opts.c nt_cli_opts_parse: a client mode's command line (argv is input too)
 *
 * The first byte picks the mode (one nt_cli_mode bit); the rest is split at
 * NUL bytes into argv[1..] (at most ARGS_MAX arguments, each at most ARG_MAX
 * bytes, the rest dropped). Only the parsing is fuzzed: nt_cli_opts_finish
 * reads the environment and creates a folder, and secrets are never read
 * here. Invariants: the answer is 0 or 2; on 2 the error line is non-empty
 * and NUL-terminated within its buffer; on 0 every number lies within its
 * option's bounds (or keeps its default), every string and positional
 * argument is one of the argv entries, and options the mode does not take
 * stay unset.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cli_opts.h"

#define ARGS_MAX 64
#define ARG_MAX 256
#define N_MODES 12 /* NT_MODE_REGISTER .. NT_MODE_CHAT */

typedef struct argv_buf {
	char *argv[ARGS_MAX + 1];
	char text[ARGS_MAX][ARG_MAX + 1];
	int argc;
} argv_buf;

static void split(argv_buf *b, const uint8_t *data, size_t size)
{
	static char mode_arg[] = "mode";
	b->argv[0] = mode_arg;
	b->argc = 1;
	size_t i = 0;
	while (i < size && b->argc <= ARGS_MAX) {
		char *t = b->text[b->argc - 1];
		size_t n = 0;
		for (; i < size && data[i] != 0; i++)
			if (n < ARG_MAX)
				t[n++] = (char)data[i];
		t[n] = 0;
		i++; /* the NUL */
		b->argv[b->argc++] = t;
	}
	b->argv[b->argc] = NULL;
}

static bool from_argv(const argv_buf *b, const char *s)
{
	for (int i = 1; i < b->argc; i++)
		if (s == b->argv[i])
			return true;
	return false;
}

static void check_num(long v, long min, long max, long unset)
{
	if (v != unset && (v < min || v > max))
		abort();
}

static void check_str(const argv_buf *b, const char *s, bool taken)
{
	if (s && (!taken || !from_argv(b, s)))
		abort();
}

static void check_parsed(const argv_buf *b, const nt_cli_opts *o, unsigned mode)
{
	check_num(o->timeout_s, 1, 3600, 0);
	check_num(o->passphrase_fd, 0, 65535, -1);
	check_num(o->password_fd, 0, 65535, -1);
	check_num(o->wait_s, (mode & NT_MODE_RECV) ? 0 : 1, (mode & NT_MODE_RECV) ? 86400 : 0, 0);
	check_num(o->limit, 1, (mode & NT_MODE_HISTORY) ? 10000 : 0, 0);
	check_num(o->update_after_s, 1, 366L * 24 * 3600, 0);
	check_str(b, o->server, true);
	check_str(b, o->user, true);
	check_str(b, o->db, true);
	check_str(b, o->server_pin, true);
	check_str(b, o->invite, mode & NT_MODE_REGISTER);
	check_str(b, o->msg_id, mode & (NT_MODE_SEND | NT_MODE_DM));
	if ((o->json && !(mode & NT_MODE_ONE_SHOT)) || (o->cheap_kdf && !(mode & NT_MODE_REGISTER)) ||
	    (o->verified && !(mode & NT_MODE_TRUST)))
		abort();
	if (o->n_pos > NT_OPTS_POS_MAX)
		abort();
	for (size_t i = 0; i < o->n_pos; i++)
		if (!from_argv(b, o->pos[i]))
			abort();
	/* Filled only by nt_cli_opts_finish. */
	if (o->port || o->have_pin || o->have_id || o->host[0] || o->db_path[0])
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static argv_buf b; /* large: off the stack; rebuilt for each input */
	if (size < 1)
		return 0;
	unsigned mode = 1u << (data[0] % N_MODES);
	split(&b, data + 1, size - 1);
	nt_cli_opts o;
	char err[160];
	memset(err, 0, sizeof err);
	int r = nt_cli_opts_parse(&o, mode, b.argc, b.argv, err, sizeof err);
	if (r == 2) {
		if (!err[0] || memchr(err, 0, sizeof err) == NULL)
			abort();
		return 0;
	}
	if (r != 0)
		abort();
	check_parsed(&b, &o, mode);
	return 0;
}
