/*
 * cli_session.h: a blocking client session with an echover server: TCP to
 * HOST:PORT (numeric IPv4 or "localhost": the binary is static, so no name
 * resolution), TLS through net/tls.h with a pinned server key or trust on
 * first use, HELLO, then one request at a time over net/cli_conn.h.
 *
 * Every call waits at most timeout_ms for the whole exchange (poll); nothing
 * blocks longer. A failure leaves a reason in s->fail and a line for people
 * in s->err: connection refused, time-out, pin mismatch (the pin seen is in
 * s->pin), TLS failure, connection closed, protocol violation, or the
 * server's error code and text (NT_CS_SERVER: s->code, s->text). After any
 * failure but NT_CS_SERVER the session is unusable: close it.
 *
 * Pipelining: the *_send calls (and nt_cs_send_raw) send a request without
 * waiting; nt_cs_await then takes the answers in order, queueing the NOTIFY
 * frames that arrive between them. Keep the answers in flight within what
 * the TLS and socket buffers hold meanwhile (the server stops reading while
 * its output is queued): a few small answers to large requests
 * (BLOB_WRITE), or a few large answers to small requests (BLOB_READ).
 *
 * Records: the session asks the server for NT_CS_RECORD-byte TLS records
 * (max_fragment_length, RFC 6066), so that the server sizes its buffer for
 * this connection to match (net/tls_hello.h): an idle session then costs
 * the server about 10 KB instead of 44 KB.
 *
 * Memory: the session holds the TLS context, its record buffer and a few KB
 * more (about 20 KB): allocate it, do not put it on a small stack.
 */
#ifndef ECHOVER_NT_CLI_SESSION_H
#define ECHOVER_NT_CLI_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli_conn.h"
#include "cr_err.h"
#include "rng.h"
#include "tls.h"

/* The record size asked for. Memory per idle connection on the server
 * against the cost of more records for 1 MiB frames and file chunks; see
 * the README for the figures this choice rests on. */
#define NT_CS_RECORD 2048
#define NT_CS_TLS_BUF NT_TLS_BUF_LEN(NT_CS_RECORD)

typedef enum nt_cs_fail {
	NT_CS_OK = 0,
	NT_CS_REFUSED,   /* TCP connection refused or unreachable */
	NT_CS_TIMEOUT,   /* no progress within the time-out */
	NT_CS_TLS,       /* TLS failed: s->tls_reason (NT_TLS_PIN_MISMATCH, ...) */
	NT_CS_CLOSED,    /* the server closed the connection */
	NT_CS_PROTOCOL,  /* the server sent something the protocol does not allow */
	NT_CS_SERVER,    /* the server answered with an error frame: s->code, s->text */
	NT_CS_LOCAL,     /* bad argument, out of memory, socket error */
} nt_cs_fail;

/* A queued NOTIFY (see nt_cs_wait_notify). */
#define NT_CS_NOTIFY_MAX 64
typedef struct nt_cs_notify {
	char gid[NT_GROUP_ID_MAX + 1];
	uint64_t position;
} nt_cs_notify;

typedef struct nt_cli_session {
	int fd;
	int timeout_ms;
	bool tls_up;
	nt_tls tls;
	uint8_t tlsbuf[NT_CS_TLS_BUF];
	nt_cli_conn conn;
	uint8_t in[4096];            /* plaintext pulled from TLS, not yet parsed */
	cr_reader pending;
	uint8_t pin[NT_PIN_LEN];     /* the server key's pin, once seen */
	bool have_pin;
	nt_cli_resp resp;            /* the last response (borrowed spans) */
	nt_cs_fail fail;
	nt_tls_reason tls_reason;
	uint16_t code;               /* NT_CS_SERVER */
	char text[NT_ERROR_TEXT_MAX + 1];
	char err[384];
	nt_cs_notify notify[NT_CS_NOTIFY_MAX]; /* queued NOTIFY frames, oldest first */
	size_t n_notify;
	bool notify_overflow;
} nt_cli_session;

/* Connects and says HELLO. expected_pin: NULL for trust on first use (then
 * s->pin is the pin to remember). timeout_ms also bounds each later call. */
cr_err nt_cs_connect(nt_cli_session *s, const char *host, uint16_t port, const uint8_t *expected_pin,
		     int timeout_ms, const cr_rng *rng) CR_MUST_CHECK;
/* Sends close_notify (best effort, without waiting) and closes the socket;
 * wipes the TLS context and buffer. Call it after nt_cs_connect whatever it
 * returned; calling it twice is harmless. */
void nt_cs_close(nt_cli_session *s);

/* Requests: CR_OK on the expected answer (in s->resp); CR_ERR_INVALID when
 * the server answered with an error (s->fail NT_CS_SERVER, s->code);
 * other errors per s->fail. */
cr_err nt_cs_register(nt_cli_session *s, const char *user, const char *password, const uint8_t seed[32],
		      const char *invite) CR_MUST_CHECK;
cr_err nt_cs_login(nt_cli_session *s, const char *user, const char *password,
		   const uint8_t seed[32]) CR_MUST_CHECK;
