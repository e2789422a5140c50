/*
 * cpu_backend.c — the CPU device kind and its executors: dispatched
 * kernels, per-thread scratch, the process's thread pool, and the loop that
 * runs a split node by node. Always available.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/cpu/cpu_ops.h"
#include "backends/cpu/gemm.h"
#include "util/error.h"

static int cpu_probe(char *reason, size_t cap) {
    if (cap) reason[0] = '\0';
    return 1;
}

static int cpu_device_count(void) { return 1; }

static ia_status cpu_device_props(int device, ia_device_props *p) {
    if (device != 0) return ia_error(IA_ERR_NOT_FOUND, "cpu has one device (all cores; asked for %d)", device);
    memset((char *)p + sizeof p->struct_size, 0, p->struct_size - sizeof p->struct_size);
    snprintf(p->name, sizeof p->name, "CPU (%s kernels)", ia_sgemm_impl_pick(NULL)->name);
    p->host_memory = 1;
    p->precisions = 1u << IA_PRECISION_FP32 | 1u << IA_PRECISION_INT8 | 1u << IA_PRECISION_INT4 |
                    1u << IA_PRECISION_INT2;
    p->max_threads = ia_pool_size(ia_pool_global());
    return IA_OK;
}

static void cpu_free(ia_backend *b) {
    ia_cpu_ctx *c;
    if (!b) return;
    c = b->ctx;
    if (c) {
        char who[96];
        snprintf(who, sizeof who, "cpu (%d threads, %s kernels)", c->threads, c->gemm ? c->gemm->name : "no");
        ia_op_profile_print(&c->prof, who);
        for (int i = 0; c->scratch && i < c->n_scratch; i++) free(c->scratch[i]);
        free(c->scratch);
        free(c->qws);
        free(c);
    }
    free(b);
}

static const char *cpu_kernel_name(ia_backend *b) { return ((ia_cpu_ctx *)b->ctx)->gemm->name; }

/* Host memory it may read in place: borrowed memory, weights, state, and
 * its own kind's activations; another kind's activations are copied, as
 * they would be from a device. */
static int cpu_can_read(ia_backend *b, const ia_buffer *buf) {
    if (!buf) return 1;
    if (!buf->host) return 0;
    return buf->usage != IA_BUFFER_COMPUTE || buf->kind == &ia_cpu_backend;
}

static ia_status cpu_buffer_alloc(ia_backend *b, size_t size, ia_buffer_usage usage, ia_buffer **out) {
    ia_status st = ia_host_buffer_alloc(size, usage, out);
    if (st == IA_OK) (*out)->kind = &ia_cpu_backend;
    return st;
}

static ia_status cpu_compute(ia_backend *b, ia_graph *g, ia_node *const *nodes, int count) {
    ia_cpu_ctx *c = b->ctx;
    ia_status st = IA_OK;
    for (int i = 0; st == IA_OK && i < count; i++) {
        ia_node *n = nodes[i];
        double t0 = ia_op_profile_start(&c->prof);
        switch (n->op) {
        case IA_OP_GET_ROWS: st = ia_cpu_get_rows(c, n); break;
        case IA_OP_ADD:
        case IA_OP_MUL: st = ia_cpu_binary(c, n); break;
        case IA_OP_ADD_POSITIONS: st = ia_cpu_add_positions(c, n); break;
        case IA_OP_LINEAR: st = ia_cpu_linear(c, n); break;
        case IA_OP_LAYER_NORM:
        case IA_OP_RMS_NORM: st = ia_cpu_norm(c, n); break;
        case IA_OP_GELU:
        case IA_OP_SILU:
        case IA_OP_SCALE: st = ia_cpu_unary(c, n); break;
        case IA_OP_SWIGLU: st = ia_cpu_swiglu(c, n); break;
        case IA_OP_ROPE: st = ia_cpu_rope(c, n); break;
        case IA_OP_ATTENTION: st = ia_cpu_attention(c, n); break;
        case IA_OP_MEAN_POOL:
        case IA_OP_CLS_POOL: st = ia_cpu_pool_rows(c, n); break;
        case IA_OP_L2_NORMALIZE: st = ia_cpu_l2_normalize(c, n); break;
        case IA_OP_CONT:
        case IA_OP_WRITE: st = ia_cpu_copy(c, n); break;
        case IA_OP_CONCAT: st = ia_cpu_concat(c, n); break;
        case IA_OP_CONV1D:
        case IA_OP_CONV2D: st = ia_cpu_conv(c, n); break;
        default: st = ia_error(IA_ERR_UNSUPPORTED, "cpu backend: op %s", ia_op_name(n->op));
        }
        if (st == IA_OK) ia_graph_notify(g, n);
        ia_op_profile_add(&c->prof, n->op, t0);
    }
    return st;
}

