/*
 * hamt.h — a HAMT-sharded UnixFS directory (UnixFS spec, "HAMTDirectory";
 * boxo ipld/unixfs/hamt), built from all its entries at once.
 *
 * Each name is hashed with murmur3-x64-64 (the first 64-bit half of
 * MurmurHash3_x64_128, seed 0, big-endian bytes); with fanout 256, level k
 * of the tree files an entry under byte k of that hash. A slot holding one
 * entry links to it under "%02X" + name; a slot two or more entries share
 * becomes a child shard linked under "%02X". That is where boxo's
 * insert-one-by-one ends for any order of insertion, so building from the
 * final set gives the same tree. A shard node is PBNode { Links in slot
 * order, Data = UnixFS { Type HAMTShard, Data = the occupied-slot bitfield
 * (big-endian, leading zero bytes dropped, as go-bitfield's Bytes()),
 * hashType 0x22, fanout 256 } }.
 */
#ifndef IA_STORE_HAMT_H
#define IA_STORE_HAMT_H

#include "store/dir.h"

#define IA_HAMT_FANOUT 256
#define IA_HAMT_HASH_MURMUR3 0x22

/* Shards entries e[0..n) (n >= 1) and writes the shards' blocks; *out is
 * the root shard. IA_ERR_UNSUPPORTED if two names share all 64 hash bits
 * (boxo: "sharded directory too deep"). */
ia_status ia_hamt_build(const ia_dir_entry *e, size_t n, const ia_unixfs_params *p, const ia_block_sink *sink,
                        ia_block_ref *out);

/* Where a name sits in a shard's traversal order: the order of the
 * names' murmur3-x64-64 values (slots by hash byte, level by level). */
uint64_t ia_hamt_hash(const char *name, size_t len);

#endif
