/*
 * vec_message_protection.c: message-protection.json (RFC 9420 test vectors,
 * "Message Protection"), cipher suite 0x0001 only.
 *
 * For each of proposal, commit and application, with the sender at leaf 1
 * of a 2-member secret tree rooted at encryption_secret:
 *   - the _pub message verifies (membership tag, signature) and carries the
 *     raw value (application data is refused as a PublicMessage);
 *   - the raw value protected as a PublicMessage verifies, and fails with a
 *     wrong membership key;
 *   - the _priv message opens and its signature verifies, carrying the raw
 *     value; opening it again (replay) and opening it tampered fail;
 *   - the raw value protected as a PrivateMessage opens on a fresh tree and
 *     verifies.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "key_schedule.h"
#include "msg_message.h"
#include "msg_private.h"
#include "msg_protect.h"
#include "vec.h"
#include "wipe.h"

typedef struct pcase {
	json_t *c;
	uint8_t *gc;
	size_t gc_len;
	uint8_t *priv, *pub, *enc_secret, *sd_secret, *mkey;
	size_t priv_len, pub_len, enc_len, sd_len, mkey_len;
} pcase;

static cr_span sp(const uint8_t *p, size_t n)
{
	cr_span s = { p, n };
	return s;
}

/* The body of fc (raw proposal / commit / application data) equals want. */
static bool body_is(const mls_framed_content *fc, const uint8_t *want, size_t n)
{
	cr_writer w;
	cr_writer_init_dynamic(&w, MLS_MAX_MESSAGE);
	if (fc->content_type == MLS_CONTENT_APPLICATION)
		cr_write_bytes(&w, fc->application_data.p, fc->application_data.n);
	else
		mls_content_body_write(&w, fc);
	bool ok = cr_writer_error(&w) == CR_OK && w.len == n && memcmp(w.p, want, n) == 0;
	cr_writer_free(&w);
	return ok;
}

/* Opens an encoded MLSMessage(PrivateMessage) on tree st and verifies it. */
static bool open_priv(const pcase *k, mls_secret_tree *st, const uint8_t *msg, size_t n, uint8_t ct,
		      const uint8_t *raw, size_t raw_len, cr_err *open_err)
{
	mls_message m;
	if (!CHECK_OK(mls_message_decode(msg, n, &m)) || !CHECK(m.wire_format == MLS_WIRE_PRIVATE_MESSAGE))
		return false;
	size_t cap = m.u.private_message.ciphertext.n;
	uint8_t *pt = malloc(cap ? cap : 1);
	mls_private_opened o;
	*open_err = mls_private_message_open(&m.u.private_message, st, k->sd_secret, pt, cap, &o);
	bool ok = false;
	if (*open_err == CR_OK) {
		ok = CHECK(o.content.sender.index == 1 && o.content.content_type == ct) &&
		     CHECK_OK(mls_framed_content_verify(o.signature, MLS_WIRE_PRIVATE_MESSAGE, &o.content,
							sp(k->gc, k->gc_len), k->pub)) &&
		     CHECK(body_is(&o.content, raw, raw_len));
		/* A flipped signature bit fails. */
		uint8_t bad[MLS_SIG_LEN];
		if (o.signature.n == MLS_SIG_LEN) {
			memcpy(bad, o.signature.p, MLS_SIG_LEN);
			bad[5] ^= 1;
			CHECK_ERR(mls_framed_content_verify(sp(bad, MLS_SIG_LEN), MLS_WIRE_PRIVATE_MESSAGE,
							    &o.content, sp(k->gc, k->gc_len), k->pub),
				  CR_ERR_AUTH);
		}
	}
	cr_wipe(pt, cap);
	free(pt);
	return ok;
}

