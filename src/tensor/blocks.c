/*
 * blocks.c — ggml's reference quantisers and dequantisers for q8_0, q4_0,
 * q4_1, q5_0 and q5_1, written from the layout and rounding rules ggml
 * documents (roundf, +8.5 / +16.5 / +0.5 truncation, scale from the signed
 * extreme for q4_0 and q5_0; quantize_row_q*_ref in ggml-quants.c).
 */
#include "tensor/blocks.h"

#include <float.h>
#include <math.h>

#include "tensor/fp16.h"
#include "util/error.h"

static ia_status check_n(int64_t n) {
    return n >= 0 && n % IA_QK == 0 ? IA_OK
                                     : ia_error(IA_ERR_INVALID_ARG, "quantise: %lld values is not a multiple of %d",
                                                (long long)n, IA_QK);
}

ia_status ia_quantize_q8_0(const float *x, ia_block_q8_0 *y, int64_t n) {
    ia_status st = check_n(n);
    if (st != IA_OK) return st;
    for (int64_t i = 0; i < n / IA_QK; i++, x += IA_QK) {
        float amax = 0.0f, d, id;
        for (int j = 0; j < IA_QK; j++) amax = fmaxf(amax, fabsf(x[j]));
        d = amax / 127.0f;
        id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = ia_fp32_to_fp16(d);
        for (int j = 0; j < IA_QK; j++) y[i].qs[j] = (int8_t)roundf(x[j] * id);
    }
    return IA_OK;
}

ia_status ia_quantize_q4_0(const float *x, ia_block_q4_0 *y, int64_t n) {
    ia_status st = check_n(n);
    if (st != IA_OK) return st;
    for (int64_t i = 0; i < n / IA_QK; i++, x += IA_QK) {
        float amax = 0.0f, max = 0.0f, d, id;
        for (int j = 0; j < IA_QK; j++)
            if (amax < fabsf(x[j])) {
                amax = fabsf(x[j]);
                max = x[j];
            }
        /* the signed extreme maps to -8, so the full [-8, 7] range is used */
        d = max / -8.0f;
        id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = ia_fp32_to_fp16(d);
        for (int j = 0; j < IA_QK / 2; j++) {
            int q0 = (int8_t)(x[j] * id + 8.5f), q1 = (int8_t)(x[j + IA_QK / 2] * id + 8.5f);
            q0 = q0 < 15 ? q0 : 15;
            q1 = q1 < 15 ? q1 : 15;
            y[i].qs[j] = (uint8_t)(q0 | (q1 << 4));
        }
    }
    return IA_OK;
}

ia_status ia_quantize_q4_1(const float *x, ia_block_q4_1 *y, int64_t n) {
    ia_status st = check_n(n);
    if (st != IA_OK) return st;
    for (int64_t i = 0; i < n / IA_QK; i++, x += IA_QK) {
        float min = FLT_MAX, max = -FLT_MAX, d, id;
        for (int j = 0; j < IA_QK; j++) {
            min = fminf(min, x[j]);
            max = fmaxf(max, x[j]);
        }
        d = (max - min) / 15.0f;
        id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = ia_fp32_to_fp16(d);
        y[i].m = ia_fp32_to_fp16(min);
        for (int j = 0; j < IA_QK / 2; j++) {
            int q0 = (int8_t)((x[j] - min) * id + 0.5f), q1 = (int8_t)((x[j + IA_QK / 2] - min) * id + 0.5f);
            q0 = q0 < 15 ? q0 : 15;
            q1 = q1 < 15 ? q1 : 15;
            y[i].qs[j] = (uint8_t)(q0 | (q1 << 4));
        }
    }
    return IA_OK;
}

/* Codes → qs nibbles (weight j low, j + 16 high) and the fifth bits. */
static void put_q5(const uint8_t c[IA_QK], uint8_t qh[4], uint8_t qs[IA_QK / 2]) {
    uint32_t h = 0;
    for (int j = 0; j < IA_QK / 2; j++) {
        qs[j] = (uint8_t)((c[j] & 0x0f) | (c[j + IA_QK / 2] & 0x0f) << 4);
        h |= (uint32_t)(c[j] >> 4) << j;
        h |= (uint32_t)(c[j + IA_QK / 2] >> 4) << (j + IA_QK / 2);
    }
    for (int b = 0; b < 4; b++) qh[b] = (uint8_t)(h >> (8 * b)); /* little-endian, as ggml's memcpy on x86/arm */
}

