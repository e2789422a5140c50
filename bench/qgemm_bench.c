/*
 * qgemm_bench.c — micro-benchmark of ia_qgemm (quantised weights) against
 * ia_sgemm (fp32) on the MiniLM linear layers at batch 32 × 128 tokens.
 *
 * Usage: qgemm_bench [generic|avx2|avx512] [threads...]   (default: best, 1 2)
 * Rows: m = 4096 (the whole batch) and m = 512 (one chunk of it); (n, k) =
 * (384, 384) attention projections, (1536, 384) FFN up, (384, 1536) FFN
 * down. Columns: fp32 sgemm, then 8-bit per channel (group = k), 8-bit
 * groups 128 (the quantiser's 8-bit default) and 32, 4-bit groups
 * 32/64/128, 2-bit groups 32/64, each as GFLOP/s
 * equivalent (2·m·n·k / time), median of RUNS runs of ≥ MIN_RUN_S each
 * (the machine may be shared: the runs of all configs of a shape are
 * interleaved), and the ratio of medians to fp32 in brackets. The
 * "layer" row weighs the shapes as one BERT layer does (4 × 384², 1 × up,
 * 1 × down) and reports the time ratio only. Weights are hot (the same
 * matrix every call), as in gemm_bench.
 *
 * The VNNI tile shapes (qgemm_vnni.c's QGEMM_MR8/NV8/MR4/NV4/MR2/NV2) and
 * the driver's CHUNK_ROWS can be overridden with -D to repeat the
 * measurements their comments record.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/cpu/gemm.h"
#include "util/clock.h"
#include "backends/cpu/qgemm.h"
#include "backends/cpu/qmat.h"

#define RUNS 7
#define MIN_RUN_S 0.03

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct config {
    const char *name;
    int bits;
    int group; /* 0: per channel (group = k) */
} config;

static const config configs[] = {
    {"fp32", 0, 0},   {"q8/k", 8, 0},     {"q8/128", 8, 128}, {"q8/32", 8, 32}, {"q4/32", 4, 32},
    {"q4/64", 4, 64}, {"q4/128", 4, 128}, {"q2/32", 2, 32},   {"q2/64", 2, 64},
};
#define NCONF (int)(sizeof configs / sizeof *configs)

static const int nk[][2] = {{384, 384}, {1536, 384}, {384, 1536}};
static const int layer_weight[] = {4, 1, 1}; /* per BERT layer: q, k, v, out; up; down */
static const int ms[] = {4096, 512};

typedef struct operands {
    const float *x, *w, *bias;
    float *y;
    ia_qmat *q;
    void *ws;
} operands;

static void run_once(const config *c, const ia_qgemm_impl *impl, ia_pool *pool, int m, int n,
                     int k, const operands *o) {
    if (c->bits == 0) ia_sgemm(pool, 1, m, n, k, o->x, k, o->w, k, o->bias, o->y, n);
    else ia_qgemm(impl, pool, 0, o->q, m, o->x, k, o->bias, o->y, n, NULL, o->ws);
}

/* Calls per timed run of one config, sized so a run lasts ≥ MIN_RUN_S
 * (also the warm-up). */
static int size_reps(const config *c, const ia_qgemm_impl *impl, ia_pool *pool, int m, int n,
                     int k, const operands *o) {
    int reps = 1;
    for (;;) {
        double t0 = ia_now_sec();
        for (int r = 0; r < reps; r++) run_once(c, impl, pool, m, n, k, o);
        if (ia_now_sec() - t0 >= MIN_RUN_S) return reps;
        reps *= 2;
    }
}

/* Random codes / scales of the given shape, packed. */
static ia_qmat *make_qmat(int bits, int n, int k, int group) {
    ia_qweights w;
    ia_qmat *q = NULL;
    if (ia_qweights_alloc(&w, bits, n, k, group) != IA_OK) return NULL;
    for (size_t i = 0; i < (size_t)n * k; i++) w.q[i] = (uint8_t)((i * 2654435761u >> 13) & ((1u << bits) - 1));
    for (size_t i = 0; i < (size_t)n * (k / group); i++) {
        w.d[i] = 0.01f + 0.001f * (float)(i % 17);
        w.m[i] = -w.d[i] * (float)(1 << (bits - 1));
    }
    if (ia_qmat_pack(&w, &q) != IA_OK) q = NULL;
    ia_qweights_free(&w);
    return q;
}

