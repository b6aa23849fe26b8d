/*
 * svr_groups.c: the server's handlers for groups and delivery: creating
 * groups, POST with its role and routing rules, FETCH and ACK of the epoch-
 * ordered log, the group and member lists, presence, join requests, roles
 * and DM groups.
 */
#include "svr_conn_int.h"

#include <string.h>

#include "dm.h"
#include "group.h"
#include "kp_identity.h"

nt_svr_res nt_svr_handle_group_create(nt_svr_conn *c, uint32_t id, cr_reader *r)
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
	nt_svr_res rr = nt_svr_finish_tx(c, nt_svr_from_st(st_group_create(c->db, gid.p, gid.n, c->user, &g)));
	if (rr)
		return rr;
	size_t m = nt_frame_begin(&c->out, NT_GROUP_CREATE_OK);
	cr_write_u32(&c->out, id);
	nt_frame_end(&c->out, m, c->cfg->frame_max);
	return 0;
}

/* The group named by gid, with the connection's user as a member. */
static nt_svr_res member_group_role(nt_svr_conn *c, cr_span gid, st_group *g, uint64_t *acked, st_role *role)
{
	nt_svr_res rr = nt_svr_from_st(st_group_get(c->db, gid.p, gid.n, g));
	if (rr)
		return rr;
	st_err e = st_member_get(c->db, g->id, c->user, role, acked);
	return e == ST_ERR_NOT_FOUND ? NT_E_FORBIDDEN : nt_svr_from_st(e);
}

static nt_svr_res member_group(nt_svr_conn *c, cr_span gid, st_group *g, uint64_t *acked)
{
	st_role role;
	return member_group_role(c, gid, g, acked, &role);
}

/* The mailbox limit: `more` entries must fit beside those not yet
 * acknowledged by every member. */
static nt_svr_res mailbox_room(nt_svr_conn *c, int64_t group, int64_t more)
{
	uint64_t max = c->cfg->mailbox_max ? c->cfg->mailbox_max : NT_MAILBOX_MAX_DEFAULT;
	int64_t n;
	nt_svr_res rr = nt_svr_from_st(st_log_unacked(c->db, group, &n));
	if (rr)
		return rr;
	return (uint64_t)n + (uint64_t)more > max ? NT_E_LIMIT : 0;
}

/* The role rules of a commit (PROTOCOL.md "Roles, joining and leaving",
 * "Direct messages"), checked before anything is applied. */
static nt_svr_res commit_rules(nt_svr_conn *c, const st_group *g, cr_span gid, st_role role, cr_reader added,
			cr_reader removed, size_t n_added, size_t n_removed)
{
	bool privileged = role == ST_ROLE_ADMIN || role == ST_ROLE_OWNER;
	if (n_added && !privileged)
		return NT_E_FORBIDDEN;
	while (cr_reader_left(&removed)) {
		cr_span name;
		st_user u;
		bool leaving;
		if (nt_svr_read_name(&removed, &name))
			return NT_E_MALFORMED;
		nt_svr_res rr = nt_svr_from_st(st_user_get(c->db, name.p, name.n, &u));
		if (!rr)
			rr = nt_svr_from_st(st_member_leaving(c->db, g->id, u.id, &leaving));
		if (rr)
			return rr;
		/* Removing another needs the role, unless it asked to leave. */
		if (u.id != c->user && !privileged && !leaving)
			return NT_E_FORBIDDEN;
	}
	if (!g->dm || n_added == 0)
		return 0;
	int64_t members;
	nt_svr_res rr = nt_svr_from_st(st_member_count(c->db, g->id, &members));
	if (rr)
		return rr;
	if ((uint64_t)members + n_added > 2 + (uint64_t)n_removed)
		return NT_E_FORBIDDEN;
	st_user me;
	rr = nt_svr_from_st(st_user_get_id(c->db, c->user, &me));
	if (rr)
		return rr;
	/* The only member a DM group takes is the one its id names with ours. */
	while (cr_reader_left(&added)) {
		cr_span name;
		char want[NT_DM_GID_LEN + 1];
		if (nt_svr_read_name(&added, &name))
			return NT_E_MALFORMED;
		if (nt_dm_gid((const uint8_t *)me.name, strlen(me.name), name.p, name.n, want) != CR_OK ||
		    gid.n != NT_DM_GID_LEN || memcmp(want, gid.p, NT_DM_GID_LEN) != 0)
			return NT_E_FORBIDDEN;
	}
	return 0;
}

