/*
 * mode_server.c: the `server` mode: runs the server (TLS listener, one event
 * loop), and the operator commands on its database: `invite` prints one-time
 * registration codes, `users` lists the accounts. The commands work while a
 * server holds the same database (SQLite WAL and a busy timeout).
 *
 * The server's P-256 key lives beside the database in DB.key (32 bytes, mode
 * 0600, created on first start); the self-signed certificate is made from it
 * at each start, so the pinned key fingerprint never changes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli_util.h"
#include "invite.h"
#include "modes.h"
#include "rng.h"
#include "st_server.h"
#include "svr_loop.h"
#include "cert.h"
#include "p256.h"
#include "tls.h"
#include "wipe.h"

#define DEFAULT_DB "./echover-server.db"
#define DEFAULT_LISTEN "127.0.0.1:7443"
#define INVITE_COUNT_MAX 1000

/* Largest --mailbox-max: a bound on one group's unread log, not a quota. */
#define MAILBOX_MAX_MAX 10000000
/* Largest --frame-max: a connection buffers about two frames of output. */
#define FRAME_MAX_MAX (16u << 20)

static void usage(FILE *f)
{
	fprintf(f, "usage: echover server [--listen ADDR:PORT] [--db PATH] [--policy open|invite]\n"
		   "                      [--max-conns N] [--handshake-timeout S] [--idle-timeout S]\n"
		   "                      [--hash-workers N] [--login-failures-per-addr N]\n"
		   "                      [--login-failures-per-user N] [--max-conns-per-addr N]\n"
		   "                      [--frame-max BYTES] [--mailbox-max N]\n"
		   "       echover server [--db PATH] invite [--count N]\n"
		   "       echover server [--db PATH] users\n\n"
		   "Without a command, runs the server: TLS 1.2 (ECDHE-ECDSA, AES-128-GCM or\n"
		   "ChaCha20-Poly1305) on --listen (default " DEFAULT_LISTEN ", IPv4), state in\n"
		   "--db, registration open or by invite codes (--policy, default open), at most\n"
		   "--max-conns connections (default %d); a handshake not done within\n"
		   "--handshake-timeout seconds (default %d) or a connection silent for\n"
		   "--idle-timeout seconds (default %d) is dropped. The TLS key is kept in DB.key (0600);\n"
		   "its SHA-256 SPKI pin is printed at start. SIGINT/SIGTERM stop it.\n"
		   "Password hashes (Argon2id) run on --hash-workers threads (default %d, at most\n"
		   "%d), never on the event loop; with %d hashes outstanding, a login or\n"
		   "registration is answered BUSY. Failed logins are limited across connections\n"
		   "to --login-failures-per-addr per client address (default %d) and\n"
		   "--login-failures-per-user per account (default %d) per %d minutes\n"
		   "(0 disables a limit); a refused login is answered RATE and logged.\n"
		   "One client address holds at most --max-conns-per-addr connections (default\n"
		   "%d). --frame-max is the largest frame accepted and sent (default %u bytes,\n"
		   "%u..%u); each connection may buffer about twice that.\n"
		   "A group's log holds at most --mailbox-max entries that not every member has\n"
		   "acknowledged (default %d, 1..%d); beyond, posts and join requests get LIMIT.\n\n"
		   "Operator commands on the server's database (default %s):\n"
		   "  invite   print N (default 1, at most %d) one-time registration codes;\n"
		   "           the database keeps only their SHA-256\n"
		   "  users    list the accounts: name, creation time (UTC), identity key prefix\n",
		   NT_MAX_CONNS_DEFAULT, NT_HANDSHAKE_TIMEOUT_DEFAULT, NT_IDLE_TIMEOUT_DEFAULT,
		   NT_HASH_WORKERS_DEFAULT, NT_HASH_WORKERS_MAX, NT_HASH_QUEUE_DEFAULT, NT_RATE_PER_ADDR_DEFAULT,
		   NT_RATE_PER_USER_DEFAULT, NT_RATE_WINDOW / 60, NT_MAX_CONNS_PER_ADDR_DEFAULT, NT_FRAME_MAX_DEFAULT,
		   NT_FRAME_MAX_MIN, FRAME_MAX_MAX, NT_MAILBOX_MAX_DEFAULT, MAILBOX_MAX_MAX, DEFAULT_DB,
		   INVITE_COUNT_MAX);
}

