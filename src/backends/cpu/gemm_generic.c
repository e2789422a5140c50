/*
 * gemm_generic.c — portable C sgemm kernel, no intrinsics: the fallback on
 * x86 CPUs without AVX2 and the kernel of wasm32 / other targets.
 *
 * Micro-tile 4 × 8 = eight 4-lane vector accumulators, half of SSE2's 16
 * registers, leaving room for the B row and the broadcast (6 × 8 measured
 * no faster). Same packed-B layout and driver contract as the SIMD
 * kernels; no dot_bt / block_t, so the driver always packs B here.
 */
#include "backends/cpu/gemm_kernels.h"

#include <stddef.h>
#include <string.h>

#define MR 4
#define NR 8

#if defined(__GNUC__)
#define ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define ALWAYS_INLINE inline
#endif

#if defined(__GNUC__)
/* GCC/clang vector extension (not an ISA intrinsic): lowered to SSE2 on
 * any x86-64, to simd128 on wasm32 with -msimd128, to NEON on arm64, and
 * to scalar code where there is no SIMD. Plain C arrays were left mostly
 * unvectorised by gcc 12: 6 GFLOP/s against 27 with this on one Sapphire
 * Rapids core (SSE2 mul + add, no FMA without ISA flags). */
typedef float v4 __attribute__((vector_size(16)));

static ALWAYS_INLINE v4 load4(const float *p) {
    v4 v;
    memcpy(&v, p, sizeof v); /* unaligned-safe; compiles to one load */
    return v;
}

/* mr is a constant after inlining; columns past w (zero in the panel) are
 * computed and dropped. */
static ALWAYS_INLINE void tile(const int mr, int w, int kc, const float *A, size_t lda,
                               const float *Bp, const float *bias, float *C, size_t ldc,
                               int accumulate) {
    v4 acc[MR][NR / 4];
    float out[NR];
    for (int i = 0; i < mr; i++)
        for (int v = 0; v < NR / 4; v++) acc[i][v] = (v4){0, 0, 0, 0};
    for (int p = 0; p < kc; p++) {
        v4 b[NR / 4];
        for (int v = 0; v < NR / 4; v++) b[v] = load4(Bp + (size_t)p * NR + 4 * v);
        for (int i = 0; i < mr; i++) {
            float x = A[i * lda + p];
            v4 a = {x, x, x, x};
            for (int v = 0; v < NR / 4; v++) acc[i][v] += a * b[v];
        }
    }
    for (int i = 0; i < mr; i++) {
        float *c = C + i * ldc;
        memcpy(out, acc[i], sizeof out);
        for (int j = 0; j < w; j++)
            c[j] = out[j] + (accumulate ? c[j] : bias ? bias[j] : 0.0f);
    }
}
#else
static ALWAYS_INLINE void tile(const int mr, int w, int kc, const float *A, size_t lda,
                               const float *Bp, const float *bias, float *C, size_t ldc,
                               int accumulate) {
    float acc[MR][NR];
    memset(acc, 0, sizeof acc);
    for (int p = 0; p < kc; p++) {
        const float *b = Bp + (size_t)p * NR;
        for (int i = 0; i < mr; i++) {
            float a = A[i * lda + p];
            for (int j = 0; j < NR; j++) acc[i][j] += a * b[j];
        }
    }
    for (int i = 0; i < mr; i++) {
        float *c = C + i * ldc;
        for (int j = 0; j < w; j++)
            c[j] = acc[i][j] + (accumulate ? c[j] : bias ? bias[j] : 0.0f);
    }
}
#endif

static void block(int m, int nc, int kc, const float *A, int lda, const float *Bp,
                  const float *bias, float *C, int ldc, int accumulate) {
    for (int i0 = 0; i0 < m; i0 += MR) {
        int mr = m - i0 < MR ? m - i0 : MR;
        const float *a = A + (size_t)i0 * lda;
        float *c = C + (size_t)i0 * ldc;
        for (int j0 = 0; j0 < nc; j0 += NR) {
            int w = nc - j0 < NR ? nc - j0 : NR;
            const float *bp = Bp + (size_t)j0 * kc;
            const float *bb = bias ? bias + j0 : NULL;
            switch (mr) {
            case 4: tile(4, w, kc, a, (size_t)lda, bp, bb, c + j0, (size_t)ldc, accumulate); break;
            case 3: tile(3, w, kc, a, (size_t)lda, bp, bb, c + j0, (size_t)ldc, accumulate); break;
            case 2: tile(2, w, kc, a, (size_t)lda, bp, bb, c + j0, (size_t)ldc, accumulate); break;
            default: tile(1, w, kc, a, (size_t)lda, bp, bb, c + j0, (size_t)ldc, accumulate); break;
            }
        }
    }
}

static void pack_b(int trans_b, int kc, int nc, const float *B, int ldb, float *Bp) {
    for (int j0 = 0; j0 < nc; j0 += NR) {
        float *panel = Bp + (size_t)j0 * kc;
        int w = nc - j0 < NR ? nc - j0 : NR;
        for (int p = 0; p < kc; p++) {
            float *dst = panel + (size_t)p * NR;
            for (int j = 0; j < w; j++)
                dst[j] = trans_b ? B[(size_t)(j0 + j) * ldb + p] : B[(size_t)p * ldb + j0 + j];
            for (int j = w; j < NR; j++) dst[j] = 0.0f;
        }
    }
}

static const ia_sgemm_impl impl = {"generic", MR, NR, pack_b, block, NULL, NULL};

const ia_sgemm_impl *ia_sgemm_impl_generic(void) { return &impl; }
