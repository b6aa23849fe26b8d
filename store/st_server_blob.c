/*
 * st_server_blob.c: the server store's blobs (st_server.h): uploads in
 * pieces under a random id with their hash state, reads by range, quotas
 * and expiry. The statements are in st_server.c's table.
 */
#include "st_server_int.h"

#include <string.h>

static bool blob_size_ok(uint64_t v)
{
	return v <= (uint64_t)INT64_MAX;
}

st_err st_blob_create(st_server *s, const st_blob *b)
{
	if (b->size == 0 || !blob_size_ok(b->size))
		return ST_ERR_ARG;
	STMT(st, Q_BLOB_ADD);
	BIND(st_server_bind_blob(st, 1, b->id, ST_BLOB_ID_LEN));
	BIND(sqlite3_bind_int64(st, 2, b->owner));
	BIND(sqlite3_bind_int64(st, 3, (int64_t)b->size));
	BIND(st_server_bind_blob(st, 4, b->hash, ST_HASH_LEN));
	BIND(sqlite3_bind_int64(st, 5, b->created));
	return st_sql_run(st);
}

st_err st_blob_get(st_server *s, const uint8_t id[ST_BLOB_ID_LEN], st_blob *b)
{
	memset(b, 0, sizeof *b);
	STMT(st, Q_BLOB_GET);
	BIND(st_server_bind_blob(st, 1, id, ST_BLOB_ID_LEN));
	ST_TRY(st_sql_row(st));
	memcpy(b->id, id, ST_BLOB_ID_LEN);
	b->owner = sqlite3_column_int64(st, 0);
	b->size = (uint64_t)sqlite3_column_int64(st, 1);
	st_err e = st_server_col_fixed(st, 2, b->hash, ST_HASH_LEN) ? ST_OK : ST_ERR_DB;
	b->created = sqlite3_column_int64(st, 3);
	b->written = (uint64_t)sqlite3_column_int64(st, 4);
	b->complete = sqlite3_column_int(st, 5) != 0;
	/* No hash state before the first piece; after it, one whose tail is
	 * what the written count says, or the row is corrupt. */
	if (!e && sqlite3_column_type(st, 6) != SQLITE_NULL) {
		int tail = sqlite3_column_bytes(st, 7);
		const void *p = sqlite3_column_blob(st, 7);
		b->has_hash = st_server_col_fixed(st, 6, b->hashed.mid, ST_HASH_LEN) &&
			      sqlite3_column_type(st, 7) == SQLITE_BLOB &&
			      tail >= 0 && (uint64_t)tail == b->written % ST_HASH_BLOCK && (tail == 0 || p);
		if (b->has_hash && tail > 0)
			memcpy(b->hashed.tail, p, (size_t)tail);
		b->hashed.tail_len = b->has_hash ? (size_t)tail : 0;
		e = b->has_hash ? ST_OK : ST_ERR_DB;
	} else if (!e && b->written > 0) {
		e = ST_ERR_DB;
	}
	sqlite3_reset(st);
	return e;
}

st_err st_blob_append(st_server *s, const uint8_t id[ST_BLOB_ID_LEN], uint64_t offset, const uint8_t *data,
		      size_t n, const st_blob_hash *h)
{
	if (n == 0 || !blob_size_ok(offset) || n > (size_t)INT32_MAX || (uint64_t)n > (uint64_t)INT64_MAX - offset ||
	    h->tail_len != (offset + n) % ST_HASH_BLOCK)
		return ST_ERR_ARG;
	STMT(adv, Q_BLOB_ADVANCE);
	BIND(st_server_bind_blob(adv, 1, id, ST_BLOB_ID_LEN));
	BIND(sqlite3_bind_int64(adv, 2, (int64_t)offset));
	BIND(sqlite3_bind_int64(adv, 3, (int64_t)n));
	BIND(st_server_bind_blob(adv, 4, h->mid, ST_HASH_LEN));
	BIND(st_server_bind_blob(adv, 5, h->tail, h->tail_len));
	ST_TRY(st_sql_run(adv));
	if (sqlite3_changes(s->db) != 1)
		return ST_ERR_ARG;
	STMT(st, Q_BLOB_CHUNK_ADD);
	BIND(st_server_bind_blob(st, 1, id, ST_BLOB_ID_LEN));
	BIND(sqlite3_bind_int64(st, 2, (int64_t)offset));
	BIND(st_server_bind_blob(st, 3, data, n));
	return st_sql_run(st);
}

