/*
 * cli_conn.c: request builders and response decoders of the client
 * protocol engine (net/cli_conn.h; frames in net/PROTOCOL.md).
 */
#include <string.h>

#include "cli_conn.h"
#include "ed25519.h"
#include "svr_conn.h"
#include "wipe.h"

void nt_cli_conn_init(nt_cli_conn *c, uint32_t max)
{
	memset(c, 0, sizeof *c);
	nt_parser_init(&c->parser, max);
	c->next_id = 1;
}

void nt_cli_conn_free(nt_cli_conn *c)
{
	nt_parser_free(&c->parser);
	cr_wipe(c->exporter, sizeof c->exporter);
}

void nt_cli_bind(nt_cli_conn *c, const uint8_t exporter[NT_EXPORTER_LEN], const uint8_t pin[NT_PIN_LEN])
{
	memcpy(c->exporter, exporter, NT_EXPORTER_LEN);
	memcpy(c->pin, pin, NT_PIN_LEN);
	c->bound = true;
}

static uint32_t take_id(nt_cli_conn *c)
{
	uint32_t id = c->next_id++;
	if (c->next_id == 0)
		c->next_id = 1;
	return id;
}

static size_t begin(nt_cli_conn *c, cr_writer *w, uint16_t type, uint32_t *id)
{
	size_t m = nt_frame_begin(w, type);
	*id = take_id(c);
	cr_write_u32(w, *id);
	return m;
}

/* The frame limit requests are held to: the server's, once known. */
static uint32_t limit(const nt_cli_conn *c)
{
	return c->have_hello ? c->hello.frame_max : NT_FRAME_MAX_DEFAULT;
}

static void str(cr_writer *w, const char *s)
{
	cr_write_opaque(w, (const uint8_t *)s, s ? strlen(s) : 0);
}

uint32_t nt_cli_hello(nt_cli_conn *c, cr_writer *w)
{
	uint32_t id = take_id(c);
	nt_hello h = { .id = id, .min_version = NT_PROTO_VERSION, .max_version = NT_PROTO_VERSION };
	h.software = (cr_span){ (const uint8_t *)"echover", 7 };
	size_t m = nt_frame_begin(w, NT_HELLO);
	nt_write_hello(w, &h);
	nt_frame_end(w, m, limit(c));
	return id;
}

static cr_err sign(const nt_cli_conn *c, const char *label, const char *user, const uint8_t seed[32],
		   uint8_t sig[64])
{
	if (!c->have_hello || !c->bound)
		return CR_ERR_STATE;
	uint8_t buf[256];
	cr_writer w;
	cr_writer_init_fixed(&w, buf, sizeof buf);
	nt_auth_message(&w, label, (const uint8_t *)user, strlen(user), c->hello.nonce, c->exporter, c->pin);
	cr_err e = cr_writer_error(&w);
	if (!e)
		e = cr_ed25519_sign(sig, seed, buf, w.len);
	cr_wipe(buf, sizeof buf);
	return e;
}

cr_err nt_cli_register(nt_cli_conn *c, cr_writer *w, const char *user, const char *password,
		       const uint8_t identity_seed[32], const char *invite, uint32_t *id)
{
	uint8_t sig[64], pub[32];
	CR_TRY(cr_ed25519_public(pub, identity_seed));
	CR_TRY(sign(c, NT_LABEL_REGISTER, user, identity_seed, sig));
	size_t m = begin(c, w, NT_REGISTER, id);
	str(w, user);
	str(w, password);
	cr_write_opaque(w, pub, sizeof pub);
	str(w, invite);
	cr_write_opaque(w, sig, sizeof sig);
	nt_frame_end(w, m, limit(c));
	return CR_OK;
}

cr_err nt_cli_login(nt_cli_conn *c, cr_writer *w, const char *user, const char *password,
		    const uint8_t identity_seed[32], uint32_t *id)
{
	uint8_t sig[64];
	CR_TRY(sign(c, NT_LABEL_LOGIN, user, identity_seed, sig));
	size_t m = begin(c, w, NT_LOGIN, id);
	str(w, user);
	str(w, password);
	cr_write_opaque(w, sig, sizeof sig);
	nt_frame_end(w, m, limit(c));
	return CR_OK;
}

