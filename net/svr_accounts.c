/*
 * svr_accounts.c: the server's handlers for who a user is: HELLO, REGISTER
 * and LOGIN (with the signatures that bind them to the session and the
 * password hash they wait for), and the keys an account publishes:
 * KeyPackages and its identity key.
 */
#include "svr_conn_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ed25519.h"
#include "hash.h"
#include "invite.h"
#include "wipe.h"


void nt_auth_message(cr_writer *w, const char *label, const uint8_t *user, size_t user_len,
		     const uint8_t nonce[NT_NONCE_LEN], const uint8_t exporter[NT_EXPORTER_LEN],
		     const uint8_t server_pin[NT_PIN_LEN])
{
	cr_write_opaque(w, (const uint8_t *)label, strlen(label));
	cr_write_opaque(w, user, user_len);
	cr_write_opaque(w, nonce, NT_NONCE_LEN);
	cr_write_opaque(w, exporter, NT_EXPORTER_LEN);
	cr_write_opaque(w, server_pin, NT_PIN_LEN);
}

cr_err nt_kp_ref(uint8_t ref[32], const uint8_t *kp, size_t n)
{
	static const char label[] = "MLS 1.0 KeyPackage Reference";
	cr_sha256_ctx h;
	uint8_t pre[16];
	cr_writer w;
	cr_writer_init_fixed(&w, pre, sizeof pre);
	cr_write_varint(&w, sizeof label - 1);
	CR_TRY(cr_writer_error(&w));
	cr_sha256_init(&h);
	cr_sha256_update(&h, pre, w.len);
	cr_sha256_update(&h, (const uint8_t *)label, sizeof label - 1);
	cr_writer_init_fixed(&w, pre, sizeof pre);
	cr_write_varint(&w, n);
	if (cr_writer_error(&w) != CR_OK) {
		cr_sha256_final(&h, ref);
		return CR_ERR_LIMIT;
	}
	cr_sha256_update(&h, pre, w.len);
	cr_sha256_update(&h, kp, n);
	cr_sha256_final(&h, ref);
	return CR_OK;
}

nt_svr_res nt_svr_handle_hello(nt_svr_conn *c, uint32_t id, const nt_frame *f)
{
	nt_hello h;
	if (nt_read_hello(f->body.p, f->body.n, &h) != CR_OK)
		return -NT_E_MALFORMED;
	uint16_t v;
	if (nt_negotiate(&h, &v) != CR_OK)
		return -NT_E_VERSION;
	nt_hello_ok ok = { id, v, (uint8_t)c->cfg->policy, { 0 }, c->cfg->frame_max };
	memcpy(ok.nonce, c->nonce, sizeof ok.nonce);
	size_t m = nt_frame_begin(&c->out, NT_HELLO_OK);
	nt_write_hello_ok(&c->out, &ok);
	nt_frame_end(&c->out, m, c->cfg->frame_max);
	c->state = NT_SVR_ANON;
	return 0;
}

/* Verifies an identity signature over nt_auth_message(label, ...). */
static cr_err check_sig(const nt_svr_conn *c, const char *label, cr_span user, const uint8_t pub[32],
			const uint8_t sig[64])
{
	uint8_t buf[192];
	cr_writer w;
	cr_writer_init_fixed(&w, buf, sizeof buf);
	nt_auth_message(&w, label, user.p, user.n, c->nonce, c->exporter, c->cfg->server_pin);
	CR_TRY(cr_writer_error(&w));
	return cr_ed25519_verify(sig, pub, buf, w.len);
}

/* Suspends the connection until job has run (svr_conn.h). */
static void suspend(nt_svr_conn *c, nt_svr_pend_kind kind, uint32_t id, int64_t now, cr_span pw)
{
	c->pend.kind = kind;
	c->pend.id = id;
	c->pend.now = now;
	memcpy(c->job.pw, pw.p, pw.n);
	c->job.pw_len = pw.n;
	c->job.err = CR_ERR_STATE;
	c->job.owner = NULL;
	c->job.next = NULL;
}

