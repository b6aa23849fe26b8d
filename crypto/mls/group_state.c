/*
 * group_state.c: mls_group to bytes and back (see group.h).
 *
 *   uint16 format = 2; opaque group_id<V>; opaque gc_extensions<V>;
 *   opaque sig_seed[32]; uint8 active; uint64 epoch;
 *   optional<Node> ratchet_tree<V>;
 *   uint32 own_leaf; opaque leaf_priv[32]; uint32 n; { uint32 node; opaque priv[32]; }[n]
 *   opaque tree_hash[32]; uint8 confirmed_len; opaque confirmed[..];
 *   uint8 interim_len; opaque interim[..]; opaque epoch_secrets[11 * 32];
 *   uint32 n; { uint32 leaf; uint8 ratchet; uint32 next_generation; }[n]
 *   uint32 n; { opaque ref[32]; uint16 type; uint32 sender; uint32 removed;
 *               opaque body<V>; uint8 has_own_priv; opaque own_priv[32] }[n]
 *
 * Format 1 (before Add and Update proposals) is still read: its proposals
 * are { opaque ref[32]; uint32 sender; uint32 removed; }, all Removes. A
 * proposal's keys are re-derived from its body on load.
 *
 * The secret tree is stored as its root (the epoch's encryption_secret,
 * part of the epoch secrets) and the next generation of every used
 * ratchet; loading replays the ratchets one generation at a time, so every
 * generation below the stored one is refused afterwards (replays stay
 * refused). Keys of skipped, not yet received generations are not kept:
 * such late messages are lost across a save. The decoder is strict: every
 * length and count bounded, ratchet entries strictly increasing, private
 * keys checked against the tree, the tree hash recomputed.
 */
#include <stdlib.h>
#include <string.h>

#include "group_int.h"
#include "wipe.h"

#define STATE_FORMAT 2
/* Generations replayed per ratchet at load: bounds the cost of a load. */
#define STATE_MAX_GENERATION (1u << 20)

cr_err mls_group_serialize(const mls_group *g, uint8_t **out, size_t *out_len)
{
	cr_writer w;
	const mls_group_ep *e = &g->cur;
	*out = NULL;
	*out_len = 0;
	cr_writer_init_dynamic(&w, MLS_GROUP_STATE_MAX);
	cr_write_u16(&w, STATE_FORMAT);
	cr_write_opaque(&w, g->gid, g->gid_len);
	cr_write_opaque(&w, g->gc_ext, g->gc_ext_len);
	cr_write_bytes(&w, g->sig_seed, sizeof g->sig_seed);
	cr_write_u8(&w, g->active);
	cr_write_u64(&w, e->epoch);
	mls_tree_encode(&w, &e->tree);
	cr_write_u32(&w, e->priv.leaf);
	cr_write_bytes(&w, e->priv.leaf_priv, MLS_KEY_LEN);
	cr_write_u32(&w, e->priv.n);
	for (uint32_t i = 0; i < e->priv.n && i < MLS_TM_MAX_DEPTH; i++) {
		cr_write_u32(&w, e->priv.node[i]);
		cr_write_bytes(&w, e->priv.priv[i], MLS_KEY_LEN);
	}
	cr_write_bytes(&w, e->tree_hash, MLS_NH);
	cr_write_u8(&w, (uint8_t)e->confirmed_len);
	cr_write_bytes(&w, e->confirmed, e->confirmed_len);
	cr_write_u8(&w, (uint8_t)e->interim_len);
	cr_write_bytes(&w, e->interim, e->interim_len);
	cr_write_bytes(&w, (const uint8_t *)&e->sec, sizeof e->sec);
	size_t mark = w.len, n = 0;
	cr_write_u32(&w, 0);
	for (uint32_t l = 0; l < e->st.n_leaves; l++) {
		for (int t = 0; t < 2; t++) {
			uint32_t gen = 0;
			if (mls_secret_tree_generation(&e->st, l, (mls_ratchet_type)t, &gen) != CR_OK || gen == 0)
				continue;
			cr_write_u32(&w, l);
			cr_write_u8(&w, (uint8_t)t);
			cr_write_u32(&w, gen);
			n++;
		}
	}
	if (!cr_writer_error(&w))
		cr_writer_patch_u32(&w, mark, (uint32_t)n);
	cr_write_u32(&w, (uint32_t)g->n_props);
	for (size_t i = 0; i < g->n_props; i++) {
		const mls_group_prop *pr = &g->props[i];
		cr_write_bytes(&w, pr->ref, MLS_NH);
		cr_write_u16(&w, pr->type);
		cr_write_u32(&w, pr->sender);
		cr_write_u32(&w, pr->removed);
		cr_write_opaque(&w, pr->body, pr->body_len);
		cr_write_u8(&w, pr->has_own_priv);
		cr_write_bytes(&w, pr->own_priv, MLS_KEY_LEN);
	}
	cr_err err = cr_writer_error(&w);
	if (!err) {
		*out = cr_writer_take(&w, out_len);
		err = *out ? CR_OK : CR_ERR_NOMEM;
	}
	cr_writer_free(&w);
	return err;
}

