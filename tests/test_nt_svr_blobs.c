/*
 * test_nt_svr_blobs.c: the blob handlers (net/svr_blobs.c) driven as a
 * client would, over an in-memory store: sizes and quotas, uploads in pieces
 * from any of the owner's connections, hash mismatches, reads in ranges and
 * expiry.
 */
#include <stdint.h>
#include <string.h>

#include "hash.h"
#include "svr_world.h"
#include "t.h"

static void blob_create(client *cl, uint64_t size, const uint8_t hash[32])
{
	uint8_t b[64];
	cr_writer w;
	cr_writer_init_fixed(&w, b, sizeof b);
	cr_write_u64(&w, size);
	cr_write_opaque(&w, hash, 32);
	CHECK_OK(cr_writer_error(&w));
	request(cl, NT_BLOB_CREATE, b, w.len);
}

/* The blob id of a BLOB_CREATE_OK. */
static bool created_id(const client *cl, uint8_t id[NT_BLOB_ID_LEN])
{
	cr_reader r;
	cr_reader_init(&r, cl->body, cl->body_n);
	uint32_t rid;
	return CHECK(cl->type == NT_BLOB_CREATE_OK) && CHECK_OK(cr_read_u32(&r, &rid)) &&
	       CHECK_OK(cr_read_opaque_fixed(&r, NT_BLOB_ID_LEN, id)) && CHECK_OK(cr_reader_end(&r));
}

static void blob_write(client *cl, const uint8_t id[NT_BLOB_ID_LEN], uint64_t off, const uint8_t *p, size_t n)
{
	cr_writer w;
	cr_writer_init_dynamic(&w, 1 << 20);
	cr_write_opaque(&w, id, NT_BLOB_ID_LEN);
	cr_write_u64(&w, off);
	cr_write_opaque(&w, p, n);
	CHECK_OK(cr_writer_error(&w));
	request(cl, NT_BLOB_WRITE, w.p, w.len);
	cr_writer_free(&w);
}

static bool write_ok(const client *cl, uint64_t written, bool complete)
{
	cr_reader r;
	cr_reader_init(&r, cl->body, cl->body_n);
	uint32_t rid;
	uint64_t got;
	bool done;
	return CHECK(cl->type == NT_BLOB_WRITE_OK) && CHECK_OK(cr_read_u32(&r, &rid)) && CHECK_OK(cr_read_u64(&r, &got)) &&
	       CHECK_OK(cr_read_bool(&r, &done)) && CHECK(got == written && done == complete);
}

static void blob_read(client *cl, const uint8_t id[NT_BLOB_ID_LEN], uint64_t off, uint32_t max)
{
	uint8_t b[64];
	cr_writer w;
	cr_writer_init_fixed(&w, b, sizeof b);
	cr_write_opaque(&w, id, NT_BLOB_ID_LEN);
	cr_write_u64(&w, off);
	cr_write_u32(&w, max);
	CHECK_OK(cr_writer_error(&w));
	request(cl, NT_BLOB_READ, b, w.len);
}

/* The data of a BLOB_DATA, compared with want[n]; size: the whole blob's. */
static bool data_is(const client *cl, uint64_t size, const void *want, size_t n)
{
	cr_reader r;
	cr_reader_init(&r, cl->body, cl->body_n);
	uint32_t rid;
	uint64_t got_size;
	cr_span d;
	return CHECK(cl->type == NT_BLOB_DATA) && CHECK_OK(cr_read_u32(&r, &rid)) &&
	       CHECK_OK(cr_read_u64(&r, &got_size)) && CHECK_OK(cr_read_opaque(&r, SIZE_MAX, &d)) &&
	       CHECK_OK(cr_reader_end(&r)) && CHECK(got_size == size && d.n == n) && CHECK(n == 0 || !memcmp(d.p, want, n));
}

