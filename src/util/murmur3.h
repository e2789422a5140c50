/*
 * murmur3.h — MurmurHash3 x64 128-bit (Austin Appleby's public-domain
 * reference, MurmurHash3_x64_128), returning its first 64-bit half.
 *
 * Why this hash: UnixFS HAMT directories place each name by the bytes of
 * "murmur3-x64-64" (multicodec 0x22), which is exactly this half with seed
 * 0, read big-endian (go-unixfs/boxo via spaolacci/murmur3's Sum64 and
 * Sum). Not for anything that must resist an adversary.
 */
#ifndef IA_UTIL_MURMUR3_H
#define IA_UTIL_MURMUR3_H

#include <stddef.h>
#include <stdint.h>

/* h1 of MurmurHash3_x64_128(key, len, seed). */
uint64_t ia_murmur3_x64_64(const void *key, size_t len, uint32_t seed);

#endif
