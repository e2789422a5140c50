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

/* Reads a whole (small) file into a NUL-terminated heap buffer.
 * Caller frees with free(). Files over max_bytes are refused. */
ia_status ia_read_text_file(const char *path, size_t max_bytes, char **out,
                            size_t *len_out);

#endif
