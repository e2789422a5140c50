/*
 * test_ops.c — every op of tensor/graph.h, one node at a time, on the ref
 * executor alone and on cpu-then-ref, against numpy
 * (test/fixtures/ops_reference.json, written by
 * scripts/make_ops_reference.py from graph.h's definitions: a third,
 * independent implementation) and against each other.
 *
 * For every fixture case: a one-node graph (inputs through ia_graph_input,
 * weights as IA_TENSOR_PARAM tensors prepared by the cpu executor, WRITE
 * targets as state) run through the scheduler (a) with only a ref
 * executor, (b) with cpu first, ref second. Where the cpu executor claims
 * the node (supports_op) the node must have run there, so the test proves
 * the CPU kernels, not a silent fallback; every op must run on the cpu in
 * at least one case. Row ops run a second time with their activations as
 * strided views (a column slice of a wider matrix whose other columns are
 * NaN, so a kernel that reads outside its row shows up). All of it once
 * per CPU kernel family (avx512, avx2, generic, as far as the machine
 * runs them), since the dispatch picks different row kernels and GEMMs.
 *
 * Then: row ops with thousands of rows (the thread pool's multi-task
 * paths) on cpu against ref, and a graph whose ops the cpu is told to
 * refuse (disabled_ops): they go to ref, copies are inserted, the result
 * is the all-cpu one.
 *
 * Errors are measured row by row (rows of the innermost axis): the largest
 * |got − want| of a row over the row's largest |want|. A row that should
 * be all zeros (a query that sees no key, an empty sequence's mean, a
 * zero row normalised) must be exactly zero.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/backend.h"
#include "backends/sched.h"
#include "harness.h"
#include "tensor/fp16.h"
#include "tensor/graph.h"
#include "tensor/qweights.h"
#include "util/threadpool.h"

enum { ROLE_INPUT, ROLE_WEIGHT, ROLE_STATE };
enum { VIEW_NONE, VIEW_PERMUTE, VIEW_SLICE };

/* Columns of NaN around a strided view's rows: 2 before (so rows start
 * unaligned), 3 after. */
#define PAD_LEFT 2
#define PAD_RIGHT 3

typedef struct tdesc {
    int present;
    ia_dtype dtype;
    int ndim;
    int64_t shape[IA_MAX_DIMS];
    int64_t group;
    int role;
    unsigned char *bytes; /* the tensor's data as stored (contiguous) */
    size_t nbytes;
    int view, perm[IA_MAX_DIMS], slice[3];
} tdesc;

typedef struct ocase {
    char name[64];
    ia_op op;
    int iparam[6];
    float fparam[4];
    tdesc src[IA_MAX_SRC];
    ia_dtype out_dtype;
    int out_ndim;
    int64_t out_shape[IA_MAX_DIMS];
    float *expect; /* numpy's output as float32 (NULL for cases made here) */
} ocase;

/* ---- tolerances ---- */

/* The largest row error (see the header) allowed for op, against numpy and
 * between cpu and ref, with where each number comes from. "Measured" is
 * the worst this test sees over the avx512, avx2 and generic kernels, the
 * strided layouts and the many-row cases; the bounds leave room for other
 * kernels (a new ISA, another summation order) without hiding a wrong
 * formula, which is off by 1e-3 or more (a wrong eps, rounding rule, mask,
 * position or head is off by far more). */
static double tol_of(const ocase *c) {
    switch (c->op) {
    /* data movement, one correctly rounded float operation (x + y, x·y), or
     * a conversion (F16 rounding to nearest even, F16/BF16 → F32): every
     * implementation gives the same bits */
    case IA_OP_ADD:
    case IA_OP_MUL:
    case IA_OP_ADD_POSITIONS:
    case IA_OP_CLS_POOL:
    case IA_OP_CONCAT:
    case IA_OP_CONT:
    case IA_OP_WRITE: return 0.0;
    /* plain tables are copied bit for bit; quantised rows are d·q + m, which
     * a kernel may fuse into one FMA: one rounding less, within 2 ulp of the
     * row's largest value (2 · 2^-23). Measured: 0 */
    case IA_OP_GET_ROWS: return ia_dtype_is_quantized(c->src[0].dtype) ? 2.4e-7 : 0.0;
    /* x·a + b: two roundings, or one with an FMA. Measured: 0 */
    case IA_OP_SCALE: return 2.4e-7;
    /* the AVX-512 kernels use a rational erf (abs. error ~1e-7) and a
     * polynomial exp (< 2 ulp) in float, generic ones erff/expf; numpy
     * float64. Measured ≤ 2e-7 */
    case IA_OP_GELU:
    case IA_OP_SILU:
    case IA_OP_SWIGLU: return 1e-6;
    /* sum of squares in double, then a float multiply by the float inverse
     * norm: a few roundings. Measured ≤ 1.2e-7 */
    case IA_OP_L2_NORMALIZE: return 1e-6;
    /* float sums of up to ~200 rows (the many-row case; random-walk error
     * ~√200 · 2^-24 of the sum). Measured ≤ 5e-7 */
    case IA_OP_MEAN_POOL: return 5e-6;
    /* float sums over rows of 48–64 (mean, variance, mean square) with a
     * row mean of 3 subtracted. Measured ≤ 5e-7 */
    case IA_OP_LAYER_NORM:
    case IA_OP_RMS_NORM: return 2e-6;
    /* θ = pos·scale·base^(−2i/n) in float32, as transformers computes it,
     * so θ is off by up to ~pos · 2^-24 and the output by as much: grows
     * with the position. Measured 1.3e-7 at positions ≤ 20, 1e-6 at ≤ 63 */
    case IA_OP_ROPE: return 1e-5;
    /* float GEMMs over k ≤ 64 (convolutions: im2col rows of ≤ 48) against
     * float64 sums; fused GELU/SiLU as above. With quantised weights the
     * integer dot products are exact in every implementation and the
     * activation codes identical (the fixture has exact .5 ties, so another
     * rounding rule fails by ~1e-2); what is left is the float sum over
     * groups of sa·(d·Σxq·q + m·S), whose two terms nearly cancel for affine
     * codes (q8_0: m = −128 d), magnifying float rounding ~10×.
     * Measured ≤ 6e-7 */
    case IA_OP_LINEAR:
    case IA_OP_CONV1D:
    case IA_OP_CONV2D: return 5e-6;
    /* Q·Kᵀ in float over D ≤ 16, softmax with a polynomial exp, P·V in
     * float over ≤ 150 keys. Measured ≤ 7e-7 */
    case IA_OP_ATTENTION: return 5e-6;
    default: return 0.0;
    }
}

