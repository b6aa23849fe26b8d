/*
 * cli_file.h: a client's file transfer over a session (net/cli_session.h):
 * a file is sealed in chunks (crypto/file_seal.h) under a fresh key,
 * uploaded as one blob (BLOB_CREATE, BLOB_WRITE), and fetched back
 * (BLOB_READ), verified and written out. What a reader needs (blob id, key,
 * SHA-256 of the sealed blob, plaintext size) is an nt_file_ref, sent to the
 * group inside an MLS message, as text (nt_file_ref_text).
 *
 * Transfers are pipelined: up to NT_FILE_WINDOW BLOB_WRITE or BLOB_READ
 * requests are in flight, so the link and the server stay busy while the
 * other side works. A refused piece ends the transfer: the answers still in
 * flight are taken (the session stays usable) and the first refusal is the
 * one reported in s->code.
 *
 * Memory stays bounded whatever the file's size: one chunk of plaintext, one
 * sealed chunk, one piece of blob bytes being filled (at most the smaller of
 * the server's frame limit and NT_FRAME_MAX_DEFAULT), and the frames the
 * session's buffers hold in flight (a sent piece is not kept).
 *
 * Sending reads the file twice: the first pass hashes the sealed stream (the
 * server must be told the SHA-256 before the first byte), the second seals
 * the same chunks again (the same key and nonces give the same bytes) and
 * uploads them. A file that changes between the passes is caught before its
 * last piece is sent (size, modification time) or else by the server's hash
 * check (HASH: the blob is deleted), so no blob that is not the announced one
 * ever completes; a half-sent blob expires. Either way no two different
 * plaintexts are ever sealed under one key and nonce where the server can see
 * both: the first pass's bytes never leave the process, and a retry draws a
 * new key.
 *
 * Fetching writes into a temporary file beside out_path (same folder, mode
 * 0600), checks every chunk as it arrives and the blob's SHA-256 at the end,
 * then fsyncs, renames it to out_path and fsyncs the folder. On any failure
 * the temporary file is removed: no partial or unverified file is left.
 *
 * Errors: CR_OK; CR_ERR_ARG (not a regular file, bad arguments);
 * CR_ERR_LIMIT (file above NT_FILE_SIZE_MAX); CR_ERR_AUTH (a chunk or the
 * hash did not verify: wrong key, tampered or substituted blob);
 * CR_ERR_INVALID (the server answered an error: s->code); CR_ERR_STATE (local
 * I/O, the file changed while it was sent, or a session failure: s->fail).
 * err receives a line for people in every case.
 */
#ifndef ECHOVER_NT_CLI_FILE_H
#define ECHOVER_NT_CLI_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "cli_session.h"
#include "cr_err.h"
#include "file_seal.h"
#include "nt_proto.h"
#include "rng.h"

typedef struct nt_file_ref {
	uint8_t blob_id[NT_BLOB_ID_LEN];
	uint8_t key[16];                 /* the file key (CR_FILE_KEY_LEN): a secret */
	uint8_t sha256[NT_HASH_LEN];     /* of the sealed blob: what the server checks */
	uint64_t size;                   /* plaintext bytes */
} nt_file_ref;

/* Plaintext bytes done of total, after each piece sent or verified (and
 * once with 0 at the start). */
typedef void (*nt_file_progress)(void *ctx, uint64_t done, uint64_t total);

/* Requests in flight at once: enough to keep the link and the server busy
 * (measured on loopback, two busy cores, 100 MiB: a fetch from ~3 s to
 * ~1.2 s, an upload from ~4.3 s to ~2.9 s, against one at a time), few
 * enough that the answers fit in TLS and socket buffers meanwhile. */
#define NT_FILE_WINDOW 4

/* The largest file sent: its sealed size fits a server's default blob limit
 * (a server configured lower answers LIMIT). */
#define NT_FILE_SIZE_MAX (NT_BLOB_MAX_DEFAULT / CR_FILE_SEALED_CHUNK * CR_FILE_CHUNK)

cr_err nt_file_send(nt_cli_session *s, const char *path, const cr_rng *rng, nt_file_progress progress, void *ctx,
		    nt_file_ref *ref, char *err, size_t err_len) CR_MUST_CHECK;
cr_err nt_file_fetch(nt_cli_session *s, const nt_file_ref *ref, const char *out_path, nt_file_progress progress,
		     void *ctx, char *err, size_t err_len) CR_MUST_CHECK;

/* Text form: "evf1." blob id "." key "." sha256 (lowercase hex) "." size
 * (decimal, no leading zero), at most 156 characters and the NUL. */
#define NT_FILE_REF_TEXT_MAX 160
#define NT_FILE_REF_PREFIX "evf1."
void nt_file_ref_text(const nt_file_ref *r, char out[NT_FILE_REF_TEXT_MAX]);
/* Strict: exactly the form above (what nt_file_ref_text writes), read
 * within NT_FILE_REF_TEXT_MAX bytes; CR_ERR_MALFORMED otherwise, with *r
 * zeroed. The key is decoded in constant time. */
cr_err nt_file_ref_parse(const char *text, nt_file_ref *r) CR_MUST_CHECK;
/* Wipes r (it holds the file key). */
void nt_file_ref_wipe(nt_file_ref *r);

#endif
