/*
 * test_nt_svr_conn.c: the server connection engine (net/svr_conn.h) driven
 * as a client would, over an in-memory store: negotiation, registration with
 * and without invites, login bound to nonce and exporter, KeyPackages, commit
 * ordering, fetch/ack/prune, and hostile frames.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_conn.h"
#include "dm.h"
#include "ed25519.h"
#include "group.h"
#include "hash.h"
#include "svr_conn.h"
#include "t.h"

typedef struct client {
	nt_svr_conn c;
	uint8_t nonce[NT_NONCE_LEN];
	uint8_t exporter[NT_EXPORTER_LEN];
	uint8_t pin[NT_PIN_LEN];       /* the server key the client believes in */
	uint32_t next_id;
	uint16_t type;             /* last response */
	uint8_t body[1 << 16];
	size_t body_n;
	uint16_t err;              /* code when type == NT_ERROR */
	int frames;                /* responses in the last exchange */
} client;

typedef struct world {
	st_server *db;
	cr_rng_det det;
	cr_rng rng;
	nt_svr_config cfg;
} world;

static const cr_argon2_params FAST = { 1, 8 };
/* The clock fed to the engine (the rate limits read it). */
static int64_t g_now = 1000;

static void world_init(world *w, nt_policy policy)
{
	memset(w, 0, sizeof *w);
	CHECK_OK(st_server_open(&w->db, ":memory:"));
	uint8_t seed[32] = { 1 };
	cr_rng_det_init(&w->det, &w->rng, seed);
	w->cfg.policy = policy;
	w->cfg.frame_max = 1 << 16;
	w->cfg.argon = FAST;
	w->cfg.rng = &w->rng;
	memset(w->cfg.server_pin, 0x5e, sizeof w->cfg.server_pin);
}

/* Feeds raw bytes; keeps the last response frame. */
static void feed_raw(client *cl, const uint8_t *p, size_t n)
{
	size_t used = 0;
	CHECK_OK(nt_svr_conn_feed_sync(&cl->c, p, n, g_now, &used));
	CHECK(used == n || nt_svr_conn_closing(&cl->c));
	size_t on;
	uint8_t *out = nt_svr_conn_take_output(&cl->c, &on);
	cl->frames = 0;
	cl->type = 0;
	nt_frame_parser fp;
	nt_parser_init(&fp, 1 << 20);
	cr_reader r;
	cr_reader_init(&r, out, on);
	for (;;) {
		bool got;
		nt_frame f;
		if (nt_parser_feed(&fp, &r, &got, &f) != CR_OK || !got)
			break;
		cl->frames++;
		cl->type = f.type;
		cl->body_n = f.body.n < sizeof cl->body ? f.body.n : sizeof cl->body;
		memcpy(cl->body, f.body.p, cl->body_n);
		cl->err = 0;
		if (f.type == NT_ERROR) {
			nt_error_body e;
			if (nt_read_error(f.body.p, f.body.n, &e) == CR_OK)
				cl->err = e.code;
		}
	}
	CHECK(nt_parser_idle(&fp));
	nt_parser_free(&fp);
	free(out);
}

/* Sends one frame whose body is the request id followed by body[n]. */
static void request(client *cl, uint16_t type, const uint8_t *body, size_t n)
{
	cr_writer w;
	cr_writer_init_dynamic(&w, 1 << 20);
	size_t m = nt_frame_begin(&w, type);
	cr_write_u32(&w, ++cl->next_id);
	cr_write_bytes(&w, body, n);
	nt_frame_end(&w, m, 1 << 20);
	CHECK_OK(cr_writer_error(&w));
	feed_raw(cl, w.p, w.len);
	cr_writer_free(&w);
}

/* The last response was an ERROR with this code. */
static bool is_err(const client *cl, nt_code code)
{
	bool ok = cl->type == NT_ERROR && cl->err == code;
	if (!ok)
		t_note("wanted error %d, got type 0x%04x err %d", code, cl->type, cl->err);
	return ok;
}

