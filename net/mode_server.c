/*
 * mode_server.c: the `server` mode's operator commands on the server
 * database: `invite` prints one-time registration codes, `users` lists the
 * accounts. Both work while a server holds the same database (SQLite WAL and
 * a busy timeout).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli_util.h"
#include "invite.h"
#include "modes.h"
#include "rng.h"
#include "st_server.h"

#define DEFAULT_DB "./echover-server.db"
#define INVITE_COUNT_MAX 1000

static void usage(FILE *f)
{
	fprintf(f, "usage: echover server [--db PATH] invite [--count N]\n"
		   "       echover server [--db PATH] users\n\n"
		   "Operator commands on the server's database (default %s):\n"
		   "  invite   print N (default 1, at most %d) one-time registration codes;\n"
		   "           the database keeps only their SHA-256\n"
		   "  users    list the accounts: name, creation time (UTC), identity key prefix\n",
		   DEFAULT_DB, INVITE_COUNT_MAX);
}

static int do_invite(st_server *db, long count)
{
	const cr_rng *rng = cr_rng_system();
	time_t now = time(NULL);
	for (long i = 0; i < count; i++) {
		char code[NT_INVITE_CODE_LEN + 1];
		uint8_t hash[32];
		if (nt_invite_new(rng, code, hash) != CR_OK) {
			fprintf(stderr, "echover server invite: random source failed\n");
			return 1;
		}
		st_err e = st_invite_add(db, hash, (int64_t)now);
		if (e) {
			fprintf(stderr, "echover server invite: %s\n", st_err_str(e));
			return 1;
		}
		/* Printed only once stored: a printed code always works. */
		printf("%s\n", code);
	}
	return fflush(stdout) == 0 ? 0 : 1;
}

static st_err print_user(void *ctx, const st_user *u)
{
	(void)ctx;
	char when[32] = "?";
	time_t t = (time_t)u->created;
	struct tm tm;
	if (gmtime_r(&t, &tm))
		strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("%-32s %s ", u->name, when);
	for (int i = 0; i < 8; i++)
		printf("%02x", u->identity[i]);
	printf("\n");
	return ST_OK;
}

int nt_server_main(int argc, char **argv)
{
	if (nt_wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	const char *db_path = DEFAULT_DB, *cmd = NULL;
	long count = 1;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--db") && i + 1 < argc) {
			db_path = argv[++i];
		} else if (!strcmp(argv[i], "--count") && i + 1 < argc) {
			char *end;
			errno = 0;
			count = strtol(argv[++i], &end, 10);
			if (errno || *end || count < 1 || count > INVITE_COUNT_MAX) {
				fprintf(stderr, "echover server: --count takes 1..%d\n", INVITE_COUNT_MAX);
				return 2;
			}
		} else if (!cmd && (!strcmp(argv[i], "invite") || !strcmp(argv[i], "users"))) {
			cmd = argv[i];
		} else {
			fprintf(stderr, "echover server: unexpected argument '%s'\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if (!cmd) {
		usage(stderr);
		return 2;
	}
	if (cr_init() != CR_OK) {
		fprintf(stderr, "echover server: cannot initialise the crypto library\n");
		return 1;
	}
	st_server *db;
	st_err e = st_server_open(&db, db_path);
	if (e) {
		fprintf(stderr, "echover server: %s: %s\n", db_path, st_err_str(e));
		return 1;
	}
	int rc;
	if (!strcmp(cmd, "invite")) {
		rc = do_invite(db, count);
	} else {
		e = st_user_list(db, print_user, NULL);
		rc = e ? 1 : 0;
		if (e)
			fprintf(stderr, "echover server users: %s\n", st_err_str(e));
	}
	st_server_close(db);
	return rc;
}
