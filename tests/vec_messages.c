/*
 * vec_messages.c: messages.json (RFC 9420 test vectors, "Messages"): every
 * serialized structure must decode with its codec of crypto/mls/msg_*.h and
 * re-encode to the same bytes; every item of every decoded vector
 * (proposals, extensions, secrets, PSK ids) must too. Each field is also
 * fed truncated by one byte and with one trailing byte, which the strict
 * decoders must refuse.
 * ratchet_tree goes through the ratchet tree codec of tree.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leaf.h"
#include "msg_message.h"
#include "tree.h"
#include "vec.h"

enum kind {
	K_MESSAGE,
	K_GROUP_SECRETS,
	K_PROPOSAL_BODY,
	K_COMMIT,
	K_RATCHET_TREE,
};

/* Re-encodes every extension of a decoded list and compares. */
static bool extensions_roundtrip(const mls_vec *v)
{
	cr_reader it;
	mls_extension e;
	cr_writer w;
	size_t n = 0;
	mls_vec_iter(v, &it);
	cr_writer_init_dynamic(&w, MLS_MAX_MESSAGE + 64);
	cr_err err;
	while ((err = mls_extensions_next(&it, &e)) == CR_OK) {
		mls_extension_write(&w, &e);
		n++;
	}
	bool ok = err == CR_ERR_NOT_FOUND && n == v->count && cr_writer_error(&w) == CR_OK &&
		  w.len == v->body.n && (w.len == 0 || memcmp(w.p, v->body.p, w.len) == 0);
	cr_writer_free(&w);
	return ok;
}

static bool leaf_roundtrip(cr_span s)
{
	mls_leaf_node l;
	if (mls_leaf_parse(s.p, s.n, &l) != CR_OK)
		return false;
	cr_writer w;
	cr_writer_init_dynamic(&w, MLS_LEAF_MAX_LEN + 64);
	mls_leaf_encode(&w, &l);
	bool ok = cr_writer_error(&w) == CR_OK && w.len == s.n && memcmp(w.p, s.p, s.n) == 0;
	cr_writer_free(&w);
	mls_leaf_free(&l);
	return ok;
}

static bool key_package_deep(const mls_key_package *kp)
{
	return leaf_roundtrip(kp->leaf_node) && extensions_roundtrip(&kp->extensions);
}

static bool proposal_deep(const mls_proposal *p)
{
	switch (p->type) {
	case MLS_PROPOSAL_ADD:
		return key_package_deep(&p->u.add);
	case MLS_PROPOSAL_UPDATE:
		return leaf_roundtrip(p->u.update_leaf);
	case MLS_PROPOSAL_REINIT:
		return extensions_roundtrip(&p->u.reinit.extensions);
	case MLS_PROPOSAL_GROUP_CONTEXT_EXTENSIONS:
		return extensions_roundtrip(&p->u.gce);
	default:
		return true;
	}
}

static bool commit_deep(const mls_commit *c)
{
	cr_reader it;
	mls_proposal_or_ref por;
	cr_writer w;
	size_t n = 0;
	bool deep = true;
	cr_err err;
	mls_vec_iter(&c->proposals, &it);
	cr_writer_init_dynamic(&w, MLS_MAX_MESSAGE + 64);
	while ((err = mls_commit_proposals_next(&it, &por)) == CR_OK) {
		mls_proposal_or_ref_write(&w, &por);
		if (por.type == MLS_POR_PROPOSAL)
			deep = deep && proposal_deep(&por.proposal);
		n++;
	}
	bool ok = deep && err == CR_ERR_NOT_FOUND && n == c->proposals.count && cr_writer_error(&w) == CR_OK &&
		  w.len == c->proposals.body.n && (w.len == 0 || memcmp(w.p, c->proposals.body.p, w.len) == 0);
	cr_writer_free(&w);
	return ok;
}