static void run_kind(const pcase *k, const char *raw_field, const char *pub_field, const char *priv_field,
		     uint8_t ct)
{
	size_t raw_len = 0, pubm_len = 0, privm_len = 0;
	uint8_t *raw = vec_hex(k->c, raw_field, &raw_len);
	uint8_t *pubm = pub_field ? vec_hex(k->c, pub_field, &pubm_len) : NULL;
	uint8_t *privm = vec_hex(k->c, priv_field, &privm_len);
	cr_span gc = sp(k->gc, k->gc_len);
	uint64_t epoch = 0;
	size_t gid_len = 0;
	uint8_t *gid = vec_hex(k->c, "group_id", &gid_len);
	if (!raw || !privm || !gid || (pub_field && !pubm) || !vec_u64(k->c, "epoch", &epoch))
		goto out;

	/* The content to protect: raw value from leaf 1 of this group and epoch. */
	mls_framed_content fc;
	memset(&fc, 0, sizeof fc);
	fc.group_id = sp(gid, gid_len);
	fc.epoch = epoch;
	fc.sender.type = MLS_SENDER_MEMBER;
	fc.sender.index = 1;
	fc.authenticated_data = sp((const uint8_t *)"aad", 3);
	if (ct == MLS_CONTENT_APPLICATION) {
		fc.content_type = ct;
		fc.application_data = sp(raw, raw_len);
	} else {
		cr_reader r;
		cr_reader_init(&r, raw, raw_len);
		if (!CHECK_OK(mls_content_body_read(&r, ct, &fc)) || !CHECK_OK(cr_reader_end(&r)))
			goto out;
	}
	uint8_t conf[MLS_NH];
	memset(conf, 0x5c, sizeof conf);

	/* 1. The _pub message verifies and carries the raw value. */
	if (pubm) {
		mls_message m;
		if (CHECK_OK(mls_message_decode(pubm, pubm_len, &m)) &&
		    CHECK(m.wire_format == MLS_WIRE_PUBLIC_MESSAGE)) {
			if (!CHECK_OK(mls_public_message_verify(&m.u.public_message, gc, k->pub, k->mkey)))
				t_note("%s: does not verify", pub_field);
			CHECK(body_is(&m.u.public_message.content, raw, raw_len));
			uint8_t wrong[MLS_NH];
			memcpy(wrong, k->mkey, MLS_NH);
			wrong[0] ^= 1;
			CHECK_ERR(mls_public_message_verify(&m.u.public_message, gc, k->pub, wrong), CR_ERR_AUTH);
		}
	}

	/* 2. Protecting the raw value as a PublicMessage. */
	mls_public_message pm;
	memset(&pm, 0, sizeof pm);
	pm.content = fc;
	if (ct == MLS_CONTENT_COMMIT)
		pm.confirmation_tag = sp(conf, sizeof conf);
	uint8_t sig[MLS_SIG_LEN], tag[MLS_NH];
	cr_err err = mls_public_message_protect(&pm, sig, tag, gc, k->priv, k->mkey);
	if (ct == MLS_CONTENT_APPLICATION) {
		CHECK_ERR(err, CR_ERR_INVALID);
	} else if (CHECK_OK(err)) {
		cr_writer w;
		mls_message m, back;
		memset(&m, 0, sizeof m);
		m.version = MLS_VERSION_MLS10;
		m.wire_format = MLS_WIRE_PUBLIC_MESSAGE;
		m.u.public_message = pm;
		cr_writer_init_dynamic(&w, MLS_MAX_MESSAGE);
		mls_message_write(&w, &m);
		if (CHECK_OK(cr_writer_error(&w)) && CHECK_OK(mls_message_decode(w.p, w.len, &back))) {
			CHECK_OK(mls_public_message_verify(&back.u.public_message, gc, k->pub, k->mkey));
			CHECK(body_is(&back.u.public_message.content, raw, raw_len));
		}
		cr_writer_free(&w);
	}

	/* 3. The _priv message opens and verifies; a replay and a tampered
	 * copy fail. */
	mls_secret_tree st;
	if (CHECK_OK(mls_secret_tree_init(&st, k->enc_secret, 2))) {
		cr_err oe;
		if (!open_priv(k, &st, privm, privm_len, ct, raw, raw_len, &oe))
			t_note("%s: does not open (%s)", priv_field, cr_err_str(oe));
		CHECK(!open_priv(k, &st, privm, privm_len, ct, raw, raw_len, &oe) && oe != CR_OK);
		mls_secret_tree_free(&st);
	}
	if (CHECK_OK(mls_secret_tree_init(&st, k->enc_secret, 2))) {
		cr_err oe;
		privm[privm_len - 1] ^= 0x80; /* last byte of the content ciphertext */
		CHECK(!open_priv(k, &st, privm, privm_len, ct, raw, raw_len, &oe));
		CHECK_ERR(oe, CR_ERR_AUTH);
		privm[privm_len - 1] ^= 0x80;
		mls_secret_tree_free(&st);
	}

	/* 4. Protect as a PrivateMessage (with padding), open on a fresh tree. */
	mls_secret_tree s_tx, s_rx;
	if (CHECK_OK(mls_secret_tree_init(&s_tx, k->enc_secret, 2))) {
		if (CHECK_OK(mls_secret_tree_init(&s_rx, k->enc_secret, 2))) {
			cr_rng_det det;
			cr_rng rng;
			uint8_t seed[32] = { 7 };
			cr_rng_det_init(&det, &rng, seed);
			cr_writer w;
			cr_writer_init_dynamic(&w, MLS_MAX_MESSAGE);
			cr_err oe;
			if (CHECK_OK(mls_private_message_protect(&w, &fc, sp(conf, sizeof conf), gc, k->priv, &s_tx,
								 k->sd_secret, 13, &rng)))
				CHECK(open_priv(k, &s_rx, w.p, w.len, ct, raw, raw_len, &oe));
			cr_writer_free(&w);
			mls_secret_tree_free(&s_rx);
		}
		mls_secret_tree_free(&s_tx);
	}
out:
	free(raw);
	free(pubm);
	free(privm);
	free(gid);
}

