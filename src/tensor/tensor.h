/*
 * tensor.h — the tensor type shared by every layer: element type, shape,
 * row-major strides implied by the shape, and a data pointer that is either
 * borrowed (a weight inside a file mapping) or placed by the graph planner.
 */
#ifndef IA_TENSOR_TENSOR_H
#define IA_TENSOR_TENSOR_H

#include <stddef.h>
#include <stdint.h>

#include "tensor/dtype.h"

#define IA_MAX_DIMS 4

typedef struct ia_tensor {
    ia_dtype dtype;
    int ndim;
    int64_t shape[IA_MAX_DIMS]; /* shape[ndim-1] is contiguous */
    void *data;                 /* NULL until planned (activations) */
    const char *name;           /* borrowed; for error messages */
    int is_param;               /* weight or graph input: never planned */
} ia_tensor;

/* Number of elements. */
int64_t ia_tensor_nelem(const ia_tensor *t);

/* Bytes of data. */
size_t ia_tensor_nbytes(const ia_tensor *t);

/* Rows when viewed as a matrix [nelem / shape[ndim-1], shape[ndim-1]]. */
int64_t ia_tensor_rows(const ia_tensor *t);
static inline int64_t ia_tensor_cols(const ia_tensor *t) { return t->shape[t->ndim - 1]; }

#endif
