/*
 * qgemm_generic.c — portable C qgemm kernels, no intrinsics: the fallback
 * on x86 CPUs without AVX2 and the kernel of wasm32 / other targets.
 *
 * Portable C has no int8 dot-product instruction to lean on (SSE2 and
 * wasm simd128 have only 16-bit multiply-adds, which gcc's generic vectors
 * do not reach), and a byte-by-byte integer loop ran at ~3 GOP/s against
 * the fp32 generic sgemm's ~24 GFLOP/s on Sapphire Rapids. So the integer
 * dot products are computed in float, exactly: codes and activations are
 * small integers, every product (≤ 255 · 127) and every partial sum over
 * at most KC = 256 inputs (≤ 255 · 127 · 256 < 2^24) is an integer float
 * represents exactly, whatever the order — so each KC slice's float sum is
 * converted to int32 without error and the slices are added in int32.
 * The integer parts stay exact, as in the SIMD kernels.
 *
 * Loop nest per call: row blocks of RB rows × 16-channel blocks × groups ×
 * KC slices; a slice of one block's codes is decoded to floats once
 * (wf[KC][16], 16 KiB — wasm's default stack is 64 KiB, so no bigger) and
 * reused by every 4-row × 8-channel micro-tile of the row block, whose 8
 * float accumulators are 2 vectors per row (gcc vector extension, as in
 * gemm_generic.c: SSE2 on x86, simd128 on wasm, scalar elsewhere). The
 * float step per group is the SIMD kernels' sequence (cvt, ·(d·sa),
 * +m·sas), without FMA. Speed there (x86-64 baseline, no FMA): 16 GOP/s
 * per-channel 8-bit, 12–16 GOP/s grouped — ~0.5–0.7× the fp32 generic
 * sgemm, for 1/4 to 1/16 of its weight bytes.
 */
#include "backends/cpu/qgemm_kernels.h"

#include <math.h>
#include <string.h>

#define MR 4   /* rows per micro-tile */
#define KC 256 /* inputs per exact float slice: 255 · 127 · 256 < 2^24 */
#define RB 32  /* rows per block: int32 sums and float totals, 2 KiB each */

#if defined(__GNUC__)
#define ALWAYS_INLINE inline __attribute__((always_inline))
typedef float v4 __attribute__((vector_size(16)));
#else
#define ALWAYS_INLINE inline
#endif

static void quantize(int m, int k, int group, const float *x, size_t ldx, int8_t *xq,
                     float *sa, float *sas) {
    int groups = k / group;
    for (int r = 0; r < m; r++) {
        const float *xr = x + (size_t)r * ldx;
        int8_t *qr = xq + (size_t)r * (size_t)k;
        for (int g = 0; g < groups; g++) {
            float amax = 0.0f, s, inv;
            int sum = 0;
            for (int p = g * group; p < (g + 1) * group; p++) amax = ia_qact_amax_step(amax, xr[p]);
            ia_qact_scale(amax, &s, &inv);
            for (int p = g * group; p < (g + 1) * group; p++) {
                int c = ia_qact_code(xr[p], inv);
                qr[p] = (int8_t)c;
                sum += c;
            }
            sa[(size_t)r * groups + g] = s;
            sas[(size_t)r * groups + g] = s * (float)sum;
        }
    }
}

/* Codes of block b, inputs [p0, p0 + kc) (p0 and kc multiples of 16), to
 * floats wf[i][c] for input p0 + i, channel c. */
static void decode_slice(const ia_qmat *w, int64_t b, int p0, int kc, float wf[KC][16]) {
    int bits = w->bits, per = 8 / bits; /* quads per 64-byte unit */
    unsigned mask = (1u << bits) - 1;
    const uint8_t *unit = w->codes + (size_t)b * w->block_bytes + (size_t)(p0 / 4 / per) * 64;
    for (int q = 0; q < kc / 4; q += per, unit += 64) /* p0 / 4 is a multiple of per */
        for (int s = 0; s < per; s++)
            for (int c = 0; c < 16; c++)
                for (int i = 0; i < 4; i++)
                    wf[4 * (q + s) + i][c] = (float)((unit[4 * c + i] >> (s * bits)) & mask);
    if (w->hbits) /* split codes: the high bits of input p0 + 4t + i (qmat_layout.h) */
        for (int t = 0; t < kc / 4; t++) {
            int p = p0 + 4 * t, span = 32 / w->hbits, slot = (p % span) / 4;
            const uint8_t *hu = w->hi + (size_t)b * w->hstride + (size_t)(p / span) * 64;
            for (int c = 0; c < 16; c++)
                for (int i = 0; i < 4; i++)
                    wf[4 * t + i][c] +=
                        (float)(((hu[4 * c + i] >> (slot * w->hbits)) & ((1u << w->hbits) - 1)) << bits);
        }
}

/* int8 → float by table: one load instead of a sign extension plus an
 * int→float conversion per activation in the inner loop (x86 without
 * AVX2: 12 → 16 GOP/s). Index: the code's byte as unsigned. */
#define I8F(i) (float)((i) < 128 ? (i) : (i) - 256)
#define I8F4(i) I8F(i), I8F((i) + 1), I8F((i) + 2), I8F((i) + 3)
#define I8F16(i) I8F4(i), I8F4((i) + 4), I8F4((i) + 8), I8F4((i) + 12)
#define I8F64(i) I8F16(i), I8F16((i) + 16), I8F16((i) + 32), I8F16((i) + 48)
static const float i8f[256] = {I8F64(0), I8F64(64), I8F64(128), I8F64(192)};

