/*
 * gguf.c — validating GGUF v2/v3 reader (see gguf.h; the writer is gguf_write.c).
 *
 * Why so many checks: the file is hostile, and llama.cpp's GGUF CVEs came
 * from trusting its counts and sizes. Every number is checked before it is
 * used to allocate or to form a pointer, so a handle that opened only hands
 * out (data, nbytes) ranges that lie inside the mapping. Allocation grows
 * with what was actually parsed, never with what a count claims.
 *
 * What is accepted (and why, where it is a choice):
 *   - magic "GGUF", version 2 or 3 (v2 is v3's layout; v1 had 32-bit counts
 *     and is refused); a byte-swapped version (big-endian file) is refused;
 *   - metadata value types 0..12; arrays of any non-array type. Arrays of
 *     arrays are refused: gguf-py can write them but llama.cpp rejects them,
 *     and refusing keeps parsing free of recursion;
 *   - keys, tensor names and string values without NUL bytes (they are
 *     handed out as C strings; a NUL would make two readers disagree);
 *   - general.alignment, if present, a u32 power of two (default 32);
 *   - tensors: 1..4 dims, every dim in [1, INT64_MAX], the element count
 *     fits int64, a type from ia_ggml_type, the innermost dim a multiple of
 *     the type's block size, offset a multiple of the alignment, data inside
 *     the file, no two tensors overlapping, names unique. Dims of 0 are
 *     refused (no real model has empty tensors; the writer refuses them too);
 *   - trailing padding after the last tensor is optional, gaps are allowed.
 *
 * Tensor bytes are handed out as stored (little-endian); like the rest of
 * the library this assumes a little-endian host (x86, ARM, wasm32).
 */
#include "formats/gguf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h> /* fsync, fileno: the writer's durability */

#include "util/error.h"
#include "util/mapped_file.h"
#include "formats/gguf_internal.h"

#define GGUF_HEADER_BYTES 24 /* magic, u32 version, u64 tensors, u64 kvs */
/* Smallest encodings of one key/value (u64 key length, u32 type, one u8)
 * and one tensor info (u64 name length, u32 n_dims, one u64 dim, u32 type,
 * u64 offset): counts that could not fit in the file are refused early. */
#define GGUF_MIN_KV_BYTES 13u
#define GGUF_MIN_TI_BYTES 32u
/* Names in messages are clipped so the numbers after them survive the
 * 1 KiB error buffer. */

/* ----------------------------------------------------------- type tables */

/* Block sizes from ggml's type_traits (ggml.c): a Q8_0 block is an f16
 * scale + 32 int8 = 34 bytes; Q4_0 an f16 scale + 16 bytes of nibbles = 18;
 * Q4_1 adds an f16 minimum = 20; Q5_0 an f16 scale + 4 bytes of fifth
 * bits + 16 of nibbles = 22, Q5_1 with the minimum 24; the k-quants as
 * tensor/kquants.h. */
static const struct {
    ia_ggml_type type;
    const char *name;
    int64_t block;  /* elements per block */
    uint64_t bytes; /* bytes per block */
} TYPES[] = {
    {IA_GGML_F32, "F32", 1, 4},    {IA_GGML_F16, "F16", 1, 2},
    {IA_GGML_Q4_0, "Q4_0", 32, 18}, {IA_GGML_Q4_1, "Q4_1", 32, 20},
    {IA_GGML_Q5_0, "Q5_0", 32, 22}, {IA_GGML_Q5_1, "Q5_1", 32, 24},
    {IA_GGML_Q8_0, "Q8_0", 32, 34}, {IA_GGML_I8, "I8", 1, 1},
    {IA_GGML_I32, "I32", 1, 4},    {IA_GGML_BF16, "BF16", 1, 2},
    /* k-quants: super-blocks of 256 (ggml-common.h's static asserts) */
    {IA_GGML_Q2_K, "Q2_K", 256, 84}, {IA_GGML_Q3_K, "Q3_K", 256, 110},
    {IA_GGML_Q4_K, "Q4_K", 256, 144}, {IA_GGML_Q5_K, "Q5_K", 256, 176},
    {IA_GGML_Q6_K, "Q6_K", 256, 210},
};
#define N_TYPES (sizeof TYPES / sizeof TYPES[0])

