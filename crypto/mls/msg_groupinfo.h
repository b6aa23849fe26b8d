/*
 * msg_groupinfo.h: GroupInfo (RFC 9420 section 12.4.3), syntax only.
 *
 *   struct { GroupContext group_context; Extension extensions<V>;
 *            MAC confirmation_tag; uint32 signer; opaque signature<V>;
 *   } GroupInfo;
 *
 * The GroupContext is key_schedule.h's (mls_group_context_read/_write:
 * version mls10 and suite 0x0001 only, hashes of Nh bytes); this reader
 * also checks that its extensions are a well-formed Extension list
 * (at most MLS_MAX_EXTENSIONS). The signature is not checked here (that
 * needs the signer's leaf): mls_group_info_tbs_write gives the bytes it
 * covers.
 * Conventions (read/decode/write, spans, mls_vec): see msg_common.h.
 */
#ifndef ECHOVER_MLS_MSG_GROUPINFO_H
#define ECHOVER_MLS_MSG_GROUPINFO_H

#include "key_schedule.h"
#include "msg_common.h"

typedef struct mls_group_info {
	mls_group_context group_context;
	mls_vec extensions;
	cr_span confirmation_tag;          /* MAC, at most MLS_MAX_HASH */
	uint32_t signer;
	cr_span signature;                 /* at most MLS_MAX_SIGNATURE */
} mls_group_info;

cr_err mls_group_info_read(cr_reader *r, mls_group_info *out) CR_MUST_CHECK;
cr_err mls_group_info_decode(const uint8_t *p, size_t n, mls_group_info *out) CR_MUST_CHECK;
void mls_group_info_write(cr_writer *w, const mls_group_info *gi);
/* GroupInfoTBS (section 12.4.3): every field but the signature. */
void mls_group_info_tbs_write(cr_writer *w, const mls_group_info *gi);

#endif
