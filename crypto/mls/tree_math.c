/*
 * tree_math.c: RFC 9420 appendix C, for complete trees.
 */
#include "tree_math.h"

uint32_t mls_tm_log2(uint32_t x)
{
	uint32_t k = 0;
	while (x >> (k + 1))
		k++;
	return k;
}

uint32_t mls_tm_level(uint32_t x)
{
	uint32_t k = 0;
	while (k < 32 && ((x >> k) & 1))
		k++;
	return k;
}

uint32_t mls_tm_node_width(uint32_t n_leaves)
{
	return n_leaves == 0 ? 0 : 2 * (n_leaves - 1) + 1;
}

uint32_t mls_tm_root(uint32_t n_leaves)
{
	uint32_t w = mls_tm_node_width(n_leaves);
	return ((uint32_t)1 << mls_tm_log2(w)) - 1;
}

uint32_t mls_tm_left(uint32_t x)
{
	uint32_t k = mls_tm_level(x);
	return k == 0 ? x : x ^ ((uint32_t)1 << (k - 1));
}

uint32_t mls_tm_right(uint32_t x)
{
	uint32_t k = mls_tm_level(x);
	return k == 0 ? x : x ^ ((uint32_t)3 << (k - 1));
}

uint32_t mls_tm_parent(uint32_t x)
{
	uint32_t k = mls_tm_level(x);
	uint32_t b = (x >> (k + 1)) & 1;
	return (x | ((uint32_t)1 << k)) ^ (b << (k + 1));
}

uint32_t mls_tm_sibling(uint32_t x)
{
	uint32_t p = mls_tm_parent(x);
	return x < p ? mls_tm_right(p) : mls_tm_left(p);
}

bool mls_tm_is_leaf(uint32_t x)
{
	return (x & 1) == 0;
}

uint32_t mls_tm_direct_path(uint32_t x, uint32_t n_leaves, uint32_t out[MLS_TM_MAX_DEPTH])
{
	uint32_t r = mls_tm_root(n_leaves), c = 0;
	while (x != r && c < MLS_TM_MAX_DEPTH) {
		x = mls_tm_parent(x);
		out[c++] = x;
	}
	return c;
}

uint32_t mls_tm_copath(uint32_t x, uint32_t n_leaves, uint32_t out[MLS_TM_MAX_DEPTH])
{
	uint32_t r = mls_tm_root(n_leaves), c = 0;
	while (x != r && c < MLS_TM_MAX_DEPTH) {
		out[c++] = mls_tm_sibling(x);
		x = mls_tm_parent(x);
	}
	return c;
}

bool mls_tm_in_subtree(uint32_t a, uint32_t b)
{
	uint32_t k = mls_tm_level(b);
	/* The subtree of b spans [b - (2^k - 1), b + (2^k - 1)]. */
	uint32_t half = ((uint32_t)1 << k) - 1;
	return a >= b - half && a <= b + half;
}
