/*
 * kquants.h — ggml's k-quant super-blocks (Q2_K, Q3_K, Q4_K, Q5_K, Q6_K:
 * 256 weights per block, sub-blocks of 16 or 32 with quantised scales),
 * byte for byte as ggml-common.h lays them out, so GGUF files written by
 * llama.cpp (a "Q4_K_M" file is Q4_K + Q6_K) are read in place.
 *
 * The dequantisers are ggml's dequantize_row_q*_K, operation for
 * operation (the float products in the same order, no fused multiply-add:
 * this file is built as ISO C, where the compiler does not contract), so
 * they give the bits gguf-py's gguf.quants.dequantize gives
 * (test/tensor/test_kquants.c against scripts/make_kquant_reference.py).
 * The quantisers are ggml's reference ones (quantize_row_q*_K_ref with
 * make_qkx2_quants / make_qx_quants / make_q3_quants): without importance
 * weights, what llama-quantize does when it has no imatrix.
 *
 * Every k-quant is, per sub-block s of 16 or 32 consecutive weights, an
 * affine map of unsigned codes, which is how the linear layers run them
 * (tensor/qweights.h; ia_kquant_sub_affine below):
 *
 *   Q2_K  16 × 16: w = (d·sc_s)·q − dmin·mn_s,   q in 0..3   (sc, mn 4 bits)
 *   Q3_K  16 × 16: w = (d·(sc_s − 32))·(q − 4),  q in 0..7   (sc 6 bits)
 *   Q4_K   8 × 32: w = (d·sc_s)·q − dmin·mn_s,   q in 0..15  (sc, mn 6 bits)
 *   Q5_K   8 × 32: w = (d·sc_s)·q − dmin·mn_s,   q in 0..31
 *   Q6_K  16 × 16: w = (d·sc_s)·(q − 32),        q in 0..63  (sc int8)
 *
 * d and dmin are fp16, the sub-block scales small integers, so each
 * product d·sc_s is exact in float.
 */
#ifndef IA_TENSOR_KQUANTS_H
#define IA_TENSOR_KQUANTS_H

#include <stddef.h>
#include <stdint.h>

#include "ipfs_accelerate.h"

#define IA_QK_K 256     /* weights per super-block */
#define IA_K_SCALE_SIZE 12

typedef struct ia_block_q2_K {
    uint8_t scales[IA_QK_K / 16]; /* low nibble scale, high nibble min, per 16 */
    uint8_t qs[IA_QK_K / 4];      /* 2-bit codes */
    uint16_t d, dmin;             /* fp16 */
} ia_block_q2_K;

typedef struct ia_block_q3_K {
    uint8_t hmask[IA_QK_K / 8]; /* high bit of each code */
    uint8_t qs[IA_QK_K / 4];    /* low 2 bits */
    uint8_t scales[12];         /* 16 six-bit scales */
    uint16_t d;                 /* fp16 */
} ia_block_q3_K;

typedef struct ia_block_q4_K {
    uint16_t d, dmin;                /* fp16 */
    uint8_t scales[IA_K_SCALE_SIZE]; /* 8 six-bit scales and 8 six-bit mins */
    uint8_t qs[IA_QK_K / 2];         /* 4-bit codes */
} ia_block_q4_K;

typedef struct ia_block_q5_K {
    uint16_t d, dmin;
    uint8_t scales[IA_K_SCALE_SIZE];
    uint8_t qh[IA_QK_K / 8]; /* high bit */
    uint8_t qs[IA_QK_K / 2]; /* low 4 bits */
} ia_block_q5_K;

typedef struct ia_block_q6_K {
    uint8_t ql[IA_QK_K / 2];     /* low 4 bits */
    uint8_t qh[IA_QK_K / 4];     /* high 2 bits */
    int8_t scales[IA_QK_K / 16]; /* per 16 */
    uint16_t d;                  /* fp16 */
} ia_block_q6_K;

_Static_assert(sizeof(ia_block_q2_K) == 84, "ggml block_q2_K is 84 bytes");
_Static_assert(sizeof(ia_block_q3_K) == 110, "ggml block_q3_K is 110 bytes");
_Static_assert(sizeof(ia_block_q4_K) == 144, "ggml block_q4_K is 144 bytes");
_Static_assert(sizeof(ia_block_q5_K) == 176, "ggml block_q5_K is 176 bytes");
_Static_assert(sizeof(ia_block_q6_K) == 210, "ggml block_q6_K is 210 bytes");

/* n weights (a multiple of 256) of blocks x → floats y, as ggml. */
void ia_dequantize_q2_K(const ia_block_q2_K *x, float *y, int64_t n);
void ia_dequantize_q3_K(const ia_block_q3_K *x, float *y, int64_t n);
void ia_dequantize_q4_K(const ia_block_q4_K *x, float *y, int64_t n);
void ia_dequantize_q5_K(const ia_block_q5_K *x, float *y, int64_t n);
void ia_dequantize_q6_K(const ia_block_q6_K *x, float *y, int64_t n);

/* ggml's reference quantisers: n floats (a multiple of 256, else
 * IA_ERR_INVALID_ARG) → n / 256 blocks. Inputs must be finite. */
ia_status ia_quantize_q2_K(const float *x, ia_block_q2_K *y, int64_t n);
ia_status ia_quantize_q3_K(const float *x, ia_block_q3_K *y, int64_t n);
ia_status ia_quantize_q4_K(const float *x, ia_block_q4_K *y, int64_t n);
ia_status ia_quantize_q5_K(const float *x, ia_block_q5_K *y, int64_t n);
ia_status ia_quantize_q6_K(const float *x, ia_block_q6_K *y, int64_t n);

/* One super-block of a k-quant dtype as codes and integer sub-block
 * scales over two float super-block scales, the form ggml stores:
 * codes[256] as below, and per sub-block s
 *     d[s] = D · sc[s],   m[s] = M · mn[s]     (sc, mn int8; D, M floats)
 * with D = d, M = −dmin (Q2_K, Q4_K, Q5_K: mn = the stored min), and for
 * the symmetric types mn = sc with M = −4 d (Q3_K) or −32 d (Q6_K).
 * Each product is exact in float (fp16 × a 7-bit integer), and is the
 * very float ia_kquant_sub_affine gives. Returns 0, or -1 for another
 * dtype; *sub is 16 or 32. */
int ia_kquant_sub_scales(int dtype, const void *block, uint8_t codes[IA_QK_K], int8_t *sc, int8_t *mn, float *D,
                         float *M, int *sub);

/* One super-block of a k-quant dtype (tensor/dtype.h's IA_DTYPE_Q2_K ..
 * Q6_K) as affine sub-blocks: codes[256] (unsigned, < 2^bits of the table
 * above), and per sub-block of `sub` weights (16 or 32; *sub is set)
 * d[s] and m[s] with w = d[s]·q + m[s] exactly in real arithmetic.
 * Returns 0, or -1 for another dtype. Scales are not checked for
 * finiteness here. */
int ia_kquant_sub_affine(int dtype, const void *block, uint8_t codes[IA_QK_K], float *d, float *m, int *sub);

#endif
