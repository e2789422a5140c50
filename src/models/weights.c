/*
 * weights.c — how a family gets its weights, whatever file holds them:
 * model.safetensors (F32, F16, BF16, used in place) or model.gguf (F32/F16
 * tensors, ggml's q8_0 / q4_0 / q4_1 blocks in place, and our packed codes
 * with separate scale and min tensors, converted once to QA blocks).
 *
 * A weight is a tensor over the file's bytes in the file's dtype; the
 * model's executor then prepares it for its kernels (ia_model_prepare_
 * weights: the CPU converts F16 to F32 and packs quantised matrices), so
 * another executor (ref, a GPU) can still read the original.
 *
 * Linear weights are bound through ia_model_linear_weight, which records
 * where the family keeps each one (m->linears): the quantisation engine
 * swaps a layer's representation there to calibrate, to measure its
 * sensitivity, and to quantise a model at load.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/gguf.h"
#include "formats/gguf_config.h"
#include "models/model.h"
#include "tensor/blocks.h"
#include "tensor/fp16.h"
#include "util/error.h"
#include "util/threadpool.h"

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
        char gname[200];
        const ia_gguf_tensor *t = NULL;
        /* llama.cpp's files name tensors blk.N.*: the family's HF name is
         * translated, then looked up */
        if (m->gguf_arch[0] && ia_gguf_name_from_hf(m->gguf_arch, full, gname, sizeof gname))
            t = ia_gguf_find(m->wref->gguf, gname);
        if (!t) t = ia_gguf_find(m->wref->gguf, full);
        if (!t) return 0;
        *r = (raw_weight){t->name, t->ndim, t->shape, (int)t->type, 1, t->data, t->nbytes};
        return 1;
    }
    {
        const ia_st_tensor *t = ia_safetensors_find(m->weights, full);
        if (!t) return 0;
        *r = (raw_weight){t->name, t->ndim, t->shape, (int)t->dtype, 0, t->data, t->nbytes};
    }
    return 1;
}

static const char *file_name(const ia_model *m) { return m->wref->gguf ? "model.gguf" : "model.safetensors"; }

static ia_status own(ia_model *m, void *p) {
    void **list = realloc(m->owned, (size_t)(m->n_owned + 1) * sizeof *list);
    if (!list) return ia_error(IA_ERR_NOMEM, "model");
    m->owned = list;
    m->owned[m->n_owned++] = p;
    return IA_OK;
}

static ia_status add_param(ia_model *m, ia_tensor *t) {
    if (m->n_params == m->cap_params) {
        int cap = m->cap_params ? 2 * m->cap_params : 64;
        ia_tensor **p = realloc(m->params, (size_t)cap * sizeof *p);
        if (!p) return ia_error(IA_ERR_NOMEM, "model");
        m->params = p;
        m->cap_params = cap;
    }
    m->params[m->n_params++] = t;
    return IA_OK;
}

static int shape_is(const raw_weight *r, int ndim, const int64_t *shape) {
    if (r->ndim != ndim) return 0;
    for (int i = 0; i < ndim; i++)
        if (r->shape[i] != shape[i]) return 0;
    return 1;
}

static ia_status bad_shape(const ia_model *m, const raw_weight *r, int ndim, const int64_t *shape) {
    char want[96] = "", have[96] = "";
    size_t a = 0, b = 0;
    for (int i = 0; i < ndim && a < sizeof want; i++)
        a += (size_t)snprintf(want + a, sizeof want - a, "%s%lld", i ? ", " : "", (long long)shape[i]);
    for (int i = 0; i < r->ndim && b < sizeof have; i++)
        b += (size_t)snprintf(have + b, sizeof have - b, "%s%lld", i ? ", " : "", (long long)r->shape[i]);
    return ia_error(IA_ERR_FORMAT, "%s: tensor '%s' is [%s] but config.json implies [%s]", file_name(m), r->name, have,
                    want);
}

