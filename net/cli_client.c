/*
 * cli_client.c: the client engine's account side (net/cli_client.h):
 * creating and unlocking the identity, connecting with the server pin,
 * registering and logging in, our KeyPackages, contact pins, fingerprints
 * and history. Group logs are in cli_sync.c, group operations in
 * cli_groups.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cert.h"
#include "cli_client_int.h"
#include "msg_keypackage.h"
#include "msg_welcome_open.h"
#include "leaf.h"
#include "safety.h"
#include "st_server.h"
#include "wipe.h"

_Static_assert(NT_CLIENT_KP_LOW < NT_CLIENT_KP_TARGET && NT_CLIENT_KP_TARGET <= NT_KP_BATCH_MAX,
	       "KeyPackage marks: low below target, target fits one upload");

cr_err nt_client_fail(nt_client *c, nt_client_status st, cr_err e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->err, sizeof c->err, fmt, ap);
	va_end(ap);
	c->status = st;
	return e == CR_OK ? CR_ERR_STATE : e;
}

cr_err nt_client_sess_fail(nt_client *c, cr_err e, const char *what)
{
	nt_cli_session *s = c->s;
	nt_client_status st = NT_CLIENT_FAILED;
	switch (s->fail) {
	case NT_CS_REFUSED:
	case NT_CS_TIMEOUT:
	case NT_CS_CLOSED:
		st = NT_CLIENT_UNREACHABLE;
		break;
	case NT_CS_TLS:
		st = s->tls_reason == NT_TLS_PIN_MISMATCH ? NT_CLIENT_PIN : NT_CLIENT_UNREACHABLE;
		break;
	case NT_CS_SERVER:
		if (s->code == NT_E_AUTH || s->code == NT_E_INVITE || s->code == NT_E_FORBIDDEN ||
		    s->code == NT_E_RATE)
			st = NT_CLIENT_DENIED;
		else if (s->code == NT_E_NOT_FOUND)
			st = NT_CLIENT_NOT_FOUND;
		break;
	default:
		break;
	}
	if (s->fail == NT_CS_SERVER)
		return nt_client_fail(c, st, e, "%s: %s (%s)", what, s->text[0] ? s->text : "refused",
				      nt_code_str((nt_code)s->code));
	return nt_client_fail(c, st, e, "%s: %s", what, s->err[0] ? s->err : nt_cs_fail_str(s->fail));
}

cr_err nt_client_db_fail(nt_client *c, st_err e, const char *what)
{
	return nt_client_fail(c, e == ST_ERR_NOT_FOUND ? NT_CLIENT_NOT_FOUND : NT_CLIENT_FAILED,
			      e == ST_ERR_NOMEM ? CR_ERR_NOMEM : CR_ERR_STATE, "%s: %s", what, st_err_str(e));
}

void nt_client_emit(nt_client *c, const nt_client_event *ev)
{
	if (!c->on_event)
		return;
	nt_client_event named = *ev;
	char peer[NT_USERNAME_MAX + 1];
	if (ev->group && !ev->dm_peer && nt_client_dm_peer(c, ev->group, ev->peer, peer))
		named.dm_peer = peer;
	c->on_event(c->ctx, &named);
}

int64_t nt_client_now(void)
{
	return (int64_t)time(NULL);
}

cr_err nt_client_need_session(nt_client *c)
{
	if (c->s)
		return CR_OK;
	return nt_client_fail(c, NT_CLIENT_UNREACHABLE, CR_ERR_STATE,
			      "not connected to %s:%u (reconnect first)", c->host, c->port);
}

const char *nt_client_error(const nt_client *c)
{
	return c ? c->err : "out of memory";
}

nt_client_status nt_client_status_of(const nt_client *c)
{
	return c ? c->status : NT_CLIENT_FAILED;
}

const char *nt_client_user(const nt_client *c)
{
	return c->user;
}

int nt_client_fd(const nt_client *c)
{
	return c->s ? nt_cs_fd(c->s) : -1;
}

static bool username_ok(const char *u)
{
	size_t n = strnlen(u, NT_USERNAME_MAX + 1);
	if (n < NT_USERNAME_MIN || n > NT_USERNAME_MAX || u[0] < 'a' || u[0] > 'z')
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = u[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' || ch == '-'))
			return false;
	}
	return true;
}

bool nt_client_gid_ok(const char *gid, bool dm_ok)
{
	size_t n = strnlen(gid, NT_GROUP_ID_MAX + 1);
	if (n < 1 || n > NT_GROUP_ID_MAX)
		return false;
	if (!dm_ok && strncmp(gid, NT_DM_PREFIX, strlen(NT_DM_PREFIX)) == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = gid[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' || ch == '-'))
			return false;
	}
	return true;
}

/* Fills the parts of c every entry point shares. */
static cr_err client_new(nt_client **out, const nt_client_opts *o)
{
	nt_client *c = calloc(1, sizeof *c);
	*out = c;
	if (!c)
		return CR_ERR_NOMEM;
	c->rng = o->rng ? o->rng : cr_rng_system();
	c->on_event = o->on_event;
	c->ctx = o->ctx;
	c->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 10000;
	c->update_after_s = o->update_after_s > 0 ? o->update_after_s : NT_CLIENT_UPDATE_AFTER_DEFAULT;
	if (!o->user || !username_ok(o->user))
		return nt_client_fail(c, NT_CLIENT_FAILED, CR_ERR_ARG,
				      "a username is 1..32 characters of a-z, 0-9, '_', '.', '-', starting with a letter");
	if (!o->host || strlen(o->host) >= sizeof c->host || !o->port || !o->db_path)
		return nt_client_fail(c, NT_CLIENT_FAILED, CR_ERR_ARG, "server address and database needed");
	if (!o->passphrase || !*o->passphrase || strlen(o->passphrase) > CR_KEYSTORE_PASS_MAX)
		return nt_client_fail(c, NT_CLIENT_FAILED, CR_ERR_ARG, "a passphrase of 1..%d bytes is needed",
				      CR_KEYSTORE_PASS_MAX);
	if (!o->password || strlen(o->password) > NT_PASSWORD_MAX)
		return nt_client_fail(c, NT_CLIENT_FAILED, CR_ERR_ARG, "a password of at most %d bytes is needed",
				      NT_PASSWORD_MAX);
	snprintf(c->user, sizeof c->user, "%s", o->user);
	snprintf(c->host, sizeof c->host, "%s", o->host);
	snprintf(c->password, sizeof c->password, "%s", o->password);
	c->port = o->port;
	st_err se = st_client_open(&c->db, o->db_path);
	if (se)
		return nt_client_db_fail(c, se, "opening the client database");
	return CR_OK;
}