/* iacc[r][c8 + c] += Σ_{i<kc} xq[r][p0 + i] · wf[i][c8 + c] for r < mr,
 * c < 8, exactly (see the header). */
static ALWAYS_INLINE void dot_tile(const int mr, const int8_t *xq, size_t k, int p0, int kc,
                                   const float wf[KC][16], int c8, int32_t iacc[RB][16]) {
#if defined(__GNUC__)
    v4 acc[MR][2];
    float out[8];
    for (int r = 0; r < mr; r++) acc[r][0] = acc[r][1] = (v4){0, 0, 0, 0};
    for (int i = 0; i < kc; i++) {
        v4 w0, w1;
        memcpy(&w0, &wf[i][c8], sizeof w0);
        memcpy(&w1, &wf[i][c8 + 4], sizeof w1);
        for (int r = 0; r < mr; r++) {
            float x = i8f[(uint8_t)xq[(size_t)r * k + p0 + i]];
            v4 a = {x, x, x, x};
            acc[r][0] += a * w0;
            acc[r][1] += a * w1;
        }
    }
    for (int r = 0; r < mr; r++) {
        memcpy(out, acc[r], sizeof out);
        for (int c = 0; c < 8; c++) iacc[r][c8 + c] += (int32_t)out[c];
    }
#else
    float acc[MR][8];
    memset(acc, 0, sizeof acc);
    for (int i = 0; i < kc; i++)
        for (int r = 0; r < mr; r++) {
            float x = (float)xq[(size_t)r * k + p0 + i];
            for (int c = 0; c < 8; c++) acc[r][c] += x * wf[i][c8 + c];
        }
    for (int r = 0; r < mr; r++)
        for (int c = 0; c < 8; c++) iacc[r][c8 + c] += (int32_t)acc[r][c];
#endif
}

/* All KC slices of group g for rows [0, m) (m ≤ RB) of block b. */
static void dot_group(const ia_qmat *w, int m, int64_t b, int g, const int8_t *xq,
                      float wf[KC][16], int32_t iacc[RB][16]) {
    int group = (int)w->group;
    size_t k = (size_t)w->k;
    memset(iacc, 0, sizeof(int32_t) * RB * 16);
    for (int p0 = g * group; p0 < (g + 1) * group; p0 += KC) {
        int kc = (g + 1) * group - p0 < KC ? (g + 1) * group - p0 : KC;
        decode_slice(w, b, p0, kc, wf);
        for (int r = 0; r < m; r += MR)
            for (int c8 = 0; c8 < 16; c8 += 8) {
                const int8_t *x = xq + (size_t)r * k;
                int32_t(*ia)[16] = iacc + r;
                switch (m - r < MR ? m - r : MR) {
                case 4: dot_tile(4, x, k, p0, kc, (const float(*)[16])wf, c8, ia); break;
                case 3: dot_tile(3, x, k, p0, kc, (const float(*)[16])wf, c8, ia); break;
                case 2: dot_tile(2, x, k, p0, kc, (const float(*)[16])wf, c8, ia); break;
                default: dot_tile(1, x, k, p0, kc, (const float(*)[16])wf, c8, ia); break;
                }
            }
    }
}

static void gemm(const ia_qmat *w, int m, const int8_t *xq, const float *sa, const float *sas,
                 int j0, int j1, const float *bias, float *y, size_t ldy) {
    int groups = (int)w->groups;
    float wf[KC][16];
    int32_t iacc[RB][16];
    float f[RB][16];
    for (int r0 = 0; r0 < m; r0 += RB) {
        int mb = m - r0 < RB ? m - r0 : RB;
        const int8_t *x = xq + (size_t)r0 * (size_t)w->k;
        for (int j = j0; j < j1; j += IA_QMAT_BLOCK) {
            int64_t b = j / IA_QMAT_BLOCK;
            int width = j1 - j < IA_QMAT_BLOCK ? j1 - j : IA_QMAT_BLOCK;
            memset(f, 0, sizeof f);
            for (int g = 0; g < groups; g++) {
                float d[IA_QMAT_BLOCK], mm[IA_QMAT_BLOCK]; /* either scale form (qmat_layout.h) */
                for (int c = 0; c < IA_QMAT_BLOCK; c++) ia_qmat_scale(w, b, g, c, &d[c], &mm[c]);
                dot_group(w, mb, b, g, x, wf, iacc);
                for (int r = 0; r < mb; r++) {
                    float s = sa[(size_t)(r0 + r) * groups + g];
                    float ss = sas[(size_t)(r0 + r) * groups + g];
                    for (int c = 0; c < IA_QMAT_BLOCK; c++)
                        f[r][c] = (f[r][c] + (float)iacc[r][c] * (d[c] * s)) + mm[c] * ss;
                }
            }
            for (int r = 0; r < mb; r++)
                for (int c = 0; c < width; c++)
                    y[(size_t)(r0 + r) * ldy + j + c] = f[r][c] + (bias ? bias[j + c] : 0.0f);
        }
    }
}

static const ia_qgemm_impl impl = {"generic", MR, quantize, gemm};

const ia_qgemm_impl *ia_qgemm_impl_generic(void) { return &impl; }
