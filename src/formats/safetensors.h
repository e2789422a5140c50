/*
 * safetensors.h — reader for the safetensors format over a memory mapping.
 *
 * Layout: 8-byte little-endian header length N, N bytes of JSON
 * {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...,
 *  "__metadata__": {...}}, then the data area; offsets are relative to it.
 * The input is hostile: every offset and size is checked against the file,
 * and failures are IA_ERR_FORMAT with a message naming the tensor/offset.
 */
#ifndef IA_FORMATS_SAFETENSORS_H
#define IA_FORMATS_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "ipfs_accelerate.h"
#include "tensor/dtype.h"
#include "util/mapped_file.h"

#define IA_ST_MAX_DIMS 8

typedef struct ia_st_tensor {
    char *name;                      /* owned by the ia_safetensors */
    ia_dtype dtype;
    int ndim;
    int64_t shape[IA_ST_MAX_DIMS];
    const void *data;                /* points into the mapping */
    size_t nbytes;
} ia_st_tensor;

typedef struct ia_safetensors ia_safetensors;

/* Maps and validates path. Free with ia_safetensors_free(). */
ia_status ia_safetensors_open(const char *path, ia_safetensors **out);

/* Validates an in-memory image (borrowed: must outlive the handle).
 * Used by tests and the fuzz target. */
ia_status ia_safetensors_open_memory(const uint8_t *data, size_t size,
                                     ia_safetensors **out);

void ia_safetensors_free(ia_safetensors *st); /* NULL-safe */

size_t ia_safetensors_count(const ia_safetensors *st);
const ia_st_tensor *ia_safetensors_at(const ia_safetensors *st, size_t i);

/* NULL if absent (no error set: absence is for the caller to judge). */
const ia_st_tensor *ia_safetensors_find(const ia_safetensors *st, const char *name);

/* The mapping the tensors point into (to release pages of weights a
 * backend has copied; zeroed for an in-memory image). */
const ia_mapped_file *ia_safetensors_mapping(const ia_safetensors *st);

#endif
