/*
 * qgemm_generic.c — portable C qgemm kernels, no intrinsics: the fallback
 * on x86 CPUs without AVX2 and the kernel of wasm32 / other targets.
 *
 * Micro-tile: MR rows × one 16-channel block. Each 64-byte unit of codes
 * is decoded once into a [quad][16 ch][4 k] byte array and reused by the
 * MR rows; the int32 sums and float totals live in small arrays that the
 * compiler keeps in vector registers where it can. The float step per
 * group is the same sequence as in the SIMD kernels (cvt, ·(d·sa), +m·sas),
 * without FMA, so results differ from them only by rounding.
 */
#include "backends/cpu/qgemm_kernels.h"

#include <math.h>
#include <string.h>

#define MR 4

static void quantize(int m, int k, int group, const float *x, size_t ldx, int8_t *xq,
                     float *sa, float *sas) {
    int groups = k / group;
    for (int r = 0; r < m; r++) {
        const float *xr = x + (size_t)r * ldx;
        int8_t *qr = xq + (size_t)r * (size_t)k;
        for (int g = 0; g < groups; g++) {
            float amax = 0.0f, s, inv;
            int sum = 0;
            for (int p = g * group; p < (g + 1) * group; p++) amax = fmaxf(amax, fabsf(xr[p]));
            ia_qmat_act_scale(amax, &s, &inv);
            for (int p = g * group; p < (g + 1) * group; p++) {
                int c = ia_qmat_act_code(xr[p], inv);
                qr[p] = (int8_t)c;
                sum += c;
            }
            sa[(size_t)r * groups + g] = s;
            sas[(size_t)r * groups + g] = s * (float)sum;
        }
    }
}

/* Unpacks one 64-byte unit into dec[s][64] for its 8 / bits quads. */
static void decode_unit(int bits, const uint8_t *unit, uint8_t dec[4][64]) {
    int per = 8 / bits;
    unsigned mask = (1u << bits) - 1;
    for (int s = 0; s < per; s++)
        for (int i = 0; i < 64; i++) dec[s][i] = (uint8_t)((unit[i] >> (s * bits)) & mask);
}

/* mr rows × the 16 channels of block b; stores columns [c0, c0 + width). */
static void tile(const ia_qmat *w, int mr, int64_t b, const int8_t *xq, const float *sa,
                 const float *sas, const float *bias, float *y, size_t ldy, int width) {
    int k = (int)w->k, groups = (int)w->groups, per = 8 / w->bits;
    int units_per_group = (int)w->group / 4 / per;
    const uint8_t *unit = w->codes + (size_t)b * w->block_bytes;
    const float *d = w->d + (size_t)b * (size_t)groups * IA_QMAT_BLOCK;
    const float *mm = w->m + (size_t)b * (size_t)groups * IA_QMAT_BLOCK;
    float f[MR][IA_QMAT_BLOCK];
    memset(f, 0, sizeof f);
    for (int g = 0; g < groups; g++) {
        int32_t acc[MR][IA_QMAT_BLOCK];
        int p = g * (int)w->group; /* first input of the unit */
        memset(acc, 0, sizeof acc);
        for (int u = 0; u < units_per_group; u++, unit += 64) {
            uint8_t dec[4][64];
            decode_unit(w->bits, unit, dec);
            for (int s = 0; s < per; s++, p += 4)
                for (int r = 0; r < mr; r++) {
                    const int8_t *a = xq + (size_t)r * k + p;
                    for (int c = 0; c < IA_QMAT_BLOCK; c++)
                        acc[r][c] += dec[s][4 * c] * a[0] + dec[s][4 * c + 1] * a[1] +
                                     dec[s][4 * c + 2] * a[2] + dec[s][4 * c + 3] * a[3];
                }
        }
        for (int r = 0; r < mr; r++) {
            float s = sa[(size_t)r * groups + g], ss = sas[(size_t)r * groups + g];
            for (int c = 0; c < IA_QMAT_BLOCK; c++)
                f[r][c] = (f[r][c] + (float)acc[r][c] * (d[c] * s)) + mm[c] * ss;
        }
        d += IA_QMAT_BLOCK;
        mm += IA_QMAT_BLOCK;
    }
    for (int r = 0; r < mr; r++)
        for (int c = 0; c < width; c++)
            y[(size_t)r * ldy + c] = f[r][c] + (bias ? bias[c] : 0.0f);
}

static void gemm(const ia_qmat *w, int m, const int8_t *xq, const float *sa, const float *sas,
                 int j0, int j1, const float *bias, float *y, size_t ldy) {
    for (int j = j0; j < j1; j += IA_QMAT_BLOCK) {
        int width = j1 - j < IA_QMAT_BLOCK ? j1 - j : IA_QMAT_BLOCK;
        for (int r = 0; r < m; r += MR)
            tile(w, m - r < MR ? m - r : MR, j / IA_QMAT_BLOCK, xq + (size_t)r * (size_t)w->k,
                 sa + (size_t)r * (size_t)w->groups, sas + (size_t)r * (size_t)w->groups,
                 bias ? bias + j : NULL, y + (size_t)r * ldy + j, ldy, width);
    }
}

static const ia_qgemm_impl impl = {"generic", MR, quantize, gemm};

const ia_qgemm_impl *ia_qgemm_impl_generic(void) { return &impl; }