void nt_client_close(nt_client *c)
{
	if (!c)
		return;
	if (c->s) {
		nt_cs_close(c->s);
		free(c->s);
	}
	st_client_close(c->db);
	cr_keystore_identity_wipe(&c->id);
	cr_wipe(c, sizeof *c);
	free(c);
}

/* Connects with the pin of the option, else the stored one, else trusting
 * on first use (then stores it); a changed key is refused, naming both. */
static cr_err connect_pinned(nt_client *c, const uint8_t *opt_pin)
{
	uint8_t stored[ST_CLIENT_PIN_MAX];
	size_t stored_len = 0;
	st_err se = st_client_server_pin_get(c->db, c->host, c->port, stored, &stored_len);
	if (se && se != ST_ERR_NOT_FOUND)
		return nt_client_db_fail(c, se, "reading the server pin");
	bool have = se == ST_OK && stored_len == NT_PIN_LEN;
	char a[NT_CERT_PIN_STR_LEN], b[NT_CERT_PIN_STR_LEN];
	if (have && opt_pin && memcmp(stored, opt_pin, NT_PIN_LEN) != 0) {
		nt_cert_pin_str(a, stored);
		nt_cert_pin_str(b, opt_pin);
		return nt_client_fail(c, NT_CLIENT_PIN, CR_ERR_AUTH,
				      "the pin given (%s) is not the one stored for %s:%u (%s): refusing", b, c->host,
				      c->port, a);
	}
	const uint8_t *expect = opt_pin ? opt_pin : have ? stored : NULL;
	if (!c->s && !(c->s = calloc(1, sizeof *c->s)))
		return nt_client_fail(c, NT_CLIENT_FAILED, CR_ERR_NOMEM, "out of memory");
	cr_err e = nt_cs_connect(c->s, c->host, c->port, expect, c->timeout_ms, c->rng);
	if (e) {
		if (c->s->fail == NT_CS_TLS && c->s->tls_reason == NT_TLS_PIN_MISMATCH && expect) {
			nt_cert_pin_str(a, expect);
			nt_cert_pin_str(b, c->s->pin);
			e = nt_client_fail(c, NT_CLIENT_PIN, CR_ERR_AUTH,
					   "WARNING: the key of server %s:%u changed: pinned %s, presented %s; "
					   "refusing to connect (someone may be intercepting; if the operator "
					   "replaced the key, check the new pin with them)",
					   c->host, c->port, a, b);
		} else {
			char what[300];
			snprintf(what, sizeof what, "connecting to %s:%u", c->host, c->port);
			e = nt_client_sess_fail(c, e, what);
		}
		nt_cs_close(c->s);
		free(c->s);
		c->s = NULL;
		return e;
	}
	if (!have) {
		se = st_client_server_pin_add(c->db, c->host, c->port, c->s->pin, NT_PIN_LEN, nt_client_now());
		if (se)
			return nt_client_db_fail(c, se, "storing the server pin");
	}
	return CR_OK;
}

