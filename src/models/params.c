/*
 * params.c — ia_model_parameter_count: how many parameters a model has,
 * read from its weights file's tensor table (nothing is computed).
 *
 * Counted as transformers' num_parameters() counts a checkpoint: every
 * tensor that holds weights, at its logical shape, whether the family runs
 * it or not (a BERT pooler counts); integer buffers (BERT's position_ids)
 * are not parameters. A quantised file has its original's count: a ggml
 * block type's shape is already the logical one, and our packed codes
 * (weights.c: `name` I8 [n, packed row bytes] with ia.qbits.<name>) count
 * n x k, while their `.scale` / `.min` companions count as nothing, as a
 * q8_0 block's scale does.
 */
#include <stdio.h>
#include <string.h>

#include "models/model.h"

static int64_t elems(const int64_t *shape, int ndim) {
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) n *= shape[i];
    return n;
}

/* 1 when `name` is the scale or min of packed codes (`base.scale` with an
 * ia.qbits.base key). */
static int packed_companion(const ia_gguf *g, const char *name) {
    const char *dot = strrchr(name, '.');
    char key[400];
    int64_t bits;
    if (!dot || (strcmp(dot, ".scale") != 0 && strcmp(dot, ".min") != 0)) return 0;
    if (snprintf(key, sizeof key, "ia.qbits.%.*s", (int)(dot - name), name) >= (int)sizeof key) return 0;
    return ia_gguf_get_i64(g, key, &bits) == IA_OK;
}

/* k of packed codes [n, row bytes]: groups per row (the `.scale`
 * tensor's columns) x ia.qgroup; else the row's bytes x 8 / bits (a row is
 * zero-padded to a byte, which k a multiple of 32 never needs). */
static int64_t packed_columns(const ia_gguf *g, const ia_gguf_tensor *t, int64_t bits) {
    char key[400];
    int64_t group;
    const ia_gguf_tensor *sc;
    if (snprintf(key, sizeof key, "ia.qgroup.%s", t->name) < (int)sizeof key && ia_gguf_get_i64(g, key, &group) == IA_OK &&
        snprintf(key, sizeof key, "%s.scale", t->name) < (int)sizeof key && (sc = ia_gguf_find(g, key)) != NULL &&
        sc->ndim == 2 && group > 0)
        return sc->shape[1] * group;
    return t->shape[1] * 8 / bits;
}

static int64_t count_gguf(const ia_gguf *g) {
    int64_t total = 0;
    for (size_t i = 0; i < ia_gguf_tensor_count(g); i++) {
        const ia_gguf_tensor *t = ia_gguf_tensor_at(g, i);
        int dt = ia_dtype_of_ggml_type(t->type);
        char key[400];
        int64_t bits;
        if (dt == IA_DTYPE_I8) {
            if (t->ndim == 2 && snprintf(key, sizeof key, "ia.qbits.%s", t->name) < (int)sizeof key &&
                ia_gguf_get_i64(g, key, &bits) == IA_OK && (bits == 8 || bits == 4 || bits == 2))
                total += t->shape[0] * packed_columns(g, t, bits);
            continue;
        }
        if (dt < 0 || dt == IA_DTYPE_I32 || dt == IA_DTYPE_I64 || dt == IA_DTYPE_U8) continue;
        if (packed_companion(g, t->name)) continue;
        total += elems(t->shape, t->ndim);
    }
    return total;
}

static int64_t count_safetensors(const ia_safetensors *st) {
    int64_t total = 0;
    for (size_t i = 0; i < ia_safetensors_count(st); i++) {
        const ia_st_tensor *t = ia_safetensors_at(st, i);
        if (t->dtype == IA_DTYPE_F32 || t->dtype == IA_DTYPE_F16 || t->dtype == IA_DTYPE_BF16)
            total += elems(t->shape, t->ndim);
    }
    return total;
}

int64_t ia_model_parameter_count(const ia_model *m) {
    if (!m || !m->wref) return 0;
    if (m->wref->gguf) return count_gguf(m->wref->gguf);
    if (m->wref->st) return count_safetensors(m->wref->st);
    return 0;
}
