/*
 * st_client.c: the client's SQLite schema and queries (st_client.h).
 *
 * Every query is a prepared statement from the table below, prepared when
 * the handle opens and kept for its life; a statement is reset after each
 * use, so no call leaves one half-stepped (or holding a read lock).
 */
#include "st_client_int.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Migrations, in order; migration i brings the schema to version i + 1. */
static const char *const migrations[] = {
	"PRAGMA application_id = 1163281201;" /* 0x45564331, "EVC1" */
	"CREATE TABLE identity ("
	"  id INTEGER PRIMARY KEY CHECK (id = 1),"
	"  name BLOB NOT NULL,"
	"  keystore BLOB NOT NULL,"
	"  created INTEGER NOT NULL);"
	"CREATE TABLE server_pins ("
	"  host TEXT NOT NULL,"
	"  port INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),"
	"  pin BLOB NOT NULL,"
	"  first_seen INTEGER NOT NULL,"
	"  PRIMARY KEY (host, port)) WITHOUT ROWID;"
	"CREATE TABLE contact_pins ("
	"  name BLOB PRIMARY KEY,"
	"  identity_key BLOB NOT NULL,"
	"  first_seen INTEGER NOT NULL,"
	"  verified INTEGER NOT NULL CHECK (verified IN (0, 1))) WITHOUT ROWID;"
	"CREATE TABLE groups ("
	"  gid BLOB PRIMARY KEY,"
	"  state BLOB NOT NULL,"
	"  epoch INTEGER NOT NULL CHECK (epoch >= 0),"
	"  role INTEGER NOT NULL CHECK (role IN (0, 1, 2)),"
	"  log_pos INTEGER NOT NULL CHECK (log_pos >= 0)) WITHOUT ROWID;"
	"CREATE TABLE processed ("
	"  gid BLOB NOT NULL REFERENCES groups(gid) ON DELETE CASCADE,"
	"  msg_id BLOB NOT NULL,"
	"  log_pos INTEGER NOT NULL,"
	"  at INTEGER NOT NULL,"
	"  PRIMARY KEY (gid, msg_id)) WITHOUT ROWID;"
	"CREATE INDEX processed_pos ON processed(gid, log_pos);"
	"CREATE TABLE outbox ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  gid BLOB NOT NULL,"
	"  kind INTEGER NOT NULL,"
	"  body BLOB NOT NULL,"
	"  created INTEGER NOT NULL);"
	"CREATE TABLE history ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  gid BLOB NOT NULL,"
	"  log_pos INTEGER NOT NULL,"
	"  sender BLOB NOT NULL,"
	"  body BLOB NOT NULL,"
	"  sent_at INTEGER NOT NULL,"
	"  received_at INTEGER NOT NULL);"
	"CREATE INDEX history_gid ON history(gid, id);"
	"CREATE TABLE key_packages ("
	"  ref BLOB PRIMARY KEY,"
	"  sealed BLOB NOT NULL,"
	"  last_resort INTEGER NOT NULL CHECK (last_resort IN (0, 1)),"
	"  created INTEGER NOT NULL) WITHOUT ROWID;",
	/* 2: an identity is stored before REGISTER (so that its key is never
	 * lost) and marked once the server accepted it; the server's count of
	 * our one-time KeyPackages as last reported (-1: unknown); when our own
	 * leaf was last refreshed in each group (0: unknown). */
	"ALTER TABLE identity ADD COLUMN registered INTEGER NOT NULL DEFAULT 1 CHECK (registered IN (0, 1));"
	"ALTER TABLE identity ADD COLUMN kp_server_left INTEGER NOT NULL DEFAULT -1;"
	"ALTER TABLE groups ADD COLUMN own_commit_at INTEGER NOT NULL DEFAULT 0;",
	/* 3: the application messages delivered to the user, by the id their
	 * sender chose (once per message, kept across retries): a message sent
	 * again after a lost answer is encrypted again, so only this id
	 * recognises it. Like the history, it outlives the group's state. */
	"CREATE TABLE delivered ("
	"  gid BLOB NOT NULL,"
	"  sender BLOB NOT NULL,"
	"  app_id BLOB NOT NULL,"
	"  log_pos INTEGER NOT NULL,"
	"  at INTEGER NOT NULL,"
	"  PRIMARY KEY (gid, sender, app_id)) WITHOUT ROWID;",
};
#define N_MIGRATIONS (sizeof migrations / sizeof migrations[0])
#if ST_CLIENT_SCHEMA_VERSION != 3
#error "ST_CLIENT_SCHEMA_VERSION must equal the number of migrations"
#endif

