/*
 * fuzz: net/svr_conn.c nt_svr_conn_feed (every handler of net/svr_*.c) over an in-memory store
 *
 * Input: byte 0 chooses the start (bit 0: the harness first logs in as
 * "fuzzer" through the engine itself, so that post-login handlers are
 * reachable; the fuzzer cannot forge signatures) and the chunk size in which
 * the rest is fed (bits 1..7), so partial frames are exercised too. The store
 * holds a user "peer" and a group "g" of the fuzzer. The online and
 * notification hooks answer from memory (odd user ids are online) and a
 * small mailbox limit makes LIMIT reachable. Every second chunk is fed
 * inside a group commit (net/svr_batch.h): its answers must stay held until
 * the COMMIT, which fails (and must roll back) when the chunk starts with
 * 0xee. After the run the harness checks that stored state is still
 * consistent.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ed25519.h"
#include "svr_batch.h"
#include "svr_conn.h"

static const uint8_t exporter[NT_EXPORTER_LEN] = { 0x5a };
static const uint8_t pin[NT_PIN_LEN] = { 0xa5 };

static bool odd_online(void *ctx, int64_t user)
{
	(void)ctx;
	return user & 1;
}

static void count_appended(void *ctx, int64_t group, const uint8_t *gid, size_t gid_len, uint64_t position,
			   const nt_svr_conn *origin)
{
	(void)group;
	(void)origin;
	/* Only after a commit, so the entry is there: positions start at 1. */
	if (gid_len < 1 || gid_len > NT_GROUP_ID_MAX || !gid || position == 0)
		abort();
	(*(size_t *)ctx)++;
}

static st_err count_owner(void *ctx, const st_member *m)
{
	size_t *n = ctx;
	n[0]++;
	n[1] += m->role == ST_ROLE_OWNER;
	return ST_OK;
}

static void feed(nt_svr_conn *c, const uint8_t *p, size_t n)
{
	size_t used;
	if (nt_svr_conn_feed_sync(c, p, n, 1000, &used) != CR_OK)
		return;
	size_t on;
	free(nt_svr_conn_take_output(c, &on));
}

/* Reads HELLO_OK's nonce from the engine's output. */
static int hello(nt_svr_conn *c, uint8_t nonce[NT_NONCE_LEN])
{
	uint8_t b[64];
	cr_writer w;
	cr_writer_init_fixed(&w, b, sizeof b);
	size_t m = nt_frame_begin(&w, NT_HELLO);
	nt_hello h = { 1, 1, 1, { NULL, 0 } };
	nt_write_hello(&w, &h);
	nt_frame_end(&w, m, 1024);
	size_t used, on;
	if (cr_writer_error(&w) || nt_svr_conn_feed_sync(c, b, w.len, 1000, &used))
		return -1;
	uint8_t *out = nt_svr_conn_take_output(c, &on);
	cr_reader r;
	cr_reader_init(&r, out, on);
	nt_frame_parser p;
	nt_parser_init(&p, 4096);
	bool got = false;
	nt_frame f;
	nt_hello_ok ok;
	int rc = -1;
	if (nt_parser_feed(&p, &r, &got, &f) == CR_OK && got && f.type == NT_HELLO_OK &&
	    nt_read_hello_ok(f.body.p, f.body.n, &ok) == CR_OK) {
		memcpy(nonce, ok.nonce, NT_NONCE_LEN);
		rc = 0;
	}
	nt_parser_free(&p);
	free(out);
	return rc;
}

static void auth(nt_svr_conn *c, uint16_t type, const uint8_t nonce[NT_NONCE_LEN], const uint8_t seed[32],
		 const uint8_t pub[32])
{
	uint8_t msg[200], sig[64], b[512];
	cr_writer w;
	cr_writer_init_fixed(&w, msg, sizeof msg);
	bool reg = type == NT_REGISTER;
	nt_auth_message(&w, reg ? NT_LABEL_REGISTER : NT_LABEL_LOGIN, (const uint8_t *)"fuzzer", 6, nonce, exporter,
			pin);
	if (cr_writer_error(&w) || cr_ed25519_sign(sig, seed, msg, w.len))
		return;
	cr_writer_init_fixed(&w, b, sizeof b);
	size_t m = nt_frame_begin(&w, type);
	cr_write_u32(&w, 2);
	cr_write_opaque(&w, (const uint8_t *)"fuzzer", 6);
	cr_write_opaque(&w, (const uint8_t *)"password", 8);
	if (reg) {
		cr_write_opaque(&w, pub, 32);
		cr_write_opaque(&w, NULL, 0);
	}
	cr_write_opaque(&w, sig, 64);
	nt_frame_end(&w, m, 1024);
	if (cr_writer_error(&w) == CR_OK)
		feed(c, b, w.len);
}

