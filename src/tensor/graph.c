/*
 * graph.c — building a graph of ops and planning its activation memory.
 *
 * Tensors live in fixed-size chunks so that pointers handed out stay valid
 * while the graph grows. The planner walks the nodes in order, gives each
 * output the first free range that fits (first fit over a sorted free list,
 * merging neighbours on release) and releases each input after its last
 * reader: the classic greedy lifetime allocator (as in ggml-alloc).
 */
#include "tensor/graph.h"

#include <stdlib.h>
#include <string.h>

#include "util/error.h"

#define TENSORS_PER_CHUNK 64
#define IA_ALIGN 64 /* one cache line; also the widest SIMD load */

typedef struct tensor_chunk {
    struct tensor_chunk *next;
    int used;
    ia_tensor t[TENSORS_PER_CHUNK];
} tensor_chunk;

typedef struct free_range {
    size_t off, size;
} free_range;

struct ia_graph {
    ia_node *nodes;
    int n_nodes, cap_nodes;
    tensor_chunk *chunks;
    ia_tensor **outputs;
    int n_outputs, cap_outputs;
    void *buffer;
    size_t buffer_size;
    size_t planned_bytes;
    ia_graph_observer observer;
    void *observer_ud;
};

void ia_graph_set_observer(ia_graph *g, ia_graph_observer fn, void *ud) {
    g->observer = fn;
    g->observer_ud = ud;
}

void ia_graph_notify(ia_graph *g, const ia_node *n) {
    if (g->observer) g->observer(g->observer_ud, n);
}

static const char *const op_names[IA_OP_COUNT] = {
    [IA_OP_GET_ROWS] = "get_rows",     [IA_OP_ADD] = "add",
    [IA_OP_ADD_POSITIONS] = "add_positions", [IA_OP_LINEAR] = "linear",
    [IA_OP_LAYER_NORM] = "layer_norm", [IA_OP_GELU] = "gelu",
    [IA_OP_ATTENTION] = "attention",   [IA_OP_MEAN_POOL] = "mean_pool",
    [IA_OP_CLS_POOL] = "cls_pool",     [IA_OP_L2_NORMALIZE] = "l2_normalize",
};

const char *ia_op_name(ia_op op) {
    return (unsigned)op < IA_OP_COUNT && op_names[op] ? op_names[op] : "?";
}

ia_status ia_graph_create(ia_graph **out) {
    *out = calloc(1, sizeof **out);
    return *out ? IA_OK : ia_error(IA_ERR_NOMEM, "graph");
}

static void free_chunks(ia_graph *g) {
    tensor_chunk *c = g->chunks;
    while (c) {
        tensor_chunk *next = c->next;
        free(c);
        c = next;
    }
    g->chunks = NULL;
}

void ia_graph_reset(ia_graph *g) {
    free_chunks(g);
    g->n_nodes = 0;
    g->n_outputs = 0;
    g->planned_bytes = 0;
}

void ia_graph_free(ia_graph *g) {
    if (!g) return;
    free_chunks(g);
    free(g->nodes);
    free(g->outputs);
    free(g->buffer);
    free(g);
}

ia_tensor *ia_graph_tensor(ia_graph *g, ia_dtype dtype, int ndim,
                           const int64_t *shape, void *data, const char *name) {
    tensor_chunk *c = g->chunks;
    ia_tensor *t;
    if (ndim < 1 || ndim > IA_MAX_DIMS) {
        ia_error(IA_ERR_INTERNAL, "tensor %s: %d dims", name ? name : "?", ndim);
        return NULL;
    }
    if (!c || c->used == TENSORS_PER_CHUNK) {
        c = calloc(1, sizeof *c);
        if (!c) {
            ia_error(IA_ERR_NOMEM, "graph tensors");
            return NULL;
        }
        c->next = g->chunks;
        g->chunks = c;
    }
    t = &c->t[c->used++];
    t->dtype = dtype;
    t->ndim = ndim;
    for (int i = 0; i < ndim; i++) t->shape[i] = shape[i];
    t->data = data;
    t->name = name;
    t->is_param = data != NULL;
    return t;
}

ia_tensor *ia_graph_op(ia_graph *g, ia_op op, int ndim, const int64_t *shape,
                       ia_tensor *src0, ia_tensor *src1, ia_tensor *src2,
                       ia_tensor *src3) {
    ia_tensor *out;
    ia_node *n;
    if (g->n_nodes == g->cap_nodes) {
        int cap = g->cap_nodes ? 2 * g->cap_nodes : 64;
        ia_node *nodes = realloc(g->nodes, (size_t)cap * sizeof *nodes);
        if (!nodes) {
            ia_error(IA_ERR_NOMEM, "graph nodes");
            return NULL;
        }
        g->nodes = nodes;
        g->cap_nodes = cap;
    }
    out = ia_graph_tensor(g, IA_DTYPE_F32, ndim, shape, NULL, ia_op_name(op));
    if (!out) return NULL;
    n = &g->nodes[g->n_nodes++];
    memset(n, 0, sizeof *n);
    n->op = op;
    n->out = out;
    n->src[0] = src0;
    n->src[1] = src1;
    n->src[2] = src2;
    n->src[3] = src3;
    return out;
}

ia_node *ia_graph_last(ia_graph *g) { return g->n_nodes ? &g->nodes[g->n_nodes - 1] : NULL; }
int ia_graph_n_nodes(const ia_graph *g) { return g->n_nodes; }
ia_node *ia_graph_node(ia_graph *g, int i) { return &g->nodes[i]; }
size_t ia_graph_buffer_bytes(const ia_graph *g) { return g->planned_bytes; }

