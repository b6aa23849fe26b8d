/*
 * group_proposal.c: proposals sent and received by reference (RFC 9420
 * sections 12.1, 12.2, 12.4): Add, Update and Remove as PublicMessages,
 * their checks on receipt, and which of the epoch's stored proposals a
 * commit covers. Commits themselves are group_commit.c.
 *
 * A proposal is checked when it arrives, against the current tree and the
 * proposals already kept, so that a commit covering every kept proposal
 * (section 12.4: "all valid proposals received during the current epoch")
 * cannot fail on them: an Add's KeyPackage is valid (10.1) and brings keys
 * no member and no other kept proposal uses; an Update's leaf is valid for
 * an update (7.3, signed over the group id and the sender's leaf index),
 * keeps the sender's credential and brings a new, unused encryption key;
 * a Remove names a member no other kept Remove names. Each Add or Update is
 * also tried on the tree (under a journal, undone) with the tree's own
 * structural checks. A rejected proposal leaves the state as it was.
 */
#include <stdlib.h>
#include <string.h>

#include "group_int.h"
#include "msg_keypackage.h"
#include "msg_message.h"
#include "msg_protect.h"
#include "tree_journal.h"
#include "wipe.h"
#include "x25519.h"

void mls_group_props_clear(mls_group *g)
{
	for (size_t i = 0; i < g->n_props; i++)
		free(g->props[i].body);
	cr_wipe(g->props, sizeof g->props);
	g->n_props = 0;
}

const mls_group_prop *mls_group_props_find(const mls_group *g, cr_span ref)
{
	for (size_t i = 0; ref.n == MLS_NH && i < g->n_props; i++)
		if (memcmp(g->props[i].ref, ref.p, MLS_NH) == 0)
			return &g->props[i];
	return NULL;
}

bool mls_group_props_committed(const mls_group *g, size_t i, uint32_t committer, const uint32_t *removes,
			       size_t n_removes)
{
	const mls_group_prop *p = &g->props[i];
	if (p->type != MLS_PROPOSAL_UPDATE)
		return true;
	/* Section 12.2: never the committer's own Update; of several for one
	 * leaf, a Remove wins, else the most recent Update. */
	if (p->sender == committer)
		return false;
	for (size_t k = 0; k < g->n_props; k++) {
		const mls_group_prop *q = &g->props[k];
		if ((q->type == MLS_PROPOSAL_UPDATE && k > i && q->sender == p->sender) ||
		    (q->type == MLS_PROPOSAL_REMOVE && q->removed == p->sender))
			return false;
	}
	for (size_t k = 0; k < n_removes; k++)
		if (removes[k] == p->sender)
			return false;
	return true;
}

/* enc is used by no node of the tree and by no kept proposal; sig by no
 * leaf other than sig_owner's (UINT32_MAX: none) and by no kept proposal
 * but an Update of sig_owner's. O(n): proposals are rare. */
static bool keys_fresh(const mls_group *g, const uint8_t enc[MLS_KEY_LEN], const uint8_t sig[MLS_KEY_LEN],
		       uint32_t sig_owner)
{
	const mls_tree *t = &g->cur.tree;
	for (uint32_t x = 0; x < mls_tree_width(t); x++) {
		const mls_node *nd = &t->nodes[x];
		if (nd->type == MLS_NODE_LEAF) {
			if (memcmp(nd->leaf.encryption_key, enc, MLS_KEY_LEN) == 0 ||
			    (x / 2 != sig_owner && memcmp(nd->leaf.signature_key, sig, MLS_KEY_LEN) == 0))
				return false;
		} else if (nd->type == MLS_NODE_PARENT && memcmp(nd->parent.encryption_key, enc, MLS_KEY_LEN) == 0) {
			return false;
		}
	}
	for (size_t i = 0; i < g->n_props; i++) {
		const mls_group_prop *p = &g->props[i];
		if (p->type == MLS_PROPOSAL_REMOVE)
			continue;
		if (memcmp(p->key_enc, enc, MLS_KEY_LEN) == 0)
			return false;
		bool same_owner = p->type == MLS_PROPOSAL_UPDATE && p->sender == sig_owner;
		if (!same_owner && memcmp(p->key_sig, sig, MLS_KEY_LEN) == 0)
			return false;
	}
	return true;
}

