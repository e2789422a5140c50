/*
 * car.c — CAR v1 header (a strict dag-cbor map) and the streaming section
 * reader (see car.h).
 */
#include "formats/car.h"

#include <stdlib.h>
#include <string.h>

#include "formats/varint.h"
#include "util/error.h"

/* ------------------------------------------------------------ dag-cbor */

enum { CBOR_UINT = 0, CBOR_BYTES = 2, CBOR_TEXT = 3, CBOR_ARRAY = 4, CBOR_MAP = 5, CBOR_TAG = 6 };
#define CBOR_TAG_CID 42

/* A major type and its argument, in the shortest form (dag-cbor requires
 * it). Returns the bytes written (1, 2, 3, 5 or 9). */
static size_t cbor_head(uint8_t *out, int major, uint64_t v) {
    uint8_t m = (uint8_t)(major << 5);
    if (v < 24) {
        out[0] = m | (uint8_t)v;
        return 1;
    }
    if (v <= 0xff) {
        out[0] = m | 24, out[1] = (uint8_t)v;
        return 2;
    }
    if (v <= 0xffff) {
        out[0] = m | 25, out[1] = (uint8_t)(v >> 8), out[2] = (uint8_t)v;
        return 3;
    }
    if (v <= 0xffffffffu) {
        out[0] = m | 26;
        for (int k = 0; k < 4; k++) out[1 + k] = (uint8_t)(v >> (24 - 8 * k));
        return 5;
    }
    out[0] = m | 27;
    for (int k = 0; k < 8; k++) out[1 + k] = (uint8_t)(v >> (56 - 8 * k));
    return 9;
}

/* The header's CBOR (without its varint length) into out, or its size when
 * out is NULL. 0 when a root does not encode. */
static size_t header_cbor(const ia_cid *roots, size_t n, uint8_t *out) {
    uint8_t tmp[16], cid[IA_CID_MAX_BYTES];
    size_t o = 0, h;
#define EMIT(src, len)                                       \
    do {                                                     \
        if (out) memcpy(out + o, (src), (len));              \
        o += (len);                                          \
    } while (0)
    h = cbor_head(tmp, CBOR_MAP, 2);
    EMIT(tmp, h);
    h = cbor_head(tmp, CBOR_TEXT, 5);
    EMIT(tmp, h);
    EMIT("roots", 5);
    h = cbor_head(tmp, CBOR_ARRAY, n);
    EMIT(tmp, h);
    for (size_t i = 0; i < n; i++) {
        size_t len = ia_cid_to_bytes(&roots[i], cid, sizeof cid);
        if (!len) return 0;
        h = cbor_head(tmp, CBOR_TAG, CBOR_TAG_CID);
        EMIT(tmp, h);
        h = cbor_head(tmp, CBOR_BYTES, len + 1);
        EMIT(tmp, h);
        EMIT("\0", 1); /* the identity multibase prefix */
        EMIT(cid, len);
    }
    h = cbor_head(tmp, CBOR_TEXT, 7);
    EMIT(tmp, h);
    EMIT("version", 7);
    h = cbor_head(tmp, CBOR_UINT, 1);
    EMIT(tmp, h);
#undef EMIT
    return o;
}

size_t ia_car_header_size(const ia_cid *roots, size_t n) {
    size_t len = header_cbor(roots, n, NULL);
    return len ? ia_varint_len(len) + len : 0;
}

size_t ia_car_header_encode(const ia_cid *roots, size_t n, uint8_t *out, size_t cap) {
    size_t len = header_cbor(roots, n, NULL), v;
    if (!len || n == 0 || ia_varint_len(len) + len > cap) return 0;
    v = ia_varint_put(out, len);
    header_cbor(roots, n, out + v);
    return v + len;
}

/* A strict CBOR cursor over the header's bytes. */
typedef struct {
    const uint8_t *p;
    size_t n, pos;
} cbor_in;

/* One item's head: major type and argument. Refuses indefinite lengths,
 * reserved values, non-shortest arguments, and heads past the end. */
