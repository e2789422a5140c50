/*
 * io.c — named inputs and outputs of ia_session_run, checked the same way
 * for every family.
 */
#include <stdio.h>
#include <string.h>

#include "models/model.h"
#include "util/error.h"

const ia_io *ia_io_find(const ia_io *in, size_t n, const char *name) {
    for (size_t i = 0; i < n; i++)
        if (in[i].name && strcmp(in[i].name, name) == 0) return &in[i];
    return NULL;
}

ia_status ia_io_check(const ia_io *io, ia_io_dtype dtype, int ndim) {
    if (io->dtype != dtype)
        return ia_error(IA_ERR_INVALID_ARG, "input %s must be %s", io->name, dtype == IA_IO_F32 ? "F32" : "I32");
    if (io->ndim != ndim) return ia_error(IA_ERR_INVALID_ARG, "input %s must have %d dims, not %d", io->name, ndim, io->ndim);
    if (!io->data) return ia_error(IA_ERR_INVALID_ARG, "input %s has no data", io->name);
    for (int i = 0; i < ndim; i++)
        if (io->shape[i] < 1 || io->shape[i] > (1 << 24))
            return ia_error(IA_ERR_INVALID_ARG, "input %s: dim %d is %lld", io->name, i, (long long)io->shape[i]);
    return IA_OK;
}

ia_status ia_io_put(ia_session *s, ia_io *out, size_t n_out, const char *name, const ia_tensor *t, int ndim,
                    const int64_t *shape) {
    for (size_t i = 0; i < n_out; i++) {
        size_t need = (size_t)ia_tensor_nelem(t) * sizeof(float);
        ia_status st;
        if (!out[i].name || strcmp(out[i].name, name) != 0) continue;
        out[i].dtype = IA_IO_F32;
        out[i].ndim = ndim;
        for (int d = 0; d < 4; d++) out[i].shape[d] = d < ndim ? shape[d] : 0;
        if (!out[i].data || out[i].capacity < need)
            return ia_error(IA_ERR_INVALID_ARG, "output %s needs %zu bytes (capacity %zu)", name, need, out[i].capacity);
        if ((st = ia_session_read(s, t, out[i].data, (size_t)ia_tensor_nelem(t))) != IA_OK) return st;
    }
    return IA_OK;
}

ia_status ia_io_known(const ia_io *out, size_t n_out, const char *const *names, const char *graph) {
    for (size_t i = 0; i < n_out; i++) {
        int ok = 0;
        for (int k = 0; names[k] && !ok; k++) ok = out[i].name && strcmp(out[i].name, names[k]) == 0;
        if (!ok) return ia_error(IA_ERR_INVALID_ARG, "graph %s has no output named %s", graph, out[i].name ? out[i].name : "(null)");
    }
    return IA_OK;
}
