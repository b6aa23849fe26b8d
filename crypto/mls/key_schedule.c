#include "key_schedule.h"

#include "hash.h"
#include "hpke.h"
#include "wipe.h"

void mls_group_context_write(cr_writer *w, const mls_group_context *gc)
{
	cr_write_u16(w, MLS_PROTOCOL_VERSION_MLS10);
	cr_write_u16(w, gc->cipher_suite);
	cr_write_opaque(w, gc->group_id.p, gc->group_id.n);
	cr_write_u64(w, gc->epoch);
	cr_write_opaque(w, gc->tree_hash.p, gc->tree_hash.n);
	cr_write_opaque(w, gc->confirmed_transcript_hash.p, gc->confirmed_transcript_hash.n);
	cr_write_opaque(w, gc->extensions.p, gc->extensions.n);
}

cr_err mls_group_context_read(cr_reader *r, mls_group_context *gc)
{
	cr_reader save = *r;
	uint16_t version;
	cr_err err;
	CR_CHECK(cr_read_u16(r, &version));
	CR_CHECK(version == MLS_PROTOCOL_VERSION_MLS10 ? CR_OK : CR_ERR_UNSUPPORTED);
	CR_CHECK(cr_read_u16(r, &gc->cipher_suite));
	CR_CHECK(gc->cipher_suite == MLS_SUITE_ID ? CR_OK : CR_ERR_UNSUPPORTED);
	CR_CHECK(cr_read_opaque(r, MLS_GROUP_ID_MAX, &gc->group_id));
	CR_CHECK(cr_read_u64(r, &gc->epoch));
	CR_CHECK(cr_read_opaque(r, MLS_NH, &gc->tree_hash));
	CR_CHECK(gc->tree_hash.n == MLS_NH ? CR_OK : CR_ERR_MALFORMED);
	CR_CHECK(cr_read_opaque(r, MLS_NH, &gc->confirmed_transcript_hash));
	CR_CHECK(gc->confirmed_transcript_hash.n == MLS_NH ? CR_OK : CR_ERR_MALFORMED);
	CR_CHECK(cr_read_opaque(r, MLS_GC_EXTENSIONS_MAX, &gc->extensions));
out:
	if (err)
		*r = save; /* a failed read leaves the cursor where it was */
	return err;
}

static const uint8_t ZERO[MLS_NH];

/* From joiner_secret on: the part a joiner and a member share. */
static cr_err from_joiner(mls_epoch_secrets *out, const uint8_t *psk_secret, const uint8_t *gc, size_t gc_len)
{
	static const struct {
		const char *label;
		size_t off;
	} derived[] = {
		{ "sender data", offsetof(mls_epoch_secrets, sender_data_secret) },
		{ "encryption", offsetof(mls_epoch_secrets, encryption_secret) },
		{ "exporter", offsetof(mls_epoch_secrets, exporter_secret) },
		{ "external", offsetof(mls_epoch_secrets, external_secret) },
		{ "confirm", offsetof(mls_epoch_secrets, confirmation_key) },
		{ "membership", offsetof(mls_epoch_secrets, membership_key) },
		{ "resumption", offsetof(mls_epoch_secrets, resumption_psk) },
		{ "authentication", offsetof(mls_epoch_secrets, epoch_authenticator) },
		{ "init", offsetof(mls_epoch_secrets, init_secret) },
	};
	uint8_t member_prk[MLS_NH], epoch_secret[MLS_NH];
	cr_err err;
	cr_hkdf_extract(member_prk, out->joiner_secret, MLS_NH, psk_secret ? psk_secret : ZERO, MLS_NH);
	CR_CHECK(mls_derive_secret(out->welcome_secret, member_prk, MLS_NH, "welcome"));
	CR_CHECK(mls_expand_with_label(epoch_secret, MLS_NH, member_prk, MLS_NH, "epoch", gc, gc_len));
	for (size_t i = 0; i < sizeof derived / sizeof derived[0]; i++)
		CR_CHECK(mls_derive_secret((uint8_t *)out + derived[i].off, epoch_secret, MLS_NH, derived[i].label));
out:
	cr_wipe(member_prk, sizeof member_prk);
	cr_wipe(epoch_secret, sizeof epoch_secret);
	if (err)
		mls_epoch_secrets_wipe(out);
	return err;
}

cr_err mls_key_schedule_from_init(mls_epoch_secrets *out, const uint8_t init_secret[MLS_NH],
				  const uint8_t *commit_secret, const uint8_t *psk_secret,
				  const uint8_t *group_context, size_t gc_len)
{
	uint8_t prk[MLS_NH];
	cr_err err;
	cr_hkdf_extract(prk, init_secret, MLS_NH, commit_secret ? commit_secret : ZERO, MLS_NH);
	CR_CHECK(mls_expand_with_label(out->joiner_secret, MLS_NH, prk, MLS_NH, "joiner", group_context, gc_len));
	CR_CHECK(from_joiner(out, psk_secret, group_context, gc_len));
out:
	cr_wipe(prk, sizeof prk);
	if (err)
		mls_epoch_secrets_wipe(out);
	return err;
}

cr_err mls_key_schedule_from_joiner(mls_epoch_secrets *out, const uint8_t joiner_secret[MLS_NH],
				    const uint8_t *psk_secret, const uint8_t *group_context, size_t gc_len)
{
	for (size_t i = 0; i < MLS_NH; i++)
		out->joiner_secret[i] = joiner_secret[i];
	return from_joiner(out, psk_secret, group_context, gc_len);
}

void mls_epoch_secrets_wipe(mls_epoch_secrets *s)
{
	cr_wipe(s, sizeof *s);
}

cr_err mls_welcome_key_nonce(uint8_t key[MLS_NK], uint8_t nonce[MLS_NN], const uint8_t welcome_secret[MLS_NH])
{
	cr_err err;
	CR_CHECK(mls_expand_with_label(key, MLS_NK, welcome_secret, MLS_NH, "key", NULL, 0));
	CR_CHECK(mls_expand_with_label(nonce, MLS_NN, welcome_secret, MLS_NH, "nonce", NULL, 0));
out:
	if (err) {
		cr_wipe(key, MLS_NK);
		cr_wipe(nonce, MLS_NN);
	}
	return err;
}

cr_err mls_external_key_pair(uint8_t priv[MLS_HPKE_KEY_LEN], uint8_t pub[MLS_HPKE_KEY_LEN],
			     const uint8_t external_secret[MLS_NH])
{
	return mls_hpke_derive_keypair(priv, pub, external_secret, MLS_NH);
}

cr_err mls_exporter(uint8_t *out, size_t out_len, const uint8_t exporter_secret[MLS_NH], const uint8_t *label,
		    size_t label_len, const uint8_t *context, size_t context_len)
{
	uint8_t derived[MLS_NH], ctx_hash[MLS_NH];
	cr_err err;
	/* DeriveSecret with a byte label: ExpandWithLabel(secret, label, "", Nh). */
	CR_CHECK(mls_expand_with_label_n(derived, MLS_NH, exporter_secret, MLS_NH, label, label_len, NULL, 0));
	mls_hash(ctx_hash, context, context_len);
	CR_CHECK(mls_expand_with_label(out, out_len, derived, MLS_NH, "exported", ctx_hash, MLS_NH));
out:
	cr_wipe(derived, sizeof derived);
	if (err)
		cr_wipe(out, out_len);
	return err;
}
