/*
 * vocab.c — string -> id hash table for WordPiece (see vocab.h).
 *
 * FNV-1a over the key bytes, linear probing, load factor at most 1/2. The
 * vocabulary comes from a possibly hostile file, but an attacker who picks
 * keys to collide only slows loading of their own file down.
 */
#include "tokenize/vocab.h"

#include <stdlib.h>
#include <string.h>

#include "util/error.h"

static uint64_t fnv_step(uint64_t h, const char *s, size_t len) {
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

static uint64_t hash2(const char *pre, size_t plen, const char *s, size_t len) {
    return fnv_step(fnv_step(0xcbf29ce484222325ULL, pre, plen), s, len);
}

static int key_eq(const ia_vocab *v, const ia_vocab_slot *sl, const char *pre,
                  size_t plen, const char *s, size_t len) {
    if (sl->len != plen + len) return 0;
    const char *k = v->pool + sl->off;
    return (plen == 0 || memcmp(k, pre, plen) == 0) &&
           (len == 0 || memcmp(k + plen, s, len) == 0);
}

/* Slot of the key, or of the empty slot where it would go (cap > 0). */
static size_t probe(const ia_vocab *v, const char *pre, size_t plen,
                    const char *s, size_t len) {
    size_t mask = v->cap - 1;
    size_t i = (size_t)hash2(pre, plen, s, len) & mask;
    while (v->slots[i].id >= 0 && !key_eq(v, &v->slots[i], pre, plen, s, len))
        i = (i + 1) & mask;
    return i;
}

static ia_status rehash(ia_vocab *v, size_t ncap) {
    ia_vocab_slot *old = v->slots;
    size_t ocap = v->cap;
    if (ncap > SIZE_MAX / sizeof *old)
        return ia_error(IA_ERR_NOMEM, "tokenizer: vocabulary too large");
    v->slots = malloc(ncap * sizeof *old);
    if (!v->slots) {
        v->slots = old;
        return ia_error(IA_ERR_NOMEM, "tokenizer: out of memory");
    }
    v->cap = ncap;
    for (size_t i = 0; i < ncap; i++) v->slots[i].id = -1;
    for (size_t i = 0; i < ocap; i++) {
        if (old[i].id < 0) continue;
        size_t j = probe(v, "", 0, v->pool + old[i].off, old[i].len);
        v->slots[j] = old[i];
    }
    free(old);
    return IA_OK;
}

ia_status ia_vocab_put(ia_vocab *v, const char *key, size_t len, int32_t id) {
    ia_status st;
    if ((v->n + 1) * 2 > v->cap) {
        if (v->cap > SIZE_MAX / 4)
            return ia_error(IA_ERR_NOMEM, "tokenizer: vocabulary too large");
        if ((st = rehash(v, v->cap ? v->cap * 2 : 1024)) != IA_OK) return st;
    }
    size_t i = probe(v, "", 0, key, len);
    if (v->slots[i].id >= 0) {
        v->slots[i].id = id;
        return IA_OK;
    }
    /* Offsets and lengths are 32-bit to keep slots small. */
    if (len > UINT32_MAX - v->pool_len)
        return ia_error(IA_ERR_FORMAT, "tokenizer: vocabulary over 4 GiB");
    if (v->pool_len + len > v->pool_cap) {
        size_t ncap = v->pool_cap ? v->pool_cap : 4096;
        while (ncap < v->pool_len + len) ncap *= 2;
        char *p = realloc(v->pool, ncap);
        if (!p) return ia_error(IA_ERR_NOMEM, "tokenizer: out of memory");
        v->pool = p;
        v->pool_cap = ncap;
    }
    if (len) memcpy(v->pool + v->pool_len, key, len);
    v->slots[i].off = (uint32_t)v->pool_len;
    v->slots[i].len = (uint32_t)len;
    v->slots[i].id = id;
    v->pool_len += len;
    v->n++;
    if (len > v->max_len) v->max_len = len;
    return IA_OK;
}

int ia_vocab_find(const ia_vocab *v, const char *pre, size_t plen,
                  const char *s, size_t len, int32_t *id) {
    if (v->cap == 0 || plen + len > v->max_len) return 0;
    size_t i = probe(v, pre, plen, s, len);
    if (v->slots[i].id < 0) return 0;
    *id = v->slots[i].id;
    return 1;
}

void ia_vocab_free(ia_vocab *v) {
    if (!v) return;
    free(v->pool);
    free(v->slots);
    memset(v, 0, sizeof *v);
}
