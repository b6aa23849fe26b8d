/*
 * svr_conn_int.h: what the server engine's files share: svr_conn.c (state,
 * dispatch, input and output), svr_accounts.c (hello, accounts, their keys),
 * svr_groups.c (groups, delivery, roles, joins, DMs, presence) and
 * svr_blobs.c (file blobs). Not a public API.
 *
 * Each handler decodes its whole request first, then touches the store
 * (inside one transaction when it writes more than one row), then writes its
 * response; on any failure it returns an nt_code and dispatch() writes the
 * error frame instead, so a half-written response never reaches the queue.
 */
#ifndef ECHOVER_NT_SVR_CONN_INT_H
#define ECHOVER_NT_SVR_CONN_INT_H

#include "svr_conn.h"

/* A handler result: 0 for success, or the error code to answer with; a
 * negative code also closes the connection. */
typedef int nt_svr_res;

/* Shared by the handlers (svr_conn.c). */
bool nt_svr_online(const nt_svr_conn *c, int64_t user);
void nt_svr_notify(nt_svr_conn *c, int64_t group, cr_span gid, uint64_t position);
nt_svr_res nt_svr_from_st(st_err e);
nt_svr_res nt_svr_finish_tx(nt_svr_conn *c, nt_svr_res r);
cr_err nt_svr_read_name(cr_reader *r, cr_span *name) CR_MUST_CHECK;

/* Accounts and their keys (svr_accounts.c). REGISTER and LOGIN suspend the
 * connection for a password hash; the finish_ functions answer them. */
nt_svr_res nt_svr_handle_hello(nt_svr_conn *c, uint32_t id, const nt_frame *f);
nt_svr_res nt_svr_handle_register(nt_svr_conn *c, uint32_t id, cr_reader *r, int64_t now);
nt_svr_res nt_svr_finish_register(nt_svr_conn *c, const nt_hash_job *done);
nt_svr_res nt_svr_handle_login(nt_svr_conn *c, uint32_t id, cr_reader *r, int64_t now);
nt_svr_res nt_svr_finish_login(nt_svr_conn *c, const nt_hash_job *done);
nt_svr_res nt_svr_handle_kp_upload(nt_svr_conn *c, uint32_t id, cr_reader *r);
nt_svr_res nt_svr_handle_kp_fetch(nt_svr_conn *c, uint32_t id, cr_reader *r);
nt_svr_res nt_svr_handle_identity_fetch(nt_svr_conn *c, uint32_t id, cr_reader *r);

/* Groups and delivery (svr_groups.c). */
nt_svr_res nt_svr_handle_group_create(nt_svr_conn *c, uint32_t id, cr_reader *r);
nt_svr_res nt_svr_handle_post(nt_svr_conn *c, uint32_t id, cr_reader *r);
nt_svr_res nt_svr_handle_fetch(nt_svr_conn *c, uint32_t id, cr_reader *r);
nt_svr_res nt_svr_handle_ack(nt_svr_conn *c, uint32_t id, cr_reader *r);
nt_svr_res nt_svr_handle_groups_list(nt_svr_conn *c, uint32_t id, cr_reader *r);
nt_svr_res nt_svr_handle_members(nt_svr_conn *c, uint32_t id, cr_reader *r);
nt_svr_res nt_svr_handle_presence(nt_svr_conn *c, uint32_t id, cr_reader *r);
nt_svr_res nt_svr_handle_join_request(nt_svr_conn *c, uint32_t id, cr_reader *r, int64_t now);
nt_svr_res nt_svr_handle_role_set(nt_svr_conn *c, uint32_t id, cr_reader *r);
nt_svr_res nt_svr_handle_dm_create(nt_svr_conn *c, uint32_t id, cr_reader *r);

/* Blobs (svr_blobs.c). */
nt_svr_res nt_svr_handle_blob_create(nt_svr_conn *c, uint32_t id, cr_reader *r, int64_t now);
nt_svr_res nt_svr_handle_blob_write(nt_svr_conn *c, uint32_t id, cr_reader *r, int64_t now);
nt_svr_res nt_svr_handle_blob_read(nt_svr_conn *c, uint32_t id, cr_reader *r, int64_t now);

#endif
