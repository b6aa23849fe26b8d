/*
 * test_nt_cli_conn.c: the client protocol engine (net/cli_conn.h) against
 * the server engine (net/svr_conn.h), in memory and without TLS: every
 * request it builds is one the server accepts, the login signature matches
 * what the server verifies (and fails with another exporter or pin), every
 * response decodes; and the decoders refuse truncated, trailing, unknown
 * and mismatched frames.
 */
#include <stdlib.h>
#include <string.h>

#include "cli_conn.h"
#include "hash.h"
#include "svr_conn.h"
#include "t.h"

typedef struct pair {
	st_server *db;
	cr_rng_det det;
	cr_rng rng;
	nt_svr_config cfg;
	nt_svr_conn s;
	nt_cli_conn c;
	nt_cli_resp r;
	uint8_t *out;  /* server output being parsed (kept: responses borrow it) */
	cr_reader pending;
} pair;

static const uint8_t EXPORTER[NT_EXPORTER_LEN] = { 0xee, 1, 2, 3 };

static bool pair_init(pair *p)
{
	memset(p, 0, sizeof *p);
	uint8_t seed[32] = { 3 };
	cr_rng_det_init(&p->det, &p->rng, seed);
	p->cfg.policy = NT_POLICY_OPEN;
	p->cfg.frame_max = 1 << 16;
	p->cfg.argon = (cr_argon2_params){ 1, 8 };
	p->cfg.rng = &p->rng;
	memset(p->cfg.server_pin, 0x5e, NT_PIN_LEN);
	if (!CHECK_OK(st_server_open(&p->db, ":memory:")) || !CHECK_OK(nt_svr_conn_init(&p->s, &p->cfg, p->db, EXPORTER)))
		return false;
	nt_cli_conn_init(&p->c, 1 << 20);
	return true;
}

static void pair_free(pair *p)
{
	nt_svr_conn_free(&p->s);
	nt_cli_conn_free(&p->c);
	st_server_close(p->db);
	free(p->out);
}

/* Sends the frames in w to the server, decodes the next response. */
static bool roundtrip(pair *p, cr_writer *w)
{
	bool ok = CHECK_OK(cr_writer_error(w));
	size_t used = 0;
	ok = ok && CHECK_OK(nt_svr_conn_feed_sync(&p->s, w->p, w->len, 1000, &used)) && CHECK(used == w->len);
	cr_writer_free(w);
	if (!ok)
		return false;
	free(p->out);
	size_t n = 0;
	p->out = nt_svr_conn_take_output(&p->s, &n);
	cr_reader_init(&p->pending, p->out, n);
	bool got = false;
	return CHECK_OK(nt_cli_feed(&p->c, &p->pending, &got, &p->r)) && CHECK(got);
}

static cr_err req_hello(pair *p)
{
	cr_writer w;
	cr_writer_init_dynamic(&w, 1 << 16);
	uint32_t id = nt_cli_hello(&p->c, &w);
	return roundtrip(p, &w) ? nt_cli_match(&p->r, id, NT_HELLO_OK) : CR_ERR_STATE;
}

static cr_err req_auth(pair *p, bool reg, const char *user, const uint8_t seed[32])
{
	cr_writer w;
	cr_writer_init_dynamic(&w, 1 << 16);
	uint32_t id;
	cr_err e = reg ? nt_cli_register(&p->c, &w, user, "long enough pw", seed, NULL, &id)
		       : nt_cli_login(&p->c, &w, user, "long enough pw", seed, &id);
	if (e) {
		cr_writer_free(&w);
		return e;
	}
	return roundtrip(p, &w) ? nt_cli_match(&p->r, id, reg ? NT_REGISTER_OK : NT_LOGIN_OK) : CR_ERR_STATE;
}

#define REQ(p, expected, call)                                              \
	do {                                                                \
		cr_writer w_;                                               \
		cr_writer_init_dynamic(&w_, 1 << 16);                       \
		uint32_t id_ = call;                                        \
		if (roundtrip(p, &w_))                                      \
			CHECK_OK(nt_cli_match(&(p)->r, id_, expected));     \
	} while (0)

