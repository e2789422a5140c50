/*
 * file_dag.h — the balanced layout of a file's DAG, built as the leaves
 * stream in (boxo's importer/balanced, js-ipfs-unixfs's layout/balanced).
 *
 * The tree: leaves in file order, grouped max_links at a time under
 * UnixFS File nodes, those grouped again, until one node is left; a file
 * of one leaf is that leaf. Built level by level with one pending node per
 * level: a level that fills is written at once and becomes one link of the
 * level above, so memory is levels x max_links links, whatever the file's
 * size, and blocks come out children first.
 *
 * Why this equals kubo's depth-first fillNodeRec: both trees are the unique
 * left-packed tree where every node but the last on each level is full;
 * kubo's last subtree at each depth is a chain down to its leaves, which is
 * what flushing the partial levels bottom-up makes too.
 */
#ifndef IA_STORE_FILE_DAG_H
#define IA_STORE_FILE_DAG_H

#include <stdint.h>

#include "store/block.h"
#include "store/params.h"

#define IA_FILE_DAG_MAX_LEVELS 64 /* 2^64 leaves at 2 links a node */

typedef struct ia_dag_link {
    ia_block_ref ref;
    uint64_t filesize;   /* file bytes under the link (UnixFS blocksizes) */
} ia_dag_link;

typedef struct ia_file_dag {
    const ia_unixfs_params *p;
    const ia_block_sink *sink;
    ia_dag_link *level[IA_FILE_DAG_MAX_LEVELS]; /* max_links each, allocated on first use */
    int count[IA_FILE_DAG_MAX_LEVELS];
    uint64_t *blocksizes;                       /* scratch: max_links */
    uint8_t *buf;                               /* scratch: one encoded node */
    size_t buf_cap;
} ia_file_dag;

void ia_file_dag_init(ia_file_dag *d, const ia_unixfs_params *p, const ia_block_sink *sink);

/* The next leaf, in file order. */
ia_status ia_file_dag_add(ia_file_dag *d, const ia_dag_link *leaf);

/* Writes the partial nodes and gives the root (at least one leaf must
 * have been added). */
ia_status ia_file_dag_finish(ia_file_dag *d, ia_dag_link *root);

/* NULL-safe; frees the levels and scratch. */
void ia_file_dag_free(ia_file_dag *d);

#endif