int ia_gguf_type_index(uint32_t type) {
    for (size_t i = 0; i < N_TYPES; i++)
        if ((uint32_t)TYPES[i].type == type) return (int)i;
    return -1;
}

/* ggml types we do not read, by id (gguf-py 0.19's GGMLQuantizationType),
 * so that a Q4_K model is told "Q4_K is not supported", not "unknown". */
static const char *other_ggml_name(uint32_t id) {
    static const char *const names[] = {
        [9] = "Q8_1",
        [15] = "Q8_K",    [16] = "IQ2_XXS", [17] = "IQ2_XS", [18] = "IQ3_XXS",
        [19] = "IQ1_S",   [20] = "IQ4_NL", [21] = "IQ3_S",  [22] = "IQ2_S",
        [23] = "IQ4_XS",  [25] = "I16",   [27] = "I64",    [28] = "F64",
        [29] = "IQ1_M",   [34] = "TQ1_0",  [35] = "TQ2_0",
        [39] = "MXFP4",   [40] = "NVFP4", [41] = "Q1_0",
    };
    return id < sizeof names / sizeof names[0] ? names[id] : NULL;
}

const char *ia_gguf_vtype_name(uint32_t t) {
    static const char *const names[] = {"u8",  "i8",  "u16",    "i16",   "u32",
                                        "i32", "f32", "bool",   "string", "array",
                                        "u64", "i64", "f64"};
    return t < sizeof names / sizeof names[0] ? names[t] : "unknown";
}

size_t ia_gguf_scalar_size(uint32_t t) {
    switch (t) {
    case IA_GGUF_U8: case IA_GGUF_I8: case IA_GGUF_BOOL: return 1;
    case IA_GGUF_U16: case IA_GGUF_I16: return 2;
    case IA_GGUF_U32: case IA_GGUF_I32: case IA_GGUF_F32: return 4;
    case IA_GGUF_U64: case IA_GGUF_I64: case IA_GGUF_F64: return 8;
    default: return 0;
    }
}

/* Bytes of nelem elements of TYPES[ti] (a multiple of its block size),
 * saturated at UINT64_MAX: 2^62 I32 elements are 2^64 bytes. */
static uint64_t nbytes64(int ti, uint64_t nelem) {
    uint64_t blocks = nelem / (uint64_t)TYPES[ti].block;
    return blocks > UINT64_MAX / TYPES[ti].bytes ? UINT64_MAX : blocks * TYPES[ti].bytes;
}

size_t ia_ggml_nbytes(ia_ggml_type type, int64_t row, int64_t nelem) {
    int ti = ia_gguf_type_index((uint32_t)type);
    uint64_t n;
    if (ti < 0 || row <= 0 || nelem < 0 || row % TYPES[ti].block || nelem % row) return 0;
    n = nbytes64(ti, (uint64_t)nelem);
    /* < not <=: UINT64_MAX is the saturated overflow (and SIZE_MAX on 64-bit). */
    return n < SIZE_MAX ? (size_t)n : 0;
}

const char *ia_ggml_type_name(ia_ggml_type type) {
    int ti = ia_gguf_type_index((uint32_t)type);
    return ti < 0 ? "unknown" : TYPES[ti].name;
}

/* --------------------------------------------------------------- helpers */