/* Sources of op that are row-wise activations (graph.h: row ops accept
 * rowwise views), as a bit mask of slots: given as strided views in the
 * second pass. */
static unsigned rowwise_slots(ia_op op) {
    switch (op) {
    case IA_OP_ADD:
    case IA_OP_MUL:
    case IA_OP_SWIGLU: return 1u | 2u;
    case IA_OP_LAYER_NORM:
    case IA_OP_RMS_NORM: return 1u | 8u;
    case IA_OP_ATTENTION: return 1u | 2u | 4u;
    case IA_OP_ADD_POSITIONS:
    case IA_OP_LINEAR:
    case IA_OP_GELU:
    case IA_OP_SILU:
    case IA_OP_SCALE:
    case IA_OP_ROPE:
    case IA_OP_MEAN_POOL:
    case IA_OP_CLS_POOL:
    case IA_OP_L2_NORMALIZE:
    case IA_OP_CONT:
    case IA_OP_WRITE: return 1u;
    default: return 0;
    }
}

static int slot_strided(const ocase *c, int k) {
    const tdesc *t = &c->src[k];
    return (rowwise_slots(c->op) >> k & 1u) && t->present && t->role == ROLE_INPUT && t->dtype == IA_DTYPE_F32 &&
           t->view == VIEW_NONE;
}

static int case_has_strided(const ocase *c) {
    for (int k = 0; k < IA_MAX_SRC; k++)
        if (slot_strided(c, k)) return 1;
    return 0;
}

/* ---- fixture ---- */

/* Base64 → exactly `n` bytes (malloc'd), or NULL. */
static unsigned char *b64decode(const char *s, size_t n) {
    size_t k = 0;
    unsigned char *out = ia_test_base64(s, &k);
    if (out && k != n) {
        free(out);
        return NULL;
    }
    return out;
}

static int dtype_named(const char *s, ia_dtype *out) {
    for (int i = 0; s && i < IA_DTYPE_COUNT; i++)
        if (strcmp(ia_dtype_name((ia_dtype)i), s) == 0) return *out = (ia_dtype)i, 1;
    return 0;
}

static int op_named(const char *s, ia_op *out) {
    for (int i = 0; s && i < IA_OP_COUNT; i++)
        if (strcmp(ia_op_name((ia_op)i), s) == 0) return *out = (ia_op)i, 1;
    return 0;
}

static int shape_of(const cJSON *a, int *ndim, int64_t *shape) {
    const cJSON *v;
    int n = 0;
    cJSON_ArrayForEach(v, a) {
        if (n == IA_MAX_DIMS || !cJSON_IsNumber(v)) return 0;
        shape[n++] = (int64_t)v->valuedouble;
    }
    *ndim = n;
    return n > 0;
}

static int64_t nelem_of(int ndim, const int64_t *shape) {
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) n *= shape[i];
    return n;
}

static int load_tensor(const cJSON *j, tdesc *t) {
    const char *role = cJSON_GetStringValue(cJSON_GetObjectItem(j, "role"));
    const cJSON *view = cJSON_GetObjectItem(j, "view"), *grp = cJSON_GetObjectItem(j, "group"), *v;
    ia_tensor probe;
    memset(t, 0, sizeof *t);
    if (!dtype_named(cJSON_GetStringValue(cJSON_GetObjectItem(j, "dtype")), &t->dtype) ||
        !shape_of(cJSON_GetObjectItem(j, "shape"), &t->ndim, t->shape) || !role)
        return 0;
    t->role = strcmp(role, "weight") == 0 ? ROLE_WEIGHT : strcmp(role, "state") == 0 ? ROLE_STATE : ROLE_INPUT;
    t->group = cJSON_IsNumber(grp) ? (int64_t)grp->valuedouble : 0;
    if (ia_tensor_init(&probe, t->dtype, t->ndim, t->shape, t->group) != 0) return 0;
    t->nbytes = ia_tensor_nbytes(&probe);
    if (t->dtype == IA_DTYPE_I32) {
        int32_t *p = malloc(t->nbytes ? t->nbytes : 1);
        int64_t n = 0;
        if (!p) return 0;
        cJSON_ArrayForEach(v, cJSON_GetObjectItem(j, "i32")) {
            if (n < nelem_of(t->ndim, t->shape)) p[n] = (int32_t)v->valuedouble;
            n++;
        }
        t->bytes = (unsigned char *)p;
        if (n != nelem_of(t->ndim, t->shape)) return 0;
    } else {
        const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(j, t->dtype == IA_DTYPE_F32 ? "f32" : "bytes"));
        if (!(t->bytes = b64decode(s, t->nbytes))) return 0;
    }
    if (cJSON_GetObjectItem(view, "permute")) {
        int n = 0;
        t->view = VIEW_PERMUTE;
        cJSON_ArrayForEach(v, cJSON_GetObjectItem(view, "permute")) if (n < IA_MAX_DIMS) t->perm[n++] = v->valueint;
        if (n != t->ndim) return 0;
    } else if (cJSON_GetObjectItem(view, "slice")) {
        int n = 0;
        t->view = VIEW_SLICE;
        cJSON_ArrayForEach(v, cJSON_GetObjectItem(view, "slice")) if (n < 3) t->slice[n++] = v->valueint;
        if (n != 3) return 0;
    }
    t->present = 1;
    return 1;
}