uint32_t nt_cli_kp_upload(nt_cli_conn *c, cr_writer *w, bool last_resort, const cr_span *kps, size_t n)
{
	uint32_t id;
	size_t m = begin(c, w, NT_KP_UPLOAD, &id);
	cr_write_bool(w, last_resort);
	size_t v = cr_write_vector_begin(w);
	for (size_t i = 0; i < n; i++)
		cr_write_opaque(w, kps[i].p, kps[i].n);
	cr_write_vector_end(w, v);
	nt_frame_end(w, m, limit(c));
	return id;
}

static uint32_t name_req(nt_cli_conn *c, cr_writer *w, uint16_t type, const char *user)
{
	uint32_t id;
	size_t m = begin(c, w, type, &id);
	str(w, user);
	nt_frame_end(w, m, limit(c));
	return id;
}

uint32_t nt_cli_kp_fetch(nt_cli_conn *c, cr_writer *w, const char *user)
{
	return name_req(c, w, NT_KP_FETCH, user);
}

uint32_t nt_cli_identity_fetch(nt_cli_conn *c, cr_writer *w, const char *user)
{
	return name_req(c, w, NT_IDENTITY_FETCH, user);
}

uint32_t nt_cli_group_create(nt_cli_conn *c, cr_writer *w, const uint8_t *gid, size_t gid_len)
{
	uint32_t id;
	size_t m = begin(c, w, NT_GROUP_CREATE, &id);
	cr_write_opaque(w, gid, gid_len);
	nt_frame_end(w, m, limit(c));
	return id;
}

static void names(cr_writer *w, const char *const *v, size_t n)
{
	size_t mark = cr_write_vector_begin(w);
	for (size_t i = 0; i < n; i++)
		str(w, v[i]);
	cr_write_vector_end(w, mark);
}

uint32_t nt_cli_post_msg(nt_cli_conn *c, cr_writer *w, const nt_cli_post *p)
{
	uint32_t id;
	size_t m = begin(c, w, NT_POST, &id);
	cr_write_opaque(w, p->gid, p->gid_len);
	cr_write_u8(w, p->kind);
	cr_write_u64(w, p->epoch);
	names(w, p->added, p->n_added);
	names(w, p->removed, p->n_removed);
	cr_write_opaque(w, p->message.p, p->message.n);
	cr_write_opaque(w, p->welcome.p, p->welcome.n);
	nt_frame_end(w, m, limit(c));
	return id;
}

uint32_t nt_cli_fetch(nt_cli_conn *c, cr_writer *w, const uint8_t *gid, size_t gid_len, uint64_t after,
		      uint32_t max)
{
	uint32_t id;
	size_t m = begin(c, w, NT_FETCH, &id);
	cr_write_opaque(w, gid, gid_len);
	cr_write_u64(w, after);
	cr_write_u32(w, max);
	nt_frame_end(w, m, limit(c));
	return id;
}

uint32_t nt_cli_ack(nt_cli_conn *c, cr_writer *w, const uint8_t *gid, size_t gid_len, uint64_t position)
{
	uint32_t id;
	size_t m = begin(c, w, NT_ACK, &id);
	cr_write_opaque(w, gid, gid_len);
	cr_write_u64(w, position);
	nt_frame_end(w, m, limit(c));
	return id;
}

static uint32_t gid_req(nt_cli_conn *c, cr_writer *w, uint16_t type, const uint8_t *gid, size_t gid_len)
{
	uint32_t id;
	size_t m = begin(c, w, type, &id);
	cr_write_opaque(w, gid, gid_len);
	nt_frame_end(w, m, limit(c));
	return id;
}

static uint32_t bare_req(nt_cli_conn *c, cr_writer *w, uint16_t type)
{
	uint32_t id;
	size_t m = begin(c, w, type, &id);
	nt_frame_end(w, m, limit(c));
	return id;
}

uint32_t nt_cli_groups_list(nt_cli_conn *c, cr_writer *w)
{
	return bare_req(c, w, NT_GROUPS_LIST);
}

uint32_t nt_cli_members(nt_cli_conn *c, cr_writer *w, const uint8_t *gid, size_t gid_len)
{
	return gid_req(c, w, NT_MEMBERS, gid, gid_len);
}

