/*
 * rate_limit.c: leaky buckets for failed logins (rate_limit.h).
 */
#include "rate_limit.h"

#include <stdlib.h>
#include <string.h>

static cr_err table_init(nt_rate_table *t, uint32_t per_window, size_t cap)
{
	memset(t, 0, sizeof *t);
	t->per_window = per_window;
	if (per_window == 0)
		return CR_OK;
	CR_ENSURE(cap >= 1 && cap <= (1u << 20), CR_ERR_ARG);
	t->e = calloc(cap, sizeof *t->e);
	CR_ENSURE(t->e, CR_ERR_NOMEM);
	t->cap = cap;
	return CR_OK;
}

/* Drains e to now: per_window * 1000 units per NT_RATE_WINDOW seconds. */
static void drain(const nt_rate_table *t, nt_rate_entry *e, int64_t now)
{
	if (now <= e->last)
		return;
	uint64_t dt = (uint64_t)(now - e->last);
	uint64_t d = dt >= NT_RATE_WINDOW ? e->level : dt * t->per_window * 1000u / NT_RATE_WINDOW;
	e->level = d >= e->level ? 0 : e->level - d;
	e->last = now;
}

static nt_rate_entry *find(nt_rate_table *t, const uint8_t *k, size_t n)
{
	if (n > NT_RATE_KEY_MAX)
		n = NT_RATE_KEY_MAX;
	for (size_t i = 0; i < t->n; i++)
		if (t->e[i].key_len == n && memcmp(t->e[i].key, k, n) == 0)
			return &t->e[i];
	return NULL;
}

static nt_rate_entry *find_or_add(nt_rate_table *t, const uint8_t *k, size_t n, int64_t now)
{
	nt_rate_entry *e = find(t, k, n);
	if (e)
		return e;
	if (n > NT_RATE_KEY_MAX)
		n = NT_RATE_KEY_MAX;
	if (t->n < t->cap) {
		e = &t->e[t->n++];
	} else {
		e = &t->e[0];
		for (size_t i = 0; i < t->n; i++) {
			drain(t, &t->e[i], now);
			if (t->e[i].level < e->level)
				e = &t->e[i];
		}
	}
	memset(e, 0, sizeof *e);
	memcpy(e->key, k, n);
	e->key_len = (uint8_t)n;
	e->last = now;
	return e;
}

static bool limited(nt_rate_table *t, const uint8_t *k, size_t n, int64_t now)
{
	if (t->per_window == 0 || n == 0)
		return false;
	nt_rate_entry *e = find(t, k, n);
	if (!e)
		return false;
	drain(t, e, now);
	return e->level >= (uint64_t)t->per_window * 1000u;
}

static void charge(nt_rate_table *t, const uint8_t *k, size_t n, int64_t now)
{
	if (t->per_window == 0 || n == 0)
		return;
	nt_rate_entry *e = find_or_add(t, k, n, now);
	drain(t, e, now);
	e->level += 1000;
}

cr_err nt_rate_init(nt_rate *r, uint32_t per_addr, uint32_t per_user, size_t cap)
{
	memset(r, 0, sizeof *r);
	cr_err err = table_init(&r->addr, per_addr, cap);
	if (!err)
		err = table_init(&r->user, per_user, cap);
	if (err)
		nt_rate_free(r);
	return err;
}

void nt_rate_free(nt_rate *r)
{
	free(r->addr.e);
	free(r->user.e);
	memset(r, 0, sizeof *r);
}

nt_rate_verdict nt_rate_check(nt_rate *r, const uint8_t *addr, size_t addr_len, const uint8_t *user,
			      size_t user_len, int64_t now)
{
	if (limited(&r->addr, addr, addr_len, now))
		return NT_RATE_ADDR;
	if (limited(&r->user, user, user_len, now))
		return NT_RATE_USER;
	return NT_RATE_OK;
}

void nt_rate_fail(nt_rate *r, const uint8_t *addr, size_t addr_len, const uint8_t *user, size_t user_len,
		  int64_t now)
{
	charge(&r->addr, addr, addr_len, now);
	charge(&r->user, user, user_len, now);
}