static void connect_client(world *w, client *cl, uint8_t exporter_byte)
{
	memset(cl, 0, sizeof *cl);
	memset(cl->exporter, exporter_byte, sizeof cl->exporter);
	memcpy(cl->pin, w->cfg.server_pin, sizeof cl->pin);
	CHECK_OK(nt_svr_conn_init(&cl->c, &w->cfg, w->db, cl->exporter));
	uint8_t b[32];
	cr_writer wr;
	cr_writer_init_fixed(&wr, b, sizeof b);
	cr_write_u16(&wr, 1);
	cr_write_u16(&wr, 1);
	cr_write_opaque(&wr, (const uint8_t *)"test", 4);
	request(cl, NT_HELLO, b, wr.len);
	CHECK(cl->type == NT_HELLO_OK);
	nt_hello_ok ok;
	CHECK_OK(nt_read_hello_ok(cl->body, cl->body_n, &ok));
	CHECK(ok.version == 1 && ok.id == cl->next_id && ok.policy == (uint8_t)w->cfg.policy);
	memcpy(cl->nonce, ok.nonce, sizeof cl->nonce);
}

typedef struct ident {
	const char *name;
	uint8_t seed[32], pub[32];
} ident;

static void make_ident(ident *id, const char *name, uint8_t s)
{
	id->name = name;
	memset(id->seed, s, sizeof id->seed);
	CHECK_OK(cr_ed25519_public(id->pub, id->seed));
}

static void sign_auth(const client *cl, const char *label, const ident *id, uint8_t sig[64])
{
	uint8_t buf[200];
	cr_writer w;
	cr_writer_init_fixed(&w, buf, sizeof buf);
	nt_auth_message(&w, label, (const uint8_t *)id->name, strlen(id->name), cl->nonce, cl->exporter,
			cl->pin);
	CHECK_OK(cr_writer_error(&w));
	CHECK_OK(cr_ed25519_sign(sig, id->seed, buf, w.len));
}

static void do_register(client *cl, const ident *id, const char *pw, const char *invite, const ident *signer)
{
	uint8_t sig[64], b[512];
	sign_auth(cl, NT_LABEL_REGISTER, signer, sig);
	cr_writer w;
	cr_writer_init_fixed(&w, b, sizeof b);
	cr_write_opaque(&w, (const uint8_t *)id->name, strlen(id->name));
	cr_write_opaque(&w, (const uint8_t *)pw, strlen(pw));
	cr_write_opaque(&w, id->pub, 32);
	cr_write_opaque(&w, (const uint8_t *)invite, strlen(invite));
	cr_write_opaque(&w, sig, 64);
	CHECK_OK(cr_writer_error(&w));
	request(cl, NT_REGISTER, b, w.len);
}

static void do_login(client *cl, const ident *id, const char *pw, const ident *signer)
{
	uint8_t sig[64], b[512];
	sign_auth(cl, NT_LABEL_LOGIN, signer, sig);
	cr_writer w;
	cr_writer_init_fixed(&w, b, sizeof b);
	cr_write_opaque(&w, (const uint8_t *)id->name, strlen(id->name));
	cr_write_opaque(&w, (const uint8_t *)pw, strlen(pw));
	cr_write_opaque(&w, sig, 64);
	CHECK_OK(cr_writer_error(&w));
	request(cl, NT_LOGIN, b, w.len);
}

/* A registered, logged-in client. */
static void session(world *w, client *cl, const ident *id)
{
	connect_client(w, cl, 0x42);
	do_register(cl, id, "correct horse", "", id);
	CHECK(cl->type == NT_REGISTER_OK);
	nt_svr_conn_free(&cl->c);
	connect_client(w, cl, 0x43);
	do_login(cl, id, "correct horse", id);
	CHECK(cl->type == NT_LOGIN_OK);
}

/* The hooks the event loop implements, in memory. */
typedef struct hooks {
	st_server *db;
	int64_t online[8];
	size_t n_online;
	int calls;                   /* appended() calls */
	int64_t group;
	uint64_t position;
	char gid[NT_GROUP_ID_MAX + 1];
	const nt_svr_conn *origin;
	bool outside_tx;             /* every call came after the commit */
	bool visible;                /* ... and saw its entry in the log */
} hooks;

static bool h_is_online(void *ctx, int64_t user)
{
	hooks *h = ctx;
	for (size_t i = 0; i < h->n_online; i++)
		if (h->online[i] == user)
			return true;
	return false;
}

static st_err seen_entry(void *ctx, const st_log_entry *e)
{
	*(uint64_t *)ctx = e->pos;
	return ST_OK;
}

