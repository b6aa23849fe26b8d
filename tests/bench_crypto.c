/*
 * bench_crypto.c: `./build.sh bench crypto`: the cost of each primitive, the
 * figures MLS and server sizing rest on. Median of repeated runs.
 */
#include <stdio.h>
#include <string.h>

#include "aes_gcm.h"
#include "pwhash.h"
#include "bench.h"
#include "ed25519.h"
#include "file_seal.h"
#include "hash.h"
#include "p256.h"
#include "rng.h"
#include "x25519.h"

typedef struct state {
	uint8_t seed[32], pub[32], sig[64], priv[32], peer[32], shared[32], xpub[32];
	uint8_t key[16], nonce[12], buf[16384 + 16], hash[32];
	uint8_t p256_priv[32], p256_pub[65], p256_sig[64];
	uint8_t chunk[CR_FILE_SEALED_CHUNK];
	cr_file_ctx file;
	int failures;
} state;

static void do_x25519(void *c) { state *s = c; s->failures += cr_x25519(s->shared, s->priv, s->peer) != CR_OK; }
static void do_x25519_base(void *c) { state *s = c; s->failures += cr_x25519_public(s->xpub, s->priv) != CR_OK; }
static void do_ed_sign(void *c) { state *s = c; s->failures += cr_ed25519_sign(s->sig, s->seed, s->buf, 64) != CR_OK; }
static void do_ed_verify(void *c) { state *s = c; s->failures += cr_ed25519_verify(s->sig, s->pub, s->buf, 64) != CR_OK; }
static void do_gcm_1k(void *c) { state *s = c; s->failures += cr_aes128gcm_seal(s->buf, s->key, s->nonce, NULL, 0, s->buf, 1024) != CR_OK; }
static void do_gcm_16k(void *c) { state *s = c; s->failures += cr_aes128gcm_seal(s->buf, s->key, s->nonce, NULL, 0, s->buf, 16384) != CR_OK; }
static void do_sha_1k(void *c) { state *s = c; cr_sha256(s->hash, s->buf, 1024); }
static void do_file_seal(void *c) { state *s = c; s->failures += cr_file_seal_chunk(&s->file, 0, s->chunk, s->chunk, CR_FILE_CHUNK) != CR_OK; }
static void do_file_open(void *c)
{
	state *s = c;
	s->failures += cr_file_seal_chunk(&s->file, 0, s->chunk, s->chunk, CR_FILE_CHUNK) != CR_OK;
	s->failures += cr_file_open_chunk(&s->file, 0, s->chunk, s->chunk, CR_FILE_SEALED_CHUNK) != CR_OK;
}
static void do_sha_64k(void *c) { state *s = c; cr_sha256(s->hash, s->chunk, CR_FILE_CHUNK); }
static void do_p256_sign(void *c) { state *s = c; s->failures += cr_p256_sign_raw(s->p256_sig, s->p256_priv, s->buf, 64) != CR_OK; }
static void do_argon2(void *c)
{
	state *s = c;
	uint8_t out[32], salt[16] = { 0 };
	s->failures += cr_argon2id(out, sizeof out, (const uint8_t *)"password", 8, salt, CR_ARGON2_INTERACTIVE) != CR_OK;
}

int main(void)
{
	if (cr_init())
		return 1;
	state s;
	memset(&s, 0, sizeof s);
	const cr_rng *rng = cr_rng_system();
	uint8_t pub2[32];
	if (cr_x25519_keygen(s.priv, pub2, rng) || cr_x25519_keygen(s.seed, s.peer, rng) ||
	    cr_ed25519_keygen(s.seed, s.pub, rng) || cr_ed25519_sign(s.sig, s.seed, s.buf, 64) ||
	    cr_p256_keygen(s.p256_priv, s.p256_pub, rng) || cr_file_init(&s.file, s.key, 2 * CR_FILE_CHUNK)) {
		fprintf(stderr, "bench_crypto: key generation failed\n");
		return 1;
	}
	struct { const char *name; void (*fn)(void *); unsigned runs; } rows[] = {
		{ "X25519 shared secret", do_x25519, 2001 },
		{ "X25519 public key", do_x25519_base, 2001 },
		{ "Ed25519 sign (64 B)", do_ed_sign, 2001 },
		{ "Ed25519 verify (64 B)", do_ed_verify, 2001 },
		{ "AES-128-GCM seal 1 KiB", do_gcm_1k, 20001 },
		{ "AES-128-GCM seal 16 KiB", do_gcm_16k, 2001 },
		{ "SHA-256 1 KiB", do_sha_1k, 20001 },
		{ "SHA-256 64 KiB", do_sha_64k, 2001 },
		{ "file chunk seal 64 KiB", do_file_seal, 2001 },
		{ "file chunk seal + open 64 KiB", do_file_open, 2001 },
		{ "ECDSA P-256 sign", do_p256_sign, 501 },
		{ "Argon2id interactive (2 passes, 64 MiB)", do_argon2, 5 },
	};
	printf("%-42s %14s\n", "primitive", "median");
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		double ns = bench_median_ns(rows[i].fn, &s, rows[i].runs);
		if (ns >= 1e6)
			printf("%-42s %11.2f ms\n", rows[i].name, ns / 1e6);
		else
			printf("%-42s %11.2f us\n", rows[i].name, ns / 1e3);
	}
	if (s.failures) {
		fprintf(stderr, "bench_crypto: %d operations failed\n", s.failures);
		return 1;
	}
	return 0;
}