/* The proposal alone applied to the tree passes the tree's checks of the
 * changed leaf (credential support, capabilities, key uniqueness). */
static cr_err try_on_tree(mls_group *g, uint16_t type, uint32_t sender, const mls_leaf_node *leaf)
{
	mls_tree *t = &g->cur.tree;
	mls_tree_journal j;
	uint32_t idx = sender;
	mls_tree_journal_begin(t, &j);
	cr_err err = type == MLS_PROPOSAL_ADD ? mls_tree_add_leaf(t, leaf, &idx) : mls_tree_update_leaf(t, sender, leaf);
	if (!err) {
		uint32_t ch = 2 * idx;
		err = mls_tree_check_changed(t, &ch, 1);
	}
	mls_tree_journal_undo(t);
	return err == CR_OK || err == CR_ERR_NOMEM || err == CR_ERR_LIMIT ? err : CR_ERR_INVALID;
}

/* AuthenticatedContent (section 6.1) of a PublicMessage proposal, whose
 * hash is the ProposalRef (section 5.2). */
static cr_err proposal_ref(uint8_t ref[MLS_NH], const mls_public_message *pm)
{
	cr_writer w;
	cr_writer_init_dynamic(&w, MLS_MAX_MESSAGE);
	cr_write_u16(&w, MLS_WIRE_PUBLIC_MESSAGE);
	mls_framed_content_write(&w, &pm->content);
	mls_auth_data_write(&w, pm->content.content_type, pm->signature, pm->confirmation_tag);
	cr_err err = cr_writer_error(&w);
	if (!err)
		err = mls_make_proposal_ref(ref, w.p, w.len);
	cr_writer_free(&w);
	return err;
}

static cr_err store_add(mls_group *g, const mls_proposal *p, mls_group_prop *s)
{
	cr_writer kw;
	mls_key_package kp;
	mls_leaf_node leaf;
	cr_err err;
	memset(&leaf, 0, sizeof leaf);
	/* The KeyPackage's exact bytes: re-encoding the decoded (byte-exact)
	 * struct. */
	cr_writer_init_dynamic(&kw, MLS_MAX_MESSAGE);
	mls_key_package_write(&kw, &p->u.add);
	CR_CHECK(cr_writer_error(&kw));
	s->body = cr_writer_take(&kw, &s->body_len);
	CR_CHECK(s->body ? CR_OK : CR_ERR_NOMEM);
	CR_CHECK(mls_keypackage_validate(s->body, s->body_len, 0));
	CR_CHECK(mls_key_package_decode(s->body, s->body_len, &kp));
	CR_CHECK(mls_leaf_parse(kp.leaf_node.p, kp.leaf_node.n, &leaf));
	memcpy(s->key_enc, leaf.encryption_key, MLS_KEY_LEN);
	memcpy(s->key_sig, leaf.signature_key, MLS_KEY_LEN);
	/* Section 12.2: not a client already in the group, not one a kept
	 * Add names already (same keys). */
	CR_CHECK(keys_fresh(g, s->key_enc, s->key_sig, UINT32_MAX) ? CR_OK : CR_ERR_INVALID);
	CR_CHECK(try_on_tree(g, MLS_PROPOSAL_ADD, 0, &leaf));
out:
	mls_leaf_free(&leaf);
	cr_writer_free(&kw);
	return err;
}

