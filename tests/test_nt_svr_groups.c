/*
 * test_nt_svr_groups.c: the group and delivery handlers (net/svr_groups.c)
 * driven as a client would, over an in-memory store: commit ordering,
 * fetch/ack/prune, group and member lists, roles and leaving, join requests,
 * DM groups, the mailbox limit, notifications and presence.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_conn.h"
#include "dm.h"
#include "group.h"
#include "hash.h"
#include "svr_world.h"
#include "t.h"

static void post(client *cl, const char *gid, uint8_t kind, uint64_t epoch, const char *added, const char *msg,
		 const char *welcome)
{
	uint8_t b[512];
	cr_writer w;
	cr_writer_init_fixed(&w, b, sizeof b);
	cr_write_opaque(&w, (const uint8_t *)gid, strlen(gid));
	cr_write_u8(&w, kind);
	cr_write_u64(&w, epoch);
	size_t m = cr_write_vector_begin(&w);
	if (added)
		cr_write_opaque(&w, (const uint8_t *)added, strlen(added));
	cr_write_vector_end(&w, m);
	cr_write_varint(&w, 0); /* removed */
	cr_write_opaque(&w, (const uint8_t *)msg, strlen(msg));
	cr_write_opaque(&w, (const uint8_t *)welcome, strlen(welcome));
	CHECK_OK(cr_writer_error(&w));
	request(cl, NT_POST, b, w.len);
}

/* Fetches after `after`; returns the number of entries, fills pos/kinds. */
static int fetch(client *cl, const char *gid, uint64_t after, uint64_t pos[8], uint8_t kind[8])
{
	uint8_t b[128];
	cr_writer w;
	cr_writer_init_fixed(&w, b, sizeof b);
	cr_write_opaque(&w, (const uint8_t *)gid, strlen(gid));
	cr_write_u64(&w, after);
	cr_write_u32(&w, 0);
	request(cl, NT_FETCH, b, w.len);
	if (cl->type != NT_MESSAGES)
		return -1;
	cr_reader r, v;
	cr_reader_init(&r, cl->body, cl->body_n);
	uint32_t id;
	CHECK_OK(cr_read_u32(&r, &id));
	CHECK_OK(cr_read_vector(&r, 1 << 20, &v));
	CHECK_OK(cr_reader_end(&r));
	int n = 0;
	while (cr_reader_left(&v) && n < 8) {
		uint64_t ep;
		cr_span sender, data;
		if (!CHECK_OK(cr_read_u64(&v, &pos[n])) || !CHECK_OK(cr_read_u8(&v, &kind[n])) ||
		    !CHECK_OK(cr_read_u64(&v, &ep)) || !CHECK_OK(cr_read_opaque(&v, 32, &sender)) ||
		    !CHECK_OK(cr_read_opaque(&v, 1 << 20, &data)))
			return -1;
		n++;
	}
	return n;
}

static void ack(client *cl, const char *gid, uint64_t pos)
{
	uint8_t b[128];
	cr_writer w;
	cr_writer_init_fixed(&w, b, sizeof b);
	cr_write_opaque(&w, (const uint8_t *)gid, strlen(gid));
	cr_write_u64(&w, pos);
	request(cl, NT_ACK, b, w.len);
}

