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
#include "dm.h"
#include "group.h"
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

TEST(client_engine_groups_roles_dm_presence)
{
	static pair p;
	if (!pair_init(&p))
		return;
	uint8_t seed[32] = { 9 }, seed_b[32] = { 8 };
	CHECK_OK(req_hello(&p));
	nt_cli_bind(&p.c, EXPORTER, p.cfg.server_pin);
	CHECK_OK(req_auth(&p, true, "bob", seed_b));
	CHECK_OK(req_auth(&p, true, "alice", seed));
	CHECK_OK(req_auth(&p, false, "alice", seed));
	REQ(&p, NT_GROUPS, nt_cli_groups_list(&p.c, &w_));
	CHECK(p.r.n_groups == 0);
	REQ(&p, NT_GROUP_CREATE_OK, nt_cli_group_create(&p.c, &w_, (const uint8_t *)"g", 1));
	REQ(&p, NT_GROUPS, nt_cli_groups_list(&p.c, &w_));
	nt_cli_group g;
	CHECK(p.r.n_groups == 1);
	if (CHECK_OK(nt_cli_next_group(&p.r.groups, &g)))
		CHECK(g.gid.n == 1 && g.gid.p[0] == 'g' && g.role == NT_ROLE_OWNER && g.epoch == 0 && g.next_pos == 1);
	CHECK_ERR(nt_cli_next_group(&p.r.groups, &g), CR_ERR_NOT_FOUND);
	REQ(&p, NT_MEMBER_LIST, nt_cli_members(&p.c, &w_, (const uint8_t *)"g", 1));
	nt_cli_member m;
	CHECK(p.r.n_members == 1);
	/* No online registry here: nobody is online. */
	if (CHECK_OK(nt_cli_next_member(&p.r.members, &m)))
		CHECK(m.name.n == 5 && !memcmp(m.name.p, "alice", 5) && m.role == NT_ROLE_OWNER && !m.online);
	/* bob is no member: an error answer. */
	cr_writer w;
	cr_writer_init_dynamic(&w, 4096);
	uint32_t id = nt_cli_role_set(&p.c, &w, (const uint8_t *)"g", 1, "bob", NT_ROLE_ADMIN);
	if (roundtrip(&p, &w)) {
		CHECK_ERR(nt_cli_match(&p.r, id, NT_ROLE_SET_OK), CR_ERR_INVALID);
		CHECK(p.r.code == NT_E_NOT_FOUND);
	}
	REQ(&p, NT_DM_CREATE_OK, nt_cli_dm_create(&p.c, &w_, "bob"));
	char dm[NT_DM_GID_LEN + 1];
	CHECK_OK(nt_dm_gid((const uint8_t *)"alice", 5, (const uint8_t *)"bob", 3, dm));
	CHECK(p.r.gid.n == NT_DM_GID_LEN && !memcmp(p.r.gid.p, dm, NT_DM_GID_LEN));
	REQ(&p, NT_ONLINE, nt_cli_presence(&p.c, &w_));
	CHECK(p.r.n_names == 0);
	/* A join request into bob's group, with alice's own KeyPackage. */
	st_user bob;
	int64_t h;
	CHECK_OK(st_user_get(p.db, (const uint8_t *)"bob", 3, &bob));
	CHECK_OK(st_group_create(p.db, (const uint8_t *)"h", 1, bob.id, &h));
	uint8_t *kp = NULL;
	size_t kp_len = 0;
	mls_kp_secrets sec;
	CHECK_OK(mls_keypackage_create(seed, (const uint8_t *)"alice", 5, 0, 1ull << 40, &p.rng, &kp, &kp_len, &sec));
	mls_kp_secrets_wipe(&sec);
	REQ(&p, NT_JOIN_REQUEST_OK, nt_cli_join_request(&p.c, &w_, (const uint8_t *)"h", 1, kp, kp_len));
	CHECK(p.r.position == 1);
	free(kp);
	pair_free(&p);
}

