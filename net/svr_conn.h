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

#include "argon2id.h"
#include "codec.h"
#include "cr_err.h"
#include "frame.h"
#include "nt_proto.h"
#include "rng.h"
#include "st_server.h"

/* Failed logins one connection may make before it is closed. */
#define NT_LOGIN_ATTEMPTS_MAX 5
/* Largest MLS message a POST may carry: it must fit, with its header, in a
 * MESSAGES frame of the same limit. */
#define NT_POST_OVERHEAD 256

typedef struct nt_svr_config {
	nt_policy policy;
	uint32_t frame_max;              /* NT_FRAME_MAX_MIN .. */
	cr_argon2_params argon;          /* for new password hashes */
	const cr_rng *rng;
	uint8_t server_pin[NT_PIN_LEN];  /* SHA-256 of the server's TLS SPKI */
} nt_svr_config;

typedef enum nt_svr_state { NT_SVR_HELLO, NT_SVR_ANON, NT_SVR_USER } nt_svr_state;

typedef struct nt_svr_conn {
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
} nt_svr_conn;

/* exporter: the TLS exporter value of this connection, bound into login. */
cr_err nt_svr_conn_init(nt_svr_conn *c, const nt_svr_config *cfg, st_server *db,
			const uint8_t exporter[NT_EXPORTER_LEN]) CR_MUST_CHECK;
void nt_svr_conn_free(nt_svr_conn *c);
/* Consumes input up to n bytes (see back-pressure above). Errors are only
 * the server's own (out of memory); whatever the peer sends is answered. */
cr_err nt_svr_conn_feed(nt_svr_conn *c, const uint8_t *p, size_t n, int64_t now, size_t *consumed) CR_MUST_CHECK;
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
