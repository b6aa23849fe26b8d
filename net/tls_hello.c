/*
 * tls_hello.c: the record size a ClientHello asks for (tls_hello.h).
 */
#include "tls_hello.h"

#include "codec.h"

#define RECORD_HDR_LEN 5
#define CONTENT_HANDSHAKE 22       /* RFC 5246 section 6.2.1 */
#define HS_CLIENT_HELLO 1          /* RFC 5246 section 7.4 */
#define HS_HDR_LEN 4               /* u8 type, u24 length */
#define RANDOM_LEN 32
#define SESSION_ID_MAX 32
#define EXT_MAX_FRAGMENT_LENGTH 1  /* RFC 6066 section 4 */

/* Reads the opaque<lo..hi> with a u8 or u16 length prefix (len_bytes). */
static cr_err read_opaque(cr_reader *r, int len_bytes, size_t lo, size_t hi, cr_span *out)
{
	cr_reader save = *r;
	size_t len;
	if (len_bytes == 1) {
		uint8_t v;
		CR_TRY(cr_read_u8(r, &v));
		len = v;
	} else {
		uint16_t v;
		CR_TRY(cr_read_u16(r, &v));
		len = v;
	}
	cr_err err = len < lo || len > hi ? CR_ERR_MALFORMED : cr_read_span(r, len, out);
	if (err)
		*r = save;
	return err;
}

/* RFC 6066: "enum{ 2^9(1), 2^10(2), 2^11(3), 2^12(4), (255) }
 * MaxFragmentLength;" in an extension_data of exactly that one byte. */
static cr_err max_fragment(cr_span data, size_t *frag)
{
	cr_reader r;
	uint8_t code;
	cr_reader_init(&r, data.p, data.n);
	CR_TRY(cr_read_u8(&r, &code));
	CR_TRY(cr_reader_end(&r));
	CR_ENSURE(code >= 1 && code <= 4, CR_ERR_MALFORMED);
	*frag = (size_t)1 << (8 + code);
	return CR_OK;
}

/* Extension extensions<0..2^16-1> (RFC 5246 section 7.4.1.4), all of r. */
static cr_err extensions(cr_reader *r, size_t *frag)
{
	bool seen = false;
	while (cr_reader_left(r)) {
		uint16_t type;
		cr_span data;
		CR_TRY(cr_read_u16(r, &type));
		CR_TRY(read_opaque(r, 2, 0, 0xffff, &data));
		if (type != EXT_MAX_FRAGMENT_LENGTH)
			continue;
		/* "There MUST NOT be more than one extension of the same type." */
		CR_ENSURE(!seen, CR_ERR_MALFORMED);
		seen = true;
		CR_TRY(max_fragment(data, frag));
	}
	return CR_OK;
}

/* The ClientHello body (RFC 5246 section 7.4.1.2), all of r. */
static cr_err client_hello(cr_reader *r, size_t *frag)
{
	uint16_t version;
	cr_span rnd, session_id, suites, compression, exts;
	CR_TRY(cr_read_u16(r, &version));
	CR_ENSURE(version >> 8 == 3, CR_ERR_MALFORMED);
	CR_TRY(cr_read_span(r, RANDOM_LEN, &rnd));
	CR_TRY(read_opaque(r, 1, 0, SESSION_ID_MAX, &session_id));
	CR_TRY(read_opaque(r, 2, 2, 0xfffe, &suites));
	CR_ENSURE(suites.n % 2 == 0, CR_ERR_MALFORMED);
	CR_TRY(read_opaque(r, 1, 1, 0xff, &compression));
	/* The extensions block may be absent altogether (section 7.4.1.2). */
	if (cr_reader_left(r) == 0)
		return CR_OK;
	CR_TRY(read_opaque(r, 2, 0, 0xffff, &exts));
	CR_TRY(cr_reader_end(r));
	cr_reader er;
	cr_reader_init(&er, exts.p, exts.n);
	return extensions(&er, frag);
}

/* The first record's fragment: exactly one whole ClientHello. */
static cr_err handshake(cr_span rec, size_t *frag)
{
	cr_reader r;
	uint8_t type, len_hi;
	uint16_t len_lo;
	cr_span body;
	cr_reader_init(&r, rec.p, rec.n);
	CR_TRY(cr_read_u8(&r, &type));
	CR_ENSURE(type == HS_CLIENT_HELLO, CR_ERR_MALFORMED);
	CR_TRY(cr_read_u8(&r, &len_hi));
	CR_TRY(cr_read_u16(&r, &len_lo));
	size_t len = (size_t)len_hi << 16 | len_lo;
	CR_ENSURE(len == cr_reader_left(&r), CR_ERR_MALFORMED);
	CR_TRY(cr_read_span(&r, len, &body));
	cr_reader br;
	cr_reader_init(&br, body.p, body.n);
	return client_hello(&br, frag);
}

cr_err nt_tls_hello_frag(const uint8_t *p, size_t n, size_t *frag, size_t *need)
{
	*frag = NT_TLS_HELLO_FRAG_DEFAULT;
	*need = 0;
	if (n < RECORD_HDR_LEN) {
		*need = RECORD_HDR_LEN;
		return CR_ERR_TRUNCATED;
	}
	cr_reader r;
	uint8_t type;
	uint16_t version, len;
	cr_span rec;
	cr_reader_init(&r, p, n);
	CR_TRY(cr_read_u8(&r, &type));
	CR_TRY(cr_read_u16(&r, &version));
	CR_TRY(cr_read_u16(&r, &len));
	CR_ENSURE(type == CONTENT_HANDSHAKE && version >> 8 == 3 && len >= HS_HDR_LEN, CR_ERR_MALFORMED);
	CR_ENSURE(len <= NT_TLS_HELLO_MAX - RECORD_HDR_LEN, CR_ERR_LIMIT);
	if (cr_read_span(&r, len, &rec) != CR_OK) {
		*need = RECORD_HDR_LEN + (size_t)len;
		return CR_ERR_TRUNCATED;
	}
	size_t asked = NT_TLS_HELLO_FRAG_DEFAULT;
	/* Every byte of the record is here: a short field is malformed. */
	cr_err err = handshake(rec, &asked);
	if (err)
		return err == CR_ERR_TRUNCATED ? CR_ERR_MALFORMED : err;
	CR_ENSURE(len <= asked, CR_ERR_LIMIT);
	*frag = asked;
	return CR_OK;
}
