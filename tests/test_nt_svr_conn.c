/*
 * test_nt_svr_conn.c: the server connection engine (net/svr_conn.c) driven
 * as a client would, over an in-memory store: the dispatch and framing of
 * requests, the connection's states, the suspension around password hashes,
 * and hostile frames.
 */
#include <stdlib.h>
#include <string.h>

#include "svr_world.h"
#include "t.h"

TEST(hostile_frames)
{
	world w;
	world_init(&w, NT_POLICY_OPEN);
	client cl;
	/* First frame not HELLO. */
	connect_client(&w, &cl, 1);
	nt_svr_conn_free(&cl.c);
	memset(&cl, 0, sizeof cl);
	CHECK_OK(nt_svr_conn_init(&cl.c, &w.cfg, w.db, cl.exporter));
	request(&cl, NT_LOGIN, NULL, 0);
	CHECK(is_err(&cl, NT_E_VERSION) && nt_svr_conn_closing(&cl.c));
	nt_svr_conn_free(&cl.c);
	/* No common version. */
	memset(&cl, 0, sizeof cl);
	CHECK_OK(nt_svr_conn_init(&cl.c, &w.cfg, w.db, cl.exporter));
	request(&cl, NT_HELLO, (const uint8_t *)"\0\2\0\5\0", 5);
	CHECK(is_err(&cl, NT_E_VERSION) && nt_svr_conn_closing(&cl.c));
	nt_svr_conn_free(&cl.c);
	/* Unknown type: answered, connection stays. */
	connect_client(&w, &cl, 1);
	request(&cl, 0x7fff, NULL, 0);
	CHECK(is_err(&cl, NT_E_UNEXPECTED) && !nt_svr_conn_closing(&cl.c));
	/* Body too short for a request id. */
	uint8_t tiny[NT_FRAME_HDR_LEN + 2] = { 0, 0, 0, 2, 0, NT_LOGIN, 0, 0 };
	feed_raw(&cl, tiny, sizeof tiny);
	CHECK(is_err(&cl, NT_E_MALFORMED) && nt_svr_conn_closing(&cl.c));
	nt_svr_conn_free(&cl.c);
	/* Oversized frame: refused before its body arrives. */
	connect_client(&w, &cl, 1);
	uint8_t big[NT_FRAME_HDR_LEN] = { 0, 0x01, 0, 1, 0, NT_POST };
	feed_raw(&cl, big, sizeof big);
	CHECK(is_err(&cl, NT_E_TOO_LARGE) && nt_svr_conn_closing(&cl.c));
	/* After closing, nothing more is consumed or answered. */
	size_t used = 99;
	CHECK_OK(nt_svr_conn_feed_sync(&cl.c, tiny, sizeof tiny, 0, &used));
	CHECK(used == 0);
	nt_svr_conn_free(&cl.c);
	/* Garbage login body. */
	connect_client(&w, &cl, 1);
	request(&cl, NT_LOGIN, (const uint8_t *)"\x40", 1);
	CHECK(is_err(&cl, NT_E_MALFORMED) && nt_svr_conn_closing(&cl.c));
	nt_svr_conn_free(&cl.c);
	st_server_close(w.db);
}

static size_t frame_bytes(uint16_t type, uint32_t id, const uint8_t *body, size_t n, uint8_t *out, size_t cap)
{
	cr_writer w;
	cr_writer_init_fixed(&w, out, cap);
	size_t m = nt_frame_begin(&w, type);
	cr_write_u32(&w, id);
	cr_write_bytes(&w, body, n);
	nt_frame_end(&w, m, 1 << 16);
	CHECK_OK(cr_writer_error(&w));
	return w.len;
}

/* Type, request id and (for ERROR) code of the first frame in out. */
static void first_frame(const uint8_t *out, size_t on, uint16_t *type, uint32_t *id, uint16_t *code)
{
	cr_reader r;
	cr_reader_init(&r, out, on);
	uint32_t len = 0;
	*type = 0;
	*id = 0;
	*code = 0;
	CHECK_OK(cr_read_u32(&r, &len));
	CHECK_OK(cr_read_u16(&r, type));
	CHECK_OK(cr_read_u32(&r, id));
	if (*type == NT_ERROR)
		CHECK_OK(cr_read_u16(&r, code));
}

/* REGISTER suspends the connection: nothing more is read until its hash is
 * handed back; BUSY refuses instead; a wrong hash result fails the login. */