static bool detect(json_t *root)
{
	static const char *const keys[] = { "membership_key", "sender_data_secret", "proposal_priv",
					    "application_priv", NULL };
	return vec_mls_has_keys(root, keys);
}

static void run(json_t *root, const char *path)
{
	(void)path;
	size_t i;
	json_t *c;
	json_array_foreach(root, i, c) {
		uint64_t suite = 0;
		if (!vec_u64(c, "cipher_suite", &suite) || suite != MLS_SUITE_ID) {
			t_skip("message-protection #%zu (cipher suite %llu)", i, (unsigned long long)suite);
			continue;
		}
		t_begin("message-protection #%zu", i);
		pcase k;
		memset(&k, 0, sizeof k);
		k.c = c;
		size_t gid_len = 0, th_len = 0, cth_len = 0;
		uint64_t epoch = 0;
		uint8_t *gid = vec_hex(c, "group_id", &gid_len);
		uint8_t *th = vec_hex(c, "tree_hash", &th_len);
		uint8_t *cth = vec_hex(c, "confirmed_transcript_hash", &cth_len);
		k.priv = vec_hex(c, "signature_priv", &k.priv_len);
		k.pub = vec_hex(c, "signature_pub", &k.pub_len);
		k.enc_secret = vec_hex(c, "encryption_secret", &k.enc_len);
		k.sd_secret = vec_hex(c, "sender_data_secret", &k.sd_len);
		k.mkey = vec_hex(c, "membership_key", &k.mkey_len);
		if (gid && th && cth && k.priv && k.pub && k.enc_secret && k.sd_secret && k.mkey &&
		    vec_u64(c, "epoch", &epoch) &&
		    CHECK(k.priv_len == MLS_SIG_SEED_LEN && k.pub_len == MLS_SIG_PUB_LEN && k.enc_len == MLS_NH &&
			  k.sd_len == MLS_NH && k.mkey_len == MLS_NH)) {
			mls_group_context g;
			memset(&g, 0, sizeof g);
			g.cipher_suite = MLS_SUITE_ID;
			g.group_id = sp(gid, gid_len);
			g.epoch = epoch;
			g.tree_hash = sp(th, th_len);
			g.confirmed_transcript_hash = sp(cth, cth_len);
			cr_writer w;
			cr_writer_init_dynamic(&w, 4096);
			mls_group_context_write(&w, &g);
			if (CHECK_OK(cr_writer_error(&w))) {
				k.gc = w.p;
				k.gc_len = w.len;
				run_kind(&k, "proposal", "proposal_pub", "proposal_priv", MLS_CONTENT_PROPOSAL);
				run_kind(&k, "commit", "commit_pub", "commit_priv", MLS_CONTENT_COMMIT);
				run_kind(&k, "application", NULL, "application_priv", MLS_CONTENT_APPLICATION);
			}
			cr_writer_free(&w);
		}
		free(gid);
		free(th);
		free(cth);
		free(k.priv);
		free(k.pub);
		free(k.enc_secret);
		free(k.sd_secret);
		free(k.mkey);
		t_end();
	}
}

const vec_runner vec_message_protection = { "message-protection", detect, run };