static void free_case(ocase *c) {
    for (int k = 0; k < IA_MAX_SRC; k++) free(c->src[k].bytes);
    free(c->expect);
    memset(c, 0, sizeof *c);
}

/* Every case of the fixture (caller frees each and the array); NULL with a
 * message when the file is missing or malformed. */
static ocase *load_cases(int *n_out) {
    size_t len = 0;
    char *text = ia_test_read_file(ia_test_source_path("test/fixtures/ops_reference.json"), &len);
    cJSON *root = text ? cJSON_ParseWithLength(text, len) : NULL;
    const cJSON *arr = cJSON_GetObjectItem(root, "cases"), *j;
    ocase *cases = NULL;
    int n = 0, ok = arr != NULL;
    free(text);
    if (ok && !(cases = calloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof *cases))) ok = 0;
    cJSON_ArrayForEach(j, arr) {
        ocase *c = &cases[n];
        const cJSON *srcs = cJSON_GetObjectItem(j, "srcs"), *out = cJSON_GetObjectItem(j, "out"), *v;
        int k = 0;
        unsigned char *ex;
        if (!ok) break;
        snprintf(c->name, sizeof c->name, "%s", cJSON_GetStringValue(cJSON_GetObjectItem(j, "name")));
        ok = op_named(cJSON_GetStringValue(cJSON_GetObjectItem(j, "op")), &c->op) &&
             dtype_named(cJSON_GetStringValue(cJSON_GetObjectItem(out, "dtype")), &c->out_dtype) &&
             shape_of(cJSON_GetObjectItem(out, "shape"), &c->out_ndim, c->out_shape);
        cJSON_ArrayForEach(v, cJSON_GetObjectItem(j, "iparam")) if (k < 6) c->iparam[k++] = v->valueint;
        k = 0;
        cJSON_ArrayForEach(v, cJSON_GetObjectItem(j, "fparam")) if (k < 4) c->fparam[k++] = (float)v->valuedouble;
        k = 0;
        cJSON_ArrayForEach(v, srcs) {
            if (ok && k < IA_MAX_SRC && !cJSON_IsNull(v)) ok = load_tensor(v, &c->src[k]);
            k++;
        }
        ex = ok ? b64decode(cJSON_GetStringValue(cJSON_GetObjectItem(out, "f32")),
                            (size_t)nelem_of(c->out_ndim, c->out_shape) * 4)
                : NULL;
        c->expect = (float *)ex; /* little-endian, as the fixture */
        ok = ok && ex;
        n++;
        if (!ok) fprintf(stderr, "  fixture case %d (%s) is malformed\n", n - 1, c->name);
    }
    cJSON_Delete(root);
    if (!ok || n == 0) {
        for (int i = 0; cases && i < n; i++) free_case(&cases[i]);
        free(cases);
        fprintf(stderr, "  cannot read test/fixtures/ops_reference.json (scripts/make_ops_reference.py)\n");
        return NULL;
    }
    *n_out = n;
    return cases;
}

/* ---- running one node ---- */

typedef struct run_result {
    float *y;     /* output as floats (caller frees) */
    int64_t n;
    int backend;  /* index in the scheduler's list of the executor that ran it */
    int claimed;  /* the cpu's supports_op said yes (cpu runs only) */
} run_result;

static int weight_use(ia_op op, int slot) {
    if (op == IA_OP_GET_ROWS && slot == 0) return IA_USE_TABLE;
    if (op == IA_OP_LINEAR && slot == 1) return IA_USE_MATMUL;
    return IA_USE_OTHER;
}

/* A contiguous tensor's data as floats: F32, F16, or quantised rows of
 * `cols` (dequantised; the fixture holds dequantised values). */
static void to_floats(ia_dtype dt, const void *p, float *y, int64_t n, int64_t cols) {
    if (dt == IA_DTYPE_F16) {
        for (int64_t i = 0; i < n; i++) y[i] = ia_fp16_to_fp32(((const uint16_t *)p)[i]);
    } else if (ia_dtype_is_quantized(dt)) {
        size_t rb = ia_dtype_row_bytes(dt, 0, cols);
        for (int64_t r = 0; cols > 0 && r < n / cols; r++)
            ia_dtype_row_to_f32(dt, 0, (const char *)p + (size_t)r * rb, y + r * cols, cols);
    } else {
        memcpy(y, p, (size_t)n * sizeof *y);
    }
}

/* Runs case c as a one-node graph through s. cpu: the cpu executor when it
 * is in s's list (weights are prepared by it; its supports_op is asked),
 * NULL for a ref-only scheduler. strided: the row-wise activations are
 * column slices of NaN-padded wider matrices. */
