/*
 * sched.c — placement, copies, memory planning and execution of a graph
 * over several executors (contract in sched.h).
 *
 * One run, in passes over the node list:
 *   1. place each node on the first executor that supports it and can read
 *      the weights and state it touches in place;
 *   2. cut splits where the executor changes; for every input of a split
 *      its executor cannot read in place, make a copy tensor (one per
 *      input and split) and point the readers at it;
 *   3. lifetimes: a node's output lives from its node to its last reader
 *      (through views too), a copy from its split's start to its last
 *      reader; each executor's tensors are planned into its compute
 *      buffer, which grows when needed;
 *   4. per split: make its copies (waiting for the producer first when it
 *      computes asynchronously), then compute its nodes; synchronize all.
 */
#include "backends/sched.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/alloc.h"
#include "backends/host_copy.h"
#include "util/error.h"

typedef struct copy_rec {
    ia_tensor t;      /* the copy, in the split executor's compute buffer */
    ia_tensor *src;   /* what it copies */
    int split;
    int birth, death;
} copy_rec;

typedef struct split_rec {
    int backend, first, last; /* nodes [first, last] */
} split_rec;

struct ia_sched {
    ia_backend *be[IA_SCHED_MAX_BACKENDS];
    int n_be;
    int be_host[IA_SCHED_MAX_BACKENDS];
    ia_buffer *compute[IA_SCHED_MAX_BACKENDS];
    size_t planned[IA_SCHED_MAX_BACKENDS];
    /* per run, reused */
    int *node_be;
    int cap_nodes;
    copy_rec *copies;
    int n_copies, cap_copies;
    split_rec *splits;
    int n_splits, cap_splits;
    ia_node **node_ptrs;
    int cap_ptrs;
    /* producer lookup: open-addressing table of tensor → node */
    const ia_tensor **keys;
    int *vals;
    size_t cap_map;
};

ia_status ia_sched_create(ia_backend *const *backends, int n, ia_sched **out) {
    ia_sched *s;
    *out = NULL;
    if (n < 1 || n > IA_SCHED_MAX_BACKENDS) return ia_error(IA_ERR_INVALID_ARG, "scheduler: %d executors", n);
    if (!(s = calloc(1, sizeof *s))) return ia_error(IA_ERR_NOMEM, "scheduler");
    s->n_be = n;
    for (int i = 0; i < n; i++) {
        ia_device_props p;
        s->be[i] = backends[i];
        memset(&p, 0, sizeof p);
        p.struct_size = sizeof p;
        s->be_host[i] = backends[i]->kind->device_props(backends[i]->device, &p) == IA_OK ? p.host_memory : 0;
    }
    *out = s;
    return IA_OK;
}

void ia_sched_free(ia_sched *s) {
    if (!s) return;
    for (int i = 0; i < s->n_be; i++) ia_buffer_free(s->compute[i]);
    free(s->node_be);
    free(s->copies);
    free(s->splits);
    free(s->node_ptrs);
    free(s->keys);
    free(s->vals);
    free(s);
}

int ia_sched_n_splits(const ia_sched *s) { return s->n_splits; }
int ia_sched_n_copies(const ia_sched *s) { return s->n_copies; }
int ia_sched_node_backend(const ia_sched *s, int node) { return s->node_be[node]; }
size_t ia_sched_compute_bytes(const ia_sched *s, int b) { return s->planned[b]; }

/* ---- producer map ---- */

static size_t slot_of(const ia_sched *s, const ia_tensor *t) {
    size_t h = ((uintptr_t)t >> 4) * 0x9E3779B97F4A7C15ull;
    return h & (s->cap_map - 1);
}

static ia_status map_reset(ia_sched *s, int n_nodes) {
    size_t want = 16;
    while (want < (size_t)n_nodes * 2 + 16) want <<= 1;
    if (want > s->cap_map) {
        free(s->keys);
        free(s->vals);
        s->keys = malloc(want * sizeof *s->keys);
        s->vals = malloc(want * sizeof *s->vals);
        if (!s->keys || !s->vals) {
            s->cap_map = 0;
            return ia_error(IA_ERR_NOMEM, "scheduler");
        }
        s->cap_map = want;
    }
    memset(s->keys, 0, s->cap_map * sizeof *s->keys);
    return IA_OK;
}

