/*
 * gemm_wasm_simd128.c — WebAssembly SIMD128 sgemm kernels (wasm32 built
 * with -msimd128; every current engine runs them): B packing and a
 * register-blocked micro-tile, as the x86 kernels provide them
 * (gemm_kernels.h). Plain SIMD128 only — relaxed SIMD (with its FMA) is
 * not in the engines the SDK targets — so each step is f32x4.mul then
 * f32x4.add, as XNNPACK's f32 wasmsimd GEMM micro-kernels do.
 *
 * Micro-tile: MR rows × 8 columns, XNNPACK's "loadsplat" shape: per k, two
 * f32x4 of the packed panel and one 32-bit splat load of A per row; MR × 2
 * accumulators. V8 maps the module's v128 values onto the 16 XMM registers
 * of x86-64 (one or two kept as scratch), and without FMA each product
 * needs a temporary: 4 × 8 holds 8 accumulators + 2 panel vectors + splat
 * + product = 12, where 6 × 8 (16) spills. Measured under node 20 on a
 * 2-vCPU Xeon (bench/wasm_kernels.sh, MiniLM shapes, GFLOP/s; -D
 * GEMM_WASM_MR=n repeats it): MR = 3: 40–42, 4: 40–44, 5: 31–36, 6: 31–35.
 * The k loop is not unrolled: unrolled, clang groups each accumulator's
 * updates (its wasm stackifier), so 8 panel vectors and 4 splats per row
 * are live at once and V8 spills them (27–30 GFLOP/s).
 *
 * That is the engine's ceiling, not far above the portable kernel (38–41:
 * clang vectorises its 4 × 8 tile into the same f32x4.mul/add): with no
 * FMA in SIMD128, 4 multiply-adds cost two instructions either way.
 *
 * Packing uses 4 × 4 in-register transposes for trans_b = 1 (the weights,
 * and K in attention), so the panel is written in 16-byte stores instead
 * of the portable kernel's element-by-element gather.
 *
 * No global mutable state: the functions read their arguments and write
 * only C or the packing buffer they are given, so any number of threads
 * may run them at once (the emscripten pthread build).
 */
#include "backends/cpu/gemm_kernels.h"

#if defined(__wasm_simd128__)
#include <stddef.h>
#include <wasm_simd128.h>

#ifndef GEMM_WASM_MR
#define GEMM_WASM_MR 4
#endif
#define MR GEMM_WASM_MR
#define NR 8

#define ALWAYS_INLINE inline __attribute__((always_inline))

/* acc[i][0..1] += A[i][p] · panel[p][0..8) over p < kc, for i < mr. */
static ALWAYS_INLINE void mac(const int mr, int kc, const float *A, size_t lda, const float *panel,
                              v128_t acc[MR][2]) {
    const float *a[MR];
    for (int i = 0; i < mr; i++) {
        a[i] = A + (size_t)i * lda;
        acc[i][0] = acc[i][1] = wasm_f32x4_splat(0.0f);
    }
#pragma clang loop unroll(disable)
    for (int p = 0; p < kc; p++) {
        const v128_t b0 = wasm_v128_load(panel), b1 = wasm_v128_load(panel + 4);
        panel += NR;
        for (int i = 0; i < mr; i++) {
            const v128_t x = wasm_v128_load32_splat(a[i] + p);
            acc[i][0] = wasm_f32x4_add(acc[i][0], wasm_f32x4_mul(x, b0));
            acc[i][1] = wasm_f32x4_add(acc[i][1], wasm_f32x4_mul(x, b1));
        }
    }
}

/* C rows (+ C, bias or nothing) ← acc, the first w ≤ 8 columns. */
static ALWAYS_INLINE void store_tile(const int mr, int w, v128_t acc[MR][2], const float *bias, float *C,
                                     size_t ldc, int accumulate) {
    for (int i = 0; i < mr; i++) {
        float *c = C + (size_t)i * ldc;
        if (w == NR) {
            v128_t x0 = acc[i][0], x1 = acc[i][1];
            if (accumulate) {
                x0 = wasm_f32x4_add(x0, wasm_v128_load(c));
                x1 = wasm_f32x4_add(x1, wasm_v128_load(c + 4));
            } else if (bias) {
                x0 = wasm_f32x4_add(x0, wasm_v128_load(bias));
                x1 = wasm_f32x4_add(x1, wasm_v128_load(bias + 4));
            }
            wasm_v128_store(c, x0);
            wasm_v128_store(c + 4, x1);
        } else { /* column tail: through memory, only w columns touched */
            float out[NR];
            wasm_v128_store(out, acc[i][0]);
            wasm_v128_store(out + 4, acc[i][1]);
            for (int j = 0; j < w; j++) c[j] = out[j] + (accumulate ? c[j] : bias ? bias[j] : 0.0f);
        }
    }
}

static ALWAYS_INLINE void tile(const int mr, int w, int kc, const float *A, size_t lda, const float *Bp,
                               const float *bias, float *C, size_t ldc, int accumulate) {
    v128_t acc[MR][2];
    mac(mr, kc, A, lda, Bp, acc);
    store_tile(mr, w, acc, bias, C, ldc, accumulate);
}

/* One function per row count, so each inlined loop has a constant mr. */
#define TILE_FN(R)                                                                                    \
    static void tile_##R(int w, int kc, const float *A, size_t lda, const float *Bp, const float *bias, \
                         float *C, size_t ldc, int accumulate) {                                      \
        tile(R, w, kc, A, lda, Bp, bias, C, ldc, accumulate);                                         \
    }
