/*
 * gemm_bench.c — micro-benchmark of ia_sgemm on the MiniLM shapes, with a
 * peak-FMA measurement so results can be stated as % of this core's peak.
 *
 * Usage: gemm_bench [best|avx512|avx2|generic] [threads...]  (default: best 1 2)
 * One line per shape and thread count: median GFLOP/s of 7 runs, each run
 * long enough (≥ 20 ms) to swamp timer and wake-up noise. Weights are hot
 * (the same B every call), as in the numpy/ORT anchors it is compared with.
 *
 * Build (no CMake target yet), from the repository root after a CMake build
 * (the static library exports the internal ia_sgemm_* symbols to a static
 * link; -fvisibility=hidden only affects the shared one):
 *   gcc -std=c11 -O3 -Iinclude -Isrc -D_DEFAULT_SOURCE bench/gemm_bench.c \
 *       build/libipfs_accelerate.a -lcjson -lpthread -lm -o build/gemm_bench
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/cpu/cpu_features.h"
#include "backends/cpu/gemm.h"
#include "util/clock.h"
#include "backends/cpu/gemm_kernels.h"

#define RUNS 7
#define MIN_RUN_S 0.02

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

#if defined(__x86_64__) && defined(__GNUC__)
/* 12 independent ZMM FMA chains (≥ 2 ports × 4-cycle latency), in asm so
 * the compiler cannot shorten it. Returns single-core GFLOP/s. */
__attribute__((target("avx512f"))) static double fma_peak_avx512(void) {
    long iters = 50000000;
    double t0 = ia_now_sec();
    __asm__ volatile(
        "vxorps %%zmm0,%%zmm0,%%zmm0\n vxorps %%zmm1,%%zmm1,%%zmm1\n"
        "vxorps %%zmm2,%%zmm2,%%zmm2\n vxorps %%zmm3,%%zmm3,%%zmm3\n"
        "vxorps %%zmm4,%%zmm4,%%zmm4\n vxorps %%zmm5,%%zmm5,%%zmm5\n"
        "vxorps %%zmm6,%%zmm6,%%zmm6\n vxorps %%zmm7,%%zmm7,%%zmm7\n"
        "vxorps %%zmm8,%%zmm8,%%zmm8\n vxorps %%zmm9,%%zmm9,%%zmm9\n"
        "vxorps %%zmm10,%%zmm10,%%zmm10\n vxorps %%zmm11,%%zmm11,%%zmm11\n"
        "vxorps %%zmm12,%%zmm12,%%zmm12\n vxorps %%zmm13,%%zmm13,%%zmm13\n"
        "1:\n"
        "vfmadd231ps %%zmm12,%%zmm13,%%zmm0\n vfmadd231ps %%zmm12,%%zmm13,%%zmm1\n"
        "vfmadd231ps %%zmm12,%%zmm13,%%zmm2\n vfmadd231ps %%zmm12,%%zmm13,%%zmm3\n"
        "vfmadd231ps %%zmm12,%%zmm13,%%zmm4\n vfmadd231ps %%zmm12,%%zmm13,%%zmm5\n"
        "vfmadd231ps %%zmm12,%%zmm13,%%zmm6\n vfmadd231ps %%zmm12,%%zmm13,%%zmm7\n"
        "vfmadd231ps %%zmm12,%%zmm13,%%zmm8\n vfmadd231ps %%zmm12,%%zmm13,%%zmm9\n"
        "vfmadd231ps %%zmm12,%%zmm13,%%zmm10\n vfmadd231ps %%zmm12,%%zmm13,%%zmm11\n"
        "dec %0\n jnz 1b\n"
        : "+r"(iters)
        :
        : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",
          "xmm10", "xmm11", "xmm12", "xmm13", "cc");
    return 50000000.0 * 12 * 32 / (ia_now_sec() - t0) / 1e9;
}
#endif

typedef struct shape {
    const char *what;
    int trans_b, m, n, k;
    int single; /* pool = NULL, as attention calls it */
} shape;

static const shape shapes[] = {
    {"attn-out/linear 384x384", 1, 10, 384, 384, 0},
    {"attn-out/linear 384x384", 1, 32, 384, 384, 0},
    {"attn-out/linear 384x384", 1, 128, 384, 384, 0},
    {"attn-out/linear 384x384", 1, 4096, 384, 384, 0},
    {"qkv fused 1152x384", 1, 10, 1152, 384, 0},
    {"qkv fused 1152x384", 1, 32, 1152, 384, 0},
    {"qkv fused 1152x384", 1, 128, 1152, 384, 0},
    {"qkv fused 1152x384", 1, 4096, 1152, 384, 0},
    {"ffn up 1536x384", 1, 10, 1536, 384, 0},
    {"ffn up 1536x384", 1, 32, 1536, 384, 0},
    {"ffn up 1536x384", 1, 128, 1536, 384, 0},
    {"ffn up 1536x384", 1, 4096, 1536, 384, 0},
    {"ffn down 384x1536", 1, 10, 384, 1536, 0},
    {"ffn down 384x1536", 1, 32, 384, 1536, 0},
    {"ffn down 384x1536", 1, 128, 384, 1536, 0},
    {"ffn down 384x1536", 1, 4096, 384, 1536, 0},
    {"attn Q.K^T seq128", 1, 128, 128, 32, 1},
    {"attn P.V seq128", 0, 128, 32, 128, 1},
};