static cr_err read_hash(cr_reader *r, uint8_t out[MLS_NH], size_t *len, bool may_be_empty)
{
	uint8_t n;
	CR_TRY(cr_read_u8(r, &n));
	CR_ENSURE(n == MLS_NH || (may_be_empty && n == 0), CR_ERR_MALFORMED);
	*len = n;
	return cr_read_copy(r, out, n);
}

/* One kept proposal; its body must be what its type says and its keys
 * come from the body, so a state cannot hold a proposal the checks of
 * group_proposal.c would not have let in structurally. */
static cr_err read_prop(cr_reader *r, uint16_t fmt, const mls_group *g, mls_group_prop *pr)
{
	cr_span body = { NULL, 0 };
	mls_key_package kp;
	mls_leaf_node leaf;
	uint8_t own;
	cr_err err;
	memset(&leaf, 0, sizeof leaf);
	pr->type = MLS_PROPOSAL_REMOVE;
	CR_CHECK(cr_read_copy(r, pr->ref, MLS_NH));
	if (fmt != 1)
		CR_CHECK(cr_read_u16(r, &pr->type));
	CR_CHECK(cr_read_u32(r, &pr->sender));
	CR_CHECK(cr_read_u32(r, &pr->removed));
	if (fmt != 1) {
		CR_CHECK(cr_read_opaque(r, MLS_MAX_MESSAGE, &body));
		CR_CHECK(cr_read_u8(r, &own));
		CR_CHECK(own <= 1 ? CR_OK : CR_ERR_MALFORMED);
		pr->has_own_priv = own;
		CR_CHECK(cr_read_copy(r, pr->own_priv, MLS_KEY_LEN));
	}
	CR_CHECK(pr->sender < g->cur.tree.n_leaves ? CR_OK : CR_ERR_MALFORMED);
	if (pr->type == MLS_PROPOSAL_REMOVE) {
		CR_CHECK(body.n == 0 && !pr->has_own_priv && mls_tree_leaf(&g->cur.tree, pr->removed) ? CR_OK
												: CR_ERR_MALFORMED);
	} else if (pr->type == MLS_PROPOSAL_ADD) {
		CR_CHECK(!pr->has_own_priv ? CR_OK : CR_ERR_MALFORMED);
		CR_CHECK(mls_key_package_decode(body.p, body.n, &kp));
		CR_CHECK(mls_leaf_parse(kp.leaf_node.p, kp.leaf_node.n, &leaf));
	} else if (pr->type == MLS_PROPOSAL_UPDATE) {
		CR_CHECK(mls_leaf_parse(body.p, body.n, &leaf));
		CR_CHECK(!pr->has_own_priv || pr->sender == g->cur.priv.leaf ? CR_OK : CR_ERR_MALFORMED);
	} else {
		CR_CHECK(CR_ERR_MALFORMED);
	}
	if (leaf.enc) {
		memcpy(pr->key_enc, leaf.encryption_key, MLS_KEY_LEN);
		memcpy(pr->key_sig, leaf.signature_key, MLS_KEY_LEN);
	}
	if (body.n) {
		pr->body = malloc(body.n);
		CR_CHECK(pr->body ? CR_OK : CR_ERR_NOMEM);
		memcpy(pr->body, body.p, body.n);
		pr->body_len = body.n;
	}
out:
	mls_leaf_free(&leaf);
	return err;
}