ia_status ia_graph_mark_output(ia_graph *g, ia_tensor *t) {
    if (g->n_outputs == g->cap_outputs) {
        int cap = g->cap_outputs ? 2 * g->cap_outputs : 8;
        ia_tensor **o = realloc(g->outputs, (size_t)cap * sizeof *o);
        if (!o) return ia_error(IA_ERR_NOMEM, "graph outputs");
        g->outputs = o;
        g->cap_outputs = cap;
    }
    g->outputs[g->n_outputs++] = t;
    return IA_OK;
}

/* ---- planner ---- */

typedef struct planner {
    free_range *free;
    int n_free, cap_free;
    size_t peak;
} planner;

static size_t align_up(size_t x) { return (x + IA_ALIGN - 1) & ~(size_t)(IA_ALIGN - 1); }

static size_t plan_alloc(planner *p, size_t size) {
    for (int i = 0; i < p->n_free; i++) {
        free_range *r = &p->free[i];
        if (r->size >= size) {
            size_t off = r->off;
            r->off += size;
            r->size -= size;
            if (r->size == 0) {
                memmove(r, r + 1, (size_t)(p->n_free - i - 1) * sizeof *r);
                p->n_free--;
            }
            return off;
        }
    }
    /* Grow at the end; if the last free range touches the end, extend it. */
    if (p->n_free && p->free[p->n_free - 1].off + p->free[p->n_free - 1].size == p->peak) {
        size_t off = p->free[p->n_free - 1].off;
        p->n_free--;
        p->peak = off + size;
        return off;
    }
    p->peak += size;
    return p->peak - size;
}

static int plan_release(planner *p, size_t off, size_t size) {
    int i = 0;
    while (i < p->n_free && p->free[i].off < off) i++;
    if (p->n_free == p->cap_free) {
        int cap = p->cap_free ? 2 * p->cap_free : 32;
        free_range *f = realloc(p->free, (size_t)cap * sizeof *f);
        if (!f) return -1;
        p->free = f;
        p->cap_free = cap;
    }
    memmove(&p->free[i + 1], &p->free[i], (size_t)(p->n_free - i) * sizeof *p->free);
    p->free[i] = (free_range){off, size};
    p->n_free++;
    /* merge with the next, then with the previous */
    if (i + 1 < p->n_free && p->free[i].off + p->free[i].size == p->free[i + 1].off) {
        p->free[i].size += p->free[i + 1].size;
        memmove(&p->free[i + 1], &p->free[i + 2], (size_t)(p->n_free - i - 2) * sizeof *p->free);
        p->n_free--;
    }
    if (i > 0 && p->free[i - 1].off + p->free[i - 1].size == p->free[i].off) {
        p->free[i - 1].size += p->free[i].size;
        memmove(&p->free[i], &p->free[i + 1], (size_t)(p->n_free - i - 1) * sizeof *p->free);
        p->n_free--;
    }
    return 0;
}

static int is_output(const ia_graph *g, const ia_tensor *t) {
    for (int i = 0; i < g->n_outputs; i++)
        if (g->outputs[i] == t) return 1;
    return 0;
}

ia_status ia_graph_plan(ia_graph *g) {
    planner p = {0};
    size_t *offsets = NULL;
    int *last_use = NULL;
    ia_status st = IA_OK;
    /* Node i's output is the only tensor node i creates, so per-node arrays
     * index activations. */
    offsets = calloc((size_t)g->n_nodes + 1, sizeof *offsets);
    last_use = malloc(((size_t)g->n_nodes + 1) * sizeof *last_use);
    if (!offsets || !last_use) {
        st = ia_error(IA_ERR_NOMEM, "graph planner");
        goto done;
    }
    for (int i = 0; i < g->n_nodes; i++) last_use[i] = i;
    for (int i = 0; i < g->n_nodes; i++)
        for (int s = 0; s < IA_MAX_SRC; s++) {
            ia_tensor *src = g->nodes[i].src[s];
            if (!src || src->is_param) continue;
            for (int j = 0; j < i; j++)
                if (g->nodes[j].out == src) last_use[j] = i;
        }
    for (int i = 0; i < g->n_nodes; i++) {
        offsets[i] = plan_alloc(&p, align_up(ia_tensor_nbytes(g->nodes[i].out)));
        for (int j = 0; j <= i; j++)
            if (last_use[j] == i && !is_output(g, g->nodes[j].out) &&
                plan_release(&p, offsets[j], align_up(ia_tensor_nbytes(g->nodes[j].out))) != 0) {
                st = ia_error(IA_ERR_NOMEM, "graph planner");
                goto done;
            }
    }
    if (p.peak > g->buffer_size) {
        free(g->buffer);
        g->buffer = aligned_alloc(IA_ALIGN, align_up(p.peak));
        g->buffer_size = g->buffer ? p.peak : 0;
        if (!g->buffer) {
            st = ia_error(IA_ERR_NOMEM, "activations: %zu bytes", p.peak);
            goto done;
        }
    }
    g->planned_bytes = p.peak;
    for (int i = 0; i < g->n_nodes; i++)
        g->nodes[i].out->data = (char *)g->buffer + offsets[i];
done:
    free(offsets);
    free(last_use);
    free(p.free);
    return st;
}
