/*
 * cpu_ops.c — row-wise ops of the CPU executor: gather, add/mul, linear,
 * norms, activations, rope, pooling, L2 normalisation. Attention is in
 * cpu_attention.c, copies and convolutions in cpu_shape_ops.c.
 *
 * Inputs are rowwise views (row strides from the tensor), outputs
 * contiguous. Row ops split their rows into tasks of ROWS_PER_TASK so
 * that a 10-token batch still gives every thread work while a 4096-row
 * batch does not pay a task per row; how many threads take part follows
 * from the bytes the op touches (ia_cpu_threads_for).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backends/cpu/cpu_ops.h"
#include "backends/cpu/gemm.h"
#include "util/error.h"

#define ROWS_PER_TASK 16

/* Below this many bytes per thread, another thread costs more to wake and
 * join (a few µs) than it saves: a core streams ~20 GB/s, so 64 KiB is
 * ~3 µs of work. */
#define MIN_BYTES_PER_THREAD (64 << 10)

int ia_cpu_threads_for(const ia_cpu_ctx *c, double bytes) {
    double t = bytes / MIN_BYTES_PER_THREAD;
    if (t < 1) return 1;
    return t >= c->threads ? c->threads : (int)t;
}

void ia_cpu_run(ia_cpu_ctx *c, int n_tasks, int threads, ia_pool_fn fn, void *ctx) {
    if (threads > c->threads) threads = c->threads;
    ia_pool_run_n(c->pool, n_tasks, threads, fn, ctx);
}

const float *ia_cpu_f32(const ia_tensor *t) {
    if (t->dtype == IA_DTYPE_F32) return t->data;
    if (ia_weight_prepared_by(t, &ia_cpu_backend)) return ((const ia_cpu_weight *)t->extra)->f32;
    return NULL;
}

const ia_qmat *ia_cpu_qmat(const ia_tensor *t) {
    return ia_weight_prepared_by(t, &ia_cpu_backend) ? ((const ia_cpu_weight *)t->extra)->qmat : NULL;
}

const ia_sgemm_packed *ia_cpu_packed(const ia_tensor *t) {
    const ia_cpu_weight *e = ia_weight_prepared_by(t, &ia_cpu_backend) ? t->extra : NULL;
    return e ? e->packed : NULL;
}

typedef struct row_job {
    ia_cpu_ctx *c;
    ia_node *n;
    int64_t rows;
    int64_t ld[IA_MAX_SRC]; /* row strides of the sources, in bytes */
} row_job;

static int n_row_tasks(int64_t rows) { return (int)((rows + ROWS_PER_TASK - 1) / ROWS_PER_TASK); }

#define ROW_RANGE(task, rows, r0, r1)                                        \
    int64_t r0 = (int64_t)(task) * ROWS_PER_TASK;                            \
    int64_t r1 = r0 + ROWS_PER_TASK < (rows) ? r0 + ROWS_PER_TASK : (rows)

/* Row r of source k of a row job. */
static inline const float *row_of(const row_job *j, int k, int64_t r) {
    return (const float *)((const char *)j->n->src[k]->data + r * j->ld[k]);
}

static void job_init(row_job *j, ia_cpu_ctx *c, ia_node *n, int64_t rows) {
    j->c = c;
    j->n = n;
    j->rows = rows;
    for (int k = 0; k < IA_MAX_SRC; k++) j->ld[k] = n->src[k] ? ia_tensor_row_stride(n->src[k]) : 0;
}

static void run_rows(ia_cpu_ctx *c, ia_node *n, int64_t rows, double bytes_per_row, ia_pool_fn fn) {
    row_job j;
    job_init(&j, c, n, rows);
    ia_cpu_run(c, n_row_tasks(rows), ia_cpu_threads_for(c, bytes_per_row * (double)rows), fn, &j);
}

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
    int64_t cols = ia_tensor_cols(table), rs = ia_tensor_row_stride(table);
    ROW_RANGE(task, j->rows, r0, r1);
    for (int64_t r = r0; r < r1; r++)
        ia_dtype_row_to_f32(table->dtype, table->qgroup, (const char *)table->data + (int64_t)ids[r] * rs,
                            (float *)j->n->out->data + r * cols, cols);
}

