/*
 * dm.c: DM group ids (dm.h).
 */
#include "dm.h"

#include <string.h>

#include "hash.h"

static int name_cmp(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len)
{
	size_t n = a_len < b_len ? a_len : b_len;
	int c = memcmp(a, b, n);
	if (c)
		return c;
	return a_len < b_len ? -1 : a_len > b_len;
}

cr_err nt_dm_gid(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len, char out[NT_DM_GID_LEN + 1])
{
	out[0] = 0;
	CR_ENSURE(a_len >= 1 && a_len <= NT_USERNAME_MAX && b_len >= 1 && b_len <= NT_USERNAME_MAX, CR_ERR_ARG);
	if (name_cmp(a, a_len, b, b_len) > 0) {
		const uint8_t *t = a;
		size_t tn = a_len;
		a = b, a_len = b_len;
		b = t, b_len = tn;
	}
	uint8_t la = (uint8_t)a_len, lb = (uint8_t)b_len, h[32];
	cr_sha256_ctx ctx;
	cr_sha256_init(&ctx);
	cr_sha256_update(&ctx, (const uint8_t *)NT_DM_LABEL, sizeof NT_DM_LABEL - 1);
	cr_sha256_update(&ctx, &la, 1);
	cr_sha256_update(&ctx, a, a_len);
	cr_sha256_update(&ctx, &lb, 1);
	cr_sha256_update(&ctx, b, b_len);
	cr_sha256_final(&ctx, h);
	static const char hex[] = "0123456789abcdef";
	memcpy(out, NT_DM_PREFIX, sizeof NT_DM_PREFIX - 1);
	char *p = out + sizeof NT_DM_PREFIX - 1;
	for (size_t i = 0; i < 16; i++) {
		*p++ = hex[h[i] >> 4];
		*p++ = hex[h[i] & 15];
	}
	*p = 0;
	return CR_OK;
}

bool nt_dm_is_dm(const uint8_t *gid, size_t n)
{
	return n >= sizeof NT_DM_PREFIX - 1 && memcmp(gid, NT_DM_PREFIX, sizeof NT_DM_PREFIX - 1) == 0;
}
