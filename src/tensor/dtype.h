/*
 * dtype.h — element types of tensors, as stored in files and in memory.
 *
 * Quantised block types (q8_0, q4_0, ...) will be appended with the exact
 * ggml layouts when the quantisation engine lands; the list is append-only.
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
    IA_DTYPE_COUNT
} ia_dtype;

/* Bytes per element; 0 for an unknown type. */
size_t ia_dtype_size(ia_dtype t);

/* "F32", "F16", ... as safetensors spells them. */
const char *ia_dtype_name(ia_dtype t);

#endif
