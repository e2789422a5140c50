/*
 * qweights.c — the plain form of quantised matrices, and its conversions
 * to and from the quantised dtypes: ggml's q8_0 / q4_0 / q4_1 blocks
 * (exact both ways, or refused), q5_0 / q5_1 blocks (read only: codes
 * held in 8 bits, group 32, q5_0's m = -16 d) and our QA blocks (any codes).
 */
#include "tensor/qweights.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tensor/blocks.h"
#include "tensor/fp16.h"
#include "tensor/kquants.h"
#include "util/error.h"

static int bits_ok(int bits) { return bits == 8 || bits == 4 || bits == 2; }

ia_status ia_qweights_alloc(ia_qweights *w, int bits, int64_t n, int64_t k, int64_t group) {
    size_t codes, scales;
    if (!w) return ia_error(IA_ERR_INVALID_ARG, "qweights: NULL");
    memset(w, 0, sizeof *w);
    if (!bits_ok(bits)) return ia_error(IA_ERR_INVALID_ARG, "qweights: bits %d not 2, 4 or 8", bits);
    if (n < 1 || k < 1 || group < 1 || k % group != 0)
        return ia_error(IA_ERR_INVALID_ARG,
                        "qweights: bad shape n=%lld k=%lld group=%lld (group must divide k)",
                        (long long)n, (long long)k, (long long)group);
    if ((uint64_t)n > SIZE_MAX / (uint64_t)k / sizeof(float))
        return ia_error(IA_ERR_NOMEM, "qweights: %lld x %lld too large", (long long)n,
                        (long long)k);
    codes = (size_t)n * (size_t)k;
    scales = (size_t)n * (size_t)(k / group);
    w->q = calloc(codes, 1);
    w->d = calloc(scales, sizeof *w->d);
    w->m = calloc(scales, sizeof *w->m);
    if (!w->q || !w->d || !w->m) {
        ia_qweights_free(w);
        return ia_error(IA_ERR_NOMEM, "qweights: out of memory for %lld x %lld",
                        (long long)n, (long long)k);
    }
    w->bits = bits;
    w->n = n, w->k = k, w->group = group;
    return IA_OK;
}

void ia_qweights_free(ia_qweights *w) {
    if (!w) return;
    free(w->q);
    free(w->d);
    free(w->m);
    memset(w, 0, sizeof *w);
}

void ia_qweights_dequantize(const ia_qweights *w, float *out) {
    int64_t groups = w->k / w->group;
    for (int64_t j = 0; j < w->n; j++)
        for (int64_t p = 0; p < w->k; p++) {
            size_t s = (size_t)j * (size_t)groups + (size_t)(p / w->group);
            out[(size_t)j * w->k + p] = w->d[s] * (float)w->q[(size_t)j * w->k + p] + w->m[s];
        }
}

/* ---- ggml blocks ---- */

/* x survives a trip through fp16 unchanged (and is finite). */
static int is_half(float x) {
    return isfinite(x) && ia_fp16_to_fp32(ia_fp32_to_fp16(x)) == x;
}

/* NULL when `type` stores q exactly: its shape, every d (and q4_1's m)
 * exact in fp16, m the type's fixed multiple of d (q8_0: -128 d, q4_0:
 * -8 d), codes in the type's range. Otherwise why not; *at is the flat
 * group or code index. */
static const char *misfit(const ia_qweights *q, int type, int64_t *at) {
    *at = -1;
    if (!q || !q->q || !q->d || !q->m) return "NULL qweights";
    if (type != IA_DTYPE_Q8_0 && type != IA_DTYPE_Q4_0 && type != IA_DTYPE_Q4_1) return "not q8_0, q4_0 or q4_1";
    if (q->bits != (type == IA_DTYPE_Q8_0 ? 8 : 4) || q->group != IA_QK || q->n < 1 || q->k < 1 || q->k % IA_QK)
        return "bits, group or shape differ";
    for (int64_t s = 0; s < q->n * (q->k / IA_QK); s++) {
        float d = q->d[s], m = q->m[s];
        int ok = is_half(d) && (type == IA_DTYPE_Q8_0   ? m == -128.0f * d
                                : type == IA_DTYPE_Q4_0 ? m == -8.0f * d
                                                       : is_half(m));
        if (!ok) {
            *at = s;
            return type == IA_DTYPE_Q4_1 ? "d or m not exact in fp16"
                                        : "d not exact in fp16 or m not the type's multiple of d";
        }
    }
    if (q->bits == 4)
        for (int64_t i = 0; i < q->n * q->k; i++)
            if (q->q[i] > 15) {
                *at = i;
                return "code above 15";
            }
    return NULL;
}