static ia_status run_case(const ocase *c, ia_sched *s, ia_backend *cpu, int strided, run_result *r) {
    ia_graph *g = NULL;
    ia_tensor w[IA_MAX_SRC], *src[IA_MAX_SRC] = {0}, *out = NULL, *state = NULL;
    void *owned[IA_MAX_SRC] = {0};
    int prepared[IA_MAX_SRC] = {0};
    ia_status st;
    memset(r, 0, sizeof *r);
    memset(w, 0, sizeof w);
    if ((st = ia_graph_create(&g)) != IA_OK) return st;
    st = IA_ERR_INTERNAL;
    for (int k = 0; k < IA_MAX_SRC; k++) {
        const tdesc *t = &c->src[k];
        static const char *const names[IA_MAX_SRC] = {"src0", "src1", "src2", "src3"};
        if (!t->present) continue;
        if (t->role == ROLE_INPUT && strided && slot_strided(c, k)) {
            /* rows of cols floats inside rows of PAD_LEFT + cols + PAD_RIGHT */
            int64_t cols = t->shape[t->ndim - 1], rows = nelem_of(t->ndim, t->shape) / (cols ? cols : 1);
            int64_t wide = cols + PAD_LEFT + PAD_RIGHT, shape[IA_MAX_DIMS];
            float *buf = malloc((size_t)(rows * wide) * sizeof *buf);
            ia_tensor *base;
            if (!(owned[k] = buf)) goto done;
            for (int64_t i = 0; i < rows * wide; i++) buf[i] = NAN;
            for (int64_t i = 0; i < rows; i++)
                memcpy(buf + i * wide + PAD_LEFT, t->bytes + (size_t)(i * cols) * 4, (size_t)cols * 4);
            memcpy(shape, t->shape, sizeof shape);
            shape[t->ndim - 1] = wide;
            base = ia_graph_input(g, IA_DTYPE_F32, t->ndim, shape, buf, names[k]);
            src[k] = base ? ia_graph_slice(g, base, t->ndim - 1, PAD_LEFT, cols) : NULL;
        } else if (t->role == ROLE_INPUT) {
            if (!(owned[k] = malloc(t->nbytes ? t->nbytes : 1))) goto done;
            memcpy(owned[k], t->bytes, t->nbytes);
            src[k] = ia_graph_input(g, t->dtype, t->ndim, t->shape, owned[k], names[k]);
        } else {
            /* weights are read where they lie (a model's mapping); state is
             * written, so each run gets a fresh copy */
            if (ia_tensor_init(&w[k], t->dtype, t->ndim, t->shape, t->group) != 0) goto done;
            w[k].name = names[k];
            if (t->role == ROLE_WEIGHT) {
                w[k].data = t->bytes;
                w[k].flags = IA_TENSOR_PARAM;
                w[k].use = weight_use(c->op, k);
                if (cpu && cpu->iface->prepare_weight) {
                    if ((st = cpu->iface->prepare_weight(cpu, &w[k])) != IA_OK) goto done;
                    prepared[k] = 1;
                    st = IA_ERR_INTERNAL;
                }
            } else {
                if (!(owned[k] = malloc(t->nbytes ? t->nbytes : 1))) goto done;
                memcpy(owned[k], t->bytes, t->nbytes);
                w[k].data = owned[k];
                w[k].flags = IA_TENSOR_STATE;
                state = &w[k];
            }
            src[k] = &w[k];
        }
        if (src[k] && t->view == VIEW_PERMUTE) src[k] = ia_graph_permute(g, src[k], t->perm);
        if (src[k] && t->view == VIEW_SLICE) src[k] = ia_graph_slice(g, src[k], t->slice[0], t->slice[1], t->slice[2]);
        if (!src[k]) goto done;
    }
    if (c->op == IA_OP_WRITE) {
        out = ia_graph_write(g, src[0], src[1]);
    } else {
        out = ia_graph_op_typed(g, c->op, c->out_dtype, c->out_ndim, c->out_shape, src[0], src[1], src[2], src[3]);
        if (out) {
            ia_node *n = ia_graph_last(g);
            memcpy(n->iparam, c->iparam, sizeof n->iparam);
            memcpy(n->fparam, c->fparam, sizeof n->fparam);
        }
    }
    if (!out || ia_graph_mark_output(g, out) != IA_OK) goto done;
    if (cpu) r->claimed = cpu->iface->supports_op(cpu, ia_graph_node(g, 0));
    if ((st = ia_sched_run(s, g)) != IA_OK) goto done;
    r->backend = ia_sched_node_backend(s, 0);
    r->n = nelem_of(c->out_ndim, c->out_shape);
    if (!(r->y = malloc((size_t)(r->n ? r->n : 1) * sizeof *r->y))) {
        st = IA_ERR_NOMEM;
        goto done;
    }
    if (c->op == IA_OP_WRITE) { /* the output is the whole target */
        to_floats(state->dtype, state->data, r->y, r->n, state->shape[state->ndim - 1]);
    } else {
        size_t nb = ia_tensor_nbytes(out);
        void *raw = malloc(nb ? nb : 1);
        if (!raw) {
            st = IA_ERR_NOMEM;
            goto done;
        }
        st = ia_tensor_download(out, raw, nb);
        to_floats(c->out_dtype, raw, r->y, r->n, c->out_shape[c->out_ndim - 1]);
        free(raw);
    }
done:
    if (st != IA_OK) fprintf(stderr, "  %s: %s\n", c->name, ia_last_error());
    for (int k = 0; k < IA_MAX_SRC; k++) {
        if (prepared[k]) cpu->iface->release_weight(cpu, &w[k]);
        free(owned[k]);
    }
    ia_graph_free(g);
    if (st != IA_OK) {
        free(r->y);
        r->y = NULL;
    }
    return st;
}

/* ---- comparing ---- */

/* The worst row error of got against want (header); INFINITY for a NaN, or
 * for a row that should be zeros and is not. */
static double row_err(const float *got, const float *want, int64_t n, int64_t cols) {
    double worst = 0.0;
    if (cols < 1) return 0.0;
    for (int64_t r = 0; r < n / cols; r++) {
        double scale = 0.0, diff = 0.0;
        for (int64_t i = r * cols; i < (r + 1) * cols; i++) {
            double d = fabs((double)got[i] - want[i]);
            if (d != d) return INFINITY;
            scale = fabs(want[i]) > scale ? fabs(want[i]) : scale;
            diff = d > diff ? d : diff;
        }
        if (scale == 0.0 && diff > 0.0) return INFINITY;
        if (scale > 0.0 && diff / scale > worst) worst = diff / scale;
    }
    return worst;
}

typedef struct op_stats {
    int cases, runs, on_cpu, on_cpu_strided;
    double worst_ref, worst_cpu;
    char refused[256]; /* cases the cpu left to ref */
} op_stats;

typedef struct executors {
    ia_backend *cpu, *ref;
    ia_sched *s_ref, *s_cpu; /* [ref], [cpu, ref] */
} executors;

/* kernel: the highest CPU kernel family ("avx2", "generic"; NULL = the
 * best this machine runs), so every dispatched variant is tested. */
