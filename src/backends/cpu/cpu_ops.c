/*
 * cpu_ops.c — row-wise ops of the CPU backend: gather, add, linear, layer
 * norm, GELU, pooling, L2 normalisation. Attention is in cpu_attention.c.
 *
 * Row ops split their rows into chunks of ROWS_PER_TASK so that a 10-token
 * batch still gives every thread work while a 4096-row batch does not pay
 * a task per row.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backends/cpu/cpu_ops.h"
#include "backends/cpu/gemm.h"
#include "quant/blocks.h"
#include "util/error.h"

#define ROWS_PER_TASK 16

typedef struct row_job {
    ia_cpu_ctx *c;
    ia_node *n;
    int64_t rows;
} row_job;

static int n_row_tasks(int64_t rows) { return (int)((rows + ROWS_PER_TASK - 1) / ROWS_PER_TASK); }

#define ROW_RANGE(task, rows, r0, r1)                                        \
    int64_t r0 = (int64_t)(task) * ROWS_PER_TASK;                            \
    int64_t r1 = r0 + ROWS_PER_TASK < (rows) ? r0 + ROWS_PER_TASK : (rows)

ia_status ia_cpu_check_offsets(const ia_tensor *offs, int64_t rows) {
    const int32_t *o = offs->data;
    int64_t n = ia_tensor_nelem(offs);
    if (offs->dtype != IA_DTYPE_I32 || n < 2 || o[0] != 0 || o[n - 1] != rows)
        return ia_error(IA_ERR_INTERNAL, "sequence offsets do not cover %lld rows", (long long)rows);
    for (int64_t i = 1; i < n; i++)
        if (o[i] < o[i - 1]) return ia_error(IA_ERR_INTERNAL, "sequence offsets decrease");
    return IA_OK;
}

/* ---- get_rows ---- */

static void get_rows_task(void *ctx, int task, int thread) {
    row_job *j = ctx;
    const ia_tensor *table = j->n->src[0];
    const int32_t *ids = j->n->src[1]->data;
    int64_t cols = ia_tensor_cols(table);
    ROW_RANGE(task, j->rows, r0, r1);
    if (table->dtype == IA_DTYPE_Q8_0) { /* quantised table: dequantise the rows gathered */
        for (int64_t r = r0; r < r1; r++)
            ia_dequantize_q8_0((const ia_block_q8_0 *)table->data + (int64_t)ids[r] * (cols / IA_QK),
                               (float *)j->n->out->data + r * cols, cols);
        return;
    }
    for (int64_t r = r0; r < r1; r++)
        memcpy((float *)j->n->out->data + r * cols, (const float *)table->data + (int64_t)ids[r] * cols,
               (size_t)cols * sizeof(float));
}

ia_status ia_cpu_get_rows(ia_cpu_ctx *c, ia_node *n) {
    const int32_t *ids = n->src[1]->data;
    int64_t rows = ia_tensor_nelem(n->src[1]), table_rows = ia_tensor_rows(n->src[0]);
    row_job j = {c, n, rows};
    if (n->src[0]->dtype != IA_DTYPE_F32 &&
        !(n->src[0]->dtype == IA_DTYPE_Q8_0 && ia_tensor_cols(n->src[0]) % IA_QK == 0))
        return ia_error(IA_ERR_INTERNAL, "%s: gather from %s", n->src[0]->name, ia_dtype_name(n->src[0]->dtype));
    for (int64_t i = 0; i < rows; i++)
        if (ids[i] < 0 || ids[i] >= table_rows)
            return ia_error(IA_ERR_INVALID_ARG, "%s: id %d out of range [0, %lld)",
                            n->src[0]->name, ids[i], (long long)table_rows);
    ia_pool_run(c->pool, n_row_tasks(rows), get_rows_task, &j);
    return IA_OK;
}

/* ---- add (cyclic row broadcast) and add_positions ---- */

static void add_task(void *ctx, int task, int thread) {
    row_job *j = ctx;
    const ia_tensor *a = j->n->src[0], *b = j->n->src[1];
    int64_t cols = ia_tensor_cols(a), brows = ia_tensor_rows(b);
    const int32_t *offs = j->n->src[2] ? j->n->src[2]->data : NULL;
    int64_t nseq = j->n->src[2] ? ia_tensor_nelem(j->n->src[2]) - 1 : 0, s = 0;
    ROW_RANGE(task, j->rows, r0, r1);
    for (int64_t r = r0; r < r1; r++) {
        int64_t br;
        const float *x, *y;
        float *o = (float *)j->n->out->data + r * cols;
        if (offs) { /* position of row r inside its sequence */
            while (s + 1 < nseq && offs[s + 1] <= r) s++;
            br = r - offs[s];
        } else {
            br = r % brows;
        }
        x = (const float *)a->data + r * cols;
        y = (const float *)b->data + br * cols;
        for (int64_t i = 0; i < cols; i++) o[i] = x[i] + y[i];
    }
}

