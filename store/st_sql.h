/*
 * st_sql.h: the SQLite step helpers both stores share (server and client).
 *
 * One mapping from SQLite result codes to st_err, so that a taken unique key
 * reads as ST_ERR_EXISTS everywhere and nothing else does; and the two ways
 * a prepared statement is stepped. Both steppers reset the statement and
 * clear its bindings when they are done with it, so no bound buffer (which
 * may hold secrets) stays referenced after the call.
 */
#ifndef ECHOVER_ST_SQL_H
#define ECHOVER_ST_SQL_H

#include <sqlite3.h>

#include "st_err.h"

/* ST_OK for OK/ROW/DONE; ST_ERR_EXISTS for a unique or primary key taken;
 * ST_ERR_ARG for another constraint or a value too big; ST_ERR_NOMEM; else
 * ST_ERR_DB. */
st_err st_sql_err(int rc);
/* Steps a statement that returns no row, then resets it. */
st_err st_sql_run(sqlite3_stmt *st);
/* Steps a statement expected to return one row: ST_OK with the row (the
 * caller reads columns, then resets), ST_ERR_NOT_FOUND without (reset). */
st_err st_sql_row(sqlite3_stmt *st);

#endif
