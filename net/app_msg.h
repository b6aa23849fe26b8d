/*
 * app_msg.h: the application payload echover puts inside an MLS
 * PrivateMessage (the plaintext mls_group_encrypt protects), in the codec of
 * crypto/codec.h:
 *
 *   u8     version            1
 *   u8     type               1 text, 2 file announcement
 *   opaque msg_id[16]         random, names the message (history, dedup)
 *   u64    sent_at            the sender's clock, unix seconds (0..INT64_MAX)
 *   select (type) {
 *     case text: opaque text<0..NT_APP_TEXT_MAX>;
 *     case file: opaque name<1..NT_APP_NAME_MAX>; u64 size;
 *                opaque blob_id[16]; opaque key[16]; opaque sha256[32];
 *   }
 *
 * Fixed-size fields are raw bytes (their size is the version's); the body
 * must be consumed exactly. The sender's clock is only informative (shown
 * next to the message): nothing orders or expires by it.
 *
 * The decoder checks every length before reading and copies nothing: spans
 * borrow from the input.
 */
#ifndef ECHOVER_NT_APP_MSG_H
#define ECHOVER_NT_APP_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "cr_err.h"
#include "nt_proto.h"

#define NT_APP_VERSION 1
#define NT_APP_MSG_ID_LEN 16
#define NT_APP_TEXT_MAX 65536
#define NT_APP_NAME_MAX 255
#define NT_APP_FILE_KEY_LEN 16
/* The largest encoding: header and the longest text. */
#define NT_APP_MAX (2 + NT_APP_MSG_ID_LEN + 8 + 4 + NT_APP_TEXT_MAX)

typedef enum nt_app_type {
	NT_APP_TEXT = 1,
	NT_APP_FILE = 2,
} nt_app_type;

typedef struct nt_app_file {
	cr_span name;
	uint64_t size;                       /* plaintext bytes */
	uint8_t blob_id[NT_BLOB_ID_LEN];
	uint8_t key[NT_APP_FILE_KEY_LEN];
	uint8_t sha256[NT_HASH_LEN];
} nt_app_file;

typedef struct nt_app_msg {
	uint8_t type;                        /* nt_app_type */
	uint8_t msg_id[NT_APP_MSG_ID_LEN];
	int64_t sent_at;
	cr_span text;                        /* NT_APP_TEXT */
	nt_app_file file;                    /* NT_APP_FILE */
} nt_app_msg;

/* Appends the encoding of m to w (check cr_writer_error): CR_ERR_ARG for an
 * unknown type, a negative clock or a field above its limit. */
cr_err nt_app_msg_write(cr_writer *w, const nt_app_msg *m) CR_MUST_CHECK;
/* Strict: CR_ERR_UNSUPPORTED for another version or type, CR_ERR_LIMIT for
 * a field above its limit, CR_ERR_MALFORMED for an empty file name, a clock
 * above INT64_MAX or trailing bytes, CR_ERR_TRUNCATED when short. */
cr_err nt_app_msg_decode(const uint8_t *p, size_t n, nt_app_msg *m) CR_MUST_CHECK;

#endif
