/*
 * svr_blobs.c: the server's handlers for file blobs: BLOB_CREATE within the
 * size and quota limits, BLOB_WRITE hashing each piece as it is stored,
 * BLOB_READ, and the sweep of expired blobs.
 */
#include "svr_conn_int.h"

#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "wipe.h"

static uint64_t blob_max(const nt_svr_config *cfg)
{
	return cfg->blob_max ? cfg->blob_max : NT_BLOB_MAX_DEFAULT;
}

static uint64_t blob_quota(const nt_svr_config *cfg)
{
	return cfg->blob_quota ? cfg->blob_quota : NT_BLOB_QUOTA_DEFAULT;
}

static int64_t blob_ttl(const nt_svr_config *cfg)
{
	return cfg->blob_ttl > 0 ? cfg->blob_ttl : NT_BLOB_TTL_DEFAULT;
}

cr_err nt_svr_blob_sweep(st_server *db, const nt_svr_config *cfg, int64_t now, int64_t *deleted)
{
	*deleted = 0;
	if (st_begin(db))
		return CR_ERR_STATE;
	/* Gone at created + ttl, as live_blob() says. */
	if (st_blob_expire(db, now - blob_ttl(cfg) + 1, deleted) || st_commit(db)) {
		st_rollback(db);
		*deleted = 0;
		return CR_ERR_STATE;
	}
	return CR_OK;
}

/* The blob named by id, if it exists and has not expired (an expired blob
 * not yet swept is as gone as a swept one). */
static nt_svr_res live_blob(nt_svr_conn *c, const uint8_t id[NT_BLOB_ID_LEN], int64_t now, st_blob *b)
{
	nt_svr_res rr = nt_svr_from_st(st_blob_get(c->db, id, b));
	if (rr)
		return rr;
	return b->created + blob_ttl(c->cfg) <= now ? NT_E_NOT_FOUND : 0;
}

nt_svr_res nt_svr_handle_blob_create(nt_svr_conn *c, uint32_t id, cr_reader *r, int64_t now)
{
	st_blob b;
	memset(&b, 0, sizeof b);
	if (cr_read_u64(r, &b.size) || cr_read_opaque_fixed(r, sizeof b.hash, b.hash) || cr_reader_end(r))
		return -NT_E_MALFORMED;
	if (b.size == 0 || b.size > blob_max(c->cfg))
		return NT_E_LIMIT;
	int64_t swept;
	if (nt_svr_blob_sweep(c->db, c->cfg, now, &swept))
		return NT_E_INTERNAL;
	b.owner = c->user;
	b.created = now;
	if (cr_random(c->cfg->rng, b.id, sizeof b.id))
		return NT_E_INTERNAL;
	if (st_begin(c->db))
		return NT_E_INTERNAL;
	uint64_t used = 0;
	nt_svr_res rr = nt_svr_from_st(st_blob_usage(c->db, c->user, &used));
	/* Unfinished uploads count with their declared size (PROTOCOL.md). */
	if (!rr && (used > blob_quota(c->cfg) || b.size > blob_quota(c->cfg) - used))
		rr = NT_E_LIMIT;
	if (!rr) {
		st_err e = st_blob_create(c->db, &b);
		rr = e == ST_ERR_EXISTS ? NT_E_INTERNAL : nt_svr_from_st(e);
	}
	rr = nt_svr_finish_tx(c, rr);
	if (rr)
		return rr;
	size_t m = nt_frame_begin(&c->out, NT_BLOB_CREATE_OK);
	cr_write_u32(&c->out, id);
	cr_write_opaque(&c->out, b.id, sizeof b.id);
	nt_frame_end(&c->out, m, c->cfg->frame_max);
	return 0;
}

/* The upload's SHA-256 after the bytes stored so far, resumed from the
 * state stored with them: whichever connection wrote them (or a server since
 * restarted), and without reading a stored byte. */
static nt_svr_res resume_hash(const st_blob *b, cr_sha256_ctx *h)
{
	if (!b->has_hash) {
		cr_sha256_init(h);
		return b->written == 0 ? 0 : NT_E_INTERNAL;
	}
	if (cr_sha256_resume(h, b->hashed.mid, b->written - b->hashed.tail_len))
		return NT_E_INTERNAL;
	cr_sha256_update(h, b->hashed.tail, b->hashed.tail_len);
	return 0;
}

/* The state to store after data: the chaining value over the whole blocks,
 * and the bytes after them, the end of (stored tail | data). */
