/*
 * group.c: key packages, group creation, joining from a Welcome,
 * application messages and accessors (see group.h). Commits are in
 * group_commit.c, serialization in group_state.c.
 */
#include <stdlib.h>
#include <string.h>

#include "ed25519.h"
#include "aes_gcm.h"
#include "group_int.h"
#include "msg_groupinfo.h"
#include "msg_keypackage.h"
#include "msg_message.h"
#include "msg_private.h"
#include "msg_protect.h"
#include "msg_welcome.h"
#include "psk.h"
#include "transcript.h"
#include "wipe.h"
#include "x25519.h"

static const uint8_t U16_ONE[2] = { 0, 1 };

void mls_kp_secrets_wipe(mls_kp_secrets *s)
{
	cr_wipe(s, sizeof *s);
}

cr_err mls_group_kp_leaf_fields(mls_leaf_fields *f, const uint8_t sig_seed[MLS_SIG_SEED_LEN], const uint8_t *identity,
				size_t identity_len, uint64_t not_before, uint64_t not_after)
{
	CR_TRY(cr_ed25519_public(f->signature_key, sig_seed));
	f->credential_type = MLS_CRED_BASIC;
	f->credential = (cr_span){ identity, identity_len };
	f->caps.versions = (cr_span){ U16_ONE, 2 };
	f->caps.cipher_suites = (cr_span){ U16_ONE, 2 };
	f->caps.credentials = (cr_span){ U16_ONE, 2 };
	f->source = MLS_SRC_KEY_PACKAGE;
	f->not_before = not_before;
	f->not_after = not_after;
	return CR_OK;
}

cr_err mls_keypackage_create(const uint8_t sig_seed[MLS_SIG_SEED_LEN], const uint8_t *identity,
			     size_t identity_len, uint64_t not_before, uint64_t not_after, const cr_rng *rng,
			     uint8_t **kp, size_t *kp_len, mls_kp_secrets *sec)
{
	mls_leaf_fields f;
	mls_leaf_node leaf;
	uint8_t init_pub[32], sig[MLS_SIG_LEN];
	cr_writer w;
	cr_err err;
	memset(&leaf, 0, sizeof leaf);
	memset(sec, 0, sizeof *sec);
	*kp = NULL;
	*kp_len = 0;
	cr_writer_init_dynamic(&w, MLS_LEAF_MAX_LEN + 1024);
	CR_ENSURE(identity_len > 0 && identity_len <= MLS_IDENTITY_MAX, CR_ERR_ARG);
	memset(&f, 0, sizeof f);
	CR_CHECK(cr_x25519_keygen(sec->init_priv, init_pub, rng));
	CR_CHECK(cr_x25519_keygen(sec->enc_priv, f.encryption_key, rng));
	CR_CHECK(mls_group_kp_leaf_fields(&f, sig_seed, identity, identity_len, not_before, not_after));
	CR_CHECK(mls_leaf_sign(&f, sig_seed, NULL, 0, 0, &leaf));
	/* KeyPackageTBS, then its signature (RFC 9420 section 10). */
	cr_write_u16(&w, MLS_VERSION_MLS10);
	cr_write_u16(&w, MLS_SUITE_ID);
	cr_write_opaque(&w, init_pub, sizeof init_pub);
	mls_leaf_encode(&w, &leaf);
	cr_write_varint(&w, 0);
	CR_CHECK(cr_writer_error(&w));
	CR_CHECK(mls_sign_with_label(sig, sig_seed, "KeyPackageTBS", w.p, w.len));
	cr_write_opaque(&w, sig, sizeof sig);
	CR_CHECK(cr_writer_error(&w));
	*kp = cr_writer_take(&w, kp_len);
	CR_ENSURE(*kp != NULL, CR_ERR_NOMEM);
out:
	if (err)
		mls_kp_secrets_wipe(sec);
	mls_leaf_free(&leaf);
	cr_writer_free(&w);
	return err;
}

