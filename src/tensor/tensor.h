/*
 * tensor.h — the tensor type shared by every layer: a typed, shaped view
 * over memory that a backend owns.
 *
 * Shapes are outermost first (shape[ndim-1] is the innermost, fastest
 * axis), strides are in bytes, one per axis. A view (reshape, permute,
 * slice) is an ordinary tensor whose view_src is the tensor that owns the
 * memory and whose offset says where it starts: no data moves. For block
 * (quantised) types the innermost axis is always whole rows of blocks, so
 * stride[ndim-1] is unused and rows may only be sliced, not split.
 *
 * Where the bytes are: `buffer` (a backend's allocation: host memory, a
 * mapped file, device memory) at `offset`; `data` is the host address of
 * element 0 when the buffer is host memory (or when the tensor borrows host
 * memory with no buffer at all: graph inputs, weights in a mapping), NULL
 * for device memory and for activations not yet planned.
 */
#ifndef IA_TENSOR_TENSOR_H
#define IA_TENSOR_TENSOR_H

#include <stddef.h>
#include <stdint.h>

#include "tensor/dtype.h"

#define IA_MAX_DIMS 4

/* A backend's allocation (backends/backend.h). */
typedef struct ia_buffer ia_buffer;

/* Flags */
enum {
    IA_TENSOR_PARAM = 1 << 0,  /* weight: model-owned, never planned           */
    IA_TENSOR_INPUT = 1 << 1,  /* graph input in caller memory (host)         */
    IA_TENSOR_OUTPUT = 1 << 2, /* graph output: its memory is never reused    */
    IA_TENSOR_STATE = 1 << 3,  /* session-owned memory (a KV cache)          */
};

/* What a weight is used for; backends prepare each use differently (a
 * matrix is repacked for the GEMM, a table is gathered row by row). */
enum { IA_USE_OTHER = 0, IA_USE_MATMUL = 1, IA_USE_TABLE = 2 };

typedef struct ia_tensor {
    ia_dtype dtype;
    int ndim;
    int64_t shape[IA_MAX_DIMS];
    int64_t stride[IA_MAX_DIMS]; /* bytes */
    int64_t qgroup;              /* weights per block of QA types; 0 otherwise */
    void *data;                  /* host address of element 0, or NULL */
    ia_buffer *buffer;           /* NULL: borrowed host memory or not placed */
    size_t offset;               /* of element 0 inside buffer */
    struct ia_tensor *view_src;  /* the tensor whose memory this one views */
    size_t view_offs;            /* bytes from view_src's element 0 */
    void *extra;                 /* a backend's prepared form of a weight */
    const char *name;            /* borrowed; for messages */
    int flags;
    int use;                     /* IA_USE_* for weights */
} ia_tensor;

/* Makes t a contiguous tensor of the given type and shape (data NULL,
 * strides row-major). 0, or -1 when ndim or a dim is out of range. */
int ia_tensor_init(ia_tensor *t, ia_dtype dtype, int ndim, const int64_t *shape, int64_t qgroup);

int64_t ia_tensor_nelem(const ia_tensor *t);

/* Bytes of a contiguous tensor of t's type and shape. */
size_t ia_tensor_nbytes(const ia_tensor *t);

/* Rows when viewed as a matrix [nelem / cols, cols]. */
int64_t ia_tensor_rows(const ia_tensor *t);
static inline int64_t ia_tensor_cols(const ia_tensor *t) { return t->shape[t->ndim - 1]; }

/* Bytes of one row of t's innermost axis. */
size_t ia_tensor_row_bytes(const ia_tensor *t);

/* 1 when the elements are packed row-major with no gaps. */
int ia_tensor_is_contiguous(const ia_tensor *t);

/* 1 when t is a matrix of rows: the innermost axis is packed and every
 * outer axis steps by a whole number of rows, so row r starts at
 * r · *row_stride bytes (row_stride may exceed the row's bytes: a view of
 * some columns, or of one head of a [T, H·D] matrix). */
int ia_tensor_is_rowwise(const ia_tensor *t, int64_t *row_stride);

/* Row stride in bytes of a rowwise tensor (ia_tensor_is_rowwise). */
int64_t ia_tensor_row_stride(const ia_tensor *t);

/* The tensor that owns t's memory (follows view_src). */
ia_tensor *ia_tensor_root(ia_tensor *t);

/* 1 when a and b have the same ndim and shape. */
int ia_tensor_same_shape(const ia_tensor *a, const ia_tensor *b);

/* ---- views: fill *v as a view of src (v->view_src = src), no copy ---- */

/* Any shape/strides at a byte offset from src's element 0; -1 when the
 * view reaches outside src's bytes. */
int ia_tensor_view(ia_tensor *v, ia_tensor *src, int ndim, const int64_t *shape, const int64_t *stride,
                   size_t offset);

/* Same elements, new shape; src must be contiguous (-1 otherwise). */
int ia_tensor_reshape(ia_tensor *v, ia_tensor *src, int ndim, const int64_t *shape);

/* Axes reordered: v.shape[i] = src.shape[perm[i]] (plain types only). */
int ia_tensor_permute(ia_tensor *v, ia_tensor *src, const int *perm);

/* Elements [start, start + len) of axis `axis`. */
int ia_tensor_slice(ia_tensor *v, ia_tensor *src, int axis, int64_t start, int64_t len);

/* Recomputes a view's buffer, offset and data from its sources (after the
 * root has been placed in memory). */
void ia_tensor_refresh_view(ia_tensor *v);

#endif
