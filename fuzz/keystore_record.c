/*
 * fuzz: the record opener of the keystore (cr_keystore_record_open).
 *
 * The input is a sealed record, opened with a fixed data key and AAD.
 * Properties: on failure the output is all zero and the length 0; an
 * accepted record is canonical: sealing the plaintext again with the same
 * salt gives back exactly the input.
 * Seeds: records sealed under the fixed key (empty, short, longer), plus
 * tampered, truncated and other-version variants.
 */
#include <stdlib.h>
#include <string.h>

#include "keystore.h"

static const uint8_t KEY[CR_KEYSTORE_DATA_KEY_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8 };
static const uint8_t AAD[] = "fuzz-group";

/* Replays the record's salt (bytes 1..16) as the "random" bytes. */
static cr_err replay_fill(void *ctx, uint8_t *out, size_t n)
{
	const uint8_t *rec = ctx;
	if (n != 16)
		abort();
	memcpy(out, &rec[1], n);
	return CR_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1 << 16)
		return 0; /* the opener's own limit is 16 MiB; keep runs short */
	uint8_t *out = malloc(size + 1);
	if (!out)
		abort();
	memset(out, 0xa5, size + 1);
	size_t len = 1;
	cr_err err = cr_keystore_record_open(out, size + 1, &len, KEY, AAD, sizeof AAD - 1, data, size);
	if (err) {
		if (len != 0)
			abort();
		for (size_t i = 0; i < size + 1; i++)
			if (out[i])
				abort();
		free(out);
		return 0;
	}
	if (len + CR_KEYSTORE_RECORD_OVERHEAD != size)
		abort();
	uint8_t *again = malloc(size);
	if (!again)
		abort();
	cr_rng rng = { replay_fill, (void *)data };
	size_t n = 0;
	if (cr_keystore_record_seal(again, size, &n, KEY, AAD, sizeof AAD - 1, out, len, &rng) || n != size ||
	    memcmp(again, data, size) != 0)
		abort();
	free(again);
	free(out);
	return 0;
}