static void map_put(ia_sched *s, const ia_tensor *t, int node) {
    size_t i = slot_of(s, t);
    while (s->keys[i] && s->keys[i] != t) i = (i + 1) & (s->cap_map - 1);
    s->keys[i] = t;
    s->vals[i] = node;
}

static int map_get(const ia_sched *s, const ia_tensor *t) {
    size_t i = slot_of(s, t);
    while (s->keys[i]) {
        if (s->keys[i] == t) return s->vals[i];
        i = (i + 1) & (s->cap_map - 1);
    }
    return -1;
}

/* The node whose output t is or views (-1: a weight, input or state). */
static int producer(const ia_sched *s, const ia_tensor *t) {
    for (; t; t = t->view_src) {
        int p = map_get(s, t);
        if (p >= 0) return p;
    }
    return -1;
}

/* ---- placement ---- */

/* 1 when executor b may run node n: it supports the op and reads in place
 * the weights and state the node touches (those are never copied). */
static int can_place(ia_sched *s, int b, const ia_node *n) {
    ia_backend *be = s->be[b];
    if (!be->iface->supports_op(be, n)) return 0;
    for (int k = 0; k < IA_MAX_SRC; k++) {
        const ia_tensor *src = n->src[k], *root;
        if (!src) continue;
        root = ia_tensor_root((ia_tensor *)src);
        if ((root->flags & (IA_TENSOR_PARAM | IA_TENSOR_STATE)) && producer(s, src) < 0 &&
            !be->iface->can_read(be, root->buffer))
            return 0;
    }
    return 1;
}

/* 1 when executor b reads src in place: its own activations, or memory
 * whose buffer it accepts (another executor's compute buffer is judged by
 * a stand-in with that executor's kind and memory). */
static int reads_in_place(ia_sched *s, int b, const ia_tensor *src) {
    ia_backend *be = s->be[b];
    const ia_tensor *root = ia_tensor_root((ia_tensor *)src);
    int p = producer(s, src);
    if (p < 0 || (root->flags & IA_TENSOR_STATE)) return be->iface->can_read(be, root->buffer);
    if (s->node_be[p] == b) return 1;
    {
        ia_buffer probe;
        memset(&probe, 0, sizeof probe);
        probe.kind = s->be[s->node_be[p]]->kind;
        probe.device = s->be[s->node_be[p]]->device;
        probe.usage = IA_BUFFER_COMPUTE;
        probe.host = s->be_host[s->node_be[p]];
        return be->iface->can_read(be, &probe);
    }
}

static ia_status grow(void **p, int *cap, int need, size_t elem) {
    if (need <= *cap) return IA_OK;
    {
        int c = *cap ? *cap : 16;
        void *q;
        while (c < need) c *= 2;
        if (!(q = realloc(*p, (size_t)c * elem))) return ia_error(IA_ERR_NOMEM, "scheduler");
        *p = q;
        *cap = c;
    }
    return IA_OK;
}

static ia_status place_nodes(ia_sched *s, ia_graph *g) {
    int n = ia_graph_n_nodes(g);
    for (int i = 0; i < n; i++) {
        ia_node *node = ia_graph_node(g, i);
        int b = 0;
        while (b < s->n_be && !can_place(s, b, node)) b++;
        if (b == s->n_be) {
            char names[160] = "";
            size_t len = 0;
            for (int k = 0; k < s->n_be && len < sizeof names; k++)
                len += (size_t)snprintf(names + len, sizeof names - len, "%s%s", k ? ", " : "", s->be[k]->kind->name);
            return ia_error(IA_ERR_UNSUPPORTED, "no executor (%s) runs node %d (%s of %s)", names, i,
                            ia_op_name(node->op), node->src[0] && node->src[0]->name ? node->src[0]->name : "?");
        }
        s->node_be[i] = b;
        s->node_ptrs[i] = node;
    }
    return IA_OK;
}

