/*
 * group_external.c: joining a group by external commit (RFC 9420 section
 * 12.4.3.2) and the members' side of it. See group_external.h.
 *
 * The joiner and every member build the new tree the same way: the
 * optional resync Remove, then the joiner's leaf where an Add would put it
 * (leftmost blank leaf, RFC 9420 12.4.3.2 / 7.8), then the UpdatePath from
 * that leaf. The init_secret of the new epoch is not the previous epoch's
 * but the HPKE export of the ExternalInit (section 8.3):
 *   kem_output, context = SetupBaseS(external_pub, "")
 *   init_secret = context.export("MLS 1.0 external init secret", Nh)
 */
#include <stdlib.h>
#include <string.h>

#include "ed25519.h"
#include "group_external.h"
#include "group_int.h"
#include "hpke.h"
#include "msg_groupinfo.h"
#include "msg_message.h"
#include "msg_protect.h"
#include "transcript.h"
#include "wipe.h"

#define EXT_RATCHET_TREE 2
#define EXT_EXTERNAL_PUB 4

static const char EXT_INIT_LABEL[] = "MLS 1.0 external init secret";

/* The encoded GroupContext of the current epoch. */
static cr_err current_gc(const mls_group *g, cr_writer *gc)
{
	return mls_group_gc_encode(g, g->cur.epoch, g->cur.tree_hash, g->cur.confirmed, g->cur.confirmed_len, gc);
}

cr_err mls_group_info_export(const mls_group *g, uint8_t **out, size_t *out_len)
{
	cr_writer gc, tree, ext, xp, tbs, msg;
	uint8_t priv[MLS_HPKE_KEY_LEN], pub[MLS_HPKE_KEY_LEN], tag[MLS_NH], sig[MLS_SIG_LEN];
	mls_message m;
	cr_err err;
	*out = NULL;
	*out_len = 0;
	CR_ENSURE(g->active && !g->has_pend, CR_ERR_STATE);
	/* Epoch 0 has an empty confirmed transcript hash, which a GroupContext
	 * in a GroupInfo cannot carry (Nh bytes): commit once first. */
	CR_ENSURE(g->cur.confirmed_len == MLS_NH && g->cur.interim_len == MLS_NH, CR_ERR_STATE);
	memset(priv, 0, sizeof priv);
	cr_writer_init_dynamic(&gc, 16);
	cr_writer_init_dynamic(&tree, MLS_MAX_MESSAGE);
	cr_writer_init_dynamic(&ext, MLS_MAX_MESSAGE);
	cr_writer_init_dynamic(&xp, 64);
	cr_writer_init_dynamic(&tbs, MLS_MAX_MESSAGE);
	cr_writer_init_dynamic(&msg, MLS_MAX_MESSAGE);
	memset(&m, 0, sizeof m);
	mls_group_info *gi = &m.u.group_info;
	CR_CHECK(current_gc(g, &gc));
	cr_reader r;
	cr_reader_init(&r, gc.p, gc.len);
	CR_CHECK(mls_group_context_read(&r, &gi->group_context));
	mls_tree_encode(&tree, &g->cur.tree);
	CR_CHECK(cr_writer_error(&tree));
	CR_CHECK(mls_external_key_pair(priv, pub, g->cur.sec.external_secret));
	/* ExternalPub { HPKEPublicKey external_pub; } (section 12.4.3.2). */
	cr_write_opaque(&xp, pub, sizeof pub);
	CR_CHECK(cr_writer_error(&xp));
	mls_extension x1 = { EXT_RATCHET_TREE, { tree.p, tree.len } };
	mls_extension x2 = { EXT_EXTERNAL_PUB, { xp.p, xp.len } };
	mls_extension_write(&ext, &x1);
	mls_extension_write(&ext, &x2);
	CR_CHECK(cr_writer_error(&ext));
	gi->extensions.body = (cr_span){ ext.p, ext.len };
	gi->extensions.count = 2;
	/* The tag is not stored; it is a MAC of the stored transcript hash. */
	mls_confirmation_tag(tag, g->cur.sec.confirmation_key, g->cur.confirmed);
	gi->confirmation_tag = (cr_span){ tag, sizeof tag };
	gi->signer = g->cur.priv.leaf;
	mls_group_info_tbs_write(&tbs, gi);
	CR_CHECK(cr_writer_error(&tbs));
	CR_CHECK(mls_sign_with_label(sig, g->sig_seed, "GroupInfoTBS", tbs.p, tbs.len));
	gi->signature = (cr_span){ sig, sizeof sig };
	m.version = MLS_VERSION_MLS10;
	m.wire_format = MLS_WIRE_GROUP_INFO;
	mls_message_write(&msg, &m);
	CR_CHECK(cr_writer_error(&msg));
	*out = cr_writer_take(&msg, out_len);
	CR_CHECK(*out ? CR_OK : CR_ERR_NOMEM);
out:
	cr_wipe(priv, sizeof priv);
	cr_writer_free(&gc);
	cr_writer_free(&tree);
	cr_writer_free(&ext);
	cr_writer_free(&xp);
	cr_writer_free(&tbs);
	cr_writer_free(&msg);
	return err;
}

