/*
 * cli_file.c: file transfer over a client session (cli_file.h).
 */
#include "cli_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hash.h"
#include "safety.h"
#include "wipe.h"

_Static_assert(sizeof(((nt_file_ref *)0)->key) == CR_FILE_KEY_LEN, "the ref holds one file key");

static cr_err say(char *err, size_t err_len, cr_err e, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static cr_err say(char *err, size_t err_len, cr_err e, const char *fmt, ...)
{
	if (err && err_len) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, err_len, fmt, ap);
		va_end(ap);
	}
	return e;
}

/* A session call failed: its own line says why. */
static cr_err session_failed(const nt_cli_session *s, cr_err e, char *err, size_t err_len, const char *what)
{
	return say(err, err_len, e == CR_ERR_INVALID ? CR_ERR_INVALID : CR_ERR_STATE, "%s: %s", what, s->err);
}

/* Blob bytes per frame: within the server's frame limit and the client's
 * own receive limit. */
static size_t piece_size(const nt_cli_session *s, size_t overhead)
{
	size_t lim = s->conn.have_hello ? s->conn.hello.frame_max : NT_FRAME_MAX_DEFAULT;
	if (lim > NT_FRAME_MAX_DEFAULT)
		lim = NT_FRAME_MAX_DEFAULT;
	size_t n = lim > overhead + 64 ? lim - overhead - 64 : 1;
	/* Whole sealed chunks when at least one fits: fewer partial copies. */
	if (n >= CR_FILE_SEALED_CHUNK)
		n -= n % CR_FILE_SEALED_CHUNK;
	return n;
}

static void report(nt_file_progress progress, void *ctx, uint64_t done, uint64_t total)
{
	if (progress)
		progress(ctx, done, total);
}

/* Reads exactly n bytes (a short read means the file shrank). */
static bool read_full(int fd, uint8_t *p, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = read(fd, p + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		got += (size_t)r;
	}
	return true;
}

static bool at_eof(int fd)
{
	uint8_t b;
	ssize_t r;
	do
		r = read(fd, &b, 1);
	while (r < 0 && errno == EINTR);
	return r == 0;
}

/* A request in flight: its id and where the blob ends once it is done
 * (BLOB_WRITE: the written count it must acknowledge; BLOB_READ: the end of
 * the range asked for). */
typedef struct in_flight {
	uint32_t id;
	uint64_t from, end;
} in_flight;

/* The requests in flight, oldest first (the server answers in order). */
typedef struct window {
	in_flight f[NT_FILE_WINDOW];
	size_t head, n;
} window;

static void window_push(window *w, uint32_t id, uint64_t from, uint64_t end)
{
	w->f[(w->head + w->n) % NT_FILE_WINDOW] = (in_flight){ id, from, end };
	w->n++;
}

static in_flight window_pop(window *w)
{
	in_flight f = w->f[w->head];
	w->head = (w->head + 1) % NT_FILE_WINDOW;
	w->n--;
	return f;
}

/* After a failure with requests still in flight: takes their answers (the
 * server answers every request) so the session stays in step, unless the
 * session itself failed. The first failure's reason is what s keeps. */
static void settle(nt_cli_session *s, window *w, uint16_t expected)
{
	nt_cs_fail fail = s->fail;
	uint16_t code = s->code;
	char text[sizeof s->text], why[sizeof s->err];
	memcpy(text, s->text, sizeof text);
	memcpy(why, s->err, sizeof why);
	while (w->n && (s->fail == NT_CS_SERVER || s->fail == NT_CS_OK)) {
		in_flight f = window_pop(w);
		/* Refusals of the pieces after the first are expected. */
		cr_err later = nt_cs_await(s, f.id, expected);
		(void)later;
	}
	w->n = 0;
	if (s->fail != NT_CS_SERVER && s->fail != NT_CS_OK)
		return; /* the session broke meanwhile: that is its state now */
	s->fail = fail;
	s->code = code;
	memcpy(s->text, text, sizeof text);
	memcpy(s->err, why, sizeof why);
}

