/*
 * group.h: the MLS group state machine (RFC 9420 sections 10, 11, 12, 13),
 * cipher suite 0x0001 only, pure computation (no I/O, randomness injected).
 *
 * Key packages (section 10): mls_keypackage_create makes a KeyPackage with
 * fresh init and encryption key pairs (from rng) for a caller-supplied
 * Ed25519 signature seed and a basic credential (the username);
 * mls_keypackage_validate checks one received (section 10.1).
 *
 * A member's view of a group is an mls_group (opaque, heap). Every call
 * that reads a peer's message validates it completely first (signature,
 * membership tag, epoch, proposal rules of 12.2, UpdatePath, tree rules,
 * confirmation tag) on copies; the state changes only once everything
 * passed, so a rejected message leaves the state exactly as it was.
 *
 * Pending commits: mls_group_commit (adds, removes, own update, and the
 * proposals received by reference in this epoch) builds a Commit
 * (an MLSMessage/PublicMessage) and, when members are added, a Welcome;
 * the new epoch is kept aside. The caller sends the commit to the server
 * and then either mls_group_commit_confirm (accepted: the group moves to
 * the new epoch) or mls_group_commit_discard (refused, for example because
 * another member's commit for the same epoch won: the state is unchanged,
 * the caller processes the winning commit and may commit again). While a
 * commit is pending, mls_group_process and mls_group_encrypt still work in
 * the current epoch; a processed commit drops the pending one.
 *
 * Serialization: mls_group_serialize writes the whole state (tree,
 * private path keys, epoch secrets, secret-tree root secret and the
 * generations already used, transcript hashes, own leaf and signature
 * seed, pending proposals; never the pending commit) for the client's
 * sealed store; mls_group_deserialize reads it back strictly (it
 * replays the used ratchets, so keys of skipped, not yet received
 * generations do not survive a save: see group_state.c). The state holds
 * the epoch's encryption_secret, so it must be stored sealed.
 * Secrets are wiped when the group is freed.
 *
 * Costs, n members: a commit or its processing changes the group's tree in
 * place under an undo journal (tree_journal.h: O(changed nodes), no copy of
 * the tree), recomputes tree hashes along changed paths only, and checks
 * the changed keys' uniqueness in one O(n) pass of hash probes. A commit
 * that adds members signs and encrypts a GroupInfo carrying the whole tree,
 * so its Welcome costs O(n) hashing (SHA-512 twice for the signature,
 * SHA-256 for the HPKE context, AES-GCM), which dominates at 10 000;
 * mls_group_commit_ex with MLS_COMMIT_TREE_OUT_OF_BAND leaves the tree out
 * of the GroupInfo and returns it apart: the Welcome is then O(1) and the
 * commit O(n) only in writing the tree's bytes once (into a buffer of its
 * exact size) and in the key-uniqueness pass. At 10 000 members that is
 * 9x fewer instructions; what remains is mostly TreeKEM (an HPKE
 * encryption per copath resolution node, a key pair per path node).
 */
#ifndef ECHOVER_MLS_GROUP_H
#define ECHOVER_MLS_GROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cr_err.h"
#include "rng.h"
#include "suite.h"

/* username bytes of the basic credential */
#define MLS_IDENTITY_MAX 256

/* The private half of a KeyPackage, kept by its owner until a Welcome
 * consumes it. */
typedef struct mls_kp_secrets {
	uint8_t init_priv[MLS_HPKE_KEY_LEN];
	uint8_t enc_priv[MLS_HPKE_KEY_LEN];
} mls_kp_secrets;

void mls_kp_secrets_wipe(mls_kp_secrets *s);

/* Creates a KeyPackage (the bare struct, not wrapped in an MLSMessage):
 * *kp is malloc'ed (caller frees), sec receives the private keys. The leaf
 * has lifetime [not_before, not_after], capabilities listing version 1,
 * suite 1 and the basic credential. */
cr_err mls_keypackage_create(const uint8_t sig_seed[MLS_SIG_SEED_LEN], const uint8_t *identity,
			     size_t identity_len, uint64_t not_before, uint64_t not_after, const cr_rng *rng,
			     uint8_t **kp, size_t *kp_len, mls_kp_secrets *sec) CR_MUST_CHECK;
/* Section 10.1: version, suite, leaf source key_package, leaf signature,
 * KeyPackage signature, init_key != encryption_key, basic credential,
 * capabilities; lifetime checked when now != 0. */
cr_err mls_keypackage_validate(const uint8_t *kp, size_t kp_len, uint64_t now) CR_MUST_CHECK;

typedef struct mls_group mls_group;

/* A new group of one member (epoch 0), from the caller's own KeyPackage
 * and its secrets. group_id at most MLS_MAX_GROUP_ID bytes. */