static cr_err login(nt_client *c)
{
	cr_err e = nt_cs_login(c->s, c->user, c->password, c->id.seed);
	if (e)
		return nt_client_sess_fail(c, e, "login");
	return CR_OK;
}

cr_err nt_client_reconnect(nt_client *c)
{
	if (c->s) {
		nt_cs_close(c->s);
		free(c->s);
		c->s = NULL;
	}
	CR_TRY(connect_pinned(c, NULL));
	return login(c);
}

/* --- KeyPackages --- */

static cr_err kp_record_aad(uint8_t aad[3 + MLS_NH], const uint8_t ref[MLS_NH])
{
	memcpy(aad, "kp:", 3);
	memcpy(aad + 3, ref, MLS_NH);
	return CR_OK;
}

cr_err nt_client_kp_new(nt_client *c, bool last_resort, uint8_t **kp, size_t *kp_len)
{
	mls_kp_secrets sec;
	uint8_t ref[MLS_NH], aad[3 + MLS_NH];
	int64_t now = nt_client_now();
	uint8_t *sealed = NULL;
	cr_writer w;
	cr_writer_init_dynamic(&w, NT_KP_MAX + 256);
	*kp = NULL;
	cr_err err = CR_OK;
	CR_CHECK(mls_keypackage_create(c->id.seed, (const uint8_t *)c->user, strlen(c->user),
				       (uint64_t)(now - 3600), (uint64_t)(now + NT_CLIENT_KP_LIFETIME), c->rng, kp,
				       kp_len, &sec));
	CR_CHECK(mls_key_package_ref_of(ref, *kp, *kp_len));
	cr_write_opaque(&w, *kp, *kp_len);
	cr_write_bytes(&w, sec.init_priv, sizeof sec.init_priv);
	cr_write_bytes(&w, sec.enc_priv, sizeof sec.enc_priv);
	CR_CHECK(cr_writer_error(&w));
	size_t cap = w.len + CR_KEYSTORE_RECORD_OVERHEAD, sealed_len;
	sealed = malloc(cap);
	if (!sealed) {
		err = CR_ERR_NOMEM;
		goto out;
	}
	CR_CHECK(kp_record_aad(aad, ref));
	CR_CHECK(cr_keystore_record_seal(sealed, cap, &sealed_len, c->id.data_key, aad, sizeof aad, w.p, w.len,
					 c->rng));
	st_err se = st_client_kp_add(c->db, ref, sizeof ref, sealed, sealed_len, last_resort, now);
	if (se)
		err = nt_client_db_fail(c, se, "storing a KeyPackage");
out:
	if (err && !c->err[0])
		nt_client_fail(c, NT_CLIENT_FAILED, err, "making a KeyPackage: %s", cr_err_str(err));
	if (err) {
		free(*kp);
		*kp = NULL;
	}
	mls_kp_secrets_wipe(&sec);
	cr_writer_free(&w);
	if (sealed)
		st_client_free(sealed, 0);
	return err;
}

