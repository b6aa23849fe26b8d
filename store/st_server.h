/*
 * st_server.h: the server's state in SQLite: accounts, invites, KeyPackages,
 * groups and members, each group's append-only message log, blobs.
 *
 * Invariants:
 *   - only this module (with the rest of store/) includes sqlite3.h; callers
 *     see an opaque handle and st_err results;
 *   - store/ does no cryptography: password hashes, invite-code hashes and
 *     KeyPackage references arrive already computed (net/ owns crypto/);
 *   - the schema has a version (PRAGMA user_version) and a migration table
 *     (st_migrations); opening applies the missing migrations in one
 *     transaction, and refuses a database newer than this build;
 *   - durability: WAL with synchronous=FULL, so a committed transaction
 *     survives power loss (NORMAL may lose the last commits); a busy timeout
 *     lets `echover server invite` run while the server holds the database;
 *   - a message is stored once, in its group's log; each member has an
 *     acknowledged position in that log, and log positions of a group only
 *     grow (a pruned prefix is never reused);
 *   - the first commit for epoch e wins: st_group_advance_epoch() moves the
 *     epoch only from the value the caller expects (DESIGN.md section 5).
 * Sizes: usernames 1..ST_USERNAME_MAX bytes, group ids 1..ST_GROUP_ID_MAX.
 */
#ifndef ECHOVER_ST_SERVER_H
#define ECHOVER_ST_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "st_err.h"

/* A short, static, human-readable name of an error. */
const char *st_err_str(st_err e);

#define ST_SCHEMA_VERSION 4
#define ST_USERNAME_MAX 32
#define ST_GROUP_ID_MAX 64
#define ST_HASH_LEN 32
#define ST_SALT_LEN 16
#define ST_IDENTITY_LEN 32
#define ST_BLOB_ID_LEN 16
#define ST_BUSY_TIMEOUT_MS 5000

typedef struct st_server st_server;

/* Opens (creating if needed) the database at path; ":memory:" for tests. */
st_err st_server_open(st_server **out, const char *path) ST_MUST_CHECK;
void st_server_close(st_server *s);
/* The schema version the open database is at. */
int st_server_schema_version(st_server *s);

/* Transactions: one writer at a time (BEGIN IMMEDIATE). */
st_err st_begin(st_server *s) ST_MUST_CHECK;
st_err st_commit(st_server *s) ST_MUST_CHECK;
void st_rollback(st_server *s);

/* Batches: one durable transaction around the requests of many
 * connections, so one fsync covers them all. Between st_batch_begin and
 * st_batch_commit, st_begin / st_commit / st_rollback open, release and
 * undo a savepoint inside the batch: each request still succeeds or fails
 * whole, but nothing is durable before st_batch_commit returns ST_OK. The
 * outer transaction (BEGIN IMMEDIATE) starts at the first st_begin, so a
 * batch of reads takes no write lock. A failed st_batch_commit has rolled
 * the whole batch back. Reads inside a batch see its uncommitted writes:
 * the caller holds every answer of the batch until the commit. */
st_err st_batch_begin(st_server *s) ST_MUST_CHECK;
st_err st_batch_commit(st_server *s) ST_MUST_CHECK;
void st_batch_rollback(st_server *s);
bool st_batch_is_open(const st_server *s);
/* Fault injection for tests: while veto(ctx) returns true, every durable
 * commit fails (SQLite rolls it back, as after a failed write); NULL: none. */
void st_server_set_commit_veto(st_server *s, bool (*veto)(void *ctx), void *ctx);

/* Username rules: 1..32 bytes of [a-z0-9_.-], starting with a letter, so
 * that names are unambiguous in a terminal and in logs (no case folding, no
 * look-alike Unicode). */
bool st_username_valid(const uint8_t *name, size_t n);

typedef enum st_role { ST_ROLE_MEMBER = 0, ST_ROLE_ADMIN = 1, ST_ROLE_OWNER = 2 } st_role;