/* Cuts splits and makes the copies, rewriting readers' sources. */
static ia_status split_and_copy(ia_sched *s, ia_graph *g) {
    int n = ia_graph_n_nodes(g);
    ia_status st;
    s->n_splits = s->n_copies = 0;
    for (int i = 0; i < n; i++) {
        split_rec *sp;
        if (i == 0 || s->node_be[i] != s->node_be[i - 1]) {
            if ((st = grow((void **)&s->splits, &s->cap_splits, s->n_splits + 1, sizeof *s->splits)) != IA_OK) return st;
            s->splits[s->n_splits++] = (split_rec){s->node_be[i], i, i};
        }
        sp = &s->splits[s->n_splits - 1];
        sp->last = i;
        for (int k = 0; k < IA_MAX_SRC; k++) {
            ia_node *node = ia_graph_node(g, i);
            ia_tensor *src = node->src[k];
            copy_rec *c = NULL;
            if (!src || (node->op == IA_OP_WRITE && k == 1)) continue; /* the target is written in place */
            if (reads_in_place(s, sp->backend, src)) continue;
            for (int j = s->n_copies - 1; j >= 0 && s->copies[j].split == s->n_splits - 1; j--)
                if (s->copies[j].src == src) c = &s->copies[j];
            if (!c) {
                if (s->n_copies == s->cap_copies) return ia_error(IA_ERR_INTERNAL, "scheduler: copy table full");
                c = &s->copies[s->n_copies++];
                memset(c, 0, sizeof *c);
                if (ia_tensor_init(&c->t, src->dtype, src->ndim, src->shape, src->qgroup) != 0)
                    return ia_error(IA_ERR_INTERNAL, "scheduler: copy of %s", src->name ? src->name : "?");
                c->t.name = src->name;
                c->src = src;
                c->split = s->n_splits - 1;
                c->birth = sp->first;
            }
            c->death = i;
            node->src[k] = &c->t;
        }
    }
    return IA_OK;
}

/* Node index after which t (or the tensor it views) is read last. */
static void extend_life(const ia_sched *s, int *death, const ia_tensor *t, int at) {
    int p = producer(s, t);
    if (p >= 0 && death[p] < at) death[p] = at;
}

static ia_status plan_memory(ia_sched *s, ia_graph *g) {
    int n = ia_graph_n_nodes(g);
    int *death = malloc((size_t)(n ? n : 1) * sizeof *death);
    ia_alloc_item *items = malloc((size_t)(n + s->n_copies + 1) * sizeof *items);
    int *item_of = malloc((size_t)(n + s->n_copies + 1) * sizeof *item_of);
    ia_status st = IA_OK;
    if (!death || !items || !item_of) {
        st = ia_error(IA_ERR_NOMEM, "scheduler");
        goto done;
    }
    for (int i = 0; i < n; i++) {
        ia_node *node = ia_graph_node(g, i);
        death[i] = node->out->flags & IA_TENSOR_OUTPUT ? n : i;
    }
    for (int i = 0; i < n; i++) {
        ia_node *node = ia_graph_node(g, i);
        for (int k = 0; k < IA_MAX_SRC; k++)
            if (node->src[k]) extend_life(s, death, node->src[k], i);
    }
    for (int c = 0; c < s->n_copies; c++) extend_life(s, death, s->copies[c].src, s->copies[c].birth);
    for (int b = 0; b < s->n_be; b++) {
        int m = 0;
        size_t peak = 0;
        for (int c = 0; c < s->n_copies; c++)
            if (s->splits[s->copies[c].split].backend == b) {
                items[m] = (ia_alloc_item){ia_tensor_nbytes(&s->copies[c].t), s->copies[c].birth,
                                           s->copies[c].death, 0};
                item_of[m++] = -1 - c;
            }
        for (int i = 0; i < n; i++) {
            ia_node *node = ia_graph_node(g, i);
            if (s->node_be[i] != b || node->out->view_src) continue;
            items[m] = (ia_alloc_item){ia_tensor_nbytes(node->out), i, death[i], 0};
            item_of[m++] = i;
        }
        if (!m) continue;
        if ((st = ia_alloc_plan(items, m, &peak)) != IA_OK) goto done;
        if (!s->compute[b] || s->compute[b]->size < peak) {
            ia_buffer_free(s->compute[b]);
            s->compute[b] = NULL;
            if ((st = s->be[b]->iface->buffer_alloc(s->be[b], peak, IA_BUFFER_COMPUTE, &s->compute[b])) != IA_OK)
                goto done;
        }
        s->planned[b] = peak;
        for (int j = 0; j < m; j++) {
            ia_tensor *t = item_of[j] >= 0 ? ia_graph_node(g, item_of[j])->out : &s->copies[-1 - item_of[j]].t;
            t->buffer = s->compute[b];
            t->offset = items[j].offset;
            t->data = s->compute[b]->host ? (char *)s->compute[b]->base + items[j].offset : NULL;
        }
    }
    /* views now point where their roots were placed */
    for (int i = 0; i < n; i++) {
        ia_node *node = ia_graph_node(g, i);
        if (node->out->view_src) ia_tensor_refresh_view(node->out);
        for (int k = 0; k < IA_MAX_SRC; k++)
            if (node->src[k] && node->src[k]->view_src) ia_tensor_refresh_view(node->src[k]);
    }
    for (int c = 0; c < s->n_copies; c++)
        if (s->copies[c].src->view_src) ia_tensor_refresh_view(s->copies[c].src);
done:
    free(death);
    free(items);
    free(item_of);
    return st;
}

