/*
 * st_client.h: the client's state in its own SQLite database (DESIGN.md
 * section 6): its identity (username and passphrase-sealed keystore), server
 * and contact key pins, its MLS groups, the sealed private keys of its own
 * KeyPackages, the ids of the messages it has processed (exactly-once
 * delivery), the outgoing queue, and the history of received messages.
 *
 * Invariants:
 *   - store/ does no cryptography and never includes crypto/: it stores and
 *     returns bytes (a sealed keystore, a serialized group state, a pin);
 *     callers hand in group states already sealed (crypto/keystore.h
 *     records under the data key kept in the keystore, AAD = the group id),
 *     so the file never holds epoch secrets in clear;
 *   - every query is a prepared statement; writes that belong together run
 *     in one transaction: st_client_process() stores the new group state,
 *     advances the group's log position, records the message id and the
 *     history entry atomically, so a client killed at any moment either has
 *     processed a message completely or not at all;
 *   - durability: WAL with synchronous=FULL (a committed transaction survives
 *     power loss), foreign keys on, secure_delete on (deleted rows, such as
 *     old group states holding epoch secrets, are overwritten in the file);
 *   - a new database file is created with mode 0600 (it holds the sealed
 *     keystore and the groups' MLS secrets); SQLite gives the -wal and -shm
 *     files the same mode;
 *   - the schema has a version table (schema_version) and the file carries
 *     PRAGMA application_id 'EVC1'; opening applies missing migrations in one
 *     transaction and refuses a newer schema or another application's file.
 *
 * Exactly-once: the server pushes each group's messages with a log position
 * that only grows and a message id. A message whose id was already recorded
 * for the group is a duplicate (ST_ERR_EXISTS, nothing changes); one whose
 * position is not above the group's last processed position is refused
 * (ST_ERR_CONFLICT), since the server never reorders a group's log.
 * Above the log, an application message carries an id its sender chose
 * once (DESIGN.md 4: exactly-once to the user, dedup by id); a retry after
 * a lost answer is a new log entry with other bytes but the same id. The
 * (group, sender, id) of every message delivered to the user, and of every
 * message the user sent, is recorded with its history line in the same
 * transaction; like the history it outlives the group's state.
 *
 * Blobs returned by getters are malloc'ed and owned by the caller, who frees
 * them with st_client_free() (which wipes first: group states hold secrets).
 * Callbacks of the list functions get borrowed pointers valid only during the
 * call, and must not call back into the same handle.
 *
 * Sizes: usernames 1..ST_CLIENT_NAME_MAX bytes, hosts 1..ST_CLIENT_HOST_MAX,
 * pins 1..ST_CLIENT_PIN_MAX, group ids 1..ST_CLIENT_GROUP_ID_MAX, message
 * ids 1..ST_CLIENT_MSG_ID_MAX, KeyPackage refs 1..ST_CLIENT_KP_REF_MAX, blobs (keystore, group state, bodies)
 * 1..ST_CLIENT_BLOB_MAX (bodies may be empty); epochs and log positions
 * 0..INT64_MAX.
 */
#ifndef ECHOVER_ST_CLIENT_H
#define ECHOVER_ST_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "st_err.h"

#define ST_CLIENT_SCHEMA_VERSION 3
#define ST_CLIENT_APPLICATION_ID 0x45564331 /* "EVC1" */
#define ST_CLIENT_NAME_MAX 32      /* the server's username rule */
#define ST_CLIENT_HOST_MAX 255     /* a DNS name */
#define ST_CLIENT_PIN_MAX 64       /* SHA-256 SPKI pins and Ed25519 keys are 32 */
#define ST_CLIENT_GROUP_ID_MAX 64
#define ST_CLIENT_MSG_ID_MAX 64
#define ST_CLIENT_KP_REF_MAX 64     /* a KeyPackageRef is 32 bytes (SHA-256) */
/* A group state holds the ratchet tree: ~100 bytes a member plus the secret
 * tree; 16 MiB is far above a 10 000-member group and still bounded. */
#define ST_CLIENT_BLOB_MAX (16u * 1024 * 1024)
#define ST_CLIENT_BUSY_TIMEOUT_MS 5000

typedef struct st_client st_client;

/* Opens (creating if needed) the database at path; ":memory:" for tests.
 * ST_ERR_VERSION when the file has a newer schema or is not a client
 * database (another application_id). */
st_err st_client_open(st_client **out, const char *path) ST_MUST_CHECK;
void st_client_close(st_client *c);
int st_client_schema_version(const st_client *c);