typedef struct st_user {
	int64_t id;
	char name[ST_USERNAME_MAX + 1];
	uint8_t identity[ST_IDENTITY_LEN];    /* Ed25519 public key */
	uint8_t pw_hash[ST_HASH_LEN];         /* Argon2id output */
	uint8_t salt[ST_SALT_LEN];
	uint32_t ops, mem_kib;                /* Argon2id parameters of pw_hash */
	int64_t created;                      /* unix seconds */
} st_user;

/* Adds a user (name must be valid); *id gets its id. ST_ERR_EXISTS if taken. */
st_err st_user_add(st_server *s, const st_user *u, int64_t *id) ST_MUST_CHECK;
st_err st_user_get(st_server *s, const uint8_t *name, size_t n, st_user *u) ST_MUST_CHECK;
st_err st_user_get_id(st_server *s, int64_t id, st_user *u) ST_MUST_CHECK;
/* Calls fn for every user in name order; fn's non-OK result stops and is returned. */
st_err st_user_list(st_server *s, st_err (*fn)(void *ctx, const st_user *u), void *ctx) ST_MUST_CHECK;

/* Invites: the store keeps only a hash of each one-time code. */
st_err st_invite_add(st_server *s, const uint8_t hash[ST_HASH_LEN], int64_t now) ST_MUST_CHECK;
/* Marks the invite used by user; ST_ERR_NOT_FOUND if unknown or already used. */
st_err st_invite_use(st_server *s, const uint8_t hash[ST_HASH_LEN], int64_t user, int64_t now) ST_MUST_CHECK;

/* KeyPackages. A one-time one is consumed by a fetch; a user has at most
 * one last-resort KeyPackage (a new one replaces it), never consumed.
 * ref: the KeyPackageRef (RFC 9420 section 5.2), unique. */
st_err st_kp_add(st_server *s, int64_t user, const uint8_t ref[ST_HASH_LEN], const uint8_t *kp,
		 size_t n, bool last_resort) ST_MUST_CHECK;
/* Takes the oldest one-time KeyPackage (deleting it) or else the last-resort
 * one; *kp is malloc'ed (free()). ST_ERR_NOT_FOUND when the user has none. */
st_err st_kp_take(st_server *s, int64_t user, uint8_t **kp, size_t *n, bool *last_resort) ST_MUST_CHECK;
st_err st_kp_count(st_server *s, int64_t user, int64_t *one_time) ST_MUST_CHECK;

/* Groups. */
typedef struct st_group {
	int64_t id;
	uint64_t epoch;
	uint64_t next_pos;  /* position the next log entry gets (first is 1) */
	bool dm;            /* a DM group: two members at most (net/dm.h) */
} st_group;
/* Creates the group at epoch 0 with owner as its only member (role owner). */
st_err st_group_create(st_server *s, const uint8_t *gid, size_t n, int64_t owner, int64_t *id) ST_MUST_CHECK;
st_err st_group_get(st_server *s, const uint8_t *gid, size_t n, st_group *g) ST_MUST_CHECK;
/* Compare-and-set of the epoch: from `expect` to expect + 1, or
 * ST_ERR_CONFLICT. Clears every member's leaving mark. */
st_err st_group_advance_epoch(st_server *s, int64_t group, uint64_t expect) ST_MUST_CHECK;

/* Members: role and the last log position the member acknowledged. */
st_err st_member_add(st_server *s, int64_t group, int64_t user, st_role role, uint64_t acked) ST_MUST_CHECK;
st_err st_member_remove(st_server *s, int64_t group, int64_t user) ST_MUST_CHECK;
st_err st_member_get(st_server *s, int64_t group, int64_t user, st_role *role, uint64_t *acked) ST_MUST_CHECK;
st_err st_member_count(st_server *s, int64_t group, int64_t *n) ST_MUST_CHECK;
/* Moves the member's acknowledged position forward to pos; pos must be
 * >= the current one and < the group's next_pos (ST_ERR_ARG otherwise). */
