#include "suite.h"

#include <string.h>

#include "codec.h"
#include "ed25519.h"
#include "hash.h"
#include "hpke.h"
#include "wipe.h"

#define MLS_PREFIX "MLS 1.0 "
#define MLS_PREFIX_LEN 8
/* Enough for every KDFLabel the key schedule and secret tree build. */
#define STACK_BUF 256

/* A writer on buf[STACK_BUF] when need fits, else a dynamic one bounded by
 * the labeled-input limit (4 bytes of length prefix, twice, plus labels). */
static void lw_init(cr_writer *w, uint8_t buf[STACK_BUF], size_t need)
{
	if (need <= STACK_BUF)
		cr_writer_init_fixed(w, buf, STACK_BUF);
	else
		cr_writer_init_dynamic(w, MLS_LABELED_INPUT_MAX + 128);
}

static cr_err check_label(const char *label, size_t *len)
{
	CR_ENSURE(label, CR_ERR_ARG);
	*len = strnlen(label, MLS_LABEL_MAX + 1);
	CR_ENSURE(*len <= MLS_LABEL_MAX, CR_ERR_LIMIT);
	return CR_OK;
}

/* opaque label<V> = "MLS 1.0 " + label */
static void put_mls_label(cr_writer *w, const char *label, size_t len)
{
	cr_write_varint(w, MLS_PREFIX_LEN + len);
	cr_write_bytes(w, (const uint8_t *)MLS_PREFIX, MLS_PREFIX_LEN);
	cr_write_bytes(w, (const uint8_t *)label, len);
}

/* Writes {opaque label<V> = "MLS 1.0 " + label; opaque data<V>} into w. */
static cr_err labeled_struct(cr_writer *w, uint8_t buf[STACK_BUF], const char *label, const uint8_t *data,
			     size_t n)
{
	size_t llen;
	CR_TRY(check_label(label, &llen));
	CR_ENSURE(n <= MLS_LABELED_INPUT_MAX, CR_ERR_LIMIT);
	lw_init(w, buf, 8 + MLS_PREFIX_LEN + llen + n);
	put_mls_label(w, label, llen);
	cr_write_opaque(w, data, n);
	return CR_OK;
}

void mls_hash(uint8_t out[MLS_NH], const uint8_t *p, size_t n)
{
	cr_sha256(out, p, n);
}

void mls_mac(uint8_t out[MLS_NH], const uint8_t *key, size_t key_len, const uint8_t *p, size_t n)
{
	cr_hmac_sha256(out, key, key_len, p, n);
}

cr_err mls_ref_hash(uint8_t out[MLS_NH], const char *label, const uint8_t *value, size_t n)
{
	CR_ENSURE(label, CR_ERR_ARG);
	size_t llen = strnlen(label, MLS_LABEL_MAX + 1);
	CR_ENSURE(llen <= MLS_LABEL_MAX, CR_ERR_LIMIT);
	CR_ENSURE(n <= MLS_LABELED_INPUT_MAX, CR_ERR_LIMIT);
	/* Streamed: the value (a KeyPackage, a proposal) need not be copied. */
	uint8_t pre[8];
	cr_writer w;
	cr_sha256_ctx h;
	cr_sha256_init(&h);
	cr_writer_init_fixed(&w, pre, sizeof pre);
	cr_write_varint(&w, llen);
	CR_TRY(cr_writer_error(&w));
	cr_sha256_update(&h, pre, w.len);
	cr_sha256_update(&h, (const uint8_t *)label, llen);
	cr_writer_init_fixed(&w, pre, sizeof pre);
	cr_write_varint(&w, n);
	CR_TRY(cr_writer_error(&w));
	cr_sha256_update(&h, pre, w.len);
	cr_sha256_update(&h, value, n);
	cr_sha256_final(&h, out);
	return CR_OK;
}

cr_err mls_make_key_package_ref(uint8_t out[MLS_NH], const uint8_t *key_package, size_t n)
{
	return mls_ref_hash(out, "MLS 1.0 KeyPackage Reference", key_package, n);
}

cr_err mls_make_proposal_ref(uint8_t out[MLS_NH], const uint8_t *authenticated_content, size_t n)
{
	return mls_ref_hash(out, "MLS 1.0 Proposal Reference", authenticated_content, n);
}