TEST(groups_commit_order_fetch_ack)
{
	cast k;
	cast_open(&k, NT_POLICY_OPEN, false);
	cast_login(&k, 3);
	client *a = &k.a, *b = &k.b, *c = &k.c;
	request(a, NT_GROUP_CREATE, (const uint8_t *)"\2g1", 3);
	CHECK(a->type == NT_GROUP_CREATE_OK);
	request(b, NT_GROUP_CREATE, (const uint8_t *)"\2g1", 3);
	CHECK(is_err(b, NT_E_EXISTS));
	post(a, "g1", NT_KIND_APPLICATION, 0, NULL, "before-bob", "");
	CHECK(a->type == NT_POST_OK);
	/* Bob is not a member yet. */
	post(b, "g1", NT_KIND_APPLICATION, 0, NULL, "hi", "");
	CHECK(is_err(b, NT_E_FORBIDDEN));
	/* Commit for epoch 0 adding bob wins... */
	post(a, "g1", NT_KIND_COMMIT, 0, "bob", "commit-0", "welcome-bob");
	CHECK(a->type == NT_POST_OK);
	/* ...a second commit for epoch 0 conflicts and changes nothing. */
	post(a, "g1", NT_KIND_COMMIT, 0, "carol", "commit-0b", "welcome-carol");
	CHECK(is_err(a, NT_E_CONFLICT));
	uint64_t pos[8];
	uint8_t kind[8];
	CHECK(fetch(c, "g1", 0, pos, kind) == -1 && c->err == NT_E_FORBIDDEN);
	/* A commit adding a non-existent user is refused as a whole. */
	post(a, "g1", NT_KIND_COMMIT, 1, "nobody", "commit-1", "welcome");
	CHECK(is_err(a, NT_E_NOT_FOUND));
	st_group g;
	CHECK_OK(st_group_get(k.w.db, (const uint8_t *)"g1", 2, &g));
	CHECK(g.epoch == 1);
	/* Bob sees only the Welcome, not what came before he joined. */
	CHECK(fetch(b, "g1", 0, pos, kind) == 1);
	CHECK(kind[0] == NT_KIND_WELCOME && pos[0] == 3);
	post(b, "g1", NT_KIND_APPLICATION, 1, NULL, "hello from bob", "");
	CHECK(b->type == NT_POST_OK);
	CHECK(fetch(a, "g1", 0, pos, kind) == 4);
	CHECK(kind[0] == NT_KIND_APPLICATION && kind[1] == NT_KIND_COMMIT && kind[2] == NT_KIND_WELCOME);
	CHECK(fetch(a, "g1", 2, pos, kind) == 2);
	/* Acks move forward only; the prefix both acked is pruned. */
	ack(a, "g1", 4);
	CHECK(a->type == NT_ACK_OK);
	ack(a, "g1", 3);
	CHECK(is_err(a, NT_E_LIMIT));
	ack(a, "g1", 99);
	CHECK(is_err(a, NT_E_LIMIT));
	ack(b, "g1", 3);
	CHECK(b->type == NT_ACK_OK);
	CHECK(fetch(a, "g1", 0, pos, kind) == 0); /* alice acked 4 */
	CHECK(fetch(b, "g1", 0, pos, kind) == 1 && pos[0] == 4);
	/* A non-commit may not carry a routing header. */
	post(a, "g1", NT_KIND_APPLICATION, 1, "carol", "x", "w");
	CHECK(is_err(a, NT_E_MALFORMED));
	CHECK(nt_svr_conn_closing(&a->c));
	cast_close(&k);
}

/* ---- groups, roles, join requests, DM groups, presence, notifications ---- */

static int64_t uid(world *w, const char *name)
{
	st_user u;
	if (!CHECK_OK(st_user_get(w->db, (const uint8_t *)name, strlen(name), &u)))
		return 0;
	return u.id;
}

/* Client-side builders (net/cli_conn.h) make the requests. */
static nt_cli_conn g_cc;

static void send_built(client *cl, cr_writer *wr)
{
	CHECK_OK(cr_writer_error(wr));
	feed_raw(cl, wr->p, wr->len);
	cr_writer_free(wr);
}

static void decode_last(client *cl, nt_cli_resp *r)
{
	CHECK_OK(nt_cli_decode(&g_cc, cl->type, cl->body, cl->body_n, r));
}

#define BUILD(cl, call) \
	do { \
		cr_writer wr_; \
		cr_writer_init_dynamic(&wr_, 1 << 20); \
		(void)call; \
		send_built((cl), &wr_); \
	} while (0)

static void commit(client *cl, const char *gid, uint64_t epoch, const char *add, const char *rem)
{
	const char *a[1] = { add }, *r[1] = { rem };
	nt_cli_post p = { (const uint8_t *)gid, strlen(gid), NT_KIND_COMMIT, epoch, a, add ? 1 : 0, r, rem ? 1 : 0,
			  { (const uint8_t *)"commit", 6 }, { (const uint8_t *)"welcome", add ? 7 : 0 } };
	BUILD(cl, nt_cli_post_msg(&g_cc, &wr_, &p));
}

static void post_kind(client *cl, const char *gid, uint8_t kind, uint64_t epoch)
{
	nt_cli_post p = { (const uint8_t *)gid, strlen(gid), kind, epoch, NULL, 0, NULL, 0,
			  { (const uint8_t *)"msg", 3 }, { NULL, 0 } };
	BUILD(cl, nt_cli_post_msg(&g_cc, &wr_, &p));
}

