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
#include "cli_file.h"
#include "dm.h"
#include "hash.h"
#include "leaf.h"
#include "msg_keypackage.h"
#include "msg_welcome_tree.h"
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

static cr_err group_local_create(nt_client *c, const char *gid);
_Static_assert(NT_CLIENT_MSG_ID_LEN == NT_APP_MSG_ID_LEN, "the engine's message id is the payload's");

static cr_err send_payload(nt_client *c, const char *gid, const nt_app_msg *m, const uint8_t *hist,
			   size_t hist_len);

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
	cr_err err = nt_cs_group_create(c->s, gid);
	if (err)
		return nt_client_sess_fail(c, err, gid);
	return group_local_create(c, gid);
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
	uint8_t *cm = NULL, *wm = NULL, *tree = NULL, *entry = NULL;
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
	/* The ratchet tree travels beside the Welcome (RFC 9420 12.4.3.3), in
	 * one log entry: signing and encrypting a GroupInfo that carries the
	 * whole tree cost ten times the rest of a commit in a large group. */
	size_t tree_len = 0, entry_len = 0;
	err = mls_group_commit_ex(g, a, al, na, leaves, nr, MLS_COMMIT_TREE_OUT_OF_BAND, c->rng, &cm, &cl, &wm, &wl,
				  &tree, &tree_len);
	if (!err && wm)
		err = mls_welcome_tree_pack(wm, wl, tree, tree_len, &entry, &entry_len);
	if (err) {
		if (mls_group_commit_pending(g))
			mls_group_commit_discard(g);
		nt_client_fail(c, NT_CLIENT_FAILED, err, "commit in %s: %s", gid, cr_err_str(err));
		goto out;
	}
	nt_cli_post p = { .gid = (const uint8_t *)gid, .gid_len = strlen(gid), .kind = NT_KIND_COMMIT, .epoch = epoch,
			  .added = an, .n_added = na, .removed = routes, .n_removed = nroute,
			  .message = { cm, cl }, .welcome = { entry, entry ? entry_len : 0 } };
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
	/* Every commit of ours has a path: our leaf is fresh (a crash before
	 * this costs one needless refresh later, nothing more). */
	if (!se)
		se = st_client_group_set_own_commit(c->db, (const uint8_t *)gid, strlen(gid), nt_client_now());
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
	free(tree);
	free(entry);
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
	err = nt_client_commit(c, gid, NULL, NULL, NULL, 0, names, 1);
	if (err && nt_client_status_of(c) == NT_CLIENT_DENIED && c->s && c->s->code == NT_E_FORBIDDEN)
		nt_client_fail(c, NT_CLIENT_DENIED, err, "only an admin or the owner of %s can remove %s (%s)", gid,
			       user, nt_code_str(NT_E_FORBIDDEN));
	return err;
}

cr_err nt_client_group_role(nt_client *c, const char *gid, const char *user, uint8_t role)
{
	if (!gid || !nt_client_gid_ok(gid, false))
		return bad_gid(c, gid);
	CR_ENSURE(user && *user && strlen(user) <= NT_USERNAME_MAX,
		  nt_client_fail(c, NT_CLIENT_FAILED, CR_ERR_ARG, "not a username"));
	CR_ENSURE(role == NT_ROLE_ADMIN || role == NT_ROLE_MEMBER,
		  nt_client_fail(c, NT_CLIENT_FAILED, CR_ERR_ARG,
				 "a role is admin or member (ownership passes only when the owner leaves)"));
	CR_TRY(nt_client_need_session(c));
	cr_err err = nt_cs_role_set(c->s, gid, user, role);
	if (err && c->s->fail == NT_CS_SERVER && c->s->code == NT_E_FORBIDDEN)
		return nt_client_fail(c, NT_CLIENT_DENIED, err,
				      "only the owner of %s can change roles, and not its own (%s)", gid,
				      nt_code_str(NT_E_FORBIDDEN));
	if (err)
		return nt_client_sess_fail(c, err, gid);
	return CR_OK;
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
	/* A retry of a message the server already accepted from us: done. */
	bool sent = false;
	st_err se = st_client_delivered_has(c->db, (const uint8_t *)gid, strlen(gid), (const uint8_t *)c->user,
					    strlen(c->user), m->msg_id, sizeof m->msg_id, &sent);
	if (se)
		return nt_client_db_fail(c, se, "checking sent messages");
	if (sent)
		return CR_OK;
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
		/* Recorded as sent only now that the server has it: a retry after
		 * a failed POST posts again (and members drop the second copy). */
		se = st_client_history_add(c->db, (const uint8_t *)gid, strlen(gid), (const uint8_t *)c->user,
					   strlen(c->user), m->msg_id, sizeof m->msg_id, hist, hist_len, m->sent_at,
					   nt_client_now());
		if (se && se != ST_ERR_EXISTS)
			err = nt_client_db_fail(c, se, "storing the sent message");
	}
	return err;
}

