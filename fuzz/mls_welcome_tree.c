/*
 * fuzz: mls_welcome_tree_decode, mls_welcome_tree_write, mls_welcome_tree_pack (crypto/mls/msg_welcome_tree.h), then mls_message_decode and mls_tree_decode on what it delimits
 *
 * What decodes must re-encode (by the writer and by the packer) to exactly
 * the input; the welcome it delimits must decode as a Welcome MLSMessage
 * and re-encode to itself; a tree that decodes must re-encode to exactly
 * the delimited bytes. Seeds: containers of Welcomes and trees of groups of
 * 2 and 3 members, and broken ones.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "msg_message.h"
#include "msg_welcome_tree.h"
#include "tree.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same(cr_writer *w, const uint8_t *p, size_t n)
{
	if (cr_writer_error(w) != CR_OK || w->len != n || (n && memcmp(w->p, p, n) != 0))
		abort();
	cr_writer_free(w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mls_welcome_tree wt;
	cr_writer w;
	if (mls_welcome_tree_decode(data, size, &wt) != CR_OK)
		return 0;
	cr_writer_init_dynamic(&w, size + 16);
	mls_welcome_tree_write(&w, &wt);
	same(&w, data, size);
	uint8_t *pk;
	size_t pl;
	if (mls_welcome_tree_pack(wt.welcome.p, wt.welcome.n, wt.ratchet_tree.p, wt.ratchet_tree.n, &pk, &pl) !=
		    CR_OK ||
	    pl != size || memcmp(pk, data, size) != 0)
		abort();
	free(pk);
	mls_message m;
	if (mls_message_decode(wt.welcome.p, wt.welcome.n, &m) != CR_OK || m.wire_format != MLS_WIRE_WELCOME)
		abort();
	cr_writer_init_dynamic(&w, wt.welcome.n + 16);
	mls_message_write(&w, &m);
	same(&w, wt.welcome.p, wt.welcome.n);
	mls_tree t = { 0 };
	if (mls_tree_decode(wt.ratchet_tree.p, wt.ratchet_tree.n, &t) == CR_OK) {
		cr_writer_init_dynamic(&w, MLS_TREE_MAX_ENC + 16);
		mls_tree_encode(&w, &t);
		same(&w, wt.ratchet_tree.p, wt.ratchet_tree.n);
		mls_tree_free(&t);
	}
	return 0;
}
