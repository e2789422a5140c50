/*
 * weights.c — how a family gets its weights, whatever file holds them:
 * model.safetensors (F32 in place, F16/BF16 converted) or model.gguf (the
 * quantisation engine's output: F32/F16 tensors, q8_0 embedding tables,
 * linear weights as q8_0 / q4_0 / q4_1 blocks or our packed codes).
 *
 * Linear weights are bound through ia_model_linear_weight, which records
 * where the family keeps each one (m->linears): the quantisation engine
 * swaps a layer's representation there to calibrate and to measure its
 * sensitivity, and a model opened with precision int8/int4/int2 has its
 * fp32 linears quantised here at load.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/gguf.h"
#include "models/model.h"
#include "quant/policy.h"
#include "quant/quantize.h"
#include "tensor/fp16.h"
#include "util/error.h"

/* A weight as the file has it, whichever format. */
typedef struct raw_weight {
    const char *name; /* full name, as stored */
    int ndim;
    const int64_t *shape;
    int type; /* ia_dtype for safetensors, ia_ggml_type for GGUF */
    int is_gguf;
    const void *data;
    size_t nbytes;
} raw_weight;

static int find_raw(const ia_model *m, const char *full, raw_weight *r) {
    memset(r, 0, sizeof *r);
    if (m->wref->gguf) {
        const ia_gguf_tensor *t = ia_gguf_find(m->wref->gguf, full);
        if (!t) return 0;
        *r = (raw_weight){t->name, t->ndim, t->shape, (int)t->type, 1, t->data, t->nbytes};
        return 1;
    }
    const ia_st_tensor *t = ia_safetensors_find(m->weights, full);
    if (!t) return 0;
    *r = (raw_weight){t->name, t->ndim, t->shape, (int)t->dtype, 0, t->data, t->nbytes};
    return 1;
}

static const char *file_name(const ia_model *m) {
    return m->wref->gguf ? "model.gguf" : "model.safetensors";
}

static ia_status own(ia_model *m, void *p) {
    void **list = realloc(m->converted, (size_t)(m->n_converted + 1) * sizeof *list);
    if (!list) return IA_ERR_NOMEM;
    m->converted = list;
    m->converted[m->n_converted++] = p;
    return IA_OK;
}

static ia_status own_qmat(ia_model *m, ia_qmat *q) {
    ia_qmat **list = realloc(m->qmats, (size_t)(m->n_qmats + 1) * sizeof *list);
    if (!list) return IA_ERR_NOMEM;
    m->qmats = list;
    m->qmats[m->n_qmats++] = q;
    return IA_OK;
}

static int shape_is(const raw_weight *r, int ndim, const int64_t *shape) {
    if (r->ndim != ndim) return 0;
    for (int i = 0; i < ndim; i++)
        if (r->shape[i] != shape[i]) return 0;
    return 1;
}

static ia_status bad_shape(const ia_model *m, const char *full, int ndim, const int64_t *shape) {
    return ia_error(IA_ERR_FORMAT, "%s: tensor '%s' has a shape that config.json does not imply "
                    "(expected %d dims, first %lld)", file_name(m), full, ndim, (long long)shape[0]);
}

/* F32 data of a raw weight: in place for F32, a converted copy (owned by
 * the model) for F16/BF16. */
static ia_status as_f32(ia_model *m, const raw_weight *r, int64_t n, const float **out) {
    int f32 = r->is_gguf ? r->type == IA_GGML_F32 : r->type == IA_DTYPE_F32;
    int f16 = r->is_gguf ? r->type == IA_GGML_F16 : r->type == IA_DTYPE_F16;
    int bf16 = !r->is_gguf && r->type == IA_DTYPE_BF16;
    if (f32) {
        *out = r->data;
        return IA_OK;
    }
    if (f16 || bf16) {
        const uint16_t *src = r->data;
        float *dst = malloc((size_t)n * sizeof *dst);
        if (!dst || own(m, dst) != IA_OK) {
            free(dst);
            return ia_error(IA_ERR_NOMEM, "converting '%s' to F32", r->name);
        }
        for (int64_t i = 0; i < n; i++) {
            uint16_t v;
            memcpy(&v, src + i, 2);
            if (f16) {
                dst[i] = ia_fp16_to_fp32(v);
            } else {
                uint32_t bits = (uint32_t)v << 16;
                memcpy(&dst[i], &bits, 4);
            }
        }
        *out = dst;
        return IA_OK;
    }
    return ia_error(IA_ERR_UNSUPPORTED, "%s: tensor '%s' is %s; this weight must be F32, F16 or BF16", file_name(m),
                    r->name, r->is_gguf ? ia_ggml_type_name((ia_ggml_type)r->type)
                                        : ia_dtype_name((ia_dtype)r->type));
}

static void fill(ia_tensor *t, ia_dtype dtype, int ndim, const int64_t *shape, const char *name, void *data) {
    memset(t, 0, sizeof *t);
    t->dtype = dtype;
    t->ndim = ndim;
    memcpy(t->shape, shape, (size_t)ndim * sizeof *shape);
    t->name = name;
    t->is_param = 1;
    t->data = data;
}

