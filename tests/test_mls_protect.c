/*
 * test_mls_protect.c: message protection (msg_protect.h, msg_private.h):
 * sender rules, membership tag and signature failures, PrivateMessage
 * round trips, padding, replays, wrong secrets and tampered headers.
 */
#include <stdlib.h>
#include <string.h>

#include "aes_gcm.h"
#include "ed25519.h"
#include "key_schedule.h"
#include "msg_message.h"
#include "msg_private.h"
#include "msg_protect.h"
#include "t.h"

static cr_span sp(const void *p, size_t n)
{
	cr_span s = { p, n };
	return s;
}

static const uint8_t gid[8] = "group-01";
static uint8_t seed[MLS_SIG_SEED_LEN], pub[MLS_SIG_PUB_LEN];
static uint8_t gc_buf[256];
static size_t gc_len;
static const uint8_t mkey[MLS_NH] = { 1, 2, 3 };
static const uint8_t enc_secret[MLS_NH] = { 9, 9, 9 };
static const uint8_t sd_secret[MLS_NH] = { 4, 4, 4 };

static void setup(void)
{
	memset(seed, 0x42, sizeof seed);
	CHECK_OK(cr_ed25519_public(pub, seed));
	mls_group_context g;
	uint8_t h[MLS_NH] = { 0 };
	memset(&g, 0, sizeof g);
	g.cipher_suite = MLS_SUITE_ID;
	g.group_id = sp(gid, sizeof gid);
	g.epoch = 3;
	g.tree_hash = sp(h, sizeof h);
	g.confirmed_transcript_hash = sp(h, sizeof h);
	cr_writer w;
	cr_writer_init_fixed(&w, gc_buf, sizeof gc_buf);
	mls_group_context_write(&w, &g);
	CHECK_OK(cr_writer_error(&w));
	gc_len = w.len;
}

static mls_framed_content content(uint8_t sender_type, uint8_t ct)
{
	mls_framed_content fc;
	memset(&fc, 0, sizeof fc);
	fc.group_id = sp(gid, sizeof gid);
	fc.epoch = 3;
	fc.sender.type = sender_type;
	fc.sender.index = 1;
	fc.content_type = ct;
	if (ct == MLS_CONTENT_APPLICATION) {
		fc.application_data = sp("hello", 5);
	} else if (ct == MLS_CONTENT_PROPOSAL) {
		fc.proposal.type = MLS_PROPOSAL_REMOVE;
		fc.proposal.u.remove = 0;
	}
	return fc;
}

TEST(public_sender_rules)
{
	setup();
	uint8_t sig[MLS_SIG_LEN], tag[MLS_NH], conf[MLS_NH] = { 0 };
	mls_public_message pm;
	memset(&pm, 0, sizeof pm);
	pm.content = content(MLS_SENDER_MEMBER, MLS_CONTENT_APPLICATION);
	CHECK_ERR(mls_public_message_protect(&pm, sig, tag, sp(gc_buf, gc_len), seed, mkey), CR_ERR_INVALID);
	pm.content = content(MLS_SENDER_EXTERNAL, MLS_CONTENT_COMMIT);
	pm.confirmation_tag = sp(conf, sizeof conf);
	CHECK_ERR(mls_public_message_protect(&pm, sig, tag, sp(gc_buf, gc_len), seed, NULL), CR_ERR_INVALID);
	/* new_member_proposal may only propose Add. */
	pm.content = content(MLS_SENDER_NEW_MEMBER_PROPOSAL, MLS_CONTENT_PROPOSAL);
	CHECK_ERR(mls_public_message_protect(&pm, sig, tag, sp(gc_buf, gc_len), seed, NULL), CR_ERR_INVALID);
	/* A member must have a membership key. */
	pm.content = content(MLS_SENDER_MEMBER, MLS_CONTENT_PROPOSAL);
	CHECK_ERR(mls_public_message_protect(&pm, sig, tag, sp(gc_buf, gc_len), seed, NULL), CR_ERR_ARG);
	/* External proposals: signed, no membership tag, no group context. */
	pm.content = content(MLS_SENDER_EXTERNAL, MLS_CONTENT_PROPOSAL);
	pm.confirmation_tag = sp(NULL, 0);
	CHECK_OK(mls_public_message_protect(&pm, sig, tag, sp(NULL, 0), seed, NULL));
	CHECK(pm.membership_tag.n == 0);
	CHECK_OK(mls_public_message_verify(&pm, sp(NULL, 0), pub, NULL));
}

