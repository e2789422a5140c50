/*
 * test_graph.c — tensors as views (reshape, permute, slice without
 * copies, bounds refused), graph building, and the lifetime allocator the
 * scheduler plans activation memory with: items never alias while both
 * live, memory is reused, an item never shares bytes with what dies at its
 * birth.
 */
#include <string.h>

#include "backends/alloc.h"
#include "harness.h"
#include "tensor/graph.h"

static int overlaps(const ia_alloc_item *a, const ia_alloc_item *b) {
    return a->offset < b->offset + b->size && b->offset < a->offset + a->size;
}

IA_TEST(alloc_reuses_memory_and_never_aliases_live_items) {
    /* a chain where each item is read by the next, item 0 by items 1..3,
     * item 2 kept to the end (an output) */
    ia_alloc_item it[8];
    size_t peak = 0, one = 1024 * 256 * 4;
    for (int i = 0; i < 8; i++) it[i] = (ia_alloc_item){one, i, i + 1 < 8 ? i + 1 : 7, 0};
    it[0].death = 3;
    it[2].death = 100;
    CHECK_STATUS(ia_alloc_plan(it, 8, &peak), IA_OK);
    for (int i = 0; i < 8; i++) {
        CHECK(it[i].offset % IA_ALLOC_ALIGN == 0);
        for (int j = 0; j < i; j++) {
            int both_live = it[j].death >= it[i].birth; /* j still read when i is written */
            if (both_live) CHECK_MSG(!overlaps(&it[i], &it[j]), "items %d and %d overlap while both live", j, i);
        }
    }
    /* live at once at most: item 0, item 2, the previous, the new one */
    CHECK_MSG(peak <= 4 * one, "planned %zu bytes for at most 4 live items of %zu", peak, one);
    CHECK(peak >= 3 * one);
}

IA_TEST(alloc_places_an_output_apart_from_its_dying_inputs) {
    ia_alloc_item it[3] = {{1000, 0, 1, 0}, {1000, 1, 2, 0}, {1000, 2, 2, 0}};
    size_t peak = 0;
    CHECK_STATUS(ia_alloc_plan(it, 3, &peak), IA_OK);
    CHECK(!overlaps(&it[1], &it[0])); /* item 1 is written while item 0 is read */
    CHECK(!overlaps(&it[2], &it[1]));
    CHECK(it[2].offset == it[0].offset); /* item 0's bytes are free again at time 2 */
}

IA_TEST(tensor_views_share_memory_and_check_bounds) {
    float data[2 * 3 * 4];
    int64_t sh[3] = {2, 3, 4}, flat[2] = {6, 4}, bad[2] = {5, 5};
    int perm[3] = {2, 0, 1};
    ia_tensor t, v, p, s, r;
    for (int i = 0; i < 24; i++) data[i] = (float)i;
    CHECK(ia_tensor_init(&t, IA_DTYPE_F32, 3, sh, 0) == 0);
    t.data = data;
    CHECK(ia_tensor_is_contiguous(&t));
    CHECK(ia_tensor_nbytes(&t) == sizeof data);
    CHECK(ia_tensor_reshape(&v, &t, 2, flat) == 0);
    CHECK(v.data == data && v.view_src == &t && ia_tensor_rows(&v) == 6);
    CHECK(ia_tensor_reshape(&r, &t, 2, bad) != 0); /* 25 elements */
    CHECK(ia_tensor_permute(&p, &t, perm) == 0);  /* [4, 2, 3] */
    CHECK(p.shape[0] == 4 && p.shape[1] == 2 && p.shape[2] == 3 && !ia_tensor_is_contiguous(&p));
    CHECK(p.stride[0] == 4 && p.stride[2] == 16);
    /* element [k][i][j] of p is data[i][j][k] */
    CHECK(*(float *)((char *)p.data + 3 * p.stride[0] + 1 * p.stride[1] + 2 * p.stride[2]) == data[1 * 12 + 2 * 4 + 3]);
    /* a slice of columns is rowwise with the parent's row stride */
    CHECK(ia_tensor_slice(&s, &v, 1, 1, 2) == 0);
    CHECK(s.data == data + 1 && ia_tensor_row_stride(&s) == 16 && !ia_tensor_is_contiguous(&s));
    CHECK(ia_tensor_is_rowwise(&s, NULL));
    CHECK(ia_tensor_slice(&s, &v, 0, 5, 2) != 0); /* past the end */
    CHECK(ia_tensor_slice(&s, &v, 0, 4, 2) == 0 && s.data == data + 16);
    /* a view placed later follows its root */
    t.data = NULL;
    t.offset = 64;
    ia_tensor_refresh_view(&s);
    CHECK(s.offset == 64 + 16 * sizeof(float) && s.data == NULL);
}

IA_TEST(quantised_tensors_are_rows_of_blocks) {
    int64_t sh[2] = {3, 64};
    ia_tensor t, s;
    CHECK(ia_tensor_init(&t, IA_DTYPE_Q8_0, 2, sh, 0) == 0);
    CHECK(ia_tensor_row_bytes(&t) == 2 * 34 && ia_tensor_nbytes(&t) == 3 * 68);
    CHECK(ia_tensor_init(&t, IA_DTYPE_QA4, 2, sh, 32) == 0);
    CHECK(ia_tensor_row_bytes(&t) == 2 * (8 + 16));
    CHECK(ia_tensor_slice(&s, &t, 1, 0, 32) != 0); /* blocks are not split */
    t.data = (void *)0x1000;
    CHECK(ia_tensor_slice(&s, &t, 0, 1, 2) == 0 && (char *)s.data == (char *)0x1000 + 48);
    CHECK(ia_dtype_group_ok(IA_DTYPE_QA2, 32, 64) && !ia_dtype_group_ok(IA_DTYPE_QA2, 6, 60));
}

IA_TEST(graph_write_returns_a_view_of_the_target) {
    ia_graph *g = NULL;
    float cache[8 * 4], src[2 * 4];
    int64_t shc[2] = {8, 4}, shs[2] = {2, 4};
    ia_tensor c, *in, *dst, *w;
    CHECK_STATUS(ia_graph_create(&g), IA_OK);
    REQUIRE(g);
    ia_tensor_init(&c, IA_DTYPE_F32, 2, shc, 0);
    c.data = cache;
    c.flags = IA_TENSOR_STATE;
    in = ia_graph_input(g, IA_DTYPE_F32, 2, shs, src, "x");
    dst = ia_graph_slice(g, &c, 0, 3, 2);
    w = ia_graph_write(g, in, dst);
    REQUIRE(in && dst && w);
    CHECK(ia_graph_n_nodes(g) == 1 && ia_graph_node(g, 0)->op == IA_OP_WRITE);
    CHECK(ia_tensor_root(w) == &c && w->data == cache && ia_tensor_rows(w) == 8);
    CHECK(dst->data == cache + 12);
    ia_graph_reset(g);
    CHECK(ia_graph_n_nodes(g) == 0);
    ia_graph_free(g);
    ia_graph_free(NULL);
}
