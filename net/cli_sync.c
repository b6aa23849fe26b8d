/*
 * cli_sync.c: processing the groups' logs (net/cli_client.h, "Sync"):
 * every entry exactly once, in order, each in one transaction with the
 * sealed group state it produced; acknowledgement to the server only after
 * that transaction committed. Then the automatic duties: approving join
 * requests (admins and owners), committing pending removes, replenishing
 * KeyPackages.
 *
 * A message id is the entry's kind and the SHA-256 of its bytes, so a
 * message the server replays at another position is recognised and
 * skipped (it is recorded under a position-derived id, so that the log
 * position still moves on). An application message sent again by its
 * sender (a retry after a lost answer) has other bytes; the id inside its
 * payload, with the sender, recognises it (st_client "delivered").
 *
 * A commit or Welcome that brings in a member whose key is not the pinned
 * one is not applied: the group stops at that entry (NT_EV_KEY_CHANGED)
 * until the user accepts the key (nt_client_trust) and syncs again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app_msg.h"
#include "cli_client_int.h"
#include "cli_file.h"
#include "hash.h"
#include "leaf.h"
#include "msg_keypackage.h"
#include "msg_message.h"
#include "msg_welcome_tree.h"
#include "safety.h"
#include "st_server.h"
#include "wipe.h"

#define ID_LEN (1 + CR_SHA256_LEN)
/* Join requests one sync approves per group (more wait for the next). */
#define MAX_REQUESTS 32

typedef struct request {
	char name[NT_USERNAME_MAX + 1];
	uint8_t *kp;
	size_t kp_len;
} request;

typedef struct gsync {
	nt_client *c;
	const char *gid;
	size_t gid_len;
	mls_group *g;           /* NULL while we do not hold the group */
	st_client_role role;
	uint64_t pos;           /* last position processed (or skipped, before a Welcome) */
	int64_t own_commit_at;  /* when our leaf was last refreshed here */
	bool advanced;          /* something was recorded: acknowledge */
	bool stop;              /* stalled (key change) or left */
	request req[MAX_REQUESTS];
	size_t n_req;
} gsync;

/* --- roster helpers --- */

typedef struct roster {
	size_t n;
	char (*names)[NT_USERNAME_MAX + 1];
} roster;

static void roster_free(roster *r)
{
	free(r->names);
	r->names = NULL;
	r->n = 0;
}

static cr_err roster_of(const mls_group *g, roster *r)
{
	uint32_t n = mls_group_leaf_count(g);
	r->n = 0;
	r->names = calloc(n ? n : 1, sizeof *r->names);
	CR_ENSURE(r->names, CR_ERR_NOMEM);
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *id;
		size_t len;
		uint8_t key[MLS_SIG_PUB_LEN];
		if (mls_group_member(g, i, &id, &len, key) != CR_OK || len > NT_USERNAME_MAX)
			continue;
		snprintf(r->names[r->n++], NT_USERNAME_MAX + 1, "%.*s", (int)len, (const char *)id);
	}
	return CR_OK;
}

static bool roster_has(const roster *r, const char *name)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->names[i], name))
			return true;
	return false;
}

/* Every member's signature key against its pin (pinning the new ones). */
static cr_err check_members(nt_client *c, const mls_group *g, const char *gid)
{
	uint32_t n = mls_group_leaf_count(g);
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *id;
		size_t len;
		uint8_t key[MLS_SIG_PUB_LEN];
		cr_err e = mls_group_member(g, i, &id, &len, key);
		if (e == CR_ERR_NOT_FOUND)
			continue;
		if (e || len < NT_USERNAME_MIN || len > NT_USERNAME_MAX)
			return nt_client_fail(c, NT_CLIENT_FAILED, CR_ERR_INVALID,
					      "group %s has a member without a valid username", gid);
		CR_TRY(nt_client_check_contact(c, id, len, key, gid));
	}
	return CR_OK;
}

