/*
 * fuzz: mls_commit_decode, mls_commit_write, mls_proposal_or_ref_read/_write, mls_update_path_span_read (crypto/mls/msg_commit.h)
 *
 * A Commit that decodes must re-encode to exactly the input bytes, and so
 * must each of its ProposalOrRefs. Seeds: Commits of RFC 9420's
 * messages.json.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "msg_commit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mls_commit c;
	if (mls_commit_decode(data, size, &c) != CR_OK)
		return 0;
	cr_writer w;
	cr_writer_init_dynamic(&w, MLS_MAX_MESSAGE + 64);
	mls_commit_write(&w, &c);
	if (cr_writer_error(&w) != CR_OK || w.len != size || memcmp(w.p, data, size) != 0)
		abort();
	cr_writer_free(&w);
	cr_reader it;
	mls_proposal_or_ref por;
	size_t n = 0;
	cr_writer_init_dynamic(&w, MLS_MAX_MESSAGE + 64);
	mls_vec_iter(&c.proposals, &it);
	while (mls_commit_proposals_next(&it, &por) == CR_OK) {
		mls_proposal_or_ref_write(&w, &por);
		n++;
	}
	if (n != c.proposals.count || cr_writer_error(&w) != CR_OK || w.len != c.proposals.body.n ||
	    (w.len && memcmp(w.p, c.proposals.body.p, w.len) != 0))
		abort();
	cr_writer_free(&w);
	return 0;
}
