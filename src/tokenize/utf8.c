/*
 * utf8.c — lossy UTF-8 decoding as Rust's String::from_utf8_lossy, and
 * encoding (see utf8.h for why lossy).
 */
#include "tokenize/utf8.h"

/* Ill-formed input; callers turn it into U+FFFD. */
#define BAD UINT32_MAX

/* Decodes one sequence at s[0..len) (len >= 1). Returns the bytes consumed
 * (>= 1) and sets *cp, BAD for a maximal ill-formed subpart. The valid
 * second-byte ranges are those of Unicode Table 3-7: they exclude overlong
 * forms, surrogates and code points past U+10FFFF. */
static size_t decode_one(const unsigned char *s, size_t len, uint32_t *cp) {
    unsigned b0 = s[0];
    size_t need;
    unsigned lo = 0x80, hi = 0xBF;
    uint32_t v;
    if (b0 < 0x80) {
        *cp = b0;
        return 1;
    } else if (b0 >= 0xC2 && b0 <= 0xDF) {
        need = 1;
        v = b0 & 0x1F;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        need = 2;
        v = b0 & 0x0F;
        if (b0 == 0xE0) lo = 0xA0;
        if (b0 == 0xED) hi = 0x9F;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        need = 3;
        v = b0 & 0x07;
        if (b0 == 0xF0) lo = 0x90;
        if (b0 == 0xF4) hi = 0x8F;
    } else {
        *cp = BAD;
        return 1;
    }
    for (size_t k = 1; k <= need; k++) {
        if (k >= len || s[k] < lo || s[k] > hi) {
            *cp = BAD; /* the k bytes so far are one maximal subpart */
            return k;
        }
        v = (v << 6) | (s[k] & 0x3F);
        lo = 0x80;
        hi = 0xBF;
    }
    *cp = v;
    return need + 1;
}

ia_status ia_utf8_decode(const char *s, size_t len, ia_cpbuf *out) {
    const unsigned char *p = (const unsigned char *)s;
    /* At most one code point per byte: reserve once, then push freely. */
    ia_status st = ia_cpbuf_reserve(out, len);
    if (st != IA_OK) return st;
    size_t i = 0;
    while (i < len) {
        uint32_t cp;
        i += decode_one(p + i, len - i, &cp);
        out->v[out->n++] = cp == BAD ? 0xFFFD : cp;
    }
    return IA_OK;
}

int ia_utf8_valid(const char *s, size_t len) {
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        uint32_t cp;
        i += decode_one(p + i, len - i, &cp);
        if (cp == BAD) return 0;
    }
    return 1;
}

size_t ia_utf8_put(uint32_t cp, char out[4]) {
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}
