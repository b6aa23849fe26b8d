/*
 * st_server.c: the server's SQLite schema and queries (st_server.h).
 *
 * Every query is a prepared statement from one table below, prepared on first
 * use and kept for the life of the handle; a statement is reset before each
 * use, so no call leaves one half-stepped.
 */
#include "st_server_int.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

/* Migrations, in order; migration i brings the schema to version i + 1. */
static const char *const migrations[] = {
	"CREATE TABLE users ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  identity BLOB NOT NULL CHECK (length(identity) = 32),"
	"  pw_hash BLOB NOT NULL CHECK (length(pw_hash) = 32),"
	"  salt BLOB NOT NULL CHECK (length(salt) = 16),"
	"  ops INTEGER NOT NULL, mem_kib INTEGER NOT NULL,"
	"  created INTEGER NOT NULL);"
	"CREATE TABLE invites ("
	"  hash BLOB PRIMARY KEY CHECK (length(hash) = 32),"
	"  created INTEGER NOT NULL,"
	"  used_by INTEGER REFERENCES users(id), used_at INTEGER);"
	"CREATE TABLE key_packages ("
	"  id INTEGER PRIMARY KEY,"
	"  user_id INTEGER NOT NULL REFERENCES users(id),"
	"  ref BLOB NOT NULL UNIQUE CHECK (length(ref) = 32),"
	"  kp BLOB NOT NULL,"
	"  last_resort INTEGER NOT NULL CHECK (last_resort IN (0, 1)));"
	"CREATE INDEX key_packages_user ON key_packages(user_id, last_resort, id);"
	"CREATE TABLE groups ("
	"  id INTEGER PRIMARY KEY,"
	"  gid BLOB NOT NULL UNIQUE,"
	"  epoch INTEGER NOT NULL,"
	"  next_pos INTEGER NOT NULL);"
	"CREATE TABLE members ("
	"  group_id INTEGER NOT NULL REFERENCES groups(id),"
	"  user_id INTEGER NOT NULL REFERENCES users(id),"
	"  role INTEGER NOT NULL CHECK (role IN (0, 1, 2)),"
	"  acked INTEGER NOT NULL,"
	"  PRIMARY KEY (group_id, user_id)) WITHOUT ROWID;"
	"CREATE TABLE log ("
	"  group_id INTEGER NOT NULL REFERENCES groups(id),"
	"  pos INTEGER NOT NULL,"
	"  sender INTEGER NOT NULL,"
	"  kind INTEGER NOT NULL,"
	"  epoch INTEGER NOT NULL,"
	"  data BLOB NOT NULL,"
	"  PRIMARY KEY (group_id, pos)) WITHOUT ROWID;"
	"CREATE TABLE blobs ("
	"  id INTEGER PRIMARY KEY,"
	"  owner INTEGER NOT NULL REFERENCES users(id),"
	"  hash BLOB NOT NULL CHECK (length(hash) = 32),"
	"  data BLOB NOT NULL,"
	"  created INTEGER NOT NULL);"
	"CREATE INDEX blobs_owner ON blobs(owner);",
	/* 2: roles, joining and leaving, DM groups (net/PROTOCOL.md). `joined`
	 * orders members by seniority for owner promotion; rows from before
	 * tie at 0 and are ordered by user id. `leaving` is set by a
	 * self-remove proposal and cleared when the epoch moves. */
	"ALTER TABLE members ADD COLUMN joined INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE members ADD COLUMN leaving INTEGER NOT NULL DEFAULT 0 CHECK (leaving IN (0, 1));"
	"ALTER TABLE groups ADD COLUMN dm INTEGER NOT NULL DEFAULT 0 CHECK (dm IN (0, 1));"
	"CREATE INDEX members_user ON members(user_id);"
	"CREATE TABLE join_requests ("
	"  group_id INTEGER NOT NULL REFERENCES groups(id),"
	"  user_id INTEGER NOT NULL REFERENCES users(id),"
	"  pos INTEGER NOT NULL,"
	"  PRIMARY KEY (group_id, user_id)) WITHOUT ROWID;",
	/* 3: blobs uploaded in chunks under a random id, with a declared size
	 * and hash, complete once every byte arrived and the hash matched. The
	 * table of version 1 held whole blobs; no frame ever wrote it. */
	"DROP TABLE blobs;"
	"CREATE TABLE blobs ("
	"  id BLOB PRIMARY KEY CHECK (length(id) = 16),"
	"  owner INTEGER NOT NULL REFERENCES users(id),"
	"  size INTEGER NOT NULL CHECK (size > 0),"
	"  hash BLOB NOT NULL CHECK (length(hash) = 32),"
	"  created INTEGER NOT NULL,"
	"  written INTEGER NOT NULL CHECK (written BETWEEN 0 AND size),"
	"  complete INTEGER NOT NULL CHECK (complete IN (0, 1))) WITHOUT ROWID;"
	"CREATE INDEX blobs_owner ON blobs(owner);"
	"CREATE INDEX blobs_created ON blobs(created);"
	/* A rowid table: chunks are large, and WITHOUT ROWID suits small rows. */
	"CREATE TABLE blob_chunks ("
	"  id INTEGER PRIMARY KEY,"
	"  blob_id BLOB NOT NULL REFERENCES blobs(id),"
	"  off INTEGER NOT NULL,"
	"  data BLOB NOT NULL,"
	"  UNIQUE (blob_id, off));",
	/* 4: the SHA-256 of an upload so far, kept with the blob and updated in
	 * the transaction of each piece (st_blob_hash), so that the last piece's
	 * check needs no pass over the blob and an upload goes on from any
	 * connection. Uploads unfinished at the upgrade have no such state and
	 * are dropped: their clients get NOT_FOUND and start a new blob. */
	"DELETE FROM blob_chunks WHERE blob_id IN (SELECT id FROM blobs WHERE complete = 0);"
	"DELETE FROM blobs WHERE complete = 0;"
	"ALTER TABLE blobs ADD COLUMN hash_mid BLOB CHECK (hash_mid IS NULL OR length(hash_mid) = 32);"
	"ALTER TABLE blobs ADD COLUMN hash_tail BLOB CHECK (hash_tail IS NULL OR length(hash_tail) < 64);",
};
#define N_MIGRATIONS (sizeof migrations / sizeof migrations[0])
#if ST_SCHEMA_VERSION != 4
#error "ST_SCHEMA_VERSION must equal the number of migrations"
#endif