int ia_qweights_block_dtype(const ia_qweights *q) {
    static const int order[] = {IA_DTYPE_Q8_0, IA_DTYPE_Q4_0, IA_DTYPE_Q4_1}; /* q4_0 before q4_1: smaller */
    int64_t at;
    for (int i = 0; i < 3; i++)
        if (!misfit(q, order[i], &at)) return order[i];
    return -1;
}

static ia_status to_ggml_blocks(const ia_qweights *q, int ggml_type, void *blocks) {
    int64_t nb, at;
    const char *why = misfit(q, ggml_type, &at);
    if (why)
        return ia_error(IA_ERR_INVALID_ARG, "to blocks: type %d: %s (at %lld)", ggml_type, why, (long long)at);
    if (!blocks) return ia_error(IA_ERR_INVALID_ARG, "to blocks: NULL output");
    nb = q->n * q->k / IA_QK;
    for (int64_t b = 0; b < nb; b++) {
        const uint8_t *c = q->q + b * IA_QK;
        if (ggml_type == IA_DTYPE_Q8_0) {
            ia_block_q8_0 *y = (ia_block_q8_0 *)blocks + b;
            y->d = ia_fp32_to_fp16(q->d[b]);
            for (int j = 0; j < IA_QK; j++) y->qs[j] = (int8_t)(c[j] - 128);
        } else if (ggml_type == IA_DTYPE_Q4_0) {
            ia_block_q4_0 *y = (ia_block_q4_0 *)blocks + b;
            y->d = ia_fp32_to_fp16(q->d[b]);
            for (int j = 0; j < IA_QK / 2; j++) y->qs[j] = (uint8_t)(c[j] | c[j + IA_QK / 2] << 4);
        } else {
            ia_block_q4_1 *y = (ia_block_q4_1 *)blocks + b;
            y->d = ia_fp32_to_fp16(q->d[b]);
            y->m = ia_fp32_to_fp16(q->m[b]);
            for (int j = 0; j < IA_QK / 2; j++) y->qs[j] = (uint8_t)(c[j] | c[j + IA_QK / 2] << 4);
        }
    }
    return IA_OK;
}

/* fp16 → float, refusing inf and NaN (blocks come from files). */
static ia_status half_scale(uint16_t h, int64_t b, float *out) {
    *out = ia_fp16_to_fp32(h);
    if (isfinite(*out)) return IA_OK;
    return ia_error(IA_ERR_FORMAT, "from blocks: block %lld: scale is inf or NaN", (long long)b);
}

static int is_ggml_block(int t) {
    return t == IA_DTYPE_Q8_0 || t == IA_DTYPE_Q4_0 || t == IA_DTYPE_Q4_1 || t == IA_DTYPE_Q5_0 || t == IA_DTYPE_Q5_1;
}

