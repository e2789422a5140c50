/*
 * cpu_support.c — what the CPU executor runs (supports_op: exactly the
 * dtypes and layouts its kernels take; the scheduler sends the rest to
 * another executor, ref at the end) and how it prepares weights (F16/BF16
 * converted to F32 once, quantised matrices packed for the qgemm kernels,
 * ggml's k-quants with their integer sub-block scales kept).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backends/cpu/cpu_ops.h"
#include "backends/cpu/qmat.h"
#include "util/error.h"

static int f32_rows(const ia_tensor *t) { return t && t->dtype == IA_DTYPE_F32 && ia_tensor_is_rowwise(t, NULL); }
static int i32_dense(const ia_tensor *t) { return t && t->dtype == IA_DTYPE_I32 && ia_tensor_is_contiguous(t); }

/* A weight the kernels read as floats: F32 rowwise, or prepared. */
static int f32_weight(const ia_tensor *t) {
    if (!t) return 0;
    if (t->dtype == IA_DTYPE_F32) return ia_tensor_is_rowwise(t, NULL);
    return ia_weight_prepared_by(t, &ia_cpu_backend) && ((const ia_cpu_weight *)t->extra)->f32;
}

static int dense_f32_weight(const ia_tensor *t) {
    return f32_weight(t) && (t->dtype != IA_DTYPE_F32 || ia_tensor_is_contiguous(t));
}

/* A table whose rows convert to floats (gathers, position tables). */
static int float_table(const ia_tensor *t) {
    return ia_tensor_is_rowwise(t, NULL) && (t->dtype == IA_DTYPE_F32 || t->dtype == IA_DTYPE_F16 ||
                                             t->dtype == IA_DTYPE_BF16 || ia_dtype_is_quantized(t->dtype));
}

static int broadcasts_as_row(const ia_tensor *a, const ia_tensor *b) {
    if (ia_tensor_same_shape(a, b)) return 1;
    return ia_tensor_cols(b) == ia_tensor_cols(a) && ia_tensor_rows(b) == 1 && b->ndim <= a->ndim;
}