static const char *const sql[Q_COUNT] = {
	[Q_BEGIN] = "BEGIN IMMEDIATE",
	[Q_COMMIT] = "COMMIT",
	[Q_ROLLBACK] = "ROLLBACK",
	[Q_SP] = "SAVEPOINT st_request",
	[Q_SP_RELEASE] = "RELEASE st_request",
	[Q_SP_ROLLBACK] = "ROLLBACK TO st_request",
	[Q_USER_ADD] = "INSERT INTO users (name, identity, pw_hash, salt, ops, mem_kib, created)"
		       " VALUES (?, ?, ?, ?, ?, ?, ?)",
	[Q_USER_GET] = "SELECT id, name, identity, pw_hash, salt, ops, mem_kib, created FROM users WHERE name = ?",
	[Q_USER_GET_ID] = "SELECT id, name, identity, pw_hash, salt, ops, mem_kib, created FROM users WHERE id = ?",
	[Q_USER_LIST] = "SELECT id, name, identity, pw_hash, salt, ops, mem_kib, created FROM users ORDER BY name",
	[Q_INVITE_ADD] = "INSERT INTO invites (hash, created) VALUES (?, ?)",
	[Q_INVITE_USE] = "UPDATE invites SET used_by = ?, used_at = ? WHERE hash = ? AND used_by IS NULL",
	[Q_KP_ADD] = "INSERT INTO key_packages (user_id, ref, kp, last_resort) VALUES (?, ?, ?, ?)",
	[Q_KP_DEL_LAST_RESORT] = "DELETE FROM key_packages WHERE user_id = ? AND last_resort = 1",
	[Q_KP_FIRST] = "SELECT id, kp, last_resort FROM key_packages WHERE user_id = ?"
		       " ORDER BY last_resort, id LIMIT 1",
	[Q_KP_DEL] = "DELETE FROM key_packages WHERE id = ?",
	[Q_KP_COUNT] = "SELECT count(*) FROM key_packages WHERE user_id = ? AND last_resort = 0",
	[Q_GROUP_ADD] = "INSERT INTO groups (gid, epoch, next_pos) VALUES (?, 0, 1)",
	[Q_GROUP_GET] = "SELECT id, epoch, next_pos, dm FROM groups WHERE gid = ?",
	[Q_GROUP_ADVANCE] = "UPDATE groups SET epoch = epoch + 1 WHERE id = ? AND epoch = ?",
	[Q_GROUP_NEXT_POS] = "SELECT next_pos FROM groups WHERE id = ?",
	[Q_GROUP_BUMP_POS] = "UPDATE groups SET next_pos = next_pos + 1 WHERE id = ?",
	[Q_MEMBER_ADD] = "INSERT INTO members (group_id, user_id, role, acked, joined) VALUES (?1, ?2, ?3, ?4,"
			 " (SELECT coalesce(max(joined), 0) + 1 FROM members WHERE group_id = ?1))",
	[Q_MEMBER_DEL] = "DELETE FROM members WHERE group_id = ? AND user_id = ?",
	[Q_MEMBER_GET] = "SELECT role, acked FROM members WHERE group_id = ? AND user_id = ?",
	[Q_MEMBER_COUNT] = "SELECT count(*) FROM members WHERE group_id = ?",
	[Q_MEMBER_ACK] = "UPDATE members SET acked = ?3 WHERE group_id = ?1 AND user_id = ?2 AND acked <= ?3"
			 " AND ?3 < (SELECT next_pos FROM groups WHERE id = ?1)",
	[Q_LOG_ADD] = "INSERT INTO log (group_id, pos, sender, kind, epoch, data) VALUES (?, ?, ?, ?, ?, ?)",
	[Q_LOG_FETCH] = "SELECT pos, sender, kind, epoch, data FROM log WHERE group_id = ? AND pos > ?"
			" ORDER BY pos LIMIT ?",
	[Q_LOG_PRUNE] = "DELETE FROM log WHERE group_id = ?1 AND pos <="
			" (SELECT min(acked) FROM members WHERE group_id = ?1)",
	[Q_BLOB_ADD] = "INSERT INTO blobs (id, owner, size, hash, created, written, complete)"
		       " VALUES (?, ?, ?, ?, ?, 0, 0)",
	[Q_BLOB_GET] = "SELECT owner, size, hash, created, written, complete, hash_mid, hash_tail FROM blobs"
		       " WHERE id = ?",
	[Q_BLOB_ADVANCE] = "UPDATE blobs SET written = written + ?3, hash_mid = ?4, hash_tail = ?5"
			   " WHERE id = ?1 AND complete = 0 AND written = ?2 AND ?2 + ?3 <= size",
	[Q_BLOB_CHUNK_ADD] = "INSERT INTO blob_chunks (blob_id, off, data) VALUES (?, ?, ?)",
	/* From the chunk that holds `from` up to the one that holds `to - 1`. */
	[Q_BLOB_RANGE] = "SELECT off, data FROM blob_chunks WHERE blob_id = ?1 AND off >="
			 " (SELECT max(off) FROM blob_chunks WHERE blob_id = ?1 AND off <= ?2)"
			 " AND off < ?3 ORDER BY off",
	[Q_BLOB_CHUNKS] = "SELECT data FROM blob_chunks WHERE blob_id = ? ORDER BY off",
	[Q_BLOB_COMPLETE] = "UPDATE blobs SET complete = 1 WHERE id = ? AND written = size",
	[Q_BLOB_DEL_CHUNKS] = "DELETE FROM blob_chunks WHERE blob_id = ?",
	[Q_BLOB_DEL] = "DELETE FROM blobs WHERE id = ?",
	[Q_GROUP_CLEAR_LEAVING] = "UPDATE members SET leaving = 0 WHERE group_id = ? AND leaving = 1",
	[Q_GROUP_SET_DM] = "UPDATE groups SET dm = 1 WHERE id = ?",
	[Q_GROUPS_OF_USER] = "SELECT g.id, g.gid, g.epoch, g.next_pos, g.dm, m.role, m.acked FROM members m"
			     " JOIN groups g ON g.id = m.group_id WHERE m.user_id = ? ORDER BY g.gid",
	[Q_MEMBER_LIST] = "SELECT m.user_id, u.name, m.role, m.leaving FROM members m JOIN users u ON u.id = m.user_id"
			  " WHERE m.group_id = ? ORDER BY m.joined, m.user_id",
	[Q_MEMBER_SET_ROLE] = "UPDATE members SET role = ? WHERE group_id = ? AND user_id = ?",
	[Q_MEMBER_SET_LEAVING] = "UPDATE members SET leaving = 1 WHERE group_id = ? AND user_id = ?",
	[Q_OWNER_COUNT] = "SELECT count(*) FROM members WHERE group_id = ? AND role = 2",
	[Q_OWNER_CANDIDATE] = "SELECT user_id FROM members WHERE group_id = ?"
			      " ORDER BY role DESC, joined, user_id LIMIT 1",
	[Q_LOG_UNACKED] = "SELECT count(*) FROM log WHERE group_id = ?1 AND pos >"
			  " (SELECT coalesce(min(acked), 0) FROM members WHERE group_id = ?1)",
	[Q_USER_PEERS] = "SELECT DISTINCT u.id, u.name FROM members a JOIN members b ON b.group_id = a.group_id"
			 " JOIN users u ON u.id = b.user_id WHERE a.user_id = ?1 AND b.user_id != ?1 ORDER BY u.name",
	[Q_MEMBER_LEAVING] = "SELECT leaving FROM members WHERE group_id = ? AND user_id = ?",
	[Q_JOIN_ADD] = "INSERT INTO join_requests (group_id, user_id, pos) VALUES (?, ?, ?)",
	[Q_JOIN_DEL] = "DELETE FROM join_requests WHERE group_id = ? AND user_id = ?",
	[Q_JOIN_PRUNE] = "DELETE FROM join_requests WHERE group_id = ?1 AND pos <="
			 " (SELECT coalesce(min(acked), 0) FROM members WHERE group_id = ?1)",
	[Q_BLOB_USAGE] = "SELECT coalesce(sum(size), 0) FROM blobs WHERE owner = ?",
	[Q_BLOB_EXPIRE_CHUNKS] = "DELETE FROM blob_chunks WHERE blob_id IN (SELECT id FROM blobs WHERE created < ?)",
	[Q_BLOB_EXPIRE] = "DELETE FROM blobs WHERE created < ?",
};

