/*
 * vec_welcome.c: welcome.json (RFC 9420 test vectors, "Welcome"), cipher
 * suite 0x0001 only: find the entry of key_package in the Welcome, decrypt
 * the GroupSecrets with init_priv and the GroupInfo with the welcome key,
 * verify the GroupInfo signature with signer_pub, and recompute its
 * confirmation tag from the joiner's key schedule. Negative checks: a
 * wrong init key, a wrong signer key, a flipped bit of the encrypted
 * GroupInfo and another KeyPackage all fail.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "key_schedule.h"
#include "msg_message.h"
#include "msg_welcome_open.h"
#include "vec.h"
#include "wipe.h"

static bool detect(json_t *root)
{
	static const char *const keys[] = { "init_priv", "signer_pub", "key_package", "welcome", NULL };
	return vec_mls_has_keys(root, keys);
}

static void run_case(json_t *c)
{
	size_t kpm_len = 0, wm_len = 0, priv_len = 0, pub_len = 0, gs_len = 0, gi_len = 0;
	uint8_t *kpm = vec_hex(c, "key_package", &kpm_len);
	uint8_t *wm = vec_hex(c, "welcome", &wm_len);
	uint8_t *priv = vec_hex(c, "init_priv", &priv_len);
	uint8_t *pub = vec_hex(c, "signer_pub", &pub_len);
	uint8_t *gs = NULL, *gi = NULL;
	mls_message kpmsg, wmsg;
	if (!kpm || !wm || !priv || !pub || !CHECK(priv_len == 32 && pub_len == 32))
		goto out;
	if (!CHECK_OK(mls_message_decode(kpm, kpm_len, &kpmsg)) || !CHECK(kpmsg.wire_format == MLS_WIRE_KEY_PACKAGE) ||
	    !CHECK_OK(mls_message_decode(wm, wm_len, &wmsg)) || !CHECK(wmsg.wire_format == MLS_WIRE_WELCOME))
		goto out;
	/* The KeyPackage without its MLSMessage header is what the ref hashes. */
	cr_span kp = { kpm + 4, kpm_len - 4 };
	const mls_welcome *wl = &wmsg.u.welcome;
	gs = malloc(wm_len);
	gi = malloc(wm_len);
	if (!CHECK(gs && gi))
		goto out;

	/* A wrong init key cannot open the secrets. */
	uint8_t bad_priv[32];
	memcpy(bad_priv, priv, 32);
	bad_priv[3] ^= 1;
	CHECK(mls_welcome_open_secrets(wl, kp.p, kp.n, bad_priv, gs, wm_len, &gs_len) != CR_OK);
	/* Another KeyPackage (a changed byte) has no entry. */
	kpm[kpm_len - 1] ^= 1;
	CHECK_ERR(mls_welcome_open_secrets(wl, kp.p, kp.n, priv, gs, wm_len, &gs_len), CR_ERR_NOT_FOUND);
	kpm[kpm_len - 1] ^= 1;

	if (!CHECK_OK(mls_welcome_open_secrets(wl, kp.p, kp.n, priv, gs, wm_len, &gs_len)))
		goto out;
	mls_group_secrets sec;
	if (!CHECK_OK(mls_group_secrets_decode(gs, gs_len, &sec)) || !CHECK(sec.joiner_secret.n == MLS_NH) ||
	    !CHECK(sec.psks.count == 0))
		goto out;
	uint8_t joiner[MLS_NH];
	memcpy(joiner, sec.joiner_secret.p, MLS_NH);
	if (!CHECK_OK(mls_welcome_open_group_info(wl, joiner, NULL, gi, wm_len, &gi_len)))
		goto out;
	mls_group_info info;
	if (!CHECK_OK(mls_group_info_decode(gi, gi_len, &info)))
		goto out;
	CHECK_OK(mls_group_info_verify(&info, pub));
	uint8_t bad_pub[32];
	memcpy(bad_pub, pub, 32);
	bad_pub[0] ^= 1;
	CHECK(mls_group_info_verify(&info, bad_pub) != CR_OK);

	/* Confirmation tag from the joiner's schedule over this GroupContext. */
	cr_writer w;
	cr_writer_init_dynamic(&w, MLS_MAX_MESSAGE);
	mls_group_context_write(&w, &info.group_context);
	mls_epoch_secrets es;
	if (CHECK_OK(cr_writer_error(&w)) &&
	    CHECK_OK(mls_key_schedule_from_joiner(&es, joiner, NULL, w.p, w.len))) {
		CHECK_OK(mls_group_info_check_confirmation(&info, es.confirmation_key));
		es.confirmation_key[0] ^= 1;
		CHECK_ERR(mls_group_info_check_confirmation(&info, es.confirmation_key), CR_ERR_AUTH);
		mls_epoch_secrets_wipe(&es);
	}
	cr_writer_free(&w);
	cr_wipe(joiner, sizeof joiner);

	/* A flipped bit of encrypted_group_info: the AEAD refuses it (and the
	 * secrets too, whose HPKE context is the encrypted GroupInfo). */
	uint8_t *egi = (uint8_t *)wl->encrypted_group_info.p;
	egi[0] ^= 1;
	CHECK(mls_welcome_open_group_info(wl, sec.joiner_secret.p, NULL, gi, wm_len, &gi_len) == CR_ERR_AUTH);
	CHECK(mls_welcome_open_secrets(wl, kp.p, kp.n, priv, gi, wm_len, &gi_len) != CR_OK);
	egi[0] ^= 1;
out:
	if (gs)
		cr_wipe(gs, wm_len);
	free(gs);
	free(gi);
	free(kpm);
	free(wm);
	free(priv);
	free(pub);
}

static void run(json_t *root, const char *path)
{
	(void)path;
	vec_each_suite1_case(root, "welcome", run_case);
}

const vec_runner vec_welcome = { "welcome", detect, run };