/* Section 10.1 on a decoded KeyPackage; leaf receives its LeafNode. */
static cr_err kp_check(const mls_key_package *kp, uint64_t now, mls_leaf_node *leaf)
{
	cr_writer w;
	cr_err err;
	memset(leaf, 0, sizeof *leaf);
	CR_ENSURE(kp->version == MLS_VERSION_MLS10, CR_ERR_UNSUPPORTED);
	CR_ENSURE(kp->cipher_suite == MLS_SUITE_ID, CR_ERR_UNSUPPORTED);
	CR_ENSURE(kp->init_key.n == MLS_HPKE_KEY_LEN && kp->signature.n == MLS_SIG_LEN, CR_ERR_INVALID);
	cr_writer_init_dynamic(&w, MLS_MAX_MESSAGE);
	CR_CHECK(mls_leaf_parse(kp->leaf_node.p, kp->leaf_node.n, leaf));
	CR_CHECK(leaf->source == MLS_SRC_KEY_PACKAGE ? CR_OK : CR_ERR_INVALID);
	CR_CHECK(leaf->credential_type == MLS_CRED_BASIC ? CR_OK : CR_ERR_UNSUPPORTED);
	CR_CHECK(mls_u16_list_has(leaf->caps.versions, MLS_VERSION_MLS10) &&
				 mls_u16_list_has(leaf->caps.cipher_suites, MLS_SUITE_ID) &&
				 mls_u16_list_has(leaf->caps.credentials, MLS_CRED_BASIC)
			 ? CR_OK
			 : CR_ERR_INVALID);
	/* "The value for init_key MUST be different from the encryption_key". */
	CR_CHECK(memcmp(kp->init_key.p, leaf->encryption_key, MLS_KEY_LEN) != 0 ? CR_OK : CR_ERR_INVALID);
	if (now)
		CR_CHECK(now >= leaf->not_before && now <= leaf->not_after ? CR_OK : CR_ERR_INVALID);
	CR_CHECK(mls_leaf_verify(leaf, NULL, 0, 0));
	mls_key_package_tbs_write(&w, kp);
	CR_CHECK(cr_writer_error(&w));
	CR_CHECK(mls_verify_with_label(kp->signature.p, leaf->signature_key, "KeyPackageTBS", w.p, w.len));
out:
	if (err)
		mls_leaf_free(leaf);
	cr_writer_free(&w);
	return err;
}

cr_err mls_keypackage_validate(const uint8_t *p, size_t n, uint64_t now)
{
	mls_key_package kp;
	mls_leaf_node leaf;
	CR_TRY(mls_key_package_decode(p, n, &kp));
	CR_TRY(kp_check(&kp, now, &leaf));
	mls_leaf_free(&leaf);
	return CR_OK;
}

/* ---- state ---- */

void mls_group_ep_free(mls_group_ep *e)
{
	mls_tree_free(&e->tree);
	mls_tree_priv_wipe(&e->priv);
	mls_epoch_secrets_wipe(&e->sec);
	mls_secret_tree_free(&e->st);
	cr_wipe(e, sizeof *e);
}

cr_err mls_group_alloc(mls_group **g)
{
	*g = calloc(1, sizeof **g);
	return *g ? CR_OK : CR_ERR_NOMEM;
}

void mls_group_free(mls_group *g)
{
	if (!g)
		return;
	mls_group_ep_free(&g->cur);
	mls_group_ep_free(&g->pend);
	mls_tree_redo_free(&g->pend_tree);
	mls_group_props_clear(g);
	free(g->gc_ext);
	cr_wipe(g, sizeof *g);
	free(g);
}

cr_err mls_group_gc_encode(const mls_group *g, uint64_t epoch, const uint8_t *tree_hash,
			   const uint8_t *confirmed, size_t confirmed_len, cr_writer *w)
{
	mls_group_context gc = {
		.cipher_suite = MLS_SUITE_ID,
		.group_id = { g->gid, g->gid_len },
		.epoch = epoch,
		.tree_hash = { tree_hash, MLS_NH },
		.confirmed_transcript_hash = { confirmed, confirmed_len },
		.extensions = { g->gc_ext, g->gc_ext_len },
	};
	cr_writer_init_dynamic(w, MLS_GC_EXTENSIONS_MAX + MLS_MAX_GROUP_ID + 256);
	mls_group_context_write(w, &gc);
	return cr_writer_error(w);
}

cr_err mls_group_ep_schedule(const mls_group *g, mls_group_ep *e, const uint8_t init_secret[MLS_NH],
			     const uint8_t *commit_secret)
{
	cr_writer w;
	cr_err err;
	CR_CHECK(mls_group_gc_encode(g, e->epoch, e->tree_hash, e->confirmed, e->confirmed_len, &w));
	CR_CHECK(mls_key_schedule_from_init(&e->sec, init_secret, commit_secret, NULL, w.p, w.len));
	CR_CHECK(mls_secret_tree_init(&e->st, e->sec.encryption_secret, e->tree.n_leaves));
out:
	cr_writer_free(&w);
	return err;
}

