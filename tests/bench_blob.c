/*
 * bench_blob.c: `./build.sh bench blob`: what one blob upload costs the
 * server's event loop. The connection engine (net/svr_conn.h) runs in this
 * process over a database file in a temporary folder (WAL, synchronous=FULL,
 * as the server runs it), fed the frames a client sends: a 100 MiB blob in
 * pieces of one frame limit, then read back. Each BLOB_WRITE is one pass of
 * the loop for one user; the slowest of them is what every other user may
 * wait. The network and TLS are not in these figures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "cli_conn.h"
#include "hash.h"
#include "rng.h"
#include "svr_conn.h"

#define BLOB_SIZE (100ull << 20)
#define FRAME_MAX (1u << 20)

typedef struct bench {
	nt_svr_config cfg;
	st_server *db;
	nt_svr_conn srv;
	nt_cli_conn cli;
	nt_cli_resp resp;
	uint8_t *out;       /* the server's last output (resp borrows it) */
	int failures;
} bench;

/* Feeds one request frame to the server; decodes its one answer. */
static bool exchange(bench *b, cr_writer *w, uint32_t id, uint16_t expected)
{
	bool ok = false;
	size_t used = 0, n = 0;
	if (cr_writer_error(w) == CR_OK && nt_svr_conn_feed_sync(&b->srv, w->p, w->len, 0, &used) == CR_OK &&
	    used == w->len) {
		free(b->out);
		b->out = nt_svr_conn_take_output(&b->srv, &n);
		cr_reader r;
		cr_reader_init(&r, b->out, n);
		bool got = false;
		ok = nt_cli_feed(&b->cli, &r, &got, &b->resp) == CR_OK && got && b->resp.id == id &&
		     b->resp.type == expected;
	}
	cr_writer_free(w);
	b->failures += !ok;
	return ok;
}

static void new_writer(cr_writer *w)
{
	cr_writer_init_dynamic(w, FRAME_MAX + NT_FRAME_HDR_LEN);
}

static bool log_in(bench *b)
{
	static const uint8_t seed[32] = { 7 };
	uint8_t exporter[NT_EXPORTER_LEN] = { 1 };
	if (nt_svr_conn_init(&b->srv, &b->cfg, b->db, exporter))
		return false;
	nt_cli_conn_init(&b->cli, FRAME_MAX);
	nt_cli_bind(&b->cli, exporter, b->cfg.server_pin);
	cr_writer w;
	uint32_t id;
	new_writer(&w);
	id = nt_cli_hello(&b->cli, &w);
	if (!exchange(b, &w, id, NT_HELLO_OK))
		return false;
	new_writer(&w);
	if (nt_cli_register(&b->cli, &w, "bench", "a bench password", seed, NULL, &id) ||
	    !exchange(b, &w, id, NT_REGISTER_OK))
		return false;
	new_writer(&w);
	return nt_cli_login(&b->cli, &w, "bench", "a bench password", seed, &id) == CR_OK &&
	       exchange(b, &w, id, NT_LOGIN_OK);
}

/* Piece k of the blob: bytes that differ from piece to piece. */
static void fill(uint8_t *p, size_t n, uint64_t k)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 31 + k * 7 + (i >> 9));
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, c = *(const double *)y;
	return a < c ? -1 : a > c;
}

