/*
 * special_tokens.c — the special-token partition (see special_tokens.h).
 * lstrip/rstrip (set for some models by name, e.g. phi-3) eat ASCII white
 * space (C isspace) next to the token, as llama.cpp does.
 */
#include "tokenize/special_tokens.h"

#include <stdlib.h>
#include <string.h>

#include "util/error.h"

void ia_frags_free(ia_frags *f) {
    free(f->v);
    f->v = NULL;
    f->n = f->cap = 0;
}

static ia_status add(ia_frags *f, int32_t id, size_t off, size_t len) {
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 16;
        if (cap > SIZE_MAX / sizeof *f->v) return ia_error(IA_ERR_NOMEM, "tokenizer: out of memory");
        ia_frag *v = realloc(f->v, cap * sizeof *v);
        if (!v) return ia_error(IA_ERR_NOMEM, "tokenizer: out of memory");
        f->v = v;
        f->cap = cap;
    }
    f->v[f->n++] = (ia_frag){id, off, len};
    return IA_OK;
}

static int is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* First occurrence of pat (plen >= 1) in s[0..n), or n. */
static size_t find(const char *s, size_t n, const char *pat, size_t plen) {
    if (plen > n) return n;
    for (size_t i = 0; i + plen <= n;) {
        const char *p = memchr(s + i, pat[0], n - plen + 1 - i);
        if (!p) return n;
        i = (size_t)(p - s);
        if (memcmp(s + i, pat, plen) == 0) return i;
        i++;
    }
    return n;
}

ia_status ia_special_partition(const ia_llm_tok *t, const char *text, size_t len,
                               int parse_special, ia_frags *out, ia_frags *tmp) {
    ia_status st;
    out->n = 0;
    if (len == 0) return IA_OK;
    if ((st = add(out, -1, 0, len)) != IA_OK) return st;
    for (size_t k = 0; k < t->n_specials; k++) {
        int32_t id = t->specials[k];
        uint8_t ty = t->type[id], attr = t->attr[id];
        if (!parse_special && ty != IA_TT_USER_DEFINED) continue;
        size_t plen;
        const char *pat = ia_llm_text(t, id, &plen);
        tmp->n = 0;
        for (size_t i = 0; i < out->n; i++) {
            ia_frag f = out->v[i];
            if (f.id >= 0) {
                if ((st = add(tmp, f.id, 0, 0)) != IA_OK) return st;
                continue;
            }
            size_t off = f.off, n = f.len;
            for (;;) {
                size_t m = find(text + off, n, pat, plen);
                if (m == n) {
                    if (n && (st = add(tmp, -1, off, n)) != IA_OK) return st;
                    break;
                }
                size_t left = m;
                if (attr & IA_ATTR_LSTRIP)
                    while (left > 0 && is_space(text[off + left - 1])) left--;
                if (left && (st = add(tmp, -1, off, left)) != IA_OK) return st;
                if ((st = add(tmp, id, 0, 0)) != IA_OK) return st;
                size_t roff = off + m + plen, rlen = n - m - plen;
                if (attr & IA_ATTR_RSTRIP)
                    while (rlen > 0 && is_space(text[roff])) {
                        roff++;
                        rlen--;
                    }
                off = roff;
                n = rlen;
                if (!n) break;
            }
        }
        ia_frags sw = *out; /* tmp becomes the current list */
        *out = *tmp;
        *tmp = sw;
    }
    return IA_OK;
}
