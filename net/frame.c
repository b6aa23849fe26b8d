/*
 * frame.c: the incremental frame parser and the frame writers (frame.h).
 */
#include "frame.h"

#include <stdlib.h>
#include <string.h>

#include "wipe.h"

static void release_body(nt_frame_parser *p)
{
	if (p->body) {
		cr_wipe(p->body, p->len);
		free(p->body);
	}
	p->body = NULL;
	p->in_body = false;
	p->delivered = false;
	cr_writer_init_fixed(&p->hdr_w, p->hdr, sizeof p->hdr);
}

void nt_parser_init(nt_frame_parser *p, uint32_t max)
{
	memset(p, 0, sizeof *p);
	p->max = max < NT_FRAME_MAX_MIN ? NT_FRAME_MAX_MIN : max;
	cr_writer_init_fixed(&p->hdr_w, p->hdr, sizeof p->hdr);
}

void nt_parser_free(nt_frame_parser *p)
{
	release_body(p);
	cr_wipe(p->hdr, sizeof p->hdr);
}

bool nt_parser_idle(const nt_frame_parser *p)
{
	return !p->failed && (p->delivered || (!p->in_body && p->hdr_w.len == 0));
}

/* Moves up to `want` bytes from in into w. */
static cr_err take(cr_reader *in, cr_writer *w, size_t want)
{
	size_t k = cr_reader_left(in);
	if (k > want)
		k = want;
	cr_span s;
	CR_TRY(cr_read_span(in, k, &s));
	cr_write_bytes(w, s.p, s.n);
	return cr_writer_error(w);
}

cr_err nt_parser_feed(nt_frame_parser *p, cr_reader *in, bool *got, nt_frame *f)
{
	*got = false;
	if (p->failed)
		return p->failed;
	if (p->delivered)
		release_body(p);
	if (!p->in_body) {
		CR_TRY(take(in, &p->hdr_w, sizeof p->hdr - p->hdr_w.len));
		if (p->hdr_w.len < sizeof p->hdr)
			return CR_OK;
		cr_reader h;
		cr_reader_init(&h, p->hdr, sizeof p->hdr);
		CR_TRY(cr_read_u32(&h, &p->len));
		CR_TRY(cr_read_u16(&h, &p->type));
		/* The limit is checked before anything is allocated. */
		if (p->len > p->max) {
			p->failed = CR_ERR_LIMIT;
			return p->failed;
		}
		p->in_body = true;
		if (p->len > 0) {
			p->body = malloc(p->len);
			if (!p->body) {
				p->failed = CR_ERR_NOMEM;
				return p->failed;
			}
		}
		cr_writer_init_fixed(&p->body_w, p->body, p->len);
	}
	if (p->body_w.len < p->len)
		CR_TRY(take(in, &p->body_w, p->len - p->body_w.len));
	if (p->body_w.len < p->len)
		return CR_OK;
	p->delivered = true;
	f->type = p->type;
	f->body.p = p->body;
	f->body.n = p->len;
	*got = true;
	return CR_OK;
}

size_t nt_frame_begin(cr_writer *w, uint16_t type)
{
	size_t mark = w->len;
	cr_write_u32(w, 0);
	cr_write_u16(w, type);
	return mark;
}

void nt_frame_end(cr_writer *w, size_t mark, uint32_t max)
{
	if (cr_writer_error(w) != CR_OK)
		return;
	size_t body = w->len - mark - NT_FRAME_HDR_LEN;
	if (body > max) {
		w->err = CR_ERR_LIMIT;
		return;
	}
	cr_writer_patch_u32(w, mark, (uint32_t)body);
}

void nt_write_error(cr_writer *w, uint32_t id, nt_code code, const char *text)
{
	size_t n = strlen(text);
	if (n > NT_ERROR_TEXT_MAX)
		n = NT_ERROR_TEXT_MAX;
	cr_write_u32(w, id);
	cr_write_u16(w, (uint16_t)code);
	cr_write_opaque(w, (const uint8_t *)text, n);
}

