/*
 * blocks.c — ggml's reference quantisers and dequantisers for q8_0, q4_0
 * and q4_1, written from the layout and rounding rules ggml documents
 * (roundf, +8.5 / +0.5 truncation, scale from the signed extreme for q4_0).
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