void ia_q5_codes(const uint8_t qh[4], const uint8_t qs[IA_QK / 2], uint8_t codes[IA_QK]) {
    uint32_t h = (uint32_t)qh[0] | (uint32_t)qh[1] << 8 | (uint32_t)qh[2] << 16 | (uint32_t)qh[3] << 24;
    for (int j = 0; j < IA_QK / 2; j++) {
        codes[j] = (uint8_t)((qs[j] & 0x0f) | ((h >> j) & 1) << 4);
        codes[j + IA_QK / 2] = (uint8_t)((qs[j] >> 4) | ((h >> (j + IA_QK / 2)) & 1) << 4);
    }
}

ia_status ia_quantize_q5_0(const float *x, ia_block_q5_0 *y, int64_t n) {
    ia_status st = check_n(n);
    if (st != IA_OK) return st;
    for (int64_t i = 0; i < n / IA_QK; i++, x += IA_QK) {
        float amax = 0.0f, max = 0.0f, d, id;
        uint8_t c[IA_QK];
        for (int j = 0; j < IA_QK; j++)
            if (amax < fabsf(x[j])) {
                amax = fabsf(x[j]);
                max = x[j];
            }
        d = max / -16.0f; /* the signed extreme maps to -16: codes 0..31 */
        id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = ia_fp32_to_fp16(d);
        for (int j = 0; j < IA_QK; j++) {
            int q = (int8_t)(x[j] * id + 16.5f);
            c[j] = (uint8_t)(q < 31 ? q : 31);
        }
        put_q5(c, y[i].qh, y[i].qs);
    }
    return IA_OK;
}

ia_status ia_quantize_q5_1(const float *x, ia_block_q5_1 *y, int64_t n) {
    ia_status st = check_n(n);
    if (st != IA_OK) return st;
    for (int64_t i = 0; i < n / IA_QK; i++, x += IA_QK) {
        float min = FLT_MAX, max = -FLT_MAX, d, id;
        uint8_t c[IA_QK];
        for (int j = 0; j < IA_QK; j++) {
            if (x[j] < min) min = x[j];
            if (x[j] > max) max = x[j];
        }
        d = (max - min) / 31.0f;
        id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = ia_fp32_to_fp16(d);
        y[i].m = ia_fp32_to_fp16(min);
        /* ggml casts straight to uint8_t, without q4_1's clamp at 15: the
         * code of max is (max - min) · id + 0.5 < 31.5 */
        for (int j = 0; j < IA_QK; j++) c[j] = (uint8_t)((x[j] - min) * id + 0.5f);
        put_q5(c, y[i].qh, y[i].qs);
    }
    return IA_OK;
}

void ia_dequantize_q8_0(const ia_block_q8_0 *x, float *y, int64_t n) {
    for (int64_t i = 0; i < n / IA_QK; i++) {
        float d = ia_fp16_to_fp32(x[i].d);
        for (int j = 0; j < IA_QK; j++) *y++ = d * (float)x[i].qs[j];
    }
}

void ia_dequantize_q4_0(const ia_block_q4_0 *x, float *y, int64_t n) {
    for (int64_t i = 0; i < n / IA_QK; i++, y += IA_QK) {
        float d = ia_fp16_to_fp32(x[i].d);
        for (int j = 0; j < IA_QK / 2; j++) {
            y[j] = d * (float)((x[i].qs[j] & 0x0f) - 8);
            y[j + IA_QK / 2] = d * (float)((x[i].qs[j] >> 4) - 8);
        }
    }
}

void ia_dequantize_q4_1(const ia_block_q4_1 *x, float *y, int64_t n) {
    for (int64_t i = 0; i < n / IA_QK; i++, y += IA_QK) {
        float d = ia_fp16_to_fp32(x[i].d), m = ia_fp16_to_fp32(x[i].m);
        for (int j = 0; j < IA_QK / 2; j++) {
            y[j] = d * (float)(x[i].qs[j] & 0x0f) + m;
            y[j + IA_QK / 2] = d * (float)(x[i].qs[j] >> 4) + m;
        }
    }
}

void ia_dequantize_q5_0(const ia_block_q5_0 *x, float *y, int64_t n) {
    for (int64_t i = 0; i < n / IA_QK; i++, y += IA_QK) {
        float d = ia_fp16_to_fp32(x[i].d);
        uint8_t c[IA_QK];
        ia_q5_codes(x[i].qh, x[i].qs, c);
        for (int j = 0; j < IA_QK; j++) y[j] = (float)((int)c[j] - 16) * d;
    }
}

void ia_dequantize_q5_1(const ia_block_q5_1 *x, float *y, int64_t n) {
    for (int64_t i = 0; i < n / IA_QK; i++, y += IA_QK) {
        float d = ia_fp16_to_fp32(x[i].d), m = ia_fp16_to_fp32(x[i].m);
        uint8_t c[IA_QK];
        ia_q5_codes(x[i].qh, x[i].qs, c);
        for (int j = 0; j < IA_QK; j++) y[j] = (float)c[j] * d + m;
    }
}
