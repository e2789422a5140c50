/*
 * calibrate.c — activation statistics through the graph observer, and
 * embedding drift (contracts in calibrate.h).
 */
#include "quant/calibrate.h"

#include <stdlib.h>
#include <string.h>

#include "util/cosine.h"
#include "util/error.h"

typedef struct stats_ctx {
    ia_model *m;
    double **sumsq; /* [n_linears][k] */
    long long *rows;
} stats_ctx;

/* Runs after every node: for a linear layer, accumulates x_k^2 of its
 * input rows (still valid: the node has just read them). */
static void observe(void *ud, const ia_node *n) {
    stats_ctx *c = ud;
    if (n->op != IA_OP_LINEAR) return;
    for (int i = 0; i < c->m->n_linears; i++) {
        if (c->m->linears[i].slot != n->src[1]) continue;
        if (!n->src[0]->data || n->src[0]->dtype != IA_DTYPE_F32 || !ia_tensor_is_contiguous(n->src[0])) return;
        const float *x = n->src[0]->data;
        int64_t rows = ia_tensor_rows(n->src[0]), k = ia_tensor_cols(n->src[0]);
        double *s = c->sumsq[i];
        for (int64_t r = 0; r < rows; r++)
            for (int64_t j = 0; j < k; j++) s[j] += (double)x[r * k + j] * x[r * k + j];
        c->rows[i] += rows;
        return;
    }
}

ia_status ia_calib_embed(ia_model *m, const char *const *texts, size_t n, float *out) {
    size_t dim = (size_t)ia_model_dim(m);
    for (size_t i = 0; i < n; i += 32) {
        size_t b = n - i < 32 ? n - i : 32;
        ia_status st = ia_model_embed(m, texts + i, b, out + i * dim);
        if (st != IA_OK) return st;
    }
    return IA_OK;
}

void ia_calib_free(ia_calib *c) {
    if (!c) return;
    for (int i = 0; c->importance && i < c->n_linears; i++) free(c->importance[i]);
    free(c->importance);
    memset(c, 0, sizeof *c);
}

ia_status ia_calibrate(ia_model *m, const char *const *texts, size_t n, ia_calib *out) {
    stats_ctx c = {m, NULL, NULL};
    float *emb = NULL;
    ia_status st = IA_OK;
    memset(out, 0, sizeof *out);
    out->n_linears = m->n_linears;
    c.sumsq = calloc((size_t)m->n_linears, sizeof *c.sumsq);
    c.rows = calloc((size_t)m->n_linears, sizeof *c.rows);
    out->importance = calloc((size_t)m->n_linears, sizeof *out->importance);
    emb = malloc(n * (size_t)ia_model_dim(m) * sizeof *emb);
    if (!c.sumsq || !c.rows || !out->importance || !emb) {
        st = ia_error(IA_ERR_NOMEM, "calibration statistics");
        goto done;
    }
    for (int i = 0; i < m->n_linears; i++) {
        int64_t k = ia_tensor_cols(m->linears[i].slot);
        c.sumsq[i] = calloc((size_t)k, sizeof **c.sumsq);
        out->importance[i] = malloc((size_t)k * sizeof **out->importance);
        if (!c.sumsq[i] || !out->importance[i]) {
            st = ia_error(IA_ERR_NOMEM, "calibration statistics");
            goto done;
        }
    }
    {
        ia_session *s;
        if ((st = ia_model_own_session(m, &s)) != IA_OK) goto done;
        ia_session_set_observer(s, observe, &c);
        st = ia_calib_embed(m, texts, n, emb);
        ia_session_set_observer(s, NULL, NULL);
    }
    if (st != IA_OK) goto done;
    for (int i = 0; i < m->n_linears; i++) {
        int64_t k = ia_tensor_cols(m->linears[i].slot);
        if (c.rows[i] == 0) {
            st = ia_error(IA_ERR_INTERNAL, "calibration: layer %s never ran", m->linears[i].name);
            goto done;
        }
        for (int64_t j = 0; j < k; j++) out->importance[i][j] = (float)(c.sumsq[i][j] / (double)c.rows[i]);
    }
    out->rows = c.rows[0];
done:
    for (int i = 0; c.sumsq && i < m->n_linears; i++) free(c.sumsq[i]);
    free(c.sumsq);
    free(c.rows);
    free(emb);
    if (st != IA_OK) ia_calib_free(out);
    return st;
}

ia_status ia_calib_drift(ia_model *m, const char *const *texts, size_t n, const float *ref, double *drift) {
    size_t dim = (size_t)ia_model_dim(m);
    float *e = malloc(n * dim * sizeof *e);
    double sum = 0;
    ia_status st;
    if (!e) return ia_error(IA_ERR_NOMEM, "embeddings");
    if ((st = ia_calib_embed(m, texts, n, e)) != IA_OK) {
        free(e);
        return st;
    }
    for (size_t i = 0; i < n; i++) sum += ia_cosine(e + i * dim, ref + i * dim, (int)dim);
    free(e);
    *drift = n ? 1.0 - sum / (double)n : 0.0;
    return IA_OK;
}
