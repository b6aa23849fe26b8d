#include "codec.h"

#include <stdlib.h>
#include <string.h>

#include "wipe.h"

void cr_reader_init(cr_reader *r, const uint8_t *p, size_t n)
{
	r->p = p;
	r->n = p ? n : 0;
	r->off = 0;
}

size_t cr_reader_left(const cr_reader *r)
{
	return r->n - r->off;
}

cr_err cr_reader_end(const cr_reader *r)
{
	return cr_reader_left(r) == 0 ? CR_OK : CR_ERR_MALFORMED;
}

/* The only place that hands out reader memory: every read goes through it. */
static cr_err take(cr_reader *r, size_t len, const uint8_t **out)
{
	if (len > cr_reader_left(r))
		return CR_ERR_TRUNCATED;
	*out = r->p + r->off;
	r->off += len;
	return CR_OK;
}

static uint64_t be(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

cr_err cr_read_u8(cr_reader *r, uint8_t *v)
{
	const uint8_t *p;
	CR_TRY(take(r, 1, &p));
	*v = p[0];
	return CR_OK;
}

cr_err cr_read_u16(cr_reader *r, uint16_t *v)
{
	const uint8_t *p;
	CR_TRY(take(r, 2, &p));
	*v = (uint16_t)be(p, 2);
	return CR_OK;
}

cr_err cr_read_u32(cr_reader *r, uint32_t *v)
{
	const uint8_t *p;
	CR_TRY(take(r, 4, &p));
	*v = (uint32_t)be(p, 4);
	return CR_OK;
}

cr_err cr_read_u64(cr_reader *r, uint64_t *v)
{
	const uint8_t *p;
	CR_TRY(take(r, 8, &p));
	*v = be(p, 8);
	return CR_OK;
}

cr_err cr_read_varint(cr_reader *r, uint64_t *v)
{
	if (cr_reader_left(r) < 1)
		return CR_ERR_TRUNCATED;
	uint8_t prefix = r->p[r->off] >> 6;
	if (prefix == 3)
		return CR_ERR_MALFORMED; /* RFC 9420 2.1.2: 0b11 is reserved */
	size_t len = (size_t)1 << prefix;
	if (cr_reader_left(r) < len)
		return CR_ERR_TRUNCATED;
	uint64_t value = be(r->p + r->off, len) & ~((uint64_t)0xc0 << (8 * (len - 1)));
	/* "The encoded value MUST use the smallest number of bits required" */
	if ((len == 2 && value < 0x40) || (len == 4 && value < 0x4000))
		return CR_ERR_MALFORMED;
	r->off += len;
	*v = value;
	return CR_OK;
}

cr_err cr_read_span(cr_reader *r, size_t len, cr_span *out)
{
	const uint8_t *p;
	CR_TRY(take(r, len, &p));
	out->p = p;
	out->n = len;
	return CR_OK;
}

cr_err cr_read_copy(cr_reader *r, uint8_t *out, size_t len)
{
	const uint8_t *p;
	CR_TRY(take(r, len, &p));
	if (len)
		memcpy(out, p, len);
	return CR_OK;
}

cr_err cr_read_opaque(cr_reader *r, size_t max, cr_span *out)
{
	size_t start = r->off;
	uint64_t len;
	CR_TRY(cr_read_varint(r, &len));
	cr_err err = CR_OK;
	if (len > max)
		err = CR_ERR_LIMIT;
	else
		err = cr_read_span(r, (size_t)len, out);
	if (err)
		r->off = start;
	return err;
}

cr_err cr_read_opaque_fixed(cr_reader *r, size_t len, uint8_t *out)
{
	size_t start = r->off;
	cr_span s;
	CR_TRY(cr_read_opaque(r, len, &s));
	if (s.n != len) {
		r->off = start;
		return CR_ERR_MALFORMED;
	}
	if (len)
		memcpy(out, s.p, len);
	return CR_OK;
}

cr_err cr_read_vector(cr_reader *r, size_t max, cr_reader *sub)
{
	cr_span s;
	CR_TRY(cr_read_opaque(r, max, &s));
	cr_reader_init(sub, s.p, s.n);
	return CR_OK;
}

cr_err cr_read_bool(cr_reader *r, bool *v)
{
	if (cr_reader_left(r) < 1)
		return CR_ERR_TRUNCATED;
	uint8_t b = r->p[r->off];
	if (b > 1)
		return CR_ERR_MALFORMED;
	r->off++;
	*v = b == 1;
	return CR_OK;
}

void cr_writer_init_fixed(cr_writer *w, uint8_t *buf, size_t cap)
{
	w->p = buf;
	w->len = 0;
	w->cap = buf ? cap : 0;
	w->max = w->cap;
	w->dynamic = false;
	w->err = CR_OK;
}

void cr_writer_init_dynamic(cr_writer *w, size_t max)
{
	w->p = NULL;
	w->len = 0;
	w->cap = 0;
	w->max = max;
	w->dynamic = true;
	w->err = CR_OK;
}

void cr_writer_free(cr_writer *w)
{
	if (w->dynamic && w->p) {
		cr_wipe(w->p, w->cap);
		free(w->p);
	}
	w->p = NULL;
	w->len = w->cap = 0;
}

uint8_t *cr_writer_take(cr_writer *w, size_t *len)
{
	if (!w->dynamic || w->err) {
		/* A failed dynamic writer is reset too, as the header promises:
		 * its partial encoding is wiped and freed, not leaked. */
		if (w->dynamic)
			cr_writer_free(w);
		*len = 0;
		return NULL;
	}
	uint8_t *p = w->p;
	*len = w->len;
	if (!p) /* an empty encoding still hands back a valid pointer */
		p = malloc(1);
	w->p = NULL;
	w->len = w->cap = 0;
	return p;
}

cr_err cr_writer_error(const cr_writer *w)
{
	return w->err;
}

/* Makes room for n more bytes; the only place a writer grows. */
static bool reserve(cr_writer *w, size_t n)
{
	if (w->err)
		return false;
	if (n > w->max - w->len) {
		w->err = w->dynamic ? CR_ERR_LIMIT : CR_ERR_SPACE;
		return false;
	}
	if (w->len + n <= w->cap)
		return true;
	size_t cap = w->cap ? w->cap : 64;
	while (cap < w->len + n)
		cap = cap > w->max / 2 ? w->max : cap * 2;
	uint8_t *q = malloc(cap);
	if (!q) {
		w->err = CR_ERR_NOMEM;
		return false;
	}
	if (w->p) {
		memcpy(q, w->p, w->len);
		cr_wipe(w->p, w->cap);
		free(w->p);
	}
	w->p = q;
	w->cap = cap;
	return true;
}

static void put_be(cr_writer *w, uint64_t v, size_t n)
{
	if (!reserve(w, n))
		return;
	for (size_t i = 0; i < n; i++)
		w->p[w->len + i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	w->len += n;
}

void cr_write_u8(cr_writer *w, uint8_t v) { put_be(w, v, 1); }
void cr_write_u16(cr_writer *w, uint16_t v) { put_be(w, v, 2); }
void cr_write_u32(cr_writer *w, uint32_t v) { put_be(w, v, 4); }
void cr_write_u64(cr_writer *w, uint64_t v) { put_be(w, v, 8); }
void cr_write_bool(cr_writer *w, bool v) { put_be(w, v ? 1 : 0, 1); }

size_t cr_varint_size(uint64_t v)
{
	return v < 0x40 ? 1 : v < 0x4000 ? 2 : 4;
}

void cr_write_varint(cr_writer *w, uint64_t v)
{
	if (v > CR_VARINT_MAX) {
		if (!w->err)
			w->err = CR_ERR_LIMIT;
		return;
	}
	size_t n = cr_varint_size(v);
	uint64_t prefix = n == 1 ? 0 : n == 2 ? 0x4000 : 0x80000000u;
	put_be(w, v | prefix, n);
}

void cr_write_bytes(cr_writer *w, const uint8_t *p, size_t n)
{
	if (n == 0 || !reserve(w, n))
		return;
	memcpy(w->p + w->len, p, n);
	w->len += n;
}

void cr_write_opaque(cr_writer *w, const uint8_t *p, size_t n)
{
	cr_write_varint(w, n);
	cr_write_bytes(w, p, n);
}

/* The prefix is reserved at its largest size (4 bytes) and shrunk at the end. */
size_t cr_write_vector_begin(cr_writer *w)
{
	size_t mark = w->len;
	put_be(w, 0, 4);
	return mark;
}

void cr_write_vector_end(cr_writer *w, size_t mark)
{
	if (w->err)
		return;
	if (mark + 4 > w->len) {
		w->err = CR_ERR_ARG;
		return;
	}
	size_t body = w->len - mark - 4;
	if (body > CR_VARINT_MAX) {
		w->err = CR_ERR_LIMIT;
		return;
	}
	size_t n = cr_varint_size(body);
	memmove(w->p + mark + n, w->p + mark + 4, body);
	w->len = mark;
	cr_write_varint(w, body);
	w->len += body;
}

void cr_writer_patch_u32(cr_writer *w, size_t offset, uint32_t v)
{
	if (w->err)
		return;
	if (offset > w->len || w->len - offset < 4) {
		w->err = CR_ERR_ARG;
		return;
	}
	for (size_t i = 0; i < 4; i++)
		w->p[offset + i] = (uint8_t)(v >> (24 - 8 * i));
}
