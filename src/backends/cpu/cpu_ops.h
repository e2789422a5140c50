/*
 * cpu_ops.h — the CPU executor's state and its op implementations, one
 * function per op (cpu_ops.c: row ops; cpu_attention.c; cpu_shape_ops.c:
 * copies, concat, convolutions). supports_op (cpu_support.c) admits only
 * what these implement; each op still validates what it reads (ids in
 * range, offsets) and parallelises over rows (or sequences × heads) with
 * the process's thread pool, using fewer threads for small ops.
 */
#ifndef IA_BACKENDS_CPU_CPU_OPS_H
#define IA_BACKENDS_CPU_CPU_OPS_H

#include "backends/backend.h"
#include "backends/op_profile.h"
#include "backends/cpu/gemm_kernels.h"
#include "backends/cpu/qgemm.h"
#include "backends/cpu/vec.h"
#include "util/threadpool.h"

extern const ia_backend_ops ia_cpu_backend;


/* A weight prepared for the CPU kernels (tensor->extra). */
typedef struct ia_cpu_weight {
    ia_weight_extra head; /* .kind = &ia_cpu_backend */
    float *f32;           /* converted copy (F16/BF16 weights, or a
                             quantised matrix the kernels cannot take) */
    ia_qmat *qmat;        /* packed quantised matrix for ia_qgemm */
    ia_sgemm_packed *packed; /* an F32 matrix in the GEMM's panels */
} ia_cpu_weight;

typedef struct ia_cpu_ctx {
    ia_pool *pool;
    int threads;                /* at most this many per op */
    const ia_sgemm_impl *gemm;  /* GEMM variant for this executor */
    const ia_vec_ops *vec;
    const ia_qgemm_impl *qgemm; /* quantised-weight kernels, same ISA cap */
    const char *disabled;       /* ops to refuse (config) */
    void *qws;                  /* activation workspace of ia_qgemm, 64-byte aligned */
    size_t qws_size;
    float **scratch;            /* one attention score buffer per pool thread */
    size_t scratch_elems;
    int n_scratch;
    ia_op_profile prof;         /* IA_PROFILE=1: time per op, printed at free */
} ia_cpu_ctx;

/* Runs fn over n_tasks tasks on at most `threads` threads (capped by the
 * executor's limit). */
void ia_cpu_run(ia_cpu_ctx *c, int n_tasks, int threads, ia_pool_fn fn, void *ctx);

/* Threads worth using for a row op touching `bytes` of memory: small ops
 * use fewer, so waking threads never costs more than it saves. */
int ia_cpu_threads_for(const ia_cpu_ctx *c, double bytes);

/* The F32 data a kernel reads for t: t's own (F32), or the prepared copy
 * of a weight; NULL when there is none. */
const float *ia_cpu_f32(const ia_tensor *t);

/* The packed matrix of a prepared quantised weight, or NULL. */
const ia_qmat *ia_cpu_qmat(const ia_tensor *t);

/* The prepacked F32 panels of a weight (for the GEMM variant that packed
 * them), or NULL. */
const ia_sgemm_packed *ia_cpu_packed(const ia_tensor *t);

int ia_cpu_supports(ia_backend *b, const ia_node *n);
ia_status ia_cpu_prepare_weight(ia_backend *b, ia_tensor *w);
void ia_cpu_release_weight(ia_backend *b, ia_tensor *w);

ia_status ia_cpu_get_rows(ia_cpu_ctx *c, ia_node *n);
ia_status ia_cpu_binary(ia_cpu_ctx *c, ia_node *n); /* add, mul */
ia_status ia_cpu_add_positions(ia_cpu_ctx *c, ia_node *n);
ia_status ia_cpu_linear(ia_cpu_ctx *c, ia_node *n);
ia_status ia_cpu_norm(ia_cpu_ctx *c, ia_node *n);   /* layer_norm, rms_norm */
ia_status ia_cpu_unary(ia_cpu_ctx *c, ia_node *n);  /* gelu, silu, scale */
ia_status ia_cpu_swiglu(ia_cpu_ctx *c, ia_node *n);
ia_status ia_cpu_rope(ia_cpu_ctx *c, ia_node *n);
ia_status ia_cpu_attention(ia_cpu_ctx *c, ia_node *n);
ia_status ia_cpu_pool_rows(ia_cpu_ctx *c, ia_node *n); /* mean and cls */
ia_status ia_cpu_l2_normalize(ia_cpu_ctx *c, ia_node *n);
ia_status ia_cpu_copy(ia_cpu_ctx *c, ia_node *n);      /* cont, write */
ia_status ia_cpu_concat(ia_cpu_ctx *c, ia_node *n);
ia_status ia_cpu_conv(ia_cpu_ctx *c, ia_node *n);      /* conv1d, conv2d */

/* 1 when a convolution node's shapes and parameters fit (cpu_shape_ops.c). */
int ia_cpu_conv_shape_ok(const ia_node *n);

/* Checks packed-sequence offsets: I32 [n+1], 0 = off[0] <= ... <= off[n] = rows. */
ia_status ia_cpu_check_offsets(const ia_tensor *offs, int64_t rows);

#endif
