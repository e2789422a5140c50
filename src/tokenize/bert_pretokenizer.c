/*
 * bert_pretokenizer.c — BertPreTokenizer (see bert_pretokenizer.h).
 *
 * `tokenizers` splits twice (whitespace with "Removed", then punctuation
 * with "Isolated") and drops empty pieces; one scan that yields maximal
 * runs of ordinary chars and single punctuation chars gives the same words.
 */
#include "tokenize/bert_pretokenizer.h"

#include "tokenize/unicode.h"

int ia_bert_pretok_next(const uint32_t *s, size_t n, size_t *pos,
                        size_t *start, size_t *end) {
    size_t i = *pos;
    while (i < n && (ia_uc_flags(s[i]) & IA_UC_WS)) i++;
    if (i >= n) {
        *pos = n;
        return 0;
    }
    *start = i;
    if (ia_uc_flags(s[i]) & IA_UC_PUNCT) {
        i++;
    } else {
        while (i < n && !(ia_uc_flags(s[i]) & (IA_UC_WS | IA_UC_PUNCT))) i++;
    }
    *end = *pos = i;
    return 1;
}
