/*
 * cli_client_int.h: the layout of nt_client and the helpers its three files
 * share: cli_client.c (open, register, login, KeyPackages, keys, history),
 * cli_sync.c (processing the groups' logs) and cli_groups.c (group
 * operations and sending). Not a public API.
 */
#ifndef ECHOVER_NT_CLI_CLIENT_INT_H
#define ECHOVER_NT_CLI_CLIENT_INT_H

#include <stdarg.h>

#include "cli_client.h"
#include "cli_session.h"
#include "group.h"
#include "keystore.h"
#include "st_client.h"

#define NT_CLIENT_ERR_MAX 512
/* One sync reads at most this many FETCH rounds per group (each up to
 * NT_FETCH_MAX entries), so a hostile server cannot keep it busy forever. */
#define NT_CLIENT_FETCH_ROUNDS 64
/* KeyPackages are valid for 90 days (and from an hour back, for clocks). */
#define NT_CLIENT_KP_LIFETIME (90 * 24 * 3600)

struct nt_client {
	char user[NT_USERNAME_MAX + 1];
	char host[256];
	uint16_t port;
	char password[NT_PASSWORD_MAX + 1];    /* kept for nt_client_reconnect; wiped */
	int timeout_ms;
	int64_t update_after_s;                /* leaf refresh period */
	const cr_rng *rng;
	void (*on_event)(void *ctx, const nt_client_event *ev);
	void *ctx;
	st_client *db;
	nt_cli_session *s;                     /* NULL while disconnected */
	cr_keystore_identity id;
	uint8_t pub[CR_ED25519_PUB_LEN];
	char err[NT_CLIENT_ERR_MAX];
	nt_client_status status;
	bool in_sync;                          /* a commit's CONFLICT re-syncs one group, not all */
};

/* Records an error for people and its class; returns e. */
cr_err nt_client_fail(nt_client *c, nt_client_status st, cr_err e, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* A failed session call: classifies it (unreachable, denied, not found,
 * pin) and records "what: reason". */
cr_err nt_client_sess_fail(nt_client *c, cr_err e, const char *what);
/* A failed store call. */
cr_err nt_client_db_fail(nt_client *c, st_err e, const char *what);
void nt_client_emit(nt_client *c, const nt_client_event *ev);
int64_t nt_client_now(void);
/* CR_ERR_STATE (unreachable) while disconnected. */
cr_err nt_client_need_session(nt_client *c) CR_MUST_CHECK;

/* Group ids: 1..NT_GROUP_ID_MAX of [a-z0-9_.-]; dm_ok allows "dm-". */
bool nt_client_gid_ok(const char *gid, bool dm_ok);
/* Loads and opens a group's sealed state (*g to free; *row filled, state freed). */
cr_err nt_client_group_load(nt_client *c, const char *gid, mls_group **g, st_client_group *row) CR_MUST_CHECK;
/* Serializes and seals g; *out malloc'ed (free with st_client_free). */
cr_err nt_client_group_seal(nt_client *c, const char *gid, const mls_group *g, uint8_t **out,
			    size_t *out_len) CR_MUST_CHECK;
/* Seal and st_client_group_set_state. */
cr_err nt_client_group_save(nt_client *c, const char *gid, const mls_group *g) CR_MUST_CHECK;

/* Contact pins: UNKNOWN is pinned, MATCH passes, CHANGED fires
 * NT_EV_KEY_CHANGED and fails (NT_CLIENT_DENIED). */
cr_err nt_client_check_contact(nt_client *c, const uint8_t *name, size_t name_len,
			       const uint8_t key[CR_ED25519_PUB_LEN], const char *group) CR_MUST_CHECK;
/* The directory's key of user (IDENTITY_FETCH), checked against the pin. */
cr_err nt_client_directory_key(nt_client *c, const char *user, uint8_t key[CR_ED25519_PUB_LEN]) CR_MUST_CHECK;

/* A fresh KeyPackage for us, its sealed private record in the database
 * (in the caller's transaction); *kp malloc'ed. */
cr_err nt_client_kp_new(nt_client *c, bool last_resort, uint8_t **kp, size_t *kp_len) CR_MUST_CHECK;
/* Opens our KeyPackage named ref: kp bytes (malloc'ed) and secrets. */
cr_err nt_client_kp_open(nt_client *c, const uint8_t *ref, size_t ref_len, uint8_t **kp, size_t *kp_len,
			 mls_kp_secrets *sec, bool *last_resort) CR_MUST_CHECK;
/* Uploads KeyPackages until NT_CLIENT_KP_TARGET one-time ones exist. */
cr_err nt_client_kp_replenish(nt_client *c) CR_MUST_CHECK;

/* Syncs one group (also one we do not hold yet: a Welcome may be waiting). */
cr_err nt_client_sync_one(nt_client *c, const char *gid) CR_MUST_CHECK;
/* Commits adds and removes in gid (retrying after CONFLICT, each time after
 * syncing the group). */
cr_err nt_client_commit(nt_client *c, const char *gid, const uint8_t *const *adds, const size_t *add_lens,
			const char *const *added, size_t n_adds, const char *const *removed,
			size_t n_removes) CR_MUST_CHECK;

#endif
