/*
 * qmat.h — quantised weight matrices: one arithmetic for every format.
 *
 * Every weight format we run (int8 per channel, symmetric or asymmetric;
 * int4 and int2 group-wise; ggml's q8_0 / q4_0 / q4_1) is, per output row n
 * and group g of `group` consecutive inputs, an affine map of unsigned codes:
 *
 *     w[n][k] = d[n][g] * q[n][k] + m[n][g],   q in [0, 2^bits),  g = k / group
 *
 * (q8_0: q = s + 128, m = -128 d;  q4_0: m = -8 d;  symmetric 2-bit:
 * m = -1.5 d, levels ±0.5 d, ±1.5 d.)
 *
 * Products with activations x[r][k] quantise x dynamically, per row r and
 * per group g of the same width, symmetrically to int8:
 *
 *     sa[r][g] = max_k∈g |x[r][k]| / 127      (0 when the group is all zero)
 *     xq[r][k] = clamp(round_half_even(x[r][k] / sa[r][g]), -127, 127)
 *     S[r][g]  = Σ_k∈g xq[r][k]
 *
 * and the exact integer dot products give
 *
 *     y[r][n] = Σ_g sa[r][g] * ( d[n][g] * Σ_k∈g xq[r][k] q[n][k]  +  m[n][g] * S[r][g] )  + bias[n]
 *
 * The integer parts are exact in every kernel; kernels differ from the
 * reference only in the order of the float sums over g (and in how
 * x / sa is computed: the kernels multiply by 127 / amax as the reference
 * does, so the codes xq are identical).
 */
#ifndef IA_QUANT_QMAT_H
#define IA_QUANT_QMAT_H

#include <stddef.h>
#include <stdint.h>

#include "ipfs_accelerate.h"

/* The plain form: one code per byte, row-major. What quantisers produce,
 * what files are converted to and from, what tests compare. */
typedef struct ia_qweights {
    int bits;      /* 8, 4 or 2 */
    int64_t n, k;  /* rows (outputs) and columns (inputs) */
    int64_t group; /* inputs per scale; divides k; k itself = per channel */
    uint8_t *q;    /* [n][k], each < 2^bits */
    float *d, *m;  /* [n][k / group] */
} ia_qweights;

/* Allocates q, d, m for the given shape (IA_ERR_INVALID_ARG for bits not in
 * {2,4,8}, n or k < 1, group not dividing k); ia_qweights_free releases. */
ia_status ia_qweights_alloc(ia_qweights *w, int bits, int64_t n, int64_t k, int64_t group);
void ia_qweights_free(ia_qweights *w);

/* w[n][k] back to floats, [n][k] row-major. */
void ia_qweights_dequantize(const ia_qweights *w, float *out);

/* The packed form the CPU kernels read (layout private to qmat.c and the
 * kernels). Shapes the kernels take: k a multiple of 32 and group a
 * multiple of 32 (or group == k with k a multiple of 32); anything else is
 * IA_ERR_UNSUPPORTED from ia_qmat_pack, and the model keeps that layer in
 * fp32. */
typedef struct ia_qmat ia_qmat;

ia_status ia_qmat_pack(const ia_qweights *w, ia_qmat **out);
void ia_qmat_free(ia_qmat *q);

int ia_qmat_bits(const ia_qmat *q);
int64_t ia_qmat_rows(const ia_qmat *q);   /* n */
int64_t ia_qmat_cols(const ia_qmat *q);   /* k */
int64_t ia_qmat_group(const ia_qmat *q);
size_t ia_qmat_bytes(const ia_qmat *q);   /* resident bytes: codes + scales */

/* The plain form of a packed matrix (for tests and for saving). */
ia_status ia_qmat_unpack(const ia_qmat *q, ia_qweights *out);

/* The formula above, in plain C, with x quantised exactly as described: the
 * reference every kernel is tested against. y is [m][ldy]. */
void ia_qgemm_reference(const ia_qweights *w, int m, const float *x, int ldx, const float *bias,
                        float *y, int ldy);

#endif