static ia_status cbor_read_head(cbor_in *c, int *major, uint64_t *v) {
    size_t start = c->pos, extra;
    uint8_t b, info;
    uint64_t x = 0;
    if (c->pos >= c->n) return ia_error(IA_ERR_FORMAT, "CAR header: dag-cbor ends at byte %zu", c->pos);
    b = c->p[c->pos++];
    *major = b >> 5, info = b & 31;
    if (info < 24) {
        *v = info;
        return IA_OK;
    }
    if (info > 27)
        return ia_error(IA_ERR_FORMAT, "CAR header: %s at byte %zu (dag-cbor has none)",
                        info == 31 ? "an indefinite length" : "a reserved argument", start);
    extra = (size_t)1 << (info - 24);
    if (extra > c->n - c->pos) return ia_error(IA_ERR_FORMAT, "CAR header: dag-cbor ends at byte %zu", c->n);
    for (size_t k = 0; k < extra; k++) x = x << 8 | c->p[c->pos++];
    /* shortest form: the argument would not fit the next shorter one */
    if ((extra == 1 && x < 24) || (extra == 2 && x <= 0xff) || (extra == 4 && x <= 0xffff) ||
        (extra == 8 && x <= 0xffffffffu))
        return ia_error(IA_ERR_FORMAT, "CAR header: a non-shortest integer at byte %zu (dag-cbor forbids it)", start);
    *v = x;
    return IA_OK;
}

/* A text string equal to want. */
static ia_status cbor_expect_key(cbor_in *c, const char *want) {
    size_t start = c->pos, len = strlen(want);
    int major = 0;
    uint64_t v = 0;
    ia_status st = cbor_read_head(c, &major, &v);
    if (st != IA_OK) return st;
    if (major != CBOR_TEXT || v != len || len > c->n - c->pos || memcmp(c->p + c->pos, want, len) != 0)
        return ia_error(IA_ERR_FORMAT, "CAR header: expected the key \"%s\" at byte %zu (a CARv1 header is "
                        "exactly {\"roots\": [...], \"version\": 1})", want, start);
    c->pos += len;
    return IA_OK;
}

static ia_status cbor_read_cid(cbor_in *c, size_t index, ia_cid *out) {
    size_t start = c->pos;
    int major = 0;
    uint64_t v = 0;
    ia_status st;
    if ((st = cbor_read_head(c, &major, &v)) != IA_OK) return st;
    if (major != CBOR_TAG || v != CBOR_TAG_CID)
        return ia_error(IA_ERR_FORMAT, "CAR header: root %zu at byte %zu is not a CID (tag 42)", index, start);
    start = c->pos;
    if ((st = cbor_read_head(c, &major, &v)) != IA_OK) return st;
    if (major != CBOR_BYTES) return ia_error(IA_ERR_FORMAT, "CAR header: root %zu: tag 42 over a non-byte-string", index);
    if (v > c->n - c->pos) return ia_error(IA_ERR_FORMAT, "CAR header: root %zu: %llu bytes past the header's end",
                                           index, (unsigned long long)v);
    if (v < 1 || c->p[c->pos] != 0x00)
        return ia_error(IA_ERR_FORMAT, "CAR header: root %zu at byte %zu lacks the 0x00 multibase prefix", index, start);
    if ((st = ia_cid_from_bytes(c->p + c->pos + 1, (size_t)v - 1, out)) != IA_OK)
        return ia_error_prefix(st, "CAR header: root %zu", index);
    c->pos += (size_t)v;
    return IA_OK;
}

