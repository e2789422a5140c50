/*
 * unicode.c — lookups in the generated tables (unicode_tables.c): binary
 * searches over sorted ranges, with an ASCII fast path since most text the
 * tokenizer sees is ASCII.
 */
#include "tokenize/unicode.h"

#include "tokenize/unicode_tables.h"

/* Index of the range holding cp, or -1. */
static long find_range(const ia_uc_range *t, size_t n, uint32_t cp) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cp < t[mid].first) hi = mid;
        else if (cp > t[mid].last) lo = mid + 1;
        else return (long)mid;
    }
    return -1;
}

unsigned ia_uc_flags(uint32_t cp) {
    if (cp < 128) return ia_uc_ascii_flags[cp];
    long i = find_range(ia_uc_prop_tab, ia_uc_prop_tab_len, cp);
    return i < 0 ? 0 : ia_uc_prop_tab[i].value;
}

unsigned ia_uc_ccc(uint32_t cp) {
    if (cp < 0x300) return 0; /* the first mark with a class is U+0300 */
    long i = find_range(ia_uc_ccc_tab, ia_uc_ccc_tab_len, cp);
    return i < 0 ? 0 : ia_uc_ccc_tab[i].value;
}

size_t ia_uc_lower(uint32_t cp, uint32_t out[IA_UC_LOWER_MAX]) {
    if (cp < 128) {
        out[0] = (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
        return 1;
    }
    size_t lo = 0, hi = ia_uc_lower_multi_tab_len;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cp < ia_uc_lower_multi_tab[mid].cp) hi = mid;
        else if (cp > ia_uc_lower_multi_tab[mid].cp) lo = mid + 1;
        else {
            const ia_uc_multi *m = &ia_uc_lower_multi_tab[mid];
            for (size_t k = 0; k < m->n; k++) out[k] = m->to[k];
            return m->n;
        }
    }
    lo = 0;
    hi = ia_uc_lower_tab_len;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const ia_uc_case_run *r = &ia_uc_lower_tab[mid];
        if (cp < r->first) hi = mid;
        else if (cp > r->last) lo = mid + 1;
        else {
            if ((cp - r->first) % r->step == 0) {
                out[0] = (uint32_t)((int64_t)cp + r->delta);
                return 1;
            }
            break;
        }
    }
    out[0] = cp;
    return 1;
}

/* Hangul syllables decompose by arithmetic (Unicode 3.12). */
#define HANGUL_S 0xAC00u
#define HANGUL_L 0x1100u
#define HANGUL_V 0x1161u
#define HANGUL_T 0x11A7u
#define HANGUL_V_COUNT 21u
#define HANGUL_T_COUNT 28u
#define HANGUL_N (HANGUL_V_COUNT * HANGUL_T_COUNT)
#define HANGUL_COUNT 11172u

size_t ia_uc_nfd(uint32_t cp, uint32_t out[IA_UC_NFD_MAX]) {
    if (cp < 0xC0) { /* nothing below U+00C0 decomposes */
        out[0] = cp;
        return 1;
    }
    if (cp >= HANGUL_S && cp < HANGUL_S + HANGUL_COUNT) {
        uint32_t s = cp - HANGUL_S;
        out[0] = HANGUL_L + s / HANGUL_N;
        out[1] = HANGUL_V + (s % HANGUL_N) / HANGUL_T_COUNT;
        if (s % HANGUL_T_COUNT == 0) return 2;
        out[2] = HANGUL_T + s % HANGUL_T_COUNT;
        return 3;
    }
    size_t lo = 0, hi = ia_uc_nfd_tab_len;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cp < ia_uc_nfd_tab[mid].cp) hi = mid;
        else if (cp > ia_uc_nfd_tab[mid].cp) lo = mid + 1;
        else {
            const ia_uc_decomp *d = &ia_uc_nfd_tab[mid];
            for (size_t k = 0; k < d->len; k++) out[k] = ia_uc_nfd_pool[d->off + k];
            return d->len;
        }
    }
    out[0] = cp;
    return 1;
}
