#include "msg_commit.h"

#include <string.h>

#include "treekem.h"

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

/* The UpdatePath is treekem.h's: parse it on a copy of the reader, then
 * take exactly the bytes it consumed as a borrowed span of r. */
cr_err mls_update_path_span_read(cr_reader *r, cr_span *out)
{
	cr_reader probe = *r;
	mls_update_path up;
	memset(out, 0, sizeof *out);
	CR_TRY(mls_update_path_read(&probe, &up));
	mls_update_path_free(&up);
	return cr_read_span(r, cr_reader_left(r) - cr_reader_left(&probe), out);
}
