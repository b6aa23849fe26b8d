/*
 * msg_welcome.h: Welcome, EncryptedGroupSecrets and GroupSecrets (RFC 9420
 * section 12.4.3.1), syntax only.
 *
 *   struct { CipherSuite cipher_suite; EncryptedGroupSecrets secrets<V>;
 *            opaque encrypted_group_info<V>; } Welcome;
 *   struct { KeyPackageRef new_member; HPKECiphertext encrypted_group_secrets; }
 *            EncryptedGroupSecrets;
 *   struct { opaque kem_output<V>; opaque ciphertext<V>; } HPKECiphertext;
 *   struct { opaque joiner_secret<V>; optional<PathSecret> path_secret;
 *            PreSharedKeyID psks<V>; } GroupSecrets;
 *   struct { opaque path_secret<V>; } PathSecret;
 *
 * The cipher suite is read as any uint16 (the Welcome names it so that the
 * receiver can refuse it); checking it is the joiner's job. GroupSecrets is
 * plaintext that holds secrets: its spans point into the caller's decrypted
 * buffer, which the caller wipes.
 * Conventions (read/decode/write, spans, mls_vec): see msg_common.h.
 */
#ifndef ECHOVER_MLS_MSG_WELCOME_H
#define ECHOVER_MLS_MSG_WELCOME_H

#include "msg_common.h"

typedef struct mls_encrypted_group_secrets {
	cr_span new_member;    /* KeyPackageRef, at most MLS_MAX_HASH bytes */
	cr_span kem_output;    /* at most MLS_MAX_HPKE_KEY bytes */
	cr_span ciphertext;    /* HPKE ciphertext of a GroupSecrets */
} mls_encrypted_group_secrets;

typedef struct mls_welcome {
	uint16_t cipher_suite;
	mls_vec secrets;       /* EncryptedGroupSecrets, 1 .. MLS_MAX_WELCOME_SECRETS */
	cr_span encrypted_group_info;
} mls_welcome;

typedef struct mls_group_secrets {
	cr_span joiner_secret;
	bool has_path_secret;
	cr_span path_secret;
	mls_vec psks;          /* PreSharedKeyID, at most MLS_MAX_PSKS */
} mls_group_secrets;

cr_err mls_encrypted_group_secrets_read(cr_reader *r, mls_encrypted_group_secrets *out) CR_MUST_CHECK;
void mls_encrypted_group_secrets_write(cr_writer *w, const mls_encrypted_group_secrets *s);

/* A Welcome with no EncryptedGroupSecrets welcomes nobody: refused as
 * CR_ERR_MALFORMED. */
cr_err mls_welcome_read(cr_reader *r, mls_welcome *out) CR_MUST_CHECK;
cr_err mls_welcome_decode(const uint8_t *p, size_t n, mls_welcome *out) CR_MUST_CHECK;
void mls_welcome_write(cr_writer *w, const mls_welcome *wl);
/* Next EncryptedGroupSecrets of a decoded Welcome; CR_ERR_NOT_FOUND at the end. */
cr_err mls_welcome_secrets_next(cr_reader *it, mls_encrypted_group_secrets *out) CR_MUST_CHECK;
/* The EncryptedGroupSecrets whose new_member equals ref (RFC 9420 section
 * 12.4.3.1: "identify an entry in the secrets array where the new_member
 * value corresponds to one of this client's KeyPackages");
 * CR_ERR_NOT_FOUND if none does. */
cr_err mls_welcome_find(const mls_welcome *wl, const uint8_t *ref, size_t ref_len,
	mls_encrypted_group_secrets *out) CR_MUST_CHECK;

cr_err mls_group_secrets_read(cr_reader *r, mls_group_secrets *out) CR_MUST_CHECK;
cr_err mls_group_secrets_decode(const uint8_t *p, size_t n, mls_group_secrets *out) CR_MUST_CHECK;
void mls_group_secrets_write(cr_writer *w, const mls_group_secrets *g);

#endif
