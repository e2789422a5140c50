/*
 * cpu_backend.c — the CPU executor: a thread pool, the dispatched kernels,
 * per-thread scratch, and the loop that runs a planned graph node by node.
 * Always available (it is the reference every other backend is tested
 * against).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/backend.h"
#include "backends/cpu/cpu_ops.h"
#include "backends/cpu/gemm.h"
#include "util/clock.h"
#include "util/error.h"

static int cpu_probe(char *reason, size_t cap) {
    if (cap) reason[0] = '\0';
    return 1;
}

static void print_profile(const ia_cpu_ctx *c) {
    double total = 0;
    for (int i = 0; i < IA_OP_COUNT; i++) total += c->op_seconds[i];
    fprintf(stderr, "ipfs_accelerate cpu profile (%d threads, %s kernels): %.1f ms in ops\n",
            ia_pool_size(c->pool), c->gemm->name, 1e3 * total);
    for (int i = 0; i < IA_OP_COUNT; i++)
        if (c->op_calls[i])
            fprintf(stderr, "  %-14s %6ld calls %9.2f ms %5.1f %%\n", ia_op_name((ia_op)i), c->op_calls[i],
                    1e3 * c->op_seconds[i], total > 0 ? 100.0 * c->op_seconds[i] / total : 0.0);
}

static void cpu_destroy(void *ctx) {
    ia_cpu_ctx *c = ctx;
    if (!c) return;
    if (c->profile) print_profile(c);
    if (c->scratch)
        for (int i = 0; i < ia_pool_size(c->pool); i++) free(c->scratch[i]);
    free(c->scratch);
    free(c->qws);
    ia_pool_free(c->pool);
    free(c);
}

/* Variant ranks, best first, as the GEMM dispatcher orders them. */
static int kernel_rank(const char *name) {
    return strcmp(name, "avx512") == 0 ? 0 : strcmp(name, "avx2") == 0 ? 1 : 2;
}

/* The lower of what the config allows and what IA_KERNEL allows (each
 * already capped by what the CPU runs). */
static const ia_sgemm_impl *pick_gemm(const char *requested) {
    const ia_sgemm_impl *a = ia_sgemm_impl_pick(requested), *b = ia_sgemm_impl_pick(getenv("IA_KERNEL"));
    return kernel_rank(a->name) >= kernel_rank(b->name) ? a : b;
}

static ia_status cpu_create(const ia_backend_config *cfg, void **out) {
    ia_cpu_ctx *c = calloc(1, sizeof *c);
    ia_status st;
    *out = NULL;
    if (!c) return ia_error(IA_ERR_NOMEM, "cpu backend");
    st = ia_pool_create(cfg ? cfg->threads : 0, &c->pool);
    if (st != IA_OK) {
        free(c);
        return st;
    }
    c->scratch = calloc((size_t)ia_pool_size(c->pool), sizeof *c->scratch);
    if (!c->scratch) {
        cpu_destroy(c);
        return ia_error(IA_ERR_NOMEM, "cpu backend");
    }
    c->gemm = pick_gemm(cfg ? cfg->kernel : NULL);
    /* Row kernels follow the GEMM: AVX-512 ones only with the AVX-512 GEMM. */
    c->vec = strcmp(c->gemm->name, "avx512") == 0 && ia_vec_ops_avx512() ? ia_vec_ops_avx512()
                                                                          : ia_vec_ops_generic();
    c->qgemm = ia_qgemm_pick(cfg ? cfg->kernel : NULL);
    c->profile = getenv("IA_PROFILE") && strcmp(getenv("IA_PROFILE"), "1") == 0;
    *out = c;
    return IA_OK;
}

/* Attention needs len × len floats per thread; grow before the run. */
static ia_status reserve_scratch(ia_cpu_ctx *c, ia_graph *g) {
    size_t need = 0;
    for (int i = 0; i < ia_graph_n_nodes(g); i++) {
        ia_node *n = ia_graph_node(g, i);
        if (n->op == IA_OP_ATTENTION) {
            const int32_t *o = n->src[3]->data;
            int64_t ns = ia_tensor_nelem(n->src[3]) - 1;
            for (int64_t s = 0; s < ns; s++) {
                size_t len = (size_t)(o[s + 1] - o[s]);
                need = len * len > need ? len * len : need;
            }
        }
    }
    if (need <= c->scratch_elems) return IA_OK;
    for (int i = 0; i < ia_pool_size(c->pool); i++) {
        free(c->scratch[i]);
        c->scratch[i] = malloc(need * sizeof(float));
        if (!c->scratch[i]) {
            c->scratch_elems = 0;
            return ia_error(IA_ERR_NOMEM, "attention scratch (%zu floats)", need);
        }
    }
    c->scratch_elems = need;
    return IA_OK;
}

static ia_status cpu_compute(void *ctx, ia_graph *g) {
    ia_cpu_ctx *c = ctx;
    ia_status st = reserve_scratch(c, g);
    for (int i = 0; st == IA_OK && i < ia_graph_n_nodes(g); i++) {
        ia_node *n = ia_graph_node(g, i);
        double t0 = c->profile ? ia_now_sec() : 0.0;
        switch (n->op) {
        case IA_OP_GET_ROWS: st = ia_cpu_get_rows(c, n); break;
        case IA_OP_ADD: st = ia_cpu_add(c, n); break;
        case IA_OP_ADD_POSITIONS: st = ia_cpu_add_positions(c, n); break;
        case IA_OP_LINEAR: st = ia_cpu_linear(c, n); break;
        case IA_OP_LAYER_NORM: st = ia_cpu_layer_norm(c, n); break;
        case IA_OP_GELU: st = ia_cpu_gelu(c, n); break;
        case IA_OP_ATTENTION: st = ia_cpu_attention(c, n); break;
        case IA_OP_MEAN_POOL:
        case IA_OP_CLS_POOL: st = ia_cpu_pool_rows(c, n); break;
        case IA_OP_L2_NORMALIZE: st = ia_cpu_l2_normalize(c, n); break;
        default: st = ia_error(IA_ERR_UNSUPPORTED, "cpu backend: op %s", ia_op_name(n->op));
        }
        if (st == IA_OK) ia_graph_notify(g, n);
        if (c->profile && (unsigned)n->op < IA_OP_COUNT) {
            c->op_seconds[n->op] += ia_now_sec() - t0;
            c->op_calls[n->op]++;
        }
    }
    return st;
}

static const char *cpu_kernel_name(void *ctx) {
    return ((ia_cpu_ctx *)ctx)->gemm->name;
}

const ia_backend_ops ia_cpu_backend = {
    .version = IA_BACKEND_OPS_VERSION,
    .name = "cpu",
    .probe = cpu_probe,
    .create = cpu_create,
    .destroy = cpu_destroy,
    .compute = cpu_compute,
    .kernel_name = cpu_kernel_name,
};
