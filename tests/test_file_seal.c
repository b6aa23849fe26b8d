/*
 * test_file_seal.c: chunked file encryption (crypto/file_seal.h): sizes,
 * round trips at the chunk boundaries, and every tamper the format must
 * catch (flipped bits, swapped or moved chunks, truncation, extension, a
 * moved final flag, another file's chunk). The known answers are in
 * vectors/file_seal.json (run by tests/vec_echover_kat.c).
 */
#include <stdlib.h>
#include <string.h>

#include "file_seal.h"
#include "t.h"

static const uint8_t KEY[CR_FILE_KEY_LEN] = { 0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe,
					      0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef };

static uint8_t *pattern(size_t n)
{
	uint8_t *p = malloc(n + 1);
	for (size_t i = 0; p && i < n; i++)
		p[i] = (uint8_t)(i * 31 + (i >> 16));
	return p;
}

/* The sealed file of pt[n] under key, malloc'ed; *len its size. */
static uint8_t *seal_file(const uint8_t key[16], const uint8_t *pt, size_t n, size_t *len)
{
	cr_file_ctx f;
	*len = 0;
	if (!CHECK_OK(cr_file_init(&f, key, n)))
		return NULL;
	size_t total = (size_t)cr_file_sealed_size(n);
	uint8_t *out = malloc(total);
	bool ok = out != NULL;
	for (uint64_t i = 0; ok && i < f.chunks; i++)
		ok = cr_file_seal_chunk(&f, i, out + cr_file_sealed_offset(i), pt + i * CR_FILE_CHUNK,
					cr_file_chunk_len(&f, i)) == CR_OK;
	cr_file_wipe(&f);
	if (!CHECK(ok)) {
		free(out);
		return NULL;
	}
	*len = total;
	return out;
}

/* Opens sealed[len] as a file of n plaintext bytes; CR_OK and back[n] or
 * the first error. */
static cr_err open_file(const uint8_t key[16], const uint8_t *sealed, size_t len, uint64_t n, uint8_t *back)
{
	cr_file_ctx f;
	CR_TRY(cr_file_init(&f, key, n));
	cr_err err = CR_OK;
	if (cr_file_sealed_size(n) != len)
		err = CR_ERR_MALFORMED;
	for (uint64_t i = 0; !err && i < f.chunks; i++)
		err = cr_file_open_chunk(&f, i, back + i * CR_FILE_CHUNK, sealed + cr_file_sealed_offset(i),
					 cr_file_chunk_len(&f, i) + CR_FILE_TAG_LEN);
	cr_file_wipe(&f);
	return err;
}

TEST(sizes)
{
	CHECK(cr_file_chunks(0) == 1 && cr_file_sealed_size(0) == 16);
	CHECK(cr_file_chunks(1) == 1 && cr_file_sealed_size(1) == 17);
	CHECK(cr_file_chunks(CR_FILE_CHUNK) == 1 && cr_file_sealed_size(CR_FILE_CHUNK) == CR_FILE_SEALED_CHUNK);
	CHECK(cr_file_chunks(CR_FILE_CHUNK + 1) == 2 && cr_file_sealed_size(CR_FILE_CHUNK + 1) == CR_FILE_SEALED_CHUNK + 17);
	CHECK(cr_file_sealed_size(100u << 20) == (100u << 20) + 1600u * 16);
	CHECK(cr_file_chunks(CR_FILE_PLAIN_MAX + 1) == 0 && cr_file_sealed_size(CR_FILE_PLAIN_MAX + 1) == 0);
	/* The inverse, over every size around the boundaries. */
	bool inverse_ok = true;
	for (uint64_t n = 0; n < 3 * CR_FILE_CHUNK + 40; n += (n % CR_FILE_CHUNK < 40 || n % CR_FILE_CHUNK > CR_FILE_CHUNK - 40) ? 1 : 997) {
		uint64_t back = 1;
		inverse_ok &= cr_file_plain_size(cr_file_sealed_size(n), &back) == CR_OK && back == n;
	}
	CHECK(inverse_ok);
	uint64_t p;
	/* Sizes no plaintext seals to. */
	CHECK_ERR(cr_file_plain_size(0, &p), CR_ERR_MALFORMED);
	CHECK_ERR(cr_file_plain_size(15, &p), CR_ERR_MALFORMED);
	CHECK_ERR(cr_file_plain_size(CR_FILE_SEALED_CHUNK + 16, &p), CR_ERR_MALFORMED);
	CHECK_ERR(cr_file_plain_size(CR_FILE_SEALED_CHUNK + 5, &p), CR_ERR_MALFORMED);
	CHECK(p == 0);
	CHECK_ERR(cr_file_plain_size(UINT64_MAX, &p), CR_ERR_LIMIT);
	cr_file_ctx f;
	CHECK_ERR(cr_file_init(&f, KEY, CR_FILE_PLAIN_MAX + 1), CR_ERR_LIMIT);
}