static void h_appended(void *ctx, int64_t group, const uint8_t *gid, size_t gid_len, uint64_t position,
		       const nt_svr_conn *origin)
{
	hooks *h = ctx;
	h->calls++;
	h->group = group;
	h->position = position;
	memcpy(h->gid, gid, gid_len);
	h->gid[gid_len] = 0;
	h->origin = origin;
	/* BEGIN succeeds only outside a transaction: the handler's is over. */
	bool outside = st_begin(h->db) == ST_OK;
	if (outside)
		st_rollback(h->db);
	uint64_t last = 0;
	bool vis = position > 0 && st_log_fetch(h->db, group, position - 1, 1, seen_entry, &last) == ST_OK &&
		   last == position;
	if (h->calls == 1) {
		h->outside_tx = outside;
		h->visible = vis;
	} else {
		h->outside_tx &= outside;
		h->visible &= vis;
	}
}

static void world_hooks(world *w, hooks *h)
{
	memset(h, 0, sizeof *h);
	h->db = w->db;
	w->cfg.is_online = h_is_online;
	w->cfg.appended = h_appended;
	w->cfg.hooks_ctx = h;
}

/* The people of most tests: alice, bob, carol and dave (seeds 2 to 5), each
 * registered and logged in on a connection of its own (a to d), in one world. */
typedef struct cast {
	world w;
	hooks h;
	ident alice, bob, carol, dave;
	client a, b, c, d;
	int in;                    /* how many are logged in, in that order */
} cast;

/* The world, with the event loop's hooks when `with_hooks`; nobody in yet,
 * so a test can set its limits in k->w.cfg before anyone logs in. */
static void cast_open(cast *k, nt_policy policy, bool with_hooks)
{
	memset(k, 0, sizeof *k);
	world_init(&k->w, policy);
	if (with_hooks)
		world_hooks(&k->w, &k->h);
}

/* Logs in the next people until `n` are in. */
static void cast_login(cast *k, int n)
{
	static const char *const names[] = { "alice", "bob", "carol", "dave" };
	ident *ids[] = { &k->alice, &k->bob, &k->carol, &k->dave };
	client *cls[] = { &k->a, &k->b, &k->c, &k->d };
	for (; k->in < n && k->in < 4; k->in++) {
		make_ident(ids[k->in], names[k->in], (uint8_t)(2 + k->in));
		session(&k->w, cls[k->in], ids[k->in]);
	}
}

static void cast_close(cast *k)
{
	client *cls[] = { &k->a, &k->b, &k->c, &k->d };
	for (int i = 0; i < k->in; i++)
		nt_svr_conn_free(&cls[i]->c);
	st_server_close(k->w.db);
}

TEST(register_and_login)
{
	world w;
	world_init(&w, NT_POLICY_OPEN);
	ident alice;
	make_ident(&alice, "alice", 7);
	client cl;
	connect_client(&w, &cl, 1);
	do_register(&cl, &alice, "correct horse", "", &alice);
	CHECK(cl.type == NT_REGISTER_OK);
	do_register(&cl, &alice, "correct horse", "", &alice);
	CHECK(is_err(&cl, NT_E_EXISTS));
	do_login(&cl, &alice, "correct horse", &alice);
	CHECK(cl.type == NT_LOGIN_OK);
	st_user u;
	CHECK_OK(st_user_get(w.db, (const uint8_t *)"alice", 5, &u));
	CHECK_MEM(u.identity, alice.pub, 32);
	CHECK(u.ops == FAST.ops && u.mem_kib == FAST.mem_kib);
	/* A second HELLO is unexpected; LOGIN after login too. */
	request(&cl, NT_HELLO, (const uint8_t *)"\0\1\0\1\0", 5);
	CHECK(is_err(&cl, NT_E_UNEXPECTED));
	CHECK(!nt_svr_conn_closing(&cl.c));
	nt_svr_conn_free(&cl.c);
	st_server_close(w.db);
}

