/*
 * ref_ops.c — every op of tensor/graph.h in plain C (the oracle).
 *
 * Inputs are first gathered into contiguous float arrays (any strides, any
 * dtype: F16/BF16 converted, quantised rows dequantised), results are
 * computed into a float array of the output's shape and then stored in the
 * output's dtype. Sums run in double.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backends/host_copy.h"
#include "backends/ref/ref.h"
#include "tensor/fp16.h"
#include "util/error.h"

/* ---- gather / store ---- */

/* Element (multi-index idx) of a plain-typed tensor as float. */
static float elem_f32(const ia_tensor *t, const char *p) {
    float v;
    ia_dtype_row_to_f32(t->dtype, 0, p, &v, 1);
    return v;
}

/* A contiguous float copy of t (caller frees). */
static float *gather(const ia_tensor *t) {
    int64_t n = ia_tensor_nelem(t), cols = ia_tensor_cols(t);
    float *out = malloc((size_t)(n ? n : 1) * sizeof *out);
    if (!out) return NULL;
    if (!t->data) {
        free(out);
        return NULL;
    }
    if (ia_dtype_is_quantized(t->dtype)) {
        int64_t rs = ia_tensor_row_stride(t);
        for (int64_t r = 0; r < ia_tensor_rows(t); r++)
            ia_dtype_row_to_f32(t->dtype, t->qgroup, (const char *)t->data + r * rs, out + r * cols, cols);
        return out;
    }
    {
        int64_t idx[IA_MAX_DIMS] = {0};
        for (int64_t i = 0; i < n; i++) {
            const char *p = t->data;
            for (int d = 0; d < t->ndim; d++) p += idx[d] * t->stride[d];
            out[i] = elem_f32(t, p);
            for (int d = t->ndim - 1; d >= 0; d--) {
                if (++idx[d] < t->shape[d]) break;
                idx[d] = 0;
            }
        }
    }
    return out;
}

/* Stores floats v (contiguous, t's shape) into t (any strides; F32, F16 or
 * BF16). */
static void store(ia_tensor *t, const float *v) {
    int64_t idx[IA_MAX_DIMS] = {0}, n = ia_tensor_nelem(t);
    for (int64_t i = 0; i < n; i++) {
        char *p = t->data;
        for (int d = 0; d < t->ndim; d++) p += idx[d] * t->stride[d];
        if (t->dtype == IA_DTYPE_F32) {
            memcpy(p, &v[i], 4);
        } else if (t->dtype == IA_DTYPE_F16) {
            uint16_t h = ia_fp32_to_fp16(v[i]);
            memcpy(p, &h, 2);
        } else {                                     /* BF16, round to nearest even */
            uint32_t bits;
            uint16_t h;
            memcpy(&bits, &v[i], 4);
            h = (v[i] != v[i]) ? (uint16_t)((bits >> 16) | 0x40) : (uint16_t)((bits + 0x7fff + ((bits >> 16) & 1)) >> 16);
            memcpy(p, &h, 2);
        }
        for (int d = t->ndim - 1; d >= 0; d--) {
            if (++idx[d] < t->shape[d]) break;
            idx[d] = 0;
        }
    }
}

typedef struct ins {
    float *v[IA_MAX_SRC];
} ins;

static ia_status gather_all(ia_node *n, ins *in, int mask) {
    memset(in, 0, sizeof *in);
    for (int k = 0; k < IA_MAX_SRC; k++) {
        if (!(mask & (1 << k)) || !n->src[k]) continue;
        if (!(in->v[k] = gather(n->src[k]))) return ia_error(IA_ERR_NOMEM, "ref: inputs of %s", ia_op_name(n->op));
    }
    return IA_OK;
}

static void free_all(ins *in) {
    for (int k = 0; k < IA_MAX_SRC; k++) free(in->v[k]);
}

static ia_status bad(const ia_node *n, const char *why) {
    return ia_error(IA_ERR_INTERNAL, "%s: %s", ia_op_name(n->op), why);
}

