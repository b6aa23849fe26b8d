/*
 * svr_loop.c: the epoll event loop of the server (svr_loop.h).
 */
#include "svr_loop.h"

#include <bearssl.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tls_server.h"
#include "wipe.h"

struct nt_loop_conn {
	int fd;
	nt_loop_conn *prev, *next;
	br_ssl_server_context sc;
	br_x509_certificate chain;
	br_ec_private_key sk;
	bool ready;             /* handshake done, app engine initialised */
	nt_svr_conn app;
	uint8_t *out;           /* response bytes not yet given to TLS */
	size_t out_n;
	cr_reader out_r;
	uint32_t events;        /* what epoll watches for now */
	uint8_t iobuf[BR_SSL_BUFSIZE_BIDI];
};

static void conn_close(nt_server *s, nt_loop_conn *c)
{
	epoll_ctl(s->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
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
	cr_wipe(&c->sc, sizeof c->sc);
	cr_wipe(c->iobuf, sizeof c->iobuf);
	free(c);
}

/* Moves bytes until nothing progresses. False: close the connection. */
static bool pump(nt_server *s, nt_loop_conn *c)
{
	br_ssl_engine_context *eng = &c->sc.eng;
	for (;;) {
		unsigned st = br_ssl_engine_current_state(eng);
		bool progress = false;
		if (st & BR_SSL_CLOSED)
			return false;
		if (st & BR_SSL_SENDREC) {
			size_t len;
			unsigned char *b = br_ssl_engine_sendrec_buf(eng, &len);
			ssize_t n = send(c->fd, b, len, MSG_NOSIGNAL);
			if (n > 0) {
				br_ssl_engine_sendrec_ack(eng, (size_t)n);
				progress = true;
			} else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
				return false;
			}
		}
		if (!c->ready && (st & (BR_SSL_SENDAPP | BR_SSL_RECVAPP))) {
			uint8_t exp[NT_EXPORTER_LEN];
			bool ok = nt_tls_exporter(eng, exp) == CR_OK &&
				  nt_svr_conn_init(&c->app, &s->cfg, s->db, exp) == CR_OK;
			cr_wipe(exp, sizeof exp);
			if (!ok)
				return false;
			c->ready = true;
			progress = true;
		}
		if (c->ready && (st & BR_SSL_RECVAPP) && !nt_svr_conn_closing(&c->app) && !c->out) {
			size_t len, used = 0;
			unsigned char *b = br_ssl_engine_recvapp_buf(eng, &len);
			if (nt_svr_conn_feed(&c->app, b, len, (int64_t)time(NULL), &used) != CR_OK)
				return false;
			if (used) {
				br_ssl_engine_recvapp_ack(eng, used);
				progress = true;
			}
		}
		if (c->ready && !c->out) {
			c->out = nt_svr_conn_take_output(&c->app, &c->out_n);
			if (c->out)
				cr_reader_init(&c->out_r, c->out, c->out_n);
		}
		if (c->out && (st & BR_SSL_SENDAPP)) {
			size_t len;
			unsigned char *b = br_ssl_engine_sendapp_buf(eng, &len);
			size_t k = cr_reader_left(&c->out_r) < len ? cr_reader_left(&c->out_r) : len;
			cr_span part;
			if (cr_read_span(&c->out_r, k, &part))
				return false;
			memcpy(b, part.p, part.n);
			br_ssl_engine_sendapp_ack(eng, part.n);
			if (cr_reader_left(&c->out_r) == 0) {
				free(c->out);
				c->out = NULL;
				br_ssl_engine_flush(eng, 0);
			}
			progress = true;
		}
		/* A closing connection goes once its last answer is on the wire. */
		if (c->ready && nt_svr_conn_closing(&c->app) && !c->out &&
		    !(br_ssl_engine_current_state(eng) & BR_SSL_SENDREC))
			return false;
		if (st & BR_SSL_RECVREC) {
			size_t len;
			unsigned char *b = br_ssl_engine_recvrec_buf(eng, &len);
			ssize_t n = recv(c->fd, b, len, 0);
			if (n > 0) {
				br_ssl_engine_recvrec_ack(eng, (size_t)n);
				progress = true;
			} else if (n == 0) {
				return false;
			} else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
				return false;
			}
		}
		if (!progress)
			break;
	}
	/* Watch for writability only while records wait to be sent. */
	uint32_t want = EPOLLIN | ((br_ssl_engine_current_state(eng) & BR_SSL_SENDREC) ? EPOLLOUT : 0);
	if (want != c->events) {
		struct epoll_event ev = { .events = want, .data.ptr = c };
		if (epoll_ctl(s->epoll_fd, EPOLL_CTL_MOD, c->fd, &ev) != 0)
			return false;
		c->events = want;
	}
	return true;
}

static void accept_all(nt_server *s)
{
	for (;;) {
		int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				fprintf(stderr, "echover server: accept: %s\n", strerror(errno));
			return;
		}
		if (s->n_conns >= s->max_conns) {
			fprintf(stderr, "echover server: connection limit (%zu) reached\n", s->max_conns);
			close(fd);
			continue;
		}
		nt_loop_conn *c = calloc(1, sizeof *c);
		if (!c) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->chain.data = s->cert;
		c->chain.data_len = s->cert_len;
		c->sk.curve = BR_EC_secp256r1;
		c->sk.x = s->key.priv;
		c->sk.xlen = NT_P256_PRIV_LEN;
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
		if (nt_tls_server_setup(&c->sc, &c->chain, &c->sk, c->iobuf, sizeof c->iobuf) != CR_OK ||
		    epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0) {
			close(fd);
			free(c);
			continue;
		}
		c->events = EPOLLIN;
		c->next = s->conns;
		if (s->conns)
			s->conns->prev = c;
		s->conns = c;
		s->n_conns++;
		if (!pump(s, c))
			conn_close(s, c);
	}
}

cr_err nt_server_run(nt_server *s)
{
	s->conns = NULL;
	s->n_conns = 0;
	s->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	CR_ENSURE(s->epoll_fd >= 0, CR_ERR_STATE);
	/* The listening socket and the stop fd are told apart by their data
	 * pointers, which point into s and never at a connection. */
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &s->listen_fd };
	struct epoll_event stop = { .events = EPOLLIN, .data.ptr = &s->stop_fd };
	cr_err err = CR_OK;
	if (epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, s->listen_fd, &ev) != 0 ||
	    epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, s->stop_fd, &stop) != 0) {
		err = CR_ERR_STATE;
		goto out;
	}
	for (bool running = true; running;) {
		struct epoll_event evs[64];
		int n = epoll_wait(s->epoll_fd, evs, 64, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = CR_ERR_STATE;
			break;
		}
		for (int i = 0; i < n; i++) {
			void *p = evs[i].data.ptr;
			if (p == &s->stop_fd) {
				running = false;
			} else if (p == &s->listen_fd) {
				accept_all(s);
			} else {
				nt_loop_conn *c = p;
				if ((evs[i].events & (EPOLLERR | EPOLLHUP)) && !(evs[i].events & EPOLLIN))
					conn_close(s, c);
				else if (!pump(s, c))
					conn_close(s, c);
			}
		}
	}
out:
	while (s->conns)
		conn_close(s, s->conns);
	close(s->epoll_fd);
	return err;
}
