/*
 * cli_groups.c: group operations and sending (net/cli_client.h): create,
 * add, remove, leave, update, application messages, the group list and
 * roster, DM group ids. Every commit goes through nt_client_commit, which
 * POSTs it for the group's epoch and, on CONFLICT, discards it, syncs the
 * group and retries (NT_CLIENT_COMMIT_RETRIES), so a group never forks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app_msg.h"
#include "cli_client_int.h"
#include "hash.h"
#include "leaf.h"
#include "msg_keypackage.h"
#include "st_server.h"
#include "wipe.h"

_Static_assert(NT_CLIENT_TEXT_MAX == NT_APP_TEXT_MAX && NT_CLIENT_FILE_NAME_MAX == NT_APP_NAME_MAX,
	       "the engine's limits are the payload's");

static cr_err bad_gid(nt_client *c, const char *gid)
{
	return nt_client_fail(c, NT_CLIENT_FAILED, CR_ERR_ARG,
			      "not a group id: '%s' (1..%d of a-z, 0-9, '_', '.', '-'; not starting with dm-)",
			      gid ? gid : "", NT_GROUP_ID_MAX);
}

cr_err nt_client_group_load(nt_client *c, const char *gid, mls_group **g, st_client_group *row)
{
	*g = NULL;
	memset(row, 0, sizeof *row);
	st_err se = st_client_group_get(c->db, (const uint8_t *)gid, strlen(gid), row);
	if (se == ST_ERR_NOT_FOUND)
		return nt_client_fail(c, NT_CLIENT_NOT_FOUND, CR_ERR_NOT_FOUND, "not a member of group %s", gid);
	if (se)
		return nt_client_db_fail(c, se, "reading a group");
	cr_err err = CR_OK;
	uint8_t *pt = malloc(row->state_len);
	size_t pt_len = 0;
	if (!pt) {
		err = CR_ERR_NOMEM;
	} else if ((err = cr_keystore_record_open(pt, row->state_len, &pt_len, c->id.data_key, (const uint8_t *)gid,
						  strlen(gid), row->state, row->state_len)) == CR_OK) {
		err = mls_group_deserialize(g, pt, pt_len);
	}
	if (pt)
		st_client_free(pt, row->state_len);
	st_client_free(row->state, row->state_len);
	row->state = NULL;
	if (err)
		return nt_client_fail(c, NT_CLIENT_FAILED, err, "the stored state of group %s does not open (%s)", gid,
				      cr_err_str(err));
	return CR_OK;
}

cr_err nt_client_group_seal(nt_client *c, const char *gid, const mls_group *g, uint8_t **out, size_t *out_len)
{
	uint8_t *ser = NULL;
	size_t ser_len = 0;
	*out = NULL;
	cr_err err = mls_group_serialize(g, &ser, &ser_len);
	if (err)
		return nt_client_fail(c, NT_CLIENT_FAILED, err, "serializing group %s: %s", gid, cr_err_str(err));
	size_t cap = ser_len + CR_KEYSTORE_RECORD_OVERHEAD;
	*out = malloc(cap);
	if (!*out)
		err = CR_ERR_NOMEM;
	else
		err = cr_keystore_record_seal(*out, cap, out_len, c->id.data_key, (const uint8_t *)gid, strlen(gid),
					      ser, ser_len, c->rng);
	cr_wipe(ser, ser_len);
	free(ser);
	if (err) {
		free(*out);
		*out = NULL;
		return nt_client_fail(c, NT_CLIENT_FAILED, err, "sealing group %s: %s", gid, cr_err_str(err));
	}
	return CR_OK;
}

cr_err nt_client_group_save(nt_client *c, const char *gid, const mls_group *g)
{
	uint8_t *sealed;
	size_t n;
	CR_TRY(nt_client_group_seal(c, gid, g, &sealed, &n));
	st_err se = st_client_group_set_state(c->db, (const uint8_t *)gid, strlen(gid), sealed, n, mls_group_epoch(g));
	st_client_free(sealed, n);
	return se ? nt_client_db_fail(c, se, "storing a group state") : CR_OK;
}

cr_err nt_client_group_create(nt_client *c, const char *gid)
{
	if (!gid || !nt_client_gid_ok(gid, false))
		return bad_gid(c, gid);
	CR_TRY(nt_client_need_session(c));
	uint8_t *kp = NULL, *sealed = NULL;
	size_t kp_len = 0, sealed_len = 0;
	mls_kp_secrets sec;
	mls_group *g = NULL;
	int64_t now = nt_client_now();
	cr_err err = nt_cs_group_create(c->s, gid);
	if (err)
		return nt_client_sess_fail(c, err, gid);
	/* Our first leaf: a KeyPackage that never leaves this process. */
	err = mls_keypackage_create(c->id.seed, (const uint8_t *)c->user, strlen(c->user), (uint64_t)(now - 3600),
				    (uint64_t)(now + NT_CLIENT_KP_LIFETIME), c->rng, &kp, &kp_len, &sec);
	if (!err)
		err = mls_group_create(&g, (const uint8_t *)gid, strlen(gid), kp, kp_len, &sec, c->id.seed, c->rng);
	mls_kp_secrets_wipe(&sec);
	free(kp);
	if (err)
		return nt_client_fail(c, NT_CLIENT_FAILED, err, "creating group %s: %s", gid, cr_err_str(err));
	err = nt_client_group_seal(c, gid, g, &sealed, &sealed_len);
	if (!err) {
		st_err se = st_client_group_add(c->db, (const uint8_t *)gid, strlen(gid), sealed, sealed_len, 0,
						ST_CLIENT_ROLE_OWNER, 0);
		if (se)
			err = nt_client_db_fail(c, se, "storing the group");
		st_client_free(sealed, sealed_len);
	}
	mls_group_free(g);
	return err;
}