static cr_err set_gid(mls_group *g, const uint8_t *gid, size_t n)
{
	CR_ENSURE(n > 0 && n <= MLS_MAX_GROUP_ID, CR_ERR_ARG);
	memcpy(g->gid, gid, n);
	g->gid_len = n;
	return CR_OK;
}

cr_err mls_group_create(mls_group **out, const uint8_t *group_id, size_t group_id_len, const uint8_t *kpb,
			size_t kp_len, const mls_kp_secrets *kps, const uint8_t sig_seed[MLS_SIG_SEED_LEN],
			const cr_rng *rng)
{
	mls_group *g = NULL;
	mls_key_package kp;
	mls_leaf_node leaf;
	uint8_t init[MLS_NH], pub[32];
	cr_err err;
	memset(&leaf, 0, sizeof leaf);
	*out = NULL;
	CR_TRY(mls_key_package_decode(kpb, kp_len, &kp));
	CR_TRY(kp_check(&kp, 0, &leaf));
	CR_CHECK(mls_group_alloc(&g));
	CR_CHECK(set_gid(g, group_id, group_id_len));
	CR_CHECK(cr_ed25519_public(pub, sig_seed));
	CR_CHECK(cr_ct_equal(pub, leaf.signature_key, 32) ? CR_OK : CR_ERR_ARG);
	memcpy(g->sig_seed, sig_seed, sizeof g->sig_seed);
	CR_CHECK(mls_tree_create(&g->cur.tree, &leaf));
	g->cur.priv.leaf = 0;
	memcpy(g->cur.priv.leaf_priv, kps->enc_priv, MLS_KEY_LEN);
	CR_CHECK(mls_tree_priv_check(&g->cur.priv, &g->cur.tree));
	CR_CHECK(mls_tree_root_hash(&g->cur.tree, g->cur.tree_hash));
	/* Epoch 0 (section 11): a fresh random init secret; empty transcripts. */
	CR_CHECK(cr_random(rng, init, sizeof init));
	CR_CHECK(mls_group_ep_schedule(g, &g->cur, init, NULL));
	g->active = true;
	*out = g;
	g = NULL;
out:
	cr_wipe(init, sizeof init);
	mls_leaf_free(&leaf);
	mls_group_free(g);
	return err;
}

/* ---- joining (section 12.4.3.1) ---- */

#define EXT_RATCHET_TREE 2

/* Sets the path secrets of the joiner's direct path from the LCA with the
 * committer upwards: above the LCA both direct paths are the same nodes. */
static cr_err join_path_secret(mls_group_ep *e, uint32_t signer, cr_span ps)
{
	uint32_t fdp[MLS_TM_MAX_DEPTH];
	uint8_t cur[MLS_NH], pub[MLS_KEY_LEN];
	cr_err err = CR_OK;
	CR_ENSURE(ps.n == MLS_NH, CR_ERR_INVALID);
	uint32_t n = mls_tree_filtered_direct_path(&e->tree, e->priv.leaf, fdp);
	uint32_t i = 0;
	while (i < n && !mls_tm_in_subtree(2 * signer, fdp[i]))
		i++;
	CR_ENSURE(i < n, CR_ERR_INVALID);
	memcpy(cur, ps.p, MLS_NH);
	for (; i < n; i++) {
		CR_CHECK(mls_tree_priv_set_path_secret(&e->priv, fdp[i], cur, pub));
		const mls_node *nd = &e->tree.nodes[fdp[i]];
		CR_CHECK(nd->type == MLS_NODE_PARENT && cr_ct_equal(nd->parent.encryption_key, pub, MLS_KEY_LEN)
				 ? CR_OK
				 : CR_ERR_INVALID);
		if (i + 1 < n)
			CR_CHECK(mls_derive_secret(cur, cur, MLS_NH, "path"));
	}
out:
	cr_wipe(cur, sizeof cur);
	return err;
}

/* The ratchet_tree extension. mls_ext_find (leaf.h) bounds extension data
 * by the size of a leaf; a GroupInfo's tree may be up to a message. */
