/*
 * gguf_internal.h — what the GGUF reader (gguf.c) and writer (gguf_write.c)
 * share: the type table lookup and two small helpers.
 */
#ifndef IA_FORMATS_GGUF_INTERNAL_H
#define IA_FORMATS_GGUF_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#define GGUF_DEFAULT_ALIGNMENT 32u
#define GGUF_ALIGNMENT_KEY "general.alignment"
#define NAME_SHOWN 120

/* Index of a ggml type id in the table of types we read and write, or -1. */
int ia_gguf_type_index(uint32_t type);

/* Grows *arr (of *cap elements of `elem` bytes) to hold at least n;
 * 0 on success, -1 when out of memory or the size overflows. */
int ia_gguf_grow(void **arr, size_t *cap, size_t n, size_t elem);

#endif
