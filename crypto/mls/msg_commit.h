/*
 * msg_commit.h: Commit (RFC 9420 section 12.4), syntax only.
 *
 *   struct { ProposalOrRef proposals<V>; optional<UpdatePath> path; } Commit;
 *
 * proposals holds at most MLS_MAX_PROPOSALS items, each checked by
 * mls_proposal_or_ref_read; walk them with mls_commit_proposals_next. The
 * UpdatePath is parsed and checked by treekem.h (mls_update_path_read) and kept here as
 * its validated encoding (path); the rules of section 12.4.2 (which
 * proposals need a path, ...) belong to the protocol layer.
 * Conventions (read/decode/write, spans, mls_vec): see msg_common.h.
 */
#ifndef ECHOVER_MLS_MSG_COMMIT_H
#define ECHOVER_MLS_MSG_COMMIT_H

#include "msg_common.h"
#include "msg_proposal.h"

typedef struct mls_commit {
	mls_vec proposals;     /* ProposalOrRef */
	bool has_path;
	cr_span path;          /* one encoded UpdatePath, when has_path */
} mls_commit;

/* Reads one UpdatePath strictly and returns the span of its encoding. */
cr_err mls_update_path_span_read(cr_reader *r, cr_span *out) CR_MUST_CHECK;

cr_err mls_commit_read(cr_reader *r, mls_commit *out) CR_MUST_CHECK;
cr_err mls_commit_decode(const uint8_t *p, size_t n, mls_commit *out) CR_MUST_CHECK;
void mls_commit_write(cr_writer *w, const mls_commit *c);
/* Next ProposalOrRef of a decoded commit (it from mls_vec_iter on
 * c->proposals); CR_ERR_NOT_FOUND at the end. */
cr_err mls_commit_proposals_next(cr_reader *it, mls_proposal_or_ref *out) CR_MUST_CHECK;

#endif