static void role_set(client *cl, const char *gid, const char *user, uint8_t role)
{
	BUILD(cl, nt_cli_role_set(&g_cc, &wr_, (const uint8_t *)gid, strlen(gid), user, role));
}

static st_role role_of(world *w, const char *gid, const char *user)
{
	st_group g;
	st_role role = (st_role)-1;
	uint64_t acked;
	if (CHECK_OK(st_group_get(w->db, (const uint8_t *)gid, strlen(gid), &g)))
		CHECK_OK(st_member_get(w->db, g.id, uid(w, user), &role, &acked));
	return role;
}

static void create(client *cl, const char *gid)
{
	BUILD(cl, nt_cli_group_create(&g_cc, &wr_, (const uint8_t *)gid, strlen(gid)));
}

TEST(groups_list_and_members)
{
	cast k;
	cast_open(&k, NT_POLICY_OPEN, true);
	cast_login(&k, 3);
	client *a = &k.a, *b = &k.b, *c = &k.c;
	create(a, "zz");
	create(a, "g1");
	commit(a, "g1", 0, "bob", NULL);
	CHECK(a->type == NT_POST_OK);
	/* Alice's groups, in id order, with her role and positions. */
	BUILD(a, nt_cli_groups_list(&g_cc, &wr_));
	CHECK(a->type == NT_GROUPS);
	nt_cli_resp r;
	decode_last(a, &r);
	CHECK(r.n_groups == 2);
	nt_cli_group g;
	CHECK_OK(nt_cli_next_group(&r.groups, &g));
	CHECK(g.gid.n == 2 && !memcmp(g.gid.p, "g1", 2) && g.role == NT_ROLE_OWNER && g.epoch == 1 && g.acked == 0 &&
	      g.next_pos == 3);
	CHECK_OK(nt_cli_next_group(&r.groups, &g));
	CHECK(g.gid.n == 2 && !memcmp(g.gid.p, "zz", 2) && g.epoch == 0 && g.next_pos == 1);
	CHECK_ERR(nt_cli_next_group(&r.groups, &g), CR_ERR_NOT_FOUND);
	/* Bob's: one group, as a member, acknowledged up to the commit. */
	BUILD(b, nt_cli_groups_list(&g_cc, &wr_));
	decode_last(b, &r);
	CHECK(r.n_groups == 1);
	CHECK_OK(nt_cli_next_group(&r.groups, &g));
	CHECK(g.role == NT_ROLE_MEMBER && g.acked == 1 && g.next_pos == 3);
	/* Carol has none. */
	BUILD(c, nt_cli_groups_list(&g_cc, &wr_));
	decode_last(c, &r);
	CHECK(c->type == NT_GROUPS && r.n_groups == 0);
	/* Members in join order, online as the loop says: only bob now. */
	k.h.online[k.h.n_online++] = uid(&k.w, "bob");
	BUILD(a, nt_cli_members(&g_cc, &wr_, (const uint8_t *)"g1", 2));
	CHECK(a->type == NT_MEMBER_LIST);
	decode_last(a, &r);
	CHECK(r.n_members == 2);
	nt_cli_member m;
	CHECK_OK(nt_cli_next_member(&r.members, &m));
	CHECK(m.name.n == 5 && !memcmp(m.name.p, "alice", 5) && m.role == NT_ROLE_OWNER && !m.online);
	CHECK_OK(nt_cli_next_member(&r.members, &m));
	CHECK(m.name.n == 3 && !memcmp(m.name.p, "bob", 3) && m.role == NT_ROLE_MEMBER && m.online);
	/* Members only; unknown group; an empty id is malformed and closes. */
	BUILD(c, nt_cli_members(&g_cc, &wr_, (const uint8_t *)"g1", 2));
	CHECK(is_err(c, NT_E_FORBIDDEN));
	BUILD(c, nt_cli_members(&g_cc, &wr_, (const uint8_t *)"nope", 4));
	CHECK(is_err(c, NT_E_NOT_FOUND));
	BUILD(c, nt_cli_groups_list(&g_cc, &wr_));
	CHECK(c->type == NT_GROUPS);
	request(c, NT_GROUPS_LIST, (const uint8_t *)"x", 1);
	CHECK(is_err(c, NT_E_MALFORMED) && nt_svr_conn_closing(&c->c));
	BUILD(b, nt_cli_members(&g_cc, &wr_, (const uint8_t *)"", 0));
	CHECK(is_err(b, NT_E_MALFORMED) && nt_svr_conn_closing(&b->c));
	/* Before login: FORBIDDEN for each new request. */
	client anon;
	connect_client(&k.w, &anon, 9);
	static const uint16_t types[] = { NT_GROUPS_LIST, NT_MEMBERS, NT_JOIN_REQUEST, NT_ROLE_SET, NT_DM_CREATE,
					  NT_PRESENCE };
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
		request(&anon, types[i], NULL, 0);
		CHECK(is_err(&anon, NT_E_FORBIDDEN));
	}
	nt_svr_conn_free(&anon.c);
	cast_close(&k);
}