TEST(blobs_upload_read_and_limits)
{
	cast k;
	cast_open(&k, NT_POLICY_OPEN, false);
	k.w.cfg.blob_max = 100;
	k.w.cfg.blob_quota = 150;
	cast_login(&k, 2);
	client *a = &k.a, *b = &k.b;
	static const char content[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	size_t n = sizeof content - 1;
	uint8_t h[32], id[NT_BLOB_ID_LEN], id2[NT_BLOB_ID_LEN];
	cr_sha256(h, (const uint8_t *)content, n);
	/* Sizes: 1..blob_max. */
	blob_create(a, 0, h);
	CHECK(is_err(a, NT_E_LIMIT));
	blob_create(a, 101, h);
	CHECK(is_err(a, NT_E_LIMIT));
	blob_create(a, n, h);
	if (!created_id(a, id))
		goto out;
	/* Not readable before it is complete. */
	blob_read(b, id, 0, 0);
	CHECK(is_err(b, NT_E_NOT_FOUND));
	/* Only its creator writes it. */
	blob_write(b, id, 0, (const uint8_t *)content, 10);
	CHECK(is_err(b, NT_E_FORBIDDEN));
	blob_write(a, id, 0, (const uint8_t *)content, 10);
	write_ok(a, 10, false);
	/* A retried piece, a skipped one, one past the size: LIMIT. */
	blob_write(a, id, 0, (const uint8_t *)content, 10);
	CHECK(is_err(a, NT_E_LIMIT));
	blob_write(a, id, 11, (const uint8_t *)content + 11, 5);
	CHECK(is_err(a, NT_E_LIMIT));
	uint8_t past[sizeof content] = { 0 };
	blob_write(a, id, 10, past, n - 10 + 1);
	CHECK(is_err(a, NT_E_LIMIT));
	/* An empty piece does not decode (data<1..V>) and closes. */
	blob_write(a, id, 10, (const uint8_t *)content, 0);
	CHECK(is_err(a, NT_E_MALFORMED) && nt_svr_conn_closing(&a->c));
	nt_svr_conn_free(&a->c);
	connect_client(&k.w, a, 0x44);
	do_login(a, &k.alice, "correct horse", &k.alice);
	CHECK(a->type == NT_LOGIN_OK);
	/* The upload resumes at the written offset. */
	blob_write(a, id, 10, (const uint8_t *)content + 10, n - 10);
	write_ok(a, n, true);
	blob_write(a, id, n, (const uint8_t *)"x", 1);
	CHECK(is_err(a, NT_E_LIMIT));
	/* Any logged-in user reads it, in ranges. */
	blob_read(b, id, 0, 0);
	data_is(b, n, content, n);
	blob_read(b, id, 5, 7);
	data_is(b, n, content + 5, 7);
	blob_read(b, id, 30, 100);
	data_is(b, n, content + 30, n - 30);
	blob_read(b, id, n, 0);
	data_is(b, n, "", 0);
	blob_read(b, id, n + 1, 0);
	CHECK(is_err(b, NT_E_LIMIT));
	uint8_t unknown[NT_BLOB_ID_LEN] = { 0xee };
	blob_read(b, unknown, 0, 0);
	CHECK(is_err(b, NT_E_NOT_FOUND));
	blob_write(a, unknown, 0, (const uint8_t *)"x", 1);
	CHECK(is_err(a, NT_E_NOT_FOUND));
	/* Quota 150: 36 used, 100 more fit, then 15 do not (declared sizes
	 * count, finished or not). */
	blob_create(a, 100, h);
	if (!created_id(a, id2))
		goto out;
	blob_create(a, 15, h);
	CHECK(is_err(a, NT_E_LIMIT));
	blob_create(a, 14, h);
	CHECK(a->type == NT_BLOB_CREATE_OK);
	/* Bob's quota is his own. */
	blob_create(b, 100, h);
	CHECK(b->type == NT_BLOB_CREATE_OK);
	uint64_t used = 0;
	st_user ua;
	CHECK_OK(st_user_get(k.w.db, (const uint8_t *)"alice", 5, &ua));
	CHECK_OK(st_blob_usage(k.w.db, ua.id, &used));
	CHECK(used == 150);
	/* Blob requests before login are forbidden. */
	client anon;
	connect_client(&k.w, &anon, 9);
	blob_read(&anon, id, 0, 0);
	CHECK(is_err(&anon, NT_E_FORBIDDEN));
	nt_svr_conn_free(&anon.c);
out:
	cast_close(&k);
}

TEST(blobs_hash_mismatch_deletes)
{
	cast k;
	cast_open(&k, NT_POLICY_OPEN, false);
	cast_login(&k, 1);
	client *a = &k.a;
	uint8_t h[32], id[NT_BLOB_ID_LEN];
	cr_sha256(h, (const uint8_t *)"hello world", 11);
	blob_create(a, 11, h);
	if (!created_id(a, id))
		goto out;
	blob_write(a, id, 0, (const uint8_t *)"hello ", 6);
	write_ok(a, 6, false);
	blob_write(a, id, 6, (const uint8_t *)"WORLD", 5);
	CHECK(is_err(a, NT_E_HASH) && !nt_svr_conn_closing(&a->c));
	/* The blob is gone, and its room in the quota with it. */
	st_blob b;
	CHECK_ERR(st_blob_get(k.w.db, id, &b), ST_ERR_NOT_FOUND);
	blob_write(a, id, 6, (const uint8_t *)"world", 5);
	CHECK(is_err(a, NT_E_NOT_FOUND));
	blob_read(a, id, 0, 0);
	CHECK(is_err(a, NT_E_NOT_FOUND));
	uint64_t used = 1;
	CHECK_OK(st_blob_usage(k.w.db, a->c.user, &used));
	CHECK(used == 0);
	/* The right bytes complete it, and the frame limit bounds a read. */
	blob_create(a, 11, h);
	if (!created_id(a, id))
		goto out;
	blob_write(a, id, 0, (const uint8_t *)"hello world", 11);
	write_ok(a, 11, true);
	blob_read(a, id, 0, 0);
	data_is(a, 11, "hello world", 11);
out:
	cast_close(&k);
}

/* A second login of the same user. */
static void login_again(world *w, client *cl, const ident *id, uint8_t exporter_byte)
{
	connect_client(w, cl, exporter_byte);
	do_login(cl, id, "correct horse", id);
	CHECK(cl->type == NT_LOGIN_OK);
}

/* The hash state lives with the blob, so an upload goes on from any of its
 * owner's connections, also one opened after the first was dropped: pieces
 * of every size around the 64-byte blocks, each from another connection,
 * complete with the right hash; a wrong one is still HASH. */
TEST(blobs_upload_continues_on_another_connection)
{
	cast k;
	cast_open(&k, NT_POLICY_OPEN, false);
	cast_login(&k, 2);
	client second;
	login_again(&k.w, &second, &k.alice, 0x44);
	client *a[2] = { &k.a, &second }, *b = &k.b;
	uint8_t content[700], h[32], id[NT_BLOB_ID_LEN];
	for (size_t i = 0; i < sizeof content; i++)
		content[i] = (uint8_t)(i * 13 + (i >> 4));
	cr_sha256(h, content, sizeof content);
	blob_create(a[0], sizeof content, h);
	if (!created_id(a[0], id))
		goto out;
	static const size_t sizes[] = { 1, 62, 1, 64, 63, 65, 2, 128, 1, 130, 27 };
	size_t off = 0;
	uint8_t next_exporter = 0x50;
	for (size_t i = 0; off < sizeof content; i++) {
		size_t n = sizes[i % (sizeof sizes / sizeof sizes[0])];
		n = n < sizeof content - off ? n : sizeof content - off;
		client *cl = a[i % 2];
		blob_write(cl, id, off, content + off, n);
		if (!write_ok(cl, off + n, off + n == sizeof content))
			break;
		off += n;
		/* The other connection repeats the piece: refused, nothing changes. */
		client *other = a[(i + 1) % 2];
		blob_write(other, id, off - n, content + off - n, n);
		CHECK(is_err(other, NT_E_LIMIT));
		/* Another user may not go on with it. */
		if (off < sizeof content) {
			blob_write(b, id, off, content + off, 1);
			CHECK(is_err(b, NT_E_FORBIDDEN));
		}
		/* Now and then one connection drops and a new one logs in. */
		if (i % 3 == 2) {
			nt_svr_conn_free(&cl->c);
			login_again(&k.w, cl, &k.alice, next_exporter++);
		}
	}
	CHECK(off == sizeof content);
	blob_read(b, id, 0, 0);
	data_is(b, sizeof content, content, sizeof content);
	/* The same pieces under a wrong declared hash: HASH, and the blob is gone. */
	h[0] ^= 1;
	blob_create(a[1], sizeof content, h);
	if (!created_id(a[1], id))
		goto out;
	blob_write(a[1], id, 0, content, 300);
	write_ok(a[1], 300, false);
	blob_write(a[0], id, 300, content + 300, 400);
	CHECK(is_err(a[0], NT_E_HASH));
	st_blob gone;
	CHECK_ERR(st_blob_get(k.w.db, id, &gone), ST_ERR_NOT_FOUND);
	/* One changed byte in a middle piece, sent from the other connection: HASH. */
	h[0] ^= 1;
	uint8_t changed[700];
	memcpy(changed, content, sizeof changed);
	changed[333] ^= 0x80;
	blob_create(a[0], sizeof content, h);
	if (!created_id(a[0], id))
		goto out;
	blob_write(a[0], id, 0, changed, 320);
	write_ok(a[0], 320, false);
	blob_write(a[1], id, 320, changed + 320, 50);
	write_ok(a[1], 370, false);
	blob_write(a[0], id, 370, changed + 370, 330);
	CHECK(is_err(a[0], NT_E_HASH));
out:
	nt_svr_conn_free(&second.c);
	cast_close(&k);
}

TEST(blobs_expire)
{
	cast k;
	cast_open(&k, NT_POLICY_OPEN, false);
	k.w.cfg.blob_ttl = 100;
	k.w.cfg.blob_quota = 20;
	cast_login(&k, 1);
	client *a = &k.a;
	uint8_t h[32], id[NT_BLOB_ID_LEN], half[NT_BLOB_ID_LEN];
	cr_sha256(h, (const uint8_t *)"0123456789", 10);
	blob_create(a, 10, h);
	if (!created_id(a, id))
		goto out;
	blob_write(a, id, 0, (const uint8_t *)"0123456789", 10);
	write_ok(a, 10, true);
	blob_create(a, 10, h);
	if (!created_id(a, half))
		goto out;
	blob_write(a, half, 0, (const uint8_t *)"01234", 5);
	write_ok(a, 5, false);
	/* The quota is full (the unfinished upload holds its room). */
	blob_create(a, 1, h);
	CHECK(is_err(a, NT_E_LIMIT));
	g_now += 99;
	blob_read(a, id, 0, 0);
	data_is(a, 10, "0123456789", 10);
	/* At its lifetime a blob is gone for readers and writers, even before
	 * a sweep deleted it... */
	g_now += 1;
	blob_read(a, id, 0, 0);
	CHECK(is_err(a, NT_E_NOT_FOUND));
	blob_write(a, half, 5, (const uint8_t *)"56789", 5);
	CHECK(is_err(a, NT_E_NOT_FOUND));
	st_blob b;
	CHECK_OK(st_blob_get(k.w.db, id, &b));
	/* ...and the next BLOB_CREATE sweeps them, freeing the quota. */
	blob_create(a, 20, h);
	CHECK(a->type == NT_BLOB_CREATE_OK);
	CHECK_ERR(st_blob_get(k.w.db, id, &b), ST_ERR_NOT_FOUND);
	CHECK_ERR(st_blob_get(k.w.db, half, &b), ST_ERR_NOT_FOUND);
	/* The start-up sweep. */
	int64_t deleted = -1;
	CHECK_OK(nt_svr_blob_sweep(k.w.db, &k.w.cfg, g_now + 1000, &deleted));
	CHECK(deleted == 1);
out:
	g_now = 1000;
	cast_close(&k);
}

static const t_case cases[] = {
	T(blobs_upload_read_and_limits), T(blobs_hash_mismatch_deletes), T(blobs_upload_continues_on_another_connection),
	T(blobs_expire), { 0 },
};

int main(int argc, char **argv)
{
	CHECK_OK(cr_init());
	return t_main(argc, argv, cases);
}