static const char *const sql[Q_COUNT] = {
	[Q_BEGIN] = "BEGIN IMMEDIATE",
	[Q_COMMIT] = "COMMIT",
	[Q_ROLLBACK] = "ROLLBACK",
	[Q_SP] = "SAVEPOINT st_client_op",
	[Q_SP_RELEASE] = "RELEASE st_client_op",
	[Q_SP_ROLLBACK] = "ROLLBACK TO st_client_op",
	[Q_ID_ADD] = "INSERT INTO identity (id, name, keystore, created, registered) VALUES (1, ?, ?, ?, 0)",
	[Q_ID_GET] = "SELECT name, keystore FROM identity WHERE id = 1",
	[Q_ID_SET_KS] = "UPDATE identity SET keystore = ? WHERE id = 1",
	[Q_ID_REG_GET] = "SELECT registered FROM identity WHERE id = 1",
	[Q_ID_REG_SET] = "UPDATE identity SET registered = 1, name = ? WHERE id = 1",
	[Q_ID_KPL_GET] = "SELECT kp_server_left FROM identity WHERE id = 1",
	[Q_ID_KPL_SET] = "UPDATE identity SET kp_server_left = ? WHERE id = 1",
	[Q_SPIN_GET] = "SELECT pin, first_seen FROM server_pins WHERE host = ? AND port = ?",
	[Q_SPIN_ADD] = "INSERT INTO server_pins (host, port, pin, first_seen) VALUES (?, ?, ?, ?)",
	[Q_SPIN_SET] = "UPDATE server_pins SET pin = ?3, first_seen = ?4 WHERE host = ?1 AND port = ?2",
	[Q_CPIN_GET] = "SELECT identity_key, first_seen, verified FROM contact_pins WHERE name = ?",
	[Q_CPIN_ADD] = "INSERT INTO contact_pins (name, identity_key, first_seen, verified) VALUES (?, ?, ?, 0)",
	[Q_CPIN_SET] = "UPDATE contact_pins SET identity_key = ?2, first_seen = ?3, verified = 0 WHERE name = ?1",
	[Q_CPIN_VERIFY] = "UPDATE contact_pins SET verified = 1 WHERE name = ?",
	[Q_GROUP_ADD] = "INSERT INTO groups (gid, state, epoch, role, log_pos) VALUES (?, ?, ?, ?, ?)",
	[Q_GROUP_GET] = "SELECT state, epoch, role, log_pos, own_commit_at FROM groups WHERE gid = ?",
	[Q_GROUP_ROLE] = "UPDATE groups SET role = ?2 WHERE gid = ?1",
	[Q_GROUP_DEL] = "DELETE FROM groups WHERE gid = ?",
	[Q_GROUP_LIST] = "SELECT gid, epoch, role, log_pos, own_commit_at FROM groups ORDER BY gid",
	[Q_GROUP_POS] = "UPDATE groups SET log_pos = ?2 WHERE gid = ?1",
	[Q_GROUP_STATE] = "UPDATE groups SET state = ?2, epoch = ?3 WHERE gid = ?1",
	[Q_GROUP_OWN] = "UPDATE groups SET own_commit_at = ?2 WHERE gid = ?1",
	[Q_PROC_HAS] = "SELECT 1 FROM processed WHERE gid = ? AND msg_id = ?",
	[Q_PROC_ADD] = "INSERT INTO processed (gid, msg_id, log_pos, at) VALUES (?, ?, ?, ?)",
	[Q_PROC_PRUNE] = "DELETE FROM processed WHERE gid = ? AND log_pos < ?",
	[Q_DLV_HAS] = "SELECT 1 FROM delivered WHERE gid = ? AND sender = ? AND app_id = ?",
	[Q_DLV_ADD] = "INSERT INTO delivered (gid, sender, app_id, log_pos, at) VALUES (?, ?, ?, ?, ?)",
	[Q_OUT_ADD] = "INSERT INTO outbox (gid, kind, body, created) VALUES (?, ?, ?, ?)",
	[Q_OUT_PEEK] = "SELECT id, gid, kind, body, created FROM outbox ORDER BY id LIMIT 1",
	[Q_OUT_DEL] = "DELETE FROM outbox WHERE id = ?",
	[Q_OUT_COUNT] = "SELECT count(*) FROM outbox",
	[Q_HIST_ADD] = "INSERT INTO history (gid, log_pos, sender, body, sent_at, received_at)"
		       " VALUES (?, ?, ?, ?, ?, ?)",
	[Q_HIST_LIST] = "SELECT id, log_pos, sender, body, sent_at, received_at FROM"
			" (SELECT * FROM history WHERE gid = ? ORDER BY id DESC LIMIT ?) ORDER BY id",
	[Q_KP_ADD] = "INSERT INTO key_packages (ref, sealed, last_resort, created) VALUES (?, ?, ?, ?)",
	[Q_KP_GET] = "SELECT sealed, last_resort FROM key_packages WHERE ref = ?",
	[Q_KP_DEL] = "DELETE FROM key_packages WHERE ref = ?",
	[Q_KP_COUNT] = "SELECT count(*) FROM key_packages WHERE last_resort = 0",
};

sqlite3_stmt *st_client_stmt(st_client *c, enum q which)
{
	return c->stmt[which];
}

void st_client_stmt_done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

static st_err exec1(st_client *c, enum q which)
{
	return st_sql_run(st_client_stmt(c, which));
}

/* Binders: each returns ST_ERR_DB when SQLite refuses (it keeps no pointer:
 * SQLITE_TRANSIENT copies the bytes). Zero-length blobs bind as x''. */
st_err st_client_bind_blob(sqlite3_stmt *st, int i, const uint8_t *p, size_t n)
{
	static const uint8_t empty[1];
	int rc = sqlite3_bind_blob64(st, i, n ? (const void *)p : (const void *)empty, n, SQLITE_TRANSIENT);
	return rc == SQLITE_OK ? ST_OK : st_sql_err(rc) == ST_OK ? ST_ERR_DB : st_sql_err(rc);
}

st_err st_client_bind_i64(sqlite3_stmt *st, int i, int64_t v)
{
	return sqlite3_bind_int64(st, i, v) == SQLITE_OK ? ST_OK : ST_ERR_DB;
}

st_err st_client_bind_text(sqlite3_stmt *st, int i, const char *s, size_t n)
{
	return sqlite3_bind_text64(st, i, s, n, SQLITE_TRANSIENT, SQLITE_UTF8) == SQLITE_OK ? ST_OK : ST_ERR_DB;
}

/* Copies a BLOB column into a new malloc'ed buffer. */
static st_err col_dup(sqlite3_stmt *st, int i, uint8_t **out, size_t *n)
{
	const void *p = sqlite3_column_blob(st, i);
	int len = sqlite3_column_bytes(st, i);
	*out = NULL;
	*n = 0;
	if (len < 0)
		return ST_ERR_DB;
	uint8_t *b = malloc(len ? (size_t)len : 1);
	if (!b)
		return ST_ERR_NOMEM;
	if (len)
		memcpy(b, p, (size_t)len);
	*out = b;
	*n = (size_t)len;
	return ST_OK;
}

/* Copies a BLOB column into out[cap]; ST_ERR_DB when the stored value is
 * longer than any value this build writes (a corrupted or foreign file). */
static st_err col_copy(sqlite3_stmt *st, int i, uint8_t *out, size_t cap, size_t *n)
{
	const void *p = sqlite3_column_blob(st, i);
	int len = sqlite3_column_bytes(st, i);
	if (len < 0 || (size_t)len > cap)
		return ST_ERR_DB;
	if (len)
		memcpy(out, p, (size_t)len);
	*n = (size_t)len;
	return ST_OK;
}

