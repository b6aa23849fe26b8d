/*
 * svr_conn.c: the server's per-connection protocol engine (svr_conn.h):
 * its state, the dispatch of each frame to its handler (svr_accounts.c,
 * svr_groups.c, svr_blobs.c), error answers, input and output queues, and
 * the suspension around password hashes.
 */
#include "svr_conn_int.h"

#include <stdio.h>
#include <string.h>

#include "svr_batch.h"
#include "wipe.h"

#define OUT_SLACK 4096u

static void clear_pending(nt_svr_conn *c);

cr_err nt_svr_conn_init(nt_svr_conn *c, const nt_svr_config *cfg, st_server *db,
			const uint8_t exporter[NT_EXPORTER_LEN])
{
	memset(c, 0, sizeof *c);
	CR_ENSURE(cfg->frame_max >= NT_FRAME_MAX_MIN, CR_ERR_ARG);
	c->cfg = cfg;
	c->db = db;
	c->state = NT_SVR_HELLO;
	memcpy(c->exporter, exporter, NT_EXPORTER_LEN);
	nt_parser_init(&c->parser, cfg->frame_max);
	cr_writer_init_dynamic(&c->out, 2 * (size_t)cfg->frame_max + OUT_SLACK);
	cr_err err = cr_random(cfg->rng, c->nonce, sizeof c->nonce);
	if (err)
		nt_svr_conn_free(c);
	return err;
}

void nt_svr_conn_free(nt_svr_conn *c)
{
	if (c->batch)
		nt_svr_batch_remove(c->batch, c);
	nt_parser_free(&c->parser);
	cr_writer_free(&c->out);
	cr_wipe(c->nonce, sizeof c->nonce);
	cr_wipe(c->exporter, sizeof c->exporter);
	clear_pending(c);
}

uint8_t *nt_svr_conn_take_output(nt_svr_conn *c, size_t *n)
{
	*n = 0;
	if (c->out.len == 0 || c->batch)
		return NULL;
	uint8_t *p = cr_writer_take(&c->out, n);
	cr_writer_init_dynamic(&c->out, 2 * (size_t)c->cfg->frame_max + OUT_SLACK);
	return p;
}

bool nt_svr_conn_closing(const nt_svr_conn *c)
{
	return c->closing;
}

int64_t nt_svr_conn_user(const nt_svr_conn *c)
{
	return c->state == NT_SVR_USER ? c->user : 0;
}

bool nt_svr_online(const nt_svr_conn *c, int64_t user)
{
	return c->cfg->is_online && c->cfg->is_online(c->cfg->hooks_ctx, user);
}

/* After the commit only: the loop tells the members. In a batch the
 * commit is still to come, so the batch keeps the note (if memory runs
 * out it is lost, which only delays readers until their next FETCH). */
void nt_svr_notify(nt_svr_conn *c, int64_t group, cr_span gid, uint64_t position)
{
	if (c->batch) {
		cr_err e = nt_svr_batch_note_append(c->batch, c, group, gid.p, gid.n, position);
		(void)e;
	} else if (c->cfg->appended)
		c->cfg->appended(c->cfg->hooks_ctx, group, gid.p, gid.n, position, c);
}
/* Queues an error frame; `close` marks the connection closing. */
static void send_error(nt_svr_conn *c, uint32_t id, nt_code code, bool close)
{
	size_t m = nt_frame_begin(&c->out, NT_ERROR);
	nt_write_error(&c->out, id, code, nt_code_str(code));
	nt_frame_end(&c->out, m, c->cfg->frame_max);
	if (close)
		c->closing = true;
}

nt_svr_res nt_svr_from_st(st_err e)
{
	switch (e) {
	case ST_OK: return 0;
	case ST_ERR_NOT_FOUND: return NT_E_NOT_FOUND;
	case ST_ERR_EXISTS: return NT_E_EXISTS;
	case ST_ERR_CONFLICT: return NT_E_CONFLICT;
	case ST_ERR_ARG: return NT_E_LIMIT;
	default: return NT_E_INTERNAL;
	}
}

