/*
 * test_codec.c: the byte codec (crypto/codec.h): every read at every
 * boundary, failed reads leave the cursor, minimal varints, sticky writers.
 */
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "t.h"

TEST(reads_fixed_width_big_endian)
{
	static const uint8_t in[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
	cr_reader r;
	cr_reader_init(&r, in, sizeof in);
	uint8_t a; uint16_t b; uint32_t c; uint64_t d;
	CHECK_OK(cr_read_u8(&r, &a));
	CHECK_OK(cr_read_u16(&r, &b));
	CHECK_OK(cr_read_u32(&r, &c));
	CHECK_OK(cr_read_u64(&r, &d));
	CHECK(a == 1 && b == 0x0203 && c == 0x04050607u && d == 0x08090a0b0c0d0e0fULL);
	CHECK_OK(cr_reader_end(&r));
}

/* Every read, cut at every length, fails with TRUNCATED and moves nothing. */
TEST(short_reads_fail_without_moving)
{
	static const uint8_t in[8] = { 0 };
	for (size_t n = 0; n < 8; n++) {
		cr_reader r;
		cr_reader_init(&r, in, n);
		uint16_t b; uint32_t c; uint64_t d;
		if (n < 2) CHECK_ERR(cr_read_u16(&r, &b), CR_ERR_TRUNCATED);
		if (n < 4) CHECK_ERR(cr_read_u32(&r, &c), CR_ERR_TRUNCATED);
		CHECK_ERR(cr_read_u64(&r, &d), CR_ERR_TRUNCATED);
		CHECK(r.off == 0);
	}
	cr_reader r;
	cr_reader_init(&r, NULL, 0);
	uint8_t a;
	CHECK_ERR(cr_read_u8(&r, &a), CR_ERR_TRUNCATED);
}

TEST(varint_boundaries_round_trip)
{
	static const uint64_t values[] = { 0, 1, 63, 64, 16383, 16384, 0x3fffffff };
	static const size_t sizes[] = { 1, 1, 1, 2, 2, 4, 4 };
	for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
		uint8_t buf[8];
		cr_writer w;
		cr_writer_init_fixed(&w, buf, sizeof buf);
		cr_write_varint(&w, values[i]);
		CHECK_OK(cr_writer_error(&w));
		CHECK(w.len == sizes[i]);
		CHECK(cr_varint_size(values[i]) == sizes[i]);
		cr_reader r;
		cr_reader_init(&r, buf, w.len);
		uint64_t v = 99;
		CHECK_OK(cr_read_varint(&r, &v));
		CHECK(v == values[i]);
		CHECK_OK(cr_reader_end(&r));
	}
}

TEST(varint_rejects_reserved_prefix_and_non_minimal)
{
	static const uint8_t reserved[] = { 0xc0, 0, 0, 0, 0, 0, 0, 0 };
	static const uint8_t two_for_one[] = { 0x40, 0x25 };
	static const uint8_t four_for_two[] = { 0x80, 0x00, 0x3f, 0xff };
	static const uint8_t cut[] = { 0x80, 0x01, 0x00 };
	cr_reader r;
	uint64_t v;
	cr_reader_init(&r, reserved, sizeof reserved);
	CHECK_ERR(cr_read_varint(&r, &v), CR_ERR_MALFORMED);
	cr_reader_init(&r, two_for_one, sizeof two_for_one);
	CHECK_ERR(cr_read_varint(&r, &v), CR_ERR_MALFORMED);
	cr_reader_init(&r, four_for_two, sizeof four_for_two);
	CHECK_ERR(cr_read_varint(&r, &v), CR_ERR_MALFORMED);
	cr_reader_init(&r, cut, sizeof cut);
	CHECK_ERR(cr_read_varint(&r, &v), CR_ERR_TRUNCATED);
	CHECK(r.off == 0);

	uint8_t buf[8];
	cr_writer w;
	cr_writer_init_fixed(&w, buf, sizeof buf);
	cr_write_varint(&w, 0x40000000);
	CHECK_ERR(cr_writer_error(&w), CR_ERR_LIMIT);
}

TEST(opaque_respects_max_and_restores_cursor)
{
	static const uint8_t in[] = { 0x03, 'a', 'b', 'c', 0x05, 'x' };
	cr_reader r;
	cr_reader_init(&r, in, sizeof in);
	cr_span s;
	CHECK_ERR(cr_read_opaque(&r, 2, &s), CR_ERR_LIMIT);
	CHECK(r.off == 0);
	CHECK_OK(cr_read_opaque(&r, 3, &s));
	CHECK(s.n == 3 && memcmp(s.p, "abc", 3) == 0);
	CHECK_ERR(cr_read_opaque(&r, 100, &s), CR_ERR_TRUNCATED);
	CHECK(r.off == 4);
	CHECK_ERR(cr_reader_end(&r), CR_ERR_MALFORMED);

	uint8_t key[4];
	static const uint8_t three[] = { 0x03, 1, 2, 3 };
	cr_reader_init(&r, three, sizeof three);
	CHECK_ERR(cr_read_opaque_fixed(&r, 4, key), CR_ERR_MALFORMED);
	CHECK(r.off == 0);
}

