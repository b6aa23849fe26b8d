/*
 * test_mls_leaf.c: LeafNode / ParentNode codecs (crypto/mls/leaf.h).
 */
#include <stdlib.h>
#include <string.h>

#include "leaf.h"
#include "t.h"

static const uint8_t caps_v[] = { 0, 1 };
static const uint8_t caps_cs[] = { 0, 1 };
static const uint8_t ident[] = { 'a', 'l', 'i', 'c', 'e' };
static const uint8_t exts[] = { 0, 3, 2, 0xaa, 0xbb }; /* type 3, 2 bytes */

static void fields(mls_leaf_fields *f, uint8_t source)
{
	memset(f, 0, sizeof *f);
	memset(f->encryption_key, 0x11, MLS_KEY_LEN);
	memset(f->signature_key, 0x22, MLS_KEY_LEN);
	f->credential_type = MLS_CRED_BASIC;
	f->credential = (cr_span){ ident, sizeof ident };
	f->caps.versions = (cr_span){ caps_v, 2 };
	f->caps.cipher_suites = (cr_span){ caps_cs, 2 };
	f->source = source;
	f->not_before = 1;
	f->not_after = 2;
	f->extensions = (cr_span){ exts, sizeof exts };
}

static uint8_t *encode_leaf(uint8_t source, size_t *n)
{
	mls_leaf_fields f;
	fields(&f, source);
	uint8_t sig[MLS_SIG_LEN];
	memset(sig, 0x5a, sizeof sig);
	cr_writer w;
	cr_writer_init_dynamic(&w, 1 << 16);
	mls_leaf_write_fields(&w, &f);
	cr_write_opaque(&w, sig, sizeof sig);
	return cr_writer_take(&w, n);
}

TEST(leaf_roundtrip)
{
	for (uint8_t src = 1; src <= 3; src++) {
		size_t n;
		uint8_t *enc = encode_leaf(src, &n);
		mls_leaf_node l;
		if (CHECK(enc) && CHECK_OK(mls_leaf_parse(enc, n, &l))) {
			CHECK(l.enc_len == n);
			CHECK(l.source == src);
			CHECK(l.credential.n == sizeof ident);
			CHECK(mls_u16_list_has(l.caps.cipher_suites, 1));
			CHECK(!mls_u16_list_has(l.caps.cipher_suites, 2));
			cr_span d;
			CHECK_OK(mls_ext_find(l.extensions, 3, &d));
			CHECK(d.n == 2);
			CHECK_ERR(mls_ext_find(l.extensions, 4, &d), CR_ERR_NOT_FOUND);
			CHECK(l.signature.n == MLS_SIG_LEN);
			cr_writer w;
			cr_writer_init_dynamic(&w, 1 << 16);
			mls_leaf_encode(&w, &l);
			CHECK(w.len == n);
			CHECK_MEM(w.p, enc, n);
			cr_writer_free(&w);
			mls_leaf_node c;
			CHECK_OK(mls_leaf_copy(&c, &l));
			CHECK(c.enc != l.enc && c.enc_len == l.enc_len);
			mls_leaf_free(&c);
			mls_leaf_free(&l);
		}
		free(enc);
	}
}

TEST(leaf_truncated_and_trailing)
{
	size_t n;
	uint8_t *enc = encode_leaf(MLS_SRC_COMMIT, &n);
	mls_leaf_node l;
	for (size_t k = 0; k < n; k++)
		CHECK(mls_leaf_parse(enc, k, &l) != CR_OK);
	uint8_t *big = malloc(n + 1);
	memcpy(big, enc, n);
	big[n] = 0;
	CHECK_ERR(mls_leaf_parse(big, n + 1, &l), CR_ERR_MALFORMED);
	CHECK(l.enc == NULL);
	free(big);
	free(enc);
}

TEST(leaf_rejects_bad_fields)
{
	size_t n;
	uint8_t *enc = encode_leaf(MLS_SRC_UPDATE, &n);
	mls_leaf_node l;
	/* encryption key length 31 */
	enc[0] = 31;
	CHECK(mls_leaf_parse(enc, n, &l) != CR_OK);
	enc[0] = 32;
	/* credential type 7: cannot be delimited */
	enc[66] = 0;
	enc[67] = 7;
	CHECK_ERR(mls_leaf_parse(enc, n, &l), CR_ERR_UNSUPPORTED);
	enc[67] = 1;
	CHECK_OK(mls_leaf_parse(enc, n, &l));
	mls_leaf_free(&l);
	/* source byte: after 68 + 1 + 5 (identity) + 3 + 3 + 1 + 1 + 1 */
	size_t so = 68 + 6 + 3 + 3 + 3;
	CHECK(enc[so] == MLS_SRC_UPDATE);
	enc[so] = 9;
	CHECK_ERR(mls_leaf_parse(enc, n, &l), CR_ERR_MALFORMED);
	enc[so] = MLS_SRC_UPDATE;
	/* odd-length capability list */
	enc[68 + 6] = 1;
	CHECK(mls_leaf_parse(enc, n, &l) != CR_OK);
	free(enc);
}

TEST(parent_roundtrip_and_unmerged_order)
{
	mls_parent_node pn;
	memset(&pn, 0, sizeof pn);
	memset(pn.encryption_key, 7, MLS_KEY_LEN);
	CHECK_OK(mls_parent_add_unmerged(&pn, 5));
	CHECK_OK(mls_parent_add_unmerged(&pn, 2));
	CHECK_OK(mls_parent_add_unmerged(&pn, 9));
	CHECK_OK(mls_parent_add_unmerged(&pn, 5));
	CHECK(pn.n_unmerged == 3 && pn.unmerged[0] == 2 && pn.unmerged[2] == 9);
	CHECK(mls_parent_has_unmerged(&pn, 9) && !mls_parent_has_unmerged(&pn, 3));
	cr_writer w;
	cr_writer_init_dynamic(&w, 1 << 16);
	mls_parent_encode(&w, &pn);
	CHECK_OK(cr_writer_error(&w));
	cr_reader r;
	mls_parent_node d;
	cr_reader_init(&r, w.p, w.len);
	CHECK_OK(mls_parent_decode(&r, 16, &d));
	CHECK(d.n_unmerged == 3);
	mls_parent_free(&d);
	cr_reader_init(&r, w.p, w.len);
	CHECK_ERR(mls_parent_decode(&r, 9, &d), CR_ERR_MALFORMED); /* 9 out of range */
	CHECK(r.off == 0);
	/* out of order: swap the first two indices */
	uint8_t *u = w.p + w.len - 12;
	uint8_t tmp[4];
	memcpy(tmp, u, 4);
	memcpy(u, u + 4, 4);
	memcpy(u + 4, tmp, 4);
	cr_reader_init(&r, w.p, w.len);
	CHECK_ERR(mls_parent_decode(&r, 16, &d), CR_ERR_MALFORMED);
	cr_writer_free(&w);
	mls_parent_free(&pn);
}

static const t_case cases[] = {
	T(leaf_roundtrip), T(leaf_truncated_and_trailing), T(leaf_rejects_bad_fields),
	T(parent_roundtrip_and_unmerged_order), { 0 },
};

int main(int argc, char **argv) { return t_main(argc, argv, cases); }
