/*
 * test_nt_app_msg.c: the application payload (net/app_msg.h): round trips
 * of both types, and every way the strict decoder refuses bytes.
 */
#include <string.h>

#include "app_msg.h"
#include "t.h"

static size_t encode(const nt_app_msg *m, uint8_t *buf, size_t cap)
{
	cr_writer w;
	cr_writer_init_fixed(&w, buf, cap);
	if (!CHECK_OK(nt_app_msg_write(&w, m)))
		return 0;
	return w.len;
}

static nt_app_msg text_msg(const char *s)
{
	nt_app_msg m = { .type = NT_APP_TEXT, .sent_at = 1700000000 };
	memset(m.msg_id, 0x42, sizeof m.msg_id);
	m.text = (cr_span){ (const uint8_t *)s, strlen(s) };
	return m;
}

TEST(text_round_trip)
{
	nt_app_msg m = text_msg("hello, group"), d;
	uint8_t buf[256];
	size_t n = encode(&m, buf, sizeof buf);
	CHECK(n == 2 + 16 + 8 + 1 + 12);
	CHECK_OK(nt_app_msg_decode(buf, n, &d));
	CHECK(d.type == NT_APP_TEXT && d.sent_at == 1700000000);
	CHECK_MEM(d.msg_id, m.msg_id, 16);
	CHECK(d.text.n == 12 && memcmp(d.text.p, "hello, group", 12) == 0);
	m = text_msg("");
	n = encode(&m, buf, sizeof buf);
	CHECK_OK(nt_app_msg_decode(buf, n, &d));
	CHECK(d.text.n == 0);
}

TEST(file_round_trip)
{
	nt_app_msg m = { .type = NT_APP_FILE, .sent_at = 5 }, d;
	m.file.name = (cr_span){ (const uint8_t *)"report.pdf", 10 };
	m.file.size = 3u << 20;
	memset(m.file.blob_id, 1, 16);
	memset(m.file.key, 2, 16);
	memset(m.file.sha256, 3, 32);
	uint8_t buf[256];
	size_t n = encode(&m, buf, sizeof buf);
	CHECK_OK(nt_app_msg_decode(buf, n, &d));
	CHECK(d.type == NT_APP_FILE && d.file.size == (3u << 20) && d.file.name.n == 10);
	CHECK_MEM(d.file.blob_id, m.file.blob_id, 16);
	CHECK_MEM(d.file.key, m.file.key, 16);
	CHECK_MEM(d.file.sha256, m.file.sha256, 32);
}

TEST(longest_text_fits_and_one_more_does_not)
{
	static uint8_t big[NT_APP_TEXT_MAX + 1], buf[NT_APP_MAX + 16];
	memset(big, 'a', sizeof big);
	nt_app_msg m = text_msg(""), d;
	m.text = (cr_span){ big, NT_APP_TEXT_MAX };
	size_t n = encode(&m, buf, sizeof buf);
	CHECK(n > 0 && n <= NT_APP_MAX);
	CHECK_OK(nt_app_msg_decode(buf, n, &d));
	m.text.n = NT_APP_TEXT_MAX + 1;
	cr_writer w;
	cr_writer_init_fixed(&w, buf, sizeof buf);
	CHECK_ERR(nt_app_msg_write(&w, &m), CR_ERR_ARG);
	/* A hand-made over-long length is refused before reading. */
	buf[26] = 0x80, buf[27] = 0x01, buf[28] = 0x00, buf[29] = 0x01;
	CHECK_ERR(nt_app_msg_decode(buf, 30 + NT_APP_TEXT_MAX + 1, &d), CR_ERR_LIMIT);
}

TEST(decoder_refuses)
{
	nt_app_msg m = text_msg("hi"), d;
	uint8_t buf[64];
	size_t n = encode(&m, buf, sizeof buf);
	for (size_t i = 0; i < n; i++)
		CHECK(nt_app_msg_decode(buf, i, &d) != CR_OK); /* every truncation */
	buf[n] = 0;
	CHECK_ERR(nt_app_msg_decode(buf, n + 1, &d), CR_ERR_MALFORMED); /* trailing */
	buf[0] = 2;
	CHECK_ERR(nt_app_msg_decode(buf, n, &d), CR_ERR_UNSUPPORTED);
	buf[0] = 1, buf[1] = 3;
	CHECK_ERR(nt_app_msg_decode(buf, n, &d), CR_ERR_UNSUPPORTED);
	buf[1] = 1, buf[18] = 0x80; /* clock above INT64_MAX */
	CHECK_ERR(nt_app_msg_decode(buf, n, &d), CR_ERR_MALFORMED);
	CHECK_ERR(nt_app_msg_decode(NULL, 0, &d), CR_ERR_TRUNCATED);
}

TEST(file_name_rules)
{
	nt_app_msg m = { .type = NT_APP_FILE }, d;
	uint8_t buf[512], name[NT_APP_NAME_MAX + 1];
	memset(name, 'n', sizeof name);
	cr_writer w;
	cr_writer_init_fixed(&w, buf, sizeof buf);
	m.file.name = (cr_span){ name, 0 };
	CHECK_ERR(nt_app_msg_write(&w, &m), CR_ERR_ARG);
	m.file.name.n = NT_APP_NAME_MAX + 1;
	CHECK_ERR(nt_app_msg_write(&w, &m), CR_ERR_ARG);
	m.file.name.n = NT_APP_NAME_MAX;
	size_t n = encode(&m, buf, sizeof buf);
	CHECK_OK(nt_app_msg_decode(buf, n, &d));
	/* Empty name on the wire: type file, name length 0. */
	uint8_t empty[2 + 16 + 8 + 1 + 8 + 64] = { 1, 2 };
	CHECK_ERR(nt_app_msg_decode(empty, sizeof empty, &d), CR_ERR_MALFORMED);
	nt_app_msg neg = text_msg("x");
	neg.sent_at = -1;
	CHECK_ERR(nt_app_msg_write(&w, &neg), CR_ERR_ARG);
}

static const t_case cases[] = {
	T(text_round_trip), T(file_round_trip), T(longest_text_fits_and_one_more_does_not),
	T(decoder_refuses), T(file_name_rules), { 0 },
};

int main(int argc, char **argv) { return t_main(argc, argv, cases); }
