/*
 * file_import.h — one file's bytes into UnixFS blocks: the fixed-size
 * chunker, the leaf blocks (raw, or dag-pb UnixFS File nodes) and the
 * balanced DAG over them (file_dag.h). The bytes come from a read
 * function, so a file on disk and a buffer in memory take the same path.
 */
#ifndef IA_STORE_FILE_IMPORT_H
#define IA_STORE_FILE_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "store/file_dag.h"

/* Reads up to want bytes into buf; *got < want only at the end of the
 * data (0 when nothing is left). */
typedef ia_status (*ia_read_fn)(void *ctx, uint8_t *buf, size_t want, size_t *got);

typedef struct ia_file_importer {
    const ia_unixfs_params *p;
    const ia_block_sink *sink;
    ia_unixfs_progress_fn progress;
    void *progress_ctx;
    uint8_t *buf;       /* one leaf block: header room, a chunk, trailer room */
} ia_file_importer;

/* Allocates the chunk buffer (chunk_size + a few bytes). */
ia_status ia_file_importer_init(ia_file_importer *fi, const ia_unixfs_params *p, const ia_block_sink *sink,
                                ia_unixfs_progress_fn progress, void *progress_ctx);
void ia_file_importer_free(ia_file_importer *fi);

/* Imports everything rd gives (total: its expected size, for progress
 * only; path: passed to the progress callback). *root is the file's root:
 * its CID, cumulative size and file size. */
ia_status ia_file_import(ia_file_importer *fi, ia_read_fn rd, void *rctx, uint64_t total, const char *path,
                         ia_dag_link *root);

#endif
