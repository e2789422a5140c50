/*
 * safetensors.c — validating reader for safetensors files.
 *
 * Why so many checks: the file is hostile. Every number in the header is
 * checked before it is used to form a pointer (llama.cpp's GGUF CVEs came
 * from trusting sizes), so a handle that opened successfully only ever
 * hands out (data, nbytes) ranges that lie inside the image.
 *
 * What is accepted (and why it differs from the Rust reference, if it does):
 *   - 8-byte little-endian header length N, 2 <= N <= 100,000,000 (the Rust
 *     crate's limit) and 8 + N <= file size;
 *   - the header is one JSON object, optionally followed by whitespace (the
 *     writers pad with spaces so that the data area starts 8-aligned);
 *   - "__metadata__", if present, is an object of string values; skipped;
 *   - every other key is a tensor: an object with "dtype" (string), "shape"
 *     (at most IA_ST_MAX_DIMS exact non-negative integers) and
 *     "data_offsets" ([begin, end], exact non-negative integers, relative
 *     to the data area). Other keys inside a tensor entry are ignored, but
 *     any key given twice is an error: cJSON keeps duplicate keys, and two
 *     readers picking different copies is how parser-differential attacks
 *     work;
 *   - begin <= end <= data area size, end - begin == product(shape) *
 *     element size (checked multiplication), byte ranges of non-empty
 *     tensors do not overlap. Gaps and trailing bytes are allowed (the Rust
 *     crate rejects them; they are harmless to a reader);
 *   - a tensor's data pointer must be aligned to its element size. Writers
 *     pad the header so the data area is 8-aligned, and the kernels load
 *     F32 through plain pointers, so a misaligned tensor is IA_ERR_FORMAT
 *     rather than silently slow or undefined.
 *
 * Dtypes: F32, F16, BF16, I64, I32, I8, U8 map to ia_dtype. Dtypes that
 * safetensors defines but we do not (F64, I16, U16, U32, U64, BOOL, F8_*,
 * F6_*, F4, C64) are IA_ERR_UNSUPPORTED; any other string, including the
 * names of our internal block types ("Q8_0", "Q4_0", "QA8", ...), is
 * IA_ERR_FORMAT.
 * Both name the tensor and the dtype, so a file with an F64 tensor says
 * which one and why.
 *
 * JSON numbers arrive as doubles (cJSON), exact only up to 2^53; larger
 * values are refused. 2^53 bytes is 8 PiB, far beyond any real file.
 */
#include "formats/safetensors.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

/* The Rust safetensors crate's MAX_HEADER_SIZE. */
#define ST_MAX_HEADER 100000000u

/* Upper bound on JSON values in a header. cJSON spends ~64-100 bytes per
 * value, so a 100 MB header of "[0,0,0,..." would cost ~5 GB; 4M values
 * caps that at ~400 MB. A real checkpoint needs ~8 values per tensor, so
 * this still allows ~500k tensors. */
#define ST_MAX_JSON_VALUES (1u << 22)

/* Largest integer a double represents exactly (and everything below). */
#define ST_MAX_EXACT_INT 9007199254740992.0 /* 2^53 */

/* Tensor names in messages are clipped so the offsets after them survive
 * the 1 KiB error buffer. */
#define ST_NAME_SHOWN 160

struct ia_safetensors {
    ia_mapped_file file;   /* zeroed for open_memory (image is borrowed) */
    size_t count;
    ia_st_tensor *tensors; /* header order */
    size_t *by_name;       /* indices into tensors, sorted by name */
};

/* --------------------------------------------------------------- helpers */

static uint64_t read_le64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

/* Counts JSON values in text (an over-estimate: commas + openers + 1);
 * stops counting at limit + 1. Only looks at bytes outside strings. */
static size_t count_json_values(const uint8_t *text, size_t len, size_t limit) {
    size_t n = 1;
    int in_str = 0, esc = 0;
    for (size_t i = 0; i < len && n <= limit; i++) {
        uint8_t c = text[i];
        if (in_str) {
            if (esc) esc = 0;
            else if (c == '\\') esc = 1;
            else if (c == '"') in_str = 0;
        } else if (c == '"') {
            in_str = 1;
        } else if (c == ',' || c == '[' || c == '{') {
            n++;
        }
    }
    return n;
}

