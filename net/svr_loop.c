/*
 * svr_loop.c: the epoll event loop of the server (svr_loop.h).
 */
#include "svr_loop.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "notify_q.h"
#include "tls_hello.h"
#include "wipe.h"

struct nt_loop_conn {
	int fd;
	nt_loop_conn *prev, *next;
	/* NULL until the client's first record chose the buffer size; then
	 * one allocation, the context followed by its buffer. */
	nt_tls *tls;
	bool lowat;             /* SO_RCVLOWAT raised while the first record comes */
	bool ready;             /* handshake done, app engine initialised */
	bool again;             /* answers released by a commit: pump it */
	bool doomed;            /* to close after this wake-up's events (one may name it) */
	nt_svr_conn app;
	uint8_t *out;           /* response bytes not yet taken by TLS */
	size_t out_n;
	cr_reader out_r;
	uint32_t events;        /* what epoll watches for now */
	int64_t opened;         /* monotonic seconds */
	int64_t last_active;
	nt_hash_job *inflight;  /* its password hash, queued or running */
	int64_t user;           /* registered in s->online under this id; 0: not */
	nt_notify_q *notify;    /* NOTIFY frames still to send; NULL: none */
	char addr[NT_ADDR_MAX];
};

static void conn_close(nt_server *s, nt_loop_conn *c)
{
	if (c->user)
		nt_online_remove(&s->online, c->user, c);
	epoll_ctl(s->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	/* The pool still holds the job: it comes back ownerless and is
	 * freed then. */
	if (c->inflight)
		c->inflight->owner = NULL;
	if (c->ready)
		nt_svr_conn_free(&c->app);
	free(c->out);
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->n_conns--;
	if (c->tls) {
		nt_tls_wipe(c->tls);
		free(c->tls);
	}
	free(c->notify);
	free(c);
}

static int64_t now_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec;
}

static bool would_block(void)
{
	return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
}

/* Sends what TLS has; false on a dead socket. */
static bool send_records(nt_loop_conn *c, bool *progress)
{
	size_t len;
	const uint8_t *p = nt_tls_send_buf(c->tls, &len);
	if (!p)
		return true;
	ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);
	if (n > 0) {
		nt_tls_send_done(c->tls, (size_t)n);
		*progress = true;
		return true;
	}
	return n < 0 && would_block();
}

/* Hands a suspended request's hash to the pool, or answers BUSY when the
 * pool's queue is full. False only when the engine fails. */
static bool submit_hash(nt_server *s, nt_loop_conn *c, bool *progress)
{
	nt_hash_job *j = nt_svr_conn_job(&c->app);
	if (!j || c->inflight)
		return true;
	nt_hash_job *copy = malloc(sizeof *copy);
	if (copy) {
		*copy = *j;
		copy->owner = c;
	}
	if (copy && nt_hash_pool_submit(s->pool, copy) == CR_OK) {
		c->inflight = copy;
		nt_hash_job_wipe(j);
		return true;
	}
	if (copy) {
		nt_hash_job_wipe(copy);
		free(copy);
	}
	fprintf(stderr, "echover server: password hash queue full, request from %s refused\n", c->addr);
	*progress = true;
	return nt_svr_conn_busy(&c->app) == CR_OK;
}