cr_err nt_read_error(const uint8_t *p, size_t n, nt_error_body *e)
{
	cr_reader r;
	cr_reader_init(&r, p, n);
	CR_TRY(cr_read_u32(&r, &e->id));
	CR_TRY(cr_read_u16(&r, &e->code));
	CR_TRY(cr_read_opaque(&r, NT_ERROR_TEXT_MAX, &e->text));
	return cr_reader_end(&r);
}

void nt_write_hello(cr_writer *w, const nt_hello *h)
{
	cr_write_u32(w, h->id);
	cr_write_u16(w, h->min_version);
	cr_write_u16(w, h->max_version);
	cr_write_opaque(w, h->software.p, h->software.n);
}

cr_err nt_read_hello(const uint8_t *p, size_t n, nt_hello *h)
{
	cr_reader r;
	cr_reader_init(&r, p, n);
	CR_TRY(cr_read_u32(&r, &h->id));
	CR_TRY(cr_read_u16(&r, &h->min_version));
	CR_TRY(cr_read_u16(&r, &h->max_version));
	CR_TRY(cr_read_opaque(&r, NT_SOFTWARE_MAX, &h->software));
	CR_ENSURE(h->min_version <= h->max_version, CR_ERR_MALFORMED);
	return cr_reader_end(&r);
}

cr_err nt_negotiate(const nt_hello *h, uint16_t *version)
{
	CR_ENSURE(h->min_version <= NT_PROTO_VERSION, CR_ERR_UNSUPPORTED);
	*version = h->max_version < NT_PROTO_VERSION ? h->max_version : NT_PROTO_VERSION;
	/* Version 0 does not exist. */
	CR_ENSURE(*version >= 1, CR_ERR_UNSUPPORTED);
	return CR_OK;
}

void nt_write_hello_ok(cr_writer *w, const nt_hello_ok *h)
{
	cr_write_u32(w, h->id);
	cr_write_u16(w, h->version);
	cr_write_u8(w, h->policy);
	cr_write_opaque(w, h->nonce, sizeof h->nonce);
	cr_write_u32(w, h->frame_max);
}

cr_err nt_read_hello_ok(const uint8_t *p, size_t n, nt_hello_ok *h)
{
	cr_reader r;
	cr_reader_init(&r, p, n);
	CR_TRY(cr_read_u32(&r, &h->id));
	CR_TRY(cr_read_u16(&r, &h->version));
	CR_TRY(cr_read_u8(&r, &h->policy));
	CR_ENSURE(h->policy <= NT_POLICY_INVITE, CR_ERR_MALFORMED);
	CR_TRY(cr_read_opaque_fixed(&r, sizeof h->nonce, h->nonce));
	CR_TRY(cr_read_u32(&r, &h->frame_max));
	return cr_reader_end(&r);
}

const char *nt_code_str(nt_code c)
{
	switch (c) {
	case NT_E_MALFORMED: return "malformed frame";
	case NT_E_TOO_LARGE: return "frame too large";
	case NT_E_VERSION: return "no common protocol version";
	case NT_E_UNEXPECTED: return "unexpected frame";
	case NT_E_AUTH: return "authentication failed";
	case NT_E_EXISTS: return "already exists";
	case NT_E_NOT_FOUND: return "not found";
	case NT_E_CONFLICT: return "epoch conflict";
	case NT_E_INVITE: return "invite required or invalid";
	case NT_E_USERNAME: return "invalid username";
	case NT_E_FORBIDDEN: return "forbidden";
	case NT_E_LIMIT: return "limit exceeded";
	case NT_E_INTERNAL: return "internal server error";
	case NT_E_PASSWORD: return "invalid password";
	case NT_E_BUSY: return "server busy, retry";
	case NT_E_RATE: return "too many failed logins, retry later";
	case NT_E_HASH: return "blob content does not match its hash";
	}
	return "unknown error";
}
