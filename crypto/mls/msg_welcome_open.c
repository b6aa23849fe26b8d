#include "msg_welcome_open.h"

#include <string.h>

#include "aes_gcm.h"
#include "key_schedule.h"
#include "wipe.h"

cr_err mls_key_package_ref_of(uint8_t out[MLS_NH], const uint8_t *key_package, size_t n)
{
	return mls_make_key_package_ref(out, key_package, n);
}

cr_err mls_welcome_open_secrets(const mls_welcome *wl, const uint8_t *key_package, size_t kp_len,
				const uint8_t init_priv[MLS_HPKE_KEY_LEN], uint8_t *gs, size_t gs_cap,
				size_t *gs_len)
{
	uint8_t ref[MLS_NH];
	mls_encrypted_group_secrets e;
	*gs_len = 0;
	CR_ENSURE(wl->cipher_suite == MLS_SUITE_ID, CR_ERR_UNSUPPORTED);
	CR_TRY(mls_key_package_ref_of(ref, key_package, kp_len));
	CR_TRY(mls_welcome_find(wl, ref, sizeof ref, &e));
	CR_ENSURE(e.kem_output.n == MLS_KEM_OUTPUT_LEN, CR_ERR_AUTH);
	CR_ENSURE(e.ciphertext.n >= CR_GCM_TAG_LEN, CR_ERR_AUTH);
	CR_ENSURE(gs_cap >= e.ciphertext.n - CR_GCM_TAG_LEN, CR_ERR_SPACE);
	CR_TRY(mls_decrypt_with_label(gs, init_priv, "Welcome", wl->encrypted_group_info.p,
				      wl->encrypted_group_info.n, e.kem_output.p, e.ciphertext.p, e.ciphertext.n));
	*gs_len = e.ciphertext.n - CR_GCM_TAG_LEN;
	return CR_OK;
}

cr_err mls_welcome_open_group_info(const mls_welcome *wl, const uint8_t joiner_secret[MLS_NH],
				   const uint8_t *psk_secret, uint8_t *gi, size_t gi_cap, size_t *gi_len)
{
	mls_epoch_secrets es;
	uint8_t key[MLS_NK], nonce[MLS_NN];
	cr_err err;
	*gi_len = 0;
	CR_ENSURE(wl->cipher_suite == MLS_SUITE_ID, CR_ERR_UNSUPPORTED);
	CR_ENSURE(wl->encrypted_group_info.n >= CR_GCM_TAG_LEN, CR_ERR_AUTH);
	CR_ENSURE(gi_cap >= wl->encrypted_group_info.n - CR_GCM_TAG_LEN, CR_ERR_SPACE);
	memset(&es, 0, sizeof es);
	/* welcome_secret depends on joiner_secret and psk_secret only (RFC
	 * 9420 section 8): the GroupContext it is encrypted with is not
	 * known yet, so the schedule runs with an empty one here. */
	CR_CHECK(mls_key_schedule_from_joiner(&es, joiner_secret, psk_secret, NULL, 0));
	CR_CHECK(mls_welcome_key_nonce(key, nonce, es.welcome_secret));
	CR_CHECK(cr_aes128gcm_open(gi, key, nonce, NULL, 0, wl->encrypted_group_info.p, wl->encrypted_group_info.n));
	*gi_len = wl->encrypted_group_info.n - CR_GCM_TAG_LEN;
out:
	mls_epoch_secrets_wipe(&es);
	cr_wipe(key, sizeof key);
	cr_wipe(nonce, sizeof nonce);
	return err;
}

cr_err mls_group_info_verify(const mls_group_info *gi, const uint8_t signer_pub[MLS_SIG_PUB_LEN])
{
	CR_ENSURE(gi->signature.n == MLS_SIG_LEN, CR_ERR_AUTH);
	cr_writer w;
	cr_writer_init_dynamic(&w, MLS_MAX_MESSAGE);
	mls_group_info_tbs_write(&w, gi);
	cr_err err = cr_writer_error(&w);
	if (!err)
		err = mls_verify_with_label(gi->signature.p, signer_pub, "GroupInfoTBS", w.p, w.len);
	cr_writer_free(&w);
	return err;
}

cr_err mls_group_info_check_confirmation(const mls_group_info *gi, const uint8_t confirmation_key[MLS_NH])
{
	uint8_t tag[MLS_NH];
	CR_ENSURE(gi->confirmation_tag.n == MLS_NH, CR_ERR_AUTH);
	mls_mac(tag, confirmation_key, MLS_NH, gi->group_context.confirmed_transcript_hash.p,
		gi->group_context.confirmed_transcript_hash.n);
	bool ok = cr_ct_equal(tag, gi->confirmation_tag.p, MLS_NH);
	cr_wipe(tag, sizeof tag);
	return ok ? CR_OK : CR_ERR_AUTH;
}

cr_err mls_welcome_seal_group_info(uint8_t *egi, const uint8_t joiner_secret[MLS_NH], const uint8_t *psk_secret,
				   const uint8_t *gi, size_t gi_len)
{
	mls_epoch_secrets es;
	uint8_t key[MLS_NK], nonce[MLS_NN];
	cr_err err;
	memset(&es, 0, sizeof es);
	CR_CHECK(mls_key_schedule_from_joiner(&es, joiner_secret, psk_secret, NULL, 0));
	CR_CHECK(mls_welcome_key_nonce(key, nonce, es.welcome_secret));
	CR_CHECK(cr_aes128gcm_seal(egi, key, nonce, NULL, 0, gi, gi_len));
out:
	mls_epoch_secrets_wipe(&es);
	cr_wipe(key, sizeof key);
	cr_wipe(nonce, sizeof nonce);
	return err;
}

cr_err mls_welcome_seal_secrets(uint8_t ref[MLS_NH], uint8_t kem_output[MLS_KEM_OUTPUT_LEN], uint8_t *ct,
				const uint8_t *key_package, size_t kp_len, const uint8_t init_key[MLS_HPKE_KEY_LEN],
				cr_span egi, const uint8_t *gs, size_t gs_len, const cr_rng *rng)
{
	CR_TRY(mls_key_package_ref_of(ref, key_package, kp_len));
	return mls_encrypt_with_label(kem_output, ct, init_key, "Welcome", egi.p, egi.n, gs, gs_len, rng);
}
