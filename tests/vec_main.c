/*
 * vec_main.c: dispatches vector files to the runner of their format.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vec.h"

/* The runners. A runner not linked in yet is a NULL weak reference, and its
 * files are reported as skipped, never as passed. */
#define RUNNER(n) extern const vec_runner n __attribute__((weak));
#define RUNNERS(X) \
	X(vec_deserialization) X(vec_wycheproof_aead) X(vec_wycheproof_mac) X(vec_wycheproof_hkdf) \
	X(vec_wycheproof_xdh) X(vec_wycheproof_eddsa) X(vec_tree_math) X(vec_crypto_basics) \
	X(vec_secret_tree) X(vec_message_protection) X(vec_key_schedule) X(vec_psk_secret) \
	X(vec_transcript_hashes) X(vec_welcome) X(vec_tree_operations) X(vec_tree_validation) \
	X(vec_treekem) X(vec_messages) X(vec_passive_client) X(vec_echover_kat) X(vec_hpke)
RUNNERS(RUNNER)
#define RUNNER_REF(n) &n,
static const vec_runner *const runners[] = { RUNNERS(RUNNER_REF) };

uint8_t *vec_hex(json_t *obj, const char *field, size_t *len)
{
	json_t *v = json_object_get(obj, field);
	if (!json_is_string(v)) {
		t_check(false, field, "field missing or not a string", 0);
		return NULL;
	}
	uint8_t *out = t_unhex(json_string_value(v), len);
	if (!out)
		t_check(false, field, "field is not hex", 0);
	return out;
}

bool vec_u64(json_t *obj, const char *field, uint64_t *out)
{
	json_t *v = json_object_get(obj, field);
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return t_check(false, field, "field missing or not an unsigned integer", 0);
	*out = (uint64_t)json_integer_value(v);
	return true;
}

const char *vec_str(json_t *obj, const char *field)
{
	json_t *v = json_object_get(obj, field);
	if (!json_is_string(v)) {
		t_check(false, field, "field missing or not a string", 0);
		return NULL;
	}
	return json_string_value(v);
}

bool vec_mls_has_keys(json_t *root, const char *const *keys)
{
	if (!json_is_array(root) || json_array_size(root) == 0)
		return false;
	json_t *first = json_array_get(root, 0);
	for (const char *const *k = keys; *k; k++)
		if (!json_object_get(first, *k))
			return false;
	return true;
}

bool vec_check_hex(json_t *obj, const char *field, const uint8_t *got, size_t n)
{
	size_t want_len = 0;
	uint8_t *want = vec_hex(obj, field, &want_len);
	if (!want)
		return false;
	bool ok = want_len == n && (n == 0 || memcmp(want, got, n) == 0);
	t_check(ok, field, "mismatch in field", 0);
	if (!ok) {
		t_print_hex("  got ", got, n);
		t_print_hex("  want", want, want_len);
	}
	free(want);
	return ok;
}

void vec_each_suite1_case(json_t *root, const char *name, void (*fn)(json_t *c))
{
	size_t i;
	json_t *c;
	json_array_foreach(root, i, c) {
		json_t *suite = json_object_get(c, "cipher_suite");
		if (!json_is_integer(suite) || json_integer_value(suite) != 1) {
			t_skip("%s #%zu: cipher suite %lld", name, i,
			       json_is_integer(suite) ? (long long)json_integer_value(suite) : -1LL);
			continue;
		}
		t_begin("%s #%zu", name, i);
		fn(c);
		t_end();
	}
}

static void run_file(const char *path)
{
	json_error_t jerr;
	json_t *root = json_load_file(path, 0, &jerr);
	if (!root) {
		t_begin("%s", path);
		t_check(false, jerr.text, path, jerr.line);
		t_end();
		return;
	}
	const vec_runner *found = NULL;
	for (size_t i = 0; i < sizeof runners / sizeof runners[0]; i++)
		if (runners[i] && runners[i]->detect(root)) {
			found = runners[i];
			break;
		}
	if (found) {
		unsigned p0, f0, s0, p1, f1, s1;
		t_counts(&p0, &f0, &s0);
		found->run(root, path);
		t_counts(&p1, &f1, &s1);
		printf("%-58s %-22s %5u passed %3u failed %4u skipped\n", path, found->name, p1 - p0, f1 - f0,
		       s1 - s0);
	} else {
		printf("SKIP %s: no runner for this format in this build\n", path);
		t_skip("%s", path);
	}
	json_decref(root);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every .json file of one folder, in name order; a missing folder fails. */
static void run_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d) {
		t_begin("vector folder %s", dir);
		t_check(false, "cannot open the vector folder (set ECHOVER_VECTORS)", dir, 0);
		t_end();
		return;
	}
	char *names[256];
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < 256) {
		size_t len = strlen(e->d_name);
		if (len > 5 && !strcmp(e->d_name + len - 5, ".json"))
			names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof names[0], by_name);
	for (size_t i = 0; i < n; i++) {
		char path[8192];
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		run_file(path);
		free(names[i]);
	}
}

/* Every .json file under DIR/mls and DIR/wycheproof (the shared vectors),
 * then those of the project's own vectors/ folder (relative to the working
 * directory: tests run from the repository root). */
static void run_all(void)
{
	static const char *const subdirs[] = { "mls", "wycheproof" };
	for (size_t s = 0; s < 2; s++) {
		char dir[4096];
		snprintf(dir, sizeof dir, "%s/%s", t_vectors_dir(), subdirs[s]);
		run_dir(dir);
	}
	run_dir("vectors");
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2) {
		fprintf(stderr, "usage: vectors --all | FILE...\n");
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--all"))
			run_all();
		else
			run_file(argv[i]);
	}
	return t_finish();
}
