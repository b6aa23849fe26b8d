/*
 * group_commit.c: creating, confirming and processing commits and Remove
 * proposals (RFC 9420 sections 12.1-12.4). Both sides build the next epoch
 * in a separate mls_group_ep; the group's current epoch changes only on
 * mls_group_commit_confirm or at the very end of a fully checked commit.
 */
#include <stdlib.h>
#include <string.h>

#include "aes_gcm.h"
#include "group_external.h"
#include "group_int.h"
#include "msg_groupinfo.h"
#include "msg_keypackage.h"
#include "msg_message.h"
#include "msg_protect.h"
#include "msg_welcome.h"
#include "transcript.h"
#include "tree_journal.h"
#include "wipe.h"
#include "x25519.h"

#define EXT_RATCHET_TREE 2

/* ConfirmedTranscriptHashInput (section 8.2): wire_format, content, signature. */
cr_err mls_group_confirmed_hash(uint8_t out[MLS_NH], const mls_group_ep *prev, const mls_framed_content *fc,
			     cr_span sig)
{
	cr_writer w;
	cr_err err;
	cr_writer_init_dynamic(&w, MLS_MAX_MESSAGE + 1024);
	cr_write_u16(&w, MLS_WIRE_PUBLIC_MESSAGE);
	mls_framed_content_write(&w, fc);
	cr_write_opaque(&w, sig.p, sig.n);
	CR_CHECK(cr_writer_error(&w));
	CR_CHECK(mls_confirmed_transcript_hash(out, prev->interim, prev->interim_len, w.p, w.len));
out:
	cr_writer_free(&w);
	return err;
}

static bool in_list(const uint32_t *v, size_t n, uint32_t x)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == x)
			return true;
	return false;
}

/* A decoded and validated Add: KeyPackage bytes (owned: malloc'ed here)
 * and its leaf. */
typedef struct add_item {
	cr_span kp;
	bool owned;
	mls_leaf_node leaf;
} add_item;

/* An Update by reference: the sender's leaf index and its new leaf. */
typedef struct upd_item {
	uint32_t leaf;
	mls_leaf_node node;
} upd_item;

static cr_err kp_leaf(cr_span kpb, mls_leaf_node *leaf)
{
	mls_key_package kp;
	memset(leaf, 0, sizeof *leaf);
	CR_TRY(mls_keypackage_validate(kpb.p, kpb.n, 0));
	CR_TRY(mls_key_package_decode(kpb.p, kpb.n, &kp));
	return mls_leaf_parse(kp.leaf_node.p, kp.leaf_node.n, leaf);
}

/* Section 12.3: updates, then removes, then adds in list order (echover
 * commits no other proposal types). Fills added[] with the new leaves'
 * indices, ascending. */
static cr_err apply_proposals(mls_tree *t, const upd_item *upd, size_t n_upd, const uint32_t *rm, size_t n_rm,
			      const add_item *adds, size_t n_adds, uint32_t *added)
{
	for (size_t i = 0; i < n_upd; i++)
		CR_TRY(mls_tree_update_leaf(t, upd[i].leaf, &upd[i].node));
	for (size_t i = 0; i < n_rm; i++) {
		CR_ENSURE(mls_tree_leaf(t, rm[i]) != NULL, CR_ERR_INVALID);
		CR_TRY(mls_tree_remove_leaf(t, rm[i]));
	}
	for (size_t i = 0; i < n_adds; i++) {
		CR_TRY(mls_tree_add_leaf(t, &adds[i].leaf, &added[i]));
		CR_ENSURE(i == 0 || added[i] > added[i - 1], CR_ERR_STATE);
	}
	return CR_OK;
}

/* The tree passed the checks before the commit; removals (and the blanked
 * paths of updates) cannot break them, an add changes its leaf and (by
 * construction, consistently) the unmerged lists above it, an update its
 * leaf, and an UpdatePath (path_leaf, UINT32_MAX for none) its leaf and
 * direct path. One O(n) pass checks them all. */
static cr_err check_commit_changes(const mls_tree *t, const uint32_t *added, size_t n_adds, const upd_item *upd,
				   size_t n_upd, uint32_t path_leaf)
{
	uint32_t *ch = malloc((n_adds + n_upd + MLS_TM_MAX_DEPTH + 1) * sizeof *ch);
	CR_ENSURE(ch, CR_ERR_NOMEM);
	size_t n = 0;
	for (size_t i = 0; i < n_adds; i++)
		ch[n++] = 2 * added[i];
	for (size_t i = 0; i < n_upd; i++)
		ch[n++] = 2 * upd[i].leaf;
	if (path_leaf != UINT32_MAX) {
		uint32_t x = 2 * path_leaf, r = mls_tm_root(t->n_leaves);
		ch[n++] = x;
		for (uint32_t d = 0; x != r && d < MLS_TM_MAX_DEPTH; d++) {
			x = mls_tm_parent(x);
			ch[n++] = x;
		}
	}
	cr_err err = mls_tree_check_changed(t, ch, n);
	free(ch);
	return err;
}