static bool in_list(const char *const *l, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(l[i], name))
			return true;
	return false;
}

/* One attempt: CR_ERR_INVALID with *conflict when another commit won. */
static cr_err commit_once(nt_client *c, const char *gid, const uint8_t *const *adds, const size_t *add_lens,
			  const char *const *added, size_t n_adds, const char *const *removed, size_t n_removes,
			  bool *conflict, bool *nothing)
{
	mls_group *g = NULL;
	st_client_group row;
	*conflict = false;
	*nothing = false;
	CR_TRY(nt_client_group_load(c, gid, &g, &row));
	enum { MAXN = 256 };
	const uint8_t *a[MAXN];
	size_t al[MAXN], na = 0, nr = 0, nroute = 0;
	const char *an[MAXN];
	uint32_t leaves[MAXN], props[MAXN];
	char route[MAXN][NT_USERNAME_MAX + 1];
	const char *routes[MAXN];
	uint8_t *cm = NULL, *wm = NULL;
	size_t cl = 0, wl = 0;
	cr_err err = CR_OK;
	/* After a conflict, the winner may have done part of our work. */
	for (size_t i = 0; i < n_adds && na < MAXN; i++) {
		uint32_t leaf;
		if (mls_group_find_member(g, (const uint8_t *)added[i], strlen(added[i]), &leaf) == CR_OK ||
		    in_list(an, na, added[i]))
			continue;
		a[na] = adds[i], al[na] = add_lens[i], an[na] = added[i];
		na++;
	}
	for (size_t i = 0; i < n_removes && nr < MAXN; i++) {
		uint32_t leaf;
		if (mls_group_find_member(g, (const uint8_t *)removed[i], strlen(removed[i]), &leaf) != CR_OK)
			continue;
		leaves[nr++] = leaf;
		snprintf(route[nroute], sizeof route[nroute], "%s", removed[i]);
		nroute++;
	}
	size_t np = mls_group_remove_proposals(g, props, MAXN);
	for (size_t i = 0; i < np && i < MAXN && nroute < MAXN; i++) {
		const uint8_t *id;
		size_t len;
		uint8_t key[MLS_SIG_PUB_LEN];
		if (props[i] == mls_group_own_leaf(g)) {
			err = nt_client_fail(c, NT_CLIENT_FAILED, CR_ERR_STATE,
					     "we asked to leave %s: another member commits now", gid);
			goto out;
		}
		if (mls_group_member(g, props[i], &id, &len, key) != CR_OK || len > NT_USERNAME_MAX)
			continue;
		snprintf(route[nroute], sizeof route[nroute], "%.*s", (int)len, (const char *)id);
		if (!in_list(routes, nroute, route[nroute]))
			nroute++;
		for (size_t k = 0; k < nroute; k++)
			routes[k] = route[k];
	}
	for (size_t k = 0; k < nroute; k++)
		routes[k] = route[k];
	if (n_adds + n_removes > 0 && na + nr == 0 && np == 0) {
		*nothing = true;
		goto out;
	}
	uint64_t epoch = mls_group_epoch(g);
	err = mls_group_commit(g, a, al, na, leaves, nr, c->rng, &cm, &cl, &wm, &wl);
	if (err) {
		nt_client_fail(c, NT_CLIENT_FAILED, err, "commit in %s: %s", gid, cr_err_str(err));
		goto out;
	}
	nt_cli_post p = { .gid = (const uint8_t *)gid, .gid_len = strlen(gid), .kind = NT_KIND_COMMIT, .epoch = epoch,
			  .added = an, .n_added = na, .removed = routes, .n_removed = nroute,
			  .message = { cm, cl }, .welcome = { wm, wm ? wl : 0 } };
	err = nt_cs_post(c->s, &p);
	if (err) {
		mls_group_commit_discard(g);
		*conflict = c->s->fail == NT_CS_SERVER && c->s->code == NT_E_CONFLICT;
		nt_client_sess_fail(c, err, gid);
		goto out;
	}
	uint64_t pos = c->s->resp.position;
	if ((err = mls_group_commit_confirm(g)) != CR_OK) {
		nt_client_fail(c, NT_CLIENT_FAILED, err, "confirming the commit in %s", gid);
		goto out;
	}
	/* Recorded at its log position, so that it is not processed again. */
	uint8_t id[1 + CR_SHA256_LEN] = { NT_KIND_COMMIT }, *sealed = NULL;
	size_t sealed_len = 0;
	cr_sha256(id + 1, cm, cl);
	if ((err = nt_client_group_seal(c, gid, g, &sealed, &sealed_len)) != CR_OK)
		goto out;
	st_client_incoming in = { .gid = (const uint8_t *)gid, .gid_len = strlen(gid), .msg_id = id,
				  .msg_id_len = sizeof id, .log_pos = pos, .state = sealed, .state_len = sealed_len,
				  .epoch = mls_group_epoch(g), .received_at = nt_client_now() };
	st_err se = st_client_process(c->db, &in);
	st_client_free(sealed, sealed_len);
	if (se) {
		err = nt_client_db_fail(c, se, "storing the committed group");
		goto out;
	}
	if (nt_cs_ack(c->s, gid, pos) != CR_OK) {
		err = nt_client_sess_fail(c, CR_ERR_STATE, "acknowledging");
		goto out;
	}
	for (size_t i = 0; i < na; i++) {
		nt_client_event ev = { .kind = NT_EV_MEMBER_ADDED, .group = gid, .peer = an[i],
				       .epoch = mls_group_epoch(g) };
		nt_client_emit(c, &ev);
	}
	for (size_t i = 0; i < nroute; i++) {
		nt_client_event ev = { .kind = NT_EV_MEMBER_REMOVED, .group = gid, .peer = routes[i],
				       .epoch = mls_group_epoch(g) };
		nt_client_emit(c, &ev);
	}
	nt_client_event ev = { .kind = NT_EV_EPOCH, .group = gid, .epoch = mls_group_epoch(g) };
	nt_client_emit(c, &ev);
out:
	free(cm);
	free(wm);
	mls_group_free(g);
	return err;
}