bool st_client_len_ok(const void *p, size_t n, size_t max)
{
	return p && n >= 1 && n <= max;
}

/* One multi-statement operation, atomic. Outside a caller's transaction it
 * is a transaction of its own, begun IMMEDIATE so that it takes the write
 * lock before its first read (a deferred transaction that reads, then
 * writes, can fail at once with SQLITE_BUSY when another process, such as a
 * one-shot `echover send` beside the interactive client, wrote meanwhile).
 * Inside a caller's transaction it is a savepoint, so that a refused
 * operation undoes only itself. */
st_err st_client_op_begin(st_client *c, bool *own)
{
	*own = sqlite3_get_autocommit(c->db) != 0;
	return exec1(c, *own ? Q_BEGIN : Q_SP);
}

st_err st_client_op_end(st_client *c, bool own, st_err err)
{
	if (own) {
		if (err == ST_OK) {
			err = exec1(c, Q_COMMIT);
			if (err == ST_OK)
				return ST_OK;
		}
		if (!sqlite3_get_autocommit(c->db))
			(void)exec1(c, Q_ROLLBACK);
		return err;
	}
	if (err == ST_OK) {
		err = exec1(c, Q_SP_RELEASE);
		if (err == ST_OK)
			return ST_OK;
	}
	(void)exec1(c, Q_SP_ROLLBACK);
	(void)exec1(c, Q_SP_RELEASE);
	return err;
}

void st_client_free(void *p, size_t n)
{
	if (!p)
		return;
	explicit_bzero(p, n);
	free(p);
}

/* ---------------------------------------------------------------- open */

/* Creates the file with mode 0600 before SQLite sees it: the database holds
 * the sealed keystore and the groups' epoch secrets. */
static st_err create_private(const char *path)
{
	if (strcmp(path, ":memory:") == 0 || strncmp(path, "file:", 5) == 0)
		return ST_OK;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return ST_ERR_DB;
	close(fd);
	return ST_OK;
}

static st_err exec_sql(sqlite3 *db, const char *s)
{
	int rc = sqlite3_exec(db, s, NULL, NULL, NULL);
	return rc == SQLITE_OK ? ST_OK : st_sql_err(rc) == ST_OK ? ST_ERR_DB : st_sql_err(rc);
}

static st_err pragma_int(sqlite3 *db, const char *s, int64_t *v)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, s, -1, &st, NULL) != SQLITE_OK)
		return ST_ERR_DB;
	st_err e = ST_ERR_DB;
	if (sqlite3_step(st) == SQLITE_ROW) {
		*v = sqlite3_column_int64(st, 0);
		e = ST_OK;
	}
	sqlite3_finalize(st);
	return e;
}

static st_err migrate(st_client *c)
{
	sqlite3 *db = c->db;
	int64_t app = 0, ver = 0;
	ST_TRY(exec_sql(db, "BEGIN IMMEDIATE"));
	st_err e = pragma_int(db, "PRAGMA application_id", &app);
	if (e == ST_OK && app != 0 && app != ST_CLIENT_APPLICATION_ID)
		e = ST_ERR_VERSION;
	if (e == ST_OK)
		e = exec_sql(db, "CREATE TABLE IF NOT EXISTS schema_version ("
				 "  version INTEGER PRIMARY KEY, applied INTEGER NOT NULL)");
	if (e == ST_OK)
		e = pragma_int(db, "SELECT coalesce(max(version), 0) FROM schema_version", &ver);
	if (e == ST_OK && ver > (int64_t)N_MIGRATIONS)
		e = ST_ERR_VERSION;
	for (int64_t v = ver; e == ST_OK && v < (int64_t)N_MIGRATIONS; v++) {
		e = exec_sql(db, migrations[v]);
		if (e == ST_OK) {
			sqlite3_stmt *st;
			if (sqlite3_prepare_v2(db, "INSERT INTO schema_version (version, applied)"
						   " VALUES (?, strftime('%s', 'now'))", -1, &st, NULL) != SQLITE_OK)
				e = ST_ERR_DB;
			else {
				sqlite3_bind_int64(st, 1, v + 1);
				e = st_sql_run(st);
				sqlite3_finalize(st);
			}
		}
	}
	if (e == ST_OK)
		e = exec_sql(db, "COMMIT");
	if (e != ST_OK) {
		(void)exec_sql(db, "ROLLBACK");
		return e == ST_ERR_EXISTS || e == ST_ERR_ARG ? ST_ERR_DB : e;
	}
	c->version = (int)N_MIGRATIONS;
	return ST_OK;
}

st_err st_client_open(st_client **out, const char *path)
{
	*out = NULL;
	ST_ENSURE(path && path[0], ST_ERR_ARG);
	ST_TRY(create_private(path));
	st_client *c = calloc(1, sizeof *c);
	ST_ENSURE(c, ST_ERR_NOMEM);
	st_err e = ST_OK;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI;
	if (sqlite3_open_v2(path, &c->db, flags, NULL) != SQLITE_OK)
		e = ST_ERR_DB;
	if (e == ST_OK)
		sqlite3_extended_result_codes(c->db, 1);
	if (e == ST_OK && sqlite3_busy_timeout(c->db, ST_CLIENT_BUSY_TIMEOUT_MS) != SQLITE_OK)
		e = ST_ERR_DB;
	/* journal_mode answers "memory" for :memory:, which is fine. */
	if (e == ST_OK)
		e = exec_sql(c->db, "PRAGMA journal_mode = WAL;"
				    "PRAGMA synchronous = FULL;"
				    "PRAGMA foreign_keys = ON;"
				    "PRAGMA secure_delete = ON;"
				    "PRAGMA trusted_schema = OFF;");
	if (e == ST_OK)
		e = migrate(c);
	for (int i = 0; e == ST_OK && i < Q_COUNT; i++)
		if (sqlite3_prepare_v3(c->db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &c->stmt[i], NULL) != SQLITE_OK)
			e = ST_ERR_DB;
	if (e != ST_OK) {
		st_client_close(c);
		return e;
	}
	*out = c;
	return ST_OK;
}

