/*
 * vec_psk_secret.c: psk_secret.json (RFC 9420 test vectors): psk_secret over
 * external PSKs with the given ids and nonces; each PreSharedKeyID also
 * round-trips through the codec. Suites other than 1 are skipped.
 */
#include <stdlib.h>
#include <string.h>

#include "psk.h"
#include "vec.h"

static bool detect(json_t *root)
{
	static const char *const keys[] = { "cipher_suite", "psks", "psk_secret", NULL };
	return vec_mls_has_keys(root, keys);
}

static void run_case(json_t *c)
{
	json_t *arr = json_object_get(c, "psks");
	if (!CHECK(json_is_array(arr)))
		return;
	size_t n = json_array_size(arr), i;
	mls_psk *psks = calloc(n + 1, sizeof *psks);
	uint8_t **bufs = calloc(3 * n + 1, sizeof *bufs);
	bool ok = true;
	json_t *p;
	json_array_foreach(arr, i, p) {
		size_t a, b, d;
		bufs[3 * i] = vec_hex(p, "psk_id", &a);
		bufs[3 * i + 1] = vec_hex(p, "psk", &b);
		bufs[3 * i + 2] = vec_hex(p, "psk_nonce", &d);
		if (!bufs[3 * i] || !bufs[3 * i + 1] || !bufs[3 * i + 2]) {
			ok = false;
			continue;
		}
		psks[i].id = (mls_psk_id){ .psktype = MLS_PSK_EXTERNAL, .psk_id = { bufs[3 * i], a },
					   .psk_nonce = { bufs[3 * i + 2], d } };
		psks[i].psk = bufs[3 * i + 1];
		psks[i].psk_len = b;
		/* The id encodes and decodes to itself. */
		uint8_t enc[1024];
		cr_writer w;
		cr_writer_init_fixed(&w, enc, sizeof enc);
		mls_psk_id_write(&w, &psks[i].id);
		cr_reader r;
		mls_psk_id back;
		if (CHECK_OK(cr_writer_error(&w))) {
			cr_reader_init(&r, enc, w.len);
			if (CHECK_OK(mls_psk_id_read(&r, &back)) && CHECK_OK(cr_reader_end(&r)))
				CHECK(back.psk_id.n == a && !memcmp(back.psk_id.p, bufs[3 * i], a));
		}
	}
	uint8_t out[MLS_NH];
	if (ok && CHECK_OK(mls_psk_secret(out, psks, n))) {
		vec_check_hex(c, "psk_secret", out, sizeof out);
		/* Order matters: the reversed list gives another secret. */
		if (n > 1) {
			mls_psk t = psks[0];
			psks[0] = psks[n - 1];
			psks[n - 1] = t;
			uint8_t other[MLS_NH];
			if (CHECK_OK(mls_psk_secret(other, psks, n)))
				CHECK(memcmp(other, out, MLS_NH) != 0);
		}
	}
	for (i = 0; i < 3 * n; i++)
		free(bufs[i]);
	free(bufs);
	free(psks);
}

static void run(json_t *root, const char *path)
{
	(void)path;
	vec_each_suite1_case(root, "psk_secret", run_case);
}

const vec_runner vec_psk_secret = { "psk_secret", detect, run };