TEST(hash_job_suspends_and_resumes)
{
	world w;
	world_init(&w, NT_POLICY_OPEN);
	ident alice;
	make_ident(&alice, "alice", 2);
	client cl;
	connect_client(&w, &cl, 1);
	CHECK(nt_svr_conn_job(&cl.c) == NULL);
	CHECK_ERR(nt_svr_conn_resume(&cl.c, &cl.c.job), CR_ERR_STATE);
	CHECK_ERR(nt_svr_conn_busy(&cl.c), CR_ERR_STATE);
	uint8_t sig[64], b[512], in[1200];
	sign_auth(&cl, NT_LABEL_REGISTER, &alice, sig);
	cr_writer wr;
	cr_writer_init_fixed(&wr, b, sizeof b);
	cr_write_opaque(&wr, (const uint8_t *)"alice", 5);
	cr_write_opaque(&wr, (const uint8_t *)"correct horse", 13);
	cr_write_opaque(&wr, alice.pub, 32);
	cr_write_opaque(&wr, NULL, 0);
	cr_write_opaque(&wr, sig, 64);
	CHECK_OK(cr_writer_error(&wr));
	size_t n1 = frame_bytes(NT_REGISTER, 7, b, wr.len, in, sizeof in);
	/* A second request pipelined behind it. */
	size_t n2 = frame_bytes(NT_GROUP_CREATE, 8, (const uint8_t *)"\1g", 2, in + n1, sizeof in - n1);
	size_t used = 0, on = 0;
	CHECK_OK(nt_svr_conn_feed(&cl.c, in, n1 + n2, 1000, &used));
	CHECK(used == n1);
	nt_hash_job *j = nt_svr_conn_job(&cl.c);
	CHECK(j != NULL && j->pw_len == 13 && memcmp(j->pw, "correct horse", 13) == 0);
	CHECK(nt_svr_conn_take_output(&cl.c, &on) == NULL);
	/* Still suspended: further input is not consumed. */
	CHECK_OK(nt_svr_conn_feed(&cl.c, in + n1, n2, 1000, &used));
	CHECK(used == 0);
	nt_hash_job_run(j);
	CHECK(j->pw_len == 0 && j->pw[0] == 0);
	CHECK_OK(nt_svr_conn_resume(&cl.c, j));
	CHECK(nt_svr_conn_job(&cl.c) == NULL);
	uint16_t type = 0, code = 0;
	uint32_t id = 0;
	uint8_t *out = nt_svr_conn_take_output(&cl.c, &on);
	first_frame(out, on, &type, &id, &code);
	CHECK(type == NT_REGISTER_OK && id == 7);
	free(out);
	/* The pipelined request is answered after it. */
	CHECK_OK(nt_svr_conn_feed(&cl.c, in + n1, n2, 1000, &used));
	CHECK(used == n2);
	out = nt_svr_conn_take_output(&cl.c, &on);
	first_frame(out, on, &type, &id, &code);
	CHECK(type == NT_ERROR && id == 8 && code == NT_E_FORBIDDEN);
	free(out);
	nt_svr_conn_free(&cl.c);
	/* A login that gets BUSY is not answered AUTH and does not count. */
	connect_client(&w, &cl, 2);
	uint8_t lsig[64];
	sign_auth(&cl, NT_LABEL_LOGIN, &alice, lsig);
	cr_writer_init_fixed(&wr, b, sizeof b);
	cr_write_opaque(&wr, (const uint8_t *)"alice", 5);
	cr_write_opaque(&wr, (const uint8_t *)"correct horse", 13);
	cr_write_opaque(&wr, lsig, 64);
	CHECK_OK(cr_writer_error(&wr));
	size_t ln = frame_bytes(NT_LOGIN, 9, b, wr.len, in, sizeof in);
	CHECK_OK(nt_svr_conn_feed(&cl.c, in, ln, 1000, &used));
	CHECK(used == ln && nt_svr_conn_job(&cl.c) != NULL);
	CHECK_OK(nt_svr_conn_busy(&cl.c));
	CHECK(nt_svr_conn_job(&cl.c) == NULL && !nt_svr_conn_closing(&cl.c));
	out = nt_svr_conn_take_output(&cl.c, &on);
	first_frame(out, on, &type, &id, &code);
	CHECK(type == NT_ERROR && id == 9 && code == NT_E_BUSY);
	free(out);
	CHECK(cl.c.failed_logins == 0);
	/* A tampered hash result is a failed login. */
	CHECK_OK(nt_svr_conn_feed(&cl.c, in, ln, 1000, &used));
	j = nt_svr_conn_job(&cl.c);
	CHECK(j != NULL);
	nt_hash_job_run(j);
	j->out[0] ^= 1;
	CHECK_OK(nt_svr_conn_resume(&cl.c, j));
	CHECK(cl.c.state == NT_SVR_ANON && cl.c.failed_logins == 1);
	free(nt_svr_conn_take_output(&cl.c, &on));
	/* And the untampered one logs in (registration was stored). */
	CHECK_OK(nt_svr_conn_feed_sync(&cl.c, in, ln, 1000, &used));
	CHECK(cl.c.state == NT_SVR_USER);
	free(nt_svr_conn_take_output(&cl.c, &on));
	nt_svr_conn_free(&cl.c);
	st_server_close(w.db);
}

static const t_case cases[] = {
	T(hostile_frames), T(hash_job_suspends_and_resumes), { 0 },
};

int main(int argc, char **argv)
{
	CHECK_OK(cr_init());
	return t_main(argc, argv, cases);
}
