/*
 * dir.h — a UnixFS directory from its entries: a basic directory node
 * (links sorted by name), or, when kubo would shard it, a HAMT (hamt.h).
 *
 * Kubo's rule (boxo ipld/unixfs/io/directory.go): a directory becomes a
 * HAMT when its estimated block size is strictly over the threshold
 * (256 KiB). The estimate is, per IPIP-0499:
 *   links-bytes (unixfs-v0-2015, kubo's default): the sum over links of
 *       the name's bytes plus the CID's bytes;
 *   block-bytes (unixfs-v1-2025): the exact size of the basic node.
 * An add only ever grows a directory, so deciding on the final entries
 * gives what kubo's incremental decision gives.
 */
#ifndef IA_STORE_DIR_H
#define IA_STORE_DIR_H

#include <stddef.h>

#include "store/block.h"
#include "store/params.h"

typedef struct ia_dir_entry {
    char *name;          /* owned */
    size_t name_len;
    ia_block_ref ref;
} ia_dir_entry;

typedef struct ia_dir {
    ia_dir_entry *e;
    size_t n, cap;
} ia_dir;

/* Copies name; names must be unique (the caller's directory listing is). */
ia_status ia_dir_add(ia_dir *d, const char *name, const ia_block_ref *ref);

/* Writes the directory's blocks (children before parents) and gives the
 * root's reference; *sharded (when not NULL) says whether it became a
 * HAMT. Sorts the entries. */
ia_status ia_dir_finish(ia_dir *d, const ia_unixfs_params *p, const ia_block_sink *sink, ia_block_ref *out,
                        int *sharded);

/* NULL-safe. */
void ia_dir_free(ia_dir *d);

#endif
