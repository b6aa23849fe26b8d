/*
 * demo_probe.h: what `echover demo` uses to prove its claims from the
 * outside, beyond the engine's own view: the ciphertext the server stored
 * (read from the server's database, as an operator or a thief could), and a
 * member's MLS group state as its client stored it (unsealed with that
 * member's passphrase), so the demo can show that even with both a joiner
 * cannot decrypt what came before and a leaver what came after, also once
 * the leaver's last state processed the commit that removed him.
 *
 * Read-only on both databases; SQLite lets it read while the server and the
 * clients hold them open.
 */
#ifndef ECHOVER_NT_DEMO_PROBE_H
#define ECHOVER_NT_DEMO_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cr_err.h"
#include "group.h"

/* The newest entry of kind `kind` (nt_kind) in group gid's log on the
 * server: *msg malloc'ed (*n bytes), *pos its position. CR_ERR_NOT_FOUND
 * when the log holds none. */
cr_err nt_probe_server_latest(const char *server_db, const char *gid, uint8_t kind, uint8_t **msg,
			      size_t *n, uint64_t *pos) CR_MUST_CHECK;
/* The entry of kind `kind` for epoch `epoch` in gid's log on the server
 * (for a commit: the one that ended that epoch), like
 * nt_probe_server_latest. */
cr_err nt_probe_server_at_epoch(const char *server_db, const char *gid, uint8_t kind, uint64_t epoch, uint8_t **msg,
				size_t *n, uint64_t *pos) CR_MUST_CHECK;
/* The epoch an MLS PrivateMessage names in its clear header. */
cr_err nt_probe_private_epoch(const uint8_t *msg, size_t n, uint64_t *epoch) CR_MUST_CHECK;
/* The group state that client_db holds for gid, opened with passphrase:
 * *g to free with mls_group_free. CR_ERR_NOT_FOUND when the client holds
 * no such group (it left, or never joined). */
cr_err nt_probe_client_group(const char *client_db, const char *passphrase, const char *gid,
			     mls_group **g) CR_MUST_CHECK;
/* True when any of the n_needles strings occurs in the file at path (a
 * missing file holds nothing). For the server's database and its WAL. */
bool nt_probe_file_contains(const char *path, const char *const *needles, size_t n_needles);

#endif