static cr_err find_ratchet_tree(const mls_group_info *gi, cr_span *rt)
{
	cr_reader it;
	mls_extension x;
	cr_err err;
	mls_vec_iter(&gi->extensions, &it);
	while ((err = mls_extensions_next(&it, &x)) == CR_OK) {
		if (x.type == EXT_RATCHET_TREE) {
			*rt = x.data;
			return CR_OK;
		}
	}
	return err == CR_ERR_NOT_FOUND ? CR_ERR_UNSUPPORTED : err;
}

/* psk_secret of the GroupSecrets' PSK list, from the caller's external PSKs. */
static cr_err join_psk_secret(const mls_group_secrets *gs, const mls_external_psk *ext, size_t n_ext,
			      uint8_t out[MLS_NH])
{
	mls_psk list[MLS_MAX_PSKS];
	size_t n = 0;
	cr_reader it;
	mls_psk_id id;
	cr_err err;
	CR_ENSURE(gs->psks.count <= MLS_MAX_PSKS, CR_ERR_LIMIT);
	mls_vec_iter(&gs->psks, &it);
	while ((err = mls_psk_ids_next(&it, &id)) == CR_OK) {
		CR_ENSURE(id.psktype == MLS_PSK_EXTERNAL, CR_ERR_UNSUPPORTED);
		CR_ENSURE(n < MLS_MAX_PSKS, CR_ERR_LIMIT);
		size_t k = 0;
		while (k < n_ext && !(ext[k].id_len == id.psk_id.n && memcmp(ext[k].id, id.psk_id.p, id.psk_id.n) == 0))
			k++;
		CR_ENSURE(k < n_ext, CR_ERR_NOT_FOUND);
		list[n].id = id;
		list[n].psk = ext[k].psk;
		list[n].psk_len = ext[k].psk_len;
		n++;
	}
	CR_ENSURE(err == CR_ERR_NOT_FOUND, err);
	return mls_psk_secret(out, list, n);
}

cr_err mls_group_join(mls_group **out, const uint8_t *welcome, size_t welcome_len, const uint8_t *kpb,
		      size_t kp_len, const mls_kp_secrets *kps, const uint8_t sig_seed[MLS_SIG_SEED_LEN])
{
	return mls_group_join_ex(out, welcome, welcome_len, kpb, kp_len, kps, sig_seed, NULL, 0, NULL, 0);
}

