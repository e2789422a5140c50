/*
 * test_measure.c — GEMM GFLOP/s measured through the backend interface:
 * the same code times the cpu kind and the ref oracle, and a kind that
 * computes a wrong LINEAR (a test executor that writes zeros) is caught
 * rather than timed.
 */
#include <stdlib.h>
#include <string.h>

#include "backends/backend.h"
#include "harness.h"
#include "hw/measure.h"

IA_TEST(measure_linear_through_any_kind) {
    double cpu = 0, ref = 0;
    CHECK_STATUS(ia_hw_measure_linear(ia_backend_find("cpu"), 0, 0, 64, 96, 128, 2, 0.005, &cpu), IA_OK);
    CHECK_STATUS(ia_hw_measure_linear(ia_backend_find("ref"), 0, 0, 64, 96, 128, 1, 0.005, &ref), IA_OK);
    CHECK_MSG(cpu > 0.1 && ref > 0.01, "cpu %.2f, ref %.2f GFLOP/s", cpu, ref);
    CHECK_STATUS(ia_hw_measure_linear(ia_backend_find("cpu"), 1, 0, 64, 96, 128, 1, 0.005, &cpu), IA_ERR_NOT_FOUND);
    CHECK_STATUS(ia_hw_measure_linear(NULL, 0, 0, 64, 96, 128, 1, 0.005, &cpu), IA_ERR_INVALID_ARG);
}

/* ---- a kind whose LINEAR writes zeros: compute "runs" but is wrong ---- */

static void zero_free(ia_backend *b) { free(b); }
static const char *zero_kernel(ia_backend *b) { return "zeros"; }
static int zero_supports(ia_backend *b, const ia_node *n) { return n->op == IA_OP_LINEAR; }
static int zero_can_read(ia_backend *b, const ia_buffer *buf) { return !buf || buf->host; }
static ia_status zero_alloc(ia_backend *b, size_t size, ia_buffer_usage usage, ia_buffer **out) {
    return ia_host_buffer_alloc(size, usage, out);
}
static ia_status zero_compute(ia_backend *b, ia_graph *g, ia_node *const *nodes, int n) {
    for (int i = 0; i < n; i++) memset(nodes[i]->out->data, 0, ia_tensor_nbytes(nodes[i]->out));
    return IA_OK;
}
static ia_status zero_sync(ia_backend *b) { return IA_OK; }
static const ia_backend_iface zero_iface = {
    .abi_version = IA_BACKEND_ABI, .struct_size = sizeof(ia_backend_iface), .free = zero_free,
    .kernel_name = zero_kernel, .supports_op = zero_supports, .can_read = zero_can_read,
    .buffer_alloc = zero_alloc, .compute = zero_compute, .synchronize = zero_sync,
};
static int zero_probe(char *reason, size_t cap) { return 1; }
static int zero_count(void) { return 1; }
static ia_status zero_props(int device, ia_device_props *p) { return IA_OK; }
static const ia_backend_ops zero_kind;
static ia_status zero_init(const ia_backend_config *cfg, ia_backend **out) {
    ia_backend *b = calloc(1, sizeof *b);
    if (!b) return IA_ERR_NOMEM;
    b->iface = &zero_iface;
    b->kind = &zero_kind;
    *out = b;
    return IA_OK;
}
static const ia_backend_ops zero_kind = {
    .abi_version = IA_BACKEND_ABI, .struct_size = sizeof(ia_backend_ops), .name = "zeros",
    .probe = zero_probe, .device_count = zero_count, .device_props = zero_props, .init = zero_init,
};

IA_TEST(measure_linear_catches_a_wrong_kind) {
    double g = 1;
    CHECK_STATUS(ia_hw_measure_linear(&zero_kind, 0, 0, 64, 96, 128, 1, 0.005, &g), IA_ERR_INTERNAL);
    CHECK(g == 0 && strstr(ia_last_error(), "zeros") != NULL);
}