/* 1 if j is a number holding an exact integer in [0, 2^53), stored in *v. */
static int exact_uint(const cJSON *j, uint64_t *v) {
    double d;
    if (!cJSON_IsNumber(j)) return 0;
    d = j->valuedouble;
    /* The comparisons also reject NaN and +-inf (1e400 parses to inf). */
    if (!(d >= 0.0 && d < ST_MAX_EXACT_INT)) return 0;
    if ((double)(uint64_t)d != d) return 0; /* 1.5 */
    *v = (uint64_t)d;
    return 1;
}

/* The dtype strings a safetensors file can hold (the Rust crate's Dtype
 * enum, 0.6: every spelling a conforming writer may emit). Those the core
 * runs map to an ia_dtype; the rest are refused as unsupported.
 *
 * The table is ours and closed on purpose: ia_dtype also has internal
 * block types (Q8_0, Q4_0, QA8, ...) whose element size is 0, and a header
 * naming one of them must be a format error here, never a tensor of
 * elements of size 0 (that used to divide by zero in the overflow check). */
static const struct {
    const char *name;
    int supported;
    ia_dtype dtype; /* when supported */
} st_dtypes[] = {
    {"F32", 1, IA_DTYPE_F32},   {"F16", 1, IA_DTYPE_F16}, {"BF16", 1, IA_DTYPE_BF16},
    {"I64", 1, IA_DTYPE_I64},   {"I32", 1, IA_DTYPE_I32}, {"I8", 1, IA_DTYPE_I8},
    {"U8", 1, IA_DTYPE_U8},     {"F64", 0, 0},            {"I16", 0, 0},
    {"U16", 0, 0},              {"U32", 0, 0},            {"U64", 0, 0},
    {"BOOL", 0, 0},             {"F8_E4M3", 0, 0},        {"F8_E5M2", 0, 0},
    {"F8_E8M0", 0, 0},          {"F6_E2M3", 0, 0},        {"F6_E3M2", 0, 0},
    {"F4", 0, 0},               {"C64", 0, 0},
};

/* Maps a safetensors dtype string. IA_OK, IA_ERR_UNSUPPORTED (a dtype the
 * format has but we do not) or IA_ERR_FORMAT (not a safetensors dtype). */
static ia_status map_dtype(const char *s, ia_dtype *out) {
    for (size_t i = 0; i < sizeof st_dtypes / sizeof st_dtypes[0]; i++) {
        if (strcmp(s, st_dtypes[i].name) != 0) continue;
        if (!st_dtypes[i].supported) return IA_ERR_UNSUPPORTED;
        *out = st_dtypes[i].dtype;
        return IA_OK;
    }
    return IA_ERR_FORMAT;
}

/* ------------------------------------------------------------ validation */

/* Fills t (whose name is set) from its header entry and checks its range
 * against the data area [area, area + area_size). Sets the error. */
