/*
 * cid_map.h — a hash map from CIDs to two counters: the blocks a CAR
 * export has written (a set), and what a DAG's subtrees hold (entries and
 * bytes, so a DAG that links one subtree many times is measured once per
 * distinct block, not once per path). Open addressing, doubling at half
 * full; keys compared in full (version, codec, multihash).
 */
#ifndef IA_STORE_CID_MAP_H
#define IA_STORE_CID_MAP_H

#include <stddef.h>
#include <stdint.h>

#include "formats/cid.h"
#include "ipfs_accelerate.h"

typedef struct ia_cid_map_entry {
    ia_cid cid;
    uint64_t a, b;
} ia_cid_map_entry;

typedef struct ia_cid_map {
    ia_cid_map_entry *slots;
    uint8_t *used;
    size_t cap, n;
} ia_cid_map;

/* The entry of c, or NULL. */
ia_cid_map_entry *ia_cid_map_find(const ia_cid_map *m, const ia_cid *c);

/* The entry of c, added (a = b = 0) when absent; *added says which. */
ia_status ia_cid_map_add(ia_cid_map *m, const ia_cid *c, ia_cid_map_entry **e, int *added);

/* NULL-safe; leaves *m empty. */
void ia_cid_map_free(ia_cid_map *m);

#endif
