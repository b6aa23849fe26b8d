/*
 * cli_client.h: the echover client engine: one user's account on one
 * server. It joins the MLS group state machine (crypto/mls/group.h), the
 * client's database (store/st_client.h) and a blocking server session
 * (net/cli_session.h). The modes (one-shot subcommands, the interactive chat,
 * the demo) are thin layers over it; it never prints, it reports through
 * events and nt_client_error().
 *
 * Identity: a random Ed25519 seed, sealed with a random record data key in
 * the keystore (crypto/keystore.h) under the user's passphrase. The same key
 * signs logins and is the MLS signature key of every leaf of the user, so a
 * member's leaf key must equal that user's identity key in the directory:
 * the engine pins each contact's key on first use (st_client contact pins)
 * and reports a changed key loudly (NT_EV_KEY_CHANGED) and refuses to add
 * or accept that member until the user accepts the new key
 * (nt_client_trust).
 *
 * State at rest: every group state is sealed under the data key
 * (cr_keystore_record_seal, AAD = the group id) and written in the same
 * transaction as the log position it reflects (st_client_process), so a
 * client killed at any moment resumes where it was and processes no message
 * twice. KeyPackage private keys are sealed the same way.
 *
 * Sync (nt_client_sync): GROUPS_LIST, then for each group the log entries
 * after the last processed position, in order:
 *   WELCOME       joins, if one of our KeyPackages is named (else ignored);
 *   COMMIT        processed (one's own was applied when the server accepted
 *                 it); a commit that removes us ends the group (NT_EV_LEFT);
 *   PROPOSAL      self-remove proposals, kept for the next commit;
 *   APPLICATION   decrypted and reported (NT_EV_MESSAGE, NT_EV_FILE), once
 *                 per (sender, message id): a copy re-sent after a lost
 *                 answer (encrypted again, so other bytes) is processed and
 *                 shown to no one;
 *   JOIN_REQUEST  if we are admin or owner: the KeyPackage is validated (its
 *                 credential is the requester, its key the pinned one) and
 *                 an Add is committed (automatic approval, DESIGN.md 6).
 * A message that fails verification is reported (NT_EV_WARNING), recorded
 * as processed and changes nothing else. After the log: pending removes are
 * committed, our leaf refreshed when older than the update period (an
 * empty commit with a path: post-compromise security), KeyPackages
 * replenished, and the processed prefix acknowledged.
 *
 * KeyPackages: the engine keeps the server's count of our one-time ones as
 * the server last reported it (KP_UPLOAD_OK) minus the Welcomes that used
 * one since, and uploads only when that count falls below
 * NT_CLIENT_KP_LOW, up to NT_CLIENT_KP_TARGET; the answer to the upload
 * replaces the estimate (and a second upload tops up when the estimate was
 * high). KeyPackages of our join requests never reach the directory, so
 * they do not count. A KeyPackage fetched by someone who then never
 * commits is not seen until the next upload's answer.
 *
 * Commits: a commit is POSTed for the group's epoch; CONFLICT means another
 * member's commit won: the engine discards its own, syncs and retries (at
 * most NT_CLIENT_COMMIT_RETRIES times), so the group never forks.
 *
 * Every call returns CR_OK or an error with a line for people in
 * nt_client_error(c); nt_client_status(c) classifies it for exit codes.
 */
#ifndef ECHOVER_NT_CLI_CLIENT_H
#define ECHOVER_NT_CLI_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cr_err.h"
#include "nt_proto.h"
#include "rng.h"

#define NT_CLIENT_COMMIT_RETRIES 5
/* One-time KeyPackages kept on the server; replenished below the low mark. */
#define NT_CLIENT_KP_TARGET 20
#define NT_CLIENT_KP_LOW 5
/* Our own leaf is refreshed (an Update commit) in a group when our last
 * commit there is older than this (seconds): bounds how long a stolen leaf
 * key reads a group (post-compromise security). */
#define NT_CLIENT_UPDATE_AFTER_DEFAULT (7 * 24 * 3600)
/* Largest text message (bytes of UTF-8) and file name. */
#define NT_CLIENT_TEXT_MAX 65536
#define NT_CLIENT_FILE_NAME_MAX 255
/* A message's id (net/app_msg.h): chosen once per message, kept across
 * retries, so that members show a message sent twice once. */