/* The settings in force, for tests and `echover version`-style reports. */
typedef struct st_client_settings {
	bool wal;           /* journal_mode = WAL (":memory:" databases: false) */
	int synchronous;    /* 2 = FULL */
	bool foreign_keys;
	bool secure_delete;
} st_client_settings;
st_err st_client_get_settings(st_client *c, st_client_settings *s) ST_MUST_CHECK;

/* An explicit transaction (BEGIN IMMEDIATE) around several calls; the calls
 * below nest inside it (they use savepoints). */
st_err st_client_begin(st_client *c) ST_MUST_CHECK;
st_err st_client_commit(st_client *c) ST_MUST_CHECK;
void st_client_rollback(st_client *c);

/* Wipes p[n] and frees it (blobs from the getters below). */
void st_client_free(void *p, size_t n);

/* --- identity: one row, the user of this database --- */

/* Stored before registration and marked registered once the server accepted
 * it (st_client_identity_set_registered), so that a failed registration
 * keeps the key for the retry. ST_ERR_EXISTS when an identity is already
 * stored. */
st_err st_client_identity_set(st_client *c, const uint8_t *name, size_t name_len,
			      const uint8_t *keystore, size_t keystore_len, int64_t now) ST_MUST_CHECK;
/* name[ST_CLIENT_NAME_MAX] and *name_len; *keystore malloc'ed. */
st_err st_client_identity_get(st_client *c, uint8_t name[ST_CLIENT_NAME_MAX], size_t *name_len,
			      uint8_t **keystore, size_t *keystore_len) ST_MUST_CHECK;
/* A passphrase change: the re-sealed keystore replaces the old one. */
st_err st_client_identity_set_keystore(st_client *c, const uint8_t *keystore,
				       size_t keystore_len) ST_MUST_CHECK;

/* False until st_client_identity_set_registered (identities stored by
 * schema version 1 count as registered). ST_ERR_NOT_FOUND without one. */
st_err st_client_identity_registered(st_client *c, bool *registered) ST_MUST_CHECK;
/* The server accepted the identity under name (which may differ from the
 * name of a failed attempt). */
st_err st_client_identity_set_registered(st_client *c, const uint8_t *name, size_t name_len) ST_MUST_CHECK;
/* The server's count of our one-time KeyPackages, as it last reported it
 * (KP_UPLOAD_OK) minus those consumed since; -1 when unknown. */
st_err st_client_kp_server_left_get(st_client *c, int64_t *left) ST_MUST_CHECK;
st_err st_client_kp_server_left_set(st_client *c, int64_t left) ST_MUST_CHECK;

/* --- pins: trust on first use --- */

typedef enum st_pin_status {
	ST_PIN_UNKNOWN = 0, /* never seen: the caller may pin it */
	ST_PIN_MATCH = 1,   /* the pinned value */
	ST_PIN_CHANGED = 2, /* another value is pinned: refuse (server) or warn loudly (contact) */
} st_pin_status;

typedef struct st_pin_info {
	st_pin_status status;
	int64_t first_seen; /* when the pinned value was stored (0 when UNKNOWN) */
	bool verified;      /* contacts: the user compared the safety number */
} st_pin_info;

/* Server key pins: host:port -> SPKI pin. */
st_err st_client_server_pin_check(st_client *c, const char *host, uint16_t port, const uint8_t *pin,
				  size_t pin_len, st_pin_info *info) ST_MUST_CHECK;
/* The pin stored for host:port (to connect with it); ST_ERR_NOT_FOUND without one. */
st_err st_client_server_pin_get(st_client *c, const char *host, uint16_t port, uint8_t pin[ST_CLIENT_PIN_MAX],
				size_t *pin_len) ST_MUST_CHECK;
/* ST_ERR_EXISTS when host:port already has a pin (never silently replaced). */
st_err st_client_server_pin_add(st_client *c, const char *host, uint16_t port, const uint8_t *pin,
				size_t pin_len, int64_t now) ST_MUST_CHECK;
/* Only on the user's explicit decision; ST_ERR_NOT_FOUND without a pin. */
st_err st_client_server_pin_replace(st_client *c, const char *host, uint16_t port,
				    const uint8_t *pin, size_t pin_len, int64_t now) ST_MUST_CHECK;

/* Contact identity-key pins: username -> identity public key. */
st_err st_client_contact_pin_check(st_client *c, const uint8_t *name, size_t name_len,
				   const uint8_t *key, size_t key_len, st_pin_info *info) ST_MUST_CHECK;
