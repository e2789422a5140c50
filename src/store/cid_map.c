/*
 * cid_map.c — CID → counters, open addressing (see cid_map.h).
 */
#include "store/cid_map.h"

#include <stdlib.h>
#include <string.h>

#include "util/error.h"

/* The digest is already a hash: its first bytes spread keys well. */
static uint64_t cid_hash(const ia_cid *c) {
    uint64_t h = c->codec * 0x9e3779b97f4a7c15u ^ (uint64_t)c->version;
    for (size_t i = 0; i < c->digest_len && i < 8; i++) h = h * 131 + c->digest[i];
    return h ^ (h >> 29);
}

static size_t probe(const ia_cid_map *m, const ia_cid *c) {
    size_t j = cid_hash(c) & (m->cap - 1);
    while (m->used[j] && !ia_cid_equal(&m->slots[j].cid, c)) j = (j + 1) & (m->cap - 1);
    return j;
}

ia_cid_map_entry *ia_cid_map_find(const ia_cid_map *m, const ia_cid *c) {
    size_t j;
    if (!m->cap) return NULL;
    j = probe(m, c);
    return m->used[j] ? &m->slots[j] : NULL;
}

static ia_status grow(ia_cid_map *m) {
    ia_cid_map n = {0};
    n.cap = m->cap ? m->cap * 2 : 256;
    if (!(n.slots = malloc(n.cap * sizeof *n.slots)) || !(n.used = calloc(n.cap, 1))) {
        free(n.slots);
        return ia_error(IA_ERR_NOMEM, "a map of %zu CIDs", n.cap);
    }
    for (size_t i = 0; i < m->cap; i++) {
        size_t j;
        if (!m->used[i]) continue;
        j = probe(&n, &m->slots[i].cid);
        n.slots[j] = m->slots[i], n.used[j] = 1, n.n++;
    }
    free(m->slots);
    free(m->used);
    *m = n;
    return IA_OK;
}

ia_status ia_cid_map_add(ia_cid_map *m, const ia_cid *c, ia_cid_map_entry **e, int *added) {
    size_t j;
    ia_status st;
    *added = 0;
    if (2 * (m->n + 1) > m->cap && (st = grow(m)) != IA_OK) return st;
    j = probe(m, c);
    if (!m->used[j]) {
        memset(&m->slots[j], 0, sizeof m->slots[j]);
        m->slots[j].cid = *c, m->used[j] = 1, m->n++;
        *added = 1;
    }
    *e = &m->slots[j];
    return IA_OK;
}

void ia_cid_map_free(ia_cid_map *m) {
    if (!m) return;
    free(m->slots);
    free(m->used);
    memset(m, 0, sizeof *m);
}
