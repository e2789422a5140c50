/*
 * gguf_values.c — a GGUF file's metadata values (gguf.h): the typed
 * getters, which check a key's type before handing out its value, and
 * ia_gguf_kv_raw, a key's value re-encoded as GGUF bytes so that a writer
 * copies it into another file unchanged (quantize --type keeps the source's
 * tokenizer and chat template this way). The reader (gguf.c) parses and
 * indexes the keys; this file only reads them.
 */
#include <stdlib.h>
#include <string.h>

#include "formats/gguf.h"
#include "formats/gguf_internal.h"
#include "util/error.h"

/* The key's entry, or an error (NOT_FOUND, or FORMAT when of another type
 * than want; want = -1 accepts any). user_out is the caller's out pointer,
 * checked here once for every getter. */
static ia_status lookup(const ia_gguf *g, const char *key, const void *user_out, int want,
                        const char *want_name, const ia_gguf_kv **out) {
    char nm[NAME_SHOWN];
    *out = NULL;
    if (!g || !key || !user_out)
        return ia_error(IA_ERR_INVALID_ARG, "ia_gguf_get: NULL argument");
    if (!(*out = ia_gguf_kv_find(g, key)))
        return ia_error(IA_ERR_NOT_FOUND, "key '%s' is not in the file", ia_shown_name(key, nm, sizeof nm));
    if (want >= 0 && (*out)->type != (uint32_t)want)
        return ia_error(IA_ERR_FORMAT, "key '%s' is a %s, not a %s", ia_shown_name(key, nm, sizeof nm),
                        ia_gguf_vtype_name((*out)->type), want_name);
    return IA_OK;
}

ia_status ia_gguf_get_str(const ia_gguf *g, const char *key, const char **out) {
    const ia_gguf_kv *kv;
    ia_status rc = lookup(g, key, out, IA_GGUF_STRING, "string", &kv);
    if (rc == IA_OK) *out = kv->v.str;
    return rc;
}

/* Any integer type whose value fits int64 (bool is not an integer). */
ia_status ia_gguf_get_i64(const ia_gguf *g, const char *key, int64_t *out) {
    char nm[NAME_SHOWN];
    const ia_gguf_kv *kv;
    uint64_t b;
    ia_status rc = lookup(g, key, out, -1, NULL, &kv);
    if (rc != IA_OK) return rc;
    b = kv->v.bits;
    switch (kv->type) {
    case IA_GGUF_U8: case IA_GGUF_U16: case IA_GGUF_U32: *out = (int64_t)b; return IA_OK;
    case IA_GGUF_I8: *out = (int8_t)(uint8_t)b; return IA_OK;
    case IA_GGUF_I16: *out = (int16_t)(uint16_t)b; return IA_OK;
    case IA_GGUF_I32: *out = (int32_t)(uint32_t)b; return IA_OK;
    case IA_GGUF_I64: memcpy(out, &b, 8); return IA_OK; /* two's complement */
    case IA_GGUF_U64:
        if (b > (uint64_t)INT64_MAX)
            return ia_error(IA_ERR_FORMAT, "key '%s': u64 %llu does not fit int64",
                            ia_shown_name(key, nm, sizeof nm), (unsigned long long)b);
        *out = (int64_t)b;
        return IA_OK;
    default:
        return ia_error(IA_ERR_FORMAT, "key '%s' is a %s, not an integer", ia_shown_name(key, nm, sizeof nm),
                        ia_gguf_vtype_name(kv->type));
    }
}

ia_status ia_gguf_get_bool(const ia_gguf *g, const char *key, int *out) {
    const ia_gguf_kv *kv;
    ia_status rc = lookup(g, key, out, IA_GGUF_BOOL, "bool", &kv);
    if (rc == IA_OK) *out = kv->v.bits != 0;
    return rc;
}

ia_status ia_gguf_get_f32(const ia_gguf *g, const char *key, float *out) {
    const ia_gguf_kv *kv;
    ia_status rc = lookup(g, key, out, IA_GGUF_F32, "f32", &kv);
    if (rc == IA_OK) *out = kv->v.f32;
    return rc;
}

