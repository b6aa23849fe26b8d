/*
 * vec_echover_kat.c: echover's own known-answer files, the .json files of vectors/, for
 * what Wycheproof lacks. A file names its kind in the top-level "echover_kat"
 * field (sha256, ed25519, ecdsa_p256, argon2id) and its provenance in
 * "source".
 *
 * Beyond the plain answer, each KAT is also run split (SHA-256 fed in two
 * pieces at every cut of short messages, and byte by byte), and tampered
 * (every byte of a signature flipped, every byte of a short message flipped,
 * another key, a truncated message, a changed salt): each tampered input must
 * be refused or give another output.
 */
#include <stdlib.h>
#include <string.h>

#include "pwhash.h"
#include "ed25519.h"
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
	       (!strcmp(k, "sha256") || !strcmp(k, "ed25519") || !strcmp(k, "ecdsa_p256") || !strcmp(k, "argon2id"));
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
		else
			argon2id_case(test);
		t_end();
	}
}

const vec_runner vec_echover_kat = { "echover KAT", detect, run };
