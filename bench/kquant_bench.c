/*
 * kquant_bench.c — ggml's k-quants on the CPU qgemm kernels, one thread:
 * decode (GEMV, m = 1) and prompt processing (GEMM, m = 512) at
 * n = k = 4096 (a 7B model's attention projection), for Q2_K .. Q6_K and,
 * to compare, Q8_0 and Q4_0.
 *
 * Usage: kquant_bench [generic|avx2|avx512|best] [types...]   (default: best, all)
 * KQ_HOT=1 in the environment: GEMV over one (hot) matrix, quick;
 * KQ_NO_FLOAT_FORM=1: skip the "/f" rows; KQ_THREADS=N: a pool of N
 * threads (default 1: none).
 *
 * Weights are random normal rows quantised with our ggml reference
 * quantisers, then prepared as the cpu executor prepares them
 * (k-quants: ia_qmat_pack_kquant, ggml's integer sub-block scales kept;
 * the "/f" rows: ia_qweights_from_dtype → ia_qmat_pack, float d and m per
 * sub-block, the same arithmetic). GEMV reads them cold: COPIES
 * packed matrices, together well past the last-level cache, are used in
 * turn; GEMM reuses one (hot, as a prompt's rows do). Columns:
 *   file b/w   bits per weight in the GGUF file
 *   run b/w    bits per weight the kernels read (codes + float d, m)
 *   gemv us    median time of one 1 × 4096 · 4096 × 4096 product
 *   GB/s       the packed bytes read per second by that GEMV
 *   gemm GF/s  2·m·n·k / time at m = 512, median
 * Compare GB/s with `ipfs-accelerate hw --bench`'s memory figure.
 *
 * Measured 2026-12-04 on the shared 2-vCPU test VM (Xeon with AVX-512
 * VNNI; `hw --bench`: 23.2 GB/s memory; other jobs running, GEMM ±30 %):
 *
 *   type     file b/w  run b/w   gemv us    GB/s  gemm GF/s
 *   Q2_K        2.625    3.250     554.8    12.3      239.1
 *   Q2_K/f      2.625    6.000     899.9    14.0      244.1
 *   Q3_K        3.438    4.250     764.1    11.7      244.5
 *   Q3_K/f      3.438    8.000    1108.8    15.1      250.7
 *   Q4_K        4.500    4.750     735.8    13.5      331.1
 *   Q4_K/f      4.500    6.000     827.1    15.2      331.2
 *   Q5_K        5.500    5.750     917.4    13.1      330.3
 *   Q5_K/f      5.500   10.000    1334.8    15.7      348.7
 *   Q6_K        6.562    7.250    1064.3    14.3      232.3
 *   Q6_K/f      6.562   12.000    1640.0    15.3      243.2
 *   Q4_0        4.500    6.000     830.9    15.1      333.7
 *   Q8_0        8.500   10.000    1326.9    15.8      337.8
 *
 * llama.cpp's own row-by-row ggml_vec_dot_q4_K_q8_K / _q6_K_q8_K on the
 * same shape, weights and cold rotation (bench/kquant_ggml_anchor.sh, its
 * activation quantisation not even timed): Q4_K 1501 us, Q6_K 1798 us.
 *
 * One thread streams 12–15 GB/s, so decode time follows the bits read;
 * the groups of 16 (Q2_K, Q3_K, Q6_K) cost GEMM speed: a float step per
 * 16 inputs, as the arithmetic (tensor/qweights.h) quantises activations
 * per weight group.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/cpu/qgemm.h"
#include "backends/cpu/qmat.h"
#include "tensor/blocks.h"
#include "tensor/kquants.h"
#include "util/clock.h"
#include "util/threadpool.h"

#define N 4096
#define K 4096
#define GEMM_M 512
#define COLD_BYTES ((size_t)1536 << 20) /* rotating GEMV weights: 3 × the 480 MiB L3 the VM reports */
#define MAX_COPIES 96
#define GEMV_RUNS 200
#define GEMM_RUNS 5

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static float nrand(void) { /* sum of 4 uniforms: roughly normal, enough for weights */
    float s = 0;
    for (int i = 0; i < 4; i++) {
        rng ^= rng >> 12, rng ^= rng << 25, rng ^= rng >> 27;
        s += (float)((rng * 0x2545F4914F6CDD1Dull) >> 40) / 16777216.0f - 0.5f;
    }
    return s;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return v[n / 2];
}

static ia_status quantize_rows(ia_dtype dt, const float *w, unsigned char *out) {
    size_t rb = ia_dtype_row_bytes(dt, 0, K);
    for (int r = 0; r < N; r++) {
        const float *x = w + (size_t)r * K;
        void *y = out + (size_t)r * rb;
        ia_status st;
        switch (dt) {
        case IA_DTYPE_Q2_K: st = ia_quantize_q2_K(x, y, K); break;
        case IA_DTYPE_Q3_K: st = ia_quantize_q3_K(x, y, K); break;
        case IA_DTYPE_Q4_K: st = ia_quantize_q4_K(x, y, K); break;
        case IA_DTYPE_Q5_K: st = ia_quantize_q5_K(x, y, K); break;
        case IA_DTYPE_Q6_K: st = ia_quantize_q6_K(x, y, K); break;
        case IA_DTYPE_Q8_0: st = ia_quantize_q8_0(x, y, K); break;
        case IA_DTYPE_Q4_0: st = ia_quantize_q4_0(x, y, K); break;
        default: return IA_ERR_INVALID_ARG;
        }
        if (st != IA_OK) return st;
    }
    return IA_OK;
}

/* What the cpu executor packs: k-quants with their integer scales, the
 * rest (and k-quants with float_form) through the plain form. */
