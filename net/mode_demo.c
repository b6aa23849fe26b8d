/*
 * mode_demo.c: `echover demo`, a guided tour.
 *
 * It runs the seed scenarios of a group chat with real MLS groups (one
 * mls_group per person, all in this process) and prints, beside what each
 * member reads, the bytes a relay would store: ciphertext only. It grows
 * with the project: the server and client processes on loopback join this
 * tour as they land. Nothing is written to disk.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_util.h"
#include "ed25519.h"
#include "group.h"
#include "modes.h"
#include "rng.h"
#include "selftest.h"
#include "wipe.h"

typedef struct person {
	const char *name;
	uint8_t sig_seed[CR_ED25519_SEED_LEN];
	uint8_t sig_pub[CR_ED25519_PUB_LEN];
	uint8_t *kp;          /* published KeyPackage */
	size_t kp_len;
	mls_kp_secrets kps;
	mls_group *g;
} person;

/* The demo's state, owned by nt_demo_main. */
typedef struct demo {
	const cr_rng *rng;
	person alice, bob, carol;
	int step;
	int failures;
} demo;

static void say(demo *d, const char *text)
{
	printf("\n%d. %s\n", ++d->step, text);
}

static void expect(demo *d, bool ok, const char *what)
{
	printf("   %s %s\n", ok ? "[ok]  " : "[FAIL]", what);
	if (!ok)
		d->failures++;
}

/* What a relay stores: the length and the first bytes of the message. */
static void show_wire(const char *label, const uint8_t *p, size_t n, const char *plaintext)
{
	printf("   a relay stores %-21s %5zu bytes: ", label, n);
	for (size_t i = 0; i < n && i < 24; i++)
		printf("%02x", p[i]);
	printf("...\n");
	if (plaintext && memmem(p, n, plaintext, strlen(plaintext)))
		printf("   (!) the plaintext appears in the stored bytes\n");
}

static cr_err publish_key_package(demo *d, person *p)
{
	CR_TRY(cr_ed25519_keygen(p->sig_seed, p->sig_pub, d->rng));
	return mls_keypackage_create(p->sig_seed, (const uint8_t *)p->name, strlen(p->name), 0,
				     UINT64_MAX, d->rng, &p->kp, &p->kp_len, &p->kps);
}

static void person_free(person *p)
{
	mls_group_free(p->g);
	free(p->kp);
	mls_kp_secrets_wipe(&p->kps);
	cr_wipe(p->sig_seed, sizeof p->sig_seed);
}

/* Sends text from `from` and lets each reader try to decrypt it. */
static void send_text(demo *d, person *from, const char *text, person *const *readers, const bool *can_read,
		      size_t n_readers)
{
	uint8_t *ct = NULL;
	size_t ct_len = 0;
	printf("   %s writes: \"%s\"\n", from->name, text);
	if (mls_group_encrypt(from->g, (const uint8_t *)text, strlen(text), d->rng, &ct, &ct_len)) {
		expect(d, false, "encrypt");
		return;
	}
	show_wire("(PrivateMessage)", ct, ct_len, text);
	for (size_t i = 0; i < n_readers; i++) {
		person *r = readers[i];
		uint8_t *pt = NULL;
		size_t pt_len = 0;
		uint32_t sender = 0;
		cr_err e = r->g ? mls_group_decrypt(r->g, ct, ct_len, &pt, &pt_len, &sender) : CR_ERR_STATE;
		bool read = e == CR_OK && pt_len == strlen(text) && memcmp(pt, text, pt_len) == 0;
		char what[160];
		if (can_read[i])
			snprintf(what, sizeof what, "%s reads it", r->name);
		else
			snprintf(what, sizeof what, "%s cannot read it (%s)", r->name,
				 e ? cr_err_str(e) : "decrypted!");
		expect(d, read == can_read[i], what);
		if (pt)
			cr_wipe(pt, pt_len);
		free(pt);
	}
	free(ct);
}

