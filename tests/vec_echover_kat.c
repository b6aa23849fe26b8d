/*
 * vec_echover_kat.c: echover's own known-answer files, the .json files of vectors/, for
 * what Wycheproof lacks. A file names its kind in the top-level "echover_kat"
 * field (sha256, ed25519, ecdsa_p256, argon2id, file_seal) and its provenance in
 * "source".
 *
 * Beyond the plain answer, each KAT is also run split (SHA-256 fed in two
 * pieces at every cut of short messages, and byte by byte), and tampered
 * (every byte of a signature flipped, every byte of a short message flipped,
 * another key, a truncated message, a changed salt): each tampered input must
 * be refused or give another output. File-seal KATs are also sealed in place
 * and chunk by chunk in reverse order, opened back, and opened with a byte of
 * every chunk flipped, with chunks swapped, and as a shorter or longer file.
 */
#include <stdlib.h>
#include <string.h>

#include "pwhash.h"
#include "ed25519.h"
#include "file_seal.h"
#include "hash.h"
#include "p256.h"
#include "vec.h"

/* Messages built from msg x repeat are capped, so a bad file cannot ask for
 * gigabytes. */
#define KAT_MAX_MSG (16u << 20)
/* Per-byte tampering of messages only below this size (keeps runs short). */
#define KAT_TAMPER_MAX 2048

static const char *kind_of(json_t *root)
{
	return json_string_value(json_object_get(root, "echover_kat"));
}

static bool detect(json_t *root)
{
	const char *k = kind_of(root);
	return k && json_is_string(json_object_get(root, "source")) && json_is_array(json_object_get(root, "tests")) &&
	       (!strcmp(k, "sha256") || !strcmp(k, "ed25519") || !strcmp(k, "ecdsa_p256") || !strcmp(k, "argon2id") ||
		!strcmp(k, "file_seal"));
}

static const char *name_of(json_t *test)
{
	const char *n = json_string_value(json_object_get(test, "name"));
	return n ? n : "?";
}

static void sha256_case(json_t *test)
{
	size_t pl = 0, dl = 0, n = 0;
	uint64_t repeat = 0;
	uint8_t *piece = vec_hex(test, "msg", &pl), *want = vec_hex(test, "digest", &dl), *msg = NULL;
	if (!piece || !want || !vec_u64(test, "repeat", &repeat) || !CHECK(dl == CR_SHA256_LEN && repeat >= 1) ||
	    !CHECK(pl == 0 || repeat <= KAT_MAX_MSG / pl))
		goto out;
	n = pl * (size_t)repeat;
	msg = malloc(n + 1);
	if (!CHECK(msg != NULL))
		goto out;
	for (size_t i = 0; i < repeat; i++)
		memcpy(msg + i * pl, piece, pl);
	uint8_t got[CR_SHA256_LEN];
	cr_sha256(got, msg, n);
	CHECK_MEM(got, want, CR_SHA256_LEN);
	/* Byte by byte. */
	cr_sha256_ctx c;
	cr_sha256_init(&c);
	for (size_t i = 0; i < n; i++)
		cr_sha256_update(&c, msg + i, 1);
	cr_sha256_final(&c, got);
	CHECK_MEM(got, want, CR_SHA256_LEN);
	if (n <= KAT_TAMPER_MAX) {
		/* Split in two at every cut; a copied context continues alike. */
		bool splits_ok = true, tamper_ok = true;
		for (size_t cut = 0; cut <= n; cut++) {
			cr_sha256_ctx d;
			cr_sha256_init(&c);
			cr_sha256_update(&c, msg, cut);
			d = c;
			cr_sha256_update(&d, msg + cut, n - cut);
			cr_sha256_final(&d, got);
			splits_ok &= memcmp(got, want, CR_SHA256_LEN) == 0;
			cr_sha256_final(&c, got);
		}
		for (size_t i = 0; i < n; i++) {
			msg[i] ^= 0x01;
			cr_sha256(got, msg, n);
			tamper_ok &= memcmp(got, want, CR_SHA256_LEN) != 0;
			msg[i] ^= 0x01;
		}
		CHECK(splits_ok);
		CHECK(tamper_ok);
	}
	if (n) {
		cr_sha256(got, msg, n - 1);
		CHECK(memcmp(got, want, CR_SHA256_LEN) != 0);
	}
out:
	free(piece), free(want), free(msg);
}