ia_status ia_car_header_decode(const uint8_t *p, size_t n, ia_cid *roots, size_t cap_roots, size_t *n_roots) {
    cbor_in c = {p, n, 0};
    int major = 0;
    uint64_t v = 0, count = 0;
    ia_status st;
    *n_roots = 0;
    if ((st = cbor_read_head(&c, &major, &count)) != IA_OK) return st;
    if (major != CBOR_MAP) return ia_error(IA_ERR_FORMAT, "CAR header: not a dag-cbor map");
    /* CARv2 opens with the pragma {"version": 2}, a CARv1-shaped header */
    if (count == 1 && n == 10 && memcmp(p, "\xa1\x67version\x02", 10) == 0)
        return ia_error(IA_ERR_UNSUPPORTED, "CAR header: a CARv2 file (only CARv1 is read: convert it, "
                        "e.g. `car convert`/ipfs dag export, or export it again as v1)");
    if (count != 2) return ia_error(IA_ERR_FORMAT, "CAR header: a map of %llu entries (2: roots and version)",
                                    (unsigned long long)count);
    if ((st = cbor_expect_key(&c, "roots")) != IA_OK) return st;
    if ((st = cbor_read_head(&c, &major, &count)) != IA_OK) return st;
    if (major != CBOR_ARRAY) return ia_error(IA_ERR_FORMAT, "CAR header: roots is not an array");
    if (count == 0) return ia_error(IA_ERR_FORMAT, "CAR header: no roots (CARv1 needs at least one)");
    if (count > cap_roots)
        return ia_error(IA_ERR_FORMAT, "CAR header: %llu roots (at most %zu)", (unsigned long long)count, cap_roots);
    for (size_t i = 0; i < count; i++)
        if ((st = cbor_read_cid(&c, i, &roots[i])) != IA_OK) return st;
    if ((st = cbor_expect_key(&c, "version")) != IA_OK) return st;
    if ((st = cbor_read_head(&c, &major, &v)) != IA_OK) return st;
    if (major != CBOR_UINT) return ia_error(IA_ERR_FORMAT, "CAR header: version is not an unsigned integer");
    if (v != 1) return ia_error(IA_ERR_UNSUPPORTED, "CAR header: version %llu (only 1 is read)", (unsigned long long)v);
    if (c.pos != n) return ia_error(IA_ERR_FORMAT, "CAR header: %zu bytes after the map", n - c.pos);
    *n_roots = (size_t)count;
    return IA_OK;
}

size_t ia_car_section_head(const ia_cid *cid, size_t block_len, uint8_t *out, size_t cap) {
    uint8_t b[IA_CID_MAX_BYTES];
    size_t len = ia_cid_to_bytes(cid, b, sizeof b), v;
    if (!len || ia_varint_len(len + block_len) + len > cap) return 0;
    v = ia_varint_put(out, len + block_len);
    memcpy(out + v, b, len);
    return v + len;
}

/* -------------------------------------------------------------- reader */

/* Exactly n bytes (a short read is the end of the input): *got says how
 * many came. */
static ia_status read_full(ia_car_reader *r, uint8_t *buf, size_t n, size_t *got) {
    size_t have = 0;
    while (have < n) {
        size_t g = 0;
        ia_status st = r->read(r->ctx, buf + have, n - have, &g);
        if (st != IA_OK) return st;
        if (g == 0) break;
        have += g;
    }
    *got = have;
    r->offset += have;
    return IA_OK;
}

/* A multiformats varint read byte by byte (the next bytes belong to the
 * section). *eof is set when the input ends before its first byte. */
static ia_status read_varint(ia_car_reader *r, const char *what, uint64_t *v, int *eof) {
    uint8_t b[IA_UVARINT_MF_MAX];
    uint64_t at = r->offset;
    size_t n = 0, got;
    ia_status st;
    *eof = 0;
    for (;;) {
        if ((st = read_full(r, b + n, 1, &got)) != IA_OK) return st;
        if (!got) {
            if (n == 0) {
                *eof = 1;
                return IA_OK;
            }
            return ia_error(IA_ERR_FORMAT, "CAR: truncated in the %s varint at byte %llu", what, (unsigned long long)at);
        }
        n++;
        if (!(b[n - 1] & 0x80)) break;
        if (n == sizeof b)
            return ia_error(IA_ERR_FORMAT, "CAR: %s varint at byte %llu is longer than %d bytes", what,
                            (unsigned long long)at, IA_UVARINT_MF_MAX);
    }
    if (ia_uvarint_get(b, n, v) != n)
        return ia_error(IA_ERR_FORMAT, "CAR: %s varint at byte %llu is not minimally encoded", what, (unsigned long long)at);
    return IA_OK;
}

