/*
 * fuzz: crypto/file_seal.c cr_file_plain_size / cr_file_open_chunk (a sealed file from a hostile server) and net/cli_file.c nt_file_ref_parse (a file reference from a hostile peer)
 *
 * Byte 0 picks the target; the rest is its input.
 *   0: a whole sealed file under a fixed key; its plaintext size comes from
 *      its length (cr_file_plain_size). Properties: a refused chunk leaves
 *      its output all zero; an accepted file is canonical: sealing its
 *      plaintext again gives back exactly the input.
 *   1: a reference text. An accepted one prints back (nt_file_ref_text) to
 *      exactly the input.
 * Seeds: files sealed under the fixed key (0, 1, 40 and 65537 bytes), the
 * same tampered or cut, and valid and broken reference texts.
 */
#include <stdlib.h>
#include <string.h>

#include "cli_file.h"
#include "file_seal.h"

static const uint8_t KEY[CR_FILE_KEY_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
/* Three chunks at most: enough for every boundary, short runs. */
#define MAX_SEALED (3 * CR_FILE_SEALED_CHUNK)

static void sealed_file(const uint8_t *p, size_t n)
{
	uint64_t plain_size;
	if (n > MAX_SEALED || cr_file_plain_size(n, &plain_size) != CR_OK)
		return;
	if (cr_file_sealed_size(plain_size) != n)
		abort();
	cr_file_ctx f;
	if (cr_file_init(&f, KEY, plain_size) != CR_OK)
		abort();
	uint8_t *plain = malloc(plain_size + 1), *again = malloc(CR_FILE_SEALED_CHUNK);
	if (!plain || !again)
		abort();
	for (uint64_t i = 0; i < f.chunks; i++) {
		size_t len = cr_file_chunk_len(&f, i);
		uint8_t *out = plain + i * CR_FILE_CHUNK;
		memset(out, 0xa5, len);
		if (cr_file_open_chunk(&f, i, out, p + cr_file_sealed_offset(i), len + CR_FILE_TAG_LEN) != CR_OK) {
			for (size_t k = 0; k < len; k++)
				if (out[k])
					abort();
			continue;
		}
		if (cr_file_seal_chunk(&f, i, again, out, len) != CR_OK ||
		    memcmp(again, p + cr_file_sealed_offset(i), len + CR_FILE_TAG_LEN) != 0)
			abort();
	}
	cr_file_wipe(&f);
	free(plain);
	free(again);
}

static void ref_text(const uint8_t *p, size_t n)
{
	char text[NT_FILE_REF_TEXT_MAX + 8];
	/* A C string ends at its first NUL: what follows is not part of it. */
	if (n >= sizeof text || memchr(p, 0, n))
		return;
	memcpy(text, p, n);
	text[n] = 0;
	nt_file_ref r;
	if (nt_file_ref_parse(text, &r) != CR_OK) {
		static const nt_file_ref zero;
		if (memcmp(&r, &zero, sizeof r) != 0)
			abort();
		return;
	}
	char back[NT_FILE_REF_TEXT_MAX];
	nt_file_ref_text(&r, back);
	if (strlen(back) != n || memcmp(back, text, n) != 0)
		abort();
	nt_file_ref_wipe(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] == 0)
		sealed_file(data + 1, size - 1);
	else if (data[0] == 1)
		ref_text(data + 1, size - 1);
	return 0;
}