/* `committer` commits adds/removes; every listed member processes it. */
static bool commit(demo *d, person *committer, person *add, uint32_t remove_leaf, person *const *others,
		   size_t n_others, uint8_t **welcome, size_t *welcome_len)
{
	uint8_t *c = NULL;
	size_t c_len = 0;
	const uint8_t *adds[1] = { add ? add->kp : NULL };
	size_t add_lens[1] = { add ? add->kp_len : 0 };
	uint32_t removes[1] = { remove_leaf };
	cr_err e = mls_group_commit(committer->g, adds, add_lens, add ? 1 : 0, removes,
				    remove_leaf != UINT32_MAX ? 1 : 0, d->rng, &c, &c_len, welcome, welcome_len);
	if (e == CR_OK)
		e = mls_group_commit_confirm(committer->g);
	expect(d, e == CR_OK, "commit created and confirmed (a server would take it as the first of its epoch)");
	if (e)
		return false;
	show_wire("(Commit)", c, c_len, NULL);
	for (size_t i = 0; i < n_others; i++) {
		mls_processed what;
		cr_err pe = mls_group_process(others[i]->g, c, c_len, &what);
		char line[128];
		snprintf(line, sizeof line, "%s processes the commit", others[i]->name);
		expect(d, pe == CR_OK, line);
	}
	free(c);
	return true;
}

static bool same_epoch(person *const *ps, size_t n)
{
	uint8_t a[MLS_NH], b[MLS_NH];
	mls_group_epoch_authenticator(ps[0]->g, a);
	for (size_t i = 1; i < n; i++) {
		mls_group_epoch_authenticator(ps[i]->g, b);
		if (!cr_ct_equal(a, b, sizeof a) || mls_group_epoch(ps[i]->g) != mls_group_epoch(ps[0]->g))
			return false;
	}
	return true;
}

static bool join(demo *d, person *p, const uint8_t *welcome, size_t welcome_len)
{
	cr_err e = mls_group_join(&p->g, welcome, welcome_len, p->kp, p->kp_len, &p->kps, p->sig_seed);
	char line[128];
	snprintf(line, sizeof line, "%s joins from the Welcome", p->name);
	expect(d, e == CR_OK, line);
	return e == CR_OK;
}