static void adds_free(add_item *a, size_t n)
{
	if (!a)
		return;
	for (size_t i = 0; i < n; i++) {
		mls_leaf_free(&a[i].leaf);
		if (a[i].owned)
			free((void *)a[i].kp.p);
	}
	free(a);
}

static void upds_free(upd_item *u, size_t n)
{
	if (!u)
		return;
	for (size_t i = 0; i < n; i++)
		mls_leaf_free(&u[i].node);
	free(u);
}

/* Private keys of nodes the proposals blanked (the direct paths of removed
 * and updated leaves) are dropped: the state holds keys of live nodes only. */
static void priv_drop_blank(mls_tree_priv *p, const mls_tree *t)
{
	uint32_t a = 0;
	for (uint32_t i = 0; i < p->n; i++)
		if (!mls_tree_is_blank(t, p->node[i])) {
			p->node[a] = p->node[i];
			memmove(p->priv[a], p->priv[i], MLS_KEY_LEN);
			a++;
		}
	for (uint32_t i = a; i < p->n; i++)
		cr_wipe(p->priv[i], MLS_KEY_LEN);
	p->n = a;
}

/* GroupInfo of the new epoch e, signed by the committer, then the Welcome
 * with one GroupSecrets per added member. The ratchet tree t goes into the
 * GroupInfo's ratchet_tree extension, or (tree_oob) apart into *tree: the
 * same bytes either way, and the GroupInfo's tree_hash binds them. */