cr_err nt_client_msg_id_new(nt_client *c, uint8_t id[NT_CLIENT_MSG_ID_LEN])
{
	cr_err err = cr_random(c->rng, id, NT_CLIENT_MSG_ID_LEN);
	return err ? nt_client_fail(c, NT_CLIENT_FAILED, err, "random source failed") : CR_OK;
}

cr_err nt_client_send_id(nt_client *c, const char *gid, const uint8_t id[NT_CLIENT_MSG_ID_LEN], const uint8_t *text,
			 size_t n)
{
	if (!gid || !nt_client_gid_ok(gid, true))
		return bad_gid(c, gid);
	CR_ENSURE(n <= NT_CLIENT_TEXT_MAX, nt_client_fail(c, NT_CLIENT_FAILED, CR_ERR_LIMIT,
							  "a message is at most %d bytes", NT_CLIENT_TEXT_MAX));
	nt_app_msg m = { .type = NT_APP_TEXT, .sent_at = nt_client_now(), .text = { text, n } };
	if (id)
		memcpy(m.msg_id, id, sizeof m.msg_id);
	else
		CR_TRY(nt_client_msg_id_new(c, m.msg_id));
	return send_payload(c, gid, &m, text, n);
}

cr_err nt_client_send(nt_client *c, const char *gid, const uint8_t *text, size_t n)
{
	return nt_client_send_id(c, gid, NULL, text, n);
}

void nt_client_dm_gid(const char *a, const char *b, char out[NT_DM_GID_LEN + 1])
{
	if (nt_dm_gid((const uint8_t *)a, strlen(a), (const uint8_t *)b, strlen(b), out) != CR_OK)
		out[0] = 0;
}

bool nt_client_dm_peer(nt_client *c, const char *gid, const char *hint, char out[NT_USERNAME_MAX + 1])
{
	out[0] = 0;
	if (!gid || !nt_dm_is_dm((const uint8_t *)gid, strlen(gid)))
		return false;
	char want[NT_DM_GID_LEN + 1];
	if (hint && strcmp(hint, c->user) != 0 && strlen(hint) <= NT_USERNAME_MAX) {
		nt_client_dm_gid(c->user, hint, want);
		if (!strcmp(want, gid)) {
			snprintf(out, NT_USERNAME_MAX + 1, "%s", hint);
			return true;
		}
	}
	/* From the group's roster; a display helper leaves the error alone. */
	char saved[NT_CLIENT_ERR_MAX];
	nt_client_status st = c->status;
	memcpy(saved, c->err, sizeof saved);
	mls_group *g = NULL;
	st_client_group row;
	if (nt_client_group_load(c, gid, &g, &row) == CR_OK) {
		for (uint32_t k = 0; k < mls_group_leaf_count(g) && !out[0]; k++) {
			const uint8_t *id;
			size_t len;
			uint8_t key[MLS_SIG_PUB_LEN];
			if (mls_group_member(g, k, &id, &len, key) == CR_OK && len <= NT_USERNAME_MAX &&
			    (len != strlen(c->user) || memcmp(id, c->user, len) != 0))
				snprintf(out, NT_USERNAME_MAX + 1, "%.*s", (int)len, (const char *)id);
		}
		mls_group_free(g);
	}
	memcpy(c->err, saved, sizeof saved);
	c->status = st;
	return out[0] != 0;
}