void st_client_close(st_client *c)
{
	if (!c)
		return;
	for (int i = 0; i < Q_COUNT; i++)
		sqlite3_finalize(c->stmt[i]);
	sqlite3_close(c->db);
	free(c);
}

int st_client_schema_version(const st_client *c)
{
	return c->version;
}

st_err st_client_get_settings(st_client *c, st_client_settings *s)
{
	memset(s, 0, sizeof *s);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(c->db, "PRAGMA journal_mode", -1, &st, NULL) != SQLITE_OK)
		return ST_ERR_DB;
	st_err e = ST_ERR_DB;
	if (sqlite3_step(st) == SQLITE_ROW) {
		const unsigned char *m = sqlite3_column_text(st, 0);
		s->wal = m && strcmp((const char *)m, "wal") == 0;
		e = ST_OK;
	}
	sqlite3_finalize(st);
	int64_t v = 0;
	if (e == ST_OK)
		e = pragma_int(c->db, "PRAGMA synchronous", &v);
	s->synchronous = (int)v;
	if (e == ST_OK)
		e = pragma_int(c->db, "PRAGMA foreign_keys", &v);
	s->foreign_keys = v == 1;
	if (e == ST_OK)
		e = pragma_int(c->db, "PRAGMA secure_delete", &v);
	s->secure_delete = v == 1;
	return e;
}

st_err st_client_begin(st_client *c)
{
	return exec1(c, Q_BEGIN);
}

st_err st_client_commit(st_client *c)
{
	st_err e = exec1(c, Q_COMMIT);
	if (e != ST_OK)
		st_client_rollback(c);
	return e;
}

void st_client_rollback(st_client *c)
{
	if (!sqlite3_get_autocommit(c->db))
		(void)exec1(c, Q_ROLLBACK);
}

/* ------------------------------------------------------------ identity */

st_err st_client_identity_set(st_client *c, const uint8_t *name, size_t name_len,
			      const uint8_t *keystore, size_t keystore_len, int64_t now)
{
	ST_ENSURE(st_client_len_ok(name, name_len, ST_CLIENT_NAME_MAX), ST_ERR_ARG);
	ST_ENSURE(st_client_len_ok(keystore, keystore_len, ST_CLIENT_BLOB_MAX), ST_ERR_ARG);
	sqlite3_stmt *st = st_client_stmt(c, Q_ID_ADD);
	ST_TRY(st_client_bind_blob(st, 1, name, name_len));
	ST_TRY(st_client_bind_blob(st, 2, keystore, keystore_len));
	ST_TRY(st_client_bind_i64(st, 3, now));
	return st_sql_run(st);
}

st_err st_client_identity_get(st_client *c, uint8_t name[ST_CLIENT_NAME_MAX], size_t *name_len,
			      uint8_t **keystore, size_t *keystore_len)
{
	*name_len = 0;
	*keystore = NULL;
	*keystore_len = 0;
	sqlite3_stmt *st = st_client_stmt(c, Q_ID_GET);
	ST_TRY(st_sql_row(st));
	st_err e = col_copy(st, 0, name, ST_CLIENT_NAME_MAX, name_len);
	if (e == ST_OK)
		e = col_dup(st, 1, keystore, keystore_len);
	st_client_stmt_done(st);
	return e;
}

st_err st_client_identity_set_keystore(st_client *c, const uint8_t *keystore, size_t keystore_len)
{
	ST_ENSURE(st_client_len_ok(keystore, keystore_len, ST_CLIENT_BLOB_MAX), ST_ERR_ARG);
	sqlite3_stmt *st = st_client_stmt(c, Q_ID_SET_KS);
	ST_TRY(st_client_bind_blob(st, 1, keystore, keystore_len));
	ST_TRY(st_sql_run(st));
	return sqlite3_changes(c->db) == 1 ? ST_OK : ST_ERR_NOT_FOUND;
}

st_err st_client_identity_registered(st_client *c, bool *registered)
{
	*registered = false;
	sqlite3_stmt *st = st_client_stmt(c, Q_ID_REG_GET);
	ST_TRY(st_sql_row(st));
	*registered = sqlite3_column_int64(st, 0) == 1;
	st_client_stmt_done(st);
	return ST_OK;
}

st_err st_client_identity_set_registered(st_client *c, const uint8_t *name, size_t name_len)
{
	ST_ENSURE(st_client_len_ok(name, name_len, ST_CLIENT_NAME_MAX), ST_ERR_ARG);
	sqlite3_stmt *st = st_client_stmt(c, Q_ID_REG_SET);
	ST_TRY(st_client_bind_blob(st, 1, name, name_len));
	ST_TRY(st_sql_run(st));
	return sqlite3_changes(c->db) == 1 ? ST_OK : ST_ERR_NOT_FOUND;
}

st_err st_client_kp_server_left_get(st_client *c, int64_t *left)
{
	*left = -1;
	sqlite3_stmt *st = st_client_stmt(c, Q_ID_KPL_GET);
	ST_TRY(st_sql_row(st));
	*left = sqlite3_column_int64(st, 0);
	st_client_stmt_done(st);
	return ST_OK;
}

st_err st_client_kp_server_left_set(st_client *c, int64_t left)
{
	ST_ENSURE(left >= -1, ST_ERR_ARG);
	sqlite3_stmt *st = st_client_stmt(c, Q_ID_KPL_SET);
	ST_TRY(st_client_bind_i64(st, 1, left));
	ST_TRY(st_sql_run(st));
	return sqlite3_changes(c->db) == 1 ? ST_OK : ST_ERR_NOT_FOUND;
}

/* -------------------------------------------------------------- groups */

static bool u63(uint64_t v)
{
	return v <= (uint64_t)INT64_MAX;
}

static bool role_ok(st_client_role r)
{
	return r == ST_CLIENT_ROLE_MEMBER || r == ST_CLIENT_ROLE_ADMIN || r == ST_CLIENT_ROLE_OWNER;
}

