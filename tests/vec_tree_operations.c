/*
 * vec_tree_operations.c: tree-operations.json (RFC 9420 section 12.1):
 * applies an Add, Update or Remove proposal to a ratchet tree and checks
 * the serialized result and the tree hashes before and after.
 */
#include <stdlib.h>
#include <string.h>

#include "msg_proposal.h"
#include "tree.h"
#include "vec.h"

static bool detect(json_t *root)
{
	static const char *const keys[] = { "tree_before", "proposal", "proposal_sender", "tree_after", NULL };
	return vec_mls_has_keys(root, keys);
}

static cr_err apply(mls_tree *t, const mls_proposal *pr, uint32_t sender)
{
	mls_leaf_node leaf;
	cr_err err;
	uint32_t idx;
	switch (pr->type) {
	case MLS_PROPOSAL_ADD:
		CR_TRY(mls_leaf_parse(pr->u.add.leaf_node.p, pr->u.add.leaf_node.n, &leaf));
		err = mls_tree_add_leaf(t, &leaf, &idx);
		mls_leaf_free(&leaf);
		return err;
	case MLS_PROPOSAL_UPDATE:
		CR_TRY(mls_leaf_parse(pr->u.update_leaf.p, pr->u.update_leaf.n, &leaf));
		err = mls_tree_update_leaf(t, sender, &leaf);
		mls_leaf_free(&leaf);
		return err;
	case MLS_PROPOSAL_REMOVE:
		return mls_tree_remove_leaf(t, pr->u.remove);
	default:
		return CR_ERR_UNSUPPORTED;
	}
}

static void run_case(json_t *c)
{
	size_t nb = 0, np = 0;
	uint64_t sender = 0;
	uint8_t *before = vec_hex(c, "tree_before", &nb);
	uint8_t *prop = vec_hex(c, "proposal", &np);
	mls_tree t = { 0 };
	mls_proposal pr;
	uint8_t h[MLS_HASH_LEN];
	if (!before || !prop || !vec_u64(c, "proposal_sender", &sender) || !CHECK(sender <= UINT32_MAX))
		goto out;
	if (!CHECK_OK(mls_tree_decode(before, nb, &t)) || !CHECK_OK(mls_proposal_decode(prop, np, &pr)))
		goto out;
	CHECK_OK(mls_tree_root_hash(&t, h));
	vec_check_hex(c, "tree_hash_before", h, sizeof h);
	if (!CHECK_OK(apply(&t, &pr, (uint32_t)sender)))
		goto out;
	cr_writer w;
	cr_writer_init_dynamic(&w, MLS_TREE_MAX_ENC);
	mls_tree_encode(&w, &t);
	CHECK_OK(cr_writer_error(&w));
	vec_check_hex(c, "tree_after", w.p, w.len);
	cr_writer_free(&w);
	/* The cached hashes, updated along the changed paths only, must
	 * equal a fresh computation over the re-decoded tree. */
	CHECK_OK(mls_tree_root_hash(&t, h));
	vec_check_hex(c, "tree_hash_after", h, sizeof h);
	size_t na = 0;
	uint8_t *after = vec_hex(c, "tree_after", &na);
	mls_tree t2 = { 0 };
	uint8_t h2[MLS_HASH_LEN];
	if (after && CHECK_OK(mls_tree_decode(after, na, &t2)) && CHECK_OK(mls_tree_root_hash(&t2, h2)))
		CHECK_MEM(h, h2, sizeof h);
	mls_tree_free(&t2);
	free(after);
out:
	mls_tree_free(&t);
	free(before);
	free(prop);
}

static void run(json_t *root, const char *path)
{
	(void)path;
	vec_each_suite1_case(root, "tree-operations", run_case);
}

const vec_runner vec_tree_operations = { "tree-operations", detect, run };
