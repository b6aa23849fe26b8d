#include "secret_tree.h"

#include <stdlib.h>
#include <string.h>

#include "wipe.h"

typedef struct skipped_key {
	uint32_t generation;
	uint8_t key[MLS_NK];
	uint8_t nonce[MLS_NN];
} skipped_key;

typedef struct ratchet {
	uint8_t secret[MLS_NH]; /* secret_[gen] */
	uint32_t gen;           /* the next generation to hand out */
	bool exhausted;         /* generation 2^32 - 1 was handed out */
	uint32_t n_skipped;
	/* WINDOW entries, allocated at the first skipped generation: most
	 * senders never skip, and a 10,000-member tree holds 20,000 ratchets. */
	skipped_key *skipped;
} ratchet;

struct mls_ratchet_pair {
	ratchet r[2];
};

/* Left-balanced binary tree math (RFC 9420 Appendix C), node x, leaf i at 2i.
 * Kept private here: the secret tree only walks down one path. */
static uint32_t level(uint32_t x)
{
	uint32_t k = 0;
	while (x & 1) {
		x >>= 1;
		k++;
	}
	return k;
}

static uint32_t root(uint32_t width)
{
	uint32_t p = 1;
	while (p * 2 <= width)
		p *= 2;
	return p - 1;
}

static uint32_t left(uint32_t x)
{
	return x ^ (1u << (level(x) - 1));
}

static uint32_t right(uint32_t x, uint32_t width)
{
	uint32_t r = x ^ (3u << (level(x) - 1));
	while (r >= width)
		r = left(r);
	return r;
}

/* One touched node. A slot stays once placed (its secret is wiped when
 * consumed): no deletion keeps the probing simple, and at most width slots
 * ever exist. */
struct mls_secret_slot {
	uint32_t key;                     /* node index + 1; 0 marks an empty slot */
	bool have;                        /* secret holds the node's secret */
	uint8_t secret[MLS_NH];
	struct mls_ratchet_pair *ratchet; /* leaves only, NULL until first use */
};

/* Enough for the root and a few leaves' paths at any group size. */
#define INITIAL_SLOTS 64u

/* Node indices are structured (paths, siblings): mix them before masking. */
static uint32_t slot_hash(uint32_t x)
{
	uint32_t h = x * 0x9E3779B1u;
	return h ^ (h >> 15);
}

/* The slot of node x, or NULL. Terminates: the table is at most half full. */
static struct mls_secret_slot *find_slot(const mls_secret_tree *t, uint32_t x)
{
	uint32_t mask = t->cap - 1;
	for (uint32_t i = slot_hash(x) & mask;; i = (i + 1) & mask) {
		if (t->slot[i].key == x + 1)
			return &t->slot[i];
		if (t->slot[i].key == 0)
			return NULL;
	}
}

/* An empty slot for x in a table known not to hold x. */
static struct mls_secret_slot *free_slot(struct mls_secret_slot *slot, uint32_t cap, uint32_t x)
{
	uint32_t mask = cap - 1, i = slot_hash(x) & mask;
	while (slot[i].key != 0)
		i = (i + 1) & mask;
	return &slot[i];
}

/* Room for `extra` more nodes without passing half full; slot pointers
 * taken before a call are invalid after it. */
static cr_err reserve(mls_secret_tree *t, uint32_t extra)
{
	uint32_t cap = t->cap;
	while (2 * ((uint64_t)t->used + extra) > cap)
		cap *= 2;
	if (cap == t->cap)
		return CR_OK;
	struct mls_secret_slot *slot = calloc(cap, sizeof slot[0]);
	CR_ENSURE(slot, CR_ERR_NOMEM);
	for (uint32_t i = 0; i < t->cap; i++)
		if (t->slot[i].key != 0)
			*free_slot(slot, cap, t->slot[i].key - 1) = t->slot[i];
	cr_wipe(t->slot, t->cap * sizeof t->slot[0]);
	free(t->slot);
	t->slot = slot;
	t->cap = cap;
	return CR_OK;
}

/* The slot of node x, placed empty if x was never touched; needs a prior
 * reserve of one. */