cr_err nt_client_commit(nt_client *c, const char *gid, const uint8_t *const *adds, const size_t *add_lens,
			const char *const *added, size_t n_adds, const char *const *removed, size_t n_removes)
{
	CR_TRY(nt_client_need_session(c));
	bool was = c->in_sync;
	c->in_sync = true; /* the re-syncs below do not run duties */
	cr_err err = CR_OK;
	for (int attempt = 0; attempt <= NT_CLIENT_COMMIT_RETRIES; attempt++) {
		bool conflict, nothing;
		err = commit_once(c, gid, adds, add_lens, added, n_adds, removed, n_removes, &conflict, &nothing);
		if (!err || !conflict)
			break;
		if ((err = nt_client_sync_one(c, gid)) != CR_OK)
			break;
		err = nt_client_fail(c, NT_CLIENT_FAILED, CR_ERR_STATE,
				     "commit in %s lost %d times to other members' commits", gid, attempt + 1);
	}
	c->in_sync = was;
	if (!err) {
		c->status = NT_CLIENT_OK;
		c->err[0] = 0;
	}
	return err;
}

cr_err nt_client_group_add(nt_client *c, const char *gid, const char *user)
{
	if (!gid || !nt_client_gid_ok(gid, true))
		return bad_gid(c, gid);
	CR_ENSURE(user && strlen(user) <= NT_USERNAME_MAX && strcmp(user, c->user) != 0,
		  nt_client_fail(c, NT_CLIENT_FAILED, CR_ERR_ARG, "cannot add '%s'", user ? user : ""));
	uint8_t key[CR_ED25519_PUB_LEN];
	CR_TRY(nt_client_directory_key(c, user, key));
	CR_TRY(nt_client_check_contact(c, (const uint8_t *)user, strlen(user), key, gid));
	/* Bring the group up to date first: a commit must be for its epoch. */
	CR_TRY(nt_client_sync_one(c, gid));
	cr_err err = nt_cs_kp_fetch(c->s, user);
	if (err)
		return nt_client_sess_fail(c, err, user);
	size_t kp_len = c->s->resp.key_package.n;
	uint8_t *kp = malloc(kp_len ? kp_len : 1);
	CR_ENSURE(kp, CR_ERR_NOMEM);
	memcpy(kp, c->s->resp.key_package.p, kp_len);
	mls_key_package k;
	mls_leaf_node leaf = { 0 };
	cr_reader lr;
	err = mls_keypackage_validate(kp, kp_len, (uint64_t)nt_client_now());
	if (!err)
		err = mls_key_package_decode(kp, kp_len, &k);
	if (!err) {
		cr_reader_init(&lr, k.leaf_node.p, k.leaf_node.n);
		err = mls_leaf_decode(&lr, &leaf);
	}
	if (!err && (leaf.credential_type != MLS_CRED_BASIC || leaf.credential.n != strlen(user) ||
		     memcmp(leaf.credential.p, user, leaf.credential.n) != 0 ||
		     memcmp(leaf.signature_key, key, sizeof key) != 0))
		err = CR_ERR_AUTH;
	mls_leaf_free(&leaf);
	if (err) {
		free(kp);
		return nt_client_fail(c, NT_CLIENT_DENIED, err,
				      "the KeyPackage the server gave for %s is not theirs (%s): refused", user,
				      cr_err_str(err));
	}
	const uint8_t *adds[1] = { kp };
	const char *names[1] = { user };
	err = nt_client_commit(c, gid, adds, &kp_len, names, 1, NULL, 0);
	free(kp);
	return err;
}