const char *st_err_str(st_err e)
{
	switch (e) {
	case ST_OK: return "ok";
	case ST_ERR_DB: return "database error";
	case ST_ERR_NOT_FOUND: return "not found";
	case ST_ERR_EXISTS: return "already exists";
	case ST_ERR_CONFLICT: return "conflict";
	case ST_ERR_ARG: return "invalid argument";
	case ST_ERR_NOMEM: return "out of memory";
	case ST_ERR_VERSION: return "database schema is newer than this build";
	}
	return "unknown store error";
}

/* The statement for q, prepared on first use and reset. */
sqlite3_stmt *st_server_stmt(st_server *s, enum q which)
{
	sqlite3_stmt *st = s->stmt[which];
	if (!st) {
		if (sqlite3_prepare_v3(s->db, sql[which], -1, SQLITE_PREPARE_PERSISTENT, &s->stmt[which], NULL) !=
		    SQLITE_OK)
			return NULL;
		return s->stmt[which];
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return st;
}

int st_server_bind_blob(sqlite3_stmt *st, int i, const uint8_t *p, size_t n)
{
	/* A zero-length blob must still be a blob, never NULL. */
	if (n == 0)
		return sqlite3_bind_zeroblob(st, i, 0);
	if (n > (size_t)INT32_MAX)
		return SQLITE_TOOBIG;
	return sqlite3_bind_blob(st, i, p, (int)n, SQLITE_TRANSIENT);
}

static st_err exec(st_server *s, const char *text)
{
	return sqlite3_exec(s->db, text, NULL, NULL, NULL) == SQLITE_OK ? ST_OK : ST_ERR_DB;
}

static st_err pragma_int(st_server *s, const char *text, int *v)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, text, -1, &st, NULL) != SQLITE_OK)
		return ST_ERR_DB;
	st_err e = ST_ERR_DB;
	if (sqlite3_step(st) == SQLITE_ROW) {
		*v = sqlite3_column_int(st, 0);
		e = ST_OK;
	}
	sqlite3_finalize(st);
	return e;
}

