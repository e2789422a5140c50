/*
 * bpe.c — byte-level BPE merges (see bpe.h).
 *
 * The piece's UTF-8 bytes are written as GPT-2's printable code points, so
 * each byte becomes a 1- or 2-byte character and the vocabulary's strings
 * match directly. Merge ranks are looked up as left NUL right (llm_tok.h).
 */
#include "tokenize/bpe.h"

#include <string.h>

#include "tokenize/byte_unicode.h"
#include "tokenize/utf8.h"

/* Queues the pair (left, right) if the merge has a rank. */
static ia_status try_pair(const ia_llm_tok *t, ia_merge_work *w, const char *word, long left,
                          long right) {
    if (left < 0 || right < 0) return IA_OK;
    const ia_sym *l = &w->sym[left], *r = &w->sym[right];
    size_t klen = l->n + 1 + r->n;
    ia_status st = ia_mw_grow((void **)&w->key, &w->key_cap, klen, 1);
    if (st != IA_OK) return st;
    memcpy(w->key, word + l->start, l->n);
    w->key[l->n] = '\0'; /* the separator of llm_tok.h's merge keys */
    memcpy(w->key + l->n + 1, word + r->start, r->n);
    int32_t rank;
    if (!ia_vocab_find(&t->ranks, "", 0, w->key, klen, &rank)) return IA_OK;
    ia_pair p = {(double)rank, left, right, l->n + r->n};
    return ia_heap_push(w, p);
}

/* Looks up each final symbol; one the vocabulary lacks is split into its
 * bytes, each looked up alone and dropped when absent (llama.cpp's
 * fallback). */
static ia_status emit(const ia_llm_tok *t, const ia_merge_work *w, const char *word,
                      ia_idbuf *out) {
    ia_status st;
    for (long i = 0; i != -1 && w->n_sym; i = w->sym[i].next) {
        const ia_sym *s = &w->sym[i];
        int32_t id = ia_llm_find(t, word + s->start, s->n);
        if (id >= 0) {
            if ((st = ia_idbuf_push(out, id)) != IA_OK) return st;
            continue;
        }
        for (size_t j = 0; j < s->n; j++) { /* raw BPE: the <0xNN> tokens */
            unsigned char b = (unsigned char)word[s->start + j];
            id = t->raw_bpe ? t->byte_id[b] : ia_llm_find(t, word + s->start + j, 1);
            if (id >= 0 && (st = ia_idbuf_push(out, id)) != IA_OK) return st;
        }
    }
    return IA_OK;
}

ia_status ia_bpe_piece(const ia_llm_tok *t, const uint32_t *s, size_t n, ia_merge_work *w,
                       char **word, size_t *word_cap, ia_idbuf *out) {
    ia_status st;
    size_t len = 0;
    if (n > SIZE_MAX / 8) return ia_error(IA_ERR_NOMEM, "tokenizer: piece too long");
    /* each code point is <= 4 bytes, each byte <= 2 once encoded */
    if ((st = ia_mw_grow((void **)word, word_cap, n * 8 + 1, 1)) != IA_OK) return st;
    for (size_t i = 0; i < n; i++) {
        char u[4];
        size_t k = ia_utf8_put(s[i], u);
        if (t->raw_bpe) {
            memcpy(*word + len, u, k);
            len += k;
            continue;
        }
        for (size_t j = 0; j < k; j++) len += ia_utf8_put(ia_byte_to_cp((uint8_t)u[j]), *word + len);
    }
    const char *wd = *word;
    int whole = t->ignore_merges; /* llama3: a piece that is a token is taken whole */
    if (t->pre == IA_PRE_GEMMA4) { /* gemma4: so is a run of newlines */
        whole = 1;
        for (size_t i = 0; i < len && whole; i++) whole = wd[i] == '\n';
    }
    if (whole) {
        int32_t id = ia_llm_find(t, wd, len);
        if (id >= 0) return ia_idbuf_push(out, id);
    }
    if ((st = ia_mw_symbols(w, wd, len)) != IA_OK) return st;
    for (size_t i = 1; i < w->n_sym; i++)
        if ((st = try_pair(t, w, wd, (long)i - 1, (long)i)) != IA_OK) return st;
    while (w->n_heap) {
        ia_pair p = ia_heap_pop(w);
        if (!ia_mw_fresh(w, &p)) continue;
        ia_mw_merge(w, &p);
        long l = p.left;
        if ((st = try_pair(t, w, wd, w->sym[l].prev, l)) != IA_OK ||
            (st = try_pair(t, w, wd, l, w->sym[l].next)) != IA_OK)
            return st;
    }
    return emit(t, w, wd, out);
}
