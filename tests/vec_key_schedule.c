/*
 * vec_key_schedule.c: key-schedule.json (RFC 9420 test vectors). For each
 * epoch: the GroupContext encoding (and its decoding), every epoch secret
 * chained from the previous init_secret, the joiner's path from
 * joiner_secret, the external public key, and MLS-Exporter. Suites other
 * than 1 are skipped.
 */
#include <stdlib.h>
#include <string.h>

#include "key_schedule.h"
#include "vec.h"

static bool detect(json_t *root)
{
	static const char *const keys[] = { "cipher_suite", "group_id", "initial_init_secret", "epochs", NULL };
	return vec_mls_has_keys(root, keys);
}

#define FIELD(f) { #f, offsetof(mls_epoch_secrets, f) }
static const struct {
	const char *name;
	size_t off;
} FIELDS[] = {
	FIELD(joiner_secret), FIELD(welcome_secret), FIELD(sender_data_secret), FIELD(encryption_secret),
	FIELD(exporter_secret), FIELD(external_secret), FIELD(confirmation_key), FIELD(membership_key),
	FIELD(resumption_psk), FIELD(epoch_authenticator), FIELD(init_secret),
};

static void check_secrets(json_t *e, const mls_epoch_secrets *s)
{
	for (size_t i = 0; i < sizeof FIELDS / sizeof FIELDS[0]; i++)
		vec_check_hex(e, FIELDS[i].name, (const uint8_t *)s + FIELDS[i].off, MLS_NH);
}

/* Returns false when the chain cannot continue. */
static bool run_epoch(json_t *e, const uint8_t *group_id, size_t gid_len, uint64_t epoch, uint8_t init[MLS_NH])
{
	size_t nth, ncs, nps, ncth;
	uint8_t *th = vec_hex(e, "tree_hash", &nth), *cs = vec_hex(e, "commit_secret", &ncs);
	uint8_t *ps = vec_hex(e, "psk_secret", &nps), *cth = vec_hex(e, "confirmed_transcript_hash", &ncth);
	bool ok = false;
	cr_writer w;
	cr_writer_init_dynamic(&w, 1 << 16);
	if (!th || !cs || !ps || !cth || !CHECK(ncs == MLS_NH && nps == MLS_NH))
		goto out;
	mls_group_context gc = {
		.cipher_suite = MLS_SUITE_ID,
		.group_id = { group_id, gid_len },
		.epoch = epoch,
		.tree_hash = { th, nth },
		.confirmed_transcript_hash = { cth, ncth },
		.extensions = { NULL, 0 },
	};
	mls_group_context_write(&w, &gc);
	if (!CHECK_OK(cr_writer_error(&w)) || !vec_check_hex(e, "group_context", w.p, w.len))
		goto out;
	/* Decoding gives back the same fields; truncation fails cleanly. */
	cr_reader r;
	mls_group_context back;
	cr_reader_init(&r, w.p, w.len);
	if (CHECK_OK(mls_group_context_read(&r, &back)) && CHECK_OK(cr_reader_end(&r)))
		CHECK(back.epoch == epoch && back.group_id.n == gid_len && back.extensions.n == 0 &&
		      !memcmp(back.tree_hash.p, th, nth));
	cr_reader_init(&r, w.p, w.len - 1);
	CHECK_ERR(mls_group_context_read(&r, &back), CR_ERR_TRUNCATED);
	CHECK(r.off == 0);

	mls_epoch_secrets s, j;
	if (!CHECK_OK(mls_key_schedule_from_init(&s, init, cs, ps, w.p, w.len)))
		goto out;
	check_secrets(e, &s);
	if (CHECK_OK(mls_key_schedule_from_joiner(&j, s.joiner_secret, ps, w.p, w.len)))
		CHECK_MEM(&j, &s, sizeof s);
	/* A different psk_secret changes everything after joiner_secret. */
	ps[0] ^= 1;
	if (CHECK_OK(mls_key_schedule_from_joiner(&j, s.joiner_secret, ps, w.p, w.len)))
		CHECK(memcmp(j.epoch_authenticator, s.epoch_authenticator, MLS_NH) != 0);

	uint8_t priv[32], pub[32];
	if (CHECK_OK(mls_external_key_pair(priv, pub, s.external_secret)))
		vec_check_hex(e, "external_pub", pub, sizeof pub);

	json_t *x = json_object_get(e, "exporter");
	size_t nc;
	uint64_t len;
	/* The label is a string (the test-vector format says so), used as its
	 * bytes even though the generator filled it with hex digits. */
	const char *label = vec_str(x, "label");
	uint8_t *ctx = vec_hex(x, "context", &nc);
	if (label && ctx && vec_u64(x, "length", &len) && CHECK(len <= 255 * 32)) {
		uint8_t *out = malloc(len + 1);
		if (CHECK_OK(mls_exporter(out, len, s.exporter_secret, (const uint8_t *)label, strlen(label), ctx, nc)))
			vec_check_hex(x, "secret", out, len);
		free(out);
	}
	free(ctx);
	memcpy(init, s.init_secret, MLS_NH);
	mls_epoch_secrets_wipe(&s);
	mls_epoch_secrets_wipe(&j);
	ok = true;
out:
	cr_writer_free(&w);
	free(th), free(cs), free(ps), free(cth);
	return ok;
}

static void run(json_t *root, const char *path)
{
	(void)path;
	size_t i;
	json_t *c;
	json_array_foreach(root, i, c) {
		json_t *s = json_object_get(c, "cipher_suite");
		if (!json_is_integer(s) || json_integer_value(s) != MLS_SUITE_ID) {
			t_skip("key-schedule #%zu: other cipher suite", i);
			continue;
		}
		t_begin("key-schedule #%zu", i);
		size_t ngid, ninit;
		uint8_t *gid = vec_hex(c, "group_id", &ngid), *init = vec_hex(c, "initial_init_secret", &ninit);
		json_t *epochs = json_object_get(c, "epochs");
		if (gid && init && CHECK(ninit == MLS_NH) && CHECK(json_is_array(epochs) && json_array_size(epochs))) {
			size_t k;
			json_t *e;
			json_array_foreach(epochs, k, e) {
				if (!run_epoch(e, gid, ngid, k, init))
					break;
			}
		}
		free(gid), free(init);
		t_end();
	}
}

const vec_runner vec_key_schedule = { "key-schedule", detect, run };
