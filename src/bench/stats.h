/*
 * stats.h — summary statistics of benchmark latencies and throughput.
 *
 * Why a file of its own: the runner, the CLI and the tests must agree on
 * one definition of a percentile, so that a p99 stored in the benchmark
 * database means the same thing as numpy's np.percentile(x, 99) computed
 * over the exported per-iteration rows. Pure functions, no I/O, no state.
 */
#ifndef IA_BENCH_STATS_H
#define IA_BENCH_STATS_H

#include <stddef.h>

#include "ipfs_accelerate.h"

/* Summary of n latencies in milliseconds. */
typedef struct ia_bench_stats {
    size_t n;
    double mean;
    double stddev; /* sample stddev (divisor n - 1); 0 for n = 1 */
    double min, max;
    double p50, p90, p99;
} ia_bench_stats;

/* Percentile q (0..100) of the n values sorted ascending, with linear
 * interpolation between closest ranks — numpy's default method
 * ("linear", Hyndman & Fan type 7): rank h = (n - 1) * q / 100, result
 * sorted[floor(h)] + (h - floor(h)) * (sorted[floor(h) + 1] - sorted[floor(h)]).
 * sorted must be ascending and n >= 1; q is clamped to [0, 100]. */
double ia_bench_percentile_sorted(const double *sorted, size_t n, double q);

/* Fills *out from n latencies (ms), in any order; the input is not
 * modified (a sorted copy is made). n = 0 or a NaN/negative value is
 * IA_ERR_INVALID_ARG; IA_ERR_NOMEM if the copy cannot be allocated.
 * Thread-safe. */
ia_status ia_bench_stats_compute(const double *latencies_ms, size_t n, ia_bench_stats *out);

/* Throughput: count / wall_s (items per second or tokens per second).
 * NaN if wall_s <= 0 or is not finite. */
double ia_bench_rate(double count, double wall_s);

#endif
