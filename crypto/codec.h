/*
 * codec.h: the one bounds-checked reader and writer of echover.
 *
 * MLS (RFC 9420) is written in the TLS presentation language with the
 * variable-length integers of RFC 9420 section 2.1.2; net/'s frames use the
 * same codec, so every byte that enters the program is read here.
 *
 * Reader invariants:
 *   - a read never touches memory outside [p, p + n);
 *   - a failed read returns an error and leaves the cursor where it was;
 *   - spans returned by a read point into the reader's buffer (no copy, no
 *     allocation), so they live as long as that buffer.
 *
 * Writer invariants:
 *   - the writer is sticky: after the first failure (no space, over the
 *     maximum, allocation failure) every later write is a no-op, and
 *     cr_writer_error() reports the first error. Encoders therefore run in a
 *     straight line and check once at the end;
 *   - a fixed writer writes into the caller's buffer and never allocates; a
 *     dynamic writer grows its own buffer up to a hard maximum and wipes the
 *     old storage when it moves it (encodings may hold secrets).
 *
 * Variable-length integers (RFC 9420 section 2.1.2): the two top bits of the
 * first byte give the size (00: 1 byte, 01: 2, 10: 4); 11 is reserved and
 * rejected. "The encoded value MUST use the smallest number of bits required
 * to represent it": non-minimal encodings are rejected as CR_ERR_MALFORMED.
 * Values range over 0 .. 2^30 - 1.
 */
#ifndef ECHOVER_CODEC_H
#define ECHOVER_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cr_err.h"

#define CR_VARINT_MAX ((uint64_t)0x3fffffff)

/* A borrowed byte range. */
typedef struct cr_span {
	const uint8_t *p;
	size_t n;
} cr_span;

typedef struct cr_reader {
	const uint8_t *p;
	size_t n;
	size_t off;
} cr_reader;

void cr_reader_init(cr_reader *r, const uint8_t *p, size_t n);
/* Bytes not yet read. */
size_t cr_reader_left(const cr_reader *r);
/* CR_OK when every byte was read, CR_ERR_MALFORMED when some are left. */
cr_err cr_reader_end(const cr_reader *r) CR_MUST_CHECK;

cr_err cr_read_u8(cr_reader *r, uint8_t *v) CR_MUST_CHECK;
cr_err cr_read_u16(cr_reader *r, uint16_t *v) CR_MUST_CHECK;
cr_err cr_read_u32(cr_reader *r, uint32_t *v) CR_MUST_CHECK;
cr_err cr_read_u64(cr_reader *r, uint64_t *v) CR_MUST_CHECK;
/* RFC 9420 varint; minimal encodings only; the 0b11 prefix is rejected. */
cr_err cr_read_varint(cr_reader *r, uint64_t *v) CR_MUST_CHECK;
/* Exactly len bytes, borrowed. */
cr_err cr_read_span(cr_reader *r, size_t len, cr_span *out) CR_MUST_CHECK;
/* Exactly len bytes, copied into out[len]. */
cr_err cr_read_copy(cr_reader *r, uint8_t *out, size_t len) CR_MUST_CHECK;
/* opaque<V>: varint length, then that many bytes (borrowed). A length above
 * max is CR_ERR_LIMIT and nothing is consumed. */
cr_err cr_read_opaque(cr_reader *r, size_t max, cr_span *out) CR_MUST_CHECK;
/* Like cr_read_opaque, but requires exactly len bytes (fixed-size keys sent
 * as opaque<V>); another length is CR_ERR_MALFORMED. */
cr_err cr_read_opaque_fixed(cr_reader *r, size_t len, uint8_t *out) CR_MUST_CHECK;
/* T items<V>: varint length, then a sub-reader over exactly those bytes.
 * The caller reads the items from sub until it is empty. */
cr_err cr_read_vector(cr_reader *r, size_t max, cr_reader *sub) CR_MUST_CHECK;
/* optional<T> presence octet: 0 or 1, anything else is CR_ERR_MALFORMED. */
cr_err cr_read_bool(cr_reader *r, bool *v) CR_MUST_CHECK;

typedef struct cr_writer {
	uint8_t *p;
	size_t len;
	size_t cap;
	size_t max;     /* dynamic writers: never grow beyond this */
	bool dynamic;
	cr_err err;     /* first error, sticky */
} cr_writer;

/* Writes into buf[cap]; never allocates. */
void cr_writer_init_fixed(cr_writer *w, uint8_t *buf, size_t cap);
/* Grows its own buffer (malloc) up to max bytes; free with cr_writer_free. */
void cr_writer_init_dynamic(cr_writer *w, size_t max);
/* Wipes and frees a dynamic writer's buffer; harmless on a fixed writer. */
void cr_writer_free(cr_writer *w);
/* Hands a dynamic writer's buffer to the caller (who frees it with free());
 * returns NULL if the writer failed or is fixed. The writer is reset. */
uint8_t *cr_writer_take(cr_writer *w, size_t *len);
cr_err cr_writer_error(const cr_writer *w) CR_MUST_CHECK;

void cr_write_u8(cr_writer *w, uint8_t v);
void cr_write_u16(cr_writer *w, uint16_t v);
void cr_write_u32(cr_writer *w, uint32_t v);
void cr_write_u64(cr_writer *w, uint64_t v);
/* Bytes of the minimal varint of v (v at most CR_VARINT_MAX): 1, 2 or 4;
 * lets an encoder size its buffer before writing. */
size_t cr_varint_size(uint64_t v);
/* Minimal RFC 9420 varint; a value above CR_VARINT_MAX fails with CR_ERR_LIMIT. */
void cr_write_varint(cr_writer *w, uint64_t v);
void cr_write_bytes(cr_writer *w, const uint8_t *p, size_t n);
/* opaque<V>: varint length, then the bytes. */
void cr_write_opaque(cr_writer *w, const uint8_t *p, size_t n);
void cr_write_bool(cr_writer *w, bool v);

/* A vector whose length is known only after its items are written:
 *   size_t m = cr_write_vector_begin(w);  ...items...;  cr_write_vector_end(w, m);
 * The end moves the items so that the length prefix is minimal. */
size_t cr_write_vector_begin(cr_writer *w);
void cr_write_vector_end(cr_writer *w, size_t mark);

/* Overwrites 4 bytes at offset with a big-endian u32 (frame headers). */
void cr_writer_patch_u32(cr_writer *w, size_t offset, uint32_t v);

#endif