static bool holds(nt_client *c, const char *gid)
{
	st_client_group row;
	st_err se = st_client_group_get(c->db, (const uint8_t *)gid, strlen(gid), &row);
	if (se == ST_OK)
		st_client_free(row.state, row.state_len);
	return se == ST_OK;
}

/* Our side of a new group whose id the server has accepted. */
static cr_err group_local_create(nt_client *c, const char *gid)
{
	uint8_t *kp = NULL, *sealed = NULL;
	size_t kp_len = 0, sealed_len = 0;
	mls_kp_secrets sec;
	mls_group *g = NULL;
	int64_t now = nt_client_now();
	/* Our first leaf: a KeyPackage that never leaves this process. */
	cr_err err = mls_keypackage_create(c->id.seed, (const uint8_t *)c->user, strlen(c->user),
					   (uint64_t)(now - 3600), (uint64_t)(now + NT_CLIENT_KP_LIFETIME), c->rng, &kp,
					   &kp_len, &sec);
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
		if (!se)
			se = st_client_group_set_own_commit(c->db, (const uint8_t *)gid, strlen(gid), now);
		if (se)
			err = nt_client_db_fail(c, se, "storing the group");
		st_client_free(sealed, sealed_len);
	}
	mls_group_free(g);
	return err;
}

cr_err nt_client_dm(nt_client *c, const char *peer, const uint8_t *text, size_t n)
{
	return nt_client_dm_id(c, peer, NULL, text, n);
}

cr_err nt_client_dm_id(nt_client *c, const char *peer, const uint8_t id[NT_CLIENT_MSG_ID_LEN], const uint8_t *text,
		       size_t n)
{
	CR_ENSURE(peer && *peer && strlen(peer) <= NT_USERNAME_MAX && strcmp(peer, c->user) != 0,
		  nt_client_fail(c, NT_CLIENT_FAILED, CR_ERR_ARG, "cannot write to '%s'", peer ? peer : ""));
	CR_TRY(nt_client_need_session(c));
	char gid[NT_DM_GID_LEN + 1];
	nt_client_dm_gid(c->user, peer, gid);
	CR_ENSURE(gid[0], nt_client_fail(c, NT_CLIENT_FAILED, CR_ERR_ARG, "not a username: %s", peer));
	if (!holds(c, gid)) {
		/* The peer may have created it first: its Welcome may be waiting. */
		CR_TRY(nt_client_sync_one(c, gid));
	}
	if (!holds(c, gid)) {
		uint8_t key[CR_ED25519_PUB_LEN];
		CR_TRY(nt_client_directory_key(c, peer, key));
		CR_TRY(nt_client_check_contact(c, (const uint8_t *)peer, strlen(peer), key, gid));
		cr_err err = nt_cs_dm_create(c->s, peer);
		if (err && c->s->fail == NT_CS_SERVER && c->s->code == NT_E_EXISTS)
			return nt_client_fail(c, NT_CLIENT_FAILED, err,
					      "%s opened the conversation first; its Welcome has not arrived yet: "
					      "retry once %s's client has added us",
					      peer, peer);
		if (err)
			return nt_client_sess_fail(c, err, peer);
		CR_TRY(group_local_create(c, gid));
		/* From the peer's published KeyPackage: the peer need not be online. */
		CR_TRY(nt_client_group_add(c, gid, peer));
	}
	return nt_client_send_id(c, gid, id, text, n);
}

cr_err nt_client_group_join(nt_client *c, const char *gid)
{
	if (!gid || !nt_client_gid_ok(gid, false))
		return bad_gid(c, gid);
	CR_TRY(nt_client_need_session(c));
	if (holds(c, gid))
		return nt_client_fail(c, NT_CLIENT_FAILED, CR_ERR_STATE, "already a member of %s", gid);
	uint8_t *kp = NULL;
	size_t kp_len = 0;
	/* A fresh one-time KeyPackage, stored before it leaves, so that the
	 * Welcome an admin makes from it finds its keys. */
	CR_TRY(nt_client_kp_new(c, false, &kp, &kp_len));
	cr_err err = nt_cs_join_request(c->s, gid, kp, kp_len);
	free(kp);
	if (err)
		return nt_client_sess_fail(c, err, gid);
	return CR_OK;
}

typedef struct file_cb {
	nt_client *c;
	const char *gid;
} file_cb;

