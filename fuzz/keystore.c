/*
 * fuzz: the keystore parser and opener (cr_keystore_parse, cr_keystore_open).
 *
 * The input is a keystore blob. It is parsed against the production limit
 * (cheap: no key derivation), then opened with the fixed passphrase "fuzz"
 * and a tiny parameter maximum (1 pass, 16 KiB), which keeps each run fast and
 * exercises the limit check itself: anything asking for more is refused
 * before Argon2id. Properties checked:
 *   - open never succeeds where parse fails, and agrees on the length;
 *   - on failure the output is all zero;
 *   - an accepted blob is canonical: sealing the secret again with the same
 *     parameters, salt and nonce gives back exactly the input.
 * Seeds: blobs sealed under "fuzz" with (1, 8) and (1, 16), plus tampered,
 * truncated and over-limit variants.
 */
#include <stdlib.h>
#include <string.h>

#include "keystore.h"

static const uint8_t PASS[] = "fuzz";
static const cr_argon2_params MAX = { 1, 16 };

/* Replays the header's salt, then its nonce, as the "random" bytes. */
typedef struct replay_rng {
	const cr_keystore_header *h;
	unsigned calls;
} replay_rng;

static cr_err replay_fill(void *ctx, uint8_t *out, size_t n)
{
	replay_rng *r = ctx;
	const uint8_t *src = r->calls == 0 ? r->h->salt : r->h->nonce;
	size_t len = r->calls == 0 ? sizeof r->h->salt : sizeof r->h->nonce;
	r->calls++;
	if (n != len)
		abort();
	memcpy(out, src, n);
	return CR_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t secret[CR_KEYSTORE_SECRET_MAX];
	cr_keystore_header h;
	cr_err perr = cr_keystore_parse(data, size, CR_KEYSTORE_MAX_PARAMS, &h);
	size_t len = 1;
	memset(secret, 0xa5, sizeof secret);
	cr_err err = cr_keystore_open(secret, sizeof secret, &len, data, size, PASS, sizeof PASS - 1, MAX);
	if (err) {
		if (len != 0)
			abort();
		for (size_t i = 0; i < sizeof secret; i++)
			if (secret[i])
				abort();
		return 0;
	}
	if (perr || len + CR_GCM_TAG_LEN != h.ciphertext.n || CR_KEYSTORE_SEALED_LEN(len) != size)
		abort();
	uint8_t *again = malloc(size);
	if (!again)
		abort();
	replay_rng rr = { &h, 0 };
	cr_rng rng = { replay_fill, &rr };
	size_t n = 0;
	if (cr_keystore_seal(again, size, &n, secret, len, PASS, sizeof PASS - 1, h.params, &rng) ||
	    n != size || memcmp(again, data, size) != 0)
		abort();
	free(again);
	return 0;
}