cr_err mls_group_deserialize(mls_group **out, const uint8_t *p, size_t n)
{
	mls_group *g = NULL;
	cr_reader r;
	cr_span s;
	uint16_t fmt;
	uint8_t u8;
	uint32_t cnt;
	uint8_t th[MLS_NH];
	mls_ratchet_key rk;
	cr_err err;
	*out = NULL;
	memset(&rk, 0, sizeof rk);
	CR_ENSURE(n <= MLS_GROUP_STATE_MAX, CR_ERR_LIMIT);
	cr_reader_init(&r, p, n);
	CR_TRY(mls_group_alloc(&g));
	mls_group_ep *e = &g->cur;
	CR_CHECK(cr_read_u16(&r, &fmt));
	CR_CHECK(fmt == 1 || fmt == STATE_FORMAT ? CR_OK : CR_ERR_UNSUPPORTED);
	CR_CHECK(cr_read_opaque(&r, MLS_MAX_GROUP_ID, &s));
	CR_CHECK(s.n > 0 ? CR_OK : CR_ERR_MALFORMED);
	memcpy(g->gid, s.p, s.n);
	g->gid_len = s.n;
	CR_CHECK(cr_read_opaque(&r, MLS_GC_EXTENSIONS_MAX, &s));
	if (s.n) {
		g->gc_ext = malloc(s.n);
		CR_CHECK(g->gc_ext ? CR_OK : CR_ERR_NOMEM);
		memcpy(g->gc_ext, s.p, s.n);
		g->gc_ext_len = s.n;
	}
	CR_CHECK(cr_read_copy(&r, g->sig_seed, sizeof g->sig_seed));
	CR_CHECK(cr_read_u8(&r, &u8));
	CR_CHECK(u8 <= 1 ? CR_OK : CR_ERR_MALFORMED);
	g->active = u8;
	CR_CHECK(cr_read_u64(&r, &e->epoch));
	CR_CHECK(mls_tree_read(&r, &e->tree));
	CR_CHECK(cr_read_u32(&r, &e->priv.leaf));
	CR_CHECK(cr_read_copy(&r, e->priv.leaf_priv, MLS_KEY_LEN));
	CR_CHECK(cr_read_u32(&r, &e->priv.n));
	CR_CHECK(e->priv.n <= MLS_TM_MAX_DEPTH ? CR_OK : CR_ERR_LIMIT);
	for (uint32_t i = 0; i < e->priv.n; i++) {
		CR_CHECK(cr_read_u32(&r, &e->priv.node[i]));
		CR_CHECK(cr_read_copy(&r, e->priv.priv[i], MLS_KEY_LEN));
	}
	CR_CHECK(cr_read_copy(&r, e->tree_hash, MLS_NH));
	CR_CHECK(read_hash(&r, e->confirmed, &e->confirmed_len, true));
	CR_CHECK(read_hash(&r, e->interim, &e->interim_len, true));
	CR_CHECK(cr_read_copy(&r, (uint8_t *)&e->sec, sizeof e->sec));
	/* The state must be consistent with itself. */
	CR_CHECK(mls_tree_leaf(&e->tree, e->priv.leaf) != NULL ? CR_OK : CR_ERR_INVALID);
	CR_CHECK(mls_tree_priv_check(&e->priv, &e->tree));
	CR_CHECK(mls_tree_root_hash(&e->tree, th));
	CR_CHECK(cr_ct_equal(th, e->tree_hash, MLS_NH) ? CR_OK : CR_ERR_INVALID);
	CR_CHECK(mls_secret_tree_init(&e->st, e->sec.encryption_secret, e->tree.n_leaves));
	CR_CHECK(cr_read_u32(&r, &cnt));
	CR_CHECK(cnt <= 2 * e->tree.n_leaves ? CR_OK : CR_ERR_LIMIT);
	uint64_t prev = 0;
	for (uint32_t i = 0; i < cnt; i++) {
		uint32_t leaf, gen;
		CR_CHECK(cr_read_u32(&r, &leaf));
		CR_CHECK(cr_read_u8(&r, &u8));
		CR_CHECK(cr_read_u32(&r, &gen));
		uint64_t key = ((uint64_t)leaf << 1 | u8) + 1;
		CR_CHECK(u8 <= 1 && leaf < e->tree.n_leaves && key > prev && gen > 0 && gen <= STATE_MAX_GENERATION
				 ? CR_OK
				 : CR_ERR_MALFORMED);
		prev = key;
		for (uint32_t k = 0; k < gen; k++) {
			CR_CHECK(mls_secret_tree_get(&e->st, leaf, (mls_ratchet_type)u8, k, &rk));
			mls_ratchet_key_wipe(&rk);
		}
	}
	CR_CHECK(cr_read_u32(&r, &cnt));
	CR_CHECK(cnt <= MLS_GROUP_MAX_PROPS ? CR_OK : CR_ERR_LIMIT);
	for (uint32_t i = 0; i < cnt; i++)
		CR_CHECK(read_prop(&r, fmt, g, &g->props[g->n_props++]));
	CR_CHECK(cr_reader_end(&r));
	*out = g;
	g = NULL;
out:
	mls_ratchet_key_wipe(&rk);
	mls_group_free(g);
	return err;
}