static ia_status parse_tensor(const cJSON *entry, const uint8_t *area,
                              uint64_t area_size, ia_st_tensor *t) {
    char nm[ST_NAME_SHOWN];
    const cJSON *dtype = NULL, *shape = NULL, *offs = NULL, *m;
    uint64_t begin = 0, end = 0, elems = 1, nbytes, elsize;
    int ndim = 0, has_zero = 0, overflow = 0;
    ia_status st;

    if (!cJSON_IsObject(entry))
        return ia_error(IA_ERR_FORMAT, "tensor '%s': entry is not a JSON object",
                        ia_shown_name(t->name, nm, sizeof nm));
    for (m = entry->child; m; m = m->next) {
        const cJSON **slot = NULL;
        if (strcmp(m->string, "dtype") == 0) slot = &dtype;
        else if (strcmp(m->string, "shape") == 0) slot = &shape;
        else if (strcmp(m->string, "data_offsets") == 0) slot = &offs;
        if (!slot) continue; /* unknown keys are ignored, as the spec does */
        if (*slot)
            return ia_error(IA_ERR_FORMAT, "tensor '%s': key \"%s\" given twice",
                            ia_shown_name(t->name, nm, sizeof nm), m->string);
        *slot = m;
    }

    if (!dtype || !cJSON_IsString(dtype))
        return ia_error(IA_ERR_FORMAT, "tensor '%s': %s", ia_shown_name(t->name, nm, sizeof nm),
                        dtype ? "\"dtype\" is not a string" : "missing \"dtype\"");
    st = map_dtype(dtype->valuestring, &t->dtype);
    if (st == IA_ERR_UNSUPPORTED)
        return ia_error(st, "tensor '%s': dtype %s is not supported "
                        "(supported: F32 F16 BF16 I64 I32 I8 U8)",
                        ia_shown_name(t->name, nm, sizeof nm), dtype->valuestring);
    if (st != IA_OK) {
        char dn[ST_NAME_SHOWN];
        return ia_error(st, "tensor '%s': unknown dtype '%s'", ia_shown_name(t->name, nm, sizeof nm),
                        ia_shown_name(dtype->valuestring, dn, sizeof dn));
    }
    elsize = ia_dtype_size(t->dtype);
    if (elsize == 0) /* every mapped dtype has a size; kept so no table edit can divide by 0 */
        return ia_error(IA_ERR_FORMAT, "tensor '%s': dtype %s has no element size",
                        ia_shown_name(t->name, nm, sizeof nm), dtype->valuestring);

    if (!shape || !cJSON_IsArray(shape))
        return ia_error(IA_ERR_FORMAT, "tensor '%s': %s", ia_shown_name(t->name, nm, sizeof nm),
                        shape ? "\"shape\" is not an array" : "missing \"shape\"");
    for (m = shape->child; m; m = m->next) {
        uint64_t d;
        if (ndim == IA_ST_MAX_DIMS)
            return ia_error(IA_ERR_FORMAT, "tensor '%s': shape has more than %d dims",
                            ia_shown_name(t->name, nm, sizeof nm), IA_ST_MAX_DIMS);
        if (!exact_uint(m, &d))
            return ia_error(IA_ERR_FORMAT,
                            "tensor '%s': shape[%d] is not an integer in [0, 2^53)",
                            ia_shown_name(t->name, nm, sizeof nm), ndim);
        t->shape[ndim++] = (int64_t)d;
        /* Overflow only matters if no dim is 0: [2^52, 2^52, 0] is empty. */
        if (d == 0) has_zero = 1;
        else if (overflow || elems > UINT64_MAX / d) overflow = 1;
        else elems *= d;
    }
    t->ndim = ndim;
    if (has_zero) {
        nbytes = 0;
    } else if (overflow || elems > UINT64_MAX / elsize) {
        return ia_error(IA_ERR_FORMAT, "tensor '%s': shape's byte size overflows 64 bits",
                        ia_shown_name(t->name, nm, sizeof nm));
    } else {
        nbytes = elems * elsize;
    }

    if (!offs || !cJSON_IsArray(offs))
        return ia_error(IA_ERR_FORMAT, "tensor '%s': %s", ia_shown_name(t->name, nm, sizeof nm),
                        offs ? "\"data_offsets\" is not an array"
                             : "missing \"data_offsets\"");
    m = offs->child;
    if (!m || !m->next || m->next->next)
        return ia_error(IA_ERR_FORMAT, "tensor '%s': data_offsets must be [begin, end]",
                        ia_shown_name(t->name, nm, sizeof nm));
    if (!exact_uint(m, &begin) || !exact_uint(m->next, &end))
        return ia_error(IA_ERR_FORMAT,
                        "tensor '%s': data_offsets are not integers in [0, 2^53)",
                        ia_shown_name(t->name, nm, sizeof nm));
    if (begin > end)
        return ia_error(IA_ERR_FORMAT, "tensor '%s': data_offsets [%llu, %llu] reversed",
                        ia_shown_name(t->name, nm, sizeof nm), (unsigned long long)begin,
                        (unsigned long long)end);
    if (end > area_size)
        return ia_error(IA_ERR_FORMAT,
                        "tensor '%s': data_offsets [%llu, %llu] past the end of "
                        "the data area (%llu bytes)",
                        ia_shown_name(t->name, nm, sizeof nm), (unsigned long long)begin,
                        (unsigned long long)end, (unsigned long long)area_size);
    if (end - begin != nbytes)
        return ia_error(IA_ERR_FORMAT,
                        "tensor '%s': data_offsets [%llu, %llu] hold %llu bytes but "
                        "%s shape needs %llu",
                        ia_shown_name(t->name, nm, sizeof nm), (unsigned long long)begin,
                        (unsigned long long)end, (unsigned long long)(end - begin),
                        ia_dtype_name(t->dtype), (unsigned long long)nbytes);
    /* end <= area_size <= SIZE_MAX, so these fit in size_t. */
    t->data = area + (size_t)begin;
    t->nbytes = (size_t)nbytes;
    if (nbytes != 0 && (uintptr_t)t->data % elsize != 0)
        return ia_error(IA_ERR_FORMAT,
                        "tensor '%s': data at offset %llu of the data area is not "
                        "aligned to %llu bytes (safetensors writers pad the header "
                        "to 8)",
                        ia_shown_name(t->name, nm, sizeof nm), (unsigned long long)begin,
                        (unsigned long long)elsize);
    return IA_OK;
}