/* ---- element-wise ---- */

static float gelu(float x) { return (float)(0.5 * x * (1.0 + erf(x / sqrt(2.0)))); }
static float silu(float x) { return (float)(x / (1.0 + exp(-(double)x))); }

static float activate(int act, float x) { return act == IA_ACT_GELU ? gelu(x) : act == IA_ACT_SILU ? silu(x) : x; }

/* out = src0 ∘ src1 with numpy broadcasting of src1. */
static ia_status broadcast(ia_node *n, const float *a, const float *b, float *y) {
    const ia_tensor *A = n->src[0], *B = n->src[1];
    int64_t bshape[IA_MAX_DIMS], bstride[IA_MAX_DIMS], idx[IA_MAX_DIMS] = {0}, total = ia_tensor_nelem(A);
    int off = A->ndim - B->ndim;
    if (off < 0) return bad(n, "second operand has more dims");
    for (int d = 0, s = 1; d < A->ndim; d++) bshape[d] = 1, (void)s;
    for (int d = 0; d < B->ndim; d++) {
        bshape[off + d] = B->shape[d];
        if (B->shape[d] != 1 && B->shape[d] != A->shape[off + d]) return bad(n, "shapes do not broadcast");
    }
    {
        int64_t s = 1;
        for (int d = A->ndim - 1; d >= 0; d--) {
            bstride[d] = bshape[d] == 1 ? 0 : s;
            s *= bshape[d];
        }
    }
    for (int64_t i = 0; i < total; i++) {
        int64_t j = 0;
        for (int d = 0; d < A->ndim; d++) j += idx[d] * bstride[d];
        y[i] = n->op == IA_OP_ADD ? a[i] + b[j] : a[i] * b[j];
        for (int d = A->ndim - 1; d >= 0; d--) {
            if (++idx[d] < A->shape[d]) break;
            idx[d] = 0;
        }
    }
    return IA_OK;
}

/* ---- sequences ---- */

static ia_status check_offsets(const ia_node *n, const ia_tensor *offs, int64_t rows) {
    const int32_t *o = offs->data;
    int64_t k = ia_tensor_nelem(offs);
    if (offs->dtype != IA_DTYPE_I32 || !ia_tensor_is_contiguous(offs) || k < 2 || o[0] != 0 || o[k - 1] != rows)
        return bad(n, "sequence offsets do not cover the rows");
    for (int64_t i = 1; i < k; i++)
        if (o[i] < o[i - 1]) return bad(n, "sequence offsets decrease");
    return IA_OK;
}

/* ---- the ops ---- */

static ia_status op_get_rows(ia_node *n, float *y) {
    const ia_tensor *tab = n->src[0], *ids = n->src[1];
    int64_t cols = ia_tensor_cols(tab), rows = ia_tensor_rows(tab), m = ia_tensor_nelem(ids), rs;
    if (ids->dtype != IA_DTYPE_I32 || !ia_tensor_is_contiguous(ids) || !ia_tensor_is_rowwise(tab, &rs))
        return bad(n, "ids must be contiguous I32 and the table rowwise");
    for (int64_t i = 0; i < m; i++) {
        int32_t id = ((const int32_t *)ids->data)[i];
        if (id < 0 || id >= rows)
            return ia_error(IA_ERR_INVALID_ARG, "%s: id %d out of range [0, %lld)", tab->name ? tab->name : "table", id,
                            (long long)rows);
        ia_dtype_row_to_f32(tab->dtype, tab->qgroup, (const char *)tab->data + id * rs, y + i * cols, cols);
    }
    return IA_OK;
}