st_err st_client_group_add(st_client *c, const uint8_t *gid, size_t gid_len, const uint8_t *state,
			   size_t state_len, uint64_t epoch, st_client_role role, uint64_t log_pos)
{
	ST_ENSURE(st_client_len_ok(gid, gid_len, ST_CLIENT_GROUP_ID_MAX), ST_ERR_ARG);
	ST_ENSURE(st_client_len_ok(state, state_len, ST_CLIENT_BLOB_MAX), ST_ERR_ARG);
	ST_ENSURE(u63(epoch) && u63(log_pos) && role_ok(role), ST_ERR_ARG);
	sqlite3_stmt *st = st_client_stmt(c, Q_GROUP_ADD);
	ST_TRY(st_client_bind_blob(st, 1, gid, gid_len));
	ST_TRY(st_client_bind_blob(st, 2, state, state_len));
	ST_TRY(st_client_bind_i64(st, 3, (int64_t)epoch));
	ST_TRY(st_client_bind_i64(st, 4, (int64_t)role));
	ST_TRY(st_client_bind_i64(st, 5, (int64_t)log_pos));
	return st_sql_run(st);
}

static void group_cols(sqlite3_stmt *st, int epoch_col, st_client_group *g)
{
	g->epoch = (uint64_t)sqlite3_column_int64(st, epoch_col);
	g->role = (st_client_role)sqlite3_column_int64(st, epoch_col + 1);
	g->log_pos = (uint64_t)sqlite3_column_int64(st, epoch_col + 2);
	g->own_commit_at = sqlite3_column_int64(st, epoch_col + 3);
}

st_err st_client_group_get(st_client *c, const uint8_t *gid, size_t gid_len, st_client_group *g)
{
	memset(g, 0, sizeof *g);
	ST_ENSURE(st_client_len_ok(gid, gid_len, ST_CLIENT_GROUP_ID_MAX), ST_ERR_ARG);
	sqlite3_stmt *st = st_client_stmt(c, Q_GROUP_GET);
	ST_TRY(st_client_bind_blob(st, 1, gid, gid_len));
	ST_TRY(st_sql_row(st));
	memcpy(g->id, gid, gid_len);
	g->id_len = gid_len;
	group_cols(st, 1, g);
	st_err e = col_dup(st, 0, &g->state, &g->state_len);
	st_client_stmt_done(st);
	return e;
}

st_err st_client_group_set_role(st_client *c, const uint8_t *gid, size_t gid_len, st_client_role role)
{
	ST_ENSURE(st_client_len_ok(gid, gid_len, ST_CLIENT_GROUP_ID_MAX) && role_ok(role), ST_ERR_ARG);
	sqlite3_stmt *st = st_client_stmt(c, Q_GROUP_ROLE);
	ST_TRY(st_client_bind_blob(st, 1, gid, gid_len));
	ST_TRY(st_client_bind_i64(st, 2, (int64_t)role));
	ST_TRY(st_sql_run(st));
	return sqlite3_changes(c->db) == 1 ? ST_OK : ST_ERR_NOT_FOUND;
}

st_err st_client_group_set_state(st_client *c, const uint8_t *gid, size_t gid_len, const uint8_t *state,
				 size_t state_len, uint64_t epoch)
{
	ST_ENSURE(st_client_len_ok(gid, gid_len, ST_CLIENT_GROUP_ID_MAX), ST_ERR_ARG);
	ST_ENSURE(st_client_len_ok(state, state_len, ST_CLIENT_BLOB_MAX) && epoch <= (uint64_t)INT64_MAX, ST_ERR_ARG);
	sqlite3_stmt *st = st_client_stmt(c, Q_GROUP_GET);
	ST_TRY(st_client_bind_blob(st, 1, gid, gid_len));
	ST_TRY(st_sql_row(st));
	uint64_t old = (uint64_t)sqlite3_column_int64(st, 1);
	st_client_stmt_done(st);
	ST_ENSURE(epoch >= old, ST_ERR_CONFLICT);
	st = st_client_stmt(c, Q_GROUP_STATE);
	ST_TRY(st_client_bind_blob(st, 1, gid, gid_len));
	ST_TRY(st_client_bind_blob(st, 2, state, state_len));
	ST_TRY(st_client_bind_i64(st, 3, (int64_t)epoch));
	ST_TRY(st_sql_run(st));
	return sqlite3_changes(c->db) == 1 ? ST_OK : ST_ERR_NOT_FOUND;
}

st_err st_client_group_set_own_commit(st_client *c, const uint8_t *gid, size_t gid_len, int64_t at)
{
	ST_ENSURE(st_client_len_ok(gid, gid_len, ST_CLIENT_GROUP_ID_MAX), ST_ERR_ARG);
	sqlite3_stmt *st = st_client_stmt(c, Q_GROUP_OWN);
	ST_TRY(st_client_bind_blob(st, 1, gid, gid_len));
	ST_TRY(st_client_bind_i64(st, 2, at));
	ST_TRY(st_sql_run(st));
	return sqlite3_changes(c->db) == 1 ? ST_OK : ST_ERR_NOT_FOUND;
}

st_err st_client_group_remove(st_client *c, const uint8_t *gid, size_t gid_len)
{
	ST_ENSURE(st_client_len_ok(gid, gid_len, ST_CLIENT_GROUP_ID_MAX), ST_ERR_ARG);
	sqlite3_stmt *st = st_client_stmt(c, Q_GROUP_DEL);
	ST_TRY(st_client_bind_blob(st, 1, gid, gid_len));
	ST_TRY(st_sql_run(st));
	return sqlite3_changes(c->db) == 1 ? ST_OK : ST_ERR_NOT_FOUND;
}

st_err st_client_group_list(st_client *c, st_err (*fn)(void *ctx, const st_client_group *g), void *ctx)
{
	ST_ENSURE(fn, ST_ERR_ARG);
	sqlite3_stmt *st = st_client_stmt(c, Q_GROUP_LIST);
	st_err e = ST_OK;
	int rc = SQLITE_DONE;
	while (e == ST_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		st_client_group g;
		memset(&g, 0, sizeof g);
		e = col_copy(st, 0, g.id, sizeof g.id, &g.id_len);
		group_cols(st, 1, &g);
		if (e == ST_OK)
			e = fn(ctx, &g);
	}
	if (e == ST_OK && rc != SQLITE_DONE)
		e = st_sql_err(rc) == ST_OK ? ST_ERR_DB : st_sql_err(rc);
	st_client_stmt_done(st);
	return e;
}

