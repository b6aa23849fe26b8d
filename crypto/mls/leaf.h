/*
 * leaf.h: the LeafNode and ParentNode of the MLS ratchet tree (RFC 9420
 * sections 5.3, 7.1, 7.2), for cipher suite 0x0001 (X25519 HPKE keys and
 * Ed25519 signature keys, both 32 bytes; SHA-256 hashes).
 *
 *   struct {
 *       HPKEPublicKey encryption_key;        opaque<V>, 32 bytes here
 *       SignaturePublicKey signature_key;    opaque<V>, 32 bytes here
 *       Credential credential;               uint16 type + body
 *       Capabilities capabilities;           five uint16 vectors
 *       LeafNodeSource leaf_node_source;     uint8: 1 key_package, 2 update, 3 commit
 *       select (leaf_node_source) {
 *           case key_package: Lifetime lifetime;        uint64 not_before, not_after
 *           case update:      struct {};
 *           case commit:      opaque parent_hash<V>;
 *       };
 *       Extension extensions<V>;             uint16 type + opaque data<V>
 *       opaque signature<V>;
 *   } LeafNode;
 *
 * Ownership: a decoded mls_leaf_node OWNS a copy of its exact encoding
 * (enc, enc_len), and every cr_span in it points into that copy; so the
 * leaf outlives the input it was decoded from, and re-encoding it is
 * byte-exact by construction (messages must re-encode byte for byte). Free
 * with mls_leaf_free; copy with mls_leaf_copy. A zeroed struct is "no leaf"
 * and is safe to free.
 *
 * Strict, bounded decoding: every length is checked against what is left
 * and against MLS_LEAF_MAX_LEN before anything is allocated; keys of another
 * length than 32 bytes are CR_ERR_MALFORMED (suite 0x0001 only); credential
 * types other than basic (1) and x509 (2) cannot be delimited and are
 * CR_ERR_UNSUPPORTED; an unknown leaf_node_source is CR_ERR_MALFORMED;
 * capability lists must hold whole uint16 values, and the extension list
 * must be a well-formed list of Extension structs. Semantic checks
 * (signature, capabilities, lifetime, uniqueness) are in tree validation
 * (tree.h), which knows the group context.
 */
#ifndef ECHOVER_MLS_LEAF_H
#define ECHOVER_MLS_LEAF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "cr_err.h"

#define MLS_KEY_LEN 32          /* X25519 and Ed25519 public keys */
#define MLS_HASH_LEN 32         /* SHA-256 */
#define MLS_SIG_LEN 64          /* Ed25519 */
#define MLS_LEAF_MAX_LEN 65536  /* one encoded LeafNode (credentials included) */
#define MLS_GROUP_ID_MAX 256    /* group_id bytes accepted in a LeafNodeTBS */

#define MLS_CRED_BASIC 1
#define MLS_CRED_X509 2

typedef enum mls_leaf_source {
	MLS_SRC_KEY_PACKAGE = 1,
	MLS_SRC_UPDATE = 2,
	MLS_SRC_COMMIT = 3,
} mls_leaf_source;

/* Capabilities (RFC 9420 section 7.2): each span is the contents of a
 * uint16 vector (even length, big-endian items). */
typedef struct mls_capabilities {
	cr_span versions;
	cr_span cipher_suites;
	cr_span extensions;
	cr_span proposals;
	cr_span credentials;
} mls_capabilities;

typedef struct mls_leaf_node {
	uint8_t *enc;           /* owned, exact encoding */
	size_t enc_len;
	size_t tbs_len;         /* enc[0..tbs_len) are the fields before signature */
	uint8_t encryption_key[MLS_KEY_LEN];
	uint8_t signature_key[MLS_KEY_LEN];
	uint16_t credential_type;
	cr_span credential;     /* basic: identity; x509: contents of certificates<V> */
	mls_capabilities caps;
	uint8_t source;         /* mls_leaf_source */
	uint64_t not_before, not_after;  /* key_package only */
	cr_span parent_hash;    /* commit only */
	cr_span extensions;     /* contents of extensions<V> */
	cr_span signature;
} mls_leaf_node;

/* Reads one LeafNode from r into out (which it owns afterwards). On failure
 * out is zeroed and r is where it was. */
cr_err mls_leaf_decode(cr_reader *r, mls_leaf_node *out) CR_MUST_CHECK;
/* The whole of p[n] is exactly one LeafNode. */
cr_err mls_leaf_parse(const uint8_t *p, size_t n, mls_leaf_node *out) CR_MUST_CHECK;
/* Writes the exact encoding. */
void mls_leaf_encode(cr_writer *w, const mls_leaf_node *l);
cr_err mls_leaf_copy(mls_leaf_node *dst, const mls_leaf_node *src) CR_MUST_CHECK;
void mls_leaf_free(mls_leaf_node *l);

