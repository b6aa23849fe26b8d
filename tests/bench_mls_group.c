/*
 * bench_mls_group.c: the group state machine (crypto/mls/group.h) in groups
 * of 10, 100, 1000 and 10 000 members: a commit adding one member, processing
 * it, joining by its Welcome (which verifies every leaf), and a 1 KiB
 * application message encrypted and decrypted (./build.sh bench mls_group).
 * Each figure is the median of RUNS runs: the commit is discarded and redone,
 * process and join run on fresh copies (mls_group_deserialize of the state
 * before / the same Welcome).
 *
 * Steady state, not the worst case: a group built by adds from one member
 * has blank or unmerged-laden parents, so a commit encrypts to about every
 * member. Here the group is built by adds in doubling batches ([1,2), [2,4),
 * [4,8)... at most 4096 at a time) and the member at each leaf 2^k (the
 * first leaf of each batch) joins by that batch's Welcome; every such member
 * then commits an empty commit (an UpdatePath), processed by all the others.
 * The subtree [2^k, 2^(k+1)) has its root on leaf 2^k's direct path, so
 * afterwards every copath node of leaf 0 is a populated parent with no
 * unmerged leaves: the commit by leaf 0 encrypts to about log2(n) nodes, as
 * in a group whose members have all committed once. Deterministic rng.
 *
 * The commit and the join are measured twice: with the ratchet tree inside
 * the Welcome's GroupInfo (mls_group_commit, mls_group_join) and with the
 * tree sent apart (mls_group_commit_ex with MLS_COMMIT_TREE_OUT_OF_BAND,
 * mls_group_join_ex given the tree), on the same state. The measured calls
 * go through the commit_in_band / commit_tree_apart / join_* wrappers, so
 * that `valgrind --tool=callgrind --collect-atstart=no
 * --toggle-collect=commit_tree_apart build/bench/bench_mls_group 10000`
 * counts the instructions of exactly those calls (wall time on shared
 * cores is noisy; instruction counts are not).
 */
#include <stdbool.h>
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

#define RUNS 5

/* Not inlined: callgrind's --toggle-collect names them. */
__attribute__((noinline)) static cr_err commit_in_band(mls_group *g, const uint8_t *const *kv, const size_t *lv,
						       const cr_rng *rng, uint8_t **cm, size_t *cl, uint8_t **wm,
						       size_t *wl)
{
	return mls_group_commit(g, kv, lv, 1, NULL, 0, rng, cm, cl, wm, wl);
}

__attribute__((noinline)) static cr_err commit_tree_apart(mls_group *g, const uint8_t *const *kv,
							  const size_t *lv, const cr_rng *rng, uint8_t **cm,
							  size_t *cl, uint8_t **wm, size_t *wl, uint8_t **tr,
							  size_t *tl)
{
	return mls_group_commit_ex(g, kv, lv, 1, NULL, 0, MLS_COMMIT_TREE_OUT_OF_BAND, rng, cm, cl, wm, wl, tr,
				   tl);
}

__attribute__((noinline)) static cr_err join_in_band(mls_group **g, const uint8_t *wm, size_t wl, const kpair *k)
{
	return mls_group_join(g, wm, wl, k->kp, k->len, &k->s, k->seed);
}

__attribute__((noinline)) static cr_err join_tree_apart(mls_group **g, const uint8_t *wm, size_t wl,
							const uint8_t *tr, size_t tl, const kpair *k)
{
	return mls_group_join_ex(g, wm, wl, k->kp, k->len, &k->s, k->seed, tr, tl, NULL, 0);
}

static int cmp_d(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return a < b ? -1 : a > b;
}

static double median(double *v)
{
	qsort(v, RUNS, sizeof *v, cmp_d);
	return v[RUNS / 2];
}

/* Every member of m[0..nm) but the author processes msg. */
static void all_process(mls_group **m, unsigned nm, unsigned author, const uint8_t *msg, size_t len)
{
	mls_processed what;
	for (unsigned i = 0; i < nm; i++) {
		if (i == author)
			continue;
		cr_err e = mls_group_process(m[i], msg, len, &what);
		if (e)
			die("process", e);
	}
}