static ia_status op_linear(ia_node *n, const float *x, float *y) {
    const ia_tensor *w = n->src[1], *b = n->src[2];
    int64_t m = ia_tensor_rows(n->src[0]), k = ia_tensor_cols(n->src[0]), nout = ia_tensor_rows(w);
    float *bias = b ? gather(b) : NULL;
    ia_status st = IA_OK;
    if (ia_tensor_cols(w) != k || ia_tensor_cols(n->out) != nout || (b && ia_tensor_nelem(b) != nout)) {
        free(bias);
        return bad(n, "shapes do not match");
    }
    if (ia_dtype_is_quantized(w->dtype)) {
        ia_qweights q;
        if (!ia_tensor_is_contiguous(w)) st = bad(n, "quantised weight must be contiguous");
        else st = ia_qweights_from_dtype(w->dtype, w->qgroup, w->data, nout, k, &q);
        if (st == IA_OK) {
            ia_qgemm_reference(&q, (int)m, x, (int)k, bias, y, (int)nout);
            ia_qweights_free(&q);
        }
    } else {
        float *wf = gather(w);
        if (!wf) st = ia_error(IA_ERR_NOMEM, "ref linear");
        for (int64_t r = 0; st == IA_OK && r < m; r++)
            for (int64_t j = 0; j < nout; j++) {
                double acc = bias ? bias[j] : 0.0;
                for (int64_t p = 0; p < k; p++) acc += (double)x[r * k + p] * wf[j * k + p];
                y[r * nout + j] = (float)acc;
            }
        free(wf);
    }
    if (st == IA_OK && n->iparam[0] != IA_ACT_NONE)
        for (int64_t i = 0; i < m * nout; i++) y[i] = activate(n->iparam[0], y[i]);
    free(bias);
    return st;
}

static ia_status op_norm(ia_node *n, const ins *in, float *y) {
    int64_t rows = ia_tensor_rows(n->src[0]), cols = ia_tensor_cols(n->src[0]);
    const float *g = in->v[1], *b = in->v[2], *res = in->v[3];
    float eps = n->fparam[0];
    if ((n->src[1] && ia_tensor_nelem(n->src[1]) != cols) || (n->src[2] && ia_tensor_nelem(n->src[2]) != cols) ||
        (n->src[3] && !ia_tensor_same_shape(n->src[3], n->src[0])))
        return bad(n, "widths do not match");
    for (int64_t r = 0; r < rows; r++) {
        const float *x = in->v[0] + r * cols;
        double mean = 0, var = 0;
        float *o = y + r * cols;
        for (int64_t i = 0; i < cols; i++) o[i] = x[i] + (res ? res[r * cols + i] : 0.0f);
        if (n->op == IA_OP_LAYER_NORM) {
            for (int64_t i = 0; i < cols; i++) mean += o[i];
            mean /= (double)cols;
        }
        for (int64_t i = 0; i < cols; i++) var += (o[i] - mean) * (o[i] - mean);
        var /= (double)cols;
        for (int64_t i = 0; i < cols; i++) {
            double v = (o[i] - mean) / sqrt(var + eps);
            o[i] = (float)(v * (g ? g[i] : 1.0f) + (b ? b[i] : 0.0f));
        }
    }
    return IA_OK;
}

static ia_status op_rope(ia_node *n, const float *x, float *y) {
    const ia_tensor *pos = n->src[1];
    int64_t T = ia_tensor_rows(n->src[0]), cols = ia_tensor_cols(n->src[0]);
    int mode = n->iparam[0], nrot = n->iparam[1], D = n->iparam[2];
    double base = n->fparam[0], scale = n->fparam[1];
    if (D < 2 || cols % D || nrot < 2 || nrot > D || nrot % 2 || ia_tensor_nelem(pos) != T ||
        pos->dtype != IA_DTYPE_I32 || (mode != IA_ROPE_NORMAL && mode != IA_ROPE_NEOX))
        return bad(n, "bad parameters");
    memcpy(y, x, (size_t)(T * cols) * sizeof *y);
    for (int64_t t = 0; t < T; t++) {
        double p = ((const int32_t *)pos->data)[t] * scale;
        for (int64_t h = 0; h < cols / D; h++) {
            float *v = y + t * cols + h * D;
            for (int i = 0; i < nrot / 2; i++) {
                double theta = p * pow(base, -2.0 * i / nrot), c = cos(theta), s = sin(theta);
                int a = mode == IA_ROPE_NEOX ? i : 2 * i, b = mode == IA_ROPE_NEOX ? i + nrot / 2 : 2 * i + 1;
                double x0 = v[a], x1 = v[b];
                v[a] = (float)(x0 * c - x1 * s);
                v[b] = (float)(x0 * s + x1 * c);
            }
        }
    }
    return IA_OK;
}