cr_err mls_group_create(mls_group **g, const uint8_t *group_id, size_t group_id_len,
			const uint8_t *kp, size_t kp_len, const mls_kp_secrets *kps,
			const uint8_t sig_seed[MLS_SIG_SEED_LEN], const cr_rng *rng) CR_MUST_CHECK;
/* Joins from a Welcome (an MLSMessage) with the KeyPackage it names and
 * its secrets (section 12.4.3.1): the GroupInfo must carry the ratchet_tree
 * extension. */
cr_err mls_group_join(mls_group **g, const uint8_t *welcome, size_t welcome_len, const uint8_t *kp,
		      size_t kp_len, const mls_kp_secrets *kps, const uint8_t sig_seed[MLS_SIG_SEED_LEN]) CR_MUST_CHECK;
/* An external pre-shared key a Welcome may name (RFC 9420 section 8.4). */
typedef struct mls_external_psk {
	const uint8_t *id;
	size_t id_len;
	const uint8_t *psk;
	size_t psk_len;
} mls_external_psk;
/* The same with the ratchet tree given out of band (ratchet_tree: an
 * optional<Node> ratchet_tree<V>, NULL to use the GroupInfo extension) and
 * external PSKs (resumption PSKs are CR_ERR_UNSUPPORTED). A given tree is
 * checked exactly like the extension's: decoded strictly, validated
 * (parent hashes, structure, leaf signatures), and its root hash compared
 * with the GroupInfo's tree_hash, which the GroupInfo signature covers
 * (CR_ERR_INVALID if they differ); it is used even if the GroupInfo also
 * carries one. */
cr_err mls_group_join_ex(mls_group **g, const uint8_t *welcome, size_t welcome_len, const uint8_t *kp,
			 size_t kp_len, const mls_kp_secrets *kps, const uint8_t sig_seed[MLS_SIG_SEED_LEN],
			 const uint8_t *ratchet_tree, size_t ratchet_tree_len, const mls_external_psk *psks,
			 size_t n_psks) CR_MUST_CHECK;
void mls_group_free(mls_group *g);

/* A Commit (section 12.4) adding the KeyPackages adds[n_adds], removing
 * leaves removes[n_removes], committing by reference every proposal kept
 * in this epoch (Add, Update, Remove; section 12.2: not our own Update,
 * only the latest Update of a member, none of a member being removed),
 * always with an UpdatePath (so it also updates the committer's leaf).
 * *commit: MLSMessage (PublicMessage); *welcome (NULL when nobody is
 * added, by value or by a kept Add; CR_ERR_ARG if welcome is NULL then):
 * MLSMessage (Welcome). Both malloc'ed. CR_ERR_STATE when a commit is
 * already pending; nothing changes until mls_group_commit_confirm. */
cr_err mls_group_commit(mls_group *g, const uint8_t *const *adds, const size_t *add_lens, size_t n_adds,
			const uint32_t *removes, size_t n_removes, const cr_rng *rng, uint8_t **commit,
			size_t *commit_len, uint8_t **welcome, size_t *welcome_len) CR_MUST_CHECK;
/* The same, with options: flags is 0 or MLS_COMMIT_TREE_OUT_OF_BAND.
 * With that flag, the Welcome's GroupInfo carries no ratchet_tree
 * extension (RFC 9420 section 12.4.3.3 lets the tree travel out of band):
 * *tree (malloc'ed; tree and tree_len required, CR_ERR_ARG otherwise) gets
 * the new epoch's tree, optional<Node> ratchet_tree<V>, the very bytes the
 * extension would have carried, for mls_group_join_ex (msg_welcome_tree.h
 * packs both into one buffer). *tree is NULL when there is no Welcome.
 * Without the flag this is mls_group_commit, and *tree (if given) NULL.
 * At 10 000 members the tree is 1.8 MB; left out, the GroupInfo's
 * signature and encryption cost O(1) instead of O(n) hashing. */
#define MLS_COMMIT_TREE_OUT_OF_BAND 1u
cr_err mls_group_commit_ex(mls_group *g, const uint8_t *const *adds, const size_t *add_lens, size_t n_adds,
			   const uint32_t *removes, size_t n_removes, unsigned flags, const cr_rng *rng,
			   uint8_t **commit, size_t *commit_len, uint8_t **welcome, size_t *welcome_len,
			   uint8_t **tree, size_t *tree_len) CR_MUST_CHECK;
cr_err mls_group_commit_confirm(mls_group *g) CR_MUST_CHECK;
void mls_group_commit_discard(mls_group *g);
bool mls_group_commit_pending(const mls_group *g);