static bool welcome_deep(const mls_welcome *wl)
{
	cr_reader it;
	mls_encrypted_group_secrets s;
	cr_writer w;
	size_t n = 0;
	cr_err err;
	mls_vec_iter(&wl->secrets, &it);
	cr_writer_init_dynamic(&w, MLS_MAX_MESSAGE + 64);
	while ((err = mls_welcome_secrets_next(&it, &s)) == CR_OK) {
		mls_encrypted_group_secrets_write(&w, &s);
		/* The finder must find every entry by its own reference. */
		mls_encrypted_group_secrets f;
		if (mls_welcome_find(wl, s.new_member.p, s.new_member.n, &f) != CR_OK)
			err = CR_ERR_INVALID;
		n++;
	}
	bool ok = err == CR_ERR_NOT_FOUND && n == wl->secrets.count && cr_writer_error(&w) == CR_OK &&
		  w.len == wl->secrets.body.n && memcmp(w.p, wl->secrets.body.p, w.len) == 0;
	cr_writer_free(&w);
	return ok;
}

static bool message_deep(const mls_message *m)
{
	switch (m->wire_format) {
	case MLS_WIRE_KEY_PACKAGE:
		return key_package_deep(&m->u.key_package);
	case MLS_WIRE_GROUP_INFO: {
		mls_vec gc_ext;
		return extensions_roundtrip(&m->u.group_info.extensions) &&
		       mls_extensions_check(m->u.group_info.group_context.extensions, &gc_ext) == CR_OK &&
		       extensions_roundtrip(&gc_ext);
	}
	case MLS_WIRE_WELCOME:
		return welcome_deep(&m->u.welcome);
	case MLS_WIRE_PUBLIC_MESSAGE: {
		const mls_framed_content *fc = &m->u.public_message.content;
		if (fc->content_type == MLS_CONTENT_PROPOSAL)
			return proposal_deep(&fc->proposal);
		if (fc->content_type == MLS_CONTENT_COMMIT)
			return commit_deep(&fc->commit);
		return true;
	}
	default:
		return true;
	}
}

/* Decodes p[n] as `kind` (with arg: the wire format or proposal type that
 * is expected), checks the items of its vectors, and re-encodes into w. */
static cr_err decode_encode(enum kind kind, unsigned arg, const uint8_t *p, size_t n, cr_writer *w, bool *deep)
{
	*deep = true;
	switch (kind) {
	case K_MESSAGE: {
		mls_message m;
		CR_TRY(mls_message_decode(p, n, &m));
		if (m.wire_format != (arg & 0xff))
			return CR_ERR_INVALID;
		if (m.wire_format == MLS_WIRE_PUBLIC_MESSAGE && m.u.public_message.content.content_type != (arg >> 8))
			return CR_ERR_INVALID;
		*deep = message_deep(&m);
		mls_message_write(w, &m);
		break;
	}
	case K_GROUP_SECRETS: {
		mls_group_secrets g;
		CR_TRY(mls_group_secrets_decode(p, n, &g));
		cr_reader it;
		mls_psk_id id;
		size_t cnt = 0;
		mls_vec_iter(&g.psks, &it);
		while (mls_psk_ids_next(&it, &id) == CR_OK)
			cnt++;
		*deep = cnt == g.psks.count;
		mls_group_secrets_write(w, &g);
		break;
	}
	case K_PROPOSAL_BODY: {
		mls_proposal pr;
		CR_TRY(mls_proposal_body_decode(p, n, (uint16_t)arg, &pr));
		*deep = proposal_deep(&pr);
		mls_proposal_body_write(w, &pr);
		break;
	}
	case K_COMMIT: {
		mls_commit c;
		CR_TRY(mls_commit_decode(p, n, &c));
		*deep = commit_deep(&c);
		mls_commit_write(w, &c);
		break;
	}
	case K_RATCHET_TREE: {
		mls_tree t;
		CR_TRY(mls_tree_decode(p, n, &t));
		mls_tree_encode(w, &t);
		mls_tree_free(&t);
		break;
	}
	}
	return cr_writer_error(w);
}