static cr_err store_update(mls_group *g, const mls_proposal *p, uint32_t sender, mls_group_prop *s)
{
	mls_leaf_node leaf;
	cr_err err;
	memset(&leaf, 0, sizeof leaf);
	const mls_leaf_node *cur = mls_tree_leaf(&g->cur.tree, sender);
	CR_CHECK(cur ? CR_OK : CR_ERR_INVALID);
	CR_CHECK(mls_leaf_parse(p->u.update_leaf.p, p->u.update_leaf.n, &leaf));
	/* Section 7.3 for an update: source update, signed over the group id
	 * and the sender's leaf index; the same client (credential). */
	CR_CHECK(mls_leaf_check(&leaf, MLS_SRC_UPDATE) == CR_OK ? CR_OK : CR_ERR_INVALID);
	CR_CHECK(mls_leaf_verify(&leaf, g->gid, g->gid_len, sender));
	CR_CHECK(leaf.credential_type == cur->credential_type && leaf.credential.n == cur->credential.n &&
				 memcmp(leaf.credential.p, cur->credential.p, cur->credential.n) == 0
			 ? CR_OK
			 : CR_ERR_INVALID);
	CR_CHECK(keys_fresh(g, leaf.encryption_key, leaf.signature_key, sender) ? CR_OK : CR_ERR_INVALID);
	CR_CHECK(try_on_tree(g, MLS_PROPOSAL_UPDATE, sender, &leaf));
	s->body = malloc(leaf.enc_len);
	CR_CHECK(s->body ? CR_OK : CR_ERR_NOMEM);
	memcpy(s->body, leaf.enc, leaf.enc_len);
	s->body_len = leaf.enc_len;
	memcpy(s->key_enc, leaf.encryption_key, MLS_KEY_LEN);
	memcpy(s->key_sig, leaf.signature_key, MLS_KEY_LEN);
out:
	mls_leaf_free(&leaf);
	return err;
}

cr_err mls_group_props_store(mls_group *g, const mls_public_message *pm, const uint8_t *own_priv)
{
	const mls_proposal *p = &pm->content.proposal;
	uint32_t sender = pm->content.sender.index;
	mls_group_prop s;
	cr_err err;
	memset(&s, 0, sizeof s);
	CR_ENSURE(g->n_props < MLS_GROUP_MAX_PROPS, CR_ERR_LIMIT);
	CR_TRY(proposal_ref(s.ref, pm));
	CR_ENSURE(mls_group_props_find(g, (cr_span){ s.ref, MLS_NH }) == NULL, CR_ERR_INVALID);
	s.type = p->type;
	s.sender = sender;
	if (p->type == MLS_PROPOSAL_REMOVE) {
		CR_ENSURE(mls_tree_leaf(&g->cur.tree, p->u.remove) != NULL, CR_ERR_INVALID);
		for (size_t i = 0; i < g->n_props; i++)
			CR_ENSURE(g->props[i].type != MLS_PROPOSAL_REMOVE || g->props[i].removed != p->u.remove,
				  CR_ERR_INVALID);
		s.removed = p->u.remove;
		err = CR_OK;
	} else if (p->type == MLS_PROPOSAL_ADD) {
		err = store_add(g, p, &s);
	} else if (p->type == MLS_PROPOSAL_UPDATE) {
		err = store_update(g, p, sender, &s);
		if (!err && own_priv) {
			s.has_own_priv = true;
			memcpy(s.own_priv, own_priv, MLS_KEY_LEN);
		}
	} else {
		err = CR_ERR_UNSUPPORTED;
	}
	if (err) {
		free(s.body);
		cr_wipe(&s, sizeof s);
		return err;
	}
	g->props[g->n_props++] = s;
	cr_wipe(&s, sizeof s);
	return CR_OK;
}

/* Sends proposal p as a PublicMessage of ours and keeps it like a received
 * one (the commit that covers it names it by reference, and we must
 * recognise it). */
