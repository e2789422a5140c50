/*
 * wasm_kernels.c — the wasm32 module of bench/wasm_kernels.sh: times the
 * CPU backend's kernel variants where the JavaScript SDK runs them, in a
 * WebAssembly engine (node's V8 under WASI), portable C against
 * wasm_simd128.
 *
 *   wasm_kernels gemm [SECONDS]           sgemm and int8 qgemm, per variant
 *   wasm_kernels embed MODEL_DIR RUNS TEXT...   one batch, median of RUNS
 *
 * gemm: the MiniLM linear-layer shapes — m = 128 (one 128-token text) and
 * m = 4096 (32 of them), (n, k) = (384, 384) attention projections,
 * (1536, 384) FFN up, (384, 1536) FFN down — as the model runs them: fp32
 * weights packed once for the variant (ia_sgemm_pack / ia_sgemm_prepacked)
 * and 8-bit weights in groups of 128 (the quantiser's 8-bit default),
 * symmetric. One thread (the wasi module has no threads). Per variant and
 * shape: GFLOP/s as 2mnk / time, the median of 5 runs of at least SECONDS
 * (default 0.2) each, the variants' runs interleaved; then the ratio to
 * generic and the largest difference from generic's answer relative to
 * the answer's largest magnitude (each variant must compute the same
 * thing).
 *
 * embed: the model opened once (one thread); the kernel is whatever the
 * dispatcher picks, so IA_KERNEL=generic in the environment forces the
 * portable one. One warm-up batch, then RUNS timed batches; prints the
 * kernel and the median, min and max ms.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/cpu/gemm.h"
#include "backends/cpu/gemm_kernels.h"
#include "backends/cpu/qgemm.h"
#include "backends/cpu/qmat.h"
#include "ipfs_accelerate.h"
#include "util/clock.h"

#define RUNS 5
#define MAX_VARIANTS 2

static const char *const variants[MAX_VARIANTS] = {"generic", "wasm_simd128"};

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *t, int n) {
    qsort(t, (size_t)n, sizeof *t, cmp_double);
    return t[n / 2];
}

typedef struct shape {
    int m, n, k;
} shape;

static const shape shapes[] = {
    {128, 384, 384}, {128, 1536, 384}, {128, 384, 1536},
    {4096, 384, 384}, {4096, 1536, 384}, {4096, 384, 1536},
};

/* One variant's operands for one shape: fp32 weights packed for it, or a
 * quantised matrix and its workspace. */
typedef struct bench_op {
    const ia_sgemm_impl *simpl;
    ia_sgemm_packed *packed;
    const ia_qgemm_impl *qimpl;
    const ia_qmat *q;
    void *ws;
    float *y;
} bench_op;

static void run_once(const bench_op *o, const shape *s, const float *x, const float *bias) {
    if (o->packed) ia_sgemm_prepacked(o->packed, NULL, 1, s->m, x, s->k, bias, o->y, s->n, NULL);
    else ia_qgemm(o->qimpl, NULL, 1, o->q, s->m, x, s->k, bias, o->y, s->n, NULL, o->ws);
}

/* Calls per timed run so that one lasts at least `secs`. */
static int size_reps(const bench_op *o, const shape *s, const float *x, const float *bias, double secs) {
    int reps = 1;
    for (;;) {
        double t0 = ia_now_sec();
        for (int r = 0; r < reps; r++) run_once(o, s, x, bias);
        if (ia_now_sec() - t0 >= secs || reps >= 1 << 20) return reps;
        reps *= 2;
    }
}

/* Deterministic codes and scales, 8 bits symmetric (m = -128 d), groups of 128. */
static ia_qmat *make_qmat(int n, int k) {
    ia_qweights w;
    ia_qmat *q = NULL;
    int group = k % 128 == 0 ? 128 : k;
    if (ia_qweights_alloc(&w, 8, n, k, group) != IA_OK) return NULL;
    for (size_t i = 0; i < (size_t)n * (size_t)k; i++) w.q[i] = (uint8_t)((i * 2654435761u >> 13) & 255u);
    for (size_t i = 0; i < (size_t)n * (size_t)(k / group); i++) {
        w.d[i] = 0.001f + 0.0001f * (float)(i % 17);
        w.m[i] = -w.d[i] * 128.0f;
    }
    if (ia_qmat_pack(&w, &q) != IA_OK) q = NULL;
    ia_qweights_free(&w);
    return q;
}

static float max_abs(const float *y, size_t n) {
    float a = 0.0f;
    for (size_t i = 0; i < n; i++) a = fabsf(y[i]) > a ? fabsf(y[i]) : a;
    return a;
}

static float max_diff(const float *a, const float *b, size_t n) {
    float d = 0.0f;
    for (size_t i = 0; i < n; i++) d = fabsf(a[i] - b[i]) > d ? fabsf(a[i] - b[i]) : d;
    return d;
}

