/*
 * cpu_ops.h — the CPU implementations of the graph ops, one function per op.
 * Each validates what it needs from its node (shapes, ids in range) and
 * parallelises over rows (or sequences × heads) with the pool.
 */
#ifndef IA_BACKENDS_CPU_CPU_OPS_H
#define IA_BACKENDS_CPU_CPU_OPS_H

#include "backends/cpu/gemm_kernels.h"
#include "backends/cpu/qgemm.h"
#include "backends/cpu/vec.h"
#include "tensor/graph.h"
#include "util/threadpool.h"

typedef struct ia_cpu_ctx {
    ia_pool *pool;
    const ia_sgemm_impl *gemm; /* GEMM variant for this context */
    const ia_vec_ops *vec;
    const ia_qgemm_impl *qgemm; /* quantised-weight kernels, same ISA cap */
    void *qws;                  /* their activation workspace, 64-byte aligned */
    size_t qws_size;
    float **scratch;      /* one attention score buffer per thread */
    size_t scratch_elems; /* capacity of each */
    int profile;          /* IA_PROFILE=1: time per op, printed at destroy */
    double op_seconds[IA_OP_COUNT];
    long op_calls[IA_OP_COUNT];
} ia_cpu_ctx;

ia_status ia_cpu_get_rows(ia_cpu_ctx *c, ia_node *n);
ia_status ia_cpu_add(ia_cpu_ctx *c, ia_node *n);
ia_status ia_cpu_add_positions(ia_cpu_ctx *c, ia_node *n);
ia_status ia_cpu_linear(ia_cpu_ctx *c, ia_node *n);
ia_status ia_cpu_layer_norm(ia_cpu_ctx *c, ia_node *n);
ia_status ia_cpu_gelu(ia_cpu_ctx *c, ia_node *n);
ia_status ia_cpu_attention(ia_cpu_ctx *c, ia_node *n);
ia_status ia_cpu_pool_rows(ia_cpu_ctx *c, ia_node *n); /* mean and cls */
ia_status ia_cpu_l2_normalize(ia_cpu_ctx *c, ia_node *n);

/* Checks packed-sequence offsets: I32 [n+1], 0 = off[0] <= ... <= off[n] = rows. */
ia_status ia_cpu_check_offsets(const ia_tensor *offs, int64_t rows);

#endif