/* ---------------------------------------------------------- processing */

static st_err processed_has(st_client *c, const uint8_t *gid, size_t gid_len, const uint8_t *msg_id,
			    size_t msg_id_len, bool *seen)
{
	sqlite3_stmt *st = st_client_stmt(c, Q_PROC_HAS);
	ST_TRY(st_client_bind_blob(st, 1, gid, gid_len));
	ST_TRY(st_client_bind_blob(st, 2, msg_id, msg_id_len));
	st_err e = st_sql_row(st);
	*seen = e == ST_OK;
	if (e == ST_OK)
		st_client_stmt_done(st);
	return e == ST_ERR_NOT_FOUND ? ST_OK : e;
}

static st_err delivered_has(st_client *c, const uint8_t *gid, size_t gid_len, const uint8_t *sender,
			    size_t sender_len, const uint8_t *app_id, size_t app_id_len, bool *seen)
{
	sqlite3_stmt *st = st_client_stmt(c, Q_DLV_HAS);
	ST_TRY(st_client_bind_blob(st, 1, gid, gid_len));
	ST_TRY(st_client_bind_blob(st, 2, sender, sender_len));
	ST_TRY(st_client_bind_blob(st, 3, app_id, app_id_len));
	st_err e = st_sql_row(st);
	*seen = e == ST_OK;
	if (e == ST_OK)
		st_client_stmt_done(st);
	return e == ST_ERR_NOT_FOUND ? ST_OK : e;
}

/* ST_ERR_EXISTS when (gid, sender, app_id) was delivered already. */
static st_err delivered_add(st_client *c, const uint8_t *gid, size_t gid_len, const uint8_t *sender,
			    size_t sender_len, const uint8_t *app_id, size_t app_id_len, uint64_t log_pos, int64_t at)
{
	bool seen;
	ST_TRY(delivered_has(c, gid, gid_len, sender, sender_len, app_id, app_id_len, &seen));
	ST_ENSURE(!seen, ST_ERR_EXISTS);
	sqlite3_stmt *st = st_client_stmt(c, Q_DLV_ADD);
	ST_TRY(st_client_bind_blob(st, 1, gid, gid_len));
	ST_TRY(st_client_bind_blob(st, 2, sender, sender_len));
	ST_TRY(st_client_bind_blob(st, 3, app_id, app_id_len));
	ST_TRY(st_client_bind_i64(st, 4, (int64_t)log_pos));
	ST_TRY(st_client_bind_i64(st, 5, at));
	return st_sql_run(st);
}

static st_err process_in_tx(st_client *c, const st_client_incoming *in)
{
	sqlite3_stmt *st = st_client_stmt(c, Q_GROUP_GET);
	ST_TRY(st_client_bind_blob(st, 1, in->gid, in->gid_len));
	ST_TRY(st_sql_row(st));
	uint64_t epoch = (uint64_t)sqlite3_column_int64(st, 1);
	uint64_t pos = (uint64_t)sqlite3_column_int64(st, 3);
	st_client_stmt_done(st);

	bool seen;
	ST_TRY(processed_has(c, in->gid, in->gid_len, in->msg_id, in->msg_id_len, &seen));
	ST_ENSURE(!seen, ST_ERR_EXISTS);
	ST_ENSURE(in->log_pos > pos, ST_ERR_CONFLICT);
	ST_ENSURE(!in->state || in->epoch >= epoch, ST_ERR_CONFLICT);

	st = st_client_stmt(c, Q_PROC_ADD);
	ST_TRY(st_client_bind_blob(st, 1, in->gid, in->gid_len));
	ST_TRY(st_client_bind_blob(st, 2, in->msg_id, in->msg_id_len));
	ST_TRY(st_client_bind_i64(st, 3, (int64_t)in->log_pos));
	ST_TRY(st_client_bind_i64(st, 4, in->received_at));
	ST_TRY(st_sql_run(st));

	st = st_client_stmt(c, Q_GROUP_POS);
	ST_TRY(st_client_bind_blob(st, 1, in->gid, in->gid_len));
	ST_TRY(st_client_bind_i64(st, 2, (int64_t)in->log_pos));
	ST_TRY(st_sql_run(st));

	if (in->state) {
		st = st_client_stmt(c, Q_GROUP_STATE);
		ST_TRY(st_client_bind_blob(st, 1, in->gid, in->gid_len));
		ST_TRY(st_client_bind_blob(st, 2, in->state, in->state_len));
		ST_TRY(st_client_bind_i64(st, 3, (int64_t)in->epoch));
		ST_TRY(st_sql_run(st));
	}
	if (in->sender && in->app_id)
		ST_TRY(delivered_add(c, in->gid, in->gid_len, in->sender, in->sender_len, in->app_id, in->app_id_len,
				     in->log_pos, in->received_at));
	if (in->sender) {
		st = st_client_stmt(c, Q_HIST_ADD);
		ST_TRY(st_client_bind_blob(st, 1, in->gid, in->gid_len));
		ST_TRY(st_client_bind_i64(st, 2, (int64_t)in->log_pos));
		ST_TRY(st_client_bind_blob(st, 3, in->sender, in->sender_len));
		ST_TRY(st_client_bind_blob(st, 4, in->body, in->body_len));
		ST_TRY(st_client_bind_i64(st, 5, in->sent_at));
		ST_TRY(st_client_bind_i64(st, 6, in->received_at));
		ST_TRY(st_sql_run(st));
	}
	return ST_OK;
}

