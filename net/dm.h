/*
 * dm.h: the group id of a direct-message (DM) group, computed the same way
 * by the server (which lets only DM_CREATE make such a group) and by both
 * clients (net/PROTOCOL.md, "Direct messages"):
 *
 *   "dm-" | lowercase hex of the first 16 bytes of
 *   SHA-256(NT_DM_LABEL | u8 len | name | u8 len | name)
 *
 * with the two names in byte order, so the pair, not who asks, names the
 * group. The length prefixes keep ("ab", "c") and ("a", "bc") apart.
 */
#ifndef ECHOVER_NT_DM_H
#define ECHOVER_NT_DM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cr_err.h"
#include "nt_proto.h"

/* out gets NT_DM_GID_LEN characters and a NUL. Names: 1..NT_USERNAME_MAX
 * bytes each (CR_ERR_ARG otherwise; out is then ""). */
cr_err nt_dm_gid(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len,
		 char out[NT_DM_GID_LEN + 1]) CR_MUST_CHECK;
/* True when gid starts with NT_DM_PREFIX (reserved for DM groups). */
bool nt_dm_is_dm(const uint8_t *gid, size_t n);

#endif
