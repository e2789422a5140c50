/*
 * alloc.c — first fit over a sorted free list, merging neighbours on
 * release (the classic greedy lifetime allocator, as in ggml-alloc).
 */
#include "backends/alloc.h"

#include <stdlib.h>
#include <string.h>

#include "util/error.h"

typedef struct free_range {
    size_t off, size;
} free_range;

typedef struct planner {
    free_range *free;
    int n_free, cap_free;
    size_t peak;
} planner;

static size_t align_up(size_t x) { return (x + IA_ALLOC_ALIGN - 1) & ~(size_t)(IA_ALLOC_ALIGN - 1); }

static size_t plan_take(planner *p, size_t size) {
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

static int plan_give(planner *p, size_t off, size_t size) {
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

/* (time, item) pairs sorted by time, then item: qsort needs no context. */
typedef struct event {
    int time, item;
} event;

static int by_time(const void *a, const void *b) {
    const event *x = a, *y = b;
    return x->time != y->time ? (x->time < y->time ? -1 : 1) : (x->item > y->item) - (x->item < y->item);
}

ia_status ia_alloc_plan(ia_alloc_item *items, int n, size_t *peak) {
    planner p = {0};
    event *born = malloc((size_t)(n ? n : 1) * sizeof *born), *dies = malloc((size_t)(n ? n : 1) * sizeof *dies);
    ia_status st = IA_OK;
    int b = 0, d = 0;
    if (!born || !dies) {
        st = ia_error(IA_ERR_NOMEM, "memory planner");
        goto done;
    }
    for (int i = 0; i < n; i++) {
        born[i] = (event){items[i].birth, i};
        dies[i] = (event){items[i].death, i};
    }
    qsort(born, (size_t)n, sizeof *born, by_time);
    qsort(dies, (size_t)n, sizeof *dies, by_time);
    while (b < n || d < n) {
        /* at each time, births before deaths */
        if (d < n && (b == n || dies[d].time < born[b].time)) {
            int i = dies[d++].item;
            if (plan_give(&p, items[i].offset, align_up(items[i].size)) != 0) {
                st = ia_error(IA_ERR_NOMEM, "memory planner");
                goto done;
            }
            continue;
        }
        items[born[b].item].offset = plan_take(&p, align_up(items[born[b].item].size));
        b++;
    }
    *peak = p.peak;
done:
    free(born);
    free(dies);
    free(p.free);
    return st;
}