/* The GroupInfo's ratchet_tree and external_pub extensions. A GroupInfo
 * without both does not allow an external join: CR_ERR_UNSUPPORTED. */
static cr_err gi_extensions(const mls_group_info *gi, cr_span *rt, uint8_t pub[MLS_HPKE_KEY_LEN])
{
	cr_reader it;
	mls_extension x;
	cr_err err;
	bool have_rt = false, have_pub = false;
	mls_vec_iter(&gi->extensions, &it);
	while ((err = mls_extensions_next(&it, &x)) == CR_OK) {
		if (x.type == EXT_RATCHET_TREE) {
			CR_ENSURE(!have_rt, CR_ERR_INVALID);
			*rt = x.data;
			have_rt = true;
		} else if (x.type == EXT_EXTERNAL_PUB) {
			cr_reader r;
			cr_span k;
			CR_ENSURE(!have_pub, CR_ERR_INVALID);
			cr_reader_init(&r, x.data.p, x.data.n);
			CR_TRY(cr_read_opaque(&r, MLS_HPKE_KEY_LEN, &k));
			CR_TRY(cr_reader_end(&r));
			CR_ENSURE(k.n == MLS_HPKE_KEY_LEN, CR_ERR_INVALID);
			memcpy(pub, k.p, MLS_HPKE_KEY_LEN);
			have_pub = true;
		}
	}
	CR_ENSURE(err == CR_ERR_NOT_FOUND, err);
	CR_ENSURE(have_pub && have_rt, CR_ERR_UNSUPPORTED);
	return CR_OK;
}

/* init_secret from an ExternalInit's HPKE context (section 8.3). */
static cr_err ext_init_export(const mls_hpke_ctx *ctx, uint8_t init_secret[MLS_NH])
{
	return mls_hpke_export(ctx, init_secret, MLS_NH, (const uint8_t *)EXT_INIT_LABEL,
			       sizeof EXT_INIT_LABEL - 1);
}

cr_err mls_group_join_external(mls_group **out, const uint8_t *group_info, size_t gi_len,
			       const uint8_t sig_seed[MLS_SIG_SEED_LEN], const uint8_t *identity, size_t identity_len,
			       const cr_rng *rng, uint8_t **commit, size_t *commit_len)
{
	return mls_group_join_external_remove(out, group_info, gi_len, sig_seed, identity, identity_len,
					      MLS_EXT_REMOVE_SAME_IDENTITY, rng, commit, commit_len);
}