TILE_FN(1)
TILE_FN(2)
TILE_FN(3)
TILE_FN(4)
#if MR > 4
TILE_FN(5)
#endif
#if MR > 5
TILE_FN(6)
#endif
#if MR > 6
#error "GEMM_WASM_MR is at most 6"
#endif

typedef void (*tile_fn)(int, int, const float *, size_t, const float *, const float *, float *, size_t, int);
static const tile_fn tiles[] = {
    NULL, tile_1, tile_2, tile_3, tile_4,
#if MR > 4
    tile_5,
#endif
#if MR > 5
    tile_6,
#endif
};

static void block(int m, int nc, int kc, const float *A, int lda, const float *Bp, const float *bias,
                  float *C, int ldc, int accumulate) {
    /* near-equal row groups of at most MR (m = 5 as 3 + 2, not 4 + 1):
     * a short group still reads the whole panel */
    int groups = (m + MR - 1) / MR, i0 = 0;
    for (int g = 0; g < groups; g++) {
        int mr = m / groups + (g < m % groups);
        const float *a = A + (size_t)i0 * lda;
        float *c = C + (size_t)i0 * ldc;
        for (int j0 = 0; j0 < nc; j0 += NR)
            tiles[mr](nc - j0 < NR ? nc - j0 : NR, kc, a, (size_t)lda, Bp + (size_t)j0 * kc,
                      bias ? bias + j0 : NULL, c + j0, (size_t)ldc, accumulate);
        i0 += mr;
    }
}

/* 4 × 4 transpose: r[i] lane j ↔ r[j] lane i. */
static ALWAYS_INLINE void transpose4(v128_t r[4]) {
    v128_t t0 = wasm_i32x4_shuffle(r[0], r[1], 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(r[0], r[1], 2, 6, 3, 7);
    v128_t t2 = wasm_i32x4_shuffle(r[2], r[3], 0, 4, 1, 5), t3 = wasm_i32x4_shuffle(r[2], r[3], 2, 6, 3, 7);
    r[0] = wasm_i64x2_shuffle(t0, t2, 0, 2);
    r[1] = wasm_i64x2_shuffle(t0, t2, 1, 3);
    r[2] = wasm_i64x2_shuffle(t1, t3, 0, 2);
    r[3] = wasm_i64x2_shuffle(t1, t3, 1, 3);
}

/* trans_b = 1: panel column j is row j of B. Four rows × four k at a
 * time, transposed into four panel rows; rows past nc are zero. */
static void pack_bt(int kc, int nc, const float *B, size_t ldb, float *Bp) {
    for (int j0 = 0; j0 < nc; j0 += NR) {
        float *panel = Bp + (size_t)j0 * kc;
        for (int h = 0; h < NR; h += 4) {
            int rows = nc - j0 - h;
            const float *b[4];
            int p = 0;
            if (rows > 4) rows = 4;
            if (rows <= 0) { /* padding half of the last panel */
                for (p = 0; p < kc; p++) wasm_v128_store(panel + (size_t)p * NR + h, wasm_f32x4_splat(0.0f));
                continue;
            }
            for (int i = 0; i < 4; i++) b[i] = B + (size_t)(j0 + h + (i < rows ? i : 0)) * ldb;
            if (rows == 4)
                for (; p + 4 <= kc; p += 4) {
                    v128_t r[4];
                    for (int i = 0; i < 4; i++) r[i] = wasm_v128_load(b[i] + p);
                    transpose4(r);
                    for (int i = 0; i < 4; i++) wasm_v128_store(panel + (size_t)(p + i) * NR + h, r[i]);
                }
            for (; p < kc; p++) { /* k tail, or fewer than 4 rows left */
                float *dst = panel + (size_t)p * NR + h;
                for (int i = 0; i < 4; i++) dst[i] = i < rows ? b[i][p] : 0.0f;
            }
        }
    }
}

/* trans_b = 0: each panel row is a run of B's row p. */
static void pack_bn(int kc, int nc, const float *B, size_t ldb, float *Bp) {
    for (int j0 = 0; j0 < nc; j0 += NR) {
        float *panel = Bp + (size_t)j0 * kc;
        int w = nc - j0 < NR ? nc - j0 : NR;
        for (int p = 0; p < kc; p++) {
            const float *src = B + (size_t)p * ldb + j0;
            float *dst = panel + (size_t)p * NR;
            if (w == NR) {
                wasm_v128_store(dst, wasm_v128_load(src));
                wasm_v128_store(dst + 4, wasm_v128_load(src + 4));
            } else {
                for (int j = 0; j < NR; j++) dst[j] = j < w ? src[j] : 0.0f;
            }
        }
    }
}

static void pack_b(int trans_b, int kc, int nc, const float *B, int ldb, float *Bp) {
    if (trans_b) pack_bt(kc, nc, B, (size_t)ldb, Bp);
    else pack_bn(kc, nc, B, (size_t)ldb, Bp);
}

static const ia_sgemm_impl impl = {"wasm_simd128", MR, NR, pack_b, block, NULL, NULL};

const ia_sgemm_impl *ia_sgemm_impl_wasm_simd128(void) { return &impl; }

#else
const ia_sgemm_impl *ia_sgemm_impl_wasm_simd128(void) { return NULL; }
#endif