static void emit_diff(nt_client *c, const char *gid, const roster *before, const roster *after, uint64_t epoch)
{
	for (size_t i = 0; i < after->n; i++)
		if (!roster_has(before, after->names[i])) {
			nt_client_event ev = { .kind = NT_EV_MEMBER_ADDED, .group = gid, .peer = after->names[i],
					       .epoch = epoch };
			nt_client_emit(c, &ev);
		}
	for (size_t i = 0; i < before->n; i++)
		if (!roster_has(after, before->names[i])) {
			nt_client_event ev = { .kind = NT_EV_MEMBER_REMOVED, .group = gid,
					       .peer = before->names[i], .epoch = epoch };
			nt_client_emit(c, &ev);
		}
	nt_client_event ev = { .kind = NT_EV_EPOCH, .group = gid, .epoch = epoch };
	nt_client_emit(c, &ev);
}

static void warn(gsync *s, const char *peer, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void warn(gsync *s, const char *peer, const char *fmt, ...)
{
	char text[300];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	nt_client_event ev = { .kind = NT_EV_WARNING, .group = s->gid, .peer = peer, .text = text };
	nt_client_emit(s->c, &ev);
}

/* --- recording --- */

static void entry_id(uint8_t id[ID_LEN], const nt_cli_entry *e)
{
	id[0] = e->kind;
	cr_sha256(id + 1, e->message.p, e->message.n);
}

/* Records entry e as processed, with the new state of s->g when changed
 * and a history line when sender is set. */
static cr_err record_app(gsync *s, const nt_cli_entry *e, const uint8_t *id, size_t id_len, bool changed,
			 const char *sender, const uint8_t *app_id, const uint8_t *body, size_t body_len,
			 int64_t sent_at)
{
	nt_client *c = s->c;
	uint8_t *sealed = NULL;
	size_t sealed_len = 0;
	if (changed)
		CR_TRY(nt_client_group_seal(c, s->gid, s->g, &sealed, &sealed_len));
	st_client_incoming in = {
		.gid = (const uint8_t *)s->gid, .gid_len = s->gid_len, .msg_id = id, .msg_id_len = id_len,
		.log_pos = e->position, .state = sealed, .state_len = sealed_len,
		.epoch = changed ? mls_group_epoch(s->g) : 0, .sender = (const uint8_t *)sender,
		.sender_len = sender ? strlen(sender) : 0, .app_id = sender ? app_id : NULL,
		.app_id_len = sender && app_id ? NT_APP_MSG_ID_LEN : 0, .body = body, .body_len = body_len,
		.sent_at = sent_at, .received_at = nt_client_now(),
	};
	st_err se = st_client_process(c->db, &in);
	if (sealed)
		st_client_free(sealed, sealed_len);
	if (se)
		return nt_client_db_fail(c, se, "recording a message");
	s->pos = e->position;
	s->advanced = true;
	return CR_OK;
}

static cr_err record(gsync *s, const nt_cli_entry *e, const uint8_t *id, size_t id_len, bool changed,
		     const char *sender, const uint8_t *body, size_t body_len, int64_t sent_at)
{
	return record_app(s, e, id, id_len, changed, sender, NULL, body, body_len, sent_at);
}

static cr_err record_nothing(gsync *s, const nt_cli_entry *e, const uint8_t *id)
{
	return record(s, e, id, ID_LEN, false, NULL, NULL, 0, 0);
}

/* --- entries --- */

static cr_err on_welcome(gsync *s, const nt_cli_entry *e, const uint8_t *id)
{
	nt_client *c = s->c;
	if (s->g)
		return record_nothing(s, e, id); /* others' Welcome */
	s->pos = e->position;
	/* A Welcome with its ratchet tree beside it (what this client sends),
	 * or a bare Welcome whose GroupInfo carries the tree. */
	mls_welcome_tree wt = { .welcome = { e->message.p, e->message.n }, .ratchet_tree = { NULL, 0 } };
	if (mls_welcome_tree_decode(e->message.p, e->message.n, &wt) != CR_OK)
		wt = (mls_welcome_tree){ .welcome = { e->message.p, e->message.n }, .ratchet_tree = { NULL, 0 } };
	mls_message m;
	if (mls_message_decode(wt.welcome.p, wt.welcome.n, &m) != CR_OK || m.wire_format != MLS_WIRE_WELCOME)
		return CR_OK;
	cr_reader it;
	cr_reader_init(&it, m.u.welcome.secrets.body.p, m.u.welcome.secrets.body.n);
	mls_encrypted_group_secrets egs;
	for (size_t k = 0; k < MLS_MAX_WELCOME_SECRETS && mls_welcome_secrets_next(&it, &egs) == CR_OK; k++) {
		uint8_t *kp = NULL;
		size_t kp_len = 0;
		mls_kp_secrets sec;
		bool last_resort = false;
		cr_err err = nt_client_kp_open(c, egs.new_member.p, egs.new_member.n, &kp, &kp_len, &sec, &last_resort);
		if (err == CR_ERR_NOT_FOUND)
			continue;
		if (err)
			return err;
		mls_group *g = NULL;
		err = mls_group_join_ex(&g, wt.welcome.p, wt.welcome.n, kp, kp_len, &sec, c->id.seed, wt.ratchet_tree.p,
					wt.ratchet_tree.n, NULL, 0);
		mls_kp_secrets_wipe(&sec);
		if (err) {
			free(kp);
			warn(s, NULL, "a Welcome to %s did not verify (%s): ignored", s->gid, cr_err_str(err));
			return CR_OK;
		}
		if ((err = check_members(c, g, s->gid)) != CR_OK) {
			free(kp);
			mls_group_free(g);
			s->stop = true;
			return CR_OK;
		}
		uint8_t ref[MLS_NH];
		memcpy(ref, egs.new_member.p, MLS_NH);
		free(kp);
		uint8_t *sealed = NULL;
		size_t sealed_len = 0;
		if ((err = nt_client_group_seal(c, s->gid, g, &sealed, &sealed_len)) != CR_OK) {
			mls_group_free(g);
			return err;
		}
		st_err se = st_client_begin(c->db);
		if (!se)
			se = st_client_group_add(c->db, (const uint8_t *)s->gid, s->gid_len, sealed, sealed_len,
						 mls_group_epoch(g), ST_CLIENT_ROLE_MEMBER, e->position);
		/* RFC 9420 section 16.8: a one-time KeyPackage is used once; the
		 * server's count of ours went down with it (for a join request's,
		 * which the server never held, the estimate is low by one until the
		 * next upload's answer: that only brings an upload forward). */
		if (!se && !last_resort)
			se = st_client_kp_remove(c->db, ref, sizeof ref);
		int64_t left = -1;
		if (!se && !last_resort && (se = st_client_kp_server_left_get(c->db, &left)) == ST_OK && left > 0)
			se = st_client_kp_server_left_set(c->db, left - 1);
		/* Our leaf is fresh: it comes from the KeyPackage. */
		if (!se)
			se = st_client_group_set_own_commit(c->db, (const uint8_t *)s->gid, s->gid_len, nt_client_now());
		if (!se)
			se = st_client_commit(c->db);
		st_client_free(sealed, sealed_len);
		if (se) {
			st_client_rollback(c->db);
			mls_group_free(g);
			return nt_client_db_fail(c, se, "storing a joined group");
		}
		s->g = g;
		s->role = ST_CLIENT_ROLE_MEMBER;
		s->own_commit_at = nt_client_now();
		s->advanced = true;
		nt_client_event ev = { .kind = NT_EV_JOINED, .group = s->gid, .epoch = mls_group_epoch(g) };
		nt_client_emit(c, &ev);
		return CR_OK;
	}
	return CR_OK;
}

static cr_err reload(gsync *s)
{
	mls_group_free(s->g);
	s->g = NULL;
	st_client_group row;
	CR_TRY(nt_client_group_load(s->c, s->gid, &s->g, &row));
	return CR_OK;
}

static cr_err on_handshake(gsync *s, const nt_cli_entry *e, const uint8_t *id)
{
	nt_client *c = s->c;
	if (e->epoch != mls_group_epoch(s->g))
		return record_nothing(s, e, id); /* our own commit (applied on acceptance), or stale */
	roster before = { 0 }, after = { 0 };
	CR_TRY(roster_of(s->g, &before));
	mls_processed what;
	cr_err err = mls_group_process(s->g, e->message.p, e->message.n, &what);
	if (err) {
		roster_free(&before);
		if (err != CR_ERR_STATE)
			warn(s, NULL, "a handshake message in %s did not verify (%s): dropped", s->gid, cr_err_str(err));
		return record_nothing(s, e, id);
	}
	if (what == MLS_PROCESSED_REMOVED) {
		roster_free(&before);
		st_err se = st_client_begin(c->db);
		if (se)
			return nt_client_db_fail(c, se, "starting a transaction");
		if ((err = record_nothing(s, e, id)) != CR_OK) {
			st_client_rollback(c->db);
			return err;
		}
		se = st_client_group_remove(c->db, (const uint8_t *)s->gid, s->gid_len);
		if (!se)
			se = st_client_commit(c->db);
		if (se) {
			st_client_rollback(c->db);
			return nt_client_db_fail(c, se, "forgetting a group");
		}
		mls_group_free(s->g);
		s->g = NULL;
		s->stop = true;
		nt_client_event ev = { .kind = NT_EV_LEFT, .group = s->gid, .epoch = e->epoch + 1 };
		nt_client_emit(c, &ev);
		return CR_OK;
	}
	if (what == MLS_PROCESSED_COMMIT && (err = check_members(c, s->g, s->gid)) != CR_OK) {
		roster_free(&before);
		s->stop = true;
		return reload(s);
	}
	err = record(s, e, id, ID_LEN, true, NULL, NULL, 0, 0);
	if (!err && what == MLS_PROCESSED_COMMIT && (err = roster_of(s->g, &after)) == CR_OK)
		emit_diff(c, s->gid, &before, &after, mls_group_epoch(s->g));
	roster_free(&before);
	roster_free(&after);
	return err;
}

static void file_ref_text(char out[NT_FILE_REF_TEXT_MAX], const nt_app_file *f)
{
	nt_file_ref r = { .size = f->size };
	memcpy(r.blob_id, f->blob_id, sizeof r.blob_id);
	memcpy(r.key, f->key, sizeof r.key);
	memcpy(r.sha256, f->sha256, sizeof r.sha256);
	nt_file_ref_text(&r, out);
	nt_file_ref_wipe(&r);
}

/* Shows m to the user unless sender's message of that id was delivered
 * already (a retry, encrypted again: other bytes, same id), which is
 * recorded as processed (its key is spent) and shown to no one. Check and
 * record run in one transaction. */
static cr_err deliver(gsync *s, const nt_cli_entry *e, const uint8_t *id, const char *sender, const nt_app_msg *m)
{
	nt_client *c = s->c;
	uint64_t pos = s->pos;
	st_err se = st_client_begin(c->db);
	if (se)
		return nt_client_db_fail(c, se, "starting a transaction");
	bool seen = false;
	se = st_client_delivered_has(c->db, (const uint8_t *)s->gid, s->gid_len, (const uint8_t *)sender,
				     strlen(sender), m->msg_id, sizeof m->msg_id, &seen);
	if (se) {
		st_client_rollback(c->db);
		return nt_client_db_fail(c, se, "checking delivered messages");
	}
	nt_client_file f = { .size = m->file.size };
	char line[NT_CLIENT_FILE_NAME_MAX + 200];
	const uint8_t *body = m->text.p;
	size_t body_len = m->text.n;
	if (m->type == NT_APP_FILE) {
		snprintf(f.name, sizeof f.name, "%.*s", (int)m->file.name.n, (const char *)m->file.name.p);
		file_ref_text(f.ref, &m->file);
		int n = snprintf(line, sizeof line, "[file] %s (%llu bytes) %s", f.name, (unsigned long long)f.size, f.ref);
		body = (const uint8_t *)line;
		body_len = n > 0 ? (size_t)n : 0;
	}
	cr_err err = seen ? record(s, e, id, ID_LEN, true, NULL, NULL, 0, 0)
			  : record_app(s, e, id, ID_LEN, true, sender, m->msg_id, body, body_len, m->sent_at);
	if (!err && (se = st_client_commit(c->db)) != ST_OK)
		err = nt_client_db_fail(c, se, "recording a message");
	if (err) {
		st_client_rollback(c->db);
		s->pos = pos; /* nothing of it was stored */
	} else if (!seen) {
		nt_client_event ev = { .kind = m->type == NT_APP_FILE ? NT_EV_FILE : NT_EV_MESSAGE, .group = s->gid,
				       .peer = sender, .epoch = mls_group_epoch(s->g), .sent_at = m->sent_at };
		if (m->type == NT_APP_FILE)
			ev.file = &f;
		else
			ev.body = m->text.p, ev.body_len = m->text.n;
		nt_client_emit(c, &ev);
	}
	cr_wipe(&f, sizeof f);
	cr_wipe(line, sizeof line);
	return err;
}

static cr_err on_application(gsync *s, const nt_cli_entry *e, const uint8_t *id)
{
	nt_client *c = s->c;
	if (e->sender.n == strlen(c->user) && memcmp(e->sender.p, c->user, e->sender.n) == 0)
		return record_nothing(s, e, id); /* our own, in the history since it was sent */
	uint8_t *pt = NULL;
	size_t pt_len = 0;
	uint32_t leaf;
	cr_err err = mls_group_decrypt(s->g, e->message.p, e->message.n, &pt, &pt_len, &leaf);
	if (err) {
		warn(s, NULL, "a message in %s could not be decrypted (%s): dropped", s->gid, cr_err_str(err));
		return record_nothing(s, e, id);
	}
	char sender[NT_USERNAME_MAX + 1] = "";
	const uint8_t *who;
	size_t who_len;
	uint8_t key[MLS_SIG_PUB_LEN];
	if (mls_group_member(s->g, leaf, &who, &who_len, key) == CR_OK && who_len <= NT_USERNAME_MAX)
		snprintf(sender, sizeof sender, "%.*s", (int)who_len, (const char *)who);
	nt_app_msg m;
	if (!sender[0] || nt_app_msg_decode(pt, pt_len, &m) != CR_OK) {
		warn(s, sender[0] ? sender : NULL, "an undecodable message in %s: dropped", s->gid);
		err = record(s, e, id, ID_LEN, true, NULL, NULL, 0, 0);
	} else {
		err = deliver(s, e, id, sender, &m);
	}
	cr_wipe(pt, pt_len);
	free(pt);
	return err;
}

static cr_err on_join_request(gsync *s, const nt_cli_entry *e, const uint8_t *id)
{
	if (s->role >= ST_CLIENT_ROLE_ADMIN && s->n_req < MAX_REQUESTS && e->sender.n >= NT_USERNAME_MIN &&
	    e->sender.n <= NT_USERNAME_MAX && e->message.n <= NT_KP_MAX) {
		request *r = &s->req[s->n_req];
		r->kp = malloc(e->message.n ? e->message.n : 1);
		CR_ENSURE(r->kp, CR_ERR_NOMEM);
		memcpy(r->kp, e->message.p, e->message.n);
		r->kp_len = e->message.n;
		snprintf(r->name, sizeof r->name, "%.*s", (int)e->sender.n, (const char *)e->sender.p);
		s->n_req++;
	}
	char peer[NT_USERNAME_MAX + 1];
	snprintf(peer, sizeof peer, "%.*s", (int)(e->sender.n <= NT_USERNAME_MAX ? e->sender.n : 0),
		 (const char *)e->sender.p);
	nt_client_event ev = { .kind = NT_EV_JOIN_REQUEST, .group = s->gid, .peer = peer };
	nt_client_emit(s->c, &ev);
	return record_nothing(s, e, id);
}

static cr_err on_entry(gsync *s, const nt_cli_entry *e)
{
	if (e->position <= s->pos)
		return CR_OK; /* the server never reorders; an old position is a replay */
	uint8_t id[ID_LEN];
	entry_id(id, e);
	if (!s->g)
		return e->kind == NT_KIND_WELCOME ? on_welcome(s, e, id) : (s->pos = e->position, CR_OK);
	bool seen = false;
	st_err se = st_client_processed_has(s->c->db, (const uint8_t *)s->gid, s->gid_len, id, sizeof id, &seen);
	if (se)
		return nt_client_db_fail(s->c, se, "checking processed messages");
	if (seen) {
		/* A replay at a new position: skipped, under an id of its position. */
		uint8_t dup[1 + 8] = { 0xff };
		for (int i = 0; i < 8; i++)
			dup[1 + i] = (uint8_t)(e->position >> (56 - 8 * i));
		return record(s, e, dup, sizeof dup, false, NULL, NULL, 0, 0);
	}
	switch (e->kind) {
	case NT_KIND_WELCOME: return on_welcome(s, e, id);
	case NT_KIND_COMMIT:
	case NT_KIND_PROPOSAL: return on_handshake(s, e, id);
	case NT_KIND_APPLICATION: return on_application(s, e, id);
	case NT_KIND_JOIN_REQUEST: return on_join_request(s, e, id);
	default: return record_nothing(s, e, id);
	}
}

/* The server no longer lets us read the group: the commit that removed
 * us is beyond our reach (the server drops a removed member in the same
 * transaction). A lying server can only deny us the group, which it can
 * anyway; nothing it says here reaches the MLS state. */
static cr_err removed_by_server(gsync *s)
{
	st_err se = st_client_group_remove(s->c->db, (const uint8_t *)s->gid, s->gid_len);
	if (se && se != ST_ERR_NOT_FOUND)
		return nt_client_db_fail(s->c, se, "forgetting a group");
	mls_group_free(s->g);
	s->g = NULL;
	s->stop = true;
	nt_client_event ev = { .kind = NT_EV_LEFT, .group = s->gid };
	nt_client_emit(s->c, &ev);
	return CR_OK;
}

/* The log of one group, from our position on; acknowledges what was recorded. */
static cr_err sync_log(nt_client *c, gsync *s)
{
	CR_TRY(nt_client_need_session(c));
	st_client_group row;
	cr_err err = nt_client_group_load(c, s->gid, &s->g, &row);
	if (err == CR_ERR_NOT_FOUND) {
		c->status = NT_CLIENT_OK;
		c->err[0] = 0;
		s->g = NULL;
		s->pos = 0;
	} else if (err) {
		return err;
	} else {
		s->role = row.role;
		s->pos = row.log_pos;
		s->own_commit_at = row.own_commit_at;
	}
	uint64_t start = s->pos;
	for (int round = 0; round < NT_CLIENT_FETCH_ROUNDS && !s->stop; round++) {
		err = nt_cs_fetch(c->s, s->gid, s->pos, NT_FETCH_MAX);
		if (err) {
			bool gone = c->s->fail == NT_CS_SERVER &&
				    (c->s->code == NT_E_FORBIDDEN || c->s->code == NT_E_NOT_FOUND);
			if (gone) /* not (yet, or any more) a member, or no such group */
				return s->g ? removed_by_server(s) : CR_OK;
			return nt_client_sess_fail(c, err, s->gid);
		}
		if (c->s->resp.n_entries == 0)
			break;
		/* The response is borrowed from the session: copy it before any
		 * further request (KeyPackage lookups make none, commits come after). */
		size_t n = c->s->resp.entries.n;
		uint8_t *copy = malloc(n ? n : 1);
		CR_ENSURE(copy, CR_ERR_NOMEM);
		memcpy(copy, c->s->resp.entries.p, n);
		cr_reader entries;
		cr_reader_init(&entries, copy, n);
		entries.off = c->s->resp.entries.off;
		uint64_t before = s->pos;
		nt_cli_entry e;
		while (!err && !s->stop && nt_cli_next_entry(&entries, &e) == CR_OK)
			err = on_entry(s, &e);
		cr_wipe(copy, n);
		free(copy);
		CR_TRY(err);
		if (s->pos == before)
			break;
	}
	if (s->advanced && s->g && s->pos > start) {
		err = nt_cs_ack(c->s, s->gid, s->pos);
		if (err)
			return nt_client_sess_fail(c, err, "acknowledging");
	}
	return CR_OK;
}

static void gsync_free(gsync *s)
{
	mls_group_free(s->g);
	for (size_t i = 0; i < s->n_req; i++)
		free(s->req[i].kp);
}

/* Approves a join request: the KeyPackage valid, its credential the
 * requester, its key the directory's and the pinned one. */
static bool request_ok(nt_client *c, const char *gid, const request *r)
{
	if (mls_keypackage_validate(r->kp, r->kp_len, (uint64_t)nt_client_now()) != CR_OK)
		return false;
	mls_key_package kp;
	mls_leaf_node leaf;
	cr_reader lr;
	if (mls_key_package_decode(r->kp, r->kp_len, &kp) != CR_OK)
		return false;
	cr_reader_init(&lr, kp.leaf_node.p, kp.leaf_node.n);
	if (mls_leaf_decode(&lr, &leaf) != CR_OK)
		return false;
	bool ok = leaf.credential_type == MLS_CRED_BASIC && leaf.credential.n == strlen(r->name) &&
		  memcmp(leaf.credential.p, r->name, leaf.credential.n) == 0;
	uint8_t key[CR_ED25519_PUB_LEN];
	ok = ok && nt_client_directory_key(c, r->name, key) == CR_OK &&
	     memcmp(key, leaf.signature_key, sizeof key) == 0 &&
	     nt_client_check_contact(c, (const uint8_t *)r->name, strlen(r->name), key, gid) == CR_OK;
	mls_leaf_free(&leaf);
	return ok;
}

cr_err nt_client_sync_one(nt_client *c, const char *gid)
{
	gsync s = { .c = c, .gid = gid, .gid_len = strlen(gid) };
	cr_err err = sync_log(c, &s);
	bool held = s.g != NULL;
	uint32_t own = held ? mls_group_own_leaf(s.g) : 0, props[64];
	size_t n_props = held ? mls_group_remove_proposals(s.g, props, 64) : 0;
	bool leaving = false;
	for (size_t i = 0; i < n_props && i < 64; i++)
		leaving |= props[i] == own;
	/* Alone in a group, a refresh protects nothing. */
	bool stale = held && !leaving && mls_group_member_count(s.g) > 1 &&
		     nt_client_now() - s.own_commit_at >= c->update_after_s;
	mls_group_free(s.g);
	s.g = NULL;
	if (err || !held || c->in_sync) {
		gsync_free(&s);
		return err;
	}
	c->in_sync = true;
	const uint8_t *adds[MAX_REQUESTS];
	size_t lens[MAX_REQUESTS], n = 0;
	const char *names[MAX_REQUESTS];
	for (size_t i = 0; i < s.n_req; i++) {
		if (request_ok(c, gid, &s.req[i])) {
			adds[n] = s.req[i].kp, lens[n] = s.req[i].kp_len, names[n] = s.req[i].name;
			n++;
		} else {
			warn(&s, s.req[i].name, "a join request to %s from %s was refused: its key is not theirs",
			     gid, s.req[i].name);
		}
	}
	c->status = NT_CLIENT_OK;
	/* Any commit of ours carries a path, so it also refreshes our leaf. */
	if ((n || (n_props && !leaving) || stale) &&
	    (err = nt_client_commit(c, gid, adds, lens, names, n, NULL, 0)) != CR_OK)
		warn(&s, NULL, "could not commit in %s: %s", gid, c->err);
	c->in_sync = false;
	gsync_free(&s);
	/* A duty that failed is retried on the next sync; the log is processed. */
	return nt_client_status_of(c) == NT_CLIENT_UNREACHABLE ? err : CR_OK;
}

typedef struct gid_list {
	char (*ids)[NT_GROUP_ID_MAX + 1];
	size_t n, cap;
} gid_list;

static st_err list_cb(void *ctx, const st_client_group *g)
{
	gid_list *l = ctx;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		void *p = realloc(l->ids, cap * sizeof *l->ids);
		if (!p)
			return ST_ERR_NOMEM;
		l->ids = p;
		l->cap = cap;
	}
	snprintf(l->ids[l->n++], NT_GROUP_ID_MAX + 1, "%.*s", (int)g->id_len, (const char *)g->id);
	return ST_OK;
}

