/*
 * gguf_internal.h — what the GGUF reader (gguf.c), its metadata accessors
 * (gguf_values.c) and the writer (gguf_write.c) share: the type tables,
 * one parsed key/value, and two small helpers.
 */
#ifndef IA_FORMATS_GGUF_INTERNAL_H
#define IA_FORMATS_GGUF_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#define GGUF_DEFAULT_ALIGNMENT 32u
#define GGUF_ALIGNMENT_KEY "general.alignment"
#define NAME_SHOWN 120

typedef struct ia_gguf ia_gguf;

/* One metadata key/value as the reader parsed it (strings and number
 * arrays point into the mapping or the reader's arena). */
typedef struct ia_gguf_kv {
    const char *key;
    uint32_t type;      /* ia_gguf_vtype */
    uint32_t elem_type; /* arrays only */
    uint64_t count;     /* arrays only */
    union {
        uint64_t bits;      /* integers and bool, zero-extended raw bits */
        float f32;
        double f64;
        const char *str;
        const char **strs;  /* arrays of strings */
        const void *data;   /* arrays of numbers: the elements, in the mapping */
    } v;
} ia_gguf_kv;

/* The key's entry in a file the reader opened; NULL when absent (no error
 * set). Keys are indexed: a binary search. */
const ia_gguf_kv *ia_gguf_kv_find(const ia_gguf *g, const char *key);

/* "u8", "string", "array", ... for a metadata value type; "unknown" past them. */
const char *ia_gguf_vtype_name(uint32_t t);

/* Bytes of a scalar value type; 0 for string, array and unknown types. */
size_t ia_gguf_scalar_size(uint32_t t);

/* Index of a ggml type id in the table of types we read and write, or -1. */
int ia_gguf_type_index(uint32_t type);

/* Grows *arr (of *cap elements of `elem` bytes) to hold at least n;
 * 0 on success, -1 when out of memory or the size overflows. */
int ia_gguf_grow(void **arr, size_t *cap, size_t n, size_t elem);

#endif