static void progress(void *ctx, uint64_t done, uint64_t total)
{
	file_cb *f = ctx;
	nt_client_event ev = { .kind = NT_EV_PROGRESS, .group = f->gid, .done = done, .total = total };
	nt_client_emit(f->c, &ev);
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash && slash[1] ? slash + 1 : path;
}

cr_err nt_client_send_file(nt_client *c, const char *gid, const char *path)
{
	if (!gid || !nt_client_gid_ok(gid, true))
		return bad_gid(c, gid);
	CR_ENSURE(path && *path, nt_client_fail(c, NT_CLIENT_FAILED, CR_ERR_ARG, "no file given"));
	const char *name = base_name(path);
	CR_ENSURE(strlen(name) <= NT_CLIENT_FILE_NAME_MAX,
		  nt_client_fail(c, NT_CLIENT_FAILED, CR_ERR_LIMIT, "file name longer than %d bytes",
				 NT_CLIENT_FILE_NAME_MAX));
	CR_TRY(nt_client_need_session(c));
	/* A member first: no upload for a group we cannot write to. */
	mls_group *g;
	st_client_group row;
	CR_TRY(nt_client_group_load(c, gid, &g, &row));
	mls_group_free(g);
	nt_file_ref ref;
	char err_text[256] = "";
	file_cb fc = { c, gid };
	cr_err err = nt_file_send(c->s, path, c->rng, progress, &fc, &ref, err_text, sizeof err_text);
	if (err) {
		nt_client_status st = c->s->fail == NT_CS_REFUSED || c->s->fail == NT_CS_TIMEOUT ||
					      c->s->fail == NT_CS_CLOSED
				      ? NT_CLIENT_UNREACHABLE
				      : NT_CLIENT_FAILED;
		return nt_client_fail(c, st, err, "sending %s: %s", path, err_text[0] ? err_text : cr_err_str(err));
	}
	nt_app_msg m = { .type = NT_APP_FILE, .sent_at = nt_client_now() };
	m.file.name = (cr_span){ (const uint8_t *)name, strlen(name) };
	m.file.size = ref.size;
	memcpy(m.file.blob_id, ref.blob_id, sizeof ref.blob_id);
	memcpy(m.file.key, ref.key, sizeof ref.key);
	memcpy(m.file.sha256, ref.sha256, sizeof ref.sha256);
	char text[NT_FILE_REF_TEXT_MAX], line[NT_CLIENT_FILE_NAME_MAX + NT_FILE_REF_TEXT_MAX + 64];
	nt_file_ref_text(&ref, text);
	int ln = snprintf(line, sizeof line, "[file] %s (%llu bytes) %s", name, (unsigned long long)ref.size, text);
	nt_file_ref_wipe(&ref);
	cr_wipe(text, sizeof text);
	err = nt_client_msg_id_new(c, m.msg_id);
	if (!err)
		err = send_payload(c, gid, &m, (const uint8_t *)line, ln > 0 ? (size_t)ln : 0);
	cr_wipe(&m, sizeof m);
	cr_wipe(line, sizeof line);
	return err;
}

cr_err nt_client_get_file(nt_client *c, const char *ref_text, const char *out_path)
{
	nt_file_ref ref;
	CR_ENSURE(ref_text && nt_file_ref_parse(ref_text, &ref) == CR_OK,
		  nt_client_fail(c, NT_CLIENT_FAILED, CR_ERR_MALFORMED, "not a file reference: %.40s...",
				 ref_text ? ref_text : ""));
	CR_ENSURE(out_path && *out_path, nt_client_fail(c, NT_CLIENT_FAILED, CR_ERR_ARG, "no output path"));
	cr_err err = nt_client_need_session(c);
	char err_text[256] = "";
	file_cb fc = { c, NULL };
	if (!err && (err = nt_file_fetch(c->s, &ref, out_path, progress, &fc, err_text, sizeof err_text)) != CR_OK) {
		nt_client_status st = c->s->fail == NT_CS_SERVER && c->s->code == NT_E_NOT_FOUND ? NT_CLIENT_NOT_FOUND
				      : c->s->fail == NT_CS_REFUSED || c->s->fail == NT_CS_TIMEOUT ||
						      c->s->fail == NT_CS_CLOSED
					      ? NT_CLIENT_UNREACHABLE
					      : NT_CLIENT_FAILED;
		nt_client_fail(c, st, err, "fetching the file: %s", err_text[0] ? err_text : cr_err_str(err));
	}
	nt_file_ref_wipe(&ref);
	return err;
}