TEST(register_rejections)
{
	world w;
	world_init(&w, NT_POLICY_OPEN);
	ident bad, alice, mallory;
	make_ident(&bad, "Bad Name", 1);
	make_ident(&alice, "alice", 2);
	make_ident(&mallory, "mallory", 3);
	client cl;
	connect_client(&w, &cl, 1);
	do_register(&cl, &bad, "correct horse", "", &bad);
	CHECK(is_err(&cl, NT_E_USERNAME));
	do_register(&cl, &alice, "short", "", &alice);
	CHECK(is_err(&cl, NT_E_PASSWORD));
	/* Signed by a key other than the one registered: no proof of possession. */
	do_register(&cl, &alice, "correct horse", "", &mallory);
	CHECK(is_err(&cl, NT_E_AUTH));
	st_user u;
	CHECK_ERR(st_user_get(w.db, (const uint8_t *)"alice", 5, &u), ST_ERR_NOT_FOUND);
	CHECK(!nt_svr_conn_closing(&cl.c));
	nt_svr_conn_free(&cl.c);
	st_server_close(w.db);
}

TEST(login_failures_and_binding)
{
	world w;
	world_init(&w, NT_POLICY_OPEN);
	ident alice, mallory, ghost;
	make_ident(&alice, "alice", 2);
	make_ident(&mallory, "mallory", 3);
	make_ident(&ghost, "ghost", 4);
	client cl;
	connect_client(&w, &cl, 1);
	do_register(&cl, &alice, "correct horse", "", &alice);
	CHECK(cl.type == NT_REGISTER_OK);
	nt_svr_conn_free(&cl.c);
	connect_client(&w, &cl, 2);
	do_login(&cl, &alice, "wrong horse", &alice);
	CHECK(is_err(&cl, NT_E_AUTH));
	do_login(&cl, &alice, "correct horse", &mallory);
	CHECK(is_err(&cl, NT_E_AUTH));
	do_login(&cl, &ghost, "correct horse", &ghost);
	CHECK(is_err(&cl, NT_E_AUTH));
	/* A signature made for another TLS session (exporter) does not verify. */
	uint8_t real[NT_EXPORTER_LEN];
	memcpy(real, cl.exporter, sizeof real);
	memset(cl.exporter, 0x99, sizeof cl.exporter);
	do_login(&cl, &alice, "correct horse", &alice);
	CHECK(is_err(&cl, NT_E_AUTH));
	memcpy(cl.exporter, real, sizeof real);
	CHECK(!nt_svr_conn_closing(&cl.c));
	/* Nor does one made for another server key (a relaying server). */
	cl.pin[0] ^= 1;
	do_login(&cl, &alice, "correct horse", &alice);
	CHECK(is_err(&cl, NT_E_AUTH));
	cl.pin[0] ^= 1;
	/* That was the fifth failure: the connection closes. */
	CHECK(nt_svr_conn_closing(&cl.c));
	nt_svr_conn_free(&cl.c);
	/* A fresh connection with everything right logs in. */
	connect_client(&w, &cl, 2);
	do_login(&cl, &alice, "correct horse", &alice);
	CHECK(cl.type == NT_LOGIN_OK);
	nt_svr_conn_free(&cl.c);
	/* Before login, account requests are forbidden. */
	connect_client(&w, &cl, 3);
	request(&cl, NT_GROUP_CREATE, (const uint8_t *)"\1g", 2);
	CHECK(is_err(&cl, NT_E_FORBIDDEN));
	nt_svr_conn_free(&cl.c);
	st_server_close(w.db);
}

TEST(invite_policy)
{
	world w;
	world_init(&w, NT_POLICY_INVITE);
	uint8_t h[32];
	cr_sha256(h, (const uint8_t *)"INVITE-1", 8);
	CHECK_OK(st_invite_add(w.db, h, 1));
	ident alice, bob;
	make_ident(&alice, "alice", 2);
	make_ident(&bob, "bob", 3);
	client cl;
	connect_client(&w, &cl, 1);
	do_register(&cl, &alice, "correct horse", "", &alice);
	CHECK(is_err(&cl, NT_E_INVITE));
	do_register(&cl, &alice, "correct horse", "INVITE-2", &alice);
	CHECK(is_err(&cl, NT_E_INVITE));
	st_user u;
	CHECK_ERR(st_user_get(w.db, (const uint8_t *)"alice", 5, &u), ST_ERR_NOT_FOUND); /* rolled back */
	do_register(&cl, &alice, "correct horse", "INVITE-1", &alice);
	CHECK(cl.type == NT_REGISTER_OK);
	do_register(&cl, &bob, "correct horse", "INVITE-1", &bob);
	CHECK(is_err(&cl, NT_E_INVITE));
	CHECK_ERR(st_user_get(w.db, (const uint8_t *)"bob", 3, &u), ST_ERR_NOT_FOUND);
	nt_svr_conn_free(&cl.c);
	st_server_close(w.db);
}