static cr_err make_welcome(mls_group *g, mls_group_ep *e, const mls_tree *t, const uint8_t tag[MLS_NH],
			   const add_item *adds,
			   const uint32_t *added, size_t n_adds, const mls_treekem_secrets *tsec, const cr_rng *rng,
			   uint8_t **out, size_t *out_len, bool tree_oob, uint8_t **tree, size_t *tree_len)
{
	cr_writer giw, secs, gsw, msg, gc;
	uint8_t sig[MLS_SIG_LEN], key[MLS_NK], nonce[MLS_NN], ref[MLS_NH];
	uint8_t *enc_gi = NULL;
	cr_err err;
	cr_writer_init_dynamic(&giw, MLS_MAX_MESSAGE);
	cr_writer_init_dynamic(&secs, MLS_MAX_MESSAGE);
	cr_writer_init_dynamic(&gsw, 1024);
	cr_writer_init_dynamic(&msg, MLS_MAX_MESSAGE);
	cr_writer_init_dynamic(&gc, 16);
	CR_CHECK(mls_group_gc_encode(g, e->epoch, e->tree_hash, e->confirmed, e->confirmed_len, &gc));
	/* GroupInfoTBS written once, with the ratchet tree encoded in place
	 * (at 10 000 members it is 1.7 MB: every extra copy shows), then the
	 * signature appended: the GroupInfo (section 12.4.3). */
	cr_write_bytes(&giw, gc.p, gc.len);
	size_t exts = cr_write_vector_begin(&giw);
	if (tree_oob) {
		/* Written once into a buffer of its exact size (4 bytes more for
		 * the length prefix the writer reserves before shrinking it): at
		 * 10 000 members a grown buffer costs as much again in copies. */
		size_t tl = mls_tree_encoded_len(t);
		cr_writer tw;
		CR_CHECK(tl <= MLS_TREE_MAX_ENC + 4 ? CR_OK : CR_ERR_LIMIT);
		*tree = malloc(tl + 4);
		CR_CHECK(*tree ? CR_OK : CR_ERR_NOMEM);
		cr_writer_init_fixed(&tw, *tree, tl + 4);
		mls_tree_encode(&tw, t);
		CR_CHECK(cr_writer_error(&tw));
		CR_CHECK(tw.len == tl ? CR_OK : CR_ERR_STATE);
		*tree_len = tl;
	} else {
		cr_write_u16(&giw, EXT_RATCHET_TREE);
		size_t data = cr_write_vector_begin(&giw);
		mls_tree_encode(&giw, t);
		cr_write_vector_end(&giw, data);
	}
	cr_write_vector_end(&giw, exts);
	cr_write_opaque(&giw, tag, MLS_NH);
	cr_write_u32(&giw, e->priv.leaf);
	CR_CHECK(cr_writer_error(&giw));
	CR_CHECK(mls_sign_with_label(sig, g->sig_seed, "GroupInfoTBS", giw.p, giw.len));
	cr_write_opaque(&giw, sig, sizeof sig);
	CR_CHECK(cr_writer_error(&giw));
	CR_CHECK(mls_welcome_key_nonce(key, nonce, e->sec.welcome_secret));
	enc_gi = malloc(giw.len + 16);
	CR_CHECK(enc_gi ? CR_OK : CR_ERR_NOMEM);
	CR_CHECK(cr_aes128gcm_seal(enc_gi, key, nonce, NULL, 0, giw.p, giw.len));
	size_t egi_len = giw.len + 16;
	for (size_t i = 0; i < n_adds; i++) {
		mls_key_package kp;
		CR_CHECK(mls_key_package_decode(adds[i].kp.p, adds[i].kp.n, &kp));
		/* The path secret of the lowest node above both leaves. */
		size_t k = 0;
		while (k < tsec->n && !mls_tm_in_subtree(2 * added[i], tsec->node[k]))
			k++;
		mls_group_secrets gs;
		memset(&gs, 0, sizeof gs);
		gs.joiner_secret = (cr_span){ e->sec.joiner_secret, MLS_NH };
		if (k < tsec->n) {
			gs.has_path_secret = true;
			gs.path_secret = (cr_span){ tsec->path_secret[k], MLS_NH };
		}
		gsw.len = 0;
		mls_group_secrets_write(&gsw, &gs);
		CR_CHECK(cr_writer_error(&gsw));
		uint8_t kem[MLS_KEM_OUTPUT_LEN], ct[256];
		CR_CHECK(gsw.len + 16 <= sizeof ct ? CR_OK : CR_ERR_STATE);
		CR_CHECK(mls_encrypt_with_label(kem, ct, kp.init_key.p, "Welcome", enc_gi, egi_len, gsw.p, gsw.len,
						rng));
		CR_CHECK(mls_make_key_package_ref(ref, adds[i].kp.p, adds[i].kp.n));
		mls_encrypted_group_secrets es = { { ref, MLS_NH }, { kem, sizeof kem }, { ct, gsw.len + 16 } };
		mls_encrypted_group_secrets_write(&secs, &es);
		CR_CHECK(cr_writer_error(&secs));
	}
	mls_message m;
	memset(&m, 0, sizeof m);
	m.version = MLS_VERSION_MLS10;
	m.wire_format = MLS_WIRE_WELCOME;
	m.u.welcome.cipher_suite = MLS_SUITE_ID;
	m.u.welcome.secrets.body = (cr_span){ secs.p, secs.len };
	m.u.welcome.secrets.count = n_adds;
	m.u.welcome.encrypted_group_info = (cr_span){ enc_gi, egi_len };
	mls_message_write(&msg, &m);
	CR_CHECK(cr_writer_error(&msg));
	*out = cr_writer_take(&msg, out_len);
	CR_CHECK(*out ? CR_OK : CR_ERR_NOMEM);
out:
	if (err && tree_oob) {
		free(*tree);
		*tree = NULL;
		*tree_len = 0;
	}
	cr_wipe(key, sizeof key);
	cr_wipe(nonce, sizeof nonce);
	free(enc_gi);
	cr_writer_free(&gc);
	cr_writer_free(&giw);
	cr_writer_free(&secs);
	cr_writer_free(&gsw);
	cr_writer_free(&msg);
	return err;
}

cr_err mls_group_commit(mls_group *g, const uint8_t *const *addv, const size_t *add_lens, size_t n_adds,
			const uint32_t *removes, size_t n_removes, const cr_rng *rng, uint8_t **commit,
			size_t *commit_len, uint8_t **welcome, size_t *welcome_len)
{
	return mls_group_commit_ex(g, addv, add_lens, n_adds, removes, n_removes, 0, rng, commit, commit_len,
				   welcome, welcome_len, NULL, NULL);
}

