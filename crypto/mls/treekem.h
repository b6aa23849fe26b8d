/*
 * treekem.h: UpdatePath creation, encryption, merging and decryption
 * (RFC 9420 sections 7.4-7.6, 7.9), cipher suite 0x0001.
 *
 *   struct { opaque kem_output<V>; opaque ciphertext<V>; } HPKECiphertext;
 *   struct { HPKEPublicKey encryption_key;
 *            HPKECiphertext encrypted_path_secret<V>; } UpdatePathNode;
 *   struct { LeafNode leaf_node; UpdatePathNode nodes<V>; } UpdatePath;
 *
 * Sizes (suite 0x0001): path secrets are Nh = 32 bytes, so every
 * kem_output is 32 bytes and every ciphertext 48 (32 + the GCM tag); other
 * lengths are CR_ERR_MALFORMED. An UpdatePath has at most MLS_TM_MAX_DEPTH
 * nodes and each node at most MLS_TREE_MAX_LEAVES ciphertexts (a resolution
 * never has more entries than its subtree has leaves).
 *
 * Flow of a commit with a path (section 12.4.1 and 12.4.2):
 *   committer: apply proposals; mls_treekem_create (tree changed in
 *     place: new leaf, new path keys, parent hashes); compute the tree hash
 *     and the provisional GroupContext; mls_treekem_encrypt.
 *   receiver: apply proposals; mls_treekem_merge (checks the leaf's parent
 *     hash and signature); tree hash; GroupContext; mls_treekem_decrypt.
 * "excl" arguments are the sorted leaf indices added by the same commit,
 * left out of the resolutions encrypted to (section 7.6).
 *
 * Secrets: path secrets, node secrets and private keys are wiped on every
 * exit path; mls_tree_priv and mls_treekem_secrets must be wiped by their
 * owner with their _wipe functions.
 */
#ifndef ECHOVER_MLS_TREEKEM_H
#define ECHOVER_MLS_TREEKEM_H

#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "cr_err.h"
#include "leaf.h"
#include "rng.h"
#include "tree.h"

#define MLS_PATH_SECRET_LEN 32
#define MLS_KEM_OUT_LEN 32
#define MLS_PATH_CT_LEN (MLS_PATH_SECRET_LEN + 16)

typedef struct mls_hpke_ciphertext {
	uint8_t kem_output[MLS_KEM_OUT_LEN];
	uint8_t ciphertext[MLS_PATH_CT_LEN];
} mls_hpke_ciphertext;

typedef struct mls_update_path_node {
	uint8_t encryption_key[MLS_KEY_LEN];
	mls_hpke_ciphertext *cts;   /* owned */
	size_t n_cts;
} mls_update_path_node;

/* Owns everything (leaf encoding, ciphertext arrays); zeroed = empty. */
typedef struct mls_update_path {
	mls_leaf_node leaf;
	mls_update_path_node nodes[MLS_TM_MAX_DEPTH];
	uint32_t n_nodes;
} mls_update_path;

cr_err mls_update_path_read(cr_reader *r, mls_update_path *out) CR_MUST_CHECK;
cr_err mls_update_path_decode(const uint8_t *p, size_t n, mls_update_path *out) CR_MUST_CHECK;
void mls_update_path_write(cr_writer *w, const mls_update_path *up);
void mls_update_path_free(mls_update_path *up);

/* The private keys a member holds: its leaf's and those of parent nodes on
 * its direct path (at most MLS_TM_MAX_DEPTH). */
typedef struct mls_tree_priv {
	uint32_t leaf;
	uint8_t leaf_priv[MLS_KEY_LEN];
	uint32_t n;
	uint32_t node[MLS_TM_MAX_DEPTH];
	uint8_t priv[MLS_TM_MAX_DEPTH][MLS_KEY_LEN];
} mls_tree_priv;

void mls_tree_priv_wipe(mls_tree_priv *p);
/* Sets the private key of node x (a parent on p->leaf's direct path) from
 * its path secret: node_secret = DeriveSecret(path_secret, "node"), then
 * DeriveKeyPair (section 7.4). pub (may be NULL) receives the public key. */
