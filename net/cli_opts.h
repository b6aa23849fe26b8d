/*
 * cli_opts.h: the options of the client modes (the one-shot subcommands
 * and the interactive chat), parsed from one table that says which modes
 * take each option (an option a mode does not take is a usage error, and
 * a mode's --help lists only its own), and the
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
#define NT_OPTS_MSG_ID_LEN 16 /* an application message id (app_msg.h) */

/* The client modes, as bits: the option table marks which take an option. */
typedef enum nt_cli_mode {
	NT_MODE_REGISTER = 1u << 0,
	NT_MODE_SEND = 1u << 1,
	NT_MODE_DM = 1u << 2,
	NT_MODE_RECV = 1u << 3,
	NT_MODE_GROUP = 1u << 4,
	NT_MODE_SEND_FILE = 1u << 5,
	NT_MODE_GET_FILE = 1u << 6,
	NT_MODE_WHO = 1u << 7,
	NT_MODE_FINGERPRINT = 1u << 8,
	NT_MODE_TRUST = 1u << 9,
	NT_MODE_HISTORY = 1u << 10,
	NT_MODE_CHAT = 1u << 11, /* `echover client` */
} nt_cli_mode;
#define NT_MODE_ONE_SHOT (NT_MODE_CHAT - 1u)
#define NT_MODE_ALL (NT_MODE_ONE_SHOT | NT_MODE_CHAT)

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
	const char *msg_id;       /* --id: 32 hex digits */
	/* positional arguments */
	const char *pos[NT_OPTS_POS_MAX];
	size_t n_pos;
	/* resolved by nt_cli_opts_finish */
	char host[256];
	uint16_t port;
	uint8_t pin[NT_PIN_LEN];
	bool have_pin;
	char db_path[NT_OPTS_PATH_MAX];
	uint8_t id[NT_OPTS_MSG_ID_LEN]; /* --id, 32 hex digits of either case */
	bool have_id;
} nt_cli_opts;

/* Parses argv[1..] (argv[0] is the mode, one nt_cli_mode bit): 0, or 2
 * with a line in err (an unknown option, one the mode does not take, a
 * missing or bad value). */
int nt_cli_opts_parse(nt_cli_opts *o, unsigned mode, int argc, char **argv, char *err, size_t err_len);
/* Fills the defaults and checks the values: 0, or 2 with a line in err
 * (1 when the home folder cannot be created). */
int nt_cli_opts_finish(nt_cli_opts *o, char *err, size_t err_len);
/* The help of the options mode takes, one line each. */
void nt_cli_opts_help(FILE *f, unsigned mode);


/* Reads a secret into out[cap] (NUL-terminated, without the newline):
 * from fd if >= 0, else getenv(env), else a no-echo prompt on /dev/tty.
 * 0 on success; -1 with a line in err. The caller wipes out. */
int nt_read_secret(const char *prompt, long fd, const char *env, char *out, size_t cap, char *err, size_t err_len);

#endif
