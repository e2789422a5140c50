/*
 * added_tokens.c — finding added tokens in text (see added_tokens.h).
 *
 * Patterns are sorted by first code point, so a text position costs one
 * binary search plus a compare per pattern sharing that first code point;
 * that is plenty for the handful of special tokens a BERT tokenizer has.
 * A bitmap of first chars skips the search at most positions of ASCII text
 * (the scan runs over whole documents, even truncated ones).
 */
#include "tokenize/added_tokens.h"

#include <stdlib.h>
#include <string.h>

#include "util/error.h"

ia_status ia_added_add(ia_added_set *set, const uint32_t *cps, size_t len,
                       int32_t id, int lstrip, int rstrip) {
    if (len == 0) return IA_OK;
    if (set->n == set->cap) {
        size_t ncap = set->cap ? set->cap * 2 : 8;
        if (ncap > SIZE_MAX / sizeof *set->v)
            return ia_error(IA_ERR_NOMEM, "tokenizer: too many added tokens");
        ia_added_token *p = realloc(set->v, ncap * sizeof *p);
        if (!p) return ia_error(IA_ERR_NOMEM, "tokenizer: out of memory");
        set->v = p;
        set->cap = ncap;
    }
    if (len > SIZE_MAX / sizeof *cps)
        return ia_error(IA_ERR_NOMEM, "tokenizer: added token too long");
    uint32_t *copy = malloc(len * sizeof *copy);
    if (!copy) return ia_error(IA_ERR_NOMEM, "tokenizer: out of memory");
    memcpy(copy, cps, len * sizeof *copy);
    ia_added_token *t = &set->v[set->n++];
    t->cps = copy;
    t->len = len;
    t->id = id;
    t->lstrip = lstrip;
    t->rstrip = rstrip;
    return IA_OK;
}

static int cmp_first(const void *a, const void *b) {
    uint32_t x = ((const ia_added_token *)a)->cps[0];
    uint32_t y = ((const ia_added_token *)b)->cps[0];
    return (x > y) - (x < y);
}

void ia_added_finish(ia_added_set *set) {
    if (set->n > 1) qsort(set->v, set->n, sizeof *set->v, cmp_first);
    set->ascii_first[0] = set->ascii_first[1] = 0;
    set->nonascii_first = 0;
    for (size_t i = 0; i < set->n; i++) {
        uint32_t c = set->v[i].cps[0];
        if (c < 128) set->ascii_first[c >> 6] |= (uint64_t)1 << (c & 63);
        else set->nonascii_first = 1;
    }
}

/* 1 if some pattern may start with c. */
static int may_start(const ia_added_set *set, uint32_t c) {
    if (c < 128) return (int)((set->ascii_first[c >> 6] >> (c & 63)) & 1);
    return set->nonascii_first;
}

/* Longest pattern matching s[i..n), or NULL. */
static const ia_added_token *longest_at(const ia_added_set *set,
                                        const uint32_t *s, size_t n, size_t i) {
    size_t lo = 0, hi = set->n;
    while (lo < hi) { /* first pattern with cps[0] >= s[i] */
        size_t mid = lo + (hi - lo) / 2;
        if (set->v[mid].cps[0] < s[i]) lo = mid + 1;
        else hi = mid;
    }
    const ia_added_token *best = NULL;
    for (size_t k = lo; k < set->n && set->v[k].cps[0] == s[i]; k++) {
        const ia_added_token *t = &set->v[k];
        if (t->len > n - i || (best && t->len <= best->len)) continue;
        if (memcmp(t->cps, s + i, t->len * sizeof *s) == 0) best = t;
    }
    return best;
}

int ia_added_find(const ia_added_set *set, const uint32_t *s, size_t n,
                  size_t from, size_t *start, size_t *end,
                  const ia_added_token **tok) {
    if (set->n == 0) return 0;
    for (size_t i = from; i < n; i++) {
        if (!may_start(set, s[i])) continue;
        const ia_added_token *t = longest_at(set, s, n, i);
        if (t) {
            *start = i;
            *end = i + t->len;
            *tok = t;
            return 1;
        }
    }
    return 0;
}

void ia_added_free(ia_added_set *set) {
    if (!set) return;
    for (size_t i = 0; i < set->n; i++) free(set->v[i].cps);
    free(set->v);
    set->v = NULL;
    set->n = set->cap = 0;
}
