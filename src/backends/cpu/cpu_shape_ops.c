/*
 * cpu_shape_ops.c — ops that move data rather than compute: CONT and WRITE
 * (strided copies, F32 → F16 conversion into a cache), CONCAT; and the
 * convolutions, as im2col followed by the GEMM (patch embeddings of vit
 * and clip, the audio front ends of whisper and clap).
 */
#include <stdlib.h>
#include <string.h>

#include "backends/cpu/cpu_ops.h"
#include "backends/cpu/gemm.h"
#include "backends/host_copy.h"
#include "tensor/fp16.h"
#include "util/error.h"

/* dst ← src for F32 → F16 (rowwise both). */
static void to_f16_rows(ia_tensor *dst, const ia_tensor *src) {
    int64_t cols = ia_tensor_cols(src), rs = ia_tensor_row_stride(src), rd = ia_tensor_row_stride(dst);
    for (int64_t r = 0; r < ia_tensor_rows(src); r++) {
        const float *x = (const float *)((const char *)src->data + r * rs);
        uint16_t *y = (uint16_t *)((char *)dst->data + r * rd);
        for (int64_t i = 0; i < cols; i++) y[i] = ia_fp32_to_fp16(x[i]);
    }
}

ia_status ia_cpu_copy(ia_cpu_ctx *c, ia_node *n) {
    ia_tensor *dst = n->op == IA_OP_WRITE ? n->src[1] : n->out;
    const ia_tensor *src = n->src[0];
    if (!ia_tensor_same_shape(dst, src)) return ia_error(IA_ERR_INTERNAL, "%s: shapes differ", ia_op_name(n->op));
    if (dst->dtype == src->dtype) return ia_host_copy(dst, src);
    to_f16_rows(dst, src); /* the one conversion supports_op admits */
    return IA_OK;
}

ia_status ia_cpu_concat(ia_cpu_ctx *c, ia_node *n) {
    const ia_tensor *a = n->src[0], *b = n->src[1];
    int axis = n->iparam[0];
    int64_t outer = 1, ia = 1, ib = 1;
    size_t es = ia_dtype_size(a->dtype);
    for (int d = 0; d < a->ndim; d++) {
        if (d != axis && a->shape[d] != b->shape[d]) return ia_error(IA_ERR_INTERNAL, "concat: shapes differ");
        if (d < axis) outer *= a->shape[d];
        else ia *= a->shape[d], ib *= b->shape[d];
    }
    for (int64_t o = 0; o < outer; o++) {
        char *y = (char *)n->out->data + (size_t)(o * (ia + ib)) * es;
        memcpy(y, (const char *)a->data + (size_t)(o * ia) * es, (size_t)ia * es);
        memcpy(y + (size_t)ia * es, (const char *)b->data + (size_t)(o * ib) * es, (size_t)ib * es);
    }
    return IA_OK;
}

/* ---- convolution: cols[p][ci·KH·KW + kh·KW + kw] = x[ci][ih][iw] ---- */

typedef struct conv_shape {
    int64_t n, cin, h, w, cout, kh, kw, ho, wo;
    int sh, sw, ph, pw, dil;
} conv_shape;

static int conv_shape_of(const ia_node *n, conv_shape *s) {
    const ia_tensor *x = n->src[0], *w = n->src[1];
    int two = n->op == IA_OP_CONV2D, sp = two ? 2 : 1;
    if ((x->ndim != sp + 1 && x->ndim != sp + 2) || w->ndim != sp + 2) return -1;
    s->n = x->ndim == sp + 2 ? x->shape[0] : 1;
    s->cin = x->shape[x->ndim - sp - 1];
    s->h = two ? x->shape[x->ndim - 2] : 1;
    s->w = x->shape[x->ndim - 1];
    s->cout = w->shape[0];
    s->kh = two ? w->shape[2] : 1;
    s->kw = w->shape[w->ndim - 1];
    s->sh = two ? n->iparam[0] : 1;
    s->sw = two ? n->iparam[1] : n->iparam[0];
    s->ph = two ? n->iparam[2] : 0;
    s->pw = two ? n->iparam[3] : n->iparam[1];
    s->dil = two ? 1 : (n->iparam[2] ? n->iparam[2] : 1);
    if (w->shape[1] != s->cin || s->sh < 1 || s->sw < 1 || s->ph < 0 || s->pw < 0 || s->dil < 1) return -1;
    s->ho = two ? (s->h + 2 * s->ph - s->kh) / s->sh + 1 : 1;
    s->wo = (s->w + 2 * s->pw - (int64_t)s->dil * (s->kw - 1) - 1) / s->sw + 1;
    return s->ho >= 1 && s->wo >= 1 && ia_tensor_nelem(n->out) == s->n * s->cout * s->ho * s->wo ? 0 : -1;
}

int ia_cpu_conv_shape_ok(const ia_node *n) {
    conv_shape s;
    return conv_shape_of(n, &s) == 0;
}

ia_status ia_cpu_conv(ia_cpu_ctx *c, ia_node *n) {
    conv_shape s;
    int64_t kk, p;
    float *cols;
    const float *w = ia_cpu_f32(n->src[1]), *bias = n->src[2] ? ia_cpu_f32(n->src[2]) : NULL;
    if (conv_shape_of(n, &s) != 0 || !w) return ia_error(IA_ERR_INTERNAL, "%s: shapes do not fit", ia_op_name(n->op));
    kk = s.cin * s.kh * s.kw;
    p = s.ho * s.wo;
    if (!(cols = malloc((size_t)(p * kk) * sizeof *cols))) return ia_error(IA_ERR_NOMEM, "%s: im2col", ia_op_name(n->op));
    for (int64_t b = 0; b < s.n; b++) {
        const float *x = (const float *)n->src[0]->data + b * s.cin * s.h * s.w;
        float *y = (float *)n->out->data + b * s.cout * p;
        for (int64_t oh = 0; oh < s.ho; oh++)
            for (int64_t ow = 0; ow < s.wo; ow++) {
                float *row = cols + (oh * s.wo + ow) * kk;
                for (int64_t ci = 0; ci < s.cin; ci++)
                    for (int64_t kh = 0; kh < s.kh; kh++)
                        for (int64_t kw = 0; kw < s.kw; kw++) {
                            int64_t ih = oh * s.sh - s.ph + kh, iw = ow * s.sw - s.pw + kw * s.dil;
                            *row++ = ih < 0 || ih >= s.h || iw < 0 || iw >= s.w ? 0.0f : x[(ci * s.h + ih) * s.w + iw];
                        }
            }
        /* y[co][p] = Σ_k w[co][k] · cols[p][k] + bias[co] */
        ia_sgemm_with(c->gemm, c->pool, c->threads, 1, (int)s.cout, (int)p, (int)kk, w, (int)kk, cols, (int)kk, NULL,
                      y, (int)p, NULL);
        if (bias)
            for (int64_t co = 0; co < s.cout; co++)
                for (int64_t i = 0; i < p; i++) y[co * p + i] += bias[co];
    }
    free(cols);
    return IA_OK;
}