static int executors_open(executors *e, const char *cpu_disabled, const char *kernel) {
    ia_backend_config cfg;
    ia_backend *list[2];
    memset(e, 0, sizeof *e);
    ia_backend_config_init(&cfg);
    cfg.disabled_ops = cpu_disabled;
    cfg.kernel = kernel;
    if (ia_backend_find("cpu")->init(&cfg, &e->cpu) != IA_OK) return 0;
    ia_backend_config_init(&cfg);
    if (ia_backend_find("ref")->init(&cfg, &e->ref) != IA_OK) return 0;
    list[0] = e->ref;
    if (ia_sched_create(list, 1, &e->s_ref) != IA_OK) return 0;
    list[0] = e->cpu;
    list[1] = e->ref;
    return ia_sched_create(list, 2, &e->s_cpu) == IA_OK;
}

static void executors_close(executors *e) {
    ia_sched_free(e->s_ref);
    ia_sched_free(e->s_cpu);
    ia_backend_free(e->cpu);
    ia_backend_free(e->ref);
}

/* Runs c on ref alone and on cpu-then-ref (one layout), checks placement,
 * and compares with want (numpy's output, or NULL: cpu against ref only).
 * Fills the errors and where it ran into st. */
static void check_case(executors *e, const ocase *c, const float *want, int strided, op_stats *st, int *ia_failed_) {
    run_result a, b;
    int64_t cols = c->out_ndim ? c->out_shape[c->out_ndim - 1] : 1;
    double tol = tol_of(c), ea = 0, eb = 0, eab;
    const char *how = strided ? " (strided)" : "";
    ia_status sa = run_case(c, e->s_ref, NULL, strided, &a), sb = run_case(c, e->s_cpu, e->cpu, strided, &b);
    CHECK_MSG(sa == IA_OK, "%s%s: ref-only run failed: %s", c->name, how, ia_status_str(sa));
    CHECK_MSG(sb == IA_OK, "%s%s: cpu+ref run failed: %s", c->name, how, ia_status_str(sb));
    if (sa == IA_OK && sb == IA_OK) {
        CHECK(a.backend == 0);
        /* the cpu ran it exactly when it claimed it */
        CHECK_MSG(b.backend == (b.claimed ? 0 : 1), "%s%s: cpu claims it: %d, ran on executor %d", c->name, how,
                  b.claimed, b.backend);
        if (want) {
            ea = row_err(a.y, want, a.n, cols);
            eb = row_err(b.y, want, b.n, cols);
            CHECK_MSG(ea <= tol, "%s%s: ref differs from numpy by %.3g (tolerance %.3g)", c->name, how, ea, tol);
            CHECK_MSG(eb <= tol, "%s%s: %s differs from numpy by %.3g (tolerance %.3g)", c->name, how,
                      b.backend == 0 ? "cpu" : "ref (under cpu+ref)", eb, tol);
        }
        eab = row_err(b.y, a.y, a.n, cols);
        CHECK_MSG(eab <= tol, "%s%s: cpu+ref and ref differ by %.3g (tolerance %.3g)", c->name, how, eab, tol);
        if (!want) eb = eab;
        st->runs++;
        if (b.backend == 0) {
            st->on_cpu++;
            if (strided) st->on_cpu_strided++;
        } else if (!strided) {
            size_t l = strlen(st->refused);
            snprintf(st->refused + l, sizeof st->refused - l, "%s%s", l ? ", " : "", strchr(c->name, '/') + 1);
        }
        st->worst_ref = ea > st->worst_ref ? ea : st->worst_ref;
        st->worst_cpu = b.backend == 0 && eb > st->worst_cpu ? eb : st->worst_cpu;
    }
    free(a.y);
    free(b.y);
}

/* The CPU kernel families to test (NULL: the best here; on a machine
 * without AVX-512 or AVX2 the cap simply gives the best it has). */
static const char *const KERNELS[] = {NULL, "avx2", "generic"};
#define N_KERNELS (int)(sizeof KERNELS / sizeof *KERNELS)

IA_TEST(ops_every_op_on_cpu_and_ref_matches_numpy) {
    int n = 0;
    ocase *cases = load_cases(&n);
    op_stats stats[IA_OP_COUNT];
    double worst_cpu[IA_OP_COUNT] = {0};
    REQUIRE(cases);
    for (int kv = 0; kv < N_KERNELS; kv++) {
        executors e;
        double worst = 0;
        int runs = 0, on_cpu = 0;
        memset(stats, 0, sizeof stats);
        if (!executors_open(&e, NULL, KERNELS[kv])) {
            CHECK_MSG(0, "cannot open the executors (kernel %s)", KERNELS[kv] ? KERNELS[kv] : "best");
            executors_close(&e);
            break;
        }
        for (int i = 0; i < n; i++) {
            op_stats *st = &stats[cases[i].op];
            st->cases++;
            check_case(&e, &cases[i], cases[i].expect, 0, st, ia_failed_);
            if (case_has_strided(&cases[i])) check_case(&e, &cases[i], cases[i].expect, 1, st, ia_failed_);
        }
        for (int op = 0; op < IA_OP_COUNT; op++) {
            op_stats *st = &stats[op];
            runs += st->runs;
            on_cpu += st->on_cpu;
            worst = st->worst_cpu > worst ? st->worst_cpu : worst;
            worst_cpu[op] = st->worst_cpu > worst_cpu[op] ? st->worst_cpu : worst_cpu[op];
            CHECK_MSG(st->cases > 0, "op %s has no case in the fixture", ia_op_name((ia_op)op));
            CHECK_MSG(st->on_cpu > 0, "op %s never ran on the cpu executor", ia_op_name((ia_op)op));
        }
        printf("  cpu kernels %s: %d of %d runs on cpu, worst row error vs numpy %.1e\n",
               e.cpu->iface->kernel_name(e.cpu), on_cpu, runs, worst);
        executors_close(&e);
    }
    printf("  %d cases; per op: cases, runs on cpu (of which strided) / runs, worst row error vs numpy of ref | of "
           "cpu (any kernel)\n", n);
    for (int op = 0; op < IA_OP_COUNT; op++) {
        op_stats *st = &stats[op];
        ocase probe;
        memset(&probe, 0, sizeof probe);
        probe.op = (ia_op)op;
        printf("  %-13s %2d cases, cpu %2d (%d) / %2d, ref %.1e | cpu %.1e (tol %.1e)%s%s\n", ia_op_name((ia_op)op),
               st->cases, st->on_cpu, st->on_cpu_strided, st->runs, st->worst_ref, worst_cpu[op], tol_of(&probe),
               st->refused[0] ? "; cpu refused: " : "", st->refused);
    }
    for (int i = 0; i < n; i++) free_case(&cases[i]);
    free(cases);
}

