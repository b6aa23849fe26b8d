/*
 * st_client_int.h: what the client store's files share: st_client.c
 * (schema, identity, groups, processing, outbox, history, KeyPackages) and
 * st_client_pin.c (server and contact pins). One table of statements
 * (st_client.c) serves both, prepared when the handle opens. Not a public
 * API.
 */
#ifndef ECHOVER_ST_CLIENT_INT_H
#define ECHOVER_ST_CLIENT_INT_H

#include <sqlite3.h>

#include "st_client.h"
#include "st_sql.h"

/* The statements by name; their SQL is the table in st_client.c. */
enum q {
	Q_BEGIN, Q_COMMIT, Q_ROLLBACK, Q_SP, Q_SP_RELEASE, Q_SP_ROLLBACK,
	Q_ID_ADD, Q_ID_GET, Q_ID_SET_KS, Q_ID_REG_GET, Q_ID_REG_SET, Q_ID_KPL_GET, Q_ID_KPL_SET,
	Q_SPIN_GET, Q_SPIN_ADD, Q_SPIN_SET,
	Q_CPIN_GET, Q_CPIN_ADD, Q_CPIN_SET, Q_CPIN_VERIFY,
	Q_GROUP_ADD, Q_GROUP_GET, Q_GROUP_ROLE, Q_GROUP_DEL, Q_GROUP_LIST, Q_GROUP_POS, Q_GROUP_STATE,
	Q_GROUP_OWN,
	Q_PROC_HAS, Q_PROC_ADD, Q_PROC_PRUNE, Q_DLV_HAS, Q_DLV_ADD,
	Q_OUT_ADD, Q_OUT_PEEK, Q_OUT_DEL, Q_OUT_COUNT,
	Q_HIST_ADD, Q_HIST_LIST,
	Q_KP_ADD, Q_KP_GET, Q_KP_DEL, Q_KP_COUNT,
	Q_COUNT
};

struct st_client {
	sqlite3 *db;
	sqlite3_stmt *stmt[Q_COUNT];
	int version;
};

#define ST_TRY(expr) \
	do { \
		st_err st_try_e_ = (expr); \
		if (st_try_e_ != ST_OK) \
			return st_try_e_; \
	} while (0)
#define ST_ENSURE(cond, e) \
	do { \
		if (!(cond)) \
			return (e); \
	} while (0)

/* The prepared statement for which. */
sqlite3_stmt *st_client_stmt(st_client *c, enum q which);
/* Resets st and clears its bindings. */
void st_client_stmt_done(sqlite3_stmt *st);
/* Binders: each returns ST_ERR_DB when SQLite refuses (it keeps no pointer:
 * SQLITE_TRANSIENT copies the bytes). Zero-length blobs bind as x''. */
st_err st_client_bind_blob(sqlite3_stmt *st, int i, const uint8_t *p, size_t n) ST_MUST_CHECK;
st_err st_client_bind_i64(sqlite3_stmt *st, int i, int64_t v) ST_MUST_CHECK;
st_err st_client_bind_text(sqlite3_stmt *st, int i, const char *s, size_t n) ST_MUST_CHECK;
/* p is set and 1 <= n <= max. */
bool st_client_len_ok(const void *p, size_t n, size_t max);
/* One multi-statement operation, atomic: a transaction of its own outside
 * a caller's, a savepoint inside one (st_client.c). */
st_err st_client_op_begin(st_client *c, bool *own) ST_MUST_CHECK;
st_err st_client_op_end(st_client *c, bool own, st_err err) ST_MUST_CHECK;

#endif
