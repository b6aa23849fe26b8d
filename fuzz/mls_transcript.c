/*
 * fuzz: mls_transcript_split_commit and mls_transcript_update (AuthenticatedContent of a commit, RFC 9420 8.2)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "transcript.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t key[MLS_NH] = { 1 };
	cr_span input, tag;
	if (mls_transcript_split_commit(data, size, &input, &tag) != CR_OK)
		return 0;
	/* The two parts are the input, in order, with the tag's prefix between. */
	if (input.p != data || tag.n != MLS_NH || input.n + 1 + tag.n != size || tag.p != data + size - MLS_NH)
		__builtin_trap();
	uint8_t c[MLS_NH], i[MLS_NH];
	cr_err e = mls_transcript_update(c, i, NULL, 0, data, size, key);
	if (e != CR_OK && e != CR_ERR_AUTH)
		__builtin_trap();
	return 0;
}
