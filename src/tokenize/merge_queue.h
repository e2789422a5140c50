/*
 * merge_queue.h — the working memory both BPE kinds merge with: a word as a
 * linked list of symbols (byte ranges of the word) and a binary min-heap of
 * candidate merges of two neighbours, as llama.cpp's llm_symbol and
 * llm_bigram_bpe / llm_bigram_spm queues.
 *
 * Order: lower `prio` first, then the leftmost pair. Byte-level BPE uses the
 * merge rank as prio; SentencePiece the negated token score (the best score
 * first). One per encode call: not shared between threads.
 */
#ifndef IA_TOKENIZE_MERGE_QUEUE_H
#define IA_TOKENIZE_MERGE_QUEUE_H

#include <stddef.h>
#include <stdlib.h>

#include "ipfs_accelerate.h"
#include "util/error.h"

typedef struct ia_sym {
    size_t start, n; /* bytes [start, start+n) of the word; n == 0 once merged away */
    long prev, next; /* neighbours, -1 at the ends */
} ia_sym;

typedef struct ia_pair {
    double prio;
    long left, right;
    size_t size; /* bytes of the pair when queued: stale once it differs */
} ia_pair;

typedef struct ia_merge_work {
    ia_sym *sym;
    size_t n_sym, sym_cap;
    ia_pair *heap;
    size_t n_heap, heap_cap;
    char *key; /* scratch for lookups */
    size_t key_cap;
} ia_merge_work;

/* Grows *p (of *cap elements of `elem` bytes) to at least n. */
static inline ia_status ia_mw_grow(void **p, size_t *cap, size_t n, size_t elem) {
    if (n <= *cap) return IA_OK;
    size_t c = *cap ? *cap : 64;
    while (c < n) {
        if (c > SIZE_MAX / 2 / elem) return ia_error(IA_ERR_NOMEM, "tokenizer: out of memory");
        c *= 2;
    }
    void *q = realloc(*p, c * elem);
    if (!q) return ia_error(IA_ERR_NOMEM, "tokenizer: out of memory");
    *p = q;
    *cap = c;
    return IA_OK;
}

static inline int ia_pair_before(const ia_pair *a, const ia_pair *b) {
    return a->prio < b->prio || (a->prio == b->prio && a->left < b->left);
}

static inline ia_status ia_heap_push(ia_merge_work *w, ia_pair p) {
    ia_status st = ia_mw_grow((void **)&w->heap, &w->heap_cap, w->n_heap + 1, sizeof *w->heap);
    if (st != IA_OK) return st;
    size_t i = w->n_heap++;
    while (i > 0) {
        size_t up = (i - 1) / 2;
        if (!ia_pair_before(&p, &w->heap[up])) break;
        w->heap[i] = w->heap[up];
        i = up;
    }
    w->heap[i] = p;
    return IA_OK;
}

static inline ia_pair ia_heap_pop(ia_merge_work *w) {
    ia_pair top = w->heap[0], last = w->heap[--w->n_heap];
    size_t i = 0, n = w->n_heap;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && ia_pair_before(&w->heap[c + 1], &w->heap[c])) c++;
        if (!ia_pair_before(&w->heap[c], &last)) break;
        w->heap[i] = w->heap[c];
        i = c;
    }
    if (n) w->heap[i] = last;
    return top;
}

/* Splits word[0..len) into one symbol per UTF-8 character: the length comes
 * from the lead byte alone (llama.cpp's unicode_len_utf8), cut at the end. */
static inline ia_status ia_mw_symbols(ia_merge_work *w, const char *word, size_t len) {
    static const unsigned char lens[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
    ia_status st;
    w->n_sym = 0;
    w->n_heap = 0;
    for (size_t off = 0; off < len;) {
        size_t n = lens[(unsigned char)word[off] >> 4];
        if (n > len - off) n = len - off;
        if ((st = ia_mw_grow((void **)&w->sym, &w->sym_cap, w->n_sym + 1, sizeof *w->sym)) != IA_OK)
            return st;
        ia_sym *s = &w->sym[w->n_sym];
        s->start = off;
        s->n = n;
        s->prev = (long)w->n_sym - 1;
        off += n;
        s->next = off == len ? -1 : (long)w->n_sym + 1;
        w->n_sym++;
    }
    return IA_OK;
}

/* Merges pair p (known fresh) and relinks. */
static inline void ia_mw_merge(ia_merge_work *w, const ia_pair *p) {
    ia_sym *l = &w->sym[p->left], *r = &w->sym[p->right];
    l->n += r->n;
    r->n = 0;
    l->next = r->next;
    if (r->next >= 0) w->sym[r->next].prev = p->left;
}

/* 1 if p still joins two live neighbours of its queued size. */
static inline int ia_mw_fresh(const ia_merge_work *w, const ia_pair *p) {
    const ia_sym *l = &w->sym[p->left], *r = &w->sym[p->right];
    return l->n && r->n && l->n + r->n == p->size;
}

static inline void ia_merge_work_free(ia_merge_work *w) {
    free(w->sym);
    free(w->heap);
    free(w->key);
    w->sym = NULL;
    w->heap = NULL;
    w->key = NULL;
    w->sym_cap = w->heap_cap = w->key_cap = w->n_sym = w->n_heap = 0;
}

#endif
