/*
 * fuzz: mls_message_decode, mls_message_write and the nested msg_* codecs (crypto/mls/msg_message.h)
 *
 * An MLSMessage that decodes must re-encode to exactly the input bytes, and
 * so must every item of the vectors inside it (proposals of a commit,
 * extensions). Seeds: MLSMessages of RFC 9420's messages.json.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "msg_message.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same(cr_writer *w, const uint8_t *p, size_t n)
{
	if (cr_writer_error(w) != CR_OK || w->len != n || (n && memcmp(w->p, p, n) != 0))
		abort();
}

static void walk_extensions(const mls_vec *v)
{
	cr_reader it;
	mls_extension e;
	cr_writer w;
	cr_writer_init_dynamic(&w, MLS_MAX_MESSAGE + 64);
	mls_vec_iter(v, &it);
	while (mls_extensions_next(&it, &e) == CR_OK)
		mls_extension_write(&w, &e);
	same(&w, v->body.p, v->body.n);
	cr_writer_free(&w);
}

static void walk_commit(const mls_commit *c)
{
	cr_reader it;
	mls_proposal_or_ref por;
	cr_writer w;
	cr_writer_init_dynamic(&w, MLS_MAX_MESSAGE + 64);
	mls_vec_iter(&c->proposals, &it);
	while (mls_commit_proposals_next(&it, &por) == CR_OK)
		mls_proposal_or_ref_write(&w, &por);
	same(&w, c->proposals.body.p, c->proposals.body.n);
	cr_writer_free(&w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mls_message m;
	if (mls_message_decode(data, size, &m) != CR_OK)
		return 0;
	cr_writer w;
	cr_writer_init_dynamic(&w, MLS_MAX_MESSAGE + 64);
	mls_message_write(&w, &m);
	same(&w, data, size);
	cr_writer_free(&w);
	switch (m.wire_format) {
	case MLS_WIRE_GROUP_INFO: {
		mls_vec gc_ext;
		walk_extensions(&m.u.group_info.extensions);
		if (mls_extensions_check(m.u.group_info.group_context.extensions, &gc_ext) != CR_OK)
			abort(); /* the GroupInfo reader checked it already */
		walk_extensions(&gc_ext);
		break;
	}
	case MLS_WIRE_KEY_PACKAGE:
		walk_extensions(&m.u.key_package.extensions);
		break;
	case MLS_WIRE_PUBLIC_MESSAGE:
		if (m.u.public_message.content.content_type == MLS_CONTENT_COMMIT)
			walk_commit(&m.u.public_message.content.commit);
		break;
	default:
		break;
	}
	return 0;
}