/* qsort context is not portable C11, so comparators see the tensor array
 * through this pair. */
typedef struct {
    const ia_st_tensor *t;
    size_t i;
} st_ref;

static int by_name_cmp(const void *a, const void *b) {
    return strcmp(((const st_ref *)a)->t->name, ((const st_ref *)b)->t->name);
}

static int by_begin_cmp(const void *a, const void *b) {
    const uint8_t *pa = ((const st_ref *)a)->t->data;
    const uint8_t *pb = ((const st_ref *)b)->t->data;
    return pa < pb ? -1 : pa > pb;
}

/* Sorts names (rejecting duplicates) and checks that non-empty byte ranges
 * do not overlap. Fills st->by_name. */
static ia_status check_set(ia_safetensors *st, const uint8_t *area) {
    char nm[ST_NAME_SHOWN], nm2[ST_NAME_SHOWN];
    st_ref *refs = NULL;
    ia_status rc = IA_OK;
    size_t n = st->count, k = 0;

    if (n == 0) return IA_OK;
    refs = malloc(n * sizeof *refs);
    st->by_name = malloc(n * sizeof *st->by_name);
    if (!refs || !st->by_name) {
        rc = ia_error(IA_ERR_NOMEM, "cannot allocate the index of %zu tensors", n);
        goto fail;
    }
    for (size_t i = 0; i < n; i++) refs[i] = (st_ref){&st->tensors[i], i};

    qsort(refs, n, sizeof *refs, by_name_cmp);
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && strcmp(refs[i - 1].t->name, refs[i].t->name) == 0) {
            rc = ia_error(IA_ERR_FORMAT, "tensor '%s' is defined twice",
                          ia_shown_name(refs[i].t->name, nm, sizeof nm));
            goto fail;
        }
        st->by_name[i] = refs[i].i;
    }

    /* Overlap: keep only tensors that own bytes, sort by start. */
    for (size_t i = 0; i < n; i++)
        if (st->tensors[i].nbytes) refs[k++] = (st_ref){&st->tensors[i], i};
    qsort(refs, k, sizeof *refs, by_begin_cmp);
    for (size_t i = 1; i < k; i++) {
        const ia_st_tensor *a = refs[i - 1].t, *b = refs[i].t;
        const uint8_t *a_end = (const uint8_t *)a->data + a->nbytes;
        if ((const uint8_t *)b->data < a_end) {
            rc = ia_error(IA_ERR_FORMAT,
                          "tensor '%s' at data offset %zu overlaps tensor '%s' "
                          "(data offsets [%zu, %zu])",
                          ia_shown_name(b->name, nm, sizeof nm), (size_t)((const uint8_t *)b->data - area),
                          ia_shown_name(a->name, nm2, sizeof nm2), (size_t)((const uint8_t *)a->data - area),
                          (size_t)(a_end - area));
            goto fail;
        }
    }
    free(refs);
    return IA_OK;

fail:
    free(refs);
    free(st->by_name);
    st->by_name = NULL;
    return rc;
}

