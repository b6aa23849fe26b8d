/*
 * fuzz: mls_private_message_decrypt, mls_private_message_open (its content_parse), mls_content_body_read (crypto/mls/msg_private.h)
 *
 * The input is an MLSMessage; a PrivateMessage is opened on a fresh 2-leaf
 * secret tree with fixed secrets (those of case 0 of RFC 9420's
 * message-protection.json, suite 0x0001). A message that decrypts must
 * re-encode to its plaintext: content body, auth data, then only zero
 * padding; an open whose key lookup fails must leave the tree unchanged
 * (the message still decrypts). Seeds: that case's proposal_priv, commit_priv and
 * application_priv, which open.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "msg_message.h"
#include "msg_private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t enc_secret[MLS_NH] = {
	0x4d, 0xb3, 0x35, 0x74, 0xf5, 0x14, 0x02, 0x4e, 0x61, 0xe2, 0xa1, 0x5e, 0x71, 0x52, 0x71, 0x82,
	0xf6, 0x25, 0x61, 0xd8, 0x4b, 0x4d, 0x82, 0x30, 0x50, 0x1b, 0x62, 0x3d, 0x84, 0x8d, 0xf9, 0x98,
};
static const uint8_t sd_secret[MLS_NH] = {
	0xb2, 0x1d, 0xfb, 0xbf, 0x69, 0xda, 0x2f, 0xec, 0x93, 0x29, 0x9d, 0x8b, 0xd0, 0x79, 0x5a, 0xd0,
	0xae, 0xc2, 0x2b, 0x42, 0xd8, 0x3f, 0xf1, 0x0a, 0x2e, 0x5e, 0x3f, 0x99, 0x76, 0x72, 0xb8, 0xb3,
};

static cr_err no_key(void *ctx, uint32_t leaf, uint8_t pub[MLS_SIG_PUB_LEN])
{
	(void)ctx;
	(void)leaf;
	(void)pub;
	return CR_ERR_NOT_FOUND;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mls_message m;
	if (mls_message_decode(data, size, &m) != CR_OK || m.wire_format != MLS_WIRE_PRIVATE_MESSAGE)
		return 0;
	const mls_private_message *pm = &m.u.private_message;
	mls_secret_tree st;
	if (mls_secret_tree_init(&st, enc_secret, 2) != CR_OK)
		abort();
	size_t cap = pm->ciphertext.n;
	uint8_t *pt = malloc(cap ? cap : 1);
	if (!pt)
		abort();
	mls_private_opened o;
	if (mls_private_message_decrypt(pm, &st, sd_secret, pt, cap, &o) == CR_OK) {
		size_t pt_len = pm->ciphertext.n - 16;
		cr_writer w;
		cr_writer_init_dynamic(&w, MLS_MAX_MESSAGE);
		mls_content_body_write(&w, &o.content);
		mls_auth_data_write(&w, o.content.content_type, o.signature, o.confirmation_tag);
		if (cr_writer_error(&w) != CR_OK || w.len > pt_len || memcmp(w.p, pt, w.len) != 0)
			abort();
		for (size_t i = w.len; i < pt_len; i++)
			if (pt[i] != 0)
				abort();
		cr_writer_free(&w);
		/* A failed open consumes nothing: the message decrypts again. */
		cr_span no_gc = { NULL, 0 };
		if (mls_private_message_open(pm, &st, sd_secret, no_gc, no_key, NULL, pt, cap, &o) == CR_OK ||
		    mls_private_message_decrypt(pm, &st, sd_secret, pt, cap, &o) != CR_OK)
			abort();
	}
	free(pt);
	mls_secret_tree_free(&st);
	return 0;
}
