/*
 * gemm_avx512.c — AVX-512F sgemm kernels: B packing, the 14×32 micro-tile
 * in its two orientations, and the small-m dot-product kernel.
 *
 * Micro-tile: MR = 14 broadcast rows × NR = 32 packed columns = 28 ZMM
 * accumulators, plus 2 for the packed row and 1 for the broadcast: 31 of
 * 32 registers. Per k step: 2 vector loads + 14 broadcasts for 28 FMAs, so
 * the two FMA ports stay the bottleneck, not the two 512-bit load ports;
 * 28 independent chains cover the 4-cycle FMA latency × 2 ports. The
 * broadcast rows are read in place; their 14 × kc slice stays in L1.
 * (14×32 beat 8×48 and 6×64 here because it needs the fewest loads per FMA
 * with the broadcast amortised over two vectors.)
 *
 *   block()   rows = A (row i at A + i*lda), packed panel = op(B):
 *             C tile stored row by row.
 *   block_t() rows = the weights [n,k] in place, packed panel = A^T:
 *             the tile is C^T and is transposed on the way out.
 *   dot_bt()  no packing: 6 A rows × 4 weight rows of dot products.
 *
 * Edges: the broadcast side has 14 tile variants, one per row count, and
 * splits rows into near-equal groups; the packed side is zero padded to 32
 * and stored under masks (a panel of ≤ 16 skips its second vector).
 */
#include "backends/cpu/gemm_kernels.h"

#if defined(__AVX512F__)
#include <immintrin.h>
#include <stddef.h>

#define MR 14
#define NV 2        /* ZMM vectors per tile row */
#define NR (16 * NV)

/* In-register transpose of 16 rows of 16 floats (r[i] = row i on entry,
 * column i on exit): 4 shuffle stages × 16, the usual unpack/shuffle/
 * shuffle_f32x4 network. */
static inline __attribute__((always_inline)) void transpose16(__m512 r[16]) {
    __m512 t[16];
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 16; i += 4) {
        r[i] = _mm512_shuffle_ps(t[i], t[i + 2], 0x44);
        r[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], 0xEE);
        r[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0x44);
        r[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
    }
    for (int i = 0; i < 4; i++) {
        t[i] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0x88);
        t[i + 4] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0xDD);
        t[i + 8] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0x88);
        t[i + 12] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0xDD);
    }
    for (int i = 0; i < 4; i++) {
        r[i] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88);
        r[i + 8] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0xDD);
        r[i + 4] = _mm512_shuffle_f32x4(t[i + 4], t[i + 12], 0x88);
        r[i + 12] = _mm512_shuffle_f32x4(t[i + 4], t[i + 12], 0xDD);
    }
}

/* The shared inner loop: acc[i][v] += rows[i*ld + p] * panel[p*NR + 16v]
 * for p < kc, i < mr, v < nv — mr rows broadcast from memory in place,
 * nv vectors from a packed panel. mr and nv are compile-time constants
 * after inlining, so acc lives in registers. */
static inline __attribute__((always_inline)) void
mac(const int mr, const int nv, int kc, const float *rows, size_t ld, const float *panel,
    __m512 acc[MR][NV], const float *pf) {
    /* Rows are reached as ar[i / 3] + (i % 3) * ld: five pointers and the
     * stride, which x86 addressing ([base + ld*4], [base + ld*8]) covers
     * without spilling; fourteen separate row pointers would not fit the
     * 16 GPRs next to the loop state. */
    const float *ar[(MR + 2) / 3];
    for (int r = 0; r < (mr + 2) / 3; r++) ar[r] = rows + 3 * r * ld;
    for (int i = 0; i < mr; i++)
        for (int v = 0; v < nv; v++) acc[i][v] = _mm512_setzero_ps();
#pragma GCC unroll 4
    for (int p = 0; p < kc; p++) {
        __m512 b[NV];
        for (int v = 0; v < nv; v++) b[v] = _mm512_load_ps(panel + 16 * v);
        panel += NR;
        if (pf && (p & 15) == 0)
            for (int i = 0; i < mr; i++)
                _mm_prefetch((const char *)(pf + i * ld + p), _MM_HINT_T0);
        for (int i = 0; i < mr; i++) {
            __m512 a = _mm512_set1_ps(ar[i / 3][(i % 3) * ld]);
            for (int v = 0; v < nv; v++) acc[i][v] = _mm512_fmadd_ps(a, b[v], acc[i][v]);
        }
        for (int r = 0; r < (mr + 2) / 3; r++) ar[r]++;
    }
}

