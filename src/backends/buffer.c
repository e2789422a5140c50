/*
 * buffer.c — host buffers (the memory of cpu and ref, and of inputs), the
 * generic upload/download of tensors, and strided copies between host
 * tensors (what the scheduler inserts between backends that share host
 * memory).
 */
#include <stdlib.h>
#include <string.h>

#include "backends/backend.h"
#include "backends/host_copy.h"
#include "util/error.h"

#define HOST_ALIGN 64

void ia_buffer_free(ia_buffer *b) {
    if (b) b->iface->free(b);
}

void ia_backend_free(ia_backend *b) {
    if (b) b->iface->free(b);
}

void ia_backend_config_init(ia_backend_config *c) {
    memset(c, 0, sizeof *c);
    c->struct_size = sizeof *c;
    c->precision = IA_PRECISION_FP32;
}

static void host_free(ia_buffer *b) {
    free(b->base);
    free(b);
}

static ia_status host_range(ia_buffer *b, const ia_tensor *t, size_t off, size_t n, char **p) {
    size_t nbytes = ia_tensor_nbytes(t);
    if (off > nbytes || n > nbytes - off || t->offset > b->size || nbytes > b->size - t->offset)
        return ia_error(IA_ERR_INTERNAL, "buffer access past tensor %s", t->name ? t->name : "?");
    *p = (char *)b->base + t->offset + off;
    return IA_OK;
}

static ia_status host_set(ia_buffer *b, ia_tensor *t, const void *src, size_t off, size_t n) {
    char *p = NULL;
    ia_status st = host_range(b, t, off, n, &p);
    if (st == IA_OK && n) memcpy(p, src, n);
    return st;
}

static ia_status host_get(ia_buffer *b, const ia_tensor *t, void *dst, size_t off, size_t n) {
    char *p = NULL;
    ia_status st = host_range(b, t, off, n, &p);
    if (st == IA_OK && n) memcpy(dst, p, n);
    return st;
}

static ia_status host_clear(ia_buffer *b, int value) {
    if (b->size) memset(b->base, value, b->size);
    return IA_OK;
}

static const ia_buffer_iface host_iface = {
    .abi_version = IA_BACKEND_ABI,
    .struct_size = sizeof(ia_buffer_iface),
    .free = host_free,
    .set = host_set,
    .get = host_get,
    .clear = host_clear,
};

ia_status ia_host_buffer_alloc(size_t size, ia_buffer_usage usage, ia_buffer **out) {
    ia_buffer *b = calloc(1, sizeof *b);
    size_t rounded = (size + HOST_ALIGN - 1) / HOST_ALIGN * HOST_ALIGN;
    *out = NULL;
    if (!b) return ia_error(IA_ERR_NOMEM, "buffer");
    if (rounded < size || (rounded && !(b->base = aligned_alloc(HOST_ALIGN, rounded)))) {
        free(b);
        return ia_error(IA_ERR_NOMEM, "buffer of %zu bytes", size);
    }
    b->iface = &host_iface;
    b->usage = usage;
    b->host = 1;
    b->size = size;
    *out = b;
    return IA_OK;
}

ia_status ia_tensor_download(const ia_tensor *t, void *dst, size_t n) {
    if (!t->buffer) {
        if (!t->data) return ia_error(IA_ERR_INTERNAL, "tensor %s has no memory", t->name ? t->name : "?");
        memcpy(dst, t->data, n);
        return IA_OK;
    }
    return t->buffer->iface->get(t->buffer, t, dst, 0, n);
}

ia_status ia_tensor_upload(ia_tensor *t, const void *src, size_t n) {
    if (!t->buffer) {
        if (!t->data) return ia_error(IA_ERR_INTERNAL, "tensor %s has no memory", t->name ? t->name : "?");
        memcpy(t->data, src, n);
        return IA_OK;
    }
    return t->buffer->iface->set(t->buffer, t, src, 0, n);
}

/* Copies the elements of a plain-typed tensor along its strides. */
static void copy_strided(char *dst, const int64_t *dst_stride, const char *src, const int64_t *src_stride,
                         const int64_t *shape, int ndim, size_t elem) {
    if (ndim == 1) {
        if (dst_stride[0] == (int64_t)elem && src_stride[0] == (int64_t)elem) {
            memcpy(dst, src, (size_t)shape[0] * elem);
            return;
        }
        for (int64_t i = 0; i < shape[0]; i++) memcpy(dst + i * dst_stride[0], src + i * src_stride[0], elem);
        return;
    }
    for (int64_t i = 0; i < shape[0]; i++)
        copy_strided(dst + i * dst_stride[0], dst_stride + 1, src + i * src_stride[0], src_stride + 1, shape + 1,
                     ndim - 1, elem);
}

ia_status ia_host_copy(ia_tensor *dst, const ia_tensor *src) {
    if (!dst->data || !src->data) return ia_error(IA_ERR_INTERNAL, "host copy without host memory");
    if (dst->dtype != src->dtype || !ia_tensor_same_shape(dst, src))
        return ia_error(IA_ERR_INTERNAL, "host copy: %s and %s differ in type or shape", dst->name, src->name);
    if (ia_dtype_is_quantized(src->dtype)) { /* whole rows of blocks */
        size_t rb = ia_tensor_row_bytes(src);
        int64_t rs_src, rs_dst;
        if (!ia_tensor_is_rowwise(src, &rs_src) || !ia_tensor_is_rowwise(dst, &rs_dst))
            return ia_error(IA_ERR_UNSUPPORTED, "host copy of a non-rowwise quantised view");
        for (int64_t r = 0; r < ia_tensor_rows(src); r++)
            memcpy((char *)dst->data + r * rs_dst, (const char *)src->data + r * rs_src, rb);
        return IA_OK;
    }
    copy_strided(dst->data, dst->stride, src->data, src->stride, src->shape, src->ndim, ia_dtype_size(src->dtype));
    return IA_OK;
}
