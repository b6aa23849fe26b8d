/*
 * test_secret_tree.c: the secret tree's window and deletion rules: out of
 * order delivery, the forward limit, eviction of old skipped keys, consumed
 * keys, bad arguments, trees whose size is no power of two, and wiping of
 * interior secrets (forward secrecy).
 */
#include <string.h>

#include "secret_tree.h"
#include "t.h"

static const uint8_t ES[32] = { 0xe5, 1, 2, 3 };

TEST(out_of_order_within_window)
{
	mls_secret_tree rx, tx;
	CHECK_OK(mls_secret_tree_init(&rx, ES, 4));
	CHECK_OK(mls_secret_tree_init(&tx, ES, 4));
	mls_ratchet_key sent[10], k;
	for (int g = 0; g < 10; g++)
		CHECK_OK(mls_secret_tree_next(&tx, 3, MLS_RATCHET_APPLICATION, &sent[g]));
	CHECK(sent[9].generation == 9);
	/* 9 first, then 2, 5, 0 and the rest. */
	static const int order[] = { 9, 2, 5, 0, 1, 3, 4, 6, 7, 8 };
	for (size_t i = 0; i < 10; i++) {
		int g = order[i];
		if (CHECK_OK(mls_secret_tree_get(&rx, 3, MLS_RATCHET_APPLICATION, (uint32_t)g, &k))) {
			CHECK(k.generation == (uint32_t)g);
			CHECK_MEM(k.key, sent[g].key, MLS_NK);
			CHECK_MEM(k.nonce, sent[g].nonce, MLS_NN);
		}
	}
	for (int g = 0; g < 10; g++)
		CHECK_ERR(mls_secret_tree_get(&rx, 3, MLS_RATCHET_APPLICATION, (uint32_t)g, &k), CR_ERR_INVALID);
	/* Handshake ratchet of the same leaf is independent. */
	CHECK_OK(mls_secret_tree_get(&rx, 3, MLS_RATCHET_HANDSHAKE, 0, &k));
	CHECK(memcmp(k.key, sent[0].key, MLS_NK) != 0);
	mls_secret_tree_free(&rx);
	mls_secret_tree_free(&tx);
}

TEST(forward_limit_and_eviction)
{
	mls_secret_tree t;
	mls_ratchet_key k;
	CHECK_OK(mls_secret_tree_init(&t, ES, 2));
	CHECK_ERR(mls_secret_tree_get(&t, 0, MLS_RATCHET_APPLICATION, MLS_SECRET_TREE_MAX_FORWARD + 1, &k),
		  CR_ERR_LIMIT);
	CHECK_ERR(mls_secret_tree_get(&t, 0, MLS_RATCHET_APPLICATION, UINT32_MAX, &k), CR_ERR_LIMIT);
	uint32_t g;
	CHECK_OK(mls_secret_tree_generation(&t, 0, MLS_RATCHET_APPLICATION, &g));
	CHECK(g == 0); /* the refused jump moved nothing */
	CHECK_OK(mls_secret_tree_get(&t, 0, MLS_RATCHET_APPLICATION, MLS_SECRET_TREE_MAX_FORWARD, &k));
	/* Only the last WINDOW skipped generations are kept. */
	uint32_t last = MLS_SECRET_TREE_MAX_FORWARD;
	CHECK_ERR(mls_secret_tree_get(&t, 0, MLS_RATCHET_APPLICATION, last - MLS_SECRET_TREE_WINDOW - 1, &k),
		  CR_ERR_INVALID);
	CHECK_ERR(mls_secret_tree_get(&t, 0, MLS_RATCHET_APPLICATION, 0, &k), CR_ERR_INVALID);
	CHECK_OK(mls_secret_tree_get(&t, 0, MLS_RATCHET_APPLICATION, last - MLS_SECRET_TREE_WINDOW, &k));
	CHECK_OK(mls_secret_tree_get(&t, 0, MLS_RATCHET_APPLICATION, last - 1, &k));
	/* Jumping again evicts the oldest kept keys first. */
	CHECK_OK(mls_secret_tree_get(&t, 0, MLS_RATCHET_APPLICATION, last + 4, &k));
	CHECK_ERR(mls_secret_tree_get(&t, 0, MLS_RATCHET_APPLICATION, last - MLS_SECRET_TREE_WINDOW + 1, &k),
		  CR_ERR_INVALID);
	CHECK_OK(mls_secret_tree_get(&t, 0, MLS_RATCHET_APPLICATION, last + 1, &k));
	CHECK_OK(mls_secret_tree_get(&t, 0, MLS_RATCHET_APPLICATION, last - 2, &k));
	mls_secret_tree_free(&t);
}