/* The public key of the next test (or the first), as a wrong key. */
static void ed25519_case(json_t *test, json_t *other)
{
	size_t sl = 0, pl = 0, ml = 0, gl = 0, ol = 0;
	uint8_t *seed = vec_hex(test, "seed", &sl), *pub = vec_hex(test, "pub", &pl), *msg = vec_hex(test, "msg", &ml);
	uint8_t *sig = vec_hex(test, "sig", &gl), *opub = vec_hex(other, "pub", &ol);
	if (!seed || !pub || !msg || !sig || !opub ||
	    !CHECK(sl == CR_ED25519_SEED_LEN && pl == CR_ED25519_PUB_LEN && gl == CR_ED25519_SIG_LEN &&
		   ol == CR_ED25519_PUB_LEN))
		goto out;
	uint8_t got_pub[CR_ED25519_PUB_LEN], got_sig[CR_ED25519_SIG_LEN];
	if (CHECK_OK(cr_ed25519_public(got_pub, seed)))
		CHECK_MEM(got_pub, pub, CR_ED25519_PUB_LEN);
	if (CHECK_OK(cr_ed25519_sign(got_sig, seed, msg, ml)))
		CHECK_MEM(got_sig, sig, CR_ED25519_SIG_LEN);
	CHECK_OK(cr_ed25519_verify(sig, pub, msg, ml));
	bool sig_refused = true, msg_refused = true;
	for (size_t i = 0; i < gl; i++) {
		sig[i] ^= 0x01;
		sig_refused &= cr_ed25519_verify(sig, pub, msg, ml) == CR_ERR_AUTH;
		sig[i] ^= 0x01;
	}
	for (size_t i = 0; i < ml && ml <= KAT_TAMPER_MAX; i++) {
		msg[i] ^= 0x01;
		msg_refused &= cr_ed25519_verify(sig, pub, msg, ml) == CR_ERR_AUTH;
		msg[i] ^= 0x01;
	}
	CHECK(sig_refused);
	CHECK(msg_refused);
	if (ml)
		CHECK_ERR(cr_ed25519_verify(sig, pub, msg, ml - 1), CR_ERR_AUTH);
	if (memcmp(opub, pub, pl))
		CHECK_ERR(cr_ed25519_verify(sig, opub, msg, ml), CR_ERR_AUTH);
out:
	free(seed), free(pub), free(msg), free(sig), free(opub);
}

/* DER of ECDSA-Sig-Value (RFC 3279 2.2.3): SEQUENCE { INTEGER r, INTEGER s },
 * each INTEGER minimal and positive. */
static size_t der_int(uint8_t *out, const uint8_t v[32])
{
	size_t i = 0;
	while (i < 31 && v[i] == 0)
		i++;
	size_t len = 32 - i + (v[i] >= 0x80);
	out[0] = 0x02;
	out[1] = (uint8_t)len;
	if (v[i] >= 0x80)
		out[2] = 0;
	memcpy(out + 2 + (v[i] >= 0x80), v + i, 32 - i);
	return 2 + len;
}

static size_t der_sig(uint8_t out[CR_P256_SIG_MAX], const uint8_t r[32], const uint8_t s[32])
{
	size_t n = 2;
	n += der_int(out + n, r);
	n += der_int(out + n, s);
	out[0] = 0x30;
	out[1] = (uint8_t)(n - 2);
	return n;
}