/* The state of one upload: the sealed chunk being produced, the piece being
 * filled for the next BLOB_WRITE, and the pieces sent but not yet
 * acknowledged (their bytes are not kept: a refused piece ends the upload). */
typedef struct upload {
	nt_cli_session *s;
	cr_file_ctx f;
	uint8_t *plain, *sealed, *piece;
	size_t piece_cap, piece_len;
	uint64_t sent;        /* sealed bytes sent */
	uint64_t offset;      /* sealed bytes the server acknowledged */
	uint64_t total;       /* sealed size */
	window w;
} upload;

/* Takes the answer to the oldest BLOB_WRITE in flight. */
static cr_err take_ack(upload *u, const nt_file_ref *ref, nt_file_progress progress, void *ctx, char *err,
		       size_t err_len)
{
	in_flight f = window_pop(&u->w);
	cr_err e = nt_cs_await(u->s, f.id, NT_BLOB_WRITE_OK);
	if (e && u->s->fail == NT_CS_SERVER && u->s->code == NT_E_HASH)
		return say(err, err_len, CR_ERR_STATE, "the file changed while it was sent (%s)", u->s->err);
	if (e)
		return session_failed(u->s, e, err, err_len, "upload");
	bool last = f.end == u->total;
	if (u->s->resp.written != f.end || u->s->resp.complete != last)
		return say(err, err_len, CR_ERR_STATE, "the server acknowledged %llu bytes, not %llu",
			   (unsigned long long)u->s->resp.written, (unsigned long long)f.end);
	u->offset = f.end;
	/* Plaintext bytes up to the acknowledged sealed offset. */
	uint64_t full = u->offset / CR_FILE_SEALED_CHUNK;
	report(progress, ctx, last ? ref->size : full * CR_FILE_CHUNK, ref->size);
	return CR_OK;
}

/* Sends the filled piece once the window has room for it. */
static cr_err send_piece(upload *u, const nt_file_ref *ref, nt_file_progress progress, void *ctx, char *err,
			 size_t err_len)
{
	while (u->w.n == NT_FILE_WINDOW)
		CR_TRY(take_ack(u, ref, progress, ctx, err, err_len));
	uint32_t id;
	cr_err e = nt_cs_blob_write_send(u->s, ref->blob_id, u->sent, u->piece, u->piece_len, &id);
	if (e)
		return session_failed(u->s, e, err, err_len, "upload");
	window_push(&u->w, id, u->sent, u->sent + u->piece_len);
	u->sent += u->piece_len;
	u->piece_len = 0;
	return CR_OK;
}

/* True when fd still has the size and modification time of before. */
static bool unchanged(int fd, const struct stat *before)
{
	struct stat now;
	return fstat(fd, &now) == 0 && now.st_size == before->st_size && now.st_mtim.tv_sec == before->st_mtim.tv_sec &&
	       now.st_mtim.tv_nsec == before->st_mtim.tv_nsec && at_eof(fd);
}

/* Pass 1 (u->piece NULL): seals every chunk of fd into hash. Pass 2: seals
 * them again and sends them, up to NT_FILE_WINDOW pieces ahead of the
 * server's answers. SHA-256 costs about 14 times AES-GCM here
 * (BearSSL's portable code), so pass 2 does not hash again: a file that
 * changed shows in its size or time before the last piece goes out, and if
 * not, the server's own check answers HASH and deletes the blob. */
