/*
 * frame.h: echover's frames, `u32 length | u16 type | body` (big-endian;
 * length counts the body), read and written through crypto/codec.h only.
 *
 * The parser is incremental and sans-I/O: feed it whatever bytes arrived,
 * take complete frames out. It checks the length against its limit before it
 * allocates, and never holds more than one body of at most `max` bytes
 * (DESIGN.md section 4). After an error it stays failed: the connection must
 * be closed (a stream whose framing broke cannot be resynchronised).
 */
#ifndef ECHOVER_NT_FRAME_H
#define ECHOVER_NT_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "cr_err.h"
#include "nt_proto.h"

typedef struct nt_frame {
	uint16_t type;
	cr_span body; /* borrowed from the parser until its next feed or free */
} nt_frame;

typedef struct nt_frame_parser {
	uint32_t max;                   /* body limit */
	uint8_t hdr[NT_FRAME_HDR_LEN];
	cr_writer hdr_w;                /* fills hdr */
	bool in_body;
	uint16_t type;
	uint32_t len;
	uint8_t *body;                  /* malloc(len) while in_body, len > 0 */
	cr_writer body_w;               /* fills body */
	bool delivered;                 /* body handed out; released on next feed */
	cr_err failed;                  /* sticky */
} nt_frame_parser;

/* max: body limit in bytes (NT_FRAME_MAX_MIN .. UINT32_MAX). */
void nt_parser_init(nt_frame_parser *p, uint32_t max);
/* Wipes and frees the body buffer. */
void nt_parser_free(nt_frame_parser *p);
/*
 * Reads from `in` until one frame is complete or `in` is empty. On a complete
 * frame *got is true and *f holds it (its body valid until the next call);
 * the caller calls again with the same reader for the following frames.
 * Errors: CR_ERR_LIMIT for a length above max, CR_ERR_NOMEM; both sticky.
 */
cr_err nt_parser_feed(nt_frame_parser *p, cr_reader *in, bool *got, nt_frame *f) CR_MUST_CHECK;
/* True when no partial frame is buffered (a clean place to close). */
bool nt_parser_idle(const nt_frame_parser *p);

/* Writing: mark = nt_frame_begin(w, type); ...body...; nt_frame_end(w, mark).
 * nt_frame_end patches the length; a body above max fails the writer with
 * CR_ERR_LIMIT. */
size_t nt_frame_begin(cr_writer *w, uint16_t type);
void nt_frame_end(cr_writer *w, size_t mark, uint32_t max);

/* An error frame: u32 request id, u16 code, opaque text<0..NT_ERROR_TEXT_MAX>. */
void nt_write_error(cr_writer *w, uint32_t id, nt_code code, const char *text);
typedef struct nt_error_body {
	uint32_t id;
	uint16_t code;
	cr_span text;
} nt_error_body;
cr_err nt_read_error(const uint8_t *p, size_t n, nt_error_body *e) CR_MUST_CHECK;

/* HELLO: u32 id, u16 min_version, u16 max_version, opaque software<0..64>. */
typedef struct nt_hello {
	uint32_t id;
	uint16_t min_version, max_version;
	cr_span software;
} nt_hello;
void nt_write_hello(cr_writer *w, const nt_hello *h);
cr_err nt_read_hello(const uint8_t *p, size_t n, nt_hello *h) CR_MUST_CHECK;
/* The version both sides speak, or CR_ERR_UNSUPPORTED. */
cr_err nt_negotiate(const nt_hello *h, uint16_t *version) CR_MUST_CHECK;

/* HELLO_OK: u32 id, u16 version, u8 policy, opaque nonce<32>, u32 frame_max. */
typedef struct nt_hello_ok {
	uint32_t id;
	uint16_t version;
	uint8_t policy;
	uint8_t nonce[NT_NONCE_LEN];
	uint32_t frame_max;
} nt_hello_ok;
void nt_write_hello_ok(cr_writer *w, const nt_hello_ok *h);
cr_err nt_read_hello_ok(const uint8_t *p, size_t n, nt_hello_ok *h) CR_MUST_CHECK;

#endif