/* Writes u32 id and the rest of a body by hand. */
static size_t body(uint8_t *out, size_t cap, uint32_t id, void (*fill)(cr_writer *w))
{
	cr_writer w;
	cr_writer_init_fixed(&w, out, cap);
	cr_write_u32(&w, id);
	fill(&w);
	return cr_writer_error(&w) ? 0 : w.len;
}

static void fill_notify(cr_writer *w)
{
	cr_write_opaque(w, (const uint8_t *)"grp", 3);
	cr_write_u64(w, 77);
}

static void fill_groups(cr_writer *w)
{
	size_t m = cr_write_vector_begin(w);
	cr_write_opaque(w, (const uint8_t *)"g", 1);
	cr_write_u8(w, NT_ROLE_ADMIN);
	cr_write_u64(w, 3);
	cr_write_u64(w, 4);
	cr_write_u64(w, 9);
	cr_write_vector_end(w, m);
}

static void fill_members(cr_writer *w)
{
	size_t m = cr_write_vector_begin(w);
	cr_write_opaque(w, (const uint8_t *)"ann", 3);
	cr_write_u8(w, NT_ROLE_MEMBER);
	cr_write_bool(w, true);
	cr_write_opaque(w, (const uint8_t *)"bo", 2);
	cr_write_u8(w, NT_ROLE_OWNER);
	cr_write_bool(w, false);
	cr_write_vector_end(w, m);
}

static void fill_names(cr_writer *w)
{
	size_t m = cr_write_vector_begin(w);
	cr_write_opaque(w, (const uint8_t *)"ann", 3);
	cr_write_opaque(w, (const uint8_t *)"bo", 2);
	cr_write_vector_end(w, m);
}

static void fill_gid(cr_writer *w)
{
	cr_write_opaque(w, (const uint8_t *)"dm-x", 4);
}

static void fill_pos(cr_writer *w)
{
	cr_write_u64(w, 5);
}

/* Every strict prefix and one trailing byte fail. */
static void cut_and_pad(nt_cli_conn *c, uint16_t type, const uint8_t *b, size_t n)
{
	nt_cli_resp r;
	for (size_t k = 0; k < n; k++)
		CHECK(nt_cli_decode(c, type, b, k, &r) != CR_OK);
	uint8_t longer[256];
	if (CHECK(n < sizeof longer)) {
		memcpy(longer, b, n);
		longer[n] = 0;
		CHECK(nt_cli_decode(c, type, longer, n + 1, &r) != CR_OK);
	}
}