cr_err mls_group_join_ex(mls_group **out, const uint8_t *welcome, size_t welcome_len, const uint8_t *kpb,
			 size_t kp_len, const mls_kp_secrets *kps, const uint8_t sig_seed[MLS_SIG_SEED_LEN],
			 const uint8_t *ratchet_tree, size_t ratchet_tree_len, const mls_external_psk *psks,
			 size_t n_psks)
{
	uint8_t psk_secret[MLS_NH];
	mls_group *g = NULL;
	mls_message m;
	mls_key_package kp;
	mls_leaf_node leaf;
	mls_encrypted_group_secrets egs;
	mls_group_secrets gs;
	mls_group_info gi;
	mls_epoch_secrets tmp;
	uint8_t ref[MLS_NH], key[MLS_NK], nonce[MLS_NN], pub[32];
	uint8_t *gs_pt = NULL, *gi_pt = NULL;
	size_t gs_len = 0, gi_len = 0;
	cr_writer w, tbs;
	cr_err err;
	memset(&leaf, 0, sizeof leaf);
	memset(&tmp, 0, sizeof tmp);
	memset(psk_secret, 0, sizeof psk_secret);
	*out = NULL;
	cr_writer_init_dynamic(&w, 16);
	cr_writer_init_dynamic(&tbs, MLS_MAX_MESSAGE);
	CR_CHECK(mls_message_decode(welcome, welcome_len, &m));
	CR_CHECK(m.wire_format == MLS_WIRE_WELCOME ? CR_OK : CR_ERR_INVALID);
	CR_CHECK(m.u.welcome.cipher_suite == MLS_SUITE_ID ? CR_OK : CR_ERR_UNSUPPORTED);
	CR_CHECK(mls_key_package_decode(kpb, kp_len, &kp));
	CR_CHECK(kp_check(&kp, 0, &leaf));
	CR_CHECK(cr_ed25519_public(pub, sig_seed));
	CR_CHECK(cr_ct_equal(pub, leaf.signature_key, 32) ? CR_OK : CR_ERR_ARG);
	CR_CHECK(mls_make_key_package_ref(ref, kpb, kp_len));
	CR_CHECK(mls_welcome_find(&m.u.welcome, ref, sizeof ref, &egs));
	CR_CHECK(egs.kem_output.n == MLS_KEM_OUTPUT_LEN && egs.ciphertext.n > 16 &&
				 egs.ciphertext.n <= 4096
			 ? CR_OK
			 : CR_ERR_INVALID);
	gs_len = egs.ciphertext.n - 16;
	gs_pt = malloc(gs_len);
	CR_CHECK(gs_pt ? CR_OK : CR_ERR_NOMEM);
	CR_CHECK(mls_decrypt_with_label(gs_pt, kps->init_priv, "Welcome", m.u.welcome.encrypted_group_info.p,
					m.u.welcome.encrypted_group_info.n, egs.kem_output.p, egs.ciphertext.p,
					egs.ciphertext.n));
	CR_CHECK(mls_group_secrets_decode(gs_pt, gs_len, &gs));
	CR_CHECK(gs.joiner_secret.n == MLS_NH ? CR_OK : CR_ERR_INVALID);
	CR_CHECK(join_psk_secret(&gs, psks, n_psks, psk_secret));
	/* welcome_secret depends on joiner_secret and psk_secret only. */
	CR_CHECK(mls_key_schedule_from_joiner(&tmp, gs.joiner_secret.p, psk_secret, NULL, 0));
	CR_CHECK(mls_welcome_key_nonce(key, nonce, tmp.welcome_secret));
	CR_CHECK(m.u.welcome.encrypted_group_info.n > 16 ? CR_OK : CR_ERR_AUTH);
	gi_len = m.u.welcome.encrypted_group_info.n - 16;
	gi_pt = malloc(gi_len);
	CR_CHECK(gi_pt ? CR_OK : CR_ERR_NOMEM);
	CR_CHECK(cr_aes128gcm_open(gi_pt, key, nonce, NULL, 0, m.u.welcome.encrypted_group_info.p,
				   m.u.welcome.encrypted_group_info.n));
	CR_CHECK(mls_group_info_decode(gi_pt, gi_len, &gi));

	CR_CHECK(mls_group_alloc(&g));
	CR_CHECK(set_gid(g, gi.group_context.group_id.p, gi.group_context.group_id.n));
	if (gi.group_context.extensions.n) {
		g->gc_ext = malloc(gi.group_context.extensions.n);
		CR_CHECK(g->gc_ext ? CR_OK : CR_ERR_NOMEM);
		memcpy(g->gc_ext, gi.group_context.extensions.p, gi.group_context.extensions.n);
		g->gc_ext_len = gi.group_context.extensions.n;
	}
	mls_group_ep *e = &g->cur;
	e->epoch = gi.group_context.epoch;
	CR_CHECK(gi.group_context.confirmed_transcript_hash.n == MLS_NH ? CR_OK : CR_ERR_INVALID);
	memcpy(e->confirmed, gi.group_context.confirmed_transcript_hash.p, MLS_NH);
	e->confirmed_len = MLS_NH;
	cr_span rt = { ratchet_tree, ratchet_tree_len };
	if (!ratchet_tree)
		CR_CHECK(find_ratchet_tree(&gi, &rt));
	CR_CHECK(mls_tree_decode(rt.p, rt.n, &e->tree));
	CR_CHECK(mls_tree_validate(&e->tree, g->gid, g->gid_len));
	CR_CHECK(mls_tree_root_hash(&e->tree, e->tree_hash));
	CR_CHECK(gi.group_context.tree_hash.n == MLS_NH &&
				 cr_ct_equal(gi.group_context.tree_hash.p, e->tree_hash, MLS_NH)
			 ? CR_OK
			 : CR_ERR_INVALID);
	/* GroupInfo signature by its signer's leaf (section 12.4.3). */
	const mls_leaf_node *signer = mls_tree_leaf(&e->tree, gi.signer);
	CR_CHECK(signer ? CR_OK : CR_ERR_INVALID);
	CR_CHECK(gi.signature.n == MLS_SIG_LEN ? CR_OK : CR_ERR_AUTH);
	mls_group_info_tbs_write(&tbs, &gi);
	CR_CHECK(cr_writer_error(&tbs));
	CR_CHECK(mls_verify_with_label(gi.signature.p, signer->signature_key, "GroupInfoTBS", tbs.p, tbs.len));
	/* Our own leaf: the one that is byte for byte our KeyPackage's. */
	uint32_t me = UINT32_MAX;
	for (uint32_t i = 0; i < e->tree.n_leaves; i++) {
		const mls_leaf_node *l = mls_tree_leaf(&e->tree, i);
		if (l && l->enc_len == kp.leaf_node.n && memcmp(l->enc, kp.leaf_node.p, l->enc_len) == 0) {
			me = i;
			break;
		}
	}
	CR_CHECK(me != UINT32_MAX ? CR_OK : CR_ERR_INVALID);
	e->priv.leaf = me;
	memcpy(e->priv.leaf_priv, kps->enc_priv, MLS_KEY_LEN);
	if (gs.has_path_secret)
		CR_CHECK(join_path_secret(e, gi.signer, gs.path_secret));
	CR_CHECK(mls_tree_priv_check(&e->priv, &e->tree));
	/* Epoch secrets with the real GroupContext, then the confirmation tag. */
	CR_CHECK(mls_group_gc_encode(g, e->epoch, e->tree_hash, e->confirmed, e->confirmed_len, &w));
	CR_CHECK(mls_key_schedule_from_joiner(&e->sec, gs.joiner_secret.p, psk_secret, w.p, w.len));
	CR_CHECK(mls_confirmation_tag_verify(gi.confirmation_tag.p, gi.confirmation_tag.n,
					     e->sec.confirmation_key, e->confirmed));
	CR_CHECK(mls_interim_transcript_hash(e->interim, e->confirmed, gi.confirmation_tag.p,
					     gi.confirmation_tag.n));
	e->interim_len = MLS_NH;
	CR_CHECK(mls_secret_tree_init(&e->st, e->sec.encryption_secret, e->tree.n_leaves));
	memcpy(g->sig_seed, sig_seed, sizeof g->sig_seed);
	g->active = true;
	*out = g;
	g = NULL;
out:
	mls_group_free(g);
	mls_epoch_secrets_wipe(&tmp);
	cr_wipe(psk_secret, sizeof psk_secret);
	mls_leaf_free(&leaf);
	cr_wipe(key, sizeof key);
	cr_wipe(nonce, sizeof nonce);
	if (gs_pt) {
		cr_wipe(gs_pt, gs_len);
		free(gs_pt);
	}
	if (gi_pt) {
		cr_wipe(gi_pt, gi_len);
		free(gi_pt);
	}
	cr_writer_free(&w);
	cr_writer_free(&tbs);
	return err;
}

