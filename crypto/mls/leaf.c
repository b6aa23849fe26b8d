/*
 * leaf.c: LeafNode and ParentNode codecs (RFC 9420 sections 7.1, 7.2).
 */
#include <stdlib.h>
#include <string.h>

#include "leaf.h"
#include "suite.h"
#include "wipe.h"

/* A uint16 vector: its contents, of even length. */
static cr_err read_u16_list(cr_reader *r, cr_span *out)
{
	cr_span s;
	CR_TRY(cr_read_opaque(r, MLS_LEAF_MAX_LEN, &s));
	CR_ENSURE(s.n % 2 == 0, CR_ERR_MALFORMED);
	*out = s;
	return CR_OK;
}

/* Extension extensions<V>: checks each item, returns the contents. */
static cr_err read_ext_list(cr_reader *r, cr_span *out)
{
	cr_span s;
	CR_TRY(cr_read_opaque(r, MLS_LEAF_MAX_LEN, &s));
	cr_reader sub;
	cr_reader_init(&sub, s.p, s.n);
	while (cr_reader_left(&sub) > 0) {
		uint16_t t;
		cr_span d;
		CR_TRY(cr_read_u16(&sub, &t));
		CR_TRY(cr_read_opaque(&sub, MLS_LEAF_MAX_LEN, &d));
	}
	*out = s;
	return CR_OK;
}

/* Parses the fields into out (spans borrowed from r's buffer). */
static cr_err parse_fields(cr_reader *r, mls_leaf_node *out)
{
	CR_TRY(cr_read_opaque_fixed(r, MLS_KEY_LEN, out->encryption_key));
	CR_TRY(cr_read_opaque_fixed(r, MLS_KEY_LEN, out->signature_key));
	CR_TRY(cr_read_u16(r, &out->credential_type));
	if (out->credential_type == MLS_CRED_BASIC) {
		CR_TRY(cr_read_opaque(r, MLS_LEAF_MAX_LEN, &out->credential));
	} else if (out->credential_type == MLS_CRED_X509) {
		/* Certificate certificates<V>; each is opaque cert_data<V>. */
		CR_TRY(cr_read_opaque(r, MLS_LEAF_MAX_LEN, &out->credential));
		cr_reader sub;
		cr_reader_init(&sub, out->credential.p, out->credential.n);
		while (cr_reader_left(&sub) > 0) {
			cr_span c;
			CR_TRY(cr_read_opaque(&sub, MLS_LEAF_MAX_LEN, &c));
		}
	} else {
		return CR_ERR_UNSUPPORTED;
	}
	CR_TRY(read_u16_list(r, &out->caps.versions));
	CR_TRY(read_u16_list(r, &out->caps.cipher_suites));
	CR_TRY(read_u16_list(r, &out->caps.extensions));
	CR_TRY(read_u16_list(r, &out->caps.proposals));
	CR_TRY(read_u16_list(r, &out->caps.credentials));
	CR_TRY(cr_read_u8(r, &out->source));
	switch (out->source) {
	case MLS_SRC_KEY_PACKAGE:
		CR_TRY(cr_read_u64(r, &out->not_before));
		CR_TRY(cr_read_u64(r, &out->not_after));
		break;
	case MLS_SRC_UPDATE:
		break;
	case MLS_SRC_COMMIT:
		CR_TRY(cr_read_opaque(r, MLS_LEAF_MAX_LEN, &out->parent_hash));
		break;
	default:
		return CR_ERR_MALFORMED;
	}
	CR_TRY(read_ext_list(r, &out->extensions));
	return CR_OK;
}

static cr_err parse_all(cr_reader *r, mls_leaf_node *out, size_t start)
{
	CR_TRY(parse_fields(r, out));
	out->tbs_len = r->off - start;
	CR_TRY(cr_read_opaque(r, MLS_LEAF_MAX_LEN, &out->signature));
	return CR_OK;
}

cr_err mls_leaf_decode(cr_reader *r, mls_leaf_node *out)
{
	memset(out, 0, sizeof *out);
	cr_reader probe = *r;
	mls_leaf_node tmp;
	memset(&tmp, 0, sizeof tmp);
	cr_err err = parse_all(&probe, &tmp, probe.off);
	if (err)
		return err;
	size_t len = probe.off - r->off;
	CR_ENSURE(len <= MLS_LEAF_MAX_LEN, CR_ERR_LIMIT);
	cr_span all;
	CR_TRY(cr_read_span(r, len, &all));
	uint8_t *buf = malloc(len ? len : 1);
	if (!buf) {
		r->off -= len;
		return CR_ERR_NOMEM;
	}
	memcpy(buf, all.p, len);
	/* Parse the owned copy, so that every span points into it. */
	cr_reader own;
	cr_reader_init(&own, buf, len);
	err = parse_all(&own, out, 0);
	if (err || cr_reader_end(&own) != CR_OK) {
		free(buf);
		memset(out, 0, sizeof *out);
		r->off -= len;
		return err ? err : CR_ERR_MALFORMED;
	}
	out->enc = buf;
	out->enc_len = len;
	return CR_OK;
}

