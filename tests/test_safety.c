/*
 * test_safety.c: safety numbers, key fingerprints and constant-time hex
 * (crypto/safety.h).
 *
 * The known answers were computed with Python's hashlib, following the
 * construction documented in safety.h (not with echover code):
 *
 *   def digits(name, pub):
 *       h = sha256(b"\0\0" + pub + name).digest()
 *       for _ in range(5200): h = sha256(h + pub).digest()
 *       return "".join("%05d" % (int.from_bytes(h[5*i:5*i+5], "big") % 100000)
 *                      for i in range(6))
 *   number = "".join(sorted([digits(b"alice", A), digits(b"bob", B)]))
 *   fingerprint = sha256(b"echover key fingerprint v1" + A).hexdigest()[:32]
 *
 * with A = bytes(range(32)) and B = bytes(range(32, 64)).
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "safety.h"
#include "t.h"

static uint8_t A[32], B[32];

static void keys(void)
{
	for (int i = 0; i < 32; i++) {
		A[i] = (uint8_t)i;
		B[i] = (uint8_t)(32 + i);
	}
}

#define S(x) (const uint8_t *)(x), strlen(x)

TEST(safety_number_known_answer)
{
	keys();
	char out[CR_SAFETY_STR_LEN];
	CHECK_OK(cr_safety_number(out, S("alice"), A, S("bob"), B));
	CHECK(strcmp(out, "55665 09880 12192 85357 77242 30060 90600 21200 14423 88208 11425 39112") == 0);
	CHECK(strlen(out) == CR_SAFETY_STR_LEN - 1);
}

TEST(safety_number_is_order_independent)
{
	keys();
	char ab[CR_SAFETY_STR_LEN], ba[CR_SAFETY_STR_LEN];
	CHECK_OK(cr_safety_number(ab, S("alice"), A, S("bob"), B));
	CHECK_OK(cr_safety_number(ba, S("bob"), B, S("alice"), A));
	CHECK(strcmp(ab, ba) == 0);
}

/* A changed key, a changed name, or swapped keys give another number. */
TEST(safety_number_changes_with_any_input)
{
	keys();
	char base[CR_SAFETY_STR_LEN], other[CR_SAFETY_STR_LEN];
	CHECK_OK(cr_safety_number(base, S("alice"), A, S("bob"), B));
	uint8_t a2[32];
	memcpy(a2, A, 32);
	a2[31] ^= 1;
	CHECK_OK(cr_safety_number(other, S("alice"), a2, S("bob"), B));
	CHECK(strcmp(base, other) != 0);
	CHECK_OK(cr_safety_number(other, S("alicf"), A, S("bob"), B));
	CHECK(strcmp(base, other) != 0);
	CHECK_OK(cr_safety_number(other, S("alice"), B, S("bob"), A));
	CHECK(strcmp(base, other) != 0);
	/* alice holding bob's key: that half is independently known */
	CHECK_OK(cr_safety_number(other, S("alice"), B, S("alice"), B));
	CHECK(strcmp(other, "25633 26354 20832 64218 19529 32201 25633 26354 20832 64218 19529 32201") == 0);
}

TEST(safety_number_refuses_bad_names)
{
	keys();
	char out[CR_SAFETY_STR_LEN] = "x";
	uint8_t long_name[CR_SAFETY_NAME_MAX + 1];
	memset(long_name, 'a', sizeof long_name);
	CHECK_ERR(cr_safety_number(out, (const uint8_t *)"", 0, A, S("bob"), B), CR_ERR_ARG);
	CHECK(out[0] == '\0');
	CHECK_ERR(cr_safety_number(out, S("alice"), A, NULL, 0, B), CR_ERR_ARG);
	CHECK_ERR(cr_safety_number(out, long_name, sizeof long_name, A, S("bob"), B), CR_ERR_ARG);
	CHECK_OK(cr_safety_number(out, long_name, sizeof long_name - 1, A, S("bob"), B));
}

TEST(fingerprint_known_answer_and_format)
{
	keys();
	char fp[CR_FINGERPRINT_STR_LEN], fp2[CR_FINGERPRINT_STR_LEN];
	cr_key_fingerprint(fp, A);
	CHECK(strcmp(fp, "1d1b 6f0a 4b02 965d afb3 1076 cee9 5745") == 0);
	CHECK(strlen(fp) == CR_FINGERPRINT_STR_LEN - 1);
	cr_key_fingerprint(fp2, B);
	CHECK(strcmp(fp, fp2) != 0);
}

