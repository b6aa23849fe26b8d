/*
 * bench_mls_group.c: the group state machine (crypto/mls/group.h) in groups
 * of 10, 100 and 1000 members: a commit adding one member, processing it,
 * joining by its Welcome, and a 1 KiB application message encrypted and
 * decrypted (./build.sh bench mls_group). The group is built by batch adds
 * from one member, so nobody else has committed yet: most parent nodes hold
 * unmerged leaves and a commit encrypts to about every member (the worst
 * case of TreeKEM, not its steady state). Groups above MLS_MAX_MEMBERS
 * (4096) cannot be joined: their Welcome exceeds the 1 MiB message limit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ed25519.h"
#include "group.h"
#include "rng.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct kpair {
	uint8_t seed[32];
	uint8_t *kp;
	size_t len;
	mls_kp_secrets s;
} kpair;

static int die(const char *what, cr_err e)
{
	fprintf(stderr, "bench_mls_group: %s: %s\n", what, cr_err_str(e));
	exit(1);
}

static void mk(kpair *k, int i, const cr_rng *rng)
{
	uint8_t pub[32];
	char name[32];
	snprintf(name, sizeof name, "member%d", i);
	cr_err e = cr_ed25519_keygen(k->seed, pub, rng);
	if (!e)
		e = mls_keypackage_create(k->seed, (const uint8_t *)name, strlen(name), 0, UINT64_MAX, rng, &k->kp,
					  &k->len, &k->s);
	if (e)
		die("key package", e);
}

static void run(unsigned n, const cr_rng *rng)
{
	kpair *k = calloc(n + 2, sizeof *k);
	for (unsigned i = 0; i < n + 2; i++)
		mk(&k[i], (int)i, rng);
	mls_group *a = NULL, *b = NULL, *c = NULL;
	static const uint8_t gid[] = "bench group";
	cr_err e = mls_group_create(&a, gid, sizeof gid - 1, k[0].kp, k[0].len, &k[0].s, k[0].seed, rng);
	if (e)
		die("create", e);
	uint8_t *cm, *wm;
	size_t cl, wl;
	mls_processed what;
	/* Member 1 joins first, then the others in batches it processes. */
	for (unsigned at = 1; at < n;) {
		unsigned batch = at == 1 ? 1 : (n - at > 1000 ? 1000 : n - at);
		const uint8_t **kv = calloc(batch, sizeof *kv);
		size_t *lv = calloc(batch, sizeof *lv);
		for (unsigned j = 0; j < batch; j++) {
			kv[j] = k[at + j].kp;
			lv[j] = k[at + j].len;
		}
		if ((e = mls_group_commit(a, kv, lv, batch, NULL, 0, rng, &cm, &cl, &wm, &wl)))
			die("batch commit", e);
		if (at == 1) {
			if ((e = mls_group_join(&b, wm, wl, k[1].kp, k[1].len, &k[1].s, k[1].seed)))
				die("join", e);
		} else if ((e = mls_group_process(b, cm, cl, &what))) {
			die("process batch", e);
		}
		if ((e = mls_group_commit_confirm(a)))
			die("confirm", e);
		free(cm);
		free(wm);
		free(kv);
		free(lv);
		at += batch;
	}
	const uint8_t *kv[1] = { k[n].kp };
	size_t lv[1] = { k[n].len };
	double best = 1e9;
	for (int r = 0; r < 5; r++) {
		double t0 = now();
		if ((e = mls_group_commit(a, kv, lv, 1, NULL, 0, rng, &cm, &cl, &wm, &wl)))
			die("commit", e);
		double t = now() - t0;
		best = t < best ? t : best;
		if (r < 4) {
			mls_group_commit_discard(a);
			free(cm);
			free(wm);
		}
	}
	double t0 = now();
	if ((e = mls_group_process(b, cm, cl, &what)))
		die("process", e);
	double tp = now() - t0;
	if ((e = mls_group_commit_confirm(a)))
		die("confirm", e);
	t0 = now();
	if ((e = mls_group_join(&c, wm, wl, k[n].kp, k[n].len, &k[n].s, k[n].seed)))
		die("join", e);
	double tj = now() - t0;
	uint8_t msg[1024] = { 0 }, *ct, *pt;
	size_t ctl, ptl;
	uint32_t from;
	t0 = now();
	if ((e = mls_group_encrypt(a, msg, sizeof msg, rng, &ct, &ctl)))
		die("encrypt", e);
	double te = now() - t0;
	t0 = now();
	if ((e = mls_group_decrypt(b, ct, ctl, &pt, &ptl, &from)))
		die("decrypt", e);
	double td = now() - t0;
	printf("%6u members: commit+1 %8.3f ms  process %8.3f ms  join %8.3f ms  enc 1KiB %6.3f ms  dec %6.3f ms"
	       "  (commit %zu B, welcome %zu B)\n",
	       n, best * 1e3, tp * 1e3, tj * 1e3, te * 1e3, td * 1e3, cl, wl);
	free(cm);
	free(wm);
	free(ct);
	free(pt);
	mls_group_free(a);
	mls_group_free(b);
	mls_group_free(c);
	for (unsigned i = 0; i < n + 2; i++) {
		free(k[i].kp);
		mls_kp_secrets_wipe(&k[i].s);
	}
	free(k);
}

int main(void)
{
	uint8_t seed[32] = { 7 };
	cr_rng_det det;
	cr_rng rng;
	cr_rng_det_init(&det, &rng, seed);
	static const unsigned sizes[] = { 10, 100, 1000 };
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
		run(sizes[i], &rng);
	return 0;
}