static void ecdsa_case(json_t *root, json_t *test)
{
	size_t kl = 0, pl = 0, ml = 0, rl = 0, sl = 0;
	uint8_t *priv = vec_hex(root, "priv", &kl), *pub = vec_hex(root, "pub", &pl), *msg = vec_hex(test, "msg", &ml);
	uint8_t *r = vec_hex(test, "r", &rl), *s = vec_hex(test, "s", &sl);
	if (!priv || !pub || !msg || !r || !s ||
	    !CHECK(kl == CR_P256_PRIV_LEN && pl == CR_P256_PUB_LEN && rl == 32 && sl == 32))
		goto out;
	uint8_t got_pub[CR_P256_PUB_LEN], want[CR_P256_SIG_RAW_LEN], got[CR_P256_SIG_RAW_LEN];
	uint8_t der[CR_P256_SIG_MAX], want_der[CR_P256_SIG_MAX];
	memcpy(want, r, 32);
	memcpy(want + 32, s, 32);
	if (CHECK_OK(cr_p256_public(got_pub, priv)))
		CHECK_MEM(got_pub, pub, CR_P256_PUB_LEN);
	if (CHECK_OK(cr_p256_sign_raw(got, priv, msg, ml)))
		CHECK_MEM(got, want, CR_P256_SIG_RAW_LEN);
	size_t der_len = 0, want_der_len = der_sig(want_der, r, s);
	if (CHECK_OK(cr_p256_sign_der(der, &der_len, priv, msg, ml)) && CHECK(der_len == want_der_len))
		CHECK_MEM(der, want_der, der_len);
	CHECK_OK(cr_p256_verify_raw(want, pub, msg, ml));
	bool sig_refused = true, msg_refused = true, pub_refused = true;
	for (size_t i = 0; i < sizeof want; i++) {
		want[i] ^= 0x01;
		sig_refused &= cr_p256_verify_raw(want, pub, msg, ml) == CR_ERR_AUTH;
		want[i] ^= 0x01;
	}
	for (size_t i = 0; i < ml; i++) {
		msg[i] ^= 0x01;
		msg_refused &= cr_p256_verify_raw(want, pub, msg, ml) == CR_ERR_AUTH;
		msg[i] ^= 0x01;
	}
	/* A changed public key is off the curve or another key. */
	for (size_t i = 0; i < pl; i++) {
		pub[i] ^= 0x01;
		pub_refused &= cr_p256_verify_raw(want, pub, msg, ml) == CR_ERR_AUTH;
		pub[i] ^= 0x01;
	}
	CHECK(sig_refused);
	CHECK(msg_refused);
	CHECK(pub_refused);
	if (ml)
		CHECK_ERR(cr_p256_verify_raw(want, pub, msg, ml - 1), CR_ERR_AUTH);
out:
	free(priv), free(pub), free(msg), free(r), free(s);
}

static void argon2id_case(json_t *test)
{
	size_t pl = 0, sl = 0, tl = 0;
	uint64_t t = 0, m = 0, len = 0;
	uint8_t *pw = vec_hex(test, "password", &pl), *salt = vec_hex(test, "salt", &sl), *tag = vec_hex(test, "tag", &tl);
	uint8_t *got = NULL;
	if (!pw || !salt || !tag || !vec_u64(test, "t", &t) || !vec_u64(test, "m_kib", &m) || !vec_u64(test, "len", &len) ||
	    !CHECK(sl == CR_ARGON2_SALT_LEN && len == tl && tl >= 16 && tl <= 1024 && t <= 16 && m <= 1 << 20))
		goto out;
	cr_argon2_params p = { (uint32_t)t, (uint32_t)m };
	got = malloc(tl);
	if (!CHECK(got != NULL))
		goto out;
	if (CHECK_OK(cr_argon2id(got, tl, pw, pl, salt, p)))
		CHECK_MEM(got, tag, tl);
	/* Each input matters: another salt, password, pass count, memory. */
	salt[0] ^= 0x01;
	if (CHECK_OK(cr_argon2id(got, tl, pw, pl, salt, p)))
		CHECK(memcmp(got, tag, tl) != 0);
	salt[0] ^= 0x01;
	if (pl && CHECK_OK(cr_argon2id(got, tl, pw, pl - 1, salt, p)))
		CHECK(memcmp(got, tag, tl) != 0);
	cr_argon2_params more = { p.ops + 1, p.mem_kib };
	if (CHECK_OK(cr_argon2id(got, tl, pw, pl, salt, more)))
		CHECK(memcmp(got, tag, tl) != 0);
	cr_argon2_params bigger = { p.ops, p.mem_kib + 8 };
	if (CHECK_OK(cr_argon2id(got, tl, pw, pl, salt, bigger)))
		CHECK(memcmp(got, tag, tl) != 0);
out:
	free(pw), free(salt), free(tag), free(got);
}