TEST(vector_sub_reader_is_bounded)
{
	static const uint8_t in[] = { 0x04, 0x00, 0x01, 0x00, 0x02, 0xff };
	cr_reader r, sub;
	cr_reader_init(&r, in, sizeof in);
	CHECK_OK(cr_read_vector(&r, 16, &sub));
	uint16_t a, b, c;
	CHECK_OK(cr_read_u16(&sub, &a));
	CHECK_OK(cr_read_u16(&sub, &b));
	CHECK_ERR(cr_read_u16(&sub, &c), CR_ERR_TRUNCATED); /* never reads the 0xff outside */
	CHECK(a == 1 && b == 2);
	CHECK_OK(cr_reader_end(&sub));
	CHECK(cr_reader_left(&r) == 1);
}

TEST(bool_accepts_only_zero_and_one)
{
	static const uint8_t in[] = { 0, 1, 2 };
	cr_reader r;
	cr_reader_init(&r, in, sizeof in);
	bool v;
	CHECK_OK(cr_read_bool(&r, &v));
	CHECK(!v);
	CHECK_OK(cr_read_bool(&r, &v));
	CHECK(v);
	CHECK_ERR(cr_read_bool(&r, &v), CR_ERR_MALFORMED);
	CHECK(r.off == 2);
}

TEST(fixed_writer_is_sticky_on_overflow)
{
	uint8_t buf[3];
	cr_writer w;
	cr_writer_init_fixed(&w, buf, sizeof buf);
	cr_write_u16(&w, 0x0102);
	cr_write_u16(&w, 0x0304); /* does not fit */
	cr_write_u8(&w, 0x05);    /* would fit, but the writer has failed */
	CHECK_ERR(cr_writer_error(&w), CR_ERR_SPACE);
	CHECK(w.len == 2);
	size_t n;
	CHECK(cr_writer_take(&w, &n) == NULL);
}

TEST(dynamic_writer_grows_to_its_maximum_only)
{
	cr_writer w;
	cr_writer_init_dynamic(&w, 1000);
	for (int i = 0; i < 250; i++)
		cr_write_u32(&w, (uint32_t)i);
	CHECK_OK(cr_writer_error(&w));
	CHECK(w.len == 1000);
	cr_write_u8(&w, 1);
	CHECK_ERR(cr_writer_error(&w), CR_ERR_LIMIT);
	cr_writer_free(&w);

	cr_writer_init_dynamic(&w, 64);
	cr_write_opaque(&w, (const uint8_t *)"hello", 5);
	size_t n = 0;
	uint8_t *p = cr_writer_take(&w, &n);
	CHECK(p && n == 6 && p[0] == 5 && memcmp(p + 1, "hello", 5) == 0);
	free(p);
	cr_writer_free(&w);
}

/* Vectors whose length is known only at the end get a minimal prefix. */
TEST(vector_begin_end_writes_minimal_prefix)
{
	static const size_t lengths[] = { 0, 63, 64, 16383, 16384, 70000 };
	static const size_t prefix[] = { 1, 1, 2, 2, 4, 4 };
	for (size_t i = 0; i < sizeof lengths / sizeof lengths[0]; i++) {
		cr_writer w;
		cr_writer_init_dynamic(&w, 1 << 20);
		cr_write_u8(&w, 0xaa);
		size_t m = cr_write_vector_begin(&w);
		for (size_t j = 0; j < lengths[i]; j++)
			cr_write_u8(&w, (uint8_t)j);
		cr_write_vector_end(&w, m);
		cr_write_u8(&w, 0xbb);
		CHECK_OK(cr_writer_error(&w));
		CHECK(w.len == 2 + prefix[i] + lengths[i]);
		cr_reader r, sub;
		cr_reader_init(&r, w.p, w.len);
		uint8_t a, b;
		CHECK_OK(cr_read_u8(&r, &a));
		CHECK_OK(cr_read_vector(&r, 1 << 20, &sub));
		CHECK(cr_reader_left(&sub) == lengths[i]);
		CHECK(lengths[i] == 0 || sub.p[lengths[i] - 1] == (uint8_t)(lengths[i] - 1));
		CHECK_OK(cr_read_span(&r, 0, &(cr_span){ 0 }));
		CHECK_OK(cr_reader_left(&r) == 1 ? CR_OK : CR_ERR_MALFORMED);
		CHECK_OK(cr_read_u8(&r, &b));
		CHECK(a == 0xaa && b == 0xbb);
		cr_writer_free(&w);
	}
}

TEST(patch_u32_checks_range)
{
	uint8_t buf[8];
	cr_writer w;
	cr_writer_init_fixed(&w, buf, sizeof buf);
	cr_write_u32(&w, 0);
	cr_write_u16(&w, 7);
	cr_writer_patch_u32(&w, 0, 0xdeadbeef);
	CHECK_OK(cr_writer_error(&w));
	CHECK(buf[0] == 0xde && buf[3] == 0xef && buf[5] == 7);
	cr_writer_patch_u32(&w, 3, 1);
	CHECK_ERR(cr_writer_error(&w), CR_ERR_ARG);
}

static const t_case cases[] = {
	T(reads_fixed_width_big_endian),
	T(short_reads_fail_without_moving),
	T(varint_boundaries_round_trip),
	T(varint_rejects_reserved_prefix_and_non_minimal),
	T(opaque_respects_max_and_restores_cursor),
	T(vector_sub_reader_is_bounded),
	T(bool_accepts_only_zero_and_one),
	T(fixed_writer_is_sticky_on_overflow),
	T(dynamic_writer_grows_to_its_maximum_only),
	T(vector_begin_end_writes_minimal_prefix),
	T(patch_u32_checks_range),
	{ NULL, NULL },
};

int main(int argc, char **argv)
{
	return t_main(argc, argv, cases);
}
