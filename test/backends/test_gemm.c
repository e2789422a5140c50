/*
 * test_gemm.c — every sgemm kernel variant this CPU runs, against the
 * double-accumulating reference, over edge shapes, strides, bias, both B
 * layouts and 1/2-thread pools; guard values around C catch stray writes
 * and exact-size A/B allocations let ASan catch stray reads.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backends/cpu/gemm.h"
#include "backends/cpu/gemm_kernels.h"
#include "harness.h"

/* Floats of guard before and after C, and the value they hold. */
#define GUARD 64
#define GUARD_VAL 1234.5f

static const char *const variants[] = {"generic", "wasm_simd128", "avx2", "avx512"};
#define N_VARIANTS (int)(sizeof variants / sizeof *variants)

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint32_t rnd(void) { /* xorshift64*: deterministic across runs */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 0x2545F4914F6CDD1Dull) >> 32);
}

static float rndf(void) { return (float)rnd() / 2147483648.0f - 1.0f; } /* [-1, 1) */

/* Exactly (rows-1)*ld + cols floats (+ `shift` in front to misalign), so
 * ASan flags any read past the last element. */
static float *alloc_mat(int rows, int cols, int ld, int shift, float **base) {
    size_t n = rows > 0 && cols > 0 ? (size_t)(rows - 1) * ld + cols : 1;
    *base = malloc((n + shift) * sizeof(float));
    if (!*base) return NULL;
    for (size_t i = 0; i < n + shift; i++) (*base)[i] = rndf();
    return *base + shift;
}

typedef struct shape {
    int m, n, k;
} shape;

/* Runs one shape through every variant × trans_b × bias × pool and checks
 * results and guards. Returns the number of failures (reported already). */
static int check_shape(shape s, int pad, int shift, ia_pool *pools[3], int *ia_failed_) {
    int fails = 0;
    for (int trans_b = 0; trans_b < 2; trans_b++) {
        int lda = s.k + pad, ldb = (trans_b ? s.k : s.n) + pad, ldc = s.n + pad;
        float *Abase, *Bbase, *biasbase;
        float *A = alloc_mat(s.m, s.k, lda, shift, &Abase);
        float *B = trans_b ? alloc_mat(s.n, s.k, ldb, shift, &Bbase)
                           : alloc_mat(s.k, s.n, ldb, shift, &Bbase);
        float *bias = alloc_mat(1, s.n, s.n, shift, &biasbase);
        size_t csize = (size_t)(s.m - 1) * ldc + s.n;
        float *ref = malloc(csize * sizeof *ref);
        float *cbuf = malloc((csize + 2 * GUARD + shift) * sizeof *cbuf);
        if (!A || !B || !bias || !ref || !cbuf) {
            CHECK_MSG(0, "out of memory");
            free(Abase), free(Bbase), free(biasbase), free(ref), free(cbuf);
            return fails + 1;
        }
        float *C = cbuf + GUARD + shift;
        for (int with_bias = 0; with_bias < 2; with_bias++) {
            const float *bb = with_bias ? bias : NULL;
            ia_sgemm_reference(trans_b, s.m, s.n, s.k, A, lda, B, ldb, bb, ref, ldc);
            for (int v = 0; v < N_VARIANTS; v++) {
                const ia_sgemm_impl *impl = ia_sgemm_impl_find(variants[v]);
                if (!impl) continue;
                for (int p = 0; p < 3; p++) {
                    int bad = 0;
                    for (size_t i = 0; i < csize + 2 * GUARD + shift; i++) cbuf[i] = GUARD_VAL;
                    ia_sgemm_with(impl, pools[p], 0, trans_b, s.m, s.n, s.k, A, lda, B, ldb, bb,
                                  C, ldc, NULL);
                    for (int i = 0; i < s.m && !bad; i++)
                        for (int j = 0; j < s.n && !bad; j++) {
                            float got = C[(size_t)i * ldc + j];
                            float want = ref[(size_t)i * ldc + j];
                            /* fp32 accumulation error grows ~ sqrt(k); the
                             * kernels differ from the double reference in
                             * summation order and FMA contraction. */
                            float tol = 1e-5f * sqrtf((float)s.k + 1) * (1 + fabsf(want));
                            if (!(fabsf(got - want) <= tol)) {
                                CHECK_MSG(0,
                                          "%s pool%d trans_b=%d bias=%d m=%d n=%d k=%d pad=%d "
                                          "C[%d][%d]=%g want %g",
                                          variants[v], p, trans_b, with_bias, s.m, s.n, s.k,
                                          pad, i, j, got, want);
                                bad = 1;
                            }
                        }
                    /* guards: before, after, and the ldc gaps between rows */
                    for (size_t i = 0; i < (size_t)(GUARD + shift) && !bad; i++)
                        if (cbuf[i] != GUARD_VAL) bad = 2;
                    for (size_t i = 0; i < GUARD && !bad; i++)
                        if (C[csize + i] != GUARD_VAL) bad = 2;
                    for (int i = 0; i + 1 < s.m && !bad; i++)
                        for (int j = s.n; j < ldc; j++)
                            if (C[(size_t)i * ldc + j] != GUARD_VAL) bad = 2;
                    if (bad == 2)
                        CHECK_MSG(0, "%s pool%d trans_b=%d m=%d n=%d k=%d: write outside C",
                                  variants[v], p, trans_b, s.m, s.n, s.k);
                    fails += bad != 0;
                }
            }
        }
        free(Abase);
        free(Bbase);
        free(biasbase);
        free(ref);
        free(cbuf);
    }
    return fails;
}

