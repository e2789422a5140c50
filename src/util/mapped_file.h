/*
 * mapped_file.h — read-only view of a whole file.
 *
 * mmap where the platform has it (weights are then shared by every user of
 * the file and never copied); a plain read into memory otherwise (wasm32,
 * and builds with -DIA_NO_MMAP, as the fuzz targets are).
 */
#ifndef IA_UTIL_MAPPED_FILE_H
#define IA_UTIL_MAPPED_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "ipfs_accelerate.h"

typedef struct ia_mapped_file {
    const uint8_t *data; /* NULL for an empty file */
    size_t size;
    int is_mmap;         /* 1: munmap on close; 0: free on close */
} ia_mapped_file;

/* Maps path read-only. On failure sets the error (naming the path). */
ia_status ia_mapped_file_open(const char *path, ia_mapped_file *out);

/* NULL-safe; leaves *f zeroed. */
void ia_mapped_file_close(ia_mapped_file *f);

/* Tells the system the bytes [ptr, ptr + len) of a mapped file are not
 * needed for now (a weight a backend has copied into its own layout): the
 * whole pages inside the range leave the resident set and come back from
 * the file if read again. A no-op for the read fallback (heap memory must
 * keep its bytes) and for ranges outside the file. */
void ia_mapped_file_release(const ia_mapped_file *f, const void *ptr, size_t len);

/* Reads a whole (small) file into a NUL-terminated heap buffer.
 * Caller frees with free(). Files over max_bytes are refused. */
ia_status ia_read_text_file(const char *path, size_t max_bytes, char **out,
                            size_t *len_out);

#endif
