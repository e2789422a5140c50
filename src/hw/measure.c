/*
 * measure.c — the hardware report's micro-benchmarks (contracts in
 * measure.h).
 *
 * GEMM through the backend interface: nothing here knows a kernel. The
 * executor comes from kind->init, the weight is prepared by the executor
 * (the CPU repacks it for its GEMM, a GPU kind would upload it), the graph
 * is one LINEAR node and ia_sched_run places and runs it, synchronising at
 * the end — so the time is what a model's LINEAR costs on that kind. Each
 * timed repetition is long enough (min_s: 20 ms quick, 100 ms full) to
 * swamp timer noise.
 *
 * Memory: a threaded memcpy between two buffers of twice the last-level
 * cache each, so the copy streams from DRAM rather than the cache. Pages
 * are touched before timing so first-touch faults are not measured.
 */
#include "hw/measure.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backends/sched.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/threadpool.h"

/* Values of ordinary size (denormals or NaNs would slow some devices) and
 * not all alike, so a wrong result shows in the check. */
static void fill(float *p, size_t n, int mod) {
    for (size_t i = 0; i < n; i++) p[i] = (float)(i % (size_t)mod) / (float)mod - 0.5f;
}

/* Compares rows 0, m/2 and m-1 (every column) of the device's output with
 * a host computation in double. The tolerance covers fp32 accumulation
 * over k terms in any order (the values are below 1 in magnitude). */
static int output_ok(const float *x, const float *w, const float *b, const float *out, int m, int n, int k) {
    const int rows[3] = {0, m / 2, m - 1};
    for (int r = 0; r < 3; r++)
        for (int j = 0; j < n; j++) {
            double want = b[j];
            for (int i = 0; i < k; i++) want += (double)x[(size_t)rows[r] * k + i] * w[(size_t)j * k + i];
            if (!(fabs(out[(size_t)rows[r] * n + j] - want) <= 1e-4 * k + 1e-3 * fabs(want))) return 0;
        }
    return 1;
}

