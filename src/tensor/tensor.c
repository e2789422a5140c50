/*
 * tensor.c — sizes, layouts and views of tensors.
 */
#include "tensor/tensor.h"

#include <string.h>

int ia_tensor_init(ia_tensor *t, ia_dtype dtype, int ndim, const int64_t *shape, int64_t qgroup) {
    int64_t st;
    memset(t, 0, sizeof *t);
    if (ndim < 1 || ndim > IA_MAX_DIMS) return -1;
    for (int i = 0; i < ndim; i++)
        if (shape[i] < 0) return -1;
    t->dtype = dtype;
    t->ndim = ndim;
    t->qgroup = qgroup;
    memcpy(t->shape, shape, (size_t)ndim * sizeof *shape);
    st = (int64_t)ia_dtype_row_bytes(dtype, qgroup, shape[ndim - 1]);
    t->stride[ndim - 1] = ia_dtype_is_quantized(dtype) ? 0 : (int64_t)ia_dtype_size(dtype);
    for (int i = ndim - 2; i >= 0; i--) {
        t->stride[i] = st;
        st *= shape[i];
    }
    return 0;
}

int64_t ia_tensor_nelem(const ia_tensor *t) {
    int64_t n = 1;
    for (int i = 0; i < t->ndim; i++) n *= t->shape[i];
    return n;
}

size_t ia_tensor_row_bytes(const ia_tensor *t) {
    return ia_dtype_row_bytes(t->dtype, t->qgroup, t->shape[t->ndim - 1]);
}

size_t ia_tensor_nbytes(const ia_tensor *t) {
    return (size_t)ia_tensor_rows(t) * ia_tensor_row_bytes(t);
}

int64_t ia_tensor_rows(const ia_tensor *t) {
    int64_t r = 1;
    for (int i = 0; i < t->ndim - 1; i++) r *= t->shape[i];
    return r;
}

int ia_tensor_is_rowwise(const ia_tensor *t, int64_t *row_stride) {
    int64_t rs;
    int inner = t->ndim - 1;
    if (!ia_dtype_is_quantized(t->dtype) && t->shape[inner] > 1 &&
        t->stride[inner] != (int64_t)ia_dtype_size(t->dtype))
        return 0;
    /* The row stride is the stride of the innermost outer axis with more
     * than one element; every outer axis must step whole multiples of it,
     * nested as in a packed matrix of rows. */
    rs = (int64_t)ia_tensor_row_bytes(t);
    {
        int64_t expect = -1, rows_below = 1;
        for (int i = inner - 1; i >= 0; i--) {
            if (t->shape[i] == 1) continue;
            if (expect < 0) {
                rs = t->stride[i];
                expect = rs;
            }
            if (t->stride[i] != expect * rows_below) return 0;
            rows_below *= t->shape[i];
        }
    }
    if (row_stride) *row_stride = rs;
    return 1;
}

int64_t ia_tensor_row_stride(const ia_tensor *t) {
    int64_t rs = (int64_t)ia_tensor_row_bytes(t);
    ia_tensor_is_rowwise(t, &rs);
    return rs;
}

int ia_tensor_is_contiguous(const ia_tensor *t) {
    int64_t rs;
    return ia_tensor_is_rowwise(t, &rs) && (ia_tensor_rows(t) <= 1 || rs == (int64_t)ia_tensor_row_bytes(t));
}

ia_tensor *ia_tensor_root(ia_tensor *t) {
    while (t && t->view_src) t = t->view_src;
    return t;
}

int ia_tensor_same_shape(const ia_tensor *a, const ia_tensor *b) {
    if (a->ndim != b->ndim) return 0;
    for (int i = 0; i < a->ndim; i++)
        if (a->shape[i] != b->shape[i]) return 0;
    return 1;
}

/* Byte extent [lo, hi) touched by a layout, relative to element 0. */
static void extent(const ia_tensor *t, int64_t *lo, int64_t *hi) {
    int64_t a = 0, b = 0;
    int inner = t->ndim - 1;
    for (int i = 0; i < t->ndim; i++) {
        if (t->shape[i] == 0) {
            *lo = *hi = 0;
            return;
        }
        if (i == inner && ia_dtype_is_quantized(t->dtype)) continue;
        if (t->stride[i] >= 0) b += (t->shape[i] - 1) * t->stride[i];
        else a += (t->shape[i] - 1) * t->stride[i];
    }
    *lo = a;
    *hi = b + (ia_dtype_is_quantized(t->dtype) ? (int64_t)ia_tensor_row_bytes(t)
                                                : (int64_t)ia_dtype_size(t->dtype));
}

