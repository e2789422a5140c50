/*
 * gguf_write.c — the GGUF writer (contract in gguf.h): metadata and tensors
 * collected in memory, written to a temporary file that is flushed, synced
 * and renamed into place, so a failure never leaves a half-written file.
 */
#include "formats/gguf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h> /* fsync, fileno: durability */

#include "formats/gguf_internal.h"
#include "util/error.h"

/* ---------------------------------------------------------------- writer */

typedef struct wkv {
    char *key;
    ia_gguf_vtype type;
    union {
        uint32_t u32;
        int64_t i64;
        float f32;
        char *str;
    } v;
    char **items; /* string arrays */
    size_t count;
    void *raw;    /* set_raw: the value's bytes as written after the type */
    size_t raw_len;
} wkv;

typedef struct wtensor {
    char *name;
    ia_ggml_type type;
    int ndim;
    int64_t shape[IA_GGUF_MAX_DIMS]; /* outermost first */
    void *data;
    size_t nbytes;
} wtensor;

struct ia_gguf_writer {
    wkv *kvs;
    size_t n_kv, cap_kv;
    wtensor *ts;
    size_t n_t, cap_t;
};

ia_status ia_gguf_writer_create(ia_gguf_writer **out) {
    if (!out) return ia_error(IA_ERR_INVALID_ARG, "ia_gguf_writer_create: out is NULL");
    *out = calloc(1, sizeof **out);
    return *out ? IA_OK : ia_error(IA_ERR_NOMEM, "cannot allocate a GGUF writer");
}

void ia_gguf_writer_free(ia_gguf_writer *w) {
    if (!w) return;
    for (size_t i = 0; i < w->n_kv; i++) {
        free(w->kvs[i].key);
        if (w->kvs[i].type == IA_GGUF_STRING) free(w->kvs[i].v.str);
        for (size_t j = 0; j < w->kvs[i].count; j++) free(w->kvs[i].items[j]);
        free(w->kvs[i].items);
        free(w->kvs[i].raw);
    }
    for (size_t i = 0; i < w->n_t; i++) {
        free(w->ts[i].name);
        free(w->ts[i].data);
    }
    free(w->kvs);
    free(w->ts);
    free(w);
}

/* Checks key and appends an entry holding a copy of it in *out.
 * general.alignment is the writer's own (finish writes 32). */
static ia_status new_kv(ia_gguf_writer *w, const char *key, ia_gguf_vtype type, wkv **out) {
    char nm[NAME_SHOWN];
    wkv *kv;
    if (!w || !key || !*key)
        return ia_error(IA_ERR_INVALID_ARG, "gguf writer: NULL writer or empty key");
    if (strcmp(key, GGUF_ALIGNMENT_KEY) == 0)
        return ia_error(IA_ERR_INVALID_ARG, "gguf writer: " GGUF_ALIGNMENT_KEY " is "
                        "written by the writer (%u)", GGUF_DEFAULT_ALIGNMENT);
    for (size_t i = 0; i < w->n_kv; i++) /* linear: models have tens of keys */
        if (strcmp(w->kvs[i].key, key) == 0)
            return ia_error(IA_ERR_INVALID_ARG, "gguf writer: key '%s' is set twice",
                            ia_shown_name(key, nm, sizeof nm));
    if (!ia_gguf_grow((void **)&w->kvs, &w->cap_kv, w->n_kv, sizeof *w->kvs))
        return ia_error(IA_ERR_NOMEM, "gguf writer: cannot grow the key table");
    kv = &w->kvs[w->n_kv];
    memset(kv, 0, sizeof *kv);
    if (!(kv->key = strdup(key)))
        return ia_error(IA_ERR_NOMEM, "gguf writer: cannot copy a key");
    kv->type = type;
    w->n_kv++;
    *out = kv;
    return IA_OK;
}

/* Takes back the entry new_kv() just added (its value could not be copied). */
static ia_status drop_last_kv(ia_gguf_writer *w) {
    free(w->kvs[--w->n_kv].key);
    return ia_error(IA_ERR_NOMEM, "gguf writer: cannot copy a value");
}