/* ---- application messages (section 6.3) ---- */

cr_err mls_group_encrypt(mls_group *g, const uint8_t *pt, size_t pt_len, const cr_rng *rng, uint8_t **out,
			 size_t *out_len)
{
	mls_framed_content fc;
	cr_writer gc, w;
	cr_err err;
	*out = NULL;
	*out_len = 0;
	CR_ENSURE(g->active, CR_ERR_STATE);
	CR_ENSURE(pt_len <= MLS_MAX_CONTENT - 1024, CR_ERR_LIMIT);
	cr_writer_init_dynamic(&w, MLS_MAX_MESSAGE);
	memset(&fc, 0, sizeof fc);
	fc.group_id = (cr_span){ g->gid, g->gid_len };
	fc.epoch = g->cur.epoch;
	fc.sender.type = MLS_SENDER_MEMBER;
	fc.sender.index = g->cur.priv.leaf;
	fc.content_type = MLS_CONTENT_APPLICATION;
	fc.application_data = (cr_span){ pt, pt_len };
	CR_CHECK(mls_group_gc_encode(g, g->cur.epoch, g->cur.tree_hash, g->cur.confirmed, g->cur.confirmed_len,
				     &gc));
	CR_CHECK(mls_private_message_protect(&w, &fc, (cr_span){ NULL, 0 }, (cr_span){ gc.p, gc.len },
					     g->sig_seed, &g->cur.st, g->cur.sec.sender_data_secret, 0, rng));
	*out = cr_writer_take(&w, out_len);
	CR_CHECK(*out ? CR_OK : CR_ERR_NOMEM);
out:
	cr_writer_free(&gc);
	cr_writer_free(&w);
	return err;
}

/* The signature key of a sender leaf, for mls_private_message_open. */
static cr_err sender_signature_key(void *ctx, uint32_t leaf, uint8_t pub[MLS_SIG_PUB_LEN])
{
	const mls_leaf_node *l = mls_tree_leaf(ctx, leaf);
	if (!l)
		return CR_ERR_INVALID;
	memcpy(pub, l->signature_key, MLS_SIG_PUB_LEN);
	return CR_OK;
}