/* Loads DB.key into priv, or creates it (0600, exclusive) on first start. */
static int load_or_create_key(const char *db_path, uint8_t priv[CR_P256_PRIV_LEN])
{
	char path[4096];
	if (snprintf(path, sizeof path, "%s.key", db_path) >= (int)sizeof path)
		return -1;
	uint8_t pub[CR_P256_PUB_LEN];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0) {
		struct stat st;
		ssize_t n = read(fd, priv, CR_P256_PRIV_LEN);
		char extra;
		bool ok = n == CR_P256_PRIV_LEN && read(fd, &extra, 1) == 0 && fstat(fd, &st) == 0;
		close(fd);
		if (ok && (st.st_mode & 077))
			fprintf(stderr, "echover server: warning: %s is readable by others (chmod 600)\n", path);
		if (!ok || cr_p256_public(pub, priv) != CR_OK) {
			fprintf(stderr, "echover server: %s is not a valid P-256 key\n", path);
			return -1;
		}
		return 0;
	}
	if (errno != ENOENT) {
		fprintf(stderr, "echover server: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (cr_p256_keygen(priv, pub, cr_rng_system()) != CR_OK)
		return -1;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	bool ok = fd >= 0 && write(fd, priv, CR_P256_PRIV_LEN) == CR_P256_PRIV_LEN && fsync(fd) == 0;
	if (fd >= 0)
		close(fd);
	if (!ok) {
		fprintf(stderr, "echover server: cannot write %s\n", path);
		return -1;
	}
	fprintf(stderr, "echover server: created a new server key in %s\n", path);
	return 0;
}

static int listen_on(const char *spec)
{
	char host[64];
	const char *colon = strrchr(spec, ':');
	if (!colon || (size_t)(colon - spec) >= sizeof host)
		return -1;
	memcpy(host, spec, (size_t)(colon - spec));
	host[colon - spec] = 0;
	char *end;
	long port = strtol(colon + 1, &end, 10);
	struct sockaddr_in a = { .sin_family = AF_INET };
	if (*end || port < 1 || port > 65535 || inet_pton(AF_INET, host, &a.sin_addr) != 1)
		return -1;
	a.sin_port = htons((uint16_t)port);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
	    bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 128) != 0) {
		fprintf(stderr, "echover server: cannot listen on %s: %s\n", spec, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -2;
	}
	return fd;
}

/* Options of the login path: hash threads and failed-login limits. */
typedef struct login_opts {
	long hash_workers, per_addr, per_user, conns_per_addr, frame_max;
	long mailbox_max;
} login_opts;

static void log_stderr(void *ctx, const char *line)
{
	(void)ctx;
	fprintf(stderr, "echover server: %s\n", line);
}

