/*
 * vec_passive_client.c: the passive-client scenarios of the RFC 9420 test
 * vectors (passive-client-welcome.json and the other passive-client-*
 * files of the same format): join from the Welcome (with the out-of-band
 * ratchet tree and external PSKs when given), compare the epoch
 * authenticator, then for every epoch process its proposals and commit
 * and compare again. Suites other than 1 are skipped.
 */
#include <stdlib.h>
#include <string.h>

#include "group.h"
#include "msg_common.h"
#include "vec.h"

static bool detect(json_t *root)
{
	static const char *const keys[] = { "cipher_suite", "key_package", "signature_priv", "encryption_priv",
					     "init_priv", "welcome", "initial_epoch_authenticator", "epochs", NULL };
	return vec_mls_has_keys(root, keys);
}

static void run_case(json_t *c)
{
	size_t kpl, sl, el, il, wl, rtl = 0;
	uint8_t *kpm = vec_hex(c, "key_package", &kpl), *sig = vec_hex(c, "signature_priv", &sl);
	uint8_t *enc = vec_hex(c, "encryption_priv", &el), *init = vec_hex(c, "init_priv", &il);
	uint8_t *wm = vec_hex(c, "welcome", &wl), *rt = NULL;
	json_t *psks_j = json_object_get(c, "external_psks"), *epochs = json_object_get(c, "epochs");
	size_t n_psks = json_is_array(psks_j) ? json_array_size(psks_j) : 0;
	mls_external_psk *psks = calloc(n_psks + 1, sizeof *psks);
	uint8_t **bufs = calloc(2 * n_psks + 1, sizeof *bufs);
	mls_group *g = NULL;
	mls_kp_secrets kps;
	memset(&kps, 0, sizeof kps);
	if (!kpm || !sig || !enc || !init || !wm || !CHECK(sl == 32 && el == 32 && il == 32) ||
	    !CHECK(json_is_array(epochs)))
		goto out;
	if (!json_is_null(json_object_get(c, "ratchet_tree")) && !(rt = vec_hex(c, "ratchet_tree", &rtl)))
		goto out;
	for (size_t i = 0; i < n_psks; i++) {
		json_t *p = json_array_get(psks_j, i);
		bufs[2 * i] = vec_hex(p, "psk_id", &psks[i].id_len);
		bufs[2 * i + 1] = vec_hex(p, "psk", &psks[i].psk_len);
		if (!bufs[2 * i] || !bufs[2 * i + 1])
			goto out;
		psks[i].id = bufs[2 * i];
		psks[i].psk = bufs[2 * i + 1];
	}
	cr_reader r;
	uint16_t ver, wf;
	cr_span kp;
	cr_reader_init(&r, kpm, kpl);
	if (!CHECK_OK(cr_read_u16(&r, &ver)) || !CHECK_OK(cr_read_u16(&r, &wf)) ||
	    !CHECK(wf == MLS_WIRE_KEY_PACKAGE) || !CHECK_OK(cr_read_span(&r, cr_reader_left(&r), &kp)))
		goto out;
	memcpy(kps.init_priv, init, 32);
	memcpy(kps.enc_priv, enc, 32);
	if (!CHECK_OK(mls_group_join_ex(&g, wm, wl, kp.p, kp.n, &kps, sig, rt, rtl, psks, n_psks)))
		goto out;
	uint8_t ea[MLS_NH];
	mls_group_epoch_authenticator(g, ea);
	if (!vec_check_hex(c, "initial_epoch_authenticator", ea, sizeof ea))
		goto out;
	size_t i;
	json_t *ep;
	json_array_foreach(epochs, i, ep) {
		json_t *props = json_object_get(ep, "proposals");
		size_t j;
		json_t *pj;
		mls_processed what;
		json_array_foreach(props, j, pj) {
			size_t pl;
			uint8_t *pm = t_unhex(json_string_value(pj) ? json_string_value(pj) : "", &pl);
			bool ok = pm && CHECK_OK(mls_group_process(g, pm, pl, &what));
			free(pm);
			if (!ok) {
				t_note("epoch %zu proposal %zu", i, j);
				goto out;
			}
		}
		size_t cl;
		uint8_t *cm = vec_hex(ep, "commit", &cl);
		bool ok = cm && CHECK_OK(mls_group_process(g, cm, cl, &what));
		free(cm);
		if (!ok) {
			t_note("epoch %zu commit", i);
			goto out;
		}
		mls_group_epoch_authenticator(g, ea);
		if (!vec_check_hex(ep, "epoch_authenticator", ea, sizeof ea))
			goto out;
	}
out:
	mls_group_free(g);
	mls_kp_secrets_wipe(&kps);
	for (size_t k = 0; k < 2 * n_psks; k++)
		free(bufs[k]);
	free(bufs);
	free(psks);
	free(kpm);
	free(sig);
	free(enc);
	free(init);
	free(wm);
	free(rt);
}

static void run(json_t *root, const char *path)
{
	(void)path;
	size_t i;
	json_t *c;
	json_array_foreach(root, i, c) {
		json_t *s = json_object_get(c, "cipher_suite");
		if (!json_is_integer(s) || json_integer_value(s) != MLS_SUITE_ID) {
			t_skip("passive client #%zu: other cipher suite", i);
			continue;
		}
		t_begin("passive client #%zu", i);
		run_case(c);
		t_end();
	}
}

const vec_runner vec_passive_client = { "passive_client", detect, run };