/* Moves application bytes between TLS and the connection engine. */
static bool app_step(nt_server *s, nt_loop_conn *c, bool *progress)
{
	if (!c->ready) {
		uint8_t exp[NT_EXPORTER_LEN];
		bool ok = nt_tls_exporter(c->tls, NT_EXPORTER_LABEL, NULL, 0, exp, sizeof exp) == CR_OK &&
			  nt_svr_conn_init(&c->app, &s->cfg, s->db, exp) == CR_OK;
		cr_wipe(exp, sizeof exp);
		if (!ok)
			return false;
		nt_svr_conn_set_addr(&c->app, c->addr);
		c->ready = true;
		*progress = true;
	}
	/* Answers first: a connection joins a batch only with none of its own
	 * answers left in the engine, so what a batch holds is its own. */
	if (!c->out) {
		c->out = nt_svr_conn_take_output(&c->app, &c->out_n);
		if (c->out)
			cr_reader_init(&c->out_r, c->out, c->out_n);
	}
	if (!c->out && c->notify) {
		/* Between whole response frames: the engine's output is frames. */
		cr_writer w;
		cr_writer_init_dynamic(&w, (size_t)s->cfg.frame_max);
		nt_notify_q_flush(c->notify, &w, s->cfg.frame_max);
		/* An idle connection keeps no queue (notify_conn makes one). */
		free(c->notify);
		c->notify = NULL;
		if (cr_writer_error(&w) == CR_OK && w.len) {
			c->out = cr_writer_take(&w, &c->out_n);
			cr_reader_init(&c->out_r, c->out, c->out_n);
		}
		cr_writer_free(&w);
	}
	if (c->out) {
		cr_reader peek = c->out_r;
		cr_span rest, done;
		if (cr_read_span(&peek, cr_reader_left(&peek), &rest))
			return false;
		size_t k = nt_tls_push_plaintext(c->tls, rest.p, rest.n);
		if (cr_read_span(&c->out_r, k, &done))
			return false;
		if (k)
			*progress = true;
		if (cr_reader_left(&c->out_r) == 0) {
			free(c->out);
			c->out = NULL;
		}
	}
	if (!nt_svr_conn_closing(&c->app) && !c->out) {
		/* Fed in place from the TLS buffer: what the engine leaves
		 * there waits for the next turn, and holds back further records. */
		size_t len;
		const uint8_t *in = nt_tls_app_in(c->tls, &len);
		if (in) {
			size_t used = 0;
			if ((s->batch.open && nt_svr_batch_add(&s->batch, &c->app, c) != CR_OK) ||
			    nt_svr_conn_feed(&c->app, in, len, (int64_t)time(NULL), &used) != CR_OK)
				return false;
			nt_tls_app_in_done(c->tls, used);
			if (used)
				*progress = true;
		}
		if (!submit_hash(s, c, progress))
			return false;
	}
	/* A closing connection goes once its last answer is on the wire (an
	 * answer a batch holds is still to come). */
	return !(nt_svr_conn_closing(&c->app) && !c->out && c->app.out.len == 0 && !nt_tls_want_write(c->tls));
}

/* Moves bytes until nothing progresses. False: close the connection. */
static bool pump(nt_server *s, nt_loop_conn *c)
{
	for (;;) {
		bool progress = false;
		if (!send_records(c, &progress))
			return false;
		nt_tls_state st = nt_tls_status(c->tls);
		if (st == NT_TLS_CLOSED || st == NT_TLS_FAILED) {
			/* Send a final alert if the socket takes it now, then go. */
			bool more = true;
			for (int i = 0; i < 4 && more && nt_tls_want_write(c->tls); i++) {
				more = false;
				if (!send_records(c, &more))
					break;
			}
			return false;
		}
		if (st == NT_TLS_READY && !app_step(s, c, &progress))
			return false;
		size_t len;
		uint8_t *p = nt_tls_recv_buf(c->tls, &len);
		if (p) {
			ssize_t n = recv(c->fd, p, len, 0);
			if (n > 0) {
				nt_tls_recv_done(c->tls, (size_t)n);
				progress = true;
			} else if (n == 0 || !would_block()) {
				return false;
			}
		}
		if (!progress)
			break;
		c->last_active = now_mono();
	}
	/* Watch for writability only while records wait to be sent. */
	/* A connection waiting for its hash reads nothing meanwhile; watching
	 * EPOLLIN would only spin on input it cannot take. */
	if (c->ready && !c->user && nt_svr_conn_user(&c->app)) {
		if (nt_online_add(&s->online, nt_svr_conn_user(&c->app), c) != CR_OK)
			return false;
		c->user = nt_svr_conn_user(&c->app);
	}
	uint32_t want = (c->inflight ? 0 : EPOLLIN) | (nt_tls_want_write(c->tls) ? EPOLLOUT : 0);
	if (want != c->events) {
		struct epoll_event ev = { .events = want, .data.ptr = c };
		if (epoll_ctl(s->epoll_fd, EPOLL_CTL_MOD, c->fd, &ev) != 0)
			return false;
		c->events = want;
	}
	return true;
}