int ia_cpu_supports(ia_backend *b, const ia_node *n) {
    const ia_cpu_ctx *c = b->ctx;
    const ia_tensor *s0 = n->src[0], *s1 = n->src[1], *s2 = n->src[2], *s3 = n->src[3];
    if ((unsigned)n->op >= IA_OP_COUNT || ia_backend_op_listed(c->disabled, n->op)) return 0;
    if (n->op != IA_OP_CONT && n->op != IA_OP_CONCAT && n->op != IA_OP_WRITE && n->out->dtype != IA_DTYPE_F32) return 0;
    switch (n->op) {
    case IA_OP_GET_ROWS: return i32_dense(s1) && float_table(s0);
    case IA_OP_ADD:
    case IA_OP_MUL: return f32_rows(s0) && f32_rows(s1) && broadcasts_as_row(s0, s1);
    case IA_OP_ADD_POSITIONS:
        return f32_rows(s0) && float_table(s1) && i32_dense(s2) && ia_tensor_cols(s1) == ia_tensor_cols(s0);
    case IA_OP_LINEAR:
        if (!f32_rows(s0) || (s2 && !dense_f32_weight(s2))) return 0;
        if (n->iparam[0] != IA_ACT_NONE && n->iparam[0] != IA_ACT_GELU && n->iparam[0] != IA_ACT_SILU) return 0;
        if (ia_cpu_qmat(s1) || ia_cpu_packed(s1)) return 1;
        /* a quantised weight the qgemm kernels cannot take (k or group not
         * a multiple of 32) is not run as a float GEMM of its dequantised
         * values: graph.h asks for qweights.h's arithmetic (activations
         * quantised too), so it is left to another executor */
        return !ia_dtype_is_quantized(s1->dtype) && s1->ndim == 2 && dense_f32_weight(s1);
    case IA_OP_LAYER_NORM:
        return f32_rows(s0) && f32_weight(s1) && f32_weight(s2) && (!s3 || (f32_rows(s3) && ia_tensor_same_shape(s0, s3)));
    case IA_OP_RMS_NORM:
        return f32_rows(s0) && (!s1 || f32_weight(s1)) && !s2 && (!s3 || (f32_rows(s3) && ia_tensor_same_shape(s0, s3)));
    case IA_OP_GELU:
    case IA_OP_SILU:
    case IA_OP_SCALE:
    case IA_OP_L2_NORMALIZE: return f32_rows(s0);
    case IA_OP_SWIGLU: return f32_rows(s0) && f32_rows(s1) && ia_tensor_same_shape(s0, s1);
    case IA_OP_ROPE: {
        int nrot = n->iparam[1], d = n->iparam[2];
        return f32_rows(s0) && i32_dense(s1) && ia_tensor_nelem(s1) == ia_tensor_rows(s0) &&
               (n->iparam[0] == IA_ROPE_NORMAL || n->iparam[0] == IA_ROPE_NEOX) && d >= 2 &&
               ia_tensor_cols(s0) % d == 0 && nrot >= 2 && nrot <= d && nrot % 2 == 0;
    }
    case IA_OP_ATTENTION:
        return f32_rows(s0) && f32_rows(s1) && f32_rows(s2) &&
               (!s3 || i32_dense(s3) || (s3->dtype == IA_DTYPE_F32 && ia_tensor_is_contiguous(s3)));
    case IA_OP_MEAN_POOL:
    case IA_OP_CLS_POOL: return f32_rows(s0) && i32_dense(s1);
    case IA_OP_CONCAT:
        return s0->dtype == s1->dtype && n->out->dtype == s0->dtype && !ia_dtype_is_quantized(s0->dtype) &&
               ia_tensor_is_contiguous(s0) && ia_tensor_is_contiguous(s1) && n->iparam[0] >= 0 &&
               n->iparam[0] < s0->ndim && s0->ndim == s1->ndim;
    case IA_OP_CONT:
        return n->out->dtype == s0->dtype ? (!ia_dtype_is_quantized(s0->dtype) || ia_tensor_is_rowwise(s0, NULL))
                                          : n->out->dtype == IA_DTYPE_F16 && f32_rows(s0);
    case IA_OP_WRITE: {
        const ia_tensor *dst = s1;
        if (ia_dtype_is_quantized(dst->dtype)) return 0;
        return dst->dtype == s0->dtype || (dst->dtype == IA_DTYPE_F16 && f32_rows(s0) && ia_tensor_is_rowwise(dst, NULL));
    }
    case IA_OP_CONV1D:
    case IA_OP_CONV2D:
        return s0->dtype == IA_DTYPE_F32 && ia_tensor_is_contiguous(s0) && dense_f32_weight(s1) &&
               (!s2 || dense_f32_weight(s2)) && ia_cpu_conv_shape_ok(n);
    default: return 0;
    }
}

/* ---- weights ---- */

static ia_cpu_weight *new_extra(void) {
    ia_cpu_weight *e = calloc(1, sizeof *e);
    if (e) e->head.kind = &ia_cpu_backend;
    return e;
}

static ia_status to_f32_copy(const ia_tensor *w, float **out) {
    int64_t rows = ia_tensor_rows(w), cols = ia_tensor_cols(w), rs = ia_tensor_row_stride(w);
    float *f = malloc((size_t)(rows > 0 && cols > 0 ? rows * cols : 1) * sizeof *f);
    if (!f) return ia_error(IA_ERR_NOMEM, "converting %s to F32", w->name ? w->name : "?");
    for (int64_t r = 0; r < rows; r++)
        ia_dtype_row_to_f32(w->dtype, w->qgroup, (const char *)w->data + r * rs, f + r * cols, cols);
    *out = f;
    return IA_OK;
}

static void free_extra(ia_cpu_weight *e) {
    ia_qmat_free(e->qmat);
    ia_sgemm_packed_free(e->packed);
    free(e->f32);
    free(e);
}

/* A float matrix weight: its panels for this executor's GEMM, which every
 * linear layer then reads (an F16/BF16 weight's F32 copy only feeds the
 * packing). */