TEST(public_tamper)
{
	setup();
	uint8_t sig[MLS_SIG_LEN], tag[MLS_NH];
	mls_public_message pm;
	memset(&pm, 0, sizeof pm);
	pm.content = content(MLS_SENDER_MEMBER, MLS_CONTENT_PROPOSAL);
	CHECK_OK(mls_public_message_protect(&pm, sig, tag, sp(gc_buf, gc_len), seed, mkey));
	CHECK_OK(mls_public_message_verify(&pm, sp(gc_buf, gc_len), pub, mkey));
	/* Another epoch: the tag no longer matches. */
	pm.content.epoch = 4;
	CHECK_ERR(mls_public_message_verify(&pm, sp(gc_buf, gc_len), pub, mkey), CR_ERR_AUTH);
	pm.content.epoch = 3;
	/* Another group context: the tag (and signature) no longer match. */
	gc_buf[gc_len - 2] ^= 1;
	CHECK_ERR(mls_public_message_verify(&pm, sp(gc_buf, gc_len), pub, mkey), CR_ERR_AUTH);
	gc_buf[gc_len - 2] ^= 1;
	/* A valid tag over a bad signature: the signature check catches it. */
	uint8_t tag2[MLS_NH];
	sig[0] ^= 1;
	mls_public_message bad = pm;
	CHECK_OK(mls_public_message_protect(&bad, sig, tag2, sp(gc_buf, gc_len), seed, mkey)); /* re-sign */
	bad.signature = sp(tag2, 10); /* wrong signature length */
	CHECK_ERR(mls_public_message_verify(&bad, sp(gc_buf, gc_len), pub, mkey), CR_ERR_AUTH);
	/* Truncated membership tag. */
	bad = pm;
	bad.membership_tag.n = MLS_NH - 1;
	CHECK_ERR(mls_public_message_verify(&bad, sp(gc_buf, gc_len), pub, mkey), CR_ERR_AUTH);
}

static cr_err open_msg(const uint8_t *msg, size_t n, mls_secret_tree *st, const uint8_t *sds, uint8_t *pt,
		       size_t cap, mls_private_opened *o)
{
	mls_message m;
	CR_TRY(mls_message_decode(msg, n, &m));
	CR_ENSURE(m.wire_format == MLS_WIRE_PRIVATE_MESSAGE, CR_ERR_INVALID);
	return mls_private_message_open(&m.u.private_message, st, sds, pt, cap, o);
}

TEST(private_roundtrip_replay_and_tamper)
{
	setup();
	mls_secret_tree tx, rx;
	cr_rng_det det;
	cr_rng rng;
	uint8_t rs[32] = { 1 };
	cr_rng_det_init(&det, &rng, rs);
	CHECK_OK(mls_secret_tree_init(&tx, enc_secret, 2));
	CHECK_OK(mls_secret_tree_init(&rx, enc_secret, 2));
	mls_framed_content fc = content(MLS_SENDER_MEMBER, MLS_CONTENT_APPLICATION);
	cr_writer w;
	uint8_t pt[512];
	mls_private_opened o;
	cr_writer_init_dynamic(&w, 4096);
	CHECK_OK(mls_private_message_protect(&w, &fc, sp(NULL, 0), sp(gc_buf, gc_len), seed, &tx, sd_secret, 7, &rng));
	/* Wrong sender data secret. */
	uint8_t wrong[MLS_NH] = { 5 };
	CHECK_ERR(open_msg(w.p, w.len, &rx, wrong, pt, sizeof pt, &o), CR_ERR_AUTH);
	/* Tampered epoch (part of both AADs). */
	w.p[4 + 1 + sizeof gid + 7] ^= 1;
	CHECK_ERR(open_msg(w.p, w.len, &rx, sd_secret, pt, sizeof pt, &o), CR_ERR_AUTH);
	w.p[4 + 1 + sizeof gid + 7] ^= 1;
	/* Too small a plaintext buffer. */
	CHECK_ERR(open_msg(w.p, w.len, &rx, sd_secret, pt, 3, &o), CR_ERR_SPACE);
	CHECK_OK(open_msg(w.p, w.len, &rx, sd_secret, pt, sizeof pt, &o));
	CHECK(o.content.sender.index == 1 && o.generation == 0 && o.content.application_data.n == 5 &&
	      memcmp(o.content.application_data.p, "hello", 5) == 0);
	CHECK_OK(mls_framed_content_verify(o.signature, MLS_WIRE_PRIVATE_MESSAGE, &o.content, sp(gc_buf, gc_len), pub));
	/* As a PublicMessage signature it does not verify (wire format is signed). */
	CHECK_ERR(mls_framed_content_verify(o.signature, MLS_WIRE_PUBLIC_MESSAGE, &o.content, sp(gc_buf, gc_len), pub),
		  CR_ERR_AUTH);
	/* Replay of the same generation. */
	CHECK(open_msg(w.p, w.len, &rx, sd_secret, pt, sizeof pt, &o) != CR_OK);
	cr_writer_free(&w);

	/* Second message: generation 1, and two protections never share a nonce. */
	cr_writer w2;
	cr_writer_init_dynamic(&w, 4096);
	cr_writer_init_dynamic(&w2, 4096);
	CHECK_OK(mls_private_message_protect(&w, &fc, sp(NULL, 0), sp(gc_buf, gc_len), seed, &tx, sd_secret, 0, &rng));
	CHECK_OK(mls_private_message_protect(&w2, &fc, sp(NULL, 0), sp(gc_buf, gc_len), seed, &tx, sd_secret, 0, &rng));
	CHECK(w.len == w2.len && memcmp(w.p, w2.p, w.len) != 0);
	/* Out of order: generation 2 before 1. */
	CHECK_OK(open_msg(w2.p, w2.len, &rx, sd_secret, pt, sizeof pt, &o));
	CHECK(o.generation == 2);
	CHECK_OK(open_msg(w.p, w.len, &rx, sd_secret, pt, sizeof pt, &o));
	CHECK(o.generation == 1);
	cr_writer_free(&w);
	cr_writer_free(&w2);

	/* Only members encrypt; a sender outside the tree has no ratchet. */
	fc.sender.type = MLS_SENDER_EXTERNAL;
	cr_writer_init_dynamic(&w, 4096);
	CHECK_ERR(mls_private_message_protect(&w, &fc, sp(NULL, 0), sp(gc_buf, gc_len), seed, &tx, sd_secret, 0, &rng),
		  CR_ERR_INVALID);
	fc.sender.type = MLS_SENDER_MEMBER;
	fc.sender.index = 5;
	CHECK(mls_private_message_protect(&w, &fc, sp(NULL, 0), sp(gc_buf, gc_len), seed, &tx, sd_secret, 0, &rng) !=
	      CR_OK);
	cr_writer_free(&w);
	mls_secret_tree_free(&tx);
	mls_secret_tree_free(&rx);
}

