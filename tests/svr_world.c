/*
 * svr_world.c: the in-memory server world of the svr_conn tests (svr_world.h).
 */
#include <stdlib.h>
#include <string.h>

#include "ed25519.h"
#include "svr_world.h"
#include "t.h"

const cr_argon2_params FAST = { 1, 8 };
/* The clock fed to the engine (the rate limits read it). */
int64_t g_now = 1000;

void world_init(world *w, nt_policy policy)
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
void feed_raw(client *cl, const uint8_t *p, size_t n)
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
void request(client *cl, uint16_t type, const uint8_t *body, size_t n)
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
bool is_err(const client *cl, nt_code code)
{
	bool ok = cl->type == NT_ERROR && cl->err == code;
	if (!ok)
		t_note("wanted error %d, got type 0x%04x err %d", code, cl->type, cl->err);
	return ok;
}

void connect_client(world *w, client *cl, uint8_t exporter_byte)
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


void make_ident(ident *id, const char *name, uint8_t s)
{
	id->name = name;
	memset(id->seed, s, sizeof id->seed);
	CHECK_OK(cr_ed25519_public(id->pub, id->seed));
}

void sign_auth(const client *cl, const char *label, const ident *id, uint8_t sig[64])
{
	uint8_t buf[200];
	cr_writer w;
	cr_writer_init_fixed(&w, buf, sizeof buf);
	nt_auth_message(&w, label, (const uint8_t *)id->name, strlen(id->name), cl->nonce, cl->exporter,
			cl->pin);
	CHECK_OK(cr_writer_error(&w));
	CHECK_OK(cr_ed25519_sign(sig, id->seed, buf, w.len));
}

void do_register(client *cl, const ident *id, const char *pw, const char *invite, const ident *signer)
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

void do_login(client *cl, const ident *id, const char *pw, const ident *signer)
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
void session(world *w, client *cl, const ident *id)
{
	connect_client(w, cl, 0x42);
	do_register(cl, id, "correct horse", "", id);
	CHECK(cl->type == NT_REGISTER_OK);
	nt_svr_conn_free(&cl->c);
	connect_client(w, cl, 0x43);
	do_login(cl, id, "correct horse", id);
	CHECK(cl->type == NT_LOGIN_OK);
}


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

void world_hooks(world *w, hooks *h)
{
	memset(h, 0, sizeof *h);
	h->db = w->db;
	w->cfg.is_online = h_is_online;
	w->cfg.appended = h_appended;
	w->cfg.hooks_ctx = h;
}


/* The world, with the event loop's hooks when `with_hooks`; nobody in yet,
 * so a test can set its limits in k->w.cfg before anyone logs in. */
void cast_open(cast *k, nt_policy policy, bool with_hooks)
{
	memset(k, 0, sizeof *k);
	world_init(&k->w, policy);
	if (with_hooks)
		world_hooks(&k->w, &k->h);
}

/* Logs in the next people until `n` are in. */
void cast_login(cast *k, int n)
{
	static const char *const names[] = { "alice", "bob", "carol", "dave" };
	ident *ids[] = { &k->alice, &k->bob, &k->carol, &k->dave };
	client *cls[] = { &k->a, &k->b, &k->c, &k->d };
	for (; k->in < n && k->in < 4; k->in++) {
		make_ident(ids[k->in], names[k->in], (uint8_t)(2 + k->in));
		session(&k->w, cls[k->in], ids[k->in]);
	}
}

void cast_close(cast *k)
{
	client *cls[] = { &k->a, &k->b, &k->c, &k->d };
	for (int i = 0; i < k->in; i++)
		nt_svr_conn_free(&cls[i]->c);
	st_server_close(k->w.db);
}
