/*
 * st_err.h: the result type of store/ (server and client databases).
 *
 * store/ never includes crypto/, so it has its own small result type; net/
 * maps it to its own errors. ST_OK is zero, as CR_OK is. Every function that
 * can fail is marked ST_MUST_CHECK.
 */
#ifndef ECHOVER_ST_ERR_H
#define ECHOVER_ST_ERR_H

typedef enum st_err {
	ST_OK = 0,
	ST_ERR_DB,        /* SQLite failed (I/O, corruption, full disk, busy too long) */
	ST_ERR_NOT_FOUND, /* no such row */
	ST_ERR_EXISTS,    /* a unique key is taken */
	ST_ERR_CONFLICT,  /* a compare-and-set lost: epoch moved, invite used */
	ST_ERR_ARG,       /* the caller broke the contract (bad length, position out of range) */
	ST_ERR_NOMEM,
	ST_ERR_VERSION,   /* the database was written by a newer schema */
} st_err;

#define ST_MUST_CHECK __attribute__((warn_unused_result))

#endif