/* Checks "__metadata__": an object whose values are all strings. */
static ia_status check_metadata(const cJSON *meta) {
    char nm[ST_NAME_SHOWN];
    if (!cJSON_IsObject(meta))
        return ia_error(IA_ERR_FORMAT, "\"__metadata__\" is not a JSON object");
    for (const cJSON *m = meta->child; m; m = m->next)
        if (!cJSON_IsString(m))
            return ia_error(IA_ERR_FORMAT, "\"__metadata__\" key '%s' is not a string",
                            ia_shown_name(m->string, nm, sizeof nm));
    return IA_OK;
}

/* Parses and validates the image; fills st->count/tensors/by_name. */
static ia_status parse_image(ia_safetensors *st, const uint8_t *data, size_t size) {
    cJSON *root = NULL;
    char *text = NULL;
    const char *end = NULL;
    const cJSON *m;
    const uint8_t *area;
    uint64_t hlen, area_size;
    size_t n_meta = 0, i;
    ia_status rc = IA_OK;

    if (size < 8)
        return ia_error(IA_ERR_FORMAT, "file is %zu bytes, shorter than the 8-byte "
                        "header length", size);
    hlen = read_le64(data);
    if (hlen > ST_MAX_HEADER)
        return ia_error(IA_ERR_FORMAT, "header length %llu at offset 0 is over the "
                        "%u-byte limit", (unsigned long long)hlen, ST_MAX_HEADER);
    if (hlen > (uint64_t)size - 8)
        return ia_error(IA_ERR_FORMAT, "header length %llu at offset 0 runs past the "
                        "end of the file (%zu bytes)", (unsigned long long)hlen, size);
    area = data + 8 + (size_t)hlen;
    area_size = (uint64_t)(size - 8 - (size_t)hlen);

    if (count_json_values(data + 8, (size_t)hlen, ST_MAX_JSON_VALUES) >
        ST_MAX_JSON_VALUES)
        return ia_error(IA_ERR_FORMAT, "header has more than %u JSON values",
                        ST_MAX_JSON_VALUES);

    /* A NUL-terminated private copy: cJSON then never reads past our bytes,
     * whatever its length handling does, and the mapping stays untouched. */
    text = malloc((size_t)hlen + 1);
    if (!text) return ia_error(IA_ERR_NOMEM, "cannot allocate a %llu-byte header",
                               (unsigned long long)hlen);
    memcpy(text, data + 8, (size_t)hlen);
    text[hlen] = '\0';
    root = cJSON_ParseWithLengthOpts(text, (size_t)hlen, &end, 0);
    if (!root) {
        /* cJSON_GetErrorPtr is a global: not thread-safe, so not used. */
        rc = ia_error(IA_ERR_FORMAT, "header (bytes 8..%llu) is not valid JSON",
                      (unsigned long long)(8 + hlen));
        goto fail;
    }
    for (const char *p = end; p && p < text + hlen; p++) {
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
            rc = ia_error(IA_ERR_FORMAT, "header has trailing bytes after the JSON "
                          "object at offset %zu", (size_t)(8 + (p - text)));
            goto fail;
        }
    }
    if (!cJSON_IsObject(root)) {
        rc = ia_error(IA_ERR_FORMAT, "header is JSON but not an object");
        goto fail;
    }

    for (m = root->child; m; m = m->next) {
        if (strcmp(m->string, "__metadata__") != 0) {
            st->count++;
            continue;
        }
        if (++n_meta > 1) {
            rc = ia_error(IA_ERR_FORMAT, "\"__metadata__\" is given twice");
            goto fail;
        }
        if ((rc = check_metadata(m)) != IA_OK) goto fail;
    }

    if (st->count) {
        st->tensors = calloc(st->count, sizeof *st->tensors);
        if (!st->tensors) {
            rc = ia_error(IA_ERR_NOMEM, "cannot allocate %zu tensors", st->count);
            st->count = 0;
            goto fail;
        }
    }
    /* Names are copied first, so that free() can walk all count entries. */
    for (i = 0, m = root->child; m; m = m->next) {
        if (strcmp(m->string, "__metadata__") == 0) continue;
        st->tensors[i].name = strdup(m->string);
        if (!st->tensors[i].name) {
            rc = ia_error(IA_ERR_NOMEM, "cannot copy a tensor name");
            goto fail;
        }
        i++;
    }
    for (i = 0, m = root->child; m; m = m->next) {
        if (strcmp(m->string, "__metadata__") == 0) continue;
        if ((rc = parse_tensor(m, area, area_size, &st->tensors[i])) != IA_OK) goto fail;
        i++;
    }
    rc = check_set(st, area);