ia_status ia_cpu_get_rows(ia_cpu_ctx *c, ia_node *n) {
    const int32_t *ids = n->src[1]->data;
    int64_t rows = ia_tensor_nelem(n->src[1]), table_rows = ia_tensor_rows(n->src[0]);
    for (int64_t i = 0; i < rows; i++)
        if (ids[i] < 0 || ids[i] >= table_rows)
            return ia_error(IA_ERR_INVALID_ARG, "%s: id %d out of range [0, %lld)", n->src[0]->name, ids[i],
                            (long long)table_rows);
    run_rows(c, n, rows, 8.0 * (double)ia_tensor_cols(n->src[0]), get_rows_task);
    return IA_OK;
}

/* ---- add / mul: same shape, or src1 one row broadcast ---- */

static void binary_task(void *ctx, int task, int thread) {
    row_job *j = ctx;
    const ia_tensor *a = j->n->src[0], *b = j->n->src[1];
    int64_t cols = ia_tensor_cols(a), brows = ia_tensor_rows(b);
    int mul = j->n->op == IA_OP_MUL;
    ROW_RANGE(task, j->rows, r0, r1);
    for (int64_t r = r0; r < r1; r++) {
        const float *x = row_of(j, 0, r), *y = row_of(j, 1, brows == 1 ? 0 : r);
        float *o = (float *)j->n->out->data + r * cols;
        if (mul)
            for (int64_t i = 0; i < cols; i++) o[i] = x[i] * y[i];
        else
            for (int64_t i = 0; i < cols; i++) o[i] = x[i] + y[i];
    }
}

ia_status ia_cpu_binary(ia_cpu_ctx *c, ia_node *n) {
    run_rows(c, n, ia_tensor_rows(n->src[0]), 12.0 * (double)ia_tensor_cols(n->src[0]), binary_task);
    return IA_OK;
}

/* ---- add_positions ---- */

static void add_positions_task(void *ctx, int task, int thread) {
    row_job *j = ctx;
    const ia_tensor *a = j->n->src[0];
    const int32_t *offs = j->n->src[2]->data;
    int64_t cols = ia_tensor_cols(a), nseq = ia_tensor_nelem(j->n->src[2]) - 1, s = 0;
    ROW_RANGE(task, j->rows, r0, r1);
    const ia_tensor *tab = j->n->src[1];
    for (int64_t r = r0; r < r1; r++) {
        const float *x;
        float *o = (float *)j->n->out->data + r * cols;
        int64_t p;
        while (s + 1 < nseq && offs[s + 1] <= r) s++;
        x = row_of(j, 0, r);
        p = r - offs[s] + j->n->iparam[0];
        if (tab->dtype == IA_DTYPE_F32) {
            const float *y = row_of(j, 1, p);
            for (int64_t i = 0; i < cols; i++) o[i] = x[i] + y[i];
        } else { /* an F16/BF16/quantised table: the row converted first */
            ia_dtype_row_to_f32(tab->dtype, tab->qgroup, (const char *)tab->data + p * j->ld[1], o, cols);
            for (int64_t i = 0; i < cols; i++) o[i] += x[i];
        }
    }
}

