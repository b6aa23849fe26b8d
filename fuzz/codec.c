/*
 * fuzz: the byte codec (cr_read_* and cr_write_*), with a round-trip property.
 *
 * The input is read as a script: each step's first byte picks a reader
 * (u8, u16, u32, u64, varint, opaque, bool, nested vector), which reads the
 * following bytes. Everything read successfully is written back with the
 * matching writer; the bytes written must equal the bytes consumed, since
 * every accepted encoding is canonical. A failed read must leave the cursor
 * in place.
 */
#include <stdlib.h>
#include <string.h>

#include "codec.h"

#define MAX_DEPTH 4

/* Returns true when r was consumed to its end; on false, *ok_in and *ok_out
 * are the input and output lengths of the steps that fully succeeded. */
static bool round_trip(cr_reader *r, cr_writer *w, int depth, size_t *ok_in, size_t *ok_out)
{
	while (cr_reader_left(r) > 0) {
		*ok_in = r->off;
		*ok_out = w->len;
		uint8_t op;
		if (cr_read_u8(r, &op))
			abort();
		cr_write_u8(w, op);
		size_t before = r->off;
		cr_err e = CR_OK;
		switch (op % 8) {
		case 0: { uint8_t v; if (!(e = cr_read_u8(r, &v))) cr_write_u8(w, v); break; }
		case 1: { uint16_t v; if (!(e = cr_read_u16(r, &v))) cr_write_u16(w, v); break; }
		case 2: { uint32_t v; if (!(e = cr_read_u32(r, &v))) cr_write_u32(w, v); break; }
		case 3: { uint64_t v; if (!(e = cr_read_u64(r, &v))) cr_write_u64(w, v); break; }
		case 4: { uint64_t v; if (!(e = cr_read_varint(r, &v))) cr_write_varint(w, v); break; }
		case 5: { cr_span s; if (!(e = cr_read_opaque(r, 1024, &s))) cr_write_opaque(w, s.p, s.n); break; }
		case 6: { bool v; if (!(e = cr_read_bool(r, &v))) cr_write_bool(w, v); break; }
		case 7: {
			cr_reader sub;
			size_t in, out;
			if (depth >= MAX_DEPTH || (e = cr_read_vector(r, 4096, &sub)))
				break;
			size_t m = cr_write_vector_begin(w);
			if (!round_trip(&sub, w, depth + 1, &in, &out))
				return false; /* the nested bytes are not an encoding */
			cr_write_vector_end(w, m);
			break;
		}
		}
		if (e) {
			if (r->off != before)
				abort(); /* a failed read moved the cursor */
			return false; /* the rest of the input is not an encoding */
		}
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cr_reader r;
	cr_reader_init(&r, data, size);
	cr_writer w;
	cr_writer_init_dynamic(&w, size + 16);
	size_t in = 0, out = 0;
	if (round_trip(&r, &w, 0, &in, &out))
		in = out = r.off;
	/* decode then encode must give back the same bytes */
	if (cr_writer_error(&w) || in != out || w.len < out || (out && memcmp(w.p, data, out) != 0))
		abort();
	cr_writer_free(&w);
	return 0;
}
