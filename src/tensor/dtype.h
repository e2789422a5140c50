/*
 * dtype.h — element types of tensors, as stored in files and in memory.
 *
 * Quantised weights are two kinds of tensor: IA_DTYPE_Q8_0 rows in ggml's
 * q8_0 block layout (embedding tables, dequantised row by row on gather),
 * and IA_DTYPE_QMAT, whose data is an ia_qmat (quant/qmat.h: a packed
 * matrix for the quantised linear kernels). The list is append-only.
 */
#ifndef IA_TENSOR_DTYPE_H
#define IA_TENSOR_DTYPE_H

#include <stddef.h>

typedef enum ia_dtype {
    IA_DTYPE_F32 = 0,
    IA_DTYPE_F16,
    IA_DTYPE_BF16,
    IA_DTYPE_I32,
    IA_DTYPE_I64,
    IA_DTYPE_I8,
    IA_DTYPE_U8,
    IA_DTYPE_Q8_0, /* 34-byte blocks of 32: fp16 scale + 32 int8 */
    IA_DTYPE_QMAT, /* data is an ia_qmat *, weights only */
    IA_DTYPE_COUNT
} ia_dtype;

/* Bytes per element; 0 for an unknown type and for the block types
 * (ia_tensor_nbytes knows their sizes). */
size_t ia_dtype_size(ia_dtype t);

/* "F32", "F16", ... as safetensors spells them. */
const char *ia_dtype_name(ia_dtype t);

#endif