ia_status ia_cpu_add_positions(ia_cpu_ctx *c, ia_node *n) {
    int64_t rows = ia_tensor_rows(n->src[0]), nseq = ia_tensor_nelem(n->src[2]) - 1;
    const int32_t *o = n->src[2]->data;
    ia_status st = ia_cpu_check_offsets(n->src[2], rows);
    if (st != IA_OK) return st;
    for (int64_t s = 0; s < nseq; s++)
        if (o[s + 1] > o[s] && (n->iparam[0] < 0 || o[s + 1] - o[s] + (int64_t)n->iparam[0] > ia_tensor_rows(n->src[1])))
            return ia_error(IA_ERR_INVALID_ARG, "sequence of %d tokens from position %d exceeds %lld positions",
                            o[s + 1] - o[s], n->iparam[0], (long long)ia_tensor_rows(n->src[1]));
    run_rows(c, n, rows, 12.0 * (double)ia_tensor_cols(n->src[0]), add_positions_task);
    return IA_OK;
}

/* ---- linear ---- */

static ia_gemm_epilogue epilogue_of(const ia_cpu_ctx *c, int act) {
    return act == IA_ACT_GELU ? c->vec->gelu : act == IA_ACT_SILU ? c->vec->silu : NULL;
}

/* Linear layer with a packed quantised weight: the activations are
 * quantised into the executor's workspace, grown here when needed. */
static ia_status linear_quantised(ia_cpu_ctx *c, ia_node *n, const ia_qmat *q) {
    const ia_tensor *x = n->src[0];
    const float *bias = n->src[2] ? ia_cpu_f32(n->src[2]) : NULL;
    int64_t m = ia_tensor_rows(x), k = ia_tensor_cols(x), nout = ia_qmat_rows(q);
    size_t need;
    if (ia_qmat_cols(q) != k || ia_tensor_cols(n->out) != nout || m > INT32_MAX)
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
    ia_qgemm(c->qgemm, c->pool, c->threads, q, (int)m, x->data, (int)(ia_tensor_row_stride(x) / 4), bias,
             n->out->data, (int)nout, epilogue_of(c, n->iparam[0]), c->qws);
    return IA_OK;
}

ia_status ia_cpu_linear(ia_cpu_ctx *c, ia_node *n) {
    const ia_tensor *x = n->src[0], *w = n->src[1];
    const ia_qmat *q = ia_cpu_qmat(w);
    const ia_sgemm_packed *packed;
    const float *wf = ia_cpu_f32(w), *bias = n->src[2] ? ia_cpu_f32(n->src[2]) : NULL;
    int64_t m = ia_tensor_rows(x), k = ia_tensor_cols(x), nout = ia_tensor_rows(w);
    if (q) return linear_quantised(c, n, q);
    if (n->src[2] && !bias) return ia_error(IA_ERR_INTERNAL, "linear %s: bias not prepared", w->name);
    if (ia_tensor_cols(w) != k || (n->src[2] && ia_tensor_nelem(n->src[2]) != nout) || ia_tensor_cols(n->out) != nout)
        return ia_error(IA_ERR_INTERNAL, "linear %s: shapes do not match", w->name);
    /* weights packed at load (measured as fast as the in-place paths at
     * one row, up to 1.5x faster from 8 rows) */
    if ((packed = ia_cpu_packed(w)) != NULL) {
        ia_sgemm_prepacked(packed, c->pool, c->threads, (int)m, x->data, (int)(ia_tensor_row_stride(x) / 4), bias,
                           n->out->data, (int)nout, epilogue_of(c, n->iparam[0]));
        return IA_OK;
    }
    if (!wf) return ia_error(IA_ERR_INTERNAL, "linear %s: weights not prepared", w->name);
    ia_sgemm_with(c->gemm, c->pool, c->threads, 1, (int)m, (int)nout, (int)k, x->data,
                  (int)(ia_tensor_row_stride(x) / 4), wf, (int)(w->dtype == IA_DTYPE_F32 ? ia_tensor_row_stride(w) / 4 : k),
                  bias, n->out->data, (int)nout, epilogue_of(c, n->iparam[0]));
    return IA_OK;
}

/* ---- layer norm, rms norm ---- */

