/*
 * dtype.c — sizes, names and row conversion of element types.
 */
#include "tensor/dtype.h"

#include <string.h>

#include "tensor/blocks.h"
#include "tensor/fp16.h"
#include "tensor/kquants.h"
#include "util/error.h"

static const struct {
    const char *name;
    size_t size;   /* bytes per element (plain) or per block (ggml's) */
    int bits;      /* code width of quantised types */
} dtype_info[IA_DTYPE_COUNT] = {
    [IA_DTYPE_F32] = {"F32", 4, 0},  [IA_DTYPE_F16] = {"F16", 2, 0},   [IA_DTYPE_BF16] = {"BF16", 2, 0},
    [IA_DTYPE_I32] = {"I32", 4, 0},  [IA_DTYPE_I64] = {"I64", 8, 0},   [IA_DTYPE_I8] = {"I8", 1, 0},
    [IA_DTYPE_U8] = {"U8", 1, 0},    [IA_DTYPE_Q8_0] = {"Q8_0", 34, 8}, [IA_DTYPE_Q4_0] = {"Q4_0", 18, 4},
    [IA_DTYPE_Q4_1] = {"Q4_1", 20, 4}, [IA_DTYPE_QA8] = {"QA8", 0, 8}, [IA_DTYPE_QA4] = {"QA4", 0, 4},
    [IA_DTYPE_QA2] = {"QA2", 0, 2},
    [IA_DTYPE_Q2_K] = {"Q2_K", 84, 2}, [IA_DTYPE_Q3_K] = {"Q3_K", 110, 3}, [IA_DTYPE_Q4_K] = {"Q4_K", 144, 4},
    [IA_DTYPE_Q5_K] = {"Q5_K", 176, 5}, [IA_DTYPE_Q6_K] = {"Q6_K", 210, 6},
    [IA_DTYPE_Q5_0] = {"Q5_0", 22, 5},  [IA_DTYPE_Q5_1] = {"Q5_1", 24, 5},
};

static int known(ia_dtype t) { return (unsigned)t < IA_DTYPE_COUNT; }
static int is_qa(ia_dtype t) { return t == IA_DTYPE_QA8 || t == IA_DTYPE_QA4 || t == IA_DTYPE_QA2; }
static int is_k(ia_dtype t) { return t >= IA_DTYPE_Q2_K && t <= IA_DTYPE_Q6_K; }

int ia_dtype_is_quantized(ia_dtype t) { return known(t) && dtype_info[t].bits != 0; }
int ia_dtype_bits(ia_dtype t) { return known(t) ? dtype_info[t].bits : 0; }
const char *ia_dtype_name(ia_dtype t) { return known(t) ? dtype_info[t].name : "?"; }

size_t ia_dtype_size(ia_dtype t) {
    return known(t) && !ia_dtype_is_quantized(t) ? dtype_info[t].size : 0;
}

int64_t ia_dtype_block_elems(ia_dtype t, int64_t group) {
    if (!known(t)) return 0;
    if (is_qa(t)) return group > 0 ? group : 0;
    if (is_k(t)) return IA_QK_K;
    return ia_dtype_is_quantized(t) ? IA_QK : 1;
}

size_t ia_dtype_block_bytes(ia_dtype t, int64_t group) {
    if (!known(t)) return 0;
    if (is_qa(t)) {
        int bits = dtype_info[t].bits;
        if (group < 1 || (group * bits) % 8) return 0;
        return 2 * sizeof(float) + (size_t)(group * bits / 8);
    }
    return dtype_info[t].size;
}

int ia_dtype_group_ok(ia_dtype t, int64_t group, int64_t cols) {
    if (!is_qa(t)) return 0;
    return group >= 1 && cols >= 1 && cols % group == 0 && (group * dtype_info[t].bits) % 8 == 0;
}

size_t ia_dtype_row_bytes(ia_dtype t, int64_t group, int64_t cols) {
    int64_t be = ia_dtype_block_elems(t, group);
    size_t bb = ia_dtype_block_bytes(t, group);
    if (be < 1 || bb == 0 || cols < 0 || cols % be) return 0;
    return (size_t)(cols / be) * bb;
}

/* One QA block: d, m (floats, read with memcpy: blocks need not be
 * aligned), then LSB-first codes. */
static void qa_block_to_f32(int bits, int64_t group, const unsigned char *b, float *out) {
    float d, m;
    unsigned mask = (1u << bits) - 1;
    const unsigned char *q = b + 2 * sizeof(float);
    memcpy(&d, b, sizeof d);
    memcpy(&m, b + sizeof d, sizeof m);
    for (int64_t j = 0; j < group; j++) {
        unsigned code = (q[(j * bits) >> 3] >> ((j * bits) & 7)) & mask;
        out[j] = d * (float)code + m;
    }
}