/* dst ← src across executors: in host memory directly, otherwise through a
 * contiguous host staging copy. */
static ia_status make_copy(copy_rec *c) {
    ia_tensor *dst = &c->t, *src = c->src;
    size_t bytes = ia_tensor_nbytes(dst);
    ia_tensor staged;
    void *tmp;
    ia_status st;
    if (dst->data && src->data) return ia_host_copy(dst, src);
    if (!(tmp = malloc(bytes ? bytes : 1))) return ia_error(IA_ERR_NOMEM, "copy of %zu bytes", bytes);
    if (src->data) { /* host → device: gather to contiguous, upload */
        staged = *dst;
        staged.buffer = NULL;
        staged.data = tmp;
        st = ia_host_copy(&staged, src);
    } else if (ia_tensor_is_contiguous(src)) {
        st = ia_tensor_download(src, tmp, bytes);
    } else {
        st = ia_error(IA_ERR_UNSUPPORTED, "copy of a strided view of device memory (%s)", src->name);
    }
    if (st == IA_OK) {
        if (dst->data) memcpy(dst->data, tmp, bytes);
        else st = ia_tensor_upload(dst, tmp, bytes);
    }
    free(tmp);
    return st;
}

ia_status ia_sched_run(ia_sched *s, ia_graph *g) {
    int n = ia_graph_n_nodes(g);
    int pending[IA_SCHED_MAX_BACKENDS] = {0};
    ia_status st;
    if ((st = grow((void **)&s->node_be, &s->cap_nodes, n, sizeof *s->node_be)) != IA_OK) return st;
    if ((st = grow((void **)&s->node_ptrs, &s->cap_ptrs, n, sizeof *s->node_ptrs)) != IA_OK) return st;
    if (n * IA_MAX_SRC > s->cap_copies) {
        copy_rec *c = realloc(s->copies, (size_t)(n * IA_MAX_SRC) * sizeof *c);
        if (!c) return ia_error(IA_ERR_NOMEM, "scheduler");
        s->copies = c;
        s->cap_copies = n * IA_MAX_SRC;
    }
    if ((st = map_reset(s, n)) != IA_OK) return st;
    for (int i = 0; i < n; i++) map_put(s, ia_graph_node(g, i)->out, i);
    if ((st = place_nodes(s, g)) != IA_OK) return st;
    if ((st = split_and_copy(s, g)) != IA_OK) return st;
    if ((st = plan_memory(s, g)) != IA_OK) return st;
    for (int k = 0, c = 0; k < s->n_splits; k++) {
        split_rec *sp = &s->splits[k];
        ia_backend *be = s->be[sp->backend];
        for (; c < s->n_copies && s->copies[c].split == k; c++) {
            int p = producer(s, s->copies[c].src);
            int from = p >= 0 ? s->node_be[p] : -1;
            if (from >= 0 && pending[from]) {
                if ((st = s->be[from]->iface->synchronize(s->be[from])) != IA_OK) return st;
                pending[from] = 0;
            }
            if ((st = make_copy(&s->copies[c])) != IA_OK) return st;
        }
        if ((st = be->iface->compute(be, g, s->node_ptrs + sp->first, sp->last - sp->first + 1)) != IA_OK) return st;
        pending[sp->backend] = 1;
    }
    for (int b = 0; b < s->n_be; b++)
        if (pending[b] && (st = s->be[b]->iface->synchronize(s->be[b])) != IA_OK) return st;
    return IA_OK;
}