static struct mls_secret_slot *touch_slot(mls_secret_tree *t, uint32_t x)
{
	struct mls_secret_slot *s = find_slot(t, x);
	if (!s) {
		s = free_slot(t->slot, t->cap, x);
		s->key = x + 1;
		t->used++;
	}
	return s;
}

static bool have_node(const mls_secret_tree *t, uint32_t x)
{
	const struct mls_secret_slot *s = find_slot(t, x);
	return s && s->have;
}

cr_err mls_secret_tree_init(mls_secret_tree *t, const uint8_t encryption_secret[MLS_NH], uint32_t n_leaves)
{
	memset(t, 0, sizeof *t);
	CR_ENSURE(n_leaves >= 1 && n_leaves <= MLS_SECRET_TREE_MAX_LEAVES, CR_ERR_LIMIT);
	t->slot = calloc(INITIAL_SLOTS, sizeof t->slot[0]);
	CR_ENSURE(t->slot, CR_ERR_NOMEM);
	t->cap = INITIAL_SLOTS;
	t->n_leaves = n_leaves;
	t->width = 2 * n_leaves - 1;
	struct mls_secret_slot *r = touch_slot(t, root(t->width));
	memcpy(r->secret, encryption_secret, MLS_NH);
	r->have = true;
	return CR_OK;
}

static void free_pair(struct mls_ratchet_pair *p)
{
	for (int k = 0; k < 2; k++) {
		ratchet *r = &p->r[k];
		if (r->skipped) {
			cr_wipe(r->skipped, MLS_SECRET_TREE_WINDOW * sizeof r->skipped[0]);
			free(r->skipped);
		}
	}
	cr_wipe(p, sizeof *p);
	free(p);
}

void mls_secret_tree_free(mls_secret_tree *t)
{
	if (t->slot) {
		for (uint32_t i = 0; i < t->cap; i++)
			if (t->slot[i].ratchet)
				free_pair(t->slot[i].ratchet);
		cr_wipe(t->slot, t->cap * sizeof t->slot[0]);
		free(t->slot);
	}
	memset(t, 0, sizeof *t);
}

static void drop_node(struct mls_secret_slot *s)
{
	cr_wipe(s->secret, MLS_NH);
	s->have = false;
}

/* The ratchet pair of a leaf, derived on first use along the path from the
 * one stored ancestor; every parent met is wiped once its children exist. */
static cr_err leaf_ratchets(mls_secret_tree *t, uint32_t leaf, struct mls_ratchet_pair **out)
{
	CR_ENSURE(leaf < t->n_leaves, CR_ERR_ARG);
	uint32_t target = 2 * leaf;
	struct mls_secret_slot *s = find_slot(t, target);
	if (s && s->ratchet) {
		*out = s->ratchet;
		return CR_OK;
	}
	uint32_t x = root(t->width);
	while (!have_node(t, x) && x != target)
		x = target < x ? left(x) : right(x, t->width);
	/* Invariant: an unused leaf has exactly one stored node on its path. */
	CR_ENSURE(have_node(t, x), CR_ERR_STATE);
	while (x != target) {
		uint32_t l = left(x), r = right(x, t->width);
		CR_TRY(reserve(t, 2));
		struct mls_secret_slot *sl = touch_slot(t, l), *sr = touch_slot(t, r), *sx = find_slot(t, x);
		CR_TRY(mls_expand_with_label(sl->secret, MLS_NH, sx->secret, MLS_NH, "tree",
					     (const uint8_t *)"left", 4));
		CR_TRY(mls_expand_with_label(sr->secret, MLS_NH, sx->secret, MLS_NH, "tree",
					     (const uint8_t *)"right", 5));
		sl->have = sr->have = true;
		drop_node(sx);
		x = target < x ? l : r;
	}
	s = find_slot(t, target);
	struct mls_ratchet_pair *p = calloc(1, sizeof *p);
	CR_ENSURE(p, CR_ERR_NOMEM);
	cr_err err;
	CR_CHECK(mls_expand_with_label(p->r[MLS_RATCHET_HANDSHAKE].secret, MLS_NH, s->secret, MLS_NH,
				       "handshake", NULL, 0));
	CR_CHECK(mls_expand_with_label(p->r[MLS_RATCHET_APPLICATION].secret, MLS_NH, s->secret, MLS_NH,
				       "application", NULL, 0));
	drop_node(s);
	s->ratchet = p;
	*out = p;
out:
	if (err) {
		cr_wipe(p, sizeof *p);
		free(p);
	}
	return err;
}

