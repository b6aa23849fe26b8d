/*
 * hpke.h: HPKE (RFC 9180) base mode for the one suite MLS cipher suite 1 uses:
 * DHKEM(X25519, HKDF-SHA256) (kem 0x0020), HKDF-SHA256 (kdf 0x0001),
 * AES-128-GCM (aead 0x0001). Built on hash.h, x25519.h and aes_gcm.h; no
 * primitive of its own, no allocation except for labeled inputs longer than
 * a stack buffer (a dynamic cr_writer, wiped when freed).
 *
 * Sizes: Nsecret = Nenc = Npk = Nsk = Nh = 32, Nk = 16, Nn = 12, Nt = 16.
 *
 * Rules enforced here:
 *   - RFC 9180 7.1.4: an all-zero X25519 output is rejected (CR_ERR_INVALID),
 *     in Encap and Decap alike (cr_x25519 checks it).
 *   - RFC 9180 5.2: the sequence number may not wrap; Seal/Open refuse once
 *     it reaches 2^64 - 1 (CR_ERR_STATE) -- far below Nn's 2^96 limit.
 *   - Open never advances the sequence number on failure, so a forged
 *     ciphertext does not desynchronise the context.
 *
 * Secrets: every intermediate (DH output, PRKs, the ephemeral key) is wiped
 * on every exit path; on failure every secret output is zeroed.
 *
 * The MLS single-shot calls (RFC 9420 5.1.3: SealBase / OpenBase with an
 * empty exporter) are mls_hpke_seal_base / mls_hpke_open_base.
 */
#ifndef ECHOVER_MLS_HPKE_H
#define ECHOVER_MLS_HPKE_H

#include <stddef.h>
#include <stdint.h>

#include "cr_err.h"
#include "rng.h"

#define MLS_HPKE_NSECRET 32
#define MLS_HPKE_NENC 32
#define MLS_HPKE_NPK 32
#define MLS_HPKE_NSK 32
#define MLS_HPKE_NK 16
#define MLS_HPKE_NN 12
#define MLS_HPKE_NH 32
#define MLS_HPKE_NT 16

/* HPKE's labeled functions take a suite_id: the KEM's ("KEM" || kem_id) or
 * the full suite's ("HPKE" || kem_id || kdf_id || aead_id), RFC 9180 4. */
typedef enum mls_hpke_sid { MLS_HPKE_SID_KEM, MLS_HPKE_SID_HPKE } mls_hpke_sid;

/* LabeledExtract(salt, label, ikm) = Extract(salt, "HPKE-v1" || suite_id || label || ikm). */
cr_err mls_hpke_labeled_extract(uint8_t prk[MLS_HPKE_NH], mls_hpke_sid sid, const uint8_t *salt,
				size_t salt_len, const char *label, const uint8_t *ikm,
				size_t ikm_len) CR_MUST_CHECK;
/* LabeledExpand(prk, label, info, L) = Expand(prk, I2OSP(L,2) || "HPKE-v1" || suite_id || label || info, L). */
cr_err mls_hpke_labeled_expand(uint8_t *out, size_t out_len, mls_hpke_sid sid, const uint8_t *prk,
			       size_t prk_len, const char *label, const uint8_t *info,
			       size_t info_len) CR_MUST_CHECK;

/* DeriveKeyPair(ikm), RFC 9180 7.1.3 (X25519: sk = LabeledExpand(dkp_prk, "sk", "", 32)). */
cr_err mls_hpke_derive_keypair(uint8_t sk[MLS_HPKE_NSK], uint8_t pk[MLS_HPKE_NPK], const uint8_t *ikm,
			       size_t ikm_len) CR_MUST_CHECK;

/* Encap(pkR): a fresh ephemeral key from rng (32 random bytes through
 * DeriveKeyPair, as GenerateKeyPair may be implemented). */
cr_err mls_hpke_encap(uint8_t shared_secret[MLS_HPKE_NSECRET], uint8_t enc[MLS_HPKE_NENC],
		      const uint8_t pkR[MLS_HPKE_NPK], const cr_rng *rng) CR_MUST_CHECK;