TEST(role_rules_and_leaving)
{
	cast k;
	cast_open(&k, NT_POLICY_OPEN, true);
	cast_login(&k, 4);
	client *a = &k.a, *b = &k.b, *c = &k.c, *d = &k.d;
	create(a, "g");
	commit(a, "g", 0, "bob", NULL);
	CHECK(a->type == NT_POST_OK);
	/* A member may not add. */
	commit(b, "g", 1, "carol", NULL);
	CHECK(is_err(b, NT_E_FORBIDDEN));
	/* ROLE_SET: owner only, not oneself, not to owner, members only. */
	role_set(b, "g", "bob", NT_ROLE_ADMIN);
	CHECK(is_err(b, NT_E_FORBIDDEN));
	role_set(a, "g", "alice", NT_ROLE_ADMIN);
	CHECK(is_err(a, NT_E_FORBIDDEN));
	role_set(a, "g", "bob", NT_ROLE_OWNER);
	CHECK(is_err(a, NT_E_FORBIDDEN));
	role_set(a, "g", "dave", NT_ROLE_ADMIN);
	CHECK(is_err(a, NT_E_NOT_FOUND));
	role_set(a, "g", "nobody", NT_ROLE_ADMIN);
	CHECK(is_err(a, NT_E_NOT_FOUND));
	role_set(d, "g", "bob", NT_ROLE_ADMIN);
	CHECK(is_err(d, NT_E_FORBIDDEN));
	role_set(a, "nope", "bob", NT_ROLE_ADMIN);
	CHECK(is_err(a, NT_E_NOT_FOUND));
	role_set(a, "g", "bob", NT_ROLE_ADMIN);
	CHECK(a->type == NT_ROLE_SET_OK);
	CHECK(role_of(&k.w, "g", "bob") == ST_ROLE_ADMIN);
	/* An admin adds. */
	commit(b, "g", 1, "carol", NULL);
	CHECK(b->type == NT_POST_OK);
	commit(b, "g", 2, "dave", NULL);
	CHECK(b->type == NT_POST_OK);
	/* A member may not remove another... */
	commit(c, "g", 3, NULL, "dave");
	CHECK(is_err(c, NT_E_FORBIDDEN));
	/* ...unless it asked to leave in this epoch. A proposal of an old
	 * epoch marks nothing. */
	post_kind(d, "g", NT_KIND_PROPOSAL, 2);
	CHECK(d->type == NT_POST_OK);
	commit(c, "g", 3, NULL, "dave");
	CHECK(is_err(c, NT_E_FORBIDDEN));
	post_kind(d, "g", NT_KIND_PROPOSAL, 3);
	CHECK(d->type == NT_POST_OK);
	commit(c, "g", 3, NULL, "dave");
	CHECK(c->type == NT_POST_OK);
	st_group g;
	int64_t n;
	CHECK_OK(st_group_get(k.w.db, (const uint8_t *)"g", 1, &g));
	CHECK_OK(st_member_count(k.w.db, g.id, &n));
	CHECK(n == 3 && g.epoch == 4);
	/* The mark ends with the epoch: carol asked in epoch 4, an empty
	 * commit moves to 5, and a member may no longer remove her. */
	post_kind(c, "g", NT_KIND_PROPOSAL, 4);
	commit(a, "g", 4, NULL, NULL);
	CHECK(a->type == NT_POST_OK);
	role_set(a, "g", "bob", NT_ROLE_MEMBER);
	CHECK(a->type == NT_ROLE_SET_OK);
	commit(b, "g", 5, NULL, "carol");
	CHECK(is_err(b, NT_E_FORBIDDEN));
	/* Removing oneself needs no role. A role byte above owner closes. */
	commit(b, "g", 5, NULL, "bob");
	CHECK(b->type == NT_POST_OK);
	role_set(a, "g", "carol", 3);
	CHECK(is_err(a, NT_E_MALFORMED) && nt_svr_conn_closing(&a->c));
	cast_close(&k);
}