cr_err mls_leaf_parse(const uint8_t *p, size_t n, mls_leaf_node *out)
{
	cr_reader r;
	cr_reader_init(&r, p, n);
	CR_TRY(mls_leaf_decode(&r, out));
	if (cr_reader_end(&r) != CR_OK) {
		mls_leaf_free(out);
		return CR_ERR_MALFORMED;
	}
	return CR_OK;
}

void mls_leaf_encode(cr_writer *w, const mls_leaf_node *l)
{
	cr_write_bytes(w, l->enc, l->enc_len);
}

/* A span of the parsed fields: the same bytes in the copy to[] of from[n]
 * when it points into from, else unchanged (not owned by the leaf). */
static cr_span rebase(cr_span s, const uint8_t *from, size_t n, const uint8_t *to)
{
	uintptr_t p = (uintptr_t)s.p, f = (uintptr_t)from;
	if (!s.p || p < f || p - f > n || s.n > n - (size_t)(p - f))
		return s;
	return (cr_span){ to + (size_t)(p - f), s.n };
}

/* A tree copy copies every leaf: duplicating the already-parsed fields and
 * pointing the spans into the new encoding costs a memcpy, where parsing
 * again cost a decode per leaf. */
cr_err mls_leaf_copy(mls_leaf_node *dst, const mls_leaf_node *src)
{
	memset(dst, 0, sizeof *dst);
	if (!src->enc || src->enc_len == 0)
		return mls_leaf_parse(src->enc, src->enc_len, dst);
	uint8_t *e = malloc(src->enc_len);
	if (!e)
		return CR_ERR_NOMEM;
	memcpy(e, src->enc, src->enc_len);
	const uint8_t *f = src->enc;
	size_t n = src->enc_len;
	*dst = *src;
	dst->enc = e;
	dst->credential = rebase(src->credential, f, n, e);
	dst->caps.versions = rebase(src->caps.versions, f, n, e);
	dst->caps.cipher_suites = rebase(src->caps.cipher_suites, f, n, e);
	dst->caps.extensions = rebase(src->caps.extensions, f, n, e);
	dst->caps.proposals = rebase(src->caps.proposals, f, n, e);
	dst->caps.credentials = rebase(src->caps.credentials, f, n, e);
	dst->parent_hash = rebase(src->parent_hash, f, n, e);
	dst->extensions = rebase(src->extensions, f, n, e);
	dst->signature = rebase(src->signature, f, n, e);
	return CR_OK;
}

void mls_leaf_free(mls_leaf_node *l)
{
	free(l->enc);
	memset(l, 0, sizeof *l);
}

void mls_leaf_write_tbs(cr_writer *w, const mls_leaf_node *l, const uint8_t *group_id,
			size_t group_id_len, uint32_t leaf_index)
{
	cr_write_bytes(w, l->enc, l->tbs_len);
	if (l->source == MLS_SRC_UPDATE || l->source == MLS_SRC_COMMIT) {
		cr_write_opaque(w, group_id, group_id_len);
		cr_write_u32(w, leaf_index);
	}
}

cr_err mls_leaf_check(const mls_leaf_node *l, uint8_t want_source)
{
	CR_ENSURE(want_source == 0 || l->source == want_source, CR_ERR_INVALID);
	CR_ENSURE(mls_u16_list_has(l->caps.credentials, l->credential_type), CR_ERR_INVALID);
	cr_reader r;
	cr_reader_init(&r, l->extensions.p, l->extensions.n);
	while (cr_reader_left(&r) > 0) {
		uint16_t type;
		cr_span d;
		CR_TRY(cr_read_u16(&r, &type));
		CR_TRY(cr_read_opaque(&r, MLS_LEAF_MAX_LEN, &d));
		CR_ENSURE(type <= MLS_EXT_DEFAULT_MAX || mls_u16_list_has(l->caps.extensions, type), CR_ERR_INVALID);
	}
	return CR_OK;
}

bool mls_leaf_lifetime_ok(const mls_leaf_node *l, uint64_t now)
{
	return l->source != MLS_SRC_KEY_PACKAGE || (l->not_before <= now && now <= l->not_after);
}

bool mls_u16_list_has(cr_span list, uint16_t v)
{
	cr_reader r;
	cr_reader_init(&r, list.p, list.n);
	uint16_t x;
	while (cr_read_u16(&r, &x) == CR_OK)
		if (x == v)
			return true;
	return false;
}

