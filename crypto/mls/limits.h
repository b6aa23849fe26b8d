/*
 * limits.h: every size bound of echover's MLS decoders, in one place.
 *
 * RFC 9420 leaves most vectors unbounded (opaque<V> may be up to 2^30 - 1
 * bytes). A decoder that accepted that much from a peer would let one
 * message pin a gigabyte, so every variable-length field read by
 * crypto/mls/ is checked against one of these maxima BEFORE anything is
 * read past its length prefix (a longer field is CR_ERR_LIMIT). Each limit
 * says why it has its value; raising one is a one-line change here, and the
 * #error checks below stop combinations that could not work.
 *
 * The bounds are generous for cipher suite 0x0001 (32-byte keys, 64-byte
 * signatures, 32-byte hashes) and still admit the fields of the other
 * RFC 9420 suites (P-521 keys of 133 bytes, SHA-512 MACs), so that the
 * syntax-only test vectors of every suite parse; the protocol layer then
 * refuses a suite other than 0x0001.
 */
#ifndef ECHOVER_MLS_LIMITS_H
#define ECHOVER_MLS_LIMITS_H

/* Members of one group (leaves of its ratchet tree). echover's groups are
 * chats of people; 4096 keeps a full tree (8191 nodes) and the Welcome
 * that names every member well under the 1 MiB frame limit of net/. */
#define MLS_MAX_MEMBERS 4096

/* Largest encoded MLS message accepted for decoding (the frame limit of
 * DESIGN.md section 4: every MLS message arrives in one frame). Bounds the
 * ratchet_tree extension, application data and ciphertexts below. */
#define MLS_MAX_MESSAGE (1u << 20)

/* group_id: chosen by the creator; echover uses 32 random bytes. 256
 * leaves room for other clients' naming schemes. */
#define MLS_MAX_GROUP_ID 256

/* Extensions in one list (GroupContext, GroupInfo, KeyPackage, ReInit,
 * GroupContextExtensions). RFC 9420 defines five types; 64 admits GREASE
 * values (section 13.5) and private extensions with room to spare. */
#define MLS_MAX_EXTENSIONS 64
/* extension_data of one extension: the ratchet_tree extension of a
 * GroupInfo carries the whole tree, so this is the message limit. */
#define MLS_MAX_EXTENSION_DATA MLS_MAX_MESSAGE

/* Proposals (by value or by reference) in one Commit. A commit that
 * removes or adds every member of the largest group is the worst honest
 * case; more than that can only be an attack. */
#define MLS_MAX_PROPOSALS MLS_MAX_MEMBERS

/* PreSharedKeyIDs in one GroupSecrets. The PSK secret of RFC 9420 section
 * 8.4 chains one HKDF per PSK; echover injects at most a few. */
#define MLS_MAX_PSKS 32
/* psk_id of an external PSK and psk_nonce (KDF.Nh bytes, at most 64 for
 * SHA-512 suites). */
#define MLS_MAX_PSK_ID 256
#define MLS_MAX_PSK_NONCE 64

/* EncryptedGroupSecrets in one Welcome: one per new member. */
#define MLS_MAX_WELCOME_SECRETS MLS_MAX_MEMBERS

/* Hash outputs (HashReference, tree hashes, transcript hashes, MACs,
 * secrets): 64 bytes is SHA-512, the largest hash of RFC 9420's suites. */
#define MLS_MAX_HASH 64
/* HPKE public keys and KEM outputs: 133 bytes is an uncompressed P-521
 * point, the largest KEM of RFC 9420's suites. */
#define MLS_MAX_HPKE_KEY 133
/* Signatures: an ECDSA P-521 signature in DER is at most 139 bytes. */
#define MLS_MAX_SIGNATURE 160

/* authenticated_data of a message: echover sends none; 4 KiB admits
 * other clients' routing hints. */
#define MLS_MAX_AAD 4096
/* application_data, and the ciphertexts that carry it or a handshake
 * message: bounded by the message limit. */
#define MLS_MAX_CONTENT MLS_MAX_MESSAGE
/* ciphertext of a PrivateMessage: an encrypted PrivateMessageContent
 * (content, signature, tag, padding) fits in a message too. */
#define MLS_MAX_CIPHERTEXT MLS_MAX_MESSAGE
/* encrypted_sender_data: a SenderData (4 + 4 + 4 bytes) plus a GCM tag,
 * with room for a larger AEAD tag. */
#define MLS_MAX_SENDER_DATA_CT 64

#if MLS_MAX_MEMBERS < 2 || MLS_MAX_MEMBERS > (1 << 20)
#error "MLS_MAX_MEMBERS must be in 2 .. 2^20 (leaf indices are uint32, trees grow as 2n-1)"
#endif
#if MLS_MAX_MESSAGE > 0x3fffffff
#error "MLS_MAX_MESSAGE must fit an RFC 9420 varint length"
#endif
#if MLS_MAX_HASH < 32 || MLS_MAX_HPKE_KEY < 32 || MLS_MAX_SIGNATURE < 64
#error "limits below the sizes of cipher suite 0x0001"
#endif

#endif