ia_status ia_gguf_get_str_array(const ia_gguf *g, const char *key, size_t *count,
                                const char *const **items) {
    char nm[NAME_SHOWN];
    const ia_gguf_kv *kv;
    ia_status rc = lookup(g, key, count && items ? count : NULL, IA_GGUF_ARRAY, "array", &kv);
    if (rc != IA_OK) return rc;
    if (kv->elem_type != IA_GGUF_STRING)
        return ia_error(IA_ERR_FORMAT, "key '%s' is an array of %s, not of strings",
                        ia_shown_name(key, nm, sizeof nm), ia_gguf_vtype_name(kv->elem_type));
    *count = (size_t)kv->count;
    *items = (const char *const *)kv->v.strs;
    return IA_OK;
}

ia_status ia_gguf_get_array(const ia_gguf *g, const char *key, ia_gguf_vtype *vtype,
                            size_t *count, const void **data) {
    char nm[NAME_SHOWN];
    const ia_gguf_kv *kv;
    ia_status rc = lookup(g, key, vtype && count && data ? count : NULL, IA_GGUF_ARRAY,
                          "array", &kv);
    if (rc != IA_OK) return rc;
    if (kv->elem_type == IA_GGUF_STRING)
        return ia_error(IA_ERR_FORMAT, "key '%s' is an array of strings, not of numbers",
                        ia_shown_name(key, nm, sizeof nm));
    *vtype = (ia_gguf_vtype)kv->elem_type;
    *count = (size_t)kv->count;
    *data = kv->v.data;
    return IA_OK;
}

/* Little-endian bytes appended to a growing buffer; *err set once on
 * failure to grow. */
typedef struct {
    uint8_t *p;
    size_t n, cap;
    int err;
} rawbuf;

static void raw_put(rawbuf *b, const void *src, size_t n) {
    if (b->err || !n) return;
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        uint8_t *np;
        while (cap < b->n + n) cap *= 2;
        if (!(np = realloc(b->p, cap))) {
            b->err = 1;
            return;
        }
        b->p = np, b->cap = cap;
    }
    memcpy(b->p + b->n, src, n);
    b->n += n;
}

static void raw_le(rawbuf *b, uint64_t v, int n) {
    uint8_t x[8];
    for (int i = 0; i < n; i++) x[i] = (uint8_t)(v >> (8 * i));
    raw_put(b, x, (size_t)n);
}

static void raw_str(rawbuf *b, const char *s) {
    size_t n = strlen(s);
    raw_le(b, n, 8);
    raw_put(b, s, n);
}

ia_status ia_gguf_kv_raw(const ia_gguf *g, const char *key, ia_gguf_vtype *type, void **bytes, size_t *len) {
    const ia_gguf_kv *kv;
    rawbuf b = {NULL, 0, 0, 0};
    size_t es;
    ia_status rc = lookup(g, key, bytes && type && len ? bytes : NULL, -1, NULL, &kv);
    if (rc != IA_OK) return rc;
    *bytes = NULL, *len = 0;
    if ((es = ia_gguf_scalar_size(kv->type)) != 0) {
        uint64_t u = kv->v.bits; /* integers and bool; floats keep their own bits */
        if (kv->type == IA_GGUF_F32) {
            uint32_t f;
            memcpy(&f, &kv->v.f32, 4);
            u = f;
        } else if (kv->type == IA_GGUF_F64) {
            memcpy(&u, &kv->v.f64, 8);
        }
        raw_le(&b, u, (int)es);
    } else if (kv->type == IA_GGUF_STRING) {
        raw_str(&b, kv->v.str);
    } else { /* array */
        raw_le(&b, kv->elem_type, 4);
        raw_le(&b, kv->count, 8);
        if (kv->elem_type == IA_GGUF_STRING)
            for (uint64_t i = 0; i < kv->count; i++) raw_str(&b, kv->v.strs[i]);
        else
            raw_put(&b, kv->v.data, (size_t)kv->count * ia_gguf_scalar_size(kv->elem_type));
    }
    if (b.err) {
        free(b.p);
        return ia_error(IA_ERR_NOMEM, "key '%s': cannot copy its value", key);
    }
    *type = (ia_gguf_vtype)kv->type;
    *bytes = b.p, *len = b.n;
    return IA_OK;
}
