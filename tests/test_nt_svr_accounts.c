/*
 * test_nt_svr_accounts.c: the account handlers (net/svr_accounts.c) driven
 * as a client would, over an in-memory store: registration with and without
 * invites, login bound to nonce, exporter and server key, the failed-login
 * limits, KeyPackages and identity keys.
 */
#include <string.h>

#include "hash.h"
#include "svr_world.h"
#include "t.h"

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

static const t_case cases[] = {
	T(register_and_login), T(register_rejections), T(login_failures_and_binding), T(invite_policy),
	T(key_packages), T(kp_ref_matches_refhash), T(rate_limits_across_connections), { 0 },
};

int main(int argc, char **argv)
{
	CHECK_OK(cr_init());
	return t_main(argc, argv, cases);
}