static void tour(demo *d)
{
	person *A = &d->alice, *B = &d->bob, *C = &d->carol;
	uint8_t group_id[32];
	uint8_t *welcome = NULL;
	size_t welcome_len = 0;

	say(d, "alice, bob and carol each make an Ed25519 identity and publish a KeyPackage.");
	expect(d, !publish_key_package(d, A) && !publish_key_package(d, B) && !publish_key_package(d, C),
	       "three KeyPackages signed and published");

	say(d, "alice creates a group (epoch 0) and writes to it before anyone else is in.");
	if (cr_random(d->rng, group_id, sizeof group_id) ||
	    mls_group_create(&A->g, group_id, sizeof group_id, A->kp, A->kp_len, &A->kps, A->sig_seed, d->rng)) {
		expect(d, false, "group created");
		return;
	}
	expect(d, true, "group created");
	uint8_t *early = NULL;
	size_t early_len = 0;
	const char *early_text = "the plan, before bob was here";
	expect(d, mls_group_encrypt(A->g, (const uint8_t *)early_text, strlen(early_text), d->rng, &early,
				    &early_len) == CR_OK, "alice encrypts a message in epoch 0");

	say(d, "bob asks to join; alice, an online admin, commits the Add (epoch 1).");
	person *none[1] = { NULL };
	if (!commit(d, A, B, UINT32_MAX, none, 0, &welcome, &welcome_len) || !join(d, B, welcome, welcome_len))
		goto out;
	free(welcome);
	welcome = NULL;
	{
		uint8_t *pt = NULL;
		size_t pt_len = 0;
		uint32_t sender;
		cr_err e = mls_group_decrypt(B->g, early, early_len, &pt, &pt_len, &sender);
		expect(d, e != CR_OK, "bob cannot read alice's message from before he joined");
		free(pt);
	}
	send_text(d, B, "hi alice, bob here", (person *const[]){ A }, (bool[]){ true }, 1);

	say(d, "carol joins (epoch 2); everyone agrees on the epoch authenticator.");
	if (!commit(d, A, C, UINT32_MAX, (person *const[]){ B }, 1, &welcome, &welcome_len) ||
	    !join(d, C, welcome, welcome_len))
		goto out;
	person *abc[] = { A, B, C };
	expect(d, same_epoch(abc, 3), "alice, bob and carol share one epoch authenticator");
	send_text(d, C, "hello both", (person *const[]){ A, B }, (bool[]){ true, true }, 2);

	say(d, "bob leaves: he proposes his own removal, carol commits it (epoch 3).");
	{
		uint8_t *prop = NULL;
		size_t prop_len = 0;
		mls_processed what;
		bool ok = mls_group_propose_self_remove(B->g, &prop, &prop_len) == CR_OK &&
			  mls_group_process(A->g, prop, prop_len, &what) == CR_OK &&
			  mls_group_process(C->g, prop, prop_len, &what) == CR_OK;
		expect(d, ok, "alice and carol receive bob's self-remove proposal");
		free(prop);
		free(welcome);
		welcome = NULL;
		if (!ok || !commit(d, C, NULL, UINT32_MAX, (person *const[]){ A }, 1, &welcome, &welcome_len))
			goto out;
	}
	person *ac[] = { A, C };
	expect(d, same_epoch(ac, 2), "alice and carol move on together");
	send_text(d, A, "bob has gone; this is for carol only", (person *const[]){ C, B },
		  (bool[]){ true, false }, 2);

	say(d, "alice leaves too; the group goes on without its creator (epoch 4).");
	{
		uint8_t *prop = NULL;
		size_t prop_len = 0;
		mls_processed what;
		bool ok = mls_group_propose_self_remove(A->g, &prop, &prop_len) == CR_OK &&
			  mls_group_process(C->g, prop, prop_len, &what) == CR_OK;
		expect(d, ok, "carol receives alice's self-remove proposal");
		free(prop);
		free(welcome);
		welcome = NULL;
		if (ok && commit(d, C, NULL, UINT32_MAX, none, 0, &welcome, &welcome_len))
			expect(d, mls_group_member_count(C->g) == 1, "carol is the one member left");
	}
out:
	free(welcome);
	free(early);
}

int nt_demo_main(int argc, char **argv)
{
	if (nt_wants_help(argc, argv)) {
		printf("usage: echover demo\n\n"
		       "A guided tour of echover's group encryption: three people form an MLS\n"
		       "group, join, write, and leave; each step shows what each member reads\n"
		       "and what a relay server stores (ciphertext only). Keeps nothing on disk.\n");
		return 0;
	}
	if (argc > 1) {
		fprintf(stderr, "echover demo: unexpected argument '%s'\n", argv[1]);
		return 2;
	}
	printf("== echover demo ==\n\nThe primitives this binary is built on, checked against known answers:\n");
	if (cr_selftest(stdout) != CR_OK) {
		fprintf(stderr, "echover demo: a self-test failed; stopping\n");
		return 1;
	}
	demo d = { .rng = cr_rng_system(), .alice = { .name = "alice" }, .bob = { .name = "bob" },
		   .carol = { .name = "carol" } };
	tour(&d);
	person_free(&d.alice);
	person_free(&d.bob);
	person_free(&d.carol);
	if (d.failures) {
		printf("\n%d check(s) failed.\n", d.failures);
		return 1;
	}
	printf("\nEvery check passed: a joiner could not read the past, a leaver could not read\n"
	       "the future, and the relay held only ciphertext.\n");
	return 0;
}