ia_status ia_gguf_writer_set_str(ia_gguf_writer *w, const char *key, const char *value) {
    wkv *kv;
    ia_status rc;
    if (!value) return ia_error(IA_ERR_INVALID_ARG, "gguf writer: NULL string value");
    if ((rc = new_kv(w, key, IA_GGUF_STRING, &kv)) != IA_OK) return rc;
    return (kv->v.str = strdup(value)) ? IA_OK : drop_last_kv(w);
}

ia_status ia_gguf_writer_set_u32(ia_gguf_writer *w, const char *key, uint32_t value) {
    wkv *kv;
    ia_status rc = new_kv(w, key, IA_GGUF_U32, &kv);
    if (rc == IA_OK) kv->v.u32 = value;
    return rc;
}

ia_status ia_gguf_writer_set_i64(ia_gguf_writer *w, const char *key, int64_t value) {
    wkv *kv;
    ia_status rc = new_kv(w, key, IA_GGUF_I64, &kv);
    if (rc == IA_OK) kv->v.i64 = value;
    return rc;
}

ia_status ia_gguf_writer_set_f32(ia_gguf_writer *w, const char *key, float value) {
    wkv *kv;
    ia_status rc = new_kv(w, key, IA_GGUF_F32, &kv);
    if (rc == IA_OK) kv->v.f32 = value;
    return rc;
}

ia_status ia_gguf_writer_set_str_array(ia_gguf_writer *w, const char *key,
                                       const char *const *items, size_t count) {
    wkv *kv;
    ia_status rc;
    size_t i;
    if (count && !items) return ia_error(IA_ERR_INVALID_ARG, "gguf writer: NULL items");
    for (i = 0; i < count; i++)
        if (!items[i])
            return ia_error(IA_ERR_INVALID_ARG, "gguf writer: string array item %zu is NULL", i);
    if ((rc = new_kv(w, key, IA_GGUF_ARRAY, &kv)) != IA_OK) return rc;
    if (!(kv->items = calloc(count ? count : 1, sizeof *kv->items))) return drop_last_kv(w);
    for (i = 0; i < count; i++) {
        if (!(kv->items[i] = strdup(items[i]))) {
            while (i--) free(kv->items[i]);
            free(kv->items);
            kv->items = NULL;
            return drop_last_kv(w);
        }
    }
    kv->count = count;
    return IA_OK;
}

ia_status ia_gguf_writer_set_raw(ia_gguf_writer *w, const char *key, ia_gguf_vtype type, const void *bytes,
                                 size_t len) {
    wkv *kv;
    ia_status rc;
    if ((!bytes && len) || (unsigned)type > IA_GGUF_F64 || len == 0)
        return ia_error(IA_ERR_INVALID_ARG, "gguf writer: bad raw value");
    if ((rc = new_kv(w, key, type, &kv)) != IA_OK) return rc;
    if (!(kv->raw = malloc(len))) return drop_last_kv(w);
    memcpy(kv->raw, bytes, len);
    kv->raw_len = len;
    return IA_OK;
}

/* Contract: copies name, shape and data. The shape is outermost first; it
 * must be one the reader accepts (1..4 dims, each >= 1, the innermost a
 * multiple of the block size) and nbytes must equal ia_ggml_nbytes(). */