/* The dtype a raw weight is read as; -1 when the format has no use here. */
static int dtype_of(const raw_weight *r) {
    if (!r->is_gguf)
        return r->type == IA_DTYPE_F32 || r->type == IA_DTYPE_F16 || r->type == IA_DTYPE_BF16 ? r->type : -1;
    {
        int dt = ia_dtype_of_ggml_type((ia_ggml_type)r->type);
        return dt == IA_DTYPE_I8 || dt == IA_DTYPE_I32 ? -1 : dt;
    }
}

/* *t ← a tensor over the file's bytes. */
static void over_file(ia_tensor *t, ia_dtype dtype, int ndim, const int64_t *shape, const raw_weight *r, int use) {
    ia_tensor_init(t, dtype, ndim, shape, 0);
    t->data = (void *)r->data;
    t->name = r->name;
    t->flags = IA_TENSOR_PARAM;
    t->use = use;
}

static ia_status bind(ia_model *m, const char *name, int ndim, const int64_t *shape, ia_tensor *t, int use,
                      int allow_quant, int *found) {
    char full[320];
    raw_weight r;
    int dt;
    snprintf(full, sizeof full, "%s%s", m->weight_prefix, name);
    if (!find_raw(m, full, &r)) {
        if (found) {
            *found = 0;
            return IA_OK;
        }
        return ia_error(IA_ERR_FORMAT, "%s: missing tensor '%s'", file_name(m), full);
    }
    if (found) *found = 1;
    if (!shape_is(&r, ndim, shape)) return bad_shape(m, &r, ndim, shape);
    dt = dtype_of(&r);
    if (dt < 0 || (ia_dtype_is_quantized((ia_dtype)dt) && !allow_quant))
        return ia_error(IA_ERR_UNSUPPORTED, "%s: tensor '%s' is %s; this weight must be F32, F16 or BF16", file_name(m),
                        r.name, r.is_gguf ? ia_ggml_type_name((ia_ggml_type)r.type) : ia_dtype_name((ia_dtype)r.type));
    if (ia_dtype_is_quantized((ia_dtype)dt) && shape[ndim - 1] % ia_dtype_block_elems((ia_dtype)dt, 0))
        return ia_error(IA_ERR_FORMAT, "%s: '%s' has %lld columns, not whole blocks of %lld", file_name(m), r.name,
                        (long long)shape[ndim - 1], (long long)ia_dtype_block_elems((ia_dtype)dt, 0));
    over_file(t, (ia_dtype)dt, ndim, shape, &r, use);
    return add_param(m, t);
}

ia_status ia_model_weight(ia_model *m, const char *name, int ndim, const int64_t *shape, ia_tensor *t) {
    return bind(m, name, ndim, shape, t, IA_USE_OTHER, 0, NULL);
}

ia_status ia_model_weight_opt(ia_model *m, const char *name, int ndim, const int64_t *shape, ia_tensor *t,
                              int *found) {
    return bind(m, name, ndim, shape, t, IA_USE_OTHER, 0, found);
}