static ia_status from_ggml_blocks(int ggml_type, const void *blocks, int64_t n, int64_t k, ia_qweights *out) {
    ia_status st;
    int64_t nb;
    if (!out) return ia_error(IA_ERR_INVALID_ARG, "from blocks: NULL output");
    memset(out, 0, sizeof *out);
    if (!blocks || !is_ggml_block(ggml_type))
        return ia_error(IA_ERR_INVALID_ARG, "from blocks: type %d (q8_0, q4_0, q4_1, q5_0 or q5_1)", ggml_type);
    if (n < 1 || k < 1 || k % IA_QK)
        return ia_error(IA_ERR_INVALID_ARG, "from blocks: %lld x %lld is not whole blocks", (long long)n, (long long)k);
    /* 5-bit codes are held in 8 bits, as Q5_K's */
    if ((st = ia_qweights_alloc(out, ggml_type == IA_DTYPE_Q4_0 || ggml_type == IA_DTYPE_Q4_1 ? 4 : 8, n, k, IA_QK)) !=
        IA_OK)
        return st;
    nb = n * k / IA_QK;
    for (int64_t b = 0; b < nb && st == IA_OK; b++) {
        uint8_t *c = out->q + b * IA_QK;
        if (ggml_type == IA_DTYPE_Q5_0) {
            const ia_block_q5_0 *x = (const ia_block_q5_0 *)blocks + b;
            st = half_scale(x->d, b, &out->d[b]);
            out->m[b] = -16.0f * out->d[b];
            ia_q5_codes(x->qh, x->qs, c);
        } else if (ggml_type == IA_DTYPE_Q5_1) {
            const ia_block_q5_1 *x = (const ia_block_q5_1 *)blocks + b;
            st = half_scale(x->d, b, &out->d[b]);
            if (st == IA_OK) st = half_scale(x->m, b, &out->m[b]);
            ia_q5_codes(x->qh, x->qs, c);
        } else if (ggml_type == IA_DTYPE_Q8_0) {
            const ia_block_q8_0 *x = (const ia_block_q8_0 *)blocks + b;
            st = half_scale(x->d, b, &out->d[b]);
            out->m[b] = -128.0f * out->d[b];
            for (int j = 0; j < IA_QK; j++) c[j] = (uint8_t)(x->qs[j] + 128);
        } else {
            const uint8_t *qs;
            if (ggml_type == IA_DTYPE_Q4_0) {
                const ia_block_q4_0 *x = (const ia_block_q4_0 *)blocks + b;
                st = half_scale(x->d, b, &out->d[b]);
                out->m[b] = -8.0f * out->d[b];
                qs = x->qs;
            } else {
                const ia_block_q4_1 *x = (const ia_block_q4_1 *)blocks + b;
                st = half_scale(x->d, b, &out->d[b]);
                if (st == IA_OK) st = half_scale(x->m, b, &out->m[b]);
                qs = x->qs;
            }
            for (int j = 0; j < IA_QK / 2; j++) c[j] = qs[j] & 0x0f, c[j + IA_QK / 2] = qs[j] >> 4;
        }
    }
    if (st != IA_OK) ia_qweights_free(out);
    return st;
}


/* ---- k-quant super-blocks: affine sub-blocks of 16 or 32 ---- */

/* Codes of width 3, 5 and 6 are held in the next width the plain form has
 * (4, 8, 8); the sub-block is the group (Q2_K, Q3_K, Q6_K: 16; Q4_K,
 * Q5_K: 32). Every d and m is exact (kquants.h), so the plain form is the
 * block's values exactly, and a non-finite one (a corrupt fp16 d or dmin)
 * is refused. */
static ia_status from_kquant_blocks(ia_dtype dtype, const void *blocks, int64_t n, int64_t k, ia_qweights *out) {
    static const int held[] = {[IA_DTYPE_Q2_K] = 2, [IA_DTYPE_Q3_K] = 4, [IA_DTYPE_Q4_K] = 4,
                               [IA_DTYPE_Q5_K] = 8, [IA_DTYPE_Q6_K] = 8};
    size_t bb = ia_dtype_block_bytes(dtype, 0);
    int sub = dtype == IA_DTYPE_Q4_K || dtype == IA_DTYPE_Q5_K ? 32 : 16;
    int64_t nb;
    ia_status st;
    if (k % IA_QK_K)
        return ia_error(IA_ERR_INVALID_ARG, "from %s: %lld columns is not whole blocks of %d", ia_dtype_name(dtype),
                        (long long)k, IA_QK_K);
    if ((st = ia_qweights_alloc(out, held[dtype], n, k, sub)) != IA_OK) return st;
    nb = n * (k / IA_QK_K);
    for (int64_t b = 0; b < nb; b++) { /* rows are whole blocks, so block b covers codes [256 b, 256 b + 256) */
        float *d = out->d + b * (IA_QK_K / sub), *m = out->m + b * (IA_QK_K / sub);
        int got;
        ia_kquant_sub_affine(dtype, (const unsigned char *)blocks + (size_t)b * bb, out->q + b * IA_QK_K, d, m, &got);
        for (int s = 0; s < IA_QK_K / sub; s++)
            if (!isfinite(d[s]) || !isfinite(m[s])) {
                ia_qweights_free(out);
                return ia_error(IA_ERR_FORMAT, "from %s: block %lld: scale or min is inf or NaN", ia_dtype_name(dtype),
                                (long long)b);
            }
    }
    return IA_OK;
}