static bool listed(const gid_list *l, const char *gid)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->ids[i], gid))
			return true;
	return false;
}

static cr_err add_gid(gid_list *l, const char *gid)
{
	if (listed(l, gid))
		return CR_OK;
	st_client_group g = { .id_len = strlen(gid) };
	memcpy(g.id, gid, g.id_len);
	return list_cb(l, &g) == ST_OK ? CR_OK : CR_ERR_NOMEM;
}

/* GROUPS_LIST: the groups the server counts us in, with our role; a group
 * we do not hold yet is one we were added to (its Welcome waits). */
static cr_err server_groups(nt_client *c, gid_list *l)
{
	cr_err err = nt_cs_groups_list(c->s);
	if (err)
		return nt_client_sess_fail(c, err, "listing groups");
	/* Copied first: the calls below reuse the session's response. */
	size_t n = c->s->resp.groups.n;
	uint8_t *copy = malloc(n ? n : 1);
	CR_ENSURE(copy, CR_ERR_NOMEM);
	memcpy(copy, c->s->resp.groups.p, n);
	cr_reader r;
	cr_reader_init(&r, copy, n);
	r.off = c->s->resp.groups.off;
	nt_cli_group g;
	while (!err && nt_cli_next_group(&r, &g) == CR_OK) {
		char gid[NT_GROUP_ID_MAX + 1];
		snprintf(gid, sizeof gid, "%.*s", (int)g.gid.n, (const char *)g.gid.p);
		st_err se = st_client_group_set_role(c->db, g.gid.p, g.gid.n, (st_client_role)g.role);
		if (se && se != ST_ERR_NOT_FOUND)
			err = nt_client_db_fail(c, se, "storing a role");
		else
			err = add_gid(l, gid);
	}
	free(copy);
	return err;
}