TEST(round_trips)
{
	static const size_t sizes[] = { 0, 1, 15, 16, 17, CR_FILE_CHUNK - 1, CR_FILE_CHUNK, CR_FILE_CHUNK + 1,
					2 * CR_FILE_CHUNK, 5 * CR_FILE_CHUNK + 12345 };
	for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
		size_t n = sizes[k], len;
		uint8_t *pt = pattern(n), *back = malloc(n + 1);
		uint8_t *sealed = seal_file(KEY, pt, n, &len);
		if (CHECK(sealed && back && len == cr_file_sealed_size(n)) && CHECK_OK(open_file(KEY, sealed, len, n, back)))
			CHECK(n == 0 || memcmp(back, pt, n) == 0);
		/* The ciphertext is not the plaintext. */
		if (sealed && n >= 16)
			CHECK(memcmp(sealed, pt, 16) != 0);
		free(pt), free(back), free(sealed);
	}
}

TEST(in_place_and_deterministic)
{
	size_t n = 2 * CR_FILE_CHUNK + 7, len;
	uint8_t *pt = pattern(n);
	uint8_t *a = seal_file(KEY, pt, n, &len);
	uint8_t *buf = malloc(len);
	cr_file_ctx f;
	if (!CHECK(a && buf) || !CHECK_OK(cr_file_init(&f, KEY, n)))
		goto out;
	/* Sealing twice gives the same bytes (the two-pass upload relies on
	 * it); in place, chunk by chunk. */
	bool ok = true;
	for (uint64_t i = 0; i < f.chunks; i++) {
		uint8_t *c = buf + cr_file_sealed_offset(i);
		size_t cl = cr_file_chunk_len(&f, i);
		memcpy(c, pt + i * CR_FILE_CHUNK, cl);
		ok &= cr_file_seal_chunk(&f, i, c, c, cl) == CR_OK;
	}
	CHECK(ok);
	CHECK_MEM(buf, a, len);
	for (uint64_t i = 0; i < f.chunks; i++) {
		uint8_t *c = buf + cr_file_sealed_offset(i);
		ok &= cr_file_open_chunk(&f, i, c, c, cr_file_chunk_len(&f, i) + 16) == CR_OK;
		ok &= memcmp(c, pt + i * CR_FILE_CHUNK, cr_file_chunk_len(&f, i)) == 0;
	}
	CHECK(ok);
	cr_file_wipe(&f);
	uint8_t zero[sizeof f];
	memset(zero, 0, sizeof zero);
	CHECK_MEM(&f, zero, sizeof f);
out:
	free(pt), free(a), free(buf);
}

TEST(bad_arguments)
{
	cr_file_ctx f;
	uint8_t buf[64] = { 0 }, out[64];
	if (!CHECK_OK(cr_file_init(&f, KEY, 10)))
		return;
	CHECK_ERR(cr_file_seal_chunk(&f, 0, out, buf, 9), CR_ERR_ARG);
	CHECK_ERR(cr_file_seal_chunk(&f, 1, out, buf, 0), CR_ERR_ARG);
	CHECK_ERR(cr_file_open_chunk(&f, 0, out, buf, 25), CR_ERR_MALFORMED);
	CHECK_ERR(cr_file_open_chunk(&f, 1, out, buf, 16), CR_ERR_LIMIT);
	CHECK(cr_file_chunk_len(&f, 0) == 10 && cr_file_chunk_len(&f, 1) == 0);
	cr_file_wipe(&f);
}

TEST(every_bit_flip_fails)
{
	size_t n = 100, len;
	uint8_t *pt = pattern(n), back[100];
	uint8_t *s = seal_file(KEY, pt, n, &len);
	if (!CHECK(s))
		goto out;
	bool all = true, zeroed = true;
	uint8_t zero[100] = { 0 };
	for (size_t i = 0; i < len; i++)
		for (int b = 0; b < 8; b++) {
			s[i] ^= (uint8_t)(1u << b);
			memset(back, 0xaa, sizeof back);
			all &= open_file(KEY, s, len, n, back) == CR_ERR_AUTH;
			zeroed &= memcmp(back, zero, sizeof back) == 0;
			s[i] ^= (uint8_t)(1u << b);
		}
	CHECK(all);
	CHECK(zeroed);
	CHECK_OK(open_file(KEY, s, len, n, back));
out:
	free(pt), free(s);
}