st_err st_member_ack(st_server *s, int64_t group, int64_t user, uint64_t pos) ST_MUST_CHECK;

/* Marks a group as a DM group (set once, by DM_CREATE). */
st_err st_group_mark_dm(st_server *s, int64_t group) ST_MUST_CHECK;

/* A group as one of its members sees it. */
typedef struct st_user_group {
	int64_t id;
	uint8_t gid[ST_GROUP_ID_MAX];
	size_t gid_len;
	st_role role;
	uint64_t epoch, acked, next_pos;
	bool dm;
} st_user_group;
/* Calls fn for every group user is a member of, in group id order. */
st_err st_user_groups(st_server *s, int64_t user, st_err (*fn)(void *ctx, const st_user_group *g),
		      void *ctx) ST_MUST_CHECK;

typedef struct st_member {
	int64_t user;
	char name[ST_USERNAME_MAX + 1];
	st_role role;
	bool leaving;       /* asked to leave in the current epoch */
} st_member;
/* Calls fn for every member of group, in the order they joined. */
st_err st_member_list(st_server *s, int64_t group, st_err (*fn)(void *ctx, const st_member *m),
		      void *ctx) ST_MUST_CHECK;
st_err st_member_set_role(st_server *s, int64_t group, int64_t user, st_role role) ST_MUST_CHECK;
/* Marks a member leaving (its self-remove proposal is on the log); the mark
 * lasts until the epoch moves (st_group_advance_epoch clears it). */
st_err st_member_set_leaving(st_server *s, int64_t group, int64_t user) ST_MUST_CHECK;
/* Whether a member is marked leaving; ST_ERR_NOT_FOUND for a non-member. */
st_err st_member_leaving(st_server *s, int64_t group, int64_t user, bool *leaving) ST_MUST_CHECK;
/* When no member is owner any more, the longest-standing admin, else the
 * longest-standing member, becomes owner; *promoted gets that user's id
 * (0 when the group has an owner, or no member at all). */
st_err st_group_ensure_owner(st_server *s, int64_t group, int64_t *promoted) ST_MUST_CHECK;
/* Users other than user that share a group with it, once each, in name
 * order. */
st_err st_user_peers(st_server *s, int64_t user, st_err (*fn)(void *ctx, int64_t id, const char *name),
		     void *ctx) ST_MUST_CHECK;

/* Join requests: at most one pending per user and group (ST_ERR_EXISTS).
 * pos is the request's log entry. A request ends when the user is added
 * (st_member_add) or when every member has acknowledged its entry
 * (st_log_prune): then the user may ask again. */
st_err st_join_request_add(st_server *s, int64_t group, int64_t user, uint64_t pos) ST_MUST_CHECK;

/* The group log. */
typedef struct st_log_entry {
	uint64_t pos;
	int64_t sender;
	uint8_t kind;
	uint64_t epoch;
	const uint8_t *data;  /* valid during the callback only */
	size_t n;
} st_log_entry;
/* Appends; *pos gets the entry's position. */
st_err st_log_append(st_server *s, int64_t group, int64_t sender, uint8_t kind, uint64_t epoch,
		     const uint8_t *data, size_t n, uint64_t *pos) ST_MUST_CHECK;
/* Calls fn for at most max entries with position > after, in order. */
st_err st_log_fetch(st_server *s, int64_t group, uint64_t after, uint32_t max,
		    st_err (*fn)(void *ctx, const st_log_entry *e), void *ctx) ST_MUST_CHECK;
/* Log entries not yet acknowledged by every member (the mailbox limit). */
st_err st_log_unacked(st_server *s, int64_t group, int64_t *n) ST_MUST_CHECK;
/* Deletes the prefix every member has acknowledged; *deleted counts rows. */
st_err st_log_prune(st_server *s, int64_t group, int64_t *deleted) ST_MUST_CHECK;