static void check_field(json_t *c, const char *field, enum kind kind, unsigned arg)
{
	size_t n = 0;
	uint8_t *p = vec_hex(c, field, &n);
	if (!p)
		return;
	cr_writer w;
	bool deep = false;
	cr_writer_init_dynamic(&w, MLS_MAX_MESSAGE + 64);
	cr_err err = decode_encode(kind, arg, p, n, &w, &deep);
	if (!CHECK_OK(err))
		t_note("%s: decode: %s", field, cr_err_str(err));
	else {
		if (!CHECK(deep))
			t_note("%s: an item of a vector did not round-trip", field);
		if (!vec_check_hex(c, field, w.p, w.len))
			t_note("%s: re-encoding differs", field);
	}
	cr_writer_free(&w);

	/* Truncated by one byte. */
	cr_writer_init_dynamic(&w, MLS_MAX_MESSAGE + 64);
	if (!CHECK(n > 0 && decode_encode(kind, arg, p, n - 1, &w, &deep) != CR_OK))
		t_note("%s: truncated input accepted", field);
	cr_writer_free(&w);

	/* One trailing byte. */
	uint8_t *q = malloc(n + 1);
	if (CHECK(q != NULL)) {
		memcpy(q, p, n);
		q[n] = 0;
		cr_writer_init_dynamic(&w, MLS_MAX_MESSAGE + 64);
		if (!CHECK(decode_encode(kind, arg, q, n + 1, &w, &deep) != CR_OK))
			t_note("%s: trailing byte accepted", field);
		cr_writer_free(&w);
		free(q);
	}
	free(p);
}

static bool detect(json_t *root)
{
	static const char *const keys[] = { "mls_welcome", "mls_group_info", "mls_key_package", "commit",
					    "public_message_commit", "private_message", NULL };
	return vec_mls_has_keys(root, keys);
}

/* The cipher suite of a case: the vectors name it only in the Welcome. */
static unsigned case_suite(json_t *c)
{
	const char *h = json_string_value(json_object_get(c, "mls_welcome"));
	size_t n = 0;
	uint8_t *p = h ? t_unhex(h, &n) : NULL;
	mls_message m;
	unsigned suite = 0;
	if (p && mls_message_decode(p, n, &m) == CR_OK && m.wire_format == MLS_WIRE_WELCOME)
		suite = m.u.welcome.cipher_suite;
	free(p);
	return suite;
}

static void run(json_t *root, const char *path)
{
	(void)path;
	size_t i;
	json_t *c;
	json_array_foreach(root, i, c) {
		/* Other suites carry keys (P-256, ...) that the suite-0x0001
		 * LeafNode codec refuses, and GroupContexts that the key
		 * schedule's reader refuses, by design. */
		unsigned suite = case_suite(c);
		if (suite != 1) {
			t_skip("messages #%zu (cipher suite %u)", i, suite);
			continue;
		}
		t_begin("messages #%zu (suite %u)", i, suite);
		check_field(c, "mls_welcome", K_MESSAGE, MLS_WIRE_WELCOME);
		check_field(c, "mls_group_info", K_MESSAGE, MLS_WIRE_GROUP_INFO);
		check_field(c, "mls_key_package", K_MESSAGE, MLS_WIRE_KEY_PACKAGE);
		check_field(c, "ratchet_tree", K_RATCHET_TREE, 0);
		check_field(c, "group_secrets", K_GROUP_SECRETS, 0);
		check_field(c, "add_proposal", K_PROPOSAL_BODY, MLS_PROPOSAL_ADD);
		check_field(c, "update_proposal", K_PROPOSAL_BODY, MLS_PROPOSAL_UPDATE);
		check_field(c, "remove_proposal", K_PROPOSAL_BODY, MLS_PROPOSAL_REMOVE);
		check_field(c, "pre_shared_key_proposal", K_PROPOSAL_BODY, MLS_PROPOSAL_PSK);
		check_field(c, "re_init_proposal", K_PROPOSAL_BODY, MLS_PROPOSAL_REINIT);
		check_field(c, "external_init_proposal", K_PROPOSAL_BODY, MLS_PROPOSAL_EXTERNAL_INIT);
		check_field(c, "group_context_extensions_proposal", K_PROPOSAL_BODY,
			    MLS_PROPOSAL_GROUP_CONTEXT_EXTENSIONS);
		check_field(c, "commit", K_COMMIT, 0);
		check_field(c, "public_message_application", K_MESSAGE,
			    MLS_WIRE_PUBLIC_MESSAGE | MLS_CONTENT_APPLICATION << 8);
		check_field(c, "public_message_proposal", K_MESSAGE,
			    MLS_WIRE_PUBLIC_MESSAGE | MLS_CONTENT_PROPOSAL << 8);
		check_field(c, "public_message_commit", K_MESSAGE, MLS_WIRE_PUBLIC_MESSAGE | MLS_CONTENT_COMMIT << 8);
		check_field(c, "private_message", K_MESSAGE, MLS_WIRE_PRIVATE_MESSAGE);
		t_end();
	}
}

const vec_runner vec_messages = { "messages", detect, run };