#define NT_CLIENT_MSG_ID_LEN 16

/* What went wrong, for exit codes (documented in the README). */
typedef enum nt_client_status {
	NT_CLIENT_OK = 0,
	NT_CLIENT_FAILED = 1,       /* anything else; the text says what */
	NT_CLIENT_UNREACHABLE = 3,  /* no connection to the server (refused, time-out, closed) */
	NT_CLIENT_DENIED = 4,       /* wrong passphrase, password, invite; not allowed */
	NT_CLIENT_PIN = 5,          /* the server's key is not the pinned one: refused */
	NT_CLIENT_NOT_FOUND = 6,    /* no such user, group, file */
} nt_client_status;

typedef enum nt_client_event_kind {
	NT_EV_MESSAGE = 1,    /* group, peer (sender), body (text), epoch */
	NT_EV_FILE,           /* group, peer, file (name, size, ref to fetch it) */
	NT_EV_JOINED,         /* group: we joined (Welcome), epoch */
	NT_EV_MEMBER_ADDED,   /* group, peer */
	NT_EV_MEMBER_REMOVED, /* group, peer (left or was removed) */
	NT_EV_LEFT,           /* group: we left or were removed; the group is gone */
	NT_EV_JOIN_REQUEST,   /* group, peer asked to join (and was approved when we are admin) */
	NT_EV_EPOCH,          /* group moved to epoch */
	NT_EV_KEY_CHANGED,    /* peer's identity key is not the pinned one: text says more */
	NT_EV_WARNING,        /* group, text: a message was dropped (failed verification, ...) */
	NT_EV_PROGRESS,       /* file transfer progress: done of total bytes */
} nt_client_event_kind;

/* A file announced in a group: what nt_client_get_file needs. */
typedef struct nt_client_file {
	char name[NT_CLIENT_FILE_NAME_MAX + 1];
	uint64_t size;                  /* plaintext bytes */
	char ref[160];                  /* text naming blob id, key and hash (hex) */
} nt_client_file;

typedef struct nt_client_event {
	nt_client_event_kind kind;
	const char *group;              /* group id text, or NULL */
	const char *peer;               /* username, or NULL */
	const uint8_t *body;            /* NT_EV_MESSAGE */
	size_t body_len;
	uint64_t epoch;
	int64_t sent_at;                /* NT_EV_MESSAGE, NT_EV_FILE: sender's clock, unix s */
	const nt_client_file *file;     /* NT_EV_FILE */
	uint64_t done, total;           /* NT_EV_PROGRESS */
	const char *text;               /* NT_EV_WARNING, NT_EV_KEY_CHANGED */
	const char *dm_peer;            /* group is a DM: the other member (for display), else NULL */
} nt_client_event;

typedef struct nt_client_opts {
	const char *db_path;            /* the client database (created 0600) */
	const char *host;               /* numeric IPv4 or "localhost" */
	uint16_t port;
	const char *user;
	const char *passphrase;         /* unlocks (or, at registration, seals) the keystore */
	const char *password;           /* the account's password on the server */
	const uint8_t *server_pin;      /* NT_PIN_LEN bytes, or NULL: the pinned one, else trust on first use */
	int timeout_ms;                 /* per server exchange; 0: 10000 */
	bool cheap_kdf;                 /* registration: Argon2id interactive parameters (tests, demo) */
	int64_t update_after_s;         /* leaf refresh period; 0: NT_CLIENT_UPDATE_AFTER_DEFAULT */
	const cr_rng *rng;              /* NULL: the system's */
	void (*on_event)(void *ctx, const nt_client_event *ev);
	void *ctx;
} nt_client_opts;

typedef struct nt_client nt_client;

/* Creates the identity and the database, registers (invite may be NULL),
 * logs in and publishes KeyPackages; the connected client in *c. The
 * server's pin is stored on first use. The identity is stored (sealed)
 * before REGISTER and marked registered once the server accepted it: after
 * a failed attempt (no or a wrong invite, the name taken, the server
 * unreachable) the next call with the same database and passphrase reuses
 * that identity, also under another name; when the server says the name
 * exists and our key logs in, an earlier attempt whose answer was lost
 * succeeded, and registration completes. nt_client_open refuses an
 * identity whose registration never completed. Both calls set *c also on failure
 * (unless out of memory): read nt_client_error / nt_client_status_of,
 * then nt_client_close. */