/* Proposals (section 12.1) sent as PublicMessages, for any member to
 * commit by reference; each is also kept in the proposer's own state like
 * a received one, so that it recognises the commit covering it.
 * mls_group_process keeps received Add, Update and Remove proposals after
 * checking them (group_proposal.c); other types are CR_ERR_UNSUPPORTED.
 *
 * A Remove of one's own leaf (12.1.3): the proposer itself can then no
 * longer commit in this epoch (CR_ERR_INVALID). */
cr_err mls_group_propose_self_remove(mls_group *g, uint8_t **msg, size_t *msg_len) CR_MUST_CHECK;
/* An Add of the KeyPackage kp (12.1.1), which must be valid and not of a
 * member (CR_ERR_INVALID). */
cr_err mls_group_propose_add(mls_group *g, const uint8_t *kp, size_t kp_len, uint8_t **msg,
			     size_t *msg_len) CR_MUST_CHECK;
/* An Update of one's own leaf with a fresh encryption key from rng
 * (12.1.2); its private key is kept until a commit by another member
 * applies it (the proposer's own commits leave it out). */
cr_err mls_group_propose_update(mls_group *g, const cr_rng *rng, uint8_t **msg, size_t *msg_len) CR_MUST_CHECK;

typedef enum mls_processed {
	MLS_PROCESSED_PROPOSAL = 1,  /* stored for the next commit */
	MLS_PROCESSED_COMMIT = 2,    /* the group is in the next epoch */
	MLS_PROCESSED_REMOVED = 3,   /* a commit removed us: the group is inactive */
} mls_processed;

/* A handshake message (MLSMessage with a PublicMessage) of the current
 * epoch. A wrong epoch is CR_ERR_INVALID; on any error the state is
 * unchanged. One's own commit coming back is CR_ERR_STATE: the sender
 * applies it with mls_group_commit_confirm instead. */
cr_err mls_group_process(mls_group *g, const uint8_t *msg, size_t msg_len, mls_processed *what) CR_MUST_CHECK;

/* Application messages as PrivateMessage (section 6.3). *out malloc'ed. */
cr_err mls_group_encrypt(mls_group *g, const uint8_t *pt, size_t pt_len, const cr_rng *rng, uint8_t **out,
			 size_t *out_len) CR_MUST_CHECK;
/* *pt malloc'ed (caller wipes and frees); *sender the sender's leaf index.
 * A replayed or tampered message is refused, the state unchanged except
 * that the key of an authenticated message is consumed. */
cr_err mls_group_decrypt(mls_group *g, const uint8_t *msg, size_t msg_len, uint8_t **pt, size_t *pt_len,
			 uint32_t *sender) CR_MUST_CHECK;

uint64_t mls_group_epoch(const mls_group *g);
uint32_t mls_group_own_leaf(const mls_group *g);
bool mls_group_active(const mls_group *g);
/* Number of non-blank leaves. */
uint32_t mls_group_member_count(const mls_group *g);
/* Leaf index of the member whose basic credential is identity. */
cr_err mls_group_find_member(const mls_group *g, const uint8_t *identity, size_t identity_len,
			     uint32_t *leaf) CR_MUST_CHECK;
/* The roster (crypto/mls/group_roster.c): leaves are numbered
 * 0..mls_group_leaf_count() - 1, some blank. mls_group_member gives the
 * basic credential (the username: *identity borrows from the state, valid
 * until the state next changes) and the signature key of a non-blank leaf;
 * CR_ERR_NOT_FOUND for a blank or absent leaf, CR_ERR_UNSUPPORTED for
 * another credential type. */
uint32_t mls_group_leaf_count(const mls_group *g);
cr_err mls_group_member(const mls_group *g, uint32_t leaf, const uint8_t **identity, size_t *identity_len,
			uint8_t signature_key[MLS_SIG_PUB_LEN]) CR_MUST_CHECK;
/* The Remove proposals received (or made) in this epoch, which the next
 * commit will include: their removed leaves into removed[cap]; returns how
 * many there are (possibly more than cap). */
size_t mls_group_remove_proposals(const mls_group *g, uint32_t *removed, size_t cap);
void mls_group_epoch_authenticator(const mls_group *g, uint8_t out[MLS_NH]);
cr_err mls_group_export(const mls_group *g, uint8_t *out, size_t out_len, const uint8_t *label, size_t label_len,
			const uint8_t *context, size_t context_len) CR_MUST_CHECK;

/* Maximum serialized state (the tree of the largest group dominates). */
#define MLS_GROUP_STATE_MAX ((size_t)1 << 28)
cr_err mls_group_serialize(const mls_group *g, uint8_t **out, size_t *out_len) CR_MUST_CHECK;
cr_err mls_group_deserialize(mls_group **g, const uint8_t *p, size_t n) CR_MUST_CHECK;

#endif