static void run(unsigned n, const cr_rng *rng)
{
	kpair *k = calloc(n + 2, sizeof *k);
	for (unsigned i = 0; i < n + 2; i++)
		mk(&k[i], (int)i, rng);
	/* m[j] sits at leaf 0 (j = 0) or 2^(j-1). */
	mls_group *m[32] = { 0 }, *c = NULL;
	unsigned nm = 1;
	static const uint8_t gid[] = "bench group";
	cr_err e = mls_group_create(&m[0], gid, sizeof gid - 1, k[0].kp, k[0].len, &k[0].s, k[0].seed, rng);
	if (e)
		die("create", e);
	uint8_t *cm, *wm;
	size_t cl, wl;
	for (unsigned at = 1; at < n;) {
		bool first = (at & (at - 1)) == 0; /* at is a power of two */
		unsigned batch = at > n - at ? n - at : at;
		batch = batch > 4096 ? 4096 : batch;
		const uint8_t **kv = calloc(batch, sizeof *kv);
		size_t *lv = calloc(batch, sizeof *lv);
		for (unsigned j = 0; j < batch; j++) {
			kv[j] = k[at + j].kp;
			lv[j] = k[at + j].len;
		}
		if ((e = mls_group_commit(m[0], kv, lv, batch, NULL, 0, rng, &cm, &cl, &wm, &wl)))
			die("batch commit", e);
		all_process(m, nm, 0, cm, cl);
		if ((e = mls_group_commit_confirm(m[0])))
			die("confirm", e);
		if (first) {
			if ((e = mls_group_join(&m[nm], wm, wl, k[at].kp, k[at].len, &k[at].s, k[at].seed)))
				die("join", e);
			nm++;
		}
		free(cm);
		free(wm);
		free(kv);
		free(lv);
		at += batch;
	}
	for (unsigned j = 1; j < nm; j++) {
		if ((e = mls_group_commit(m[j], NULL, NULL, 0, NULL, 0, rng, &cm, &cl, NULL, NULL)))
			die("update commit", e);
		all_process(m, nm, j, cm, cl);
		if ((e = mls_group_commit_confirm(m[j])))
			die("confirm", e);
		free(cm);
	}
	const uint8_t *kv[1] = { k[n].kp };
	size_t lv[1] = { k[n].len };
	double tc[RUNS], tca[RUNS], tp[RUNS], tj[RUNS], tja[RUNS], te[RUNS], td[RUNS];
	/* The tree apart first, on the same state as the in-band commits. */
	uint8_t *st0, *wa = NULL, *tr = NULL;
	size_t st0l, wal = 0, trl = 0;
	if ((e = mls_group_serialize(m[0], &st0, &st0l)))
		die("serialize", e);
	for (int r = 0; r < RUNS; r++) {
		double t0 = now();
		if ((e = commit_tree_apart(m[0], kv, lv, rng, &cm, &cl, &wa, &wal, &tr, &trl)))
			die("commit, tree apart", e);
		tca[r] = now() - t0;
		mls_group_commit_discard(m[0]);
		free(cm);
		if (r < RUNS - 1) {
			free(wa);
			free(tr);
		}
	}
	size_t wal_apart = wal;
	free(wa);
	free(tr);
	for (int r = 0; r < RUNS; r++) {
		double t0 = now();
		if ((e = commit_in_band(m[0], kv, lv, rng, &cm, &cl, &wm, &wl)))
			die("commit", e);
		tc[r] = now() - t0;
		if (r < RUNS - 1) {
			mls_group_commit_discard(m[0]);
			free(cm);
			free(wm);
		}
	}
	/* The processor: the member at the highest leaf 2^k, whose lowest
	 * common ancestor with leaf 0 is the root, like half of all members
	 * (it derives one path key; leaf 1, the committer's sibling, derives
	 * log2(n), about 0.5 ms more at 10 000), on fresh copies of its state. */
	if (nm < 2)
		die("setup", CR_ERR_STATE);
	uint8_t *st;
	size_t stl;
	if ((e = mls_group_serialize(m[nm - 1], &st, &stl)))
		die("serialize", e);
	for (int r = 0; r < RUNS; r++) {
		mls_group *bc;
		mls_processed what;
		if ((e = mls_group_deserialize(&bc, st, stl)))
			die("deserialize", e);
		double t0 = now();
		if ((e = mls_group_process(bc, cm, cl, &what)))
			die("process", e);
		tp[r] = now() - t0;
		mls_group_free(bc);
	}
	free(st);
	all_process(m, nm, 0, cm, cl);
	if ((e = mls_group_commit_confirm(m[0])))
		die("confirm", e);
	for (int r = 0; r < RUNS; r++) {
		double t0 = now();
		if ((e = join_in_band(&c, wm, wl, &k[n])))
			die("join", e);
		tj[r] = now() - t0;
		if (r < RUNS - 1) {
			mls_group_free(c);
			c = NULL;
		}
	}
	/* Joining with the tree apart: a copy of the committer from before the
	 * commits makes and confirms one such commit; the joiner must reach the
	 * same epoch authenticator. */
	{
		mls_group *g0, *cj = NULL;
		uint8_t *c2, a0[32], a1[32];
		size_t c2l;
		if ((e = mls_group_deserialize(&g0, st0, st0l)))
			die("deserialize", e);
		if ((e = commit_tree_apart(g0, kv, lv, rng, &c2, &c2l, &wa, &wal, &tr, &trl)) ||
		    (e = mls_group_commit_confirm(g0)))
			die("commit, tree apart", e);
		for (int r = 0; r < RUNS; r++) {
			double t0 = now();
			if ((e = join_tree_apart(&cj, wa, wal, tr, trl, &k[n])))
				die("join, tree apart", e);
			tja[r] = now() - t0;
			if (r < RUNS - 1) {
				mls_group_free(cj);
				cj = NULL;
			}
		}
		mls_group_epoch_authenticator(g0, a0);
		mls_group_epoch_authenticator(cj, a1);
		if (memcmp(a0, a1, sizeof a0) != 0)
			die("join, tree apart: epoch authenticator", CR_ERR_STATE);
		mls_group_free(cj);
		mls_group_free(g0);
		free(c2);
		free(wa);
		free(tr);
		free(st0);
	}
	uint8_t msg[1024] = { 0 }, *ct, *pt;
	size_t ctl, ptl;
	uint32_t from;
	for (int r = 0; r < RUNS; r++) {
		double t0 = now();
		if ((e = mls_group_encrypt(m[0], msg, sizeof msg, rng, &ct, &ctl)))
			die("encrypt", e);
		te[r] = now() - t0;
		t0 = now();
		if ((e = mls_group_decrypt(c, ct, ctl, &pt, &ptl, &from)))
			die("decrypt", e);
		td[r] = now() - t0;
		free(ct);
		free(pt);
	}
	printf("| %7u | %13.3f | %13.3f | %12.3f | %12.3f | %12.3f | %13.3f | %13.3f | %9zu | %9zu | %9zu |\n", n,
	       median(tc) * 1e3, median(tca) * 1e3, median(tp) * 1e3, median(tj) * 1e3, median(tja) * 1e3,
	       median(te) * 1e3, median(td) * 1e3, wl, wal_apart, trl);
	fflush(stdout);
	free(cm);
	free(wm);
	for (unsigned j = 0; j < nm; j++)
		mls_group_free(m[j]);
	mls_group_free(c);
	for (unsigned i = 0; i < n + 2; i++) {
		free(k[i].kp);
		mls_kp_secrets_wipe(&k[i].s);
	}
	free(k);
}

int main(int argc, char **argv)
{
	uint8_t seed[32] = { 7 };
	cr_rng_det det;
	cr_rng rng;
	cr_rng_det_init(&det, &rng, seed);
	static const unsigned sizes[] = { 10, 100, 1000, 10000 };
	printf("MLS group, steady state, median of %d runs, milliseconds\n", RUNS);
	printf("| members | commit add 1, tree in GroupInfo | commit add 1, tree apart | process it | join Welcome, "
	       "tree in GroupInfo | join, tree apart | encrypt 1 KiB | decrypt 1 KiB | Welcome bytes, tree in "
	       "GroupInfo | Welcome bytes, tree apart | tree bytes |\n");
	printf("| ------: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
	/* An argument runs that one size (profiling). */
	if (argc > 1) {
		run((unsigned)strtoul(argv[1], NULL, 10), &rng);
		return 0;
	}
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
		run(sizes[i], &rng);
	return 0;
}