static ia_status op_attention(ia_node *n, const ins *in, float *y) {
    const ia_tensor *Q = n->src[0], *K = n->src[1], *V = n->src[2], *M = n->src[3];
    int64_t Tq = ia_tensor_rows(Q), Tk = ia_tensor_rows(K);
    int Hq = n->iparam[0], Hkv = n->iparam[1], causal = n->iparam[2] & IA_ATTN_CAUSAL;
    int64_t D, Dv;
    const int32_t *offs = NULL;
    int64_t mask_heads = 0;
    double *sc;
    if (Hq < 1 || Hkv < 1 || Hq % Hkv || ia_tensor_cols(Q) % Hq || ia_tensor_cols(V) % Hkv || ia_tensor_rows(V) != Tk)
        return bad(n, "bad heads or shapes");
    D = ia_tensor_cols(Q) / Hq;
    Dv = ia_tensor_cols(V) / Hkv;
    if (ia_tensor_cols(K) != Hkv * D || ia_tensor_cols(n->out) != Hq * Dv) return bad(n, "bad head sizes");
    if (M && M->dtype == IA_DTYPE_I32) {
        ia_status st = check_offsets(n, M, Tq);
        if (st != IA_OK) return st;
        if (Tq != Tk) return bad(n, "packed sequences need as many keys as queries");
        offs = M->data;
    } else if (M) {
        if (ia_tensor_cols(M) != Tk || (M->ndim >= 2 && M->shape[M->ndim - 2] != Tq)) return bad(n, "mask shape");
        mask_heads = ia_tensor_nelem(M) / (Tq * Tk);
        if (mask_heads != 1 && mask_heads != Hq) return bad(n, "mask heads");
    }
    if (!(sc = malloc((size_t)(Tk ? Tk : 1) * sizeof *sc))) return ia_error(IA_ERR_NOMEM, "ref attention");
    for (int64_t i = 0; i < Tq; i++) {
        int64_t lo = 0, hi = Tk; /* keys [lo, hi) */
        if (offs) {
            int64_t s = 0;
            while (offs[s + 1] <= i) s++;
            lo = offs[s], hi = offs[s + 1];
            if (causal) hi = i + 1;
        } else if (causal) {
            hi = i + (Tk - Tq) + 1;
            if (hi > Tk) hi = Tk;
            if (hi < 0) hi = 0;
        }
        for (int h = 0; h < Hq; h++) {
            int hk = h / (Hq / Hkv);
            const float *q = in->v[0] + i * Hq * D + h * D;
            double mx = -INFINITY, sum = 0;
            float *o = y + i * Hq * Dv + h * Dv;
            for (int64_t j = lo; j < hi; j++) {
                const float *k = in->v[1] + j * Hkv * D + hk * D;
                double dot = 0;
                for (int64_t d = 0; d < D; d++) dot += (double)q[d] * k[d];
                dot *= n->fparam[0];
                if (M && !offs) dot += in->v[3][(mask_heads > 1 ? h : 0) * Tq * Tk + i * Tk + j];
                sc[j] = dot;
                if (dot > mx) mx = dot;
            }
            for (int64_t d = 0; d < Dv; d++) o[d] = 0.0f;
            if (hi <= lo || mx == -INFINITY) continue; /* sees no key */
            for (int64_t j = lo; j < hi; j++) sum += (sc[j] = exp(sc[j] - mx));
            for (int64_t d = 0; d < Dv; d++) {
                double acc = 0;
                for (int64_t j = lo; j < hi; j++) acc += sc[j] * in->v[2][j * Hkv * Dv + hk * Dv + d];
                o[d] = (float)(acc / sum);
            }
        }
    }
    free(sc);
    return IA_OK;
}