/* Every byte value against snprintf's %02x. */
TEST(hex_matches_printf_for_every_byte)
{
	uint8_t all[256];
	for (int i = 0; i < 256; i++)
		all[i] = (uint8_t)i;
	char out[513], want[3];
	CHECK_OK(cr_hex_encode(out, sizeof out, all, sizeof all));
	int bad = 0;
	for (int i = 0; i < 256; i++) {
		snprintf(want, sizeof want, "%02x", i);
		bad += memcmp(&out[2 * i], want, 2) != 0;
	}
	CHECK(bad == 0);
	CHECK(out[512] == '\0');
}

TEST(hex_refuses_short_output)
{
	uint8_t in[4] = { 0xde, 0xad, 0xbe, 0xef };
	char out[9] = "zzzzzzzz";
	CHECK_ERR(cr_hex_encode(out, 8, in, 4), CR_ERR_SPACE);
	CHECK(out[0] == '\0');
	CHECK_OK(cr_hex_encode(out, 9, in, 4));
	CHECK(strcmp(out, "deadbeef") == 0);
	CHECK_OK(cr_hex_encode(out, 1, in, 0));
	CHECK(out[0] == '\0');
	CHECK_ERR(cr_hex_encode(out, 0, in, 0), CR_ERR_SPACE);
}

TEST(hex_decode_round_trips_and_accepts_both_cases)
{
	uint8_t all[256], back[256];
	for (int i = 0; i < 256; i++)
		all[i] = (uint8_t)i;
	char hex[513];
	CHECK_OK(cr_hex_encode(hex, sizeof hex, all, sizeof all));
	size_t n = 0;
	CHECK_OK(cr_hex_decode(back, sizeof back, &n, hex, 512));
	CHECK(n == 256);
	CHECK_MEM(back, all, 256);
	for (int i = 0; i < 512; i++)
		if (hex[i] >= 'a' && hex[i] <= 'f')
			hex[i] = (char)(hex[i] - 'a' + 'A');
	memset(back, 0, sizeof back);
	CHECK_OK(cr_hex_decode(back, sizeof back, &n, hex, 512));
	CHECK_MEM(back, all, 256);
	CHECK_OK(cr_hex_decode(back, 0, &n, "", 0));
	CHECK(n == 0);
}

/* Every character that is not a hex digit, at each position, is refused;
 * in particular the neighbours of the ranges ('/', ':', '@', 'G', '`', 'g'). */
TEST(hex_decode_refuses_non_hex_odd_and_short)
{
	uint8_t out[4];
	size_t n = 9;
	int bad = 0, good = 0;
	for (int c = 0; c < 256; c++) {
		bool is_hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
		for (int pos = 0; pos < 4; pos++) {
			char in[5] = "a0b1";
			in[pos] = (char)c;
			memset(out, 0xee, sizeof out);
			cr_err e = cr_hex_decode(out, sizeof out, &n, in, 4);
			if (is_hex)
				good += e == CR_OK && n == 2;
			else
				bad += e == CR_ERR_MALFORMED && n == 0 && out[0] == 0 && out[3] == 0;
		}
	}
	CHECK(good == 22 * 4);
	CHECK(bad == (256 - 22) * 4);
	CHECK_ERR(cr_hex_decode(out, sizeof out, &n, "abc", 3), CR_ERR_MALFORMED);
	CHECK_ERR(cr_hex_decode(out, 1, &n, "abcd", 4), CR_ERR_SPACE);
	CHECK(out[0] == 0);
	CHECK_OK(cr_hex_decode(out, 2, &n, "abcd", 4));
	CHECK(n == 2 && out[0] == 0xab && out[1] == 0xcd);
}

static const t_case cases[] = {
	T(safety_number_known_answer),
	T(safety_number_is_order_independent),
	T(safety_number_changes_with_any_input),
	T(safety_number_refuses_bad_names),
	T(fingerprint_known_answer_and_format),
	T(hex_matches_printf_for_every_byte),
	T(hex_refuses_short_output),
	T(hex_decode_round_trips_and_accepts_both_cases),
	T(hex_decode_refuses_non_hex_odd_and_short),
	{ 0 },
};

int main(int argc, char **argv)
{
	return t_main(argc, argv, cases);
}