TEST(client_engine_against_server_engine)
{
	static pair p;
	if (!pair_init(&p))
		return;
	uint8_t seed[32] = { 9 };
	/* Signing needs HELLO_OK's nonce and the binding. */
	cr_writer w;
	cr_writer_init_dynamic(&w, 4096);
	uint32_t id;
	CHECK_ERR(nt_cli_login(&p.c, &w, "alice", "long enough pw", seed, &id), CR_ERR_STATE);
	cr_writer_free(&w);
	CHECK_OK(req_hello(&p));
	CHECK(p.c.have_hello && p.c.hello.version == NT_PROTO_VERSION && p.c.hello.frame_max == 1 << 16);
	CHECK_ERR(req_auth(&p, true, "alice", seed), CR_ERR_STATE);
	/* Bound to another exporter or another server pin: refused. */
	uint8_t other[NT_EXPORTER_LEN] = { 0 };
	nt_cli_bind(&p.c, other, p.cfg.server_pin);
	CHECK_ERR(req_auth(&p, true, "alice", seed), CR_ERR_INVALID);
	CHECK(p.r.code == NT_E_AUTH);
	uint8_t pin[NT_PIN_LEN];
	memset(pin, 0x5f, sizeof pin);
	nt_cli_bind(&p.c, EXPORTER, pin);
	CHECK_ERR(req_auth(&p, true, "alice", seed), CR_ERR_INVALID);
	CHECK(p.r.code == NT_E_AUTH);
	nt_cli_bind(&p.c, EXPORTER, p.cfg.server_pin);
	CHECK_OK(req_auth(&p, true, "alice", seed));
	uint8_t wrong[32] = { 10 };
	CHECK_ERR(req_auth(&p, false, "alice", wrong), CR_ERR_INVALID);
	CHECK_OK(req_auth(&p, false, "alice", seed));
	cr_span kps[2] = { { (const uint8_t *)"kp1", 3 }, { (const uint8_t *)"kp2", 3 } };
	REQ(&p, NT_KP_UPLOAD_OK, nt_cli_kp_upload(&p.c, &w_, false, kps, 2));
	CHECK(p.r.one_time_left == 2);
	REQ(&p, NT_KP, nt_cli_kp_fetch(&p.c, &w_, "alice"));
	CHECK(!p.r.last_resort && p.r.key_package.n == 3 && !memcmp(p.r.key_package.p, "kp1", 3));
	REQ(&p, NT_IDENTITY, nt_cli_identity_fetch(&p.c, &w_, "alice"));
	REQ(&p, NT_GROUP_CREATE_OK, nt_cli_group_create(&p.c, &w_, (const uint8_t *)"g", 1));
	nt_cli_post post = { .gid = (const uint8_t *)"g", .gid_len = 1, .kind = NT_KIND_APPLICATION,
			     .message = { (const uint8_t *)"hi", 2 } };
	REQ(&p, NT_POST_OK, nt_cli_post_msg(&p.c, &w_, &post));
	CHECK(p.r.position == 1 && p.r.epoch == 0);
	post.kind = NT_KIND_COMMIT;
	post.message = (cr_span){ (const uint8_t *)"commit", 6 };
	REQ(&p, NT_POST_OK, nt_cli_post_msg(&p.c, &w_, &post));
	CHECK(p.r.position == 2 && p.r.epoch == 1);
	REQ(&p, NT_MESSAGES, nt_cli_fetch(&p.c, &w_, (const uint8_t *)"g", 1, 0, 0));
	CHECK(p.r.n_entries == 2);
	nt_cli_entry e;
	if (CHECK_OK(nt_cli_next_entry(&p.r.entries, &e)))
		CHECK(e.position == 1 && e.kind == NT_KIND_APPLICATION && e.sender.n == 5 && e.message.n == 2);
	if (CHECK_OK(nt_cli_next_entry(&p.r.entries, &e)))
		CHECK(e.position == 2 && e.kind == NT_KIND_COMMIT && e.epoch == 0);
	CHECK_ERR(nt_cli_next_entry(&p.r.entries, &e), CR_ERR_NOT_FOUND);
	REQ(&p, NT_ACK_OK, nt_cli_ack(&p.c, &w_, (const uint8_t *)"g", 1, 2));
	/* An error answer to a request. */
	cr_writer_init_dynamic(&w, 4096);
	id = nt_cli_ack(&p.c, &w, (const uint8_t *)"g", 1, 1);
	if (roundtrip(&p, &w)) {
		CHECK_ERR(nt_cli_match(&p.r, id, NT_ACK_OK), CR_ERR_INVALID);
		CHECK(p.r.code == NT_E_LIMIT && p.r.text.n > 0);
		/* A response for another request id is a protocol violation. */
		CHECK_ERR(nt_cli_match(&p.r, id + 1, NT_ACK_OK), CR_ERR_MALFORMED);
	}
	pair_free(&p);
}

