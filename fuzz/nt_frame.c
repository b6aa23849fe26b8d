/*
 * fuzz: net/frame.c nt_parser_feed (split at a data-chosen point) with nt_parser_idle, nt_read_hello, nt_read_hello_ok, nt_read_error
 */
#include <stdint.h>
#include <stdlib.h>

#include "frame.h"

static void decode_body(const nt_frame *f)
{
	nt_hello h;
	nt_hello_ok ok;
	nt_error_body e;
	uint16_t v;
	volatile int sink = 0;
	if (nt_read_hello(f->body.p, f->body.n, &h) == CR_OK && nt_negotiate(&h, &v) == CR_OK)
		sink += v;
	if (nt_read_hello_ok(f->body.p, f->body.n, &ok) == CR_OK)
		sink += ok.version;
	if (nt_read_error(f->body.p, f->body.n, &e) == CR_OK)
		sink += e.code;
	(void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	/* The first byte picks where the stream is split, so partial headers
	 * and bodies are exercised as well as whole frames. */
	size_t split = data[0] % size;
	cr_reader all;
	cr_reader_init(&all, data, size);
	cr_span skip, a, b;
	if (cr_read_span(&all, 1, &skip) || cr_read_span(&all, split ? split - 1 : 0, &a) ||
	    cr_read_span(&all, cr_reader_left(&all), &b))
		return 0;
	nt_frame_parser p;
	nt_parser_init(&p, 4096);
	const cr_span parts[2] = { a, b };
	for (int i = 0; i < 2; i++) {
		cr_reader r;
		cr_reader_init(&r, parts[i].p, parts[i].n);
		for (;;) {
			bool got;
			nt_frame f;
			cr_err e = nt_parser_feed(&p, &r, &got, &f);
			/* nt_parser_idle: a delivered frame leaves the parser at a
			 * frame boundary; a parser that failed is never idle. */
			if ((e == CR_OK && got && !nt_parser_idle(&p)) || (e != CR_OK && nt_parser_idle(&p)))
				abort();
			if (e != CR_OK || !got)
				break;
			decode_body(&f);
		}
	}
	nt_parser_free(&p);
	return 0;
}
