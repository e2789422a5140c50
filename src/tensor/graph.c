/*
 * graph.c — building a graph of ops: nodes, the tensors they make, views.
 *
 * Tensors live in fixed-size chunks so that pointers handed out stay valid
 * while the graph grows; ia_graph_reset keeps the chunks for the next
 * build (a decoder rebuilds its graph every token).
 */
#include "tensor/graph.h"

#include <stdlib.h>
#include <string.h>

#include "util/error.h"

#define TENSORS_PER_CHUNK 64

typedef struct tensor_chunk {
    struct tensor_chunk *next;
    int used;
    ia_tensor t[TENSORS_PER_CHUNK];
} tensor_chunk;

struct ia_graph {
    ia_node *nodes;
    int n_nodes, cap_nodes;
    tensor_chunk *chunks; /* in use, newest first */
    tensor_chunk *spare;  /* kept by reset */
    ia_graph_observer observer;
    void *observer_ud;
};

static const char *const op_names[IA_OP_COUNT] = {
    [IA_OP_GET_ROWS] = "get_rows",   [IA_OP_ADD] = "add",
    [IA_OP_MUL] = "mul",             [IA_OP_ADD_POSITIONS] = "add_positions",
    [IA_OP_LINEAR] = "linear",       [IA_OP_LAYER_NORM] = "layer_norm",
    [IA_OP_RMS_NORM] = "rms_norm",   [IA_OP_GELU] = "gelu",
    [IA_OP_SILU] = "silu",           [IA_OP_SWIGLU] = "swiglu",
    [IA_OP_SCALE] = "scale",         [IA_OP_ROPE] = "rope",
    [IA_OP_ATTENTION] = "attention", [IA_OP_MEAN_POOL] = "mean_pool",
    [IA_OP_CLS_POOL] = "cls_pool",   [IA_OP_L2_NORMALIZE] = "l2_normalize",
    [IA_OP_CONCAT] = "concat",       [IA_OP_CONT] = "cont",
    [IA_OP_WRITE] = "write",         [IA_OP_CONV1D] = "conv1d",
    [IA_OP_CONV2D] = "conv2d",
};

const char *ia_op_name(ia_op op) {
    return (unsigned)op < IA_OP_COUNT && op_names[op] ? op_names[op] : "?";
}

void ia_graph_set_observer(ia_graph *g, ia_graph_observer fn, void *ud) {
    g->observer = fn;
    g->observer_ud = ud;
}

void ia_graph_notify(ia_graph *g, const ia_node *n) {
    if (g && g->observer) g->observer(g->observer_ud, n);
}

int ia_graph_observed(const ia_graph *g) { return g->observer != NULL; }

ia_status ia_graph_create(ia_graph **out) {
    *out = calloc(1, sizeof **out);
    return *out ? IA_OK : ia_error(IA_ERR_NOMEM, "graph");
}

static void free_list(tensor_chunk *c) {
    while (c) {
        tensor_chunk *next = c->next;
        free(c);
        c = next;
    }
}

void ia_graph_reset(ia_graph *g) {
    while (g->chunks) {
        tensor_chunk *c = g->chunks;
        g->chunks = c->next;
        c->next = g->spare;
        c->used = 0;
        g->spare = c;
    }
    g->n_nodes = 0;
}

void ia_graph_free(ia_graph *g) {
    if (!g) return;
    free_list(g->chunks);
    free_list(g->spare);
    free(g->nodes);
    free(g);
}

static ia_tensor *new_tensor(ia_graph *g) {
    tensor_chunk *c = g->chunks;
    if (!c || c->used == TENSORS_PER_CHUNK) {
        if (g->spare) {
            c = g->spare;
            g->spare = c->next;
        } else if (!(c = calloc(1, sizeof *c))) {
            ia_error(IA_ERR_NOMEM, "graph tensors");
            return NULL;
        }
        c->used = 0;
        c->next = g->chunks;
        g->chunks = c;
    }
    memset(&c->t[c->used], 0, sizeof c->t[0]);
    return &c->t[c->used++];
}

ia_tensor *ia_graph_input(ia_graph *g, ia_dtype dtype, int ndim, const int64_t *shape, void *data,
                          const char *name) {
    ia_tensor *t = new_tensor(g);
    if (!t) return NULL;
    if (ia_tensor_init(t, dtype, ndim, shape, 0) != 0) {
        ia_error(IA_ERR_INTERNAL, "input %s: bad shape", name ? name : "?");
        return NULL;
    }
    t->data = data;
    t->name = name;
    t->flags = IA_TENSOR_INPUT;
    return t;
}