cr_err mls_tree_priv_set_path_secret(mls_tree_priv *p, uint32_t x, const uint8_t path_secret[MLS_PATH_SECRET_LEN],
				     uint8_t pub[MLS_KEY_LEN]) CR_MUST_CHECK;
/* Every held private key belongs to a non-blank node of t whose public key
 * matches (the leaf's included). CR_ERR_INVALID if not. */
cr_err mls_tree_priv_check(const mls_tree_priv *p, const mls_tree *t) CR_MUST_CHECK;

/* The committer's secrets: one path secret per filtered-direct-path node,
 * and the commit secret. */
typedef struct mls_treekem_secrets {
	uint32_t n;
	uint32_t node[MLS_TM_MAX_DEPTH];
	uint8_t path_secret[MLS_TM_MAX_DEPTH][MLS_PATH_SECRET_LEN];
	uint8_t commit_secret[MLS_PATH_SECRET_LEN];
} mls_treekem_secrets;

void mls_treekem_secrets_wipe(mls_treekem_secrets *s);

/* Committer, step 1 (sections 7.4, 7.5, 7.9): blanks the direct path of
 * leaf me, draws a new leaf key pair and path secrets from rng, sets the
 * filtered direct path's public keys and parent hashes, and replaces the
 * leaf by one built from tmpl (its encryption_key, source and parent_hash
 * are set here) signed with sig_seed over group_id and me; tmpl may point
 * into me's current leaf in t (it is read before the leaf is replaced).
 * priv receives the new private keys (replacing the old ones), sec the path
 * secrets. On failure t and priv are unchanged. */
cr_err mls_treekem_create(mls_tree *t, uint32_t me, const mls_leaf_fields *tmpl,
			  const uint8_t sig_seed[32], const uint8_t *group_id, size_t group_id_len,
			  const cr_rng *rng, mls_tree_priv *priv, mls_treekem_secrets *sec) CR_MUST_CHECK;
/* Committer, step 2: the UpdatePath, encrypting each path secret to the
 * resolution (minus excl) of the copath child, with
 * EncryptWithLabel(pk, "UpdatePathNode", group_context, path_secret). */
cr_err mls_treekem_encrypt(const mls_tree *t, uint32_t me, const mls_treekem_secrets *sec,
			   const uint32_t *excl, size_t n_excl, const uint8_t *group_context,
			   size_t group_context_len, const cr_rng *rng, mls_update_path *out) CR_MUST_CHECK;

/* Receiver, step 1 (section 7.5 "merges UpdatePath into the tree"): the
 * path must have one node per filtered-direct-path node of sender; the
 * leaf must have source commit, the parent hash computed for it (7.9.2)
 * and a valid signature. On success the sender's direct path is blanked,
 * the path's keys set (unmerged lists emptied) and the leaf replaced; on
 * failure t is unchanged. The other LeafNode rules of section 7.3 (key
 * uniqueness, capabilities) are mls_tree_check_structure on the result. */
cr_err mls_treekem_merge(mls_tree *t, uint32_t sender, const mls_update_path *up, const uint8_t *group_id,
			 size_t group_id_len) CR_MUST_CHECK;
/* Receiver, step 2, on the merged tree: decrypts the path secret of the
 * lowest filtered-direct-path node above me->leaf (into path_secret, may
 * be NULL), derives the ones above and checks their public keys against the
 * path, and the commit secret. me is updated: keys of the sender's direct
 * path are dropped, the new ones stored. CR_ERR_AUTH when decryption fails,
 * CR_ERR_INVALID when a derived key differs. */
cr_err mls_treekem_decrypt(const mls_tree *t, uint32_t sender, const mls_update_path *up,
			   const uint32_t *excl, size_t n_excl, const uint8_t *group_context,
			   size_t group_context_len, mls_tree_priv *me,
			   uint8_t path_secret[MLS_PATH_SECRET_LEN],
			   uint8_t commit_secret[MLS_PATH_SECRET_LEN]) CR_MUST_CHECK;

#endif