int main(void)
{
	if (cr_init())
		return 1;
	char dir[] = "/tmp/echover-bench-blob-XXXXXX", path[64];
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof path, "%s/server.db", dir);
	bench b;
	memset(&b, 0, sizeof b);
	b.cfg.frame_max = FRAME_MAX;
	b.cfg.argon = (cr_argon2_params){ 1, 8 };
	b.cfg.rng = cr_rng_system();
	memset(b.cfg.server_pin, 0x5e, sizeof b.cfg.server_pin);
	size_t piece = FRAME_MAX - NT_CLI_BLOB_WRITE_OVERHEAD - 64;
	uint64_t pieces = (BLOB_SIZE + piece - 1) / piece;
	uint8_t *buf = malloc(piece);
	double *t = malloc(pieces * sizeof *t);
	int rc = 1;
	if (!buf || !t || st_server_open(&b.db, path) || !log_in(&b)) {
		fprintf(stderr, "bench_blob: set-up failed\n");
		goto out;
	}
	uint8_t hash[32];
	cr_sha256_ctx h;
	cr_sha256_init(&h);
	for (uint64_t k = 0, off = 0; k < pieces; k++, off += piece) {
		size_t n = BLOB_SIZE - off < piece ? (size_t)(BLOB_SIZE - off) : piece;
		fill(buf, n, k);
		cr_sha256_update(&h, buf, n);
	}
	cr_sha256_final(&h, hash);
	cr_writer w;
	new_writer(&w);
	uint32_t id = nt_cli_blob_create(&b.cli, &w, BLOB_SIZE, hash);
	if (!exchange(&b, &w, id, NT_BLOB_CREATE_OK))
		goto out;
	uint8_t blob_id[NT_BLOB_ID_LEN];
	memcpy(blob_id, b.resp.blob_id, sizeof blob_id);
	uint64_t start = bench_now_ns();
	for (uint64_t k = 0, off = 0; k < pieces; k++, off += piece) {
		size_t n = BLOB_SIZE - off < piece ? (size_t)(BLOB_SIZE - off) : piece;
		fill(buf, n, k);
		new_writer(&w);
		id = nt_cli_blob_write(&b.cli, &w, blob_id, off, buf, n);
		uint64_t a = bench_now_ns();
		if (!exchange(&b, &w, id, NT_BLOB_WRITE_OK) || b.resp.complete != (k + 1 == pieces))
			goto out;
		t[k] = (double)(bench_now_ns() - a);
	}
	double up = (double)(bench_now_ns() - start);
	double last = t[pieces - 1];
	qsort(t, pieces - 1, sizeof *t, cmp_double);
	start = bench_now_ns();
	double slowest_read = 0;
	for (uint64_t off = 0; off < BLOB_SIZE; off += b.resp.data.n) {
		new_writer(&w);
		id = nt_cli_blob_read(&b.cli, &w, blob_id, off, 0);
		uint64_t a = bench_now_ns();
		if (!exchange(&b, &w, id, NT_BLOB_DATA) || b.resp.data.n == 0)
			goto out;
		double one = (double)(bench_now_ns() - a);
		slowest_read = one > slowest_read ? one : slowest_read;
	}
	double down = (double)(bench_now_ns() - start);
	printf("100 MiB blob, %llu pieces of %zu bytes, through the engine (no TLS, no network)\n",
	       (unsigned long long)pieces, piece);
	printf("%-42s %11.2f ms\n", "BLOB_WRITE, median piece", t[(pieces - 1) / 2] / 1e6);
	printf("%-42s %11.2f ms\n", "BLOB_WRITE, slowest piece but the last", t[pieces - 2] / 1e6);
	printf("%-42s %11.2f ms\n", "BLOB_WRITE, last piece (completes)", last / 1e6);
	printf("%-42s %11.0f MB/s\n", "upload, whole blob", (double)BLOB_SIZE / 1e6 / (up / 1e9));
	printf("%-42s %11.2f ms\n", "BLOB_READ, slowest piece", slowest_read / 1e6);
	printf("%-42s %11.0f MB/s\n", "download, whole blob", (double)BLOB_SIZE / 1e6 / (down / 1e9));
	rc = b.failures ? 1 : 0;
out:
	if (b.failures)
		fprintf(stderr, "bench_blob: %d exchanges failed\n", b.failures);
	nt_svr_conn_free(&b.srv);
	nt_cli_conn_free(&b.cli);
	free(b.out);
	st_server_close(b.db);
	free(buf);
	free(t);
	char side[96];
	unlink(path);
	snprintf(side, sizeof side, "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof side, "%s-shm", path);
	unlink(side);
	rmdir(dir);
	return rc;
}
