/*
 * fuzz: the TLS server (net/tls.c) fed arbitrary client bytes: BearSSL's
 * record layer and ClientHello parser under echover's policy (TLS 1.2,
 * two ECDHE-ECDSA suites, X25519/P-256), then whatever follows.
 *
 * The input is what a client on the network sends; the server must never
 * reach READY without a real key exchange, and any reply it makes is
 * drained. A server on the internet parses exactly these bytes first.
 */
#include <stdlib.h>
#include <string.h>

#include "cert.h"
#include "rng.h"
#include "tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The server key is made once: keygen and signing would dominate each run.
 * It is read-only afterwards, so no state carries from one input to the
 * next. */
static nt_tls_cred cred;
static bool have_cred;

static void make_cred(const cr_rng *rng)
{
	uint8_t priv[CR_P256_PRIV_LEN], pub[CR_P256_PUB_LEN], cert[NT_CERT_MAX];
	size_t cert_len;
	if (cr_p256_keygen(priv, pub, rng) != CR_OK || nt_cert_create(cert, &cert_len, priv) != CR_OK ||
	    nt_tls_cred_init(&cred, priv, cert, cert_len) != CR_OK)
		abort();
	have_cred = true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t seed[32] = {2};
	uint8_t sink[4096];
	cr_rng_det det;
	cr_rng rng;
	nt_tls s;
	uint8_t *buf = malloc(NT_TLS_BUF_FULL);

	cr_rng_det_init(&det, &rng, seed);
	if (!have_cred)
		make_cred(&rng);
	if (buf == NULL || nt_tls_server_init(&s, &cred, buf, NT_TLS_BUF_FULL, &rng) != CR_OK)
		abort();
	size_t off = 0;
	while (off < size) {
		size_t k = nt_tls_push_ciphertext(&s, data + off, size - off);
		while (nt_tls_pull_ciphertext(&s, sink, sizeof sink) > 0)
			;
		while (nt_tls_pull_plaintext(&s, sink, sizeof sink) > 0)
			;
		if (k == 0)
			break;
		off += k;
	}
	/* Reaching READY needs the client's Finished under a key only a real
	 * ECDHE peer has: the input cannot contain it (fresh server randoms). */
	if (nt_tls_status(&s) == NT_TLS_READY)
		abort();
	nt_tls_wipe(&s);
	free(buf);
	return 0;
}
