/*
 * vec_wycheproof_aead.c: Wycheproof aes_gcm_test.json (aead_test_schema_v1).
 *
 * echover implements AES-128-GCM with a 96-bit nonce and a 128-bit tag only
 * (MLS cipher suite 0x0001); groups with other key, IV or tag sizes are
 * skipped, case by case. Each valid case is sealed and opened, both into a
 * separate buffer and in place, and opened again with every byte of the
 * ciphertext, tag and AAD flipped, the AAD a byte longer or shorter, and the
 * tag cut short (each must be refused). Each invalid case must
 * be refused with CR_ERR_AUTH and a zeroed output. The file has no
 * "acceptable" case for AES-GCM; one would fail the run so that it is looked at.
 */
#include <stdlib.h>
#include <string.h>

#include "aes_gcm.h"
#include "vec_wycheproof.h"

static bool detect(json_t *root)
{
	return wp_detect(root, "AES-GCM", "aead_test_schema_v1.json");
}

static bool all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;
	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

static void valid_case(const uint8_t *key, const uint8_t *iv, const uint8_t *aad, size_t aad_len,
		       const uint8_t *msg, size_t msg_len, const uint8_t *want, size_t want_len)
{
	uint8_t *buf = malloc(want_len + 1), *pt = malloc(want_len + 1);
	if (!CHECK(buf && pt && want_len == msg_len + CR_GCM_TAG_LEN))
		goto out;
	/* Separate buffers. */
	CHECK_OK(cr_aes128gcm_seal(buf, key, iv, aad, aad_len, msg, msg_len));
	CHECK_MEM(buf, want, want_len);
	CHECK_OK(cr_aes128gcm_open(pt, key, iv, aad, aad_len, want, want_len));
	CHECK_MEM(pt, msg, msg_len);
	/* In place: seal over the plaintext, open over the ciphertext. */
	memcpy(buf, msg, msg_len);
	CHECK_OK(cr_aes128gcm_seal(buf, key, iv, aad, aad_len, buf, msg_len));
	CHECK_MEM(buf, want, want_len);
	CHECK_OK(cr_aes128gcm_open(buf, key, iv, aad, aad_len, buf, want_len));
	CHECK_MEM(buf, msg, msg_len);
	/* Tampered: every byte of ciphertext and tag. */
	bool all_refused = true;
	for (size_t i = 0; i < want_len; i++) {
		memcpy(buf, want, want_len);
		buf[i] ^= 0x01;
		if (cr_aes128gcm_open(pt, key, iv, aad, aad_len, buf, want_len) != CR_ERR_AUTH)
			all_refused = false;
	}
	CHECK(all_refused);
	/* Tampered AAD: every byte flipped, and one byte more or less. */
	uint8_t *aad2 = malloc(aad_len + 1);
	if (CHECK(aad2 != NULL)) {
		bool aad_refused = true;
		if (aad_len)
			memcpy(aad2, aad, aad_len);
		for (size_t i = 0; i < aad_len; i++) {
			aad2[i] ^= 0x01;
			if (cr_aes128gcm_open(pt, key, iv, aad2, aad_len, want, want_len) != CR_ERR_AUTH)
				aad_refused = false;
			aad2[i] ^= 0x01;
		}
		aad2[aad_len] = 0;
		if (cr_aes128gcm_open(pt, key, iv, aad2, aad_len + 1, want, want_len) != CR_ERR_AUTH)
			aad_refused = false;
		if (aad_len && cr_aes128gcm_open(pt, key, iv, aad2, aad_len - 1, want, want_len) != CR_ERR_AUTH)
			aad_refused = false;
		CHECK(aad_refused);
	}
	free(aad2);
	/* Truncated: a tag one byte short cannot verify. */
	CHECK_ERR(cr_aes128gcm_open(pt, key, iv, aad, aad_len, want, want_len - 1), CR_ERR_AUTH);
out:
	free(buf);
	free(pt);
}

static void one(json_t *group, json_t *test)
{
	if (wp_group_int(group, "keySize") != 128 || wp_group_int(group, "ivSize") != 96 ||
	    wp_group_int(group, "tagSize") != 128) {
		t_skip("aes-gcm tcId %lld: key %d, iv %d, tag %d bits not implemented", wp_id(test),
		       wp_group_int(group, "keySize"), wp_group_int(group, "ivSize"), wp_group_int(group, "tagSize"));
		return;
	}
	t_begin("aes-gcm tcId %lld", wp_id(test));
	size_t kl = 0, il = 0, al = 0, ml = 0, cl = 0, tl = 0;
	uint8_t *key = vec_hex(test, "key", &kl), *iv = vec_hex(test, "iv", &il);
	uint8_t *aad = vec_hex(test, "aad", &al), *msg = vec_hex(test, "msg", &ml);
	uint8_t *ct = vec_hex(test, "ct", &cl), *tag = vec_hex(test, "tag", &tl);
	uint8_t *ctt = NULL, *out = NULL;
	wp_result r = wp_result_of(test);
	if (!key || !iv || !aad || !msg || !ct || !tag || !CHECK(kl == 16 && il == 12 && r != WP_BAD))
		goto out;
	ctt = malloc(cl + tl + 1);
	out = malloc(cl + tl + 1);
	if (!CHECK(ctt && out))
		goto out;
	memcpy(ctt, ct, cl);
	memcpy(ctt + cl, tag, tl);
	if (r == WP_VALID) {
		valid_case(key, iv, aad, al, msg, ml, ctt, cl + tl);
	} else if (r == WP_INVALID) {
		memset(out, 0xa5, cl + tl);
		CHECK_ERR(cr_aes128gcm_open(out, key, iv, aad, al, ctt, cl + tl), CR_ERR_AUTH);
		CHECK(cl + tl < CR_GCM_TAG_LEN || all_zero(out, cl + tl - CR_GCM_TAG_LEN));
	} else {
		CHECK(!"an acceptable AES-GCM case: decide and document what to do");
	}
out:
	free(key), free(iv), free(aad), free(msg), free(ct), free(tag), free(ctt), free(out);
	t_end();
}

static void run(json_t *root, const char *path)
{
	(void)path;
	wp_each(root, one);
}

const vec_runner vec_wycheproof_aead = { "wycheproof AES-GCM", detect, run };
