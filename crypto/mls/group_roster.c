/*
 * group_roster.c: who is in a group: each leaf's basic credential and
 * signature key (group.h). The client engine needs them to name the sender
 * of a message and to hold every member's signature key to the identity key
 * it pinned for that username.
 */
#include <string.h>

#include "group_int.h"

uint32_t mls_group_leaf_count(const mls_group *g)
{
	return g->cur.tree.n_leaves;
}

cr_err mls_group_member(const mls_group *g, uint32_t leaf, const uint8_t **identity, size_t *identity_len,
			uint8_t signature_key[MLS_SIG_PUB_LEN])
{
	CR_ENSURE(leaf < g->cur.tree.n_leaves, CR_ERR_NOT_FOUND);
	const mls_leaf_node *l = mls_tree_leaf(&g->cur.tree, leaf);
	CR_ENSURE(l != NULL, CR_ERR_NOT_FOUND);
	CR_ENSURE(l->credential_type == MLS_CRED_BASIC, CR_ERR_UNSUPPORTED);
	*identity = l->credential.p;
	*identity_len = l->credential.n;
	memcpy(signature_key, l->signature_key, MLS_SIG_PUB_LEN);
	return CR_OK;
}

size_t mls_group_remove_proposals(const mls_group *g, uint32_t *removed, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < g->n_props; i++) {
		if (n < cap)
			removed[n] = g->props[i].removed;
		n++;
	}
	return n;
}
