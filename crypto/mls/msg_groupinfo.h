/*
 * msg_groupinfo.h: GroupContext (RFC 9420 section 8.1) and GroupInfo
 * (section 12.4.3), syntax only.
 *
 *   struct { ProtocolVersion version = mls10; CipherSuite cipher_suite;
 *            opaque group_id<V>; uint64 epoch; opaque tree_hash<V>;
 *            opaque confirmed_transcript_hash<V>; Extension extensions<V>;
 *   } GroupContext;
 *   struct { GroupContext group_context; Extension extensions<V>;
 *            MAC confirmation_tag; uint32 signer; opaque signature<V>;
 *   } GroupInfo;
 *
 * version must be mls10 (anything else is CR_ERR_UNSUPPORTED: section 6
 * defines only mls10). The cipher suite is read as any uint16; the joiner
 * refuses suites it does not implement. The signature is not checked here
 * (that needs the signer's leaf): mls_group_info_tbs_write gives the bytes
 * it covers.
 * Conventions (read/decode/write, spans, mls_vec): see msg_common.h.
 */
#ifndef ECHOVER_MLS_MSG_GROUPINFO_H
#define ECHOVER_MLS_MSG_GROUPINFO_H

#include "msg_common.h"

typedef struct mls_group_context {
	uint16_t version;
	uint16_t cipher_suite;
	cr_span group_id;                  /* at most MLS_MAX_GROUP_ID */
	uint64_t epoch;
	cr_span tree_hash;                 /* at most MLS_MAX_HASH */
	cr_span confirmed_transcript_hash; /* at most MLS_MAX_HASH */
	mls_vec extensions;
} mls_group_context;

typedef struct mls_group_info {
	mls_group_context group_context;
	mls_vec extensions;
	cr_span confirmation_tag;          /* MAC, at most MLS_MAX_HASH */
	uint32_t signer;
	cr_span signature;                 /* at most MLS_MAX_SIGNATURE */
} mls_group_info;

cr_err mls_group_context_read(cr_reader *r, mls_group_context *out) CR_MUST_CHECK;
cr_err mls_group_context_decode(const uint8_t *p, size_t n, mls_group_context *out) CR_MUST_CHECK;
void mls_group_context_write(cr_writer *w, const mls_group_context *gc);

cr_err mls_group_info_read(cr_reader *r, mls_group_info *out) CR_MUST_CHECK;
cr_err mls_group_info_decode(const uint8_t *p, size_t n, mls_group_info *out) CR_MUST_CHECK;
void mls_group_info_write(cr_writer *w, const mls_group_info *gi);
/* GroupInfoTBS (section 12.4.3): every field but the signature. */
void mls_group_info_tbs_write(cr_writer *w, const mls_group_info *gi);

#endif