uint32_t nt_cli_join_request(nt_cli_conn *c, cr_writer *w, const uint8_t *gid, size_t gid_len, const uint8_t *kp,
			     size_t kp_len)
{
	uint32_t id;
	size_t m = begin(c, w, NT_JOIN_REQUEST, &id);
	cr_write_opaque(w, gid, gid_len);
	cr_write_opaque(w, kp, kp_len);
	nt_frame_end(w, m, limit(c));
	return id;
}

uint32_t nt_cli_role_set(nt_cli_conn *c, cr_writer *w, const uint8_t *gid, size_t gid_len, const char *user,
			 uint8_t role)
{
	uint32_t id;
	size_t m = begin(c, w, NT_ROLE_SET, &id);
	cr_write_opaque(w, gid, gid_len);
	str(w, user);
	cr_write_u8(w, role);
	nt_frame_end(w, m, limit(c));
	return id;
}

uint32_t nt_cli_dm_create(nt_cli_conn *c, cr_writer *w, const char *peer)
{
	return name_req(c, w, NT_DM_CREATE, peer);
}

uint32_t nt_cli_presence(nt_cli_conn *c, cr_writer *w)
{
	return bare_req(c, w, NT_PRESENCE);
}

static cr_err read_gid(cr_reader *r, cr_span *gid)
{
	CR_TRY(cr_read_opaque(r, NT_GROUP_ID_MAX, gid));
	return gid->n ? CR_OK : CR_ERR_MALFORMED;
}

cr_err nt_cli_next_group(cr_reader *groups, nt_cli_group *g)
{
	if (cr_reader_left(groups) == 0)
		return CR_ERR_NOT_FOUND;
	CR_TRY(read_gid(groups, &g->gid));
	CR_TRY(cr_read_u8(groups, &g->role));
	CR_TRY(cr_read_u64(groups, &g->epoch));
	CR_TRY(cr_read_u64(groups, &g->acked));
	CR_TRY(cr_read_u64(groups, &g->next_pos));
	return g->role <= NT_ROLE_OWNER ? CR_OK : CR_ERR_MALFORMED;
}

cr_err nt_cli_next_name(cr_reader *names, cr_span *name)
{
	if (cr_reader_left(names) == 0)
		return CR_ERR_NOT_FOUND;
	CR_TRY(cr_read_opaque(names, NT_USERNAME_MAX, name));
	return name->n ? CR_OK : CR_ERR_MALFORMED;
}

cr_err nt_cli_next_member(cr_reader *members, nt_cli_member *m)
{
	if (cr_reader_left(members) == 0)
		return CR_ERR_NOT_FOUND;
	CR_TRY(nt_cli_next_name(members, &m->name));
	CR_TRY(cr_read_u8(members, &m->role));
	CR_TRY(cr_read_bool(members, &m->online));
	return m->role <= NT_ROLE_OWNER ? CR_OK : CR_ERR_MALFORMED;
}

/* Reads a list vector and checks every item with next(); *count items. */
static cr_err read_list(cr_reader *rd, cr_reader *list, size_t *count, cr_err (*next)(cr_reader *r, void *item),
			void *item)
{
	CR_TRY(cr_read_vector(rd, SIZE_MAX, list));
	cr_reader scan = *list;
	cr_err err;
	while ((err = next(&scan, item)) == CR_OK)
		(*count)++;
	return err == CR_ERR_NOT_FOUND ? CR_OK : CR_ERR_MALFORMED;
}

static cr_err next_group_v(cr_reader *r, void *item)
{
	return nt_cli_next_group(r, item);
}

static cr_err next_member_v(cr_reader *r, void *item)
{
	return nt_cli_next_member(r, item);
}

static cr_err next_name_v(cr_reader *r, void *item)
{
	return nt_cli_next_name(r, item);
}

static cr_err next_entry_v(cr_reader *r, void *item)
{
	return nt_cli_next_entry(r, item);
}