TEST(client_decoders_refuse_bad_frames)
{
	nt_cli_conn c;
	nt_cli_conn_init(&c, 1 << 16);
	nt_cli_resp r;
	static const uint8_t post_ok[] = { 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 1 };
	CHECK_OK(nt_cli_decode(&c, NT_POST_OK, post_ok, sizeof post_ok, &r));
	CHECK(r.id == 1 && r.position == 5 && r.epoch == 1);
	CHECK_OK(nt_cli_match(&r, 1, NT_POST_OK));
	CHECK_ERR(nt_cli_match(&r, 1, NT_ACK_OK), CR_ERR_MALFORMED);
	/* Truncated and trailing. */
	for (size_t n = 0; n < sizeof post_ok; n++)
		CHECK(nt_cli_decode(&c, NT_POST_OK, post_ok, n, &r) != CR_OK);
	uint8_t longer[sizeof post_ok + 1] = { 0 };
	memcpy(longer, post_ok, sizeof post_ok);
	CHECK(nt_cli_decode(&c, NT_POST_OK, longer, sizeof longer, &r) != CR_OK);
	/* Request types and unknown types are not responses. */
	CHECK_ERR(nt_cli_decode(&c, NT_LOGIN, post_ok, 4, &r), CR_ERR_MALFORMED);
	CHECK_ERR(nt_cli_decode(&c, 0x7777, post_ok, 4, &r), CR_ERR_MALFORMED);
	/* MESSAGES: a valid entry, then a bad kind, then a truncated entry. */
	static const uint8_t msgs[] = { 0, 0, 0, 2, 23, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0,
					1, 'a', 3, 'x', 'y', 'z' };
	CHECK_OK(nt_cli_decode(&c, NT_MESSAGES, msgs, sizeof msgs, &r));
	CHECK(r.n_entries == 1);
	uint8_t bad[sizeof msgs];
	memcpy(bad, msgs, sizeof bad);
	bad[13] = 9; /* kind */
	CHECK_ERR(nt_cli_decode(&c, NT_MESSAGES, bad, sizeof bad, &r), CR_ERR_MALFORMED);
	memcpy(bad, msgs, sizeof bad);
	bad[4] = 22; /* vector one byte short: the entry is cut */
	CHECK(nt_cli_decode(&c, NT_MESSAGES, bad, sizeof bad - 1, &r) != CR_OK);
	/* An error with id 0 answers whatever was pending. */
	static const uint8_t err0[] = { 0, 0, 0, 0, 0, 2, 2, 'n', 'o' };
	CHECK_OK(nt_cli_decode(&c, NT_ERROR, err0, sizeof err0, &r));
	CHECK_ERR(nt_cli_match(&r, 42, NT_POST_OK), CR_ERR_INVALID);
	CHECK(r.code == NT_E_TOO_LARGE && r.text.n == 2);
	/* A frame above the client's limit is refused before allocation. */
	static const uint8_t huge[] = { 0x7f, 0, 0, 0, 0, 0x33 };
	cr_reader in;
	cr_reader_init(&in, huge, sizeof huge);
	bool got = true;
	CHECK_ERR(nt_cli_feed(&c, &in, &got, &r), CR_ERR_LIMIT);
	nt_cli_conn_free(&c);
}