TEST(peek_changes_nothing_until_consume)
{
	mls_secret_tree rx, tx;
	mls_ratchet_key sent[6], k, k2;
	CHECK_OK(mls_secret_tree_init(&rx, ES, 8));
	CHECK_OK(mls_secret_tree_init(&tx, ES, 8));
	for (int g = 0; g < 6; g++)
		CHECK_OK(mls_secret_tree_next(&tx, 5, MLS_RATCHET_APPLICATION, &sent[g]));
	/* A forged message claiming generation 1000 is peeked, fails to
	 * authenticate, and is never consumed: nothing is lost. */
	CHECK_OK(mls_secret_tree_peek(&rx, 5, MLS_RATCHET_APPLICATION, 1000, &k));
	CHECK(k.generation == 1000);
	uint32_t g;
	CHECK_OK(mls_secret_tree_generation(&rx, 5, MLS_RATCHET_APPLICATION, &g));
	CHECK(g == 0);
	/* Peek twice gives the same key; consume once. */
	CHECK_OK(mls_secret_tree_peek(&rx, 5, MLS_RATCHET_APPLICATION, 4, &k));
	CHECK_OK(mls_secret_tree_peek(&rx, 5, MLS_RATCHET_APPLICATION, 4, &k2));
	CHECK_MEM(k.key, k2.key, MLS_NK);
	CHECK_MEM(k.key, sent[4].key, MLS_NK);
	CHECK_OK(mls_secret_tree_consume(&rx, 5, MLS_RATCHET_APPLICATION, 4));
	CHECK_ERR(mls_secret_tree_peek(&rx, 5, MLS_RATCHET_APPLICATION, 4, &k), CR_ERR_INVALID);
	CHECK_ERR(mls_secret_tree_consume(&rx, 5, MLS_RATCHET_APPLICATION, 4), CR_ERR_INVALID);
	/* The skipped ones are still there, and also peek-then-consume. */
	CHECK_OK(mls_secret_tree_peek(&rx, 5, MLS_RATCHET_APPLICATION, 1, &k));
	CHECK_MEM(k.nonce, sent[1].nonce, MLS_NN);
	CHECK_OK(mls_secret_tree_peek(&rx, 5, MLS_RATCHET_APPLICATION, 1, &k));
	CHECK_OK(mls_secret_tree_consume(&rx, 5, MLS_RATCHET_APPLICATION, 1));
	CHECK_ERR(mls_secret_tree_peek(&rx, 5, MLS_RATCHET_APPLICATION, 1, &k), CR_ERR_INVALID);
	CHECK_OK(mls_secret_tree_get(&rx, 5, MLS_RATCHET_APPLICATION, 5, &k));
	CHECK_MEM(k.key, sent[5].key, MLS_NK);
	CHECK_ERR(mls_secret_tree_peek(&rx, 5, MLS_RATCHET_APPLICATION, 7 + MLS_SECRET_TREE_MAX_FORWARD, &k),
		  CR_ERR_LIMIT);
	mls_secret_tree_free(&rx);
	mls_secret_tree_free(&tx);
}

