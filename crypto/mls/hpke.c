#include "hpke.h"

#include <string.h>

#include "aes_gcm.h"
#include "codec.h"
#include "hash.h"
#include "wipe.h"
#include "x25519.h"

/* Labeled inputs embed caller data (info, exporter context); MLS bounds
 * those far below this. */
#define HPKE_LABELED_MAX (1u << 24)

static const uint8_t KEM_SID[] = { 'K', 'E', 'M', 0x00, 0x20 };
static const uint8_t HPKE_SID[] = { 'H', 'P', 'K', 'E', 0x00, 0x20, 0x00, 0x01, 0x00, 0x01 };

static void put_sid(cr_writer *w, mls_hpke_sid sid)
{
	if (sid == MLS_HPKE_SID_KEM)
		cr_write_bytes(w, KEM_SID, sizeof KEM_SID);
	else
		cr_write_bytes(w, HPKE_SID, sizeof HPKE_SID);
}

cr_err mls_hpke_labeled_extract(uint8_t prk[MLS_HPKE_NH], mls_hpke_sid sid, const uint8_t *salt,
				size_t salt_len, const char *label, const uint8_t *ikm, size_t ikm_len)
{
	cr_writer w;
	cr_writer_init_dynamic(&w, HPKE_LABELED_MAX);
	cr_write_bytes(&w, (const uint8_t *)"HPKE-v1", 7);
	put_sid(&w, sid);
	cr_write_bytes(&w, (const uint8_t *)label, strlen(label));
	cr_write_bytes(&w, ikm, ikm_len);
	cr_err err = cr_writer_error(&w);
	if (!err)
		cr_hkdf_extract(prk, salt, salt_len, w.p, w.len);
	else
		cr_wipe(prk, MLS_HPKE_NH);
	cr_writer_free(&w);
	return err;
}

cr_err mls_hpke_labeled_expand(uint8_t *out, size_t out_len, mls_hpke_sid sid, const uint8_t *prk,
			       size_t prk_len, const char *label, const uint8_t *info, size_t info_len)
{
	CR_ENSURE(out_len <= 0xffff, CR_ERR_LIMIT);
	cr_writer w;
	cr_writer_init_dynamic(&w, HPKE_LABELED_MAX);
	cr_write_u16(&w, (uint16_t)out_len);
	cr_write_bytes(&w, (const uint8_t *)"HPKE-v1", 7);
	put_sid(&w, sid);
	cr_write_bytes(&w, (const uint8_t *)label, strlen(label));
	cr_write_bytes(&w, info, info_len);
	cr_err err = cr_writer_error(&w);
	if (!err)
		err = cr_hkdf_expand(out, out_len, prk, prk_len, w.p, w.len);
	if (err)
		cr_wipe(out, out_len);
	cr_writer_free(&w);
	return err;
}

cr_err mls_hpke_derive_keypair(uint8_t sk[MLS_HPKE_NSK], uint8_t pk[MLS_HPKE_NPK], const uint8_t *ikm,
			       size_t ikm_len)
{
	uint8_t prk[MLS_HPKE_NH];
	cr_err err;
	CR_CHECK(mls_hpke_labeled_extract(prk, MLS_HPKE_SID_KEM, NULL, 0, "dkp_prk", ikm, ikm_len));
	CR_CHECK(mls_hpke_labeled_expand(sk, MLS_HPKE_NSK, MLS_HPKE_SID_KEM, prk, sizeof prk, "sk", NULL, 0));
	CR_CHECK(cr_x25519_public(pk, sk));
out:
	cr_wipe(prk, sizeof prk);
	if (err)
		cr_wipe(sk, MLS_HPKE_NSK);
	return err;
}

/* ExtractAndExpand(dh, kem_context), kem_context = enc || pkRm (RFC 9180 4.1). */
static cr_err extract_and_expand(uint8_t shared_secret[MLS_HPKE_NSECRET], const uint8_t dh[32],
				 const uint8_t enc[32], const uint8_t pkR[32])
{
	uint8_t prk[MLS_HPKE_NH], kem_context[64];
	memcpy(kem_context, enc, 32);
	memcpy(kem_context + 32, pkR, 32);
	cr_err err;
	CR_CHECK(mls_hpke_labeled_extract(prk, MLS_HPKE_SID_KEM, NULL, 0, "eae_prk", dh, 32));
	CR_CHECK(mls_hpke_labeled_expand(shared_secret, MLS_HPKE_NSECRET, MLS_HPKE_SID_KEM, prk, sizeof prk,
					 "shared_secret", kem_context, sizeof kem_context));
out:
	cr_wipe(prk, sizeof prk);
	return err;
}