static st_err migrate(st_server *s)
{
	int v;
	ST_TRY(pragma_int(s, "PRAGMA user_version", &v));
	if (v > (int)N_MIGRATIONS)
		return ST_ERR_VERSION;
	if (v == (int)N_MIGRATIONS) {
		s->version = v;
		return ST_OK;
	}
	ST_TRY(exec(s, "BEGIN IMMEDIATE"));
	st_err e = exec(s, "CREATE TABLE IF NOT EXISTS st_migrations ("
			   " version INTEGER PRIMARY KEY, applied INTEGER NOT NULL)");
	/* Re-read under the write lock: another process may have migrated. */
	if (!e)
		e = pragma_int(s, "PRAGMA user_version", &v);
	for (size_t i = (size_t)v; !e && i < N_MIGRATIONS; i++) {
		char buf[128];
		e = exec(s, migrations[i]);
		if (!e) {
			sqlite3_snprintf(sizeof buf, buf,
					 "INSERT INTO st_migrations VALUES (%d, strftime('%%s', 'now'));"
					 "PRAGMA user_version = %d",
					 (int)i + 1, (int)i + 1);
			e = exec(s, buf);
		}
	}
	if (!e)
		e = exec(s, "COMMIT");
	if (e) {
		(void)exec(s, "ROLLBACK");
		return e;
	}
	s->version = (int)N_MIGRATIONS;
	return ST_OK;
}

st_err st_server_open(st_server **out, const char *path)
{
	*out = NULL;
	st_server *s = calloc(1, sizeof *s);
	if (!s)
		return ST_ERR_NOMEM;
	st_err e = ST_ERR_DB;
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK)
		goto fail;
	sqlite3_extended_result_codes(s->db, 1);
	if (sqlite3_busy_timeout(s->db, ST_BUSY_TIMEOUT_MS) != SQLITE_OK)
		goto fail;
	/* WAL + FULL: a committed transaction survives a crash or power loss. */
	if ((e = exec(s, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
			 "PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON")))
		goto fail;
	if ((e = migrate(s)))
		goto fail;
	*out = s;
	return ST_OK;
fail:
	st_server_close(s);
	return e;
}

void st_server_close(st_server *s)
{
	if (!s)
		return;
	for (int i = 0; i < Q_COUNT; i++)
		sqlite3_finalize(s->stmt[i]);
	sqlite3_close(s->db);
	free(s);
}

int st_server_schema_version(st_server *s)
{
	return s->version;
}

static st_err run1(st_server *s, enum q which)
{
	STMT(st, which);
	return st_sql_run(st);
}

st_err st_begin(st_server *s)
{
	if (!s->batch)
		return run1(s, Q_BEGIN);
	/* The batch's transaction starts with its first writer, so a wake-up
	 * that only reads takes no write lock. */
	if (!s->batch_tx) {
		ST_TRY(run1(s, Q_BEGIN));
		s->batch_tx = true;
	}
	ST_TRY(run1(s, Q_SP));
	s->in_request = true;
	return ST_OK;
}

st_err st_commit(st_server *s)
{
	if (!s->batch)
		return run1(s, Q_COMMIT);
	ST_TRY(run1(s, Q_SP_RELEASE));
	s->in_request = false;
	return ST_OK;
}

void st_rollback(st_server *s)
{
	if (s->batch) {
		/* Undo this request only; the batch goes on. */
		if (s->in_request && run1(s, Q_SP_ROLLBACK) == ST_OK && run1(s, Q_SP_RELEASE) == ST_OK)
			s->in_request = false;
		return;
	}
	sqlite3_stmt *st = st_server_stmt(s, Q_ROLLBACK);
	if (st && sqlite3_get_autocommit(s->db) == 0)
		(void)st_sql_run(st);
}

st_err st_batch_begin(st_server *s)
{
	if (s->batch)
		return ST_ERR_ARG;
	s->batch = true;
	s->batch_tx = false;
	s->in_request = false;
	return ST_OK;
}

st_err st_batch_commit(st_server *s)
{
	if (!s->batch)
		return ST_ERR_ARG;
	bool tx = s->batch_tx;
	s->batch = s->batch_tx = s->in_request = false;
	if (!tx)
		return ST_OK;
	st_err e = run1(s, Q_COMMIT);
	if (e) {
		sqlite3_stmt *st = st_server_stmt(s, Q_ROLLBACK);
		if (st && sqlite3_get_autocommit(s->db) == 0)
			(void)st_sql_run(st);
	}
	return e;
}

void st_batch_rollback(st_server *s)
{
	bool tx = s->batch_tx;
	s->batch = s->batch_tx = s->in_request = false;
	sqlite3_stmt *st = st_server_stmt(s, Q_ROLLBACK);
	if (tx && st && sqlite3_get_autocommit(s->db) == 0)
		(void)st_sql_run(st);
}