TEST(owner_promotion)
{
	cast k;
	cast_open(&k, NT_POLICY_OPEN, true);
	cast_login(&k, 3);
	client *a = &k.a, *b = &k.b, *c = &k.c;
	create(a, "g");
	commit(a, "g", 0, "carol", NULL);
	commit(a, "g", 1, "bob", NULL);
	role_set(a, "g", "bob", NT_ROLE_ADMIN);
	/* The admin removes the owner: the longest-standing admin (bob, who
	 * joined after carol) is promoted, in the same transaction. */
	commit(b, "g", 2, NULL, "alice");
	CHECK(b->type == NT_POST_OK);
	CHECK(role_of(&k.w, "g", "bob") == ST_ROLE_OWNER);
	CHECK(role_of(&k.w, "g", "carol") == ST_ROLE_MEMBER);
	/* The owner asks to leave and a member commits it: no admin is left,
	 * so the longest-standing member is promoted. */
	post_kind(b, "g", NT_KIND_PROPOSAL, 3);
	commit(c, "g", 3, NULL, "bob");
	CHECK(c->type == NT_POST_OK);
	CHECK(role_of(&k.w, "g", "carol") == ST_ROLE_OWNER);
	cast_close(&k);
}

/* A KeyPackage whose basic credential is `name`. */
static uint8_t *make_kp(world *w, const ident *id, const char *name, size_t *n)
{
	uint8_t *kp = NULL;
	mls_kp_secrets sec;
	CHECK_OK(mls_keypackage_create(id->seed, (const uint8_t *)name, strlen(name), 0, 1ull << 40, &w->rng, &kp, n,
				       &sec));
	mls_kp_secrets_wipe(&sec);
	return kp;
}

static void join_req(client *cl, const char *gid, const uint8_t *kp, size_t n)
{
	BUILD(cl, nt_cli_join_request(&g_cc, &wr_, (const uint8_t *)gid, strlen(gid), kp, n));
}

TEST(join_requests)
{
	cast k;
	cast_open(&k, NT_POLICY_OPEN, true);
	cast_login(&k, 3);
	client *a = &k.a, *b = &k.b, *c = &k.c;
	create(a, "g");
	size_t n_bob, n_carol;
	uint8_t *kp_bob = make_kp(&k.w, &k.bob, "bob", &n_bob), *kp_carol = make_kp(&k.w, &k.carol, "carol", &n_carol);
	/* Someone else's KeyPackage: AUTH. Garbage: MALFORMED, still open. */
	join_req(b, "g", kp_carol, n_carol);
	CHECK(is_err(b, NT_E_AUTH));
	uint8_t bad[64];
	memcpy(bad, kp_bob, sizeof bad);
	join_req(b, "g", bad, sizeof bad);
	CHECK(is_err(b, NT_E_MALFORMED) && !nt_svr_conn_closing(&b->c));
	kp_bob[n_bob - 1] ^= 1; /* breaks the signature */
	join_req(b, "g", kp_bob, n_bob);
	CHECK(is_err(b, NT_E_MALFORMED));
	kp_bob[n_bob - 1] ^= 1;
	join_req(b, "nope", kp_bob, n_bob);
	CHECK(is_err(b, NT_E_NOT_FOUND));
	CHECK(k.h.calls == 0);
	join_req(b, "g", kp_bob, n_bob);
	CHECK(b->type == NT_JOIN_REQUEST_OK);
	nt_cli_resp r;
	decode_last(b, &r);
	CHECK(r.position == 1);
	/* Notified after the commit, with the requester as origin. */
	CHECK(k.h.calls == 1 && k.h.position == 1 && !strcmp(k.h.gid, "g") && k.h.origin == &b->c && k.h.outside_tx && k.h.visible);
	/* One pending request per user and group; members cannot ask. */
	join_req(b, "g", kp_bob, n_bob);
	CHECK(is_err(b, NT_E_EXISTS));
	size_t n_alice;
	uint8_t *kp_alice = make_kp(&k.w, &k.alice, "alice", &n_alice);
	join_req(a, "g", kp_alice, n_alice);
	CHECK(is_err(a, NT_E_EXISTS));
	CHECK(k.h.calls == 1);
	/* The owner reads it: kind JOIN_REQUEST, sender bob, the KeyPackage. */
	BUILD(a, nt_cli_fetch(&g_cc, &wr_, (const uint8_t *)"g", 1, 0, 0));
	CHECK(a->type == NT_MESSAGES);
	decode_last(a, &r);
	nt_cli_entry e;
	CHECK(r.n_entries == 1);
	CHECK_OK(nt_cli_next_entry(&r.entries, &e));
	CHECK(e.kind == NT_KIND_JOIN_REQUEST && e.sender.n == 3 && !memcmp(e.sender.p, "bob", 3) &&
	      e.message.n == n_bob && !memcmp(e.message.p, kp_bob, n_bob));
	/* Approving (the Add) ends the request: bob may ask elsewhere later,
	 * and after leaving, here again. */
	commit(a, "g", 0, "bob", NULL);
	CHECK(a->type == NT_POST_OK);
	commit(a, "g", 1, NULL, "bob");
	CHECK(a->type == NT_POST_OK);
	join_req(b, "g", kp_bob, n_bob);
	CHECK(b->type == NT_JOIN_REQUEST_OK);
	/* No requests into DM groups. */
	BUILD(a, nt_cli_dm_create(&g_cc, &wr_, "bob"));
	CHECK(a->type == NT_DM_CREATE_OK);
	decode_last(a, &r);
	char dm[NT_DM_GID_LEN + 1];
	memcpy(dm, r.gid.p, r.gid.n);
	dm[r.gid.n] = 0;
	join_req(c, dm, kp_carol, n_carol);
	CHECK(is_err(c, NT_E_FORBIDDEN));
	free(kp_alice);
	free(kp_bob);
	free(kp_carol);
	cast_close(&k);
}