static int make_pools(ia_pool *pools[3]) {
    pools[0] = NULL;
    pools[1] = pools[2] = NULL;
    return ia_pool_create(1, &pools[1]) == IA_OK && ia_pool_create(2, &pools[2]) == IA_OK;
}

IA_TEST(gemm_variants_available) {
    /* generic always; the dispatcher's pick is one of the four names, and
     * the ISA variants exist only on their targets */
    const char *name = ia_sgemm_kernel_name();
    CHECK(ia_sgemm_impl_find("generic") != NULL);
    CHECK(ia_sgemm_impl_find("sse9") == NULL);
    CHECK(!strcmp(name, "generic") || !strcmp(name, "wasm_simd128") || !strcmp(name, "avx2") ||
          !strcmp(name, "avx512"));
#if defined(__wasm_simd128__)
    CHECK(ia_sgemm_impl_find("wasm_simd128") != NULL);
#else
    CHECK(ia_sgemm_impl_find("wasm_simd128") == NULL);
#endif
#if !defined(__x86_64__) && !defined(__i386__)
    CHECK(ia_sgemm_impl_find("avx2") == NULL && ia_sgemm_impl_find("avx512") == NULL);
#endif
    for (int v = 0; v < N_VARIANTS; v++)
        fprintf(stderr, "  sgemm variant %-12s %s\n", variants[v],
                ia_sgemm_impl_find(variants[v]) ? "runs here" : "not available");
}

IA_TEST(gemm_kernel_override) {
    /* IA_KERNEL may lower the choice but never raise it past the CPU */
    const ia_sgemm_impl *best = ia_sgemm_impl_pick(NULL);
    CHECK(ia_sgemm_impl_pick("bogus") == best);
    CHECK(!strcmp(ia_sgemm_impl_pick("generic")->name, "generic"));
    if (ia_sgemm_impl_find("avx2"))
        CHECK(!strcmp(ia_sgemm_impl_pick("avx2")->name, "avx2"));
    else if (ia_sgemm_impl_find("wasm_simd128")) /* the next one down the list */
        CHECK(!strcmp(ia_sgemm_impl_pick("avx2")->name, "wasm_simd128"));
    else
        CHECK(!strcmp(ia_sgemm_impl_pick("avx2")->name, "generic"));
    if (ia_sgemm_impl_find("wasm_simd128"))
        CHECK(!strcmp(ia_sgemm_impl_pick("wasm_simd128")->name, "wasm_simd128"));
    else
        CHECK(!strcmp(ia_sgemm_impl_pick("wasm_simd128")->name, "generic"));
    CHECK(ia_sgemm_impl_rank("avx512") < ia_sgemm_impl_rank("avx2") &&
          ia_sgemm_impl_rank("avx2") < ia_sgemm_impl_rank("wasm_simd128") &&
          ia_sgemm_impl_rank("wasm_simd128") < ia_sgemm_impl_rank("generic") &&
          ia_sgemm_impl_rank("generic") < ia_sgemm_impl_rank("bogus"));
    if (!ia_sgemm_impl_find("avx512"))
        CHECK(strcmp(ia_sgemm_impl_pick("avx512")->name, "avx512") != 0);
    if (!getenv("IA_KERNEL")) CHECK(!strcmp(ia_sgemm_kernel_name(), best->name));
}

IA_TEST(gemm_edge_shapes) {
    /* 1×1×1, primes, and ±1 around the tile sizes (mr 4/6/14, nr 8/16/32),
     * KC = 384 and NC = 512 */
    static const shape shapes[] = {
        {1, 1, 1},    {1, 1, 7},     {7, 1, 1},    {1, 13, 1},    {2, 3, 5},
        {13, 31, 17}, {14, 32, 16},  {15, 33, 15}, {29, 65, 31},  {27, 63, 37},
        {5, 17, 383}, {6, 16, 384},  {7, 15, 385}, {3, 9, 769},   {28, 64, 1},
        {43, 97, 61}, {1, 513, 11},  {2, 511, 3},  {16, 8, 33},   {127, 47, 9},
        {61, 34, 130}, {3, 1025, 5}, {37, 1, 400}, {1, 40, 1537},
        /* each trans_b = 1 path: dot (m ≤ 12, 17..19), packed A^T (to 256
         * rows), packed B (above) — and their borders */
        {12, 29, 47}, {13, 29, 47}, {16, 16, 16}, {17, 33, 100}, {19, 20, 17},
        {20, 15, 9},  {33, 45, 31}, {256, 17, 33}, {257, 19, 385}, {300, 45, 70},
    };
    ia_pool *pools[3];
    REQUIRE(make_pools(pools));
    for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) {
        check_shape(shapes[i], 0, 0, pools, ia_failed_);
        check_shape(shapes[i], 3, 1, pools, ia_failed_); /* strides > width, misaligned */
    }
    ia_pool_free(pools[1]);
    ia_pool_free(pools[2]);
}