bool st_batch_is_open(const st_server *s)
{
	return s->batch;
}

/* SQLite turns the COMMIT into a ROLLBACK when the hook says so. */
static int commit_hook(void *ctx)
{
	st_server *s = ctx;
	return s->veto && s->veto(s->veto_ctx);
}

void st_server_set_commit_veto(st_server *s, bool (*veto)(void *ctx), void *ctx)
{
	s->veto = veto;
	s->veto_ctx = ctx;
	sqlite3_commit_hook(s->db, veto ? commit_hook : NULL, s);
}

bool st_username_valid(const uint8_t *name, size_t n)
{
	if (n < 1 || n > ST_USERNAME_MAX || !(name[0] >= 'a' && name[0] <= 'z'))
		return false;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

bool st_server_col_fixed(sqlite3_stmt *st, int i, uint8_t *out, size_t n)
{
	if (sqlite3_column_bytes(st, i) != (int)n)
		return false;
	const void *p = sqlite3_column_blob(st, i);
	if (!p)
		return false;
	memcpy(out, p, n);
	return true;
}

static st_err read_user(sqlite3_stmt *st, st_user *u)
{
	memset(u, 0, sizeof *u);
	u->id = sqlite3_column_int64(st, 0);
	const unsigned char *name = sqlite3_column_text(st, 1);
	int nlen = sqlite3_column_bytes(st, 1);
	if (!name || nlen < 1 || nlen > ST_USERNAME_MAX)
		return ST_ERR_DB;
	memcpy(u->name, name, (size_t)nlen);
	if (!st_server_col_fixed(st, 2, u->identity, sizeof u->identity) ||
	    !st_server_col_fixed(st, 3, u->pw_hash, sizeof u->pw_hash) ||
	    !st_server_col_fixed(st, 4, u->salt, sizeof u->salt))
		return ST_ERR_DB;
	u->ops = (uint32_t)sqlite3_column_int64(st, 5);
	u->mem_kib = (uint32_t)sqlite3_column_int64(st, 6);
	u->created = sqlite3_column_int64(st, 7);
	return ST_OK;
}

st_err st_user_add(st_server *s, const st_user *u, int64_t *id)
{
	size_t n = strnlen(u->name, sizeof u->name);
	if (!st_username_valid((const uint8_t *)u->name, n))
		return ST_ERR_ARG;
	STMT(st, Q_USER_ADD);
	BIND(sqlite3_bind_text(st, 1, u->name, (int)n, SQLITE_TRANSIENT));
	BIND(st_server_bind_blob(st, 2, u->identity, sizeof u->identity));
	BIND(st_server_bind_blob(st, 3, u->pw_hash, sizeof u->pw_hash));
	BIND(st_server_bind_blob(st, 4, u->salt, sizeof u->salt));
	BIND(sqlite3_bind_int64(st, 5, u->ops));
	BIND(sqlite3_bind_int64(st, 6, u->mem_kib));
	BIND(sqlite3_bind_int64(st, 7, u->created));
	ST_TRY(st_sql_run(st));
	*id = sqlite3_last_insert_rowid(s->db);
	return ST_OK;
}

st_err st_user_get(st_server *s, const uint8_t *name, size_t n, st_user *u)
{
	if (!st_username_valid(name, n))
		return ST_ERR_NOT_FOUND;
	STMT(st, Q_USER_GET);
	BIND(sqlite3_bind_text(st, 1, (const char *)name, (int)n, SQLITE_TRANSIENT));
	ST_TRY(st_sql_row(st));
	st_err e = read_user(st, u);
	sqlite3_reset(st);
	return e;
}

st_err st_user_get_id(st_server *s, int64_t id, st_user *u)
{
	STMT(st, Q_USER_GET_ID);
	BIND(sqlite3_bind_int64(st, 1, id));
	ST_TRY(st_sql_row(st));
	st_err e = read_user(st, u);
	sqlite3_reset(st);
	return e;
}

st_err st_user_list(st_server *s, st_err (*fn)(void *ctx, const st_user *u), void *ctx)
{
	STMT(st, Q_USER_LIST);
	st_err e = ST_OK;
	int rc;
	while (!e && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		st_user u;
		e = read_user(st, &u);
		if (!e)
			e = fn(ctx, &u);
	}
	if (!e && rc != SQLITE_DONE)
		e = ST_ERR_DB;
	sqlite3_reset(st);
	return e;
}

st_err st_invite_add(st_server *s, const uint8_t hash[ST_HASH_LEN], int64_t now)
{
	STMT(st, Q_INVITE_ADD);
	BIND(st_server_bind_blob(st, 1, hash, ST_HASH_LEN));
	BIND(sqlite3_bind_int64(st, 2, now));
	return st_sql_run(st);
}

st_err st_invite_use(st_server *s, const uint8_t hash[ST_HASH_LEN], int64_t user, int64_t now)
{
	STMT(st, Q_INVITE_USE);
	BIND(sqlite3_bind_int64(st, 1, user));
	BIND(sqlite3_bind_int64(st, 2, now));
	BIND(st_server_bind_blob(st, 3, hash, ST_HASH_LEN));
	ST_TRY(st_sql_run(st));
	return sqlite3_changes(s->db) == 1 ? ST_OK : ST_ERR_NOT_FOUND;
}

st_err st_kp_add(st_server *s, int64_t user, const uint8_t ref[ST_HASH_LEN], const uint8_t *kp, size_t n,
		 bool last_resort)
{
	if (n == 0)
		return ST_ERR_ARG;
	if (last_resort) {
		STMT(del, Q_KP_DEL_LAST_RESORT);
		BIND(sqlite3_bind_int64(del, 1, user));
		ST_TRY(st_sql_run(del));
	}
	STMT(st, Q_KP_ADD);
	BIND(sqlite3_bind_int64(st, 1, user));
	BIND(st_server_bind_blob(st, 2, ref, ST_HASH_LEN));
	BIND(st_server_bind_blob(st, 3, kp, n));
	BIND(sqlite3_bind_int(st, 4, last_resort ? 1 : 0));
	return st_sql_run(st);
}

st_err st_kp_take(st_server *s, int64_t user, uint8_t **kp, size_t *n, bool *last_resort)
{
	*kp = NULL;
	*n = 0;
	STMT(st, Q_KP_FIRST);
	BIND(sqlite3_bind_int64(st, 1, user));
	ST_TRY(st_sql_row(st));
	int64_t id = sqlite3_column_int64(st, 0);
	int len = sqlite3_column_bytes(st, 1);
	const void *p = sqlite3_column_blob(st, 1);
	*last_resort = sqlite3_column_int(st, 2) != 0;
	uint8_t *copy = len > 0 && p ? malloc((size_t)len) : NULL;
	if (copy)
		memcpy(copy, p, (size_t)len);
	sqlite3_reset(st);
	if (!copy)
		return len > 0 && p ? ST_ERR_NOMEM : ST_ERR_DB;
	if (!*last_resort) {
		sqlite3_stmt *del = st_server_stmt(s, Q_KP_DEL);
		st_err e = ST_ERR_DB;
		if (del && sqlite3_bind_int64(del, 1, id) == SQLITE_OK)
			e = st_sql_run(del);
		if (e) {
			free(copy);
			return e;
		}
	}
	*kp = copy;
	*n = (size_t)len;
	return ST_OK;
}

st_err st_server_count1(st_server *s, enum q which, int64_t a, int64_t *out)
{
	STMT(st, which);
	BIND(sqlite3_bind_int64(st, 1, a));
	ST_TRY(st_sql_row(st));
	*out = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return ST_OK;
}

st_err st_kp_count(st_server *s, int64_t user, int64_t *one_time)
{
	return st_server_count1(s, Q_KP_COUNT, user, one_time);
}

st_err st_group_create(st_server *s, const uint8_t *gid, size_t n, int64_t owner, int64_t *id)
{
	if (n < 1 || n > ST_GROUP_ID_MAX)
		return ST_ERR_ARG;
	STMT(st, Q_GROUP_ADD);
	BIND(st_server_bind_blob(st, 1, gid, n));
	ST_TRY(st_sql_run(st));
	*id = sqlite3_last_insert_rowid(s->db);
	return st_member_add(s, *id, owner, ST_ROLE_OWNER, 0);
}

st_err st_group_get(st_server *s, const uint8_t *gid, size_t n, st_group *g)
{
	if (n < 1 || n > ST_GROUP_ID_MAX)
		return ST_ERR_NOT_FOUND;
	STMT(st, Q_GROUP_GET);
	BIND(st_server_bind_blob(st, 1, gid, n));
	ST_TRY(st_sql_row(st));
	g->id = sqlite3_column_int64(st, 0);
	g->epoch = (uint64_t)sqlite3_column_int64(st, 1);
	g->next_pos = (uint64_t)sqlite3_column_int64(st, 2);
	g->dm = sqlite3_column_int(st, 3) != 0;
	sqlite3_reset(st);
	return ST_OK;
}

st_err st_group_advance_epoch(st_server *s, int64_t group, uint64_t expect)
{
	if (expect >= (uint64_t)INT64_MAX)
		return ST_ERR_CONFLICT;
	STMT(st, Q_GROUP_ADVANCE);
	BIND(sqlite3_bind_int64(st, 1, group));
	BIND(sqlite3_bind_int64(st, 2, (int64_t)expect));
	ST_TRY(st_sql_run(st));
	if (sqlite3_changes(s->db) != 1)
		return ST_ERR_CONFLICT;
	/* A leave asked for in the old epoch is void in the new one. */
	STMT(clr, Q_GROUP_CLEAR_LEAVING);
	BIND(sqlite3_bind_int64(clr, 1, group));
	return st_sql_run(clr);
}

st_err st_member_add(st_server *s, int64_t group, int64_t user, st_role role, uint64_t acked)
{
	if (acked > (uint64_t)INT64_MAX)
		return ST_ERR_ARG;
	STMT(st, Q_MEMBER_ADD);
	BIND(sqlite3_bind_int64(st, 1, group));
	BIND(sqlite3_bind_int64(st, 2, user));
	BIND(sqlite3_bind_int(st, 3, (int)role));
	BIND(sqlite3_bind_int64(st, 4, (int64_t)acked));
	ST_TRY(st_sql_run(st));
	/* Joined: a pending request of the user is answered. */
	STMT(del, Q_JOIN_DEL);
	BIND(sqlite3_bind_int64(del, 1, group));
	BIND(sqlite3_bind_int64(del, 2, user));
	return st_sql_run(del);
}

st_err st_member_remove(st_server *s, int64_t group, int64_t user)
{
	STMT(st, Q_MEMBER_DEL);
	BIND(sqlite3_bind_int64(st, 1, group));
	BIND(sqlite3_bind_int64(st, 2, user));
	ST_TRY(st_sql_run(st));
	return sqlite3_changes(s->db) == 1 ? ST_OK : ST_ERR_NOT_FOUND;
}

st_err st_member_get(st_server *s, int64_t group, int64_t user, st_role *role, uint64_t *acked)
{
	STMT(st, Q_MEMBER_GET);
	BIND(sqlite3_bind_int64(st, 1, group));
	BIND(sqlite3_bind_int64(st, 2, user));
	ST_TRY(st_sql_row(st));
	*role = (st_role)sqlite3_column_int(st, 0);
	*acked = (uint64_t)sqlite3_column_int64(st, 1);
	sqlite3_reset(st);
	return ST_OK;
}

st_err st_member_count(st_server *s, int64_t group, int64_t *n)
{
	return st_server_count1(s, Q_MEMBER_COUNT, group, n);
}

st_err st_member_ack(st_server *s, int64_t group, int64_t user, uint64_t pos)
{
	if (pos > (uint64_t)INT64_MAX)
		return ST_ERR_ARG;
	STMT(st, Q_MEMBER_ACK);
	BIND(sqlite3_bind_int64(st, 1, group));
	BIND(sqlite3_bind_int64(st, 2, user));
	BIND(sqlite3_bind_int64(st, 3, (int64_t)pos));
	ST_TRY(st_sql_run(st));
	return sqlite3_changes(s->db) == 1 ? ST_OK : ST_ERR_ARG;
}

st_err st_log_append(st_server *s, int64_t group, int64_t sender, uint8_t kind, uint64_t epoch,
		     const uint8_t *data, size_t n, uint64_t *pos)
{
	if (epoch > (uint64_t)INT64_MAX)
		return ST_ERR_ARG;
	int64_t next;
	ST_TRY(st_server_count1(s, Q_GROUP_NEXT_POS, group, &next));
	STMT(bump, Q_GROUP_BUMP_POS);
	BIND(sqlite3_bind_int64(bump, 1, group));
	ST_TRY(st_sql_run(bump));
	STMT(st, Q_LOG_ADD);
	BIND(sqlite3_bind_int64(st, 1, group));
	BIND(sqlite3_bind_int64(st, 2, next));
	BIND(sqlite3_bind_int64(st, 3, sender));
	BIND(sqlite3_bind_int(st, 4, kind));
	BIND(sqlite3_bind_int64(st, 5, (int64_t)epoch));
	BIND(st_server_bind_blob(st, 6, data, n));
	ST_TRY(st_sql_run(st));
	*pos = (uint64_t)next;
	return ST_OK;
}

st_err st_log_fetch(st_server *s, int64_t group, uint64_t after, uint32_t max,
		    st_err (*fn)(void *ctx, const st_log_entry *e), void *ctx)
{
	if (after > (uint64_t)INT64_MAX)
		return ST_ERR_ARG;
	STMT(st, Q_LOG_FETCH);
	BIND(sqlite3_bind_int64(st, 1, group));
	BIND(sqlite3_bind_int64(st, 2, (int64_t)after));
	BIND(sqlite3_bind_int64(st, 3, max));
	st_err e = ST_OK;
	int rc;
	while (!e && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		st_log_entry le;
		le.pos = (uint64_t)sqlite3_column_int64(st, 0);
		le.sender = sqlite3_column_int64(st, 1);
		le.kind = (uint8_t)sqlite3_column_int(st, 2);
		le.epoch = (uint64_t)sqlite3_column_int64(st, 3);
		le.data = sqlite3_column_blob(st, 4);
		le.n = (size_t)sqlite3_column_bytes(st, 4);
		e = fn(ctx, &le);
	}
	if (!e && rc != SQLITE_DONE)
		e = ST_ERR_DB;
	sqlite3_reset(st);
	return e;
}

st_err st_log_prune(st_server *s, int64_t group, int64_t *deleted)
{
	STMT(st, Q_LOG_PRUNE);
	BIND(sqlite3_bind_int64(st, 1, group));
	ST_TRY(st_sql_run(st));
	*deleted = sqlite3_changes(s->db);
	/* A request every member has read and nobody approved is over: the
	 * user may ask again. */
	STMT(jp, Q_JOIN_PRUNE);
	BIND(sqlite3_bind_int64(jp, 1, group));
	return st_sql_run(jp);
}

st_err st_group_mark_dm(st_server *s, int64_t group)
{
	STMT(st, Q_GROUP_SET_DM);
	BIND(sqlite3_bind_int64(st, 1, group));
	ST_TRY(st_sql_run(st));
	return sqlite3_changes(s->db) == 1 ? ST_OK : ST_ERR_NOT_FOUND;
}

st_err st_user_groups(st_server *s, int64_t user, st_err (*fn)(void *ctx, const st_user_group *g), void *ctx)
{
	STMT(st, Q_GROUPS_OF_USER);
	BIND(sqlite3_bind_int64(st, 1, user));
	st_err e = ST_OK;
	int rc;
	while (!e && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		st_user_group g;
		memset(&g, 0, sizeof g);
		g.id = sqlite3_column_int64(st, 0);
		int n = sqlite3_column_bytes(st, 1);
		const void *p = sqlite3_column_blob(st, 1);
		if (!p || n < 1 || n > ST_GROUP_ID_MAX) {
			e = ST_ERR_DB;
			break;
		}
		memcpy(g.gid, p, (size_t)n);
		g.gid_len = (size_t)n;
		g.epoch = (uint64_t)sqlite3_column_int64(st, 2);
		g.next_pos = (uint64_t)sqlite3_column_int64(st, 3);
		g.dm = sqlite3_column_int(st, 4) != 0;
		g.role = (st_role)sqlite3_column_int(st, 5);
		g.acked = (uint64_t)sqlite3_column_int64(st, 6);
		e = fn(ctx, &g);
	}
	if (!e && rc != SQLITE_DONE)
		e = ST_ERR_DB;
	sqlite3_reset(st);
	return e;
}

/* Reads (id, name) of a users row at columns i, i + 1. */
static st_err read_id_name(sqlite3_stmt *st, int i, int64_t *id, char name[ST_USERNAME_MAX + 1])
{
	*id = sqlite3_column_int64(st, i);
	const unsigned char *p = sqlite3_column_text(st, i + 1);
	int n = sqlite3_column_bytes(st, i + 1);
	if (!p || n < 1 || n > ST_USERNAME_MAX)
		return ST_ERR_DB;
	memcpy(name, p, (size_t)n);
	name[n] = 0;
	return ST_OK;
}

st_err st_member_list(st_server *s, int64_t group, st_err (*fn)(void *ctx, const st_member *m), void *ctx)
{
	STMT(st, Q_MEMBER_LIST);
	BIND(sqlite3_bind_int64(st, 1, group));
	st_err e = ST_OK;
	int rc;
	while (!e && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		st_member m;
		memset(&m, 0, sizeof m);
		e = read_id_name(st, 0, &m.user, m.name);
		if (e)
			break;
		m.role = (st_role)sqlite3_column_int(st, 2);
		m.leaving = sqlite3_column_int(st, 3) != 0;
		e = fn(ctx, &m);
	}
	if (!e && rc != SQLITE_DONE)
		e = ST_ERR_DB;
	sqlite3_reset(st);
	return e;
}

st_err st_member_set_role(st_server *s, int64_t group, int64_t user, st_role role)
{
	if ((int)role < ST_ROLE_MEMBER || role > ST_ROLE_OWNER)
		return ST_ERR_ARG;
	STMT(st, Q_MEMBER_SET_ROLE);
	BIND(sqlite3_bind_int(st, 1, (int)role));
	BIND(sqlite3_bind_int64(st, 2, group));
	BIND(sqlite3_bind_int64(st, 3, user));
	ST_TRY(st_sql_run(st));
	return sqlite3_changes(s->db) == 1 ? ST_OK : ST_ERR_NOT_FOUND;
}

st_err st_member_set_leaving(st_server *s, int64_t group, int64_t user)
{
	STMT(st, Q_MEMBER_SET_LEAVING);
	BIND(sqlite3_bind_int64(st, 1, group));
	BIND(sqlite3_bind_int64(st, 2, user));
	ST_TRY(st_sql_run(st));
	return sqlite3_changes(s->db) == 1 ? ST_OK : ST_ERR_NOT_FOUND;
}

st_err st_group_ensure_owner(st_server *s, int64_t group, int64_t *promoted)
{
	*promoted = 0;
	int64_t owners;
	ST_TRY(st_server_count1(s, Q_OWNER_COUNT, group, &owners));
	if (owners > 0)
		return ST_OK;
	int64_t user;
	st_err e = st_server_count1(s, Q_OWNER_CANDIDATE, group, &user);
	if (e == ST_ERR_NOT_FOUND)
		return ST_OK; /* no members left */
	ST_TRY(e);
	ST_TRY(st_member_set_role(s, group, user, ST_ROLE_OWNER));
	*promoted = user;
	return ST_OK;
}

st_err st_log_unacked(st_server *s, int64_t group, int64_t *n)
{
	return st_server_count1(s, Q_LOG_UNACKED, group, n);
}

st_err st_user_peers(st_server *s, int64_t user, st_err (*fn)(void *ctx, int64_t id, const char *name),
		     void *ctx)
{
	STMT(st, Q_USER_PEERS);
	BIND(sqlite3_bind_int64(st, 1, user));
	st_err e = ST_OK;
	int rc;
	while (!e && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id;
		char name[ST_USERNAME_MAX + 1];
		e = read_id_name(st, 0, &id, name);
		if (!e)
			e = fn(ctx, id, name);
	}
	if (!e && rc != SQLITE_DONE)
		e = ST_ERR_DB;
	sqlite3_reset(st);
	return e;
}

st_err st_join_request_add(st_server *s, int64_t group, int64_t user, uint64_t pos)
{
	if (pos > (uint64_t)INT64_MAX)
		return ST_ERR_ARG;
	STMT(st, Q_JOIN_ADD);
	BIND(sqlite3_bind_int64(st, 1, group));
	BIND(sqlite3_bind_int64(st, 2, user));
	BIND(sqlite3_bind_int64(st, 3, (int64_t)pos));
	return st_sql_run(st);
}

st_err st_member_leaving(st_server *s, int64_t group, int64_t user, bool *leaving)
{
	STMT(st, Q_MEMBER_LEAVING);
	BIND(sqlite3_bind_int64(st, 1, group));
	BIND(sqlite3_bind_int64(st, 2, user));
	ST_TRY(st_sql_row(st));
	*leaving = sqlite3_column_int(st, 0) != 0;
	sqlite3_reset(st);
	return ST_OK;
}