static uint64_t le(const uint8_t *p, int n) {
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

/* Grows *arr (of elem-byte items) so that index n fits; doubling. */
int ia_gguf_grow(void **arr, size_t *cap, size_t n, size_t elem) {
    size_t c = *cap ? *cap : 16;
    void *p;
    if (n < *cap) return 1;
    while (c <= n) {
        if (c > SIZE_MAX / 2 / elem) return 0;
        c *= 2;
    }
    if (!(p = realloc(*arr, c * elem))) return 0;
    *arr = p;
    *cap = c;
    return 1;
}

/* String arena: keys, names and string values are copied here once (they
 * need a NUL the file does not have) and freed together with the handle. */
typedef struct arena_block {
    struct arena_block *next;
    size_t used, cap;
    _Alignas(void *) unsigned char data[];
} arena_block;

#define ARENA_BLOCK (64u * 1024u)

static void *arena_alloc(arena_block **a, size_t n) {
    arena_block *b = *a;
    void *p;
    n = (n + sizeof(void *) - 1) / sizeof(void *) * sizeof(void *);
    if (!b || b->cap - b->used < n) {
        size_t cap = n > ARENA_BLOCK ? n : ARENA_BLOCK;
        if (!(b = malloc(sizeof *b + cap))) return NULL;
        b->next = *a;
        b->used = 0;
        b->cap = cap;
        *a = b;
    }
    p = b->data + b->used;
    b->used += n;
    return p;
}

static void arena_free(arena_block *b) {
    while (b) {
        arena_block *next = b->next;
        free(b);
        b = next;
    }
}

/* ---------------------------------------------------------------- reader */

struct ia_gguf {
    ia_mapped_file file;
    uint32_t version, alignment;
    size_t n_tensors, cap_tensors;
    ia_gguf_tensor *tensors;   /* file order */
    size_t *tensor_by_name;    /* indices, sorted by name */
    uint64_t *offsets;         /* per tensor, relative to the data section */
    size_t cap_offsets;
    size_t n_kv, cap_kv;
    ia_gguf_kv *kvs;              /* file order */
    size_t *kv_by_key;
    arena_block *arena;
};

typedef struct {
    const uint8_t *p;
    size_t size, pos;
} cursor;

/* Reads an n-byte (1..8) little-endian number; what names it in the error. */
static ia_status rd(cursor *c, int n, uint64_t *v, const char *ctx, const char *what) {
    if (c->size - c->pos < (size_t)n)
        return ia_error(IA_ERR_FORMAT, "%s: %s at offset %zu runs past the end of the "
                        "file (%zu bytes)", ctx, what, c->pos, c->size);
    *v = le(c->p + c->pos, n);
    c->pos += (size_t)n;
    return IA_OK;
}

/* Reads a string (u64 length + bytes) into a NUL-terminated arena copy. */
static ia_status rd_str(ia_gguf *g, cursor *c, const char *ctx, const char **out) {
    uint64_t len = 0;
    size_t at = c->pos;
    char *s;
    ia_status rc = rd(c, 8, &len, ctx, "string length");
    if (rc != IA_OK) return rc;
    if (len > c->size - c->pos)
        return ia_error(IA_ERR_FORMAT, "%s: string length %llu at offset %zu runs past "
                        "the end of the file (%zu bytes)", ctx, (unsigned long long)len,
                        at, c->size);
    if (memchr(c->p + c->pos, 0, (size_t)len))
        return ia_error(IA_ERR_FORMAT, "%s: string at offset %zu contains a NUL byte",
                        ctx, at);
    if (!(s = arena_alloc(&g->arena, (size_t)len + 1)))
        return ia_error(IA_ERR_NOMEM, "%s: cannot copy a %llu-byte string", ctx,
                        (unsigned long long)len);
    memcpy(s, c->p + c->pos, (size_t)len);
    s[len] = '\0';
    c->pos += (size_t)len;
    *out = s;
    return IA_OK;
}

/* Reads an array's body (element type and count already read). Strings are
 * walked once to check they all fit before the pointer table is
 * allocated, so a lying count costs nothing. */
static ia_status rd_array(ia_gguf *g, cursor *c, ia_gguf_kv *kv, const char *ctx) {
    size_t es = ia_gguf_scalar_size(kv->elem_type), at = c->pos;
    if (kv->elem_type == IA_GGUF_ARRAY)
        return ia_error(IA_ERR_FORMAT, "%s: arrays of arrays are not supported "
                        "(llama.cpp rejects them too)", ctx);
    if (es) {
        if (kv->count > (c->size - c->pos) / es)
            return ia_error(IA_ERR_FORMAT, "%s: array of %llu %s at offset %zu runs past "
                            "the end of the file (%zu bytes)", ctx,
                            (unsigned long long)kv->count, ia_gguf_vtype_name(kv->elem_type),
                            at, c->size);
        kv->v.data = c->p + c->pos;
        c->pos += (size_t)kv->count * es;
        return IA_OK;
    }
    if (kv->elem_type != IA_GGUF_STRING)
        return ia_error(IA_ERR_FORMAT, "%s: unknown array element type %u", ctx,
                        kv->elem_type);
    for (uint64_t i = 0, pos = c->pos; i < kv->count; i++) {
        uint64_t len;
        if (c->size - pos < 8 || (len = le(c->p + pos, 8)) > c->size - pos - 8)
            return ia_error(IA_ERR_FORMAT, "%s: array of %llu strings at offset %zu runs "
                            "past the end of the file (%zu bytes) at element %llu", ctx,
                            (unsigned long long)kv->count, at, c->size,
                            (unsigned long long)i);
        pos += 8 + len;
    }
    kv->v.strs = arena_alloc(&g->arena, (size_t)kv->count * sizeof(char *) + 1);
    if (!kv->v.strs)
        return ia_error(IA_ERR_NOMEM, "%s: cannot allocate %llu strings", ctx,
                        (unsigned long long)kv->count);
    for (uint64_t i = 0; i < kv->count; i++) {
        ia_status rc = rd_str(g, c, ctx, &kv->v.strs[i]);
        if (rc != IA_OK) return rc;
    }
    return IA_OK;
}

static ia_status rd_kv(ia_gguf *g, cursor *c, size_t index, ia_gguf_kv *kv) {
    char ctx[NAME_SHOWN + 16], nm[NAME_SHOWN];
    uint64_t v = 0;
    size_t es;
    ia_status rc;

    snprintf(ctx, sizeof ctx, "key #%zu", index);
    if ((rc = rd_str(g, c, ctx, &kv->key)) != IA_OK) return rc;
    snprintf(ctx, sizeof ctx, "key '%s'", ia_shown_name(kv->key, nm, sizeof nm));
    if ((rc = rd(c, 4, &v, ctx, "value type")) != IA_OK) return rc;
    kv->type = (uint32_t)v;
    if ((es = ia_gguf_scalar_size(kv->type)) != 0) {
        if ((rc = rd(c, (int)es, &kv->v.bits, ctx, "value")) != IA_OK) return rc;
        if (kv->type == IA_GGUF_F32) {
            uint32_t b = (uint32_t)kv->v.bits;
            memcpy(&kv->v.f32, &b, 4);
        } else if (kv->type == IA_GGUF_F64) {
            uint64_t b = kv->v.bits;
            memcpy(&kv->v.f64, &b, 8);
        }
        return IA_OK;
    }
    if (kv->type == IA_GGUF_STRING) return rd_str(g, c, ctx, &kv->v.str);
    if (kv->type != IA_GGUF_ARRAY)
        return ia_error(IA_ERR_FORMAT, "%s: unknown value type %u at offset %zu", ctx,
                        kv->type, c->pos - 4);
    if ((rc = rd(c, 4, &v, ctx, "array element type")) != IA_OK) return rc;
    kv->elem_type = (uint32_t)v;
    if ((rc = rd(c, 8, &kv->count, ctx, "array count")) != IA_OK) return rc;
    return rd_array(g, c, kv, ctx);
}

/* Reads one tensor info: name, dims (reversed into t->shape), type, offset. */
static ia_status rd_tensor(ia_gguf *g, cursor *c, size_t index, ia_gguf_tensor *t,
                           uint64_t *offset) {
    char ctx[NAME_SHOWN + 16], nm[NAME_SHOWN];
    uint64_t v = 0, nelem = 1;
    int ti;
    ia_status rc;

    snprintf(ctx, sizeof ctx, "tensor #%zu", index);
    if ((rc = rd_str(g, c, ctx, &t->name)) != IA_OK) return rc;
    snprintf(ctx, sizeof ctx, "tensor '%s'", ia_shown_name(t->name, nm, sizeof nm));
    if ((rc = rd(c, 4, &v, ctx, "n_dims")) != IA_OK) return rc;
    if (v == 0 || v > IA_GGUF_MAX_DIMS)
        return ia_error(IA_ERR_FORMAT, "%s: %llu dims (GGUF tensors have 1 to %d)", ctx,
                        (unsigned long long)v, IA_GGUF_MAX_DIMS);
    t->ndim = (int)v;
    for (int d = 0; d < t->ndim; d++) { /* file order: innermost first */
        if ((rc = rd(c, 8, &v, ctx, "dim")) != IA_OK) return rc;
        if (v == 0 || v > (uint64_t)INT64_MAX)
            return ia_error(IA_ERR_FORMAT, "%s: dim %d is %llu, not in [1, 2^63)", ctx, d,
                            (unsigned long long)v);
        if (nelem > (uint64_t)INT64_MAX / v)
            return ia_error(IA_ERR_FORMAT, "%s: element count overflows int64", ctx);
        nelem *= v;
        t->shape[t->ndim - 1 - d] = (int64_t)v;
    }
    if ((rc = rd(c, 4, &v, ctx, "type")) != IA_OK) return rc;
    if ((ti = ia_gguf_type_index((uint32_t)v)) < 0) {
        const char *other = other_ggml_name((uint32_t)v);
        if (other)
            return ia_error(IA_ERR_FORMAT, "%s: ggml type %s (%u) is not supported "
                            "(supported: F32 F16 BF16 Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q2_K..Q6_K I8 I32)", ctx, other,
                            (unsigned)v);
        return ia_error(IA_ERR_FORMAT, "%s: unknown ggml type id %llu", ctx,
                        (unsigned long long)v);
    }
    t->type = TYPES[ti].type;
    if (t->shape[t->ndim - 1] % TYPES[ti].block)
        return ia_error(IA_ERR_FORMAT, "%s: row of %lld elements is not a multiple of "
                        "the %s block size %lld", ctx, (long long)t->shape[t->ndim - 1],
                        TYPES[ti].name, (long long)TYPES[ti].block);
    /* Saturated to SIZE_MAX (wasm32: 4 GiB), which no file can hold, so the
     * file-size check in place_tensors() refuses what does not fit. */
    v = nbytes64(ti, nelem);
    t->nbytes = v > SIZE_MAX ? SIZE_MAX : (size_t)v;
    return rd(c, 8, offset, ctx, "offset");
}

/* qsort has no context argument in C11, so the comparators see (name,
 * offset, index) triples rather than the handle. */
typedef struct {
    const char *key;
    uint64_t off;
    size_t i;
} ref;

static int ref_key_cmp(const void *a, const void *b) {
    return strcmp(((const ref *)a)->key, ((const ref *)b)->key);
}

static int ref_off_cmp(const void *a, const void *b) {
    uint64_t x = ((const ref *)a)->off, y = ((const ref *)b)->off;
    return x < y ? -1 : x > y;
}

/* Sorts n names into *index (indices), refusing duplicates. */
static ia_status index_names(ref *refs, size_t n, size_t **index, const char *what) {
    char nm[NAME_SHOWN];
    if (n == 0) return IA_OK;
    qsort(refs, n, sizeof *refs, ref_key_cmp);
    for (size_t i = 1; i < n; i++)
        if (strcmp(refs[i - 1].key, refs[i].key) == 0)
            return ia_error(IA_ERR_FORMAT, "%s '%s' is defined twice", what,
                            ia_shown_name(refs[i].key, nm, sizeof nm));
    if (!(*index = malloc(n * sizeof **index)))
        return ia_error(IA_ERR_NOMEM, "cannot index %zu %ss", n, what);
    for (size_t i = 0; i < n; i++) (*index)[i] = refs[i].i;
    return IA_OK;
}

/* Finds general.alignment and checks it. */
static ia_status read_alignment(ia_gguf *g) {
    g->alignment = GGUF_DEFAULT_ALIGNMENT;
    for (size_t i = 0; i < g->n_kv; i++) {
        const ia_gguf_kv *kv = &g->kvs[i];
        if (strcmp(kv->key, GGUF_ALIGNMENT_KEY) != 0) continue;
        if (kv->type != IA_GGUF_U32)
            return ia_error(IA_ERR_FORMAT, GGUF_ALIGNMENT_KEY " has type %s, want u32",
                            ia_gguf_vtype_name(kv->type));
        g->alignment = (uint32_t)kv->v.bits;
        if (g->alignment == 0 || (g->alignment & (g->alignment - 1)))
            return ia_error(IA_ERR_FORMAT, GGUF_ALIGNMENT_KEY " %u is not a power of two",
                            g->alignment);
    }
    return IA_OK;
}

/* Places every tensor in the data section starting at data_start, then
 * checks the ranges do not overlap. refs has room for n_tensors. */
static ia_status place_tensors(ia_gguf *g, uint64_t data_start, ref *refs) {
    char nm[NAME_SHOWN], nm2[NAME_SHOWN];
    uint64_t size = g->file.size;
    if (g->n_tensors == 0) return IA_OK; /* refs is NULL then */
    for (size_t i = 0; i < g->n_tensors; i++) {
        ia_gguf_tensor *t = &g->tensors[i];
        uint64_t off = g->offsets[i], avail;
        int ti = ia_gguf_type_index((uint32_t)t->type);
        if (off % g->alignment)
            return ia_error(IA_ERR_FORMAT, "tensor '%s': offset %llu is not a multiple "
                            "of the alignment %u", ia_shown_name(t->name, nm, sizeof nm),
                            (unsigned long long)off, g->alignment);
        avail = data_start > size ? 0 : size - data_start;
        if (off > avail || t->nbytes > avail - off)
            return ia_error(IA_ERR_FORMAT, "tensor '%s': data [%llu, +%zu) past the end "
                            "of the file (data section of %llu bytes at offset %llu)",
                            ia_shown_name(t->name, nm, sizeof nm), (unsigned long long)off, t->nbytes,
                            (unsigned long long)avail, (unsigned long long)data_start);
        t->data = g->file.data + (size_t)(data_start + off);
        /* Kernels load F32/F16/I32 through plain pointers. */
        if ((uintptr_t)t->data % (uintptr_t)TYPES[ti].bytes && TYPES[ti].block == 1)
            return ia_error(IA_ERR_FORMAT, "tensor '%s': data at file offset %llu is "
                            "not aligned to its %llu-byte elements", ia_shown_name(t->name, nm, sizeof nm),
                            (unsigned long long)(data_start + off),
                            (unsigned long long)TYPES[ti].bytes);
        refs[i] = (ref){t->name, off, i};
    }
    qsort(refs, g->n_tensors, sizeof *refs, ref_off_cmp);
    for (size_t i = 1; i < g->n_tensors; i++) {
        const ia_gguf_tensor *a = &g->tensors[refs[i - 1].i];
        if (refs[i].off - refs[i - 1].off < a->nbytes)
            return ia_error(IA_ERR_FORMAT, "tensor '%s' at offset %llu overlaps tensor "
                            "'%s' (offsets [%llu, %llu))",
                            ia_shown_name(refs[i].key, nm, sizeof nm), (unsigned long long)refs[i].off,
                            ia_shown_name(a->name, nm2, sizeof nm2), (unsigned long long)refs[i - 1].off,
                            (unsigned long long)(refs[i - 1].off + a->nbytes));
    }
    return IA_OK;
}

/* Parses and validates g->file. */
static ia_status parse(ia_gguf *g) {
    cursor c = {g->file.data, g->file.size, 0};
    uint64_t n_tensors, n_kv, data_start;
    ref *refs = NULL;
    ia_status rc;

    if (c.size < 4 || memcmp(c.p, "GGUF", 4) != 0) {
        char got[NAME_SHOWN] = "", raw[5] = {0};
        if (c.size) memcpy(raw, c.p, c.size < 4 ? c.size : 4);
        return ia_error(IA_ERR_FORMAT, "bad magic '%s' (want 'GGUF'); %zu-byte file",
                        ia_shown_name(raw, got, sizeof got), c.size);
    }
    if (c.size < GGUF_HEADER_BYTES)
        return ia_error(IA_ERR_FORMAT, "file is %zu bytes, shorter than the %d-byte "
                        "header", c.size, GGUF_HEADER_BYTES);
    g->version = (uint32_t)le(c.p + 4, 4);
    if (g->version == 0x02000000u || g->version == 0x03000000u)
        return ia_error(IA_ERR_FORMAT, "big-endian GGUF is not supported");
    if (g->version == 1)
        return ia_error(IA_ERR_FORMAT, "GGUF version 1 is not supported (it used 32-bit "
                        "counts; reconvert with a current gguf-py)");
    if (g->version != 2 && g->version != 3)
        return ia_error(IA_ERR_FORMAT, "GGUF version %u is not supported (2 and 3 are)",
                        g->version);
    n_tensors = le(c.p + 8, 8);
    n_kv = le(c.p + 16, 8);
    c.pos = GGUF_HEADER_BYTES;
    if (n_kv > (c.size - c.pos) / GGUF_MIN_KV_BYTES)
        return ia_error(IA_ERR_FORMAT, "key/value count %llu cannot fit in the file "
                        "(%zu bytes)", (unsigned long long)n_kv, c.size);
    if (n_tensors > (c.size - c.pos) / GGUF_MIN_TI_BYTES)
        return ia_error(IA_ERR_FORMAT, "tensor count %llu cannot fit in the file "
                        "(%zu bytes)", (unsigned long long)n_tensors, c.size);

    for (size_t i = 0; i < (size_t)n_kv; i++) {
        if (!ia_gguf_grow((void **)&g->kvs, &g->cap_kv, i, sizeof *g->kvs))
            return ia_error(IA_ERR_NOMEM, "cannot allocate %zu keys", i + 1);
        memset(&g->kvs[i], 0, sizeof g->kvs[i]);
        if ((rc = rd_kv(g, &c, i, &g->kvs[i])) != IA_OK) return rc;
        g->n_kv = i + 1;
    }
    if ((rc = read_alignment(g)) != IA_OK) return rc;

    for (size_t i = 0; i < (size_t)n_tensors; i++) {
        if (!ia_gguf_grow((void **)&g->tensors, &g->cap_tensors, i, sizeof *g->tensors) ||
            !ia_gguf_grow((void **)&g->offsets, &g->cap_offsets, i, sizeof *g->offsets))
            return ia_error(IA_ERR_NOMEM, "cannot allocate %zu tensors", i + 1);
        memset(&g->tensors[i], 0, sizeof g->tensors[i]);
        if ((rc = rd_tensor(g, &c, i, &g->tensors[i], &g->offsets[i])) != IA_OK)
            return rc;
        g->n_tensors = i + 1;
    }
    /* The data section starts at the next multiple of the alignment; a file
     * without tensors may end before it. */
    data_start = ((uint64_t)c.pos + g->alignment - 1) / g->alignment * g->alignment;

    {
        size_t n = g->n_kv > g->n_tensors ? g->n_kv : g->n_tensors;
        if (n && !(refs = malloc(n * sizeof *refs)))
            return ia_error(IA_ERR_NOMEM, "cannot index %zu entries", n);
    }
    for (size_t i = 0; i < g->n_kv; i++) refs[i] = (ref){g->kvs[i].key, 0, i};
    if ((rc = index_names(refs, g->n_kv, &g->kv_by_key, "key")) != IA_OK) goto done;
    for (size_t i = 0; i < g->n_tensors; i++) refs[i] = (ref){g->tensors[i].name, 0, i};
    if ((rc = index_names(refs, g->n_tensors, &g->tensor_by_name, "tensor")) != IA_OK)
        goto done;
    rc = place_tensors(g, data_start, refs);
done:
    free(refs);
    return rc;
}

/* Contract: maps and validates path; on success *out owns the mapping and
 * the handle (free with ia_gguf_free()). On failure *out is NULL and the
 * message starts with the path. A missing file is IA_ERR_NOT_FOUND. */
ia_status ia_gguf_open(const char *path, ia_gguf **out) {
    ia_gguf *g;
    ia_status rc;
    if (!out) return ia_error(IA_ERR_INVALID_ARG, "ia_gguf_open: out is NULL");
    *out = NULL;
    if (!path) return ia_error(IA_ERR_INVALID_ARG, "ia_gguf_open: path is NULL");
    if (!(g = calloc(1, sizeof *g)))
        return ia_error(IA_ERR_NOMEM, "cannot allocate a GGUF handle");
    rc = ia_mapped_file_open(path, &g->file); /* its errors name the path */
    if (rc == IA_OK && (rc = parse(g)) != IA_OK) rc = ia_error_prefix(rc, "%s", path);
    if (rc != IA_OK) {
        ia_gguf_free(g);
        return rc;
    }
    *out = g;
    return IA_OK;
}

/* NULL-safe; unmaps the file. */
void ia_gguf_free(ia_gguf *g) {
    if (!g) return;
    free(g->tensors);
    free(g->tensor_by_name);
    free(g->offsets);
    free(g->kvs);
    free(g->kv_by_key);
    arena_free(g->arena);
    ia_mapped_file_close(&g->file);
    free(g);
}

size_t ia_gguf_tensor_count(const ia_gguf *g) { return g ? g->n_tensors : 0; }

/* Borrowed; valid until ia_gguf_free(). NULL when out of range. */
const ia_gguf_tensor *ia_gguf_tensor_at(const ia_gguf *g, size_t i) {
    return g && i < g->n_tensors ? &g->tensors[i] : NULL;
}

/* Binary search of a sorted index (NULL when n is 0); returns the
 * file-order position, or SIZE_MAX when absent. */
static size_t find_sorted(const size_t *index, size_t n, const char *name,
                          const char *(*name_of)(const ia_gguf *, size_t), const ia_gguf *g) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(name, name_of(g, index[mid]));
        if (c == 0) return index[mid];
        if (c < 0) hi = mid;
        else lo = mid + 1;
    }
    return SIZE_MAX;
}