cr_err nt_client_sync(nt_client *c)
{
	CR_TRY(nt_client_need_session(c));
	c->status = NT_CLIENT_OK;
	c->err[0] = 0;
	/* The groups we hold (one the server dropped us from ends with
	 * NT_EV_LEFT), and those the server lists. */
	gid_list l = { 0 };
	st_err se = st_client_group_list(c->db, list_cb, &l);
	cr_err err = se ? nt_client_db_fail(c, se, "listing groups") : server_groups(c, &l);
	for (size_t i = 0; !err && i < l.n; i++)
		err = nt_client_sync_one(c, l.ids[i]);
	free(l.ids);
	CR_TRY(err);
	c->s->notify_overflow = false;
	return nt_client_kp_replenish(c);
}

cr_err nt_client_sync_group(nt_client *c, const char *gid)
{
	CR_ENSURE(gid && nt_client_gid_ok(gid, true),
		  nt_client_fail(c, NT_CLIENT_FAILED, CR_ERR_ARG, "not a group id: %s", gid ? gid : ""));
	CR_TRY(nt_client_need_session(c));
	c->status = NT_CLIENT_OK;
	c->err[0] = 0;
	CR_TRY(nt_client_sync_one(c, gid));
	return nt_client_kp_replenish(c);
}

typedef struct counter {
	void (*fn)(void *ctx, const nt_client_event *ev);
	void *ctx;
	unsigned n;
} counter;

