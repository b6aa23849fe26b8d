#include "msg_commit.h"

#include <string.h>

cr_err mls_commit_read(cr_reader *r, mls_commit *out)
{
	cr_reader save = *r, sub;
	cr_err err;
	memset(out, 0, sizeof *out);
	CR_CHECK(mls_vec_begin(r, MLS_MAX_MESSAGE, &sub));
	out->proposals.body.p = sub.p;
	out->proposals.body.n = sub.n;
	while (cr_reader_left(&sub) > 0) {
		mls_proposal_or_ref por;
		if (out->proposals.count == MLS_MAX_PROPOSALS) {
			err = CR_ERR_LIMIT;
			goto out;
		}
		CR_CHECK(mls_proposal_or_ref_read(&sub, &por));
		out->proposals.count++;
	}
	CR_CHECK(cr_read_bool(r, &out->has_path));
	if (out->has_path)
		CR_CHECK(mls_update_path_span_read(r, &out->path));
	return CR_OK;
out:
	*r = save;
	memset(out, 0, sizeof *out);
	return err;
}

cr_err mls_commit_decode(const uint8_t *p, size_t n, mls_commit *out)
{
	cr_reader r;
	cr_reader_init(&r, p, n);
	CR_TRY(mls_commit_read(&r, out));
	cr_err err = cr_reader_end(&r);
	if (err)
		memset(out, 0, sizeof *out);
	return err;
}

void mls_commit_write(cr_writer *w, const mls_commit *c)
{
	mls_vec_write(w, &c->proposals);
	cr_write_bool(w, c->has_path);
	if (c->has_path) {
		if (c->path.n == 0)
			mls_writer_fail(w, CR_ERR_ARG);
		cr_write_bytes(w, c->path.p, c->path.n);
	}
}

cr_err mls_commit_proposals_next(cr_reader *it, mls_proposal_or_ref *out)
{
	if (cr_reader_left(it) == 0)
		return CR_ERR_NOT_FOUND;
	return mls_proposal_or_ref_read(it, out);
}

/* UpdatePath (RFC 9420 section 7.6), checked for syntax only until
 * treekem.h offers its decoder:
 *   struct { HPKEPublicKey encryption_key;
 *            HPKECiphertext encrypted_path_secret<V>; } UpdatePathNode;
 *   struct { LeafNode leaf_node; UpdatePathNode nodes<V>; } UpdatePath;
 * A path has one node per level of the tree (at most 1 + log2 of
 * MLS_MAX_MEMBERS, bounded here by 32) and each node at most one
 * ciphertext per member. */
static cr_err update_path_node_check(cr_reader *r)
{
	cr_span key, kem_output, ct;
	cr_reader sub;
	size_t n = 0;
	CR_TRY(cr_read_opaque(r, MLS_MAX_HPKE_KEY, &key));
	CR_TRY(mls_vec_begin(r, MLS_MAX_MESSAGE, &sub));
	while (cr_reader_left(&sub) > 0) {
		CR_ENSURE(n < MLS_MAX_MEMBERS, CR_ERR_LIMIT);
		CR_TRY(cr_read_opaque(&sub, MLS_MAX_HPKE_KEY, &kem_output));
		CR_TRY(cr_read_opaque(&sub, MLS_MAX_HASH + 16, &ct));
		n++;
	}
	return CR_OK;
}

cr_err mls_update_path_span_read(cr_reader *r, cr_span *out)
{
	cr_reader probe = *r, sub;
	cr_span leaf;
	size_t n = 0;
	memset(out, 0, sizeof *out);
	CR_TRY(mls_leaf_node_span_read(&probe, &leaf));
	CR_TRY(mls_vec_begin(&probe, MLS_MAX_MESSAGE, &sub));
	while (cr_reader_left(&sub) > 0) {
		CR_ENSURE(n < 32, CR_ERR_LIMIT);
		CR_TRY(update_path_node_check(&sub));
		n++;
	}
	return cr_read_span(r, cr_reader_left(r) - cr_reader_left(&probe), out);
}
