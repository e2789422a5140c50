/*
 * gguf.h — GGUF v3 files (ggml's format, as llama.cpp and gguf-py write
 * them): a reader that maps the file and validates every size, offset and
 * type id before anything is used, and a writer.
 *
 * Layout (little-endian): magic "GGUF", u32 version (2 or 3 read, 3
 * written), u64 tensor count, u64 key/value count, the key/values, the
 * tensor infos (name, u32 n_dims, u64 dims[n_dims] innermost first, u32
 * ggml type, u64 offset relative to the data section), padding to
 * `general.alignment` (default 32), the data section.
 *
 * Shapes here are in our (PyTorch) order, outermost first: GGUF's
 * innermost-first dims are reversed on read and on write.
 */
#ifndef IA_FORMATS_GGUF_H
#define IA_FORMATS_GGUF_H

#include <stddef.h>
#include <stdint.h>

#include "ipfs_accelerate.h"
#include "tensor/dtype.h"
#include "util/mapped_file.h"

/* ggml type ids, as gguf.md numbers them (only those we read or write). */
typedef enum ia_ggml_type {
    IA_GGML_F32 = 0,
    IA_GGML_F16 = 1,
    IA_GGML_Q4_0 = 2,
    IA_GGML_Q4_1 = 3,
    IA_GGML_Q5_0 = 6,
    IA_GGML_Q5_1 = 7,
    IA_GGML_Q8_0 = 8,
    IA_GGML_Q2_K = 10,
    IA_GGML_Q3_K = 11,
    IA_GGML_Q4_K = 12,
    IA_GGML_Q5_K = 13,
    IA_GGML_Q6_K = 14,
    IA_GGML_I8 = 24,
    IA_GGML_I32 = 26,
    IA_GGML_BF16 = 30,
} ia_ggml_type;

/* Value types of metadata, as gguf.md numbers them. */
typedef enum ia_gguf_vtype {
    IA_GGUF_U8 = 0, IA_GGUF_I8 = 1, IA_GGUF_U16 = 2, IA_GGUF_I16 = 3,
    IA_GGUF_U32 = 4, IA_GGUF_I32 = 5, IA_GGUF_F32 = 6, IA_GGUF_BOOL = 7,
    IA_GGUF_STRING = 8, IA_GGUF_ARRAY = 9, IA_GGUF_U64 = 10, IA_GGUF_I64 = 11,
    IA_GGUF_F64 = 12,
} ia_gguf_vtype;

#define IA_GGUF_MAX_DIMS 4

typedef struct ia_gguf_tensor {
    const char *name;              /* NUL-terminated copy */
    int ndim;                      /* 1..IA_GGUF_MAX_DIMS */
    int64_t shape[IA_GGUF_MAX_DIMS]; /* outermost first */
    ia_ggml_type type;             /* one of the enum values above */
    const void *data;              /* inside the mapping */
    size_t nbytes;                 /* checked against the file size */
} ia_gguf_tensor;

typedef struct ia_gguf ia_gguf;

/* Opens and validates `path`. Rejects with IA_ERR_FORMAT and a message that
 * names the problem: bad magic or version, counts that cannot fit in the
 * file, strings or arrays running past the end, unknown value types,
 * tensor types other than the enum above, zero or > 4 dims, a row length
 * that is not a multiple of the block size, element counts that overflow,
 * data ranges past the end of the file, overlapping or misaligned tensors,
 * duplicate tensor or key names. */
ia_status ia_gguf_open(const char *path, ia_gguf **out);
void ia_gguf_free(ia_gguf *f);

size_t ia_gguf_tensor_count(const ia_gguf *f);
const ia_gguf_tensor *ia_gguf_tensor_at(const ia_gguf *f, size_t i);
const ia_gguf_tensor *ia_gguf_find(const ia_gguf *f, const char *name); /* NULL if absent */

/* Metadata lookups: IA_OK and the value, IA_ERR_NOT_FOUND when the key is
 * absent, IA_ERR_FORMAT when it has another type. Strings are borrowed and
 * NUL-terminated (a string holding a NUL byte is rejected at open). Integer
 * getters accept any integer type whose value fits. */