static cr_err seal_pass(upload *u, int fd, uint8_t hash[CR_SHA256_LEN], const struct stat *before,
			const nt_file_ref *ref, nt_file_progress progress, void *ctx, char *err, size_t err_len)
{
	if (lseek(fd, 0, SEEK_SET) != 0)
		return say(err, err_len, CR_ERR_STATE, "cannot rewind the file: %s", strerror(errno));
	cr_sha256_ctx h;
	cr_sha256_init(&h);
	cr_err e = CR_OK;
	for (uint64_t i = 0; !e && i < u->f.chunks; i++) {
		size_t len = cr_file_chunk_len(&u->f, i);
		if (!read_full(fd, u->plain, len))
			e = say(err, err_len, CR_ERR_STATE, "the file changed while it was read (shorter)");
		else
			e = cr_file_seal_chunk(&u->f, i, u->sealed, u->plain, len);
		if (e)
			break;
		size_t slen = len + CR_FILE_TAG_LEN;
		if (!u->piece) {
			cr_sha256_update(&h, u->sealed, slen);
			continue;
		}
		/* Copy the sealed chunk into pieces; send each full piece, and
		 * the last one only once the whole stream hashed as announced. */
		for (size_t k = 0; !e && k < slen;) {
			size_t take = u->piece_cap - u->piece_len < slen - k ? u->piece_cap - u->piece_len : slen - k;
			memcpy(u->piece + u->piece_len, u->sealed + k, take);
			u->piece_len += take;
			k += take;
			bool last = u->sent + u->piece_len == u->total;
			if (u->piece_len < u->piece_cap && !last)
				continue;
			if (last && !unchanged(fd, before)) {
				e = say(err, err_len, CR_ERR_STATE, "the file changed while it was sent");
				break;
			}
			e = send_piece(u, ref, progress, ctx, err, err_len);
		}
	}
	/* The answers still in flight; after a failure, only to stay in step. */
	while (!e && u->piece && u->w.n)
		e = take_ack(u, ref, progress, ctx, err, err_len);
	if (e && u->piece)
		settle(u->s, &u->w, NT_BLOB_WRITE_OK);
	if (!e && !u->piece && !at_eof(fd))
		e = say(err, err_len, CR_ERR_STATE, "the file changed while it was read (longer)");
	cr_sha256_final(&h, hash);
	return e;
}

cr_err nt_file_send(nt_cli_session *s, const char *path, const cr_rng *rng, nt_file_progress progress, void *ctx,
		    nt_file_ref *ref, char *err, size_t err_len)
{
	memset(ref, 0, sizeof *ref);
	if (!s || !path || !rng)
		return say(err, err_len, CR_ERR_ARG, "bad arguments");
	/* O_NONBLOCK: opening a FIFO must not hang; it is refused below. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return say(err, err_len, CR_ERR_STATE, "%s: %s", path, strerror(errno));
	upload u;
	memset(&u, 0, sizeof u);
	u.s = s;
	cr_err e = CR_OK;
	struct stat st;
	uint8_t hash1[CR_SHA256_LEN], unused[CR_SHA256_LEN];
	if (fstat(fd, &st) != 0) {
		e = say(err, err_len, CR_ERR_STATE, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		e = say(err, err_len, CR_ERR_ARG, "%s is not a regular file", path);
		goto out;
	}
	if ((uint64_t)st.st_size > NT_FILE_SIZE_MAX) {
		e = say(err, err_len, CR_ERR_LIMIT, "%s is %lld bytes, above the limit of %llu", path,
			(long long)st.st_size, (unsigned long long)NT_FILE_SIZE_MAX);
		goto out;
	}
	if (fcntl(fd, F_SETFL, 0) != 0) {
		e = say(err, err_len, CR_ERR_STATE, "%s: %s", path, strerror(errno));
		goto out;
	}
	ref->size = (uint64_t)st.st_size;
	u.total = cr_file_sealed_size(ref->size);
	u.plain = malloc(CR_FILE_CHUNK);
	u.sealed = malloc(CR_FILE_SEALED_CHUNK);
	if (!u.plain || !u.sealed) {
		e = say(err, err_len, CR_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((e = cr_file_key_new(ref->key, rng)) || (e = cr_file_init(&u.f, ref->key, ref->size))) {
		e = say(err, err_len, e, "cannot make a file key: %s", cr_err_str(e));
		goto out;
	}
	report(progress, ctx, 0, ref->size);
	/* Pass 1: the hash of the sealed stream. */
	if ((e = seal_pass(&u, fd, hash1, &st, ref, NULL, NULL, err, err_len)))
		goto out;
	memcpy(ref->sha256, hash1, sizeof hash1);
	if ((e = nt_cs_blob_create(s, u.total, hash1))) {
		e = session_failed(s, e, err, err_len, "cannot create the blob");
		goto out;
	}
	memcpy(ref->blob_id, s->resp.blob_id, sizeof ref->blob_id);
	/* Pass 2: the same bytes again, uploaded. */
	u.piece_cap = piece_size(s, NT_CLI_BLOB_WRITE_OVERHEAD);
	u.piece = malloc(u.piece_cap);
	if (!u.piece) {
		e = say(err, err_len, CR_ERR_NOMEM, "out of memory");
		goto out;
	}
	e = seal_pass(&u, fd, unused, &st, ref, progress, ctx, err, err_len);
	if (!e && u.offset != u.total)
		e = say(err, err_len, CR_ERR_STATE, "upload ended at %llu of %llu bytes", (unsigned long long)u.offset,
			(unsigned long long)u.total);
out:
	close(fd);
	cr_file_wipe(&u.f);
	if (u.plain)
		cr_wipe(u.plain, CR_FILE_CHUNK);
	free(u.plain);
	free(u.sealed);
	free(u.piece);
	if (e)
		nt_file_ref_wipe(ref);
	return e;
}

