/*
 * svr_conn.c: the server's per-connection protocol engine (svr_conn.h).
 *
 * Each handler decodes its whole request first, then touches the store
 * (inside one transaction when it writes more than one row), then writes its
 * response; on any failure it returns an nt_code and dispatch() writes the
 * error frame instead, so a half-written response never reaches the queue.
 */
#include "svr_conn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dm.h"
#include "ed25519.h"
#include "group.h"
#include "hash.h"
#include "invite.h"
#include "kp_identity.h"
#include "svr_batch.h"
#include "wipe.h"

#define OUT_SLACK 4096u

static void clear_pending(nt_svr_conn *c);

/* A handler result: 0 for success, or the error code to answer with. */
typedef int res;

cr_err nt_svr_conn_init(nt_svr_conn *c, const nt_svr_config *cfg, st_server *db,
			const uint8_t exporter[NT_EXPORTER_LEN])
{
	memset(c, 0, sizeof *c);
	CR_ENSURE(cfg->frame_max >= NT_FRAME_MAX_MIN, CR_ERR_ARG);
	c->cfg = cfg;
	c->db = db;
	c->state = NT_SVR_HELLO;
	memcpy(c->exporter, exporter, NT_EXPORTER_LEN);
	nt_parser_init(&c->parser, cfg->frame_max);
	cr_writer_init_dynamic(&c->out, 2 * (size_t)cfg->frame_max + OUT_SLACK);
	cr_err err = cr_random(cfg->rng, c->nonce, sizeof c->nonce);
	if (err)
		nt_svr_conn_free(c);
	return err;
}

void nt_svr_conn_free(nt_svr_conn *c)
{
	if (c->batch)
		nt_svr_batch_remove(c->batch, c);
	nt_parser_free(&c->parser);
	cr_writer_free(&c->out);
	cr_wipe(c->nonce, sizeof c->nonce);
	cr_wipe(c->exporter, sizeof c->exporter);
	clear_pending(c);
}

uint8_t *nt_svr_conn_take_output(nt_svr_conn *c, size_t *n)
{
	*n = 0;
	if (c->out.len == 0 || c->batch)
		return NULL;
	uint8_t *p = cr_writer_take(&c->out, n);
	cr_writer_init_dynamic(&c->out, 2 * (size_t)c->cfg->frame_max + OUT_SLACK);
	return p;
}

bool nt_svr_conn_closing(const nt_svr_conn *c)
{
	return c->closing;
}

int64_t nt_svr_conn_user(const nt_svr_conn *c)
{
	return c->state == NT_SVR_USER ? c->user : 0;
}

static bool online(const nt_svr_conn *c, int64_t user)
{
	return c->cfg->is_online && c->cfg->is_online(c->cfg->hooks_ctx, user);
}

/* After the commit only: the loop tells the members. In a batch the
 * commit is still to come, so the batch keeps the note (if memory runs
 * out it is lost, which only delays readers until their next FETCH). */
static void notify(nt_svr_conn *c, int64_t group, cr_span gid, uint64_t position)
{
	if (c->batch) {
		cr_err e = nt_svr_batch_note_append(c->batch, c, group, gid.p, gid.n, position);
		(void)e;
	} else if (c->cfg->appended)
		c->cfg->appended(c->cfg->hooks_ctx, group, gid.p, gid.n, position, c);
}

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

/* Queues an error frame; `close` marks the connection closing. */
static void send_error(nt_svr_conn *c, uint32_t id, nt_code code, bool close)
{
	size_t m = nt_frame_begin(&c->out, NT_ERROR);
	nt_write_error(&c->out, id, code, nt_code_str(code));
	nt_frame_end(&c->out, m, c->cfg->frame_max);
	if (close)
		c->closing = true;
}

static res from_st(st_err e)
{
	switch (e) {
	case ST_OK: return 0;
	case ST_ERR_NOT_FOUND: return NT_E_NOT_FOUND;
	case ST_ERR_EXISTS: return NT_E_EXISTS;
	case ST_ERR_CONFLICT: return NT_E_CONFLICT;
	case ST_ERR_ARG: return NT_E_LIMIT;
	default: return NT_E_INTERNAL;
	}
}

/* Ends a handler's store work: commit on success, roll back otherwise. */
static res finish_tx(nt_svr_conn *c, res r)
{
	if (r) {
		st_rollback(c->db);
		return r;
	}
	st_err e = st_commit(c->db);
	if (e) {
		st_rollback(c->db);
		return NT_E_INTERNAL;
	}
	return 0;
}

void nt_svr_conn_drop_output(nt_svr_conn *c, nt_code code)
{
	cr_writer_free(&c->out);
	cr_writer_init_dynamic(&c->out, 2 * (size_t)c->cfg->frame_max + OUT_SLACK);
	send_error(c, 0, code, true);
}

/* Reads opaque<V> for a username and checks the rules (store decides). */
static cr_err read_name(cr_reader *r, cr_span *name)
{
	return cr_read_opaque(r, NT_USERNAME_MAX, name);
}

static res h_hello(nt_svr_conn *c, uint32_t id, const nt_frame *f)
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

static void clear_pending(nt_svr_conn *c)
{
	nt_hash_job_wipe(&c->job);
	cr_wipe(&c->pend, sizeof c->pend);
	c->pend.kind = NT_PEND_NONE;
}