cr_err nt_cli_next_entry(cr_reader *entries, nt_cli_entry *e)
{
	if (cr_reader_left(entries) == 0)
		return CR_ERR_NOT_FOUND;
	CR_TRY(cr_read_u64(entries, &e->position));
	CR_TRY(cr_read_u8(entries, &e->kind));
	CR_TRY(cr_read_u64(entries, &e->epoch));
	CR_TRY(cr_read_opaque(entries, NT_USERNAME_MAX, &e->sender));
	CR_TRY(cr_read_opaque(entries, SIZE_MAX, &e->message));
	return e->kind <= NT_KIND_JOIN_REQUEST ? CR_OK : CR_ERR_MALFORMED;
}

cr_err nt_cli_decode(nt_cli_conn *c, uint16_t type, const uint8_t *p, size_t n, nt_cli_resp *r)
{
	memset(r, 0, sizeof *r);
	r->type = type;
	if (type == NT_HELLO_OK) {
		nt_hello_ok h;
		CR_TRY(nt_read_hello_ok(p, n, &h));
		r->id = h.id;
		c->hello = h;
		c->have_hello = true;
		return CR_OK;
	}
	if (type == NT_ERROR) {
		nt_error_body e;
		CR_TRY(nt_read_error(p, n, &e));
		r->id = e.id;
		r->code = e.code;
		r->text = e.text;
		return CR_OK;
	}
	cr_reader rd;
	cr_reader_init(&rd, p, n);
	CR_TRY(cr_read_u32(&rd, &r->id));
	switch (type) {
	case NT_REGISTER_OK:
	case NT_LOGIN_OK:
	case NT_GROUP_CREATE_OK:
	case NT_ACK_OK:
	case NT_ROLE_SET_OK:
		break;
	case NT_JOIN_REQUEST_OK:
		CR_TRY(cr_read_u64(&rd, &r->position));
		break;
	case NT_DM_CREATE_OK:
		CR_TRY(read_gid(&rd, &r->gid));
		break;
	case NT_NOTIFY:
		if (r->id != 0)
			return CR_ERR_MALFORMED;
		CR_TRY(read_gid(&rd, &r->gid));
		CR_TRY(cr_read_u64(&rd, &r->position));
		break;
	case NT_GROUPS: {
		nt_cli_group g;
		CR_TRY(read_list(&rd, &r->groups, &r->n_groups, next_group_v, &g));
		break;
	}
	case NT_MEMBER_LIST: {
		nt_cli_member m;
		CR_TRY(read_list(&rd, &r->members, &r->n_members, next_member_v, &m));
		break;
	}
	case NT_ONLINE: {
		cr_span name;
		CR_TRY(read_list(&rd, &r->names, &r->n_names, next_name_v, &name));
		break;
	}
	case NT_KP_UPLOAD_OK:
		CR_TRY(cr_read_u32(&rd, &r->one_time_left));
		break;
	case NT_KP:
		CR_TRY(cr_read_bool(&rd, &r->last_resort));
		CR_TRY(cr_read_opaque(&rd, NT_KP_MAX, &r->key_package));
		break;
	case NT_IDENTITY:
		CR_TRY(cr_read_opaque_fixed(&rd, sizeof r->identity, r->identity));
		break;
	case NT_POST_OK:
		CR_TRY(cr_read_u64(&rd, &r->position));
		CR_TRY(cr_read_u64(&rd, &r->epoch));
		break;
	case NT_MESSAGES: {
		/* Validate every entry now, so that iterating later cannot fail. */
		nt_cli_entry e;
		CR_TRY(read_list(&rd, &r->entries, &r->n_entries, next_entry_v, &e));
		break;
	}
	default:
		return CR_ERR_MALFORMED;
	}
	return cr_reader_end(&rd);
}

cr_err nt_cli_feed(nt_cli_conn *c, cr_reader *in, bool *got, nt_cli_resp *r)
{
	nt_frame f;
	CR_TRY(nt_parser_feed(&c->parser, in, got, &f));
	if (!*got)
		return CR_OK;
	return nt_cli_decode(c, f.type, f.body.p, f.body.n, r);
}

cr_err nt_cli_match(const nt_cli_resp *r, uint32_t id, uint16_t expected)
{
	if (r->type == NT_ERROR && (r->id == id || r->id == 0))
		return CR_ERR_INVALID;
	if (r->type != expected || r->id != id)
		return CR_ERR_MALFORMED;
	return CR_OK;
}