cr_err mls_ext_find(cr_span exts, uint16_t type, cr_span *data)
{
	cr_reader r;
	cr_reader_init(&r, exts.p, exts.n);
	while (cr_reader_left(&r) > 0) {
		uint16_t t;
		cr_span d;
		CR_TRY(cr_read_u16(&r, &t));
		CR_TRY(cr_read_opaque(&r, MLS_LEAF_MAX_LEN, &d));
		if (t == type) {
			*data = d;
			return CR_OK;
		}
	}
	return CR_ERR_NOT_FOUND;
}

void mls_leaf_write_fields(cr_writer *w, const mls_leaf_fields *f)
{
	cr_write_opaque(w, f->encryption_key, MLS_KEY_LEN);
	cr_write_opaque(w, f->signature_key, MLS_KEY_LEN);
	cr_write_u16(w, f->credential_type);
	cr_write_opaque(w, f->credential.p, f->credential.n);
	cr_write_opaque(w, f->caps.versions.p, f->caps.versions.n);
	cr_write_opaque(w, f->caps.cipher_suites.p, f->caps.cipher_suites.n);
	cr_write_opaque(w, f->caps.extensions.p, f->caps.extensions.n);
	cr_write_opaque(w, f->caps.proposals.p, f->caps.proposals.n);
	cr_write_opaque(w, f->caps.credentials.p, f->caps.credentials.n);
	cr_write_u8(w, f->source);
	if (f->source == MLS_SRC_KEY_PACKAGE) {
		cr_write_u64(w, f->not_before);
		cr_write_u64(w, f->not_after);
	} else if (f->source == MLS_SRC_COMMIT) {
		cr_write_opaque(w, f->parent_hash.p, f->parent_hash.n);
	}
	cr_write_opaque(w, f->extensions.p, f->extensions.n);
}

cr_err mls_leaf_assemble(const mls_leaf_fields *f, const uint8_t *sig, size_t sig_len,
			 mls_leaf_node *out)
{
	memset(out, 0, sizeof *out);
	cr_writer w;
	cr_writer_init_dynamic(&w, MLS_LEAF_MAX_LEN);
	mls_leaf_write_fields(&w, f);
	cr_write_opaque(&w, sig, sig_len);
	cr_err err = cr_writer_error(&w);
	if (!err)
		err = mls_leaf_parse(w.p, w.len, out);
	cr_writer_free(&w);
	return err;
}

void mls_leaf_fields_of(const mls_leaf_node *l, mls_leaf_fields *f)
{
	memset(f, 0, sizeof *f);
	memcpy(f->encryption_key, l->encryption_key, MLS_KEY_LEN);
	memcpy(f->signature_key, l->signature_key, MLS_KEY_LEN);
	f->credential_type = l->credential_type;
	f->credential = l->credential;
	f->caps = l->caps;
	f->source = l->source;
	f->not_before = l->not_before;
	f->not_after = l->not_after;
	f->parent_hash = l->parent_hash;
	f->extensions = l->extensions;
}

static cr_err tbs_of_fields(cr_writer *w, const mls_leaf_fields *f, const uint8_t *group_id,
			   size_t group_id_len, uint32_t leaf_index)
{
	mls_leaf_write_fields(w, f);
	if (f->source == MLS_SRC_UPDATE || f->source == MLS_SRC_COMMIT) {
		cr_write_opaque(w, group_id, group_id_len);
		cr_write_u32(w, leaf_index);
	}
	return cr_writer_error(w);
}

cr_err mls_leaf_sign(const mls_leaf_fields *f, const uint8_t seed[32], const uint8_t *group_id,
		     size_t group_id_len, uint32_t leaf_index, mls_leaf_node *out)
{
	memset(out, 0, sizeof *out);
	uint8_t sig[MLS_SIG_LEN];
	cr_writer w;
	cr_writer_init_dynamic(&w, MLS_LEAF_MAX_LEN + MLS_GROUP_ID_MAX + 16);
	cr_err err = tbs_of_fields(&w, f, group_id, group_id_len, leaf_index);
	if (!err)
		err = mls_sign_with_label(sig, seed, "LeafNodeTBS", w.p, w.len);
	cr_writer_free(&w);
	if (!err)
		err = mls_leaf_assemble(f, sig, sizeof sig, out);
	return err;
}

cr_err mls_leaf_verify(const mls_leaf_node *l, const uint8_t *group_id, size_t group_id_len,
		       uint32_t leaf_index)
{
	CR_ENSURE(l->signature.n == MLS_SIG_LEN, CR_ERR_AUTH);
	cr_writer w;
	cr_writer_init_dynamic(&w, MLS_LEAF_MAX_LEN + MLS_GROUP_ID_MAX + 16);
	mls_leaf_write_tbs(&w, l, group_id, group_id_len, leaf_index);
	cr_err err = cr_writer_error(&w);
	if (!err)
		err = mls_verify_with_label(l->signature.p, l->signature_key, "LeafNodeTBS", w.p, w.len);
	cr_writer_free(&w);
	return err;
}