/* A PrivateMessage whose padding holds a non-zero byte, encrypted by hand
 * with the same keys, must be refused (RFC 9420 section 6.3.1). */
TEST(private_nonzero_padding)
{
	setup();
	mls_secret_tree tx, rx;
	CHECK_OK(mls_secret_tree_init(&tx, enc_secret, 2));
	CHECK_OK(mls_secret_tree_init(&rx, enc_secret, 2));
	for (int nonzero = 0; nonzero < 2; nonzero++) {
		uint8_t content_pt[128], ct[128 + 16], sd[12] = { 0, 0, 0, 1, 0, 0, 0, (uint8_t)nonzero };
		uint8_t esd[28], sdk[MLS_NK], sdn[MLS_NN], aad[64];
		cr_writer w;
		/* application_data "hi", signature (zeros: not checked by open), padding. */
		cr_writer_init_fixed(&w, content_pt, sizeof content_pt);
		cr_write_opaque(&w, (const uint8_t *)"hi", 2);
		uint8_t zsig[MLS_SIG_LEN] = { 0 };
		cr_write_opaque(&w, zsig, sizeof zsig);
		cr_write_u8(&w, 0);
		cr_write_u8(&w, nonzero ? 1 : 0);
		size_t pt_len = w.len;
		CHECK_OK(cr_writer_error(&w));
		mls_ratchet_key rk;
		CHECK_OK(mls_secret_tree_next(&tx, 1, MLS_RATCHET_APPLICATION, &rk));
		CHECK(rk.generation == (uint32_t)nonzero);
		cr_writer_init_fixed(&w, aad, sizeof aad);
		cr_write_opaque(&w, gid, sizeof gid);
		cr_write_u64(&w, 3);
		cr_write_u8(&w, MLS_CONTENT_APPLICATION);
		size_t sd_aad_len = w.len;
		cr_write_opaque(&w, NULL, 0);
		CHECK_OK(cr_aes128gcm_seal(ct, rk.key, rk.nonce, aad, w.len, content_pt, pt_len)); /* guard 0 */
		mls_ratchet_key_wipe(&rk);
		CHECK_OK(mls_sender_data_key_nonce(sdk, sdn, sd_secret, ct, pt_len + 16));
		CHECK_OK(cr_aes128gcm_seal(esd, sdk, sdn, aad, sd_aad_len, sd, sizeof sd));
		mls_private_message pm;
		memset(&pm, 0, sizeof pm);
		pm.group_id = sp(gid, sizeof gid);
		pm.epoch = 3;
		pm.content_type = MLS_CONTENT_APPLICATION;
		pm.encrypted_sender_data = sp(esd, sizeof esd);
		pm.ciphertext = sp(ct, pt_len + 16);
		uint8_t pt[128];
		mls_private_opened o;
		if (nonzero)
			CHECK_ERR(mls_private_message_open(&pm, &rx, sd_secret, pt, sizeof pt, &o), CR_ERR_MALFORMED);
		else
			CHECK_OK(mls_private_message_open(&pm, &rx, sd_secret, pt, sizeof pt, &o));
	}
	mls_secret_tree_free(&tx);
	mls_secret_tree_free(&rx);
}

static const t_case cases[] = {
	T(public_sender_rules),
	T(public_tamper),
	T(private_roundtrip_replay_and_tamper),
	T(private_nonzero_padding),
	{ 0 },
};

int main(int argc, char **argv)
{
	return t_main(argc, argv, cases);
}