/* Sizes the connection's TLS buffer for the record size the client's
 * ClientHello asks for (tls_hello.h): an echover client asks for small
 * records, so an idle one costs a few KB; a client that asks for none, or
 * whose first record says nothing clear, gets the full buffer and BearSSL
 * judges its bytes as before. The bytes are only peeked at: BearSSL reads
 * them again. Until the first record is whole the connection waits, as
 * bounded by the handshake time-out as the handshake itself. events: what
 * epoll reported (0 right after accept). False: close the connection. */
static bool tls_start(nt_server *s, nt_loop_conn *c, uint32_t events)
{
	uint8_t first[NT_TLS_HELLO_MAX];
	ssize_t n = recv(c->fd, first, sizeof first, MSG_PEEK);
	if (n == 0 || (n < 0 && !would_block()))
		return false;
	size_t frag, need;
	cr_err e = nt_tls_hello_frag(first, n > 0 ? (size_t)n : 0, &frag, &need);
	if (e == CR_ERR_TRUNCATED) {
		/* A peer that hung up mid-record will send no more. */
		if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
			return false;
		/* Level-triggered epoll would report the bytes already there
		 * on every turn: wake when the whole record can be read. */
		int lowat = (int)need;
		if (setsockopt(c->fd, SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof lowat) != 0)
			return false;
		c->lowat = true;
		return true;
	}
	int one = 1;
	if (c->lowat && setsockopt(c->fd, SOL_SOCKET, SO_RCVLOWAT, &one, sizeof one) != 0)
		return false;
	c->lowat = false;
	size_t len = NT_TLS_BUF_LEN(frag);
	nt_tls *t = malloc(sizeof *t + len);
	if (!t)
		return false;
	if (nt_tls_server_init(t, &s->cred, (uint8_t *)(t + 1), len, s->cfg.rng) != CR_OK) {
		nt_tls_wipe(t);
		free(t);
		return false;
	}
	c->tls = t;
	return pump(s, c);
}

static bool loop_is_online(void *ctx, int64_t user)
{
	const nt_server *s = ctx;
	return nt_online_has(&s->online, user);
}

typedef struct fanout {
	nt_server *s;
	const nt_svr_conn *origin;
	const uint8_t *gid;
	size_t gid_len;
	uint64_t position;
} fanout;

static void notify_conn(void *ctx, void *conn)
{
	fanout *f = ctx;
	nt_loop_conn *c = conn;
	if (&c->app == f->origin)
		return;
	/* A reader that lets a frame limit of output pile up gets no more
	 * notifications: it will FETCH anyway, and the loop stays bounded. */
	size_t backlog = (c->out ? cr_reader_left(&c->out_r) : 0) + c->app.out.len;
	if (backlog > f->s->cfg.frame_max) {
		f->s->notify_dropped++;
		return;
	}
	if (!c->notify) {
		c->notify = malloc(sizeof *c->notify);
		if (!c->notify) {
			f->s->notify_dropped++;
			return;
		}
		nt_notify_q_init(c->notify);
	}
	if (!nt_notify_q_push(c->notify, f->gid, f->gid_len, f->position)) {
		f->s->notify_dropped++;
		if (c->notify->n == 0) {
			free(c->notify);
			c->notify = NULL;
		}
		return;
	}
	f->s->notify_pending = true;
}

static st_err notify_member(void *ctx, const st_member *m)
{
	fanout *f = ctx;
	nt_online_each(&f->s->online, m->user, notify_conn, f);
	return ST_OK;
}

/* The engine's sink, called after the transaction committed. Members a
 * commit just added are members by now, so they are told too. */
static void loop_appended(void *ctx, int64_t group, const uint8_t *gid, size_t gid_len, uint64_t position,
			  const nt_svr_conn *origin)
{
	nt_server *s = ctx;
	fanout f = { s, origin, gid, gid_len, position };
	if (st_member_list(s->db, group, notify_member, &f) != ST_OK)
		fprintf(stderr, "echover server: cannot list members for notifications\n");
}