static ia_status op_pool(ia_node *n, const float *x, float *y) {
    const ia_tensor *offs = n->src[1];
    int64_t rows = ia_tensor_rows(n->src[0]), cols = ia_tensor_cols(n->src[0]), ns = ia_tensor_nelem(offs) - 1;
    const int32_t *o = offs->data;
    ia_status st = check_offsets(n, offs, rows);
    if (st != IA_OK) return st;
    for (int64_t s = 0; s < ns; s++) {
        int64_t len = o[s + 1] - o[s];
        for (int64_t c = 0; c < cols; c++) {
            double acc = 0;
            if (n->op == IA_OP_CLS_POOL) {
                if (!len) return ia_error(IA_ERR_INVALID_ARG, "cls pooling of an empty sequence");
                y[s * cols + c] = x[o[s] * cols + c];
                continue;
            }
            for (int64_t t = o[s]; t < o[s + 1]; t++) acc += x[t * cols + c];
            y[s * cols + c] = (float)(len ? acc / (double)len : 0.0);
        }
    }
    return IA_OK;
}

static ia_status op_concat(ia_node *n, const ins *in, float *y) {
    const ia_tensor *a = n->src[0], *b = n->src[1];
    int axis = n->iparam[0];
    int64_t outer = 1, ia = 1, ib = 1;
    if (axis < 0 || axis >= a->ndim || a->ndim != b->ndim) return bad(n, "bad axis");
    for (int d = 0; d < a->ndim; d++) {
        if (d != axis && a->shape[d] != b->shape[d]) return bad(n, "shapes differ off the axis");
        if (d < axis) outer *= a->shape[d];
        else ia *= a->shape[d], ib *= b->shape[d];
    }
    for (int64_t o = 0; o < outer; o++) {
        memcpy(y + o * (ia + ib), in->v[0] + o * ia, (size_t)ia * sizeof *y);
        memcpy(y + o * (ia + ib) + ia, in->v[1] + o * ib, (size_t)ib * sizeof *y);
    }
    return IA_OK;
}

static ia_status op_conv(ia_node *n, const ins *in, float *y) {
    const ia_tensor *x = n->src[0], *w = n->src[1];
    int two = n->op == IA_OP_CONV2D, sp = two ? 2 : 1;
    int64_t N = x->ndim == sp + 2 ? x->shape[0] : 1, Cin = x->shape[x->ndim - sp - 1];
    int64_t H = two ? x->shape[x->ndim - 2] : 1, W = x->shape[x->ndim - 1];
    int64_t Cout = w->shape[0], KH = two ? w->shape[2] : 1, KW = w->shape[w->ndim - 1];
    int sh = two ? n->iparam[0] : 1, sw = two ? n->iparam[1] : n->iparam[0];
    int ph = two ? n->iparam[2] : 0, pw = two ? n->iparam[3] : n->iparam[1];
    int dil = two ? 1 : (n->iparam[2] ? n->iparam[2] : 1);
    int64_t Ho = two ? (H + 2 * ph - KH) / sh + 1 : 1, Wo = (W + 2 * pw - dil * (KW - 1) - 1) / sw + 1;
    if (w->ndim != sp + 2 || w->shape[1] != Cin || sh < 1 || sw < 1 || Ho < 1 || Wo < 1 ||
        ia_tensor_nelem(n->out) != N * Cout * Ho * Wo)
        return bad(n, "shapes or parameters do not fit");
    for (int64_t b = 0; b < N; b++)
        for (int64_t co = 0; co < Cout; co++)
            for (int64_t oh = 0; oh < Ho; oh++)
                for (int64_t ow = 0; ow < Wo; ow++) {
                    double acc = in->v[2] ? in->v[2][co] : 0.0;
                    for (int64_t ci = 0; ci < Cin; ci++)
                        for (int64_t kh = 0; kh < KH; kh++)
                            for (int64_t kw = 0; kw < KW; kw++) {
                                int64_t ih = oh * sh - ph + kh, iw = ow * sw - pw + kw * dil;
                                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                                acc += (double)in->v[0][((b * Cin + ci) * H + ih) * W + iw] *
                                       in->v[1][((co * Cin + ci) * KH + kh) * KW + kw];
                            }
                    y[((b * Cout + co) * Ho + oh) * Wo + ow] = (float)acc;
                }
    return IA_OK;
}

