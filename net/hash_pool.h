/*
 * hash_pool.h: Argon2id password hashes off the event loop.
 *
 * An Argon2id hash takes about 0.1 s (DESIGN.md section 5); run on the loop
 * thread, a burst of logins would delay every other user's messages. The
 * connection engine (svr_conn.h) therefore only describes the hash it needs
 * as an nt_hash_job; the caller runs it: inline (tests, fuzzing) with
 * nt_hash_job_run, or on this fixed pool of worker threads (the loop).
 *
 * Invariants:
 * - At most queue_max jobs are accepted and not yet taken back (queued,
 *   running or done); submit past that fails with CR_ERR_LIMIT, so a burst
 *   of logins costs bounded memory (the engine answers "server busy").
 * - A job's password is wiped by the worker right after hashing, and every
 *   job still held at nt_hash_pool_free is wiped and freed.
 * - Completion is signalled on an eventfd (nt_hash_pool_fd): readable while
 *   done jobs wait to be taken. Only the loop thread calls submit, take and
 *   free; workers touch a job only between taking it from the queue and
 *   putting it on the done list.
 * Sizes: one job is ~1.1 KB; each running hash uses its own Argon2 memory
 *   (mem_kib), so hashing uses at most workers * mem_kib at a time.
 */
#ifndef ECHOVER_NT_HASH_POOL_H
#define ECHOVER_NT_HASH_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "pwhash.h"
#include "cr_err.h"
#include "nt_proto.h"

#define NT_HASH_LEN 32
#define NT_HASH_WORKERS_DEFAULT 2
#define NT_HASH_WORKERS_MAX 64
#define NT_HASH_QUEUE_DEFAULT 64

typedef struct nt_hash_job {
	uint8_t pw[NT_PASSWORD_MAX];
	size_t pw_len;
	uint8_t salt[CR_ARGON2_SALT_LEN];
	cr_argon2_params params;
	uint8_t out[NT_HASH_LEN];   /* result, valid when err == CR_OK */
	cr_err err;
	void *owner;                /* the pool user's: who gets the result (NULL: dropped) */
	struct nt_hash_job *next;   /* pool-internal */
} nt_hash_job;

/* Computes j->out and j->err, then wipes the password. */
void nt_hash_job_run(nt_hash_job *j);
/* Wipes the password and the result. */
void nt_hash_job_wipe(nt_hash_job *j);

typedef struct nt_hash_pool nt_hash_pool;

/* workers: 1..NT_HASH_WORKERS_MAX; queue_max >= 1. */
cr_err nt_hash_pool_new(nt_hash_pool **out, size_t workers, size_t queue_max) CR_MUST_CHECK;
/* Stops the workers (a running hash finishes first), joins them, wipes and
 * frees every job still held. NULL is a no-op. */
void nt_hash_pool_free(nt_hash_pool *p);
int nt_hash_pool_fd(const nt_hash_pool *p);
/* Takes ownership of j (from malloc) on CR_OK only; CR_ERR_LIMIT when
 * queue_max jobs are outstanding. */
cr_err nt_hash_pool_submit(nt_hash_pool *p, nt_hash_job *j) CR_MUST_CHECK;
/* A finished job (the caller owns it again), or NULL when none is done. */
nt_hash_job *nt_hash_pool_take(nt_hash_pool *p);

#endif
