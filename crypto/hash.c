#include "hash.h"

#include <string.h>

#include <bearssl.h>

#include "wipe.h"

_Static_assert(sizeof(cr_sha256_ctx) >= sizeof(br_sha256_context), "cr_sha256_ctx too small");
_Static_assert(_Alignof(cr_sha256_ctx) >= _Alignof(br_sha256_context), "cr_sha256_ctx misaligned");

void cr_sha256(uint8_t out[CR_SHA256_LEN], const uint8_t *msg, size_t n)
{
	br_sha256_context c;
	br_sha256_init(&c);
	br_sha256_update(&c, msg, n);
	br_sha256_out(&c, out);
	cr_wipe(&c, sizeof c);
}

void cr_sha256_init(cr_sha256_ctx *c)
{
	br_sha256_init((br_sha256_context *)(void *)c);
}

void cr_sha256_update(cr_sha256_ctx *c, const uint8_t *p, size_t n)
{
	br_sha256_update((br_sha256_context *)(void *)c, p, n);
}

void cr_sha256_final(cr_sha256_ctx *c, uint8_t out[CR_SHA256_LEN])
{
	br_sha256_out((br_sha256_context *)(void *)c, out);
	cr_wipe(c, sizeof *c);
}

uint64_t cr_sha256_save(const cr_sha256_ctx *c, uint8_t mid[CR_SHA256_LEN])
{
	/* The state BearSSL returns covers the blocks it has compressed: it
	 * compresses a block as soon as its 64th byte arrives. */
	uint64_t n = br_sha256_state((const br_sha256_context *)(const void *)c, mid);
	return n - n % CR_SHA256_BLOCK;
}

cr_err cr_sha256_resume(cr_sha256_ctx *c, const uint8_t mid[CR_SHA256_LEN], uint64_t count)
{
	br_sha256_context *b = (br_sha256_context *)(void *)c;
	br_sha256_init(b);
	/* A count inside a block would make BearSSL take stale buffer bytes as
	 * data. */
	CR_ENSURE(count % CR_SHA256_BLOCK == 0, CR_ERR_ARG);
	br_sha256_set_state(b, mid, count);
	return CR_OK;
}

void cr_hmac_sha256(uint8_t out[CR_SHA256_LEN], const uint8_t *key, size_t key_len,
		    const uint8_t *msg, size_t n)
{
	br_hmac_key_context kc;
	br_hmac_context hc;
	br_hmac_key_init(&kc, &br_sha256_vtable, key, key_len);
	br_hmac_init(&hc, &kc, 0);
	br_hmac_update(&hc, msg, n);
	br_hmac_out(&hc, out);
	cr_wipe(&kc, sizeof kc);
	cr_wipe(&hc, sizeof hc);
}

void cr_hkdf_extract(uint8_t prk[CR_SHA256_LEN], const uint8_t *salt, size_t salt_len,
		     const uint8_t *ikm, size_t ikm_len)
{
	/* HMAC pads a short key with zeros, so an empty salt is 32 zero bytes,
	 * as RFC 5869 section 2.2 asks. */
	cr_hmac_sha256(prk, salt_len ? salt : (const uint8_t *)"", salt_len, ikm, ikm_len);
}

/* RFC 5869 2.3 over HMAC directly: BearSSL's br_hkdf_* API only starts from
 * an IKM, while MLS and Wycheproof hand us a PRK of arbitrary length. */
cr_err cr_hkdf_expand(uint8_t *out, size_t out_len, const uint8_t *prk, size_t prk_len,
		      const uint8_t *info, size_t info_len)
{
	if (out_len > 255 * CR_SHA256_LEN)
		return CR_ERR_LIMIT;
	br_hmac_key_context kc;
	br_hmac_context hc;
	uint8_t t[CR_SHA256_LEN];
	size_t t_len = 0, done = 0;
	br_hmac_key_init(&kc, &br_sha256_vtable, prk, prk_len);
	for (uint8_t i = 1; done < out_len; i++) {
		uint8_t ctr = i;
		br_hmac_init(&hc, &kc, 0);
		br_hmac_update(&hc, t, t_len);
		br_hmac_update(&hc, info, info_len);
		br_hmac_update(&hc, &ctr, 1);
		br_hmac_out(&hc, t);
		t_len = CR_SHA256_LEN;
		size_t take = out_len - done < t_len ? out_len - done : t_len;
		memcpy(out + done, t, take);
		done += take;
	}
	cr_wipe(t, sizeof t);
	cr_wipe(&kc, sizeof kc);
	cr_wipe(&hc, sizeof hc);
	return CR_OK;
}
