/*
 * svr_conn.h: one server connection's protocol engine, sans I/O.
 *
 * It takes the bytes the TLS layer decrypted, answers each request from the
 * store, and queues response bytes for the TLS layer to encrypt and send. It
 * never touches a socket or a clock of its own: the caller passes `now` and
 * the TLS exporter value, and a random source through the config. That is
 * what lets the fuzz harness drive it with arbitrary bytes and an in-memory
 * database (DESIGN.md sections 4-5; frames in PROTOCOL.md).
 *
 * States: HELLO (only HELLO allowed) -> ANON (REGISTER, LOGIN) -> USER
 * (everything else). A malformed or oversized frame, a failed negotiation or
 * too many failed logins queue an error frame and mark the connection
 * closing: the caller sends what is queued, then closes.
 *
 * Password hashes (Argon2id, ~0.1 s) are not computed here: a REGISTER or
 * LOGIN that needs one suspends the connection. feed() then consumes no
 * more input and nt_svr_conn_job() returns the hash job; the caller runs it
 * (inline with nt_hash_job_run, or on the loop's worker pool, hash_pool.h)
 * and hands the finished job to nt_svr_conn_resume(), which answers the
 * request; or calls nt_svr_conn_busy() to refuse it ("server busy, retry")
 * when the pool is full. nt_svr_conn_feed_sync() does all of that inline.
 *
 * Failed logins also count against the account and the client address in
 * an optional limiter shared by all connections (cfg->rate, rate_limit.h);
 * a login over a limit is answered RATE without hashing, and logged through
 * cfg->log.
 *
 * Back-pressure: feed() stops consuming input while more than one frame
 * limit of output is queued, so a peer that pipelines requests without
 * reading answers cannot grow the server's memory; *consumed tells the
 * caller how far it got.
 */
#ifndef ECHOVER_NT_SVR_CONN_H
#define ECHOVER_NT_SVR_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pwhash.h"
#include "codec.h"
#include "cr_err.h"
#include "frame.h"
#include "hash_pool.h"
#include "nt_proto.h"
#include "rate_limit.h"
#include "rng.h"
#include "st_server.h"

/* Failed logins one connection may make before it is closed. */
#define NT_LOGIN_ATTEMPTS_MAX 5
/* Largest MLS message a POST may carry: it must fit, with its header, in a
 * MESSAGES frame of the same limit. */
#define NT_POST_OVERHEAD 256

typedef struct nt_svr_conn nt_svr_conn;

typedef struct nt_svr_config {
	nt_policy policy;
	uint32_t frame_max;              /* NT_FRAME_MAX_MIN .. */
	cr_argon2_params argon;          /* for new password hashes */
	const cr_rng *rng;
	uint8_t server_pin[NT_PIN_LEN];  /* SHA-256 of the server's TLS SPKI */
	nt_rate *rate;                   /* shared failed-login limits; NULL: none */
	void (*log)(void *ctx, const char *line); /* NULL: no log */
	void *log_ctx;
	uint64_t mailbox_max;            /* entries of a group log not acknowledged by
					  * every member; 0: NT_MAILBOX_MAX_DEFAULT */
	/* Who is online, and who must hear of new log entries: the engine
	 * knows only its own connection, so the event loop (svr_loop.c)
	 * answers for all of them; tests answer from memory. NULL: nobody
	 * is online, nothing is notified. */
	bool (*is_online)(void *ctx, int64_t user);
	/* Called after the transaction that appended entries to a group's log
	 * committed (never before, never for a rolled-back one): position is
	 * the newest entry, origin the connection whose request appended it
	 * (it is told by its response). The loop sends NOTIFY to the members. */
	void (*appended)(void *ctx, int64_t group, const uint8_t *gid, size_t gid_len, uint64_t position,
			 const nt_svr_conn *origin);
	void *hooks_ctx;
} nt_svr_config;

/* Longest client address text kept for rate limits and logs. */
#define NT_ADDR_MAX 48

typedef enum nt_svr_pend_kind { NT_PEND_NONE, NT_PEND_REGISTER, NT_PEND_LOGIN } nt_svr_pend_kind;

/* A REGISTER or LOGIN waiting for its hash: what is needed to answer it. */
typedef struct nt_svr_pending {
	nt_svr_pend_kind kind;
	uint32_t id;
	int64_t now;
	bool known;                      /* LOGIN: the username exists */
	st_user u;                       /* LOGIN: stored record; REGISTER: new one */
	uint8_t name[NT_USERNAME_MAX];
	size_t name_len;
	uint8_t sig[64];                 /* LOGIN: identity signature */
	uint8_t invite[NT_INVITE_MAX];   /* REGISTER */
	size_t invite_len;
} nt_svr_pending;