TEST(blob_frames_round_trip)
{
	static pair p;
	if (!pair_init(&p))
		return;
	uint8_t seed[32] = { 9 };
	CHECK_OK(req_hello(&p));
	nt_cli_bind(&p.c, EXPORTER, p.cfg.server_pin);
	CHECK_OK(req_auth(&p, true, "alice", seed));
	CHECK_OK(req_auth(&p, false, "alice", seed));
	static const uint8_t content[] = "sealed bytes of a file";
	size_t n = sizeof content - 1;
	uint8_t h[NT_HASH_LEN], id[NT_BLOB_ID_LEN];
	cr_sha256(h, content, n);
	REQ(&p, NT_BLOB_CREATE_OK, nt_cli_blob_create(&p.c, &w_, n, h));
	memcpy(id, p.r.blob_id, sizeof id);
	REQ(&p, NT_BLOB_WRITE_OK, nt_cli_blob_write(&p.c, &w_, id, 0, content, 6));
	CHECK(p.r.written == 6 && !p.r.complete);
	REQ(&p, NT_BLOB_WRITE_OK, nt_cli_blob_write(&p.c, &w_, id, 6, content + 6, n - 6));
	CHECK(p.r.written == n && p.r.complete);
	REQ(&p, NT_BLOB_DATA, nt_cli_blob_read(&p.c, &w_, id, 7, 5));
	CHECK(p.r.blob_size == n && p.r.data.n == 5 && !memcmp(p.r.data.p, content + 7, 5));
	REQ(&p, NT_BLOB_DATA, nt_cli_blob_read(&p.c, &w_, id, 0, 0));
	CHECK(p.r.data.n == n && !memcmp(p.r.data.p, content, n));
	/* An unknown blob: the error decodes and matches the request. */
	uint8_t unknown[NT_BLOB_ID_LEN] = { 1 };
	cr_writer w;
	cr_writer_init_dynamic(&w, 4096);
	uint32_t rid = nt_cli_blob_read(&p.c, &w, unknown, 0, 0);
	if (roundtrip(&p, &w)) {
		CHECK_ERR(nt_cli_match(&p.r, rid, NT_BLOB_DATA), CR_ERR_INVALID);
		CHECK(p.r.code == NT_E_NOT_FOUND);
	}
	pair_free(&p);
}

TEST(blob_decoders_refuse_bad_frames)
{
	nt_cli_conn c;
	nt_cli_conn_init(&c, 1 << 16);
	nt_cli_resp r;
	static const uint8_t create_ok[] = { 0, 0, 0, 3, 16, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
	CHECK_OK(nt_cli_decode(&c, NT_BLOB_CREATE_OK, create_ok, sizeof create_ok, &r));
	CHECK(r.id == 3 && r.blob_id[0] == 1 && r.blob_id[15] == 16);
	uint8_t bad[sizeof create_ok];
	memcpy(bad, create_ok, sizeof bad);
	bad[4] = 15; /* an id of 15 bytes */
	CHECK(nt_cli_decode(&c, NT_BLOB_CREATE_OK, bad, sizeof bad - 1, &r) != CR_OK);
	static const uint8_t write_ok[] = { 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 1, 0, 1 };
	CHECK_OK(nt_cli_decode(&c, NT_BLOB_WRITE_OK, write_ok, sizeof write_ok, &r));
	CHECK(r.written == 256 && r.complete);
	uint8_t wb[sizeof write_ok];
	memcpy(wb, write_ok, sizeof wb);
	wb[12] = 2; /* not a bool */
	CHECK_ERR(nt_cli_decode(&c, NT_BLOB_WRITE_OK, wb, sizeof wb, &r), CR_ERR_MALFORMED);
	static const uint8_t data[] = { 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 9, 3, 'a', 'b', 'c' };
	CHECK_OK(nt_cli_decode(&c, NT_BLOB_DATA, data, sizeof data, &r));
	CHECK(r.blob_size == 9 && r.data.n == 3 && !memcmp(r.data.p, "abc", 3));
	/* More data than the blob holds, truncated and trailing bytes. */
	uint8_t db[sizeof data + 1];
	memcpy(db, data, sizeof data);
	db[11] = 2;
	CHECK_ERR(nt_cli_decode(&c, NT_BLOB_DATA, db, sizeof data, &r), CR_ERR_MALFORMED);
	for (size_t k = 0; k < sizeof data; k++)
		CHECK(nt_cli_decode(&c, NT_BLOB_DATA, data, k, &r) != CR_OK);
	memcpy(db, data, sizeof data);
	db[sizeof data] = 0;
	CHECK(nt_cli_decode(&c, NT_BLOB_DATA, db, sizeof db, &r) != CR_OK);
	nt_cli_conn_free(&c);
}

static const t_case cases[] = {
	T(client_engine_against_server_engine),
	T(client_decoders_refuse_bad_frames),
	T(blob_frames_round_trip),
	T(blob_decoders_refuse_bad_frames),
	{ 0 },
};

int main(int argc, char **argv)
{
	return t_main(argc, argv, cases);
}
