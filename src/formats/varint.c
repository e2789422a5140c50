/*
 * varint.c — unsigned LEB128 (see varint.h for the two reading rules).
 */
#include "formats/varint.h"

size_t ia_varint_len(uint64_t v) {
    size_t n = 1;
    while (v >= 0x80) v >>= 7, n++;
    return n;
}

size_t ia_varint_put(uint8_t *out, uint64_t v) {
    size_t n = 0;
    while (v >= 0x80) {
        out[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    out[n++] = (uint8_t)v;
    return n;
}

/* Reads up to max bytes; 0 when truncated or unterminated within max. The
 * tenth byte of a 64-bit value may carry only its lowest bit. */
static size_t get(const uint8_t *p, size_t n, size_t max, uint64_t *v) {
    uint64_t x = 0;
    if (n > max) n = max;
    for (size_t i = 0; i < n; i++) {
        uint64_t b = p[i] & 0x7f;
        if (i == 9 && b > 1) return 0; /* bits past 64 */
        x |= b << (7 * i);
        if (!(p[i] & 0x80)) {
            *v = x;
            return i + 1;
        }
    }
    return 0;
}

size_t ia_uvarint_get(const uint8_t *p, size_t n, uint64_t *v) {
    size_t used = get(p, n, IA_UVARINT_MF_MAX, v);
    /* minimal: a last byte of 0 after a first byte means a longer spelling */
    if (used > 1 && p[used - 1] == 0) return 0;
    return used;
}

size_t ia_pb_varint_get(const uint8_t *p, size_t n, uint64_t *v) { return get(p, n, IA_VARINT_MAX, v); }
