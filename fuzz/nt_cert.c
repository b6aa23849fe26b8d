/*
 * fuzz: certificate decoding (nt_cert_public_key, BearSSL's X.509 decoder
 * behind it: br_x509_decoder_init, br_x509_decoder_push,
 * br_x509_decoder_get_pkey) and the pin of whatever key it accepts.
 *
 * Property: an accepted key is an uncompressed P-256 point, and decoding
 * the same bytes twice gives the same key.
 */
#include <stdlib.h>
#include <string.h>

#include "cert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t pub[CR_P256_PUB_LEN], again[CR_P256_PUB_LEN], pin[NT_CERT_PIN_LEN];
	cr_err e = nt_cert_public_key(data, size, pub);
	if (e != CR_OK)
		return 0;
	if (pub[0] != 0x04)
		abort();
	if (nt_cert_public_key(data, size, again) != CR_OK || memcmp(pub, again, sizeof pub) != 0)
		abort();
	nt_cert_pin(pin, pub);
	return 0;
}
