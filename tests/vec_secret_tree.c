/*
 * vec_secret_tree.c: secret-tree.json (RFC 9420 test vectors): sender-data
 * key and nonce, and for every leaf and listed generation the handshake and
 * application keys and nonces, read as a receiver (jumping ahead) and as a
 * sender (stepping), plus the refusal to hand out a consumed generation.
 */
#include <stdlib.h>
#include <string.h>

#include "secret_tree.h"
#include "vec.h"

static bool detect(json_t *root)
{
	static const char *const keys[] = { "cipher_suite", "sender_data", "encryption_secret", "leaves", NULL };
	return vec_mls_has_keys(root, keys);
}

static void sender_data(json_t *o)
{
	size_t ns, nc;
	uint8_t *secret = vec_hex(o, "sender_data_secret", &ns), *ct = vec_hex(o, "ciphertext", &nc);
	uint8_t key[MLS_NK], nonce[MLS_NN];
	if (secret && ct && CHECK(ns == MLS_NH) && CHECK_OK(mls_sender_data_key_nonce(key, nonce, secret, ct, nc))) {
		vec_check_hex(o, "key", key, sizeof key);
		vec_check_hex(o, "nonce", nonce, sizeof nonce);
	}
	free(secret), free(ct);
}

static void check_key(json_t *g, const char *kf, const char *nf, const mls_ratchet_key *k)
{
	vec_check_hex(g, kf, k->key, sizeof k->key);
	vec_check_hex(g, nf, k->nonce, sizeof k->nonce);
}

static void run_case(json_t *c)
{
	sender_data(json_object_get(c, "sender_data"));
	size_t ne;
	uint8_t *es = vec_hex(c, "encryption_secret", &ne);
	json_t *leaves = json_object_get(c, "leaves");
	mls_secret_tree rx, tx;
	memset(&rx, 0, sizeof rx);
	memset(&tx, 0, sizeof tx);
	if (!es || !CHECK(ne == MLS_NH && json_is_array(leaves) && json_array_size(leaves) > 0) ||
	    !CHECK_OK(mls_secret_tree_init(&rx, es, (uint32_t)json_array_size(leaves))) ||
	    !CHECK_OK(mls_secret_tree_init(&tx, es, (uint32_t)json_array_size(leaves))))
		goto out;
	size_t i, j;
	json_t *leaf, *g;
	json_array_foreach(leaves, i, leaf) {
		json_array_foreach(leaf, j, g) {
			uint64_t gen;
			if (!vec_u64(g, "generation", &gen) || !CHECK(gen <= MLS_SECRET_TREE_MAX_FORWARD))
				continue;
			mls_ratchet_key k;
			if (CHECK_OK(mls_secret_tree_get(&rx, (uint32_t)i, MLS_RATCHET_HANDSHAKE, (uint32_t)gen, &k)))
				check_key(g, "handshake_key", "handshake_nonce", &k);
			if (CHECK_OK(mls_secret_tree_get(&rx, (uint32_t)i, MLS_RATCHET_APPLICATION, (uint32_t)gen, &k)))
				check_key(g, "application_key", "application_nonce", &k);
			/* Consumed: the same generation is not handed out again. */
			CHECK_ERR(mls_secret_tree_get(&rx, (uint32_t)i, MLS_RATCHET_APPLICATION, (uint32_t)gen, &k),
				  CR_ERR_INVALID);
			/* The sender steps its ratchets up to the same generation. */
			uint32_t at;
			while (CHECK_OK(mls_secret_tree_generation(&tx, (uint32_t)i, MLS_RATCHET_HANDSHAKE, &at)) &&
			       at <= gen) {
				if (!CHECK_OK(mls_secret_tree_next(&tx, (uint32_t)i, MLS_RATCHET_HANDSHAKE, &k)))
					break;
				if (k.generation == gen)
					check_key(g, "handshake_key", "handshake_nonce", &k);
			}
			mls_ratchet_key_wipe(&k);
		}
	}
out:
	mls_secret_tree_free(&rx);
	mls_secret_tree_free(&tx);
	free(es);
}

static void run(json_t *root, const char *path)
{
	(void)path;
	vec_each_suite1_case(root, "secret-tree", run_case);
}

const vec_runner vec_secret_tree = { "secret-tree", detect, run };
