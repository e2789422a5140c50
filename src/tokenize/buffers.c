/*
 * buffers.c — growth of the tokenizer's working arrays (see buffers.h).
 */
#include "tokenize/buffers.h"

#include <stdint.h>
#include <stdlib.h>

#include "util/error.h"

/* Returns the new capacity for n + extra elements of size elem, or 0 when
 * that size does not fit in size_t. Doubling keeps appends amortised O(1);
 * 64 avoids a string of tiny first steps. */
static size_t grown_cap(size_t elem, size_t n, size_t cap, size_t extra) {
    if (extra > SIZE_MAX / elem - n) return 0;
    size_t want = n + extra;
    size_t ncap = cap ? cap : 64;
    while (ncap < want) ncap = ncap > SIZE_MAX / elem / 2 ? want : ncap * 2;
    return ncap;
}

ia_status ia_cpbuf_grow(ia_cpbuf *b, size_t extra) {
    size_t ncap = grown_cap(sizeof *b->v, b->n, b->cap, extra);
    uint32_t *p = ncap ? realloc(b->v, ncap * sizeof *b->v) : NULL;
    if (!p) return ia_error(IA_ERR_NOMEM, "tokenizer: out of memory");
    b->v = p;
    b->cap = ncap;
    return IA_OK;
}

ia_status ia_idbuf_grow(ia_idbuf *b, size_t extra) {
    size_t ncap = grown_cap(sizeof *b->v, b->n, b->cap, extra);
    int32_t *p = ncap ? realloc(b->v, ncap * sizeof *b->v) : NULL;
    if (!p) return ia_error(IA_ERR_NOMEM, "tokenizer: out of memory");
    b->v = p;
    b->cap = ncap;
    return IA_OK;
}

void ia_cpbuf_free(ia_cpbuf *b) {
    if (!b) return;
    free(b->v);
    b->v = NULL;
    b->n = b->cap = 0;
}

void ia_idbuf_free(ia_idbuf *b) {
    if (!b) return;
    free(b->v);
    b->v = NULL;
    b->n = b->cap = 0;
}