/* Sends the answers the last commit released and the queued NOTIFY
 * frames. Runs inside the next batch (their pumps may feed more requests),
 * before that wake-up's events. */
static bool pending_out(nt_server *s)
{
	bool doomed = false;
	if (!s->notify_pending && !s->again_pending)
		return false;
	s->notify_pending = s->again_pending = false;
	for (nt_loop_conn *c = s->conns, *next; c; c = next) {
		next = c->next;
		if (!c->again && !c->notify)
			continue;
		c->again = false;
		/* evs[] of this wake-up may still name c: closed after them. */
		if (!pump(s, c))
			c->doomed = doomed = true;
	}
	return doomed;
}

static void close_doomed(nt_server *s)
{
	for (nt_loop_conn *c = s->conns, *next; c; c = next) {
		next = c->next;
		if (c->doomed)
			conn_close(s, c);
	}
}

/* Ends the wake-up's batch: one durable COMMIT for all of its requests,
 * then their answers may go (next turn of the loop, pending_out). */
static void batch_done(nt_server *s)
{
	size_t n = nt_svr_batch_size(&s->batch);
	if (nt_svr_batch_commit(&s->batch) != CR_OK)
		fprintf(stderr,
			"echover server: a commit failed; the %zu connections of its batch were answered"
			" INTERNAL and are closed\n",
			n);
	for (size_t i = 0; i < n; i++) {
		nt_loop_conn *c = nt_svr_batch_tag(&s->batch, i);
		c->again = true;
	}
	if (n)
		s->again_pending = true;
}

static void addr_text(const struct sockaddr_storage *sa, char *out, size_t n)
{
	snprintf(out, n, "?");
	if (sa->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)n);
	else if (sa->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)n);
}

/* Answers the requests whose hashes are done. Runs after a batch of
 * events, so closing a connection here cannot leave a stale event. */
static void hashes_done(nt_server *s)
{
	nt_hash_job *j;
	while ((j = nt_hash_pool_take(s->pool)) != NULL) {
		nt_loop_conn *c = j->owner;
		bool ok = true;
		if (c) {
			c->inflight = NULL;
			ok = (!s->batch.open || nt_svr_batch_add(&s->batch, &c->app, c) == CR_OK) &&
			     nt_svr_conn_resume(&c->app, j) == CR_OK;
		}
		nt_hash_job_wipe(j);
		free(j);
		if (c && (!ok || !pump(s, c)))
			conn_close(s, c);
	}
}

static void accept_all(nt_server *s)
{
	for (;;) {
		struct sockaddr_storage sa;
		socklen_t sa_len = sizeof sa;
		int fd = accept4(s->listen_fd, (struct sockaddr *)&sa, &sa_len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (!would_block())
				fprintf(stderr, "echover server: accept: %s\n", strerror(errno));
			return;
		}
		if (s->n_conns >= s->max_conns) {
			fprintf(stderr, "echover server: connection limit (%zu) reached\n", s->max_conns);
			close(fd);
			continue;
		}
		char addr[NT_ADDR_MAX];
		addr_text(&sa, addr, sizeof addr);
		size_t per_addr = s->max_conns_per_addr ? s->max_conns_per_addr : NT_MAX_CONNS_PER_ADDR_DEFAULT;
		size_t same = 0;
		for (const nt_loop_conn *o = s->conns; o; o = o->next)
			same += strcmp(o->addr, addr) == 0;
		if (same >= per_addr) {
			fprintf(stderr, "echover server: connection limit per address (%zu) reached by %s\n", per_addr,
				addr);
			close(fd);
			continue;
		}
		nt_loop_conn *c = calloc(1, sizeof *c);
		if (!c) {
			close(fd);
			continue;
		}
		c->fd = fd;
		/* Answers go out as soon as they are committed; the loop already
		 * writes a wake-up's answers in one send. */
		int one = 1;
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		memcpy(c->addr, addr, sizeof addr);
		c->opened = c->last_active = now_mono();
		/* No TLS yet: tls_start sizes it from the first record. */
		struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.ptr = c };
		if (epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0) {
			close(fd);
			free(c);
			continue;
		}
		c->events = ev.events;
		c->next = s->conns;
		if (s->conns)
			s->conns->prev = c;
		s->conns = c;
		s->n_conns++;
		if (!tls_start(s, c, 0))
			conn_close(s, c);
	}
}