cr_err nt_client_register(nt_client **c, const nt_client_opts *o, const char *invite) CR_MUST_CHECK;
/* Opens the database, unlocks the keystore, connects (checking the pin),
 * logs in. Does not sync. */
cr_err nt_client_open(nt_client **c, const nt_client_opts *o) CR_MUST_CHECK;
/* Wipes every secret, closes the session and the database; NULL is fine. */
void nt_client_close(nt_client *c);
/* The last error, for people, and its class, for exit codes. */
const char *nt_client_error(const nt_client *c);
nt_client_status nt_client_status_of(const nt_client *c);

const char *nt_client_user(const nt_client *c);

/* Processes everything the server holds for us (see above); fires events. */
cr_err nt_client_sync(nt_client *c) CR_MUST_CHECK;
/* Waits up to timeout_ms for a server notification, then syncs what it
 * names (*got: something arrived). The interactive chat calls it with a
 * short time-out in its loop, or polls nt_client_fd(). */
cr_err nt_client_wait(nt_client *c, int timeout_ms, bool *got) CR_MUST_CHECK;
/* Syncs one group now, also one we do not hold yet (the group a NOTIFY
 * names, or that someone said they added us to): its Welcome is processed. */
cr_err nt_client_sync_group(nt_client *c, const char *gid) CR_MUST_CHECK;
/* After NT_CLIENT_UNREACHABLE (the server restarted, the network went):
 * connects again (same pin) and logs in. One attempt; back-off is the
 * caller's. */
cr_err nt_client_reconnect(nt_client *c) CR_MUST_CHECK;
int nt_client_fd(const nt_client *c);

/* Groups. gid: 1..NT_GROUP_ID_MAX bytes of [a-z0-9_.-], not starting with
 * "dm-". */
cr_err nt_client_group_create(nt_client *c, const char *gid) CR_MUST_CHECK;
/* Asks to join; the Welcome arrives with a later sync once an admin is
 * online (nt_client_wait until NT_EV_JOINED). */
cr_err nt_client_group_join(nt_client *c, const char *gid) CR_MUST_CHECK;
/* Adds user (admin or owner): their KeyPackage from the directory. */
cr_err nt_client_group_add(nt_client *c, const char *gid, const char *user) CR_MUST_CHECK;
/* Removes user (admin or owner; the server refuses others: NT_CLIENT_DENIED). */
cr_err nt_client_group_remove(nt_client *c, const char *gid, const char *user) CR_MUST_CHECK;
/* Sets user's role in gid to NT_ROLE_ADMIN or NT_ROLE_MEMBER (ROLE_SET;
 * the owner only, else NT_CLIENT_DENIED). */
cr_err nt_client_group_role(nt_client *c, const char *gid, const char *user, uint8_t role) CR_MUST_CHECK;
/* Self-remove proposal; another member commits it; the group is gone for us
 * once that commit arrives (NT_EV_LEFT). */
cr_err nt_client_group_leave(nt_client *c, const char *gid) CR_MUST_CHECK;
/* Fresh leaf keys (post-compromise security): a commit with only a path. */
cr_err nt_client_group_update(nt_client *c, const char *gid) CR_MUST_CHECK;

typedef struct nt_client_group_info {
	const char *gid;
	const char *peer;               /* DM groups: the other member, else NULL */
	uint8_t role;                   /* nt_role */
	uint64_t epoch;
	uint32_t members;
} nt_client_group_info;
cr_err nt_client_groups(nt_client *c, void (*fn)(void *ctx, const nt_client_group_info *g),
			void *ctx) CR_MUST_CHECK;
typedef struct nt_client_member {
	const char *name;
	uint8_t role;                   /* nt_role */
	bool online;
} nt_client_member;
cr_err nt_client_members(nt_client *c, const char *gid, void (*fn)(void *ctx, const nt_client_member *m),
			 void *ctx) CR_MUST_CHECK;
/* Peers sharing a group with us that are online now. */
cr_err nt_client_presence(nt_client *c, void (*fn)(void *ctx, const char *user), void *ctx) CR_MUST_CHECK;

/* Messages: text in a group, or to one user (the DM group of the two is
 * created from the peer's published KeyPackage if needed: the peer need not
 * be online). */