st_err st_client_process(st_client *c, const st_client_incoming *in)
{
	ST_ENSURE(in, ST_ERR_ARG);
	ST_ENSURE(st_client_len_ok(in->gid, in->gid_len, ST_CLIENT_GROUP_ID_MAX), ST_ERR_ARG);
	ST_ENSURE(st_client_len_ok(in->msg_id, in->msg_id_len, ST_CLIENT_MSG_ID_MAX), ST_ERR_ARG);
	ST_ENSURE(u63(in->log_pos), ST_ERR_ARG);
	if (in->state)
		ST_ENSURE(st_client_len_ok(in->state, in->state_len, ST_CLIENT_BLOB_MAX) && u63(in->epoch), ST_ERR_ARG);
	if (in->sender) {
		ST_ENSURE(st_client_len_ok(in->sender, in->sender_len, ST_CLIENT_NAME_MAX), ST_ERR_ARG);
		ST_ENSURE((in->body || in->body_len == 0) && in->body_len <= ST_CLIENT_BLOB_MAX, ST_ERR_ARG);
	}
	if (in->app_id)
		ST_ENSURE(in->sender && st_client_len_ok(in->app_id, in->app_id_len, ST_CLIENT_MSG_ID_MAX), ST_ERR_ARG);
	bool own;
	ST_TRY(st_client_op_begin(c, &own));
	return st_client_op_end(c, own, process_in_tx(c, in));
}

st_err st_client_processed_has(st_client *c, const uint8_t *gid, size_t gid_len,
			       const uint8_t *msg_id, size_t msg_id_len, bool *seen)
{
	*seen = false;
	ST_ENSURE(st_client_len_ok(gid, gid_len, ST_CLIENT_GROUP_ID_MAX), ST_ERR_ARG);
	ST_ENSURE(st_client_len_ok(msg_id, msg_id_len, ST_CLIENT_MSG_ID_MAX), ST_ERR_ARG);
	return processed_has(c, gid, gid_len, msg_id, msg_id_len, seen);
}

st_err st_client_delivered_has(st_client *c, const uint8_t *gid, size_t gid_len, const uint8_t *sender,
				size_t sender_len, const uint8_t *app_id, size_t app_id_len, bool *seen)
{
	*seen = false;
	ST_ENSURE(st_client_len_ok(gid, gid_len, ST_CLIENT_GROUP_ID_MAX), ST_ERR_ARG);
	ST_ENSURE(st_client_len_ok(sender, sender_len, ST_CLIENT_NAME_MAX), ST_ERR_ARG);
	ST_ENSURE(st_client_len_ok(app_id, app_id_len, ST_CLIENT_MSG_ID_MAX), ST_ERR_ARG);
	return delivered_has(c, gid, gid_len, sender, sender_len, app_id, app_id_len, seen);
}

st_err st_client_processed_prune(st_client *c, const uint8_t *gid, size_t gid_len, uint64_t below,
				 int64_t *removed)
{
	*removed = 0;
	ST_ENSURE(st_client_len_ok(gid, gid_len, ST_CLIENT_GROUP_ID_MAX) && u63(below), ST_ERR_ARG);
	sqlite3_stmt *st = st_client_stmt(c, Q_PROC_PRUNE);
	ST_TRY(st_client_bind_blob(st, 1, gid, gid_len));
	ST_TRY(st_client_bind_i64(st, 2, (int64_t)below));
	ST_TRY(st_sql_run(st));
	*removed = sqlite3_changes64(c->db);
	return ST_OK;
}

/* -------------------------------------------------------------- outbox */

st_err st_client_outbox_add(st_client *c, const uint8_t *gid, size_t gid_len, uint32_t kind,
			    const uint8_t *body, size_t body_len, int64_t now, int64_t *id)
{
	*id = 0;
	ST_ENSURE(st_client_len_ok(gid, gid_len, ST_CLIENT_GROUP_ID_MAX), ST_ERR_ARG);
	ST_ENSURE((body || body_len == 0) && body_len <= ST_CLIENT_BLOB_MAX, ST_ERR_ARG);
	sqlite3_stmt *st = st_client_stmt(c, Q_OUT_ADD);
	ST_TRY(st_client_bind_blob(st, 1, gid, gid_len));
	ST_TRY(st_client_bind_i64(st, 2, kind));
	ST_TRY(st_client_bind_blob(st, 3, body, body_len));
	ST_TRY(st_client_bind_i64(st, 4, now));
	ST_TRY(st_sql_run(st));
	*id = sqlite3_last_insert_rowid(c->db);
	return ST_OK;
}

st_err st_client_outbox_peek(st_client *c, st_client_outgoing *o)
{
	memset(o, 0, sizeof *o);
	sqlite3_stmt *st = st_client_stmt(c, Q_OUT_PEEK);
	ST_TRY(st_sql_row(st));
	o->id = sqlite3_column_int64(st, 0);
	int64_t kind = sqlite3_column_int64(st, 2);
	o->created = sqlite3_column_int64(st, 4);
	st_err e = kind >= 0 && kind <= UINT32_MAX ? ST_OK : ST_ERR_DB;
	o->kind = (uint32_t)kind;
	if (e == ST_OK)
		e = col_copy(st, 1, o->gid, sizeof o->gid, &o->gid_len);
	if (e == ST_OK)
		e = col_dup(st, 3, &o->body, &o->body_len);
	st_client_stmt_done(st);
	return e;
}

st_err st_client_outbox_remove(st_client *c, int64_t id)
{
	sqlite3_stmt *st = st_client_stmt(c, Q_OUT_DEL);
	ST_TRY(st_client_bind_i64(st, 1, id));
	ST_TRY(st_sql_run(st));
	return sqlite3_changes(c->db) == 1 ? ST_OK : ST_ERR_NOT_FOUND;
}

st_err st_client_outbox_count(st_client *c, int64_t *n)
{
	*n = 0;
	sqlite3_stmt *st = st_client_stmt(c, Q_OUT_COUNT);
	ST_TRY(st_sql_row(st));
	*n = sqlite3_column_int64(st, 0);
	st_client_stmt_done(st);
	return ST_OK;
}

/* ------------------------------------------------------------- history */

