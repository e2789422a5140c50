/*
 * tensor.c — sizes of tensors.
 */
#include "tensor/tensor.h"

int64_t ia_tensor_nelem(const ia_tensor *t) {
    int64_t n = 1;
    for (int i = 0; i < t->ndim; i++) n *= t->shape[i];
    return n;
}

size_t ia_tensor_nbytes(const ia_tensor *t) {
    if (t->dtype == IA_DTYPE_Q8_0) return (size_t)(ia_tensor_nelem(t) / 32) * 34;
    if (t->dtype == IA_DTYPE_QMAT) return 0; /* not a flat array */
    return (size_t)ia_tensor_nelem(t) * ia_dtype_size(t->dtype);
}

int64_t ia_tensor_rows(const ia_tensor *t) {
    int64_t c = t->shape[t->ndim - 1];
    return c ? ia_tensor_nelem(t) / c : 0;
}