cr_err nt_client_send(nt_client *c, const char *gid, const uint8_t *text, size_t n) CR_MUST_CHECK;
cr_err nt_client_dm(nt_client *c, const char *peer, const uint8_t *text, size_t n) CR_MUST_CHECK;
/* The same with the message's id given (NULL: a fresh one), so that a
 * retry after a lost answer (NT_CLIENT_UNREACHABLE) is the same message:
 * members who received it do not show it again, and when our database
 * already records it as sent, nothing is posted and the call succeeds. */
cr_err nt_client_send_id(nt_client *c, const char *gid, const uint8_t id[NT_CLIENT_MSG_ID_LEN],
			 const uint8_t *text, size_t n) CR_MUST_CHECK;
cr_err nt_client_dm_id(nt_client *c, const char *peer, const uint8_t id[NT_CLIENT_MSG_ID_LEN],
		       const uint8_t *text, size_t n) CR_MUST_CHECK;
/* A fresh random message id, for a caller that retries or queues. */
cr_err nt_client_msg_id_new(nt_client *c, uint8_t id[NT_CLIENT_MSG_ID_LEN]) CR_MUST_CHECK;
/* The DM group id of two users (NT_DM_GID_LEN + 1 bytes). */
void nt_client_dm_gid(const char *a, const char *b, char out[NT_DM_GID_LEN + 1]);
/* For display: the other member of DM group gid (hint, when given, is
 * tried first: no state is opened when it is the peer). False when gid is
 * not a DM group or its peer is unknown here; never changes the error. */
bool nt_client_dm_peer(nt_client *c, const char *gid, const char *hint, char out[NT_USERNAME_MAX + 1]);

/* The outbox (the interactive chat while the server is away): text for
 * gid with its message id (id, or a fresh one when NULL: pass the id of
 * a send that failed, which may have reached the server), sealed under the
 * data key in the client database, sent later by nt_client_outbox_flush in
 * the order queued, under that id however often it is retried. */
cr_err nt_client_outbox_queue(nt_client *c, const char *gid, const uint8_t id[NT_CLIENT_MSG_ID_LEN],
			      const uint8_t *text, size_t n) CR_MUST_CHECK;
/* Sends the queued messages, oldest first, each removed from the queue
 * once the server accepted it (fn, if set, is told of each). A message the
 * server refuses for good (no longer a member, ...) is dropped with an
 * NT_EV_WARNING; an unreachable server stops the flush and keeps the rest.
 * *sent counts what went out. */
cr_err nt_client_outbox_flush(nt_client *c, void (*fn)(void *ctx, const char *gid, const uint8_t *text, size_t n),
			      void *ctx, size_t *sent) CR_MUST_CHECK;
cr_err nt_client_outbox_count(nt_client *c, size_t *n) CR_MUST_CHECK;

/* Files: encrypted in chunks (net/cli_file.h), uploaded as a blob, key and
 * hash sent in the group; NT_EV_PROGRESS while sending and fetching. */
cr_err nt_client_send_file(nt_client *c, const char *gid, const char *path) CR_MUST_CHECK;
/* ref: nt_client_file.ref; writes the verified plaintext to out_path
 * (through a temporary file renamed at the end: no partial file is left). */
cr_err nt_client_get_file(nt_client *c, const char *ref, const char *out_path) CR_MUST_CHECK;

/* Keys. The safety number of us and peer (crypto/safety.h, 71 bytes with
 * the NUL) and the peer's key fingerprint. */
cr_err nt_client_fingerprint(nt_client *c, const char *peer, char number[72], char fingerprint[48]) CR_MUST_CHECK;
/* Accepts peer's current directory key after a change (clears "verified"),
 * or marks it verified (after comparing the safety number). */
cr_err nt_client_trust(nt_client *c, const char *peer, bool verified) CR_MUST_CHECK;

/* History of a group, oldest first (the last `limit` messages). */
typedef struct nt_client_line {
	const char *sender;
	const uint8_t *body;
	size_t body_len;
	int64_t sent_at;
} nt_client_line;
cr_err nt_client_history(nt_client *c, const char *gid, unsigned limit,
			 void (*fn)(void *ctx, const nt_client_line *l), void *ctx) CR_MUST_CHECK;

#endif