/* Packed-B tile: mr rows of A × nv vectors of the B panel; `tail` masks
 * the last vector's columns. */
static inline __attribute__((always_inline)) void
tile(const int mr, const int nv, int kc, const float *A, size_t lda, const float *Bp,
     const float *bias, float *C, size_t ldc, int accumulate, __mmask16 tail) {
    __m512 acc[MR][NV];
    mac(mr, nv, kc, A, lda, Bp, acc, NULL);
    for (int i = 0; i < mr; i++) {
        float *c = C + i * ldc;
        for (int v = 0; v < nv; v++) {
            __mmask16 mk = v == nv - 1 ? tail : (__mmask16)0xFFFF;
            __m512 x = acc[i][v];
            if (accumulate)
                x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(mk, c + 16 * v));
            else if (bias)
                x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(mk, bias + 16 * v));
            _mm512_mask_storeu_ps(c + 16 * v, mk, x);
        }
    }
}

/* Packed-A tile (block_t): mr weight rows (output columns j) broadcast in
 * place × nv vectors of packed A^T (output rows i). The accumulators hold
 * C^T, so each 16-row slice is transposed on the way out: 64 shuffles per
 * 16 × 16, ~3 % of a kc = 384 tile. Only the first `icount` rows exist. */
static inline __attribute__((always_inline)) void
tile_t(const int mr, const int nv, int kc, const float *B, size_t ldb, const float *At,
       const float *bias, float *C, size_t ldc, int accumulate, int icount, const float *pf) {
    __m512 acc[MR][NV];
    __mmask16 jm = (__mmask16)((1u << mr) - 1);
    __m512 bv = bias && !accumulate ? _mm512_maskz_loadu_ps(jm, bias) : _mm512_setzero_ps();
    mac(mr, nv, kc, B, ldb, At, acc, pf);
    for (int v = 0; v < nv; v++) {
        __m512 r[16];
        for (int j = 0; j < 16; j++) r[j] = j < mr ? acc[j][v] : _mm512_setzero_ps();
        transpose16(r);
        for (int ii = 0; ii < 16 && 16 * v + ii < icount; ii++) {
            float *c = C + (size_t)(16 * v + ii) * ldc;
            __m512 x = _mm512_add_ps(r[ii], accumulate ? _mm512_maskz_loadu_ps(jm, c) : bv);
            _mm512_mask_storeu_ps(c, jm, x);
        }
    }
}

#define TILE_ARGS kc, A, lda, Bp, bias, C, ldc, accumulate, tail
#define TILE_T_ARGS kc, B, ldb, At, bias, C, ldc, accumulate, icount
#define TILE_FN(R)                                                                 \
    static void tile_##R(int nv, int kc, const float *A, size_t lda, const float *Bp, \
                         const float *bias, float *C, size_t ldc, int accumulate,  \
                         __mmask16 tail) {                                         \
        if (nv == NV) tile(R, NV, TILE_ARGS);                                      \
        else tile(R, 1, TILE_ARGS);                                                \
    }                                                                              \
    static void tile_t_##R(int nv, int kc, const float *B, size_t ldb, const float *At, \
                           const float *bias, float *C, size_t ldc, int accumulate, \
                           int icount, const float *pf) {                          \
        if (pf) tile_t(R, NV, TILE_T_ARGS, pf);                                    \
        else if (nv == NV) tile_t(R, NV, TILE_T_ARGS, NULL);                       \
        else tile_t(R, 1, TILE_T_ARGS, NULL);                                      \
    }
