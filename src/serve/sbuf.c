/*
 * sbuf.c — the response body buffer (sbuf.h).
 */
#include "serve/sbuf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sbuf_free(sbuf *b) {
    free(b->data);
    memset(b, 0, sizeof *b);
}

static int reserve(sbuf *b, size_t extra) {
    size_t cap;
    char *d;
    if (b->oom) return 0;
    if (b->len + extra + 1 <= b->cap) return 1;
    cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1) cap *= 2;
    if (!(d = realloc(b->data, cap))) return b->oom = 1, 0;
    b->data = d;
    b->cap = cap;
    return 1;
}

void sbuf_put(sbuf *b, const char *s, size_t n) {
    if (!reserve(b, n)) return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void sbuf_puts(sbuf *b, const char *s) { sbuf_put(b, s, strlen(s)); }

void sbuf_printf(sbuf *b, const char *fmt, ...) {
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !reserve(b, (size_t)n)) return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void sbuf_json_str(sbuf *b, const char *s, size_t n) {
    static const char hex[] = "0123456789abcdef";
    size_t run = 0;
    sbuf_put(b, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[6];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        sbuf_put(b, s + run, i - run);
        run = i + 1;
        if (c == '"' || c == '\\') esc[0] = '\\', esc[1] = (char)c, sbuf_put(b, esc, 2);
        else if (c == '\n') sbuf_put(b, "\\n", 2);
        else if (c == '\t') sbuf_put(b, "\\t", 2);
        else if (c == '\r') sbuf_put(b, "\\r", 2);
        else {
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            sbuf_put(b, esc, 6);
        }
    }
    sbuf_put(b, s + run, n - run);
    sbuf_put(b, "\"", 1);
}

void sbuf_float(sbuf *b, float v) {
    char tmp[32];
    int n;
    if (v != v || v - v != 0.0f) { /* JSON has no NaN or infinity */
        sbuf_put(b, "null", 4);
        return;
    }
    n = snprintf(tmp, sizeof tmp, "%.9g", (double)v);
    sbuf_put(b, tmp, (size_t)n);
}

void sbuf_base64(sbuf *b, const void *bytes, size_t n) {
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *p = bytes;
    char *o;
    size_t i = 0;
    if (!reserve(b, (n + 2) / 3 * 4)) return;
    o = b->data + b->len;
    for (; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        *o++ = tab[v >> 18], *o++ = tab[(v >> 12) & 63], *o++ = tab[(v >> 6) & 63], *o++ = tab[v & 63];
    }
    if (i < n) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);
        *o++ = tab[v >> 18], *o++ = tab[(v >> 12) & 63];
        *o++ = i + 1 < n ? tab[(v >> 6) & 63] : '=';
        *o++ = '=';
    }
    b->len = (size_t)(o - b->data);
    b->data[b->len] = '\0';
}