ia_status ia_gguf_writer_add_tensor(ia_gguf_writer *w, const char *name, ia_ggml_type type,
                                    int ndim, const int64_t *shape, const void *data,
                                    size_t nbytes) {
    char nm[NAME_SHOWN];
    int64_t nelem = 1;
    size_t want;
    wtensor *t;
    if (!w || !name || !*name || !shape || (!data && nbytes))
        return ia_error(IA_ERR_INVALID_ARG, "gguf writer: NULL argument or empty name");
    if (ia_gguf_type_index((uint32_t)type) < 0)
        return ia_error(IA_ERR_INVALID_ARG, "gguf writer: tensor '%s': unknown type %d",
                        ia_shown_name(name, nm, sizeof nm), (int)type);
    if (ndim < 1 || ndim > IA_GGUF_MAX_DIMS)
        return ia_error(IA_ERR_INVALID_ARG, "gguf writer: tensor '%s': %d dims (1 to %d)",
                        ia_shown_name(name, nm, sizeof nm), ndim, IA_GGUF_MAX_DIMS);
    for (int d = 0; d < ndim; d++) {
        if (shape[d] < 1 || nelem > INT64_MAX / shape[d])
            return ia_error(IA_ERR_INVALID_ARG, "gguf writer: tensor '%s': dim %d is %lld "
                            "(dims are >= 1 and their product fits int64)", ia_shown_name(name, nm, sizeof nm),
                            d, (long long)shape[d]);
        nelem *= shape[d];
    }
    want = ia_ggml_nbytes(type, shape[ndim - 1], nelem);
    if (want == 0 || want != nbytes)
        return ia_error(IA_ERR_INVALID_ARG, "gguf writer: tensor '%s': %zu bytes given, "
                        "%s with %lld elements (row %lld) needs %zu", ia_shown_name(name, nm, sizeof nm), nbytes,
                        ia_ggml_type_name(type), (long long)nelem,
                        (long long)shape[ndim - 1], want);
    for (size_t i = 0; i < w->n_t; i++)
        if (strcmp(w->ts[i].name, name) == 0)
            return ia_error(IA_ERR_INVALID_ARG, "gguf writer: tensor '%s' is added twice",
                            ia_shown_name(name, nm, sizeof nm));
    if (!ia_gguf_grow((void **)&w->ts, &w->cap_t, w->n_t, sizeof *w->ts))
        return ia_error(IA_ERR_NOMEM, "gguf writer: cannot grow the tensor table");
    t = &w->ts[w->n_t];
    memset(t, 0, sizeof *t);
    t->name = strdup(name);
    t->data = malloc(nbytes);
    if (!t->name || !t->data) {
        free(t->name);
        free(t->data);
        return ia_error(IA_ERR_NOMEM, "gguf writer: cannot copy tensor '%s' (%zu bytes)",
                        ia_shown_name(name, nm, sizeof nm), nbytes);
    }
    memcpy(t->data, data, nbytes);
    t->type = type;
    t->ndim = ndim;
    memcpy(t->shape, shape, (size_t)ndim * sizeof *shape);
    t->nbytes = nbytes;
    w->n_t++;
    return IA_OK;
}

/* Output with a sticky error: every put is checked once, at the end. */
typedef struct {
    FILE *fp;
    uint64_t pos;
    int err; /* errno of the first failure, or -1 for one without errno */
} wout;

static void put(wout *o, const void *p, size_t n) {
    if (!o->err && n && fwrite(p, 1, n, o->fp) != n) o->err = errno ? errno : -1;
    o->pos += n;
}

static void put_le(wout *o, uint64_t v, int n) {
    uint8_t b[8];
    for (int i = 0; i < n; i++) b[i] = (uint8_t)(v >> (8 * i));
    put(o, b, (size_t)n);
}

static void put_str(wout *o, const char *s) {
    size_t n = strlen(s);
    put_le(o, n, 8);
    put(o, s, n);
}

static void put_pad(wout *o) {
    static const uint8_t zeros[GGUF_DEFAULT_ALIGNMENT];
    put(o, zeros, (size_t)((GGUF_DEFAULT_ALIGNMENT - o->pos % GGUF_DEFAULT_ALIGNMENT) %
                           GGUF_DEFAULT_ALIGNMENT));
}

static uint64_t pad32(uint64_t n) {
    return (n + GGUF_DEFAULT_ALIGNMENT - 1) / GGUF_DEFAULT_ALIGNMENT * GGUF_DEFAULT_ALIGNMENT;
}

