/*
 * st_server_int.h: what the server store's files share: st_server.c (schema,
 * migrations, transactions, accounts, KeyPackages, groups, the log) and
 * st_server_blob.c (blobs). One table of statements (st_server.c) serves
 * both; a statement is prepared on first use and kept for the life of the
 * handle. Not a public API.
 */
#ifndef ECHOVER_ST_SERVER_INT_H
#define ECHOVER_ST_SERVER_INT_H

#include <sqlite3.h>

#include "st_server.h"
#include "st_sql.h"

/* The statements by name; their SQL is the table in st_server.c. */
enum q {
	Q_BEGIN, Q_COMMIT, Q_ROLLBACK, Q_SP, Q_SP_RELEASE, Q_SP_ROLLBACK,
	Q_USER_ADD, Q_USER_GET, Q_USER_GET_ID, Q_USER_LIST,
	Q_INVITE_ADD, Q_INVITE_USE,
	Q_KP_ADD, Q_KP_DEL_LAST_RESORT, Q_KP_FIRST, Q_KP_DEL, Q_KP_COUNT,
	Q_GROUP_ADD, Q_GROUP_GET, Q_GROUP_ADVANCE, Q_GROUP_NEXT_POS, Q_GROUP_BUMP_POS,
	Q_MEMBER_ADD, Q_MEMBER_DEL, Q_MEMBER_GET, Q_MEMBER_COUNT, Q_MEMBER_ACK,
	Q_LOG_ADD, Q_LOG_FETCH, Q_LOG_PRUNE,
	Q_GROUP_CLEAR_LEAVING, Q_GROUP_SET_DM, Q_GROUPS_OF_USER, Q_MEMBER_LIST, Q_MEMBER_SET_ROLE,
	Q_MEMBER_SET_LEAVING, Q_OWNER_COUNT, Q_OWNER_CANDIDATE, Q_LOG_UNACKED, Q_USER_PEERS,
	Q_JOIN_ADD, Q_JOIN_DEL, Q_JOIN_PRUNE, Q_MEMBER_LEAVING,
	Q_BLOB_ADD, Q_BLOB_GET, Q_BLOB_ADVANCE, Q_BLOB_CHUNK_ADD, Q_BLOB_RANGE, Q_BLOB_CHUNKS, Q_BLOB_COMPLETE,
	Q_BLOB_DEL_CHUNKS, Q_BLOB_DEL, Q_BLOB_USAGE, Q_BLOB_EXPIRE_CHUNKS, Q_BLOB_EXPIRE,
	Q_COUNT
};

struct st_server {
	sqlite3 *db;
	sqlite3_stmt *stmt[Q_COUNT];
	int version;
	bool batch;       /* a batch is open: st_begin() nests a savepoint */
	bool batch_tx;    /* ... and its outer transaction has begun */
	bool in_request;  /* a request's savepoint is open in the batch */
	bool (*veto)(void *ctx);
	void *veto_ctx;
};

/* The statement for which, prepared on first use and reset; NULL on failure. */
sqlite3_stmt *st_server_stmt(st_server *s, enum q which);
/* Binds p[0..n) as a blob at i (a zero-length one too, never NULL). */
int st_server_bind_blob(sqlite3_stmt *st, int i, const uint8_t *p, size_t n);
/* Copies column i into out[0..n) if it is a blob of exactly n bytes. */
bool st_server_col_fixed(sqlite3_stmt *st, int i, uint8_t *out, size_t n);
/* Runs which with one integer parameter a; *out is the row's first column. */
st_err st_server_count1(st_server *s, enum q which, int64_t a, int64_t *out) ST_MUST_CHECK;

/* Straight-line helpers; STMT and BIND expect the handle in `s`. */
#define ST_TRY(expr) \
	do { \
		st_err st_try_e_ = (expr); \
		if (st_try_e_ != ST_OK) \
			return st_try_e_; \
	} while (0)
#define STMT(var, which) \
	sqlite3_stmt *var = st_server_stmt(s, which); \
	if (!var) \
		return ST_ERR_DB
#define BIND(expr) \
	do { \
		if ((expr) != SQLITE_OK) \
			return ST_ERR_DB; \
	} while (0)

#endif