/* ---- QA blocks: f32 d, f32 m, then the group's codes LSB-first ---- */

ia_dtype ia_qweights_qa_dtype(const ia_qweights *q) {
    return q->bits == 8 ? IA_DTYPE_QA8 : q->bits == 4 ? IA_DTYPE_QA4 : IA_DTYPE_QA2;
}

size_t ia_qweights_dtype_bytes(const ia_qweights *q, ia_dtype dtype) {
    int64_t group = ia_dtype_is_quantized(dtype) && ia_dtype_block_elems(dtype, 0) == 0 ? q->group : 0;
    size_t row = ia_dtype_row_bytes(dtype, group, q->k);
    if (group && !ia_dtype_group_ok(dtype, group, q->k)) return 0;
    return row ? row * (size_t)q->n : 0;
}

static void to_qa_blocks(const ia_qweights *q, ia_dtype dtype, unsigned char *out) {
    size_t bb = ia_dtype_block_bytes(dtype, q->group);
    int64_t groups = q->k / q->group;
    for (int64_t r = 0; r < q->n; r++)
        for (int64_t g = 0; g < groups; g++) {
            unsigned char *b = out + (size_t)(r * groups + g) * bb, *codes = b + 2 * sizeof(float);
            const uint8_t *c = q->q + r * q->k + g * q->group;
            memcpy(b, &q->d[r * groups + g], sizeof(float));
            memcpy(b + sizeof(float), &q->m[r * groups + g], sizeof(float));
            memset(codes, 0, bb - 2 * sizeof(float));
            for (int64_t j = 0; j < q->group; j++) codes[(j * q->bits) >> 3] |= (uint8_t)(c[j] << ((j * q->bits) & 7));
        }
}

static ia_status from_qa_blocks(ia_dtype dtype, int64_t group, const unsigned char *in, int64_t n, int64_t k,
                                ia_qweights *out) {
    int bits = ia_dtype_bits(dtype);
    size_t bb = ia_dtype_block_bytes(dtype, group);
    int64_t groups;
    unsigned mask = (1u << bits) - 1;
    ia_status st;
    if (!ia_dtype_group_ok(dtype, group, k))
        return ia_error(IA_ERR_INVALID_ARG, "from %s: group %lld does not fit %lld columns", ia_dtype_name(dtype),
                        (long long)group, (long long)k);
    if ((st = ia_qweights_alloc(out, bits, n, k, group)) != IA_OK) return st;
    groups = k / group;
    for (int64_t r = 0; r < n; r++)
        for (int64_t g = 0; g < groups; g++) {
            const unsigned char *b = in + (size_t)(r * groups + g) * bb, *codes = b + 2 * sizeof(float);
            uint8_t *c = out->q + r * k + g * group;
            float *d = &out->d[r * groups + g], *m = &out->m[r * groups + g];
            memcpy(d, b, sizeof(float));
            memcpy(m, b + sizeof(float), sizeof(float));
            if (!isfinite(*d) || !isfinite(*m)) {
                ia_qweights_free(out);
                return ia_error(IA_ERR_FORMAT, "%s: row %lld group %lld: scale or min is not finite",
                                ia_dtype_name(dtype), (long long)r, (long long)g);
            }
            for (int64_t j = 0; j < group; j++) c[j] = (uint8_t)((codes[(j * bits) >> 3] >> ((j * bits) & 7)) & mask);
        }
    return IA_OK;
}