cr_err nt_client_group_remove(nt_client *c, const char *gid, const char *user)
{
	if (!gid || !nt_client_gid_ok(gid, true))
		return bad_gid(c, gid);
	CR_ENSURE(user && strlen(user) <= NT_USERNAME_MAX,
		  nt_client_fail(c, NT_CLIENT_FAILED, CR_ERR_ARG, "not a username"));
	CR_TRY(nt_client_sync_one(c, gid));
	mls_group *g;
	st_client_group row;
	CR_TRY(nt_client_group_load(c, gid, &g, &row));
	uint32_t leaf;
	cr_err err = mls_group_find_member(g, (const uint8_t *)user, strlen(user), &leaf);
	mls_group_free(g);
	if (err)
		return nt_client_fail(c, NT_CLIENT_NOT_FOUND, err, "%s is not a member of %s", user, gid);
	const char *names[1] = { user };
	return nt_client_commit(c, gid, NULL, NULL, NULL, 0, names, 1);
}

cr_err nt_client_group_update(nt_client *c, const char *gid)
{
	if (!gid || !nt_client_gid_ok(gid, true))
		return bad_gid(c, gid);
	CR_TRY(nt_client_sync_one(c, gid));
	return nt_client_commit(c, gid, NULL, NULL, NULL, 0, NULL, 0);
}