ia_status ia_hw_measure_linear(const ia_backend_ops *kind, int device, int threads, int m, int n, int k, int reps,
                               double min_s, double *gflops) {
    ia_backend_config cfg;
    ia_backend *exec = NULL;
    ia_sched *sched = NULL;
    ia_graph *g = NULL;
    ia_tensor w, b, *x, *y;
    float *xd = NULL, *wd = NULL, *bd = NULL, *out = NULL;
    int w_prepared = 0, b_prepared = 0;
    const int64_t xs[2] = {m, k}, ws[2] = {n, k}, bs[1] = {n}, ys[2] = {m, n};
    double best = 0.0;
    ia_status st;
    *gflops = 0.0;
    if (!kind || m < 3 || n < 1 || k < 1 || reps < 1)
        return ia_error(IA_ERR_INVALID_ARG, "measure linear: bad arguments");
    ia_backend_config_init(&cfg);
    cfg.device = device;
    cfg.threads = threads;
    if ((st = kind->init(&cfg, &exec)) != IA_OK) return st;
    xd = malloc((size_t)m * k * sizeof *xd);
    wd = malloc((size_t)n * k * sizeof *wd);
    bd = malloc((size_t)n * sizeof *bd);
    out = malloc((size_t)m * n * sizeof *out);
    if (!xd || !wd || !bd || !out) {
        st = ia_error(IA_ERR_NOMEM, "measure linear: %d x %d x %d", m, n, k);
        goto done;
    }
    fill(xd, (size_t)m * k, 97);
    fill(wd, (size_t)n * k, 89);
    fill(bd, (size_t)n, 7);

    /* The weight and bias as a model binds them: parameters over host
     * data, prepared by the executor for its kernels. */
    ia_tensor_init(&w, IA_DTYPE_F32, 2, ws, 0);
    w.data = wd, w.flags = IA_TENSOR_PARAM, w.use = IA_USE_MATMUL, w.name = "measure.weight";
    ia_tensor_init(&b, IA_DTYPE_F32, 1, bs, 0);
    b.data = bd, b.flags = IA_TENSOR_PARAM, b.use = IA_USE_OTHER, b.name = "measure.bias";
    if (exec->iface->prepare_weight) {
        if ((st = exec->iface->prepare_weight(exec, &w)) != IA_OK) goto done;
        w_prepared = 1;
        if ((st = exec->iface->prepare_weight(exec, &b)) != IA_OK) goto done;
        b_prepared = 1;
    }
    if ((st = ia_graph_create(&g)) != IA_OK) goto done;
    if (!(x = ia_graph_input(g, IA_DTYPE_F32, 2, xs, xd, "measure.x")) ||
        !(y = ia_graph_op(g, IA_OP_LINEAR, 2, ys, x, &w, &b, NULL))) {
        st = ia_error(IA_ERR_NOMEM, "measure linear: graph");
        goto done;
    }
    ia_graph_last(g)->iparam[0] = IA_ACT_NONE;
    if ((st = ia_graph_mark_output(g, y)) != IA_OK) goto done;
    if ((st = ia_sched_create(&exec, 1, &sched)) != IA_OK) goto done;

    /* Warm-up (caches, pages, lazy device setup) and the correctness check. */
    if ((st = ia_sched_run(sched, g)) != IA_OK) goto done;
    if ((st = ia_tensor_download(y, out, (size_t)m * n * sizeof *out)) != IA_OK) goto done;
    if (!output_ok(xd, wd, bd, out, m, n, k)) {
        st = ia_error(IA_ERR_INTERNAL, "measure linear: the %s backend computed a wrong result", kind->name);
        goto done;
    }
    for (int r = 0; r < reps; r++) {
        int iters = 0;
        double t0 = ia_now_sec(), dt;
        do {
            if ((st = ia_sched_run(sched, g)) != IA_OK) goto done;
            iters++;
        } while ((dt = ia_now_sec() - t0) < min_s);
        double gf = 2.0 * m * n * (double)k * iters / dt / 1e9;
        best = gf > best ? gf : best;
    }
    *gflops = best;
done:
    ia_sched_free(sched);
    ia_graph_free(g);
    if (w_prepared && exec->iface->release_weight) exec->iface->release_weight(exec, &w);
    if (b_prepared && exec->iface->release_weight) exec->iface->release_weight(exec, &b);
    ia_backend_free(exec);
    free(xd);
    free(wd);
    free(bd);
    free(out);
    return st;
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

ia_status ia_hw_measure_host_memory(ia_hw_bench_mode mode, int threads, long long llc_bytes, double *gbps,
                                    double *buffer_mib) {
    size_t bytes = llc_bytes > 0 ? 2 * (size_t)llc_bytes : (size_t)64 << 20;
    int reps = mode == IA_HW_BENCH_FULL ? 7 : 3;
    char *a = NULL, *b = NULL;
    ia_pool *own = NULL, *pool;
    ia_status st = IA_OK;
    *gbps = 0.0;
    *buffer_mib = 0.0;
    if (mode == IA_HW_BENCH_NONE) return IA_OK;
    if (bytes < ((size_t)64 << 20)) bytes = (size_t)64 << 20;
    if (bytes > ((size_t)512 << 20)) bytes = (size_t)512 << 20;
    /* The process's pool unless a thread count is asked for: a private one
     * of that size then (the global pool's size is fixed at its creation). */
    if (threads > 0 && (st = ia_pool_create(threads, &own)) != IA_OK) return st;
    pool = own ? own : ia_pool_global();
    a = malloc(bytes);
    b = malloc(bytes);
    if (!a || !b) {
        st = ia_error(IA_ERR_NOMEM, "memory benchmark buffers (2 x %zu MiB)", bytes >> 20);
        goto done;
    }
    memset(a, 1, bytes);
    memset(b, 2, bytes);
    {
        copy_job j = {a, b, bytes, ia_pool_size(pool)};
        ia_pool_run(pool, j.parts, copy_task, &j); /* warm-up */
        for (int r = 0; r < reps; r++) {
            double t0 = ia_now_sec(), dt;
            ia_pool_run(pool, j.parts, copy_task, &j);
            dt = ia_now_sec() - t0;
            if (dt > 0 && 2.0 * (double)bytes / dt / 1e9 > *gbps) *gbps = 2.0 * (double)bytes / dt / 1e9;
        }
    }
    *buffer_mib = (double)(bytes >> 20);
done:
    free(a);
    free(b);
    ia_pool_free(own);
    return st;
}