/* ---- ParentNode ---- */

cr_err mls_parent_decode(cr_reader *r, uint32_t max_leaves, mls_parent_node *out)
{
	memset(out, 0, sizeof *out);
	cr_reader save = *r;
	cr_err err;
	cr_span ph;
	cr_reader sub;
	CR_CHECK(cr_read_opaque_fixed(r, MLS_KEY_LEN, out->encryption_key));
	CR_CHECK(cr_read_opaque(r, MLS_HASH_LEN, &ph));
	if (ph.n != 0 && ph.n != MLS_HASH_LEN) {
		err = CR_ERR_MALFORMED;
		goto out;
	}
	if (ph.n)
		memcpy(out->parent_hash, ph.p, ph.n);
	out->parent_hash_len = ph.n;
	CR_CHECK(cr_read_vector(r, (size_t)max_leaves * 4, &sub));
	if (cr_reader_left(&sub) % 4 != 0) {
		err = CR_ERR_MALFORMED;
		goto out;
	}
	size_t cnt = cr_reader_left(&sub) / 4;
	if (cnt) {
		out->unmerged = malloc(cnt * sizeof *out->unmerged);
		if (!out->unmerged) {
			err = CR_ERR_NOMEM;
			goto out;
		}
		out->cap_unmerged = cnt;
	}
	for (size_t i = 0; i < cnt; i++) {
		uint32_t v;
		CR_CHECK(cr_read_u32(&sub, &v));
		/* RFC 9420 section 7.1: leaves in increasing order (we require
		 * strictly, which also excludes duplicates). */
		if (v >= max_leaves || (i > 0 && v <= out->unmerged[i - 1])) {
			err = CR_ERR_MALFORMED;
			goto out;
		}
		out->unmerged[i] = v;
	}
	out->n_unmerged = cnt;
	return CR_OK;
out:
	mls_parent_free(out);
	*r = save;
	return err;
}

void mls_parent_encode(cr_writer *w, const mls_parent_node *pn)
{
	cr_write_opaque(w, pn->encryption_key, MLS_KEY_LEN);
	cr_write_opaque(w, pn->parent_hash, pn->parent_hash_len);
	cr_write_varint(w, (uint64_t)pn->n_unmerged * 4);
	for (size_t i = 0; i < pn->n_unmerged; i++)
		cr_write_u32(w, pn->unmerged[i]);
}

cr_err mls_parent_copy(mls_parent_node *dst, const mls_parent_node *src)
{
	*dst = *src;
	dst->unmerged = NULL;
	dst->cap_unmerged = 0;
	if (src->n_unmerged) {
		dst->unmerged = malloc(src->n_unmerged * sizeof *dst->unmerged);
		if (!dst->unmerged) {
			memset(dst, 0, sizeof *dst);
			return CR_ERR_NOMEM;
		}
		memcpy(dst->unmerged, src->unmerged, src->n_unmerged * sizeof *dst->unmerged);
		dst->cap_unmerged = src->n_unmerged;
	}
	return CR_OK;
}

void mls_parent_free(mls_parent_node *pn)
{
	free(pn->unmerged);
	memset(pn, 0, sizeof *pn);
}

bool mls_parent_has_unmerged(const mls_parent_node *pn, uint32_t leaf)
{
	size_t lo = 0, hi = pn->n_unmerged;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (pn->unmerged[mid] == leaf)
			return true;
		if (pn->unmerged[mid] < leaf)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

cr_err mls_parent_add_unmerged(mls_parent_node *pn, uint32_t leaf)
{
	/* Binary search: Adds append in increasing order, and a root's list
	 * can hold every member added since the last commit. */
	size_t pos = 0, hi = pn->n_unmerged;
	while (pos < hi) {
		size_t mid = pos + (hi - pos) / 2;
		if (pn->unmerged[mid] < leaf)
			pos = mid + 1;
		else
			hi = mid;
	}
	if (pos < pn->n_unmerged && pn->unmerged[pos] == leaf)
		return CR_OK;
	if (pn->n_unmerged == pn->cap_unmerged) {
		size_t nc = pn->cap_unmerged ? pn->cap_unmerged * 2 : 4;
		uint32_t *q = realloc(pn->unmerged, nc * sizeof *q);
		CR_ENSURE(q, CR_ERR_NOMEM);
		pn->unmerged = q;
		pn->cap_unmerged = nc;
	}
	memmove(pn->unmerged + pos + 1, pn->unmerged + pos, (pn->n_unmerged - pos) * sizeof *pn->unmerged);
	pn->unmerged[pos] = leaf;
	pn->n_unmerged++;
	return CR_OK;
}
