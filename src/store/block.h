/*
 * block.h — where the importer's blocks go: each block is hashed, named by
 * its CID and handed to the caller's sink (a block store, later; nothing
 * with --only-hash). Also the reference a parent keeps of a child: its
 * binary CID and the cumulative size of the DAG under it (dag-pb's Tsize).
 */
#ifndef IA_STORE_BLOCK_H
#define IA_STORE_BLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "formats/cid.h"
#include "ipfs_accelerate.h"

typedef struct ia_block_sink {
    ia_unixfs_block_fn fn; /* NULL: hash only */
    void *ctx;
} ia_block_sink;

typedef struct ia_block_ref {
    uint8_t cid[IA_CID_MAX_BYTES];
    size_t cid_len;
    uint64_t tsize;        /* the block's bytes plus its links' Tsizes */
} ia_block_ref;

/* Hashes block[0..n) (sha2-256), names it CID `version` with `codec`, hands
 * it to the sink, and fills ref (tsize = n: the caller adds its links'). */
ia_status ia_block_put(const ia_block_sink *sink, int version, uint64_t codec, const uint8_t *block, size_t n,
                       ia_block_ref *ref);

/* CID text of a reference into out (IA_CID_TEXT_MAX bytes). */
ia_status ia_block_ref_string(const ia_block_ref *ref, char *out, size_t cap);

#endif