static bool veto_flag(void *ctx)
{
	return *(const bool *)ctx;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	static const uint8_t rng_seed[32] = { 9 };
	cr_rng_det det;
	cr_rng rng;
	cr_rng_det_init(&det, &rng, rng_seed);
	size_t appended = 0;
	nt_svr_config cfg = { .policy = NT_POLICY_OPEN, .frame_max = 1 << 16, .argon = { 1, 8 }, .rng = &rng,
			      .mailbox_max = 64, .is_online = odd_online, .appended = count_appended,
			      .hooks_ctx = &appended };
	memcpy(cfg.server_pin, pin, sizeof pin);
	st_server *db;
	if (cr_init() || st_server_open(&db, ":memory:"))
		return 0;
	bool veto = false;
	st_server_set_commit_veto(db, veto_flag, &veto);
	nt_svr_batch batch;
	nt_svr_batch_init(&batch, db);
	uint8_t seed[32] = { 3 }, pub[32], nonce[NT_NONCE_LEN];
	if (cr_ed25519_public(pub, seed))
		goto out_db;
	st_user peer;
	memset(&peer, 0, sizeof peer);
	strcpy(peer.name, "peer");
	peer.ops = 1;
	peer.mem_kib = 8;
	int64_t peer_id, gid;
	if (st_user_add(db, &peer, &peer_id))
		goto out_db;
	nt_svr_conn c;
	if (nt_svr_conn_init(&c, &cfg, db, exporter))
		goto out_db;
	if (data[0] & 1) {
		if (hello(&c, nonce))
			goto out;
		auth(&c, NT_REGISTER, nonce, seed, pub);
		auth(&c, NT_LOGIN, nonce, seed, pub);
		st_user me;
		if (st_user_get(db, (const uint8_t *)"fuzzer", 6, &me) || c.state != NT_SVR_USER ||
		    st_group_create(db, (const uint8_t *)"g", 1, me.id, &gid))
			abort(); /* the harness's own login must work */
	}
	size_t chunk = (size_t)(data[0] >> 1) + 1, chunks = 0;
	cr_reader r;
	cr_reader_init(&r, data, size);
	cr_span skip;
	if (cr_read_span(&r, 1, &skip))
		goto out;
	while (cr_reader_left(&r) && !nt_svr_conn_closing(&c)) {
		size_t k = cr_reader_left(&r) < chunk ? cr_reader_left(&r) : chunk;
		cr_span s;
		if (cr_read_span(&r, k, &s))
			break;
		/* Unconsumed input (back-pressure) is fed again after draining,
		 * as the event loop does. */
		cr_reader part;
		cr_reader_init(&part, s.p, s.n);
		bool failed = false, batched = (chunks++ & 1) != 0;
		if (batched && (nt_svr_batch_begin(&batch) || nt_svr_batch_add(&batch, &c, NULL)))
			abort();
		for (int tries = 0; tries < 8 && cr_reader_left(&part) && !nt_svr_conn_closing(&c); tries++) {
			cr_span rest, done;
			size_t used = 0, on;
			if (cr_read_span(&part, cr_reader_left(&part), &rest))
				break;
			failed = nt_svr_conn_feed_sync(&c, rest.p, rest.n, 1000, &used) != CR_OK;
			uint8_t *o = nt_svr_conn_take_output(&c, &on);
			if (o && batched)
				abort(); /* an answer left before its commit */
			free(o);
			if (failed)
				break;
			cr_reader_init(&part, rest.p, rest.n);
			if (cr_read_span(&part, used, &done))
				break;
		}
		if (batched) {
			veto = s.p[0] == 0xee;
			bool committed = nt_svr_batch_commit(&batch) == CR_OK;
			veto = false;
			if (committed == (batch.failed > 0) || (!committed && !nt_svr_conn_closing(&c)))
				abort();
			size_t on;
			free(nt_svr_conn_take_output(&c, &on));
		}
		if (failed)
			break;
	}
	/* Stored state stays consistent: the group's epoch and positions only
	 * grow, and every member's acknowledged position is inside the log. */
	st_group g;
	if (data[0] & 1) {
		if (st_group_get(db, (const uint8_t *)"g", 1, &g) || g.next_pos < 1)
			abort();
		st_role role;
		uint64_t acked;
		st_err e = st_member_get(db, g.id, peer_id, &role, &acked);
		if (e == ST_OK && acked >= g.next_pos)
			abort();
		if (e != ST_OK && e != ST_ERR_NOT_FOUND)
			abort();
		/* A group keeps an owner while it has members. */
		size_t owners[2] = { 0, 0 };
		if (st_member_list(db, g.id, count_owner, owners) || (owners[0] > 0 && owners[1] == 0))
			abort();
	}
out:
	nt_svr_conn_free(&c);
out_db:
	nt_svr_batch_free(&batch);
	st_server_close(db);
	return 0;
}
