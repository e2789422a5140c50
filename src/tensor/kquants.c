/*
 * kquants.c — ggml's k-quant (de)quantisers (ggml/src/ggml-quants.c:
 * dequantize_row_q*_K, quantize_row_q*_K_ref and their helpers), ported
 * statement for statement so the blocks and the floats are ggml's: the
 * same float operations in the same order, nearest_int's magic-number
 * rounding, the same integer truncations (a uint8_t from nearest_int).
 * Layouts and the affine form: kquants.h.
 */
#include "tensor/kquants.h"

#include <math.h>
#include <string.h>

#include "tensor/dtype.h"
#include "tensor/fp16.h"
#include "util/error.h"

#define GROUP_MAX_EPS 1e-15f /* ggml-quants.c: below this a group is all zero */
#define KMAX(a, b) ((a) > (b) ? (a) : (b))
#define KMIN(a, b) ((a) < (b) ? (a) : (b))

static ia_status check_n(int64_t n) {
    return n >= 0 && n % IA_QK_K == 0 ? IA_OK
                                       : ia_error(IA_ERR_INVALID_ARG, "k-quant: %lld values is not a multiple of %d",
                                                  (long long)n, IA_QK_K);
}

/* ggml's nearest_int: round half to even through the float adder (valid
 * for |f| ≤ 4194303, as ggml asserts). */
static inline int nearest_int(float fval) {
    float val = fval + 12582912.f;
    int i;
    memcpy(&i, &val, sizeof(int));
    return (i & 0x007fffff) - 0x00400000;
}