/* Seals msg x repeat (cut to size) chunk by chunk; out gets the sealed file. */
static bool file_seal_all(const cr_file_ctx *f, const uint8_t *pt, uint8_t *out, bool reverse, bool in_place)
{
	bool ok = true;
	for (uint64_t k = 0; k < f->chunks; k++) {
		uint64_t i = reverse ? f->chunks - 1 - k : k;
		size_t len = cr_file_chunk_len(f, i);
		uint8_t *dst = out + cr_file_sealed_offset(i);
		if (in_place) {
			memmove(dst, pt + i * CR_FILE_CHUNK, len);
			ok &= cr_file_seal_chunk(f, i, dst, dst, len) == CR_OK;
		} else {
			ok &= cr_file_seal_chunk(f, i, dst, pt + i * CR_FILE_CHUNK, len) == CR_OK;
		}
	}
	return ok;
}

static bool file_open_all(const cr_file_ctx *f, const uint8_t *sealed, uint8_t *out)
{
	bool ok = true;
	for (uint64_t i = 0; i < f->chunks; i++)
		ok &= cr_file_open_chunk(f, i, out + i * CR_FILE_CHUNK, sealed + cr_file_sealed_offset(i),
					 cr_file_chunk_len(f, i) + CR_FILE_TAG_LEN) == CR_OK;
	return ok;
}