/* ---- cases made here: thousands of rows (the thread pool's tasks) ---- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

/* Uniform in [-1, 1) (xorshift64*: deterministic, no libc rand). */
static float urand(void) {
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (float)((double)((rng_state * 0x2545F4914F6CDD1Dull) >> 11) / 9007199254740992.0 * 2.0 - 1.0);
}

static int set_tensor(tdesc *t, int role, ia_dtype dt, int ndim, const int64_t *shape, int64_t group) {
    ia_tensor probe;
    memset(t, 0, sizeof *t);
    if (ia_tensor_init(&probe, dt, ndim, shape, group) != 0) return 0;
    t->present = 1;
    t->role = role;
    t->dtype = dt;
    t->ndim = ndim;
    t->group = group;
    memcpy(t->shape, shape, (size_t)ndim * sizeof *shape);
    t->nbytes = ia_tensor_nbytes(&probe);
    return (t->bytes = malloc(t->nbytes ? t->nbytes : 1)) != NULL;
}

static int rand_f32(tdesc *t, int role, int ndim, const int64_t *shape, float scale, float shift) {
    if (!set_tensor(t, role, IA_DTYPE_F32, ndim, shape, 0)) return 0;
    for (size_t i = 0; i < t->nbytes / 4; i++) ((float *)t->bytes)[i] = urand() * scale + shift;
    return 1;
}

static int i32s(tdesc *t, int64_t n, const int32_t *v) {
    if (!set_tensor(t, ROLE_INPUT, IA_DTYPE_I32, 1, &n, 0)) return 0;
    memcpy(t->bytes, v, (size_t)n * 4);
    return 1;
}

/* A random QA weight [n, k] in groups of `group`. */
static int rand_qa(tdesc *t, int bits, int64_t n, int64_t k, int64_t group) {
    ia_qweights q;
    int64_t shape[2] = {n, k};
    int ok;
    if (ia_qweights_alloc(&q, bits, n, k, group) != IA_OK) return 0;
    for (int64_t i = 0; i < n * k; i++)
        q.q[i] = (uint8_t)((unsigned)((urand() + 1.0f) * 0.5f * (float)(1 << bits)) & ((1u << bits) - 1));
    for (int64_t i = 0; i < n * (k / group); i++) {
        q.d[i] = 0.02f + 0.01f * urand();
        q.m[i] = -q.d[i] * (float)(1 << (bits - 1));
    }
    ok = set_tensor(t, ROLE_WEIGHT, ia_qweights_qa_dtype(&q), 2, shape, group) &&
         ia_qweights_to_dtype(&q, t->dtype, t->bytes) == IA_OK;
    ia_qweights_free(&q);
    return ok;
}

#define BIG_ROWS 4096
#define BIG_COLS 64

/* Row ops over BIG_ROWS rows (tasks of 16 rows, as many threads as the
 * bytes justify), pooling and attention over hundreds of sequences and
 * query blocks, linear layers big enough for the GEMMs' threads: cpu
 * against ref, each on the cpu. */