static ia_status op_write(ia_node *n) {
    ia_tensor *dst = n->src[1];
    float *v;
    if (!ia_tensor_same_shape(n->src[0], dst)) return bad(n, "source and target shapes differ");
    if (n->src[0]->dtype == dst->dtype) return ia_host_copy(dst, n->src[0]);
    if (!(v = gather(n->src[0]))) return ia_error(IA_ERR_NOMEM, "ref write");
    store(dst, v);
    free(v);
    return IA_OK;
}

ia_status ia_ref_compute_node(ia_node *n) {
    int64_t m = ia_tensor_nelem(n->out);
    float *y;
    ins in;
    ia_status st;
    if (n->op == IA_OP_WRITE) return op_write(n);
    if (n->op == IA_OP_CONT && n->src[0]->dtype == n->out->dtype) return ia_host_copy(n->out, n->src[0]);
    if (!n->out->data) return bad(n, "output not placed in host memory");
    if (!(y = malloc((size_t)(m ? m : 1) * sizeof *y))) return ia_error(IA_ERR_NOMEM, "ref output");
    /* ids, offsets and positions are read as they are; weights of LINEAR
     * and tables of GET_ROWS by the op itself */
    switch (n->op) {
    case IA_OP_GET_ROWS: st = IA_OK; memset(&in, 0, sizeof in); break;
    case IA_OP_LINEAR: st = gather_all(n, &in, 1); break;
    case IA_OP_ADD_POSITIONS: st = gather_all(n, &in, 3); break;
    case IA_OP_ROPE:
    case IA_OP_MEAN_POOL:
    case IA_OP_CLS_POOL: st = gather_all(n, &in, 1); break;
    case IA_OP_ATTENTION: st = gather_all(n, &in, n->src[3] && n->src[3]->dtype == IA_DTYPE_I32 ? 7 : 15); break;
    default: st = gather_all(n, &in, 15);
    }
    if (st != IA_OK) {
        free(y);
        return st;
    }
    switch (n->op) {
    case IA_OP_GET_ROWS: st = op_get_rows(n, y); break;
    case IA_OP_ADD:
    case IA_OP_MUL: st = broadcast(n, in.v[0], in.v[1], y); break;
    case IA_OP_ADD_POSITIONS: {
        int64_t rows = ia_tensor_rows(n->src[0]), cols = ia_tensor_cols(n->src[0]);
        const int32_t *o = n->src[2]->data;
        st = check_offsets(n, n->src[2], rows);
        for (int64_t s = 0; st == IA_OK && s + 1 < ia_tensor_nelem(n->src[2]); s++)
            for (int64_t t = o[s]; t < o[s + 1]; t++) {
                int64_t p = t - o[s] + n->iparam[0];
                if (p < 0 || p >= ia_tensor_rows(n->src[1]) || ia_tensor_cols(n->src[1]) != cols) {
                    st = ia_error(IA_ERR_INVALID_ARG, "position %lld exceeds %lld positions", (long long)p,
                                  (long long)ia_tensor_rows(n->src[1]));
                    break;
                }
                for (int64_t c = 0; c < cols; c++) y[t * cols + c] = in.v[0][t * cols + c] + in.v[1][p * cols + c];
            }
        break;
    }
    case IA_OP_LINEAR: st = op_linear(n, in.v[0], y); break;
    case IA_OP_LAYER_NORM:
    case IA_OP_RMS_NORM: st = op_norm(n, &in, y); break;
    case IA_OP_GELU:
    case IA_OP_SILU:
        for (int64_t i = 0; i < m; i++) y[i] = n->op == IA_OP_GELU ? gelu(in.v[0][i]) : silu(in.v[0][i]);
        break;
    case IA_OP_SWIGLU:
        if (!ia_tensor_same_shape(n->src[0], n->src[1])) st = bad(n, "gate and up differ in shape");
        for (int64_t i = 0; st == IA_OK && i < m; i++) y[i] = silu(in.v[0][i]) * in.v[1][i];
        break;
    case IA_OP_SCALE:
        for (int64_t i = 0; i < m; i++) y[i] = in.v[0][i] * n->fparam[0] + n->fparam[1];
        break;
    case IA_OP_ROPE: st = op_rope(n, in.v[0], y); break;
    case IA_OP_ATTENTION: st = op_attention(n, &in, y); break;
    case IA_OP_MEAN_POOL:
    case IA_OP_CLS_POOL: st = op_pool(n, in.v[0], y); break;
    case IA_OP_L2_NORMALIZE: {
        int64_t rows = ia_tensor_rows(n->src[0]), cols = ia_tensor_cols(n->src[0]);
        for (int64_t r = 0; r < rows; r++) {
            double ss = 0;
            for (int64_t c = 0; c < cols; c++) ss += (double)in.v[0][r * cols + c] * in.v[0][r * cols + c];
            ss = 1.0 / fmax(sqrt(ss), 1e-12);
            for (int64_t c = 0; c < cols; c++) y[r * cols + c] = (float)(in.v[0][r * cols + c] * ss);
        }
        break;
    }
    case IA_OP_CONCAT: st = op_concat(n, &in, y); break;
    case IA_OP_CONT: memcpy(y, in.v[0], (size_t)m * sizeof *y); break;
    case IA_OP_CONV1D:
    case IA_OP_CONV2D: st = op_conv(n, &in, y); break;
    default: st = bad(n, "unknown op");
    }
    if (st == IA_OK) {
        if (n->out->dtype == n->src[0]->dtype && ia_dtype_is_quantized(n->out->dtype)) st = bad(n, "quantised output");
        else store(n->out, y);
    }
    free_all(&in);
    free(y);
    return st;
}

