/*
 * tree_math.h: array-representation tree arithmetic of MLS (RFC 9420
 * section 4 and appendix C).
 *
 * Nodes are numbered left to right: leaf L is node 2L, parents have odd
 * indices; the level of a node is the number of trailing one bits of its
 * index. MLS trees always have a power-of-two number of leaves (RFC 9420
 * section 7.7: the tree grows by doubling and is truncated back to a power of
 * two), so the tree of n leaves has 2n - 1 nodes and its root is 2^k - 1.
 *
 * Sizes: leaf counts are uint32_t and at most MLS_TM_MAX_LEAVES (2^30, so
 * that node indices fit in 31 bits and a direct path holds at most
 * MLS_TM_MAX_DEPTH entries).
 *
 * Functions taking a node x and a leaf count n require x < node_width(n); they
 * are pure and do not fail (callers check bounds first, the tree decoder
 * does so for every index it derives).
 */
#ifndef ECHOVER_MLS_TREE_MATH_H
#define ECHOVER_MLS_TREE_MATH_H

#include <stdbool.h>
#include <stdint.h>

#define MLS_TM_MAX_LEAVES ((uint32_t)1 << 30)
#define MLS_TM_MAX_DEPTH 31

/* floor(log2(x)), 0 for x == 0. */
uint32_t mls_tm_log2(uint32_t x);
/* Number of trailing one bits: 0 for leaves. */
uint32_t mls_tm_level(uint32_t x);
/* 2n - 1 nodes for n > 0 leaves, 0 for none. */
uint32_t mls_tm_node_width(uint32_t n_leaves);
/* The root of a tree of n_leaves > 0 leaves (a power of two). */
uint32_t mls_tm_root(uint32_t n_leaves);
/* Children of a parent node (level > 0). */
uint32_t mls_tm_left(uint32_t x);
uint32_t mls_tm_right(uint32_t x);
/* Parent and sibling of a non-root node. */
uint32_t mls_tm_parent(uint32_t x);
uint32_t mls_tm_sibling(uint32_t x);
bool mls_tm_is_leaf(uint32_t x);
/* The direct path of node x (parents up to and including the root, root
 * excluded when x is the root: then it is empty), and its copath (the
 * siblings of x and of each direct-path node but the root). out holds
 * MLS_TM_MAX_DEPTH entries; returns the count. */
uint32_t mls_tm_direct_path(uint32_t x, uint32_t n_leaves, uint32_t out[MLS_TM_MAX_DEPTH]);
uint32_t mls_tm_copath(uint32_t x, uint32_t n_leaves, uint32_t out[MLS_TM_MAX_DEPTH]);
/* True when node a is in the subtree rooted at node b. */
bool mls_tm_in_subtree(uint32_t a, uint32_t b);

#endif