cr_err mls_hpke_encap_det(uint8_t shared_secret[MLS_HPKE_NSECRET], uint8_t enc[MLS_HPKE_NENC],
			  const uint8_t pkR[MLS_HPKE_NPK], const uint8_t *ikmE, size_t ikmE_len)
{
	uint8_t skE[32], dh[32];
	cr_err err;
	CR_CHECK(mls_hpke_derive_keypair(skE, enc, ikmE, ikmE_len));
	CR_CHECK(cr_x25519(dh, skE, pkR)); /* rejects the all-zero output */
	CR_CHECK(extract_and_expand(shared_secret, dh, enc, pkR));
out:
	cr_wipe(skE, sizeof skE);
	cr_wipe(dh, sizeof dh);
	if (err)
		cr_wipe(shared_secret, MLS_HPKE_NSECRET);
	return err;
}

cr_err mls_hpke_encap(uint8_t shared_secret[MLS_HPKE_NSECRET], uint8_t enc[MLS_HPKE_NENC],
		      const uint8_t pkR[MLS_HPKE_NPK], const cr_rng *rng)
{
	uint8_t ikm[32];
	cr_err err;
	CR_CHECK(cr_random(rng, ikm, sizeof ikm));
	CR_CHECK(mls_hpke_encap_det(shared_secret, enc, pkR, ikm, sizeof ikm));
out:
	cr_wipe(ikm, sizeof ikm);
	return err;
}

cr_err mls_hpke_decap(uint8_t shared_secret[MLS_HPKE_NSECRET], const uint8_t enc[MLS_HPKE_NENC],
		      const uint8_t skR[MLS_HPKE_NSK])
{
	uint8_t dh[32], pkR[32];
	cr_err err;
	CR_CHECK(cr_x25519(dh, skR, enc)); /* rejects the all-zero output */
	CR_CHECK(cr_x25519_public(pkR, skR));
	CR_CHECK(extract_and_expand(shared_secret, dh, enc, pkR));
out:
	cr_wipe(dh, sizeof dh);
	if (err)
		cr_wipe(shared_secret, MLS_HPKE_NSECRET);
	return err;
}

cr_err mls_hpke_key_schedule(mls_hpke_ctx *ctx, const uint8_t shared_secret[MLS_HPKE_NSECRET],
			     const uint8_t *info, size_t info_len)
{
	/* key_schedule_context = mode || psk_id_hash || info_hash; mode_base = 0,
	 * psk and psk_id empty (RFC 9180 5.1). */
	uint8_t ksc[1 + 2 * MLS_HPKE_NH], secret[MLS_HPKE_NH];
	cr_err err;
	ksc[0] = 0x00;
	CR_CHECK(mls_hpke_labeled_extract(ksc + 1, MLS_HPKE_SID_HPKE, NULL, 0, "psk_id_hash", NULL, 0));
	CR_CHECK(mls_hpke_labeled_extract(ksc + 1 + MLS_HPKE_NH, MLS_HPKE_SID_HPKE, NULL, 0, "info_hash",
					  info, info_len));
	CR_CHECK(mls_hpke_labeled_extract(secret, MLS_HPKE_SID_HPKE, shared_secret, MLS_HPKE_NSECRET,
					  "secret", NULL, 0));
	CR_CHECK(mls_hpke_labeled_expand(ctx->key, MLS_HPKE_NK, MLS_HPKE_SID_HPKE, secret, sizeof secret,
					 "key", ksc, sizeof ksc));
	CR_CHECK(mls_hpke_labeled_expand(ctx->base_nonce, MLS_HPKE_NN, MLS_HPKE_SID_HPKE, secret,
					 sizeof secret, "base_nonce", ksc, sizeof ksc));
	CR_CHECK(mls_hpke_labeled_expand(ctx->exporter_secret, MLS_HPKE_NH, MLS_HPKE_SID_HPKE, secret,
					 sizeof secret, "exp", ksc, sizeof ksc));
	ctx->seq = 0;
out:
	cr_wipe(secret, sizeof secret);
	if (err)
		mls_hpke_ctx_wipe(ctx);
	return err;
}

cr_err mls_hpke_setup_base_s_det(mls_hpke_ctx *ctx, uint8_t enc[MLS_HPKE_NENC],
				 const uint8_t pkR[MLS_HPKE_NPK], const uint8_t *info, size_t info_len,
				 const uint8_t *ikmE, size_t ikmE_len)
{
	uint8_t ss[MLS_HPKE_NSECRET];
	cr_err err;
	CR_CHECK(mls_hpke_encap_det(ss, enc, pkR, ikmE, ikmE_len));
	CR_CHECK(mls_hpke_key_schedule(ctx, ss, info, info_len));
out:
	cr_wipe(ss, sizeof ss);
	if (err)
		mls_hpke_ctx_wipe(ctx);
	return err;
}