nt_svr_res nt_svr_handle_register(nt_svr_conn *c, uint32_t id, cr_reader *r, int64_t now)
{
	cr_span name, pw, invite;
	uint8_t identity[32], sig[64];
	if (nt_svr_read_name(r, &name) || cr_read_opaque(r, NT_PASSWORD_MAX, &pw) ||
	    cr_read_opaque_fixed(r, sizeof identity, identity) || cr_read_opaque(r, NT_INVITE_MAX, &invite) ||
	    cr_read_opaque_fixed(r, sizeof sig, sig) || cr_reader_end(r))
		return -NT_E_MALFORMED;
	if (!st_username_valid(name.p, name.n))
		return NT_E_USERNAME;
	if (pw.n < NT_PASSWORD_MIN)
		return NT_E_PASSWORD;
	if (c->cfg->policy == NT_POLICY_INVITE && invite.n == 0)
		return NT_E_INVITE;
	/* Proof of possession of the identity key, bound to this session. */
	if (check_sig(c, NT_LABEL_REGISTER, name, identity, sig) != CR_OK)
		return NT_E_AUTH;
	nt_svr_pending *pd = &c->pend;
	memset(pd, 0, sizeof *pd);
	memcpy(pd->u.name, name.p, name.n);
	memcpy(pd->u.identity, identity, sizeof identity);
	pd->u.ops = c->cfg->argon.ops;
	pd->u.mem_kib = c->cfg->argon.mem_kib;
	pd->u.created = now;
	memcpy(pd->invite, invite.p, invite.n);
	pd->invite_len = invite.n;
	if (cr_random(c->cfg->rng, pd->u.salt, sizeof pd->u.salt)) {
		cr_wipe(pd, sizeof *pd);
		return NT_E_INTERNAL;
	}
	memcpy(c->job.salt, pd->u.salt, sizeof c->job.salt);
	c->job.params = c->cfg->argon;
	suspend(c, NT_PEND_REGISTER, id, now, pw);
	return 0;
}

nt_svr_res nt_svr_finish_register(nt_svr_conn *c, const nt_hash_job *done)
{
	nt_svr_pending *pd = &c->pend;
	if (done->err)
		return NT_E_INTERNAL;
	memcpy(pd->u.pw_hash, done->out, sizeof pd->u.pw_hash);
	if (st_begin(c->db))
		return NT_E_INTERNAL;
	int64_t uid = 0;
	nt_svr_res rr = nt_svr_from_st(st_user_add(c->db, &pd->u, &uid));
	if (!rr && c->cfg->policy == NT_POLICY_INVITE) {
		uint8_t h[32];
		nt_invite_hash(pd->invite, pd->invite_len, h);
		st_err e = st_invite_use(c->db, h, uid, pd->now);
		rr = e == ST_ERR_NOT_FOUND ? NT_E_INVITE : nt_svr_from_st(e);
	}
	rr = nt_svr_finish_tx(c, rr);
	if (rr)
		return rr;
	size_t m = nt_frame_begin(&c->out, NT_REGISTER_OK);
	cr_write_u32(&c->out, pd->id);
	nt_frame_end(&c->out, m, c->cfg->frame_max);
	return 0;
}

static void log_line(const nt_svr_conn *c, const char *what, const uint8_t *name, size_t n)
{
	if (!c->cfg->log)
		return;
	/* Usernames are restricted to printable characters by the store's
	 * rules only when valid; print a safe copy. */
	char user[NT_USERNAME_MAX + 1];
	size_t k = 0;
	for (; k < n && k < NT_USERNAME_MAX; k++)
		user[k] = name[k] >= 0x21 && name[k] < 0x7f ? (char)name[k] : '?';
	user[k] = 0;
	char line[160];
	snprintf(line, sizeof line, "%s: user '%s' from %s", what, user, c->addr[0] ? c->addr : "?");
	c->cfg->log(c->cfg->log_ctx, line);
}

nt_svr_res nt_svr_handle_login(nt_svr_conn *c, uint32_t id, cr_reader *r, int64_t now)
{
	cr_span name, pw;
	uint8_t sig[64];
	if (nt_svr_read_name(r, &name) || cr_read_opaque(r, NT_PASSWORD_MAX, &pw) ||
	    cr_read_opaque_fixed(r, sizeof sig, sig) || cr_reader_end(r))
		return -NT_E_MALFORMED;
	/* Over a limit: refused before the (costly) hash. */
	if (c->cfg->rate) {
		nt_rate_verdict v = nt_rate_check(c->cfg->rate, (const uint8_t *)c->addr, strlen(c->addr),
						  name.p, name.n, now);
		if (v != NT_RATE_OK) {
			log_line(c, v == NT_RATE_ADDR ? "login refused, too many failures from address"
						      : "login refused, too many failures for account",
				 name.p, name.n);
			return NT_E_RATE;
		}
	}
	nt_svr_pending *pd = &c->pend;
	memset(pd, 0, sizeof *pd);
	st_err e = st_user_get(c->db, name.p, name.n, &pd->u);
	if (e && e != ST_ERR_NOT_FOUND) {
		cr_wipe(pd, sizeof *pd);
		return NT_E_INTERNAL;
	}
	pd->known = e == ST_OK;
	if (!pd->known) {
		/* Hash anyway, so the answer's timing does not tell whether the
		 * username exists. */
		memset(&pd->u, 0, sizeof pd->u);
		pd->u.ops = c->cfg->argon.ops;
		pd->u.mem_kib = c->cfg->argon.mem_kib;
	}
	memcpy(pd->name, name.p, name.n);
	pd->name_len = name.n;
	memcpy(pd->sig, sig, sizeof sig);
	memcpy(c->job.salt, pd->u.salt, sizeof c->job.salt);
	c->job.params = (cr_argon2_params){ pd->u.ops, pd->u.mem_kib };
	suspend(c, NT_PEND_LOGIN, id, now, pw);
	return 0;
}