/* s->resp.one_time_left */
cr_err nt_cs_kp_upload(nt_cli_session *s, bool last_resort, const cr_span *kps, size_t n) CR_MUST_CHECK;
/* s->resp.key_package, s->resp.last_resort */
cr_err nt_cs_kp_fetch(nt_cli_session *s, const char *user) CR_MUST_CHECK;
/* s->resp.identity */
cr_err nt_cs_identity_fetch(nt_cli_session *s, const char *user) CR_MUST_CHECK;
cr_err nt_cs_group_create(nt_cli_session *s, const char *gid) CR_MUST_CHECK;
/* s->resp.position, s->resp.epoch */
cr_err nt_cs_post(nt_cli_session *s, const nt_cli_post *p) CR_MUST_CHECK;
/* s->resp.entries / n_entries (nt_cli_next_entry), valid until the next call */
cr_err nt_cs_fetch(nt_cli_session *s, const char *gid, uint64_t after, uint32_t max) CR_MUST_CHECK;
cr_err nt_cs_ack(nt_cli_session *s, const char *gid, uint64_t position) CR_MUST_CHECK;
/* s->resp.groups / n_groups (nt_cli_next_group) */
cr_err nt_cs_groups_list(nt_cli_session *s) CR_MUST_CHECK;
/* s->resp.members / n_members (nt_cli_next_member) */
cr_err nt_cs_members(nt_cli_session *s, const char *gid) CR_MUST_CHECK;
/* s->resp.position */
cr_err nt_cs_join_request(nt_cli_session *s, const char *gid, const uint8_t *kp, size_t kp_len) CR_MUST_CHECK;
cr_err nt_cs_role_set(nt_cli_session *s, const char *gid, const char *user, uint8_t role) CR_MUST_CHECK;
/* s->resp.gid (borrowed span) */
cr_err nt_cs_dm_create(nt_cli_session *s, const char *peer) CR_MUST_CHECK;
/* s->resp.names / n_names (nt_cli_next_name) */
cr_err nt_cs_presence(nt_cli_session *s) CR_MUST_CHECK;
/* s->resp.blob_id */
cr_err nt_cs_blob_create(nt_cli_session *s, uint64_t size, const uint8_t sha256[NT_HASH_LEN]) CR_MUST_CHECK;
/* s->resp.written, s->resp.complete */
cr_err nt_cs_blob_write(nt_cli_session *s, const uint8_t blob_id[NT_BLOB_ID_LEN], uint64_t offset,
			const uint8_t *data, size_t n) CR_MUST_CHECK;
/* s->resp.blob_size, s->resp.data (borrowed span) */
cr_err nt_cs_blob_read(nt_cli_session *s, const uint8_t blob_id[NT_BLOB_ID_LEN], uint64_t offset,
		       uint32_t max) CR_MUST_CHECK;
/* The same two requests, sent without waiting (pipelining, above): *id is
 * the request's id, for nt_cs_await. */
cr_err nt_cs_blob_write_send(nt_cli_session *s, const uint8_t blob_id[NT_BLOB_ID_LEN], uint64_t offset,
			     const uint8_t *data, size_t n, uint32_t *id) CR_MUST_CHECK;
cr_err nt_cs_blob_read_send(nt_cli_session *s, const uint8_t blob_id[NT_BLOB_ID_LEN], uint64_t offset,
			    uint32_t max, uint32_t *id) CR_MUST_CHECK;
/* Waits for the next answer, which must answer request id with a frame of
 * type expected (an error frame: CR_ERR_INVALID, s->fail NT_CS_SERVER, and
 * the session stays usable); NOTIFY frames before it are queued. Results as
 * for the requests above; s->resp holds the answer until the next call. */
cr_err nt_cs_await(nt_cli_session *s, uint32_t id, uint16_t expected) CR_MUST_CHECK;

/* Notifications (NOTIFY frames, id 0) may arrive at any time, also between
 * a request and its response: the session queues them (at most
 * NT_CS_NOTIFY_MAX; beyond, s->notify_overflow is set and the caller should
 * sync every group). nt_cs_wait_notify returns at once when one is queued,
 * else waits up to timeout_ms for one (*got false on time-out, which is not
 * an error); nt_cs_take_notify pops the oldest (false when none). A newer
 * NOTIFY of a queued group replaces its position (coalesced). *got is also
 * true while notify_overflow is set: the caller clears it after syncing
 * every group. Waiting with no request outstanding, any frame but NOTIFY is
 * a protocol violation. nt_cs_recv (raw) returns NOTIFY frames as they come. */
cr_err nt_cs_wait_notify(nt_cli_session *s, int timeout_ms, bool *got) CR_MUST_CHECK;
bool nt_cs_take_notify(nt_cli_session *s, nt_cs_notify *n);
/* The socket, for a caller that polls it together with other descriptors
 * (the interactive client polls the terminal and the server at once). Bytes
 * TLS already decrypted may be pending: call nt_cs_wait_notify(s, 0, ...)
 * after poll says readable, and before sleeping in poll again. */
int nt_cs_fd(const nt_cli_session *s);

/* For tests of hostile clients: raw bytes out (whole frames or not), and
 * the next frame in, whatever it is. */
cr_err nt_cs_send_raw(nt_cli_session *s, const uint8_t *p, size_t n) CR_MUST_CHECK;
cr_err nt_cs_recv(nt_cli_session *s) CR_MUST_CHECK;

const char *nt_cs_fail_str(nt_cs_fail f);

#endif