static const char *tensor_name(const ia_gguf *g, size_t i) { return g->tensors[i].name; }
static const char *kv_key(const ia_gguf *g, size_t i) { return g->kvs[i].key; }

/* Borrowed; valid until ia_gguf_free(). NULL if absent (no error set). */
const ia_gguf_tensor *ia_gguf_find(const ia_gguf *g, const char *name) {
    size_t i;
    if (!g || !name) return NULL;
    i = find_sorted(g->tensor_by_name, g->n_tensors, name, tensor_name, g);
    return i == SIZE_MAX ? NULL : &g->tensors[i];
}

/* The key's entry; NULL when absent (no error set). */
const ia_gguf_kv *ia_gguf_kv_find(const ia_gguf *g, const char *key) {
    size_t i = find_sorted(g->kv_by_key, g->n_kv, key, kv_key, g);
    return i == SIZE_MAX ? NULL : &g->kvs[i];
}

int ia_dtype_of_ggml_type(ia_ggml_type type) {
    switch (type) {
    case IA_GGML_F32: return IA_DTYPE_F32;
    case IA_GGML_F16: return IA_DTYPE_F16;
    case IA_GGML_Q8_0: return IA_DTYPE_Q8_0;
    case IA_GGML_Q4_0: return IA_DTYPE_Q4_0;
    case IA_GGML_Q4_1: return IA_DTYPE_Q4_1;
    case IA_GGML_Q5_0: return IA_DTYPE_Q5_0;
    case IA_GGML_Q5_1: return IA_DTYPE_Q5_1;
    case IA_GGML_BF16: return IA_DTYPE_BF16;
    case IA_GGML_Q2_K: return IA_DTYPE_Q2_K;
    case IA_GGML_Q3_K: return IA_DTYPE_Q3_K;
    case IA_GGML_Q4_K: return IA_DTYPE_Q4_K;
    case IA_GGML_Q5_K: return IA_DTYPE_Q5_K;
    case IA_GGML_Q6_K: return IA_DTYPE_Q6_K;
    case IA_GGML_I8: return IA_DTYPE_I8;
    case IA_GGML_I32: return IA_DTYPE_I32;
    default: return -1;
    }
}

