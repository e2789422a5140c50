/*
 * spm.c — SentencePiece BPE merges (see spm.h). A tokenizer.json of this
 * kind (llama-2 style: BPE with byte_fallback) has merge ranks instead of
 * scores; then pairs are chosen by rank, as Hugging Face's BPE does.
 */
#include "tokenize/spm.h"

#include <string.h>

static ia_status try_pair(const ia_llm_tok *t, ia_merge_work *w, const char *text, long left,
                          long right) {
    if (left < 0 || right < 0) return IA_OK;
    const ia_sym *l = &w->sym[left], *r = &w->sym[right];
    if (t->ranks.n) { /* merges given (tokenizer.json): by rank, as Hugging Face's BPE */
        size_t klen = l->n + 1 + r->n;
        int32_t rank;
        ia_status st = ia_mw_grow((void **)&w->key, &w->key_cap, klen, 1);
        if (st != IA_OK) return st;
        memcpy(w->key, text + l->start, l->n);
        w->key[l->n] = '\0'; /* the separator of llm_tok.h's merge keys */
        memcpy(w->key + l->n + 1, text + r->start, r->n);
        if (!ia_vocab_find(&t->ranks, "", 0, w->key, klen, &rank)) return IA_OK;
        ia_pair p = {(double)rank, left, right, l->n + r->n};
        return ia_heap_push(w, p);
    }
    /* neighbours are contiguous: the pair's text is one slice */
    int32_t id = ia_llm_find(t, text + l->start, l->n + r->n);
    if (id < 0) return IA_OK;
    ia_pair p = {-(double)t->scores[id], left, right, l->n + r->n};
    return ia_heap_push(w, p);
}

/* The byte's <0xNN> token; else the one-byte text itself; else unk (-1
 * when there is none: the byte is dropped). */
static int32_t byte_token(const ia_llm_tok *t, unsigned char b) {
    if (t->byte_id[b] >= 0) return t->byte_id[b];
    char c = (char)b;
    int32_t id = ia_llm_find(t, &c, 1);
    return id >= 0 ? id : t->unk;
}

ia_status ia_spm_encode(const ia_llm_tok *t, const char *text, size_t len, ia_merge_work *w,
                        ia_idbuf *out) {
    ia_status st;
    if ((st = ia_mw_symbols(w, text, len)) != IA_OK) return st;
    for (size_t i = 1; i < w->n_sym; i++)
        if ((st = try_pair(t, w, text, (long)i - 1, (long)i)) != IA_OK) return st;
    while (w->n_heap) {
        ia_pair p = ia_heap_pop(w);
        if (!ia_mw_fresh(w, &p)) continue;
        ia_mw_merge(w, &p);
        long l = p.left;
        if ((st = try_pair(t, w, text, w->sym[l].prev, l)) != IA_OK ||
            (st = try_pair(t, w, text, l, w->sym[l].next)) != IA_OK)
            return st;
    }
    for (long i = 0; i != -1 && w->n_sym; i = w->sym[i].next) {
        const ia_sym *s = &w->sym[i];
        int32_t id = ia_llm_find(t, text + s->start, s->n);
        if (id >= 0) {
            if ((st = ia_idbuf_push(out, id)) != IA_OK) return st;
            continue;
        }
        for (size_t j = 0; j < s->n; j++) {
            id = byte_token(t, (unsigned char)text[s->start + j]);
            if (id >= 0 && (st = ia_idbuf_push(out, id)) != IA_OK) return st;
        }
    }
    return IA_OK;
}