TEST(client_decoders_new_frames)
{
	nt_cli_conn c;
	nt_cli_conn_init(&c, 1 << 16);
	nt_cli_resp r;
	uint8_t b[256];
	/* NOTIFY: id 0 only. */
	size_t n = body(b, sizeof b, 0, fill_notify);
	CHECK_OK(nt_cli_decode(&c, NT_NOTIFY, b, n, &r));
	CHECK(r.type == NT_NOTIFY && r.id == 0 && r.gid.n == 3 && !memcmp(r.gid.p, "grp", 3) && r.position == 77);
	cut_and_pad(&c, NT_NOTIFY, b, n);
	n = body(b, sizeof b, 1, fill_notify);
	CHECK_ERR(nt_cli_decode(&c, NT_NOTIFY, b, n, &r), CR_ERR_MALFORMED);
	/* GROUPS. */
	n = body(b, sizeof b, 4, fill_groups);
	CHECK_OK(nt_cli_decode(&c, NT_GROUPS, b, n, &r));
	nt_cli_group g;
	CHECK(r.n_groups == 1 && nt_cli_next_group(&r.groups, &g) == CR_OK && g.role == NT_ROLE_ADMIN && g.epoch == 3 &&
	      g.acked == 4 && g.next_pos == 9);
	cut_and_pad(&c, NT_GROUPS, b, n);
	b[4 + 1 + 2] = 3; /* role beyond owner */
	CHECK_ERR(nt_cli_decode(&c, NT_GROUPS, b, n, &r), CR_ERR_MALFORMED);
	/* MEMBER_LIST. */
	n = body(b, sizeof b, 5, fill_members);
	CHECK_OK(nt_cli_decode(&c, NT_MEMBER_LIST, b, n, &r));
	nt_cli_member m;
	CHECK(r.n_members == 2);
	CHECK(nt_cli_next_member(&r.members, &m) == CR_OK && m.name.n == 3 && m.online && m.role == NT_ROLE_MEMBER);
	CHECK(nt_cli_next_member(&r.members, &m) == CR_OK && m.name.n == 2 && !m.online && m.role == NT_ROLE_OWNER);
	CHECK_ERR(nt_cli_next_member(&r.members, &m), CR_ERR_NOT_FOUND);
	cut_and_pad(&c, NT_MEMBER_LIST, b, n);
	b[4 + 1 + 4 + 1] = 2; /* a bool that is neither 0 nor 1 */
	CHECK(nt_cli_decode(&c, NT_MEMBER_LIST, b, n, &r) != CR_OK);
	/* ONLINE. */
	n = body(b, sizeof b, 6, fill_names);
	CHECK_OK(nt_cli_decode(&c, NT_ONLINE, b, n, &r));
	cr_span name;
	CHECK(r.n_names == 2 && nt_cli_next_name(&r.names, &name) == CR_OK && name.n == 3);
	cut_and_pad(&c, NT_ONLINE, b, n);
	b[4 + 1] = 0; /* an empty name: the rest no longer parses either */
	CHECK(nt_cli_decode(&c, NT_ONLINE, b, n, &r) != CR_OK);
	/* DM_CREATE_OK, JOIN_REQUEST_OK, ROLE_SET_OK. */
	n = body(b, sizeof b, 7, fill_gid);
	CHECK_OK(nt_cli_decode(&c, NT_DM_CREATE_OK, b, n, &r));
	CHECK(r.gid.n == 4 && !memcmp(r.gid.p, "dm-x", 4));
	cut_and_pad(&c, NT_DM_CREATE_OK, b, n);
	static const uint8_t empty_gid[] = { 0, 0, 0, 7, 0 };
	CHECK_ERR(nt_cli_decode(&c, NT_DM_CREATE_OK, empty_gid, sizeof empty_gid, &r), CR_ERR_MALFORMED);
	n = body(b, sizeof b, 8, fill_pos);
	CHECK_OK(nt_cli_decode(&c, NT_JOIN_REQUEST_OK, b, n, &r));
	CHECK(r.position == 5);
	cut_and_pad(&c, NT_JOIN_REQUEST_OK, b, n);
	static const uint8_t id_only[] = { 0, 0, 0, 9 };
	CHECK_OK(nt_cli_decode(&c, NT_ROLE_SET_OK, id_only, sizeof id_only, &r));
	CHECK_OK(nt_cli_match(&r, 9, NT_ROLE_SET_OK));
	cut_and_pad(&c, NT_ROLE_SET_OK, id_only, sizeof id_only);
	/* Requests are not responses. */
	CHECK_ERR(nt_cli_decode(&c, NT_PRESENCE, id_only, sizeof id_only, &r), CR_ERR_MALFORMED);
	CHECK_ERR(nt_cli_decode(&c, NT_GROUPS_LIST, id_only, sizeof id_only, &r), CR_ERR_MALFORMED);
	nt_cli_conn_free(&c);
}

static const t_case cases[] = {
	T(client_engine_groups_roles_dm_presence),
	T(client_decoders_new_frames),
	T(client_engine_against_server_engine),
	T(client_decoders_refuse_bad_frames),
	{ 0 },
};

int main(int argc, char **argv)
{
	return t_main(argc, argv, cases);
}
