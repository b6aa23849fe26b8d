/*
 * fuzz: mls_tree_decode, mls_tree_encode, mls_tree_root_hash, mls_tree_resolution, mls_tree_validate, mls_tree_add_leaf/remove_leaf (crypto/mls/tree.h)
 *
 * A tree that decodes must re-encode to exactly the input; hashing,
 * resolution, validation and the operations must not fail on memory, and the
 * cached root hash after an operation must equal a fresh one.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tree.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fresh_hash(const mls_tree *t, uint8_t out[MLS_HASH_LEN])
{
	cr_writer w;
	cr_writer_init_dynamic(&w, MLS_TREE_MAX_ENC);
	mls_tree_encode(&w, t);
	mls_tree c = { 0 };
	if (cr_writer_error(&w) != CR_OK || mls_tree_decode(w.p, w.len, &c) != CR_OK ||
	    mls_tree_root_hash(&c, out) != CR_OK)
		abort();
	mls_tree_free(&c);
	cr_writer_free(&w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mls_tree t = { 0 };
	if (mls_tree_decode(data, size, &t) != CR_OK)
		return 0;
	cr_writer w;
	cr_writer_init_dynamic(&w, MLS_TREE_MAX_ENC);
	mls_tree_encode(&w, &t);
	if (cr_writer_error(&w) != CR_OK || w.len != size || memcmp(w.p, data, size) != 0)
		abort();
	cr_writer_free(&w);
	uint8_t h[MLS_HASH_LEN], h2[MLS_HASH_LEN];
	if (mls_tree_root_hash(&t, h) != CR_OK)
		abort();
	mls_nodelist l = { 0 };
	if (mls_tree_resolution(&t, mls_tm_root(t.n_leaves), NULL, 0, &l) != CR_OK)
		abort();
	mls_nodelist_free(&l);
	uint32_t fdp[MLS_TM_MAX_DEPTH];
	(void)mls_tree_filtered_direct_path(&t, 0, fdp);
	if (mls_tree_validate(&t, (const uint8_t *)"group", 5) == CR_ERR_NOMEM)
		abort();

	/* Operations on the first non-blank leaf. */
	const mls_leaf_node *first = NULL;
	uint32_t fi = 0;
	for (; fi < t.n_leaves && !(first = mls_tree_leaf(&t, fi)); fi++)
		;
	if (first) {
		mls_leaf_node copy;
		uint32_t idx;
		if (mls_leaf_copy(&copy, first) != CR_OK)
			abort();
		if (mls_tree_add_leaf(&t, &copy, &idx) != CR_OK || mls_tree_root_hash(&t, h) != CR_OK)
			abort();
		fresh_hash(&t, h2);
		if (memcmp(h, h2, sizeof h) != 0)
			abort();
		/* Updating the added leaf with the same key is refused (section
		 * 7.3); remove the first leaf. */
		if (mls_tree_update_leaf(&t, idx, &copy) != CR_ERR_INVALID || mls_tree_remove_leaf(&t, fi) != CR_OK ||
		    mls_tree_root_hash(&t, h) != CR_OK)
			abort();
		fresh_hash(&t, h2);
		if (memcmp(h, h2, sizeof h) != 0)
			abort();
		mls_leaf_free(&copy);
	}
	mls_tree_free(&t);
	return 0;
}
