#include "aes_gcm.h"

#include <pthread.h>
#include <string.h>

#include <bearssl.h>

#include "wipe.h"

/* The AES-CTR keys of either implementation; the x86ni context is the larger. */
typedef union aes_ctr_keys {
	br_aes_x86ni_ctr_keys ni;
	br_aes_ct64_ctr_keys ct64;
} aes_ctr_keys;

/*
 * The implementations are chosen by probing the CPU (cpuid), which costs
 * ~10 us in a virtual machine, where cpuid traps to the hypervisor: more
 * than sealing a whole 16 KiB record. So the probe runs once per process;
 * its result never changes afterwards (the one piece of process-wide state
 * in crypto/, written once under pthread_once).
 */
typedef struct gcm_impl {
	const br_block_ctr_class *aes;
	br_ghash ghash;
	const char *name;
} gcm_impl;

static gcm_impl probed;
static pthread_once_t probe_once = PTHREAD_ONCE_INIT;

static void probe(void)
{
	const br_block_ctr_class *ni = br_aes_x86ni_ctr_get_vtable();
	br_ghash pclmul = br_ghash_pclmul_get();
	probed.aes = ni ? ni : &br_aes_ct64_ctr_vtable;
	probed.ghash = pclmul ? pclmul : br_ghash_ctmul64;
	probed.name = ni && pclmul ? "aes_x86ni+ghash_pclmul"
		: ni               ? "aes_x86ni+ghash_ctmul64"
		: pclmul           ? "aes_ct64+ghash_pclmul"
				   : "aes_ct64+ghash_ctmul64";
}

static const gcm_impl *impl(void)
{
	pthread_once(&probe_once, probe);
	return &probed;
}

const char *cr_aes_gcm_impl(void)
{
	return impl()->name;
}

static void gcm_start(br_gcm_context *gc, aes_ctr_keys *keys, const uint8_t key[16],
		      const uint8_t nonce[12], const uint8_t *aad, size_t aad_len)
{
	const gcm_impl *g = impl();
	g->aes->init(&keys->ni.vtable, key, 16);
	br_gcm_init(gc, &keys->ni.vtable, g->ghash);
	br_gcm_reset(gc, nonce, 12);
	br_gcm_aad_inject(gc, aad, aad_len);
	br_gcm_flip(gc);
}

cr_err cr_aes128gcm_seal(uint8_t *out, const uint8_t key[CR_AES128_KEY_LEN],
			 const uint8_t nonce[CR_GCM_NONCE_LEN], const uint8_t *aad, size_t aad_len,
			 const uint8_t *pt, size_t pt_len)
{
	br_gcm_context gc;
	aes_ctr_keys keys;
	gcm_start(&gc, &keys, key, nonce, aad, aad_len);
	if (pt_len && out != pt)
		memmove(out, pt, pt_len);
	br_gcm_run(&gc, 1, out, pt_len);
	br_gcm_get_tag(&gc, out + pt_len);
	cr_wipe(&gc, sizeof gc);
	cr_wipe(&keys, sizeof keys);
	return CR_OK;
}

cr_err cr_aes128gcm_open(uint8_t *out, const uint8_t key[CR_AES128_KEY_LEN],
			 const uint8_t nonce[CR_GCM_NONCE_LEN], const uint8_t *aad, size_t aad_len,
			 const uint8_t *ct, size_t ct_len)
{
	if (ct_len < CR_GCM_TAG_LEN)
		return CR_ERR_AUTH;
	size_t n = ct_len - CR_GCM_TAG_LEN;
	uint8_t tag[CR_GCM_TAG_LEN], want[CR_GCM_TAG_LEN];
	memcpy(want, ct + n, CR_GCM_TAG_LEN); /* out may alias ct */
	br_gcm_context gc;
	aes_ctr_keys keys;
	gcm_start(&gc, &keys, key, nonce, aad, aad_len);
	if (n && out != ct)
		memmove(out, ct, n);
	br_gcm_run(&gc, 0, out, n);
	br_gcm_get_tag(&gc, tag);
	bool ok = cr_ct_equal(tag, want, sizeof tag);
	cr_wipe(&gc, sizeof gc);
	cr_wipe(&keys, sizeof keys);
	if (!ok) {
		cr_wipe(out, n);
		return CR_ERR_AUTH;
	}
	return CR_OK;
}