/* Applies a commit's routing header: removes, then adds at position pos. */
static nt_svr_res apply_routing(nt_svr_conn *c, int64_t group, cr_reader added, cr_reader removed,
				uint64_t pos)
{
	while (cr_reader_left(&removed)) {
		cr_span name;
		st_user u;
		if (nt_svr_read_name(&removed, &name))
			return NT_E_MALFORMED;
		nt_svr_res rr = nt_svr_from_st(st_user_get(c->db, name.p, name.n, &u));
		if (!rr)
			rr = nt_svr_from_st(st_member_remove(c->db, group, u.id));
		if (rr)
			return rr;
	}
	while (cr_reader_left(&added)) {
		cr_span name;
		st_user u;
		if (nt_svr_read_name(&added, &name))
			return NT_E_MALFORMED;
		nt_svr_res rr = nt_svr_from_st(st_user_get(c->db, name.p, name.n, &u));
		if (!rr)
			rr = nt_svr_from_st(st_member_add(c->db, group, u.id, ST_ROLE_MEMBER, pos));
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
		if (nt_svr_read_name(&v, &name) || name.n == 0) {
			*ok = false;
			return n;
		}
		n++;
	}
	return n;
}

nt_svr_res nt_svr_handle_post(nt_svr_conn *c, uint32_t id, cr_reader *r)
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
	nt_svr_res rr = member_group_role(c, gid, &g, &acked, &role);
	if (!rr)
		rr = mailbox_room(c, g.id, welcome.n ? 2 : 1);
	if (!rr && kind == NT_KIND_COMMIT)
		rr = commit_rules(c, &g, gid, role, added, removed, n_added, n_removed);
	if (!rr && kind == NT_KIND_COMMIT)
		/* RFC 9420 section 14 leaves ordering to the DS: the first
		 * commit for epoch e wins, later ones must re-sync. */
		rr = nt_svr_from_st(st_group_advance_epoch(c->db, g.id, epoch));
	if (!rr)
		rr = nt_svr_from_st(st_log_append(c->db, g.id, c->user, kind, epoch, msg.p, msg.n, &pos));
	/* A self-remove proposal of the current epoch marks its sender
	 * leaving: any member may then commit the removal. */
	if (!rr && kind == NT_KIND_PROPOSAL && epoch == g.epoch)
		rr = nt_svr_from_st(st_member_set_leaving(c->db, g.id, c->user));
	if (!rr && kind == NT_KIND_COMMIT) {
		int64_t promoted;
		rr = apply_routing(c, g.id, added, removed, pos);
		if (!rr && welcome.n)
			rr = nt_svr_from_st(st_log_append(c->db, g.id, c->user, NT_KIND_WELCOME, epoch + 1, welcome.p,
						   welcome.n, &wpos));
		/* A group keeps an owner while it has members. */
		if (!rr)
			rr = nt_svr_from_st(st_group_ensure_owner(c->db, g.id, &promoted));
	}
	/* The sender gets its answer only after the commit is durable. */
	rr = nt_svr_finish_tx(c, rr);
	if (rr)
		return rr;
	nt_svr_notify(c, g.id, gid, wpos ? wpos : pos);
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
static nt_svr_res items_send(nt_svr_conn *c, uint16_t type, cr_writer *w, size_t mark, nt_svr_res err)
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

nt_svr_res nt_svr_handle_fetch(nt_svr_conn *c, uint32_t id, cr_reader *r)
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
	nt_svr_res rr = member_group(c, gid, &g, &acked);
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
	return items_send(c, NT_MESSAGES, &w, mark, e && !(e == ST_ERR_ARG && f.full) ? nt_svr_from_st(e) : 0);
}

nt_svr_res nt_svr_handle_ack(nt_svr_conn *c, uint32_t id, cr_reader *r)
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
	nt_svr_res rr = member_group(c, gid, &g, &acked);
	if (!rr)
		rr = nt_svr_from_st(st_member_ack(c->db, g.id, c->user, pos));
	/* The prefix every member has acknowledged is deleted. */
	if (!rr)
		rr = nt_svr_from_st(st_log_prune(c->db, g.id, &deleted));
	rr = nt_svr_finish_tx(c, rr);
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
	cr_write_bool(l->w, nt_svr_online(l->c, m->user));
	l->count++;
	return ST_OK;
}

static st_err peer_item(void *ctx, int64_t id, const char *name)
{
	list_ctx *l = ctx;
	if (!nt_svr_online(l->c, id))
		return ST_OK;
	if (l->count >= l->max || !ITEM_ROOM(l->w, l->c, NT_USERNAME_MAX + 2))
		return ST_ERR_ARG;
	cr_write_opaque(l->w, (const uint8_t *)name, strlen(name));
	l->count++;
	return ST_OK;
}

