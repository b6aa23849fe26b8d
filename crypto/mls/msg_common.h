/*
 * msg_common.h: pieces shared by the MLS message codecs (crypto/mls/msg_*):
 * protocol constants, validated vectors, extension lists and the
 * PreSharedKeyID of RFC 9420.
 *
 * Conventions of every msg_* codec:
 *   - `cr_err mls_X_read(cr_reader *r, mls_X *out)` reads one X from r and
 *     is strict: unknown enum values where the RFC's select has no default
 *     are CR_ERR_MALFORMED, a length above crypto/mls/limits.h is
 *     CR_ERR_LIMIT, a short input CR_ERR_TRUNCATED. On failure *out is
 *     zeroed and the reader is left where it was.
 *   - `cr_err mls_X_decode(const uint8_t *p, size_t n, mls_X *out)` reads
 *     exactly one X covering all n bytes (trailing bytes: CR_ERR_MALFORMED).
 *   - `void mls_X_write(cr_writer *w, const mls_X *x)` appends X; errors are
 *     sticky in the writer (an invalid struct sets CR_ERR_ARG).
 *   - Zero-copy: byte fields are cr_spans into the decoded buffer, which must
 *     outlive the struct. A vector of structs (proposals, extensions,
 *     secrets, PSK ids) is held as its encoded body plus its item count
 *     (mls_vec): the decoder parses and checks every item once; callers
 *     walk the items again with the matching *_next() function, which can
 *     then not fail on a vector that came out of a decoder. Encoders write
 *     an mls_vec body as it is, so an mls_vec is built by writing the
 *     items into a cr_writer and using its bytes as the body.
 *
 * Decoding followed by encoding reproduces the input byte for byte (the
 * codec rejects non-minimal varints, presence octets other than 0/1 and
 * trailing bytes), which the fuzz harnesses check.
 */
#ifndef ECHOVER_MLS_MSG_COMMON_H
#define ECHOVER_MLS_MSG_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "cr_err.h"
#include "limits.h"

/* RFC 9420 section 6: ProtocolVersion mls10(1). */
#define MLS_VERSION_MLS10 1

/* RFC 9420 section 6: WireFormat. */
enum {
	MLS_WIRE_PUBLIC_MESSAGE = 1,
	MLS_WIRE_PRIVATE_MESSAGE = 2,
	MLS_WIRE_WELCOME = 3,
	MLS_WIRE_GROUP_INFO = 4,
	MLS_WIRE_KEY_PACKAGE = 5,
};

/* A validated vector of encoded items: body is the bytes inside the
 * length prefix, count the number of items the decoder found in it. */
typedef struct mls_vec {
	cr_span body;
	size_t count;
} mls_vec;

/* Reads the length prefix (at most max_bytes body bytes) and sets *sub to
 * the body; the caller parses items from sub and then calls
 * mls_vec_finish. */
cr_err mls_vec_begin(cr_reader *r, size_t max_bytes, cr_reader *sub) CR_MUST_CHECK;
/* Writes an mls_vec (length prefix + body). */
void mls_vec_write(cr_writer *w, const mls_vec *v);
/* Starts a walk over a vector that a decoder produced. */
void mls_vec_iter(const mls_vec *v, cr_reader *it);

/* Appends an opaque<V> that must be at most max bytes (else CR_ERR_ARG in
 * the writer): encoders refuse what decoders would refuse. */
void mls_write_opaque_max(cr_writer *w, cr_span s, size_t max);
/* Marks a writer failed with e (if it has not failed already). */
void mls_writer_fail(cr_writer *w, cr_err e);

/* RFC 9420 section 7.2 / 13: struct { ExtensionType extension_type;
 * opaque extension_data<V>; } Extension. Unknown types are kept (they are
 * GREASE or extensions this build does not use); their meaning is judged
 * by the protocol layer, not here. */
typedef struct mls_extension {
	uint16_t type;
	cr_span data;
} mls_extension;

/* Extension extensions<V>: at most MLS_MAX_EXTENSIONS items. */
cr_err mls_extensions_read(cr_reader *r, mls_vec *out) CR_MUST_CHECK;
/* Checks that body (the content of an extensions<V>) is a list of at most
 * MLS_MAX_EXTENSIONS well-formed Extensions; out gets body and count. */
cr_err mls_extensions_check(cr_span body, mls_vec *out) CR_MUST_CHECK;
/* Next extension of a decoded list; CR_ERR_NOT_FOUND at the end. */
cr_err mls_extensions_next(cr_reader *it, mls_extension *out) CR_MUST_CHECK;
void mls_extension_write(cr_writer *w, const mls_extension *e);

/* RFC 9420 section 8.4: PSKType and ResumptionPSKUsage. */
enum { MLS_PSK_EXTERNAL = 1, MLS_PSK_RESUMPTION = 2 };
enum { MLS_RESUMPTION_APPLICATION = 1, MLS_RESUMPTION_REINIT = 2, MLS_RESUMPTION_BRANCH = 3 };

/* RFC 9420 section 8.4: PreSharedKeyID. For an external PSK only psk_id
 * and psk_nonce are meaningful; for a resumption PSK usage, psk_group_id
 * and psk_epoch. */
typedef struct mls_psk_id {
	uint8_t psktype;
	cr_span psk_id;
	uint8_t usage;
	cr_span psk_group_id;
	uint64_t psk_epoch;
	cr_span psk_nonce;
} mls_psk_id;

cr_err mls_psk_id_read(cr_reader *r, mls_psk_id *out) CR_MUST_CHECK;
void mls_psk_id_write(cr_writer *w, const mls_psk_id *p);
/* PreSharedKeyID psks<V>: at most MLS_MAX_PSKS items. */
cr_err mls_psk_ids_read(cr_reader *r, mls_vec *out) CR_MUST_CHECK;
cr_err mls_psk_ids_next(cr_reader *it, mls_psk_id *out) CR_MUST_CHECK;

#endif