cr_err nt_client_kp_open(nt_client *c, const uint8_t *ref, size_t ref_len, uint8_t **kp, size_t *kp_len,
			 mls_kp_secrets *sec, bool *last_resort)
{
	uint8_t *sealed = NULL, *pt = NULL, aad[3 + MLS_NH];
	size_t sealed_len = 0, pt_len = 0;
	*kp = NULL;
	CR_ENSURE(ref_len == MLS_NH, CR_ERR_NOT_FOUND);
	st_err se = st_client_kp_get(c->db, ref, ref_len, &sealed, &sealed_len, last_resort);
	if (se == ST_ERR_NOT_FOUND)
		return CR_ERR_NOT_FOUND;
	if (se)
		return nt_client_db_fail(c, se, "reading a KeyPackage");
	cr_err err = CR_OK;
	pt = malloc(sealed_len);
	if (!pt) {
		err = CR_ERR_NOMEM;
		goto out;
	}
	CR_CHECK(kp_record_aad(aad, ref));
	CR_CHECK(cr_keystore_record_open(pt, sealed_len, &pt_len, c->id.data_key, aad, sizeof aad, sealed,
					 sealed_len));
	cr_reader r;
	cr_reader_init(&r, pt, pt_len);
	cr_span k;
	CR_CHECK(cr_read_opaque(&r, NT_KP_MAX, &k));
	CR_CHECK(cr_read_copy(&r, sec->init_priv, sizeof sec->init_priv));
	CR_CHECK(cr_read_copy(&r, sec->enc_priv, sizeof sec->enc_priv));
	CR_CHECK(cr_reader_end(&r));
	*kp = malloc(k.n);
	if (!*kp) {
		err = CR_ERR_NOMEM;
		goto out;
	}
	memcpy(*kp, k.p, k.n);
	*kp_len = k.n;
out:
	if (err)
		mls_kp_secrets_wipe(sec);
	if (pt)
		st_client_free(pt, sealed_len);
	st_client_free(sealed, sealed_len);
	return err;
}

/* Makes n KeyPackages (in one transaction) and uploads them. */
static cr_err kp_publish(nt_client *c, size_t n, bool last_resort)
{
	uint8_t *kps[NT_KP_BATCH_MAX] = { 0 };
	cr_span spans[NT_KP_BATCH_MAX];
	size_t made = 0;
	cr_err err = CR_OK;
	CR_ENSURE(n >= 1 && n <= NT_KP_BATCH_MAX, CR_ERR_ARG);
	st_err se = st_client_begin(c->db);
	if (se)
		return nt_client_db_fail(c, se, "starting a transaction");
	for (; made < n; made++) {
		size_t len;
		CR_CHECK(nt_client_kp_new(c, last_resort, &kps[made], &len));
		spans[made] = (cr_span){ kps[made], len };
	}
	/* Stored before they leave: a Welcome for one of them always finds its keys. */
	if ((se = st_client_commit(c->db)) != ST_OK) {
		err = nt_client_db_fail(c, se, "storing KeyPackages");
		goto out;
	}
	if ((err = nt_cs_kp_upload(c->s, last_resort, spans, n)) != CR_OK) {
		nt_client_sess_fail(c, err, "uploading KeyPackages");
		goto out;
	}
	/* The server's count is the truth: it replaces our estimate. */
	if ((se = st_client_kp_server_left_set(c->db, (int64_t)c->s->resp.one_time_left)) != ST_OK)
		err = nt_client_db_fail(c, se, "storing the KeyPackage count");
out:
	if (err && made < n)
		st_client_rollback(c->db);
	for (size_t i = 0; i < n; i++)
		free(kps[i]);
	return err;
}

cr_err nt_client_kp_replenish(nt_client *c)
{
	int64_t left = -1;
	st_err se = st_client_kp_server_left_get(c->db, &left);
	/* Unknown (a database of an older version): the local count, which
	 * over-estimates the server's; the upload's answer corrects it. */
	if (!se && left < 0)
		se = st_client_kp_count(c->db, &left);
	if (se)
		return nt_client_db_fail(c, se, "counting KeyPackages");
	if (left >= NT_CLIENT_KP_LOW)
		return CR_OK;
	CR_TRY(kp_publish(c, (size_t)(NT_CLIENT_KP_TARGET - left), false));
	/* Our estimate was high (a KeyPackage fetched without a Welcome for
	 * us): top up from the server's answer, once. */
	if ((se = st_client_kp_server_left_get(c->db, &left)) != ST_OK)
		return nt_client_db_fail(c, se, "counting KeyPackages");
	if (left >= 0 && left < NT_CLIENT_KP_LOW)
		return kp_publish(c, (size_t)(NT_CLIENT_KP_TARGET - left), false);
	return CR_OK;
}