ia_status ia_cpu_add(ia_cpu_ctx *c, ia_node *n) {
    row_job j = {c, n, ia_tensor_rows(n->src[0])};
    if (ia_tensor_cols(n->src[1]) != ia_tensor_cols(n->src[0]) || ia_tensor_rows(n->src[1]) == 0)
        return ia_error(IA_ERR_INTERNAL, "add: shapes do not broadcast");
    ia_pool_run(c->pool, n_row_tasks(j.rows), add_task, &j);
    return IA_OK;
}

ia_status ia_cpu_add_positions(ia_cpu_ctx *c, ia_node *n) {
    row_job j = {c, n, ia_tensor_rows(n->src[0])};
    const int32_t *o = n->src[2]->data;
    int64_t nseq = ia_tensor_nelem(n->src[2]) - 1;
    ia_status st = ia_cpu_check_offsets(n->src[2], j.rows);
    if (st != IA_OK) return st;
    for (int64_t s = 0; s < nseq; s++)
        if (o[s + 1] - o[s] > ia_tensor_rows(n->src[1]))
            return ia_error(IA_ERR_INVALID_ARG, "sequence of %d tokens exceeds %lld positions",
                            o[s + 1] - o[s], (long long)ia_tensor_rows(n->src[1]));
    ia_pool_run(c->pool, n_row_tasks(j.rows), add_task, &j);
    return IA_OK;
}

/* ---- linear ---- */

/* Linear layer with a quantised weight matrix: the activations are
 * quantised into the context's workspace, grown here when needed. */
static ia_status linear_quantised(ia_cpu_ctx *c, ia_node *n) {
    const ia_tensor *x = n->src[0], *b = n->src[2];
    const ia_qmat *q = n->src[1]->data;
    int64_t m = ia_tensor_rows(x), k = ia_tensor_cols(x), nout = ia_qmat_rows(q);
    size_t need;
    if (ia_qmat_cols(q) != k || ia_tensor_cols(n->out) != nout || (b && ia_tensor_nelem(b) != nout) ||
        m > INT32_MAX)
        return ia_error(IA_ERR_INTERNAL, "linear %s: shapes do not match", n->src[1]->name);
    need = ia_qgemm_workspace_size(q, (int)m);
    if (need > c->qws_size) {
        void *ws = NULL;
        size_t size = (need + 63) / 64 * 64;
        if (posix_memalign(&ws, 64, size) != 0)
            return ia_error(IA_ERR_NOMEM, "linear %s: %zu bytes of workspace", n->src[1]->name, size);
        free(c->qws);
        c->qws = ws;
        c->qws_size = size;
    }
    ia_qgemm(c->qgemm, c->pool, q, (int)m, x->data, (int)k, b ? b->data : NULL, n->out->data, (int)nout,
             n->iparam[0] == IA_ACT_GELU ? c->vec->gelu : NULL, c->qws);
    return IA_OK;
}

ia_status ia_cpu_linear(ia_cpu_ctx *c, ia_node *n) {
    const ia_tensor *x = n->src[0], *w = n->src[1], *b = n->src[2];
    int64_t m = ia_tensor_rows(x), k = ia_tensor_cols(x), nout = ia_tensor_rows(w);
    if (n->iparam[0] != IA_ACT_NONE && n->iparam[0] != IA_ACT_GELU)
        return ia_error(IA_ERR_INTERNAL, "linear %s: unknown activation %d", w->name, n->iparam[0]);
    if (w->dtype == IA_DTYPE_QMAT) return linear_quantised(c, n);
    if (w->dtype != IA_DTYPE_F32) return ia_error(IA_ERR_INTERNAL, "linear %s: %s weights", w->name, ia_dtype_name(w->dtype));
    if (ia_tensor_cols(w) != k || (b && ia_tensor_nelem(b) != nout))
        return ia_error(IA_ERR_INTERNAL, "linear %s: shapes do not match", w->name);
    if (n->iparam[0] != IA_ACT_NONE && n->iparam[0] != IA_ACT_GELU)
        return ia_error(IA_ERR_INTERNAL, "linear %s: unknown activation %d", w->name, n->iparam[0]);
    ia_sgemm_with(c->gemm, c->pool, 1, (int)m, (int)nout, (int)k, x->data, (int)k, w->data, (int)k,
                  b ? b->data : NULL, n->out->data, (int)nout,
                  n->iparam[0] == IA_ACT_GELU ? c->vec->gelu : NULL);
    return IA_OK;
}

/* ---- layer norm ---- */

