/*
 * test_nt_frame.c: frames (net/frame.h): round trips, split feeding, the
 * length limit before allocation, truncation, trailing bytes, negotiation.
 */
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "t.h"

static size_t put_hello(uint8_t *buf, size_t cap, uint32_t id, uint16_t lo, uint16_t hi)
{
	cr_writer w;
	cr_writer_init_fixed(&w, buf, cap);
	nt_hello h = { id, lo, hi, { (const uint8_t *)"echover-test", 12 } };
	size_t m = nt_frame_begin(&w, NT_HELLO);
	nt_write_hello(&w, &h);
	nt_frame_end(&w, m, NT_FRAME_MAX_DEFAULT);
	if (cr_writer_error(&w) != CR_OK)
		return 0;
	return w.len;
}

TEST(hello_round_trip)
{
	uint8_t buf[128];
	size_t n = put_hello(buf, sizeof buf, 7, 1, 3);
	CHECK(n == NT_FRAME_HDR_LEN + 4 + 2 + 2 + 1 + 12);
	nt_frame_parser p;
	nt_parser_init(&p, NT_FRAME_MAX_DEFAULT);
	cr_reader r;
	cr_reader_init(&r, buf, n);
	bool got;
	nt_frame f;
	CHECK_OK(nt_parser_feed(&p, &r, &got, &f));
	CHECK(got);
	CHECK(f.type == NT_HELLO);
	nt_hello h;
	CHECK_OK(nt_read_hello(f.body.p, f.body.n, &h));
	CHECK(h.id == 7 && h.min_version == 1 && h.max_version == 3);
	CHECK(h.software.n == 12 && !memcmp(h.software.p, "echover-test", 12));
	uint16_t v = 0;
	CHECK_OK(nt_negotiate(&h, &v));
	CHECK(v == NT_PROTO_VERSION);
	CHECK(cr_reader_left(&r) == 0);
	CHECK(nt_parser_idle(&p));
	nt_parser_free(&p);
}

TEST(byte_by_byte_many_frames)
{
	uint8_t buf[512];
	size_t n = 0;
	for (uint32_t i = 0; i < 5; i++)
		n += put_hello(buf + n, sizeof buf - n, i, 1, 1);
	/* A zero-length body in the middle. */
	cr_writer w;
	cr_writer_init_fixed(&w, buf + n, sizeof buf - n);
	size_t m = nt_frame_begin(&w, 0x7777);
	nt_frame_end(&w, m, NT_FRAME_MAX_DEFAULT);
	CHECK_OK(cr_writer_error(&w));
	n += w.len;
	nt_frame_parser p;
	nt_parser_init(&p, NT_FRAME_MAX_DEFAULT);
	uint32_t seen = 0;
	bool empty_seen = false;
	for (size_t i = 0; i < n; i++) {
		cr_reader r;
		cr_reader_init(&r, buf + i, 1);
		bool got;
		nt_frame f;
		CHECK_OK(nt_parser_feed(&p, &r, &got, &f));
		if (got && f.type == NT_HELLO) {
			nt_hello h;
			CHECK_OK(nt_read_hello(f.body.p, f.body.n, &h));
			CHECK(h.id == seen);
			seen++;
		} else if (got) {
			CHECK(f.type == 0x7777 && f.body.n == 0);
			empty_seen = true;
		}
		CHECK(cr_reader_left(&r) == 0);
	}
	CHECK(seen == 5);
	CHECK(empty_seen);
	nt_parser_free(&p);
}

TEST(length_limit_before_allocation)
{
	/* Header claims max + 1 bytes: refused with no body at all sent. */
	uint8_t hdr[NT_FRAME_HDR_LEN] = { 0x00, 0x00, 0x10, 0x01, 0x00, 0x01 };
	nt_frame_parser p;
	nt_parser_init(&p, 4096);
	cr_reader r;
	cr_reader_init(&r, hdr, sizeof hdr);
	bool got = true;
	nt_frame f;
	CHECK_ERR(nt_parser_feed(&p, &r, &got, &f), CR_ERR_LIMIT);
	CHECK(!got);
	CHECK(p.body == NULL);
	/* Sticky: nothing more is parsed. */
	uint8_t ok[64];
	size_t n = put_hello(ok, sizeof ok, 1, 1, 1);
	cr_reader_init(&r, ok, n);
	CHECK_ERR(nt_parser_feed(&p, &r, &got, &f), CR_ERR_LIMIT);
	CHECK(!nt_parser_idle(&p));
	nt_parser_free(&p);
	/* Exactly at the limit is accepted. */
	nt_parser_init(&p, 4096);
	uint8_t at[NT_FRAME_HDR_LEN] = { 0x00, 0x00, 0x10, 0x00, 0x00, 0x01 };
	cr_reader_init(&r, at, sizeof at);
	CHECK_OK(nt_parser_feed(&p, &r, &got, &f));
	CHECK(!got);
	CHECK(!nt_parser_idle(&p));
	nt_parser_free(&p);
	/* The maximum u32 length against the default limit. */
	nt_parser_init(&p, NT_FRAME_MAX_DEFAULT);
	uint8_t huge[NT_FRAME_HDR_LEN] = { 0xff, 0xff, 0xff, 0xff, 0x00, 0x01 };
	cr_reader_init(&r, huge, sizeof huge);
	CHECK_ERR(nt_parser_feed(&p, &r, &got, &f), CR_ERR_LIMIT);
	nt_parser_free(&p);
}

