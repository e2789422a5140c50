/*
 * ref_backend.c — the reference executor's tables: one host device, its
 * buffers, and the loop over nodes (the ops are in ref_ops.c).
 *
 * It reads weights, state and inputs in host memory in place, but only its
 * own activations: another executor's compute buffer is copied in by the
 * scheduler, as it would be for a device with memory of its own. That makes
 * a split between cpu and ref exercise the same copy path a GPU takes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/op_profile.h"
#include "backends/ref/ref.h"
#include "util/error.h"

typedef struct ref_ctx {
    const char *disabled; /* borrowed from the config */
    ia_op_profile prof;   /* IA_PROFILE=1: shows what fell back to ref */
} ref_ctx;

static int ref_probe(char *reason, size_t cap) {
    if (cap) reason[0] = '\0';
    return 1;
}

static int ref_device_count(void) { return 1; }

static ia_status ref_device_props(int device, ia_device_props *p) {
    if (device != 0) return ia_error(IA_ERR_NOT_FOUND, "ref has one device");
    memset((char *)p + sizeof p->struct_size, 0, p->struct_size - sizeof p->struct_size);
    snprintf(p->name, sizeof p->name, "portable reference (plain C, one thread)");
    p->host_memory = 1;
    p->precisions = 1u << IA_PRECISION_FP32 | 1u << IA_PRECISION_INT8 | 1u << IA_PRECISION_INT4 |
                    1u << IA_PRECISION_INT2;
    p->max_threads = 1;
    return IA_OK;
}

static void ref_free(ia_backend *b) {
    if (!b) return;
    if (b->ctx) ia_op_profile_print(&((ref_ctx *)b->ctx)->prof, "ref");
    free(b->ctx);
    free(b);
}

static const char *ref_kernel_name(ia_backend *b) { return "reference"; }

static int dtype_plain_float(ia_dtype t) { return t == IA_DTYPE_F32 || t == IA_DTYPE_F16 || t == IA_DTYPE_BF16; }

static int ref_supports(ia_backend *b, const ia_node *n) {
    ref_ctx *c = b->ctx;
    if ((unsigned)n->op >= IA_OP_COUNT || ia_backend_op_listed(c->disabled, n->op)) return 0;
    switch (n->op) {
    case IA_OP_CONT:
    case IA_OP_CONCAT:
        return n->out->dtype == n->src[0]->dtype || (dtype_plain_float(n->out->dtype) &&
                                                     (dtype_plain_float(n->src[0]->dtype) || ia_dtype_is_quantized(n->src[0]->dtype)));
    case IA_OP_WRITE: return dtype_plain_float(ia_tensor_root(n->src[1])->dtype);
    case IA_OP_RMS_NORM: return n->src[2] == NULL && n->out->dtype == IA_DTYPE_F32; /* no shift */
    default: return n->out->dtype == IA_DTYPE_F32;
    }
}

static int ref_can_read(ia_backend *b, const ia_buffer *buf) {
    if (!buf) return 1; /* borrowed host memory */
    if (!buf->host) return 0;
    return buf->usage != IA_BUFFER_COMPUTE || buf->kind == &ia_ref_backend;
}

static ia_status ref_buffer_alloc(ia_backend *b, size_t size, ia_buffer_usage usage, ia_buffer **out) {
    ia_status st = ia_host_buffer_alloc(size, usage, out);
    if (st == IA_OK) (*out)->kind = &ia_ref_backend;
    return st;
}

static ia_status ref_compute(ia_backend *b, ia_graph *g, ia_node *const *nodes, int n) {
    ref_ctx *c = b->ctx;
    for (int i = 0; i < n; i++) {
        double t0 = ia_op_profile_start(&c->prof);
        ia_status st = ia_ref_compute_node(nodes[i]);
        ia_op_profile_add(&c->prof, nodes[i]->op, t0);
        if (st != IA_OK) return ia_error_prefix(st, "ref: %s", ia_op_name(nodes[i]->op));
        ia_graph_notify(g, nodes[i]);
    }
    return IA_OK;
}

static ia_status ref_synchronize(ia_backend *b) { return IA_OK; }

static const ia_backend_iface ref_iface = {
    .abi_version = IA_BACKEND_ABI,
    .struct_size = sizeof(ia_backend_iface),
    .free = ref_free,
    .kernel_name = ref_kernel_name,
    .supports_op = ref_supports,
    .can_read = ref_can_read,
    .buffer_alloc = ref_buffer_alloc,
    .prepare_weight = NULL, /* reads every weight as the file has it */
    .release_weight = NULL,
    .compute = ref_compute,
    .synchronize = ref_synchronize,
};

static ia_status ref_init(const ia_backend_config *cfg, ia_backend **out) {
    ia_backend *b = calloc(1, sizeof *b);
    ref_ctx *c = calloc(1, sizeof *c);
    *out = NULL;
    if (!b || !c) {
        free(b);
        free(c);
        return ia_error(IA_ERR_NOMEM, "ref backend");
    }
    if (cfg && cfg->device != 0) {
        free(b);
        free(c);
        return ia_error(IA_ERR_NOT_FOUND, "ref has one device (asked for %d)", cfg->device);
    }
    c->disabled = cfg ? cfg->disabled_ops : NULL;
    ia_op_profile_init(&c->prof);
    b->iface = &ref_iface;
    b->kind = &ia_ref_backend;
    b->precision = cfg ? cfg->precision : IA_PRECISION_FP32;
    b->ctx = c;
    *out = b;
    return IA_OK;
}

const ia_backend_ops ia_ref_backend = {
    .abi_version = IA_BACKEND_ABI,
    .struct_size = sizeof(ia_backend_ops),
    .name = "ref",
    .probe = ref_probe,
    .device_count = ref_device_count,
    .device_props = ref_device_props,
    .init = ref_init,
};
