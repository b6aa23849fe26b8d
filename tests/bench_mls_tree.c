/*
 * bench_mls_tree.c: ratchet tree and TreeKEM costs for a group of 10,000
 * members (./build.sh bench mls_tree).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ed25519.h"
#include "hpke.h"
#include "tree.h"
#include "treekem.h"

#define N 10000

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const uint8_t one[] = { 0, 1 };
static const uint8_t gid[] = "bench group";

static int fail(const char *what, cr_err e)
{
	fprintf(stderr, "bench_mls_tree: %s: %s\n", what, cr_err_str(e));
	return 1;
}

#define TRY(what, expr) \
	do { \
		cr_err e_ = (expr); \
		if (e_) \
			return fail(what, e_); \
	} while (0)

int main(void)
{
	TRY("init", cr_init());
	static uint8_t seeds[N][32];
	static mls_tree_priv privs[N];
	mls_leaf_node *leaves = calloc(N, sizeof *leaves);
	if (!leaves)
		return 1;
	double t0 = now();
	for (uint32_t i = 0; i < N; i++) {
		mls_leaf_fields f;
		memset(&f, 0, sizeof f);
		memcpy(seeds[i], &i, sizeof i);
		seeds[i][31] = 0xaa;
		uint8_t ikm[32];
		memcpy(ikm, seeds[i], 32);
		ikm[30] = 0x55;
		privs[i].leaf = i;
		TRY("ed25519", cr_ed25519_public(f.signature_key, seeds[i]));
		TRY("keypair", mls_hpke_derive_keypair(privs[i].leaf_priv, f.encryption_key, ikm, 32));
		f.credential_type = MLS_CRED_BASIC;
		f.credential = (cr_span){ (const uint8_t *)"member", 6 };
		f.caps.versions = f.caps.cipher_suites = f.caps.credentials = (cr_span){ one, 2 };
		f.source = MLS_SRC_KEY_PACKAGE;
		f.not_after = UINT64_MAX;
		TRY("sign", mls_leaf_sign(&f, seeds[i], NULL, 0, 0, &leaves[i]));
	}
	double t1 = now();
	printf("%-44s %10.3f ms\n", "make 10000 signed leaves (not tree cost)", (t1 - t0) * 1e3);

	mls_tree t = { 0 };
	t0 = now();
	TRY("create", mls_tree_create(&t, &leaves[0]));
	for (uint32_t i = 1; i < N; i++) {
		uint32_t idx;
		TRY("add", mls_tree_add_leaf(&t, &leaves[i], &idx));
	}
	t1 = now();
	printf("%-44s %10.3f ms\n", "9999 adds", (t1 - t0) * 1e3);
	uint8_t h[MLS_HASH_LEN];
	t0 = now();
	TRY("hash", mls_tree_root_hash(&t, h));
	printf("%-44s %10.3f ms\n", "root tree hash from scratch", (now() - t0) * 1e3);

	cr_rng rng;
	cr_rng_det det;
	uint8_t s[32] = { 9 };
	cr_rng_det_init(&det, &rng, s);
	const uint8_t ctx[] = "group context";
	mls_treekem_secrets sec;
	mls_update_path up;
	mls_leaf_fields tmpl;
	mls_leaf_fields_of(&leaves[0], &tmpl);
	t0 = now();
	TRY("treekem create", mls_treekem_create(&t, 0, &tmpl, seeds[0], gid, sizeof gid, &rng, &privs[0], &sec));
	TRY("hash", mls_tree_root_hash(&t, h));
	TRY("treekem encrypt", mls_treekem_encrypt(&t, 0, &sec, NULL, 0, ctx, sizeof ctx, &rng, &up));
	t1 = now();
	size_t cts = 0;
	for (uint32_t k = 0; k < up.n_nodes; k++)
		cts += up.nodes[k].n_cts;
	printf("%-44s %10.3f ms (%zu ciphertexts)\n", "first commit with path (leaf 0)", (t1 - t0) * 1e3, cts);
	for (uint32_t j = 1; j < N; j++) {
		uint8_t cs[32];
		TRY("decrypt", mls_treekem_decrypt(&t, 0, &up, NULL, 0, ctx, sizeof ctx, &privs[j], NULL, cs));
	}
	printf("%-44s %10.3f ms\n", "  every member decrypts it (9999)", (now() - t1) * 1e3);
	mls_update_path_free(&up);
	mls_treekem_secrets_wipe(&sec);

	/* Commits from spread leaves to populate the tree. */
	for (uint32_t k = 1; k < 64; k++) {
		uint32_t me = (uint32_t)((uint64_t)k * N / 64);
		mls_leaf_fields_of(mls_tree_leaf(&t, me), &tmpl);
		mls_leaf_node keep;
		TRY("copy", mls_leaf_copy(&keep, mls_tree_leaf(&t, me)));
		mls_leaf_fields_of(&keep, &tmpl);
		TRY("create", mls_treekem_create(&t, me, &tmpl, seeds[me], gid, sizeof gid, &rng, &privs[me], &sec));
		mls_leaf_free(&keep);
		mls_treekem_secrets_wipe(&sec);
	}

	cr_writer w;
	cr_writer_init_dynamic(&w, MLS_TREE_MAX_ENC);
	t0 = now();
	mls_tree_encode(&w, &t);
	TRY("encode", cr_writer_error(&w));
	t1 = now();
	printf("%-44s %10.3f ms (%zu bytes)\n", "encode ratchet_tree", (t1 - t0) * 1e3, w.len);
	mls_tree d = { 0 };
	t0 = now();
	TRY("decode", mls_tree_decode(w.p, w.len, &d));
	t1 = now();
	printf("%-44s %10.3f ms\n", "decode ratchet_tree", (t1 - t0) * 1e3);
	cr_writer_free(&w);
	t0 = now();
	TRY("hash", mls_tree_root_hash(&d, h));
	t1 = now();
	printf("%-44s %10.3f ms\n", "root hash of decoded tree", (t1 - t0) * 1e3);
	TRY("structure", mls_tree_check_structure(&d));
	double t2 = now();
	printf("%-44s %10.3f ms\n", "structure + key uniqueness", (t2 - t1) * 1e3);
	TRY("parent hashes", mls_tree_verify_parent_hashes(&d));
	double t3 = now();
	printf("%-44s %10.3f ms\n", "parent hash verification", (t3 - t2) * 1e3);
	TRY("leaves", mls_tree_verify_leaves(&d, gid, sizeof gid));
	printf("%-44s %10.3f ms\n", "leaf signatures (10000)", (now() - t3) * 1e3);

	t0 = now();
	TRY("update", mls_tree_update_leaf(&d, 5000, &leaves[5000]));
	TRY("hash", mls_tree_root_hash(&d, h));
	printf("%-44s %10.3f ms\n", "update leaf + incremental root hash", (now() - t0) * 1e3);
	t0 = now();
	TRY("remove", mls_tree_remove_leaf(&d, 7777));
	TRY("hash", mls_tree_root_hash(&d, h));
	printf("%-44s %10.3f ms\n", "remove leaf + incremental root hash", (now() - t0) * 1e3);
	t0 = now();
	uint32_t idx;
	TRY("add", mls_tree_add_leaf(&d, &leaves[7777], &idx));
	TRY("hash", mls_tree_root_hash(&d, h));
	printf("%-44s %10.3f ms\n", "add leaf + incremental root hash", (now() - t0) * 1e3);

	mls_leaf_node keep;
	TRY("copy", mls_leaf_copy(&keep, mls_tree_leaf(&t, 4321)));
	mls_leaf_fields_of(&keep, &tmpl);
	t0 = now();
	TRY("create", mls_treekem_create(&t, 4321, &tmpl, seeds[4321], gid, sizeof gid, &rng, &privs[4321], &sec));
	TRY("hash", mls_tree_root_hash(&t, h));
	TRY("encrypt", mls_treekem_encrypt(&t, 4321, &sec, NULL, 0, ctx, sizeof ctx, &rng, &up));
	t1 = now();
	cts = 0;
	for (uint32_t k = 0; k < up.n_nodes; k++)
		cts += up.nodes[k].n_cts;
	printf("%-44s %10.3f ms (%zu ciphertexts)\n", "later commit with path (leaf 4321)", (t1 - t0) * 1e3, cts);
	mls_tree m = { 0 };
	TRY("copy", mls_tree_copy(&m, &d));
	mls_leaf_free(&keep);
	mls_update_path_free(&up);
	mls_treekem_secrets_wipe(&sec);
	mls_tree_free(&m);
	mls_tree_free(&d);
	mls_tree_free(&t);
	for (uint32_t i = 0; i < N; i++)
		mls_leaf_free(&leaves[i]);
	free(leaves);
	return 0;
}