/* Encap with the ephemeral key derived from ikmE (known-answer tests). */
cr_err mls_hpke_encap_det(uint8_t shared_secret[MLS_HPKE_NSECRET], uint8_t enc[MLS_HPKE_NENC],
			  const uint8_t pkR[MLS_HPKE_NPK], const uint8_t *ikmE,
			  size_t ikmE_len) CR_MUST_CHECK;
cr_err mls_hpke_decap(uint8_t shared_secret[MLS_HPKE_NSECRET], const uint8_t enc[MLS_HPKE_NENC],
		      const uint8_t skR[MLS_HPKE_NSK]) CR_MUST_CHECK;

/* An encryption context (RFC 9180 5.2). seq is the next sequence number;
 * callers may read it (and tests set it to replay a vector's numbering). */
typedef struct mls_hpke_ctx {
	uint8_t key[MLS_HPKE_NK];
	uint8_t base_nonce[MLS_HPKE_NN];
	uint8_t exporter_secret[MLS_HPKE_NH];
	uint64_t seq;
} mls_hpke_ctx;

/* KeySchedule(mode_base, shared_secret, info, "", ""), RFC 9180 5.1. */
cr_err mls_hpke_key_schedule(mls_hpke_ctx *ctx, const uint8_t shared_secret[MLS_HPKE_NSECRET],
			     const uint8_t *info, size_t info_len) CR_MUST_CHECK;
cr_err mls_hpke_setup_base_s(mls_hpke_ctx *ctx, uint8_t enc[MLS_HPKE_NENC], const uint8_t pkR[MLS_HPKE_NPK],
			     const uint8_t *info, size_t info_len, const cr_rng *rng) CR_MUST_CHECK;
cr_err mls_hpke_setup_base_s_det(mls_hpke_ctx *ctx, uint8_t enc[MLS_HPKE_NENC],
				 const uint8_t pkR[MLS_HPKE_NPK], const uint8_t *info, size_t info_len,
				 const uint8_t *ikmE, size_t ikmE_len) CR_MUST_CHECK;
cr_err mls_hpke_setup_base_r(mls_hpke_ctx *ctx, const uint8_t enc[MLS_HPKE_NENC],
			     const uint8_t skR[MLS_HPKE_NSK], const uint8_t *info,
			     size_t info_len) CR_MUST_CHECK;

/* ct[pt_len + 16]; in place allowed. Advances seq on success only. */
cr_err mls_hpke_seal(mls_hpke_ctx *ctx, uint8_t *ct, const uint8_t *aad, size_t aad_len,
		     const uint8_t *pt, size_t pt_len) CR_MUST_CHECK;
/* pt[ct_len - 16]; CR_ERR_AUTH (pt zeroed, seq unchanged) on a bad tag. */
cr_err mls_hpke_open(mls_hpke_ctx *ctx, uint8_t *pt, const uint8_t *aad, size_t aad_len,
		     const uint8_t *ct, size_t ct_len) CR_MUST_CHECK;
/* Export(exporter_context, L) = LabeledExpand(exporter_secret, "sec", ctx, L); L <= 255*32. */
cr_err mls_hpke_export(const mls_hpke_ctx *ctx, uint8_t *out, size_t out_len, const uint8_t *exp_ctx,
		       size_t exp_ctx_len) CR_MUST_CHECK;
void mls_hpke_ctx_wipe(mls_hpke_ctx *ctx);

/* Single-shot SealBase / OpenBase (RFC 9180 6.1), as MLS uses them:
 * ct[pt_len + 16], pt[ct_len - 16]. */
cr_err mls_hpke_seal_base(uint8_t enc[MLS_HPKE_NENC], uint8_t *ct, const uint8_t pkR[MLS_HPKE_NPK],
			  const uint8_t *info, size_t info_len, const uint8_t *aad, size_t aad_len,
			  const uint8_t *pt, size_t pt_len, const cr_rng *rng) CR_MUST_CHECK;
cr_err mls_hpke_open_base(uint8_t *pt, const uint8_t enc[MLS_HPKE_NENC], const uint8_t skR[MLS_HPKE_NSK],
			  const uint8_t *info, size_t info_len, const uint8_t *aad, size_t aad_len,
			  const uint8_t *ct, size_t ct_len) CR_MUST_CHECK;

#endif