/* The folder of path ("." when it names none), for the temporary file and
 * the fsync after the rename. */
static bool dir_of(const char *path, char *out, size_t cap)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash ? (size_t)(slash - path) : 0;
	if (slash && n == 0)
		n = 1; /* "/name" */
	if (!slash)
		return snprintf(out, cap, ".") < (int)cap;
	if (n >= cap)
		return false;
	memcpy(out, path, n);
	out[n] = 0;
	return true;
}

/* The state of one download: the sealed chunk being assembled. */
typedef struct download {
	cr_file_ctx f;
	uint8_t *sealed, *plain;
	size_t have;          /* bytes of sealed chunk `index` assembled */
	uint64_t index;       /* next chunk to open */
	int fd;
} download;

/* Takes received blob bytes; opens and writes every chunk they complete. */
static cr_err take_bytes(download *d, const uint8_t *p, size_t n, char *err, size_t err_len)
{
	while (n) {
		if (d->index >= d->f.chunks)
			return say(err, err_len, CR_ERR_AUTH, "the blob is longer than the file");
		size_t clen = cr_file_chunk_len(&d->f, d->index) + CR_FILE_TAG_LEN;
		size_t take = clen - d->have < n ? clen - d->have : n;
		memcpy(d->sealed + d->have, p, take);
		d->have += take;
		p += take;
		n -= take;
		if (d->have < clen)
			continue;
		cr_err e = cr_file_open_chunk(&d->f, d->index, d->plain, d->sealed, clen);
		if (e)
			return say(err, err_len, CR_ERR_AUTH, "chunk %llu does not verify (wrong key or altered blob)",
				   (unsigned long long)d->index);
		size_t plen = clen - CR_FILE_TAG_LEN;
		for (size_t w = 0; w < plen;) {
			ssize_t r = write(d->fd, d->plain + w, plen - w);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				return say(err, err_len, CR_ERR_STATE, "write: %s", strerror(errno));
			w += (size_t)r;
		}
		d->index++;
		d->have = 0;
	}
	return CR_OK;
}