/* Answers `type` with `u32 id | items<V>`, the items from list(). */
static nt_svr_res send_list(nt_svr_conn *c, uint32_t id, uint16_t type, size_t max,
		     st_err (*list)(nt_svr_conn *c, list_ctx *l, const void *arg), const void *arg)
{
	cr_writer w;
	size_t mark = items_begin(c, &w, id);
	list_ctx l = { c, &w, 0, max };
	st_err e = list(c, &l, arg);
	/* ST_ERR_ARG from an item: the frame is full, send what fits. */
	return items_send(c, type, &w, mark, e && e != ST_ERR_ARG ? nt_svr_from_st(e) : 0);
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

nt_svr_res nt_svr_handle_groups_list(nt_svr_conn *c, uint32_t id, cr_reader *r)
{
	if (cr_reader_end(r))
		return -NT_E_MALFORMED;
	return send_list(c, id, NT_GROUPS, SIZE_MAX, list_groups, NULL);
}

nt_svr_res nt_svr_handle_members(nt_svr_conn *c, uint32_t id, cr_reader *r)
{
	cr_span gid;
	if (cr_read_opaque(r, NT_GROUP_ID_MAX, &gid) || gid.n == 0 || cr_reader_end(r))
		return -NT_E_MALFORMED;
	st_group g;
	uint64_t acked;
	nt_svr_res rr = member_group(c, gid, &g, &acked);
	if (rr)
		return rr;
	return send_list(c, id, NT_MEMBER_LIST, NT_MEMBERS_MAX, list_members, &g.id);
}

nt_svr_res nt_svr_handle_presence(nt_svr_conn *c, uint32_t id, cr_reader *r)
{
	if (cr_reader_end(r))
		return -NT_E_MALFORMED;
	return send_list(c, id, NT_ONLINE, NT_ONLINE_MAX, list_peers, NULL);
}

nt_svr_res nt_svr_handle_join_request(nt_svr_conn *c, uint32_t id, cr_reader *r, int64_t now)
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
	nt_svr_res rr = nt_svr_from_st(st_user_get_id(c->db, c->user, &me));
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
	rr = nt_svr_from_st(st_group_get(c->db, gid.p, gid.n, &g));
	if (!rr && g.dm)
		rr = NT_E_FORBIDDEN;
	if (!rr) {
		st_err e = st_member_get(c->db, g.id, c->user, &role, &acked);
		rr = e == ST_OK ? NT_E_EXISTS : e == ST_ERR_NOT_FOUND ? 0 : NT_E_INTERNAL;
	}
	if (!rr)
		rr = mailbox_room(c, g.id, 1);
	if (!rr)
		rr = nt_svr_from_st(st_log_append(c->db, g.id, c->user, NT_KIND_JOIN_REQUEST, g.epoch, kp.p, kp.n, &pos));
	if (!rr)
		rr = nt_svr_from_st(st_join_request_add(c->db, g.id, c->user, pos));
	rr = nt_svr_finish_tx(c, rr);
	if (rr)
		return rr;
	nt_svr_notify(c, g.id, gid, pos);
	size_t m = nt_frame_begin(&c->out, NT_JOIN_REQUEST_OK);
	cr_write_u32(&c->out, id);
	cr_write_u64(&c->out, pos);
	nt_frame_end(&c->out, m, c->cfg->frame_max);
	return 0;
}

nt_svr_res nt_svr_handle_role_set(nt_svr_conn *c, uint32_t id, cr_reader *r)
{
	cr_span gid, name;
	uint8_t role;
	if (cr_read_opaque(r, NT_GROUP_ID_MAX, &gid) || gid.n == 0 || nt_svr_read_name(r, &name) || name.n == 0 ||
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
	nt_svr_res rr = member_group_role(c, gid, &g, &acked, &mine);
	if (!rr && mine != ST_ROLE_OWNER)
		rr = NT_E_FORBIDDEN;
	if (!rr)
		rr = nt_svr_from_st(st_user_get(c->db, name.p, name.n, &u));
	if (!rr && u.id == c->user)
		rr = NT_E_FORBIDDEN;
	if (!rr)
		rr = nt_svr_from_st(st_member_set_role(c->db, g.id, u.id, (st_role)role));
	rr = nt_svr_finish_tx(c, rr);
	if (rr)
		return rr;
	size_t m = nt_frame_begin(&c->out, NT_ROLE_SET_OK);
	cr_write_u32(&c->out, id);
	nt_frame_end(&c->out, m, c->cfg->frame_max);
	return 0;
}

nt_svr_res nt_svr_handle_dm_create(nt_svr_conn *c, uint32_t id, cr_reader *r)
{
	cr_span peer;
	if (nt_svr_read_name(r, &peer) || peer.n == 0 || cr_reader_end(r))
		return -NT_E_MALFORMED;
	st_user u, me;
	nt_svr_res rr = nt_svr_from_st(st_user_get(c->db, peer.p, peer.n, &u));
	if (!rr)
		rr = nt_svr_from_st(st_user_get_id(c->db, c->user, &me));
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
	rr = nt_svr_from_st(st_group_create(c->db, (const uint8_t *)gid, NT_DM_GID_LEN, c->user, &g));
	if (!rr)
		rr = nt_svr_from_st(st_group_mark_dm(c->db, g));
	rr = nt_svr_finish_tx(c, rr);
	if (rr)
		return rr;
	size_t m = nt_frame_begin(&c->out, NT_DM_CREATE_OK);
	cr_write_u32(&c->out, id);
	cr_write_opaque(&c->out, (const uint8_t *)gid, NT_DM_GID_LEN);
	nt_frame_end(&c->out, m, c->cfg->frame_max);
	return 0;
}