void ia_qgemm_reference(const ia_qweights *w, int m, const float *x, int ldx, const float *bias, float *y, int ldy) {
    int64_t groups = w->k / w->group;
    for (int r = 0; r < m; r++) {
        const float *xr = x + (size_t)r * (size_t)ldx;
        for (int64_t j = 0; j < w->n; j++) {
            const uint8_t *qr = w->q + (size_t)j * (size_t)w->k;
            double acc = 0.0;
            for (int64_t g = 0; g < groups; g++) {
                int64_t k0 = g * w->group;
                float amax = 0.0f, sa, inv;
                int64_t dot = 0, s = 0;
                size_t si = (size_t)j * (size_t)groups + (size_t)g;
                for (int64_t p = k0; p < k0 + w->group; p++) amax = ia_qact_amax_step(amax, xr[p]);
                ia_qact_scale(amax, &sa, &inv);
                for (int64_t p = k0; p < k0 + w->group; p++) {
                    int xq = ia_qact_code(xr[p], inv);
                    dot += (int64_t)xq * qr[p];
                    s += xq;
                }
                acc += (double)sa * ((double)w->d[si] * (double)dot + (double)w->m[si] * (double)s);
            }
            if (bias) acc += bias[j];
            y[(size_t)r * (size_t)ldy + j] = (float)acc;
        }
    }
}
