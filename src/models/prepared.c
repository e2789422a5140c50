/*
 * prepared.c — prepared weights shared by every handle of one mapping.
 *
 * An executor prepares a weight once (the CPU packs an F32 matrix into its
 * GEMM panels, a quantised one into its qgemm layout): that copy is as big
 * as the weight. Handles of one model opened again (a ModelManager, the
 * Worker's endpoints) share the mapping, and must share these copies too,
 * or a second load costs the model's size again. The cache lives in the
 * shared ia_weights_ref: keyed by the bytes prepared (the file's data
 * pointer, dtype, use) and by who prepared them (device kind, device,
 * kernel variant), counted by reference, freed with the last user.
 */
#include <stdlib.h>
#include <string.h>

#include "models/model.h"
#include "util/error.h"

struct ia_prepared_cache {
    ia_mutex mu;
    struct prepared_entry {
        const void *data;
        ia_dtype dtype;
        int use, device;
        const ia_backend_ops *kind;
        const char *kernel;
        void *extra;
        int refs;
    } *items;
    int n, cap;
};

typedef struct prepared_entry prepared_entry;

ia_status ia_prepared_cache_create(ia_prepared_cache **out) {
    *out = calloc(1, sizeof **out);
    if (!*out) return ia_error(IA_ERR_NOMEM, "prepared weights");
    ia_mutex_init(&(*out)->mu);
    return IA_OK;
}

void ia_prepared_cache_free(ia_prepared_cache *c) {
    if (!c) return;
    ia_mutex_destroy(&c->mu);
    free(c->items);
    free(c);
}

static int same(const prepared_entry *e, const ia_tensor *t, const ia_backend *b) {
    return e->data == t->data && e->dtype == t->dtype && e->use == t->use && e->kind == b->kind &&
           e->device == b->device && strcmp(e->kernel, b->iface->kernel_name((ia_backend *)b)) == 0;
}

/* The entry holding t as prepared by b, or -1. Caller holds c->mu. */
static int find(const ia_prepared_cache *c, const ia_tensor *t, const ia_backend *b) {
    for (int i = 0; i < c->n; i++)
        if (same(&c->items[i], t, b)) return i;
    return -1;
}

ia_status ia_prepared_acquire(ia_prepared_cache *c, ia_backend *b, ia_tensor *t) {
    ia_status st = IA_OK;
    ia_tensor mine;
    int i;
    if (!b->iface->prepare_weight || !t->data) return IA_OK;
    ia_mutex_lock(&c->mu);
    if ((i = find(c, t, b)) >= 0) {
        c->items[i].refs++;
        t->extra = c->items[i].extra;
        ia_mutex_unlock(&c->mu);
        return IA_OK;
    }
    ia_mutex_unlock(&c->mu);
    /* Prepared outside the lock, so that a model's weights are packed by
     * several threads at once (ia_model_prepare_weights); if another
     * thread prepared the same bytes meanwhile, theirs is kept. */
    mine = *t;
    mine.extra = NULL;
    if ((st = b->iface->prepare_weight(b, &mine)) != IA_OK || !mine.extra) {
        t->extra = NULL;
        return st;
    }
    ia_mutex_lock(&c->mu);
    if ((i = find(c, t, b)) >= 0) {
        b->iface->release_weight(b, &mine);
        c->items[i].refs++;
        t->extra = c->items[i].extra;
        ia_mutex_unlock(&c->mu);
        return IA_OK;
    }
    if (c->n == c->cap) {
        int cap = c->cap ? 2 * c->cap : 64;
        prepared_entry *p = realloc(c->items, (size_t)cap * sizeof *p);
        if (!p) {
            b->iface->release_weight(b, &mine);
            ia_mutex_unlock(&c->mu);
            t->extra = NULL;
            return ia_error(IA_ERR_NOMEM, "prepared weights");
        }
        c->items = p;
        c->cap = cap;
    }
    t->extra = mine.extra;
    c->items[c->n++] = (prepared_entry){t->data, t->dtype, t->use, b->device, b->kind,
                                        b->iface->kernel_name(b), t->extra, 1};
    ia_mutex_unlock(&c->mu);
    return IA_OK;
}

void ia_prepared_release(ia_prepared_cache *c, ia_backend *b, ia_tensor *t) {
    if (!t->extra) return;
    ia_mutex_lock(&c->mu);
    for (int i = 0; i < c->n; i++)
        if (c->items[i].extra == t->extra) {
            if (--c->items[i].refs == 0) {
                if (b->iface->release_weight) b->iface->release_weight(b, t);
                c->items[i] = c->items[--c->n];
            }
            break;
        }
    ia_mutex_unlock(&c->mu);
    t->extra = NULL;
}
