/*
 * fuzz: mls_leaf_parse (and mls_leaf_decode under it), mls_leaf_encode, mls_leaf_write_tbs (crypto/mls/leaf.h)
 *
 * A leaf that decodes must re-encode to exactly the input bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "leaf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mls_leaf_node l;
	if (mls_leaf_parse(data, size, &l) != CR_OK)
		return 0;
	cr_writer w;
	cr_writer_init_dynamic(&w, MLS_LEAF_MAX_LEN + 1024);
	mls_leaf_encode(&w, &l);
	if (cr_writer_error(&w) != CR_OK || w.len != size || memcmp(w.p, data, size) != 0)
		abort();
	mls_leaf_write_tbs(&w, &l, (const uint8_t *)"g", 1, 3);
	cr_span d;
	if (mls_ext_find(l.extensions, 1, &d) == CR_OK && d.n > MLS_LEAF_MAX_LEN)
		abort();
	cr_writer_free(&w);
	mls_leaf_free(&l);
	return 0;
}
