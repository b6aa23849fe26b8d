/*
 * psk.h: pre-shared keys in the MLS key schedule (RFC 9420 8.4): the
 * PreSharedKeyID structure and the chained psk_secret.
 *
 *   psk_extracted_[i] = KDF.Extract(0, psk_[i])
 *   psk_input_[i]     = ExpandWithLabel(psk_extracted_[i], "derived psk", PSKLabel, Nh)
 *   psk_secret_[0]    = 0;  psk_secret_[i] = KDF.Extract(salt = psk_input_[i-1], ikm = psk_secret_[i-1])
 *   PSKLabel          = { PreSharedKeyID id; uint16 index; uint16 count; }
 *
 * With no PSK the psk_secret is Nh zero bytes. The cost is linear in the
 * number of PSKs (at most MLS_PSK_COUNT_MAX, the uint16 count).
 *
 * Decoding limits: psk_id at most MLS_PSK_ID_MAX bytes, psk_group_id at most
 * MLS_PSK_GROUP_ID_MAX, and psk_nonce exactly Nh bytes ("The psk_nonce MUST
 * be of length KDF.Nh", RFC 9420 8.4). psktype must be external (1) or
 * resumption (2), usage application (1), reinit (2) or branch (3).
 */
#ifndef ECHOVER_MLS_PSK_H
#define ECHOVER_MLS_PSK_H

#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "cr_err.h"
#include "msg_common.h"
#include "suite.h"

/* PreSharedKeyID (mls_psk_id) and its codec are message structures: see
 * msg_common.h. */
#define MLS_PSK_COUNT_MAX 0xffff

/* One PSK: its identifier and its secret value. */
typedef struct mls_psk {
	mls_psk_id id;
	const uint8_t *psk;
	size_t psk_len;
} mls_psk;

/* psk_secret over psks[count] in order (count 0: zeros). */
cr_err mls_psk_secret(uint8_t out[MLS_NH], const mls_psk *psks, size_t count) CR_MUST_CHECK;

#endif
