#include "bench.h"

#include <stdlib.h>
#include <time.h>

uint64_t bench_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t bench_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

double bench_median_ns(void (*fn)(void *ctx), void *ctx, unsigned runs)
{
	if (runs == 0)
		runs = 1;
	double *t = malloc(runs * sizeof *t);
	if (!t)
		return -1;
	fn(ctx);
	for (unsigned i = 0; i < runs; i++) {
		uint64_t a = bench_now_ns();
		fn(ctx);
		t[i] = (double)(bench_now_ns() - a);
	}
	qsort(t, runs, sizeof *t, cmp_double);
	double m = t[runs / 2];
	free(t);
	return m;
}