/* --- register, open --- */

/* Opens the stored identity. any_name: a failed registration's identity,
 * reused under whatever name this attempt gives. */
static cr_err unlock(nt_client *c, const char *passphrase, bool any_name)
{
	uint8_t name[ST_CLIENT_NAME_MAX], *ks = NULL, secret[CR_KEYSTORE_IDENTITY_LEN];
	size_t name_len = 0, ks_len = 0, secret_len = 0;
	st_err se = st_client_identity_get(c->db, name, &name_len, &ks, &ks_len);
	if (se == ST_ERR_NOT_FOUND)
		return nt_client_fail(c, NT_CLIENT_NOT_FOUND, CR_ERR_NOT_FOUND,
				      "no identity in this database: register first");
	if (se)
		return nt_client_db_fail(c, se, "reading the identity");
	cr_err e = CR_OK;
	if (!any_name && (name_len != strlen(c->user) || memcmp(name, c->user, name_len) != 0)) {
		e = nt_client_fail(c, NT_CLIENT_FAILED, CR_ERR_ARG, "this database belongs to %.*s, not %s",
				   (int)name_len, (const char *)name, c->user);
		goto out;
	}
	e = cr_keystore_open(secret, sizeof secret, &secret_len, ks, ks_len, (const uint8_t *)passphrase,
			     strlen(passphrase), CR_KEYSTORE_MAX_PARAMS);
	if (e == CR_ERR_AUTH) {
		e = nt_client_fail(c, NT_CLIENT_DENIED, e,
				   any_name ? "wrong passphrase for the identity of an earlier registration attempt "
					      "(use that passphrase, or another database)"
					    : "wrong passphrase (or a damaged keystore)");
		goto out;
	}
	if (e) {
		e = nt_client_fail(c, NT_CLIENT_FAILED, e, "opening the keystore: %s", cr_err_str(e));
		goto out;
	}
	if ((e = cr_keystore_identity_decode(secret, secret_len, &c->id)) != CR_OK ||
	    (e = cr_ed25519_public(c->pub, c->id.seed)) != CR_OK)
		e = nt_client_fail(c, NT_CLIENT_FAILED, e, "the keystore holds no valid identity");
out:
	cr_wipe(secret, sizeof secret);
	st_client_free(ks, ks_len);
	return e;
}

cr_err nt_client_open(nt_client **out, const nt_client_opts *o)
{
	CR_TRY(client_new(out, o));
	nt_client *c = *out;
	bool registered = false;
	st_err se = st_client_identity_registered(c->db, &registered);
	if (se == ST_OK && !registered)
		return nt_client_fail(c, NT_CLIENT_NOT_FOUND, CR_ERR_NOT_FOUND,
				      "the registration of this database's identity did not complete: run "
				      "echover register again");
	CR_TRY(unlock(c, o->passphrase, false));
	CR_TRY(connect_pinned(c, o->server_pin));
	return login(c);
}

/* A new identity, sealed under the passphrase and stored, not yet registered. */
static cr_err identity_create(nt_client *c, const nt_client_opts *o)
{
	uint8_t secret[CR_KEYSTORE_IDENTITY_LEN], ks[CR_KEYSTORE_SEALED_LEN(CR_KEYSTORE_IDENTITY_LEN)];
	size_t ks_len = 0;
	cr_err e = cr_keystore_identity_new(&c->id, c->pub, c->rng);
	if (e)
		return nt_client_fail(c, NT_CLIENT_FAILED, e, "making the identity key: %s", cr_err_str(e));
	cr_keystore_identity_encode(secret, &c->id);
	e = cr_keystore_seal(ks, sizeof ks, &ks_len, secret, sizeof secret, (const uint8_t *)o->passphrase,
			     strlen(o->passphrase), o->cheap_kdf ? CR_ARGON2_INTERACTIVE : CR_KEYSTORE_DEFAULT_PARAMS,
			     c->rng);
	cr_wipe(secret, sizeof secret);
	if (e)
		return nt_client_fail(c, NT_CLIENT_FAILED, e, "sealing the keystore: %s", cr_err_str(e));
	st_err se = st_client_identity_set(c->db, (const uint8_t *)c->user, strlen(c->user), ks, ks_len,
					   nt_client_now());
	return se ? nt_client_db_fail(c, se, "storing the identity") : CR_OK;
}