TILE_FN(1) TILE_FN(2) TILE_FN(3) TILE_FN(4) TILE_FN(5) TILE_FN(6) TILE_FN(7)
TILE_FN(8) TILE_FN(9) TILE_FN(10) TILE_FN(11) TILE_FN(12) TILE_FN(13) TILE_FN(14)

typedef void (*tile_fn)(int, int, const float *, size_t, const float *, const float *,
                        float *, size_t, int, __mmask16);
static const tile_fn tiles[MR + 1] = {
    NULL,     tile_1,  tile_2,  tile_3,  tile_4,  tile_5,  tile_6, tile_7,
    tile_8,   tile_9,  tile_10, tile_11, tile_12, tile_13, tile_14,
};
typedef void (*tile_t_fn)(int, int, const float *, size_t, const float *, const float *,
                          float *, size_t, int, int, const float *);
static const tile_t_fn tiles_t[MR + 1] = {
    NULL,      tile_t_1,  tile_t_2,  tile_t_3,  tile_t_4,  tile_t_5,  tile_t_6, tile_t_7,
    tile_t_8,  tile_t_9,  tile_t_10, tile_t_11, tile_t_12, tile_t_13, tile_t_14,
};

static void block(int m, int nc, int kc, const float *A, int lda, const float *Bp,
                  const float *bias, float *C, int ldc, int accumulate) {
    /* Split m into near-equal row groups (128 = 9×13 + 1×11, not 9×14 + 2)
     * so no group runs a starved 1- or 2-row tile. */
    int groups = (m + MR - 1) / MR;
    int i0 = 0;
    for (int g = 0; g < groups; g++) {
        int mr = m / groups + (g < m % groups);
        const float *a = A + (size_t)i0 * lda;
        float *c = C + (size_t)i0 * ldc;
        for (int j0 = 0; j0 < nc; j0 += NR) {
            int w = nc - j0 < NR ? nc - j0 : NR;
            int nv = (w + 15) / 16;
            int rem = w - 16 * (nv - 1);
            __mmask16 tail = (__mmask16)(rem == 16 ? 0xFFFF : (1u << rem) - 1);
            tiles[mr](nv, kc, a, (size_t)lda, Bp + (size_t)j0 * kc,
                      bias ? bias + j0 : NULL, c + j0, (size_t)ldc, accumulate, tail);
        }
        i0 += mr;
    }
}

static void block_t(int m, int n, int kc, const float *At, const float *B, int ldb,
                    const float *bias, float *C, int ldc, int accumulate) {
    /* weight rows in near-equal groups of ≤ MR (as block() splits m); one
     * group (≤ 14 × kc floats, ≤ 21 KiB) stays in L1 while the packed A^T
     * panels stream past it from L2, so the weights are read once */
    int groups = (n + MR - 1) / MR;
    int j0 = 0;
    for (int g = 0; g < groups; g++) {
        int mr = n / groups + (g < n % groups);
        /* the first A^T panel pulls the next group's weight rows towards
         * L1 (one line per row every 16 k), as they come from L3/DRAM:
         * +4 % at m = 128, n = 1536 with cold weights. Only a full-width
         * first panel does (the prefetching variant has nv = 2 only). */
        int next_mr = n / groups + (g + 1 < n % groups); /* rows it may touch */
        const float *pf = g + 1 < groups && next_mr == mr && m > NR / 2
                              ? B + (size_t)(j0 + mr) * ldb
                              : NULL;
        for (int i0 = 0; i0 < m; i0 += NR) {
            int icount = m - i0 < NR ? m - i0 : NR;
            tiles_t[mr](icount > 16 ? 2 : 1, kc, B + (size_t)j0 * ldb, (size_t)ldb,
                        At + (size_t)i0 * kc, bias ? bias + j0 : NULL,
                        C + (size_t)i0 * ldc + j0, (size_t)ldc, accumulate, icount,
                        i0 == 0 ? pf : NULL);
        }
        j0 += mr;
    }
}

