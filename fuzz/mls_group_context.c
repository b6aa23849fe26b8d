/*
 * fuzz: mls_group_context_read (GroupContext, RFC 9420 8.1) and its round trip through mls_group_context_write
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "key_schedule.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cr_reader r;
	mls_group_context gc;
	cr_reader_init(&r, data, size);
	if (mls_group_context_read(&r, &gc) != CR_OK) {
		if (r.off != 0)
			__builtin_trap(); /* a failed read must not move the cursor */
		return 0;
	}
	/* Decoding is strict, so encoding gives back exactly the bytes read. */
	cr_writer w;
	cr_writer_init_dynamic(&w, 1 << 20);
	mls_group_context_write(&w, &gc);
	if (cr_writer_error(&w) != CR_OK || w.len != r.off || memcmp(w.p, data, w.len) != 0)
		__builtin_trap();
	cr_writer_free(&w);
	return 0;
}
