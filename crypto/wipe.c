#include "wipe.h"

#include <sodium.h>

void cr_wipe(void *p, size_t n)
{
	if (p && n)
		sodium_memzero(p, n);
}

bool cr_ct_equal(const void *a, const void *b, size_t n)
{
	return sodium_memcmp(a, b, n) == 0;
}