/* 8 rows × 8 k of B (row i at b + i*ldb) transposed into 8 panel rows of
 * 8 floats (dst + p*NR). 256-bit on purpose: 128-bit halves are loaded
 * straight into place (vinsertf128 from memory), which leaves only the
 * in-lane 4×4 transposes, 16 shuffles per 64 floats — and ymm shuffles can
 * use port 1 as well as port 5, while zmm shuffles are port 5 only. This
 * made packing ~2× faster than the 16×16 zmm network on Sapphire Rapids,
 * and packing is what small-m calls spend their time on. */
static inline __attribute__((always_inline)) void transpose8_store(const float *b, size_t ldb,
                                                                  float *dst) {
    __m256 t[8], u[4];
    for (int i = 0; i < 4; i++) {
        t[i] = _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(b + i * ldb)),
                                    _mm_loadu_ps(b + (i + 4) * ldb), 1);
        t[i + 4] = _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(b + i * ldb + 4)),
                                        _mm_loadu_ps(b + (i + 4) * ldb + 4), 1);
    }
    /* lane L of t[0..3] holds rows 4L..4L+3 × k 0..3; of t[4..7], k 4..7 */
    for (int h = 0; h < 8; h += 4) {
        u[0] = _mm256_unpacklo_ps(t[h], t[h + 1]);
        u[1] = _mm256_unpackhi_ps(t[h], t[h + 1]);
        u[2] = _mm256_unpacklo_ps(t[h + 2], t[h + 3]);
        u[3] = _mm256_unpackhi_ps(t[h + 2], t[h + 3]);
        _mm256_store_ps(dst + (size_t)(h + 0) * NR, _mm256_shuffle_ps(u[0], u[2], 0x44));
        _mm256_store_ps(dst + (size_t)(h + 1) * NR, _mm256_shuffle_ps(u[0], u[2], 0xEE));
        _mm256_store_ps(dst + (size_t)(h + 2) * NR, _mm256_shuffle_ps(u[1], u[3], 0x44));
        _mm256_store_ps(dst + (size_t)(h + 3) * NR, _mm256_shuffle_ps(u[1], u[3], 0xEE));
    }
}

/* trans_b = 1: full 16-row groups take 8×8 blocks (above) over the k range
 * that is a multiple of 8; the rest — a k tail, a last group of fewer than
 * 16 rows — goes 16 × 16 at a time through masked loads (missing rows read
 * as zero) and the zmm transpose. */
static void pack_bt(int kc, int nc, const float *B, size_t ldb, float *Bp) {
    for (int j0 = 0; j0 < nc; j0 += NR) {
        float *panel = Bp + (size_t)j0 * kc;
        for (int h = 0; h < NR; h += 16) {
            const float *b = B + (size_t)(j0 + h) * ldb;
            int rows = nc - j0 - h, p0 = 0;
            if (rows > 16) rows = 16;
            if (rows <= 0) { /* padding half of the last panel */
                for (int p = 0; p < kc; p++)
                    _mm512_store_ps(panel + (size_t)p * NR + h, _mm512_setzero_ps());
                continue;
            }
            if (rows == 16)
                for (; p0 + 8 <= kc; p0 += 8) {
                    transpose8_store(b + p0, ldb, panel + (size_t)p0 * NR + h);
                    transpose8_store(b + 8 * ldb + p0, ldb, panel + (size_t)p0 * NR + h + 8);
                }
            for (; p0 < kc; p0 += 16) {
                int len = kc - p0 < 16 ? kc - p0 : 16;
                __mmask16 lm = (__mmask16)(len == 16 ? 0xFFFF : (1u << len) - 1);
                __m512 r[16];
                for (int i = 0; i < 16; i++)
                    r[i] = i < rows ? _mm512_maskz_loadu_ps(lm, b + (size_t)i * ldb + p0)
                                    : _mm512_setzero_ps();
                transpose16(r);
                for (int i = 0; i < len; i++)
                    _mm512_store_ps(panel + (size_t)(p0 + i) * NR + h, r[i]);
            }
        }
    }
}