TEST(dm_groups)
{
	cast k;
	cast_open(&k, NT_POLICY_OPEN, true);
	cast_login(&k, 3);
	client *a = &k.a, *b = &k.b, *c = &k.c;
	char want[NT_DM_GID_LEN + 1], dm[NT_DM_GID_LEN + 1];
	CHECK_OK(nt_dm_gid((const uint8_t *)"bob", 3, (const uint8_t *)"alice", 5, want));
	BUILD(b, nt_cli_dm_create(&g_cc, &wr_, "alice"));
	CHECK(b->type == NT_DM_CREATE_OK);
	nt_cli_resp r;
	decode_last(b, &r);
	CHECK(r.gid.n == NT_DM_GID_LEN && !memcmp(r.gid.p, want, NT_DM_GID_LEN));
	memcpy(dm, want, sizeof dm);
	/* The other side computes the same id: EXISTS. */
	BUILD(a, nt_cli_dm_create(&g_cc, &wr_, "bob"));
	CHECK(is_err(a, NT_E_EXISTS));
	BUILD(a, nt_cli_dm_create(&g_cc, &wr_, "alice"));
	CHECK(is_err(a, NT_E_FORBIDDEN));
	BUILD(a, nt_cli_dm_create(&g_cc, &wr_, "nobody"));
	CHECK(is_err(a, NT_E_NOT_FOUND));
	/* Nobody makes a dm- group by hand. */
	create(c, "dm-0123");
	CHECK(is_err(c, NT_E_FORBIDDEN));
	create(c, dm);
	CHECK(is_err(c, NT_E_FORBIDDEN));
	/* Only the peer may be added, and two members at most. */
	commit(b, dm, 0, "carol", NULL);
	CHECK(is_err(b, NT_E_FORBIDDEN));
	commit(b, dm, 0, "alice", NULL);
	CHECK(b->type == NT_POST_OK);
	CHECK(role_of(&k.w, dm, "bob") == ST_ROLE_OWNER);
	commit(b, dm, 1, "carol", NULL);
	CHECK(is_err(b, NT_E_FORBIDDEN));
	/* The peer, now a member, cannot bring in a third either. */
	commit(a, dm, 1, "carol", NULL);
	CHECK(is_err(a, NT_E_FORBIDDEN));
	BUILD(a, nt_cli_groups_list(&g_cc, &wr_));
	decode_last(a, &r);
	nt_cli_group g;
	CHECK(r.n_groups == 1 && nt_cli_next_group(&r.groups, &g) == CR_OK && g.gid.n == NT_DM_GID_LEN &&
	      g.role == NT_ROLE_MEMBER);
	cast_close(&k);
}