static void put_kv(wout *o, const wkv *kv) {
    uint32_t f;
    put_str(o, kv->key);
    put_le(o, (uint32_t)kv->type, 4);
    if (kv->raw) {
        put(o, kv->raw, kv->raw_len);
        return;
    }
    switch (kv->type) {
    case IA_GGUF_U32: put_le(o, kv->v.u32, 4); break;
    case IA_GGUF_I64: put_le(o, (uint64_t)kv->v.i64, 8); break;
    case IA_GGUF_F32: memcpy(&f, &kv->v.f32, 4); put_le(o, f, 4); break;
    case IA_GGUF_STRING: put_str(o, kv->v.str); break;
    default: /* IA_GGUF_ARRAY of strings */
        put_le(o, IA_GGUF_STRING, 4);
        put_le(o, kv->count, 8);
        for (size_t i = 0; i < kv->count; i++) put_str(o, kv->items[i]);
    }
}

/* Writes the whole file to o: header, keys (general.alignment first), tensor
 * infos with dims innermost first, padding, data padded to 32 each (as
 * llama.cpp and gguf-py do). */
static void put_file(wout *o, const ia_gguf_writer *w) {
    uint64_t off = 0;
    put(o, "GGUF", 4);
    put_le(o, 3, 4);
    put_le(o, w->n_t, 8);
    put_le(o, w->n_kv + 1, 8);
    put_str(o, GGUF_ALIGNMENT_KEY);
    put_le(o, IA_GGUF_U32, 4);
    put_le(o, GGUF_DEFAULT_ALIGNMENT, 4);
    for (size_t i = 0; i < w->n_kv; i++) put_kv(o, &w->kvs[i]);
    for (size_t i = 0; i < w->n_t; i++) {
        const wtensor *t = &w->ts[i];
        put_str(o, t->name);
        put_le(o, (uint32_t)t->ndim, 4);
        for (int d = t->ndim - 1; d >= 0; d--) put_le(o, (uint64_t)t->shape[d], 8);
        put_le(o, (uint32_t)t->type, 4);
        put_le(o, off, 8);
        off += pad32(t->nbytes);
    }
    put_pad(o);
    for (size_t i = 0; i < w->n_t; i++) {
        put(o, w->ts[i].data, w->ts[i].nbytes);
        put_pad(o);
    }
}

/* Contract: writes everything added so far to `path` through a fresh
 * "<path>.tmpN" file that is flushed, synced and renamed into place; on any
 * failure the temporary is removed, `path` is untouched and the result is
 * IA_ERR_IO naming the path. The writer stays usable (finish may be called
 * again). */
ia_status ia_gguf_writer_finish(ia_gguf_writer *w, const char *path) {
    wout o = {NULL, 0, 0};
    char *tmp;
    size_t len;
    ia_status rc = IA_OK;

    if (!w || !path || !*path)
        return ia_error(IA_ERR_INVALID_ARG, "ia_gguf_writer_finish: NULL writer or path");
    len = strlen(path) + 16;
    if (!(tmp = malloc(len))) return ia_error(IA_ERR_NOMEM, "gguf writer: out of memory");
    /* "x" (C11): never reuse a temporary another writer (or a crash) left. */
    for (int k = 0; k < 100 && !o.fp; k++) {
        snprintf(tmp, len, "%s.tmp%d", path, k);
        errno = 0;
        if (!(o.fp = fopen(tmp, "wbx")) && errno != EEXIST) break;
    }
    if (!o.fp) {
        rc = ia_error(IA_ERR_IO, "%s: cannot create %s: %s", path, tmp,
                      errno ? strerror(errno) : "too many stale temporaries");
        free(tmp);
        return rc;
    }
    put_file(&o, w);
    if (!o.err && fflush(o.fp) != 0) o.err = errno ? errno : -1;
    /* Durable before it is visible: rename only a file whose bytes are on disk. */
    if (!o.err && fsync(fileno(o.fp)) != 0) o.err = errno ? errno : -1;
    if (fclose(o.fp) != 0 && !o.err) o.err = errno ? errno : -1;
    if (!o.err && rename(tmp, path) != 0) o.err = errno ? errno : -1;
    if (o.err) {
        remove(tmp);
        rc = ia_error(IA_ERR_IO, "%s: cannot write: %s", path,
                      o.err > 0 ? strerror(o.err) : "unknown error");
    }
    free(tmp);
    return rc;
}