fail:
    cJSON_Delete(root);
    free(text);
    return rc;
}

/* ------------------------------------------------------------- public API */

/* Contract: on success *out owns the handle; free with ia_safetensors_free().
 * On failure *out is NULL and the error names what was wrong. The image is
 * borrowed and must outlive the handle. */
ia_status ia_safetensors_open_memory(const uint8_t *data, size_t size,
                                     ia_safetensors **out) {
    ia_safetensors *st = NULL;
    ia_status rc;

    if (!out) return ia_error(IA_ERR_INVALID_ARG, "ia_safetensors_open_memory: out is NULL");
    *out = NULL;
    if (!data && size)
        return ia_error(IA_ERR_INVALID_ARG, "ia_safetensors_open_memory: data is NULL");
    st = calloc(1, sizeof *st);
    if (!st) return ia_error(IA_ERR_NOMEM, "cannot allocate a safetensors handle");
    rc = parse_image(st, data, size);
    if (rc != IA_OK) goto fail;
    *out = st;
    return IA_OK;

fail:
    ia_safetensors_free(st);
    return rc;
}

/* Contract: maps path and validates it; on success *out owns the mapping
 * and the handle (free with ia_safetensors_free()). Errors are prefixed
 * with the path; a missing file is IA_ERR_NOT_FOUND. */
ia_status ia_safetensors_open(const char *path, ia_safetensors **out) {
    ia_mapped_file f;
    ia_safetensors *st = NULL;
    ia_status rc;

    if (!out) return ia_error(IA_ERR_INVALID_ARG, "ia_safetensors_open: out is NULL");
    *out = NULL;
    if (!path) return ia_error(IA_ERR_INVALID_ARG, "ia_safetensors_open: path is NULL");
    rc = ia_mapped_file_open(path, &f); /* its errors already name the path */
    if (rc != IA_OK) return rc;
    rc = ia_safetensors_open_memory(f.data, f.size, &st);
    if (rc != IA_OK) {
        ia_mapped_file_close(&f);
        return ia_error_prefix(rc, "%s", path);
    }
    st->file = f; /* the handle now unmaps it */
    *out = st;
    return IA_OK;
}

/* NULL-safe; unmaps the file if the handle owns one. */
void ia_safetensors_free(ia_safetensors *st) {
    if (!st) return;
    for (size_t i = 0; i < st->count; i++) free(st->tensors[i].name);
    free(st->tensors);
    free(st->by_name);
    ia_mapped_file_close(&st->file);
    free(st);
}

/* Number of tensors (metadata excluded). */
size_t ia_safetensors_count(const ia_safetensors *st) { return st ? st->count : 0; }

/* i-th tensor in header order; NULL when out of range. Borrowed; valid until
 * ia_safetensors_free(). */
const ia_st_tensor *ia_safetensors_at(const ia_safetensors *st, size_t i) {
    return st && i < st->count ? &st->tensors[i] : NULL;
}

/* Binary search over the name index. Borrowed; valid until
 * ia_safetensors_free(). NULL if absent, with no error set. */
const ia_st_tensor *ia_safetensors_find(const ia_safetensors *st, const char *name) {
    size_t lo = 0, hi;
    if (!st || !name || !st->by_name) return NULL;
    hi = st->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const ia_st_tensor *t = &st->tensors[st->by_name[mid]];
        int c = strcmp(name, t->name);
        if (c == 0) return t;
        if (c < 0) hi = mid;
        else lo = mid + 1;
    }
    return NULL;
}

const ia_mapped_file *ia_safetensors_mapping(const ia_safetensors *st) { return st ? &st->file : NULL; }
