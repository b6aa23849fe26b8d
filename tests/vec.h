/*
 * vec.h: the known-answer vector runners.
 *
 * `build/.../tests/vectors FILE...` (reached as `./build.sh vectors FILE...`)
 * loads each JSON file, asks every runner whether it knows the file's format,
 * and runs the one that does. A runner counts every case of the file with
 * t_begin/t_end (or t_skip for a cipher suite or size it does not implement),
 * prints the failing field of a failing case, and never counts a skipped case
 * as passed. `--all` runs every file of the shared vector folder
 * ($ECHOVER_VECTORS, else ../shared/vectors).
 *
 * To add a runner: write tests/vec_NAME.c defining `const vec_runner
 * vec_NAME`, list the file in tests/vectors.list and the runner in the table
 * of vec_main.c.
 */
#ifndef ECHOVER_VEC_H
#define ECHOVER_VEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "t.h"

typedef struct vec_runner {
	const char *name;
	/* True when root is a file of this runner's format. */
	bool (*detect)(json_t *root);
	/* Runs every case of the file (path is for messages). */
	void (*run)(json_t *root, const char *path);
} vec_runner;

/* Field helpers: a missing or malformed field fails the current case with
 * its name and returns NULL / false. vec_hex returns a malloc'ed buffer. */
uint8_t *vec_hex(json_t *obj, const char *field, size_t *len);
bool vec_u64(json_t *obj, const char *field, uint64_t *out);
const char *vec_str(json_t *obj, const char *field);
/* True when the MLS file's array items all have these keys (NULL-terminated). */
bool vec_mls_has_keys(json_t *root, const char *const *keys);
/* Runs fn on every case of an MLS vector file whose cipher_suite is 1 (the
 * one echover implements), each counted as one test named "NAME #i"; the
 * cases of other suites are counted as skipped. */
void vec_each_suite1_case(json_t *root, const char *name, void (*fn)(json_t *c));
/* Checks got[n] against the hex field `field`; prints the field on mismatch. */
bool vec_check_hex(json_t *obj, const char *field, const uint8_t *got, size_t n);

#endif
