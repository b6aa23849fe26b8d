/*
 * msg_proposal.h: Proposal and ProposalOrRef (RFC 9420 sections 12.1, 12.4),
 * syntax only.
 *
 *   struct { ProposalType proposal_type; select (proposal_type) {
 *       case add: Add;  case update: Update;  case remove: Remove;
 *       case psk: PreSharedKey;  case reinit: ReInit;
 *       case external_init: ExternalInit;
 *       case group_context_extensions: GroupContextExtensions; }; } Proposal;
 *   Add { KeyPackage key_package; }     Update { LeafNode leaf_node; }
 *   Remove { uint32 removed; }          PreSharedKey { PreSharedKeyID psk; }
 *   ReInit { opaque group_id<V>; ProtocolVersion version;
 *            CipherSuite cipher_suite; Extension extensions<V>; }
 *   ExternalInit { opaque kem_output<V>; }
 *   GroupContextExtensions { Extension extensions<V>; }
 *   struct { ProposalOrRefType type; select (type) {
 *       case proposal: Proposal proposal; case reference: ProposalRef reference;
 *   }; } ProposalOrRef;
 *
 * Strictness: a proposal type outside 1..7 cannot be delimited (the select
 * has no default arm) and is CR_ERR_MALFORMED, as is a ProposalOrRefType
 * other than proposal(1) / reference(2). The bodies are also exposed alone
 * (mls_proposal_body_read/_write with a type) because RFC 9420's test
 * vectors serialize them so.
 * Conventions (read/decode/write, spans, mls_vec): see msg_common.h.
 */
#ifndef ECHOVER_MLS_MSG_PROPOSAL_H
#define ECHOVER_MLS_MSG_PROPOSAL_H

#include "msg_common.h"
#include "msg_keypackage.h"

/* RFC 9420 section 17.4: ProposalType. */
enum {
	MLS_PROPOSAL_ADD = 1,
	MLS_PROPOSAL_UPDATE = 2,
	MLS_PROPOSAL_REMOVE = 3,
	MLS_PROPOSAL_PSK = 4,
	MLS_PROPOSAL_REINIT = 5,
	MLS_PROPOSAL_EXTERNAL_INIT = 6,
	MLS_PROPOSAL_GROUP_CONTEXT_EXTENSIONS = 7,
};

/* RFC 9420 section 12.4: ProposalOrRefType. */
enum { MLS_POR_PROPOSAL = 1, MLS_POR_REFERENCE = 2 };

typedef struct mls_reinit {
	cr_span group_id;
	uint16_t version;
	uint16_t cipher_suite;
	mls_vec extensions;
} mls_reinit;

typedef struct mls_proposal {
	uint16_t type;
	union {
		mls_key_package add;          /* Add.key_package */
		cr_span update_leaf;          /* Update.leaf_node, checked encoding */
		uint32_t remove;              /* Remove.removed (a leaf index) */
		mls_psk_id psk;               /* PreSharedKey.psk */
		mls_reinit reinit;
		cr_span external_init;        /* ExternalInit.kem_output */
		mls_vec gce;                  /* GroupContextExtensions.extensions */
	} u;
} mls_proposal;

typedef struct mls_proposal_or_ref {
	uint8_t type;
	mls_proposal proposal;               /* type == MLS_POR_PROPOSAL */
	cr_span reference;                   /* type == MLS_POR_REFERENCE, at most MLS_MAX_HASH */
} mls_proposal_or_ref;

/* The body of a proposal of the given type (Add, Update, ...), without
 * the proposal_type field; out->type is set to type. */
cr_err mls_proposal_body_read(cr_reader *r, uint16_t type, mls_proposal *out) CR_MUST_CHECK;
cr_err mls_proposal_body_decode(const uint8_t *p, size_t n, uint16_t type, mls_proposal *out) CR_MUST_CHECK;
void mls_proposal_body_write(cr_writer *w, const mls_proposal *pr);

cr_err mls_proposal_read(cr_reader *r, mls_proposal *out) CR_MUST_CHECK;
cr_err mls_proposal_decode(const uint8_t *p, size_t n, mls_proposal *out) CR_MUST_CHECK;
void mls_proposal_write(cr_writer *w, const mls_proposal *pr);

cr_err mls_proposal_or_ref_read(cr_reader *r, mls_proposal_or_ref *out) CR_MUST_CHECK;
void mls_proposal_or_ref_write(cr_writer *w, const mls_proposal_or_ref *por);

#endif
