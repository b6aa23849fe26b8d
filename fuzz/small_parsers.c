/*
 * fuzz: the small parsers that the bigger harnesses reach only through their callers: cr_hex_decode, cr_keystore_identity_decode, nt_cert_pin_parse, mls_proposal_decode, mls_proposal_body_decode, mls_public_message_decode, mls_private_message_decode, mls_parent_decode
 *
 * The first input byte picks the parser; the rest is its input. Whatever a
 * parser accepts must encode back to the same bytes (or, for text forms,
 * parse back to the same value); anything else aborts.
 */
#include <stdlib.h>
#include <string.h>

#include "cert.h"
#include "codec.h"
#include "keystore.h"
#include "leaf.h"
#include "msg_framing.h"
#include "msg_proposal.h"
#include "safety.h"

#define MAX_IN 4096

/* Aborts unless w holds exactly p[n]. */
static void same(cr_writer *w, const uint8_t *p, size_t n)
{
	if (cr_writer_error(w) || w->len != n || (n && memcmp(w->p, p, n) != 0))
		abort();
	cr_writer_free(w);
}

static void hex(const uint8_t *p, size_t n)
{
	uint8_t out[MAX_IN / 2];
	size_t len;
	char back[MAX_IN + 1];
	if (cr_hex_decode(out, sizeof out, &len, (const char *)p, n) != CR_OK)
		return;
	if (cr_hex_encode(back, sizeof back, out, len) != CR_OK || strlen(back) != n)
		abort();
	for (size_t i = 0; i < n; i++) /* the encoder writes lowercase */
		if (back[i] != (p[i] >= 'A' && p[i] <= 'F' ? p[i] + 32 : p[i]))
			abort();
}

static void identity(const uint8_t *p, size_t n)
{
	cr_keystore_identity id;
	uint8_t back[CR_KEYSTORE_IDENTITY_LEN];
	if (cr_keystore_identity_decode(p, n, &id) != CR_OK)
		return;
	cr_keystore_identity_encode(back, &id);
	cr_keystore_identity_wipe(&id);
	if (n != sizeof back || memcmp(back, p, n) != 0)
		abort();
}

static void pin(const uint8_t *p, size_t n)
{
	char s[128];
	uint8_t a[NT_CERT_PIN_LEN], b[NT_CERT_PIN_LEN];
	char text[NT_CERT_PIN_STR_LEN];
	if (n >= sizeof s)
		return;
	memcpy(s, p, n);
	s[n] = 0;
	if (nt_cert_pin_parse(a, s) != CR_OK)
		return;
	nt_cert_pin_str(text, a);
	if (nt_cert_pin_parse(b, text) != CR_OK || memcmp(a, b, sizeof a) != 0)
		abort();
}

static void proposal(const uint8_t *p, size_t n)
{
	mls_proposal pr;
	cr_writer w;
	if (mls_proposal_decode(p, n, &pr) != CR_OK)
		return;
	cr_writer_init_dynamic(&w, n + 64);
	mls_proposal_write(&w, &pr);
	same(&w, p, n);
}

static void proposal_body(const uint8_t *p, size_t n)
{
	mls_proposal pr;
	cr_writer w;
	if (n < 2 || mls_proposal_body_decode(p + 2, n - 2, (uint16_t)(p[0] << 8 | p[1]), &pr) != CR_OK)
		return;
	cr_writer_init_dynamic(&w, n + 64);
	mls_proposal_body_write(&w, &pr);
	same(&w, p + 2, n - 2);
}

static void public_message(const uint8_t *p, size_t n)
{
	mls_public_message m;
	cr_writer w;
	if (mls_public_message_decode(p, n, &m) != CR_OK)
		return;
	cr_writer_init_dynamic(&w, n + 64);
	mls_public_message_write(&w, &m);
	same(&w, p, n);
}

static void private_message(const uint8_t *p, size_t n)
{
	mls_private_message m;
	cr_writer w;
	if (mls_private_message_decode(p, n, &m) != CR_OK)
		return;
	cr_writer_init_dynamic(&w, n + 64);
	mls_private_message_write(&w, &m);
	same(&w, p, n);
}

static void parent(const uint8_t *p, size_t n)
{
	mls_parent_node pn;
	cr_reader r;
	cr_writer w;
	if (n < 1)
		return;
	cr_reader_init(&r, p + 1, n - 1);
	if (mls_parent_decode(&r, (uint32_t)p[0] + 1, &pn) != CR_OK)
		return;
	cr_writer_init_dynamic(&w, n + 64);
	mls_parent_encode(&w, &pn);
	mls_parent_free(&pn);
	same(&w, p + 1, r.off);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static void (*const parsers[])(const uint8_t *, size_t) = {
		hex, identity, pin, proposal, proposal_body, public_message, private_message, parent,
	};
	if (size < 1 || size > MAX_IN)
		return 0;
	parsers[data[0] % (sizeof parsers / sizeof parsers[0])](data + 1, size - 1);
	return 0;
}