static cr_err ratchet_of(mls_secret_tree *t, uint32_t leaf, mls_ratchet_type type, ratchet **out)
{
	CR_ENSURE(type == MLS_RATCHET_HANDSHAKE || type == MLS_RATCHET_APPLICATION, CR_ERR_ARG);
	struct mls_ratchet_pair *p = NULL;
	CR_TRY(leaf_ratchets(t, leaf, &p));
	*out = &p->r[type];
	return CR_OK;
}

static cr_err key_nonce(const ratchet *r, uint8_t key[MLS_NK], uint8_t nonce[MLS_NN])
{
	CR_TRY(mls_derive_tree_secret(key, MLS_NK, r->secret, MLS_NH, "key", r->gen));
	return mls_derive_tree_secret(nonce, MLS_NN, r->secret, MLS_NH, "nonce", r->gen);
}

/* secret_[gen] -> secret_[gen + 1]; the old secret is overwritten. */
static cr_err advance(ratchet *r)
{
	uint8_t next[MLS_NH];
	cr_err err = mls_derive_tree_secret(next, MLS_NH, r->secret, MLS_NH, "secret", r->gen);
	if (!err) {
		memcpy(r->secret, next, MLS_NH);
		if (r->gen == UINT32_MAX)
			r->exhausted = true;
		else
			r->gen++;
	}
	cr_wipe(next, sizeof next);
	return err;
}

static void forget_skipped(ratchet *r, uint32_t i)
{
	r->n_skipped--;
	r->skipped[i] = r->skipped[r->n_skipped];
	cr_wipe(&r->skipped[r->n_skipped], sizeof r->skipped[0]);
}

/* Keeps the keys of a skipped generation, evicting the oldest when full. */
static cr_err keep_skipped(ratchet *r)
{
	if (!r->skipped) {
		r->skipped = calloc(MLS_SECRET_TREE_WINDOW, sizeof r->skipped[0]);
		CR_ENSURE(r->skipped, CR_ERR_NOMEM);
	}
	if (r->n_skipped == MLS_SECRET_TREE_WINDOW) {
		uint32_t oldest = 0;
		for (uint32_t i = 1; i < r->n_skipped; i++)
			if (r->skipped[i].generation < r->skipped[oldest].generation)
				oldest = i;
		forget_skipped(r, oldest);
	}
	skipped_key *s = &r->skipped[r->n_skipped];
	cr_err err = key_nonce(r, s->key, s->nonce);
	if (err) {
		cr_wipe(s, sizeof *s);
		return err;
	}
	s->generation = r->gen;
	r->n_skipped++;
	return CR_OK;
}

static cr_err take_current(ratchet *r, mls_ratchet_key *out)
{
	CR_ENSURE(!r->exhausted, CR_ERR_LIMIT);
	cr_err err;
	out->generation = r->gen;
	CR_CHECK(key_nonce(r, out->key, out->nonce));
	CR_CHECK(advance(r));
out:
	if (err)
		mls_ratchet_key_wipe(out);
	return err;
}

cr_err mls_secret_tree_next(mls_secret_tree *t, uint32_t leaf, mls_ratchet_type type, mls_ratchet_key *out)
{
	ratchet *r;
	CR_TRY(ratchet_of(t, leaf, type, &r));
	return take_current(r, out);
}

/* The kept key of an old generation, or -1. */
static int find_skipped(const ratchet *r, uint32_t generation)
{
	for (uint32_t i = 0; i < r->n_skipped; i++)
		if (r->skipped[i].generation == generation)
			return (int)i;
	return -1;
}