st_err st_client_contact_pin_add(st_client *c, const uint8_t *name, size_t name_len,
				 const uint8_t *key, size_t key_len, int64_t now) ST_MUST_CHECK;
/* Accepts a changed key (clears "verified"); ST_ERR_NOT_FOUND without a pin. */
st_err st_client_contact_pin_replace(st_client *c, const uint8_t *name, size_t name_len,
				     const uint8_t *key, size_t key_len, int64_t now) ST_MUST_CHECK;
/* Marks the pinned key as verified out of band, if it is still key. ST_ERR_CONFLICT when another key is pinned. */
st_err st_client_contact_set_verified(st_client *c, const uint8_t *name, size_t name_len,
				      const uint8_t *key, size_t key_len) ST_MUST_CHECK;

/* --- groups --- */

typedef enum st_client_role {
	ST_CLIENT_ROLE_MEMBER = 0,
	ST_CLIENT_ROLE_ADMIN = 1,
	ST_CLIENT_ROLE_OWNER = 2,
} st_client_role;

typedef struct st_client_group {
	uint8_t id[ST_CLIENT_GROUP_ID_MAX];
	size_t id_len;
	uint8_t *state;     /* malloc'ed by st_client_group_get; NULL in lists */
	size_t state_len;
	uint64_t epoch;
	st_client_role role;
	uint64_t log_pos;   /* the last server log position processed */
	int64_t own_commit_at; /* when we last committed here (our leaf refreshed); 0: unknown */
} st_client_group;

/* A group joined (Welcome) or created; log_pos is where its log starts.
 * ST_ERR_EXISTS when the group is already stored. */
st_err st_client_group_add(st_client *c, const uint8_t *gid, size_t gid_len, const uint8_t *state,
			   size_t state_len, uint64_t epoch, st_client_role role,
			   uint64_t log_pos) ST_MUST_CHECK;
/* Fills g (g->state malloc'ed: st_client_free(g->state, g->state_len)). */
st_err st_client_group_get(st_client *c, const uint8_t *gid, size_t gid_len,
			   st_client_group *g) ST_MUST_CHECK;
st_err st_client_group_set_role(st_client *c, const uint8_t *gid, size_t gid_len,
				st_client_role role) ST_MUST_CHECK;
/* Replaces a group's sealed state without moving its log position: for
 * changes of one's own (an application message sent consumes a key, a
 * proposal sent is kept), which must be stored before the message leaves.
 * ST_ERR_CONFLICT when the epoch would go back. */
st_err st_client_group_set_state(st_client *c, const uint8_t *gid, size_t gid_len, const uint8_t *state,
				 size_t state_len, uint64_t epoch) ST_MUST_CHECK;
/* When our leaf in the group was last refreshed (a commit of ours, the
 * creation, the join). ST_ERR_NOT_FOUND without the group. */
st_err st_client_group_set_own_commit(st_client *c, const uint8_t *gid, size_t gid_len, int64_t at) ST_MUST_CHECK;
/* Forgets the group and its processed ids (history stays for /history). */
st_err st_client_group_remove(st_client *c, const uint8_t *gid, size_t gid_len) ST_MUST_CHECK;
/* Every group, ordered by id, without states. */
st_err st_client_group_list(st_client *c, st_err (*fn)(void *ctx, const st_client_group *g),
			    void *ctx) ST_MUST_CHECK;

/* --- processing a message from a group's log, exactly once --- */

typedef struct st_client_incoming {
	const uint8_t *gid;
	size_t gid_len;
	const uint8_t *msg_id;
	size_t msg_id_len;
	uint64_t log_pos;        /* the server's position of the message in the group's log */
	const uint8_t *state;    /* the group state after the message, or NULL: unchanged */
	size_t state_len;
	uint64_t epoch;          /* with state: the epoch after the message (never lower) */
	const uint8_t *sender;   /* a message for the history, or NULL (handshake, dropped) */
	size_t sender_len;
	const uint8_t *app_id;   /* with sender: the id the sender chose for it, or NULL */
	size_t app_id_len;
	const uint8_t *body;
	size_t body_len;
	int64_t sent_at;
	int64_t received_at;
} st_client_incoming;

/* In one transaction: the message id is recorded, the group's log position
 * and (if given) its state and epoch are updated, and (if given) the message
 * is added to the history, its (sender, app_id) recorded as delivered.
 * ST_ERR_EXISTS: already processed, or that app_id of that sender already
 * delivered (nothing changes); ST_ERR_CONFLICT: log_pos not above the group's, or the epoch
 * would go back; ST_ERR_NOT_FOUND: no such group. A message that failed
 * verification is processed with state = NULL and sender = NULL, so that it
 * is not retried and changes nothing else. */
