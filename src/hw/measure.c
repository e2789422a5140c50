/*
 * measure.c — CPU micro-benchmarks for the hardware report.
 *
 * GEMM: C[m,n] = A[m,k]·W[n,k]^T with the backend's own ia_sgemm at the
 * shape of all-MiniLM's FFN up-projection over one 512-token chunk
 * (512 × 1536 × 384) — what the model really runs. Best of several timed
 * repetitions, each long enough (≥ 20 ms quick, ≥ 100 ms full) to swamp
 * timer noise.
 *
 * Memory: a threaded copy (b = a) between two buffers of twice the
 * last-level cache each (at least 64 MiB, at most 512 MiB), so the copy
 * streams from DRAM rather than the cache;
 * bandwidth counts the bytes read plus the bytes written. Pages are touched
 * before timing so first-touch faults are not measured.
 */
#include "hw/measure.h"

#include <stdlib.h>
#include <string.h>

#include "backends/cpu/gemm.h"
#include "util/error.h"
#include "util/clock.h"
#include "util/threadpool.h"

/* Best GFLOP/s over `reps` timed runs of at least min_s seconds each. */
static double time_gemm(ia_pool *pool, int m, int n, int k, const float *A, const float *W,
                        const float *bias, float *C, int reps, double min_s) {
    double best = 0.0;
    ia_sgemm(pool, 1, m, n, k, A, k, W, k, bias, C, n); /* warm-up: caches, pages */
    for (int r = 0; r < reps; r++) {
        int iters = 0;
        double t0 = ia_now_sec(), dt;
        do {
            ia_sgemm(pool, 1, m, n, k, A, k, W, k, bias, C, n);
            iters++;
        } while ((dt = ia_now_sec() - t0) < min_s);
        double g = 2.0 * m * n * (double)k * iters / dt / 1e9;
        best = g > best ? g : best;
    }
    return best;
}

typedef struct copy_job {
    const char *src;
    char *dst;
    size_t bytes;
    int parts;
} copy_job;

static void copy_task(void *ctx, int t, int thread) {
    copy_job *j = ctx;
    size_t per = j->bytes / (size_t)j->parts, off = per * (size_t)t;
    size_t len = t == j->parts - 1 ? j->bytes - off : per;
    memcpy(j->dst + off, j->src + off, len);
}

static double time_copy(ia_pool *pool, char *a, char *b, size_t bytes, int reps) {
    copy_job j = {a, b, bytes, ia_pool_size(pool)};
    double best = 0.0;
    ia_pool_run(pool, j.parts, copy_task, &j); /* warm-up */
    for (int r = 0; r < reps; r++) {
        double t0 = ia_now_sec(), dt;
        ia_pool_run(pool, j.parts, copy_task, &j);
        dt = ia_now_sec() - t0;
        if (dt > 0 && 2.0 * (double)bytes / dt / 1e9 > best) best = 2.0 * (double)bytes / dt / 1e9;
    }
    return best;
}

ia_status ia_hw_measure_cpu(ia_hw_bench_mode mode, int threads, long long llc_bytes,
                            ia_hw_cpu_figures *out) {
    const int m = 512, n = 1536, k = 384;
    size_t buf_bytes = llc_bytes > 0 ? 2 * (size_t)llc_bytes : (size_t)64 << 20;
    double t_start = ia_now_sec(), min_s = mode == IA_HW_BENCH_FULL ? 0.1 : 0.02;
    int reps = mode == IA_HW_BENCH_FULL ? 7 : 3;
    float *A = NULL, *W = NULL, *bias = NULL, *C = NULL;
    char *a = NULL, *b = NULL;
    ia_pool *own = NULL, *pool;
    ia_status st = IA_OK;
    memset(out, 0, sizeof *out);
    if (mode == IA_HW_BENCH_NONE) return IA_OK;
    if (buf_bytes < ((size_t)64 << 20)) buf_bytes = (size_t)64 << 20;
    if (buf_bytes > ((size_t)512 << 20)) buf_bytes = (size_t)512 << 20;
    /* The process's pool unless a thread count is asked for: a private one
     * of that size then (the global pool's size is fixed at its creation). */
    if (threads > 0 && (st = ia_pool_create(threads, &own)) != IA_OK) return st;
    pool = own ? own : ia_pool_global();
    A = malloc((size_t)m * k * sizeof *A);
    W = malloc((size_t)n * k * sizeof *W);
    bias = malloc((size_t)n * sizeof *bias);
    C = malloc((size_t)m * n * sizeof *C);
    a = malloc(buf_bytes);
    b = malloc(buf_bytes);
    if (!A || !W || !bias || !C || !a || !b) {
        st = ia_error(IA_ERR_NOMEM, "hardware benchmark buffers (2 x %zu MiB)", buf_bytes >> 20);
        goto done;
    }
    /* Values of ordinary size: denormals or NaNs would slow some CPUs. */
    for (size_t i = 0; i < (size_t)m * k; i++) A[i] = (float)(i % 97) / 97.0f - 0.5f;
    for (size_t i = 0; i < (size_t)n * k; i++) W[i] = (float)(i % 89) / 89.0f - 0.5f;
    for (int i = 0; i < n; i++) bias[i] = 0.01f * (float)(i % 7);
    memset(a, 1, buf_bytes);
    memset(b, 2, buf_bytes);

    out->threads = ia_pool_size(pool);
    out->gemm_m = m, out->gemm_n = n, out->gemm_k = k;
    out->gemm_gflops = time_gemm(pool, m, n, k, A, W, bias, C, reps, min_s);
    if (mode == IA_HW_BENCH_FULL) /* a NULL pool: the calling thread alone */
        out->gemm_gflops_1thread = time_gemm(NULL, m, n, k, A, W, bias, C, reps, min_s);
    out->mem_gbps = time_copy(pool, a, b, buf_bytes, reps);
    out->mem_buffer_mib = (double)(buf_bytes >> 20);
    out->seconds = ia_now_sec() - t_start;
done:
    free(A);
    free(W);
    free(bias);
    free(C);
    free(a);
    free(b);
    ia_pool_free(own);
    return st;
}