cr_err mls_group_join_external_remove(mls_group **out, const uint8_t *group_info, size_t gi_len,
				      const uint8_t sig_seed[MLS_SIG_SEED_LEN], const uint8_t *identity,
				      size_t identity_len, uint32_t remove, const cr_rng *rng, uint8_t **commit,
				      size_t *commit_len)
{
	mls_group *g = NULL;
	mls_message m;
	mls_public_message pub;
	mls_leaf_fields f;
	mls_leaf_node ph;
	mls_treekem_secrets tsec;
	mls_update_path up;
	mls_hpke_ctx hctx;
	uint8_t ext_pub[MLS_HPKE_KEY_LEN], kem[MLS_HPKE_NENC], init[MLS_NH], sig[MLS_SIG_LEN], tag[MLS_NH];
	uint8_t mtag[MLS_NH];
	cr_writer tbs, pgc, gc, path, props, msg;
	cr_span rt = { NULL, 0 };
	cr_err err;
	*out = NULL;
	*commit = NULL;
	*commit_len = 0;
	memset(&ph, 0, sizeof ph);
	memset(&tsec, 0, sizeof tsec);
	memset(&up, 0, sizeof up);
	memset(&hctx, 0, sizeof hctx);
	memset(init, 0, sizeof init);
	cr_writer_init_dynamic(&tbs, MLS_MAX_MESSAGE);
	cr_writer_init_dynamic(&pgc, 16);
	cr_writer_init_dynamic(&gc, 16);
	cr_writer_init_dynamic(&path, MLS_MAX_MESSAGE);
	cr_writer_init_dynamic(&props, MLS_MAX_MESSAGE);
	cr_writer_init_dynamic(&msg, MLS_MAX_MESSAGE);
	CR_CHECK(identity_len > 0 && identity_len <= MLS_IDENTITY_MAX ? CR_OK : CR_ERR_ARG);
	CR_CHECK(mls_message_decode(group_info, gi_len, &m));
	CR_CHECK(m.wire_format == MLS_WIRE_GROUP_INFO ? CR_OK : CR_ERR_INVALID);
	const mls_group_info *gi = &m.u.group_info;
	CR_CHECK(gi_extensions(gi, &rt, ext_pub));
	CR_CHECK(gi->group_context.group_id.n > 0 && gi->group_context.group_id.n <= MLS_MAX_GROUP_ID ? CR_OK
													: CR_ERR_INVALID);
	CR_CHECK(gi->group_context.confirmed_transcript_hash.n == MLS_NH &&
				 gi->group_context.tree_hash.n == MLS_NH && gi->confirmation_tag.n == MLS_NH
			 ? CR_OK
			 : CR_ERR_INVALID);
	CR_CHECK(gi->group_context.epoch < UINT64_MAX ? CR_OK : CR_ERR_INVALID);

	CR_CHECK(mls_group_alloc(&g));
	memcpy(g->gid, gi->group_context.group_id.p, gi->group_context.group_id.n);
	g->gid_len = gi->group_context.group_id.n;
	if (gi->group_context.extensions.n) {
		g->gc_ext = malloc(gi->group_context.extensions.n);
		CR_CHECK(g->gc_ext ? CR_OK : CR_ERR_NOMEM);
		memcpy(g->gc_ext, gi->group_context.extensions.p, gi->group_context.extensions.n);
		g->gc_ext_len = gi->group_context.extensions.n;
	}
	/* The GroupInfo's epoch, public part only: tree and transcript. */
	mls_group_ep *c = &g->cur;
	c->epoch = gi->group_context.epoch;
	memcpy(c->confirmed, gi->group_context.confirmed_transcript_hash.p, MLS_NH);
	c->confirmed_len = MLS_NH;
	CR_CHECK(mls_interim_transcript_hash(c->interim, c->confirmed, gi->confirmation_tag.p, gi->confirmation_tag.n));
	c->interim_len = MLS_NH;
	CR_CHECK(mls_tree_decode(rt.p, rt.n, &c->tree));
	CR_CHECK(mls_tree_validate(&c->tree, g->gid, g->gid_len));
	CR_CHECK(mls_tree_root_hash(&c->tree, c->tree_hash));
	CR_CHECK(cr_ct_equal(gi->group_context.tree_hash.p, c->tree_hash, MLS_NH) ? CR_OK : CR_ERR_INVALID);
	/* Section 12.4.3.2: the GroupInfo's signature by its signer's leaf. */
	const mls_leaf_node *signer = mls_tree_leaf(&c->tree, gi->signer);
	CR_CHECK(signer ? CR_OK : CR_ERR_INVALID);
	CR_CHECK(gi->signature.n == MLS_SIG_LEN ? CR_OK : CR_ERR_AUTH);
	mls_group_info_tbs_write(&tbs, gi);
	CR_CHECK(cr_writer_error(&tbs));
	CR_CHECK(mls_verify_with_label(gi->signature.p, signer->signature_key, "GroupInfoTBS", tbs.p, tbs.len));

	/* Resync: a previous leaf of the same identity is removed. */
	uint32_t old = remove;
	if (remove == MLS_EXT_REMOVE_SAME_IDENTITY && mls_group_find_member(g, identity, identity_len, &old) != CR_OK)
		old = MLS_EXT_REMOVE_NONE;
	CR_CHECK(old == MLS_EXT_REMOVE_NONE || mls_tree_leaf(&c->tree, old) ? CR_OK : CR_ERR_ARG);

	/* The joiner's leaf fields; a key_package-source placeholder holds the
	 * place an Add would take until the path replaces it. */
	memset(&f, 0, sizeof f);
	CR_CHECK(mls_group_kp_leaf_fields(&f, sig_seed, identity, identity_len, 0, UINT64_MAX));
	CR_CHECK(mls_leaf_sign(&f, sig_seed, NULL, 0, 0, &ph));

	mls_group_ep *e = &g->pend;
	e->epoch = c->epoch + 1;
	CR_CHECK(mls_tree_copy(&e->tree, &c->tree));
	if (old != MLS_EXT_REMOVE_NONE)
		CR_CHECK(mls_tree_remove_leaf(&e->tree, old));
	uint32_t me;
	CR_CHECK(mls_tree_add_leaf(&e->tree, &ph, &me));
	CR_CHECK(mls_treekem_create(&e->tree, me, &f, sig_seed, g->gid, g->gid_len, rng, &e->priv, &tsec));
	CR_CHECK(mls_tree_check_structure(&e->tree));
	CR_CHECK(mls_tree_root_hash(&e->tree, e->tree_hash));
	CR_CHECK(mls_group_gc_encode(g, e->epoch, e->tree_hash, c->confirmed, c->confirmed_len, &pgc));
	CR_CHECK(mls_treekem_encrypt(&e->tree, me, &tsec, NULL, 0, pgc.p, pgc.len, rng, &up));
	mls_update_path_write(&path, &up);
	CR_CHECK(cr_writer_error(&path));

	/* Section 8.3: the ExternalInit and the init_secret it carries. */
	CR_CHECK(mls_hpke_setup_base_s(&hctx, kem, ext_pub, NULL, 0, rng));
	CR_CHECK(ext_init_export(&hctx, init));
	size_t count = 1;
	cr_write_u8(&props, MLS_POR_PROPOSAL);
	cr_write_u16(&props, MLS_PROPOSAL_EXTERNAL_INIT);
	cr_write_opaque(&props, kem, sizeof kem);
	if (old != MLS_EXT_REMOVE_NONE) {
		cr_write_u8(&props, MLS_POR_PROPOSAL);
		cr_write_u16(&props, MLS_PROPOSAL_REMOVE);
		cr_write_u32(&props, old);
		count++;
	}
	CR_CHECK(cr_writer_error(&props));

	memset(&pub, 0, sizeof pub);
	mls_public_message *pm = &pub;
	mls_framed_content *fc = &pm->content;
	fc->group_id = (cr_span){ g->gid, g->gid_len };
	fc->epoch = c->epoch;
	fc->sender.type = MLS_SENDER_NEW_MEMBER_COMMIT;
	fc->content_type = MLS_CONTENT_COMMIT;
	fc->commit.proposals.body = (cr_span){ props.p, props.len };
	fc->commit.proposals.count = count;
	fc->commit.has_path = true;
	fc->commit.path = (cr_span){ path.p, path.len };
	CR_CHECK(current_gc(g, &gc));
	CR_CHECK(mls_framed_content_sign(sig, MLS_WIRE_PUBLIC_MESSAGE, fc, (cr_span){ gc.p, gc.len }, sig_seed));
	CR_CHECK(mls_group_confirmed_hash(e->confirmed, c, fc, (cr_span){ sig, sizeof sig }));
	e->confirmed_len = MLS_NH;
	CR_CHECK(mls_group_ep_schedule(g, e, init, tsec.commit_secret));
	mls_confirmation_tag(tag, e->sec.confirmation_key, e->confirmed);
	CR_CHECK(mls_interim_transcript_hash(e->interim, e->confirmed, tag, sizeof tag));
	e->interim_len = MLS_NH;
	pm->confirmation_tag = (cr_span){ tag, sizeof tag };
	/* No membership tag: the sender is not a member yet (section 6.2). */
	CR_CHECK(mls_public_message_protect(pm, sig, mtag, (cr_span){ gc.p, gc.len }, sig_seed, NULL));
	mls_message_write_public(&msg, pm);
	CR_CHECK(cr_writer_error(&msg));
	*commit = cr_writer_take(&msg, commit_len);
	CR_CHECK(*commit ? CR_OK : CR_ERR_NOMEM);
	memcpy(g->sig_seed, sig_seed, sizeof g->sig_seed);
	/* Inactive until mls_group_commit_confirm: the GroupInfo's epoch has no
	 * secrets this joiner could use. */
	g->active = false;
	g->has_pend = true;
	*out = g;
	g = NULL;
out:
	mls_group_free(g);
	mls_leaf_free(&ph);
	mls_treekem_secrets_wipe(&tsec);
	mls_update_path_free(&up);
	mls_hpke_ctx_wipe(&hctx);
	cr_wipe(init, sizeof init);
	cr_writer_free(&tbs);
	cr_writer_free(&pgc);
	cr_writer_free(&gc);
	cr_writer_free(&path);
	cr_writer_free(&props);
	cr_writer_free(&msg);
	return err;
}

