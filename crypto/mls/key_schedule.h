/*
 * key_schedule.h: the GroupContext and the epoch key schedule of MLS
 * (RFC 9420 8, 8.1, 8.5, 8.6, 12.4.3.1), cipher suite 1 only.
 *
 *   init_secret_[n-1] --Extract(ikm = commit_secret)--> ExpandWithLabel(., "joiner", GroupContext_[n], Nh)
 *     = joiner_secret --Extract(ikm = psk_secret)--> member_prk
 *   welcome_secret = DeriveSecret(member_prk, "welcome")
 *   epoch_secret   = ExpandWithLabel(member_prk, "epoch", GroupContext_[n], Nh)
 *   DeriveSecret(epoch_secret, "sender data" | "encryption" | "exporter" |
 *     "external" | "confirm" | "membership" | "resumption" | "authentication" | "init")
 *
 * A missing commit_secret or psk_secret is Nh zero bytes (RFC 9420 8, 8.4);
 * pass NULL for either. epoch_secret itself is an intermediate: it is wiped
 * before the call returns. The caller owns mls_epoch_secrets and wipes it
 * (mls_epoch_secrets_wipe) once the epoch is over; joiner_secret and
 * welcome_secret are needed only while a Welcome is built or read.
 *
 * GroupContext (RFC 9420 8.1): encoded with the codec; the extensions are
 * given as the already-encoded content of the extensions<V> vector (the
 * message layer owns the Extension encoding). Limits on decode: group_id at
 * most MLS_GROUP_ID_MAX bytes, hashes exactly Nh bytes, extensions at most
 * MLS_GC_EXTENSIONS_MAX bytes; version must be mls10 (1) and the suite 1.
 */
#ifndef ECHOVER_MLS_KEY_SCHEDULE_H
#define ECHOVER_MLS_KEY_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "cr_err.h"
#include "suite.h"

#define MLS_PROTOCOL_VERSION_MLS10 1
#define MLS_GROUP_ID_MAX 256
#define MLS_GC_EXTENSIONS_MAX 65536

/* A GroupContext with borrowed byte ranges (nothing here is secret). */
typedef struct mls_group_context {
	uint16_t cipher_suite;
	cr_span group_id;
	uint64_t epoch;
	cr_span tree_hash;
	cr_span confirmed_transcript_hash;
	cr_span extensions; /* content of Extension extensions<V>, without the length */
} mls_group_context;

/* Appends the GroupContext encoding to w (sticky writer: check it at the end). */
void mls_group_context_write(cr_writer *w, const mls_group_context *gc);
/* Reads one GroupContext; spans borrow from r's buffer. */
cr_err mls_group_context_read(cr_reader *r, mls_group_context *gc) CR_MUST_CHECK;

typedef struct mls_epoch_secrets {
	uint8_t joiner_secret[MLS_NH];
	uint8_t welcome_secret[MLS_NH];
	uint8_t sender_data_secret[MLS_NH];
	uint8_t encryption_secret[MLS_NH];
	uint8_t exporter_secret[MLS_NH];
	uint8_t external_secret[MLS_NH];
	uint8_t confirmation_key[MLS_NH];
	uint8_t membership_key[MLS_NH];
	uint8_t resumption_psk[MLS_NH];
	uint8_t epoch_authenticator[MLS_NH];
	uint8_t init_secret[MLS_NH]; /* the next epoch's init_secret */
} mls_epoch_secrets;

/* A member's schedule: from the previous epoch's init_secret (or a fresh
 * random one for a new group, or the external init secret), commit_secret
 * and psk_secret (NULL: zeros) and the new epoch's encoded GroupContext. */
cr_err mls_key_schedule_from_init(mls_epoch_secrets *out, const uint8_t init_secret[MLS_NH],
				  const uint8_t *commit_secret, const uint8_t *psk_secret,
				  const uint8_t *group_context, size_t gc_len) CR_MUST_CHECK;
/* A joiner's schedule: from the joiner_secret of a Welcome's GroupSecrets. */
cr_err mls_key_schedule_from_joiner(mls_epoch_secrets *out, const uint8_t joiner_secret[MLS_NH],
				    const uint8_t *psk_secret, const uint8_t *group_context,
				    size_t gc_len) CR_MUST_CHECK;
void mls_epoch_secrets_wipe(mls_epoch_secrets *s);

/* welcome_key = ExpandWithLabel(welcome_secret, "key", "", Nk),
 * welcome_nonce = ExpandWithLabel(welcome_secret, "nonce", "", Nn) (RFC 9420 12.4.3.1). */
cr_err mls_welcome_key_nonce(uint8_t key[MLS_NK], uint8_t nonce[MLS_NN],
			     const uint8_t welcome_secret[MLS_NH]) CR_MUST_CHECK;

/* The external key pair: KEM.DeriveKeyPair(external_secret) (RFC 9420 8.6). */
cr_err mls_external_key_pair(uint8_t priv[MLS_HPKE_KEY_LEN], uint8_t pub[MLS_HPKE_KEY_LEN],
			     const uint8_t external_secret[MLS_NH]) CR_MUST_CHECK;

/* MLS-Exporter(label, context, length) = ExpandWithLabel(DeriveSecret(
 * exporter_secret, label), "exported", Hash(context), length) (RFC 9420 8.5).
 * label: at most MLS_LABEL_MAX bytes, any bytes. */
cr_err mls_exporter(uint8_t *out, size_t out_len, const uint8_t exporter_secret[MLS_NH], const uint8_t *label,
		    size_t label_len, const uint8_t *context, size_t context_len) CR_MUST_CHECK;

#endif
