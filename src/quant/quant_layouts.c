/*
 * quant_layouts.c — the plain codes (qmat.h) to and from what files store:
 * ggml's q8_0 / q4_0 / q4_1 blocks (exact both ways, or refused), and our
 * own LSB-first packed codes for the formats ggml has no type for.
 */
#include <math.h>
#include <string.h>

#include "formats/gguf.h"
#include "quant/quantize.h"
#include "tensor/fp16.h"
#include "util/error.h"

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
    if (type != IA_GGML_Q8_0 && type != IA_GGML_Q4_0 && type != IA_GGML_Q4_1) return "not q8_0, q4_0 or q4_1";
    if (q->bits != (type == IA_GGML_Q8_0 ? 8 : 4) || q->group != IA_QK || q->n < 1 || q->k < 1 || q->k % IA_QK)
        return "bits, group or shape differ";
    for (int64_t s = 0; s < q->n * (q->k / IA_QK); s++) {
        float d = q->d[s], m = q->m[s];
        int ok = is_half(d) && (type == IA_GGML_Q8_0   ? m == -128.0f * d
                                : type == IA_GGML_Q4_0 ? m == -8.0f * d
                                                       : is_half(m));
        if (!ok) {
            *at = s;
            return type == IA_GGML_Q4_1 ? "d or m not exact in fp16"
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

int ia_qweights_ggml_type(const ia_qweights *q) {
    static const int order[] = {IA_GGML_Q8_0, IA_GGML_Q4_0, IA_GGML_Q4_1}; /* q4_0 before q4_1: smaller */
    int64_t at;
    for (int i = 0; i < 3; i++)
        if (!misfit(q, order[i], &at)) return order[i];
    return -1;
}

ia_status ia_qweights_to_blocks(const ia_qweights *q, int ggml_type, void *blocks) {
    int64_t nb, at;
    const char *why = misfit(q, ggml_type, &at);
    if (why)
        return ia_error(IA_ERR_INVALID_ARG, "to blocks: ggml type %d: %s (at %lld)", ggml_type, why, (long long)at);
    if (!blocks) return ia_error(IA_ERR_INVALID_ARG, "to blocks: NULL output");
    nb = q->n * q->k / IA_QK;
    for (int64_t b = 0; b < nb; b++) {
        const uint8_t *c = q->q + b * IA_QK;
        if (ggml_type == IA_GGML_Q8_0) {
            ia_block_q8_0 *y = (ia_block_q8_0 *)blocks + b;
            y->d = ia_fp32_to_fp16(q->d[b]);
            for (int j = 0; j < IA_QK; j++) y->qs[j] = (int8_t)(c[j] - 128);
        } else if (ggml_type == IA_GGML_Q4_0) {
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

ia_status ia_qweights_from_blocks(int ggml_type, const void *blocks, int64_t n, int64_t k, ia_qweights *out) {
    ia_status st;
    int64_t nb;
    if (!out) return ia_error(IA_ERR_INVALID_ARG, "from blocks: NULL output");
    memset(out, 0, sizeof *out);
    if (!blocks || (ggml_type != IA_GGML_Q8_0 && ggml_type != IA_GGML_Q4_0 && ggml_type != IA_GGML_Q4_1))
        return ia_error(IA_ERR_INVALID_ARG, "from blocks: ggml type %d (q8_0, q4_0 or q4_1)", ggml_type);
    if (n < 1 || k < 1 || k % IA_QK)
        return ia_error(IA_ERR_INVALID_ARG, "from blocks: %lld x %lld is not whole blocks", (long long)n, (long long)k);
    if ((st = ia_qweights_alloc(out, ggml_type == IA_GGML_Q8_0 ? 8 : 4, n, k, IA_QK)) != IA_OK) return st;
    nb = n * k / IA_QK;
    for (int64_t b = 0; b < nb && st == IA_OK; b++) {
        uint8_t *c = out->q + b * IA_QK;
        if (ggml_type == IA_GGML_Q8_0) {
            const ia_block_q8_0 *x = (const ia_block_q8_0 *)blocks + b;
            st = half_scale(x->d, b, &out->d[b]);
            out->m[b] = -128.0f * out->d[b];
            for (int j = 0; j < IA_QK; j++) c[j] = (uint8_t)(x->qs[j] + 128);
        } else {
            const uint8_t *qs;
            if (ggml_type == IA_GGML_Q4_0) {
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
