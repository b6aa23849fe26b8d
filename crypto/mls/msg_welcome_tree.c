#include "msg_welcome_tree.h"

#include <string.h>

#include "msg_message.h"
#include "tree.h"

/* The tree vector, length prefix included, at the reader: framing only. */
static cr_err read_tree_vector(cr_reader *r, cr_span *out)
{
	cr_reader save = *r, sub;
	cr_err err;
	CR_CHECK(cr_read_vector(r, MLS_TREE_MAX_ENC, &sub));
	/* A tree has at least one (non-blank) node. */
	CR_CHECK(cr_reader_left(&sub) > 0 ? CR_OK : CR_ERR_MALFORMED);
	/* The same bytes again, prefix included, through the reader. */
	cr_reader again = save;
	CR_CHECK(cr_read_span(&again, r->off - save.off, out));
	return CR_OK;
out:
	*r = save;
	return err;
}

cr_err mls_welcome_tree_read(cr_reader *r, mls_welcome_tree *out)
{
	cr_reader save = *r;
	mls_message m;
	cr_err err;
	memset(out, 0, sizeof *out);
	CR_CHECK(cr_read_opaque(r, MLS_MAX_MESSAGE, &out->welcome));
	CR_CHECK(mls_message_decode(out->welcome.p, out->welcome.n, &m));
	CR_CHECK(m.wire_format == MLS_WIRE_WELCOME ? CR_OK : CR_ERR_MALFORMED);
	CR_CHECK(read_tree_vector(r, &out->ratchet_tree));
	return CR_OK;
out:
	*r = save;
	memset(out, 0, sizeof *out);
	return err;
}

cr_err mls_welcome_tree_decode(const uint8_t *p, size_t n, mls_welcome_tree *out)
{
	cr_reader r;
	cr_reader_init(&r, p, n);
	CR_TRY(mls_welcome_tree_read(&r, out));
	cr_err err = cr_reader_end(&r);
	if (err)
		memset(out, 0, sizeof *out);
	return err;
}

void mls_welcome_tree_write(cr_writer *w, const mls_welcome_tree *wt)
{
	cr_reader r;
	cr_span t;
	cr_reader_init(&r, wt->ratchet_tree.p, wt->ratchet_tree.n);
	if (wt->welcome.n == 0 || read_tree_vector(&r, &t) != CR_OK || cr_reader_end(&r) != CR_OK) {
		mls_writer_fail(w, CR_ERR_ARG);
		return;
	}
	mls_write_opaque_max(w, wt->welcome, MLS_MAX_MESSAGE);
	cr_write_bytes(w, wt->ratchet_tree.p, wt->ratchet_tree.n);
}

cr_err mls_welcome_tree_pack(const uint8_t *welcome, size_t welcome_len, const uint8_t *tree, size_t tree_len,
			     uint8_t **out, size_t *out_len)
{
	mls_welcome_tree wt = { { welcome, welcome_len }, { tree, tree_len } };
	cr_writer w;
	*out = NULL;
	*out_len = 0;
	cr_writer_init_dynamic(&w, MLS_MAX_MESSAGE + MLS_TREE_MAX_ENC + 16);
	mls_welcome_tree_write(&w, &wt);
	cr_err err = cr_writer_error(&w);
	if (err) {
		cr_writer_free(&w);
		return err;
	}
	*out = cr_writer_take(&w, out_len);
	return *out ? CR_OK : CR_ERR_NOMEM;
}
