/*
 * cli_opts.h: the options every client mode shares (the one-shot
 * subcommands and the interactive chat), parsed from one table, and the
 * reading of secrets: a passphrase or password comes from a file
 * descriptor (--passphrase-fd N, --password-fd N), else the environment
 * (ECHOVER_PASSPHRASE, ECHOVER_PASSWORD), else a prompt without echo on
 * /dev/tty; never from argv, where every user of the machine can read it.
 *
 * Defaults: --server 127.0.0.1:7443; --user from ECHOVER_USER; --db
 * $ECHOVER_HOME/USER.db, ECHOVER_HOME defaulting to ~/.echover (created
 * 0700).
 */
#ifndef ECHOVER_NT_CLI_OPTS_H
#define ECHOVER_NT_CLI_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "nt_proto.h"

#define NT_OPTS_POS_MAX 8
#define NT_OPTS_PATH_MAX 1024

typedef struct nt_cli_opts {
	/* as given */
	const char *server;
	const char *user;
	const char *db;
	const char *server_pin;
	const char *invite;
	long timeout_s;
	long passphrase_fd;
	long password_fd;
	long wait_s;
	long limit;
	long update_after_s;
	bool json;
	bool cheap_kdf;
	bool verified;
	/* positional arguments */
	const char *pos[NT_OPTS_POS_MAX];
	size_t n_pos;
	/* resolved by nt_cli_opts_finish */
	char host[256];
	uint16_t port;
	uint8_t pin[NT_PIN_LEN];
	bool have_pin;
	char db_path[NT_OPTS_PATH_MAX];
} nt_cli_opts;

/* Parses argv[1..] (argv[0] is the mode): 0, or 2 with a line in err. */
int nt_cli_opts_parse(nt_cli_opts *o, int argc, char **argv, char *err, size_t err_len);
/* Fills the defaults and checks the values: 0, or 2 with a line in err
 * (1 when the home folder cannot be created). */
int nt_cli_opts_finish(nt_cli_opts *o, char *err, size_t err_len);
/* The options' help, one line each. */
void nt_cli_opts_help(FILE *f);

/* Reads a secret into out[cap] (NUL-terminated, without the newline):
 * from fd if >= 0, else getenv(env), else a no-echo prompt on /dev/tty.
 * 0 on success; -1 with a line in err. The caller wipes out. */
int nt_read_secret(const char *prompt, long fd, const char *env, char *out, size_t cap, char *err, size_t err_len);

#endif