cr_err mls_group_commit_ex(mls_group *g, const uint8_t *const *addv, const size_t *add_lens, size_t n_adds,
			   const uint32_t *removes, size_t n_removes, unsigned flags, const cr_rng *rng,
			   uint8_t **commit, size_t *commit_len, uint8_t **welcome, size_t *welcome_len,
			   uint8_t **tree, size_t *tree_len)
{
	add_item *adds = NULL;
	upd_item *upd = NULL;
	uint32_t *rm = NULL, *added = NULL;
	size_t n_rm = 0, n_ref_rm = 0, n_upd = 0, n_all = 0;
	bool use[MLS_GROUP_MAX_PROPS];
	mls_group_ep *e = &g->pend;
	mls_tree *t = &g->cur.tree;
	mls_tree_journal jr;
	bool journaled = false;
	mls_treekem_secrets tsec;
	mls_update_path up;
	mls_leaf_fields tmpl;
	cr_writer props, path, pgc, gc, msg;
	uint8_t sig[MLS_SIG_LEN], mtag[MLS_NH], tag[MLS_NH];
	cr_err err;
	*commit = NULL;
	*commit_len = 0;
	if (welcome) {
		*welcome = NULL;
		*welcome_len = 0;
	}
	if (tree) {
		*tree = NULL;
		*tree_len = 0;
	}
	bool tree_oob = (flags & MLS_COMMIT_TREE_OUT_OF_BAND) != 0;
	CR_ENSURE((flags & ~MLS_COMMIT_TREE_OUT_OF_BAND) == 0, CR_ERR_ARG);
	CR_ENSURE(!tree_oob || (tree && tree_len), CR_ERR_ARG);
	CR_ENSURE(g->active && !g->has_pend, CR_ERR_STATE);
	CR_ENSURE(n_adds <= MLS_MAX_PROPOSALS && n_removes <= MLS_MAX_PROPOSALS, CR_ERR_LIMIT);
	memset(&tsec, 0, sizeof tsec);
	memset(&up, 0, sizeof up);
	memset(e, 0, sizeof *e);
	cr_writer_init_dynamic(&props, MLS_MAX_MESSAGE);
	cr_writer_init_dynamic(&path, MLS_MAX_MESSAGE);
	cr_writer_init_dynamic(&pgc, 16);
	cr_writer_init_dynamic(&gc, 16);
	cr_writer_init_dynamic(&msg, MLS_MAX_MESSAGE);
	uint32_t me = g->cur.priv.leaf;

	adds = calloc(n_adds + g->n_props + 1, sizeof *adds);
	added = calloc(n_adds + g->n_props + 1, sizeof *added);
	upd = calloc(g->n_props + 1, sizeof *upd);
	rm = calloc(n_removes + g->n_props + 1, sizeof *rm);
	CR_CHECK(adds && added && upd && rm ? CR_OK : CR_ERR_NOMEM);
	/* Section 12.2: no removal of the committer, none twice. */
	for (size_t i = 0; i < g->n_props; i++) {
		const mls_group_prop *p = &g->props[i];
		if (p->type != MLS_PROPOSAL_REMOVE)
			continue;
		CR_CHECK(p->removed != me && !in_list(rm, n_rm, p->removed) ? CR_OK : CR_ERR_INVALID);
		rm[n_rm++] = p->removed;
	}
	n_ref_rm = n_rm;
	for (size_t i = 0; i < n_removes; i++) {
		if (in_list(rm, n_rm, removes[i]))
			continue; /* already proposed by its member */
		CR_CHECK(removes[i] != me ? CR_OK : CR_ERR_ARG);
		rm[n_rm++] = removes[i];
	}
	/* The kept Updates and Adds the commit covers (section 12.4), then
	 * the adds by value; adds apply in list order: references first. */
	for (size_t i = 0; i < g->n_props; i++) {
		const mls_group_prop *p = &g->props[i];
		use[i] = mls_group_props_committed(g, i, me, rm, n_rm);
		if (use[i] && p->type == MLS_PROPOSAL_UPDATE) {
			upd[n_upd].leaf = p->sender;
			CR_CHECK(mls_leaf_parse(p->body, p->body_len, &upd[n_upd].node));
			n_upd++;
		} else if (use[i] && p->type == MLS_PROPOSAL_ADD) {
			adds[n_all].kp = (cr_span){ p->body, p->body_len };
			CR_CHECK(kp_leaf(adds[n_all].kp, &adds[n_all].leaf));
			n_all++;
		}
	}
	for (size_t i = 0; i < n_adds; i++) {
		adds[n_all].kp = (cr_span){ addv[i], add_lens[i] };
		CR_CHECK(kp_leaf(adds[n_all].kp, &adds[n_all].leaf));
		n_all++;
	}
	CR_CHECK(n_all == 0 || welcome ? CR_OK : CR_ERR_ARG);
	e->epoch = g->cur.epoch + 1;
	/* The new tree is built on the current one under a journal, kept as a
	 * redo list for mls_group_commit_confirm, and undone: no O(n) copy. */
	mls_tree_journal_begin(t, &jr);
	journaled = true;
	e->priv = g->cur.priv;
	CR_CHECK(apply_proposals(t, upd, n_upd, rm, n_rm, adds, n_all, added));
	CR_CHECK(check_commit_changes(t, added, n_all, upd, n_upd, UINT32_MAX));
	mls_leaf_fields_of(mls_tree_leaf(t, me), &tmpl);
	CR_CHECK(mls_treekem_create(t, me, &tmpl, g->sig_seed, g->gid, g->gid_len, rng, &e->priv, &tsec));
	CR_CHECK(mls_tree_root_hash(t, e->tree_hash));
	/* Provisional GroupContext: new epoch and tree, old transcript (12.4.2). */
	CR_CHECK(mls_group_gc_encode(g, e->epoch, e->tree_hash, g->cur.confirmed, g->cur.confirmed_len, &pgc));
	CR_CHECK(mls_treekem_encrypt(t, me, &tsec, added, n_all, pgc.p, pgc.len, rng, &up));
	mls_update_path_write(&path, &up);
	CR_CHECK(cr_writer_error(&path));

	/* Proposals: by reference for received ones, then removes, adds by value. */
	size_t count = 0;
	for (size_t i = 0; i < g->n_props; i++) {
		if (!use[i])
			continue;
		cr_write_u8(&props, MLS_POR_REFERENCE);
		cr_write_opaque(&props, g->props[i].ref, MLS_NH);
		count++;
	}
	for (size_t i = n_ref_rm; i < n_rm; i++, count++) {
		cr_write_u8(&props, MLS_POR_PROPOSAL);
		cr_write_u16(&props, MLS_PROPOSAL_REMOVE);
		cr_write_u32(&props, rm[i]);
	}
	for (size_t i = n_all - n_adds; i < n_all; i++, count++) {
		cr_write_u8(&props, MLS_POR_PROPOSAL);
		cr_write_u16(&props, MLS_PROPOSAL_ADD);
		cr_write_bytes(&props, adds[i].kp.p, adds[i].kp.n);
	}
	CR_CHECK(cr_writer_error(&props));

	mls_public_message pm;
	memset(&pm, 0, sizeof pm);
	mls_framed_content *fc = &pm.content;
	fc->group_id = (cr_span){ g->gid, g->gid_len };
	fc->epoch = g->cur.epoch;
	fc->sender.type = MLS_SENDER_MEMBER;
	fc->sender.index = me;
	fc->content_type = MLS_CONTENT_COMMIT;
	fc->commit.proposals.body = (cr_span){ props.p, props.len };
	fc->commit.proposals.count = count;
	fc->commit.has_path = true;
	fc->commit.path = (cr_span){ path.p, path.len };
	CR_CHECK(mls_group_gc_encode(g, g->cur.epoch, g->cur.tree_hash, g->cur.confirmed, g->cur.confirmed_len,
				     &gc));
	CR_CHECK(mls_framed_content_sign(sig, MLS_WIRE_PUBLIC_MESSAGE, fc, (cr_span){ gc.p, gc.len },
					 g->sig_seed));
	CR_CHECK(mls_group_confirmed_hash(e->confirmed, &g->cur, fc, (cr_span){ sig, sizeof sig }));
	e->confirmed_len = MLS_NH;
	e->tree.n_leaves = t->n_leaves; /* sizes the secret tree; no nodes until confirmed */
	CR_CHECK(mls_group_ep_schedule(g, e, g->cur.sec.init_secret, tsec.commit_secret));
	mls_confirmation_tag(tag, e->sec.confirmation_key, e->confirmed);
	CR_CHECK(mls_interim_transcript_hash(e->interim, e->confirmed, tag, sizeof tag));
	e->interim_len = MLS_NH;
	pm.confirmation_tag = (cr_span){ tag, sizeof tag };
	CR_CHECK(mls_public_message_protect(&pm, sig, mtag, (cr_span){ gc.p, gc.len }, g->sig_seed,
					    g->cur.sec.membership_key));
	mls_message m;
	memset(&m, 0, sizeof m);
	m.version = MLS_VERSION_MLS10;
	m.wire_format = MLS_WIRE_PUBLIC_MESSAGE;
	m.u.public_message = pm;
	mls_message_write(&msg, &m);
	CR_CHECK(cr_writer_error(&msg));
	if (n_all)
		CR_CHECK(make_welcome(g, e, t, tag, adds, added, n_all, &tsec, rng, welcome, welcome_len, tree_oob,
				      tree, tree_len));
	*commit = cr_writer_take(&msg, commit_len);
	CR_CHECK(*commit ? CR_OK : CR_ERR_NOMEM);
	CR_CHECK(mls_tree_journal_redo(t, &g->pend_tree));
	g->has_pend = true;
out:
	if (journaled)
		mls_tree_journal_undo(t);
	if (err) {
		free(*commit);
		*commit = NULL;
		*commit_len = 0;
		mls_group_ep_free(e);
		if (welcome && *welcome) {
			free(*welcome);
			*welcome = NULL;
			*welcome_len = 0;
		}
		if (tree && *tree) {
			free(*tree);
			*tree = NULL;
			*tree_len = 0;
		}
	}
	mls_treekem_secrets_wipe(&tsec);
	mls_update_path_free(&up);
	adds_free(adds, n_all);
	upds_free(upd, n_upd);
	free(added);
	free(rm);
	cr_writer_free(&props);
	cr_writer_free(&path);
	cr_writer_free(&pgc);
	cr_writer_free(&gc);
	cr_writer_free(&msg);
	return err;
}