TEST(truncated_frame_is_pending)
{
	uint8_t buf[64];
	size_t n = put_hello(buf, sizeof buf, 9, 1, 1);
	for (size_t cut = 0; cut < n; cut++) {
		nt_frame_parser p;
		nt_parser_init(&p, NT_FRAME_MAX_DEFAULT);
		cr_reader r;
		cr_reader_init(&r, buf, cut);
		bool got = true;
		nt_frame f;
		CHECK_OK(nt_parser_feed(&p, &r, &got, &f));
		CHECK(!got);
		CHECK(nt_parser_idle(&p) == (cut == 0));
		nt_parser_free(&p);
	}
}

TEST(writer_limit)
{
	cr_writer w;
	cr_writer_init_dynamic(&w, 1 << 16);
	size_t m = nt_frame_begin(&w, NT_HELLO);
	uint8_t big[2000] = { 0 };
	cr_write_bytes(&w, big, sizeof big);
	nt_frame_end(&w, m, 1024);
	CHECK_ERR(cr_writer_error(&w), CR_ERR_LIMIT);
	cr_writer_free(&w);
}

TEST(hello_rejects_bad_bodies)
{
	uint8_t buf[64];
	size_t n = put_hello(buf, sizeof buf, 1, 1, 2);
	const uint8_t *body = buf + NT_FRAME_HDR_LEN;
	size_t bn = n - NT_FRAME_HDR_LEN;
	nt_hello h;
	CHECK_OK(nt_read_hello(body, bn, &h));
	for (size_t cut = 0; cut < bn; cut++)
		CHECK(nt_read_hello(body, cut, &h) != CR_OK);
	uint8_t longer[64];
	memcpy(longer, body, bn);
	longer[bn] = 0;
	CHECK_ERR(nt_read_hello(longer, bn + 1, &h), CR_ERR_MALFORMED);
	/* min above max. */
	memcpy(longer, body, bn);
	longer[5] = 3;
	CHECK_ERR(nt_read_hello(longer, bn, &h), CR_ERR_MALFORMED);
}

TEST(negotiation)
{
	nt_hello h = { 0, 1, 1, { NULL, 0 } };
	uint16_t v;
	CHECK_OK(nt_negotiate(&h, &v));
	CHECK(v == 1);
	h.min_version = 2;
	h.max_version = 9;
	CHECK_ERR(nt_negotiate(&h, &v), CR_ERR_UNSUPPORTED);
	h.min_version = 0;
	h.max_version = 0;
	CHECK_ERR(nt_negotiate(&h, &v), CR_ERR_UNSUPPORTED);
	h.max_version = 500;
	CHECK_OK(nt_negotiate(&h, &v));
	CHECK(v == NT_PROTO_VERSION);
}

TEST(error_frame)
{
	uint8_t buf[512];
	cr_writer w;
	cr_writer_init_fixed(&w, buf, sizeof buf);
	nt_write_error(&w, 42, NT_E_CONFLICT, "epoch 3 already committed");
	CHECK_OK(cr_writer_error(&w));
	nt_error_body e;
	CHECK_OK(nt_read_error(buf, w.len, &e));
	CHECK(e.id == 42 && e.code == NT_E_CONFLICT);
	CHECK(e.text.n == 25 && !memcmp(e.text.p, "epoch 3 already committed", 25));
	CHECK(nt_read_error(buf, w.len - 1, &e) != CR_OK);
	/* Text is clipped to the maximum on write; a longer one is refused on read. */
	char text[400];
	memset(text, 'x', sizeof text - 1);
	text[sizeof text - 1] = 0;
	cr_writer_init_fixed(&w, buf, sizeof buf);
	nt_write_error(&w, 1, NT_E_INTERNAL, text);
	CHECK_OK(cr_writer_error(&w));
	CHECK_OK(nt_read_error(buf, w.len, &e));
	CHECK(e.text.n == NT_ERROR_TEXT_MAX);
	cr_writer_init_fixed(&w, buf, sizeof buf);
	cr_write_u32(&w, 1);
	cr_write_u16(&w, 1);
	cr_write_opaque(&w, (const uint8_t *)text, 300);
	CHECK_OK(cr_writer_error(&w));
	CHECK_ERR(nt_read_error(buf, w.len, &e), CR_ERR_LIMIT);
	CHECK(strcmp(nt_code_str(NT_E_CONFLICT), "epoch conflict") == 0);
}

TEST(hello_ok_round_trip)
{
	nt_hello_ok a = { 5, 1, NT_POLICY_INVITE, { 0 }, NT_FRAME_MAX_DEFAULT };
	for (int i = 0; i < NT_NONCE_LEN; i++)
		a.nonce[i] = (uint8_t)(i * 7);
	uint8_t buf[128];
	cr_writer w;
	cr_writer_init_fixed(&w, buf, sizeof buf);
	nt_write_hello_ok(&w, &a);
	CHECK_OK(cr_writer_error(&w));
	nt_hello_ok b;
	CHECK_OK(nt_read_hello_ok(buf, w.len, &b));
	CHECK(b.id == 5 && b.version == 1 && b.policy == NT_POLICY_INVITE && b.frame_max == a.frame_max);
	CHECK_MEM(b.nonce, a.nonce, NT_NONCE_LEN);
	buf[6] = 2; /* unknown policy */
	CHECK_ERR(nt_read_hello_ok(buf, w.len, &b), CR_ERR_MALFORMED);
	buf[6] = 1;
	buf[7] = 31; /* nonce length */
	CHECK(nt_read_hello_ok(buf, w.len, &b) != CR_OK);
}

static const t_case cases[] = {
	T(hello_round_trip), T(byte_by_byte_many_frames), T(length_limit_before_allocation),
	T(truncated_frame_is_pending), T(writer_limit), T(hello_rejects_bad_bodies), T(negotiation),
	T(error_frame), T(hello_ok_round_trip), { 0 },
};

int main(int argc, char **argv)
{
	return t_main(argc, argv, cases);
}