TEST(bad_arguments)
{
	mls_secret_tree t;
	mls_ratchet_key k;
	uint32_t g;
	CHECK_ERR(mls_secret_tree_init(&t, ES, 0), CR_ERR_LIMIT);
	CHECK_ERR(mls_secret_tree_init(&t, ES, MLS_SECRET_TREE_MAX_LEAVES + 1), CR_ERR_LIMIT);
	CHECK_OK(mls_secret_tree_init(&t, ES, 3));
	CHECK_ERR(mls_secret_tree_get(&t, 3, MLS_RATCHET_HANDSHAKE, 0, &k), CR_ERR_ARG);
	CHECK_ERR(mls_secret_tree_next(&t, 7, MLS_RATCHET_HANDSHAKE, &k), CR_ERR_ARG);
	CHECK_ERR(mls_secret_tree_next(&t, 0, (mls_ratchet_type)2, &k), CR_ERR_ARG);
	CHECK_ERR(mls_secret_tree_generation(&t, 3, MLS_RATCHET_HANDSHAKE, &g), CR_ERR_ARG);
	mls_secret_tree_free(&t);
	mls_secret_tree_free(&t); /* harmless twice */
}

static bool all_interior_wiped(const mls_secret_tree *t)
{
	return mls_secret_tree_held(t) == 0;
}

TEST(odd_sizes_and_deletion)
{
	/* Every leaf of trees of 1..19 leaves gets a distinct key, and once
	 * every leaf is used no node secret is left. */
	for (uint32_t n = 1; n < 20; n++) {
		mls_secret_tree t;
		mls_ratchet_key keys[20];
		if (!CHECK_OK(mls_secret_tree_init(&t, ES, n)))
			continue;
		for (uint32_t i = 0; i < n; i++)
			CHECK_OK(mls_secret_tree_next(&t, n - 1 - i, MLS_RATCHET_HANDSHAKE, &keys[n - 1 - i]));
		for (uint32_t i = 0; i < n; i++)
			for (uint32_t j = i + 1; j < n; j++)
				CHECK(memcmp(keys[i].key, keys[j].key, MLS_NK) != 0);
		CHECK(all_interior_wiped(&t));
		mls_secret_tree_free(&t);
	}
}

TEST(large_group_is_lazy)
{
	/* 10,000 members: creating the tree derives nothing; a few senders cost
	 * O(log n) each. (Its speed is measured by the MLS benchmark, not here:
	 * tests assert structure, never time.) */
	mls_secret_tree t;
	mls_ratchet_key k;
	CHECK_OK(mls_secret_tree_init(&t, ES, 10000));
	/* Fresh: the root alone, in a table whose size does not grow with n. */
	CHECK(t.used == 1 && t.cap <= 64 && mls_secret_tree_held(&t) == 1);
	for (uint32_t i = 0; i < 10000; i += 997)
		CHECK_OK(mls_secret_tree_next(&t, i, MLS_RATCHET_APPLICATION, &k));
	CHECK(mls_secret_tree_held(&t) < 11 * 15); /* a frontier, not the tree */
	CHECK(t.used < 11 * 30 && t.cap <= 4 * t.used); /* touched nodes only */
	for (uint32_t i = 0; i < 10000; i++)
		CHECK_OK(mls_secret_tree_get(&t, i, MLS_RATCHET_HANDSHAKE, 0, &k));
	CHECK(all_interior_wiped(&t));
	mls_secret_tree_free(&t);
}

TEST(sender_data_sample)
{
	uint8_t sds[32] = { 3 }, k1[16], n1[12], k2[16], n2[12], ct[40] = { 1 };
	CHECK_OK(mls_sender_data_key_nonce(k1, n1, sds, ct, sizeof ct));
	ct[39] ^= 1; /* beyond the Nh-byte sample: same key */
	CHECK_OK(mls_sender_data_key_nonce(k2, n2, sds, ct, sizeof ct));
	CHECK_MEM(k1, k2, 16);
	ct[31] ^= 1;
	CHECK_OK(mls_sender_data_key_nonce(k2, n2, sds, ct, sizeof ct));
	CHECK(memcmp(k1, k2, 16) != 0 && memcmp(n1, n2, 12) != 0);
	CHECK_OK(mls_sender_data_key_nonce(k2, n2, sds, ct, 5)); /* short ciphertext */
	CHECK(memcmp(k1, k2, 16) != 0);
}

static const t_case cases[] = {
	T(out_of_order_within_window), T(forward_limit_and_eviction), T(peek_changes_nothing_until_consume), T(bad_arguments),
	T(odd_sizes_and_deletion), T(large_group_is_lazy), T(sender_data_sample), { 0 },
};

int main(int argc, char **argv)
{
	return t_main(argc, argv, cases);
}
