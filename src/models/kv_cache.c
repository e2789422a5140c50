/*
 * kv_cache.c — a decoder session's memory of past tokens: per layer one K
 * and one V matrix [n_ctx, dim] in a state buffer of the session's
 * device, filled row by row as tokens are decoded.
 *
 * New rows go in through WRITE nodes of the step's graph, and attention
 * reads a view of rows [0, used + n) taken from the WRITE's output, so the
 * graph itself orders the write before the read. Rows count as used only
 * once the step has run (commit): a failed step leaves the cache as it
 * was. One sequence per session; several sequences sharing a cache (cells
 * with sequence sets, as llama.cpp has) come with batched serving.
 */
#include <stdlib.h>
#include <string.h>

#include "models/model.h"
#include "util/error.h"

struct ia_kv_cache {
    int n_layers, n_ctx, used;
    int64_t k_dim, v_dim;
    ia_buffer *buf;
    ia_tensor *k, *v; /* [n_layers] */
};

void ia_kv_cache_free(ia_kv_cache *kv) {
    if (!kv) return;
    ia_buffer_free(kv->buf);
    free(kv->k);
    free(kv->v);
    free(kv);
}

static void place(ia_tensor *t, ia_buffer *buf, size_t offset, int64_t rows, int64_t cols, const char *name) {
    const int64_t shape[2] = {rows, cols};
    ia_tensor_init(t, IA_DTYPE_F32, 2, shape, 0);
    t->buffer = buf;
    t->offset = offset;
    t->data = buf->host ? (char *)buf->base + offset : NULL;
    t->flags = IA_TENSOR_STATE;
    t->name = name;
}

ia_status ia_kv_cache_create(ia_session *s, int n_layers, int n_ctx, int64_t k_dim, int64_t v_dim, ia_kv_cache **out) {
    ia_kv_cache *kv;
    size_t k_bytes, v_bytes, total;
    ia_backend *dev = s->exec[0];
    ia_status st;
    *out = NULL;
    if (n_layers < 1 || n_ctx < 1 || k_dim < 1 || v_dim < 1)
        return ia_error(IA_ERR_INVALID_ARG, "KV cache: %d layers of %d x (%lld, %lld)", n_layers, n_ctx,
                        (long long)k_dim, (long long)v_dim);
    k_bytes = (size_t)n_ctx * (size_t)k_dim * sizeof(float);
    v_bytes = (size_t)n_ctx * (size_t)v_dim * sizeof(float);
    total = (size_t)n_layers * (k_bytes + v_bytes);
    if (!(kv = calloc(1, sizeof *kv))) return ia_error(IA_ERR_NOMEM, "KV cache");
    kv->n_layers = n_layers;
    kv->n_ctx = n_ctx;
    kv->k_dim = k_dim;
    kv->v_dim = v_dim;
    kv->k = calloc((size_t)n_layers, sizeof *kv->k);
    kv->v = calloc((size_t)n_layers, sizeof *kv->v);
    if (!kv->k || !kv->v) {
        ia_kv_cache_free(kv);
        return ia_error(IA_ERR_NOMEM, "KV cache");
    }
    if ((st = dev->iface->buffer_alloc(dev, total, IA_BUFFER_STATE, &kv->buf)) != IA_OK) {
        ia_kv_cache_free(kv);
        return ia_error_prefix(st, "KV cache of %zu bytes", total);
    }
    for (int l = 0; l < n_layers; l++) {
        size_t base = (size_t)l * (k_bytes + v_bytes);
        place(&kv->k[l], kv->buf, base, n_ctx, k_dim, "k_cache");
        place(&kv->v[l], kv->buf, base + k_bytes, n_ctx, v_dim, "v_cache");
    }
    *out = kv;
    return IA_OK;
}

int ia_kv_cache_used(const ia_kv_cache *kv) { return kv->used; }
int ia_kv_cache_capacity(const ia_kv_cache *kv) { return kv->n_ctx; }
void ia_kv_cache_clear(ia_kv_cache *kv) { kv->used = 0; }
void ia_kv_cache_truncate(ia_kv_cache *kv, int n) {
    if (n >= 0 && n < kv->used) kv->used = n; /* rows past n are overwritten by the next store */
}
size_t ia_kv_cache_bytes(const ia_kv_cache *kv) {
    return (size_t)kv->n_layers * (size_t)kv->n_ctx * (size_t)(kv->k_dim + kv->v_dim) * sizeof(float);
}

void ia_kv_cache_commit(ia_kv_cache *kv, int n) {
    kv->used += n;
    if (kv->used > kv->n_ctx) kv->used = kv->n_ctx;
}

ia_status ia_kv_cache_store(ia_kv_cache *kv, ia_graph *g, int layer, ia_tensor *k_new, ia_tensor *v_new,
                            ia_tensor **k_all, ia_tensor **v_all) {
    int64_t n = ia_tensor_rows(k_new);
    ia_tensor *kw, *vw, *kdst, *vdst;
    if (layer < 0 || layer >= kv->n_layers || ia_tensor_cols(k_new) != kv->k_dim || ia_tensor_cols(v_new) != kv->v_dim ||
        ia_tensor_rows(v_new) != n || kv->used + n > kv->n_ctx)
        return ia_error(IA_ERR_INTERNAL, "KV cache: layer %d, %lld rows at %d do not fit", layer, (long long)n, kv->used);
    if (!(kdst = ia_graph_slice(g, &kv->k[layer], 0, kv->used, n)) || !(vdst = ia_graph_slice(g, &kv->v[layer], 0, kv->used, n)))
        return IA_ERR_INTERNAL;
    if (!(kw = ia_graph_write(g, k_new, kdst)) || !(vw = ia_graph_write(g, v_new, vdst))) return IA_ERR_NOMEM;
    if (!(*k_all = ia_graph_slice(g, kw, 0, 0, kv->used + n)) || !(*v_all = ia_graph_slice(g, vw, 0, 0, kv->used + n)))
        return IA_ERR_INTERNAL;
    return IA_OK;
}
