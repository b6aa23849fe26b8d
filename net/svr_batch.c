/*
 * svr_batch.c: group commit (svr_batch.h).
 */
#include "svr_batch.h"

#include <stdlib.h>
#include <string.h>

void nt_svr_batch_init(nt_svr_batch *b, st_server *db)
{
	memset(b, 0, sizeof *b);
	b->db = db;
}

static void detach_members(nt_svr_batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		b->members[i].conn->batch = NULL;
}

void nt_svr_batch_free(nt_svr_batch *b)
{
	if (b->open) {
		/* Nothing of it was acknowledged: undo it whole. */
		detach_members(b);
		for (size_t i = 0; i < b->n; i++)
			nt_svr_conn_drop_output(b->members[i].conn, NT_E_INTERNAL);
		b->open = false;
		st_batch_rollback(b->db);
	}
	free(b->members);
	free(b->notes);
	memset(b, 0, sizeof *b);
}

cr_err nt_svr_batch_begin(nt_svr_batch *b)
{
	CR_ENSURE(!b->open, CR_ERR_STATE);
	CR_ENSURE(st_batch_begin(b->db) == ST_OK, CR_ERR_STATE);
	b->open = true;
	b->n = 0;
	b->n_notes = 0;
	return CR_OK;
}

/* Grows an array of elem-sized items to hold one more. */
static cr_err grow(void **p, size_t *cap, size_t n, size_t elem)
{
	if (n < *cap)
		return CR_OK;
	size_t nc = *cap ? 2 * *cap : 16;
	void *q = realloc(*p, nc * elem);
	CR_ENSURE(q != NULL, CR_ERR_NOMEM);
	*p = q;
	*cap = nc;
	return CR_OK;
}

cr_err nt_svr_batch_add(nt_svr_batch *b, nt_svr_conn *c, void *tag)
{
	CR_ENSURE(b->open, CR_ERR_STATE);
	if (c->batch == b)
		return CR_OK;
	CR_ENSURE(c->batch == NULL, CR_ERR_STATE);
	void *m = b->members;
	CR_TRY(grow(&m, &b->cap, b->n, sizeof *b->members));
	b->members = m;
	b->members[b->n] = (nt_svr_batch_member){ c, tag };
	b->n++;
	c->batch = b;
	return CR_OK;
}

void nt_svr_batch_remove(nt_svr_batch *b, nt_svr_conn *c)
{
	for (size_t i = 0; i < b->n; i++) {
		if (b->members[i].conn != c)
			continue;
		b->members[i] = b->members[b->n - 1];
		b->n--;
		break;
	}
	for (size_t i = 0; i < b->n_notes; i++)
		if (b->notes[i].origin == c)
			b->notes[i].origin = NULL;
	c->batch = NULL;
}

cr_err nt_svr_batch_note_append(nt_svr_batch *b, const nt_svr_conn *c, int64_t group, const uint8_t *gid,
				size_t gid_len, uint64_t position)
{
	CR_ENSURE(gid_len <= NT_GROUP_ID_MAX, CR_ERR_ARG);
	/* One hook call per group and batch: its members get one NOTIFY. */
	for (size_t i = 0; i < b->n_notes; i++) {
		nt_svr_batch_note *n = &b->notes[i];
		if (n->group != group || n->cfg != c->cfg)
			continue;
		if (position > n->position)
			n->position = position;
		/* Two origins: each must hear of the other's entry. */
		if (n->origin != c)
			n->origin = NULL;
		return CR_OK;
	}
	void *p = b->notes;
	CR_TRY(grow(&p, &b->cap_notes, b->n_notes, sizeof *b->notes));
	b->notes = p;
	nt_svr_batch_note *n = &b->notes[b->n_notes++];
	n->cfg = c->cfg;
	n->group = group;
	memcpy(n->gid, gid, gid_len);
	n->gid_len = gid_len;
	n->position = position;
	n->origin = c;
	return CR_OK;
}

cr_err nt_svr_batch_commit(nt_svr_batch *b)
{
	CR_ENSURE(b->open, CR_ERR_STATE);
	b->open = false;
	st_err e = st_batch_commit(b->db);
	detach_members(b);
	if (e != ST_OK) {
		b->failed++;
		for (size_t i = 0; i < b->n; i++)
			nt_svr_conn_drop_output(b->members[i].conn, NT_E_INTERNAL);
		b->n_notes = 0;
		return CR_ERR_STATE;
	}
	b->commits++;
	for (size_t i = 0; i < b->n_notes; i++) {
		const nt_svr_batch_note *n = &b->notes[i];
		if (n->cfg->appended)
			n->cfg->appended(n->cfg->hooks_ctx, n->group, n->gid, n->gid_len, n->position, n->origin);
	}
	b->n_notes = 0;
	return CR_OK;
}

size_t nt_svr_batch_size(const nt_svr_batch *b)
{
	return b->n;
}

void *nt_svr_batch_tag(const nt_svr_batch *b, size_t i)
{
	return i < b->n ? b->members[i].tag : NULL;
}
