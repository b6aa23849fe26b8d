/*
 * transcript.h: the confirmed and interim transcript hashes and the
 * confirmation tag (RFC 9420 8.2, 6.1), cipher suite 1 (Hash = SHA-256,
 * MAC = HMAC-SHA256, Nh = 32, Ed25519 signatures of 64 bytes).
 *
 *   confirmed_transcript_hash_[n] = Hash(interim_transcript_hash_[n-1] ||
 *       ConfirmedTranscriptHashInput_[n])   -- wire_format || FramedContent || signature<V>
 *   interim_transcript_hash_[n]   = Hash(confirmed_transcript_hash_[n] ||
 *       InterimTranscriptHashInput_[n])     -- confirmation_tag<V>
 *   confirmation_tag = MAC(confirmation_key, confirmed_transcript_hash)
 *
 * A new group starts with an empty interim hash (RFC 9420 8.2: "the
 * zero-length octet string"), so the previous interim hash is given with
 * its length (0 or Nh).
 *
 * An AuthenticatedContent of a commit ends with FramedContentAuthData
 * { signature<V>; confirmation_tag<V> }; for this suite the two have fixed
 * sizes, so mls_transcript_split_commit cuts them off the end, checks both
 * length prefixes and that the header (wire_format, group_id, epoch, sender,
 * authenticated_data) is followed by content_type commit, without parsing
 * the Commit body itself (the message layer does).
 */
#ifndef ECHOVER_MLS_TRANSCRIPT_H
#define ECHOVER_MLS_TRANSCRIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "cr_err.h"
#include "suite.h"

/* AuthenticatedContent of a commit, cut in two (spans borrow from the input):
 * the ConfirmedTranscriptHashInput and the confirmation tag (Nh bytes). */
cr_err mls_transcript_split_commit(const uint8_t *ac, size_t n, cr_span *confirmed_input,
				   cr_span *confirmation_tag) CR_MUST_CHECK;

/* interim_len is 0 (new group) or Nh. */
cr_err mls_confirmed_transcript_hash(uint8_t out[MLS_NH], const uint8_t *interim, size_t interim_len,
				     const uint8_t *confirmed_input, size_t n) CR_MUST_CHECK;
cr_err mls_interim_transcript_hash(uint8_t out[MLS_NH], const uint8_t confirmed[MLS_NH],
				   const uint8_t *confirmation_tag, size_t tag_len) CR_MUST_CHECK;

void mls_confirmation_tag(uint8_t tag[MLS_NH], const uint8_t confirmation_key[MLS_NH],
			  const uint8_t confirmed_transcript_hash[MLS_NH]);
/* Constant-time; CR_ERR_AUTH when the tag does not match. */
cr_err mls_confirmation_tag_verify(const uint8_t *tag, size_t tag_len, const uint8_t confirmation_key[MLS_NH],
				   const uint8_t confirmed_transcript_hash[MLS_NH]) CR_MUST_CHECK;

/* Both hashes of an epoch change from a commit's AuthenticatedContent; when
 * confirmation_key is not NULL, the commit's confirmation tag is verified
 * against the new confirmed hash first (CR_ERR_AUTH, outputs zeroed). */
cr_err mls_transcript_update(uint8_t confirmed_out[MLS_NH], uint8_t interim_out[MLS_NH],
			     const uint8_t *interim_before, size_t interim_len, const uint8_t *ac, size_t n,
			     const uint8_t *confirmation_key) CR_MUST_CHECK;

#endif
