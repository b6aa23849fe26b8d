/*
 * vec_welcome.c: welcome.json (RFC 9420 test vectors): find our entry of
 * the Welcome by KeyPackageRef, decrypt the GroupSecrets with init_priv and
 * the GroupInfo with the welcome key, verify the GroupInfo signature with
 * signer_pub and its confirmation tag with the joiner's key schedule.
 * Suites other than 1 are skipped.
 */
#include <stdlib.h>
#include <string.h>

#include "aes_gcm.h"
#include "key_schedule.h"
#include "msg_groupinfo.h"
#include "msg_message.h"
#include "msg_welcome.h"
#include "suite.h"
#include "transcript.h"
#include "vec.h"
#include "wipe.h"

static bool detect(json_t *root)
{
	static const char *const keys[] = { "cipher_suite", "init_priv", "signer_pub", "key_package", "welcome",
					     NULL };
	return vec_mls_has_keys(root, keys);
}

static void run_case(json_t *c)
{
	size_t ipl, spl, kpl, wl;
	uint8_t *ip = vec_hex(c, "init_priv", &ipl), *sp = vec_hex(c, "signer_pub", &spl);
	uint8_t *kpm = vec_hex(c, "key_package", &kpl), *wm = vec_hex(c, "welcome", &wl);
	uint8_t *gs_pt = NULL, *gi_pt = NULL;
	mls_epoch_secrets es;
	memset(&es, 0, sizeof es);
	cr_writer w;
	cr_writer_init_dynamic(&w, MLS_MAX_MESSAGE);
	if (!ip || !sp || !kpm || !wm || !CHECK(ipl == 32 && spl == 32))
		goto out;
	/* The KeyPackage inside its MLSMessage: the ref covers the KeyPackage. */
	cr_reader r;
	uint16_t ver, wf;
	cr_span kp;
	cr_reader_init(&r, kpm, kpl);
	if (!CHECK_OK(cr_read_u16(&r, &ver)) || !CHECK_OK(cr_read_u16(&r, &wf)) ||
	    !CHECK(wf == MLS_WIRE_KEY_PACKAGE) || !CHECK_OK(cr_read_span(&r, cr_reader_left(&r), &kp)))
		goto out;
	uint8_t ref[MLS_NH];
	mls_message m;
	mls_encrypted_group_secrets egs;
	if (!CHECK_OK(mls_make_key_package_ref(ref, kp.p, kp.n)) || !CHECK_OK(mls_message_decode(wm, wl, &m)) ||
	    !CHECK(m.wire_format == MLS_WIRE_WELCOME) ||
	    !CHECK_OK(mls_welcome_find(&m.u.welcome, ref, sizeof ref, &egs)) ||
	    !CHECK(egs.kem_output.n == 32 && egs.ciphertext.n > 16))
		goto out;
	size_t gs_len = egs.ciphertext.n - 16;
	gs_pt = malloc(gs_len);
	mls_group_secrets gs;
	const mls_welcome *wlc = &m.u.welcome;
	if (!CHECK_OK(mls_decrypt_with_label(gs_pt, ip, "Welcome", wlc->encrypted_group_info.p,
					     wlc->encrypted_group_info.n, egs.kem_output.p, egs.ciphertext.p,
					     egs.ciphertext.n)) ||
	    !CHECK_OK(mls_group_secrets_decode(gs_pt, gs_len, &gs)) || !CHECK(gs.joiner_secret.n == MLS_NH) ||
	    !CHECK(gs.psks.count == 0))
		goto out;
	/* A wrong init key does not open it. */
	ip[7] ^= 1;
	CHECK(mls_decrypt_with_label(gs_pt, ip, "Welcome", wlc->encrypted_group_info.p, wlc->encrypted_group_info.n,
				     egs.kem_output.p, egs.ciphertext.p, egs.ciphertext.n) != CR_OK);
	ip[7] ^= 1;
	if (!CHECK_OK(mls_decrypt_with_label(gs_pt, ip, "Welcome", wlc->encrypted_group_info.p,
					     wlc->encrypted_group_info.n, egs.kem_output.p, egs.ciphertext.p,
					     egs.ciphertext.n)) ||
	    !CHECK_OK(mls_group_secrets_decode(gs_pt, gs_len, &gs)))
		goto out;
	uint8_t key[MLS_NK], nonce[MLS_NN];
	if (!CHECK_OK(mls_key_schedule_from_joiner(&es, gs.joiner_secret.p, NULL, NULL, 0)) ||
	    !CHECK_OK(mls_welcome_key_nonce(key, nonce, es.welcome_secret)) ||
	    !CHECK(wlc->encrypted_group_info.n > 16))
		goto out;
	size_t gi_len = wlc->encrypted_group_info.n - 16;
	gi_pt = malloc(gi_len);
	mls_group_info gi;
	if (!CHECK_OK(cr_aes128gcm_open(gi_pt, key, nonce, NULL, 0, wlc->encrypted_group_info.p,
					wlc->encrypted_group_info.n)) ||
	    !CHECK_OK(mls_group_info_decode(gi_pt, gi_len, &gi)) || !CHECK(gi.signature.n == MLS_SIG_LEN))
		goto out;
	mls_group_info_tbs_write(&w, &gi);
	if (!CHECK_OK(cr_writer_error(&w)))
		goto out;
	CHECK_OK(mls_verify_with_label(gi.signature.p, sp, "GroupInfoTBS", w.p, w.len));
	sp[0] ^= 1;
	CHECK(mls_verify_with_label(gi.signature.p, sp, "GroupInfoTBS", w.p, w.len) != CR_OK);
	w.len = 0;
	mls_group_context_write(&w, &gi.group_context);
	if (!CHECK_OK(cr_writer_error(&w)) || !CHECK(gi.group_context.confirmed_transcript_hash.n == MLS_NH))
		goto out;
	mls_epoch_secrets_wipe(&es);
	if (!CHECK_OK(mls_key_schedule_from_joiner(&es, gs.joiner_secret.p, NULL, w.p, w.len)))
		goto out;
	CHECK_OK(mls_confirmation_tag_verify(gi.confirmation_tag.p, gi.confirmation_tag.n, es.confirmation_key,
					     gi.group_context.confirmed_transcript_hash.p));
	es.confirmation_key[0] ^= 1;
	CHECK(mls_confirmation_tag_verify(gi.confirmation_tag.p, gi.confirmation_tag.n, es.confirmation_key,
					  gi.group_context.confirmed_transcript_hash.p) != CR_OK);
out:
	mls_epoch_secrets_wipe(&es);
	cr_writer_free(&w);
	free(ip);
	free(sp);
	free(kpm);
	free(wm);
	free(gs_pt);
	free(gi_pt);
}

static void run(json_t *root, const char *path)
{
	(void)path;
	size_t i;
	json_t *c;
	json_array_foreach(root, i, c) {
		json_t *s = json_object_get(c, "cipher_suite");
		if (!json_is_integer(s) || json_integer_value(s) != MLS_SUITE_ID) {
			t_skip("welcome #%zu: other cipher suite", i);
			continue;
		}
		t_begin("welcome #%zu", i);
		run_case(c);
		t_end();
	}
}

const vec_runner vec_welcome = { "welcome", detect, run };
