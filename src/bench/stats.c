/*
 * stats.c — mean, sample stddev and numpy-"linear" percentiles of
 * benchmark latencies (see stats.h for the definitions).
 */
#include "bench/stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double ia_bench_percentile_sorted(const double *sorted, size_t n, double q) {
    if (n == 0) return NAN;
    if (!(q > 0)) q = 0; /* also maps a NaN q to 0 */
    if (q > 100) q = 100;
    double h = (double)(n - 1) * q / 100.0;
    size_t lo = (size_t)floor(h);
    if (lo >= n - 1) return sorted[n - 1];
    double frac = h - (double)lo;
    return sorted[lo] + frac * (sorted[lo + 1] - sorted[lo]);
}

ia_status ia_bench_stats_compute(const double *latencies_ms, size_t n, ia_bench_stats *out) {
    ia_status st = IA_OK;
    double *sorted = NULL;
    if (!latencies_ms || !out || n == 0) {
        st = ia_error(IA_ERR_INVALID_ARG, "bench stats: need at least one latency");
        goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        if (!(latencies_ms[i] >= 0) || !isfinite(latencies_ms[i])) {
            st = ia_error(IA_ERR_INVALID_ARG, "bench stats: latency %zu is %g, not a finite value >= 0",
                          i, latencies_ms[i]);
            goto fail;
        }
    }
    sorted = malloc(n * sizeof *sorted);
    if (!sorted) {
        st = ia_error(IA_ERR_NOMEM, "bench stats: %zu latencies", n);
        goto fail;
    }
    memcpy(sorted, latencies_ms, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, cmp_double);

    /* Two passes (mean, then squared deviations): steadier than the
     * sum-of-squares formula when latencies are large and close together. */
    double sum = 0;
    for (size_t i = 0; i < n; i++) sum += sorted[i];
    double mean = sum / (double)n;
    double ss = 0;
    for (size_t i = 0; i < n; i++) ss += (sorted[i] - mean) * (sorted[i] - mean);

    memset(out, 0, sizeof *out);
    out->n = n;
    out->mean = mean;
    out->stddev = n > 1 ? sqrt(ss / (double)(n - 1)) : 0.0;
    out->min = sorted[0];
    out->max = sorted[n - 1];
    out->p50 = ia_bench_percentile_sorted(sorted, n, 50);
    out->p90 = ia_bench_percentile_sorted(sorted, n, 90);
    out->p99 = ia_bench_percentile_sorted(sorted, n, 99);
fail:
    free(sorted);
    return st;
}

double ia_bench_rate(double count, double wall_s) {
    if (!(wall_s > 0) || !isfinite(wall_s)) return NAN;
    return count / wall_s;
}