cr_err nt_client_group_leave(nt_client *c, const char *gid)
{
	if (!gid || !nt_client_gid_ok(gid, true))
		return bad_gid(c, gid);
	CR_TRY(nt_client_sync_one(c, gid));
	mls_group *g;
	st_client_group row;
	CR_TRY(nt_client_group_load(c, gid, &g, &row));
	uint8_t *msg = NULL;
	size_t n = 0;
	uint64_t epoch = mls_group_epoch(g);
	cr_err err = mls_group_propose_self_remove(g, &msg, &n);
	if (err) {
		mls_group_free(g);
		return nt_client_fail(c, NT_CLIENT_FAILED, err, "leaving %s: %s", gid, cr_err_str(err));
	}
	/* Kept before it leaves, so that we recognise the commit that removes us. */
	err = nt_client_group_save(c, gid, g);
	mls_group_free(g);
	if (!err) {
		nt_cli_post p = { .gid = (const uint8_t *)gid, .gid_len = strlen(gid), .kind = NT_KIND_PROPOSAL,
				  .epoch = epoch, .message = { msg, n } };
		if ((err = nt_cs_post(c->s, &p)) != CR_OK)
			nt_client_sess_fail(c, err, gid);
	}
	free(msg);
	return err;
}

static cr_err send_payload(nt_client *c, const char *gid, const nt_app_msg *m, const uint8_t *hist, size_t hist_len)
{
	CR_TRY(nt_client_need_session(c));
	/* Up to date first: a message of an old epoch is unreadable to those
	 * who moved on. */
	CR_TRY(nt_client_sync_one(c, gid));
	mls_group *g;
	st_client_group row;
	CR_TRY(nt_client_group_load(c, gid, &g, &row));
	cr_writer w;
	cr_writer_init_dynamic(&w, NT_APP_MAX);
	uint8_t *ct = NULL;
	size_t ct_len = 0;
	uint64_t epoch = mls_group_epoch(g);
	cr_err err = nt_app_msg_write(&w, m);
	if (!err)
		err = mls_group_encrypt(g, w.p, w.len, c->rng, &ct, &ct_len);
	cr_writer_free(&w);
	if (err) {
		mls_group_free(g);
		return nt_client_fail(c, NT_CLIENT_FAILED, err, "encrypting for %s: %s", gid, cr_err_str(err));
	}
	/* The key it used is spent: stored before the message leaves, so that
	 * a crash never makes us reuse it. */
	err = nt_client_group_save(c, gid, g);
	mls_group_free(g);
	if (!err) {
		nt_cli_post p = { .gid = (const uint8_t *)gid, .gid_len = strlen(gid), .kind = NT_KIND_APPLICATION,
				  .epoch = epoch, .message = { ct, ct_len } };
		if ((err = nt_cs_post(c->s, &p)) != CR_OK)
			nt_client_sess_fail(c, err, gid);
	}
	free(ct);
	if (!err) {
		st_err se = st_client_history_add(c->db, (const uint8_t *)gid, strlen(gid), (const uint8_t *)c->user,
						  strlen(c->user), hist, hist_len, m->sent_at, nt_client_now());
		if (se)
			err = nt_client_db_fail(c, se, "storing the sent message");
	}
	return err;
}

cr_err nt_client_send(nt_client *c, const char *gid, const uint8_t *text, size_t n)
{
	if (!gid || !nt_client_gid_ok(gid, true))
		return bad_gid(c, gid);
	CR_ENSURE(n <= NT_CLIENT_TEXT_MAX, nt_client_fail(c, NT_CLIENT_FAILED, CR_ERR_LIMIT,
							  "a message is at most %d bytes", NT_CLIENT_TEXT_MAX));
	nt_app_msg m = { .type = NT_APP_TEXT, .sent_at = nt_client_now(), .text = { text, n } };
	cr_err err = cr_random(c->rng, m.msg_id, sizeof m.msg_id);
	if (err)
		return nt_client_fail(c, NT_CLIENT_FAILED, err, "random source failed");
	return send_payload(c, gid, &m, text, n);
}