static void link_view(ia_tensor *v, ia_tensor *src, size_t offset) {
    v->dtype = src->dtype;
    v->qgroup = src->qgroup;
    v->buffer = src->buffer;
    v->offset = src->offset + offset;
    v->view_offs = offset;
    v->data = src->data ? (char *)src->data + offset : NULL;
    v->view_src = src;
    v->name = src->name;
    v->flags = src->flags & (IA_TENSOR_PARAM | IA_TENSOR_STATE | IA_TENSOR_INPUT);
    v->use = src->use;
    v->extra = NULL; /* prepared forms belong to the whole weight */
}

int ia_tensor_view(ia_tensor *v, ia_tensor *src, int ndim, const int64_t *shape, const int64_t *stride,
                   size_t offset) {
    ia_tensor tmp;
    int64_t slo, shi, vlo, vhi;
    if (ndim < 1 || ndim > IA_MAX_DIMS) return -1;
    memset(&tmp, 0, sizeof tmp);
    tmp.dtype = src->dtype;
    tmp.qgroup = src->qgroup;
    tmp.ndim = ndim;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0) return -1;
        tmp.shape[i] = shape[i];
        tmp.stride[i] = stride[i];
    }
    if (ia_dtype_is_quantized(src->dtype) && shape[ndim - 1] != src->shape[src->ndim - 1]) return -1;
    extent(src, &slo, &shi);
    extent(&tmp, &vlo, &vhi);
    if (ia_tensor_nelem(&tmp) > 0 && ((int64_t)offset + vlo < slo || (int64_t)offset + vhi > shi)) return -1;
    *v = tmp;
    link_view(v, src, offset);
    return 0;
}

int ia_tensor_reshape(ia_tensor *v, ia_tensor *src, int ndim, const int64_t *shape) {
    ia_tensor tmp;
    if (!ia_tensor_is_contiguous(src)) return -1;
    if (ia_tensor_init(&tmp, src->dtype, ndim, shape, src->qgroup) != 0) return -1;
    if (ia_tensor_nelem(&tmp) != ia_tensor_nelem(src)) return -1;
    if (ia_dtype_is_quantized(src->dtype) && shape[ndim - 1] != src->shape[src->ndim - 1]) return -1;
    return ia_tensor_view(v, src, ndim, tmp.shape, tmp.stride, 0);
}

int ia_tensor_permute(ia_tensor *v, ia_tensor *src, const int *perm) {
    int64_t shape[IA_MAX_DIMS], stride[IA_MAX_DIMS];
    int seen = 0;
    if (ia_dtype_is_quantized(src->dtype)) return -1;
    for (int i = 0; i < src->ndim; i++) {
        if (perm[i] < 0 || perm[i] >= src->ndim || (seen >> perm[i]) & 1) return -1;
        seen |= 1 << perm[i];
        shape[i] = src->shape[perm[i]];
        stride[i] = src->stride[perm[i]];
    }
    return ia_tensor_view(v, src, src->ndim, shape, stride, 0);
}

int ia_tensor_slice(ia_tensor *v, ia_tensor *src, int axis, int64_t start, int64_t len) {
    int64_t shape[IA_MAX_DIMS];
    if (axis < 0 || axis >= src->ndim || start < 0 || len < 0 || start + len > src->shape[axis]) return -1;
    if (axis == src->ndim - 1 && ia_dtype_is_quantized(src->dtype)) return -1;
    memcpy(shape, src->shape, sizeof shape);
    shape[axis] = len;
    return ia_tensor_view(v, src, src->ndim, shape, src->stride, (size_t)(start * src->stride[axis]));
}

void ia_tensor_refresh_view(ia_tensor *v) {
    ia_tensor *src = v->view_src;
    if (!src) return;
    ia_tensor_refresh_view(src);
    v->buffer = src->buffer;
    v->offset = src->offset + v->view_offs;
    v->data = src->data ? (char *)src->data + v->view_offs : NULL;
}