/* Adds to the last error that the identity is kept for a retry. */
static cr_err retry_hint(nt_client *c, cr_err e)
{
	size_t n = strlen(c->err);
	snprintf(c->err + n, sizeof c->err - n, "; nothing was registered, the identity is kept: "
						 "run register again with the same passphrase");
	return e;
}

cr_err nt_client_register(nt_client **out, const nt_client_opts *o, const char *invite)
{
	CR_TRY(client_new(out, o));
	nt_client *c = *out;
	bool registered = false;
	st_err se = st_client_identity_registered(c->db, &registered);
	if (se == ST_OK && registered)
		return nt_client_fail(c, NT_CLIENT_FAILED, CR_ERR_STATE,
				      "this database already holds an identity (registered before)");
	if (se == ST_ERR_NOT_FOUND)
		CR_TRY(identity_create(c, o));
	else if (se)
		return nt_client_db_fail(c, se, "reading the identity");
	else
		CR_TRY(unlock(c, o->passphrase, true)); /* a failed attempt's: try again with it */
	if (connect_pinned(c, o->server_pin) != CR_OK)
		return retry_hint(c, CR_ERR_STATE);
	cr_err e = nt_cs_register(c->s, c->user, c->password, c->id.seed, invite);
	bool logged_in = false;
	if (e && c->s->fail == NT_CS_SERVER && c->s->code == NT_E_EXISTS) {
		/* Taken, or ours: an earlier attempt may have registered and lost
		 * the answer. Only our key and password log in. */
		nt_client_sess_fail(c, e, "registration");
		logged_in = nt_cs_login(c->s, c->user, c->password, c->id.seed) == CR_OK;
		if (!logged_in)
			return nt_client_fail(c, NT_CLIENT_FAILED, e,
					      "registration: the name %s is taken; the identity is kept: run register "
					      "again with another --user",
					      c->user);
		e = CR_OK;
	}
	if (e) {
		nt_client_sess_fail(c, e, "registration");
		return retry_hint(c, e);
	}
	se = st_client_identity_set_registered(c->db, (const uint8_t *)c->user, strlen(c->user));
	if (se)
		return nt_client_db_fail(c, se, "marking the identity registered");
	if (!logged_in)
		CR_TRY(login(c));
	CR_TRY(kp_publish(c, 1, true));
	return kp_publish(c, NT_CLIENT_KP_TARGET, false);
}

/* --- contacts --- */

cr_err nt_client_check_contact(nt_client *c, const uint8_t *name, size_t name_len,
			       const uint8_t key[CR_ED25519_PUB_LEN], const char *group)
{
	if (name_len == strlen(c->user) && memcmp(name, c->user, name_len) == 0)
		return memcmp(key, c->pub, CR_ED25519_PUB_LEN) == 0
			       ? CR_OK
			       : nt_client_fail(c, NT_CLIENT_DENIED, CR_ERR_AUTH,
						"a leaf claims to be us with another key");
	st_pin_info info;
	st_err se = st_client_contact_pin_check(c->db, name, name_len, key, CR_ED25519_PUB_LEN, &info);
	if (se)
		return nt_client_db_fail(c, se, "checking a contact pin");
	if (info.status == ST_PIN_MATCH)
		return CR_OK;
	if (info.status == ST_PIN_UNKNOWN) {
		se = st_client_contact_pin_add(c->db, name, name_len, key, CR_ED25519_PUB_LEN, nt_client_now());
		return se ? nt_client_db_fail(c, se, "pinning a contact key") : CR_OK;
	}
	char fp[CR_FINGERPRINT_STR_LEN], peer[NT_USERNAME_MAX + 1];
	cr_key_fingerprint(fp, key);
	snprintf(peer, sizeof peer, "%.*s", (int)name_len, (const char *)name);
	nt_client_fail(c, NT_CLIENT_DENIED, CR_ERR_AUTH,
		       "WARNING: the identity key of %s CHANGED (new key %s)%s%s. It may be a new device, or "
		       "someone impersonating %s. Compare safety numbers, then accept it with: echover trust %s",
		       peer, fp, group ? " in group " : "", group ? group : "", peer, peer);
	nt_client_event ev = { .kind = NT_EV_KEY_CHANGED, .peer = peer, .group = group, .text = c->err };
	nt_client_emit(c, &ev);
	return CR_ERR_AUTH;
}