static void layer_norm_task(void *ctx, int task, int thread) {
    row_job *j = ctx;
    const ia_node *n = j->n;
    int64_t cols = ia_tensor_cols(n->src[0]);
    ROW_RANGE(task, j->rows, r0, r1);
    for (int64_t r = r0; r < r1; r++)
        j->c->vec->layer_norm((float *)n->out->data + r * cols, (const float *)n->src[0]->data + r * cols,
                              n->src[3] ? (const float *)n->src[3]->data + r * cols : NULL,
                              n->src[1]->data, n->src[2]->data, (int)cols, n->fparam[0]);
}

ia_status ia_cpu_layer_norm(ia_cpu_ctx *c, ia_node *n) {
    row_job j = {c, n, ia_tensor_rows(n->src[0])};
    int64_t cols = ia_tensor_cols(n->src[0]);
    if (ia_tensor_nelem(n->src[1]) != cols || ia_tensor_nelem(n->src[2]) != cols)
        return ia_error(IA_ERR_INTERNAL, "layer_norm %s: width mismatch", n->src[1]->name);
    ia_pool_run(c->pool, n_row_tasks(j.rows), layer_norm_task, &j);
    return IA_OK;
}

/* ---- gelu ---- */

static void gelu_task(void *ctx, int task, int thread) {
    row_job *j = ctx;
    int64_t cols = ia_tensor_cols(j->n->src[0]);
    ROW_RANGE(task, j->rows, r0, r1);
    j->c->vec->gelu((float *)j->n->out->data + r0 * cols, (const float *)j->n->src[0]->data + r0 * cols,
                    (size_t)((r1 - r0) * cols));
}

ia_status ia_cpu_gelu(ia_cpu_ctx *c, ia_node *n) {
    row_job j = {c, n, ia_tensor_rows(n->src[0])};
    ia_pool_run(c->pool, n_row_tasks(j.rows), gelu_task, &j);
    return IA_OK;
}

/* ---- pooling (one task per sequence) ---- */

static void pool_task(void *ctx, int s, int thread) {
    row_job *j = ctx;
    const int32_t *o = j->n->src[1]->data;
    int64_t cols = ia_tensor_cols(j->n->src[0]);
    const float *x = j->n->src[0]->data;
    float *out = (float *)j->n->out->data + (int64_t)s * cols;
    int len = o[s + 1] - o[s];
    if (j->n->op == IA_OP_CLS_POOL) {
        memcpy(out, x + (int64_t)o[s] * cols, (size_t)cols * sizeof *out);
        return;
    }
    /* sentence-transformers: sum(x·mask) / clamp(sum(mask), 1e-9) */
    memset(out, 0, (size_t)cols * sizeof *out);
    for (int t = o[s]; t < o[s + 1]; t++)
        for (int64_t i = 0; i < cols; i++) out[i] += x[(int64_t)t * cols + i];
    for (int64_t i = 0; i < cols; i++) out[i] /= len > 0 ? (float)len : 1e-9f;
}

ia_status ia_cpu_pool_rows(ia_cpu_ctx *c, ia_node *n) {
    row_job j = {c, n, 0};
    int64_t nseq = ia_tensor_nelem(n->src[1]) - 1;
    ia_status st = ia_cpu_check_offsets(n->src[1], ia_tensor_rows(n->src[0]));
    if (st != IA_OK) return st;
    if (n->op == IA_OP_CLS_POOL) {
        const int32_t *o = n->src[1]->data;
        for (int64_t s = 0; s < nseq; s++)
            if (o[s + 1] == o[s]) return ia_error(IA_ERR_INVALID_ARG, "cls pooling of an empty sequence");
    }
    ia_pool_run(c->pool, (int)nseq, pool_task, &j);
    return IA_OK;
}

/* ---- l2 normalise ---- */

static void l2_task(void *ctx, int task, int thread) {
    row_job *j = ctx;
    int64_t cols = ia_tensor_cols(j->n->src[0]);
    ROW_RANGE(task, j->rows, r0, r1);
    for (int64_t r = r0; r < r1; r++) {
        const float *x = (const float *)j->n->src[0]->data + r * cols;
        float *y = (float *)j->n->out->data + r * cols;
        double ss = 0.0;
        float inv;
        for (int64_t i = 0; i < cols; i++) ss += (double)x[i] * x[i];
        /* torch.nn.functional.normalize: x / max(||x||, eps), eps = 1e-12 */
        inv = (float)(1.0 / fmax(sqrt(ss), 1e-12));
        for (int64_t i = 0; i < cols; i++) y[i] = x[i] * inv;
    }
}

ia_status ia_cpu_l2_normalize(ia_cpu_ctx *c, ia_node *n) {
    row_job j = {c, n, ia_tensor_rows(n->src[0])};
    ia_pool_run(c->pool, n_row_tasks(j.rows), l2_task, &j);
    return IA_OK;
}