/* Ends a handler's store work: commit on success, roll back otherwise. */
nt_svr_res nt_svr_finish_tx(nt_svr_conn *c, nt_svr_res r)
{
	if (r) {
		st_rollback(c->db);
		return r;
	}
	st_err e = st_commit(c->db);
	if (e) {
		st_rollback(c->db);
		return NT_E_INTERNAL;
	}
	return 0;
}

void nt_svr_conn_drop_output(nt_svr_conn *c, nt_code code)
{
	cr_writer_free(&c->out);
	cr_writer_init_dynamic(&c->out, 2 * (size_t)c->cfg->frame_max + OUT_SLACK);
	send_error(c, 0, code, true);
}

/* Reads opaque<V> for a username and checks the rules (store decides). */
cr_err nt_svr_read_name(cr_reader *r, cr_span *name)
{
	return cr_read_opaque(r, NT_USERNAME_MAX, name);
}

static void clear_pending(nt_svr_conn *c)
{
	nt_hash_job_wipe(&c->job);
	cr_wipe(&c->pend, sizeof c->pend);
	c->pend.kind = NT_PEND_NONE;
}

/* Sends the error of a handler result; a negative one closes. */
static void answer(nt_svr_conn *c, uint32_t id, nt_svr_res rr)
{
	if (rr < 0)
		send_error(c, id, (nt_code)-rr, true);
	else if (rr > 0)
		send_error(c, id, (nt_code)rr, false);
}

/* Answers one frame. A negative handler result closes the connection. */
static void dispatch(nt_svr_conn *c, const nt_frame *f, int64_t now)
{
	cr_reader r;
	cr_reader_init(&r, f->body.p, f->body.n);
	uint32_t id = 0;
	if (cr_read_u32(&r, &id)) {
		send_error(c, 0, NT_E_MALFORMED, true);
		return;
	}
	nt_svr_res rr;
	if (c->state == NT_SVR_HELLO) {
		rr = f->type == NT_HELLO ? nt_svr_handle_hello(c, id, f) : -NT_E_VERSION;
	} else if (f->type == NT_HELLO) {
		rr = NT_E_UNEXPECTED;
	} else if (c->state == NT_SVR_ANON) {
		switch (f->type) {
		case NT_REGISTER: rr = nt_svr_handle_register(c, id, &r, now); break;
		case NT_LOGIN: rr = nt_svr_handle_login(c, id, &r, now); break;
		case NT_KP_UPLOAD: case NT_KP_FETCH: case NT_IDENTITY_FETCH: case NT_GROUP_CREATE:
		case NT_POST: case NT_FETCH: case NT_ACK: case NT_GROUPS_LIST: case NT_MEMBERS:
		case NT_JOIN_REQUEST: case NT_ROLE_SET: case NT_DM_CREATE: case NT_PRESENCE:
		case NT_BLOB_CREATE: case NT_BLOB_WRITE: case NT_BLOB_READ:
			rr = NT_E_FORBIDDEN;
			break;
		default: rr = NT_E_UNEXPECTED; break;
		}
	} else {
		switch (f->type) {
		case NT_KP_UPLOAD: rr = nt_svr_handle_kp_upload(c, id, &r); break;
		case NT_KP_FETCH: rr = nt_svr_handle_kp_fetch(c, id, &r); break;
		case NT_IDENTITY_FETCH: rr = nt_svr_handle_identity_fetch(c, id, &r); break;
		case NT_GROUP_CREATE: rr = nt_svr_handle_group_create(c, id, &r); break;
		case NT_POST: rr = nt_svr_handle_post(c, id, &r); break;
		case NT_FETCH: rr = nt_svr_handle_fetch(c, id, &r); break;
		case NT_ACK: rr = nt_svr_handle_ack(c, id, &r); break;
		case NT_GROUPS_LIST: rr = nt_svr_handle_groups_list(c, id, &r); break;
		case NT_MEMBERS: rr = nt_svr_handle_members(c, id, &r); break;
		case NT_JOIN_REQUEST: rr = nt_svr_handle_join_request(c, id, &r, now); break;
		case NT_ROLE_SET: rr = nt_svr_handle_role_set(c, id, &r); break;
		case NT_DM_CREATE: rr = nt_svr_handle_dm_create(c, id, &r); break;
		case NT_PRESENCE: rr = nt_svr_handle_presence(c, id, &r); break;
		case NT_BLOB_CREATE: rr = nt_svr_handle_blob_create(c, id, &r, now); break;
		case NT_BLOB_WRITE: rr = nt_svr_handle_blob_write(c, id, &r, now); break;
		case NT_BLOB_READ: rr = nt_svr_handle_blob_read(c, id, &r, now); break;
		default: rr = NT_E_UNEXPECTED; break;
		}
	}
	answer(c, id, rr);
}

