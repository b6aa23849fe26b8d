/*
 * vec_hpke.c: RFC 9180 base-mode vectors (vectors/hpke_*.json, transcribed
 * from the RFC's appendix), suite DHKEM(X25519, HKDF-SHA256), HKDF-SHA256,
 * AES-128-GCM. Checks DeriveKeyPair, Encap (from ikmE), Decap, the key
 * schedule, every encryption (seal and open, at its sequence number, also in
 * place, plus a tampered copy) and every export.
 */
#include <stdlib.h>
#include <string.h>

#include "hpke.h"
#include "vec.h"

static bool detect(json_t *root)
{
	return json_is_object(root) && json_is_string(json_object_get(root, "echover_hpke_kat"));
}

static bool is_suite(json_t *v)
{
	uint64_t mode, kem, kdf, aead;
	return vec_u64(v, "mode", &mode) && vec_u64(v, "kem_id", &kem) && vec_u64(v, "kdf_id", &kdf) &&
	       vec_u64(v, "aead_id", &aead) && mode == 0 && kem == 0x20 && kdf == 1 && aead == 1;
}

static void run_encryptions(json_t *v, const mls_hpke_ctx *sctx, const mls_hpke_ctx *rctx)
{
	json_t *encs = json_object_get(v, "encryptions");
	CHECK(json_is_array(encs) && json_array_size(encs) > 0);
	size_t i;
	json_t *e;
	json_array_foreach(encs, i, e) {
		uint64_t seq;
		size_t pt_len, aad_len, ct_len;
		uint8_t *pt = vec_hex(e, "pt", &pt_len), *aad = vec_hex(e, "aad", &aad_len);
		uint8_t *ct = vec_hex(e, "ct", &ct_len);
		if (!vec_u64(e, "sequence_number", &seq) || !pt || !aad || !ct) {
			free(pt), free(aad), free(ct);
			continue;
		}
		mls_hpke_ctx s = *sctx, r = *rctx;
		s.seq = r.seq = seq;
		uint8_t *got = malloc(pt_len + MLS_HPKE_NT), *back = malloc(ct_len);
		if (CHECK_OK(mls_hpke_seal(&s, got, aad, aad_len, pt, pt_len)))
			vec_check_hex(e, "ct", got, pt_len + MLS_HPKE_NT);
		CHECK(s.seq == seq + 1);
		if (CHECK(ct_len >= MLS_HPKE_NT) && CHECK_OK(mls_hpke_open(&r, back, aad, aad_len, ct, ct_len)))
			vec_check_hex(e, "pt", back, ct_len - MLS_HPKE_NT);
		/* In place: seal over the plaintext's own buffer, open over the ciphertext's. */
		uint8_t *io = malloc(pt_len + MLS_HPKE_NT);
		memcpy(io, pt, pt_len);
		s.seq = seq;
		if (CHECK_OK(mls_hpke_seal(&s, io, aad, aad_len, io, pt_len)))
			vec_check_hex(e, "ct", io, pt_len + MLS_HPKE_NT);
		r.seq = seq;
		if (CHECK_OK(mls_hpke_open(&r, io, aad, aad_len, io, pt_len + MLS_HPKE_NT)))
			vec_check_hex(e, "pt", io, pt_len);
		free(io);
		r.seq = seq + 1;
		/* The next sequence number must not open this ciphertext. */
		CHECK_ERR(mls_hpke_open(&r, back, aad, aad_len, ct, ct_len), CR_ERR_AUTH);
		r.seq = seq;
		ct[ct_len / 2] ^= 0x01;
		CHECK_ERR(mls_hpke_open(&r, back, aad, aad_len, ct, ct_len), CR_ERR_AUTH);
		CHECK(r.seq == seq);
		free(got), free(back), free(pt), free(aad), free(ct);
	}
}

