/*
 * test_graph.c — the graph planner: outputs never alias live tensors,
 * memory is reused across lifetimes, marked outputs are kept.
 */
#include <string.h>

#include "harness.h"
#include "tensor/graph.h"

static int overlaps(const ia_tensor *a, const ia_tensor *b) {
    const char *pa = a->data, *pb = b->data;
    return pa < pb + ia_tensor_nbytes(b) && pb < pa + ia_tensor_nbytes(a);
}

IA_TEST(graph_planner_reuses_and_never_aliases_live_tensors) {
    ia_graph *g = NULL;
    float w[16] = {0};
    int64_t sh[2] = {1024, 256}, shw[2] = {4, 4};
    ia_tensor *x, *param, *t[8];
    CHECK_STATUS(ia_graph_create(&g), IA_OK);
    REQUIRE(g);
    param = ia_graph_tensor(g, IA_DTYPE_F32, 2, shw, w, "w");
    x = ia_graph_op(g, IA_OP_GELU, 2, sh, param, NULL, NULL, NULL);
    t[0] = x;
    /* a chain where each node reads the previous one and node 0 */
    for (int i = 1; i < 8; i++) t[i] = ia_graph_op(g, IA_OP_ADD, 2, sh, t[i - 1], i < 4 ? t[0] : NULL, NULL, NULL);
    ia_graph_mark_output(g, t[2]);
    CHECK_STATUS(ia_graph_plan(g), IA_OK);
    CHECK(param->data == w);
    for (int i = 0; i < 8; i++) CHECK(t[i]->data != NULL && ((uintptr_t)t[i]->data % 64) == 0);
    /* each node's output must not overlap its inputs */
    for (int i = 1; i < 8; i++) {
        CHECK(!overlaps(t[i], t[i - 1]));
        if (i < 4) CHECK(!overlaps(t[i], t[0]));
    }
    /* the marked output stays untouched by every later node */
    for (int i = 3; i < 8; i++) CHECK(!overlaps(t[i], t[2]));
    /* reuse: far less than 8 tensors' worth (live at once: t0, t2, prev, out) */
    CHECK_MSG(ia_graph_buffer_bytes(g) <= 5 * ia_tensor_nbytes(t[0]), "planned %zu bytes",
              ia_graph_buffer_bytes(g));
    ia_graph_free(g);
    ia_graph_free(NULL);
}