static void norm_task(void *ctx, int task, int thread) {
    row_job *j = ctx;
    const ia_node *n = j->n;
    int64_t cols = ia_tensor_cols(n->src[0]);
    const float *g = n->src[1] ? ia_cpu_f32(n->src[1]) : NULL, *b = n->src[2] ? ia_cpu_f32(n->src[2]) : NULL;
    ROW_RANGE(task, j->rows, r0, r1);
    for (int64_t r = r0; r < r1; r++) {
        float *y = (float *)n->out->data + r * cols;
        const float *res = n->src[3] ? row_of(j, 3, r) : NULL;
        if (n->op == IA_OP_LAYER_NORM)
            j->c->vec->layer_norm(y, row_of(j, 0, r), res, g, b, (int)cols, n->fparam[0]);
        else
            j->c->vec->rms_norm(y, row_of(j, 0, r), res, g, (int)cols, n->fparam[0]);
    }
}

ia_status ia_cpu_norm(ia_cpu_ctx *c, ia_node *n) {
    int64_t cols = ia_tensor_cols(n->src[0]);
    if ((n->src[1] && ia_tensor_nelem(n->src[1]) != cols) || (n->src[2] && ia_tensor_nelem(n->src[2]) != cols))
        return ia_error(IA_ERR_INTERNAL, "%s: width mismatch", ia_op_name(n->op));
    run_rows(c, n, ia_tensor_rows(n->src[0]), (n->src[3] ? 12.0 : 8.0) * (double)cols, norm_task);
    return IA_OK;
}

/* ---- gelu, silu, scale ---- */

static void unary_task(void *ctx, int task, int thread) {
    row_job *j = ctx;
    const ia_node *n = j->n;
    int64_t cols = ia_tensor_cols(n->src[0]);
    ROW_RANGE(task, j->rows, r0, r1);
    for (int64_t r = r0; r < r1; r++) {
        float *y = (float *)n->out->data + r * cols;
        const float *x = row_of(j, 0, r);
        if (n->op == IA_OP_GELU) j->c->vec->gelu(y, x, (size_t)cols);
        else if (n->op == IA_OP_SILU) j->c->vec->silu(y, x, (size_t)cols);
        else
            for (int64_t i = 0; i < cols; i++) y[i] = x[i] * n->fparam[0] + n->fparam[1];
    }
}

ia_status ia_cpu_unary(ia_cpu_ctx *c, ia_node *n) {
    /* GELU and SiLU cost ~20 flops an element: count them as more bytes */
    double per = n->op == IA_OP_SCALE ? 8.0 : 40.0;
    run_rows(c, n, ia_tensor_rows(n->src[0]), per * (double)ia_tensor_cols(n->src[0]), unary_task);
    return IA_OK;
}

static void swiglu_task(void *ctx, int task, int thread) {
    row_job *j = ctx;
    const ia_node *n = j->n;
    int64_t cols = ia_tensor_cols(n->src[0]);
    ROW_RANGE(task, j->rows, r0, r1);
    for (int64_t r = r0; r < r1; r++) {
        float *y = (float *)n->out->data + r * cols;
        const float *up = row_of(j, 1, r);
        j->c->vec->silu(y, row_of(j, 0, r), (size_t)cols);
        for (int64_t i = 0; i < cols; i++) y[i] *= up[i];
    }
}

ia_status ia_cpu_swiglu(ia_cpu_ctx *c, ia_node *n) {
    run_rows(c, n, ia_tensor_rows(n->src[0]), 44.0 * (double)ia_tensor_cols(n->src[0]), swiglu_task);
    return IA_OK;
}

/* ---- rope ---- */