/* Blobs: opaque (client-encrypted) file data under a random 16-byte id the
 * caller draws, uploaded in order in pieces: `written` bytes have arrived,
 * each piece at offset == written, never past the declared size; the blob is
 * complete once the caller has checked the declared hash and set it. Quotas
 * count declared sizes, so an unfinished upload holds its room until it
 * completes or expires.
 *
 * The caller hashes the pieces as they arrive and stores its SHA-256 state
 * with each one (st_blob_hash, crypto/hash.h cr_sha256_save), in the same
 * statement that advances `written`: the state always describes exactly the
 * bytes stored, whichever connection wrote them, and rolls back with them. */
#define ST_HASH_BLOCK 64
typedef struct st_blob_hash {
	uint8_t mid[ST_HASH_LEN];          /* chaining value after written - tail_len bytes */
	uint8_t tail[ST_HASH_BLOCK - 1];   /* the bytes after those whole blocks */
	size_t tail_len;                   /* written % ST_HASH_BLOCK */
} st_blob_hash;
typedef struct st_blob {
	uint8_t id[ST_BLOB_ID_LEN];
	int64_t owner;
	uint64_t size;                 /* declared, 1.. */
	uint8_t hash[ST_HASH_LEN];     /* declared SHA-256 of the content */
	int64_t created;               /* unix seconds */
	uint64_t written;              /* bytes stored so far */
	bool complete;
	bool has_hash;                 /* false before the first piece */
	st_blob_hash hashed;           /* the hash state after `written` bytes */
} st_blob;
/* Creates b (written, complete and the hash state are ignored: none yet);
 * ST_ERR_EXISTS if the id is taken. */
st_err st_blob_create(st_server *s, const st_blob *b) ST_MUST_CHECK;
/* ST_ERR_DB when the stored hash state does not fit `written` (corrupt). */
st_err st_blob_get(st_server *s, const uint8_t id[ST_BLOB_ID_LEN], st_blob *b) ST_MUST_CHECK;
/* Appends data[n] (n >= 1) at offset, which must equal the bytes written,
 * with offset + n within the size and the blob not complete, and stores h,
 * the hash state after offset + n bytes, whose tail_len must be
 * (offset + n) % ST_HASH_BLOCK (ST_ERR_ARG otherwise). */
st_err st_blob_append(st_server *s, const uint8_t id[ST_BLOB_ID_LEN], uint64_t offset, const uint8_t *data,
		      size_t n, const st_blob_hash *h) ST_MUST_CHECK;
/* Copies stored bytes [offset, offset + n) into out[n], or as many as are
 * stored from offset; *got counts them. */
st_err st_blob_read(st_server *s, const uint8_t id[ST_BLOB_ID_LEN], uint64_t offset, uint8_t *out, size_t n,
		    size_t *got) ST_MUST_CHECK;
/* Calls fn on every stored piece in order (to check a stored blob whole). */
st_err st_blob_each_chunk(st_server *s, const uint8_t id[ST_BLOB_ID_LEN],
			  void (*fn)(void *ctx, const uint8_t *p, size_t n), void *ctx) ST_MUST_CHECK;
/* Marks a fully written blob complete (ST_ERR_ARG when bytes are missing). */
st_err st_blob_set_complete(st_server *s, const uint8_t id[ST_BLOB_ID_LEN]) ST_MUST_CHECK;
/* Deletes the blob and its pieces; ST_ERR_NOT_FOUND if there is none. */
st_err st_blob_delete(st_server *s, const uint8_t id[ST_BLOB_ID_LEN]) ST_MUST_CHECK;
/* Declared bytes of all an owner's blobs, complete or not (for quotas). */
st_err st_blob_usage(st_server *s, int64_t owner, uint64_t *bytes) ST_MUST_CHECK;
/* Deletes every blob created before `before`; *deleted counts them. */
st_err st_blob_expire(st_server *s, int64_t before, int64_t *deleted) ST_MUST_CHECK;

#endif
