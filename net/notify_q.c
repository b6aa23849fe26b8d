/*
 * notify_q.c: the bounded, coalescing NOTIFY queue (notify_q.h).
 */
#include "notify_q.h"

#include <string.h>

#include "frame.h"

void nt_notify_q_init(nt_notify_q *q)
{
	memset(q, 0, sizeof *q);
}

bool nt_notify_q_push(nt_notify_q *q, const uint8_t *gid, size_t gid_len, uint64_t position)
{
	if (gid_len < 1 || gid_len > NT_GROUP_ID_MAX) {
		q->dropped++;
		return false;
	}
	for (size_t i = 0; i < q->n; i++) {
		if (q->e[i].gid_len == gid_len && memcmp(q->e[i].gid, gid, gid_len) == 0) {
			if (position > q->e[i].position)
				q->e[i].position = position;
			return true;
		}
	}
	if (q->n == NT_NOTIFY_Q_MAX) {
		q->dropped++;
		return false;
	}
	memcpy(q->e[q->n].gid, gid, gid_len);
	q->e[q->n].gid_len = gid_len;
	q->e[q->n].position = position;
	q->n++;
	return true;
}

void nt_write_notify(cr_writer *w, const uint8_t *gid, size_t gid_len, uint64_t position, uint32_t frame_max)
{
	size_t m = nt_frame_begin(w, NT_NOTIFY);
	cr_write_u32(w, 0);
	cr_write_opaque(w, gid, gid_len);
	cr_write_u64(w, position);
	nt_frame_end(w, m, frame_max);
}

void nt_notify_q_flush(nt_notify_q *q, cr_writer *w, uint32_t frame_max)
{
	for (size_t i = 0; i < q->n; i++)
		nt_write_notify(w, q->e[i].gid, q->e[i].gid_len, q->e[i].position, frame_max);
	q->n = 0;
}