/* One pass over the shapes; prints the table when `print`. */
static int bench_gemm_pass(double secs, const float *x, const float *w, const float *bias, int print) {
    for (int quant = 0; quant < 2; quant++)
        for (size_t si = 0; si < sizeof shapes / sizeof *shapes; si++) {
            const shape *s = &shapes[si];
            bench_op o[MAX_VARIANTS];
            int reps[MAX_VARIANTS], nv = 0;
            double t[MAX_VARIANTS][RUNS];
            ia_qmat *q = quant ? make_qmat(s->n, s->k) : NULL;
            if (quant && !q) return 1;
            memset(o, 0, sizeof o);
            for (int v = 0; v < MAX_VARIANTS; v++) {
                bench_op *b = &o[nv];
                if (quant) {
                    /* pick() falls back to a lower variant: keep only an exact match */
                    b->qimpl = ia_qgemm_pick(variants[v]);
                    if (strcmp(ia_qgemm_impl_name(b->qimpl), variants[v]) != 0) continue;
                    b->q = q;
                    if (!(b->ws = aligned_alloc(64, (ia_qgemm_workspace_size(q, s->m) + 63) / 64 * 64))) return 1;
                } else {
                    if (!(b->simpl = ia_sgemm_impl_find(variants[v]))) continue;
                    if (ia_sgemm_pack(b->simpl, s->n, s->k, w, s->k, &b->packed) != IA_OK) return 1;
                }
                if (!(b->y = malloc((size_t)s->m * (size_t)s->n * sizeof *b->y))) return 1;
                reps[nv] = size_reps(b, s, x, bias, secs);
                nv++;
            }
            /* rounds interleave the variants, so a slow spell of a shared
             * machine hits them alike */
            for (int r = 0; r < RUNS; r++)
                for (int v = 0; v < nv; v++) {
                    double t0 = ia_now_sec();
                    for (int i = 0; i < reps[v]; i++) run_once(&o[v], s, x, bias);
                    t[v][r] = (ia_now_sec() - t0) / reps[v];
                }
            if (print) {
                printf("%-5s m=%4d n=%4d k=%4d", quant ? "q8/128" : "fp32", s->m, s->n, s->k);
                for (int v = 0; v < nv; v++) {
                    size_t ny = (size_t)s->m * (size_t)s->n;
                    double med = median(t[v], RUNS), base = v ? median(t[0], RUNS) : med;
                    printf("  %s %6.1f", o[v].packed ? o[v].simpl->name : ia_qgemm_impl_name(o[v].qimpl),
                           2.0 * s->m * s->n * s->k / med / 1e9);
                    if (v)
                        printf(" [%4.2fx] diff %.1e", base / med,
                               max_diff(o[v].y, o[0].y, ny) / max_abs(o[0].y, ny));
                }
                printf("\n");
                fflush(stdout);
            }
            for (int v = 0; v < nv; v++) {
                ia_sgemm_packed_free(o[v].packed);
                free(o[v].ws);
                free(o[v].y);
            }
            ia_qmat_free(q);
        }
    return 0;
}

static int bench_gemm(double secs) {
    size_t max_x = 4096 * 1536, max_w = 1536 * 1536;
    float *x = malloc(max_x * sizeof *x), *w = malloc(max_w * sizeof *w), *bias = malloc(1536 * sizeof *bias);
    int rc = 1;
    if (!x || !w || !bias) goto done;
    for (size_t i = 0; i < max_x; i++) x[i] = (float)((i * 7919) % 1000) / 1000.0f - 0.5f;
    for (size_t i = 0; i < max_w; i++) w[i] = (float)((i * 104729) % 1000) / 1000.0f - 0.5f;
    for (int i = 0; i < 1536; i++) bias[i] = 0.01f * (float)(i % 100);
    printf("kernel GFLOP/s (2mnk/t), one thread, median of %d runs of >= %.2f s; [x generic], max |diff| / max |y|\n",
           RUNS, secs);
    /* The engine compiles each function with a baseline compiler first and
     * the optimising one once it is hot (V8: Liftoff, then TurboFan, with
     * no on-stack replacement in between); size_reps warms each shape, and
     * the whole table also runs once, short, before anything is timed. */
    rc = bench_gemm_pass(0.02, x, w, bias, 0) || bench_gemm_pass(secs, x, w, bias, 1);
done:
    free(x), free(w), free(bias);
    return rc;
}

static int bench_embed(const char *dir, int runs, const char *const *texts, size_t n) {
    ia_model_options opts;
    ia_model *model = NULL;
    float *vecs = NULL;
    double *t = NULL;
    int rc = 1;
    IA_MODEL_OPTIONS_INIT(&opts);
    opts.threads = 1;
    if (ia_model_open(dir, &opts, &model) != IA_OK) {
        fprintf(stderr, "wasm_kernels: open %s: %s\n", dir, ia_last_error());
        goto done;
    }
    if (!(vecs = malloc(n * (size_t)ia_model_dim(model) * sizeof *vecs)) || !(t = malloc((size_t)runs * sizeof *t)))
        goto done;
    for (int r = -1; r < runs; r++) { /* r = -1: warm-up */
        double t0 = ia_now_sec();
        if (ia_model_embed(model, texts, n, vecs) != IA_OK) {
            fprintf(stderr, "wasm_kernels: embed: %s\n", ia_last_error());
            goto done;
        }
        if (r >= 0) t[r] = 1e3 * (ia_now_sec() - t0);
    }
    qsort(t, (size_t)runs, sizeof *t, cmp_double);
    printf("embed %zu texts, %s kernels: median %.1f ms (min %.1f, max %.1f, %d runs) = %.1f texts/s\n", n,
           ia_model_kernel(model), t[runs / 2], t[0], t[runs - 1], runs, 1e3 * (double)n / t[runs / 2]);
    rc = 0;
done:
    ia_model_free(model);
    free(vecs);
    free(t);
    return rc;
}

int main(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "gemm") == 0) return bench_gemm(argc > 2 ? atof(argv[2]) : 0.2);
    if (argc >= 5 && strcmp(argv[1], "embed") == 0 && atoi(argv[3]) > 0)
        return bench_embed(argv[2], atoi(argv[3]), (const char *const *)(argv + 4), (size_t)(argc - 4));
    fprintf(stderr, "usage: wasm_kernels gemm [SECONDS] | embed MODEL_DIR RUNS TEXT...\n");
    return 2;
}
