/*
 * msg_message.h: MLSMessage, the envelope of everything MLS sends (RFC 9420
 * section 6), syntax only.
 *
 *   struct { ProtocolVersion version = mls10; WireFormat wire_format;
 *       select (wire_format) { case mls_public_message: PublicMessage;
 *       case mls_private_message: PrivateMessage; case mls_welcome: Welcome;
 *       case mls_group_info: GroupInfo; case mls_key_package: KeyPackage; };
 *   } MLSMessage;
 *
 * version other than mls10 is CR_ERR_UNSUPPORTED; a wire_format outside
 * 1..5 cannot be delimited and is CR_ERR_MALFORMED. mls_message_decode
 * also refuses inputs above MLS_MAX_MESSAGE (CR_ERR_LIMIT) before reading.
 * Conventions (read/decode/write, spans, mls_vec): see msg_common.h.
 */
#ifndef ECHOVER_MLS_MSG_MESSAGE_H
#define ECHOVER_MLS_MSG_MESSAGE_H

#include "msg_common.h"
#include "msg_framing.h"
#include "msg_groupinfo.h"
#include "msg_keypackage.h"
#include "msg_welcome.h"

typedef struct mls_message {
	uint16_t version;
	uint16_t wire_format;
	union {
		mls_public_message public_message;
		mls_private_message private_message;
		mls_welcome welcome;
		mls_group_info group_info;
		mls_key_package key_package;
	} u;
} mls_message;

cr_err mls_message_read(cr_reader *r, mls_message *out) CR_MUST_CHECK;
cr_err mls_message_decode(const uint8_t *p, size_t n, mls_message *out) CR_MUST_CHECK;
void mls_message_write(cr_writer *w, const mls_message *m);
/* The same bytes as mls_message_write of an MLS 1.0 PublicMessage pm. */
void mls_message_write_public(cr_writer *w, const mls_public_message *pm);

#endif