cr_err mls_hpke_setup_base_s(mls_hpke_ctx *ctx, uint8_t enc[MLS_HPKE_NENC], const uint8_t pkR[MLS_HPKE_NPK],
			     const uint8_t *info, size_t info_len, const cr_rng *rng)
{
	uint8_t ikm[32];
	cr_err err;
	CR_CHECK(cr_random(rng, ikm, sizeof ikm));
	CR_CHECK(mls_hpke_setup_base_s_det(ctx, enc, pkR, info, info_len, ikm, sizeof ikm));
out:
	cr_wipe(ikm, sizeof ikm);
	if (err)
		mls_hpke_ctx_wipe(ctx);
	return err;
}

cr_err mls_hpke_setup_base_r(mls_hpke_ctx *ctx, const uint8_t enc[MLS_HPKE_NENC],
			     const uint8_t skR[MLS_HPKE_NSK], const uint8_t *info, size_t info_len)
{
	uint8_t ss[MLS_HPKE_NSECRET];
	cr_err err;
	CR_CHECK(mls_hpke_decap(ss, enc, skR));
	CR_CHECK(mls_hpke_key_schedule(ctx, ss, info, info_len));
out:
	cr_wipe(ss, sizeof ss);
	if (err)
		mls_hpke_ctx_wipe(ctx);
	return err;
}

/* ComputeNonce(seq) = base_nonce XOR I2OSP(seq, Nn). */
static void compute_nonce(uint8_t nonce[MLS_HPKE_NN], const mls_hpke_ctx *ctx)
{
	memcpy(nonce, ctx->base_nonce, MLS_HPKE_NN);
	for (size_t i = 0; i < 8; i++)
		nonce[MLS_HPKE_NN - 1 - i] ^= (uint8_t)(ctx->seq >> (8 * i));
}

cr_err mls_hpke_seal(mls_hpke_ctx *ctx, uint8_t *ct, const uint8_t *aad, size_t aad_len,
		     const uint8_t *pt, size_t pt_len)
{
	CR_ENSURE(ctx->seq != UINT64_MAX, CR_ERR_STATE);
	uint8_t nonce[MLS_HPKE_NN];
	compute_nonce(nonce, ctx);
	CR_TRY(cr_aes128gcm_seal(ct, ctx->key, nonce, aad, aad_len, pt, pt_len));
	ctx->seq++;
	return CR_OK;
}

cr_err mls_hpke_open(mls_hpke_ctx *ctx, uint8_t *pt, const uint8_t *aad, size_t aad_len,
		     const uint8_t *ct, size_t ct_len)
{
	CR_ENSURE(ctx->seq != UINT64_MAX, CR_ERR_STATE);
	CR_ENSURE(ct_len >= MLS_HPKE_NT, CR_ERR_TRUNCATED);
	uint8_t nonce[MLS_HPKE_NN];
	compute_nonce(nonce, ctx);
	CR_TRY(cr_aes128gcm_open(pt, ctx->key, nonce, aad, aad_len, ct, ct_len));
	ctx->seq++;
	return CR_OK;
}

cr_err mls_hpke_export(const mls_hpke_ctx *ctx, uint8_t *out, size_t out_len, const uint8_t *exp_ctx,
		       size_t exp_ctx_len)
{
	CR_ENSURE(out_len <= 255 * MLS_HPKE_NH, CR_ERR_LIMIT);
	return mls_hpke_labeled_expand(out, out_len, MLS_HPKE_SID_HPKE, ctx->exporter_secret, MLS_HPKE_NH,
				       "sec", exp_ctx, exp_ctx_len);
}

void mls_hpke_ctx_wipe(mls_hpke_ctx *ctx)
{
	cr_wipe(ctx, sizeof *ctx);
}

cr_err mls_hpke_seal_base(uint8_t enc[MLS_HPKE_NENC], uint8_t *ct, const uint8_t pkR[MLS_HPKE_NPK],
			  const uint8_t *info, size_t info_len, const uint8_t *aad, size_t aad_len,
			  const uint8_t *pt, size_t pt_len, const cr_rng *rng)
{
	mls_hpke_ctx ctx;
	cr_err err;
	CR_CHECK(mls_hpke_setup_base_s(&ctx, enc, pkR, info, info_len, rng));
	CR_CHECK(mls_hpke_seal(&ctx, ct, aad, aad_len, pt, pt_len));
out:
	mls_hpke_ctx_wipe(&ctx);
	return err;
}

cr_err mls_hpke_open_base(uint8_t *pt, const uint8_t enc[MLS_HPKE_NENC], const uint8_t skR[MLS_HPKE_NSK],
			  const uint8_t *info, size_t info_len, const uint8_t *aad, size_t aad_len,
			  const uint8_t *ct, size_t ct_len)
{
	mls_hpke_ctx ctx;
	cr_err err;
	CR_CHECK(mls_hpke_setup_base_r(&ctx, enc, skR, info, info_len));
	CR_CHECK(mls_hpke_open(&ctx, pt, aad, aad_len, ct, ct_len));
out:
	mls_hpke_ctx_wipe(&ctx);
	return err;
}