cr_err nt_file_fetch(nt_cli_session *s, const nt_file_ref *ref, const char *out_path, nt_file_progress progress,
		     void *ctx, char *err, size_t err_len)
{
	if (!s || !ref || !out_path)
		return say(err, err_len, CR_ERR_ARG, "bad arguments");
	download d;
	memset(&d, 0, sizeof d);
	d.fd = -1;
	char tmp[4096], dir[4096];
	bool made = false;
	if (snprintf(tmp, sizeof tmp, "%s.XXXXXX", out_path) >= (int)sizeof tmp || !dir_of(out_path, dir, sizeof dir))
		return say(err, err_len, CR_ERR_ARG, "path too long");
	cr_err e = cr_file_init(&d.f, ref->key, ref->size);
	if (e)
		return say(err, err_len, e, "the file size %llu is beyond the format's limit",
			   (unsigned long long)ref->size);
	uint64_t total = cr_file_sealed_size(ref->size), offset = 0;
	d.sealed = malloc(CR_FILE_SEALED_CHUNK);
	d.plain = malloc(CR_FILE_CHUNK);
	if (!d.sealed || !d.plain) {
		e = say(err, err_len, CR_ERR_NOMEM, "out of memory");
		goto out;
	}
	d.fd = mkstemp(tmp);
	made = d.fd >= 0;
	if (d.fd < 0) {
		e = say(err, err_len, CR_ERR_STATE, "cannot create a file beside %s: %s", out_path, strerror(errno));
		goto out;
	}
	(void)fcntl(d.fd, F_SETFD, FD_CLOEXEC);
	cr_sha256_ctx h;
	cr_sha256_init(&h);
	uint32_t max = (uint32_t)piece_size(s, NT_CLI_BLOB_DATA_OVERHEAD + NT_FRAME_HDR_LEN);
	report(progress, ctx, 0, ref->size);
	/* Up to NT_FILE_WINDOW reads in flight. One round per answer taken, at
	 * most one per piece plus a window: bounded by the size. */
	window w = { .n = 0 };
	uint64_t next = 0; /* the offset to ask for next */
	for (uint64_t round = 0; !e && offset < total && round <= total / max + 1 + NT_FILE_WINDOW; round++) {
		while (!e && w.n < NT_FILE_WINDOW && next < total) {
			uint64_t len = total - next < max ? total - next : max;
			uint32_t id;
			if ((e = nt_cs_blob_read_send(s, ref->blob_id, next, max, &id)))
				e = session_failed(s, e, err, err_len, "download");
			else
				window_push(&w, id, next, next + len);
			next += len;
		}
		if (e)
			break;
		in_flight f = window_pop(&w);
		if ((e = nt_cs_await(s, f.id, NT_BLOB_DATA))) {
			e = session_failed(s, e, err, err_len, "download");
			break;
		}
		cr_span data = s->resp.data;
		if (s->resp.blob_size != total || data.n == 0 || data.n > f.end - f.from) {
			e = say(err, err_len, CR_ERR_AUTH, "the blob is %llu bytes, not the %llu of the file",
				(unsigned long long)s->resp.blob_size, (unsigned long long)total);
			break;
		}
		cr_sha256_update(&h, data.p, data.n);
		e = take_bytes(&d, data.p, data.n, err, err_len);
		offset += data.n;
		if (!e && data.n < f.end - f.from) {
			/* A shorter answer than asked for: the ranges in flight
			 * no longer follow; take their answers and ask again. */
			while (!e && w.n) {
				in_flight stale = window_pop(&w);
				if ((e = nt_cs_await(s, stale.id, NT_BLOB_DATA)))
					e = session_failed(s, e, err, err_len, "download");
			}
			next = offset;
		}
		if (!e)
			report(progress, ctx, d.index * CR_FILE_CHUNK < ref->size ? d.index * CR_FILE_CHUNK : ref->size,
			       ref->size);
	}
	if (e)
		settle(s, &w, NT_BLOB_DATA);
	uint8_t got[CR_SHA256_LEN];
	cr_sha256_final(&h, got);
	if (!e && (offset != total || d.index != d.f.chunks))
		e = say(err, err_len, CR_ERR_STATE, "download stopped at %llu of %llu bytes", (unsigned long long)offset,
			(unsigned long long)total);
	if (!e && !cr_ct_equal(got, ref->sha256, sizeof got))
		e = say(err, err_len, CR_ERR_AUTH, "the blob's SHA-256 is not the announced one");
	if (!e && fsync(d.fd) != 0)
		e = say(err, err_len, CR_ERR_STATE, "fsync: %s", strerror(errno));
	if (!e) {
		int fd = d.fd;
		d.fd = -1;
		if (close(fd) != 0)
			e = say(err, err_len, CR_ERR_STATE, "close: %s", strerror(errno));
	}
	if (!e && rename(tmp, out_path) != 0)
		e = say(err, err_len, CR_ERR_STATE, "rename to %s: %s", out_path, strerror(errno));
	if (!e) {
		/* The rename itself must survive a crash. */
		int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			(void)fsync(dfd);
			close(dfd);
		}
	}
out:
	if (d.fd >= 0)
		close(d.fd);
	if (e && made)
		unlink(tmp);
	cr_file_wipe(&d.f);
	if (d.plain)
		cr_wipe(d.plain, CR_FILE_CHUNK);
	free(d.plain);
	free(d.sealed);
	return e;
}

