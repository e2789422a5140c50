/*
 * qmat.c — quantised weight matrices: the plain form (ia_qweights), the
 * packed form the CPU kernels read (ia_qmat), and the reference product
 * every kernel is tested against. Portable C (also built for wasm32).
 *
 * Packed layout (qmat_layout.h has the byte-level description):
 *   - output channels in blocks of 16, one int32 lane each in a zmm;
 *     n padded to a multiple of 16 with zero codes and zero scales, so a
 *     padded lane computes 0 and is simply not stored;
 *   - inside a block, k in quads of 4 inputs ([16 ch][4 k] = 64 bytes, one
 *     vpdpbusd step); 4-bit units carry two quads (low, high nibble),
 *     2-bit units four (bit pairs 0, 2, 4, 6), so every kernel loads whole
 *     64-byte units and unpacks in registers with one and/shift per quad;
 *   - d and m as [block][group][16] floats: one aligned load per group
 *     gives the block's 16 channels.
 * Why this shape: the hot loop (vpdpbusd) wants 16 channels × 4 inputs per
 * instruction with the 4 activation bytes broadcast, and reading a block's
 * codes strictly front to back lets the hardware prefetcher stream them.
 *
 * Shapes: k a multiple of 32 and group 16 or a multiple of 32 (one 4-bit
 * unit pair / 2-bit unit pair per 32 inputs; 16 inputs are still whole
 * units of every width — ggml's Q2_K, Q3_K and Q6_K scale every 16 — and
 * AVX2's int16 partial sums are exact over 32 inputs), group ≤ 65536
 * (int32 sums exact), n and k within int.
 */
#include "backends/cpu/qmat.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backends/cpu/qmat_layout.h"
#include "util/error.h"

static int bits_ok(int bits) { return bits == 8 || bits == 4 || bits == 2; }

/* ---- packing ----------------------------------------------------------- */

/* Byte offset and bit shift of code (channel c of its block, input p) in
 * the block's codes: the unit holding p, the lane 4c + p % 4, and the slot
 * of p's quad inside the unit (qmat_layout.h). */
static void code_pos(int bits, int c, int64_t p, size_t *byte, int *shift) {
    int64_t quad = p / 4;
    int per_unit = 8 / bits; /* quads per 64-byte unit: 1, 2, 4 */
    *byte = (size_t)(quad / per_unit) * 64 + (size_t)(4 * c + p % 4);
    *shift = (int)(quad % per_unit) * bits;
}

