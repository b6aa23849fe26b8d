/*
 * tls_hello.h: what record size a TLS client asks for, read from its first
 * bytes before any TLS engine exists (sans I/O).
 *
 * The server peeks at the start of a new connection (MSG_PEEK) and sizes
 * the connection's TLS buffer for the record size the ClientHello asks for
 * with max_fragment_length (RFC 6066 section 4), so that an idle echover
 * client costs a few KB instead of BearSSL's 33 KB full buffer. The bytes
 * stay in the socket: BearSSL reads and checks the same ClientHello again.
 * This decoder only chooses a size; it never accepts or refuses a client.
 *
 * It is strict and bounded: one TLS plaintext record (RFC 5246 section
 * 6.2.1) of type handshake, at most NT_TLS_HELLO_MAX bytes in all, that
 * holds exactly one whole ClientHello (section 7.4.1.2) whose fields and
 * extensions are consumed exactly. Anything else (a hello split over
 * records, an SSLv2-format hello, a longer one, a bad field, an unknown or
 * repeated max_fragment_length value) gives no answer: the caller then uses
 * the full buffer and lets BearSSL decide, so a peer gets exactly what it
 * would have got without this peek.
 */
#ifndef ECHOVER_NT_TLS_HELLO_H
#define ECHOVER_NT_TLS_HELLO_H

#include <stddef.h>
#include <stdint.h>

#include "cr_err.h"

/* Longest first record looked at (header included). Echover's client sends
 * about 200 bytes; browsers' padded hellos reach 512 to 1,800. */
#define NT_TLS_HELLO_MAX 2048

/* The record size of a client that asks for none (RFC 5246: 2^14). */
#define NT_TLS_HELLO_FRAG_DEFAULT 16384

/*
 * Looks at the first n bytes a client sent (p may be NULL when n is 0).
 *   CR_OK: *frag is the plaintext record size the client asked for (512,
 *     1024, 2048 or 4096), or NT_TLS_HELLO_FRAG_DEFAULT when it asked for
 *     none; the ClientHello record also fits in a record of that size.
 *   CR_ERR_TRUNCATED: not all of the first record is there yet; *need is
 *     how many bytes in all to wait for (at most NT_TLS_HELLO_MAX).
 *   CR_ERR_LIMIT: the first record is longer than NT_TLS_HELLO_MAX, or
 *     than the record size it asks for (a buffer of that size could not
 *     receive it).
 *   CR_ERR_MALFORMED: not a single-record ClientHello as above.
 * *frag and *need are set on every return (NT_TLS_HELLO_FRAG_DEFAULT, and
 * 0 unless truncated), so a caller may use *frag whatever the result.
 */
cr_err nt_tls_hello_frag(const uint8_t *p, size_t n, size_t *frag, size_t *need) CR_MUST_CHECK;

#endif