cr_err nt_client_presence(nt_client *c, void (*fn)(void *ctx, const char *user), void *ctx)
{
	CR_TRY(nt_client_need_session(c));
	cr_err err = nt_cs_presence(c->s);
	if (err)
		return nt_client_sess_fail(c, err, "presence");
	cr_reader r = c->s->resp.names;
	cr_span name;
	while (nt_cli_next_name(&r, &name) == CR_OK) {
		char u[NT_USERNAME_MAX + 1];
		snprintf(u, sizeof u, "%.*s", (int)(name.n <= NT_USERNAME_MAX ? name.n : 0), (const char *)name.p);
		fn(ctx, u);
	}
	return CR_OK;
}

typedef struct glist {
	st_client_group *rows;
	size_t n, cap;
} glist;

static st_err groups_cb(void *ctx, const st_client_group *r)
{
	glist *l = ctx;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		void *p = realloc(l->rows, cap * sizeof *l->rows);
		if (!p)
			return ST_ERR_NOMEM;
		l->rows = p;
		l->cap = cap;
	}
	l->rows[l->n++] = *r;
	return ST_OK;
}

cr_err nt_client_groups(nt_client *c, void (*fn)(void *ctx, const nt_client_group_info *g), void *ctx)
{
	glist l = { 0 };
	st_err se = st_client_group_list(c->db, groups_cb, &l);
	if (se) {
		free(l.rows);
		return nt_client_db_fail(c, se, "listing groups");
	}
	for (size_t i = 0; i < l.n; i++) {
		char gid[NT_GROUP_ID_MAX + 1], peer[NT_USERNAME_MAX + 1] = "";
		snprintf(gid, sizeof gid, "%.*s", (int)l.rows[i].id_len, (const char *)l.rows[i].id);
		nt_client_group_info gi = { .gid = gid, .role = (uint8_t)l.rows[i].role, .epoch = l.rows[i].epoch };
		mls_group *g = NULL;
		st_client_group row;
		if (nt_client_group_load(c, gid, &g, &row) == CR_OK) {
			gi.members = mls_group_member_count(g);
			for (uint32_t k = 0; nt_dm_is_dm(l.rows[i].id, l.rows[i].id_len) && k < mls_group_leaf_count(g); k++) {
				const uint8_t *id;
				size_t len;
				uint8_t key[MLS_SIG_PUB_LEN];
				if (mls_group_member(g, k, &id, &len, key) == CR_OK && len <= NT_USERNAME_MAX &&
				    (len != strlen(c->user) || memcmp(id, c->user, len) != 0))
					snprintf(peer, sizeof peer, "%.*s", (int)len, (const char *)id);
			}
			gi.peer = peer[0] ? peer : NULL;
			mls_group_free(g);
		}
		fn(ctx, &gi);
	}
	free(l.rows);
	c->status = NT_CLIENT_OK;
	c->err[0] = 0;
	return CR_OK;
}

cr_err nt_client_members(nt_client *c, const char *gid, void (*fn)(void *ctx, const nt_client_member *m), void *ctx)
{
	if (!gid || !nt_client_gid_ok(gid, true))
		return bad_gid(c, gid);
	CR_TRY(nt_client_need_session(c));
	cr_err err = nt_cs_members(c->s, gid);
	if (err)
		return nt_client_sess_fail(c, err, gid);
	cr_reader r = c->s->resp.members;
	nt_cli_member m;
	while (nt_cli_next_member(&r, &m) == CR_OK) {
		char name[NT_USERNAME_MAX + 1];
		snprintf(name, sizeof name, "%.*s", (int)(m.name.n <= NT_USERNAME_MAX ? m.name.n : 0),
			 (const char *)m.name.p);
		nt_client_member out = { .name = name, .role = m.role, .online = m.online };
		fn(ctx, &out);
	}
	return CR_OK;
}