static void rope_task(void *ctx, int task, int thread) {
    row_job *j = ctx;
    const ia_node *n = j->n;
    const int32_t *pos = n->src[1]->data;
    int64_t cols = ia_tensor_cols(n->src[0]);
    int mode = n->iparam[0], nrot = n->iparam[1], D = n->iparam[2];
    float base = n->fparam[0], scale = n->fparam[1];
    ROW_RANGE(task, j->rows, r0, r1);
    for (int64_t r = r0; r < r1; r++) {
        float *y = (float *)n->out->data + r * cols;
        float p = (float)pos[r] * scale;
        memcpy(y, row_of(j, 0, r), (size_t)cols * sizeof *y);
        for (int i = 0; i < nrot / 2; i++) {
            /* as transformers: inv_freq = 1 / base^(2i / n) in float32,
             * θ = position · inv_freq, then cos and sin of θ */
            float inv_freq = 1.0f / powf(base, (float)(2 * i) / (float)nrot), theta = p * inv_freq;
            float cs = cosf(theta), sn = sinf(theta);
            int a = mode == IA_ROPE_NEOX ? i : 2 * i, b = mode == IA_ROPE_NEOX ? i + nrot / 2 : 2 * i + 1;
            for (int64_t h = 0; h < cols / D; h++) {
                float *v = y + h * D, x0 = v[a], x1 = v[b];
                v[a] = x0 * cs - x1 * sn;
                v[b] = x0 * sn + x1 * cs;
            }
        }
    }
}

ia_status ia_cpu_rope(ia_cpu_ctx *c, ia_node *n) {
    run_rows(c, n, ia_tensor_rows(n->src[0]), 16.0 * (double)ia_tensor_cols(n->src[0]), rope_task);
    return IA_OK;
}

/* ---- pooling (one task per sequence) ---- */

static void pool_task(void *ctx, int s, int thread) {
    row_job *j = ctx;
    const int32_t *o = j->n->src[1]->data;
    const ia_tensor *x = j->n->src[0];
    int64_t cols = ia_tensor_cols(x);
    float *out = (float *)j->n->out->data + (int64_t)s * cols;
    int len = o[s + 1] - o[s];
    if (j->n->op == IA_OP_CLS_POOL) {
        memcpy(out, row_of(j, 0, o[s]), (size_t)cols * sizeof *out);
        return;
    }
    /* sentence-transformers: sum(x·mask) / clamp(sum(mask), 1e-9), the
     * sequence's own length */
    memset(out, 0, (size_t)cols * sizeof *out);
    for (int t = o[s]; t < o[s + 1]; t++) {
        const float *xr = row_of(j, 0, t);
        for (int64_t i = 0; i < cols; i++) out[i] += xr[i];
    }
    for (int64_t i = 0; i < cols; i++) out[i] /= len > 0 ? (float)len : 1e-9f;
}

ia_status ia_cpu_pool_rows(ia_cpu_ctx *c, ia_node *n) {
    row_job j;
    int64_t nseq = ia_tensor_nelem(n->src[1]) - 1;
    ia_status st = ia_cpu_check_offsets(n->src[1], ia_tensor_rows(n->src[0]));
    if (st != IA_OK) return st;
    if (n->op == IA_OP_CLS_POOL) {
        const int32_t *o = n->src[1]->data;
        for (int64_t s = 0; s < nseq; s++)
            if (o[s + 1] == o[s]) return ia_error(IA_ERR_INVALID_ARG, "cls pooling of an empty sequence");
    }
    job_init(&j, c, n, 0);
    ia_cpu_run(c, (int)nseq, ia_cpu_threads_for(c, 4.0 * (double)ia_tensor_nelem(n->src[0])), pool_task, &j);
    return IA_OK;
}

/* ---- l2 normalise ---- */

static void l2_task(void *ctx, int task, int thread) {
    row_job *j = ctx;
    int64_t cols = ia_tensor_cols(j->n->src[0]);
    ROW_RANGE(task, j->rows, r0, r1);
    for (int64_t r = r0; r < r1; r++) {
        const float *x = row_of(j, 0, r);
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
    run_rows(c, n, ia_tensor_rows(n->src[0]), 8.0 * (double)ia_tensor_cols(n->src[0]), l2_task);
    return IA_OK;
}
