#include "demo_probe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keystore.h"
#include "msg_message.h"
#include "st_client.h"
#include "st_server.h"
#include "wipe.h"

typedef struct latest {
	uint8_t kind;
	bool by_epoch;      /* only the entry of this epoch (the first) */
	uint64_t epoch;
	uint8_t *msg;
	size_t n;
	uint64_t pos;
	bool nomem;
} latest;

static st_err keep_latest(void *ctx, const st_log_entry *e)
{
	latest *l = ctx;
	if (e->kind != l->kind || (l->by_epoch && (e->epoch != l->epoch || l->msg)))
		return ST_OK;
	uint8_t *copy = malloc(e->n ? e->n : 1);
	if (!copy) {
		l->nomem = true;
		return ST_ERR_NOMEM;
	}
	memcpy(copy, e->data, e->n);
	free(l->msg);
	l->msg = copy;
	l->n = e->n;
	l->pos = e->pos;
	return ST_OK;
}

static cr_err server_find(const char *server_db, const char *gid, latest l, uint8_t **msg, size_t *n, uint64_t *pos)
{
	*msg = NULL;
	*n = 0;
	st_server *s = NULL;
	if (st_server_open(&s, server_db) != ST_OK) {
		st_server_close(s);
		return CR_ERR_STATE;
	}
	st_group g;
	cr_err e = CR_OK;
	if (st_group_get(s, (const uint8_t *)gid, strlen(gid), &g) != ST_OK) {
		e = CR_ERR_NOT_FOUND;
	} else {
		/* A demo's log is short: NT_FETCH_MAX entries at a time to the end. */
		uint64_t after = 0;
		while (e == CR_OK && after + 1 < g.next_pos) {
			if (st_log_fetch(s, g.id, after, 256, keep_latest, &l) != ST_OK)
				e = l.nomem ? CR_ERR_NOMEM : CR_ERR_STATE;
			after += 256;
		}
	}
	st_server_close(s);
	if (e == CR_OK && !l.msg)
		e = CR_ERR_NOT_FOUND;
	if (e != CR_OK) {
		free(l.msg);
		return e;
	}
	*msg = l.msg;
	*n = l.n;
	*pos = l.pos;
	return CR_OK;
}

cr_err nt_probe_server_latest(const char *server_db, const char *gid, uint8_t kind, uint8_t **msg,
			      size_t *n, uint64_t *pos)
{
	return server_find(server_db, gid, (latest){ .kind = kind }, msg, n, pos);
}

cr_err nt_probe_server_at_epoch(const char *server_db, const char *gid, uint8_t kind, uint64_t epoch, uint8_t **msg,
				size_t *n, uint64_t *pos)
{
	return server_find(server_db, gid, (latest){ .kind = kind, .by_epoch = true, .epoch = epoch }, msg, n, pos);
}

cr_err nt_probe_private_epoch(const uint8_t *msg, size_t n, uint64_t *epoch)
{
	mls_message m;
	CR_TRY(mls_message_decode(msg, n, &m));
	CR_ENSURE(m.wire_format == MLS_WIRE_PRIVATE_MESSAGE, CR_ERR_UNSUPPORTED);
	*epoch = m.u.private_message.epoch;
	return CR_OK;
}

cr_err nt_probe_client_group(const char *client_db, const char *passphrase, const char *gid, mls_group **g)
{
	*g = NULL;
	st_client *c = NULL;
	if (st_client_open(&c, client_db) != ST_OK) {
		st_client_close(c);
		return CR_ERR_STATE;
	}
	uint8_t name[ST_CLIENT_NAME_MAX];
	size_t name_len = 0, ks_len = 0, id_len = 0;
	uint8_t *ks = NULL;
	uint8_t secret[CR_KEYSTORE_IDENTITY_LEN];
	cr_keystore_identity id;
	memset(&id, 0, sizeof id);
	st_client_group sg;
	memset(&sg, 0, sizeof sg);
	uint8_t *state = NULL;
	size_t state_len = 0;
	cr_err e = CR_OK;
	if (st_client_identity_get(c, name, &name_len, &ks, &ks_len) != ST_OK) {
		e = CR_ERR_NOT_FOUND;
		goto out;
	}
	e = cr_keystore_open(secret, sizeof secret, &id_len, ks, ks_len, (const uint8_t *)passphrase,
			     strlen(passphrase), CR_KEYSTORE_MAX_PARAMS);
	if (e == CR_OK)
		e = cr_keystore_identity_decode(secret, id_len, &id);
	if (e != CR_OK)
		goto out;
	st_err se = st_client_group_get(c, (const uint8_t *)gid, strlen(gid), &sg);
	if (se != ST_OK) {
		e = se == ST_ERR_NOT_FOUND ? CR_ERR_NOT_FOUND : CR_ERR_STATE;
		goto out;
	}
	state = malloc(sg.state_len ? sg.state_len : 1);
	if (!state) {
		e = CR_ERR_NOMEM;
		goto out;
	}
	e = cr_keystore_record_open(state, sg.state_len, &state_len, id.data_key, (const uint8_t *)gid,
				    strlen(gid), sg.state, sg.state_len);
	if (e == CR_OK)
		e = mls_group_deserialize(g, state, state_len);
out:
	if (state) {
		cr_wipe(state, sg.state_len);
		free(state);
	}
	if (sg.state)
		st_client_free(sg.state, sg.state_len);
	if (ks)
		st_client_free(ks, ks_len);
	cr_wipe(secret, sizeof secret);
	cr_keystore_identity_wipe(&id);
	st_client_close(c);
	return e;
}

bool nt_probe_file_contains(const char *path, const char *const *needles, size_t n_needles)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return false;
	bool found = false;
	/* Read in overlapping windows so a needle across a boundary is seen. */
	enum { WIN = 65536, OVERLAP = 1024 };
	uint8_t *buf = malloc(WIN + OVERLAP);
	size_t keep = 0;
	while (buf && !found) {
		size_t got = fread(buf + keep, 1, WIN, f);
		if (got == 0)
			break;
		size_t have = keep + got;
		for (size_t i = 0; i < n_needles && !found; i++)
			found = memmem(buf, have, needles[i], strlen(needles[i])) != NULL;
		keep = have < OVERLAP ? have : OVERLAP;
		memmove(buf, buf + have - keep, keep);
	}
	free(buf);
	fclose(f);
	return found;
}