st_err st_client_process(st_client *c, const st_client_incoming *in) ST_MUST_CHECK;
st_err st_client_processed_has(st_client *c, const uint8_t *gid, size_t gid_len,
			       const uint8_t *msg_id, size_t msg_id_len, bool *seen) ST_MUST_CHECK;
/* Whether sender's message app_id was delivered in gid (received, or sent
 * by us). A caller checks it in its transaction before processing, and
 * processes a repeat without sender (its key is spent, nothing shown). */
st_err st_client_delivered_has(st_client *c, const uint8_t *gid, size_t gid_len, const uint8_t *sender,
			       size_t sender_len, const uint8_t *app_id, size_t app_id_len, bool *seen) ST_MUST_CHECK;
/* Forgets the ids of a group's messages below log position `below` (the
 * position check still refuses their replays). *removed counts them. */
st_err st_client_processed_prune(st_client *c, const uint8_t *gid, size_t gid_len, uint64_t below,
				 int64_t *removed) ST_MUST_CHECK;

/* --- own KeyPackages awaiting a Welcome (RFC 9420 section 10) ---
 * The private keys (init and leaf encryption keys) arrive sealed by the
 * caller. A Welcome names the KeyPackage by its reference; the caller reads
 * the keys, joins, and in the same transaction adds the group and removes a
 * one-time KeyPackage (RFC 9420 section 16.8: a KeyPackage is used once;
 * the last-resort one stays). */

st_err st_client_kp_add(st_client *c, const uint8_t *ref, size_t ref_len, const uint8_t *sealed,
			size_t sealed_len, bool last_resort, int64_t now) ST_MUST_CHECK;
/* *sealed malloc'ed (st_client_free). ST_ERR_NOT_FOUND for an unknown ref. */
st_err st_client_kp_get(st_client *c, const uint8_t *ref, size_t ref_len, uint8_t **sealed,
			size_t *sealed_len, bool *last_resort) ST_MUST_CHECK;
st_err st_client_kp_remove(st_client *c, const uint8_t *ref, size_t ref_len) ST_MUST_CHECK;
/* How many one-time KeyPackages are left (to replenish the server's). */
st_err st_client_kp_count(st_client *c, int64_t *one_time) ST_MUST_CHECK;

/* --- pending outgoing queue (first in, first out) --- */

typedef struct st_client_outgoing {
	int64_t id;
	uint8_t gid[ST_CLIENT_GROUP_ID_MAX];
	size_t gid_len;
	uint32_t kind;      /* the caller's message kind */
	uint8_t *body;      /* malloc'ed: st_client_free(body, body_len) */
	size_t body_len;
	int64_t created;
} st_client_outgoing;

st_err st_client_outbox_add(st_client *c, const uint8_t *gid, size_t gid_len, uint32_t kind,
			    const uint8_t *body, size_t body_len, int64_t now, int64_t *id) ST_MUST_CHECK;
/* The oldest item; ST_ERR_NOT_FOUND when the queue is empty. */
st_err st_client_outbox_peek(st_client *c, st_client_outgoing *o) ST_MUST_CHECK;
/* After the server acknowledged it; ST_ERR_NOT_FOUND when absent. */
st_err st_client_outbox_remove(st_client *c, int64_t id) ST_MUST_CHECK;
st_err st_client_outbox_count(st_client *c, int64_t *n) ST_MUST_CHECK;

/* --- history (/history) --- */

typedef struct st_client_message {
	int64_t id;
	uint64_t log_pos;
	const uint8_t *sender;
	size_t sender_len;
	const uint8_t *body;
	size_t body_len;
	int64_t sent_at;
	int64_t received_at;
} st_client_message;

/* A message of this user's own (sent), which the log will not process;
 * with app_id (else NULL) also recorded as delivered, in one transaction:
 * ST_ERR_EXISTS (nothing added) when that id of sender's already was. */
st_err st_client_history_add(st_client *c, const uint8_t *gid, size_t gid_len, const uint8_t *sender,
			     size_t sender_len, const uint8_t *app_id, size_t app_id_len, const uint8_t *body,
			     size_t body_len, int64_t sent_at, int64_t received_at) ST_MUST_CHECK;
/* The last `limit` messages of a group (1..10000), oldest first. */
st_err st_client_history(st_client *c, const uint8_t *gid, size_t gid_len, unsigned limit,
			 st_err (*fn)(void *ctx, const st_client_message *m), void *ctx) ST_MUST_CHECK;

#endif
