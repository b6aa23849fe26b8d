/*
 * msg_keypackage.h: KeyPackage (RFC 9420 section 10), syntax only.
 *
 *   struct { ProtocolVersion version; CipherSuite cipher_suite;
 *            HPKEPublicKey init_key; LeafNode leaf_node;
 *            Extension extensions<V>; opaque signature<V>; } KeyPackage;
 *
 * version must be mls10 (CR_ERR_UNSUPPORTED otherwise, section 6). The
 * LeafNode is parsed and checked by leaf.h (mls_leaf_decode) and kept
 * here as its validated encoding (leaf_node); mls_leaf_parse() on that span
 * gives its fields. The signature and the semantic rules of section 10.1
 * (leaf_node_source, init_key != encryption_key, ...) are checked by the
 * protocol layer; mls_key_package_tbs_write gives the signed bytes.
 * Conventions (read/decode/write, spans, mls_vec): see msg_common.h.
 */
#ifndef ECHOVER_MLS_MSG_KEYPACKAGE_H
#define ECHOVER_MLS_MSG_KEYPACKAGE_H

#include "msg_common.h"

typedef struct mls_key_package {
	uint16_t version;
	uint16_t cipher_suite;
	cr_span init_key;      /* at most MLS_MAX_HPKE_KEY */
	cr_span leaf_node;     /* one encoded LeafNode, checked by mls_leaf_decode */
	mls_vec extensions;
	cr_span signature;     /* at most MLS_MAX_SIGNATURE */
} mls_key_package;

/* Reads one LeafNode (strictly, through leaf.h) and returns the span of its
 * encoding in r's buffer. */
cr_err mls_leaf_node_span_read(cr_reader *r, cr_span *out) CR_MUST_CHECK;

cr_err mls_key_package_read(cr_reader *r, mls_key_package *out) CR_MUST_CHECK;
cr_err mls_key_package_decode(const uint8_t *p, size_t n, mls_key_package *out) CR_MUST_CHECK;
void mls_key_package_write(cr_writer *w, const mls_key_package *kp);
/* KeyPackageTBS (section 10): every field but the signature. */
void mls_key_package_tbs_write(cr_writer *w, const mls_key_package *kp);

#endif
