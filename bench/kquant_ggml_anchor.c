/*
 * kquant_ggml_anchor.c — the anchor for bench/kquant_bench.c: llama.cpp's
 * own k-quant GEMV, ggml_vec_dot_q4_K_q8_K / _q6_K_q8_K row by row (what
 * ggml's CPU backend runs for an un-repacked k-quant matrix and one token),
 * on the same shape (n = k = 4096), the same kind of weights and the same
 * cold rotation (copies past 1.5 GiB), one thread.
 *
 * Built and run by bench/kquant_ggml_anchor.sh from llama.cpp's source
 * (build-anchors/llama.cpp-src: ggml-quants.c, ggml-cpu/quants.c,
 * ggml-cpu/arch/x86/quants.c, -O3 -march=native); the few ggml symbols
 * those files reference are defined here. Not part of the CMake build.
 * Not measured here: llama.cpp's repacked layouts (ggml-cpu/repack.cpp,
 * e.g. q4_K 8x8 for AVX2/AVX-512), which it uses when it may repack.
 */
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void quantize_row_q4_K_ref(const float *x, void *y, int64_t k);
void quantize_row_q6_K_ref(const float *x, void *y, int64_t k);
void quantize_row_q8_K(const float *x, void *y, int64_t k);
void ggml_vec_dot_q4_K_q8_K(int n, float *s, size_t bs, const void *vx, size_t bx, const void *vy, size_t by, int nrc);
void ggml_vec_dot_q6_K_q8_K(int n, float *s, size_t bs, const void *vx, size_t bx, const void *vy, size_t by, int nrc);

/* what the compiled ggml files reference (never called on this path but
 * the fp16 table, filled in main) */
float ggml_table_f32_f16[1 << 16];
float ggml_table_f32_e8m0_half[256];
float ggml_table_f32_ue4m3[256];
void ggml_abort(const char *f, int l, const char *fmt, ...) { (void)f, (void)l, (void)fmt; abort(); }
size_t ggml_row_size(int t, long long n) { (void)t, (void)n; abort(); }
const char *ggml_type_name(int t) { (void)t; return "?"; }
size_t ggml_type_size(int t) { (void)t; abort(); }

#define N 4096
#define K 4096
#define RUNS 200

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}
static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(void) {
    static unsigned char xq[K / 256 * 292]; /* block_q8_K: float d, 256 int8, 16 int16 sums */
    float *w = malloc((size_t)N * K * sizeof *w), x[K], y[N];
    uint64_t r = 88172645463325252ull;
    if (!w) return 1;
    for (int i = 0; i < 65536; i++) ggml_table_f32_f16[i] = _cvtsh_ss((unsigned short)i);
    for (size_t i = 0; i < (size_t)N * K; i++) {
        r ^= r << 13, r ^= r >> 7, r ^= r << 17;
        w[i] = ((float)(r >> 40) / 16777216.0f - 0.5f) * 0.04f;
    }
    for (int i = 0; i < K; i++) {
        r ^= r << 13, r ^= r >> 7, r ^= r << 17;
        x[i] = (float)(r >> 40) / 16777216.0f - 0.5f;
    }
    quantize_row_q8_K(x, xq, K);
    for (int t = 0; t < 2; t++) {
        size_t bb = t == 0 ? 144 : 210, rb = K / 256 * bb, mat = rb * N;
        int copies = (int)(((size_t)1536 << 20) / mat) + 1;
        unsigned char **m = malloc((size_t)copies * sizeof *m);
        double tm[RUNS];
        for (int c = 0; c < copies; c++) {
            if (!(m[c] = malloc(mat))) return 1;
            if (c == 0)
                for (int j = 0; j < N; j++)
                    (t == 0 ? quantize_row_q4_K_ref : quantize_row_q6_K_ref)(w + (size_t)j * K, m[c] + j * rb, K);
            else
                memcpy(m[c], m[0], mat);
        }
        for (int it = 0; it < RUNS + copies; it++) {
            const unsigned char *a = m[it % copies];
            double t0 = now();
            for (int j = 0; j < N; j++)
                (t == 0 ? ggml_vec_dot_q4_K_q8_K : ggml_vec_dot_q6_K_q8_K)(K, &y[j], 0, a + j * rb, 0, xq, 0, 1);
            if (it >= copies) tm[it - copies] = now() - t0;
        }
        qsort(tm, RUNS, sizeof *tm, cmp);
        printf("ggml %s  gemv %.1f us  %.1f GB/s of file bytes  (%d copies)\n", t ? "Q6_K" : "Q4_K", tm[RUNS / 2] * 1e6,
               (double)mat / tm[RUNS / 2] / 1e9, copies);
        for (int c = 0; c < copies; c++) free(m[c]);
        free(m);
    }
    free(w);
    return 0;
}
