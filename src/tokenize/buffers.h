/*
 * buffers.h — growable arrays of code points and of token ids, the working
 * memory of one encode call.
 *
 * Every stage of the tokenizer appends to one of these; growth is checked
 * for overflow and for allocation failure, so a stage only has to propagate
 * IA_ERR_NOMEM. Not thread-safe by themselves: each encode call owns its own.
 */
#ifndef IA_TOKENIZE_BUFFERS_H
#define IA_TOKENIZE_BUFFERS_H

#include <stddef.h>
#include <stdint.h>

#include "ipfs_accelerate.h"

typedef struct ia_cpbuf {
    uint32_t *v;
    size_t n, cap;
} ia_cpbuf;

typedef struct ia_idbuf {
    int32_t *v;
    size_t n, cap;
} ia_idbuf;

/* Grow for `extra` more elements (out of line; use the _reserve calls). */
ia_status ia_cpbuf_grow(ia_cpbuf *b, size_t extra);
ia_status ia_idbuf_grow(ia_idbuf *b, size_t extra);

/* Make room for `extra` more elements. IA_OK or IA_ERR_NOMEM (then the
 * buffer is unchanged). Inline: the hot loops call it per char. */
static inline ia_status ia_cpbuf_reserve(ia_cpbuf *b, size_t extra) {
    return extra <= b->cap - b->n ? IA_OK : ia_cpbuf_grow(b, extra);
}

static inline ia_status ia_idbuf_reserve(ia_idbuf *b, size_t extra) {
    return extra <= b->cap - b->n ? IA_OK : ia_idbuf_grow(b, extra);
}

static inline ia_status ia_cpbuf_push(ia_cpbuf *b, uint32_t cp) {
    if (b->n == b->cap) {
        ia_status st = ia_cpbuf_reserve(b, 1);
        if (st != IA_OK) return st;
    }
    b->v[b->n++] = cp;
    return IA_OK;
}

static inline ia_status ia_idbuf_push(ia_idbuf *b, int32_t id) {
    if (b->n == b->cap) {
        ia_status st = ia_idbuf_reserve(b, 1);
        if (st != IA_OK) return st;
    }
    b->v[b->n++] = id;
    return IA_OK;
}

/* NULL-safe; leaves the buffer empty and reusable. */
void ia_cpbuf_free(ia_cpbuf *b);
void ia_idbuf_free(ia_idbuf *b);

#endif
