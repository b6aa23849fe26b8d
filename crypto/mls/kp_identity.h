/*
 * kp_identity.h: who a KeyPackage speaks for: the basic credential's
 * identity and the leaf's signature key (RFC 9420 sections 5.3.1, 10).
 *
 * A directory needs exactly these two fields (is this KeyPackage the
 * requester's? is its key the pinned one?) and nothing else of the leaf, so
 * they get one small accessor instead of callers walking the structures.
 * This reads syntax only: call mls_keypackage_validate (group.h) first for
 * the signatures and the rules of section 10.1.
 */
#ifndef ECHOVER_MLS_KP_IDENTITY_H
#define ECHOVER_MLS_KP_IDENTITY_H

#include <stddef.h>
#include <stdint.h>

#include "cr_err.h"
#include "leaf.h"

/* Copies the basic credential's identity (at most cap bytes, else
 * CR_ERR_LIMIT) into identity, its length into *len, and the leaf's
 * signature key into sig_key (may be NULL). CR_ERR_MALFORMED when kp is not
 * exactly one KeyPackage, CR_ERR_UNSUPPORTED for a credential other than
 * basic. Outputs are zeroed on failure. */
cr_err mls_keypackage_identity(const uint8_t *kp, size_t kp_len, uint8_t *identity, size_t cap, size_t *len,
			       uint8_t sig_key[MLS_KEY_LEN]) CR_MUST_CHECK;

#endif