/* Forgets private keys of nodes the commit blanked (a removed member's
 * direct path): they protect nothing any more, and a state holding them
 * would not pass mls_tree_priv_check when it is read back. */
static void priv_prune(mls_group_ep *e)
{
	mls_tree_priv *p = &e->priv;
	uint32_t kept = 0;
	for (uint32_t i = 0; i < p->n; i++) {
		uint32_t x = p->node[i];
		uint8_t pub[MLS_KEY_LEN];
		bool live = x < mls_tree_width(&e->tree) && e->tree.nodes[x].type == MLS_NODE_PARENT &&
			    cr_x25519_public(pub, p->priv[i]) == CR_OK &&
			    memcmp(pub, e->tree.nodes[x].parent.encryption_key, MLS_KEY_LEN) == 0;
		if (!live)
			continue;
		if (kept != i) {
			p->node[kept] = x;
			memcpy(p->priv[kept], p->priv[i], MLS_KEY_LEN);
		}
		kept++;
	}
	for (uint32_t i = kept; i < p->n; i++)
		cr_wipe(p->priv[i], MLS_KEY_LEN);
	p->n = kept;
}

void mls_group_enter_epoch(mls_group *g, mls_group_ep *e)
{
	mls_group_ep_free(&g->cur);
	g->cur = *e;
	cr_wipe(e, sizeof *e);
	priv_prune(&g->cur);
	mls_group_props_clear(g);
}

