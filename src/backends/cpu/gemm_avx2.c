/*
 * gemm_avx2.c — AVX2+FMA sgemm kernels for x86 CPUs without AVX-512 (and
 * AMD before Zen 4): B packing and the 6×16 micro-tile in both
 * orientations (block / block_t, as in gemm_avx512.c; no dot_bt — with 16
 * registers a dot tile is load-bound, and block_t measured faster down to
 * m = 4).
 *
 * Micro-tile: 6 rows × 16 columns = 12 YMM accumulators + 2 for the packed
 * row + 1 broadcast = 15 of 16 registers, the classic Haswell shape (BLIS,
 * OpenBLAS): 8 loads feed 12 FMAs per k step, 12 chains cover the 4–5
 * cycle FMA latency × 2 ports. ~95 % of the AVX2 peak on Sapphire Rapids.
 * Edges: 6 variants per row count; column tails through masked
 * load/store.
 */
#include "backends/cpu/gemm_kernels.h"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#include <stddef.h>

#define MR 6
#define NV 2
#define NR (8 * NV)

/* mask_src[8 - n .. 16 - n) is a load/store mask for the first n lanes. */
static const int mask_src[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

static inline __m256i lanes(int n) { return _mm256_loadu_si256((const __m256i *)(mask_src + 8 - n)); }

/* 8 × 8 in-register transpose (unpack / shuffle / permute2f128). */
static inline __attribute__((always_inline)) void transpose8(__m256 r[8]) {
    __m256 t[8];
    for (int i = 0; i < 8; i += 2) {
        t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 8; i += 4) {
        r[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
        r[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xEE);
        r[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
        r[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
    }
    for (int i = 0; i < 4; i++) {
        t[i] = _mm256_permute2f128_ps(r[i], r[i + 4], 0x20);
        t[i + 4] = _mm256_permute2f128_ps(r[i], r[i + 4], 0x31);
    }
    for (int i = 0; i < 8; i++) r[i] = t[i];
}

/* acc[i][v] = sum_p rows[i*ld + p] * panel[p*NR + 8v]: mr rows broadcast
 * in place (reached as ar[i / 3] + (i % 3) * ld, as in gemm_avx512.c), nv
 * vectors of a packed panel. */
static inline __attribute__((always_inline)) void
mac(const int mr, const int nv, int kc, const float *rows, size_t ld, const float *panel,
    __m256 acc[MR][NV]) {
    const float *ar[2] = {rows, rows + 3 * ld};
    for (int i = 0; i < mr; i++)
        for (int v = 0; v < nv; v++) acc[i][v] = _mm256_setzero_ps();
#pragma GCC unroll 4
    for (int p = 0; p < kc; p++) {
        __m256 b[NV];
        for (int v = 0; v < nv; v++) b[v] = _mm256_load_ps(panel + 8 * v);
        panel += NR;
        for (int i = 0; i < mr; i++) {
            /* set1 of a plain load, not _mm256_broadcast_ss(ptr): gcc 12
             * lets that builtin's pointer alias acc and then keeps acc in
             * memory, a store per FMA (-25 %) */
            __m256 a = _mm256_set1_ps(ar[i / 3][(i % 3) * ld]);
            for (int v = 0; v < nv; v++) acc[i][v] = _mm256_fmadd_ps(a, b[v], acc[i][v]);
        }
        ar[0]++, ar[1]++;
    }
}

/* Packed-B tile: mr rows of A × nv vectors of the panel; the last vector
 * has `tail` valid columns. */
static inline __attribute__((always_inline)) void
tile(const int mr, const int nv, int kc, const float *A, size_t lda, const float *Bp,
     const float *bias, float *C, size_t ldc, int accumulate, int tail) {
    __m256 acc[MR][NV];
    mac(mr, nv, kc, A, lda, Bp, acc);
    for (int i = 0; i < mr; i++) {
        float *c = C + i * ldc;
        for (int v = 0; v < nv; v++) {
            __m256 x = acc[i][v];
            if (v < nv - 1 || tail == 8) {
                if (accumulate) x = _mm256_add_ps(x, _mm256_loadu_ps(c + 8 * v));
                else if (bias) x = _mm256_add_ps(x, _mm256_loadu_ps(bias + 8 * v));
                _mm256_storeu_ps(c + 8 * v, x);
            } else {
                __m256i mk = lanes(tail);
                if (accumulate) x = _mm256_add_ps(x, _mm256_maskload_ps(c + 8 * v, mk));
                else if (bias) x = _mm256_add_ps(x, _mm256_maskload_ps(bias + 8 * v, mk));
                _mm256_maskstore_ps(c + 8 * v, mk, x);
            }
        }
    }
}

/* Packed-A tile (block_t): mr weight rows broadcast in place × nv vectors
 * of packed A^T; the C^T tile is transposed 8 × 8 on the way out (rows
 * mr..7 padded with zeros). Only the first `icount` rows of C exist. */
static inline __attribute__((always_inline)) void
tile_t(const int mr, const int nv, int kc, const float *B, size_t ldb, const float *At,
       const float *bias, float *C, size_t ldc, int accumulate, int icount) {
    __m256 acc[MR][NV];
    __m256i jm = lanes(mr);
    __m256 bv = bias && !accumulate ? _mm256_maskload_ps(bias, jm) : _mm256_setzero_ps();
    mac(mr, nv, kc, B, ldb, At, acc);
    for (int v = 0; v < nv; v++) {
        __m256 r[8];
        for (int j = 0; j < 8; j++) r[j] = j < mr ? acc[j][v] : _mm256_setzero_ps();
        transpose8(r);
        for (int ii = 0; ii < 8 && 8 * v + ii < icount; ii++) {
            float *c = C + (size_t)(8 * v + ii) * ldc;
            __m256 x = _mm256_add_ps(r[ii], accumulate ? _mm256_maskload_ps(c, jm) : bv);
            _mm256_maskstore_ps(c, jm, x);
        }
    }
}

#define TILE_ARGS kc, A, lda, Bp, bias, C, ldc, accumulate, tail
#define TILE_T_ARGS kc, B, ldb, At, bias, C, ldc, accumulate, icount
#define TILE_FN(R)                                                                 \
    static void tile_##R(int nv, int kc, const float *A, size_t lda, const float *Bp, \
                         const float *bias, float *C, size_t ldc, int accumulate,  \
                         int tail) {                                               \
        if (nv == NV) tile(R, NV, TILE_ARGS);                                      \
        else tile(R, 1, TILE_ARGS);                                                \
    }                                                                              \
    static void tile_t_##R(int nv, int kc, const float *B, size_t ldb, const float *At, \
                           const float *bias, float *C, size_t ldc, int accumulate, \
                           int icount) {                                           \
        if (nv == NV) tile_t(R, NV, TILE_T_ARGS);                                  \
        else tile_t(R, 1, TILE_T_ARGS);                                            \
    }
TILE_FN(1) TILE_FN(2) TILE_FN(3) TILE_FN(4) TILE_FN(5) TILE_FN(6)

typedef void (*tile_fn)(int, int, const float *, size_t, const float *, const float *,
                        float *, size_t, int, int);
static const tile_fn tiles[MR + 1] = {NULL, tile_1, tile_2, tile_3, tile_4, tile_5, tile_6};
static const tile_fn tiles_t[MR + 1] = {NULL,     tile_t_1, tile_t_2, tile_t_3,
                                        tile_t_4, tile_t_5, tile_t_6};

static void block(int m, int nc, int kc, const float *A, int lda, const float *Bp,
                  const float *bias, float *C, int ldc, int accumulate) {
    /* near-equal row groups, as in gemm_avx512.c */
    int groups = (m + MR - 1) / MR;
    int i0 = 0;
    for (int g = 0; g < groups; g++) {
        int mr = m / groups + (g < m % groups);
        const float *a = A + (size_t)i0 * lda;
        float *c = C + (size_t)i0 * ldc;
        for (int j0 = 0; j0 < nc; j0 += NR) {
            int w = nc - j0 < NR ? nc - j0 : NR;
            int nv = (w + 7) / 8;
            tiles[mr](nv, kc, a, (size_t)lda, Bp + (size_t)j0 * kc, bias ? bias + j0 : NULL,
                      c + j0, (size_t)ldc, accumulate, w - 8 * (nv - 1));
        }
        i0 += mr;
    }
}

static void block_t(int m, int n, int kc, const float *At, const float *B, int ldb,
                    const float *bias, float *C, int ldc, int accumulate) {
    /* weight rows in near-equal groups of ≤ MR; each group's rows stay in
     * L1 while the packed A^T panels pass (see gemm_avx512.c) */
    int groups = (n + MR - 1) / MR;
    int j0 = 0;
    for (int g = 0; g < groups; g++) {
        int mr = n / groups + (g < n % groups);
        for (int i0 = 0; i0 < m; i0 += NR) {
            int icount = m - i0 < NR ? m - i0 : NR;
            tiles_t[mr](icount > 8 ? 2 : 1, kc, B + (size_t)j0 * ldb, (size_t)ldb,
                        At + (size_t)i0 * kc, bias ? bias + j0 : NULL,
                        C + (size_t)i0 * ldc + j0, (size_t)ldc, accumulate, icount);
        }
        j0 += mr;
    }
}

/* trans_b = 1: 8 rows of B × 8 k at a time, transposed into 8 panel rows. */
static void pack_bt(int kc, int nc, const float *B, size_t ldb, float *Bp) {
    for (int j0 = 0; j0 < nc; j0 += NR) {
        float *panel = Bp + (size_t)j0 * kc;
        for (int h = 0; h < NR; h += 8) {
            int rows = nc - j0 - h;
            if (rows > 8) rows = 8;
            if (rows <= 0) { /* padding half of the last panel */
                for (int p = 0; p < kc; p++)
                    _mm256_store_ps(panel + (size_t)p * NR + h, _mm256_setzero_ps());
                continue;
            }
            for (int p0 = 0; p0 < kc; p0 += 8) {
                int len = kc - p0 < 8 ? kc - p0 : 8;
                __m256i lm = lanes(len);
                __m256 r[8];
                for (int i = 0; i < 8; i++)
                    r[i] = i < rows ? _mm256_maskload_ps(B + (size_t)(j0 + h + i) * ldb + p0, lm)
                                    : _mm256_setzero_ps();
                transpose8(r);
                for (int i = 0; i < len; i++)
                    _mm256_store_ps(panel + (size_t)(p0 + i) * NR + h, r[i]);
            }
        }
    }
}

/* trans_b = 0: each panel row is a contiguous run of B's row. */
static void pack_bn(int kc, int nc, const float *B, size_t ldb, float *Bp) {
    for (int j0 = 0; j0 < nc; j0 += NR) {
        float *panel = Bp + (size_t)j0 * kc;
        for (int h = 0; h < NR; h += 8) {
            int w = nc - j0 - h;
            __m256i mk;
            if (w <= 0) { /* padding half of the last panel */
                for (int p = 0; p < kc; p++)
                    _mm256_store_ps(panel + (size_t)p * NR + h, _mm256_setzero_ps());
                continue;
            }
            mk = lanes(w > 8 ? 8 : w);
            for (int p = 0; p < kc; p++)
                _mm256_store_ps(panel + (size_t)p * NR + h,
                                _mm256_maskload_ps(B + (size_t)p * ldb + j0 + h, mk));
        }
    }
}

static void pack_b(int trans_b, int kc, int nc, const float *B, int ldb, float *Bp) {
    if (trans_b) pack_bt(kc, nc, B, (size_t)ldb, Bp);
    else pack_bn(kc, nc, B, (size_t)ldb, Bp);
}

static const ia_sgemm_impl impl = {"avx2", MR, NR, pack_b, block, NULL, block_t};

const ia_sgemm_impl *ia_sgemm_impl_avx2(void) { return &impl; }

#else
const ia_sgemm_impl *ia_sgemm_impl_avx2(void) { return 0; }
#endif
