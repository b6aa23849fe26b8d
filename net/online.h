/*
 * online.h: the server's registry of who is online: user id -> the
 * logged-in connections of that user (a user may be logged in from several
 * devices at once). The event loop adds a connection when its LOGIN
 * succeeds and removes it when it closes; PRESENCE, MEMBER_LIST and the
 * NOTIFY fan-out read it.
 *
 * A chained hash table with a fixed number of buckets chosen at init (the
 * loop sizes it from its connection limit), one small allocation per
 * logged-in connection, so memory is bounded by the connection limit.
 * Connections are opaque pointers: the registry never dereferences them.
 */
#ifndef ECHOVER_NT_ONLINE_H
#define ECHOVER_NT_ONLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cr_err.h"

typedef struct nt_online_entry nt_online_entry;

typedef struct nt_online {
	nt_online_entry **buckets;
	size_t n_buckets;        /* a power of two */
	size_t count;            /* connections registered */
} nt_online;

/* expected: about how many connections will be registered at once. */
cr_err nt_online_init(nt_online *o, size_t expected) CR_MUST_CHECK;
void nt_online_free(nt_online *o);
/* Registers conn as a connection of user (user > 0). CR_ERR_NOMEM. */
cr_err nt_online_add(nt_online *o, int64_t user, void *conn) CR_MUST_CHECK;
/* Unregisters conn; harmless when it is not registered. */
void nt_online_remove(nt_online *o, int64_t user, void *conn);
/* Whether user has at least one registered connection. */
bool nt_online_has(const nt_online *o, int64_t user);
/* Calls fn for each connection of user (fn must not change the registry). */
void nt_online_each(const nt_online *o, int64_t user, void (*fn)(void *ctx, void *conn), void *ctx);

#endif