static void kp_upload(client *cl, bool last_resort, int count, char tag)
{
	uint8_t b[512];
	cr_writer w;
	cr_writer_init_fixed(&w, b, sizeof b);
	cr_write_bool(&w, last_resort);
	size_t m = cr_write_vector_begin(&w);
	for (int i = 0; i < count; i++) {
		uint8_t kp[3] = { (uint8_t)tag, 'k', (uint8_t)('0' + i) };
		cr_write_opaque(&w, kp, sizeof kp);
	}
	cr_write_vector_end(&w, m);
	CHECK_OK(cr_writer_error(&w));
	request(cl, NT_KP_UPLOAD, b, w.len);
}

static void kp_fetch(client *cl, const char *name)
{
	uint8_t b[64];
	cr_writer w;
	cr_writer_init_fixed(&w, b, sizeof b);
	cr_write_opaque(&w, (const uint8_t *)name, strlen(name));
	request(cl, NT_KP_FETCH, b, w.len);
}

TEST(key_packages)
{
	cast k;
	cast_open(&k, NT_POLICY_OPEN, false);
	cast_login(&k, 2);
	client *a = &k.a, *b = &k.b;
	kp_upload(a, false, 2, 'a');
	CHECK(a->type == NT_KP_UPLOAD_OK);
	kp_upload(a, true, 1, 'L');
	CHECK(a->type == NT_KP_UPLOAD_OK);
	kp_upload(a, true, 2, 'M');
	CHECK(is_err(a, NT_E_LIMIT));
	kp_upload(a, false, 1, 'a'); /* same bytes, same reference */
	CHECK(is_err(a, NT_E_EXISTS));
	const char *want[4] = { "ak0", "ak1", "Lk0", "Lk0" };
	const bool want_lr[4] = { false, false, true, true };
	for (int i = 0; i < 4; i++) {
		kp_fetch(b, "alice");
		CHECK(b->type == NT_KP);
		cr_reader r;
		cr_reader_init(&r, b->body, b->body_n);
		uint32_t id;
		bool lr;
		cr_span kp;
		CHECK_OK(cr_read_u32(&r, &id));
		CHECK_OK(cr_read_bool(&r, &lr));
		CHECK_OK(cr_read_opaque(&r, 100, &kp));
		CHECK_OK(cr_reader_end(&r));
		CHECK(id == b->next_id && lr == want_lr[i] && kp.n == 3 && !memcmp(kp.p, want[i], 3));
	}
	kp_fetch(b, "bob");
	CHECK(is_err(b, NT_E_NOT_FOUND));
	kp_fetch(b, "nobody");
	CHECK(is_err(b, NT_E_NOT_FOUND));
	/* Identity lookup. */
	request(b, NT_IDENTITY_FETCH, (const uint8_t *)"\5alice", 6);
	CHECK(b->type == NT_IDENTITY && b->body_n == 4 + 1 + 32);
	if (b->body_n == 37)
		CHECK_MEM(b->body + 5, k.alice.pub, 32);
	cast_close(&k);
}

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