typedef enum nt_svr_state { NT_SVR_HELLO, NT_SVR_ANON, NT_SVR_USER } nt_svr_state;

struct nt_svr_conn {
	const nt_svr_config *cfg;
	st_server *db;
	nt_frame_parser parser;
	nt_svr_state state;
	bool closing;
	uint8_t nonce[NT_NONCE_LEN];
	uint8_t exporter[NT_EXPORTER_LEN];
	int64_t user;
	uint32_t failed_logins;
	cr_writer out;                   /* queued response bytes */
	char addr[NT_ADDR_MAX];          /* client address text; "" when unknown */
	nt_svr_pending pend;
	nt_hash_job job;                 /* valid while pend.kind != NT_PEND_NONE */
};

/* The logged-in user's id, or 0 before LOGIN succeeded. */
int64_t nt_svr_conn_user(const nt_svr_conn *c);

/* exporter: the TLS exporter value of this connection, bound into login. */
cr_err nt_svr_conn_init(nt_svr_conn *c, const nt_svr_config *cfg, st_server *db,
			const uint8_t exporter[NT_EXPORTER_LEN]) CR_MUST_CHECK;
void nt_svr_conn_free(nt_svr_conn *c);
/* Consumes input up to n bytes (see back-pressure above). Errors are only
 * the server's own (out of memory); whatever the peer sends is answered. */
cr_err nt_svr_conn_feed(nt_svr_conn *c, const uint8_t *p, size_t n, int64_t now, size_t *consumed) CR_MUST_CHECK;
/* Records the client address (text, e.g. "192.0.2.1") for the limits. */
void nt_svr_conn_set_addr(nt_svr_conn *c, const char *addr);
/* The hash job a suspended request waits for, or NULL when none. The caller
 * may copy it (and should then wipe this one's password). */
nt_hash_job *nt_svr_conn_job(nt_svr_conn *c);
/* Answers the suspended request from done (err and out of a job that ran;
 * it may be the one nt_svr_conn_job returned) and wipes the pending state. */
cr_err nt_svr_conn_resume(nt_svr_conn *c, const nt_hash_job *done) CR_MUST_CHECK;
/* Answers the suspended request with BUSY instead (hash queue full). */
cr_err nt_svr_conn_busy(nt_svr_conn *c) CR_MUST_CHECK;
/* feed(), running each hash inline: for tests and fuzzing. */
cr_err nt_svr_conn_feed_sync(nt_svr_conn *c, const uint8_t *p, size_t n, int64_t now,
			     size_t *consumed) CR_MUST_CHECK;
/* Hands the queued output to the caller (free() it); NULL when none. */
uint8_t *nt_svr_conn_take_output(nt_svr_conn *c, size_t *n);
/* True once the connection must be closed after its output is sent. */
bool nt_svr_conn_closing(const nt_svr_conn *c);

/* The bytes a client signs with its identity key, for LOGIN and REGISTER:
 *   opaque label<V> | opaque username<V> | opaque nonce<V> |
 *   opaque exporter<V> | opaque server_pin<V>
 * label is "echover login v1" or "echover register v1". Binding the TLS
 * exporter makes a captured signature useless on another connection; the
 * server's key pin is signed too because BearSSL 0.6 has no extended master
 * secret (RFC 7627), so an exporter value alone does not name the server
 * (net/tls.h). */
#define NT_LABEL_LOGIN "echover login v1"
#define NT_LABEL_REGISTER "echover register v1"
/* RFC 5705 exporter label (no context) of the value bound into logins. */
#define NT_EXPORTER_LABEL "EXPORTER-echover-login"
void nt_auth_message(cr_writer *w, const char *label, const uint8_t *user, size_t user_len,
		     const uint8_t nonce[NT_NONCE_LEN], const uint8_t exporter[NT_EXPORTER_LEN],
		     const uint8_t server_pin[NT_PIN_LEN]);

/* KeyPackageRef = RefHash("MLS 1.0 KeyPackage Reference", kp)
 * (RFC 9420 section 5.2): SHA-256 of opaque label<V> | opaque value<V>. */
cr_err nt_kp_ref(uint8_t ref[32], const uint8_t *kp, size_t n) CR_MUST_CHECK;

#endif
