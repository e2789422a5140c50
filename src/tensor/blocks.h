/*
 * blocks.h — quantised weight blocks in exactly ggml's layouts (q8_0, q4_0,
 * q4_1, q5_0, q5_1: 32 weights per block with fp16 scale, and min for the
 * _1 types), so GGUF
 * files written or read by llama.cpp interoperate byte for byte. The
 * quantisers are ggml's reference ones (quantize_row_*_ref); a test checks
 * them against gguf-py's on random and adversarial rows.
 */
#ifndef IA_TENSOR_BLOCKS_H
#define IA_TENSOR_BLOCKS_H

#include <stddef.h>
#include <stdint.h>

#include "ipfs_accelerate.h"

#define IA_QK 32 /* weights per block */

typedef struct ia_block_q8_0 {
    uint16_t d;       /* fp16 scale */
    int8_t qs[IA_QK]; /* x = d * q */
} ia_block_q8_0;

typedef struct ia_block_q4_0 {
    uint16_t d;            /* fp16 scale */
    uint8_t qs[IA_QK / 2]; /* low nibble: weight j, high: weight j + 16; x = d * (q - 8) */
} ia_block_q4_0;

typedef struct ia_block_q4_1 {
    uint16_t d, m;         /* fp16 scale and minimum */
    uint8_t qs[IA_QK / 2]; /* as q4_0; x = d * q + m */
} ia_block_q4_1;

/* 5-bit codes: the low 4 bits as q4_0's nibbles, the fifth bit of weight
 * j in bit j of qh (little-endian uint32, stored as bytes: the block is
 * 22 bytes, unaligned). */
typedef struct ia_block_q5_0 {
    uint16_t d;            /* fp16 scale */
    uint8_t qh[4];         /* fifth bits, weight j at bit j */
    uint8_t qs[IA_QK / 2]; /* low nibbles as q4_0; x = d * (q - 16) */
} ia_block_q5_0;

typedef struct ia_block_q5_1 {
    uint16_t d, m;         /* fp16 scale and minimum */
    uint8_t qh[4];         /* as q5_0 */
    uint8_t qs[IA_QK / 2]; /* x = d * q + m */
} ia_block_q5_1;

_Static_assert(sizeof(ia_block_q8_0) == 34, "ggml block_q8_0 is 34 bytes");
_Static_assert(sizeof(ia_block_q4_0) == 18, "ggml block_q4_0 is 18 bytes");
_Static_assert(sizeof(ia_block_q4_1) == 20, "ggml block_q4_1 is 20 bytes");
_Static_assert(sizeof(ia_block_q5_0) == 22, "ggml block_q5_0 is 22 bytes");
_Static_assert(sizeof(ia_block_q5_1) == 24, "ggml block_q5_1 is 24 bytes");

/* n must be a multiple of IA_QK (IA_ERR_INVALID_ARG otherwise). */
ia_status ia_quantize_q8_0(const float *x, ia_block_q8_0 *y, int64_t n);
ia_status ia_quantize_q4_0(const float *x, ia_block_q4_0 *y, int64_t n);
ia_status ia_quantize_q4_1(const float *x, ia_block_q4_1 *y, int64_t n);
ia_status ia_quantize_q5_0(const float *x, ia_block_q5_0 *y, int64_t n);
ia_status ia_quantize_q5_1(const float *x, ia_block_q5_1 *y, int64_t n);

void ia_dequantize_q8_0(const ia_block_q8_0 *x, float *y, int64_t n);
void ia_dequantize_q4_0(const ia_block_q4_0 *x, float *y, int64_t n);
void ia_dequantize_q4_1(const ia_block_q4_1 *x, float *y, int64_t n);
void ia_dequantize_q5_0(const ia_block_q5_0 *x, float *y, int64_t n);
void ia_dequantize_q5_1(const ia_block_q5_1 *x, float *y, int64_t n);

/* The 32 codes (0..31) of a q5_0 / q5_1 block, weight order. */
void ia_q5_codes(const uint8_t qh[4], const uint8_t qs[IA_QK / 2], uint8_t codes[IA_QK]);

#endif
