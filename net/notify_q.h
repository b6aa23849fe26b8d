/*
 * notify_q.h: the NOTIFY frames one server connection still has to send
 * (net/PROTOCOL.md, "Notifications"), bounded and coalesced.
 *
 * A NOTIFY only says "group G has entries up to position P": a newer one for
 * the same group replaces an older one still queued, so a burst of posts
 * costs a reader one frame per group. The queue holds at most
 * NT_NOTIFY_Q_MAX groups; beyond, a notification is dropped (counted), which
 * loses nothing: the client FETCHes from its acknowledged position anyway.
 * So a slow reader never grows the server's memory.
 */
#ifndef ECHOVER_NT_NOTIFY_Q_H
#define ECHOVER_NT_NOTIFY_Q_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "nt_proto.h"

#define NT_NOTIFY_Q_MAX 16

typedef struct nt_notify_q {
	size_t n;
	struct {
		uint8_t gid[NT_GROUP_ID_MAX];
		size_t gid_len;
		uint64_t position;
	} e[NT_NOTIFY_Q_MAX];
	uint64_t dropped;        /* notifications left out because the queue was full */
} nt_notify_q;

void nt_notify_q_init(nt_notify_q *q);
/* Queues (or coalesces into the queued one of the same group, keeping the
 * higher position); false when dropped (full, or gid not 1..64 bytes). */
bool nt_notify_q_push(nt_notify_q *q, const uint8_t *gid, size_t gid_len, uint64_t position);
/* Appends every queued notification to w as a NOTIFY frame (id 0), oldest
 * first, and empties the queue. */
void nt_notify_q_flush(nt_notify_q *q, cr_writer *w, uint32_t frame_max);
/* One NOTIFY frame. */
void nt_write_notify(cr_writer *w, const uint8_t *gid, size_t gid_len, uint64_t position, uint32_t frame_max);

#endif