cr_err mls_group_commit_confirm(mls_group *g)
{
	CR_ENSURE(g->has_pend, CR_ERR_STATE);
	if (g->pend_tree.n_leaves) {
		/* A member's commit: its tree is the current one plus the redo list. */
		CR_TRY(mls_tree_redo_apply(&g->cur.tree, &g->pend_tree));
		g->pend.tree = g->cur.tree;
		memset(&g->cur.tree, 0, sizeof g->cur.tree);
	}
	mls_group_enter_epoch(g, &g->pend);
	g->has_pend = false;
	g->active = true; /* an external joiner's group starts inactive */
	return CR_OK;
}

void mls_group_commit_discard(mls_group *g)
{
	mls_group_ep_free(&g->pend);
	mls_tree_redo_free(&g->pend_tree);
	g->has_pend = false;
}

bool mls_group_commit_pending(const mls_group *g)
{
	return g->has_pend;
}

static cr_err process_commit(mls_group *g, const mls_public_message *pm, mls_processed *what)
{
	mls_group_ep n;
	add_item *adds = NULL;
	upd_item *upd = NULL;
	const mls_group_prop *own_upd = NULL;
	uint32_t *rm = NULL, *added = NULL;
	size_t n_rm = 0, n_adds = 0, n_upd = 0;
	mls_update_path up;
	uint8_t commit_secret[MLS_NH];
	cr_writer pgc;
	mls_tree *t = &g->cur.tree;
	mls_tree_journal jr;
	bool journaled = false;
	cr_err err;
	const mls_commit *c = &pm->content.commit;
	uint32_t sender = pm->content.sender.index, me = g->cur.priv.leaf;
	memset(&n, 0, sizeof n);
	memset(&up, 0, sizeof up);
	memset(commit_secret, 0, sizeof commit_secret);
	cr_writer_init_dynamic(&pgc, 16);
	CR_ENSURE(sender != me, CR_ERR_STATE);
	size_t cnt = c->proposals.count;
	adds = calloc(cnt + 1, sizeof *adds);
	added = calloc(cnt + 1, sizeof *added);
	upd = calloc(cnt + 1, sizeof *upd);
	rm = calloc(cnt + 1, sizeof *rm);
	CR_CHECK(adds && added && upd && rm ? CR_OK : CR_ERR_NOMEM);
	cr_reader it;
	mls_vec_iter(&c->proposals, &it);
	mls_proposal_or_ref por;
	while ((err = mls_commit_proposals_next(&it, &por)) == CR_OK) {
		if (por.type == MLS_POR_REFERENCE) {
			/* Section 12.4: a reference names a proposal kept in this epoch. */
			const mls_group_prop *p = mls_group_props_find(g, por.reference);
			CR_CHECK(p ? CR_OK : CR_ERR_INVALID);
			if (p->type == MLS_PROPOSAL_REMOVE) {
				CR_CHECK(!in_list(rm, n_rm, p->removed) ? CR_OK : CR_ERR_INVALID);
				rm[n_rm++] = p->removed;
			} else if (p->type == MLS_PROPOSAL_UPDATE) {
				/* Section 12.2: not an Update of the committer; at most
				 * one Update or Remove per leaf (checked below). */
				CR_CHECK(p->sender != sender ? CR_OK : CR_ERR_INVALID);
				for (size_t k = 0; k < n_upd; k++)
					CR_CHECK(upd[k].leaf != p->sender ? CR_OK : CR_ERR_INVALID);
				upd[n_upd].leaf = p->sender;
				CR_CHECK(mls_leaf_parse(p->body, p->body_len, &upd[n_upd].node));
				n_upd++;
				if (p->has_own_priv)
					own_upd = p;
			} else {
				adds[n_adds].kp = (cr_span){ p->body, p->body_len };
				n_adds++;
				CR_CHECK(kp_leaf(adds[n_adds - 1].kp, &adds[n_adds - 1].leaf));
			}
		} else if (por.proposal.type == MLS_PROPOSAL_REMOVE) {
			CR_CHECK(!in_list(rm, n_rm, por.proposal.u.remove) ? CR_OK : CR_ERR_INVALID);
			rm[n_rm++] = por.proposal.u.remove;
		} else if (por.proposal.type == MLS_PROPOSAL_UPDATE) {
			/* Only the sender's own leaf could be meant: 12.2 forbids it. */
			CR_CHECK(CR_ERR_INVALID);
		} else if (por.proposal.type == MLS_PROPOSAL_ADD) {
			/* The KeyPackage encoding: re-encode the decoded (byte-exact) struct. */
			cr_writer kw;
			cr_writer_init_dynamic(&kw, MLS_MAX_MESSAGE);
			mls_key_package_write(&kw, &por.proposal.u.add);
			err = cr_writer_error(&kw);
			if (!err) {
				size_t kl;
				uint8_t *kb = cr_writer_take(&kw, &kl);
				err = kb ? CR_OK : CR_ERR_NOMEM;
				/* kp spans must outlive: keep kb owned by the item. */
				adds[n_adds].kp = (cr_span){ kb, kl };
				adds[n_adds].owned = true;
				n_adds++;
				if (!err)
					err = kp_leaf(adds[n_adds - 1].kp, &adds[n_adds - 1].leaf);
			}
			cr_writer_free(&kw);
			CR_CHECK(err);
		} else {
			CR_CHECK(CR_ERR_UNSUPPORTED);
		}
	}
	CR_CHECK(err == CR_ERR_NOT_FOUND ? CR_OK : err);
	/* Section 12.2 / 12.4: the committer does not remove itself; no leaf
	 * is both updated and removed; a path is required unless the commit
	 * only adds. */
	CR_CHECK(!in_list(rm, n_rm, sender) ? CR_OK : CR_ERR_INVALID);
	for (size_t k = 0; k < n_upd; k++)
		CR_CHECK(!in_list(rm, n_rm, upd[k].leaf) ? CR_OK : CR_ERR_INVALID);
	CR_CHECK(c->has_path || (n_rm == 0 && n_upd == 0 && n_adds > 0) ? CR_OK : CR_ERR_INVALID);

	n.epoch = g->cur.epoch + 1;
	/* Checked on the group's own tree under a journal: every failure
	 * below undoes it exactly, success keeps it (no O(n) copy). */
	mls_tree_journal_begin(t, &jr);
	journaled = true;
	n.priv = g->cur.priv;
	CR_CHECK(apply_proposals(t, upd, n_upd, rm, n_rm, adds, n_adds, added));
	if (in_list(rm, n_rm, me)) {
		/* Authenticated (tag and signature) and well formed: we are out. */
		CR_CHECK(check_commit_changes(t, added, n_adds, upd, n_upd, UINT32_MAX));
		*what = MLS_PROCESSED_REMOVED;
		g->active = false;
		mls_group_props_clear(g);
		mls_group_commit_discard(g);
		goto out;
	}
	/* Our own Update committed: our leaf has its key now. */
	if (own_upd)
		memcpy(n.priv.leaf_priv, own_upd->own_priv, MLS_KEY_LEN);
	priv_drop_blank(&n.priv, t);
	if (c->has_path) {
		CR_CHECK(mls_update_path_decode(c->path.p, c->path.n, &up));
		CR_CHECK(mls_treekem_merge(t, sender, &up, g->gid, g->gid_len));
	}
	CR_CHECK(check_commit_changes(t, added, n_adds, upd, n_upd, c->has_path ? sender : UINT32_MAX));
	CR_CHECK(mls_tree_root_hash(t, n.tree_hash));
	if (c->has_path) {
		CR_CHECK(mls_group_gc_encode(g, n.epoch, n.tree_hash, g->cur.confirmed, g->cur.confirmed_len, &pgc));
		CR_CHECK(mls_treekem_decrypt(t, sender, &up, added, n_adds, pgc.p, pgc.len, &n.priv, NULL,
					     commit_secret));
	}
	CR_CHECK(mls_group_confirmed_hash(n.confirmed, &g->cur, &pm->content, pm->signature));
	n.confirmed_len = MLS_NH;
	n.tree.n_leaves = t->n_leaves; /* sizes the secret tree; the nodes move in last */
	CR_CHECK(mls_group_ep_schedule(g, &n, g->cur.sec.init_secret, commit_secret));
	CR_CHECK(mls_confirmation_tag_verify(pm->confirmation_tag.p, pm->confirmation_tag.n, n.sec.confirmation_key,
					     n.confirmed));
	CR_CHECK(mls_interim_transcript_hash(n.interim, n.confirmed, pm->confirmation_tag.p,
					     pm->confirmation_tag.n));
	n.interim_len = MLS_NH;
	/* Everything checked: the group moves on; our own pending commit for
	 * the same epoch lost. */
	CR_CHECK(mls_tree_journal_keep(t));
	journaled = false;
	n.tree = *t;
	memset(t, 0, sizeof *t);
	mls_group_commit_discard(g);
	mls_group_enter_epoch(g, &n);
	*what = MLS_PROCESSED_COMMIT;
out:
	if (journaled)
		mls_tree_journal_undo(t);
	mls_group_ep_free(&n);
	mls_update_path_free(&up);
	cr_wipe(commit_secret, sizeof commit_secret);
	adds_free(adds, n_adds);
	upds_free(upd, n_upd);
	free(added);
	free(rm);
	cr_writer_free(&pgc);
	return err;
}

