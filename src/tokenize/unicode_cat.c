/*
 * unicode_cat.c — general category class and White_Space lookups for the
 * LLM pre-tokenizers: an ASCII fast path, then a binary search of the
 * generated ranges.
 */
#include "tokenize/unicode_cat.h"

#include <stddef.h>

#include "tokenize/unicode_tables.h"

ia_cat ia_uc_cat(uint32_t cp) {
    size_t lo = 0, hi = ia_uc_cat_tab_len;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cp < ia_uc_cat_tab[mid].first) hi = mid;
        else if (cp > ia_uc_cat_tab[mid].last) lo = mid + 1;
        else return (ia_cat)ia_uc_cat_tab[mid].value;
    }
    return IA_CAT_UNDEF;
}

/* White_Space from PropList.txt (stable since Unicode 6.3). */
int ia_uc_is_space(uint32_t cp) {
    if (cp < 0x80) return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20;
    if (cp < 0x2000)
        return cp == 0x85 || cp == 0xA0 || cp == 0x1680;
    return cp <= 0x200A || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
           cp == 0x205F || cp == 0x3000;
}
