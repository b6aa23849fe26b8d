/*
 * vec_deserialization.c: RFC 9420 variable-size vector headers
 * (deserialization.json of the mlswg interop vectors): each header decodes to
 * its length, and the codec writes exactly that header back.
 */
#include <stdlib.h>

#include "codec.h"
#include "vec.h"

static bool detect(json_t *root)
{
	static const char *const keys[] = { "vlbytes_header", "length", NULL };
	return vec_mls_has_keys(root, keys);
}

static void run(json_t *root, const char *path)
{
	size_t i;
	json_t *c;
	json_array_foreach(root, i, c) {
		t_begin("%s #%zu", path, i);
		size_t hlen = 0;
		uint64_t want = 0;
		uint8_t *header = vec_hex(c, "vlbytes_header", &hlen);
		if (header && vec_u64(c, "length", &want)) {
			cr_reader r;
			cr_reader_init(&r, header, hlen);
			uint64_t got = 0;
			CHECK_OK(cr_read_varint(&r, &got));
			CHECK(got == want);
			CHECK_OK(cr_reader_end(&r));
			uint8_t out[4];
			cr_writer w;
			cr_writer_init_fixed(&w, out, sizeof out);
			cr_write_varint(&w, want);
			CHECK_OK(cr_writer_error(&w));
			vec_check_hex(c, "vlbytes_header", out, w.len);
		}
		free(header);
		t_end();
	}
}

const vec_runner vec_deserialization = { "mls deserialization", detect, run };
