/*
 * vec_tree_math.c: tree-math.json (RFC 9420 appendix C arithmetic).
 */
#include <stdio.h>

#include "tree_math.h"
#include "vec.h"

static bool detect(json_t *root)
{
	static const char *const keys[] = { "n_leaves", "n_nodes", "root", "left", "right", "parent", "sibling", NULL };
	return vec_mls_has_keys(root, keys);
}

/* Checks arr[x] against want (or null when has is false). */
static void check_at(json_t *arr, uint32_t x, bool has, uint32_t want, const char *what)
{
	json_t *v = json_array_get(arr, x);
	bool ok = has ? (json_is_integer(v) && (uint64_t)json_integer_value(v) == want) : json_is_null(v);
	if (!CHECK(ok))
		t_note("%s[%u]", what, x);
}

static void run(json_t *root, const char *path)
{
	(void)path;
	size_t i;
	json_t *c;
	json_array_foreach(root, i, c) {
		t_begin("tree-math #%zu", i);
		uint64_t n = 0, nn = 0, r = 0;
		if (vec_u64(c, "n_leaves", &n) && vec_u64(c, "n_nodes", &nn) && vec_u64(c, "root", &r) &&
		    CHECK(n > 0 && n <= MLS_TM_MAX_LEAVES)) {
			uint32_t nl = (uint32_t)n, w = mls_tm_node_width(nl);
			CHECK(w == nn);
			CHECK(mls_tm_root(nl) == r);
			json_t *L = json_object_get(c, "left"), *R = json_object_get(c, "right");
			json_t *P = json_object_get(c, "parent"), *S = json_object_get(c, "sibling");
			CHECK(json_array_size(L) == w && json_array_size(R) == w && json_array_size(P) == w &&
			      json_array_size(S) == w);
			for (uint32_t x = 0; x < w; x++) {
				bool leaf = mls_tm_is_leaf(x), isroot = x == mls_tm_root(nl);
				check_at(L, x, !leaf, leaf ? 0 : mls_tm_left(x), "left");
				check_at(R, x, !leaf, leaf ? 0 : mls_tm_right(x), "right");
				check_at(P, x, !isroot, isroot ? 0 : mls_tm_parent(x), "parent");
				check_at(S, x, !isroot, isroot ? 0 : mls_tm_sibling(x), "sibling");
			}
		}
		t_end();
	}
}

const vec_runner vec_tree_math = { "tree-math", detect, run };
