/*
 * walk.h — `ipfs add -r` over a path: files, symlinks and directories
 * into UnixFS, reported in kubo's order.
 *
 * What is added, as kubo does by default: regular files, directories
 * (empty ones included), symlinks as UnixFS symlinks (Type 4, the target
 * as Data; never followed, the added path itself included); names that
 * start with '.' are skipped below the added path unless `hidden`.
 * Devices, sockets and FIFOs are refused, naming them.
 *
 * Kubo's output order: each file and symlink as it is added, walking each
 * directory's names in byte order, depth first; then every directory,
 * children before parents, the added path last — a HAMT directory's
 * children in the shard's (hash) order, a basic one's in name order.
 */
#ifndef IA_STORE_WALK_H
#define IA_STORE_WALK_H

#include "store/file_import.h"

typedef struct ia_walk {
    ia_unixfs_params p;
    ia_block_sink sink;
    ia_file_importer fi;
    ia_unixfs_entry_fn on_entry;
    void *entry_ctx;
    struct ia_walk_dir_event *dirs; /* directories done, reported at the end */
    size_t n_dirs, cap_dirs;
} ia_walk;

/* Adds path; *root is the root's reference. Reports entries through
 * w->on_entry (directories after the walk). */
ia_status ia_walk_add(ia_walk *w, const char *path, ia_block_ref *root);

/* Frees what the walk kept (NULL-safe). */
void ia_walk_free(ia_walk *w);

#endif
