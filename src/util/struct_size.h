/*
 * struct_size.h — reading caller-filled public structs that open with
 * `size_t struct_size` (SQLite's szOsFile, ONNX Runtime's versioned
 * tables): the library copies only the bytes the caller's size covers
 * over its own defaults, so a struct can grow at the end and a caller
 * built against an older header still works.
 */
#ifndef IA_UTIL_STRUCT_SIZE_H
#define IA_UTIL_STRUCT_SIZE_H

#include <stddef.h>
#include <string.h>

#include "ipfs_accelerate.h"
#include "util/error.h"

/* Largest struct_size believed (a garbage size is refused, not trusted). */
#define IA_STRUCT_SIZE_MAX 4096

/* *dst (sizeof full, holding the defaults) ← the fields of the caller's
 * *src that its struct_size covers. IA_ERR_INVALID_ARG when struct_size is
 * unset or absurd, naming the INIT macro to use. */
static inline ia_status ia_struct_import(void *dst, size_t full, const void *src, const char *init_macro) {
    size_t n;
    memcpy(&n, src, sizeof n);
    if (n < sizeof n || n > IA_STRUCT_SIZE_MAX)
        return ia_error(IA_ERR_INVALID_ARG, "struct_size is %zu: fill the struct with %s first", n, init_macro);
    if (n > full) n = full;
    memcpy((char *)dst + sizeof n, (const char *)src + sizeof n, n - sizeof n);
    memcpy(dst, &full, sizeof full);
    return IA_OK;
}

/* The caller's *dst (caller_size bytes) ← defaults (sizeof full): the
 * first caller_size bytes, struct_size = caller_size. */
static inline void ia_struct_export(void *dst, size_t caller_size, const void *defaults, size_t full) {
    size_t n = caller_size < full ? caller_size : full;
    if (caller_size < sizeof(size_t)) return;
    memset(dst, 0, caller_size);
    memcpy(dst, defaults, n);
    memcpy(dst, &caller_size, sizeof caller_size);
}

#endif
