/*
 * msg_welcome_open.h: opening a Welcome (RFC 9420 section 12.4.3.1) and
 * checking the GroupInfo inside it (section 12.4.3), cipher suite 0x0001.
 *
 *   encrypted_group_secrets = EncryptWithLabel(init_key, "Welcome",
 *                                 encrypted_group_info, group_secrets)
 *   welcome_secret -> welcome_key, welcome_nonce (key_schedule.h)
 *   encrypted_group_info = AEAD.Seal(welcome_key, welcome_nonce, "", GroupInfo)
 *   GroupInfo.signature = SignWithLabel(., "GroupInfoTBS", GroupInfoTBS)
 *
 * The joiner (1) finds its entry by the KeyPackageRef of its KeyPackage and
 * decrypts its GroupSecrets, (2) derives the welcome key from the
 * joiner_secret (and the PSK secret, if the GroupSecrets names PSKs) and
 * decrypts the GroupInfo, (3) verifies the GroupInfo signature with the
 * signer's leaf key and the confirmation tag with the epoch's
 * confirmation_key. Decrypted buffers are the caller's: GroupSecrets holds
 * secrets, so the caller wipes it. Failures: CR_ERR_NOT_FOUND (no entry
 * for this KeyPackage), CR_ERR_AUTH (any decryption, signature or tag
 * mismatch), CR_ERR_UNSUPPORTED (another cipher suite).
 */
#ifndef ECHOVER_MLS_MSG_WELCOME_OPEN_H
#define ECHOVER_MLS_MSG_WELCOME_OPEN_H

#include "msg_groupinfo.h"
#include "msg_welcome.h"
#include "suite.h"

/* KeyPackageRef of an encoded KeyPackage (not the MLSMessage around it). */
cr_err mls_key_package_ref_of(uint8_t out[MLS_NH], const uint8_t *key_package, size_t n) CR_MUST_CHECK;

/* Step 1: gs[gs_cap] gets the GroupSecrets plaintext (*gs_len bytes). */
cr_err mls_welcome_open_secrets(const mls_welcome *wl, const uint8_t *key_package, size_t kp_len,
				const uint8_t init_priv[MLS_HPKE_KEY_LEN], uint8_t *gs, size_t gs_cap,
				size_t *gs_len) CR_MUST_CHECK;
/* Step 2: gi[gi_cap] gets the GroupInfo plaintext (*gi_len bytes).
 * psk_secret: NULL when the GroupSecrets names no PSK. */
cr_err mls_welcome_open_group_info(const mls_welcome *wl, const uint8_t joiner_secret[MLS_NH],
				   const uint8_t *psk_secret, uint8_t *gi, size_t gi_cap,
				   size_t *gi_len) CR_MUST_CHECK;
/* Step 3a: the GroupInfo's signature under the signer's key. */
cr_err mls_group_info_verify(const mls_group_info *gi, const uint8_t signer_pub[MLS_SIG_PUB_LEN]) CR_MUST_CHECK;
/* Step 3b: confirmation_tag == MAC(confirmation_key, confirmed_transcript_hash),
 * compared in constant time. */
cr_err mls_group_info_check_confirmation(const mls_group_info *gi,
					 const uint8_t confirmation_key[MLS_NH]) CR_MUST_CHECK;

/* The committer's side, the inverse of steps 1 and 2. */
/* egi[gi_len + 16]: the GroupInfo sealed under the welcome key. */
cr_err mls_welcome_seal_group_info(uint8_t *egi, const uint8_t joiner_secret[MLS_NH], const uint8_t *psk_secret,
				   const uint8_t *gi, size_t gi_len) CR_MUST_CHECK;
/* One EncryptedGroupSecrets for the KeyPackage key_package[kp_len] whose
 * init_key is given: ref gets its KeyPackageRef, kem_output and
 * ct[gs_len + 16] the HPKE encryption of gs with egi as context. */
cr_err mls_welcome_seal_secrets(uint8_t ref[MLS_NH], uint8_t kem_output[MLS_KEM_OUTPUT_LEN], uint8_t *ct,
				const uint8_t *key_package, size_t kp_len, const uint8_t init_key[MLS_HPKE_KEY_LEN],
				cr_span egi, const uint8_t *gs, size_t gs_len, const cr_rng *rng) CR_MUST_CHECK;

#endif