/* ------------------------------------------------------------ ref text */

#define ID_HEX (2 * NT_BLOB_ID_LEN)
#define KEY_HEX (2 * CR_FILE_KEY_LEN)
#define HASH_HEX (2 * NT_HASH_LEN)
#define PREFIX_LEN (sizeof NT_FILE_REF_PREFIX - 1)
#define SIZE_DIGITS_MAX 20
_Static_assert(PREFIX_LEN + ID_HEX + 1 + KEY_HEX + 1 + HASH_HEX + 1 + SIZE_DIGITS_MAX < NT_FILE_REF_TEXT_MAX,
	       "the text form fits its buffer");

void nt_file_ref_text(const nt_file_ref *r, char out[NT_FILE_REF_TEXT_MAX])
{
	char id[ID_HEX + 1], key[KEY_HEX + 1], hash[HASH_HEX + 1];
	if (cr_hex_encode(id, sizeof id, r->blob_id, sizeof r->blob_id) ||
	    cr_hex_encode(key, sizeof key, r->key, sizeof r->key) ||
	    cr_hex_encode(hash, sizeof hash, r->sha256, sizeof r->sha256)) {
		out[0] = 0; /* cannot happen: the buffers are sized for it */
	} else {
		snprintf(out, NT_FILE_REF_TEXT_MAX, "%s%s.%s.%s.%llu", NT_FILE_REF_PREFIX, id, key, hash,
			 (unsigned long long)r->size);
	}
	cr_wipe(key, sizeof key);
}

/* Lowercase hex of exactly n bytes at text (uppercase would give a second
 * spelling of the same ref). */
static bool hex_field(const char *text, uint8_t *out, size_t n)
{
	bool lower = true;
	for (size_t i = 0; i < 2 * n; i++)
		lower &= !(text[i] >= 'A' && text[i] <= 'F');
	size_t got = 0;
	bool ok = cr_hex_decode(out, n, &got, text, 2 * n) == CR_OK && got == n;
	return ok & lower;
}

cr_err nt_file_ref_parse(const char *text, nt_file_ref *r)
{
	memset(r, 0, sizeof *r);
	size_t len = text ? strnlen(text, NT_FILE_REF_TEXT_MAX) : NT_FILE_REF_TEXT_MAX;
	size_t fixed = PREFIX_LEN + ID_HEX + 1 + KEY_HEX + 1 + HASH_HEX + 1;
	if (len >= NT_FILE_REF_TEXT_MAX || len <= fixed || len > fixed + SIZE_DIGITS_MAX)
		return CR_ERR_MALFORMED;
	const char *p = text;
	bool ok = memcmp(p, NT_FILE_REF_PREFIX, PREFIX_LEN) == 0;
	p += PREFIX_LEN;
	ok = ok && hex_field(p, r->blob_id, NT_BLOB_ID_LEN) && p[ID_HEX] == '.';
	p += ID_HEX + 1;
	ok = ok && hex_field(p, r->key, CR_FILE_KEY_LEN) && p[KEY_HEX] == '.';
	p += KEY_HEX + 1;
	ok = ok && hex_field(p, r->sha256, NT_HASH_LEN) && p[HASH_HEX] == '.';
	p += HASH_HEX + 1;
	/* The size: digits only, no leading zero, within the format's limit. */
	size_t digits = len - fixed;
	ok = ok && (p[0] != '0' || digits == 1);
	uint64_t v = 0;
	for (size_t i = 0; ok && i < digits; i++) {
		ok = p[i] >= '0' && p[i] <= '9' && v <= (CR_FILE_PLAIN_MAX - (uint64_t)(p[i] - '0')) / 10;
		if (ok)
			v = v * 10 + (uint64_t)(p[i] - '0');
	}
	if (!ok) {
		nt_file_ref_wipe(r);
		return CR_ERR_MALFORMED;
	}
	r->size = v;
	return CR_OK;
}

void nt_file_ref_wipe(nt_file_ref *r)
{
	cr_wipe(r, sizeof *r);
}
