/*
 * wipe.h: secret hygiene.
 *
 * cr_wipe() zeroes memory in a way the compiler may not elide (libsodium's
 * sodium_memzero). cr_ct_equal() compares in time that depends only on the
 * length, never on the contents (libsodium's sodium_memcmp): use it for every
 * MAC, tag, key or password-hash comparison.
 */
#ifndef ECHOVER_WIPE_H
#define ECHOVER_WIPE_H

#include <stdbool.h>
#include <stddef.h>

void cr_wipe(void *p, size_t n);
bool cr_ct_equal(const void *a, const void *b, size_t n);

#endif
