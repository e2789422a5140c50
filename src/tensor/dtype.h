/*
 * dtype.h — element types of tensors, as stored in files and in memory.
 *
 * Quantised weights are dtypes too (as in ggml): their rows are sequences
 * of blocks that carry their own scales, so a quantised matrix is one
 * tensor with one data pointer, which any backend can upload, download or
 * repack. Two families:
 *
 *   ggml's blocks of 32 (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1) and k-quant super-blocks of
 *       256 (Q2_K .. Q6_K): byte-identical to GGUF files;
 *   our affine groups (QA8, QA4, QA2): per block of `group` weights (the
 *       tensor's qgroup: 32, 64, 128, ... or a whole row) a float scale d,
 *       a float minimum m and the codes q, w = d·q + m (tensor/qweights.h).
 *
 * Block sizes depend on the group for QA types, so sizes are asked of the
 * (dtype, group) pair. The list is internal and may be reordered; files
 * map their own type ids onto it.
 */
#ifndef IA_TENSOR_DTYPE_H
#define IA_TENSOR_DTYPE_H

#include <stddef.h>
#include <stdint.h>

#include "ipfs_accelerate.h"

typedef enum ia_dtype {
    IA_DTYPE_F32 = 0,
    IA_DTYPE_F16,
    IA_DTYPE_BF16,
    IA_DTYPE_I32,
    IA_DTYPE_I64,
    IA_DTYPE_I8,
    IA_DTYPE_U8,
    IA_DTYPE_Q8_0, /* 34-byte blocks of 32: fp16 d + 32 int8, w = d·s      */
    IA_DTYPE_Q4_0, /* 18-byte blocks of 32: fp16 d + 16 nibble pairs, d·(q−8) */
    IA_DTYPE_Q4_1, /* 20-byte blocks of 32: fp16 d, fp16 m + nibbles, d·q+m  */
    IA_DTYPE_QA8,  /* affine groups: f32 d, f32 m, group bytes              */
    IA_DTYPE_QA4,  /*                f32 d, f32 m, group / 2 bytes          */
    IA_DTYPE_QA2,  /*                f32 d, f32 m, group / 4 bytes          */
    /* ggml's k-quants, super-blocks of 256 (tensor/kquants.h) */
    IA_DTYPE_Q2_K, /*  84 bytes: 16 × (4-bit scale, 4-bit min), 2-bit codes */
    IA_DTYPE_Q3_K, /* 110 bytes: 16 six-bit scales, 3-bit codes             */
    IA_DTYPE_Q4_K, /* 144 bytes: 8 × (6-bit scale, 6-bit min), 4-bit codes  */
    IA_DTYPE_Q5_K, /* 176 bytes: as Q4_K, 5-bit codes                       */
    IA_DTYPE_Q6_K, /* 210 bytes: 16 int8 scales, 6-bit codes                */
    /* ggml's 5-bit blocks of 32 (tensor/blocks.h); appended, values kept */
    IA_DTYPE_Q5_0, /* 22-byte blocks: fp16 d, 32 fifth bits, nibbles; d·(q−16) */
    IA_DTYPE_Q5_1, /* 24-byte blocks: fp16 d, fp16 m, as Q5_0; d·q + m        */
    IA_DTYPE_COUNT
} ia_dtype;

/* Bytes per element of a plain type; 0 for block types and unknown ones. */
size_t ia_dtype_size(ia_dtype t);

/* 1 for block types (quantised). */
int ia_dtype_is_quantized(ia_dtype t);

/* Weights per block: 1 for plain types, 32 for ggml's Q8_0/Q4_0/Q4_1/Q5_0/Q5_1,
 * 256 for the k-quants, `group` for QA. */
int64_t ia_dtype_block_elems(ia_dtype t, int64_t group);

/* Bytes per block (the element size for plain types); 0 when unknown or
 * the group does not suit the type (QA groups: a positive multiple of
 * 8 / bits codes... see ia_dtype_group_ok). */
size_t ia_dtype_block_bytes(ia_dtype t, int64_t group);

/* 1 when `group` is valid for a QA type over rows of `cols` weights:
 * group >= 1, divides cols, and group · bits is a whole number of bytes. */
int ia_dtype_group_ok(ia_dtype t, int64_t group, int64_t cols);

/* Code width of a quantised type (8, 6, 5, 4, 3, 2), 0 for plain types. */
int ia_dtype_bits(ia_dtype t);

/* "F32", "F16", "Q8_0", "QA4", "Q4_K", ... */
const char *ia_dtype_name(ia_dtype t);

/* Bytes of a row of `cols` elements; 0 when cols is not a whole number of
 * blocks. */
size_t ia_dtype_row_bytes(ia_dtype t, int64_t group, int64_t cols);

/* Row of `cols` elements of type t → floats (integer types give their
 * values; an unknown type gives zeros). */
void ia_dtype_row_to_f32(ia_dtype t, int64_t group, const void *row, float *out, int64_t cols);

/* Row of n floats → tensor data of type t, as ggml writes it: the
 * reference quantisers for Q8_0, Q4_0, Q4_1, Q5_0, Q5_1 (tensor/blocks.h) and Q2_K ..
 * Q6_K (tensor/kquants.h; n a multiple of the block, else
 * IA_ERR_INVALID_ARG), and the F32 / F16 (round to nearest even) / BF16
 * (ggml_compute_fp32_to_bf16: nearest even, NaN kept NaN and quiet)
 * conversions. Other types: IA_ERR_INVALID_ARG. For the quantise engine's
 * GGUF writer: out holds ia_dtype_row_bytes(t, 0, n) bytes. */
ia_status ia_dtype_from_f32(ia_dtype t, const float *x, void *out, int64_t n);

#endif