ia_status ia_qweights_to_dtype(const ia_qweights *q, ia_dtype dtype, void *out) {
    if (!q || !q->q || !out) return ia_error(IA_ERR_INVALID_ARG, "to %s: NULL argument", ia_dtype_name(dtype));
    if (dtype == IA_DTYPE_Q8_0 || dtype == IA_DTYPE_Q4_0 || dtype == IA_DTYPE_Q4_1) return to_ggml_blocks(q, dtype, out);
    if (dtype != ia_qweights_qa_dtype(q) || !ia_dtype_group_ok(dtype, q->group, q->k))
        return ia_error(IA_ERR_INVALID_ARG, "to %s: %d-bit codes in groups of %lld do not fit", ia_dtype_name(dtype),
                        q->bits, (long long)q->group);
    to_qa_blocks(q, dtype, out);
    return IA_OK;
}

ia_status ia_qweights_from_dtype(ia_dtype dtype, int64_t group, const void *data, int64_t n, int64_t k,
                                 ia_qweights *out) {
    if (!out) return ia_error(IA_ERR_INVALID_ARG, "from %s: NULL output", ia_dtype_name(dtype));
    memset(out, 0, sizeof *out);
    if (!data || n < 1 || k < 1)
        return ia_error(IA_ERR_INVALID_ARG, "from %s: no data or empty shape", ia_dtype_name(dtype));
    if (is_ggml_block(dtype)) return from_ggml_blocks(dtype, data, n, k, out);
    if (dtype == IA_DTYPE_QA8 || dtype == IA_DTYPE_QA4 || dtype == IA_DTYPE_QA2)
        return from_qa_blocks(dtype, group, data, n, k, out);
    if (dtype >= IA_DTYPE_Q2_K && dtype <= IA_DTYPE_Q6_K) return from_kquant_blocks(dtype, data, n, k, out);
    return ia_error(IA_ERR_INVALID_ARG, "from %s: not a quantised type", ia_dtype_name(dtype));
}

/* ---- packed codes ---- */

size_t ia_qweights_packed_row_bytes(int bits, int64_t k) {
    if ((bits != 8 && bits != 4 && bits != 2) || k < 1) return 0;
    return (size_t)((k * bits + 7) / 8); /* a row starts on a byte; its last byte is zero-padded */
}

void ia_qweights_pack_codes(const ia_qweights *q, uint8_t *out) {
    size_t rb = q && q->q && out ? ia_qweights_packed_row_bytes(q->bits, q->k) : 0;
    if (!rb) return;
    for (int64_t r = 0; r < q->n; r++) {
        uint8_t *row = out + (size_t)r * rb;
        const uint8_t *c = q->q + r * q->k;
        memset(row, 0, rb);
        /* bits divides 8, so no code straddles a byte */
        for (int64_t j = 0; j < q->k; j++) row[(j * q->bits) >> 3] |= (uint8_t)(c[j] << ((j * q->bits) & 7));
    }
}

ia_status ia_qweights_unpack_codes(const uint8_t *in, ia_qweights *q) {
    size_t rb;
    unsigned mask;
    if (!in || !q || !q->q) return ia_error(IA_ERR_INVALID_ARG, "unpack codes: NULL argument");
    rb = ia_qweights_packed_row_bytes(q->bits, q->k);
    if (!rb || q->n < 1) return ia_error(IA_ERR_INVALID_ARG, "unpack codes: %d bits, %lld x %lld", q->bits,
                                         (long long)q->n, (long long)q->k);
    mask = (1u << q->bits) - 1;
    for (int64_t r = 0; r < q->n; r++) {
        const uint8_t *row = in + (size_t)r * rb;
        uint8_t *c = q->q + r * q->k;
        int used = (int)((q->k * q->bits) & 7); /* bits of the last byte holding codes; 0 = all */
        for (int64_t j = 0; j < q->k; j++) c[j] = (uint8_t)((row[(j * q->bits) >> 3] >> ((j * q->bits) & 7)) & mask);
        /* every code value is valid, so the padding is the one thing a
         * corrupted or misaligned buffer can show */
        if (used && (row[rb - 1] >> used))
            return ia_error(IA_ERR_FORMAT, "unpack codes: row %lld: padding bits are not zero", (long long)r);
    }
    return IA_OK;
}