cr_err mls_secret_tree_peek(mls_secret_tree *t, uint32_t leaf, mls_ratchet_type type, uint32_t generation,
			    mls_ratchet_key *out)
{
	ratchet *r;
	CR_TRY(ratchet_of(t, leaf, type, &r));
	if (generation < r->gen || r->exhausted) {
		int i = find_skipped(r, generation);
		/* Consumed already, or older than the window keeps. */
		CR_ENSURE(i >= 0, CR_ERR_INVALID);
		out->generation = generation;
		memcpy(out->key, r->skipped[i].key, MLS_NK);
		memcpy(out->nonce, r->skipped[i].nonce, MLS_NN);
		return CR_OK;
	}
	CR_ENSURE(generation - r->gen <= MLS_SECRET_TREE_MAX_FORWARD, CR_ERR_LIMIT);
	/* Walk a copy: the ratchet itself moves only on consume. */
	ratchet tmp;
	cr_err err = CR_OK;
	memcpy(tmp.secret, r->secret, MLS_NH);
	tmp.gen = r->gen;
	tmp.exhausted = false;
	tmp.n_skipped = 0;
	tmp.skipped = NULL;
	while (tmp.gen < generation)
		CR_CHECK(advance(&tmp));
	out->generation = generation;
	CR_CHECK(key_nonce(&tmp, out->key, out->nonce));
out:
	cr_wipe(tmp.secret, sizeof tmp.secret);
	if (err)
		mls_ratchet_key_wipe(out);
	return err;
}

cr_err mls_secret_tree_consume(mls_secret_tree *t, uint32_t leaf, mls_ratchet_type type, uint32_t generation)
{
	ratchet *r;
	CR_TRY(ratchet_of(t, leaf, type, &r));
	if (generation < r->gen || r->exhausted) {
		int i = find_skipped(r, generation);
		CR_ENSURE(i >= 0, CR_ERR_INVALID);
		forget_skipped(r, (uint32_t)i);
		return CR_OK;
	}
	CR_ENSURE(generation - r->gen <= MLS_SECRET_TREE_MAX_FORWARD, CR_ERR_LIMIT);
	while (r->gen < generation) {
		/* Only the last WINDOW skipped generations are worth a key. */
		if (generation - r->gen <= MLS_SECRET_TREE_WINDOW)
			CR_TRY(keep_skipped(r));
		CR_TRY(advance(r));
	}
	CR_ENSURE(!r->exhausted, CR_ERR_LIMIT);
	return advance(r);
}

cr_err mls_secret_tree_get(mls_secret_tree *t, uint32_t leaf, mls_ratchet_type type, uint32_t generation,
			   mls_ratchet_key *out)
{
	CR_TRY(mls_secret_tree_peek(t, leaf, type, generation, out));
	cr_err err = mls_secret_tree_consume(t, leaf, type, generation);
	if (err)
		mls_ratchet_key_wipe(out);
	return err;
}

cr_err mls_secret_tree_generation(const mls_secret_tree *t, uint32_t leaf, mls_ratchet_type type,
				  uint32_t *generation)
{
	CR_ENSURE(leaf < t->n_leaves, CR_ERR_ARG);
	CR_ENSURE(type == MLS_RATCHET_HANDSHAKE || type == MLS_RATCHET_APPLICATION, CR_ERR_ARG);
	const struct mls_secret_slot *s = find_slot(t, 2 * leaf);
	*generation = s && s->ratchet ? s->ratchet->r[type].gen : 0;
	return CR_OK;
}

uint32_t mls_secret_tree_held(const mls_secret_tree *t)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < t->cap; i++)
		n += t->slot[i].have;
	return n;
}

void mls_ratchet_key_wipe(mls_ratchet_key *k)
{
	cr_wipe(k, sizeof *k);
}

cr_err mls_sender_data_key_nonce(uint8_t key[MLS_NK], uint8_t nonce[MLS_NN],
				 const uint8_t sender_data_secret[MLS_NH], const uint8_t *ciphertext, size_t ct_len)
{
	size_t sample = ct_len < MLS_NH ? ct_len : MLS_NH;
	cr_err err;
	CR_CHECK(mls_expand_with_label(key, MLS_NK, sender_data_secret, MLS_NH, "key", ciphertext, sample));
	CR_CHECK(mls_expand_with_label(nonce, MLS_NN, sender_data_secret, MLS_NH, "nonce", ciphertext, sample));
out:
	if (err) {
		cr_wipe(key, MLS_NK);
		cr_wipe(nonce, MLS_NN);
	}
	return err;
}