static void check_many_rows(executors *e, int *ia_failed_) {
    op_stats st;
    char line[1024] = "";
    int len = 0;

    ocase c;
    int64_t xs[2] = {BIG_ROWS, BIG_COLS}, row[1] = {BIG_COLS}, n_seq = 301;
    int32_t *ids = malloc(BIG_ROWS * sizeof *ids), *offs = malloc((size_t)(n_seq + 1) * sizeof *offs);
    if (!ids || !offs) {
        free(ids);
        free(offs);
        REQUIRE(0);
    }
    for (int i = 0; i < BIG_ROWS; i++) ids[i] = (i * 37) % 100;
    /* sequences of 0..26 rows covering the 4096 (first offset 0, last 4096) */
    offs[0] = 0;
    for (int s = 1; s < n_seq; s++) {
        offs[s] = offs[s - 1] + (s * 7) % 27;
        if (offs[s] > BIG_ROWS) offs[s] = BIG_ROWS;
    }
    offs[n_seq] = BIG_ROWS;
    for (int which = 0;; which++) {
        int ok = 1;
        memset(&c, 0, sizeof c);
        memset(&st, 0, sizeof st);
        c.out_ndim = 2;
        c.out_shape[0] = BIG_ROWS;
        c.out_shape[1] = BIG_COLS;
        switch (which) {
        case 0: /* layer norm with a residual */
            c.op = IA_OP_LAYER_NORM;
            c.fparam[0] = 1e-5f;
            ok = rand_f32(&c.src[0], ROLE_INPUT, 2, xs, 2, 1) && rand_f32(&c.src[1], ROLE_WEIGHT, 1, row, 0.2f, 1) &&
                 rand_f32(&c.src[2], ROLE_WEIGHT, 1, row, 0.2f, 0) && rand_f32(&c.src[3], ROLE_INPUT, 2, xs, 1, 0);
            break;
        case 1:
            c.op = IA_OP_RMS_NORM;
            c.fparam[0] = 1e-6f;
            ok = rand_f32(&c.src[0], ROLE_INPUT, 2, xs, 2, 0) && rand_f32(&c.src[1], ROLE_WEIGHT, 1, row, 0.2f, 1);
            break;
        case 2: c.op = IA_OP_GELU; ok = rand_f32(&c.src[0], ROLE_INPUT, 2, xs, 6, 0); break;
        case 3: c.op = IA_OP_SILU; ok = rand_f32(&c.src[0], ROLE_INPUT, 2, xs, 6, 0); break;
        case 4:
            c.op = IA_OP_SWIGLU;
            ok = rand_f32(&c.src[0], ROLE_INPUT, 2, xs, 6, 0) && rand_f32(&c.src[1], ROLE_INPUT, 2, xs, 1, 0);
            break;
        case 5:
            c.op = IA_OP_SCALE;
            c.fparam[0] = 0.5f;
            c.fparam[1] = 0.25f;
            ok = rand_f32(&c.src[0], ROLE_INPUT, 2, xs, 1, 0);
            break;
        case 6: c.op = IA_OP_L2_NORMALIZE; ok = rand_f32(&c.src[0], ROLE_INPUT, 2, xs, 1, 0); break;
        case 7:
            c.op = IA_OP_ADD;
            ok = rand_f32(&c.src[0], ROLE_INPUT, 2, xs, 1, 0) && rand_f32(&c.src[1], ROLE_INPUT, 1, row, 1, 0);
            break;
        case 8:
            c.op = IA_OP_MUL;
            ok = rand_f32(&c.src[0], ROLE_INPUT, 2, xs, 1, 0) && rand_f32(&c.src[1], ROLE_INPUT, 2, xs, 1, 0);
            break;
        case 9: { /* neox rope, 4 heads of 16, positions 0..63 repeating */
            int32_t *pos = malloc(BIG_ROWS * sizeof *pos);
            c.op = IA_OP_ROPE;
            c.iparam[0] = IA_ROPE_NEOX;
            c.iparam[1] = 16;
            c.iparam[2] = 16;
            c.fparam[0] = 10000.0f;
            c.fparam[1] = 1.0f;
            for (int i = 0; pos && i < BIG_ROWS; i++) pos[i] = i % 64;
            ok = pos && rand_f32(&c.src[0], ROLE_INPUT, 2, xs, 1, 0) && i32s(&c.src[1], BIG_ROWS, pos);
            free(pos);
            break;
        }
        case 10: /* QA4 table rows gathered */
            c.op = IA_OP_GET_ROWS;
            ok = rand_qa(&c.src[0], 4, 100, BIG_COLS, 32) && i32s(&c.src[1], BIG_ROWS, ids);
            break;
        case 11: {
            int64_t tshape[2] = {512, BIG_COLS}; /* sequences of up to ~200 rows from position 3 */
            c.op = IA_OP_ADD_POSITIONS;
            ok = rand_f32(&c.src[0], ROLE_INPUT, 2, xs, 1, 0) && rand_f32(&c.src[1], ROLE_WEIGHT, 2, tshape, 1, 0) &&
                 i32s(&c.src[2], n_seq + 1, offs);
            c.iparam[0] = 3;
            break;
        }
        case 12:
            c.op = IA_OP_MEAN_POOL;
            c.out_shape[0] = n_seq;
            ok = rand_f32(&c.src[0], ROLE_INPUT, 2, xs, 1, 0) && i32s(&c.src[1], n_seq + 1, offs);
            break;
        case 13: { /* linear, float and quantised: the GEMMs' own threading */
            int64_t xm[2] = {512, BIG_COLS}, ws[2] = {96, BIG_COLS}, bs[1] = {96};
            c.op = IA_OP_LINEAR;
            c.iparam[0] = IA_ACT_GELU;
            c.out_shape[0] = 512;
            c.out_shape[1] = 96;
            ok = rand_f32(&c.src[0], ROLE_INPUT, 2, xm, 1, 0) && rand_f32(&c.src[1], ROLE_WEIGHT, 2, ws, 0.2f, 0) &&
                 rand_f32(&c.src[2], ROLE_WEIGHT, 1, bs, 0.5f, 0);
            break;
        }
        case 14: {
            int64_t xm[2] = {512, BIG_COLS}, bs[1] = {96};
            c.op = IA_OP_LINEAR;
            c.out_shape[0] = 512;
            c.out_shape[1] = 96;
            ok = rand_f32(&c.src[0], ROLE_INPUT, 2, xm, 1, 0) && rand_qa(&c.src[1], 4, 96, BIG_COLS, 32) &&
                 rand_f32(&c.src[2], ROLE_WEIGHT, 1, bs, 0.5f, 0);
            break;
        }
        case 15: { /* packed attention: 3 sequences of up to 150 rows (several query blocks), causal */
            int64_t qs[2] = {300, 64};
            int32_t po[4] = {0, 150, 190, 300};
            c.op = IA_OP_ATTENTION;
            c.iparam[0] = 4;
            c.iparam[1] = 2;
            c.iparam[2] = IA_ATTN_CAUSAL;
            c.fparam[0] = 0.25f;
            c.out_shape[0] = 300;
            c.out_shape[1] = 64;
            qs[1] = 64;
            ok = rand_f32(&c.src[0], ROLE_INPUT, 2, qs, 1, 0);
            qs[1] = 32;
            ok = ok && rand_f32(&c.src[1], ROLE_INPUT, 2, qs, 1, 0) && rand_f32(&c.src[2], ROLE_INPUT, 2, qs, 1, 0) &&
                 i32s(&c.src[3], 4, po);
            break;
        }
        default: ok = -1;
        }
        if (ok < 0) break;
        snprintf(c.name, sizeof c.name, "%s/threaded", ia_op_name(c.op));
        CHECK_MSG(ok, "%s: making the inputs", c.name);
        if (ok) {
            check_case(e, &c, NULL, 0, &st, ia_failed_);
            CHECK_MSG(st.on_cpu == 1, "%s did not run on the cpu", c.name);
            len += snprintf(line + len, sizeof line - len, "%s%s %.0e", len ? ", " : "", ia_op_name(c.op),
                            st.worst_cpu);
            if (len >= (int)sizeof line) len = (int)sizeof line - 1;
        }
        free_case(&c);
    }
    printf("    cpu vs ref: %s\n", line);
    free(ids);
    free(offs);
}

