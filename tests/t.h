/*
 * t.h: the tiny test framework of echover.
 *
 * A test file defines cases with TEST(name), lists them in a table and hands
 * the table to t_main():
 *
 *   TEST(reads_u16) { ... CHECK(x == 1); ... }
 *   static const t_case cases[] = { T(reads_u16), {0} };
 *   int main(int argc, char **argv) { return t_main(argc, argv, cases); }
 *
 * `./build/tests/test_codec [NAME...]` runs all cases, or those whose name
 * contains one of the arguments. A case passes when none of its checks
 * failed; a case that runs no check at all fails (no assertion-free tests).
 *
 * Vector runners count each vector case as a test of its own:
 *   t_begin("tree-math #3"); CHECK(...); t_end();   or   t_skip("suite 2");
 *
 * The last line of output is `RESULT passed failed skipped`, which build.sh
 * adds up into the summary line.
 */
#ifndef ECHOVER_T_H
#define ECHOVER_T_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct t_case {
	const char *name;
	void (*fn)(void);
} t_case;

#define TEST(name) static void name(void)
#define T(name) { #name, name }

int t_main(int argc, char **argv, const t_case *cases);
/* For programs that count only sub-cases (the vector runner): prints the
 * RESULT line and returns the exit code. */
int t_finish(void);

/* Record a check; prints the location on failure. Returns cond. */
bool t_check(bool cond, const char *expr, const char *file, int line);
bool t_check_mem(const void *a, const void *b, size_t n, const char *expr, const char *file, int line);
bool t_check_err(int got, int want, const char *expr, const char *file, int line);

#define CHECK(cond) t_check((cond), #cond, __FILE__, __LINE__)
#define CHECK_MEM(a, b, n) t_check_mem((a), (b), (n), #a " == " #b, __FILE__, __LINE__)
#define CHECK_OK(expr) t_check_err((int)(expr), 0, #expr, __FILE__, __LINE__)
#define CHECK_ERR(expr, want) t_check_err((int)(expr), (int)(want), #expr, __FILE__, __LINE__)

/* Sub-cases (vector cases): each begin..end pair counts as one test. */
void t_begin(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void t_end(void);
void t_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Adds a note to the current case's failure output. */
void t_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Hex helpers for vectors. t_unhex returns a malloc'ed buffer (never NULL,
 * even for ""), or NULL on bad hex; *len gets the byte count. */
uint8_t *t_unhex(const char *hex, size_t *len);
void t_print_hex(const char *label, const uint8_t *p, size_t n);

/* The folder of the shared vectors: $ECHOVER_VECTORS, else ../shared/vectors. */
const char *t_vectors_dir(void);
/* Reads a whole file (malloc'ed, NUL-terminated); NULL on error. */
uint8_t *t_read_file(const char *path, size_t *len);

#endif