int ia_ggml_type_of_dtype(ia_dtype dtype) {
    switch (dtype) {
    case IA_DTYPE_F32: return IA_GGML_F32;
    case IA_DTYPE_F16: return IA_GGML_F16;
    case IA_DTYPE_Q8_0: return IA_GGML_Q8_0;
    case IA_DTYPE_Q4_0: return IA_GGML_Q4_0;
    case IA_DTYPE_Q4_1: return IA_GGML_Q4_1;
    case IA_DTYPE_Q5_0: return IA_GGML_Q5_0;
    case IA_DTYPE_Q5_1: return IA_GGML_Q5_1;
    case IA_DTYPE_BF16: return IA_GGML_BF16;
    case IA_DTYPE_Q2_K: return IA_GGML_Q2_K;
    case IA_DTYPE_Q3_K: return IA_GGML_Q3_K;
    case IA_DTYPE_Q4_K: return IA_GGML_Q4_K;
    case IA_DTYPE_Q5_K: return IA_GGML_Q5_K;
    case IA_DTYPE_Q6_K: return IA_GGML_Q6_K;
    case IA_DTYPE_I8: return IA_GGML_I8;
    case IA_DTYPE_I32: return IA_GGML_I32;
    default: return -1;
    }
}

const ia_mapped_file *ia_gguf_mapping(const ia_gguf *f) { return f ? &f->file : NULL; }

/* ------------------------------------------------------------------ keys */

size_t ia_gguf_kv_count(const ia_gguf *g) { return g ? g->n_kv : 0; }

const char *ia_gguf_kv_key(const ia_gguf *g, size_t i) { return g && i < g->n_kv ? g->kvs[i].key : NULL; }