/* Drops connections past their handshake or idle time-out. */
static void sweep(nt_server *s)
{
	int64_t now = now_mono();
	int64_t hs = s->handshake_timeout > 0 ? s->handshake_timeout : NT_HANDSHAKE_TIMEOUT_DEFAULT;
	int64_t idle = s->idle_timeout > 0 ? s->idle_timeout : NT_IDLE_TIMEOUT_DEFAULT;
	for (nt_loop_conn *c = s->conns, *next; c; c = next) {
		next = c->next;
		if ((!c->ready && now - c->opened >= hs) || now - c->last_active >= idle)
			conn_close(s, c);
	}
}

cr_err nt_server_run(nt_server *s)
{
	s->conns = NULL;
	s->n_conns = 0;
	s->notify_pending = false;
	s->notify_dropped = 0;
	s->again_pending = false;
	nt_svr_batch_init(&s->batch, s->db);
	s->cfg.is_online = loop_is_online;
	s->cfg.appended = loop_appended;
	s->cfg.hooks_ctx = s;
	CR_TRY(nt_online_init(&s->online, s->max_conns));
	s->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epoll_fd < 0) {
		nt_online_free(&s->online);
		return CR_ERR_STATE;
	}
	/* The listening socket and the stop fd are told apart by their data
	 * pointers, which point into s and never at a connection. */
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &s->listen_fd };
	struct epoll_event stop = { .events = EPOLLIN, .data.ptr = &s->stop_fd };
	struct epoll_event done = { .events = EPOLLIN, .data.ptr = &s->pool };
	s->pool = NULL;
	cr_err err = nt_hash_pool_new(&s->pool, s->hash_workers ? s->hash_workers : NT_HASH_WORKERS_DEFAULT,
				      s->hash_queue ? s->hash_queue : NT_HASH_QUEUE_DEFAULT);
	if (err)
		goto out;
	if (epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, s->listen_fd, &ev) != 0 ||
	    epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, s->stop_fd, &stop) != 0 ||
	    epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, nt_hash_pool_fd(s->pool), &done) != 0) {
		err = CR_ERR_STATE;
		goto out;
	}
	for (bool running = true; running;) {
		struct epoll_event evs[64];
		/* Wake once a second to enforce the time-outs. */
		int n = epoll_wait(s->epoll_fd, evs, 64,
				   s->notify_pending || s->again_pending ? 0 : s->conns ? 1000 : -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = CR_ERR_STATE;
			break;
		}
		bool done_ready = false;
		/* Without a batch (the store refused one) each request commits
		 * by itself, as nt_svr_conn_feed does alone. */
		bool batched = nt_svr_batch_begin(&s->batch) == CR_OK;
		bool doomed = pending_out(s);
		for (int i = 0; i < n; i++) {
			void *p = evs[i].data.ptr;
			if (p == &s->pool) {
				done_ready = true;
			} else if (p == &s->stop_fd) {
				running = false;
			} else if (p == &s->listen_fd) {
				accept_all(s);
			} else {
				nt_loop_conn *c = p;
				if (!c->doomed && !(c->tls ? pump(s, c) : tls_start(s, c, evs[i].events)))
					conn_close(s, c);
			}
		}
		if (done_ready)
			hashes_done(s);
		if (batched)
			batch_done(s);
		if (doomed)
			close_doomed(s);
		if (running)
			sweep(s);
	}
out:
	while (s->conns)
		conn_close(s, s->conns);
	/* After the connections: their jobs are ownerless by now. */
	nt_hash_pool_free(s->pool);
	s->pool = NULL;
	nt_svr_batch_free(&s->batch);
	nt_online_free(&s->online);
	close(s->epoll_fd);
	return err;
}