ia_status ia_model_table_weight(ia_model *m, const char *name, int64_t rows, int64_t cols, ia_tensor *t) {
    const int64_t shape[2] = {rows, cols};
    return bind(m, name, 2, shape, t, IA_USE_TABLE, 1, NULL);
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

/* *t ← a QA tensor over a copy of q this model owns. */
static ia_status qa_tensor(ia_model *m, const ia_qweights *q, const char *name, ia_tensor *t, void **owned) {
    ia_dtype dt = ia_qweights_qa_dtype(q);
    size_t bytes = ia_qweights_dtype_bytes(q, dt);
    const int64_t shape[2] = {q->n, q->k};
    void *data;
    ia_status st;
    if (!bytes) return ia_error(IA_ERR_UNSUPPORTED, "%s: %d-bit codes in groups of %lld", name, q->bits, (long long)q->group);
    if (!(data = malloc(bytes))) return ia_error(IA_ERR_NOMEM, "%s: %zu bytes", name, bytes);
    if ((st = ia_qweights_to_dtype(q, dt, data)) != IA_OK) {
        free(data);
        return st;
    }
    ia_tensor_init(t, dt, 2, shape, q->group);
    t->data = data;
    t->name = name;
    t->flags = IA_TENSOR_PARAM;
    t->use = IA_USE_MATMUL;
    *owned = data;
    return IA_OK;
}

static ia_status record_linear(ia_model *m, const char *name, ia_tensor *t) {
    ia_model_linear *l = realloc(m->linears, (size_t)(m->n_linears + 1) * sizeof *l);
    if (!l) return ia_error(IA_ERR_NOMEM, "model");
    m->linears = l;
    l += m->n_linears++;
    memset(l, 0, sizeof *l);
    snprintf(l->name, sizeof l->name, "%s", name);
    l->slot = t;
    l->file = *t;
    return IA_OK;
}

ia_status ia_model_linear_weight(ia_model *m, const char *name, int64_t n, int64_t k, ia_tensor *t) {
    char full[320];
    raw_weight r;
    const int64_t shape[2] = {n, k};
    ia_status st;
    snprintf(full, sizeof full, "%s%s", m->weight_prefix, name);
    if (!find_raw(m, full, &r)) return ia_error(IA_ERR_FORMAT, "%s: missing tensor '%s'", file_name(m), full);
    if (r.is_gguf && r.type == IA_GGML_I8) { /* our packed codes */
        ia_qweights q = {0};
        void *owned = NULL;
        if ((st = read_packed_codes(m, &r, full, n, k, &q)) != IA_OK) return st;
        st = qa_tensor(m, &q, r.name, t, &owned);
        ia_qweights_free(&q);
        if (st != IA_OK) return ia_error_prefix(st, "model.gguf");
        if ((st = own(m, owned)) != IA_OK) {
            free(owned);
            return st;
        }
        if ((st = add_param(m, t)) != IA_OK) return st;
        return record_linear(m, name, t);
    }
    if ((st = bind(m, name, 2, shape, t, IA_USE_MATMUL, 1, NULL)) != IA_OK) return st;
    return record_linear(m, name, t);
}

typedef struct prepare_job {
    ia_model *m;
    ia_status *st;
} prepare_job;

static void prepare_task(void *ctx, int i, int thread) {
    prepare_job *j = ctx;
    (void)thread;
    j->st[i] = ia_prepared_acquire(j->m->wref->prepared, j->m->exec, j->m->params[i]);
}

ia_status ia_model_prepare_weights(ia_model *m) {
    const ia_mapped_file *map = m->wref->gguf ? ia_gguf_mapping(m->wref->gguf) : ia_safetensors_mapping(m->weights);
    ia_pool *pool = ia_pool_global();
    prepare_job j = {m, NULL};
    ia_status st = IA_OK;
    if (!m->exec->iface->prepare_weight || m->n_params == 0) return IA_OK;
    /* Packing is most of a quantised model's load time: the weights are
     * prepared in parallel, one task per tensor. */
    if (!(j.st = malloc((size_t)m->n_params * sizeof *j.st))) return ia_error(IA_ERR_NOMEM, "preparing weights");
    /* as many threads as the model may use (its profile's), not the whole pool */
    ia_pool_run_n(pool, m->n_params, m->threads > 0 ? m->threads : ia_pool_size(pool), prepare_task, &j);
    for (int i = 0; i < m->n_params && st == IA_OK; i++) {
        ia_tensor *t = m->params[i];
        if (j.st[i] != IA_OK) /* again here, for the message (errors are per thread) */
            st = ia_prepared_acquire(m->wref->prepared, m->exec, t);
        if (st != IA_OK) st = ia_error_prefix(st, "preparing %s", t->name ? t->name : "?");
        /* the executor reads its own copy from now on: the file's pages of
         * this weight may leave memory (they come back if anything else
         * reads them — the ref executor, the quantisation engine) */
        else if (t->extra) ia_mapped_file_release(map, t->data, ia_tensor_nbytes(t));
    }
    free(j.st);
    return st;
}

static void release(ia_model *m, ia_tensor *t) {
    if (m->exec) ia_prepared_release(m->wref->prepared, m->exec, t);
}

static ia_status reprepare(ia_model *m, ia_tensor *t) {
    return m->exec ? ia_prepared_acquire(m->wref->prepared, m->exec, t) : IA_OK;
}

ia_status ia_model_set_linear(ia_model *m, int i, const ia_qweights *q) {
    ia_model_linear *l = &m->linears[i];
    ia_tensor t;
    void *owned = NULL;
    ia_status st;
    if (q->n != l->file.shape[0] || q->k != l->file.shape[1])
        return ia_error(IA_ERR_INVALID_ARG, "%s: codes of %lld x %lld for a [%lld, %lld] weight", l->name,
                        (long long)q->n, (long long)q->k, (long long)l->file.shape[0], (long long)l->file.shape[1]);
    if ((st = qa_tensor(m, q, l->file.name, &t, &owned)) != IA_OK) return st;
    release(m, l->slot);
    free(l->owned);
    *l->slot = t;
    l->owned = owned;
    if ((st = reprepare(m, l->slot)) != IA_OK) {
        ia_model_reset_linear(m, i);
        return st;
    }
    return IA_OK;
}

ia_status ia_model_reset_linear(ia_model *m, int i) {
    ia_model_linear *l = &m->linears[i];
    release(m, l->slot);
    free(l->owned);
    l->owned = NULL;
    *l->slot = l->file;
    l->slot->extra = NULL;
    return reprepare(m, l->slot);
}

const float *ia_model_linear_f32(ia_model *m, int i) {
    ia_model_linear *l = &m->linears[i];
    const ia_tensor *f = &l->file;
    int64_t rows = f->shape[0], cols = f->shape[1];
    if (f->dtype == IA_DTYPE_F32) return f->data;
    if (l->f32) return l->f32;
    if (!ia_dtype_is_quantized(f->dtype) && f->dtype != IA_DTYPE_F16 && f->dtype != IA_DTYPE_BF16) {
        ia_error(IA_ERR_INVALID_ARG, "%s is stored as %s, not as numbers of a weight", l->name,
                 ia_dtype_name(f->dtype));
        return NULL;
    }
    if (!(l->f32 = malloc((size_t)(rows * cols) * sizeof *l->f32)) || own(m, l->f32) != IA_OK) {
        free(l->f32);
        l->f32 = NULL;
        ia_error(IA_ERR_NOMEM, "converting %s to F32", l->name);
        return NULL;
    }
    for (int64_t r = 0; r < rows; r++)
        ia_dtype_row_to_f32(f->dtype, f->qgroup, (const char *)f->data + r * f->stride[0], l->f32 + r * cols, cols);
    return l->f32;
}

ia_status ia_model_dequantize_linears(ia_model *m) {
    for (int i = 0; i < m->n_linears; i++) {
        ia_model_linear *l = &m->linears[i];
        const float *w;
        ia_tensor t;
        ia_status st;
        if (!ia_dtype_is_quantized(l->file.dtype)) continue;
        if (!(w = ia_model_linear_f32(m, i))) return ia_error_prefix(IA_ERR_NOMEM, "dequantising");
        ia_tensor_init(&t, IA_DTYPE_F32, 2, l->file.shape, 0);
        t.data = (void *)w;
        t.name = l->file.name;
        t.flags = IA_TENSOR_PARAM;
        t.use = IA_USE_MATMUL;
        release(m, l->slot);
        free(l->owned);
        l->owned = NULL;
        *l->slot = t;
        if ((st = reprepare(m, l->slot)) != IA_OK) return st;
    }
    ia_model_update_precision(m);
    return IA_OK;
}

void ia_model_update_precision(ia_model *m) {
    int seen[33] = {0};
    size_t len = 0;
    for (int i = 0; i < m->n_linears; i++) {
        int b = ia_dtype_bits(m->linears[i].slot->dtype);
        seen[b ? b : 32] = 1;
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