static void run_exports(json_t *v, const mls_hpke_ctx *sctx, const mls_hpke_ctx *rctx)
{
	json_t *exps = json_object_get(v, "exports");
	CHECK(json_is_array(exps) && json_array_size(exps) > 0);
	size_t i;
	json_t *e;
	json_array_foreach(exps, i, e) {
		uint64_t L;
		size_t ctx_len;
		uint8_t *ectx = vec_hex(e, "exporter_context", &ctx_len);
		if (!ectx || !vec_u64(e, "L", &L) || !CHECK(L <= 255 * 32)) {
			free(ectx);
			continue;
		}
		uint8_t *out = malloc(L ? L : 1);
		if (CHECK_OK(mls_hpke_export(sctx, out, L, ectx, ctx_len)))
			vec_check_hex(e, "exported_value", out, L);
		if (CHECK_OK(mls_hpke_export(rctx, out, L, ectx, ctx_len)))
			vec_check_hex(e, "exported_value", out, L);
		free(out), free(ectx);
	}
}

static void run_one(json_t *v)
{
	size_t n_ikmE, n_ikmR, n_info, n_enc;
	uint8_t *ikmE = vec_hex(v, "ikmE", &n_ikmE), *ikmR = vec_hex(v, "ikmR", &n_ikmR);
	uint8_t *info = vec_hex(v, "info", &n_info), *enc_want = vec_hex(v, "enc", &n_enc);
	if (!ikmE || !ikmR || !info || !enc_want || !CHECK(n_enc == MLS_HPKE_NENC))
		goto out;
	uint8_t sk[32], pk[32], skR[32], pkR[32], enc[32], ss[32], ss2[32];
	if (CHECK_OK(mls_hpke_derive_keypair(sk, pk, ikmE, n_ikmE))) {
		vec_check_hex(v, "skEm", sk, 32);
		vec_check_hex(v, "pkEm", pk, 32);
	}
	if (!CHECK_OK(mls_hpke_derive_keypair(skR, pkR, ikmR, n_ikmR)))
		goto out;
	vec_check_hex(v, "skRm", skR, 32);
	vec_check_hex(v, "pkRm", pkR, 32);
	if (CHECK_OK(mls_hpke_encap_det(ss, enc, pkR, ikmE, n_ikmE))) {
		vec_check_hex(v, "enc", enc, 32);
		vec_check_hex(v, "shared_secret", ss, 32);
	}
	if (CHECK_OK(mls_hpke_decap(ss2, enc_want, skR)))
		vec_check_hex(v, "shared_secret", ss2, 32);

	mls_hpke_ctx s, r;
	if (!CHECK_OK(mls_hpke_setup_base_s_det(&s, enc, pkR, info, n_info, ikmE, n_ikmE)) ||
	    !CHECK_OK(mls_hpke_setup_base_r(&r, enc_want, skR, info, n_info)))
		goto out;
	vec_check_hex(v, "key", s.key, sizeof s.key);
	vec_check_hex(v, "base_nonce", s.base_nonce, sizeof s.base_nonce);
	vec_check_hex(v, "exporter_secret", s.exporter_secret, sizeof s.exporter_secret);
	CHECK_MEM(r.key, s.key, sizeof r.key);
	CHECK_MEM(r.base_nonce, s.base_nonce, sizeof r.base_nonce);
	CHECK_MEM(r.exporter_secret, s.exporter_secret, sizeof r.exporter_secret);
	run_encryptions(v, &s, &r);
	run_exports(v, &s, &r);
out:
	free(ikmE), free(ikmR), free(info), free(enc_want);
}

static void run(json_t *root, const char *path)
{
	json_t *vs = json_object_get(root, "vectors");
	size_t i;
	json_t *v;
	if (!json_is_array(vs) || json_array_size(vs) == 0) {
		t_begin("%s", path);
		CHECK(!"no vectors array");
		t_end();
		return;
	}
	json_array_foreach(vs, i, v) {
		json_t *m = json_object_get(v, "mode"), *k = json_object_get(v, "kem_id");
		if (!json_is_integer(m) || !json_is_integer(k) || json_integer_value(m) != 0 ||
		    json_integer_value(k) != 0x20) {
			t_skip("hpke #%zu: other mode or suite", i);
			continue;
		}
		t_begin("hpke #%zu", i);
		if (is_suite(v))
			run_one(v);
		else
			CHECK(!"unsupported kdf or aead");
		t_end();
	}
}

const vec_runner vec_hpke = { "hpke", detect, run };