void ia_dtype_row_to_f32(ia_dtype t, int64_t group, const void *row, float *out, int64_t cols) {
    const unsigned char *p = row;
    switch (t) {
    case IA_DTYPE_F32: memcpy(out, row, (size_t)cols * sizeof *out); return;
    case IA_DTYPE_F16:
        for (int64_t i = 0; i < cols; i++) {
            uint16_t h;
            memcpy(&h, p + 2 * i, 2);
            out[i] = ia_fp16_to_fp32(h);
        }
        return;
    case IA_DTYPE_BF16:
        for (int64_t i = 0; i < cols; i++) {
            uint16_t h;
            uint32_t bits;
            memcpy(&h, p + 2 * i, 2);
            bits = (uint32_t)h << 16;
            memcpy(&out[i], &bits, 4);
        }
        return;
    case IA_DTYPE_I32:
        for (int64_t i = 0; i < cols; i++) {
            int32_t v;
            memcpy(&v, p + 4 * i, 4);
            out[i] = (float)v;
        }
        return;
    case IA_DTYPE_I64:
        for (int64_t i = 0; i < cols; i++) {
            int64_t v;
            memcpy(&v, p + 8 * i, 8);
            out[i] = (float)v;
        }
        return;
    case IA_DTYPE_I8:
        for (int64_t i = 0; i < cols; i++) out[i] = (float)(int8_t)p[i];
        return;
    case IA_DTYPE_U8:
        for (int64_t i = 0; i < cols; i++) out[i] = (float)p[i];
        return;
    case IA_DTYPE_Q8_0: ia_dequantize_q8_0(row, out, cols); return;
    case IA_DTYPE_Q4_0: ia_dequantize_q4_0(row, out, cols); return;
    case IA_DTYPE_Q4_1: ia_dequantize_q4_1(row, out, cols); return;
    case IA_DTYPE_Q5_0: ia_dequantize_q5_0(row, out, cols); return;
    case IA_DTYPE_Q5_1: ia_dequantize_q5_1(row, out, cols); return;
    case IA_DTYPE_Q2_K: ia_dequantize_q2_K(row, out, cols); return;
    case IA_DTYPE_Q3_K: ia_dequantize_q3_K(row, out, cols); return;
    case IA_DTYPE_Q4_K: ia_dequantize_q4_K(row, out, cols); return;
    case IA_DTYPE_Q5_K: ia_dequantize_q5_K(row, out, cols); return;
    case IA_DTYPE_Q6_K: ia_dequantize_q6_K(row, out, cols); return;
    case IA_DTYPE_QA8:
    case IA_DTYPE_QA4:
    case IA_DTYPE_QA2: {
        size_t bb = ia_dtype_block_bytes(t, group);
        for (int64_t b = 0; bb && b < cols / group; b++) qa_block_to_f32(dtype_info[t].bits, group, p + b * bb, out + b * group);
        return;
    }
    default: memset(out, 0, (size_t)cols * sizeof *out);
    }
}

static uint16_t f32_to_bf16(float f) { /* ggml_compute_fp32_to_bf16 */
    uint32_t u;
    memcpy(&u, &f, 4);
    if ((u & 0x7fffffff) > 0x7f800000) return (uint16_t)((u >> 16) | 64); /* NaN: quiet it */
    return (uint16_t)((u + (0x7fff + ((u >> 16) & 1))) >> 16);
}

ia_status ia_dtype_from_f32(ia_dtype t, const float *x, void *out, int64_t n) {
    if (!x || !out || n < 0) return ia_error(IA_ERR_INVALID_ARG, "from f32: NULL argument or negative count");
    switch (t) {
    case IA_DTYPE_F32: memcpy(out, x, (size_t)n * sizeof *x); return IA_OK;
    case IA_DTYPE_F16:
    case IA_DTYPE_BF16:
        for (int64_t i = 0; i < n; i++) {
            uint16_t h = t == IA_DTYPE_F16 ? ia_fp32_to_fp16(x[i]) : f32_to_bf16(x[i]);
            memcpy((unsigned char *)out + 2 * i, &h, 2);
        }
        return IA_OK;
    case IA_DTYPE_Q8_0: return ia_quantize_q8_0(x, out, n);
    case IA_DTYPE_Q4_0: return ia_quantize_q4_0(x, out, n);
    case IA_DTYPE_Q4_1: return ia_quantize_q4_1(x, out, n);
    case IA_DTYPE_Q5_0: return ia_quantize_q5_0(x, out, n);
    case IA_DTYPE_Q5_1: return ia_quantize_q5_1(x, out, n);
    case IA_DTYPE_Q2_K: return ia_quantize_q2_K(x, out, n);
    case IA_DTYPE_Q3_K: return ia_quantize_q3_K(x, out, n);
    case IA_DTYPE_Q4_K: return ia_quantize_q4_K(x, out, n);
    case IA_DTYPE_Q5_K: return ia_quantize_q5_K(x, out, n);
    case IA_DTYPE_Q6_K: return ia_quantize_q6_K(x, out, n);
    default: return ia_error(IA_ERR_INVALID_ARG, "from f32: no conversion to %s", ia_dtype_name(t));
    }
}
