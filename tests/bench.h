/*
 * bench.h: the tiny benchmark helper behind `./build.sh bench`.
 *
 * bench_median_ns() runs a function `runs` times (after one warm-up call)
 * and returns the median wall-clock time of one call in nanoseconds, so a
 * single preempted run does not move the figure. Benchmarks print tables;
 * tests never assert on time.
 */
#ifndef ECHOVER_BENCH_H
#define ECHOVER_BENCH_H

#include <stddef.h>
#include <stdint.h>

uint64_t bench_now_ns(void);
double bench_median_ns(void (*fn)(void *ctx), void *ctx, unsigned runs);
/* Process CPU time (user + system) in nanoseconds. */
uint64_t bench_cpu_ns(void);

#endif