static ia_status pack(ia_dtype dt, int float_form, const void *blocks, const ia_qweights *q, ia_qmat **out) {
    if (!float_form && dt >= IA_DTYPE_Q2_K && dt <= IA_DTYPE_Q6_K) return ia_qmat_pack_kquant(dt, blocks, N, K, out);
    return ia_qmat_pack(q, out);
}

int main(int argc, char **argv) {
    static const ia_dtype all[] = {IA_DTYPE_Q2_K, IA_DTYPE_Q3_K, IA_DTYPE_Q4_K, IA_DTYPE_Q5_K,
                                   IA_DTYPE_Q6_K, IA_DTYPE_Q4_0, IA_DTYPE_Q8_0};
    const char *cap = argc > 1 && strcmp(argv[1], "best") ? argv[1] : NULL;
    const ia_qgemm_impl *impl = ia_qgemm_pick(cap);
    /* KQ_HOT=1: GEMV on one hot matrix too (quick; GEMM comparisons) */
    size_t cold_bytes = getenv("KQ_HOT") ? 0 : COLD_BYTES;
    int threads = getenv("KQ_THREADS") ? atoi(getenv("KQ_THREADS")) : 1;
    ia_pool *pool = NULL;
    if (threads > 1 && ia_pool_create(threads, &pool) != IA_OK) return 1;
    float *w = malloc((size_t)N * K * sizeof *w), *x = malloc((size_t)GEMM_M * K * sizeof *x);
    float *y = malloc((size_t)GEMM_M * N * sizeof *y);
    if (!w || !x || !y) return 1;
    for (size_t i = 0; i < (size_t)N * K; i++) w[i] = 0.02f * nrand();
    for (size_t i = 0; i < (size_t)GEMM_M * K; i++) x[i] = nrand();
    printf("kernel %s, %d thread(s), n = k = %d\n", ia_qgemm_impl_name(impl), threads, N);
    printf("%-8s %8s %8s %9s %7s %10s\n", "type", "file b/w", "run b/w", "gemv us", "GB/s", "gemm GF/s");
    for (size_t tt = 0; tt < 2 * sizeof all / sizeof *all; tt++) {
        size_t t = tt / 2;
        int float_form = (int)(tt % 2);
        ia_dtype dt = all[t];
        if (float_form && (!(dt >= IA_DTYPE_Q2_K && dt <= IA_DTYPE_Q6_K) || getenv("KQ_NO_FLOAT_FORM"))) continue;
        size_t file_bytes = ia_dtype_row_bytes(dt, 0, K) * N, run_bytes;
        unsigned char *blocks = malloc(file_bytes);
        ia_qweights q;
        ia_qmat *mats[MAX_COPIES] = {0};
        int copies = 0, wanted = 0;
        double gemv[GEMV_RUNS], gemm[GEMM_RUNS];
        void *ws;
        if (argc > 2) {
            for (int a = 2; a < argc; a++) wanted |= !strcmp(argv[a], ia_dtype_name(dt));
            if (!wanted) continue;
        }
        if (!blocks || quantize_rows(dt, w, blocks) != IA_OK ||
            ia_qweights_from_dtype(dt, 0, blocks, N, K, &q) != IA_OK) {
            fprintf(stderr, "%s: %s\n", ia_dtype_name(dt), ia_last_error());
            return 1;
        }
        if (pack(dt, float_form, blocks, &q, &mats[0]) != IA_OK) {
            fprintf(stderr, "%s: pack: %s\n", ia_dtype_name(dt), ia_last_error());
            return 1;
        }
        run_bytes = ia_qmat_bytes(mats[0]);
        for (copies = 1; copies < MAX_COPIES && (size_t)copies * run_bytes < cold_bytes; copies++)
            if (pack(dt, float_form, blocks, &q, &mats[copies]) != IA_OK) return 1;
        ia_qweights_free(&q);
        free(blocks);
        ws = aligned_alloc(64, (ia_qgemm_workspace_size(mats[0], GEMM_M) + 63) / 64 * 64);
        if (!ws) return 1;
        for (int i = 0; i < copies; i++) /* warm-up: page faults, then the rotation evicts */
            ia_qgemm(impl, pool, 0, mats[i], 1, x, K, NULL, y, N, NULL, ws);
        for (int r = 0; r < GEMV_RUNS; r++) {
            double t0 = ia_now_sec();
            ia_qgemm(impl, pool, 0, mats[r % copies], 1, x, K, NULL, y, N, NULL, ws);
            gemv[r] = ia_now_sec() - t0;
        }
        for (int r = 0; r < GEMM_RUNS; r++) {
            double t0 = ia_now_sec();
            ia_qgemm(impl, pool, 0, mats[0], GEMM_M, x, K, NULL, y, N, NULL, ws);
            gemm[r] = ia_now_sec() - t0;
        }
        {
            double tv = median(gemv, GEMV_RUNS), tm = median(gemm, GEMM_RUNS);
            printf("%-4s%-4s %8.3f %8.3f %9.1f %7.1f %10.1f\n", ia_dtype_name(dt), float_form ? "/f" : "", 8.0 * (double)file_bytes / ((double)N * K),
                   8.0 * (double)run_bytes / ((double)N * K), tv * 1e6, (double)run_bytes / tv / 1e9,
                   2.0 * GEMM_M * (double)N * K / tm / 1e9);
            fflush(stdout);
        }
        for (int i = 0; i < copies; i++) ia_qmat_free(mats[i]);
        free(ws);
    }
    free(w), free(x), free(y);
    ia_pool_free(pool);
    return 0;
}
