/*
 * fuzz: the TLS client (net/tls.c) fed arbitrary server bytes: BearSSL's
 * record and handshake parsers, then echover's pinning X.509 class on the
 * server's Certificate message.
 *
 * The client pins a fixed key, so an accepted handshake would mean a forged
 * server: reaching READY aborts. The client's randoms come from BearSSL's
 * generator (which also draws on the OS), so a replayed server flight gets
 * as far as its ServerKeyExchange signature, past the certificate.
 */
#include <stdlib.h>
#include <string.h>

#include "rng.h"
#include "tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t buf[NT_TLS_BUF_FULL];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t seed[32] = {1};
	uint8_t pin[NT_TLS_PIN_LEN];
	uint8_t sink[4096];
	cr_rng_det det;
	cr_rng rng;
	nt_tls c;

	memset(pin, 0xa5, sizeof pin);
	cr_rng_det_init(&det, &rng, seed);
	if (nt_tls_client_init(&c, pin, buf, sizeof buf, &rng) != CR_OK)
		abort();
	(void)nt_tls_pull_ciphertext(&c, sink, sizeof sink); /* ClientHello */
	size_t off = 0;
	while (off < size) {
		size_t k = nt_tls_push_ciphertext(&c, data + off, size - off);
		while (nt_tls_pull_ciphertext(&c, sink, sizeof sink) > 0)
			;
		while (nt_tls_pull_plaintext(&c, sink, sizeof sink) > 0)
			;
		if (k == 0)
			break;
		off += k;
	}
	if (nt_tls_status(&c) == NT_TLS_READY)
		abort();
	nt_tls_wipe(&c);
	return 0;
}