ia_status ia_model_weight(ia_model *m, const char *name, int ndim, const int64_t *shape, ia_tensor *t) {
    char full[320];
    raw_weight r;
    int64_t n = 1;
    const float *data = NULL;
    ia_status st;
    snprintf(full, sizeof full, "%s%s", m->weight_prefix, name);
    if (!find_raw(m, full, &r)) return ia_error(IA_ERR_FORMAT, "%s: missing tensor '%s'", file_name(m), full);
    if (!shape_is(&r, ndim, shape)) return bad_shape(m, full, ndim, shape);
    for (int i = 0; i < ndim; i++) n *= shape[i];
    if ((st = as_f32(m, &r, n, &data)) != IA_OK) return st;
    fill(t, IA_DTYPE_F32, ndim, shape, r.name, (void *)data);
    return IA_OK;
}

ia_status ia_model_table_weight(ia_model *m, const char *name, int64_t rows, int64_t cols, ia_tensor *t) {
    char full[320];
    raw_weight r;
    const int64_t shape[2] = {rows, cols};
    snprintf(full, sizeof full, "%s%s", m->weight_prefix, name);
    if (find_raw(m, full, &r) && r.is_gguf && r.type == IA_GGML_Q8_0) {
        if (!shape_is(&r, 2, shape)) return bad_shape(m, full, 2, shape);
        fill(t, IA_DTYPE_Q8_0, 2, shape, r.name, (void *)r.data);
        return IA_OK;
    }
    return ia_model_weight(m, name, 2, shape, t);
}

static void read_scales(const ia_gguf_tensor *t, float *out, int64_t n) {
    if (t->type == IA_GGML_F32) {
        memcpy(out, t->data, (size_t)n * sizeof *out);
        return;
    }
    for (int64_t i = 0; i < n; i++) {
        uint16_t h;
        memcpy(&h, (const uint16_t *)t->data + i, 2);
        out[i] = ia_fp16_to_fp32(h);
    }
}

/* Our own layout: `full` is I8 [n, packed row bytes], `full.scale` and
 * `full.min` F16 or F32 [n, k / group], bits and group in ia.qbits.<full> and
 * ia.qgroup.<full>. */
static ia_status read_packed_codes(ia_model *m, const raw_weight *r, const char *full, int64_t n, int64_t k,
                                   ia_qweights *q) {
    char key[400];
    int64_t bits, group;
    const ia_gguf_tensor *sc, *mn;
    ia_status st;
    snprintf(key, sizeof key, "ia.qbits.%s", full);
    if (ia_gguf_get_i64(m->wref->gguf, key, &bits) != IA_OK)
        return ia_error(IA_ERR_FORMAT, "model.gguf: I8 tensor '%s' without %s", full, key);
    snprintf(key, sizeof key, "ia.qgroup.%s", full);
    if (ia_gguf_get_i64(m->wref->gguf, key, &group) != IA_OK)
        return ia_error(IA_ERR_FORMAT, "model.gguf: I8 tensor '%s' without %s", full, key);
    if ((bits != 8 && bits != 4 && bits != 2) || group < 1 || group > k || k % group != 0)
        return ia_error(IA_ERR_FORMAT, "model.gguf: '%s': %lld bits, group %lld do not fit %lld columns", full,
                        (long long)bits, (long long)group, (long long)k);
    if (r->ndim != 2 || r->shape[0] != n || r->shape[1] != (int64_t)ia_qweights_packed_row_bytes((int)bits, k))
        return ia_error(IA_ERR_FORMAT, "model.gguf: '%s' has the wrong size for [%lld, %lld] at %lld bits", full,
                        (long long)n, (long long)k, (long long)bits);
    snprintf(key, sizeof key, "%s.scale", full);
    sc = ia_gguf_find(m->wref->gguf, key);
    snprintf(key, sizeof key, "%s.min", full);
    mn = ia_gguf_find(m->wref->gguf, key);
    if (!sc || !mn || (sc->type != IA_GGML_F32 && sc->type != IA_GGML_F16) ||
        (mn->type != IA_GGML_F32 && mn->type != IA_GGML_F16) || sc->ndim != 2 || mn->ndim != 2 ||
        sc->shape[0] != n || mn->shape[0] != n || sc->shape[1] != k / group || mn->shape[1] != k / group)
        return ia_error(IA_ERR_FORMAT, "model.gguf: '%s' needs F16/F32 '%s.scale' and '%s.min' of [%lld, %lld]", full,
                        full, full, (long long)n, (long long)(k / group));
    if ((st = ia_qweights_alloc(q, (int)bits, n, k, group)) != IA_OK) return st;
    read_scales(sc, q->d, n * (k / group));
    read_scales(mn, q->m, n * (k / group));
    for (int64_t i = 0; i < n * (k / group); i++)
        if (!(q->d[i] - q->d[i] == 0.0f) || !(q->m[i] - q->m[i] == 0.0f)) { /* NaN or Inf */
            ia_qweights_free(q);
            return ia_error(IA_ERR_FORMAT, "model.gguf: '%s': scale or min is not finite", full);
        }
    if ((st = ia_qweights_unpack_codes(r->data, q)) != IA_OK) {
        ia_qweights_free(q);
        return ia_error_prefix(st, "model.gguf: '%s'", full);
    }
    return IA_OK;
}