TEST(reorder_truncate_extend_fail)
{
	size_t n = 3 * CR_FILE_CHUNK, len;
	uint8_t *pt = pattern(n), *back = malloc(n + CR_FILE_CHUNK);
	uint8_t *s = seal_file(KEY, pt, n, &len);
	uint8_t *t = malloc(len + CR_FILE_SEALED_CHUNK);
	if (!CHECK(s && back && t))
		goto out;
	/* Chunks 0 and 1 swapped (same length, same file). */
	memcpy(t, s, len);
	memcpy(t, s + CR_FILE_SEALED_CHUNK, CR_FILE_SEALED_CHUNK);
	memcpy(t + CR_FILE_SEALED_CHUNK, s, CR_FILE_SEALED_CHUNK);
	CHECK_ERR(open_file(KEY, t, len, n, back), CR_ERR_AUTH);
	/* Truncated after whole chunks: the new last chunk is not final. */
	CHECK_ERR(open_file(KEY, s, 2 * CR_FILE_SEALED_CHUNK, 2 * CR_FILE_CHUNK, back), CR_ERR_AUTH);
	CHECK_ERR(open_file(KEY, s, CR_FILE_SEALED_CHUNK, CR_FILE_CHUNK, back), CR_ERR_AUTH);
	/* Extended by a chunk (a copy of the last one): the final chunk is no
	 * longer last, and the copy is at the wrong index. */
	memcpy(t, s, len);
	memcpy(t + len, s + 2 * CR_FILE_SEALED_CHUNK, CR_FILE_SEALED_CHUNK);
	CHECK_ERR(open_file(KEY, t, len + CR_FILE_SEALED_CHUNK, n + CR_FILE_CHUNK, back), CR_ERR_AUTH);
	/* The final flag moved: the same bytes of chunk 0 under a context that
	 * says chunk 0 is final (a file of exactly one chunk). */
	cr_file_ctx one;
	if (CHECK_OK(cr_file_init(&one, KEY, CR_FILE_CHUNK)))
		CHECK_ERR(cr_file_open_chunk(&one, 0, back, s, CR_FILE_SEALED_CHUNK), CR_ERR_AUTH);
	cr_file_wipe(&one);
	/* A chunk cut short or grown by a byte changes the expected length. */
	CHECK_ERR(open_file(KEY, s, len - 1, n - 1, back), CR_ERR_AUTH);
	CHECK_OK(open_file(KEY, s, len, n, back));
	CHECK(memcmp(back, pt, n) == 0);
out:
	free(pt), free(back), free(s), free(t);
}

TEST(chunks_of_another_file_fail)
{
	size_t n = 2 * CR_FILE_CHUNK, len_a, len_b;
	uint8_t key_b[16];
	memcpy(key_b, KEY, sizeof key_b);
	key_b[15] ^= 1;
	uint8_t *pt = pattern(n), *back = malloc(n);
	uint8_t *a = seal_file(KEY, pt, n, &len_a), *b = seal_file(key_b, pt, n, &len_b);
	if (!CHECK(a && b && back && len_a == len_b))
		goto out;
	CHECK(memcmp(a, b, len_a) != 0);
	/* Chunk 0 of file b spliced into file a. */
	memcpy(a, b, CR_FILE_SEALED_CHUNK);
	CHECK_ERR(open_file(KEY, a, len_a, n, back), CR_ERR_AUTH);
	CHECK_ERR(open_file(key_b, a, len_a, n, back), CR_ERR_AUTH);
	CHECK_OK(open_file(key_b, b, len_b, n, back));
out:
	free(pt), free(back), free(a), free(b);
}

TEST(fresh_keys)
{
	cr_rng_det det;
	cr_rng rng;
	uint8_t seed[32] = { 4 }, k1[16], k2[16];
	cr_rng_det_init(&det, &rng, seed);
	CHECK_OK(cr_file_key_new(k1, &rng));
	CHECK_OK(cr_file_key_new(k2, &rng));
	CHECK(memcmp(k1, k2, 16) != 0);
	/* Different file keys, different chunk keys. */
	cr_file_ctx a, b;
	if (CHECK_OK(cr_file_init(&a, k1, 1)) && CHECK_OK(cr_file_init(&b, k2, 1)))
		CHECK(memcmp(a.chunk_key, b.chunk_key, sizeof a.chunk_key) != 0 && memcmp(a.chunk_key, k1, 16) != 0);
	cr_file_wipe(&a);
	cr_file_wipe(&b);
}

static const t_case cases[] = {
	T(sizes), T(round_trips), T(in_place_and_deterministic), T(bad_arguments), T(every_bit_flip_fails),
	T(reorder_truncate_extend_fail), T(chunks_of_another_file_fail), T(fresh_keys), { 0 },
};

int main(int argc, char **argv)
{
	if (cr_init())
		return 1;
	return t_main(argc, argv, cases);
}
