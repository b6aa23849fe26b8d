#include "t.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The framework's counters: owned by t_main for the life of one test binary. */
static struct {
	unsigned passed, failed, skipped;
	unsigned checks;      /* checks in the open case */
	bool case_failed;
	unsigned subs;        /* sub-cases run by the open top-level case */
	char name[256];
	char top_name[256];
} t;

static void open_case(const char *name)
{
	snprintf(t.name, sizeof t.name, "%s", name);
	t.checks = 0;
	t.case_failed = false;
}

static void close_case(void)
{
	if (t.checks == 0 && !t.case_failed) {
		printf("FAIL %s: no check ran\n", t.name);
		t.case_failed = true;
	}
	if (t.case_failed)
		t.failed++;
	else
		t.passed++;
}

bool t_check(bool cond, const char *expr, const char *file, int line)
{
	t.checks++;
	if (!cond) {
		printf("FAIL %s: %s:%d: %s\n", t.name, file, line, expr);
		t.case_failed = true;
	}
	return cond;
}

bool t_check_mem(const void *a, const void *b, size_t n, const char *expr, const char *file, int line)
{
	bool ok = (n == 0) || (a && b && memcmp(a, b, n) == 0);
	if (!t_check(ok, expr, file, line) && a && b) {
		t_print_hex("  got ", a, n);
		t_print_hex("  want", b, n);
	}
	return ok;
}

bool t_check_err(int got, int want, const char *expr, const char *file, int line)
{
	bool ok = got == want;
	if (!t_check(ok, expr, file, line))
		printf("  returned %d, expected %d\n", got, want);
	return ok;
}

void t_begin(const char *fmt, ...)
{
	char name[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(name, sizeof name, fmt, ap);
	va_end(ap);
	/* Checks made by the top-level case before this point are kept:
	 * a failure there (say, a missing vector file) still fails it. */
	if (t.case_failed) {
		t.failed++;
		printf("FAIL %s (before its sub-cases)\n", t.top_name);
	}
	open_case(name);
	t.subs++;
}

void t_end(void)
{
	close_case();
	open_case(t.top_name);
}

void t_skip(const char *fmt, ...)
{
	char why[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	if (getenv("T_VERBOSE"))
		printf("SKIP %s\n", why);
	t.skipped++;
}

void t_note(const char *fmt, ...)
{
	va_list ap;
	printf("  note (%s): ", t.name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

uint8_t *t_unhex(const char *hex, size_t *len)
{
	size_t n = strlen(hex);
	if (n % 2)
		return NULL;
	uint8_t *out = malloc(n / 2 + 1);
	if (!out)
		return NULL;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			free(out);
			return NULL;
		}
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	*len = n / 2;
	return out;
}

void t_print_hex(const char *label, const uint8_t *p, size_t n)
{
	printf("%s ", label);
	for (size_t i = 0; i < n && i < 96; i++)
		printf("%02x", p[i]);
	printf(n > 96 ? "...\n" : "\n");
}

const char *t_vectors_dir(void)
{
	const char *d = getenv("ECHOVER_VECTORS");
	return d && *d ? d : "../shared/vectors";
}

uint8_t *t_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	uint8_t *buf = NULL;
	size_t cap = 0, n = 0;
	for (;;) {
		if (n + 1 >= cap) {
			size_t ncap = cap ? cap * 2 : 65536;
			uint8_t *q = realloc(buf, ncap);
			if (!q) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = q;
			cap = ncap;
		}
		size_t got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0)
			break;
	}
	bool bad = ferror(f);
	fclose(f);
	if (bad) {
		free(buf);
		return NULL;
	}
	buf[n] = 0;
	*len = n;
	return buf;
}

static bool selected(const char *name, int argc, char **argv)
{
	if (argc < 2)
		return true;
	for (int i = 1; i < argc; i++)
		if (strstr(name, argv[i]))
			return true;
	return false;
}

int t_main(int argc, char **argv, const t_case *cases)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (const t_case *c = cases; c->name; c++) {
		if (!selected(c->name, argc, argv))
			continue;
		snprintf(t.top_name, sizeof t.top_name, "%s", c->name);
		open_case(c->name);
		t.subs = 0;
		unsigned skipped = t.skipped;
		c->fn();
		/* A case that ran sub-cases (or only skipped) was counted by them,
		 * unless it failed on its own after them. */
		if ((t.subs == 0 && t.skipped == skipped) || t.case_failed)
			close_case();
	}
	return t_finish();
}

int t_finish(void)
{
	printf("RESULT %u %u %u\n", t.passed, t.failed, t.skipped);
	return t.failed ? 1 : 0;
}
