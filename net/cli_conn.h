/*
 * cli_conn.h: the client side of echover's protocol (net/PROTOCOL.md), sans
 * I/O: it writes request frames into a cr_writer and decodes the server's
 * frames into nt_cli_resp, through crypto/codec.h only. It mirrors the
 * server's handlers (net/svr_conn.c and the svr_*.c it dispatches to) field
 * for field; the session (net/cli_session.h) moves the bytes.
 *
 * Request ids: every builder takes the next id (1, 2, ...; never 0, which the
 * server uses for errors it could not attribute) and returns it. The server
 * answers the requests of one connection in order, so a response whose id is
 * not the one awaited is a protocol violation (nt_cli_match).
 *
 * Logins and registrations sign, with the identity key, exactly the bytes
 * nt_auth_message() builds (label, username, the HELLO_OK nonce, the TLS
 * exporter "EXPORTER-echover-login" and the server pin): the caller binds the
 * exporter and pin with nt_cli_bind() once TLS is up, and HELLO_OK must have
 * been decoded (it carries the nonce).
 *
 * Borrowed data: spans in a decoded response (error text, KeyPackage,
 * message entries) point into the frame body, valid until the next feed.
 */
#ifndef ECHOVER_NT_CLI_CONN_H
#define ECHOVER_NT_CLI_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "cr_err.h"
#include "frame.h"
#include "nt_proto.h"

typedef struct nt_cli_conn {
	nt_frame_parser parser;
	uint32_t next_id;
	bool have_hello;           /* HELLO_OK decoded */
	nt_hello_ok hello;         /* version, policy, nonce, server frame limit */
	bool bound;                /* exporter and pin set */
	uint8_t exporter[NT_EXPORTER_LEN];
	uint8_t pin[NT_PIN_LEN];
} nt_cli_conn;

/* A decoded server frame. type is the frame type (NT_ERROR for errors);
 * only the fields of that type are set. */
typedef struct nt_cli_resp {
	uint16_t type;
	uint32_t id;
	uint16_t code;            /* NT_ERROR */
	cr_span text;             /* NT_ERROR, borrowed */
	uint32_t one_time_left;   /* NT_KP_UPLOAD_OK */
	bool last_resort;         /* NT_KP */
	cr_span key_package;      /* NT_KP, borrowed */
	uint8_t identity[32];     /* NT_IDENTITY */
	uint64_t position, epoch; /* NT_POST_OK */
	cr_reader entries;        /* NT_MESSAGES: read with nt_cli_next_entry */
	size_t n_entries;         /* NT_MESSAGES */
	/* NT_JOIN_REQUEST_OK and NT_NOTIFY set position too. */
	cr_reader groups;         /* NT_GROUPS: read with nt_cli_next_group */
	size_t n_groups;
	cr_reader members;        /* NT_MEMBER_LIST: read with nt_cli_next_member */
	size_t n_members;
	cr_reader names;          /* NT_ONLINE: read with nt_cli_next_name */
	size_t n_names;
	cr_span gid;              /* NT_DM_CREATE_OK, NT_NOTIFY: borrowed */
	uint8_t blob_id[NT_BLOB_ID_LEN]; /* NT_BLOB_CREATE_OK */
	uint64_t written;         /* NT_BLOB_WRITE_OK */
	bool complete;            /* NT_BLOB_WRITE_OK */
	uint64_t blob_size;       /* NT_BLOB_DATA: the whole blob's size */
	cr_span data;             /* NT_BLOB_DATA, borrowed */
} nt_cli_resp;

/* One GROUPS item (PROTOCOL.md, GROUPS_LIST). */
typedef struct nt_cli_group {
	cr_span gid;              /* borrowed */
	uint8_t role;             /* nt_role */
	uint64_t epoch, acked, next_pos;
} nt_cli_group;

/* One MEMBER_LIST item. */
typedef struct nt_cli_member {
	cr_span name;             /* borrowed */
	uint8_t role;             /* nt_role */
	bool online;
} nt_cli_member;

typedef struct nt_cli_entry {
	uint64_t position;
	uint8_t kind;             /* nt_kind */
	uint64_t epoch;
	cr_span sender;           /* borrowed */
	cr_span message;          /* borrowed */
} nt_cli_entry;

/* max: the largest frame body this client accepts. */
void nt_cli_conn_init(nt_cli_conn *c, uint32_t max);
void nt_cli_conn_free(nt_cli_conn *c);
/* The exporter value of this TLS connection and the pin of the server key. */
void nt_cli_bind(nt_cli_conn *c, const uint8_t exporter[NT_EXPORTER_LEN], const uint8_t pin[NT_PIN_LEN]);

/* Builders: append one frame to w (check cr_writer_error), return its id.
 * Strings are NUL-terminated. Field limits are the server's to enforce (so
 * tests can send what a hostile client would); the whole frame is held to
 * the server's frame limit (the writer fails with CR_ERR_LIMIT). */
uint32_t nt_cli_hello(nt_cli_conn *c, cr_writer *w);
/* identity_seed: the Ed25519 seed; the public key is derived. invite may be
 * NULL. CR_ERR_STATE before HELLO_OK and nt_cli_bind. */
cr_err nt_cli_register(nt_cli_conn *c, cr_writer *w, const char *user, const char *password,
		       const uint8_t identity_seed[32], const char *invite, uint32_t *id) CR_MUST_CHECK;