static cr_err send_proposal(mls_group *g, const mls_proposal *p, const uint8_t *own_priv, uint8_t **out,
			    size_t *out_len)
{
	mls_public_message pm;
	uint8_t sig[MLS_SIG_LEN], mtag[MLS_NH];
	cr_writer gc, msg;
	cr_err err;
	*out = NULL;
	*out_len = 0;
	cr_writer_init_dynamic(&gc, 16);
	cr_writer_init_dynamic(&msg, MLS_MAX_MESSAGE);
	CR_CHECK(g->active ? CR_OK : CR_ERR_STATE);
	memset(&pm, 0, sizeof pm);
	pm.content.group_id = (cr_span){ g->gid, g->gid_len };
	pm.content.epoch = g->cur.epoch;
	pm.content.sender.type = MLS_SENDER_MEMBER;
	pm.content.sender.index = g->cur.priv.leaf;
	pm.content.content_type = MLS_CONTENT_PROPOSAL;
	pm.content.proposal = *p;
	CR_CHECK(mls_group_gc_encode(g, g->cur.epoch, g->cur.tree_hash, g->cur.confirmed, g->cur.confirmed_len,
				     &gc));
	CR_CHECK(mls_public_message_protect(&pm, sig, mtag, (cr_span){ gc.p, gc.len }, g->sig_seed,
					    g->cur.sec.membership_key));
	mls_message_write_public(&msg, &pm);
	CR_CHECK(cr_writer_error(&msg));
	CR_CHECK(mls_group_props_store(g, &pm, own_priv));
	*out = cr_writer_take(&msg, out_len);
	if (!*out) {
		/* Not sent: not kept either. */
		g->n_props--;
		free(g->props[g->n_props].body);
		cr_wipe(&g->props[g->n_props], sizeof g->props[g->n_props]);
		err = CR_ERR_NOMEM;
	}
out:
	cr_writer_free(&gc);
	cr_writer_free(&msg);
	return err;
}

cr_err mls_group_propose_self_remove(mls_group *g, uint8_t **out, size_t *out_len)
{
	mls_proposal p;
	memset(&p, 0, sizeof p);
	p.type = MLS_PROPOSAL_REMOVE;
	p.u.remove = g->cur.priv.leaf;
	return send_proposal(g, &p, NULL, out, out_len);
}

cr_err mls_group_propose_add(mls_group *g, const uint8_t *kp, size_t kp_len, uint8_t **out, size_t *out_len)
{
	mls_proposal p;
	*out = NULL;
	*out_len = 0;
	memset(&p, 0, sizeof p);
	p.type = MLS_PROPOSAL_ADD;
	CR_TRY(mls_key_package_decode(kp, kp_len, &p.u.add));
	return send_proposal(g, &p, NULL, out, out_len);
}

cr_err mls_group_propose_update(mls_group *g, const cr_rng *rng, uint8_t **out, size_t *out_len)
{
	mls_proposal p;
	mls_leaf_fields f;
	mls_leaf_node leaf;
	uint8_t priv[MLS_KEY_LEN];
	cr_err err;
	*out = NULL;
	*out_len = 0;
	memset(&leaf, 0, sizeof leaf);
	CR_ENSURE(g->active, CR_ERR_STATE);
	const mls_leaf_node *cur = mls_tree_leaf(&g->cur.tree, g->cur.priv.leaf);
	CR_ENSURE(cur, CR_ERR_STATE);
	/* Section 12.1.2: the same leaf with a fresh encryption key, source
	 * update, signed over the group id and our leaf index. */
	mls_leaf_fields_of(cur, &f);
	f.source = MLS_SRC_UPDATE;
	f.not_before = f.not_after = 0;
	f.parent_hash = (cr_span){ NULL, 0 };
	CR_CHECK(cr_x25519_keygen(priv, f.encryption_key, rng));
	CR_CHECK(mls_leaf_sign(&f, g->sig_seed, g->gid, g->gid_len, g->cur.priv.leaf, &leaf));
	memset(&p, 0, sizeof p);
	p.type = MLS_PROPOSAL_UPDATE;
	p.u.update_leaf = (cr_span){ leaf.enc, leaf.enc_len };
	CR_CHECK(send_proposal(g, &p, priv, out, out_len));
out:
	cr_wipe(priv, sizeof priv);
	mls_leaf_free(&leaf);
	return err;
}
