/*
 * bert_normalizer.c — BertNormalizer (see bert_normalizer.h), exactly as
 * Hugging Face `tokenizers` normalizers/bert.rs.
 *
 * One pass does clean_text, the CJK spacing and the canonical decomposition
 * into `scratch`, reordering combining marks as it goes (NFD's canonical
 * ordering: runs of non-starters are stably sorted by combining class);
 * a second pass drops Mn and lowercases into `out`. The order of the steps
 * matters: strip_accents comes before lowercase, so "İ" (U+0130) becomes
 * "I" + U+0307, loses the mark, then lowercases to plain "i".
 */
#include "tokenize/bert_normalizer.h"

#include <stdlib.h>

#include "tokenize/unicode.h"
#include "util/error.h"

int ia_bert_is_chinese(uint32_t cp) {
    /* The ranges of bert.rs verbatim. Note 0x2B920, not 0x2B820 as in
     * Google's BERT tokenization.py: U+2B820..U+2B91F are not spaced out
     * by `tokenizers` (checked against tokenizers 0.23.3). */
    return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
           (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F) ||
           (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B920 && cp <= 0x2CEAF) ||
           (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

/* Insertion sort is enough for the short runs real text has; a hostile run
 * of thousands of marks goes through qsort so it cannot cost O(n^2). */
#define SHORT_RUN 32

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Stably sorts v[0..n) by combining class. Sort keys are
 * ccc << 56 | position << 21 | code point: the position makes equal classes
 * keep their order, so any sort is stable. Positions need n < 2^35. */
static ia_status sort_marks(uint32_t *v, size_t n) {
    uint64_t small[SHORT_RUN];
    uint64_t *key = small;
    if (n < 2) return IA_OK;
    if (n > SHORT_RUN) {
        if ((uint64_t)n >= (uint64_t)1 << 35) /* needs > 128 GiB of marks */
            return ia_error(IA_ERR_NOMEM, "tokenizer: combining run too long");
        key = malloc(n * sizeof *key);
        if (!key) return ia_error(IA_ERR_NOMEM, "tokenizer: out of memory");
    }
    for (size_t i = 0; i < n; i++)
        key[i] = (uint64_t)ia_uc_ccc(v[i]) << 56 | (uint64_t)i << 21 | v[i];
    if (n <= SHORT_RUN) {
        for (size_t i = 1; i < n; i++) {
            uint64_t k = key[i];
            size_t j = i;
            for (; j > 0 && key[j - 1] > k; j--) key[j] = key[j - 1];
            key[j] = k;
        }
    } else {
        qsort(key, n, sizeof *key, cmp_u64);
    }
    for (size_t i = 0; i < n; i++) v[i] = (uint32_t)(key[i] & 0x1FFFFF);
    if (key != small) free(key);
    return IA_OK;
}

/* Pass 1: clean_text, CJK spacing, NFD with canonical ordering. */
static ia_status pass_decompose(const ia_bert_normalizer *nz, const uint32_t *in,
                                size_t n, ia_cpbuf *buf) {
    ia_status st;
    size_t run = 0; /* start of the current run of non-starters in buf */
    buf->n = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t cp = in[i];
        if (cp < 0x80) {
            /* ASCII fast path: no CJK, no decomposition, always a starter. */
            if (nz->clean_text) {
                unsigned f = ia_uc_flags(cp);
                int tnr = cp == '\t' || cp == '\n' || cp == '\r';
                if (cp == 0 || ((f & IA_UC_OTHER) && !tnr)) continue;
                if (tnr || (f & IA_UC_WS)) cp = ' ';
            }
            if (nz->strip_accents && buf->n - run > 1 &&
                (st = sort_marks(buf->v + run, buf->n - run)) != IA_OK)
                return st;
            if ((st = ia_cpbuf_push(buf, cp)) != IA_OK) return st;
            run = buf->n;
            continue;
        }
        if (nz->clean_text) {
            unsigned f = ia_uc_flags(cp);
            int tnr = cp == '\t' || cp == '\n' || cp == '\r';
            if (cp == 0 || cp == 0xFFFD || ((f & IA_UC_OTHER) && !tnr)) continue;
            if (tnr || (f & IA_UC_WS)) cp = ' ';
        }
        int cjk = nz->handle_chinese_chars && ia_bert_is_chinese(cp);
        uint32_t d[IA_UC_NFD_MAX + 2];
        size_t nd = 0;
        if (cjk) d[nd++] = ' ';
        if (nz->strip_accents) nd += ia_uc_nfd(cp, d + nd);
        else d[nd++] = cp;
        if (cjk) d[nd++] = ' ';
        if ((st = ia_cpbuf_reserve(buf, nd)) != IA_OK) return st;
        for (size_t k = 0; k < nd; k++) {
            if (nz->strip_accents && ia_uc_ccc(d[k]) == 0) {
                /* A starter ends the run before it. */
                if ((st = sort_marks(buf->v + run, buf->n - run)) != IA_OK) return st;
                run = buf->n + 1;
            }
            buf->v[buf->n++] = d[k];
        }
    }
    if (nz->strip_accents && run < buf->n)
        return sort_marks(buf->v + run, buf->n - run);
    return IA_OK;
}

ia_status ia_bert_normalize(const ia_bert_normalizer *nz, const uint32_t *in,
                            size_t n, ia_cpbuf *scratch, ia_cpbuf *out) {
    ia_status st = pass_decompose(nz, in, n, scratch);
    if (st != IA_OK) return st;
    /* Pass 2: drop nonspacing marks, lowercase. */
    for (size_t i = 0; i < scratch->n; i++) {
        uint32_t cp = scratch->v[i];
        if (cp < 0x80) { /* ASCII: never Mn, lowercases to one char */
            if (nz->lowercase && cp >= 'A' && cp <= 'Z') cp += 32;
            if ((st = ia_cpbuf_push(out, cp)) != IA_OK) return st;
            continue;
        }
        if (nz->strip_accents && (ia_uc_flags(cp) & IA_UC_MN)) continue;
        uint32_t low[IA_UC_LOWER_MAX];
        size_t nl = 1;
        low[0] = cp;
        if (nz->lowercase) nl = ia_uc_lower(cp, low);
        if ((st = ia_cpbuf_reserve(out, nl)) != IA_OK) return st;
        for (size_t k = 0; k < nl; k++) out->v[out->n++] = low[k];
    }
    return IA_OK;
}