static ia_status cpu_synchronize(ia_backend *b) { return IA_OK; }

static const ia_backend_iface cpu_iface = {
    .abi_version = IA_BACKEND_ABI,
    .struct_size = sizeof(ia_backend_iface),
    .free = cpu_free,
    .kernel_name = cpu_kernel_name,
    .supports_op = ia_cpu_supports,
    .can_read = cpu_can_read,
    .buffer_alloc = cpu_buffer_alloc,
    .prepare_weight = ia_cpu_prepare_weight,
    .release_weight = ia_cpu_release_weight,
    .compute = cpu_compute,
    .synchronize = cpu_synchronize,
};

/* The lower of what the config allows and what IA_KERNEL allows (each
 * already capped by what the CPU runs). */
static const ia_sgemm_impl *pick_gemm(const char *requested) {
    const ia_sgemm_impl *a = ia_sgemm_impl_pick(requested), *b = ia_sgemm_impl_pick(getenv("IA_KERNEL"));
    return ia_sgemm_impl_rank(a->name) >= ia_sgemm_impl_rank(b->name) ? a : b;
}

static ia_status cpu_init(const ia_backend_config *cfg, ia_backend **out) {
    ia_backend *b = calloc(1, sizeof *b);
    ia_cpu_ctx *c = calloc(1, sizeof *c);
    *out = NULL;
    if (!b || !c) {
        free(b);
        free(c);
        return ia_error(IA_ERR_NOMEM, "cpu backend");
    }
    b->iface = &cpu_iface;
    b->kind = &ia_cpu_backend;
    b->ctx = c;
    if (cfg && cfg->device != 0) {
        cpu_free(b);
        return ia_error(IA_ERR_NOT_FOUND, "cpu has one device (asked for %d)", cfg->device);
    }
    b->precision = cfg ? cfg->precision : IA_PRECISION_FP32;
    c->pool = ia_pool_global();
    c->n_scratch = ia_pool_size(c->pool);
    c->threads = cfg && cfg->threads > 0 && cfg->threads < c->n_scratch ? cfg->threads : c->n_scratch;
    c->scratch = calloc((size_t)c->n_scratch, sizeof *c->scratch);
    if (!c->scratch) {
        cpu_free(b);
        return ia_error(IA_ERR_NOMEM, "cpu backend");
    }
    c->disabled = cfg ? cfg->disabled_ops : NULL;
    c->gemm = pick_gemm(cfg ? cfg->kernel : NULL);
    /* Row kernels follow the GEMM: AVX-512 ones only with the AVX-512 GEMM,
     * SIMD128 ones with the SIMD128 GEMM (so IA_KERNEL=generic forces the
     * portable row kernels too). */
    if (strcmp(c->gemm->name, "avx512") == 0 && ia_vec_ops_avx512())
        c->vec = ia_vec_ops_avx512();
    else if (strcmp(c->gemm->name, "wasm_simd128") == 0 && ia_vec_ops_wasm_simd128())
        c->vec = ia_vec_ops_wasm_simd128();
    else
        c->vec = ia_vec_ops_generic();
    c->qgemm = ia_qgemm_pick(cfg ? cfg->kernel : NULL);
    ia_op_profile_init(&c->prof);
    *out = b;
    return IA_OK;
}

const ia_backend_ops ia_cpu_backend = {
    .abi_version = IA_BACKEND_ABI,
    .struct_size = sizeof(ia_backend_ops),
    .name = "cpu",
    .probe = cpu_probe,
    .device_count = cpu_device_count,
    .device_props = cpu_device_props,
    .init = cpu_init,
};
