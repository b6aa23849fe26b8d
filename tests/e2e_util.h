/*
 * e2e_util.h: the real server as a child process for end-to-end tests:
 * `echover server --listen 127.0.0.1:PORT --db TMP/s.db` (binary:
 * $ECHOVER_BIN, else ./echover, run from the repository root) on a free
 * loopback port, in a temporary folder removed by teardown. The child dies
 * with the test (PR_SET_PDEATHSIG); every wait is bounded.
 */
#ifndef ECHOVER_E2E_UTIL_H
#define ECHOVER_E2E_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "nt_proto.h"
#include "rng.h"

/* The most entries of server.options. */
#define E2E_OPTIONS_MAX 8

typedef struct server {
	char dir[256];
	char db[300];
	pid_t pid;
	uint16_t port;
	bool invite;
	char *const *options;      /* more `echover server` options, NULL-terminated; or NULL */
	uint8_t pin[NT_PIN_LEN];
	bool have_pin;
	cr_rng_det det;
	cr_rng rng;
} server;

const char *e2e_bin(void);
int64_t e2e_now_ms(void);
/* fork + exec of the binary; stdout to out_fd if >= 0, else to TMP/log. */
pid_t e2e_spawn(server *s, char *const argv[], int out_fd);
/* Starts (or restarts, same db and port when s->port is set) the server
 * with --policy from s->invite and s->options after it, and waits until it
 * accepts connections. */
bool server_start(server *s);
/* sig: SIGTERM (graceful) or SIGKILL. Waits at most 10 s, then kills. */
void server_stop(server *s, int sig);
/* A temporary folder and a deterministic random source; clears *s. */
bool fixture(server *s, bool invite);
/* fixture() and a started server; false, with nothing left, if either fails. */
bool fixture_up(server *s, bool invite);
/* Stops the server and removes the folder. */
void teardown(server *s);
/* `echover server --db DB invite`: one code into code[]. */
bool make_invite(server *s, char code[80]);

#endif