/* trans_b = 0: each panel row is a contiguous run of B's row. */
static void pack_bn(int kc, int nc, const float *B, size_t ldb, float *Bp) {
    for (int j0 = 0; j0 < nc; j0 += NR) {
        float *panel = Bp + (size_t)j0 * kc;
        for (int h = 0; h < NR; h += 16) {
            int w = nc - j0 - h;
            __mmask16 mk;
            if (w <= 0) { /* padding half of the last panel */
                for (int p = 0; p < kc; p++)
                    _mm512_store_ps(panel + (size_t)p * NR + h, _mm512_setzero_ps());
                continue;
            }
            mk = (__mmask16)(w >= 16 ? 0xFFFF : (1u << w) - 1);
            for (int p = 0; p < kc; p++)
                _mm512_store_ps(panel + (size_t)p * NR + h,
                                _mm512_maskz_loadu_ps(mk, B + (size_t)p * ldb + j0 + h));
        }
    }
}

static void pack_b(int trans_b, int kc, int nc, const float *B, int ldb, float *Bp) {
    if (trans_b) pack_bt(kc, nc, B, (size_t)ldb, Bp);
    else pack_bn(kc, nc, B, (size_t)ldb, Bp);
}

/* ---- small m, trans_b = 1: dot products, no packing ------------------
 *
 * For a handful of rows (batch-1 inference) transposing the weight block
 * into panels costs as much as the multiply, so instead each output is a
 * dot product along k of an A row and a weight row, both contiguous. Tile:
 * DMR = 6 A rows × DNR = 4 weight rows = 24 accumulators; per 16 k it loads
 * 6 + 4 vectors for 24 FMAs. The 16-lane partial sums are folded once per
 * tile (hsum4), which costs ~15 % at k = 384 — still far cheaper than the
 * transpose it replaces. */
#define DMR 6
#define DNR 4

/* Horizontal sums of four vectors, as lanes 0..3 of one __m128. */
static inline __attribute__((always_inline)) __m128 hsum4(__m512 a0, __m512 a1, __m512 a2,
                                                          __m512 a3) {
    /* per 128-bit lane: x0 = [a0 02, a1 02, a0 13, a1 13] (sums of those
     * element pairs), likewise x1 for a2/a3; the shuffles then line up
     * [a0, a1, a2, a3] partials in every lane, and the lanes are added. */
    __m512 x0 = _mm512_add_ps(_mm512_unpacklo_ps(a0, a1), _mm512_unpackhi_ps(a0, a1));
    __m512 x1 = _mm512_add_ps(_mm512_unpacklo_ps(a2, a3), _mm512_unpackhi_ps(a2, a3));
    __m512 y = _mm512_add_ps(_mm512_shuffle_ps(x0, x1, 0x44), _mm512_shuffle_ps(x0, x1, 0xEE));
    __m256 z = _mm256_add_ps(_mm512_castps512_ps256(y), _mm512_extractf32x8_ps(y, 1));
    return _mm_add_ps(_mm256_castps256_ps128(z), _mm256_extractf128_ps(z, 1));
}

/* mr A rows × nr (≤ DNR) weight rows; rows past nr re-read the last valid
 * weight row (in bounds) and their sums are not stored. */
