/*
 * svr_loop.h: the server's one event loop: epoll over non-blocking sockets,
 * one BearSSL server engine and one svr_conn engine per connection, no thread
 * per connection (DESIGN.md section 5). This is the only module of the server
 * that touches sockets.
 *
 * Password hashes run on a small worker pool (hash_pool.h): a connection
 * whose REGISTER or LOGIN waits for one reads nothing more until it is
 * answered, while the others are served; the pool's eventfd wakes the loop.
 *
 * Per connection the loop moves bytes: socket -> TLS records -> decrypted
 * application bytes -> nt_svr_conn_feed -> response bytes -> TLS -> socket.
 * When the TLS handshake completes, the RFC 5705 exporter value is taken and
 * handed to the connection engine, which binds logins to it.
 *
 * Online registry and notifications: a connection whose LOGIN succeeded is
 * registered under its user (online.h); the loop answers the engine's
 * is_online and, once a transaction that appended to a group's log has
 * committed, queues a NOTIFY for every registered connection of every
 * member but the origin (notify_q.h: bounded, coalesced per group, dropped
 * for a connection whose output is backed up beyond one frame limit). The
 * queued frames go out after the current batch of events, between whole
 * response frames.
 *
 * Group commit (svr_batch.h): the requests of one wake-up (every ready
 * connection, and the hashes that finished) run in one SQLite transaction;
 * their answers and NOTIFYs leave only after its durable COMMIT, on the
 * next turn of the loop (which then does not sleep). A failed COMMIT
 * acknowledges nothing: the connections of that batch are answered
 * INTERNAL and closed. Sockets have TCP_NODELAY: a wake-up's answers for
 * one connection already go out in one send.
 *
 * TLS is net/tls.h (policy, pinning, exporter); this file adds only sockets.
 * Memory per connection: until its first record is whole, 2 KB (the
 * connection and its engine, svr_conn.h). Then the TLS context (5 KB) and a
 * buffer sized for the record size its ClientHello asks for
 * (max_fragment_length, read with MSG_PEEK by net/tls_hello.h; the wait is
 * bounded by the handshake time-out and sleeps on SO_RCVLOWAT):
 * NT_TLS_BUF_LEN(2048) = 4.5 KB for echover's client (net/cli_session.h),
 * NT_TLS_BUF_FULL = 33 KB for a client that asks for none. Decrypted input
 * is fed to the engine in place from the TLS buffer; response bytes are held
 * only until TLS takes them; the NOTIFY queue (1.3 KB) exists only while
 * frames wait in it; a logged-in connection adds one registry entry.
 * Measured (./build.sh bench server): 11.2 KB of RSS per idle echover
 * client.
 */
#ifndef ECHOVER_NT_SVR_LOOP_H
#define ECHOVER_NT_SVR_LOOP_H

#include <stddef.h>
#include <stdint.h>

#include "cr_err.h"
#include "st_server.h"
#include "hash_pool.h"
#include "online.h"
#include "svr_batch.h"
#include "svr_conn.h"
#include "tls.h"

#define NT_MAX_CONNS_DEFAULT 1000
/* Connections one client address may hold at once (one host cannot take
 * every slot). */
#define NT_MAX_CONNS_PER_ADDR_DEFAULT 16
/* A peer that has not finished the TLS handshake by then is dropped (it
 * holds a connection slot and up to ~40 KB). */
#define NT_HANDSHAKE_TIMEOUT_DEFAULT 10
/* A connection with no traffic for that long is dropped. */
#define NT_IDLE_TIMEOUT_DEFAULT 600

typedef struct nt_loop_conn nt_loop_conn;

typedef struct nt_server {
	int listen_fd;       /* bound, listening, non-blocking; owned by the caller */
	int stop_fd;         /* readable => stop (signalfd or pipe); owned by the caller */
	st_server *db;
	nt_svr_config cfg;
	size_t max_conns;
	size_t max_conns_per_addr; /* 0 means NT_MAX_CONNS_PER_ADDR_DEFAULT */
	int64_t handshake_timeout; /* seconds; 0 means the default */
	int64_t idle_timeout;      /* seconds; 0 means the default */
	size_t hash_workers; /* Argon2id threads; 0 means NT_HASH_WORKERS_DEFAULT */
	size_t hash_queue;   /* outstanding hashes; 0 means NT_HASH_QUEUE_DEFAULT */
	nt_tls_cred cred;    /* initialised in place by the caller */
	/* run state */
	int epoll_fd;
	size_t n_conns;
	nt_loop_conn *conns; /* list of open connections */
	nt_hash_pool *pool;  /* password hashes, off the loop thread */
	nt_online online;    /* user id -> logged-in connections */
	bool notify_pending; /* some connection has NOTIFY frames queued */
	uint64_t notify_dropped; /* NOTIFYs left out for backed-up readers */
	nt_svr_batch batch;  /* the requests of one wake-up, one transaction */
	bool again_pending;  /* some connection's answers were just released */
} nt_server;

/* Runs until stop_fd becomes readable; closes every connection it opened.
 * It sets cfg's is_online, appended and hooks_ctx itself. */
cr_err nt_server_run(nt_server *s) CR_MUST_CHECK;

#endif