TEST(kp_ref_matches_refhash)
{
	/* RefHash(label, value) = SHA-256(opaque label<V> | opaque value<V>). */
	uint8_t ref[32], want[32], buf[64];
	cr_writer w;
	cr_writer_init_fixed(&w, buf, sizeof buf);
	cr_write_opaque(&w, (const uint8_t *)"MLS 1.0 KeyPackage Reference", 28);
	cr_write_opaque(&w, (const uint8_t *)"kp", 2);
	CHECK_OK(cr_writer_error(&w));
	cr_sha256(want, buf, w.len);
	CHECK_OK(nt_kp_ref(ref, (const uint8_t *)"kp", 2));
	CHECK_MEM(ref, want, 32);
	CHECK_OK(nt_kp_ref(ref, (const uint8_t *)"kq", 2));
	CHECK(memcmp(ref, want, 32) != 0);
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

static void count_log(void *ctx, const char *line)
{
	(void)line;
	++*(int *)ctx;
}

/* Failed logins count per account and per address across connections. */
TEST(rate_limits_across_connections)
{
	world w;
	world_init(&w, NT_POLICY_OPEN);
	nt_rate rate;
	int logs = 0;
	CHECK_OK(nt_rate_init(&rate, 4, 2, 16));
	w.cfg.rate = &rate;
	w.cfg.log = count_log;
	w.cfg.log_ctx = &logs;
	ident alice, bob;
	make_ident(&alice, "alice", 2);
	make_ident(&bob, "bob", 3);
	client cl;
	connect_client(&w, &cl, 1);
	do_register(&cl, &alice, "correct horse", "", &alice);
	CHECK(cl.type == NT_REGISTER_OK);
	nt_svr_conn_free(&cl.c);
	connect_client(&w, &cl, 1);
	do_register(&cl, &bob, "battery staple", "", &bob);
	CHECK(cl.type == NT_REGISTER_OK);
	nt_svr_conn_free(&cl.c);
	/* Two failures for alice, each on a new connection from a new address. */
	for (int i = 0; i < 2; i++) {
		connect_client(&w, &cl, 2);
		nt_svr_conn_set_addr(&cl.c, i ? "192.0.2.2" : "192.0.2.1");
		do_login(&cl, &alice, "wrong horse", &alice);
		CHECK(is_err(&cl, NT_E_AUTH));
		nt_svr_conn_free(&cl.c);
	}
	CHECK(logs == 2);
	/* Now even the right password is refused for alice, from anywhere. */
	connect_client(&w, &cl, 2);
	nt_svr_conn_set_addr(&cl.c, "198.51.100.7");
	do_login(&cl, &alice, "correct horse", &alice);
	CHECK(is_err(&cl, NT_E_RATE));
	CHECK(logs == 3 && !nt_svr_conn_closing(&cl.c));
	/* bob is not affected. */
	do_login(&cl, &bob, "battery staple", &bob);
	CHECK(cl.type == NT_LOGIN_OK);
	nt_svr_conn_free(&cl.c);
	/* Per address: 4 failures from one address over several accounts. */
	for (int i = 0; i < 4; i++) {
		connect_client(&w, &cl, 2);
		nt_svr_conn_set_addr(&cl.c, "203.0.113.9");
		ident ghost;
		char name[8] = "ghostA";
		name[5] = (char)('A' + i);
		make_ident(&ghost, name, 9);
		do_login(&cl, &ghost, "whatever pw", &ghost);
		CHECK(is_err(&cl, NT_E_AUTH));
		nt_svr_conn_free(&cl.c);
	}
	connect_client(&w, &cl, 2);
	nt_svr_conn_set_addr(&cl.c, "203.0.113.9");
	do_login(&cl, &bob, "battery staple", &bob);
	CHECK(is_err(&cl, NT_E_RATE));
	/* A window later, both limits have drained. */
	g_now += NT_RATE_WINDOW;
	do_login(&cl, &bob, "battery staple", &bob);
	CHECK(cl.type == NT_LOGIN_OK);
	nt_svr_conn_free(&cl.c);
	connect_client(&w, &cl, 2);
	do_login(&cl, &alice, "correct horse", &alice);
	CHECK(cl.type == NT_LOGIN_OK);
	nt_svr_conn_free(&cl.c);
	g_now = 1000;
	nt_rate_free(&rate);
	st_server_close(w.db);
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

/* ------------------------------------------------------------- blobs */

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
	T(register_and_login), T(register_rejections), T(login_failures_and_binding), T(invite_policy),
	T(key_packages), T(groups_commit_order_fetch_ack), T(hostile_frames), T(kp_ref_matches_refhash),
	T(hash_job_suspends_and_resumes), T(rate_limits_across_connections), T(groups_list_and_members),
	T(role_rules_and_leaving), T(owner_promotion), T(join_requests), T(dm_groups),
	T(dm_gid_is_symmetric_and_unambiguous), T(mailbox_limit), T(notify_sink_after_commit_only),
	T(presence_lists_online_peers), T(blobs_upload_read_and_limits), T(blobs_hash_mismatch_deletes), T(blobs_upload_continues_on_another_connection),
	T(blobs_expire), { 0 },
};

int main(int argc, char **argv)
{
	CHECK_OK(cr_init());
	nt_cli_conn_init(&g_cc, 1 << 20);
	int rc = t_main(argc, argv, cases);
	nt_cli_conn_free(&g_cc);
	return rc;
}