static int run_server(st_server *db, const char *db_path, const char *listen_spec, nt_policy policy,
		      long max_conns, long hs_timeout, long idle_timeout, const login_opts *lo)
{
	static nt_server s;
	static nt_rate rate;
	memset(&s, 0, sizeof s);
	if (nt_rate_init(&rate, (uint32_t)lo->per_addr, (uint32_t)lo->per_user, NT_RATE_CAP_DEFAULT) != CR_OK) {
		fprintf(stderr, "echover server: out of memory\n");
		return 1;
	}
	s.cfg.rate = &rate;
	s.cfg.log = log_stderr;
	s.hash_workers = (size_t)lo->hash_workers;
	s.max_conns_per_addr = (size_t)lo->conns_per_addr;
	s.db = db;
	s.cfg.policy = policy;
	s.cfg.frame_max = (uint32_t)lo->frame_max;
	s.cfg.mailbox_max = (uint64_t)lo->mailbox_max;
	s.cfg.argon = CR_ARGON2_INTERACTIVE;
	s.cfg.rng = cr_rng_system();
	s.max_conns = (size_t)max_conns;
	s.handshake_timeout = hs_timeout;
	s.idle_timeout = idle_timeout;
	s.listen_fd = -1;
	s.stop_fd = -1;
	int rc = 1;
	uint8_t priv[CR_P256_PRIV_LEN], cert[NT_CERT_MAX];
	size_t cert_len = 0;
	bool cred_ok = load_or_create_key(db_path, priv) == 0 && nt_cert_create(cert, &cert_len, priv) == CR_OK &&
		       nt_tls_cred_init(&s.cred, priv, cert, cert_len) == CR_OK;
	cr_wipe(priv, sizeof priv);
	if (!cred_ok) {
		fprintf(stderr, "echover server: cannot set up the server key and certificate\n");
		goto out;
	}
	nt_cert_pin(s.cfg.server_pin, s.cred.pub);
	s.listen_fd = listen_on(listen_spec);
	if (s.listen_fd == -1)
		fprintf(stderr, "echover server: --listen takes IPv4:PORT, not '%s'\n", listen_spec);
	if (s.listen_fd < 0)
		goto out;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	signal(SIGPIPE, SIG_IGN);
	if (sigprocmask(SIG_BLOCK, &set, NULL) != 0 || (s.stop_fd = signalfd(-1, &set, SFD_CLOEXEC)) < 0) {
		fprintf(stderr, "echover server: cannot set up signals\n");
		goto out;
	}
	char pin[NT_CERT_PIN_STR_LEN];
	nt_cert_pin_str(pin, s.cfg.server_pin);
	fprintf(stderr, "echover server: listening on %s (policy %s), database %s\n", listen_spec,
		policy == NT_POLICY_INVITE ? "invite" : "open", db_path);
	fprintf(stderr, "echover server: key fingerprint %s\n", pin);
	if (nt_server_run(&s) == CR_OK) {
		fprintf(stderr, "echover server: stopped\n");
		rc = 0;
	} else {
		fprintf(stderr, "echover server: event loop failed: %s\n", strerror(errno));
	}
out:
	if (s.listen_fd >= 0)
		close(s.listen_fd);
	if (s.stop_fd >= 0)
		close(s.stop_fd);
	nt_tls_cred_wipe(&s.cred);
	nt_rate_free(&rate);
	return rc;
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
	const char *db_path = DEFAULT_DB, *cmd = NULL, *listen_spec = DEFAULT_LISTEN;
	long count = 1, max_conns = NT_MAX_CONNS_DEFAULT;
	long hs_timeout = NT_HANDSHAKE_TIMEOUT_DEFAULT, idle_timeout = NT_IDLE_TIMEOUT_DEFAULT;
	nt_policy policy = NT_POLICY_OPEN;
	login_opts lo = { NT_HASH_WORKERS_DEFAULT, NT_RATE_PER_ADDR_DEFAULT, NT_RATE_PER_USER_DEFAULT,
			  NT_MAX_CONNS_PER_ADDR_DEFAULT, NT_FRAME_MAX_DEFAULT, NT_MAILBOX_MAX_DEFAULT };
	/* The database holds password hashes and the log, the key file the TLS
	 * key: nothing the server creates is for other users to read. */
	umask(077);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--db") && i + 1 < argc) {
			db_path = argv[++i];
		} else if (!strcmp(argv[i], "--listen") && i + 1 < argc) {
			listen_spec = argv[++i];
		} else if (!strcmp(argv[i], "--policy") && i + 1 < argc) {
			i++;
			if (!strcmp(argv[i], "open")) {
				policy = NT_POLICY_OPEN;
			} else if (!strcmp(argv[i], "invite")) {
				policy = NT_POLICY_INVITE;
			} else {
				fprintf(stderr, "echover server: --policy takes open or invite\n");
				return 2;
			}
		} else if ((!strcmp(argv[i], "--handshake-timeout") || !strcmp(argv[i], "--idle-timeout")) &&
			   i + 1 < argc) {
			bool hs = !strcmp(argv[i], "--handshake-timeout");
			char *end;
			errno = 0;
			long v = strtol(argv[++i], &end, 10);
			if (errno || *end || v < 1 || v > 86400) {
				fprintf(stderr, "echover server: %s takes 1..86400 seconds\n", argv[i - 1]);
				return 2;
			}
			*(hs ? &hs_timeout : &idle_timeout) = v;
		} else if (!strcmp(argv[i], "--max-conns") && i + 1 < argc) {
			char *end;
			errno = 0;
			max_conns = strtol(argv[++i], &end, 10);
			if (errno || *end || max_conns < 1 || max_conns > 100000) {
				fprintf(stderr, "echover server: --max-conns takes 1..100000\n");
				return 2;
			}
		} else if ((!strcmp(argv[i], "--hash-workers") || !strcmp(argv[i], "--login-failures-per-addr") ||
			    !strcmp(argv[i], "--login-failures-per-user")) &&
			   i + 1 < argc) {
			bool workers = !strcmp(argv[i], "--hash-workers");
			long lo_min = workers ? 1 : 0, lo_max = workers ? NT_HASH_WORKERS_MAX : 100000;
			char *end;
			errno = 0;
			long v = strtol(argv[++i], &end, 10);
			if (errno || *end || v < lo_min || v > lo_max) {
				fprintf(stderr, "echover server: %s takes %ld..%ld\n", argv[i - 1], lo_min, lo_max);
				return 2;
			}
			*(workers ? &lo.hash_workers
				  : !strcmp(argv[i - 1], "--login-failures-per-addr") ? &lo.per_addr : &lo.per_user) = v;
		} else if ((!strcmp(argv[i], "--max-conns-per-addr") || !strcmp(argv[i], "--frame-max")) &&
			   i + 1 < argc) {
			bool fm = !strcmp(argv[i], "--frame-max");
			long lo_min = fm ? (long)NT_FRAME_MAX_MIN : 1, lo_max = fm ? FRAME_MAX_MAX : 100000;
			char *end;
			errno = 0;
			long v = strtol(argv[++i], &end, 10);
			if (errno || *end || v < lo_min || v > lo_max) {
				fprintf(stderr, "echover server: %s takes %ld..%ld\n", argv[i - 1], lo_min, lo_max);
				return 2;
			}
			*(fm ? &lo.frame_max : &lo.conns_per_addr) = v;
		} else if (!strcmp(argv[i], "--mailbox-max") && i + 1 < argc) {
			char *end;
			errno = 0;
			long v = strtol(argv[++i], &end, 10);
			if (errno || *end || v < 1 || v > MAILBOX_MAX_MAX) {
				fprintf(stderr, "echover server: --mailbox-max takes 1..%d\n", MAILBOX_MAX_MAX);
				return 2;
			}
			lo.mailbox_max = v;
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
	if (!cmd) {
		rc = run_server(db, db_path, listen_spec, policy, max_conns, hs_timeout, idle_timeout, &lo);
	} else if (!strcmp(cmd, "invite")) {
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
