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
    return (size_t)ia_tensor_nelem(t) * ia_dtype_size(t->dtype);
}

int64_t ia_tensor_rows(const ia_tensor *t) {
    int64_t c = t->shape[t->ndim - 1];
    return c ? ia_tensor_nelem(t) / c : 0;
}