cr_err nt_cli_login(nt_cli_conn *c, cr_writer *w, const char *user, const char *password,
		    const uint8_t identity_seed[32], uint32_t *id) CR_MUST_CHECK;
uint32_t nt_cli_kp_upload(nt_cli_conn *c, cr_writer *w, bool last_resort, const cr_span *kps, size_t n);
uint32_t nt_cli_kp_fetch(nt_cli_conn *c, cr_writer *w, const char *user);
uint32_t nt_cli_identity_fetch(nt_cli_conn *c, cr_writer *w, const char *user);
uint32_t nt_cli_group_create(nt_cli_conn *c, cr_writer *w, const uint8_t *gid, size_t gid_len);
/* A POST. added/removed: usernames (commit only; n_added > 0 needs a
 * welcome). */
typedef struct nt_cli_post {
	const uint8_t *gid;
	size_t gid_len;
	uint8_t kind;             /* nt_kind */
	uint64_t epoch;
	const char *const *added;
	size_t n_added;
	const char *const *removed;
	size_t n_removed;
	cr_span message;
	cr_span welcome;
} nt_cli_post;
uint32_t nt_cli_post_msg(nt_cli_conn *c, cr_writer *w, const nt_cli_post *p);
uint32_t nt_cli_fetch(nt_cli_conn *c, cr_writer *w, const uint8_t *gid, size_t gid_len, uint64_t after,
		      uint32_t max);
uint32_t nt_cli_ack(nt_cli_conn *c, cr_writer *w, const uint8_t *gid, size_t gid_len, uint64_t position);
uint32_t nt_cli_groups_list(nt_cli_conn *c, cr_writer *w);
uint32_t nt_cli_members(nt_cli_conn *c, cr_writer *w, const uint8_t *gid, size_t gid_len);
uint32_t nt_cli_join_request(nt_cli_conn *c, cr_writer *w, const uint8_t *gid, size_t gid_len, const uint8_t *kp,
			     size_t kp_len);
uint32_t nt_cli_role_set(nt_cli_conn *c, cr_writer *w, const uint8_t *gid, size_t gid_len, const char *user,
			 uint8_t role);
uint32_t nt_cli_dm_create(nt_cli_conn *c, cr_writer *w, const char *peer);
uint32_t nt_cli_presence(nt_cli_conn *c, cr_writer *w);
/* Blobs (net/cli_file.h moves files through them). */
uint32_t nt_cli_blob_create(nt_cli_conn *c, cr_writer *w, uint64_t size, const uint8_t sha256[NT_HASH_LEN]);
uint32_t nt_cli_blob_write(nt_cli_conn *c, cr_writer *w, const uint8_t blob_id[NT_BLOB_ID_LEN], uint64_t offset,
			   const uint8_t *data, size_t n);
uint32_t nt_cli_blob_read(nt_cli_conn *c, cr_writer *w, const uint8_t blob_id[NT_BLOB_ID_LEN], uint64_t offset,
			  uint32_t max);
/* Bytes of a BLOB_WRITE frame besides its data, and of a BLOB_DATA frame
 * besides its data: what a client subtracts from a frame limit. */
#define NT_CLI_BLOB_WRITE_OVERHEAD (NT_FRAME_HDR_LEN + 4 + 1 + NT_BLOB_ID_LEN + 8 + 4)
#define NT_CLI_BLOB_DATA_OVERHEAD (4 + 8 + 4)

/* Decodes one server frame body by its type. HELLO_OK is also kept in c.
 * Unknown types and bodies that do not decode exactly: CR_ERR_MALFORMED.
 * NOTIFY (unsolicited) must carry id 0. Lists (MESSAGES, GROUPS,
 * MEMBER_LIST, ONLINE) are validated whole here, so iterating them later
 * cannot fail. */
cr_err nt_cli_decode(nt_cli_conn *c, uint16_t type, const uint8_t *p, size_t n, nt_cli_resp *r) CR_MUST_CHECK;
/* Feeds received plaintext; *got when one frame was decoded into *r. */
cr_err nt_cli_feed(nt_cli_conn *c, cr_reader *in, bool *got, nt_cli_resp *r) CR_MUST_CHECK;
/* Checks that r answers request id with the expected type: CR_OK; an ERROR
 * for it (or with id 0): CR_ERR_INVALID (code and text in r); anything
 * else: CR_ERR_MALFORMED. */
cr_err nt_cli_match(const nt_cli_resp *r, uint32_t id, uint16_t expected) CR_MUST_CHECK;
/* The next MESSAGES entry; CR_ERR_NOT_FOUND at the end. */
cr_err nt_cli_next_entry(cr_reader *entries, nt_cli_entry *e) CR_MUST_CHECK;
/* The next GROUPS, MEMBER_LIST or ONLINE item; CR_ERR_NOT_FOUND at the end.
 * Names and group ids are checked for length only (1..32, 1..64). */
cr_err nt_cli_next_group(cr_reader *groups, nt_cli_group *g) CR_MUST_CHECK;
cr_err nt_cli_next_member(cr_reader *members, nt_cli_member *m) CR_MUST_CHECK;
cr_err nt_cli_next_name(cr_reader *names, cr_span *name) CR_MUST_CHECK;

#endif
