/*
 * qweights.h — quantised weight matrices in plain form, one arithmetic for
 * every format, and the conversions between the plain form and the
 * quantised dtypes (tensor/dtype.h).
 *
 * Every weight format we run (int8 per channel, symmetric or asymmetric;
 * int4 and int2 group-wise; ggml's q8_0 / q4_0 / q4_1) is, per output row n
 * and group g of `group` consecutive inputs, an affine map of unsigned codes:
 *
 *     w[n][k] = d[n][g] * q[n][k] + m[n][g],   q in [0, 2^bits),  g = k / group
 *
 * (q8_0: q = s + 128, m = -128 d;  q4_0: m = -8 d;  symmetric 2-bit:
 * m = -1.5 d, levels ±0.5 d, ±1.5 d. ggml's k-quants, tensor/kquants.h:
 * group = the sub-block, 16 for Q2_K, Q3_K, Q6_K and 32 for Q4_K, Q5_K;
 * d = d·sc (Q3_K: d·(sc − 32)), m = −dmin·mn for Q2_K/Q4_K/Q5_K, −4 d for
 * Q3_K, −32 d for Q6_K; codes of 3, 5, 6 bits held as 4, 8, 8.)
 *
 * Products with activations x[r][k] quantise x dynamically, per row r and
 * per group g of the same width, symmetrically to int8:
 *
 *     amax     = max_k∈g |x[r][k]|,  sa[r][g] = amax / 127   (0 for an all-zero group)
 *     xq[r][k] = clamp(round_half_even(x[r][k] · (127 / amax)), -127, 127)
 *     S[r][g]  = Σ_k∈g xq[r][k]
 *
 * and the exact integer dot products give
 *
 *     y[r][n] = Σ_g sa[r][g] * ( d[n][g] * Σ_k∈g xq[r][k] q[n][k]  +  m[n][g] * S[r][g] )  + bias[n]
 *
 * Every backend that runs a quantised linear layer computes exactly this
 * (the integer parts bit-exact; only the order of the float sums over g
 * may differ): the ref backend in plain C, the CPU backend with VNNI/AVX2.
 * The codes are formed with one float multiply by 127 / amax (not a
 * division by sa: the two round differently about once in 10^6), exactly
 * as ia_qact_scale and ia_qact_code below do.
 */
#ifndef IA_TENSOR_QWEIGHTS_H
#define IA_TENSOR_QWEIGHTS_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "ipfs_accelerate.h"
#include "tensor/dtype.h"

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

/* ---- activation quantisation, shared by every kernel ---- */

/* One step of amax = max |x| over a group. A NaN sticks, in every kernel,
 * so a NaN input makes its group's scale NaN and the row's outputs NaN
 * (fmaxf would silently skip it). */
static inline float ia_qact_amax_step(float amax, float x) {
    float a = fabsf(x);
    return a > amax || a != a ? a : amax;
}

/* amax of a group → (scale, inverse scale), the one place both are formed. */
static inline void ia_qact_scale(float amax, float *sa, float *inv) {
    *sa = amax / 127.0f;
    *inv = amax > 0.0f ? 127.0f / amax : 0.0f;
}

/* The activation code of x under inv = 127 / amax: round half to even
 * (rintf in the default rounding mode, which the SIMD conversions use too),
 * clamped to ±127 (for finite x the clamp never acts: |x| ≤ amax).
 * Non-finite x: the clamp keeps the conversion defined; the code is
 * unspecified (kernels differ) and the group's scale is NaN or infinite
 * anyway. */
static inline int ia_qact_code(float x, float inv) {
    float v = fminf(x * inv, 127.0f);
    v = fmaxf(v, -127.0f);
    return (int)rintf(v);
}

/* ---- quantised dtypes <-> plain form ---- */

/* The ggml block type (IA_DTYPE_Q8_0, Q4_0, Q4_1) that stores q exactly —
 * q4_0 before q4_1, the smaller — or -1 when none does. */
int ia_qweights_block_dtype(const ia_qweights *q);

/* The QA type of q's width (IA_DTYPE_QA8/QA4/QA2); QA stores any q. */
ia_dtype ia_qweights_qa_dtype(const ia_qweights *q);

/* Bytes of q as a tensor of `dtype` (q->n rows); 0 when dtype cannot hold
 * q's shape. */
size_t ia_qweights_dtype_bytes(const ia_qweights *q, ia_dtype dtype);

/* Codes → tensor data of a quantised dtype: ggml blocks (exact, or
 * IA_ERR_INVALID_ARG saying why not) or QA blocks of q->group (always
 * exact: scales are stored as floats). out holds
 * ia_qweights_dtype_bytes(q, dtype) bytes. */
ia_status ia_qweights_to_dtype(const ia_qweights *q, ia_dtype dtype, void *out);

/* Tensor data of a quantised dtype ([n][k], group for QA types) → codes
 * (allocated here). Q5_0 / Q5_1 give 8-bit codes (< 32) in groups of 32
 * (Q5_0: m = -16 d). Scales that are inf or NaN are IA_ERR_FORMAT (data
 * comes from files). k-quants give group 16 or 32 and bits 2, 4 or 8 (the
 * table above); the way back (to_dtype) is not offered for them. */
ia_status ia_qweights_from_dtype(ia_dtype dtype, int64_t group, const void *data, int64_t n, int64_t k,
                                 ia_qweights *out);

/* ---- LSB-first packed codes (QA blocks, and our GGUF layout) ---- */

/* Bytes of one row of k codes of `bits` bits (0 for bad arguments). */
size_t ia_qweights_packed_row_bytes(int bits, int64_t k);
void ia_qweights_pack_codes(const ia_qweights *q, uint8_t *out);       /* n * row_bytes */
ia_status ia_qweights_unpack_codes(const uint8_t *in, ia_qweights *q); /* q allocated; checks padding */

#endif