static ia_status prepare_float_matrix(ia_backend *b, ia_tensor *w) {
    const ia_cpu_ctx *c = b->ctx;
    ia_cpu_weight *e = new_extra();
    const float *f;
    int64_t ld;
    ia_status st = IA_OK;
    if (!e) return ia_error(IA_ERR_NOMEM, "weight %s", w->name ? w->name : "?");
    if (w->dtype == IA_DTYPE_F32) {
        f = w->data;
        ld = ia_tensor_row_stride(w) / 4;
    } else {
        st = to_f32_copy(w, &e->f32);
        f = e->f32;
        ld = w->shape[1];
    }
    if (st == IA_OK && w->shape[0] <= INT32_MAX && w->shape[1] <= INT32_MAX)
        st = ia_sgemm_pack(c->gemm, (int)w->shape[0], (int)w->shape[1], f, (int)ld, &e->packed);
    free(e->f32);
    e->f32 = NULL;
    if (st != IA_OK) {
        free_extra(e);
        return st;
    }
    w->extra = e;
    return IA_OK;
}

ia_status ia_cpu_prepare_weight(ia_backend *b, ia_tensor *w) {
    ia_cpu_weight *e;
    ia_status st = IA_OK;
    int quant = ia_dtype_is_quantized(w->dtype);
    ia_cpu_release_weight(b, w);
    if (!w->data) return IA_OK;
    if (!quant && w->use == IA_USE_MATMUL && w->ndim == 2 && ia_tensor_is_rowwise(w, NULL) &&
        (w->dtype == IA_DTYPE_F32 || w->dtype == IA_DTYPE_F16 || w->dtype == IA_DTYPE_BF16))
        return prepare_float_matrix(b, w);
    if (w->dtype == IA_DTYPE_F32) return IA_OK;                 /* read in place */
    if (w->use == IA_USE_TABLE && (quant || w->dtype == IA_DTYPE_F16 || w->dtype == IA_DTYPE_BF16))
        return IA_OK;                                          /* rows converted as gathered */
    if (!quant && w->dtype != IA_DTYPE_F16 && w->dtype != IA_DTYPE_BF16) return IA_OK; /* integer data */
    if (!(e = new_extra())) return ia_error(IA_ERR_NOMEM, "weight %s", w->name ? w->name : "?");
    if (quant && w->use == IA_USE_MATMUL && w->ndim == 2 && ia_tensor_is_contiguous(w) && w->dtype >= IA_DTYPE_Q2_K &&
        w->dtype <= IA_DTYPE_Q6_K) {
        /* ggml's k-quants keep their integer sub-block scales (qmat_layout.h) */
        st = ia_qmat_pack_kquant(w->dtype, w->data, w->shape[0], w->shape[1], &e->qmat);
    } else if (quant && w->use == IA_USE_MATMUL && w->ndim == 2 && ia_tensor_is_contiguous(w)) {
        ia_qweights q;
        st = ia_qweights_from_dtype(w->dtype, w->qgroup, w->data, w->shape[0], w->shape[1], &q);
        if (st == IA_OK) {
            /* Q5_0 / Q5_1: 4 low bits + a 1-bit plane, as Q5_K's codes */
            st = w->dtype == IA_DTYPE_Q5_0 || w->dtype == IA_DTYPE_Q5_1 ? ia_qmat_pack_split5(&q, &e->qmat)
                                                                      : ia_qmat_pack(&q, &e->qmat);
            ia_qweights_free(&q);
            if (st == IA_ERR_UNSUPPORTED) { /* a shape the kernels do not take: nothing to prepare */
                free(e);
                return IA_OK;
            }
        }
    } else {
        st = to_f32_copy(w, &e->f32);
    }
    if (st != IA_OK) {
        free_extra(e);
        return st;
    }
    w->extra = e;
    return IA_OK;
}

void ia_cpu_release_weight(ia_backend *b, ia_tensor *w) {
    ia_cpu_weight *e;
    if (!ia_weight_prepared_by(w, &ia_cpu_backend)) return;
    e = w->extra;
    free_extra(e);
    w->extra = NULL;
}