TEST(dm_gid_is_symmetric_and_unambiguous)
{
	char x[NT_DM_GID_LEN + 1], y[NT_DM_GID_LEN + 1], z[NT_DM_GID_LEN + 1];
	CHECK_OK(nt_dm_gid((const uint8_t *)"alice", 5, (const uint8_t *)"bob", 3, x));
	CHECK_OK(nt_dm_gid((const uint8_t *)"bob", 3, (const uint8_t *)"alice", 5, y));
	CHECK(strlen(x) == NT_DM_GID_LEN && !strcmp(x, y) && !strncmp(x, NT_DM_PREFIX, 3));
	CHECK(nt_dm_is_dm((const uint8_t *)x, strlen(x)) && !nt_dm_is_dm((const uint8_t *)"dm", 2));
	/* The definition, computed here from its parts. */
	uint8_t in[64], h[32];
	size_t k = 0;
	memcpy(in, NT_DM_LABEL, sizeof NT_DM_LABEL - 1);
	k += sizeof NT_DM_LABEL - 1;
	in[k++] = 5;
	memcpy(in + k, "alice", 5);
	k += 5;
	in[k++] = 3;
	memcpy(in + k, "bob", 3);
	k += 3;
	cr_sha256(h, in, k);
	char hex[33];
	for (int i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", h[i]);
	CHECK(!strcmp(x + 3, hex));
	/* Length prefixes: ("ab", "c") and ("a", "bc") differ; so do pairs. */
	CHECK_OK(nt_dm_gid((const uint8_t *)"ab", 2, (const uint8_t *)"c", 1, y));
	CHECK_OK(nt_dm_gid((const uint8_t *)"a", 1, (const uint8_t *)"bc", 2, z));
	CHECK(strcmp(y, z) != 0);
	CHECK_OK(nt_dm_gid((const uint8_t *)"alice", 5, (const uint8_t *)"carol", 5, y));
	CHECK(strcmp(x, y) != 0);
	char big[40];
	memset(big, 'a', sizeof big);
	CHECK_ERR(nt_dm_gid((const uint8_t *)big, 33, (const uint8_t *)"bob", 3, y), CR_ERR_ARG);
	CHECK_ERR(nt_dm_gid((const uint8_t *)"", 0, (const uint8_t *)"bob", 3, y), CR_ERR_ARG);
	CHECK(y[0] == 0);
}

TEST(mailbox_limit)
{
	cast k;
	cast_open(&k, NT_POLICY_OPEN, true);
	k.w.cfg.mailbox_max = 3;
	cast_login(&k, 2);
	client *a = &k.a, *b = &k.b;
	create(a, "g");
	/* A commit with a Welcome takes two entries. */
	commit(a, "g", 0, "bob", NULL);
	CHECK(a->type == NT_POST_OK);
	post_kind(a, "g", NT_KIND_APPLICATION, 1);
	CHECK(a->type == NT_POST_OK);
	post_kind(b, "g", NT_KIND_APPLICATION, 1);
	CHECK(is_err(b, NT_E_LIMIT));
	int calls = k.h.calls;
	/* Rejected: nothing appended, nobody notified. */
	CHECK(calls == 2);
	/* Alice has read all; bob, who joined at 1, has not: the entries after
	 * the lowest acknowledged position (2, 3) still count, room for one. */
	BUILD(a, nt_cli_ack(&g_cc, &wr_, (const uint8_t *)"g", 1, 3));
	CHECK(a->type == NT_ACK_OK);
	post_kind(a, "g", NT_KIND_APPLICATION, 1);
	CHECK(a->type == NT_POST_OK);
	calls = k.h.calls;
	post_kind(a, "g", NT_KIND_APPLICATION, 1);
	CHECK(is_err(a, NT_E_LIMIT));
	cast_login(&k, 3);
	client *c = &k.c;
	size_t n;
	uint8_t *kp = make_kp(&k.w, &k.carol, "carol", &n);
	join_req(c, "g", kp, n);
	CHECK(is_err(c, NT_E_LIMIT));
	/* Bob reads too: the prefix is pruned, room again. */
	BUILD(b, nt_cli_ack(&g_cc, &wr_, (const uint8_t *)"g", 1, 4));
	CHECK(b->type == NT_ACK_OK);
	join_req(c, "g", kp, n);
	CHECK(c->type == NT_JOIN_REQUEST_OK);
	CHECK(k.h.calls == calls + 1);
	free(kp);
	cast_close(&k);
}

TEST(notify_sink_after_commit_only)
{
	cast k;
	cast_open(&k, NT_POLICY_OPEN, true);
	cast_login(&k, 2);
	client *a = &k.a, *b = &k.b;
	create(a, "g");
	CHECK(k.h.calls == 0);
	commit(a, "g", 0, "bob", NULL);
	CHECK(a->type == NT_POST_OK);
	/* The newest entry is the Welcome (position 2). */
	CHECK(k.h.calls == 1 && k.h.position == 2 && k.h.origin == &a->c && k.h.outside_tx && k.h.visible);
	st_group g;
	CHECK_OK(st_group_get(k.w.db, (const uint8_t *)"g", 1, &g));
	CHECK(k.h.group == g.id);
	/* Refused requests notify nobody: conflict, forbidden, not a member. */
	commit(a, "g", 0, NULL, NULL);
	CHECK(is_err(a, NT_E_CONFLICT));
	commit(b, "g", 1, "alice", NULL);
	CHECK(is_err(b, NT_E_FORBIDDEN));
	CHECK(k.h.calls == 1);
	post_kind(b, "g", NT_KIND_APPLICATION, 1);
	CHECK(b->type == NT_POST_OK && k.h.calls == 2 && k.h.position == 3 && k.h.origin == &b->c && k.h.outside_tx &&
	      k.h.visible);
	/* ACK and FETCH append nothing. */
	BUILD(b, nt_cli_ack(&g_cc, &wr_, (const uint8_t *)"g", 1, 3));
	BUILD(b, nt_cli_fetch(&g_cc, &wr_, (const uint8_t *)"g", 1, 0, 0));
	CHECK(k.h.calls == 2);
	cast_close(&k);
}

TEST(presence_lists_online_peers)
{
	cast k;
	cast_open(&k, NT_POLICY_OPEN, true);
	cast_login(&k, 4);
	client *a = &k.a, *c = &k.c;
	create(a, "g1");
	commit(a, "g1", 0, "dave", NULL);
	create(a, "g2");
	commit(a, "g2", 0, "bob", NULL);
	commit(a, "g2", 1, "dave", NULL);
	/* Everyone online; carol shares no group with alice. */
	k.h.online[k.h.n_online++] = uid(&k.w, "alice");
	k.h.online[k.h.n_online++] = uid(&k.w, "bob");
	k.h.online[k.h.n_online++] = uid(&k.w, "carol");
	k.h.online[k.h.n_online++] = uid(&k.w, "dave");
	BUILD(a, nt_cli_presence(&g_cc, &wr_));
	CHECK(a->type == NT_ONLINE);
	nt_cli_resp r;
	decode_last(a, &r);
	cr_span name;
	CHECK(r.n_names == 2);
	CHECK(nt_cli_next_name(&r.names, &name) == CR_OK && name.n == 3 && !memcmp(name.p, "bob", 3));
	CHECK(nt_cli_next_name(&r.names, &name) == CR_OK && name.n == 4 && !memcmp(name.p, "dave", 4));
	CHECK_ERR(nt_cli_next_name(&r.names, &name), CR_ERR_NOT_FOUND);
	/* Offline peers are left out. */
	k.h.n_online = 1;
	BUILD(a, nt_cli_presence(&g_cc, &wr_));
	decode_last(a, &r);
	CHECK(a->type == NT_ONLINE && r.n_names == 0);
	BUILD(c, nt_cli_presence(&g_cc, &wr_));
	decode_last(c, &r);
	CHECK(c->type == NT_ONLINE && r.n_names == 0);
	request(c, NT_PRESENCE, (const uint8_t *)"\0", 1);
	CHECK(is_err(c, NT_E_MALFORMED));
	cast_close(&k);
}

static const t_case cases[] = {
	T(groups_commit_order_fetch_ack), T(groups_list_and_members), T(role_rules_and_leaving), T(owner_promotion),
	T(join_requests), T(dm_groups), T(dm_gid_is_symmetric_and_unambiguous), T(mailbox_limit),
	T(notify_sink_after_commit_only), T(presence_lists_online_peers), { 0 },
};

int main(int argc, char **argv)
{
	CHECK_OK(cr_init());
	nt_cli_conn_init(&g_cc, 1 << 20);
	int rc = t_main(argc, argv, cases);
	nt_cli_conn_free(&g_cc);
	return rc;
}