static st_err history_add_in_tx(st_client *c, const uint8_t *gid, size_t gid_len, const uint8_t *sender,
				size_t sender_len, const uint8_t *app_id, size_t app_id_len, const uint8_t *body,
				size_t body_len, int64_t sent_at, int64_t received_at)
{
	if (app_id)
		ST_TRY(delivered_add(c, gid, gid_len, sender, sender_len, app_id, app_id_len, 0, received_at));
	sqlite3_stmt *st = st_client_stmt(c, Q_HIST_ADD);
	ST_TRY(st_client_bind_blob(st, 1, gid, gid_len));
	ST_TRY(st_client_bind_i64(st, 2, 0)); /* own messages: no log position */
	ST_TRY(st_client_bind_blob(st, 3, sender, sender_len));
	ST_TRY(st_client_bind_blob(st, 4, body, body_len));
	ST_TRY(st_client_bind_i64(st, 5, sent_at));
	ST_TRY(st_client_bind_i64(st, 6, received_at));
	return st_sql_run(st);
}

st_err st_client_history_add(st_client *c, const uint8_t *gid, size_t gid_len, const uint8_t *sender,
			     size_t sender_len, const uint8_t *app_id, size_t app_id_len, const uint8_t *body,
			     size_t body_len, int64_t sent_at, int64_t received_at)
{
	ST_ENSURE(st_client_len_ok(gid, gid_len, ST_CLIENT_GROUP_ID_MAX), ST_ERR_ARG);
	ST_ENSURE(st_client_len_ok(sender, sender_len, ST_CLIENT_NAME_MAX), ST_ERR_ARG);
	ST_ENSURE(!app_id || st_client_len_ok(app_id, app_id_len, ST_CLIENT_MSG_ID_MAX), ST_ERR_ARG);
	ST_ENSURE((body || body_len == 0) && body_len <= ST_CLIENT_BLOB_MAX, ST_ERR_ARG);
	bool own;
	ST_TRY(st_client_op_begin(c, &own));
	return st_client_op_end(c, own,
		      history_add_in_tx(c, gid, gid_len, sender, sender_len, app_id, app_id_len, body, body_len, sent_at,
					received_at));
}

st_err st_client_history(st_client *c, const uint8_t *gid, size_t gid_len, unsigned limit,
			 st_err (*fn)(void *ctx, const st_client_message *m), void *ctx)
{
	ST_ENSURE(st_client_len_ok(gid, gid_len, ST_CLIENT_GROUP_ID_MAX), ST_ERR_ARG);
	ST_ENSURE(fn && limit >= 1 && limit <= 10000, ST_ERR_ARG);
	sqlite3_stmt *st = st_client_stmt(c, Q_HIST_LIST);
	ST_TRY(st_client_bind_blob(st, 1, gid, gid_len));
	ST_TRY(st_client_bind_i64(st, 2, limit));
	st_err e = ST_OK;
	int rc = SQLITE_DONE;
	while (e == ST_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		st_client_message m;
		m.id = sqlite3_column_int64(st, 0);
		m.log_pos = (uint64_t)sqlite3_column_int64(st, 1);
		m.sender = sqlite3_column_blob(st, 2);
		m.sender_len = (size_t)sqlite3_column_bytes(st, 2);
		m.body = sqlite3_column_blob(st, 3);
		m.body_len = (size_t)sqlite3_column_bytes(st, 3);
		m.sent_at = sqlite3_column_int64(st, 4);
		m.received_at = sqlite3_column_int64(st, 5);
		e = fn(ctx, &m);
	}
	if (e == ST_OK && rc != SQLITE_DONE)
		e = st_sql_err(rc) == ST_OK ? ST_ERR_DB : st_sql_err(rc);
	st_client_stmt_done(st);
	return e;
}

/* --------------------------------------------------------- KeyPackages */

st_err st_client_kp_add(st_client *c, const uint8_t *ref, size_t ref_len, const uint8_t *sealed,
			size_t sealed_len, bool last_resort, int64_t now)
{
	ST_ENSURE(st_client_len_ok(ref, ref_len, ST_CLIENT_KP_REF_MAX), ST_ERR_ARG);
	ST_ENSURE(st_client_len_ok(sealed, sealed_len, ST_CLIENT_BLOB_MAX), ST_ERR_ARG);
	sqlite3_stmt *st = st_client_stmt(c, Q_KP_ADD);
	ST_TRY(st_client_bind_blob(st, 1, ref, ref_len));
	ST_TRY(st_client_bind_blob(st, 2, sealed, sealed_len));
	ST_TRY(st_client_bind_i64(st, 3, last_resort ? 1 : 0));
	ST_TRY(st_client_bind_i64(st, 4, now));
	return st_sql_run(st);
}

st_err st_client_kp_get(st_client *c, const uint8_t *ref, size_t ref_len, uint8_t **sealed,
			size_t *sealed_len, bool *last_resort)
{
	*sealed = NULL;
	*sealed_len = 0;
	*last_resort = false;
	ST_ENSURE(st_client_len_ok(ref, ref_len, ST_CLIENT_KP_REF_MAX), ST_ERR_ARG);
	sqlite3_stmt *st = st_client_stmt(c, Q_KP_GET);
	ST_TRY(st_client_bind_blob(st, 1, ref, ref_len));
	ST_TRY(st_sql_row(st));
	*last_resort = sqlite3_column_int64(st, 1) == 1;
	st_err e = col_dup(st, 0, sealed, sealed_len);
	st_client_stmt_done(st);
	return e;
}

st_err st_client_kp_remove(st_client *c, const uint8_t *ref, size_t ref_len)
{
	ST_ENSURE(st_client_len_ok(ref, ref_len, ST_CLIENT_KP_REF_MAX), ST_ERR_ARG);
	sqlite3_stmt *st = st_client_stmt(c, Q_KP_DEL);
	ST_TRY(st_client_bind_blob(st, 1, ref, ref_len));
	ST_TRY(st_sql_run(st));
	return sqlite3_changes(c->db) == 1 ? ST_OK : ST_ERR_NOT_FOUND;
}

st_err st_client_kp_count(st_client *c, int64_t *one_time)
{
	*one_time = 0;
	sqlite3_stmt *st = st_client_stmt(c, Q_KP_COUNT);
	ST_TRY(st_sql_row(st));
	*one_time = sqlite3_column_int64(st, 0);
	st_client_stmt_done(st);
	return ST_OK;
}