nt_svr_res nt_svr_finish_login(nt_svr_conn *c, const nt_hash_job *done)
{
	nt_svr_pending *pd = &c->pend;
	bool ok = done->err == CR_OK;
	ok = cr_ct_equal(done->out, pd->u.pw_hash, sizeof pd->u.pw_hash) & ok & pd->known;
	cr_span name = { pd->name, pd->name_len };
	if (ok)
		ok = check_sig(c, NT_LABEL_LOGIN, name, pd->u.identity, pd->sig) == CR_OK;
	if (!ok) {
		if (c->cfg->rate)
			nt_rate_fail(c->cfg->rate, (const uint8_t *)c->addr, strlen(c->addr), pd->name,
				     pd->name_len, pd->now);
		log_line(c, "failed login", pd->name, pd->name_len);
		if (++c->failed_logins >= NT_LOGIN_ATTEMPTS_MAX)
			return -NT_E_AUTH;
		return NT_E_AUTH;
	}
	c->user = pd->u.id;
	c->state = NT_SVR_USER;
	size_t m = nt_frame_begin(&c->out, NT_LOGIN_OK);
	cr_write_u32(&c->out, pd->id);
	nt_frame_end(&c->out, m, c->cfg->frame_max);
	return 0;
}

nt_svr_res nt_svr_handle_kp_upload(nt_svr_conn *c, uint32_t id, cr_reader *r)
{
	bool last_resort;
	cr_reader items, scan;
	if (cr_read_bool(r, &last_resort) || cr_read_vector(r, c->cfg->frame_max, &items) || cr_reader_end(r))
		return -NT_E_MALFORMED;
	/* Validate the whole batch before storing any of it. */
	size_t count = 0;
	scan = items;
	while (cr_reader_left(&scan)) {
		cr_span kp;
		if (cr_read_opaque(&scan, NT_KP_MAX, &kp) || kp.n == 0)
			return -NT_E_MALFORMED;
		count++;
	}
	if (count == 0 || count > NT_KP_BATCH_MAX || (last_resort && count != 1))
		return NT_E_LIMIT;
	if (st_begin(c->db))
		return NT_E_INTERNAL;
	nt_svr_res rr = 0;
	while (!rr && cr_reader_left(&items)) {
		cr_span kp;
		uint8_t ref[32];
		if (cr_read_opaque(&items, NT_KP_MAX, &kp) || nt_kp_ref(ref, kp.p, kp.n))
			rr = NT_E_INTERNAL;
		else
			rr = nt_svr_from_st(st_kp_add(c->db, c->user, ref, kp.p, kp.n, last_resort));
	}
	int64_t n = 0;
	if (!rr)
		rr = nt_svr_from_st(st_kp_count(c->db, c->user, &n));
	rr = nt_svr_finish_tx(c, rr);
	if (rr)
		return rr;
	size_t m = nt_frame_begin(&c->out, NT_KP_UPLOAD_OK);
	cr_write_u32(&c->out, id);
	cr_write_u32(&c->out, (uint32_t)n);
	nt_frame_end(&c->out, m, c->cfg->frame_max);
	return 0;
}

nt_svr_res nt_svr_handle_kp_fetch(nt_svr_conn *c, uint32_t id, cr_reader *r)
{
	cr_span name;
	if (nt_svr_read_name(r, &name) || cr_reader_end(r))
		return -NT_E_MALFORMED;
	st_user u;
	nt_svr_res rr = nt_svr_from_st(st_user_get(c->db, name.p, name.n, &u));
	if (rr)
		return rr;
	uint8_t *kp = NULL;
	size_t n = 0;
	bool lr = false;
	if (st_begin(c->db))
		return NT_E_INTERNAL;
	rr = nt_svr_finish_tx(c, nt_svr_from_st(st_kp_take(c->db, u.id, &kp, &n, &lr)));
	if (rr) {
		free(kp);
		return rr;
	}
	size_t m = nt_frame_begin(&c->out, NT_KP);
	cr_write_u32(&c->out, id);
	cr_write_bool(&c->out, lr);
	cr_write_opaque(&c->out, kp, n);
	nt_frame_end(&c->out, m, c->cfg->frame_max);
	free(kp);
	return 0;
}

nt_svr_res nt_svr_handle_identity_fetch(nt_svr_conn *c, uint32_t id, cr_reader *r)
{
	cr_span name;
	if (nt_svr_read_name(r, &name) || cr_reader_end(r))
		return -NT_E_MALFORMED;
	st_user u;
	nt_svr_res rr = nt_svr_from_st(st_user_get(c->db, name.p, name.n, &u));
	if (rr)
		return rr;
	size_t m = nt_frame_begin(&c->out, NT_IDENTITY);
	cr_write_u32(&c->out, id);
	cr_write_opaque(&c->out, u.identity, sizeof u.identity);
	nt_frame_end(&c->out, m, c->cfg->frame_max);
	return 0;
}