/* Room for n bytes in r->buf. */
static ia_status reserve(ia_car_reader *r, size_t n) {
    uint8_t *nb;
    if (n <= r->cap) return IA_OK;
    if (!(nb = realloc(r->buf, n))) return ia_error(IA_ERR_NOMEM, "CAR: a section of %zu bytes", n);
    r->buf = nb, r->cap = n;
    return IA_OK;
}

ia_status ia_car_reader_open(ia_car_reader *r, ia_car_read_fn fn, void *ctx) {
    uint64_t len;
    size_t got;
    int eof;
    ia_status st;
    memset(r, 0, sizeof *r);
    r->read = fn, r->ctx = ctx;
    if ((st = read_varint(r, "header length", &len, &eof)) != IA_OK) goto fail;
    if (eof) {
        st = ia_error(IA_ERR_FORMAT, "CAR: empty input (no header)");
        goto fail;
    }
    if (len == 0 || len > IA_CAR_MAX_HEADER) {
        st = ia_error(IA_ERR_FORMAT, "CAR: header of %llu bytes (1 to %u)", (unsigned long long)len, IA_CAR_MAX_HEADER);
        goto fail;
    }
    if ((st = reserve(r, (size_t)len)) != IA_OK) goto fail;
    if ((st = read_full(r, r->buf, (size_t)len, &got)) != IA_OK) goto fail;
    if (got < len) {
        st = ia_error(IA_ERR_FORMAT, "CAR: truncated in the header (%zu of %llu bytes)", got, (unsigned long long)len);
        goto fail;
    }
    if (!(r->roots = malloc(IA_CAR_MAX_ROOTS * sizeof *r->roots))) {
        st = ia_error(IA_ERR_NOMEM, "CAR: roots");
        goto fail;
    }
    if ((st = ia_car_header_decode(r->buf, (size_t)len, r->roots, IA_CAR_MAX_ROOTS, &r->n_roots)) != IA_OK) goto fail;
    return IA_OK;
fail:
    ia_car_reader_free(r);
    return st;
}

ia_status ia_car_reader_next(ia_car_reader *r, ia_cid *cid, const uint8_t **block, size_t *len, uint64_t *at) {
    uint64_t n;
    size_t got, used = 0;
    int eof;
    ia_status st;
    *block = NULL, *len = 0, *at = r->offset;
    if ((st = read_varint(r, "section length", &n, &eof)) != IA_OK) return st;
    if (eof) return IA_OK;
    if (n == 0) return ia_error(IA_ERR_FORMAT, "CAR: an empty section at byte %llu", (unsigned long long)*at);
    if (n > IA_CAR_MAX_SECTION)
        return ia_error(IA_ERR_FORMAT, "CAR: a section of %llu bytes at byte %llu (blocks are at most %u bytes)",
                        (unsigned long long)n, (unsigned long long)*at, IA_CAR_MAX_BLOCK);
    if ((st = reserve(r, (size_t)n)) != IA_OK) return st;
    if ((st = read_full(r, r->buf, (size_t)n, &got)) != IA_OK) return st;
    if (got < n)
        return ia_error(IA_ERR_FORMAT, "CAR: truncated: the section at byte %llu has %zu of its %llu bytes",
                        (unsigned long long)*at, got, (unsigned long long)n);
    if ((st = ia_cid_read(r->buf, (size_t)n, cid, &used)) != IA_OK)
        return ia_error_prefix(st, "CAR: the section at byte %llu", (unsigned long long)*at);
    if ((size_t)n - used > IA_CAR_MAX_BLOCK)
        return ia_error(IA_ERR_FORMAT, "CAR: a block of %zu bytes at byte %llu (at most %u)", (size_t)n - used,
                        (unsigned long long)*at, IA_CAR_MAX_BLOCK);
    *block = r->buf + used;
    *len = (size_t)n - used;
    return IA_OK;
}

void ia_car_reader_free(ia_car_reader *r) {
    if (!r) return;
    free(r->roots);
    free(r->buf);
    memset(r, 0, sizeof *r);
}