ia_status ia_qmat_pack(const ia_qweights *w, ia_qmat **out) {
    ia_qmat *q;
    size_t codes, scales, raw_bytes;
    uintptr_t base;
    if (!out) return ia_error(IA_ERR_INVALID_ARG, "qmat_pack: NULL output");
    *out = NULL;
    if (!w || !w->q || !w->d || !w->m || !bits_ok(w->bits) || w->n < 1 || w->k < 1 ||
        w->group < 1 || w->k % w->group != 0)
        return ia_error(IA_ERR_INVALID_ARG, "qmat_pack: not a valid ia_qweights");
    if (w->k % 32 != 0 || (w->group % 32 != 0 && w->group != 16) || w->group > IA_QMAT_MAX_GROUP ||
        w->n > INT_MAX || w->k > INT_MAX)
        return ia_error(IA_ERR_UNSUPPORTED,
                        "qmat_pack: k=%lld group=%lld: the kernels need k a multiple of 32, group "
                        "16 or a multiple of 32, group <= %d, n and k < 2^31",
                        (long long)w->k, (long long)w->group, IA_QMAT_MAX_GROUP);
    for (size_t i = 0, len = (size_t)w->n * (size_t)w->k; i < len; i++)
        if (w->q[i] >> w->bits)
            return ia_error(IA_ERR_INVALID_ARG, "qmat_pack: code %u at row %lld col %lld >= 2^%d",
                            w->q[i], (long long)(i / (size_t)w->k), (long long)(i % (size_t)w->k),
                            w->bits);

    {   /* codes + 2 · scales + alignment must fit size_t (wasm32: 4 GiB) */
        uint64_t blocks = ((uint64_t)w->n + IA_QMAT_BLOCK - 1) / IA_QMAT_BLOCK;
        uint64_t total = blocks * 2 * (uint64_t)w->k * (uint64_t)w->bits +
                         2 * blocks * (uint64_t)(w->k / w->group) * IA_QMAT_BLOCK * sizeof(float);
        if (total > (uint64_t)SIZE_MAX - IA_QMAT_ALIGN)
            return ia_error(IA_ERR_NOMEM, "qmat_pack: %lld x %lld too large", (long long)w->n,
                            (long long)w->k);
    }
    q = calloc(1, sizeof *q);
    if (!q) return ia_error(IA_ERR_NOMEM, "qmat_pack: out of memory");
    q->bits = w->bits;
    q->n = w->n, q->k = w->k, q->group = w->group;
    q->groups = w->k / w->group;
    q->blocks = (w->n + IA_QMAT_BLOCK - 1) / IA_QMAT_BLOCK;
    q->block_bytes = (size_t)2 * (size_t)w->k * (size_t)w->bits;
    codes = (size_t)q->blocks * q->block_bytes; /* a multiple of 64: k % 32 == 0 */
    scales = (size_t)q->blocks * (size_t)q->groups * IA_QMAT_BLOCK * sizeof(float);
    q->bytes = codes + 2 * scales;
    raw_bytes = q->bytes + IA_QMAT_ALIGN;
    q->mem = calloc(raw_bytes, 1); /* zero: padded channels get zero codes and scales */
    if (!q->mem) {
        free(q);
        return ia_error(IA_ERR_NOMEM, "qmat_pack: out of memory for %zu bytes", raw_bytes);
    }
    base = ((uintptr_t)q->mem + IA_QMAT_ALIGN - 1) & ~(uintptr_t)(IA_QMAT_ALIGN - 1);
    q->codes = (uint8_t *)base;
    q->d = (float *)(base + codes);
    q->m = (float *)(base + codes + scales);

    for (int64_t j = 0; j < w->n; j++) {
        int64_t b = j / IA_QMAT_BLOCK;
        int c = (int)(j % IA_QMAT_BLOCK);
        uint8_t *blk = q->codes + (size_t)b * q->block_bytes;
        const uint8_t *row = w->q + (size_t)j * (size_t)w->k;
        for (int64_t p = 0; p < w->k; p++) {
            size_t byte;
            int shift;
            code_pos(w->bits, c, p, &byte, &shift);
            blk[byte] |= (uint8_t)(row[p] << shift);
        }
        for (int64_t g = 0; g < q->groups; g++) {
            size_t dst = ((size_t)b * (size_t)q->groups + (size_t)g) * IA_QMAT_BLOCK + (size_t)c;
            q->d[dst] = w->d[(size_t)j * (size_t)q->groups + (size_t)g];
            q->m[dst] = w->m[(size_t)j * (size_t)q->groups + (size_t)g];
        }
    }
    *out = q;
    return IA_OK;
}

void ia_qmat_free(ia_qmat *q) {
    if (!q) return;
    free(q->mem);
    free(q);
}

int ia_qmat_bits(const ia_qmat *q) { return q->bits; }
int64_t ia_qmat_rows(const ia_qmat *q) { return q->n; }
int64_t ia_qmat_cols(const ia_qmat *q) { return q->k; }
int64_t ia_qmat_group(const ia_qmat *q) { return q->group; }
size_t ia_qmat_bytes(const ia_qmat *q) { return q->bytes; }

ia_status ia_qmat_unpack(const ia_qmat *q, ia_qweights *out) {
    ia_status st;
    unsigned mask;
    if (!q) {
        if (out) memset(out, 0, sizeof *out);
        return ia_error(IA_ERR_INVALID_ARG, "qmat_unpack: NULL matrix");
    }
    st = ia_qweights_alloc(out, q->bits, q->n, q->k, q->group);
    if (st != IA_OK) return st;
    mask = (1u << q->bits) - 1;
    for (int64_t j = 0; j < q->n; j++) {
        int64_t b = j / IA_QMAT_BLOCK;
        int c = (int)(j % IA_QMAT_BLOCK);
        const uint8_t *blk = q->codes + (size_t)b * q->block_bytes;
        for (int64_t p = 0; p < q->k; p++) {
            size_t byte;
            int shift;
            code_pos(q->bits, c, p, &byte, &shift);
            out->q[(size_t)j * (size_t)q->k + p] = (uint8_t)((blk[byte] >> shift) & mask);
        }
        for (int64_t g = 0; g < q->groups; g++) {
            size_t src = ((size_t)b * (size_t)q->groups + (size_t)g) * IA_QMAT_BLOCK + (size_t)c;
            out->d[(size_t)j * (size_t)q->groups + (size_t)g] = q->d[src];
            out->m[(size_t)j * (size_t)q->groups + (size_t)g] = q->m[src];
        }
    }
    return IA_OK;
}

/* ---- reference --------------------------------------------------------- */

/* qmat.h's formula term by term: each group's activations are quantised
 * afresh for every output (slow, but nothing to allocate and nothing shared
 * with the kernels except the two helpers that define the codes), integer
 * sums in int64, the float combination in double, so the result is the
 * exact value of the formula rounded once. */