int main(int argc, char **argv) {
    const char *cap = argc > 1 && strcmp(argv[1], "best") != 0 ? argv[1] : NULL;
    const ia_qgemm_impl *impl = ia_qgemm_pick(cap);
    int threads[8] = {1, 2}, nthreads = 2;
    size_t max_x = 4096 * 1536, max_w = 1536 * 384, max_y = 4096 * 1536;
    float *x = malloc(max_x * sizeof *x), *w = malloc(max_w * sizeof *w);
    float *y = malloc(max_y * sizeof *y), *bias = malloc(1536 * sizeof *bias);
    if (!x || !w || !y || !bias) return 1;
    if (argc > 2) {
        nthreads = 0;
        for (int i = 2; i < argc && nthreads < 8; i++) threads[nthreads++] = atoi(argv[i]);
    }
    for (size_t i = 0; i < max_x; i++) x[i] = (float)((i * 7919) % 1000) / 1000.0f - 0.5f;
    for (size_t i = 0; i < max_w; i++) w[i] = (float)((i * 104729) % 1000) / 1000.0f - 0.5f;
    for (int i = 0; i < 1536; i++) bias[i] = 0.01f * (float)(i % 100);

    printf("qgemm %s, sgemm %s; GFLOP/s-equivalent (2mnk/t), median of %d; [x fp32]\n",
           ia_qgemm_impl_name(impl), ia_sgemm_kernel_name(), RUNS);
    printf("%5s %5s %5s %3s", "m", "n", "k", "thr");
    for (int c = 0; c < NCONF; c++) printf(" %14s", configs[c].name);
    printf("\n");
    for (int ti = 0; ti < nthreads; ti++) {
        ia_pool *pool = NULL;
        if (ia_pool_create(threads[ti], &pool) != IA_OK) return 1;
        for (int mi = 0; mi < 2; mi++) {
            int m = ms[mi];
            double layer[NCONF] = {0};
            for (int s = 0; s < 3; s++) {
                int n = nk[s][0], k = nk[s][1];
                operands o[NCONF];
                int reps[NCONF];
                double t[NCONF][RUNS], med[NCONF];
                printf("%5d %5d %5d %3d", m, n, k, ia_pool_size(pool));
                for (int c = 0; c < NCONF; c++) {
                    operands oc = {x, w, bias, y, NULL, NULL};
                    if (configs[c].bits) {
                        int group = configs[c].group ? configs[c].group : k;
                        oc.q = make_qmat(configs[c].bits, n, k, group);
                        oc.ws = oc.q ? aligned_alloc(64, (ia_qgemm_workspace_size(oc.q, m) + 63) / 64 * 64) : NULL;
                        if (!oc.q || !oc.ws) return 1;
                    }
                    o[c] = oc;
                    reps[c] = size_reps(&configs[c], impl, pool, m, n, k, &o[c]);
                }
                /* rounds interleave the configs, so a slow spell of the
                 * shared machine hits all of them alike, not one column */
                for (int i = 0; i < RUNS; i++)
                    for (int c = 0; c < NCONF; c++) {
                        double t0 = ia_now_sec();
                        for (int r = 0; r < reps[c]; r++) run_once(&configs[c], impl, pool, m, n, k, &o[c]);
                        t[c][i] = (ia_now_sec() - t0) / reps[c];
                    }
                for (int c = 0; c < NCONF; c++) {
                    double g;
                    qsort(t[c], RUNS, sizeof t[c][0], cmp_double);
                    med[c] = t[c][RUNS / 2];
                    g = 2.0 * m * n * k / med[c] / 1e9;
                    layer[c] += layer_weight[s] * med[c];
                    if (c == 0) printf(" %14.1f", g);
                    else printf(" %7.1f [%4.2f]", g, med[0] / med[c]);
                    ia_qmat_free(o[c].q);
                    free(o[c].ws);
                }
                printf("\n");
                fflush(stdout);
            }
            printf("%5d %11s %3d %14s", m, "layer", ia_pool_size(pool), "1.00");
            for (int c = 1; c < NCONF; c++) printf(" %7s [%4.2f]", "", layer[0] / layer[c]);
            printf("\n");
        }
        ia_pool_free(pool);
    }
    free(x), free(w), free(y), free(bias);
    return 0;
}
