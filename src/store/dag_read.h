/*
 * dag_read.h — reading a UnixFS DAG out of the block store, trusting
 * nothing: every block is hashed against the CID that named it, every node
 * decoded by the strict dag-pb/UnixFS decoders and checked against its
 * parent, and the walk is bounded.
 *
 * What is checked, beyond the hashes:
 *   files      a dag-pb File (or old-style Raw) node has as many links as
 *              blocksizes; its bytes (its Data, then its children's) equal
 *              data + sum(blocksizes), and filesize when present; each
 *              child yields exactly the blocksize its parent gave it, so
 *              one size checked at the root bounds the whole file; a child
 *              of 0 bytes is refused (no importer writes one, and it would
 *              let a DAG cost reads without bytes)
 *   dirs       every link named with one path component (not "", ".",
 *              "..", no '/', no NUL, at most 255 bytes)
 *   HAMTs      hashType murmur3-x64-64 (0x22), a power-of-two fanout, the
 *              bitfield's population equal to the links, link names
 *              "<slot in upper-case hex><name>" in increasing slot order
 *              with their bits set, a child shard under the bare slot, and
 *              every entry's name hashing to the slots of the path that
 *              leads to it (a name filed in the wrong place is refused)
 *   the walk   a CID that is its own ancestor (a cycle: impossible with
 *              honest hashes, possible in a damaged store read without
 *              verification) and the limits: depth, block reads, bytes,
 *              entries — a duplicate-link bomb (a node linking the same
 *              child many times, nested) hits one of them instead of
 *              expanding without end
 */
#ifndef IA_STORE_DAG_READ_H
#define IA_STORE_DAG_READ_H

#include <stddef.h>
#include <stdint.h>

#include "formats/cid.h"
#include "formats/dagpb.h"
#include "formats/unixfs_pb.h"
#include "store/blockstore.h"
#include "store/cid_map.h"

enum ia_unode_kind { IA_UNODE_FILE = 1, IA_UNODE_DIR, IA_UNODE_HAMT, IA_UNODE_SYMLINK };

#define IA_DAG_DEFAULT_ENTRIES 1000000u
#define IA_DAG_DEFAULT_BLOCKS (16u << 20)
#define IA_DAG_DEFAULT_DEPTH 256
#define IA_DAG_DEFAULT_CAT_BYTES (1ull << 40)

typedef struct ia_dag_limits {
    uint64_t max_bytes, max_entries, max_blocks;
    int max_depth;
} ia_dag_limits;

typedef struct ia_dag_walk {
    ia_blockstore *bs;
    ia_dag_limits lim;
    uint64_t bytes, entries, blocks;
    ia_cid *stack;   /* the ancestors of the node being read (max_depth) */
    int depth;
    ia_cid_map sizes; /* ia_dag_measure's memo: a = entries, b = bytes */
} ia_dag_walk;

/* One node read and decoded. */
typedef struct ia_unode {
    ia_cid cid;
    int kind;          /* enum ia_unode_kind */
    int raw;           /* a raw block (file bytes) */
    uint8_t *block;
    size_t len;
    ia_dagpb_node pb;
    ia_unixfs_data u;
} ia_unode;

ia_status ia_dag_walk_init(ia_dag_walk *w, ia_blockstore *bs, const ia_dag_limits *lim);
void ia_dag_walk_free(ia_dag_walk *w);

/* Steps into c (depth and cycle checks) / back out. */
ia_status ia_dag_push(ia_dag_walk *w, const ia_cid *c);
void ia_dag_pop(ia_dag_walk *w);

/* Reads (verified), decodes and classifies c. Errors name the CID. */
ia_status ia_dag_load(ia_dag_walk *w, const ia_cid *c, ia_unode *n);
void ia_unode_free(ia_unode *n);

/* The bytes a file node says it holds. */
uint64_t ia_unode_file_size(const ia_unode *n);

/* The file's bytes through fn, checked as they come; the size at the root
 * is checked against the bytes limit before the first byte is written. */
ia_status ia_dag_read_file(ia_dag_walk *w, const ia_unode *n, ia_write_fn fn, void *ctx);

/* A directory's entries (basic or HAMT, in link order): fn gets each
 * name (not NUL-terminated, a valid path component) and its CID. */
typedef ia_status (*ia_dag_entry_fn)(void *ctx, const char *name, size_t len, const ia_cid *cid);
ia_status ia_dag_list_dir(ia_dag_walk *w, const ia_unode *dir, ia_dag_entry_fn fn, void *ctx);

/* What the DAG under c holds before anything is written: *entries (files,
 * directories, symlinks; c included) and *bytes (the file sizes its nodes
 * declare, which ia_dag_read_file then holds them to). Each distinct block
 * is measured once, so a DAG that links one subtree a million times costs
 * one visit of it; IA_ERR_UNSUPPORTED as soon as either passes the
 * walk's limits. */
ia_status ia_dag_measure(ia_dag_walk *w, const ia_cid *c, uint64_t *entries, uint64_t *bytes);

/* Materialises c under parent_dir as a new temporary name
 * ("<parent_dir>/.<prefix><unique>", its path into tmp_out): a file, a
 * directory tree or a symlink, every file fsynced, after ia_dag_measure
 * found it within the limits. *kind gets the root's kind. On failure the
 * temporary name is removed. */
ia_status ia_dag_materialize(ia_dag_walk *w, const ia_cid *c, const char *parent_dir, const char *prefix,
                             char *tmp_out, size_t cap, int *kind);

#endif