static ia_node *new_node(ia_graph *g) {
    if (g->n_nodes == g->cap_nodes) {
        int cap = g->cap_nodes ? 2 * g->cap_nodes : 128;
        ia_node *nodes = realloc(g->nodes, (size_t)cap * sizeof *nodes);
        if (!nodes) {
            ia_error(IA_ERR_NOMEM, "graph nodes");
            return NULL;
        }
        g->nodes = nodes;
        g->cap_nodes = cap;
    }
    memset(&g->nodes[g->n_nodes], 0, sizeof g->nodes[0]);
    return &g->nodes[g->n_nodes++];
}

ia_tensor *ia_graph_op_typed(ia_graph *g, ia_op op, ia_dtype dtype, int ndim, const int64_t *shape,
                             ia_tensor *src0, ia_tensor *src1, ia_tensor *src2, ia_tensor *src3) {
    ia_tensor *out = new_tensor(g);
    ia_node *n;
    if (!out) return NULL;
    if (ia_tensor_init(out, dtype, ndim, shape, 0) != 0) {
        ia_error(IA_ERR_INTERNAL, "%s: bad output shape", ia_op_name(op));
        return NULL;
    }
    out->name = ia_op_name(op);
    if (!(n = new_node(g))) return NULL;
    n->op = op;
    n->out = out;
    n->src[0] = src0;
    n->src[1] = src1;
    n->src[2] = src2;
    n->src[3] = src3;
    return out;
}

ia_tensor *ia_graph_op(ia_graph *g, ia_op op, int ndim, const int64_t *shape, ia_tensor *src0,
                       ia_tensor *src1, ia_tensor *src2, ia_tensor *src3) {
    return ia_graph_op_typed(g, op, IA_DTYPE_F32, ndim, shape, src0, src1, src2, src3);
}

ia_tensor *ia_graph_write(ia_graph *g, ia_tensor *src, ia_tensor *dst) {
    ia_tensor *root = ia_tensor_root(dst), *out = new_tensor(g);
    ia_node *n;
    if (!out) return NULL;
    if (ia_tensor_view(out, root, root->ndim, root->shape, root->stride, 0) != 0) {
        ia_error(IA_ERR_INTERNAL, "write: bad target");
        return NULL;
    }
    out->name = "write";
    if (!(n = new_node(g))) return NULL;
    n->op = IA_OP_WRITE;
    n->out = out;
    n->src[0] = src;
    n->src[1] = dst;
    return out;
}

static ia_tensor *checked_view(ia_graph *g, ia_tensor *t, int rc, const char *what) {
    if (rc != 0) {
        ia_error(IA_ERR_INTERNAL, "%s of %s: invalid view", what, t->name ? t->name : "?");
        return NULL;
    }
    return t;
}

ia_tensor *ia_graph_view(ia_graph *g, ia_tensor *src, int ndim, const int64_t *shape, const int64_t *stride,
                         size_t offset) {
    ia_tensor *v = new_tensor(g);
    return v ? checked_view(g, v, ia_tensor_view(v, src, ndim, shape, stride, offset), "view") : NULL;
}

ia_tensor *ia_graph_reshape(ia_graph *g, ia_tensor *src, int ndim, const int64_t *shape) {
    ia_tensor *v = new_tensor(g);
    return v ? checked_view(g, v, ia_tensor_reshape(v, src, ndim, shape), "reshape") : NULL;
}

ia_tensor *ia_graph_permute(ia_graph *g, ia_tensor *src, const int *perm) {
    ia_tensor *v = new_tensor(g);
    return v ? checked_view(g, v, ia_tensor_permute(v, src, perm), "permute") : NULL;
}

ia_tensor *ia_graph_slice(ia_graph *g, ia_tensor *src, int axis, int64_t start, int64_t len) {
    ia_tensor *v = new_tensor(g);
    return v ? checked_view(g, v, ia_tensor_slice(v, src, axis, start, len), "slice") : NULL;
}

ia_node *ia_graph_last(ia_graph *g) { return g->n_nodes ? &g->nodes[g->n_nodes - 1] : NULL; }
int ia_graph_n_nodes(const ia_graph *g) { return g->n_nodes; }
ia_node *ia_graph_node(ia_graph *g, int i) { return &g->nodes[i]; }

ia_status ia_graph_mark_output(ia_graph *g, ia_tensor *t) {
    (void)g;
    if (!t) return ia_error(IA_ERR_INTERNAL, "mark_output: NULL tensor");
    ia_tensor_root(t)->flags |= IA_TENSOR_OUTPUT;
    t->flags |= IA_TENSOR_OUTPUT;
    return IA_OK;
}