IA_TEST(gemm_random_shapes) {
    ia_pool *pools[3];
    REQUIRE(make_pools(pools));
    for (int t = 0; t < 40; t++) {
        shape s = {1 + (int)(rnd() % 70), 1 + (int)(rnd() % 130), 1 + (int)(rnd() % 800)};
        int pad = (int)(rnd() % 3) * 5, shift = (int)(rnd() % 2);
        if (check_shape(s, pad, shift, pools, ia_failed_)) break; /* one report is enough */
    }
    ia_pool_free(pools[1]);
    ia_pool_free(pools[2]);
}

IA_TEST(gemm_model_shapes) {
    /* MiniLM linear layers at batch 1 (m = 128) and an attention head;
     * big enough (m·n·k ≥ 2^18) that the 2-thread pool really splits them,
     * on every path: dot (m = 10, 7, 18), packed A^T, packed B (m = 300) */
    static const shape shapes[] = {
        {128, 384, 384}, {128, 1536, 384}, {41, 384, 1536}, {100, 100, 32}, {100, 32, 100},
        {10, 200, 300},  {7, 100, 1000},   {18, 130, 400},  {300, 45, 70},
    };
    ia_pool *pools[3];
    REQUIRE(make_pools(pools));
    for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++)
        check_shape(shapes[i], 0, 0, pools, ia_failed_);
    ia_pool_free(pools[1]);
    ia_pool_free(pools[2]);
}

IA_TEST(gemm_k_zero) {
    /* no products: C is the bias, or zero */
    float C[2 * 5], bias[3] = {1, 2, 3}, A[1] = {0}, B[1] = {0};
    for (int i = 0; i < 10; i++) C[i] = 9;
    ia_sgemm(NULL, 1, 2, 3, 0, A, 1, B, 1, bias, C, 5);
    CHECK(C[0] == 1 && C[1] == 2 && C[2] == 3 && C[3] == 9 && C[4] == 9);
    CHECK(C[5] == 1 && C[6] == 2 && C[7] == 3 && C[8] == 9 && C[9] == 9);
    ia_sgemm(NULL, 0, 2, 3, 0, A, 1, B, 1, NULL, C, 5);
    CHECK(C[0] == 0 && C[2] == 0 && C[3] == 9 && C[5] == 0 && C[7] == 0 && C[8] == 9);
    /* m or n zero: nothing written */
    ia_sgemm(NULL, 1, 0, 3, 4, A, 1, B, 1, bias, C, 5);
    ia_sgemm(NULL, 1, 2, 0, 4, A, 1, B, 1, bias, C, 5);
    CHECK(C[0] == 0 && C[3] == 9);
}

/* The fused epilogue sees every element of C exactly once, after the
 * bias, on each of the three paths (dot, packed A, packed B). */
static void triple(float *y, const float *x, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = 3.0f * x[i] + 1.0f;
}

IA_TEST(gemm_epilogue_applies_once_per_element) {
    static const int ms[] = {5, 64, 700};
    ia_pool *pool = NULL;
    CHECK_STATUS(ia_pool_create(2, &pool), IA_OK);
    for (size_t t = 0; t < sizeof ms / sizeof *ms; t++) {
        int m = ms[t], n = 200, k = 96;
        float *A = malloc((size_t)m * k * sizeof *A), *B = malloc((size_t)n * k * sizeof *B);
        float *bias = malloc((size_t)n * sizeof *bias), *C1 = malloc((size_t)m * n * sizeof *C1);
        float *C2 = malloc((size_t)m * n * sizeof *C2);
        int bad = 0;
        for (int i = 0; i < m * k; i++) A[i] = (float)((i * 7) % 13) / 13.0f - 0.5f;
        for (int i = 0; i < n * k; i++) B[i] = (float)((i * 5) % 11) / 11.0f - 0.5f;
        for (int i = 0; i < n; i++) bias[i] = (float)i / (float)n;
        ia_sgemm(pool, 1, m, n, k, A, k, B, k, bias, C1, n);
        ia_sgemm_ep(pool, 1, m, n, k, A, k, B, k, bias, C2, n, triple);
        for (int i = 0; i < m * n && !bad; i++)
            if (fabsf(C2[i] - (3.0f * C1[i] + 1.0f)) > 1e-5f * (1.0f + fabsf(C2[i]))) bad = 1;
        CHECK_MSG(!bad, "m=%d: epilogue result differs", m);
        free(A); free(B); free(bias); free(C1); free(C2);
    }
    ia_pool_free(pool);
}