static inline __attribute__((always_inline)) void
dot_tile(const int mr, int nr, int kc, const float *A, size_t lda, const float *B, size_t ldb,
         const float *bias, float *C, size_t ldc, int accumulate, const float *pf) {
    const float *br[DNR];
    __m512 acc[DMR][DNR];
    __mmask8 cm = (__mmask8)((1u << nr) - 1);
    int p = 0;
    for (int j = 0; j < DNR; j++) br[j] = B + (size_t)(j < nr ? j : nr - 1) * ldb;
    for (int i = 0; i < mr; i++)
        for (int j = 0; j < DNR; j++) acc[i][j] = _mm512_setzero_ps();
    for (; p + 16 <= kc; p += 16) {
        __m512 b[DNR];
        for (int j = 0; j < DNR; j++) b[j] = _mm512_loadu_ps(br[j] + p);
        if (pf)
            for (int j = 0; j < DNR; j++)
                _mm_prefetch((const char *)(pf + j * ldb + p), _MM_HINT_T0);
        for (int i = 0; i < mr; i++) {
            __m512 a = _mm512_loadu_ps(A + i * lda + p);
            for (int j = 0; j < DNR; j++) acc[i][j] = _mm512_fmadd_ps(a, b[j], acc[i][j]);
        }
    }
    if (p < kc) {
        __mmask16 km = (__mmask16)((1u << (kc - p)) - 1);
        __m512 b[DNR];
        for (int j = 0; j < DNR; j++) b[j] = _mm512_maskz_loadu_ps(km, br[j] + p);
        for (int i = 0; i < mr; i++) {
            __m512 a = _mm512_maskz_loadu_ps(km, A + i * lda + p);
            for (int j = 0; j < DNR; j++) acc[i][j] = _mm512_fmadd_ps(a, b[j], acc[i][j]);
        }
    }
    for (int i = 0; i < mr; i++) {
        float *c = C + i * ldc;
        __m128 x = hsum4(acc[i][0], acc[i][1], acc[i][2], acc[i][3]);
        if (accumulate) x = _mm_add_ps(x, _mm_maskz_loadu_ps(cm, c));
        else if (bias) x = _mm_add_ps(x, _mm_maskz_loadu_ps(cm, bias));
        _mm_mask_storeu_ps(c, cm, x);
    }
}

#define DOT_ARGS nr, kc, A, lda, B, ldb, bias, C, ldc, accumulate
#define DOT_FN(R)                                                                     \
    static void dot_##R(int nr, int kc, const float *A, size_t lda, const float *B,  \
                        size_t ldb, const float *bias, float *C, size_t ldc,         \
                        int accumulate, const float *pf) {                           \
        if (pf) dot_tile(R, DOT_ARGS, pf);                                           \
        else dot_tile(R, DOT_ARGS, NULL);                                            \
    }
DOT_FN(1) DOT_FN(2) DOT_FN(3) DOT_FN(4) DOT_FN(5) DOT_FN(6)

typedef void (*dot_fn)(int, int, const float *, size_t, const float *, size_t, const float *,
                       float *, size_t, int, const float *);
static const dot_fn dots[DMR + 1] = {NULL, dot_1, dot_2, dot_3, dot_4, dot_5, dot_6};

static void dot_bt(int m, int n, int kc, const float *A, int lda, const float *B, int ldb,
                   const float *bias, float *C, int ldc, int accumulate) {
    /* weight rows outer: DNR rows of B stay in L1 while every A row group
     * (the whole of a small A) passes over them */
    int groups = (m + DMR - 1) / DMR;
    for (int j0 = 0; j0 < n; j0 += DNR) {
        int nr = n - j0 < DNR ? n - j0 : DNR;
        /* the first row group pulls the next DNR weight rows towards L1 as
         * it consumes these: the weights stream from L3/DRAM, and the
         * hardware prefetcher alone kept only ~half the bandwidth busy */
        const float *pf = n - j0 >= 2 * DNR ? B + (size_t)(j0 + DNR) * ldb : NULL;
        int i0 = 0;
        for (int g = 0; g < groups; g++) {
            int mr = m / groups + (g < m % groups);
            dots[mr](nr, kc, A + (size_t)i0 * lda, (size_t)lda, B + (size_t)j0 * ldb,
                     (size_t)ldb, bias ? bias + j0 : NULL, C + (size_t)i0 * ldc + j0,
                     (size_t)ldc, accumulate, g == 0 ? pf : NULL);
            i0 += mr;
        }
    }
}

static const ia_sgemm_impl impl = {"avx512", MR, NR, pack_b, block, dot_bt, block_t};

const ia_sgemm_impl *ia_sgemm_impl_avx512(void) { return &impl; }

#else
const ia_sgemm_impl *ia_sgemm_impl_avx512(void) { return 0; }
#endif