static void next_hash(const cr_sha256_ctx *h, const st_blob *b, cr_span data, st_blob_hash *out)
{
	uint64_t end = b->written + data.n;
	uint64_t whole = cr_sha256_save(h, out->mid);
	size_t tail = (size_t)(end - whole), from_old = tail > data.n ? tail - data.n : 0;
	/* from_old > 0 only when data did not reach a block's end: then the
	 * stored tail is exactly those from_old bytes. */
	memcpy(out->tail, b->hashed.tail + b->hashed.tail_len - from_old, from_old);
	memcpy(out->tail + from_old, data.p + data.n - (tail - from_old), tail - from_old);
	out->tail_len = tail;
}

/* Each piece is hashed as it is stored, in its transaction, and the hash
 * state stored with it, so the last piece's check costs one finalization,
 * not a pass over the blob on the event loop. The hash covers exactly the
 * bytes handed to the store. */
nt_svr_res nt_svr_handle_blob_write(nt_svr_conn *c, uint32_t id, cr_reader *r, int64_t now)
{
	uint8_t bid[NT_BLOB_ID_LEN];
	uint64_t offset;
	cr_span data;
	if (cr_read_opaque_fixed(r, sizeof bid, bid) || cr_read_u64(r, &offset) ||
	    cr_read_opaque(r, c->cfg->frame_max, &data) || data.n == 0 || cr_reader_end(r))
		return -NT_E_MALFORMED;
	if (st_begin(c->db))
		return NT_E_INTERNAL;
	st_blob b;
	nt_svr_res rr = live_blob(c, bid, now, &b);
	if (!rr && b.owner != c->user)
		rr = NT_E_FORBIDDEN;
	/* A retried or skipped piece is refused, never stored twice. */
	if (!rr && (offset != b.written || data.n > b.size - b.written))
		rr = NT_E_LIMIT;
	cr_sha256_ctx h;
	st_blob_hash next;
	if (!rr)
		rr = resume_hash(&b, &h);
	if (!rr) {
		cr_sha256_update(&h, data.p, data.n);
		next_hash(&h, &b, data, &next);
		rr = nt_svr_from_st(st_blob_append(c->db, bid, offset, data.p, data.n, &next));
	}
	bool complete = false, mismatch = false;
	if (!rr && offset + data.n == b.size) {
		uint8_t got[NT_HASH_LEN];
		cr_sha256_final(&h, got);
		mismatch = !cr_ct_equal(got, b.hash, sizeof got);
		if (mismatch)
			rr = nt_svr_from_st(st_blob_delete(c->db, bid));
		else
			rr = nt_svr_from_st(st_blob_set_complete(c->db, bid));
		complete = !rr && !mismatch;
	}
	rr = nt_svr_finish_tx(c, rr);
	if (rr)
		return rr;
	if (mismatch)
		return NT_E_HASH;
	size_t m = nt_frame_begin(&c->out, NT_BLOB_WRITE_OK);
	cr_write_u32(&c->out, id);
	cr_write_u64(&c->out, offset + data.n);
	cr_write_bool(&c->out, complete);
	nt_frame_end(&c->out, m, c->cfg->frame_max);
	return 0;
}

/* BLOB_DATA's bytes besides the data: id, size, the data's length prefix. */
#define BLOB_DATA_OVERHEAD 32u

nt_svr_res nt_svr_handle_blob_read(nt_svr_conn *c, uint32_t id, cr_reader *r, int64_t now)
{
	uint8_t bid[NT_BLOB_ID_LEN];
	uint64_t offset;
	uint32_t max;
	if (cr_read_opaque_fixed(r, sizeof bid, bid) || cr_read_u64(r, &offset) || cr_read_u32(r, &max) ||
	    cr_reader_end(r))
		return -NT_E_MALFORMED;
	st_blob b;
	nt_svr_res rr = live_blob(c, bid, now, &b);
	if (rr)
		return rr;
	if (!b.complete)
		return NT_E_NOT_FOUND;
	if (offset > b.size)
		return NT_E_LIMIT;
	size_t room = c->cfg->frame_max - BLOB_DATA_OVERHEAD;
	size_t n = max == 0 || max > room ? room : max;
	if (n > b.size - offset)
		n = (size_t)(b.size - offset);
	uint8_t *buf = malloc(n ? n : 1);
	if (!buf)
		return NT_E_INTERNAL;
	size_t got = 0;
	rr = nt_svr_from_st(st_blob_read(c->db, bid, offset, buf, n, &got));
	if (!rr && got != n)
		rr = NT_E_INTERNAL;
	if (!rr) {
		size_t m = nt_frame_begin(&c->out, NT_BLOB_DATA);
		cr_write_u32(&c->out, id);
		cr_write_u64(&c->out, b.size);
		cr_write_opaque(&c->out, buf, n);
		nt_frame_end(&c->out, m, c->cfg->frame_max);
	}
	free(buf);
	return rr;
}
