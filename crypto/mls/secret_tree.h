/*
 * secret_tree.h: the MLS secret tree and its per-sender hash ratchets
 * (RFC 9420 9, 9.1, 9.2), plus the sender-data key and nonce (6.3.2).
 * Cipher suite 1: Nh = 32, Nk = 16, Nn = 12.
 *
 *   tree_node_[root]_secret = encryption_secret
 *   left  = ExpandWithLabel(parent, "tree", "left", Nh)
 *   right = ExpandWithLabel(parent, "tree", "right", Nh)
 *   {handshake,application}_ratchet_secret_[N]_[0] =
 *       ExpandWithLabel(tree_node_[N]_secret, "handshake" | "application", "", Nh)
 *   key_[j]    = DeriveTreeSecret(secret_[j], "key", j, Nk)
 *   nonce_[j]  = DeriveTreeSecret(secret_[j], "nonce", j, Nn)
 *   secret_[j+1] = DeriveTreeSecret(secret_[j], "secret", j, Nh)
 *
 * Laziness and cost: nothing is derived at creation, and nothing is stored
 * per leaf or per node until it is touched. The first use of a leaf derives
 * the path from the nearest stored ancestor down to the leaf (at most
 * log2(n) + 1 ExpandWithLabel calls) and stores the siblings met on the way.
 * Touched nodes live in an open-addressing hash table keyed by node index
 * (about 48 bytes a slot, at most half full, grown by doubling), so a tree
 * costs memory in proportion to the nodes used, not to n: a fresh epoch of a
 * 10,000-member group allocates a few KiB, not the 2n - 1 node slots of a
 * full array. A slot is never removed (its secret is wiped), so at most
 * 2n - 1 slots ever exist. A ratchet pair (about 100 bytes) is allocated at a
 * leaf's first use, and a ratchet's out-of-order window (WINDOW * 32 bytes)
 * at its first skipped generation. No step is quadratic:
 * a key costs O(log n) hashes the first time a leaf is used, O(1) after,
 * plus one hash chain step per skipped generation.
 *
 * Deletion schedule (RFC 9420 9.2), for forward secrecy:
 *   - a node secret is wiped as soon as both children's secrets exist;
 *   - a leaf's node secret is wiped once its two ratchet secrets exist;
 *   - a ratchet secret is replaced by the next one when its key is used;
 *   - a key and nonce are wiped once consumed; a consumed generation is
 *     refused afterwards (CR_ERR_INVALID), which also stops replays of the
 *     same (sender, generation).
 *
 * Out-of-order window (RFC 9420 9.2 leaves the policy to the application):
 *   - a receiver may jump ahead at most MLS_SECRET_TREE_MAX_FORWARD
 *     generations past the ratchet (CR_ERR_LIMIT), so a forged generation
 *     cannot force 2^32 hash steps;
 *   - the keys of skipped generations are kept, at most
 *     MLS_SECRET_TREE_WINDOW per ratchet; when more are skipped, the oldest
 *     are wiped first. A generation older than what is kept is refused
 *     (CR_ERR_INVALID).
 *
 * Leaf indices are < n; n is at most MLS_SECRET_TREE_MAX_LEAVES.
 */
#ifndef ECHOVER_MLS_SECRET_TREE_H
#define ECHOVER_MLS_SECRET_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cr_err.h"
#include "suite.h"

#define MLS_SECRET_TREE_MAX_LEAVES (1u << 20)
#define MLS_SECRET_TREE_MAX_FORWARD 1024
#define MLS_SECRET_TREE_WINDOW 32

typedef enum mls_ratchet_type {
	MLS_RATCHET_HANDSHAKE = 0,
	MLS_RATCHET_APPLICATION = 1,
} mls_ratchet_type;

struct mls_secret_slot; /* private: one touched node */

typedef struct mls_secret_tree {
	uint32_t n_leaves;
	uint32_t width;               /* 2 * n_leaves - 1 */
	struct mls_secret_slot *slot; /* hash table of touched nodes */
	uint32_t cap;                 /* slots, a power of two */
	uint32_t used;                /* slots holding a node */
} mls_secret_tree;

/* A key and nonce for one message. */
typedef struct mls_ratchet_key {
	uint32_t generation;
	uint8_t key[MLS_NK];
	uint8_t nonce[MLS_NN];
} mls_ratchet_key;

/* Creates the tree of n_leaves (1 .. MAX_LEAVES) rooted at encryption_secret.
 * On success the caller frees it with mls_secret_tree_free. */
cr_err mls_secret_tree_init(mls_secret_tree *t, const uint8_t encryption_secret[MLS_NH],
			    uint32_t n_leaves) CR_MUST_CHECK;
/* Wipes every secret and frees the storage; harmless on a zeroed struct. */
void mls_secret_tree_free(mls_secret_tree *t);

/* Sender side: the key of the ratchet's current generation; the ratchet
 * then moves on (RFC 9420 9.1). */
cr_err mls_secret_tree_next(mls_secret_tree *t, uint32_t leaf, mls_ratchet_type type,
			    mls_ratchet_key *out) CR_MUST_CHECK;
/* Receiver side, in two steps, so that a forged message (any member can
 * write sender data) cannot burn keys: peek gives the key of a generation
 * within the window above and changes no ratchet; consume, called once the
 * message authenticated, deletes that key and moves the ratchet (keeping
 * the skipped generations' keys). A jump costs its hash steps twice. */
cr_err mls_secret_tree_peek(mls_secret_tree *t, uint32_t leaf, mls_ratchet_type type, uint32_t generation,
			    mls_ratchet_key *out) CR_MUST_CHECK;
cr_err mls_secret_tree_consume(mls_secret_tree *t, uint32_t leaf, mls_ratchet_type type,
			       uint32_t generation) CR_MUST_CHECK;
/* peek then consume at once (when nothing can fail between them). */
cr_err mls_secret_tree_get(mls_secret_tree *t, uint32_t leaf, mls_ratchet_type type, uint32_t generation,
			   mls_ratchet_key *out) CR_MUST_CHECK;
/* The next generation the ratchet would hand out (0 for an unused leaf). */
cr_err mls_secret_tree_generation(const mls_secret_tree *t, uint32_t leaf, mls_ratchet_type type,
				  uint32_t *generation) CR_MUST_CHECK;
void mls_ratchet_key_wipe(mls_ratchet_key *k);
/* How many node secrets the tree holds now (not yet consumed into children
 * or ratchets): the deletion schedule made visible, for tests. */
uint32_t mls_secret_tree_held(const mls_secret_tree *t);

/* sender_data key and nonce from the first Nh bytes of the ciphertext (all
 * of it when shorter), RFC 9420 6.3.2. */
cr_err mls_sender_data_key_nonce(uint8_t key[MLS_NK], uint8_t nonce[MLS_NN],
				 const uint8_t sender_data_secret[MLS_NH], const uint8_t *ciphertext,
				 size_t ct_len) CR_MUST_CHECK;

#endif