cr_err mls_expand_with_label_n(uint8_t *out, size_t out_len, const uint8_t *secret, size_t secret_len,
			       const uint8_t *label, size_t llen, const uint8_t *context, size_t context_len)
{
	cr_err err;
	uint8_t buf[STACK_BUF];
	cr_writer w;
	cr_writer_init_fixed(&w, buf, sizeof buf); /* so that the exit path is uniform */
	CR_CHECK(label || llen == 0 ? CR_OK : CR_ERR_ARG);
	CR_CHECK(llen <= MLS_LABEL_MAX && out_len <= 255 * MLS_NH && context_len <= MLS_LABELED_INPUT_MAX
			 ? CR_OK
			 : CR_ERR_LIMIT);
	lw_init(&w, buf, 2 + 8 + MLS_PREFIX_LEN + llen + context_len);
	cr_write_u16(&w, (uint16_t)out_len);
	cr_write_varint(&w, MLS_PREFIX_LEN + llen);
	cr_write_bytes(&w, (const uint8_t *)MLS_PREFIX, MLS_PREFIX_LEN);
	cr_write_bytes(&w, label, llen);
	cr_write_opaque(&w, context, context_len);
	CR_CHECK(cr_writer_error(&w));
	CR_CHECK(cr_hkdf_expand(out, out_len, secret, secret_len, w.p, w.len));
out:
	if (err)
		cr_wipe(out, out_len);
	cr_writer_free(&w);
	cr_wipe(buf, sizeof buf);
	return err;
}

cr_err mls_expand_with_label(uint8_t *out, size_t out_len, const uint8_t *secret, size_t secret_len,
			     const char *label, const uint8_t *context, size_t context_len)
{
	size_t llen;
	cr_err err = check_label(label, &llen);
	if (err) {
		cr_wipe(out, out_len);
		return err;
	}
	return mls_expand_with_label_n(out, out_len, secret, secret_len, (const uint8_t *)label, llen, context,
				       context_len);
}

cr_err mls_derive_secret(uint8_t out[MLS_NH], const uint8_t *secret, size_t secret_len, const char *label)
{
	return mls_expand_with_label(out, MLS_NH, secret, secret_len, label, NULL, 0);
}

cr_err mls_derive_tree_secret(uint8_t *out, size_t out_len, const uint8_t *secret, size_t secret_len,
			      const char *label, uint32_t generation)
{
	const uint8_t g[4] = { (uint8_t)(generation >> 24), (uint8_t)(generation >> 16),
			       (uint8_t)(generation >> 8), (uint8_t)generation };
	return mls_expand_with_label(out, out_len, secret, secret_len, label, g, sizeof g);
}

cr_err mls_sign_with_label(uint8_t sig[MLS_SIG_LEN], const uint8_t seed[MLS_SIG_SEED_LEN], const char *label,
			   const uint8_t *content, size_t n)
{
	uint8_t buf[STACK_BUF];
	cr_writer w;
	cr_err err;
	cr_writer_init_fixed(&w, buf, sizeof buf);
	CR_CHECK(labeled_struct(&w, buf, label, content, n));
	CR_CHECK(cr_writer_error(&w));
	CR_CHECK(cr_ed25519_sign(sig, seed, w.p, w.len));
out:
	if (err)
		cr_wipe(sig, MLS_SIG_LEN);
	cr_writer_free(&w);
	return err;
}

cr_err mls_verify_with_label(const uint8_t sig[MLS_SIG_LEN], const uint8_t pub[MLS_SIG_PUB_LEN],
			     const char *label, const uint8_t *content, size_t n)
{
	uint8_t buf[STACK_BUF];
	cr_writer w;
	cr_err err;
	cr_writer_init_fixed(&w, buf, sizeof buf);
	CR_CHECK(labeled_struct(&w, buf, label, content, n));
	CR_CHECK(cr_writer_error(&w));
	CR_CHECK(cr_ed25519_verify(sig, pub, w.p, w.len));
out:
	cr_writer_free(&w);
	return err;
}

cr_err mls_encrypt_with_label(uint8_t kem_output[MLS_KEM_OUTPUT_LEN], uint8_t *ct,
			      const uint8_t pub[MLS_HPKE_KEY_LEN], const char *label, const uint8_t *context,
			      size_t context_len, const uint8_t *pt, size_t pt_len, const cr_rng *rng)
{
	uint8_t buf[STACK_BUF];
	cr_writer w;
	cr_err err;
	cr_writer_init_fixed(&w, buf, sizeof buf);
	CR_CHECK(labeled_struct(&w, buf, label, context, context_len));
	CR_CHECK(cr_writer_error(&w));
	CR_CHECK(mls_hpke_seal_base(kem_output, ct, pub, w.p, w.len, NULL, 0, pt, pt_len, rng));
out:
	cr_writer_free(&w);
	return err;
}

cr_err mls_decrypt_with_label(uint8_t *pt, const uint8_t priv[MLS_HPKE_KEY_LEN], const char *label,
			      const uint8_t *context, size_t context_len,
			      const uint8_t kem_output[MLS_KEM_OUTPUT_LEN], const uint8_t *ct, size_t ct_len)
{
	uint8_t buf[STACK_BUF];
	cr_writer w;
	cr_err err;
	cr_writer_init_fixed(&w, buf, sizeof buf);
	CR_CHECK(labeled_struct(&w, buf, label, context, context_len));
	CR_CHECK(cr_writer_error(&w));
	CR_CHECK(mls_hpke_open_base(pt, kem_output, priv, w.p, w.len, NULL, 0, ct, ct_len));
out:
	cr_writer_free(&w);
	return err;
}