static inline void get_scale_min_k4(int j, const uint8_t *q, uint8_t *d, uint8_t *m) {
    if (j < 4) {
        *d = q[j] & 63;
        *m = q[j + 4] & 63;
    } else {
        *d = (uint8_t)((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
        *m = (uint8_t)((q[j + 4] >> 4) | ((q[j - 0] >> 6) << 4));
    }
}

/* Q3_K's 16 six-bit scales from their 12 packed bytes, as
 * dequantize_row_q3_K unpacks them (little-endian words). */
static void q3_scales(const uint8_t packed[12], int8_t out[16]) {
    for (int j = 0; j < 16; j++) {
        int lo = j < 8 ? packed[j] & 0xF : packed[j - 8] >> 4;
        int hi = (packed[8 + j % 4] >> (2 * (j / 4))) & 3;
        out[j] = (int8_t)((lo | hi << 4) - 32);
    }
}

/* ---- dequantisation ---------------------------------------------------- */

void ia_dequantize_q2_K(const ia_block_q2_K *x, float *y, int64_t n) {
    for (int64_t i = 0; i < n / IA_QK_K; i++) {
        const float d = ia_fp16_to_fp32(x[i].d), min = ia_fp16_to_fp32(x[i].dmin);
        const uint8_t *q = x[i].qs;
        int is = 0;
        for (int nn = 0; nn < IA_QK_K; nn += 128) {
            int shift = 0;
            for (int j = 0; j < 4; ++j) {
                uint8_t sc = x[i].scales[is++];
                float dl = d * (sc & 0xF), ml = min * (sc >> 4);
                for (int l = 0; l < 16; ++l) *y++ = dl * ((int8_t)((q[l] >> shift) & 3)) - ml;
                sc = x[i].scales[is++];
                dl = d * (sc & 0xF), ml = min * (sc >> 4);
                for (int l = 0; l < 16; ++l) *y++ = dl * ((int8_t)((q[l + 16] >> shift) & 3)) - ml;
                shift += 2;
            }
            q += 32;
        }
    }
}

void ia_dequantize_q3_K(const ia_block_q3_K *x, float *y, int64_t n) {
    for (int64_t i = 0; i < n / IA_QK_K; i++) {
        const float d_all = ia_fp16_to_fp32(x[i].d);
        const uint8_t *q = x[i].qs, *hm = x[i].hmask;
        int8_t scales[16];
        uint8_t m = 1;
        int is = 0;
        q3_scales(x[i].scales, scales);
        for (int nn = 0; nn < IA_QK_K; nn += 128) {
            int shift = 0;
            for (int j = 0; j < 4; ++j) {
                float dl = d_all * (scales[is++]);
                for (int l = 0; l < 16; ++l) *y++ = dl * ((int8_t)((q[l + 0] >> shift) & 3) - ((hm[l + 0] & m) ? 0 : 4));
                dl = d_all * (scales[is++]);
                for (int l = 0; l < 16; ++l) *y++ = dl * ((int8_t)((q[l + 16] >> shift) & 3) - ((hm[l + 16] & m) ? 0 : 4));
                shift += 2;
                m <<= 1;
            }
            q += 32;
        }
    }
}

void ia_dequantize_q4_K(const ia_block_q4_K *x, float *y, int64_t n) {
    for (int64_t i = 0; i < n / IA_QK_K; i++) {
        const uint8_t *q = x[i].qs;
        const float d = ia_fp16_to_fp32(x[i].d), min = ia_fp16_to_fp32(x[i].dmin);
        int is = 0;
        uint8_t sc, m;
        for (int j = 0; j < IA_QK_K; j += 64) {
            get_scale_min_k4(is + 0, x[i].scales, &sc, &m);
            const float d1 = d * sc, m1 = min * m;
            get_scale_min_k4(is + 1, x[i].scales, &sc, &m);
            const float d2 = d * sc, m2 = min * m;
            for (int l = 0; l < 32; ++l) *y++ = d1 * (q[l] & 0xF) - m1;
            for (int l = 0; l < 32; ++l) *y++ = d2 * (q[l] >> 4) - m2;
            q += 32;
            is += 2;
        }
    }
}

void ia_dequantize_q5_K(const ia_block_q5_K *x, float *y, int64_t n) {
    for (int64_t i = 0; i < n / IA_QK_K; i++) {
        const uint8_t *ql = x[i].qs, *qh = x[i].qh;
        const float d = ia_fp16_to_fp32(x[i].d), min = ia_fp16_to_fp32(x[i].dmin);
        int is = 0;
        uint8_t sc, m, u1 = 1, u2 = 2;
        for (int j = 0; j < IA_QK_K; j += 64) {
            get_scale_min_k4(is + 0, x[i].scales, &sc, &m);
            const float d1 = d * sc, m1 = min * m;
            get_scale_min_k4(is + 1, x[i].scales, &sc, &m);
            const float d2 = d * sc, m2 = min * m;
            for (int l = 0; l < 32; ++l) *y++ = d1 * ((ql[l] & 0xF) + (qh[l] & u1 ? 16 : 0)) - m1;
            for (int l = 0; l < 32; ++l) *y++ = d2 * ((ql[l] >> 4) + (qh[l] & u2 ? 16 : 0)) - m2;
            ql += 32;
            is += 2;
            u1 <<= 2;
            u2 <<= 2;
        }
    }
}

void ia_dequantize_q6_K(const ia_block_q6_K *x, float *y, int64_t n) {
    for (int64_t i = 0; i < n / IA_QK_K; i++) {
        const float d = ia_fp16_to_fp32(x[i].d);
        const uint8_t *ql = x[i].ql, *qh = x[i].qh;
        const int8_t *sc = x[i].scales;
        for (int nn = 0; nn < IA_QK_K; nn += 128) {
            for (int l = 0; l < 32; ++l) {
                int is = l / 16;
                const int8_t q1 = (int8_t)((ql[l + 0] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
                const int8_t q2 = (int8_t)((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
                const int8_t q3 = (int8_t)((ql[l + 0] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                const int8_t q4 = (int8_t)((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                y[l + 0] = d * sc[is + 0] * q1;
                y[l + 32] = d * sc[is + 2] * q2;
                y[l + 64] = d * sc[is + 4] * q3;
                y[l + 96] = d * sc[is + 6] * q4;
            }
            y += 128;
            ql += 64;
            qh += 32;
            sc += 8;
        }
    }
}

/* ---- the affine form ---------------------------------------------------- */

/* Code of weight j (0..255) of a 2-bit-low-part layout (Q2_K, Q3_K): 128
 * weights per 32 bytes, shift 2·((j % 128) / 32), byte j % 32. */
static int low2(const uint8_t *qs, int j) { return (qs[(j / 128) * 32 + j % 32] >> (2 * ((j % 128) / 32))) & 3; }

int ia_kquant_sub_scales(int dtype, const void *block, uint8_t codes[IA_QK_K], int8_t *sc, int8_t *mn, float *D,
                         float *M, int *sub) {
    switch (dtype) {
    case IA_DTYPE_Q2_K: {
        const ia_block_q2_K *b = block;
        for (int j = 0; j < IA_QK_K; j++) codes[j] = (uint8_t)low2(b->qs, j);
        for (int s = 0; s < 16; s++) sc[s] = (int8_t)(b->scales[s] & 0xF), mn[s] = (int8_t)(b->scales[s] >> 4);
        *D = ia_fp16_to_fp32(b->d), *M = -ia_fp16_to_fp32(b->dmin);
        *sub = 16;
        return 0;
    }
    case IA_DTYPE_Q3_K: {
        const ia_block_q3_K *b = block;
        /* hmask bit (j / 32) of byte j % 32 set: code q + 4 = low + 4 */
        for (int j = 0; j < IA_QK_K; j++)
            codes[j] = (uint8_t)(low2(b->qs, j) + ((b->hmask[j % 32] >> (j / 32)) & 1 ? 4 : 0));
        q3_scales(b->scales, sc);
        memcpy(mn, sc, 16);
        *D = ia_fp16_to_fp32(b->d), *M = -4.0f * *D;
        *sub = 16;
        return 0;
    }
    case IA_DTYPE_Q4_K:
    case IA_DTYPE_Q5_K: {
        const int five = dtype == IA_DTYPE_Q5_K;
        const ia_block_q4_K *b4 = block;
        const ia_block_q5_K *b5 = block;
        const uint8_t *scales = five ? b5->scales : b4->scales, *qs = five ? b5->qs : b4->qs;
        for (int j = 0; j < IA_QK_K; j++) { /* 64 weights per 32 bytes: low nibbles, then high */
            int c = (qs[(j / 64) * 32 + j % 32] >> (4 * ((j % 64) / 32))) & 0xF;
            if (five) c += ((b5->qh[j % 32] >> (j / 32)) & 1) << 4;
            codes[j] = (uint8_t)c;
        }
        for (int s = 0; s < 8; s++) {
            uint8_t a, c;
            get_scale_min_k4(s, scales, &a, &c);
            sc[s] = (int8_t)a, mn[s] = (int8_t)c;
        }
        *D = ia_fp16_to_fp32(five ? b5->d : b4->d), *M = -ia_fp16_to_fp32(five ? b5->dmin : b4->dmin);
        *sub = 32;
        return 0;
    }
    case IA_DTYPE_Q6_K: {
        const ia_block_q6_K *b = block;
        for (int j = 0; j < IA_QK_K; j++) {
            int h = j / 128, l = j % 32, quarter = (j % 128) / 32; /* dequantize_row_q6_K's q1..q4 */
            int lo = (b->ql[h * 64 + l + (quarter & 1) * 32] >> (4 * (quarter >> 1))) & 0xF;
            int hi = (b->qh[h * 32 + l] >> (2 * quarter)) & 3;
            codes[j] = (uint8_t)(lo | hi << 4);
        }
        memcpy(sc, b->scales, 16);
        memcpy(mn, b->scales, 16);
        *D = ia_fp16_to_fp32(b->d), *M = -32.0f * *D;
        *sub = 16;
        return 0;
    }
    default: return -1;
    }
}

int ia_kquant_sub_affine(int dtype, const void *block, uint8_t codes[IA_QK_K], float *d, float *m, int *sub) {
    int8_t sc[16], mn[16];
    float D, M;
    if (ia_kquant_sub_scales(dtype, block, codes, sc, mn, &D, &M, sub)) return -1;
    for (int s = 0; s < IA_QK_K / *sub; s++) d[s] = D * sc[s], m[s] = M * mn[s];
    return 0;
}

/* ---- quantisation: ggml's helpers ----------------------------------------- */

static float make_qx_quants(int n, int nmax, const float *x, int8_t *L, int rmse_type, const float *qw) {
    float max = 0, amax = 0;
    for (int i = 0; i < n; ++i) {
        float ax = fabsf(x[i]);
        if (ax > amax) {
            amax = ax;
            max = x[i];
        }
    }
    if (amax < GROUP_MAX_EPS) {
        for (int i = 0; i < n; ++i) L[i] = 0;
        return 0.f;
    }
    float iscale = -nmax / max;
    if (rmse_type == 0) {
        for (int i = 0; i < n; ++i) {
            int l = nearest_int(iscale * x[i]);
            L[i] = (int8_t)(nmax + KMAX(-nmax, KMIN(nmax - 1, l)));
        }
        return 1 / iscale;
    }
    int return_early = 0;
    if (rmse_type < 0) {
        rmse_type = -rmse_type;
        return_early = 1;
    }
    float sumlx = 0, suml2 = 0;
    for (int i = 0; i < n; ++i) {
        int l = nearest_int(iscale * x[i]);
        l = KMAX(-nmax, KMIN(nmax - 1, l));
        L[i] = (int8_t)(l + nmax);
        float w = qw                ? qw[i]
                  : rmse_type == 1 ? x[i] * x[i]
                  : rmse_type == 2 ? 1
                  : rmse_type == 3 ? fabsf(x[i])
                                   : sqrtf(fabsf(x[i]));
        sumlx += w * x[i] * l;
        suml2 += w * l * l;
    }
    float scale = suml2 ? sumlx / suml2 : 0.0f;
    if (return_early) return suml2 > 0 ? 0.5f * (scale + 1 / iscale) : 1 / iscale;
    float best = scale * sumlx;
    for (int is = -9; is <= 9; ++is) {
        if (is == 0) continue;
        iscale = -(nmax + 0.1f * is) / max;
        sumlx = suml2 = 0;
        for (int i = 0; i < n; ++i) {
            int l = nearest_int(iscale * x[i]);
            l = KMAX(-nmax, KMIN(nmax - 1, l));
            float w = qw                ? qw[i]
                      : rmse_type == 1 ? x[i] * x[i]
                      : rmse_type == 2 ? 1
                      : rmse_type == 3 ? fabsf(x[i])
                                       : sqrtf(fabsf(x[i]));
            sumlx += w * x[i] * l;
            suml2 += w * l * l;
        }
        if (suml2 > 0 && sumlx * sumlx > best * suml2) {
            for (int i = 0; i < n; ++i) {
                int l = nearest_int(iscale * x[i]);
                L[i] = (int8_t)(nmax + KMAX(-nmax, KMIN(nmax - 1, l)));
            }
            scale = sumlx / suml2;
            best = scale * sumlx;
        }
    }
    return scale;
}

static float make_q3_quants(int n, int nmax, const float *x, int8_t *L, int do_rmse) {
    float max = 0, amax = 0;
    for (int i = 0; i < n; ++i) {
        float ax = fabsf(x[i]);
        if (ax > amax) {
            amax = ax;
            max = x[i];
        }
    }
    if (amax < GROUP_MAX_EPS) {
        for (int i = 0; i < n; ++i) L[i] = 0;
        return 0.f;
    }
    float iscale = -nmax / max;
    if (do_rmse) {
        float sumlx = 0, suml2 = 0;
        for (int i = 0; i < n; ++i) {
            int l = nearest_int(iscale * x[i]);
            l = KMAX(-nmax, KMIN(nmax - 1, l));
            L[i] = (int8_t)l;
            float w = x[i] * x[i];
            sumlx += w * x[i] * l;
            suml2 += w * l * l;
        }
        for (int itry = 0; itry < 5; ++itry) {
            int n_changed = 0;
            for (int i = 0; i < n; ++i) {
                float w = x[i] * x[i];
                float slx = sumlx - w * x[i] * L[i];
                if (slx > 0) {
                    float sl2 = suml2 - w * L[i] * L[i];
                    int new_l = nearest_int(x[i] * sl2 / slx);
                    new_l = KMAX(-nmax, KMIN(nmax - 1, new_l));
                    if (new_l != L[i]) {
                        slx += w * x[i] * new_l;
                        sl2 += w * new_l * new_l;
                        if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
                            L[i] = (int8_t)new_l;
                            sumlx = slx;
                            suml2 = sl2;
                            ++n_changed;
                        }
                    }
                }
            }
            if (!n_changed) break;
        }
        for (int i = 0; i < n; ++i) L[i] = (int8_t)(L[i] + nmax);
        return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
    }
    for (int i = 0; i < n; ++i) {
        int l = nearest_int(iscale * x[i]);
        l = KMAX(-nmax, KMIN(nmax - 1, l));
        L[i] = (int8_t)(l + nmax);
    }
    return 1 / iscale;
}

static float make_qkx2_quants(int n, int nmax, const float *x, const float *weights, uint8_t *L, float *the_min,
                              uint8_t *Laux, float rmin, float rdelta, int nstep, int use_mad) {
    float min = x[0], max = x[0];
    float sum_w = weights[0];
    float sum_x = sum_w * x[0];
    for (int i = 1; i < n; ++i) {
        if (x[i] < min) min = x[i];
        if (x[i] > max) max = x[i];
        float w = weights[i];
        sum_w += w;
        sum_x += w * x[i];
    }
    if (min > 0) min = 0;
    if (max == min) {
        for (int i = 0; i < n; ++i) L[i] = 0;
        *the_min = -min;
        return 0.f;
    }
    float iscale = nmax / (max - min);
    float scale = 1 / iscale;
    float best_error = 0;
    for (int i = 0; i < n; ++i) {
        int l = nearest_int(iscale * (x[i] - min));
        L[i] = (uint8_t)KMAX(0, KMIN(nmax, l));
        float diff = scale * L[i] + min - x[i];
        diff = use_mad ? fabsf(diff) : diff * diff;
        float w = weights[i];
        best_error += w * diff;
    }
    if (nstep < 1) {
        *the_min = -min;
        return scale;
    }
    for (int is = 0; is <= nstep; ++is) {
        iscale = (rmin + rdelta * is + nmax) / (max - min);
        float sum_l = 0, sum_l2 = 0, sum_xl = 0;
        for (int i = 0; i < n; ++i) {
            int l = nearest_int(iscale * (x[i] - min));
            l = KMAX(0, KMIN(nmax, l));
            Laux[i] = (uint8_t)l;
            float w = weights[i];
            sum_l += w * l;
            sum_l2 += w * l * l;
            sum_xl += w * l * x[i];
        }
        float D = sum_w * sum_l2 - sum_l * sum_l;
        if (D > 0) {
            float this_scale = (sum_w * sum_xl - sum_x * sum_l) / D;
            float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / D;
            if (this_min > 0) {
                this_min = 0;
                this_scale = sum_xl / sum_l2;
            }
            float cur_error = 0;
            for (int i = 0; i < n; ++i) {
                float diff = this_scale * Laux[i] + this_min - x[i];
                diff = use_mad ? fabsf(diff) : diff * diff;
                float w = weights[i];
                cur_error += w * diff;
            }
            if (cur_error < best_error) {
                for (int i = 0; i < n; ++i) L[i] = Laux[i];
                best_error = cur_error;
                scale = this_scale;
                min = this_min;
            }
        }
    }
    *the_min = -min;
    return scale;
}

/* ---- quantisation: the rows ------------------------------------------------ */

ia_status ia_quantize_q2_K(const float *x, ia_block_q2_K *y, int64_t k) {
    ia_status st = check_n(k);
    uint8_t L[IA_QK_K], Laux[16];
    float weights[16], mins[IA_QK_K / 16], scales[IA_QK_K / 16];
    const float q4scale = 15.f;
    if (st != IA_OK) return st;
    for (int64_t i = 0; i < k / IA_QK_K; i++) {
        float max_scale = 0, max_min = 0;
        for (int j = 0; j < IA_QK_K / 16; ++j) {
            for (int l = 0; l < 16; ++l) weights[l] = fabsf(x[16 * j + l]);
            scales[j] = make_qkx2_quants(16, 3, x + 16 * j, weights, L + 16 * j, &mins[j], Laux, -0.5f, 0.1f, 15, 1);
            if (scales[j] > max_scale) max_scale = scales[j];
            if (mins[j] > max_min) max_min = mins[j];
        }
        if (max_scale > 0) {
            float iscale = q4scale / max_scale;
            for (int j = 0; j < IA_QK_K / 16; ++j) y[i].scales[j] = (uint8_t)nearest_int(iscale * scales[j]);
            y[i].d = ia_fp32_to_fp16(max_scale / q4scale);
        } else {
            for (int j = 0; j < IA_QK_K / 16; ++j) y[i].scales[j] = 0;
            y[i].d = ia_fp32_to_fp16(0.f);
        }
        if (max_min > 0) {
            float iscale = q4scale / max_min;
            for (int j = 0; j < IA_QK_K / 16; ++j) y[i].scales[j] |= (uint8_t)(nearest_int(iscale * mins[j]) << 4);
            y[i].dmin = ia_fp32_to_fp16(max_min / q4scale);
        } else {
            y[i].dmin = ia_fp32_to_fp16(0.f);
        }
        for (int j = 0; j < IA_QK_K / 16; ++j) {
            const float d = ia_fp16_to_fp32(y[i].d) * (y[i].scales[j] & 0xF);
            if (!d) continue;
            const float dm = ia_fp16_to_fp32(y[i].dmin) * (y[i].scales[j] >> 4);
            for (int ii = 0; ii < 16; ++ii) {
                int l = nearest_int((x[16 * j + ii] + dm) / d);
                L[16 * j + ii] = (uint8_t)KMAX(0, KMIN(3, l));
            }
        }
        for (int j = 0; j < IA_QK_K; j += 128)
            for (int l = 0; l < 32; ++l)
                y[i].qs[j / 4 + l] = (uint8_t)(L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) | (L[j + l + 96] << 6));
        x += IA_QK_K;
    }
    return IA_OK;
}

ia_status ia_quantize_q3_K(const float *x, ia_block_q3_K *y, int64_t k) {
    ia_status st = check_n(k);
    int8_t L[IA_QK_K];
    float scales[IA_QK_K / 16];
    if (st != IA_OK) return st;
    for (int64_t i = 0; i < k / IA_QK_K; i++) {
        float max_scale = 0, amax = 0;
        for (int j = 0; j < IA_QK_K / 16; ++j) {
            scales[j] = make_q3_quants(16, 4, x + 16 * j, L + 16 * j, 1);
            float scale = fabsf(scales[j]);
            if (scale > amax) {
                amax = scale;
                max_scale = scales[j];
            }
        }
        memset(y[i].scales, 0, 12);
        if (max_scale) {
            float iscale = -32.f / max_scale;
            for (int j = 0; j < IA_QK_K / 16; ++j) {
                int8_t l = (int8_t)nearest_int(iscale * scales[j]);
                l = (int8_t)(KMAX(-32, KMIN(31, l)) + 32);
                if (j < 8) y[i].scales[j] = (uint8_t)(l & 0xF);
                else y[i].scales[j - 8] |= (uint8_t)((l & 0xF) << 4);
                l >>= 4;
                y[i].scales[j % 4 + 8] |= (uint8_t)(l << (2 * (j / 4)));
            }
            y[i].d = ia_fp32_to_fp16(1 / iscale);
        } else {
            y[i].d = ia_fp32_to_fp16(0.f);
        }
        for (int j = 0; j < IA_QK_K / 16; ++j) {
            int8_t sc = (int8_t)(j < 8 ? y[i].scales[j] & 0xF : y[i].scales[j - 8] >> 4);
            sc = (int8_t)((sc | (((y[i].scales[8 + j % 4] >> (2 * (j / 4))) & 3) << 4)) - 32);
            float d = ia_fp16_to_fp32(y[i].d) * sc;
            if (!d) continue;
            for (int ii = 0; ii < 16; ++ii) {
                int l = nearest_int(x[16 * j + ii] / d);
                l = KMAX(-4, KMIN(3, l));
                L[16 * j + ii] = (int8_t)(l + 4);
            }
        }
        memset(y[i].hmask, 0, IA_QK_K / 8);
        /* the high bit of the first 32 codes in bit 0, the next 32 in bit 1, ... */
        int m = 0;
        uint8_t hm = 1;
        for (int j = 0; j < IA_QK_K; ++j) {
            if (L[j] > 3) {
                y[i].hmask[m] |= hm;
                L[j] = (int8_t)(L[j] - 4);
            }
            if (++m == IA_QK_K / 8) {
                m = 0;
                hm <<= 1;
            }
        }
        for (int j = 0; j < IA_QK_K; j += 128)
            for (int l = 0; l < 32; ++l)
                y[i].qs[j / 4 + l] = (uint8_t)(L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) | (L[j + l + 96] << 6));
        x += IA_QK_K;
    }
    return IA_OK;
}

/* Q4_K and Q5_K share everything but the code width and the search range
 * of make_qkx2_quants (ggml: Q4_K 15, -1.f, 0.1f, 20; Q5_K 31, -0.5f,
 * 0.1f, 15); L gets the codes, the block's d, dmin and scales are set. */
static void quantize_k_scales(const float *x, int nmax, float rmin, int nstep, uint8_t L[IA_QK_K], uint16_t *pd,
                              uint16_t *pdmin, uint8_t scales_out[IA_K_SCALE_SIZE]) {
    uint8_t Laux[32];
    float weights[32], mins[IA_QK_K / 32], scales[IA_QK_K / 32];
    float max_scale = 0, max_min = 0;
    for (int j = 0; j < IA_QK_K / 32; ++j) {
        float sum_x2 = 0;
        for (int l = 0; l < 32; ++l) sum_x2 += x[32 * j + l] * x[32 * j + l];
        float av_x = sqrtf(sum_x2 / 32);
        for (int l = 0; l < 32; ++l) weights[l] = av_x + fabsf(x[32 * j + l]);
        scales[j] = make_qkx2_quants(32, nmax, x + 32 * j, weights, L + 32 * j, &mins[j], Laux, rmin, 0.1f, nstep, 0);
        if (scales[j] > max_scale) max_scale = scales[j];
        if (mins[j] > max_min) max_min = mins[j];
    }
    float inv_scale = max_scale > 0 ? 63.f / max_scale : 0.f;
    float inv_min = max_min > 0 ? 63.f / max_min : 0.f;
    for (int j = 0; j < IA_QK_K / 32; ++j) {
        uint8_t ls = (uint8_t)nearest_int(inv_scale * scales[j]);
        uint8_t lm = (uint8_t)nearest_int(inv_min * mins[j]);
        ls = KMIN(63, ls);
        lm = KMIN(63, lm);
        if (j < 4) {
            scales_out[j] = ls;
            scales_out[j + 4] = lm;
        } else {
            scales_out[j + 4] = (uint8_t)((ls & 0xF) | ((lm & 0xF) << 4));
            scales_out[j - 4] |= (uint8_t)((ls >> 4) << 6);
            scales_out[j - 0] |= (uint8_t)((lm >> 4) << 6);
        }
    }
    *pd = ia_fp32_to_fp16(max_scale / 63.f);
    *pdmin = ia_fp32_to_fp16(max_min / 63.f);
    for (int j = 0; j < IA_QK_K / 32; ++j) {
        uint8_t sc, m;
        get_scale_min_k4(j, scales_out, &sc, &m);
        const float d = ia_fp16_to_fp32(*pd) * sc;
        if (!d) continue;
        const float dm = ia_fp16_to_fp32(*pdmin) * m;
        for (int ii = 0; ii < 32; ++ii) {
            int l = nearest_int((x[32 * j + ii] + dm) / d);
            L[32 * j + ii] = (uint8_t)KMAX(0, KMIN(nmax, l));
        }
    }
}

ia_status ia_quantize_q4_K(const float *x, ia_block_q4_K *y, int64_t k) {
    ia_status st = check_n(k);
    uint8_t L[IA_QK_K];
    if (st != IA_OK) return st;
    for (int64_t i = 0; i < k / IA_QK_K; i++, x += IA_QK_K) {
        uint8_t *q = y[i].qs;
        quantize_k_scales(x, 15, -1.f, 20, L, &y[i].d, &y[i].dmin, y[i].scales);
        for (int j = 0; j < IA_QK_K; j += 64, q += 32)
            for (int l = 0; l < 32; ++l) q[l] = (uint8_t)(L[j + l] | (L[j + l + 32] << 4));
    }
    return IA_OK;
}

ia_status ia_quantize_q5_K(const float *x, ia_block_q5_K *y, int64_t k) {
    ia_status st = check_n(k);
    uint8_t L[IA_QK_K];
    if (st != IA_OK) return st;
    for (int64_t i = 0; i < k / IA_QK_K; i++, x += IA_QK_K) {
        uint8_t *qh = y[i].qh, *ql = y[i].qs, m1 = 1, m2 = 2;
        quantize_k_scales(x, 31, -0.5f, 15, L, &y[i].d, &y[i].dmin, y[i].scales);
        memset(qh, 0, IA_QK_K / 8);
        for (int n = 0; n < IA_QK_K; n += 64) {
            for (int j = 0; j < 32; ++j) {
                int l1 = L[n + j], l2 = L[n + j + 32];
                if (l1 > 15) l1 -= 16, qh[j] |= m1;
                if (l2 > 15) l2 -= 16, qh[j] |= m2;
                ql[j] = (uint8_t)(l1 | (l2 << 4));
            }
            m1 = (uint8_t)(m1 << 2);
            m2 = (uint8_t)(m2 << 2);
            ql += 32;
        }
    }
    return IA_OK;
}

ia_status ia_quantize_q6_K(const float *x, ia_block_q6_K *y, int64_t k) {
    ia_status st = check_n(k);
    int8_t L[IA_QK_K];
    float scales[IA_QK_K / 16];
    if (st != IA_OK) return st;
    for (int64_t i = 0; i < k / IA_QK_K; i++, x += IA_QK_K) {
        float max_scale = 0, max_abs_scale = 0;
        for (int ib = 0; ib < IA_QK_K / 16; ++ib) {
            const float scale = make_qx_quants(16, 32, x + 16 * ib, L + 16 * ib, 1, NULL);
            scales[ib] = scale;
            const float abs_scale = fabsf(scale);
            if (abs_scale > max_abs_scale) {
                max_abs_scale = abs_scale;
                max_scale = scale;
            }
        }
        if (max_abs_scale < GROUP_MAX_EPS) {
            memset(&y[i], 0, sizeof(ia_block_q6_K));
            y[i].d = ia_fp32_to_fp16(0.f);
            continue;
        }
        float iscale = -128.f / max_scale;
        y[i].d = ia_fp32_to_fp16(1 / iscale);
        for (int ib = 0; ib < IA_QK_K / 16; ++ib) y[i].scales[ib] = (int8_t)KMIN(127, nearest_int(iscale * scales[ib]));
        for (int j = 0; j < IA_QK_K / 16; ++j) {
            float d = ia_fp16_to_fp32(y[i].d) * y[i].scales[j];
            if (!d) continue;
            for (int ii = 0; ii < 16; ++ii) {
                int l = nearest_int(x[16 * j + ii] / d);
                l = KMAX(-32, KMIN(31, l));
                L[16 * j + ii] = (int8_t)(l + 32);
            }
        }
        uint8_t *ql = y[i].ql, *qh = y[i].qh;
        for (int j = 0; j < IA_QK_K; j += 128, ql += 64, qh += 32)
            for (int l = 0; l < 32; ++l) {
                const uint8_t q1 = L[j + l + 0] & 0xF, q2 = L[j + l + 32] & 0xF;
                const uint8_t q3 = L[j + l + 64] & 0xF, q4 = L[j + l + 96] & 0xF;
                ql[l + 0] = (uint8_t)(q1 | (q3 << 4));
                ql[l + 32] = (uint8_t)(q2 | (q4 << 4));
                qh[l] = (uint8_t)((L[j + l] >> 4) | ((L[j + l + 32] >> 4) << 2) | ((L[j + l + 64] >> 4) << 4) |
                                  ((L[j + l + 96] >> 4) << 6));
            }
    }
    return IA_OK;
}