static void file_seal_case(json_t *test)
{
	size_t kl = 0, pl = 0, ckl = 0, hl = 0;
	uint64_t repeat = 0, size = 0, sealed_size = 0;
	uint8_t *key = vec_hex(test, "key", &kl), *piece = vec_hex(test, "msg", &pl);
	uint8_t *ck = vec_hex(test, "chunk_key", &ckl), *hash = vec_hex(test, "sealed_sha256", &hl);
	uint8_t *pt = NULL, *sealed = NULL, *back = NULL, *want = NULL;
	cr_file_ctx f;
	memset(&f, 0, sizeof f);
	if (!key || !piece || !ck || !hash || !vec_u64(test, "repeat", &repeat) || !vec_u64(test, "size", &size) ||
	    !vec_u64(test, "sealed_size", &sealed_size) ||
	    !CHECK(kl == CR_FILE_KEY_LEN && ckl == CR_AES128_KEY_LEN && hl == CR_SHA256_LEN) ||
	    !CHECK(size <= KAT_MAX_MSG && (pl == 0 ? size == 0 : repeat <= KAT_MAX_MSG / pl && size <= pl * repeat)))
		goto out;
	CHECK(cr_file_sealed_size(size) == sealed_size);
	uint64_t back_size = 0;
	if (CHECK_OK(cr_file_plain_size(sealed_size, &back_size)))
		CHECK(back_size == size);
	pt = malloc(pl * repeat + 1);
	sealed = malloc(sealed_size + CR_FILE_SEALED_CHUNK);
	back = malloc(size + 1);
	if (!CHECK(pt && sealed && back))
		goto out;
	for (size_t i = 0; i < repeat; i++)
		memcpy(pt + i * pl, piece, pl);
	if (!CHECK_OK(cr_file_init(&f, key, size)))
		goto out;
	CHECK_MEM(f.chunk_key, ck, CR_AES128_KEY_LEN);
	uint8_t got[CR_SHA256_LEN];
	/* In order, in reverse order, and in place: the same bytes. */
	CHECK(file_seal_all(&f, pt, sealed, false, false));
	cr_sha256(got, sealed, sealed_size);
	CHECK_MEM(got, hash, CR_SHA256_LEN);
	json_t *whole = json_object_get(test, "sealed");
	if (whole) {
		size_t wl = 0;
		want = vec_hex(test, "sealed", &wl);
		if (want && CHECK(wl == sealed_size))
			CHECK_MEM(sealed, want, wl);
	}
	memset(sealed, 0, sealed_size);
	CHECK(file_seal_all(&f, pt, sealed, true, false));
	cr_sha256(got, sealed, sealed_size);
	CHECK_MEM(got, hash, CR_SHA256_LEN);
	memset(sealed, 0, sealed_size);
	CHECK(file_seal_all(&f, pt, sealed, false, true));
	cr_sha256(got, sealed, sealed_size);
	CHECK_MEM(got, hash, CR_SHA256_LEN);
	if (CHECK(file_open_all(&f, sealed, back)))
		CHECK(size == 0 || memcmp(back, pt, size) == 0);
	/* Tampered: a flipped byte (every byte of short files, the first, a
	 * middle and the last byte of each chunk otherwise) is refused. */
	bool flips_refused = true;
	for (uint64_t i = 0; i < f.chunks; i++) {
		size_t clen = cr_file_chunk_len(&f, i) + CR_FILE_TAG_LEN;
		uint8_t *c = sealed + cr_file_sealed_offset(i);
		for (size_t b = 0; b < clen; b++) {
			if (clen > KAT_TAMPER_MAX && b != 0 && b != clen / 2 && b != clen - 1)
				continue;
			c[b] ^= 0x01;
			flips_refused &= cr_file_open_chunk(&f, i, back, c, clen) == CR_ERR_AUTH;
			c[b] ^= 0x01;
		}
	}
	CHECK(flips_refused);
	/* Another key opens nothing. */
	key[0] ^= 0x80;
	cr_file_ctx other;
	if (CHECK_OK(cr_file_init(&other, key, size)))
		CHECK_ERR(cr_file_open_chunk(&other, 0, back, sealed, cr_file_chunk_len(&other, 0) + CR_FILE_TAG_LEN),
			  CR_ERR_AUTH);
	cr_file_wipe(&other);
	key[0] ^= 0x80;
	if (f.chunks >= 2) {
		/* Chunk 0 in the place of chunk 1, and the file cut after its
		 * first chunk. */
		if (cr_file_chunk_len(&f, 1) == CR_FILE_CHUNK)
			CHECK_ERR(cr_file_open_chunk(&f, 1, back, sealed, CR_FILE_SEALED_CHUNK), CR_ERR_AUTH);
		cr_file_ctx cut;
		if (CHECK_OK(cr_file_init(&cut, key, CR_FILE_CHUNK)))
			CHECK_ERR(cr_file_open_chunk(&cut, 0, back, sealed, CR_FILE_SEALED_CHUNK), CR_ERR_AUTH);
		cr_file_wipe(&cut);
	}
	if (size == CR_FILE_CHUNK * f.chunks) {
		/* Extended by a chunk: the old final chunk is no longer last. */
		cr_file_ctx longer;
		if (CHECK_OK(cr_file_init(&longer, key, size + 1)))
			CHECK_ERR(cr_file_open_chunk(&longer, f.chunks - 1, back,
						     sealed + cr_file_sealed_offset(f.chunks - 1),
						     CR_FILE_SEALED_CHUNK),
				  CR_ERR_AUTH);
		cr_file_wipe(&longer);
	}
out:
	cr_file_wipe(&f);
	free(key), free(piece), free(ck), free(hash), free(pt), free(sealed), free(back), free(want);
}

static void run(json_t *root, const char *path)
{
	(void)path;
	const char *kind = kind_of(root);
	json_t *tests = json_object_get(root, "tests");
	size_t n = json_array_size(tests);
	for (size_t i = 0; i < n; i++) {
		json_t *test = json_array_get(tests, i);
		t_begin("%s: %s", kind, name_of(test));
		if (!strcmp(kind, "sha256"))
			sha256_case(test);
		else if (!strcmp(kind, "ed25519"))
			ed25519_case(test, json_array_get(tests, (i + 1) % n));
		else if (!strcmp(kind, "ecdsa_p256"))
			ecdsa_case(root, test);
		else if (!strcmp(kind, "file_seal"))
			file_seal_case(test);
		else
			argon2id_case(test);
		t_end();
	}
}

const vec_runner vec_echover_kat = { "echover KAT", detect, run };
