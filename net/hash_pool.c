/*
 * hash_pool.c: worker threads for Argon2id (hash_pool.h).
 */
#include "hash_pool.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "wipe.h"

struct nt_hash_pool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stopping;
	size_t queue_max, outstanding;
	nt_hash_job *q_head, *q_tail;   /* waiting for a worker */
	nt_hash_job *done;              /* finished, not yet taken */
	int efd;
	size_t n_threads;
	pthread_t threads[NT_HASH_WORKERS_MAX];
};

void nt_hash_job_run(nt_hash_job *j)
{
	j->err = cr_argon2id(j->out, sizeof j->out, j->pw, j->pw_len, j->salt, j->params);
	cr_wipe(j->pw, sizeof j->pw);
	j->pw_len = 0;
}

void nt_hash_job_wipe(nt_hash_job *j)
{
	cr_wipe(j->pw, sizeof j->pw);
	cr_wipe(j->out, sizeof j->out);
	j->pw_len = 0;
}

static void free_list(nt_hash_job *j)
{
	while (j) {
		nt_hash_job *next = j->next;
		nt_hash_job_wipe(j);
		free(j);
		j = next;
	}
}

static void *worker(void *arg)
{
	nt_hash_pool *p = arg;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->stopping && !p->q_head)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->stopping)
			break;
		nt_hash_job *j = p->q_head;
		p->q_head = j->next;
		if (!p->q_head)
			p->q_tail = NULL;
		pthread_mutex_unlock(&p->mu);
		nt_hash_job_run(j);
		pthread_mutex_lock(&p->mu);
		j->next = p->done;
		p->done = j;
		uint64_t one = 1;
		/* Cannot fail short of the counter overflowing; the loop also
		 * drains the done list whenever it wakes. */
		ssize_t w = write(p->efd, &one, sizeof one);
		(void)w;
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

cr_err nt_hash_pool_new(nt_hash_pool **out, size_t workers, size_t queue_max)
{
	*out = NULL;
	CR_ENSURE(workers >= 1 && workers <= NT_HASH_WORKERS_MAX && queue_max >= 1, CR_ERR_ARG);
	nt_hash_pool *p = calloc(1, sizeof *p);
	CR_ENSURE(p, CR_ERR_NOMEM);
	p->queue_max = queue_max;
	p->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (p->efd < 0) {
		free(p);
		return CR_ERR_STATE;
	}
	if (pthread_mutex_init(&p->mu, NULL) != 0) {
		close(p->efd);
		free(p);
		return CR_ERR_STATE;
	}
	if (pthread_cond_init(&p->cv, NULL) != 0) {
		pthread_mutex_destroy(&p->mu);
		close(p->efd);
		free(p);
		return CR_ERR_STATE;
	}
	for (size_t i = 0; i < workers; i++) {
		if (pthread_create(&p->threads[i], NULL, worker, p) != 0) {
			nt_hash_pool_free(p);
			return CR_ERR_STATE;
		}
		p->n_threads++;
	}
	*out = p;
	return CR_OK;
}

void nt_hash_pool_free(nt_hash_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stopping = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	for (size_t i = 0; i < p->n_threads; i++)
		pthread_join(p->threads[i], NULL);
	free_list(p->q_head);
	free_list(p->done);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	close(p->efd);
	free(p);
}

int nt_hash_pool_fd(const nt_hash_pool *p)
{
	return p->efd;
}

cr_err nt_hash_pool_submit(nt_hash_pool *p, nt_hash_job *j)
{
	cr_err err = CR_OK;
	pthread_mutex_lock(&p->mu);
	if (p->outstanding >= p->queue_max || p->stopping) {
		err = CR_ERR_LIMIT;
	} else {
		p->outstanding++;
		j->next = NULL;
		if (p->q_tail)
			p->q_tail->next = j;
		else
			p->q_head = j;
		p->q_tail = j;
		pthread_cond_signal(&p->cv);
	}
	pthread_mutex_unlock(&p->mu);
	return err;
}

nt_hash_job *nt_hash_pool_take(nt_hash_pool *p)
{
	pthread_mutex_lock(&p->mu);
	nt_hash_job *j = p->done;
	if (j) {
		p->done = j->next;
		j->next = NULL;
		p->outstanding--;
	}
	if (!p->done) {
		/* Reset the counter under the lock: a worker that finishes
		 * later writes again, so no completion goes unsignalled. */
		uint64_t v;
		ssize_t r = read(p->efd, &v, sizeof v);
		(void)r;
	}
	pthread_mutex_unlock(&p->mu);
	return j;
}
