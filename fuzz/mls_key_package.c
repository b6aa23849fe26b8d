/*
 * fuzz: mls_key_package_decode, mls_key_package_write, mls_key_package_tbs_write (crypto/mls/msg_keypackage.h)
 *
 * A KeyPackage that decodes must re-encode to exactly the input bytes, and
 * its TBS must be the input minus the signature. Seeds: KeyPackage bodies
 * of RFC 9420's messages.json.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "msg_keypackage.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mls_key_package kp;
	if (mls_key_package_decode(data, size, &kp) != CR_OK)
		return 0;
	cr_writer w;
	cr_writer_init_dynamic(&w, MLS_MAX_MESSAGE + 64);
	mls_key_package_write(&w, &kp);
	if (cr_writer_error(&w) != CR_OK || w.len != size || memcmp(w.p, data, size) != 0)
		abort();
	cr_writer_free(&w);
	cr_writer_init_dynamic(&w, MLS_MAX_MESSAGE + 64);
	mls_key_package_tbs_write(&w, &kp);
	if (cr_writer_error(&w) != CR_OK || w.len >= size || memcmp(w.p, data, w.len) != 0)
		abort();
	cr_writer_free(&w);
	return 0;
}