cr_err mls_group_decrypt(mls_group *g, const uint8_t *msg, size_t msg_len, uint8_t **pt_out, size_t *pt_len,
			 uint32_t *sender)
{
	mls_message m;
	mls_private_opened o;
	uint8_t *buf = NULL;
	size_t cap = 0;
	cr_writer gc;
	cr_err err;
	*pt_out = NULL;
	*pt_len = 0;
	cr_writer_init_dynamic(&gc, 16);
	CR_ENSURE(g->active, CR_ERR_STATE);
	CR_TRY(mls_message_decode(msg, msg_len, &m));
	CR_ENSURE(m.wire_format == MLS_WIRE_PRIVATE_MESSAGE, CR_ERR_INVALID);
	const mls_private_message *pm = &m.u.private_message;
	CR_ENSURE(pm->group_id.n == g->gid_len && memcmp(pm->group_id.p, g->gid, g->gid_len) == 0,
		  CR_ERR_INVALID);
	CR_ENSURE(pm->epoch == g->cur.epoch, CR_ERR_INVALID);
	CR_ENSURE(pm->content_type == MLS_CONTENT_APPLICATION, CR_ERR_UNSUPPORTED);
	CR_ENSURE(pm->ciphertext.n >= 16, CR_ERR_AUTH);
	cap = pm->ciphertext.n - 16;
	buf = malloc(cap ? cap : 1);
	CR_ENSURE(buf, CR_ERR_NOMEM);
	CR_CHECK(mls_group_gc_encode(g, g->cur.epoch, g->cur.tree_hash, g->cur.confirmed, g->cur.confirmed_len,
				     &gc));
	/* open verifies the signature with the sender's leaf key before it
	 * consumes the generation's key: a forgery burns nothing. */
	CR_CHECK(mls_private_message_open(pm, &g->cur.st, g->cur.sec.sender_data_secret, (cr_span){ gc.p, gc.len },
					  sender_signature_key, &g->cur.tree, buf, cap, &o));
	uint8_t *res = malloc(o.content.application_data.n ? o.content.application_data.n : 1);
	CR_CHECK(res ? CR_OK : CR_ERR_NOMEM);
	memcpy(res, o.content.application_data.p, o.content.application_data.n);
	*pt_out = res;
	*pt_len = o.content.application_data.n;
	if (sender)
		*sender = o.content.sender.index;
out:
	cr_wipe(buf, cap);
	free(buf);
	cr_writer_free(&gc);
	return err;
}

/* ---- accessors ---- */

uint64_t mls_group_epoch(const mls_group *g)
{
	return g->cur.epoch;
}

uint32_t mls_group_own_leaf(const mls_group *g)
{
	return g->cur.priv.leaf;
}

bool mls_group_active(const mls_group *g)
{
	return g->active;
}

uint32_t mls_group_member_count(const mls_group *g)
{
	uint32_t c = 0;
	for (uint32_t i = 0; i < g->cur.tree.n_leaves; i++)
		c += mls_tree_leaf(&g->cur.tree, i) != NULL;
	return c;
}

cr_err mls_group_find_member(const mls_group *g, const uint8_t *id, size_t id_len, uint32_t *leaf)
{
	for (uint32_t i = 0; i < g->cur.tree.n_leaves; i++) {
		const mls_leaf_node *l = mls_tree_leaf(&g->cur.tree, i);
		if (l && l->credential_type == MLS_CRED_BASIC && l->credential.n == id_len &&
		    memcmp(l->credential.p, id, id_len) == 0) {
			*leaf = i;
			return CR_OK;
		}
	}
	return CR_ERR_NOT_FOUND;
}

void mls_group_epoch_authenticator(const mls_group *g, uint8_t out[MLS_NH])
{
	memcpy(out, g->cur.sec.epoch_authenticator, MLS_NH);
}

cr_err mls_group_export(const mls_group *g, uint8_t *out, size_t out_len, const uint8_t *label, size_t label_len,
			const uint8_t *context, size_t context_len)
{
	CR_ENSURE(g->active, CR_ERR_STATE);
	return mls_exporter(out, out_len, g->cur.sec.exporter_secret, label, label_len, context, context_len);
}