cr_err mls_group_process_external(mls_group *g, const mls_public_message *pm, mls_processed *what)
{
	mls_group_ep n;
	mls_update_path up;
	mls_hpke_ctx hctx;
	mls_leaf_node ph;
	uint8_t init[MLS_NH], commit_secret[MLS_NH], ext_priv[MLS_HPKE_KEY_LEN], ext_pub[MLS_HPKE_KEY_LEN];
	cr_writer gc, pgc;
	cr_span kem = { NULL, 0 };
	uint32_t removed = UINT32_MAX;
	size_t n_init = 0;
	cr_err err;
	const mls_framed_content *fc = &pm->content;
	const mls_commit *cm = &fc->commit;
	memset(&n, 0, sizeof n);
	memset(&up, 0, sizeof up);
	memset(&hctx, 0, sizeof hctx);
	memset(&ph, 0, sizeof ph);
	memset(init, 0, sizeof init);
	memset(commit_secret, 0, sizeof commit_secret);
	memset(ext_priv, 0, sizeof ext_priv);
	cr_writer_init_dynamic(&gc, 16);
	cr_writer_init_dynamic(&pgc, 16);
	CR_CHECK(fc->sender.type == MLS_SENDER_NEW_MEMBER_COMMIT && fc->content_type == MLS_CONTENT_COMMIT
			 ? CR_OK
			 : CR_ERR_INVALID);
	/* Section 12.4.3.2: a path is required; exactly one ExternalInit, at
	 * most one Remove (resync), everything by value. PreSharedKey
	 * proposals, also allowed by the RFC, are not supported here. */
	CR_CHECK(cm->has_path ? CR_OK : CR_ERR_INVALID);
	cr_reader it;
	mls_vec_iter(&cm->proposals, &it);
	mls_proposal_or_ref por;
	while ((err = mls_commit_proposals_next(&it, &por)) == CR_OK) {
		CR_CHECK(por.type == MLS_POR_PROPOSAL ? CR_OK : CR_ERR_INVALID);
		if (por.proposal.type == MLS_PROPOSAL_EXTERNAL_INIT) {
			CR_CHECK(n_init++ == 0 ? CR_OK : CR_ERR_INVALID);
			kem = por.proposal.u.external_init;
		} else if (por.proposal.type == MLS_PROPOSAL_REMOVE) {
			CR_CHECK(removed == UINT32_MAX ? CR_OK : CR_ERR_INVALID);
			removed = por.proposal.u.remove;
			CR_CHECK(mls_tree_leaf(&g->cur.tree, removed) ? CR_OK : CR_ERR_INVALID);
		} else {
			CR_CHECK(CR_ERR_INVALID);
		}
	}
	CR_CHECK(err == CR_ERR_NOT_FOUND ? CR_OK : err);
	CR_CHECK(n_init == 1 && kem.n == MLS_HPKE_NENC ? CR_OK : CR_ERR_INVALID);
	CR_CHECK(mls_update_path_decode(cm->path.p, cm->path.n, &up));
	/* Signed by the joiner's new leaf; no membership tag. */
	CR_CHECK(current_gc(g, &gc));
	CR_CHECK(mls_public_message_verify(pm, (cr_span){ gc.p, gc.len }, up.leaf.signature_key, NULL));
	if (removed != UINT32_MAX) {
		/* Resync: the removed leaf must be the joiner's former self. */
		const mls_leaf_node *o = mls_tree_leaf(&g->cur.tree, removed);
		CR_CHECK(o->credential_type == up.leaf.credential_type && o->credential.n == up.leaf.credential.n &&
					 memcmp(o->credential.p, up.leaf.credential.p, o->credential.n) == 0
				 ? CR_OK
				 : CR_ERR_INVALID);
	}

	n.epoch = g->cur.epoch + 1;
	CR_CHECK(mls_tree_copy(&n.tree, &g->cur.tree));
	n.priv = g->cur.priv;
	if (removed != UINT32_MAX)
		CR_CHECK(mls_tree_remove_leaf(&n.tree, removed));
	/* A placeholder where an Add would put the joiner, for the path to
	 * replace; its encryption key is cleared so that treekem_merge's "new
	 * key" rule does not compare the path's leaf with itself. */
	uint32_t j;
	CR_CHECK(mls_leaf_copy(&ph, &up.leaf));
	CR_CHECK(mls_tree_add_leaf(&n.tree, &ph, &j));
	memset(n.tree.nodes[2 * j].leaf.encryption_key, 0, MLS_KEY_LEN);
	CR_CHECK(mls_treekem_merge(&n.tree, j, &up, g->gid, g->gid_len));
	CR_CHECK(mls_tree_check_structure(&n.tree));
	if (removed == g->cur.priv.leaf) {
		/* Our own identity rejoined from elsewhere: signed and well
		 * formed, so this device is out (as in process_commit). */
		*what = MLS_PROCESSED_REMOVED;
		g->active = false;
		mls_group_props_clear(g);
		mls_group_commit_discard(g);
		goto out;
	}
	CR_CHECK(mls_tree_root_hash(&n.tree, n.tree_hash));
	CR_CHECK(mls_group_gc_encode(g, n.epoch, n.tree_hash, g->cur.confirmed, g->cur.confirmed_len, &pgc));
	CR_CHECK(mls_treekem_decrypt(&n.tree, j, &up, NULL, 0, pgc.p, pgc.len, &n.priv, NULL, commit_secret));
	/* Section 8.3: init_secret from the ExternalInit, with the external key. */
	CR_CHECK(mls_external_key_pair(ext_priv, ext_pub, g->cur.sec.external_secret));
	CR_CHECK(mls_hpke_setup_base_r(&hctx, kem.p, ext_priv, NULL, 0));
	CR_CHECK(ext_init_export(&hctx, init));
	CR_CHECK(mls_group_confirmed_hash(n.confirmed, &g->cur, fc, pm->signature));
	n.confirmed_len = MLS_NH;
	CR_CHECK(mls_group_ep_schedule(g, &n, init, commit_secret));
	CR_CHECK(mls_confirmation_tag_verify(pm->confirmation_tag.p, pm->confirmation_tag.n, n.sec.confirmation_key,
					     n.confirmed));
	CR_CHECK(mls_interim_transcript_hash(n.interim, n.confirmed, pm->confirmation_tag.p,
					     pm->confirmation_tag.n));
	n.interim_len = MLS_NH;
	/* Everything checked: our own pending commit for this epoch lost. */
	mls_group_commit_discard(g);
	mls_group_enter_epoch(g, &n);
	*what = MLS_PROCESSED_COMMIT;
out:
	mls_group_ep_free(&n);
	mls_update_path_free(&up);
	mls_hpke_ctx_wipe(&hctx);
	mls_leaf_free(&ph);
	cr_wipe(init, sizeof init);
	cr_wipe(commit_secret, sizeof commit_secret);
	cr_wipe(ext_priv, sizeof ext_priv);
	cr_writer_free(&gc);
	cr_writer_free(&pgc);
	return err;
}