/* LeafNodeTBS (RFC 9420 section 7.2): the fields before the signature,
 * then, for update and commit sources, opaque group_id<V> and uint32
 * leaf_index. */
void mls_leaf_write_tbs(cr_writer *w, const mls_leaf_node *l, const uint8_t *group_id,
			size_t group_id_len, uint32_t leaf_index);

/* True when the uint16 list (a capabilities span) contains v. */
bool mls_u16_list_has(cr_span list, uint16_t v);
/* Finds an extension by type in an extension list's contents. */
cr_err mls_ext_find(cr_span exts, uint16_t type, cr_span *data) CR_MUST_CHECK;

/* The fields of a LeafNode to build (mls_leaf_build): spans are borrowed
 * for the call only. credential is the body after the type (basic: the
 * identity bytes, written as opaque<V>; x509: the raw certificates<V>
 * vector contents). caps spans are uint16 vector contents; extensions is
 * the extension list contents. */
typedef struct mls_leaf_fields {
	uint8_t encryption_key[MLS_KEY_LEN];
	uint8_t signature_key[MLS_KEY_LEN];
	uint16_t credential_type;
	cr_span credential;
	mls_capabilities caps;
	uint8_t source;
	uint64_t not_before, not_after;
	cr_span parent_hash;
	cr_span extensions;
} mls_leaf_fields;

/* Writes the TBS fields (everything before signature) of f. */
void mls_leaf_write_fields(cr_writer *w, const mls_leaf_fields *f);
/* Builds a LeafNode from f and an already computed signature. */
cr_err mls_leaf_assemble(const mls_leaf_fields *f, const uint8_t *sig, size_t sig_len,
			 mls_leaf_node *out) CR_MUST_CHECK;
/* The fields of a decoded leaf (spans point into l). */
void mls_leaf_fields_of(const mls_leaf_node *l, mls_leaf_fields *f);

/* Signs f with SignWithLabel(seed, "LeafNodeTBS", LeafNodeTBS) (section
 * 7.2; group_id and leaf_index are used for the update and commit sources
 * only) and assembles the leaf. */
cr_err mls_leaf_sign(const mls_leaf_fields *f, const uint8_t seed[32], const uint8_t *group_id,
		     size_t group_id_len, uint32_t leaf_index, mls_leaf_node *out) CR_MUST_CHECK;
/* Verifies the leaf's signature with its own signature_key (section 7.3).
 * CR_ERR_AUTH when it does not verify (a signature of another length than
 * 64 bytes included). */
cr_err mls_leaf_verify(const mls_leaf_node *l, const uint8_t *group_id, size_t group_id_len,
		       uint32_t leaf_index) CR_MUST_CHECK;

/*
 * ParentNode (RFC 9420 section 7.1):
 *   struct {
 *       HPKEPublicKey encryption_key;
 *       opaque parent_hash<V>;          empty or one SHA-256 output here
 *       uint32 unmerged_leaves<V>;      strictly increasing leaf indices
 *   } ParentNode;
 * The struct owns its unmerged list (malloc). A zeroed struct is empty.
 * Decoding bounds the unmerged list by max_leaves (the tree's leaf count)
 * and requires strictly increasing indices below it, so the list has at most
 * max_leaves entries and a membership test is a binary search.
 */
typedef struct mls_parent_node {
	uint8_t encryption_key[MLS_KEY_LEN];
	uint8_t parent_hash[MLS_HASH_LEN];
	size_t parent_hash_len;         /* 0 or MLS_HASH_LEN */
	uint32_t *unmerged;
	size_t n_unmerged;
	size_t cap_unmerged;
} mls_parent_node;

cr_err mls_parent_decode(cr_reader *r, uint32_t max_leaves, mls_parent_node *out) CR_MUST_CHECK;
void mls_parent_encode(cr_writer *w, const mls_parent_node *pn);
cr_err mls_parent_copy(mls_parent_node *dst, const mls_parent_node *src) CR_MUST_CHECK;
void mls_parent_free(mls_parent_node *pn);
bool mls_parent_has_unmerged(const mls_parent_node *pn, uint32_t leaf);
/* Inserts leaf in order (no-op when present). */
cr_err mls_parent_add_unmerged(mls_parent_node *pn, uint32_t leaf) CR_MUST_CHECK;

#endif