void nt_svr_conn_set_addr(nt_svr_conn *c, const char *addr)
{
	snprintf(c->addr, sizeof c->addr, "%s", addr);
}

nt_hash_job *nt_svr_conn_job(nt_svr_conn *c)
{
	return c->pend.kind == NT_PEND_NONE ? NULL : &c->job;
}

cr_err nt_svr_conn_resume(nt_svr_conn *c, const nt_hash_job *done)
{
	CR_ENSURE(c->pend.kind != NT_PEND_NONE, CR_ERR_STATE);
	uint32_t id = c->pend.id;
	nt_svr_res rr = c->pend.kind == NT_PEND_LOGIN ? nt_svr_finish_login(c, done)
						 : nt_svr_finish_register(c, done);
	clear_pending(c);
	answer(c, id, rr);
	return cr_writer_error(&c->out);
}

cr_err nt_svr_conn_busy(nt_svr_conn *c)
{
	CR_ENSURE(c->pend.kind != NT_PEND_NONE, CR_ERR_STATE);
	uint32_t id = c->pend.id;
	clear_pending(c);
	send_error(c, id, NT_E_BUSY, false);
	return cr_writer_error(&c->out);
}

cr_err nt_svr_conn_feed(nt_svr_conn *c, const uint8_t *p, size_t n, int64_t now, size_t *consumed)
{
	cr_reader in;
	cr_reader_init(&in, p, n);
	*consumed = 0;
	while (!c->closing && c->pend.kind == NT_PEND_NONE && cr_reader_left(&in) &&
	       c->out.len < c->cfg->frame_max) {
		bool got;
		nt_frame f;
		cr_err e = nt_parser_feed(&c->parser, &in, &got, &f);
		if (e == CR_ERR_LIMIT) {
			send_error(c, 0, NT_E_TOO_LARGE, true);
			break;
		}
		if (e) {
			*consumed = in.off;
			return e;
		}
		if (got)
			dispatch(c, &f, now);
	}
	*consumed = in.off;
	/* The output queue is bounded; overflowing it is the server's failure
	 * (a response larger than two frame limits cannot be built). */
	return cr_writer_error(&c->out);
}

cr_err nt_svr_conn_feed_sync(nt_svr_conn *c, const uint8_t *p, size_t n, int64_t now, size_t *consumed)
{
	cr_reader in;
	cr_reader_init(&in, p, n);
	*consumed = 0;
	for (;;) {
		cr_reader peek = in;
		cr_span rest, done;
		size_t used = 0;
		CR_TRY(cr_read_span(&peek, cr_reader_left(&peek), &rest));
		cr_err err = nt_svr_conn_feed(c, rest.p, rest.n, now, &used);
		CR_TRY(cr_read_span(&in, used, &done));
		*consumed = in.off;
		if (err)
			return err;
		nt_hash_job *j = nt_svr_conn_job(c);
		if (!j)
			return CR_OK;
		nt_hash_job_run(j);
		CR_TRY(nt_svr_conn_resume(c, j));
	}
}