static ia_status record_linear(ia_model *m, const char *name, ia_tensor *t, const float *f32) {
    ia_model_linear *l = realloc(m->linears, (size_t)(m->n_linears + 1) * sizeof *l);
    if (!l) return ia_error(IA_ERR_NOMEM, "model");
    m->linears = l;
    l += m->n_linears++;
    memset(l, 0, sizeof *l);
    snprintf(l->name, sizeof l->name, "%s", name);
    l->slot = t;
    l->f32 = f32;
    return IA_OK;
}

ia_status ia_model_set_linear_qmat(ia_model *m, ia_tensor *t, const ia_qweights *q) {
    ia_qmat *p = NULL;
    ia_status st = ia_qmat_pack(q, &p);
    if (st != IA_OK) return st;
    if (own_qmat(m, p) != IA_OK) {
        ia_qmat_free(p);
        return ia_error(IA_ERR_NOMEM, "model");
    }
    t->dtype = IA_DTYPE_QMAT;
    t->data = p;
    return IA_OK;
}

void ia_model_release_linear_qmat(ia_model *m, ia_tensor *t) {
    if (t->dtype != IA_DTYPE_QMAT) return;
    for (int i = 0; i < m->n_qmats; i++)
        if (m->qmats[i] == t->data) {
            ia_qmat_free(m->qmats[i]);
            m->qmats[i] = m->qmats[--m->n_qmats];
            break;
        }
    t->data = NULL;
}

ia_status ia_model_linear_weight(ia_model *m, const char *name, int64_t n, int64_t k, ia_tensor *t) {
    char full[320];
    raw_weight r;
    const int64_t shape[2] = {n, k};
    ia_qweights q = {0};
    ia_status st;
    snprintf(full, sizeof full, "%s%s", m->weight_prefix, name);
    if (!find_raw(m, full, &r)) return ia_error(IA_ERR_FORMAT, "%s: missing tensor '%s'", file_name(m), full);
    if (r.is_gguf && (r.type == IA_GGML_Q8_0 || r.type == IA_GGML_Q4_0 || r.type == IA_GGML_Q4_1 ||
                      r.type == IA_GGML_I8)) {
        if (r.type == IA_GGML_I8) {
            st = read_packed_codes(m, &r, full, n, k, &q);
        } else {
            if (!shape_is(&r, 2, shape)) return bad_shape(m, full, 2, shape);
            st = ia_qweights_from_blocks(r.type, r.data, n, k, &q);
            if (st != IA_OK) st = ia_error_prefix(st, "model.gguf: '%s'", full);
        }
        if (st != IA_OK) return st;
        fill(t, IA_DTYPE_QMAT, 2, shape, r.name, NULL);
        st = ia_model_set_linear_qmat(m, t, &q);
        ia_qweights_free(&q);
        if (st != IA_OK) return ia_error_prefix(st, "model.gguf: '%s'", full);
        return record_linear(m, name, t, NULL);
    }
    if ((st = ia_model_weight(m, name, 2, shape, t)) != IA_OK) return st;
    if ((st = record_linear(m, name, t, t->data)) != IA_OK) return st;
    if (m->load_bits) { /* precision int8/int4/int2 asked of an fp32 model */
        ia_quant_params p = ia_quant_params_for(m->load_bits, k);
        if ((st = ia_quantize_weights(t->data, n, k, &p, &q)) != IA_OK) return st;
        st = ia_model_set_linear_qmat(m, t, &q);
        ia_qweights_free(&q);
        if (st == IA_ERR_UNSUPPORTED) { /* a shape the kernels do not take: stays fp32 */
            t->dtype = IA_DTYPE_F32;
            t->data = (void *)m->linears[m->n_linears - 1].f32;
            return IA_OK;
        }
        if (st != IA_OK) return st;
    }
    return IA_OK;
}

void ia_model_update_precision(ia_model *m) {
    int seen[33] = {0};
    size_t len = 0;
    for (int i = 0; i < m->n_linears; i++) {
        const ia_tensor *t = m->linears[i].slot;
        seen[t->dtype == IA_DTYPE_QMAT ? ia_qmat_bits(t->data) : 32] = 1;
    }
    m->precision[0] = '\0';
    for (int b = 2; b <= 32; b++) { /* narrowest first: "int2+int4+fp32" */
        if (!seen[b]) continue;
        len += (size_t)snprintf(m->precision + len, sizeof m->precision - len, "%s%s%d", len ? "+" : "",
                                b == 32 ? "fp" : "int", b);
        if (len >= sizeof m->precision) break;
    }
    if (!m->precision[0]) snprintf(m->precision, sizeof m->precision, "fp32");
}