/* Median GFLOP/s of RUNS runs; *best gets the fastest run (the machine
 * may be shared: the median says what a caller sees, the best what the
 * kernel does when it has the cores to itself). */
static double bench_one(const ia_sgemm_impl *impl, ia_pool *pool, const shape *s,
                        const float *A, const float *B, const float *bias, float *C,
                        double *best) {
    int lda = s->k, ldb = s->trans_b ? s->k : s->n, ldc = s->n;
    double flops = 2.0 * s->m * s->n * s->k, rates[RUNS];
    int reps = 1;
    ia_pool *p = s->single ? NULL : pool;
    /* warm up, and size a run to MIN_RUN_S */
    for (;;) {
        double t0 = ia_now_sec();
        for (int r = 0; r < reps; r++)
            ia_sgemm_with(impl, p, 0, s->trans_b, s->m, s->n, s->k, A, lda, B, ldb, bias, C, ldc, NULL);
        if (ia_now_sec() - t0 >= MIN_RUN_S) break;
        reps *= 2;
    }
    for (int i = 0; i < RUNS; i++) {
        double t0 = ia_now_sec(), t;
        for (int r = 0; r < reps; r++)
            ia_sgemm_with(impl, p, 0, s->trans_b, s->m, s->n, s->k, A, lda, B, ldb, bias, C, ldc, NULL);
        t = ia_now_sec() - t0;
        rates[i] = flops * reps / t / 1e9;
    }
    qsort(rates, RUNS, sizeof *rates, cmp_double);
    *best = rates[RUNS - 1];
    return rates[RUNS / 2];
}

int main(int argc, char **argv) {
    const char *variant = argc > 1 ? argv[1] : "best";
    const ia_sgemm_impl *impl =
        strcmp(variant, "best") == 0 ? ia_sgemm_impl_pick(getenv("IA_KERNEL"))
                                     : ia_sgemm_impl_find(variant);
    int thread_counts[8] = {1, 2}, n_counts = 2;
    size_t max_a = 0, max_b = 0, max_c = 0;
    float *A, *B, *bias, *C;
    double peak = 0;

    if (!impl) {
        fprintf(stderr, "variant %s is not available on this CPU\n", variant);
        return 1;
    }
    if (argc > 2) {
        n_counts = 0;
        for (int i = 2; i < argc && n_counts < 8; i++) thread_counts[n_counts++] = atoi(argv[i]);
    }
#if defined(__x86_64__) && defined(__GNUC__)
    if (ia_cpu_features_get().avx512f)
        for (int i = 0; i < 3; i++) { /* best of 3: the first may run at a lower clock */
            double g = fma_peak_avx512();
            if (g > peak) peak = g;
        }
#endif
    printf("kernel %s; ", impl->name);
    if (peak > 0)
        printf("single-core AVX-512 FMA peak %.1f GFLOP/s (= %.2f GHz x 64 flop/cycle); "
               "GFLOP/s below, %%peak = median / (peak x threads)\n",
               peak, peak / 64);
    else
        printf("no AVX-512 peak measured\n");

    for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) {
        const shape *s = &shapes[i];
        size_t a = (size_t)s->m * s->k, b = (size_t)s->n * s->k, c = (size_t)s->m * s->n;
        if (a > max_a) max_a = a;
        if (b > max_b) max_b = b;
        if (c > max_c) max_c = c;
    }
    A = malloc(max_a * sizeof *A);
    B = malloc(max_b * sizeof *B);
    C = malloc(max_c * sizeof *C);
    bias = malloc(4096 * sizeof *bias);
    if (!A || !B || !C || !bias) return 1;
    for (size_t i = 0; i < max_a; i++) A[i] = (float)((i * 7919) % 1000) / 1000.0f - 0.5f;
    for (size_t i = 0; i < max_b; i++) B[i] = (float)((i * 104729) % 1000) / 1000.0f - 0.5f;
    for (size_t i = 0; i < 4096; i++) bias[i] = 0.01f * (float)(i % 100);

    printf("%-26s %5s %5s %5s %3s %8s %7s %8s\n", "shape", "m", "n", "k", "thr", "median",
           "%peak", "best");
    for (int t = 0; t < n_counts; t++) {
        ia_pool *pool = NULL;
        if (ia_pool_create(thread_counts[t], &pool) != IA_OK) return 1;
        for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) {
            const shape *s = &shapes[i];
            int thr = s->single ? 1 : ia_pool_size(pool);
            double g, best;
            if (s->single && t > 0) continue; /* pool-independent */
            g = bench_one(impl, pool, s, A, B, bias, C, &best);
            printf("%-26s %5d %5d %5d %3d %8.1f %6.1f%% %8.1f\n", s->what, s->m, s->n, s->k, thr,
                   g, peak > 0 ? 100.0 * g / (peak * thr) : 0.0, best);
            fflush(stdout);
        }
        ia_pool_free(pool);
    }
    free(A);
    free(B);
    free(C);
    free(bias);
    return 0;
}