IA_TEST(ops_thread_pool_many_rows_cpu_matches_ref) {
    for (int kv = 0; kv < N_KERNELS; kv++) {
        executors e;
        if (!executors_open(&e, NULL, KERNELS[kv])) {
            CHECK_MSG(0, "cannot open the executors (kernel %s)", KERNELS[kv] ? KERNELS[kv] : "best");
            executors_close(&e);
            break;
        }
        printf("  cpu kernels %s, thread pool of %d threads\n", e.cpu->iface->kernel_name(e.cpu),
               ia_pool_size(ia_pool_global()));
        check_many_rows(&e, ia_failed_);
        executors_close(&e);
    }
}

/* ---- a split graph ---- */

/* x → linear (F16 weight [40, 48], bias) → v = columns 4..36 of it (a
 * strided view) → layer_norm → gelu → add (+ v) → l2_normalize, on
 * [cpu, ref]; writes the output into y. */
static ia_status run_chain(executors *e, ia_sched *s, const float *x, const uint16_t *wh, const float *b,
                           const float *g, const float *beta, float *y, int *backend, int *n_copies) {
    ia_graph *gr = NULL;
    int64_t xs[2] = {64, 48}, ws[2] = {40, 48}, v40[1] = {40}, v32[1] = {32}, ls[2] = {64, 40}, ys[2] = {64, 32};
    ia_tensor W, B, G, Be, *t, *lin;
    ia_status st;
    ia_tensor_init(&W, IA_DTYPE_F16, 2, ws, 0);
    ia_tensor_init(&B, IA_DTYPE_F32, 1, v40, 0);
    ia_tensor_init(&G, IA_DTYPE_F32, 1, v32, 0);
    ia_tensor_init(&Be, IA_DTYPE_F32, 1, v32, 0);
    W.data = (void *)wh, B.data = (void *)b, G.data = (void *)g, Be.data = (void *)beta;
    W.flags = B.flags = G.flags = Be.flags = IA_TENSOR_PARAM;
    W.use = IA_USE_MATMUL;
    W.name = "w";
    if ((st = e->cpu->iface->prepare_weight(e->cpu, &W)) != IA_OK) return st;
    if ((st = ia_graph_create(&gr)) != IA_OK) return st;
    t = ia_graph_input(gr, IA_DTYPE_F32, 2, xs, (void *)x, "x");
    t = ia_graph_op(gr, IA_OP_LINEAR, 2, ls, t, &W, &B, NULL);
    lin = t = t ? ia_graph_slice(gr, t, 1, 4, 32) : NULL;
    t = ia_graph_op(gr, IA_OP_LAYER_NORM, 2, ys, t, &G, &Be, NULL);
    if (t) ia_graph_last(gr)->fparam[0] = 1e-5f;
    t = ia_graph_op(gr, IA_OP_GELU, 2, ys, t, NULL, NULL, NULL);
    t = ia_graph_op(gr, IA_OP_ADD, 2, ys, t, lin, NULL, NULL);
    t = ia_graph_op(gr, IA_OP_L2_NORMALIZE, 2, ys, t, NULL, NULL, NULL);
    st = t ? ia_graph_mark_output(gr, t) : IA_ERR_INTERNAL;
    if (st == IA_OK) st = ia_sched_run(s, gr);
    if (st == IA_OK) st = ia_tensor_download(t, y, 64 * 32 * sizeof *y);
    for (int i = 0; st == IA_OK && i < 5; i++) backend[i] = ia_sched_node_backend(s, i);
    *n_copies = ia_sched_n_copies(s);
    e->cpu->iface->release_weight(e->cpu, &W);
    ia_graph_free(gr);
    return st;
}

IA_TEST(ops_disabled_on_cpu_run_on_ref_with_copies) {
    executors all, part;
    float x[64 * 48], b[40], g[32], beta[32], ya[64 * 32], yb[64 * 32];
    uint16_t wh[40 * 48];
    int ba[5] = {0}, bb[5] = {0}, ca = 0, cb = 0;
    for (int i = 0; i < 64 * 48; i++) x[i] = urand();
    for (int i = 0; i < 40 * 48; i++) wh[i] = ia_fp32_to_fp16(urand() * 0.3f);
    for (int i = 0; i < 40; i++) b[i] = urand();
    for (int i = 0; i < 32; i++) g[i] = 1 + 0.2f * urand(), beta[i] = 0.1f * urand();
    memset(&part, 0, sizeof part);
    if (!executors_open(&all, NULL, NULL) || !executors_open(&part, "layer_norm, gelu", NULL)) {
        executors_close(&all);
        executors_close(&part);
        REQUIRE(0);
    }
    CHECK_STATUS(run_chain(&all, all.s_cpu, x, wh, b, g, beta, ya, ba, &ca), IA_OK);
    CHECK_STATUS(run_chain(&part, part.s_cpu, x, wh, b, g, beta, yb, bb, &cb), IA_OK);
    for (int i = 0; i < 5; i++) CHECK_MSG(ba[i] == 0, "all-cpu: node %d ran on executor %d", i, ba[i]);
    CHECK(ca == 0 && ia_sched_n_splits(all.s_cpu) == 1);
    /* linear on cpu, layer_norm and gelu on ref, add and l2 back on cpu */
    CHECK(bb[0] == 0 && bb[1] == 1 && bb[2] == 1 && bb[3] == 0 && bb[4] == 0);
    CHECK_MSG(ia_sched_n_splits(part.s_cpu) == 3, "%d splits", ia_sched_n_splits(part.s_cpu));
    /* the strided view of the linear's output into ref (for layer_norm),
     * gelu's output into cpu (for add, which reads the view in place) */
    CHECK_MSG(cb == 2, "%d copies", cb);
    {
        double e = row_err(yb, ya, 64 * 32, 32);
        /* GELU on ref is exact erf in double, on cpu a float kernel (1e-6);
         * layer norm sums in double there, in float here (5e-6) */
        CHECK_MSG(e <= 1e-5, "split and all-cpu results differ by %.3g", e);
        printf("  split graph: %d splits, %d copies, max row error vs all-cpu %.1e\n", ia_sched_n_splits(part.s_cpu),
               cb, e);
    }
    executors_close(&all);
    executors_close(&part);
}
