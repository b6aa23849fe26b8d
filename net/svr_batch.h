/*
 * svr_batch.h: group commit for the server's connection engines, sans I/O.
 *
 * DESIGN.md section 5: a message is acknowledged to its sender only after
 * the SQLite transaction holding it committed durably (WAL,
 * synchronous=FULL). One fsync per request caps a server at a few hundred
 * writes per second, so the event loop gathers the requests of one wake-up
 * (every ready connection) into one transaction:
 *
 *   nt_svr_batch_begin(b);
 *   nt_svr_batch_add(b, conn, tag); nt_svr_conn_feed(conn, ...);  (many)
 *   nt_svr_batch_commit(b);
 *
 * While a connection is in an open batch its engine holds its answers
 * (nt_svr_conn_take_output returns NULL) and defers the `appended` hook
 * (notes coalesced per group); each request runs in its own savepoint
 * (st_batch_begin), so a refused request still leaves no trace. On a
 * durable COMMIT the answers are released and the notifications fire. On a
 * failed COMMIT nothing of the batch is acknowledged: every member's held
 * answers are dropped, it is answered ERROR INTERNAL (id 0, "nothing was
 * stored") and marked closing; the client reconnects and retries, which
 * is safe because delivery is at-least-once and deduplicated by clients.
 *
 * After nt_svr_batch_commit, the members (with their caller tags) stay
 * listed until the next begin, so the caller can send their answers.
 * Memory: one pointer pair per member and one note per group touched.
 * Without a batch, the engine commits each request by itself as before.
 */
#ifndef ECHOVER_NT_SVR_BATCH_H
#define ECHOVER_NT_SVR_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cr_err.h"
#include "nt_proto.h"
#include "st_server.h"
#include "svr_conn.h"

typedef struct nt_svr_batch_note {
	const nt_svr_config *cfg;
	int64_t group;
	uint8_t gid[NT_GROUP_ID_MAX];
	size_t gid_len;
	uint64_t position;
	const nt_svr_conn *origin;   /* NULL once two connections appended */
} nt_svr_batch_note;

typedef struct nt_svr_batch_member {
	nt_svr_conn *conn;
	void *tag;
} nt_svr_batch_member;

struct nt_svr_batch {
	st_server *db;
	bool open;
	nt_svr_batch_member *members;
	size_t n, cap;
	nt_svr_batch_note *notes;
	size_t n_notes, cap_notes;
	uint64_t commits, failed;    /* durable transactions, failed ones */
};

void nt_svr_batch_init(nt_svr_batch *b, st_server *db);
/* Ends an open batch by rolling it back (nothing was acknowledged). */
void nt_svr_batch_free(nt_svr_batch *b);
/* Opens a batch: CR_ERR_STATE when one is open or the store refuses. */
cr_err nt_svr_batch_begin(nt_svr_batch *b) CR_MUST_CHECK;
/* Makes c a member (once; tag is the caller's, for nt_svr_batch_member):
 * call it before feeding or resuming c. CR_ERR_NOMEM, or CR_ERR_STATE when
 * no batch is open. */
cr_err nt_svr_batch_add(nt_svr_batch *b, nt_svr_conn *c, void *tag) CR_MUST_CHECK;
/* c is about to be freed: it leaves the batch (its writes stay in it). */
void nt_svr_batch_remove(nt_svr_batch *b, nt_svr_conn *c);
/* Called by the engine in place of cfg->appended while c is a member. */
cr_err nt_svr_batch_note_append(nt_svr_batch *b, const nt_svr_conn *c, int64_t group, const uint8_t *gid,
				size_t gid_len, uint64_t position) CR_MUST_CHECK;
/* Commits durably and releases the members' answers, then calls the
 * deferred appended hooks. CR_ERR_STATE when the COMMIT failed: the batch
 * was rolled back and every member answered INTERNAL and closing (above). */
cr_err nt_svr_batch_commit(nt_svr_batch *b) CR_MUST_CHECK;
/* The members of the current or last batch: count, and each one's tag. */
size_t nt_svr_batch_size(const nt_svr_batch *b);
void *nt_svr_batch_tag(const nt_svr_batch *b, size_t i);

#endif
