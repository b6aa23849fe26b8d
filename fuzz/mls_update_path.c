/*
 * fuzz: mls_update_path_decode, mls_update_path_write (crypto/mls/treekem.h)
 *
 * An UpdatePath that decodes must re-encode to exactly the input bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "treekem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mls_update_path up;
	if (mls_update_path_decode(data, size, &up) != CR_OK)
		return 0;
	cr_writer w;
	cr_writer_init_dynamic(&w, size + 1024);
	mls_update_path_write(&w, &up);
	if (cr_writer_error(&w) != CR_OK || w.len != size || memcmp(w.p, data, size) != 0)
		abort();
	cr_writer_free(&w);
	mls_update_path_free(&up);
	return 0;
}
