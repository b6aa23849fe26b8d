/*
 * online.c: the registry of logged-in connections (online.h).
 */
#include "online.h"

#include <stdlib.h>

struct nt_online_entry {
	int64_t user;
	void *conn;
	nt_online_entry *next;
};

#define BUCKETS_MIN 16u
#define BUCKETS_MAX (1u << 16)

cr_err nt_online_init(nt_online *o, size_t expected)
{
	size_t n = BUCKETS_MIN;
	while (n < expected && n < BUCKETS_MAX)
		n <<= 1;
	o->buckets = calloc(n, sizeof *o->buckets);
	o->n_buckets = o->buckets ? n : 0;
	o->count = 0;
	return o->buckets ? CR_OK : CR_ERR_NOMEM;
}

void nt_online_free(nt_online *o)
{
	for (size_t i = 0; i < o->n_buckets; i++) {
		for (nt_online_entry *e = o->buckets[i], *next; e; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(o->buckets);
	o->buckets = NULL;
	o->n_buckets = o->count = 0;
}

/* Fibonacci hashing: user ids are sequential, this spreads them. */
static size_t bucket(const nt_online *o, int64_t user)
{
	return (size_t)(((uint64_t)user * 0x9e3779b97f4a7c15ull) >> 32) & (o->n_buckets - 1);
}

cr_err nt_online_add(nt_online *o, int64_t user, void *conn)
{
	CR_ENSURE(user > 0 && o->n_buckets, CR_ERR_ARG);
	nt_online_entry *e = malloc(sizeof *e);
	CR_ENSURE(e, CR_ERR_NOMEM);
	size_t b = bucket(o, user);
	e->user = user;
	e->conn = conn;
	e->next = o->buckets[b];
	o->buckets[b] = e;
	o->count++;
	return CR_OK;
}

void nt_online_remove(nt_online *o, int64_t user, void *conn)
{
	if (!o->n_buckets)
		return;
	for (nt_online_entry **pp = &o->buckets[bucket(o, user)]; *pp; pp = &(*pp)->next) {
		nt_online_entry *e = *pp;
		if (e->user == user && e->conn == conn) {
			*pp = e->next;
			free(e);
			o->count--;
			return;
		}
	}
}

bool nt_online_has(const nt_online *o, int64_t user)
{
	if (!o->n_buckets)
		return false;
	for (const nt_online_entry *e = o->buckets[bucket(o, user)]; e; e = e->next)
		if (e->user == user)
			return true;
	return false;
}

void nt_online_each(const nt_online *o, int64_t user, void (*fn)(void *ctx, void *conn), void *ctx)
{
	if (!o->n_buckets)
		return;
	for (const nt_online_entry *e = o->buckets[bucket(o, user)]; e; e = e->next)
		if (e->user == user)
			fn(ctx, e->conn);
}