static res h_register(nt_svr_conn *c, uint32_t id, cr_reader *r, int64_t now)
{
	cr_span name, pw, invite;
	uint8_t identity[32], sig[64];
	if (read_name(r, &name) || cr_read_opaque(r, NT_PASSWORD_MAX, &pw) ||
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

static res finish_register(nt_svr_conn *c, const nt_hash_job *done)
{
	nt_svr_pending *pd = &c->pend;
	if (done->err)
		return NT_E_INTERNAL;
	memcpy(pd->u.pw_hash, done->out, sizeof pd->u.pw_hash);
	if (st_begin(c->db))
		return NT_E_INTERNAL;
	int64_t uid = 0;
	res rr = from_st(st_user_add(c->db, &pd->u, &uid));
	if (!rr && c->cfg->policy == NT_POLICY_INVITE) {
		uint8_t h[32];
		nt_invite_hash(pd->invite, pd->invite_len, h);
		st_err e = st_invite_use(c->db, h, uid, pd->now);
		rr = e == ST_ERR_NOT_FOUND ? NT_E_INVITE : from_st(e);
	}
	rr = finish_tx(c, rr);
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

static res h_login(nt_svr_conn *c, uint32_t id, cr_reader *r, int64_t now)
{
	cr_span name, pw;
	uint8_t sig[64];
	if (read_name(r, &name) || cr_read_opaque(r, NT_PASSWORD_MAX, &pw) ||
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

static res finish_login(nt_svr_conn *c, const nt_hash_job *done)
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

static res h_kp_upload(nt_svr_conn *c, uint32_t id, cr_reader *r)
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
	res rr = 0;
	while (!rr && cr_reader_left(&items)) {
		cr_span kp;
		uint8_t ref[32];
		if (cr_read_opaque(&items, NT_KP_MAX, &kp) || nt_kp_ref(ref, kp.p, kp.n))
			rr = NT_E_INTERNAL;
		else
			rr = from_st(st_kp_add(c->db, c->user, ref, kp.p, kp.n, last_resort));
	}
	int64_t n = 0;
	if (!rr)
		rr = from_st(st_kp_count(c->db, c->user, &n));
	rr = finish_tx(c, rr);
	if (rr)
		return rr;
	size_t m = nt_frame_begin(&c->out, NT_KP_UPLOAD_OK);
	cr_write_u32(&c->out, id);
	cr_write_u32(&c->out, (uint32_t)n);
	nt_frame_end(&c->out, m, c->cfg->frame_max);
	return 0;
}

static res h_kp_fetch(nt_svr_conn *c, uint32_t id, cr_reader *r)
{
	cr_span name;
	if (read_name(r, &name) || cr_reader_end(r))
		return -NT_E_MALFORMED;
	st_user u;
	res rr = from_st(st_user_get(c->db, name.p, name.n, &u));
	if (rr)
		return rr;
	uint8_t *kp = NULL;
	size_t n = 0;
	bool lr = false;
	if (st_begin(c->db))
		return NT_E_INTERNAL;
	rr = finish_tx(c, from_st(st_kp_take(c->db, u.id, &kp, &n, &lr)));
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

static res h_identity_fetch(nt_svr_conn *c, uint32_t id, cr_reader *r)
{
	cr_span name;
	if (read_name(r, &name) || cr_reader_end(r))
		return -NT_E_MALFORMED;
	st_user u;
	res rr = from_st(st_user_get(c->db, name.p, name.n, &u));
	if (rr)
		return rr;
	size_t m = nt_frame_begin(&c->out, NT_IDENTITY);
	cr_write_u32(&c->out, id);
	cr_write_opaque(&c->out, u.identity, sizeof u.identity);
	nt_frame_end(&c->out, m, c->cfg->frame_max);
	return 0;
}

static res h_group_create(nt_svr_conn *c, uint32_t id, cr_reader *r)
{
	cr_span gid;
	if (cr_read_opaque(r, NT_GROUP_ID_MAX, &gid) || gid.n == 0 || cr_reader_end(r))
		return -NT_E_MALFORMED;
	/* Only DM_CREATE makes a DM group, from the two names. */
	if (nt_dm_is_dm(gid.p, gid.n))
		return NT_E_FORBIDDEN;
	if (st_begin(c->db))
		return NT_E_INTERNAL;
	int64_t g;
	res rr = finish_tx(c, from_st(st_group_create(c->db, gid.p, gid.n, c->user, &g)));
	if (rr)
		return rr;
	size_t m = nt_frame_begin(&c->out, NT_GROUP_CREATE_OK);
	cr_write_u32(&c->out, id);
	nt_frame_end(&c->out, m, c->cfg->frame_max);
	return 0;
}

/* The group named by gid, with the connection's user as a member. */
static res member_group_role(nt_svr_conn *c, cr_span gid, st_group *g, uint64_t *acked, st_role *role)
{
	res rr = from_st(st_group_get(c->db, gid.p, gid.n, g));
	if (rr)
		return rr;
	st_err e = st_member_get(c->db, g->id, c->user, role, acked);
	return e == ST_ERR_NOT_FOUND ? NT_E_FORBIDDEN : from_st(e);
}

static res member_group(nt_svr_conn *c, cr_span gid, st_group *g, uint64_t *acked)
{
	st_role role;
	return member_group_role(c, gid, g, acked, &role);
}

/* The mailbox limit: `more` entries must fit beside those not yet
 * acknowledged by every member. */
static res mailbox_room(nt_svr_conn *c, int64_t group, int64_t more)
{
	uint64_t max = c->cfg->mailbox_max ? c->cfg->mailbox_max : NT_MAILBOX_MAX_DEFAULT;
	int64_t n;
	res rr = from_st(st_log_unacked(c->db, group, &n));
	if (rr)
		return rr;
	return (uint64_t)n + (uint64_t)more > max ? NT_E_LIMIT : 0;
}

/* The role rules of a commit (PROTOCOL.md "Roles, joining and leaving",
 * "Direct messages"), checked before anything is applied. */
static res commit_rules(nt_svr_conn *c, const st_group *g, cr_span gid, st_role role, cr_reader added,
			cr_reader removed, size_t n_added, size_t n_removed)
{
	bool privileged = role == ST_ROLE_ADMIN || role == ST_ROLE_OWNER;
	if (n_added && !privileged)
		return NT_E_FORBIDDEN;
	while (cr_reader_left(&removed)) {
		cr_span name;
		st_user u;
		bool leaving;
		if (read_name(&removed, &name))
			return NT_E_MALFORMED;
		res rr = from_st(st_user_get(c->db, name.p, name.n, &u));
		if (!rr)
			rr = from_st(st_member_leaving(c->db, g->id, u.id, &leaving));
		if (rr)
			return rr;
		/* Removing another needs the role, unless it asked to leave. */
		if (u.id != c->user && !privileged && !leaving)
			return NT_E_FORBIDDEN;
	}
	if (!g->dm || n_added == 0)
		return 0;
	int64_t members;
	res rr = from_st(st_member_count(c->db, g->id, &members));
	if (rr)
		return rr;
	if ((uint64_t)members + n_added > 2 + (uint64_t)n_removed)
		return NT_E_FORBIDDEN;
	st_user me;
	rr = from_st(st_user_get_id(c->db, c->user, &me));
	if (rr)
		return rr;
	/* The only member a DM group takes is the one its id names with ours. */
	while (cr_reader_left(&added)) {
		cr_span name;
		char want[NT_DM_GID_LEN + 1];
		if (read_name(&added, &name))
			return NT_E_MALFORMED;
		if (nt_dm_gid((const uint8_t *)me.name, strlen(me.name), name.p, name.n, want) != CR_OK ||
		    gid.n != NT_DM_GID_LEN || memcmp(want, gid.p, NT_DM_GID_LEN) != 0)
			return NT_E_FORBIDDEN;
	}
	return 0;
}

/* Applies a commit's routing header: removes, then adds at position pos. */
static res apply_routing(nt_svr_conn *c, int64_t group, cr_reader added, cr_reader removed, uint64_t pos)
{
	while (cr_reader_left(&removed)) {
		cr_span name;
		st_user u;
		if (read_name(&removed, &name))
			return NT_E_MALFORMED;
		res rr = from_st(st_user_get(c->db, name.p, name.n, &u));
		if (!rr)
			rr = from_st(st_member_remove(c->db, group, u.id));
		if (rr)
			return rr;
	}
	while (cr_reader_left(&added)) {
		cr_span name;
		st_user u;
		if (read_name(&added, &name))
			return NT_E_MALFORMED;
		res rr = from_st(st_user_get(c->db, name.p, name.n, &u));
		if (!rr)
			rr = from_st(st_member_add(c->db, group, u.id, ST_ROLE_MEMBER, pos));
		if (rr)
			return rr;
	}
	return 0;
}

static size_t count_names(cr_reader v, bool *ok)
{
	size_t n = 0;
	*ok = true;
	while (cr_reader_left(&v)) {
		cr_span name;
		if (read_name(&v, &name) || name.n == 0) {
			*ok = false;
			return n;
		}
		n++;
	}
	return n;
}

static res h_post(nt_svr_conn *c, uint32_t id, cr_reader *r)
{
	cr_span gid, msg, welcome;
	uint8_t kind;
	uint64_t epoch;
	cr_reader added, removed;
	if (cr_read_opaque(r, NT_GROUP_ID_MAX, &gid) || cr_read_u8(r, &kind) || cr_read_u64(r, &epoch) ||
	    cr_read_vector(r, c->cfg->frame_max, &added) || cr_read_vector(r, c->cfg->frame_max, &removed) ||
	    cr_read_opaque(r, c->cfg->frame_max, &msg) || cr_read_opaque(r, c->cfg->frame_max, &welcome) ||
	    cr_reader_end(r))
		return -NT_E_MALFORMED;
	bool ok_a, ok_r;
	size_t n_added = count_names(added, &ok_a), n_removed = count_names(removed, &ok_r);
	if (!ok_a || !ok_r || kind > NT_KIND_PROPOSAL || msg.n == 0)
		return -NT_E_MALFORMED;
	if (kind != NT_KIND_COMMIT && (n_added || n_removed || welcome.n))
		return -NT_E_MALFORMED;
	/* A commit that adds members carries their Welcome, and only then. */
	if ((n_added == 0) != (welcome.n == 0))
		return -NT_E_MALFORMED;
	if (n_added > NT_ROUTE_MAX || n_removed > NT_ROUTE_MAX ||
	    msg.n + welcome.n > c->cfg->frame_max - NT_POST_OVERHEAD || epoch > (uint64_t)INT64_MAX - 1)
		return NT_E_LIMIT;
	if (st_begin(c->db))
		return NT_E_INTERNAL;
	st_group g;
	st_role role;
	uint64_t acked, pos = 0, wpos = 0;
	res rr = member_group_role(c, gid, &g, &acked, &role);
	if (!rr)
		rr = mailbox_room(c, g.id, welcome.n ? 2 : 1);
	if (!rr && kind == NT_KIND_COMMIT)
		rr = commit_rules(c, &g, gid, role, added, removed, n_added, n_removed);
	if (!rr && kind == NT_KIND_COMMIT)
		/* RFC 9420 section 14 leaves ordering to the DS: the first
		 * commit for epoch e wins, later ones must re-sync. */
		rr = from_st(st_group_advance_epoch(c->db, g.id, epoch));
	if (!rr)
		rr = from_st(st_log_append(c->db, g.id, c->user, kind, epoch, msg.p, msg.n, &pos));
	/* A self-remove proposal of the current epoch marks its sender
	 * leaving: any member may then commit the removal. */
	if (!rr && kind == NT_KIND_PROPOSAL && epoch == g.epoch)
		rr = from_st(st_member_set_leaving(c->db, g.id, c->user));
	if (!rr && kind == NT_KIND_COMMIT) {
		int64_t promoted;
		rr = apply_routing(c, g.id, added, removed, pos);
		if (!rr && welcome.n)
			rr = from_st(st_log_append(c->db, g.id, c->user, NT_KIND_WELCOME, epoch + 1, welcome.p,
						   welcome.n, &wpos));
		/* A group keeps an owner while it has members. */
		if (!rr)
			rr = from_st(st_group_ensure_owner(c->db, g.id, &promoted));
	}
	/* The sender gets its answer only after the commit is durable. */
	rr = finish_tx(c, rr);
	if (rr)
		return rr;
	notify(c, g.id, gid, wpos ? wpos : pos);
	size_t m = nt_frame_begin(&c->out, NT_POST_OK);
	cr_write_u32(&c->out, id);
	cr_write_u64(&c->out, pos);
	cr_write_u64(&c->out, kind == NT_KIND_COMMIT ? epoch + 1 : g.epoch);
	nt_frame_end(&c->out, m, c->cfg->frame_max);
	return 0;
}

/* A response `u32 id | items<V>` whose items a store callback writes: it is
 * built in a writer of its own, bounded by the frame limit, so a listing
 * that fails midway leaves c->out untouched. */
static size_t items_begin(nt_svr_conn *c, cr_writer *w, uint32_t id)
{
	cr_writer_init_dynamic(w, c->cfg->frame_max);
	cr_write_u32(w, id);
	return cr_write_vector_begin(w);
}

/* Frames the items as `type` unless the listing failed with `err`; frees w. */
static res items_send(nt_svr_conn *c, uint16_t type, cr_writer *w, size_t mark, res err)
{
	if (!err) {
		cr_write_vector_end(w, mark);
		if (cr_writer_error(w))
			err = NT_E_INTERNAL;
	}
	if (!err) {
		size_t m = nt_frame_begin(&c->out, type);
		cr_write_bytes(&c->out, w->p, w->len);
		nt_frame_end(&c->out, m, c->cfg->frame_max);
	}
	cr_writer_free(w);
	return err;
}

typedef struct fetch_ctx {
	nt_svr_conn *c;
	cr_writer *w;
	size_t limit;
	uint32_t count;
	bool full;
} fetch_ctx;

static st_err fetch_one(void *ctx, const st_log_entry *e)
{
	fetch_ctx *f = ctx;
	st_user u;
	st_err se = st_user_get_id(f->c->db, e->sender, &u);
	size_t name_len = se == ST_OK ? strlen(u.name) : 0;
	/* Stop before the response would outgrow one frame; the client
	 * fetches again from the last position it got. */
	if (f->w->len + e->n + name_len + 64 > f->limit) {
		f->full = true;
		return ST_ERR_ARG;
	}
	cr_write_u64(f->w, e->pos);
	cr_write_u8(f->w, e->kind);
	cr_write_u64(f->w, e->epoch);
	cr_write_opaque(f->w, (const uint8_t *)u.name, name_len);
	cr_write_opaque(f->w, e->data, e->n);
	f->count++;
	return ST_OK;
}

static res h_fetch(nt_svr_conn *c, uint32_t id, cr_reader *r)
{
	cr_span gid;
	uint64_t after;
	uint32_t max;
	if (cr_read_opaque(r, NT_GROUP_ID_MAX, &gid) || cr_read_u64(r, &after) || cr_read_u32(r, &max) ||
	    cr_reader_end(r))
		return -NT_E_MALFORMED;
	if (max == 0 || max > NT_FETCH_MAX)
		max = NT_FETCH_MAX;
	st_group g;
	uint64_t acked;
	res rr = member_group(c, gid, &g, &acked);
	if (rr)
		return rr;
	/* Never before the member's own position: a joiner does not get the
	 * log from before it joined. */
	if (after < acked)
		after = acked;
	if (after > (uint64_t)INT64_MAX)
		return NT_E_LIMIT;
	cr_writer w;
	size_t mark = items_begin(c, &w, id);
	fetch_ctx f = { c, &w, c->cfg->frame_max, 0, false };
	st_err e = st_log_fetch(c->db, g.id, after, max, fetch_one, &f);
	/* ST_ERR_ARG from fetch_one: the frame is full, send what fits. */
	return items_send(c, NT_MESSAGES, &w, mark, e && !(e == ST_ERR_ARG && f.full) ? from_st(e) : 0);
}

static res h_ack(nt_svr_conn *c, uint32_t id, cr_reader *r)
{
	cr_span gid;
	uint64_t pos;
	if (cr_read_opaque(r, NT_GROUP_ID_MAX, &gid) || cr_read_u64(r, &pos) || cr_reader_end(r))
		return -NT_E_MALFORMED;
	if (st_begin(c->db))
		return NT_E_INTERNAL;
	st_group g;
	uint64_t acked;
	int64_t deleted;
	res rr = member_group(c, gid, &g, &acked);
	if (!rr)
		rr = from_st(st_member_ack(c->db, g.id, c->user, pos));
	/* The prefix every member has acknowledged is deleted. */
	if (!rr)
		rr = from_st(st_log_prune(c->db, g.id, &deleted));
	rr = finish_tx(c, rr);
	if (rr)
		return rr;
	size_t m = nt_frame_begin(&c->out, NT_ACK_OK);
	cr_write_u32(&c->out, id);
	nt_frame_end(&c->out, m, c->cfg->frame_max);
	return 0;
}

/* Writes as many items as fit in one frame of the limit; an item that
 * would not fit ends the list (the rest is left out, never cut). */
#define ITEM_ROOM(w, c, need) ((w)->len + (need) + 64 <= (size_t)(c)->cfg->frame_max)

typedef struct list_ctx {
	nt_svr_conn *c;
	cr_writer *w;
	size_t count, max;
} list_ctx;

static st_err group_item(void *ctx, const st_user_group *g)
{
	list_ctx *l = ctx;
	if (!ITEM_ROOM(l->w, l->c, g->gid_len + 32))
		return ST_ERR_ARG;
	cr_write_opaque(l->w, g->gid, g->gid_len);
	cr_write_u8(l->w, (uint8_t)g->role);
	cr_write_u64(l->w, g->epoch);
	cr_write_u64(l->w, g->acked);
	cr_write_u64(l->w, g->next_pos);
	l->count++;
	return ST_OK;
}

static st_err member_item(void *ctx, const st_member *m)
{
	list_ctx *l = ctx;
	if (l->count >= l->max || !ITEM_ROOM(l->w, l->c, NT_USERNAME_MAX + 4))
		return ST_ERR_ARG;
	cr_write_opaque(l->w, (const uint8_t *)m->name, strlen(m->name));
	cr_write_u8(l->w, (uint8_t)m->role);
	cr_write_bool(l->w, online(l->c, m->user));
	l->count++;
	return ST_OK;
}

static st_err peer_item(void *ctx, int64_t id, const char *name)
{
	list_ctx *l = ctx;
	if (!online(l->c, id))
		return ST_OK;
	if (l->count >= l->max || !ITEM_ROOM(l->w, l->c, NT_USERNAME_MAX + 2))
		return ST_ERR_ARG;
	cr_write_opaque(l->w, (const uint8_t *)name, strlen(name));
	l->count++;
	return ST_OK;
}

/* Answers `type` with `u32 id | items<V>`, the items from list(). */
static res send_list(nt_svr_conn *c, uint32_t id, uint16_t type, size_t max,
		     st_err (*list)(nt_svr_conn *c, list_ctx *l, const void *arg), const void *arg)
{
	cr_writer w;
	size_t mark = items_begin(c, &w, id);
	list_ctx l = { c, &w, 0, max };
	st_err e = list(c, &l, arg);
	/* ST_ERR_ARG from an item: the frame is full, send what fits. */
	return items_send(c, type, &w, mark, e && e != ST_ERR_ARG ? from_st(e) : 0);
}

static st_err list_groups(nt_svr_conn *c, list_ctx *l, const void *arg)
{
	(void)arg;
	return st_user_groups(c->db, c->user, group_item, l);
}

static st_err list_members(nt_svr_conn *c, list_ctx *l, const void *arg)
{
	return st_member_list(c->db, *(const int64_t *)arg, member_item, l);
}

static st_err list_peers(nt_svr_conn *c, list_ctx *l, const void *arg)
{
	(void)arg;
	return st_user_peers(c->db, c->user, peer_item, l);
}

static res h_groups_list(nt_svr_conn *c, uint32_t id, cr_reader *r)
{
	if (cr_reader_end(r))
		return -NT_E_MALFORMED;
	return send_list(c, id, NT_GROUPS, SIZE_MAX, list_groups, NULL);
}

static res h_members(nt_svr_conn *c, uint32_t id, cr_reader *r)
{
	cr_span gid;
	if (cr_read_opaque(r, NT_GROUP_ID_MAX, &gid) || gid.n == 0 || cr_reader_end(r))
		return -NT_E_MALFORMED;
	st_group g;
	uint64_t acked;
	res rr = member_group(c, gid, &g, &acked);
	if (rr)
		return rr;
	return send_list(c, id, NT_MEMBER_LIST, NT_MEMBERS_MAX, list_members, &g.id);
}

static res h_presence(nt_svr_conn *c, uint32_t id, cr_reader *r)
{
	if (cr_reader_end(r))
		return -NT_E_MALFORMED;
	return send_list(c, id, NT_ONLINE, NT_ONLINE_MAX, list_peers, NULL);
}

static res h_join_request(nt_svr_conn *c, uint32_t id, cr_reader *r, int64_t now)
{
	cr_span gid, kp;
	if (cr_read_opaque(r, NT_GROUP_ID_MAX, &gid) || gid.n == 0 || cr_read_opaque(r, NT_KP_MAX, &kp) ||
	    kp.n == 0 || cr_reader_end(r))
		return -NT_E_MALFORMED;
	/* RFC 9420 section 10.1 before anything is stored: an admin's client
	 * checks again, but the log holds no garbage for it to read. */
	if (mls_keypackage_validate(kp.p, kp.n, now > 0 ? (uint64_t)now : 0) != CR_OK)
		return NT_E_MALFORMED;
	uint8_t ident[NT_USERNAME_MAX];
	size_t ident_len;
	st_user me;
	res rr = from_st(st_user_get_id(c->db, c->user, &me));
	if (rr)
		return rr;
	/* The KeyPackage must speak for the requester, not for someone else. */
	if (mls_keypackage_identity(kp.p, kp.n, ident, sizeof ident, &ident_len, NULL) != CR_OK ||
	    ident_len != strlen(me.name) || memcmp(ident, me.name, ident_len) != 0)
		return NT_E_AUTH;
	if (st_begin(c->db))
		return NT_E_INTERNAL;
	st_group g;
	st_role role;
	uint64_t acked, pos = 0;
	rr = from_st(st_group_get(c->db, gid.p, gid.n, &g));
	if (!rr && g.dm)
		rr = NT_E_FORBIDDEN;
	if (!rr) {
		st_err e = st_member_get(c->db, g.id, c->user, &role, &acked);
		rr = e == ST_OK ? NT_E_EXISTS : e == ST_ERR_NOT_FOUND ? 0 : NT_E_INTERNAL;
	}
	if (!rr)
		rr = mailbox_room(c, g.id, 1);
	if (!rr)
		rr = from_st(st_log_append(c->db, g.id, c->user, NT_KIND_JOIN_REQUEST, g.epoch, kp.p, kp.n, &pos));
	if (!rr)
		rr = from_st(st_join_request_add(c->db, g.id, c->user, pos));
	rr = finish_tx(c, rr);
	if (rr)
		return rr;
	notify(c, g.id, gid, pos);
	size_t m = nt_frame_begin(&c->out, NT_JOIN_REQUEST_OK);
	cr_write_u32(&c->out, id);
	cr_write_u64(&c->out, pos);
	nt_frame_end(&c->out, m, c->cfg->frame_max);
	return 0;
}

static res h_role_set(nt_svr_conn *c, uint32_t id, cr_reader *r)
{
	cr_span gid, name;
	uint8_t role;
	if (cr_read_opaque(r, NT_GROUP_ID_MAX, &gid) || gid.n == 0 || read_name(r, &name) || name.n == 0 ||
	    cr_read_u8(r, &role) || role > NT_ROLE_OWNER || cr_reader_end(r))
		return -NT_E_MALFORMED;
	/* Ownership is not handed out: it passes only by promotion. */
	if (role == NT_ROLE_OWNER)
		return NT_E_FORBIDDEN;
	if (st_begin(c->db))
		return NT_E_INTERNAL;
	st_group g;
	st_role mine;
	uint64_t acked;
	st_user u;
	res rr = member_group_role(c, gid, &g, &acked, &mine);
	if (!rr && mine != ST_ROLE_OWNER)
		rr = NT_E_FORBIDDEN;
	if (!rr)
		rr = from_st(st_user_get(c->db, name.p, name.n, &u));
	if (!rr && u.id == c->user)
		rr = NT_E_FORBIDDEN;
	if (!rr)
		rr = from_st(st_member_set_role(c->db, g.id, u.id, (st_role)role));
	rr = finish_tx(c, rr);
	if (rr)
		return rr;
	size_t m = nt_frame_begin(&c->out, NT_ROLE_SET_OK);
	cr_write_u32(&c->out, id);
	nt_frame_end(&c->out, m, c->cfg->frame_max);
	return 0;
}

static res h_dm_create(nt_svr_conn *c, uint32_t id, cr_reader *r)
{
	cr_span peer;
	if (read_name(r, &peer) || peer.n == 0 || cr_reader_end(r))
		return -NT_E_MALFORMED;
	st_user u, me;
	res rr = from_st(st_user_get(c->db, peer.p, peer.n, &u));
	if (!rr)
		rr = from_st(st_user_get_id(c->db, c->user, &me));
	if (rr)
		return rr;
	if (u.id == c->user)
		return NT_E_FORBIDDEN;
	char gid[NT_DM_GID_LEN + 1];
	if (nt_dm_gid((const uint8_t *)me.name, strlen(me.name), peer.p, peer.n, gid) != CR_OK)
		return NT_E_INTERNAL;
	if (st_begin(c->db))
		return NT_E_INTERNAL;
	int64_t g;
	rr = from_st(st_group_create(c->db, (const uint8_t *)gid, NT_DM_GID_LEN, c->user, &g));
	if (!rr)
		rr = from_st(st_group_mark_dm(c->db, g));
	rr = finish_tx(c, rr);
	if (rr)
		return rr;
	size_t m = nt_frame_begin(&c->out, NT_DM_CREATE_OK);
	cr_write_u32(&c->out, id);
	cr_write_opaque(&c->out, (const uint8_t *)gid, NT_DM_GID_LEN);
	nt_frame_end(&c->out, m, c->cfg->frame_max);
	return 0;
}

/* ------------------------------------------------------------- blobs */

static uint64_t blob_max(const nt_svr_config *cfg)
{
	return cfg->blob_max ? cfg->blob_max : NT_BLOB_MAX_DEFAULT;
}

static uint64_t blob_quota(const nt_svr_config *cfg)
{
	return cfg->blob_quota ? cfg->blob_quota : NT_BLOB_QUOTA_DEFAULT;
}

static int64_t blob_ttl(const nt_svr_config *cfg)
{
	return cfg->blob_ttl > 0 ? cfg->blob_ttl : NT_BLOB_TTL_DEFAULT;
}

cr_err nt_svr_blob_sweep(st_server *db, const nt_svr_config *cfg, int64_t now, int64_t *deleted)
{
	*deleted = 0;
	if (st_begin(db))
		return CR_ERR_STATE;
	/* Gone at created + ttl, as live_blob() says. */
	if (st_blob_expire(db, now - blob_ttl(cfg) + 1, deleted) || st_commit(db)) {
		st_rollback(db);
		*deleted = 0;
		return CR_ERR_STATE;
	}
	return CR_OK;
}

/* The blob named by id, if it exists and has not expired (an expired blob
 * not yet swept is as gone as a swept one). */
static res live_blob(nt_svr_conn *c, const uint8_t id[NT_BLOB_ID_LEN], int64_t now, st_blob *b)
{
	res rr = from_st(st_blob_get(c->db, id, b));
	if (rr)
		return rr;
	return b->created + blob_ttl(c->cfg) <= now ? NT_E_NOT_FOUND : 0;
}

static res h_blob_create(nt_svr_conn *c, uint32_t id, cr_reader *r, int64_t now)
{
	st_blob b;
	memset(&b, 0, sizeof b);
	if (cr_read_u64(r, &b.size) || cr_read_opaque_fixed(r, sizeof b.hash, b.hash) || cr_reader_end(r))
		return -NT_E_MALFORMED;
	if (b.size == 0 || b.size > blob_max(c->cfg))
		return NT_E_LIMIT;
	int64_t swept;
	if (nt_svr_blob_sweep(c->db, c->cfg, now, &swept))
		return NT_E_INTERNAL;
	b.owner = c->user;
	b.created = now;
	if (cr_random(c->cfg->rng, b.id, sizeof b.id))
		return NT_E_INTERNAL;
	if (st_begin(c->db))
		return NT_E_INTERNAL;
	uint64_t used = 0;
	res rr = from_st(st_blob_usage(c->db, c->user, &used));
	/* Unfinished uploads count with their declared size (PROTOCOL.md). */
	if (!rr && (used > blob_quota(c->cfg) || b.size > blob_quota(c->cfg) - used))
		rr = NT_E_LIMIT;
	if (!rr) {
		st_err e = st_blob_create(c->db, &b);
		rr = e == ST_ERR_EXISTS ? NT_E_INTERNAL : from_st(e);
	}
	rr = finish_tx(c, rr);
	if (rr)
		return rr;
	size_t m = nt_frame_begin(&c->out, NT_BLOB_CREATE_OK);
	cr_write_u32(&c->out, id);
	cr_write_opaque(&c->out, b.id, sizeof b.id);
	nt_frame_end(&c->out, m, c->cfg->frame_max);
	return 0;
}

/* The upload's SHA-256 after the bytes stored so far, resumed from the
 * state stored with them: whichever connection wrote them (or a server since
 * restarted), and without reading a stored byte. */
static res resume_hash(const st_blob *b, cr_sha256_ctx *h)
{
	if (!b->has_hash) {
		cr_sha256_init(h);
		return b->written == 0 ? 0 : NT_E_INTERNAL;
	}
	if (cr_sha256_resume(h, b->hashed.mid, b->written - b->hashed.tail_len))
		return NT_E_INTERNAL;
	cr_sha256_update(h, b->hashed.tail, b->hashed.tail_len);
	return 0;
}

/* The state to store after data: the chaining value over the whole blocks,
 * and the bytes after them, the end of (stored tail | data). */
static void next_hash(const cr_sha256_ctx *h, const st_blob *b, cr_span data, st_blob_hash *out)
{
	uint64_t end = b->written + data.n;
	uint64_t whole = cr_sha256_save(h, out->mid);
	size_t tail = (size_t)(end - whole), from_old = tail > data.n ? tail - data.n : 0;
	/* from_old > 0 only when data did not reach a block's end: then the
	 * stored tail is exactly those from_old bytes. */
	memcpy(out->tail, b->hashed.tail + b->hashed.tail_len - from_old, from_old);
	memcpy(out->tail + from_old, data.p + data.n - (tail - from_old), tail - from_old);
	out->tail_len = tail;
}

/* Each piece is hashed as it is stored, in its transaction, and the hash
 * state stored with it, so the last piece's check costs one finalization,
 * not a pass over the blob on the event loop. The hash covers exactly the
 * bytes handed to the store. */
static res h_blob_write(nt_svr_conn *c, uint32_t id, cr_reader *r, int64_t now)
{
	uint8_t bid[NT_BLOB_ID_LEN];
	uint64_t offset;
	cr_span data;
	if (cr_read_opaque_fixed(r, sizeof bid, bid) || cr_read_u64(r, &offset) ||
	    cr_read_opaque(r, c->cfg->frame_max, &data) || data.n == 0 || cr_reader_end(r))
		return -NT_E_MALFORMED;
	if (st_begin(c->db))
		return NT_E_INTERNAL;
	st_blob b;
	res rr = live_blob(c, bid, now, &b);
	if (!rr && b.owner != c->user)
		rr = NT_E_FORBIDDEN;
	/* A retried or skipped piece is refused, never stored twice. */
	if (!rr && (offset != b.written || data.n > b.size - b.written))
		rr = NT_E_LIMIT;
	cr_sha256_ctx h;
	st_blob_hash next;
	if (!rr)
		rr = resume_hash(&b, &h);
	if (!rr) {
		cr_sha256_update(&h, data.p, data.n);
		next_hash(&h, &b, data, &next);
		rr = from_st(st_blob_append(c->db, bid, offset, data.p, data.n, &next));
	}
	bool complete = false, mismatch = false;
	if (!rr && offset + data.n == b.size) {
		uint8_t got[NT_HASH_LEN];
		cr_sha256_final(&h, got);
		mismatch = !cr_ct_equal(got, b.hash, sizeof got);
		if (mismatch)
			rr = from_st(st_blob_delete(c->db, bid));
		else
			rr = from_st(st_blob_set_complete(c->db, bid));
		complete = !rr && !mismatch;
	}
	rr = finish_tx(c, rr);
	if (rr)
		return rr;
	if (mismatch)
		return NT_E_HASH;
	size_t m = nt_frame_begin(&c->out, NT_BLOB_WRITE_OK);
	cr_write_u32(&c->out, id);
	cr_write_u64(&c->out, offset + data.n);
	cr_write_bool(&c->out, complete);
	nt_frame_end(&c->out, m, c->cfg->frame_max);
	return 0;
}

/* BLOB_DATA's bytes besides the data: id, size, the data's length prefix. */
#define BLOB_DATA_OVERHEAD 32u

static res h_blob_read(nt_svr_conn *c, uint32_t id, cr_reader *r, int64_t now)
{
	uint8_t bid[NT_BLOB_ID_LEN];
	uint64_t offset;
	uint32_t max;
	if (cr_read_opaque_fixed(r, sizeof bid, bid) || cr_read_u64(r, &offset) || cr_read_u32(r, &max) ||
	    cr_reader_end(r))
		return -NT_E_MALFORMED;
	st_blob b;
	res rr = live_blob(c, bid, now, &b);
	if (rr)
		return rr;
	if (!b.complete)
		return NT_E_NOT_FOUND;
	if (offset > b.size)
		return NT_E_LIMIT;
	size_t room = c->cfg->frame_max - BLOB_DATA_OVERHEAD;
	size_t n = max == 0 || max > room ? room : max;
	if (n > b.size - offset)
		n = (size_t)(b.size - offset);
	uint8_t *buf = malloc(n ? n : 1);
	if (!buf)
		return NT_E_INTERNAL;
	size_t got = 0;
	rr = from_st(st_blob_read(c->db, bid, offset, buf, n, &got));
	if (!rr && got != n)
		rr = NT_E_INTERNAL;
	if (!rr) {
		size_t m = nt_frame_begin(&c->out, NT_BLOB_DATA);
		cr_write_u32(&c->out, id);
		cr_write_u64(&c->out, b.size);
		cr_write_opaque(&c->out, buf, n);
		nt_frame_end(&c->out, m, c->cfg->frame_max);
	}
	free(buf);
	return rr;
}

/* Sends the error of a handler result; a negative one closes. */
static void answer(nt_svr_conn *c, uint32_t id, res rr)
{
	if (rr < 0)
		send_error(c, id, (nt_code)-rr, true);
	else if (rr > 0)
		send_error(c, id, (nt_code)rr, false);
}

/* Answers one frame. A negative handler result closes the connection. */
static void dispatch(nt_svr_conn *c, const nt_frame *f, int64_t now)
{
	cr_reader r;
	cr_reader_init(&r, f->body.p, f->body.n);
	uint32_t id = 0;
	if (cr_read_u32(&r, &id)) {
		send_error(c, 0, NT_E_MALFORMED, true);
		return;
	}
	res rr;
	if (c->state == NT_SVR_HELLO) {
		rr = f->type == NT_HELLO ? h_hello(c, id, f) : -NT_E_VERSION;
	} else if (f->type == NT_HELLO) {
		rr = NT_E_UNEXPECTED;
	} else if (c->state == NT_SVR_ANON) {
		switch (f->type) {
		case NT_REGISTER: rr = h_register(c, id, &r, now); break;
		case NT_LOGIN: rr = h_login(c, id, &r, now); break;
		case NT_KP_UPLOAD: case NT_KP_FETCH: case NT_IDENTITY_FETCH: case NT_GROUP_CREATE:
		case NT_POST: case NT_FETCH: case NT_ACK: case NT_GROUPS_LIST: case NT_MEMBERS:
		case NT_JOIN_REQUEST: case NT_ROLE_SET: case NT_DM_CREATE: case NT_PRESENCE:
		case NT_BLOB_CREATE: case NT_BLOB_WRITE: case NT_BLOB_READ:
			rr = NT_E_FORBIDDEN;
			break;
		default: rr = NT_E_UNEXPECTED; break;
		}
	} else {
		switch (f->type) {
		case NT_KP_UPLOAD: rr = h_kp_upload(c, id, &r); break;
		case NT_KP_FETCH: rr = h_kp_fetch(c, id, &r); break;
		case NT_IDENTITY_FETCH: rr = h_identity_fetch(c, id, &r); break;
		case NT_GROUP_CREATE: rr = h_group_create(c, id, &r); break;
		case NT_POST: rr = h_post(c, id, &r); break;
		case NT_FETCH: rr = h_fetch(c, id, &r); break;
		case NT_ACK: rr = h_ack(c, id, &r); break;
		case NT_GROUPS_LIST: rr = h_groups_list(c, id, &r); break;
		case NT_MEMBERS: rr = h_members(c, id, &r); break;
		case NT_JOIN_REQUEST: rr = h_join_request(c, id, &r, now); break;
		case NT_ROLE_SET: rr = h_role_set(c, id, &r); break;
		case NT_DM_CREATE: rr = h_dm_create(c, id, &r); break;
		case NT_PRESENCE: rr = h_presence(c, id, &r); break;
		case NT_BLOB_CREATE: rr = h_blob_create(c, id, &r, now); break;
		case NT_BLOB_WRITE: rr = h_blob_write(c, id, &r, now); break;
		case NT_BLOB_READ: rr = h_blob_read(c, id, &r, now); break;
		default: rr = NT_E_UNEXPECTED; break;
		}
	}
	answer(c, id, rr);
}

void nt_svr_conn_set_addr(nt_svr_conn *c, const char *addr)
{
	snprintf(c->addr, sizeof c->addr, "%s", addr);
}

nt_hash_job *nt_svr_conn_job(nt_svr_conn *c)
{
	return c->pend.kind == NT_PEND_NONE ? NULL : &c->job;
}

cr_err nt_svr_conn_resume(nt_svr_conn *c, const nt_hash_job *done)
{
	CR_ENSURE(c->pend.kind != NT_PEND_NONE, CR_ERR_STATE);
	uint32_t id = c->pend.id;
	res rr = c->pend.kind == NT_PEND_LOGIN ? finish_login(c, done) : finish_register(c, done);
	clear_pending(c);
	answer(c, id, rr);
	return cr_writer_error(&c->out);
}

cr_err nt_svr_conn_busy(nt_svr_conn *c)
{
	CR_ENSURE(c->pend.kind != NT_PEND_NONE, CR_ERR_STATE);
	uint32_t id = c->pend.id;
	clear_pending(c);
	send_error(c, id, NT_E_BUSY, false);
	return cr_writer_error(&c->out);
}

cr_err nt_svr_conn_feed(nt_svr_conn *c, const uint8_t *p, size_t n, int64_t now, size_t *consumed)
{
	cr_reader in;
	cr_reader_init(&in, p, n);
	*consumed = 0;
	while (!c->closing && c->pend.kind == NT_PEND_NONE && cr_reader_left(&in) &&
	       c->out.len < c->cfg->frame_max) {
		bool got;
		nt_frame f;
		cr_err e = nt_parser_feed(&c->parser, &in, &got, &f);
		if (e == CR_ERR_LIMIT) {
			send_error(c, 0, NT_E_TOO_LARGE, true);
			break;
		}
		if (e) {
			*consumed = in.off;
			return e;
		}
		if (got)
			dispatch(c, &f, now);
	}
	*consumed = in.off;
	/* The output queue is bounded; overflowing it is the server's failure
	 * (a response larger than two frame limits cannot be built). */
	return cr_writer_error(&c->out);
}

cr_err nt_svr_conn_feed_sync(nt_svr_conn *c, const uint8_t *p, size_t n, int64_t now, size_t *consumed)
{
	cr_reader in;
	cr_reader_init(&in, p, n);
	*consumed = 0;
	for (;;) {
		cr_reader peek = in;
		cr_span rest, done;
		size_t used = 0;
		CR_TRY(cr_read_span(&peek, cr_reader_left(&peek), &rest));
		cr_err err = nt_svr_conn_feed(c, rest.p, rest.n, now, &used);
		CR_TRY(cr_read_span(&in, used, &done));
		*consumed = in.off;
		if (err)
			return err;
		nt_hash_job *j = nt_svr_conn_job(c);
		if (!j)
			return CR_OK;
		nt_hash_job_run(j);
		CR_TRY(nt_svr_conn_resume(c, j));
	}
}