static void count_event(void *ctx, const nt_client_event *ev)
{
	counter *k = ctx;
	if (ev->kind != NT_EV_PROGRESS && ev->kind != NT_EV_EPOCH)
		k->n++;
	if (k->fn)
		k->fn(k->ctx, ev);
}

static cr_err sync_notified(nt_client *c)
{
	if (c->s->notify_overflow)
		return nt_client_sync(c);
	nt_cs_notify n;
	gid_list l = { 0 };
	cr_err err = CR_OK;
	while (!err && nt_cs_take_notify(c->s, &n))
		err = add_gid(&l, n.gid);
	for (size_t i = 0; !err && i < l.n; i++)
		err = nt_client_gid_ok(l.ids[i], true) ? nt_client_sync_one(c, l.ids[i]) : CR_OK;
	free(l.ids);
	CR_TRY(err);
	return nt_client_kp_replenish(c);
}

cr_err nt_client_wait(nt_client *c, int timeout_ms, bool *got)
{
	*got = false;
	CR_TRY(nt_client_need_session(c));
	bool notified = false;
	cr_err err = nt_cs_wait_notify(c->s, timeout_ms, &notified);
	if (err)
		return nt_client_sess_fail(c, err, "waiting for the server");
	if (!notified)
		return CR_OK;
	counter k = { c->on_event, c->ctx, 0 };
	c->on_event = count_event;
	c->ctx = &k;
	err = sync_notified(c);
	c->on_event = k.fn;
	c->ctx = k.ctx;
	*got = k.n > 0;
	return err;
}
