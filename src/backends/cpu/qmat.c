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
#include "tensor/kquants.h"
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

/* Byte (in q->hi) and shift of the high bits of (block b, channel c,
 * input p) of a split-code matrix (qmat_layout.h). */
static void hi_pos(const ia_qmat *q, int64_t b, int c, int64_t p, size_t *byte, int *shift) {
    int64_t span = 32 / q->hbits; /* inputs per unit */
    *byte = (size_t)b * q->hstride + (size_t)(p / span) * 64 + (size_t)(4 * c + p % 4);
    *shift = (int)((p % span) / 4) * q->hbits;
}

static uint32_t load4(const uint8_t *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* Writes the codes src[0 .. len) of inputs p0 .. p0 + len of channel c of
 * block b: low bits into the codes, the rest into the hi plane. p0 and len
 * are multiples of 32, so whole 64-byte units of both planes. A quad's 4
 * inputs are 4 adjacent bytes at one shift (code_pos, hi_pos), so this
 * walks units, not inputs: load time is mostly this loop. */
static void put_codes(ia_qmat *q, int64_t b, int c, int64_t p0, const uint8_t *src, int64_t len) {
    /* Each 32-bit word holds one quad (4 inputs, one per byte): a unit's 4
     * bytes of channel c are its quads' words masked, shifted and ORed —
     * bytes never mix, since code << shift stays below 256. */
    const uint32_t mask = 0x01010101u * ((1u << q->bits) - 1);
    const int per_unit = 8 / q->bits; /* quads per 64-byte unit */
    uint8_t *blk = q->codes + (size_t)b * q->block_bytes + 4 * c;
    for (int64_t u = p0 / (4 * per_unit); u < (p0 + len) / (4 * per_unit); u++) {
        const uint8_t *in = src + (u * 4 * per_unit - p0);
        uint32_t v = 0;
        for (int s = 0; s < per_unit; s++) v |= (load4(in + 4 * s) & mask) << (s * q->bits);
        memcpy(blk + (size_t)u * 64, &v, 4);
    }
    if (q->hbits) {
        const uint32_t hmask = 0x01010101u * ((1u << q->hbits) - 1);
        const int hper = 8 / q->hbits; /* quads per unit of the hi plane */
        uint8_t *hblk = q->hi + (size_t)b * q->hstride + 4 * c;
        for (int64_t u = p0 / (4 * hper); u < (p0 + len) / (4 * hper); u++) {
            const uint8_t *in = src + (u * 4 * hper - p0);
            uint32_t v = 0;
            for (int s = 0; s < hper; s++) v |= ((load4(in + 4 * s) >> q->bits) & hmask) << (s * q->hbits);
            memcpy(hblk + (size_t)u * 64, &v, 4);
        }
    }
}

/* The plain form packed with float scales; hbits > 0 splits each code
 * into its low `bits` (codes) and its high hbits (the hi plane). */
static ia_status pack_plain(const ia_qweights *w, int bits, int hbits, ia_qmat **out) {
    ia_qmat *q;
    size_t codes, scales, his, raw_bytes, n_scales;
    float sym_zero;
    uintptr_t base;
    int cbits = bits + hbits; /* code width */
    if (!out) return ia_error(IA_ERR_INVALID_ARG, "qmat_pack: NULL output");
    *out = NULL;
    if (!w || !w->q || !w->d || !w->m || !bits_ok(w->bits) || w->n < 1 || w->k < 1 ||
        w->group < 1 || w->k % w->group != 0)
        return ia_error(IA_ERR_INVALID_ARG, "qmat_pack: not a valid ia_qweights");
    if (w->k % 32 != 0 || (w->group % 32 != 0 && w->group != 16) || w->group > IA_QMAT_MAX_GROUP ||
        w->n > INT_MAX || w->k > INT_MAX || (hbits && w->group != 32))
        return ia_error(IA_ERR_UNSUPPORTED,
                        "qmat_pack: k=%lld group=%lld: the kernels need k a multiple of 32, group "
                        "16 or a multiple of 32 (split codes: 32), group <= %d, n and k < 2^31",
                        (long long)w->k, (long long)w->group, IA_QMAT_MAX_GROUP);
    {   /* an OR over all codes (vectorised), the culprit found only on failure */
        size_t len = (size_t)w->n * (size_t)w->k;
        uint8_t any = 0;
        for (size_t i = 0; i < len; i++) any |= w->q[i];
        if (any >> cbits)
            for (size_t i = 0; i < len; i++)
                if (w->q[i] >> cbits)
                    return ia_error(IA_ERR_INVALID_ARG, "qmat_pack: code %u at row %lld col %lld >= 2^%d",
                                    w->q[i], (long long)(i / (size_t)w->k), (long long)(i % (size_t)w->k),
                                    cbits);
    }

    {   /* symmetric codes: every m is -z · d for the middle code z (exactly:
         * z is a power of two), so m need not be stored or read */
        size_t ng = (size_t)w->n * (size_t)(w->k / w->group);
        sym_zero = (float)(1 << (cbits - 1));
        for (size_t i = 0; i < ng && sym_zero != 0; i++)
            if (!(w->m[i] == -sym_zero * w->d[i])) sym_zero = 0;
    }
    {   /* codes + 2 · scales + alignment must fit size_t (wasm32: 4 GiB) */
        uint64_t blocks = ((uint64_t)w->n + IA_QMAT_BLOCK - 1) / IA_QMAT_BLOCK;
        uint64_t total = blocks * 2 * (uint64_t)w->k * (uint64_t)cbits +
                         2 * blocks * (uint64_t)(w->k / w->group) * IA_QMAT_BLOCK * sizeof(float);
        if (total > (uint64_t)SIZE_MAX - IA_QMAT_ALIGN)
            return ia_error(IA_ERR_NOMEM, "qmat_pack: %lld x %lld too large", (long long)w->n,
                            (long long)w->k);
    }
    q = calloc(1, sizeof *q);
    if (!q) return ia_error(IA_ERR_NOMEM, "qmat_pack: out of memory");
    q->bits = bits;
    q->hbits = hbits;
    q->n = w->n, q->k = w->k, q->group = w->group;
    q->groups = w->k / w->group;
    q->blocks = (w->n + IA_QMAT_BLOCK - 1) / IA_QMAT_BLOCK;
    q->block_bytes = (size_t)2 * (size_t)w->k * (size_t)bits;
    q->hstride = (size_t)2 * (size_t)w->k * (size_t)hbits;
    codes = (size_t)q->blocks * q->block_bytes; /* a multiple of 64: k % 32 == 0 */
    scales = (size_t)q->blocks * (size_t)q->groups * IA_QMAT_BLOCK * sizeof(float);
    his = (size_t)q->blocks * q->hstride;       /* a multiple of 64 too */
    n_scales = sym_zero != 0 ? 1 : 2;
    q->bytes = codes + n_scales * scales + his;
    raw_bytes = q->bytes + IA_QMAT_ALIGN;
    q->mem = calloc(raw_bytes, 1); /* zero: padded channels get zero codes and scales */
    if (!q->mem) {
        free(q);
        return ia_error(IA_ERR_NOMEM, "qmat_pack: out of memory for %zu bytes", raw_bytes);
    }
    base = ((uintptr_t)q->mem + IA_QMAT_ALIGN - 1) & ~(uintptr_t)(IA_QMAT_ALIGN - 1);
    q->codes = (uint8_t *)base;
    q->d = (float *)(base + codes);
    q->m = sym_zero != 0 ? NULL : (float *)(base + codes + scales);
    q->zero = sym_zero;
    q->hi = hbits ? (uint8_t *)(base + codes + n_scales * scales) : NULL;

    for (int64_t j = 0; j < w->n; j++) {
        int64_t b = j / IA_QMAT_BLOCK;
        int c = (int)(j % IA_QMAT_BLOCK);
        put_codes(q, b, c, 0, w->q + (size_t)j * (size_t)w->k, w->k);
        for (int64_t g = 0; g < q->groups; g++) {
            size_t dst = ((size_t)b * (size_t)q->groups + (size_t)g) * IA_QMAT_BLOCK + (size_t)c;
            q->d[dst] = w->d[(size_t)j * (size_t)q->groups + (size_t)g];
            if (q->m) q->m[dst] = w->m[(size_t)j * (size_t)q->groups + (size_t)g];
        }
    }
    *out = q;
    return IA_OK;
}

ia_status ia_qmat_pack(const ia_qweights *w, ia_qmat **out) {
    return pack_plain(w, w ? w->bits : 0, 0, out);
}

ia_status ia_qmat_pack_split5(const ia_qweights *w, ia_qmat **out) {
    if (w && w->bits != 8) {
        if (out) *out = NULL;
        return ia_error(IA_ERR_INVALID_ARG, "qmat_pack_split5: %d-bit codes (5-bit codes are held in 8)", w->bits);
    }
    return pack_plain(w, 4, 1, out);
}

ia_status ia_qmat_pack_kquant(int dtype, const void *blocks, int64_t n, int64_t k, ia_qmat **out) {
    /* code planes: Q3_K as 2 low bits + a 1-bit plane, Q5_K and Q6_K as 4
     * low bits + a 1- or 2-bit plane */
    static const int held[] = {[IA_DTYPE_Q2_K] = 2, [IA_DTYPE_Q3_K] = 2, [IA_DTYPE_Q4_K] = 4,
                               [IA_DTYPE_Q5_K] = 4, [IA_DTYPE_Q6_K] = 4};
    static const int high[] = {[IA_DTYPE_Q2_K] = 0, [IA_DTYPE_Q3_K] = 1, [IA_DTYPE_Q4_K] = 0,
                               [IA_DTYPE_Q5_K] = 1, [IA_DTYPE_Q6_K] = 2};
    ia_qmat *q;
    size_t codes, iscales, fscales, his, raw_bytes, bb;
    int64_t supers;
    uintptr_t base;
    if (!out) return ia_error(IA_ERR_INVALID_ARG, "qmat_pack_kquant: NULL output");
    *out = NULL;
    if (dtype < IA_DTYPE_Q2_K || dtype > IA_DTYPE_Q6_K || !blocks)
        return ia_error(IA_ERR_INVALID_ARG, "qmat_pack_kquant: not k-quant data");
    if (n < 1 || k < 1 || k % IA_QK_K || n > INT_MAX || k > INT_MAX)
        return ia_error(IA_ERR_INVALID_ARG, "qmat_pack_kquant: %lld x %lld is not whole super-blocks", (long long)n,
                        (long long)k);
    if ((uint64_t)n * (uint64_t)k > (uint64_t)SIZE_MAX / 4)
        return ia_error(IA_ERR_NOMEM, "qmat_pack_kquant: %lld x %lld too large", (long long)n, (long long)k);
    if (!(q = calloc(1, sizeof *q))) return ia_error(IA_ERR_NOMEM, "qmat_pack_kquant: out of memory");
    q->bits = held[dtype];
    q->n = n, q->k = k;
    q->group = dtype == IA_DTYPE_Q4_K || dtype == IA_DTYPE_Q5_K ? 32 : 16;
    q->groups = k / q->group;
    q->super = (int)(IA_QK_K / q->group);
    q->hbits = high[dtype];
    q->hstride = (size_t)2 * (size_t)k * (size_t)q->hbits;
    q->blocks = (n + IA_QMAT_BLOCK - 1) / IA_QMAT_BLOCK;
    q->block_bytes = (size_t)2 * (size_t)k * (size_t)q->bits;
    supers = k / IA_QK_K;
    codes = (size_t)q->blocks * q->block_bytes;                              /* a multiple of 64 */
    fscales = (size_t)q->blocks * (size_t)supers * IA_QMAT_BLOCK * sizeof(float); /* a multiple of 64 */
    iscales = (size_t)q->blocks * (size_t)q->groups * IA_QMAT_BLOCK;               /* a multiple of 64 */
    his = (size_t)q->blocks * q->hstride;
    q->bytes = codes + 2 * fscales + 2 * iscales + his;
    raw_bytes = q->bytes + IA_QMAT_ALIGN;
    if (!(q->mem = calloc(raw_bytes, 1))) { /* zero: padded channels get zero codes and scales */
        free(q);
        return ia_error(IA_ERR_NOMEM, "qmat_pack_kquant: out of memory for %zu bytes", raw_bytes);
    }
    base = ((uintptr_t)q->mem + IA_QMAT_ALIGN - 1) & ~(uintptr_t)(IA_QMAT_ALIGN - 1);
    q->codes = (uint8_t *)base;
    q->D = (float *)(base + codes);
    q->M = (float *)(base + codes + fscales);
    q->sc = (int8_t *)(base + codes + 2 * fscales);
    q->mn = (int8_t *)(base + codes + 2 * fscales + iscales);
    q->hi = q->hbits ? (uint8_t *)(base + codes + 2 * fscales + 2 * iscales) : NULL;
    bb = ia_dtype_block_bytes((ia_dtype)dtype, 0);
    for (int64_t j = 0; j < n; j++) {
        int64_t b = j / IA_QMAT_BLOCK;
        int c = (int)(j % IA_QMAT_BLOCK);
        for (int64_t s = 0; s < supers; s++) {
            uint8_t cs[IA_QK_K];
            int8_t sc[16], mn[16];
            float D, M;
            int sub, per = q->super;
            size_t fi = ((size_t)b * (size_t)supers + (size_t)s) * IA_QMAT_BLOCK + (size_t)c;
            ia_kquant_sub_scales(dtype, (const unsigned char *)blocks + (size_t)(j * supers + s) * bb, cs, sc, mn, &D,
                                 &M, &sub);
            if (!isfinite(D) || !isfinite(M)) {
                ia_qmat_free(q);
                return ia_error(IA_ERR_FORMAT, "qmat_pack_kquant: row %lld super-block %lld: scale is inf or NaN",
                                (long long)j, (long long)s);
            }
            q->D[fi] = D, q->M[fi] = M;
            for (int g = 0; g < per; g++) {
                size_t ii = ((size_t)b * (size_t)q->groups + (size_t)(s * per + g)) * IA_QMAT_BLOCK + (size_t)c;
                q->sc[ii] = sc[g], q->mn[ii] = mn[g];
            }
            put_codes(q, b, c, s * IA_QK_K, cs, IA_QK_K);
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

/* The width codes are held in when unpacked (qweights: 2, 4 or 8). */
static int held_bits(const ia_qmat *q) { return !q->hbits ? q->bits : q->bits + q->hbits <= 4 ? 4 : 8; }

int ia_qmat_bits(const ia_qmat *q) { return held_bits(q); }
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
    st = ia_qweights_alloc(out, held_bits(q), q->n, q->k, q->group);
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
            if (q->hbits) {
                hi_pos(q, b, c, p, &byte, &shift);
                out->q[(size_t)j * (size_t)q->k + p] |=
                    (uint8_t)(((q->hi[byte] >> shift) & ((1u << q->hbits) - 1)) << q->bits);
            }
        }
        for (int64_t g = 0; g < q->groups; g++)
            ia_qmat_scale(q, b, g, c, &out->d[(size_t)j * (size_t)q->groups + (size_t)g],
                          &out->m[(size_t)j * (size_t)q->groups + (size_t)g]);
    }
    return IA_OK;
}

/* ---- reference --------------------------------------------------------- */

/* qmat.h's formula term by term: each group's activations are quantised
 * afresh for every output (slow, but nothing to allocate and nothing shared
 * with the kernels except the two helpers that define the codes), integer
 * sums in int64, the float combination in double, so the result is the
 * exact value of the formula rounded once. */
