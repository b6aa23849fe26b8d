/*
 * rate_limit.h: failed-login limits across connections, per account and per
 * client address (DESIGN.md section 5).
 *
 * The per-connection limit (NT_LOGIN_ATTEMPTS_MAX) alone lets a guesser
 * reconnect; these limits follow the account and the address instead. Each
 * is a leaky bucket: every failed login adds one, the level drains at
 * `per_window` per NT_RATE_WINDOW seconds, and a login is refused (without
 * hashing) while the level is at `per_window` or above. So at most about
 * per_window failures per window get through, after a burst of per_window.
 *
 * Kept in the loop's memory, not in the store: the state is short-lived,
 * a restart forgetting it costs an attacker only one burst, and the check
 * must be cheap (no disk write per failed guess).
 *
 * Invariants: each table holds at most `cap` keys (bounded memory against a
 * flood of fresh usernames or addresses); when full, the key with the lowest
 * level is replaced, so flooding can erase a nearly drained bucket but never
 * grows memory. A limit of 0 disables that table. Keys are at most
 * NT_RATE_KEY_MAX bytes (longer ones are cut, which only merges buckets).
 * Trade-off: the per-account limit lets anyone lock an account out of
 * logins for up to one window by failing on purpose; that is preferred to
 * unlimited online guessing.
 */
#ifndef ECHOVER_NT_RATE_LIMIT_H
#define ECHOVER_NT_RATE_LIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cr_err.h"

#define NT_RATE_WINDOW 600              /* seconds */
#define NT_RATE_PER_ADDR_DEFAULT 30     /* failed logins per window per address */
#define NT_RATE_PER_USER_DEFAULT 10     /* failed logins per window per account */
#define NT_RATE_CAP_DEFAULT 4096        /* keys per table */
#define NT_RATE_KEY_MAX 48

typedef struct nt_rate_entry {
	uint8_t key[NT_RATE_KEY_MAX];
	uint8_t key_len;
	uint64_t level;                 /* failures * 1000 */
	int64_t last;                   /* seconds of the last update */
} nt_rate_entry;

typedef struct nt_rate_table {
	uint32_t per_window;
	size_t cap, n;
	nt_rate_entry *e;
} nt_rate_table;

typedef struct nt_rate {
	nt_rate_table addr, user;
} nt_rate;

typedef enum nt_rate_verdict { NT_RATE_OK, NT_RATE_ADDR, NT_RATE_USER } nt_rate_verdict;

cr_err nt_rate_init(nt_rate *r, uint32_t per_addr, uint32_t per_user, size_t cap) CR_MUST_CHECK;
void nt_rate_free(nt_rate *r);
/* Whether a login from addr for user may be tried now (which limit is hit). */
nt_rate_verdict nt_rate_check(nt_rate *r, const uint8_t *addr, size_t addr_len, const uint8_t *user,
			      size_t user_len, int64_t now);
/* Counts one failed login against both. */
void nt_rate_fail(nt_rate *r, const uint8_t *addr, size_t addr_len, const uint8_t *user, size_t user_len,
		  int64_t now);

#endif