cr_err mls_group_process(mls_group *g, const uint8_t *msg, size_t msg_len, mls_processed *what)
{
	mls_message m;
	cr_writer gc;
	cr_err err;
	CR_ENSURE(g->active, CR_ERR_STATE);
	CR_TRY(mls_message_decode(msg, msg_len, &m));
	CR_ENSURE(m.wire_format == MLS_WIRE_PUBLIC_MESSAGE, CR_ERR_UNSUPPORTED);
	const mls_public_message *pm = &m.u.public_message;
	const mls_framed_content *fc = &pm->content;
	CR_ENSURE(fc->group_id.n == g->gid_len && memcmp(fc->group_id.p, g->gid, g->gid_len) == 0, CR_ERR_INVALID);
	CR_ENSURE(fc->epoch == g->cur.epoch, CR_ERR_INVALID);
	if (fc->sender.type == MLS_SENDER_NEW_MEMBER_COMMIT)
		return mls_group_process_external(g, pm, what); /* group_external.c */
	CR_ENSURE(fc->sender.type == MLS_SENDER_MEMBER, CR_ERR_UNSUPPORTED);
	const mls_leaf_node *l = mls_tree_leaf(&g->cur.tree, fc->sender.index);
	CR_ENSURE(l != NULL, CR_ERR_INVALID);
	CR_CHECK(mls_group_gc_encode(g, g->cur.epoch, g->cur.tree_hash, g->cur.confirmed, g->cur.confirmed_len, &gc));
	CR_CHECK(mls_public_message_verify(pm, (cr_span){ gc.p, gc.len }, l->signature_key,
					   g->cur.sec.membership_key));
	if (fc->content_type == MLS_CONTENT_PROPOSAL) {
		CR_CHECK(mls_group_props_store(g, pm, NULL));
		*what = MLS_PROCESSED_PROPOSAL;
	} else if (fc->content_type == MLS_CONTENT_COMMIT) {
		CR_CHECK(process_commit(g, pm, what));
	} else {
		CR_CHECK(CR_ERR_INVALID);
	}
out:
	cr_writer_free(&gc);
	return err;
}
