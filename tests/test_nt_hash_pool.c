/*
 * test_nt_hash_pool.c: the Argon2id worker pool (net/hash_pool.h) and the
 * failed-login limits (net/rate_limit.h): jobs complete with the inline
 * result, the queue bound holds, shutdown joins with jobs still held,
 * buckets fill, drain and stay bounded.
 */
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "hash_pool.h"
#include "rate_limit.h"
#include "rng.h"
#include "t.h"
#include "wipe.h"

static nt_hash_job *make_job(uint8_t tag)
{
	nt_hash_job *j = calloc(1, sizeof *j);
	if (!CHECK(j != NULL))
		return NULL;
	memset(j->pw, 'a' + tag % 26, 12);
	j->pw_len = 12;
	memset(j->salt, tag, sizeof j->salt);
	j->params = (cr_argon2_params){ 1, 8 };
	j->err = CR_ERR_STATE;
	j->owner = (void *)(uintptr_t)(tag + 1);
	return j;
}

/* Waits until the pool's eventfd is readable, then takes one job. */
static nt_hash_job *wait_take(nt_hash_pool *p)
{
	for (int i = 0; i < 200; i++) {
		nt_hash_job *j = nt_hash_pool_take(p);
		if (j)
			return j;
		struct pollfd pf = { nt_hash_pool_fd(p), POLLIN, 0 };
		poll(&pf, 1, 50);
	}
	return NULL;
}

TEST(jobs_complete_with_inline_result)
{
	nt_hash_pool *p;
	CHECK_ERR(nt_hash_pool_new(&p, 0, 4), CR_ERR_ARG);
	CHECK_ERR(nt_hash_pool_new(&p, 2, 0), CR_ERR_ARG);
	CHECK_OK(nt_hash_pool_new(&p, 2, 8));
	bool seen[6] = { false };
	for (uint8_t t = 0; t < 6; t++) {
		nt_hash_job *j = make_job(t);
		CHECK_OK(nt_hash_pool_submit(p, j));
	}
	for (int k = 0; k < 6; k++) {
		nt_hash_job *j = wait_take(p);
		if (!CHECK(j != NULL))
			break;
		uint8_t t = (uint8_t)((uintptr_t)j->owner - 1);
		CHECK(t < 6 && !seen[t]);
		seen[t] = true;
		/* Same result as the hash run inline; the password is wiped. */
		nt_hash_job *ref = make_job(t);
		nt_hash_job_run(ref);
		CHECK_OK(j->err);
		CHECK_MEM(j->out, ref->out, sizeof j->out);
		CHECK(j->pw_len == 0 && j->pw[0] == 0);
		free(ref);
		nt_hash_job_wipe(j);
		free(j);
	}
	CHECK(nt_hash_pool_take(p) == NULL);
	nt_hash_pool_free(p);
	nt_hash_pool_free(NULL);
}

TEST(different_salt_different_hash)
{
	nt_hash_job *a = make_job(1), *b = make_job(2);
	memcpy(b->pw, a->pw, sizeof a->pw);
	nt_hash_job_run(a);
	nt_hash_job_run(b);
	CHECK(memcmp(a->out, b->out, sizeof a->out) != 0);
	free(a);
	free(b);
}

TEST(queue_bound_honoured)
{
	nt_hash_pool *p;
	CHECK_OK(nt_hash_pool_new(&p, 1, 3));
	nt_hash_job *js[4];
	for (uint8_t t = 0; t < 3; t++) {
		js[t] = make_job(t);
		CHECK_OK(nt_hash_pool_submit(p, js[t]));
	}
	/* Done but not taken back still counts. */
	js[3] = make_job(3);
	CHECK_ERR(nt_hash_pool_submit(p, js[3]), CR_ERR_LIMIT);
	nt_hash_job *j = wait_take(p);
	CHECK(j != NULL);
	free(j);
	CHECK_OK(nt_hash_pool_submit(p, js[3]));
	for (int k = 0; k < 3; k++)
		free(wait_take(p));
	CHECK(nt_hash_pool_take(p) == NULL);
	nt_hash_pool_free(p);
}

TEST(shutdown_joins_with_jobs_held)
{
	/* Queued, running and done jobs are all freed by free (the sanitizer
	 * run reports a leak or a race otherwise). */
	nt_hash_pool *p;
	CHECK_OK(nt_hash_pool_new(&p, 2, 16));
	for (uint8_t t = 0; t < 16; t++)
		CHECK_OK(nt_hash_pool_submit(p, make_job(t)));
	nt_hash_job *j = wait_take(p);
	CHECK(j != NULL);
	free(j);
	nt_hash_pool_free(p);
}

TEST(rate_buckets)
{
	nt_rate r;
	CHECK_ERR(nt_rate_init(&r, 3, 2, 0), CR_ERR_ARG);
	CHECK_OK(nt_rate_init(&r, 3, 2, 4));
	const uint8_t *a = (const uint8_t *)"192.0.2.1", *u = (const uint8_t *)"alice";
	CHECK(nt_rate_check(&r, a, 9, u, 5, 0) == NT_RATE_OK);
	nt_rate_fail(&r, a, 9, u, 5, 0);
	CHECK(nt_rate_check(&r, a, 9, u, 5, 0) == NT_RATE_OK);
	nt_rate_fail(&r, a, 9, u, 5, 0);
	CHECK(nt_rate_check(&r, a, 9, u, 5, 0) == NT_RATE_USER);
	CHECK(nt_rate_check(&r, a, 9, (const uint8_t *)"bob", 3, 0) == NT_RATE_OK);
	nt_rate_fail(&r, a, 9, (const uint8_t *)"bob", 3, 0);
	CHECK(nt_rate_check(&r, a, 9, (const uint8_t *)"carol", 5, 0) == NT_RATE_ADDR);
	/* Drains: per_window per NT_RATE_WINDOW; half a window frees one
	 * failure of alice's two (2 per window). */
	CHECK(nt_rate_check(&r, (const uint8_t *)"x", 1, u, 5, NT_RATE_WINDOW / 2) == NT_RATE_OK);
	CHECK(nt_rate_check(&r, (const uint8_t *)"x", 1, u, 5, NT_RATE_WINDOW / 4) == NT_RATE_OK);
	nt_rate_free(&r);
	/* Table bound: more keys than cap evict, memory stays at cap. */
	CHECK_OK(nt_rate_init(&r, 1, 0, 4));
	char k[8];
	for (int i = 0; i < 20; i++) {
		k[0] = (char)('a' + i);
		nt_rate_fail(&r, (const uint8_t *)k, 1, u, 5, 0);
		CHECK(r.addr.n <= 4);
		CHECK(nt_rate_check(&r, (const uint8_t *)k, 1, u, 5, 0) == NT_RATE_ADDR);
	}
	/* Limit 0 disables the user table. */
	CHECK(r.user.n == 0);
	/* Empty keys are never limited. */
	nt_rate_fail(&r, NULL, 0, NULL, 0, 0);
	CHECK(nt_rate_check(&r, NULL, 0, NULL, 0, 0) == NT_RATE_OK);
	nt_rate_free(&r);
}

static const t_case cases[] = {
	T(jobs_complete_with_inline_result), T(different_salt_different_hash), T(queue_bound_honoured),
	T(shutdown_joins_with_jobs_held), T(rate_buckets), { 0 },
};

int main(int argc, char **argv)
{
	CHECK_OK(cr_init());
	return t_main(argc, argv, cases);
}
