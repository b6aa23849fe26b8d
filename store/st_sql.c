#include "st_sql.h"

st_err st_sql_err(int rc)
{
	/* Only a taken unique key means "exists"; another broken constraint
	 * means the caller passed something that cannot be stored. */
	if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
		return ST_ERR_EXISTS;
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return ST_OK;
	case SQLITE_CONSTRAINT:
	case SQLITE_TOOBIG:
		return ST_ERR_ARG;
	case SQLITE_NOMEM:
		return ST_ERR_NOMEM;
	default:
		return ST_ERR_DB;
	}
}

/* A step that failed yet maps to ST_OK (SQLITE_ROW where none was due) is
 * still a failure. */
static st_err step_failed(int rc)
{
	st_err e = st_sql_err(rc);
	return e == ST_OK ? ST_ERR_DB : e;
}

st_err st_sql_run(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? ST_OK : step_failed(rc);
}

st_err st_sql_row(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		return ST_OK;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? ST_ERR_NOT_FOUND : step_failed(rc);
}