void nt_client_dm_gid(const char *a, const char *b, char out[NT_DM_GID_LEN + 1])
{
	if (strcmp(a, b) > 0) {
		const char *t = a;
		a = b;
		b = t;
	}
	cr_sha256_ctx h;
	uint8_t d[CR_SHA256_LEN], la = (uint8_t)strnlen(a, 255), lb = (uint8_t)strnlen(b, 255);
	cr_sha256_init(&h);
	cr_sha256_update(&h, (const uint8_t *)NT_DM_LABEL, strlen(NT_DM_LABEL));
	cr_sha256_update(&h, &la, 1);
	cr_sha256_update(&h, (const uint8_t *)a, la);
	cr_sha256_update(&h, &lb, 1);
	cr_sha256_update(&h, (const uint8_t *)b, lb);
	cr_sha256_final(&h, d);
	static const char hex[] = "0123456789abcdef";
	memcpy(out, NT_DM_PREFIX, 3);
	for (int i = 0; i < 16; i++) {
		out[3 + 2 * i] = hex[d[i] >> 4];
		out[4 + 2 * i] = hex[d[i] & 15];
	}
	out[NT_DM_GID_LEN] = 0;
}

static cr_err not_yet(nt_client *c, const char *what)
{
	return nt_client_fail(c, NT_CLIENT_FAILED, CR_ERR_UNSUPPORTED,
			      "%s needs a protocol frame this build does not speak yet", what);
}

cr_err nt_client_dm(nt_client *c, const char *peer, const uint8_t *text, size_t n)
{
	(void)peer, (void)text, (void)n;
	return not_yet(c, "a direct message (DM_CREATE)");
}

cr_err nt_client_group_join(nt_client *c, const char *gid)
{
	(void)gid;
	return not_yet(c, "asking to join (JOIN_REQUEST)");
}

cr_err nt_client_presence(nt_client *c, void (*fn)(void *ctx, const char *user), void *ctx)
{
	(void)fn, (void)ctx;
	return not_yet(c, "presence (PRESENCE)");
}

cr_err nt_client_send_file(nt_client *c, const char *gid, const char *path)
{
	(void)gid, (void)path;
	return not_yet(c, "sending a file (BLOB_CREATE)");
}

cr_err nt_client_get_file(nt_client *c, const char *ref, const char *out_path)
{
	(void)ref, (void)out_path;
	return not_yet(c, "fetching a file (BLOB_READ)");
}

typedef struct glist {
	nt_client *c;
	void (*fn)(void *ctx, const nt_client_group_info *g);
	void *ctx;
	cr_err err;
} glist;

static st_err groups_cb(void *ctx, const st_client_group *r)
{
	glist *l = ctx;
	char gid[NT_GROUP_ID_MAX + 1];
	snprintf(gid, sizeof gid, "%.*s", (int)r->id_len, (const char *)r->id);
	nt_client_group_info gi = { .gid = gid, .role = (uint8_t)r->role, .epoch = r->epoch };
	l->fn(l->ctx, &gi);
	return ST_OK;
}

cr_err nt_client_groups(nt_client *c, void (*fn)(void *ctx, const nt_client_group_info *g), void *ctx)
{
	glist l = { c, fn, ctx, CR_OK };
	st_err se = st_client_group_list(c->db, groups_cb, &l);
	return se ? nt_client_db_fail(c, se, "listing groups") : CR_OK;
}

cr_err nt_client_members(nt_client *c, const char *gid, void (*fn)(void *ctx, const nt_client_member *m), void *ctx)
{
	if (!gid || !nt_client_gid_ok(gid, true))
		return bad_gid(c, gid);
	mls_group *g;
	st_client_group row;
	CR_TRY(nt_client_group_load(c, gid, &g, &row));
	/* Until MEMBERS: the MLS roster, in leaf order, without roles or presence. */
	for (uint32_t i = 0; i < mls_group_leaf_count(g); i++) {
		const uint8_t *id;
		size_t len;
		uint8_t key[MLS_SIG_PUB_LEN];
		if (mls_group_member(g, i, &id, &len, key) != CR_OK || len > NT_USERNAME_MAX)
			continue;
		char name[NT_USERNAME_MAX + 1];
		snprintf(name, sizeof name, "%.*s", (int)len, (const char *)id);
		nt_client_member m = { .name = name,
				       .role = !strcmp(name, c->user) ? (uint8_t)row.role : (uint8_t)NT_ROLE_MEMBER };
		fn(ctx, &m);
	}
	mls_group_free(g);
	return CR_OK;
}
