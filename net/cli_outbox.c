/*
 * cli_outbox.c: the client's outbox (net/cli_client.h): text typed while
 * the server is away waits in the client database, sealed under the data
 * key (AAD "out:" and the group id, so a row cannot be moved to another
 * group), and goes out in the order it was queued once the server is back.
 * It is encrypted for the group only when it is sent, so it is readable in
 * the epoch the group has then, whatever changed meanwhile.
 *
 * A message leaves the queue only after the server accepted it; if the
 * connection drops between the POST and its answer, the message is sent
 * again with the next flush (the at-least-once edge of every POST), under
 * the id chosen when it was queued, so that members show it once. A row
 * seals that id and the text (kind OUTBOX_TEXT_ID); rows of the first
 * outbox (kind NT_KIND_APPLICATION: the text alone) get an id when sent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_client_int.h"
#include "wipe.h"

#define AAD_MAX (4 + NT_GROUP_ID_MAX)
/* A row's kind: the message id, then the text. Above every nt_kind. */
#define OUTBOX_TEXT_ID 0x100u

static size_t outbox_aad(uint8_t aad[AAD_MAX], const uint8_t *gid, size_t gid_len)
{
	memcpy(aad, "out:", 4);
	memcpy(aad + 4, gid, gid_len);
	return 4 + gid_len;
}

cr_err nt_client_outbox_queue(nt_client *c, const char *gid, const uint8_t id[NT_CLIENT_MSG_ID_LEN],
			      const uint8_t *text, size_t n)
{
	CR_ENSURE(gid && nt_client_gid_ok(gid, true),
		  nt_client_fail(c, NT_CLIENT_FAILED, CR_ERR_ARG, "not a group id: %s", gid ? gid : ""));
	CR_ENSURE(n <= NT_CLIENT_TEXT_MAX, nt_client_fail(c, NT_CLIENT_FAILED, CR_ERR_LIMIT,
							  "a message is at most %d bytes", NT_CLIENT_TEXT_MAX));
	uint8_t aad[AAD_MAX], *row = malloc(NT_CLIENT_MSG_ID_LEN + n);
	size_t aad_len = outbox_aad(aad, (const uint8_t *)gid, strlen(gid)),
	       cap = NT_CLIENT_MSG_ID_LEN + n + CR_KEYSTORE_RECORD_OVERHEAD, len = 0;
	uint8_t *sealed = malloc(cap);
	if (!row || !sealed) {
		free(row);
		free(sealed);
		return nt_client_fail(c, NT_CLIENT_FAILED, CR_ERR_NOMEM, "out of memory");
	}
	cr_err e = CR_OK;
	if (id)
		memcpy(row, id, NT_CLIENT_MSG_ID_LEN);
	else
		e = nt_client_msg_id_new(c, row);
	if (n)
		memcpy(row + NT_CLIENT_MSG_ID_LEN, text, n);
	if (!e && (e = cr_keystore_record_seal(sealed, cap, &len, c->id.data_key, aad, aad_len, row,
					       NT_CLIENT_MSG_ID_LEN + n, c->rng)) != CR_OK)
		nt_client_fail(c, NT_CLIENT_FAILED, e, "sealing a queued message: %s", cr_err_str(e));
	cr_wipe(row, NT_CLIENT_MSG_ID_LEN + n);
	free(row);
	if (e) {
		free(sealed);
		return e;
	}
	int64_t rowid;
	st_err se = st_client_outbox_add(c->db, (const uint8_t *)gid, strlen(gid), OUTBOX_TEXT_ID, sealed, len,
					 nt_client_now(), &rowid);
	free(sealed);
	return se ? nt_client_db_fail(c, se, "queueing a message") : CR_OK;
}

cr_err nt_client_outbox_count(nt_client *c, size_t *n)
{
	int64_t k = 0;
	st_err se = st_client_outbox_count(c->db, &k);
	*n = k > 0 ? (size_t)k : 0;
	return se ? nt_client_db_fail(c, se, "counting queued messages") : CR_OK;
}

static void dropped(nt_client *c, const char *gid, const char *why)
{
	char text[NT_CLIENT_ERR_MAX + NT_GROUP_ID_MAX + 64];
	snprintf(text, sizeof text, "a queued message for %s was dropped: %s", gid, why);
	nt_client_event ev = { .kind = NT_EV_WARNING, .group = gid, .text = text };
	nt_client_emit(c, &ev);
}

cr_err nt_client_outbox_flush(nt_client *c, void (*fn)(void *ctx, const char *gid, const uint8_t *text, size_t n),
			      void *ctx, size_t *sent)
{
	*sent = 0;
	CR_TRY(nt_client_need_session(c));
	/* Bounded by the queue as it is now: a flush never chases its own tail. */
	size_t todo = 0;
	CR_TRY(nt_client_outbox_count(c, &todo));
	for (size_t i = 0; i < todo; i++) {
		st_client_outgoing o;
		st_err se = st_client_outbox_peek(c->db, &o);
		if (se == ST_ERR_NOT_FOUND)
			break;
		if (se)
			return nt_client_db_fail(c, se, "reading the outbox");
		char gid[NT_GROUP_ID_MAX + 1];
		snprintf(gid, sizeof gid, "%.*s", (int)(o.gid_len <= NT_GROUP_ID_MAX ? o.gid_len : 0),
			 (const char *)o.gid);
		uint8_t aad[AAD_MAX], *pt = malloc(o.body_len ? o.body_len : 1);
		size_t pt_len = 0;
		cr_err e = pt ? CR_OK : CR_ERR_NOMEM;
		bool with_id = o.kind == OUTBOX_TEXT_ID;
		if (!e && ((!with_id && o.kind != NT_KIND_APPLICATION) || !nt_client_gid_ok(gid, true)))
			e = CR_ERR_MALFORMED;
		if (!e)
			e = cr_keystore_record_open(pt, o.body_len, &pt_len, c->id.data_key, aad,
						    outbox_aad(aad, o.gid, o.gid_len), o.body, o.body_len);
		if (!e && with_id && pt_len < NT_CLIENT_MSG_ID_LEN)
			e = CR_ERR_MALFORMED;
		st_client_free(o.body, o.body_len);
		if (e == CR_ERR_NOMEM) {
			free(pt);
			return nt_client_fail(c, NT_CLIENT_FAILED, e, "out of memory");
		}
		bool opened = !e;
		bool split = opened && with_id;
		const uint8_t *id = split ? pt : NULL, *text = split ? pt + NT_CLIENT_MSG_ID_LEN : pt;
		size_t text_len = split ? pt_len - NT_CLIENT_MSG_ID_LEN : pt_len;
		if (opened)
			e = nt_client_send_id(c, gid, id, text, text_len);
		if (e && nt_client_status_of(c) == NT_CLIENT_UNREACHABLE) {
			cr_wipe(pt, o.body_len);
			free(pt);
			return e; /* kept for the next flush */
		}
		if (e)
			dropped(c, gid, opened ? c->err : "it does not open (damaged or moved)");
		else if (fn)
			fn(ctx, gid, text, text_len);
		cr_wipe(pt, o.body_len);
		free(pt);
		if ((se = st_client_outbox_remove(c->db, o.id)) != ST_OK)
			return nt_client_db_fail(c, se, "removing a sent message from the outbox");
		*sent += !e;
	}
	c->status = NT_CLIENT_OK;
	c->err[0] = 0;
	return CR_OK;
}
