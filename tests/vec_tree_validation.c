/*
 * vec_tree_validation.c: tree-validation.json (RFC 9420 sections 4.1.1,
 * 7.8, 7.9.2, 12.4.3.1): resolutions, tree hashes, parent hashes, leaf
 * rules; and byte-exact re-encoding of the tree.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tree.h"
#include "vec.h"

static bool detect(json_t *root)
{
	static const char *const keys[] = { "cipher_suite", "tree", "group_id", "resolutions", "tree_hashes", NULL };
	return vec_mls_has_keys(root, keys);
}

static void run_case(json_t *c)
{
	size_t n = 0, gl = 0;
	uint8_t *enc = vec_hex(c, "tree", &n);
	uint8_t *gid = vec_hex(c, "group_id", &gl);
	mls_tree t = { 0 };
	if (!enc || !gid || !CHECK_OK(mls_tree_decode(enc, n, &t)))
		goto out;
	cr_writer w;
	cr_writer_init_dynamic(&w, MLS_TREE_MAX_ENC);
	mls_tree_encode(&w, &t);
	CHECK_OK(cr_writer_error(&w));
	if (!CHECK(w.len == n && memcmp(w.p, enc, n) == 0))
		t_note("re-encoding differs");
	cr_writer_free(&w);

	json_t *res = json_object_get(c, "resolutions"), *th = json_object_get(c, "tree_hashes");
	uint32_t width = mls_tree_width(&t);
	CHECK(json_array_size(res) == width && json_array_size(th) == width);
	mls_nodelist l = { 0 };
	for (uint32_t x = 0; x < width && x < json_array_size(res); x++) {
		l.n = 0;
		CHECK_OK(mls_tree_resolution(&t, x, NULL, 0, &l));
		json_t *want = json_array_get(res, x);
		bool ok = json_array_size(want) == l.n;
		for (size_t i = 0; ok && i < l.n; i++)
			ok = (uint64_t)json_integer_value(json_array_get(want, i)) == l.v[i];
		if (!CHECK(ok))
			t_note("resolution of node %u", x);
	}
	mls_nodelist_free(&l);
	for (uint32_t x = 0; x < width && x < json_array_size(th); x++) {
		uint8_t h[MLS_HASH_LEN];
		size_t hl;
		uint8_t *want = t_unhex(json_string_value(json_array_get(th, x)), &hl);
		CHECK_OK(mls_tree_node_hash(&t, x, h));
		if (!CHECK(want && hl == MLS_HASH_LEN && memcmp(h, want, hl) == 0))
			t_note("tree hash of node %u", x);
		free(want);
	}
	CHECK_OK(mls_tree_verify_parent_hashes(&t));
	CHECK_OK(mls_tree_check_structure(&t));
	CHECK_OK(mls_tree_verify_leaves(&t, gid, gl));
out:
	mls_tree_free(&t);
	free(enc);
	free(gid);
}

static void run(json_t *root, const char *path)
{
	(void)path;
	vec_each_suite1_case(root, "tree-validation", run_case);
}

const vec_runner vec_tree_validation = { "tree-validation", detect, run };
