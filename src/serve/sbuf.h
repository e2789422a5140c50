/*
 * sbuf.h — a growing byte buffer for writing response bodies: JSON strings
 * escaped, floats that read back exactly, base64. A failed allocation
 * marks the buffer (oom) instead of failing each call; the sender checks
 * once.
 */
#ifndef IA_SERVE_SBUF_H
#define IA_SERVE_SBUF_H

#include <stddef.h>

typedef struct sbuf {
    char *data;
    size_t len, cap;
    int oom;
} sbuf;

void sbuf_free(sbuf *b);
void sbuf_put(sbuf *b, const char *s, size_t n);
void sbuf_puts(sbuf *b, const char *s);
void sbuf_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* s[0..n) as a JSON string, quotes included (control characters escaped;
 * the bytes are copied as they are otherwise). */
void sbuf_json_str(sbuf *b, const char *s, size_t n);
/* A float with 9 significant digits: reads back as the same float. */
void sbuf_float(sbuf *b, float v);
/* Base64 (RFC 4648, padded) of n bytes. */
void sbuf_base64(sbuf *b, const void *bytes, size_t n);

#endif
