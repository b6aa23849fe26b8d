/*
 * aes_gcm.h: AES-128-GCM seal and open (BearSSL).
 *
 * The AES-NI + PCLMUL code is used when the CPU has it, else BearSSL's
 * constant-time 64-bit code (aes_ct64 + ghash_ctmul64); cr_aes_gcm_impl()
 * names the one in use. Nonces are 12 bytes and tags 16 bytes, as MLS and
 * HPKE use them; other sizes are refused (CR_ERR_UNSUPPORTED).
 *
 * Seal writes ct[pt_len] followed by tag[16] into out (out_len = pt_len + 16).
 * Open checks the tag in constant time before it releases any plaintext; on
 * failure the output is zeroed and CR_ERR_AUTH returned. In-place use
 * (out == in) is allowed.
 */
#ifndef ECHOVER_AES_GCM_H
#define ECHOVER_AES_GCM_H

#include <stddef.h>
#include <stdint.h>

#include "cr_err.h"

#define CR_AES128_KEY_LEN 16
#define CR_GCM_NONCE_LEN 12
#define CR_GCM_TAG_LEN 16

cr_err cr_aes128gcm_seal(uint8_t *out, const uint8_t key[CR_AES128_KEY_LEN],
			 const uint8_t nonce[CR_GCM_NONCE_LEN], const uint8_t *aad, size_t aad_len,
			 const uint8_t *pt, size_t pt_len) CR_MUST_CHECK;
/* ct_len includes the 16-byte tag; out receives ct_len - 16 bytes. */
cr_err cr_aes128gcm_open(uint8_t *out, const uint8_t key[CR_AES128_KEY_LEN],
			 const uint8_t nonce[CR_GCM_NONCE_LEN], const uint8_t *aad, size_t aad_len,
			 const uint8_t *ct, size_t ct_len) CR_MUST_CHECK;

/* "aes_x86ni+ghash_pclmul" or "aes_ct64+ghash_ctmul64". */
const char *cr_aes_gcm_impl(void);

#endif
