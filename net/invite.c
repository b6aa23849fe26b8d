/*
 * invite.c: one-time registration codes (invite.h).
 */
#include "invite.h"

#include "hash.h"
#include "wipe.h"

/* 0..15 -> '0'..'9', 'a'..'f' without a branch or a table on the value. */
static char hex_digit(unsigned v)
{
	/* (9 - v) >> 8 is all ones when v > 9 (the subtraction wraps). */
	unsigned above9 = ((9u - v) >> 8) & 1u;
	return (char)('0' + v + above9 * ('a' - '0' - 10));
}

cr_err nt_invite_new(const cr_rng *rng, char code[NT_INVITE_CODE_LEN + 1], uint8_t hash[32])
{
	uint8_t raw[NT_INVITE_RAW_LEN];
	CR_TRY(cr_random(rng, raw, sizeof raw));
	size_t o = 0;
	for (size_t i = 0; i < 2 * NT_INVITE_RAW_LEN; i++) {
		if (i && i % 5 == 0)
			code[o++] = '-';
		unsigned nib = (i & 1) ? raw[i / 2] & 0x0fu : (unsigned)raw[i / 2] >> 4;
		code[o++] = hex_digit(nib);
	}
	code[o] = 0;
	cr_wipe(raw, sizeof raw);
	nt_invite_hash((const uint8_t *)code, NT_INVITE_CODE_LEN, hash);
	return CR_OK;
}

void nt_invite_hash(const uint8_t *code, size_t n, uint8_t hash[32])
{
	cr_sha256(hash, code, n);
}