cr_err nt_client_directory_key(nt_client *c, const char *user, uint8_t key[CR_ED25519_PUB_LEN])
{
	CR_TRY(nt_client_need_session(c));
	cr_err e = nt_cs_identity_fetch(c->s, user);
	if (e)
		return nt_client_sess_fail(c, e, user);
	memcpy(key, c->s->resp.identity, CR_ED25519_PUB_LEN);
	return CR_OK;
}

cr_err nt_client_fingerprint(nt_client *c, const char *peer, char number[72], char fingerprint[48])
{
	uint8_t key[CR_ED25519_PUB_LEN];
	CR_ENSURE(peer && username_ok(peer),
		  nt_client_fail(c, NT_CLIENT_FAILED, CR_ERR_ARG, "not a username: %s", peer ? peer : ""));
	CR_TRY(nt_client_directory_key(c, peer, key));
	CR_TRY(nt_client_check_contact(c, (const uint8_t *)peer, strlen(peer), key, NULL));
	_Static_assert(CR_SAFETY_STR_LEN <= 72 && CR_FINGERPRINT_STR_LEN <= 48, "output sizes");
	cr_err e = cr_safety_number(number, (const uint8_t *)c->user, strlen(c->user), c->pub,
				    (const uint8_t *)peer, strlen(peer), key);
	if (e)
		return nt_client_fail(c, NT_CLIENT_FAILED, e, "safety number: %s", cr_err_str(e));
	cr_key_fingerprint(fingerprint, key);
	return CR_OK;
}

cr_err nt_client_trust(nt_client *c, const char *peer, bool verified)
{
	uint8_t key[CR_ED25519_PUB_LEN];
	CR_ENSURE(peer && username_ok(peer),
		  nt_client_fail(c, NT_CLIENT_FAILED, CR_ERR_ARG, "not a username: %s", peer ? peer : ""));
	CR_TRY(nt_client_directory_key(c, peer, key));
	const uint8_t *n = (const uint8_t *)peer;
	st_pin_info info;
	st_err se = st_client_contact_pin_check(c->db, n, strlen(peer), key, sizeof key, &info);
	if (!se && info.status == ST_PIN_UNKNOWN)
		se = st_client_contact_pin_add(c->db, n, strlen(peer), key, sizeof key, nt_client_now());
	else if (!se && info.status == ST_PIN_CHANGED)
		se = st_client_contact_pin_replace(c->db, n, strlen(peer), key, sizeof key, nt_client_now());
	if (!se && verified)
		se = st_client_contact_set_verified(c->db, n, strlen(peer), key, sizeof key);
	return se ? nt_client_db_fail(c, se, "updating the contact pin") : CR_OK;
}

/* --- history --- */

typedef struct hist_ctx {
	void (*fn)(void *ctx, const nt_client_line *l);
	void *ctx;
} hist_ctx;

static st_err hist_cb(void *ctx, const st_client_message *m)
{
	hist_ctx *h = ctx;
	char sender[ST_CLIENT_NAME_MAX + 1];
	snprintf(sender, sizeof sender, "%.*s", (int)m->sender_len, (const char *)m->sender);
	nt_client_line l = { .sender = sender, .body = m->body, .body_len = m->body_len, .sent_at = m->sent_at };
	h->fn(h->ctx, &l);
	return ST_OK;
}

cr_err nt_client_history(nt_client *c, const char *gid, unsigned limit,
			 void (*fn)(void *ctx, const nt_client_line *l), void *ctx)
{
	CR_ENSURE(gid && nt_client_gid_ok(gid, true),
		  nt_client_fail(c, NT_CLIENT_FAILED, CR_ERR_ARG, "not a group id: %s", gid ? gid : ""));
	hist_ctx h = { fn, ctx };
	st_err se = st_client_history(c->db, (const uint8_t *)gid, strlen(gid), limit ? limit : 50, hist_cb, &h);
	return se ? nt_client_db_fail(c, se, "reading the history") : CR_OK;
}
