/*
 * unixfs_pb.h — the UnixFS `Data` message (specs.ipfs.tech/unixfs): what a
 * dag-pb node's Data field holds for files, directories, symlinks and HAMT
 * shards.
 *
 *   message Data { required DataType Type = 1; optional bytes Data = 2;
 *     optional uint64 filesize = 3; repeated uint64 blocksizes = 4;
 *     optional uint64 hashType = 5; optional uint64 fanout = 6;
 *     optional uint32 mode = 7; optional UnixTime mtime = 8; }
 *   message UnixTime { required int64 Seconds = 1;
 *     optional fixed32 FractionalNanoseconds = 2; }
 *
 * The encoder writes fields in field-number order with blocksizes not
 * packed (one tag per value), byte for byte what kubo's proto2 marshaller
 * writes; absent optional fields are not written.
 *
 * The decoder treats its input as hostile: bounded, each known field at
 * most once and with its own wire type, blocksizes either packed or not
 * (protobuf readers accept both), unknown fields of a valid wire type
 * skipped (a later UnixFS may add fields), Type required and known.
 */
#ifndef IA_FORMATS_UNIXFS_PB_H
#define IA_FORMATS_UNIXFS_PB_H

#include <stddef.h>
#include <stdint.h>

#include "ipfs_accelerate.h"

enum ia_unixfs_type {
    IA_UNIXFS_RAW = 0,
    IA_UNIXFS_DIRECTORY = 1,
    IA_UNIXFS_FILE = 2,
    IA_UNIXFS_METADATA = 3,
    IA_UNIXFS_SYMLINK = 4,
    IA_UNIXFS_HAMT_SHARD = 5,
};

typedef struct ia_unixfs_data {
    int type;                  /* enum ia_unixfs_type */
    const uint8_t *data;       /* file bytes, symlink target, HAMT bitfield */
    size_t data_len;
    int has_data;
    uint64_t filesize;
    int has_filesize;
    const uint64_t *blocksizes; /* encode: the caller's; decode: owned (free below) */
    size_t n_blocksizes;
    uint64_t hash_type;        /* HAMT: 0x22, murmur3-x64-64 */
    int has_hash_type;
    uint64_t fanout;           /* HAMT: 256 */
    int has_fanout;
    uint32_t mode;
    int has_mode;
    int64_t mtime_sec;
    int has_mtime;
    uint32_t mtime_nsec;
    int has_mtime_nsec;
} ia_unixfs_data;

/* Encoded size of d, and the encoding (ia_unixfs_size bytes at out). */
size_t ia_unixfs_size(const ia_unixfs_data *d);
size_t ia_unixfs_encode(const ia_unixfs_data *d, uint8_t *out);

/* Decodes p[0..n) (a dag-pb node's Data). data points into p; blocksizes
 * is allocated (ia_unixfs_data_free). IA_ERR_FORMAT naming the problem;
 * *out is zeroed on failure. */
ia_status ia_unixfs_decode(const uint8_t *p, size_t n, ia_unixfs_data *out);

/* NULL-safe; frees what the decoder allocated and zeroes *d. Only for
 * structs the decoder filled. */
void ia_unixfs_data_free(ia_unixfs_data *d);

#endif
