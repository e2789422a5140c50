/*
 * params.h — the import parameters an add runs with, resolved once from
 * the caller's ia_unixfs_options and an IPIP-0499 profile (profile.c), so
 * the importer below never looks at profiles or defaults again.
 */
#ifndef IA_STORE_PARAMS_H
#define IA_STORE_PARAMS_H

#include <stddef.h>

#include "ipfs_accelerate.h"

/* kubo's limit on a chunk (boxo chunker.ChunkSizeLimit: 2 MiB, the
 * Bitswap block limit, less 256 bytes for the UnixFS framing). */
#define IA_UNIXFS_MAX_CHUNK (2u * 1024 * 1024 - 256)

typedef struct ia_unixfs_params {
    int cid_version;          /* of dag-pb nodes: 0 or 1 */
    int raw_leaves;           /* leaves as raw blocks (always CIDv1) */
    size_t chunk_size;
    int max_links;            /* links per file node */
    size_t hamt_threshold;    /* a directory above this many bytes is sharded */
    int hamt_block_estimate;  /* 1: exact block size; 0: names + CIDs ("links") */
    int hidden;               /* include names starting with '.' */
} ia_unixfs_params;

/* Resolves o (NULL = defaults) into *p, and into *full (when not NULL)
 * the caller's options as far as its struct_size covers them, over the
 * defaults (for the callbacks). IA_ERR_INVALID_ARG naming the option for
 * an unknown profile or a value out of range. */
ia_status ia_unixfs_params_resolve(const ia_unixfs_options *o, ia_unixfs_params *p, ia_unixfs_options *full);

#endif
