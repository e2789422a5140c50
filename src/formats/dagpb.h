/*
 * dagpb.h — the dag-pb codec (IPLD spec "DAG-PB"): the block format UnixFS
 * files and directories are written in.
 *
 *   message PBLink { optional bytes Hash = 1; optional string Name = 2;
 *                    optional uint64 Tsize = 3; }
 *   message PBNode { repeated PBLink Links = 2; optional bytes Data = 1; }
 *
 * The encoder writes kubo's canonical form: every Link before Data (the
 * schema's order, not the field numbers'), a link's fields in field-number
 * order. Links are written in the order given: sorting them by name is the
 * caller's job (UnixFS directories sort, file nodes keep chunk order).
 *
 * The decoder treats a block as hostile and follows the spec's strictness:
 * no unknown fields or wire types, no duplicates, a link's fields in order,
 * Hash required and a valid CID, Links contiguous (before or after Data —
 * both orders exist in the wild), at most IA_DAGPB_MAX_BLOCK bytes.
 */
#ifndef IA_FORMATS_DAGPB_H
#define IA_FORMATS_DAGPB_H

#include <stddef.h>
#include <stdint.h>

#include "ipfs_accelerate.h"

/* Largest block decoded: four times the largest chunk any profile writes
 * (1 MiB, unixfs-v1-2025) — Bitswap moves at most 2 MiB — so a hostile
 * block cannot make the decoder allocate more than a few MiB of links. */
#define IA_DAGPB_MAX_BLOCK (4u << 20)

typedef struct ia_dagpb_link {
    const uint8_t *hash;   /* binary CID */
    size_t hash_len;
    const uint8_t *name;   /* UTF-8, not NUL-terminated; NULL when absent */
    size_t name_len;
    int has_name;
    uint64_t tsize;        /* cumulative size of the DAG under the link */
    int has_tsize;
} ia_dagpb_link;

/* Bytes the link adds to its node (the Links tag and length included). */
size_t ia_dagpb_link_size(const ia_dagpb_link *l);

/* Bytes of the encoded node; data is omitted when has_data is 0 (which is
 * not the same block as has_data = 1 with data_len = 0). */
size_t ia_dagpb_size(const ia_dagpb_link *links, size_t n_links, size_t data_len, int has_data);

/* Writes the node at out (ia_dagpb_size bytes); returns that count. */
size_t ia_dagpb_encode(const ia_dagpb_link *links, size_t n_links, const uint8_t *data, size_t data_len,
                       int has_data, uint8_t *out);

typedef struct ia_dagpb_node {
    const uint8_t *data;   /* points into the block; NULL when absent */
    size_t data_len;
    int has_data;
    ia_dagpb_link *links;  /* owned: ia_dagpb_node_free; pointers into the block */
    size_t n_links;
} ia_dagpb_node;

/* Decodes block[0..n). The node points into block, which must outlive it.
 * IA_ERR_FORMAT naming the first violation; IA_ERR_NOMEM. *out is zeroed
 * on failure. */
ia_status ia_dagpb_decode(const uint8_t *block, size_t n, ia_dagpb_node *out);

/* NULL-safe; leaves *node zeroed. */
void ia_dagpb_node_free(ia_dagpb_node *node);

#endif
