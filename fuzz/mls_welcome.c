/*
 * fuzz: mls_welcome_decode, mls_welcome_find, mls_group_secrets_decode and their writers (crypto/mls/msg_welcome.h)
 *
 * The input is tried as a Welcome and as a GroupSecrets; whatever decodes
 * must re-encode to exactly the input bytes, and every EncryptedGroupSecrets
 * must re-encode and be found by its own reference. Seeds: Welcome bodies
 * and GroupSecrets of RFC 9420's messages.json.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "msg_welcome.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same(cr_writer *w, const uint8_t *p, size_t n)
{
	if (cr_writer_error(w) != CR_OK || w->len != n || (n && memcmp(w->p, p, n) != 0))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cr_writer w;
	mls_welcome wl;
	if (mls_welcome_decode(data, size, &wl) == CR_OK) {
		cr_writer_init_dynamic(&w, MLS_MAX_MESSAGE + 64);
		mls_welcome_write(&w, &wl);
		same(&w, data, size);
		cr_writer_free(&w);
		cr_reader it;
		mls_encrypted_group_secrets s, f;
		size_t n = 0;
		cr_writer_init_dynamic(&w, MLS_MAX_MESSAGE + 64);
		mls_vec_iter(&wl.secrets, &it);
		while (mls_welcome_secrets_next(&it, &s) == CR_OK) {
			mls_encrypted_group_secrets_write(&w, &s);
			if (mls_welcome_find(&wl, s.new_member.p, s.new_member.n, &f) != CR_OK)
				abort();
			n++;
		}
		if (n != wl.secrets.count)
			abort();
		same(&w, wl.secrets.body.p, wl.secrets.body.n);
		cr_writer_free(&w);
	}
	mls_group_secrets g;
	if (mls_group_secrets_decode(data, size, &g) == CR_OK) {
		cr_writer_init_dynamic(&w, MLS_MAX_MESSAGE + 64);
		mls_group_secrets_write(&w, &g);
		same(&w, data, size);
		cr_writer_free(&w);
	}
	return 0;
}