st_err st_blob_read(st_server *s, const uint8_t id[ST_BLOB_ID_LEN], uint64_t offset, uint8_t *out, size_t n,
		    size_t *got)
{
	*got = 0;
	if (!blob_size_ok(offset) || n > (uint64_t)INT64_MAX - offset)
		return ST_ERR_ARG;
	if (n == 0)
		return ST_OK;
	STMT(st, Q_BLOB_RANGE);
	BIND(st_server_bind_blob(st, 1, id, ST_BLOB_ID_LEN));
	BIND(sqlite3_bind_int64(st, 2, (int64_t)offset));
	BIND(sqlite3_bind_int64(st, 3, (int64_t)(offset + n)));
	st_err e = ST_OK;
	int rc;
	uint64_t pos = offset;
	while (!e && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		uint64_t off = (uint64_t)sqlite3_column_int64(st, 0);
		const uint8_t *p = sqlite3_column_blob(st, 1);
		uint64_t len = (uint64_t)sqlite3_column_bytes(st, 1);
		/* The first row may end where the range starts (a read at the
		 * end); pieces are contiguous (append checks the offset), so a
		 * gap is a corrupt database. */
		if (off + len <= pos)
			continue;
		if (off > pos || !p) {
			e = ST_ERR_DB;
			break;
		}
		uint64_t skip = pos - off, take = len - skip;
		if (take > offset + n - pos)
			take = offset + n - pos;
		memcpy(out + (pos - offset), p + skip, (size_t)take);
		pos += take;
	}
	if (!e && rc != SQLITE_DONE)
		e = ST_ERR_DB;
	sqlite3_reset(st);
	if (!e)
		*got = (size_t)(pos - offset);
	return e;
}

st_err st_blob_each_chunk(st_server *s, const uint8_t id[ST_BLOB_ID_LEN],
			  void (*fn)(void *ctx, const uint8_t *p, size_t n), void *ctx)
{
	STMT(st, Q_BLOB_CHUNKS);
	BIND(st_server_bind_blob(st, 1, id, ST_BLOB_ID_LEN));
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const uint8_t *p = sqlite3_column_blob(st, 0);
		int len = sqlite3_column_bytes(st, 0);
		if (p && len > 0)
			fn(ctx, p, (size_t)len);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? ST_OK : ST_ERR_DB;
}

st_err st_blob_set_complete(st_server *s, const uint8_t id[ST_BLOB_ID_LEN])
{
	STMT(st, Q_BLOB_COMPLETE);
	BIND(st_server_bind_blob(st, 1, id, ST_BLOB_ID_LEN));
	ST_TRY(st_sql_run(st));
	return sqlite3_changes(s->db) == 1 ? ST_OK : ST_ERR_ARG;
}

st_err st_blob_delete(st_server *s, const uint8_t id[ST_BLOB_ID_LEN])
{
	STMT(ch, Q_BLOB_DEL_CHUNKS);
	BIND(st_server_bind_blob(ch, 1, id, ST_BLOB_ID_LEN));
	ST_TRY(st_sql_run(ch));
	STMT(st, Q_BLOB_DEL);
	BIND(st_server_bind_blob(st, 1, id, ST_BLOB_ID_LEN));
	ST_TRY(st_sql_run(st));
	return sqlite3_changes(s->db) == 1 ? ST_OK : ST_ERR_NOT_FOUND;
}

st_err st_blob_usage(st_server *s, int64_t owner, uint64_t *bytes)
{
	int64_t v = 0;
	ST_TRY(st_server_count1(s, Q_BLOB_USAGE, owner, &v));
	*bytes = v > 0 ? (uint64_t)v : 0;
	return ST_OK;
}

st_err st_blob_expire(st_server *s, int64_t before, int64_t *deleted)
{
	*deleted = 0;
	STMT(ch, Q_BLOB_EXPIRE_CHUNKS);
	BIND(sqlite3_bind_int64(ch, 1, before));
	ST_TRY(st_sql_run(ch));
	STMT(st, Q_BLOB_EXPIRE);
	BIND(sqlite3_bind_int64(st, 1, before));
	ST_TRY(st_sql_run(st));
	*deleted = sqlite3_changes(s->db);
	return ST_OK;
}