ia_status ia_gguf_get_str(const ia_gguf *f, const char *key, const char **out);
ia_status ia_gguf_get_i64(const ia_gguf *f, const char *key, int64_t *out);
ia_status ia_gguf_get_f32(const ia_gguf *f, const char *key, float *out);
/* A bool key: *out is 0 or 1. */
ia_status ia_gguf_get_bool(const ia_gguf *f, const char *key, int *out);
/* Arrays of strings: count, then each element (borrowed). */
ia_status ia_gguf_get_str_array(const ia_gguf *f, const char *key, size_t *count,
                                const char *const **items);

/* Keys in file order (general.alignment included); NULL out of range. */
size_t ia_gguf_kv_count(const ia_gguf *f);
const char *ia_gguf_kv_key(const ia_gguf *f, size_t i);

/* A key's value as the file stores it after the type field (scalars
 * little-endian; strings length + bytes; arrays element type, count,
 * elements), for copying it verbatim into another file
 * (ia_gguf_writer_set_raw). *bytes: caller frees with free(). */
ia_status ia_gguf_kv_raw(const ia_gguf *f, const char *key, ia_gguf_vtype *type, void **bytes, size_t *len);

/* Arrays of numbers (any element type but string): the element type, the
 * count and the elements, little-endian as in the file. Borrowed, pointing
 * into the mapping (valid until ia_gguf_free()) and possibly unaligned:
 * read elements with memcpy. The count is checked against the file size at
 * open. IA_ERR_FORMAT for an array of strings or a key of another type. */
ia_status ia_gguf_get_array(const ia_gguf *f, const char *key, ia_gguf_vtype *vtype,
                            size_t *count, const void **data);

/* Bytes of one tensor of `type` with `nelem` elements whose row (innermost
 * dim) is `row`; 0 when row is not a multiple of the type's block size or
 * the type is unknown. */
size_t ia_ggml_nbytes(ia_ggml_type type, int64_t row, int64_t nelem);
const char *ia_ggml_type_name(ia_ggml_type type); /* "F32", "Q8_0", ... */

/* The mapping the tensors point into (see ia_safetensors_mapping). */
const ia_mapped_file *ia_gguf_mapping(const ia_gguf *f);

/* The tensor dtype a GGUF type is read as, and back; -1 when the other
 * side has no such type. */
int ia_dtype_of_ggml_type(ia_ggml_type type);
int ia_ggml_type_of_dtype(ia_dtype dtype);

/* ---- writer: collects metadata and tensors, writes them on finish ---- */

typedef struct ia_gguf_writer ia_gguf_writer;

ia_status ia_gguf_writer_create(ia_gguf_writer **out);
/* Keys must be unique (IA_ERR_INVALID_ARG otherwise). */
ia_status ia_gguf_writer_set_str(ia_gguf_writer *w, const char *key, const char *value);
ia_status ia_gguf_writer_set_u32(ia_gguf_writer *w, const char *key, uint32_t value);
ia_status ia_gguf_writer_set_i64(ia_gguf_writer *w, const char *key, int64_t value);
ia_status ia_gguf_writer_set_f32(ia_gguf_writer *w, const char *key, float value);
ia_status ia_gguf_writer_set_str_array(ia_gguf_writer *w, const char *key, const char *const *items,
                                       size_t count);
/* A value of any type as ia_gguf_kv_raw gives it (copied; not checked
 * beyond its type: it comes from a file the reader accepted). */
ia_status ia_gguf_writer_set_raw(ia_gguf_writer *w, const char *key, ia_gguf_vtype type, const void *bytes,
                                 size_t len);
/* Adds a tensor; `data` (nbytes = ia_ggml_nbytes) is copied. Names unique. */
ia_status ia_gguf_writer_add_tensor(ia_gguf_writer *w, const char *name, ia_ggml_type type, int ndim,
                                    const int64_t *shape, const void *data, size_t nbytes);
/* Writes `path` (via a temporary file renamed into place, so a failure
 * never leaves a half-written model) with general.alignment = 32. */
ia_status ia_gguf_writer_finish(ia_gguf_writer *w, const char *path);
void ia_gguf_writer_free(ia_gguf_writer *w);

#endif
