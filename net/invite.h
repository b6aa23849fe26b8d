/*
 * invite.h: one-time registration codes (the operator's `echover server
 * invite`), DESIGN.md section 1 "Registration control".
 *
 * A code is 10 random bytes (80 bits) in lowercase hex, in four groups of
 * five characters: "3f9a0-c41d2-77be0-19a4c" (23 characters). The server keeps
 * only SHA-256 of the exact code text, so a leaked database does not leak
 * unused codes. Hex is computed without table lookups or branches on the
 * secret bytes (constant time).
 */
#ifndef ECHOVER_NT_INVITE_H
#define ECHOVER_NT_INVITE_H

#include <stddef.h>
#include <stdint.h>

#include "cr_err.h"
#include "rng.h"

#define NT_INVITE_RAW_LEN 10
#define NT_INVITE_CODE_LEN 23

/* A fresh code (NUL-terminated) and the hash the store keeps. */
cr_err nt_invite_new(const cr_rng *rng, char code[NT_INVITE_CODE_LEN + 1], uint8_t hash[32]) CR_MUST_CHECK;
/* The stored form of a code as the user typed it. */
void nt_invite_hash(const uint8_t *code, size_t n, uint8_t hash[32]);

#endif
