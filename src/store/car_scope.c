/*
 * car_scope.c — CAR export: the DAG under a CID, or the part of it the
 * Trustless Gateway specification's dag-scope and entity-bytes parameters
 * ask for (ia_car_export is the "all" scope of ia_car_export_scope):
 *
 *   all     every block under the CID
 *   block   the CID's block alone
 *   entity  what it takes to verify and rebuild the entity the CID names:
 *           a file's every block (or, with entity-bytes=from:to, only the
 *           blocks whose bytes meet that range, with the nodes above
 *           them), a directory's node, a HAMT directory's shard nodes
 *           (not its entries), a symlink's block
 *
 * Order: kubo v0.43 walks the DAG with go-car's selective writer and an
 * explore-all selector, visiting each link once: depth first, a node
 * before its children, links in their order in the node, a block seen
 * before skipped. The same walk here gives the same bytes (checked
 * against kubo in test/cli/test_car.sh). Every block is hashed as it is
 * read, so a gateway never serves a block that rotted on disk.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/car.h"
#include "formats/dagpb.h"
#include "formats/unixfs_pb.h"
#include "formats/varint.h"
#include "store/blockstore.h"
#include "store/cid_map.h"
#include "store/dag_read.h"
#include "util/error.h"

enum { SCOPE_ALL, SCOPE_ENTITY, SCOPE_BLOCK };

typedef struct {
    ia_blockstore *bs;
    ia_write_fn fn;
    void *ctx;
    ia_cid_map seen;
    int scope;
    int depth;
} scoped;

static ia_status emit(scoped *e, const ia_cid *c, const uint8_t *block, size_t n) {
    uint8_t head[IA_VARINT_MAX + IA_CID_MAX_BYTES];
    size_t h = ia_car_section_head(c, n, head, sizeof head);
    ia_status st;
    if (!h) return ia_error(IA_ERR_INTERNAL, "CAR export: section head");
    if ((st = e->fn(e->ctx, head, h)) != IA_OK) return st;
    return n ? e->fn(e->ctx, block, n) : IA_OK;
}

/* Visits c for the bytes [from, to] of the file it is part of, relative
 * to the start of c's own bytes (to = UINT64_MAX: to the end). */
static ia_status visit(scoped *e, const ia_cid *c, uint64_t from, uint64_t to) {
    uint8_t *block = NULL;
    size_t n = 0;
    ia_dagpb_node pb;
    ia_unixfs_data fs;
    ia_cid_map_entry *seen;
    int added, descend = 1, hamt = 0;
    uint64_t offset;
    ia_status st;
    if ((st = ia_cid_map_add(&e->seen, c, &seen, &added)) != IA_OK || !added) return st;
    if (e->depth >= IA_DAG_DEFAULT_DEPTH)
        return ia_error(IA_ERR_UNSUPPORTED, "CAR export: a DAG deeper than %d levels", IA_DAG_DEFAULT_DEPTH);
    if (c->codec != IA_CODEC_DAG_PB && c->codec != IA_CODEC_RAW) {
        char text[IA_CID_MAX_TEXT];
        if (!ia_cid_to_string(c, text, sizeof text)) text[0] = '\0';
        return ia_error(IA_ERR_UNSUPPORTED, "CAR export: %s has codec 0x%llx (dag-pb and raw DAGs only)", text,
                        (unsigned long long)c->codec);
    }
    if ((st = ia_bs_get(e->bs, c, 1, &block, &n)) != IA_OK) return st;
    memset(&pb, 0, sizeof pb);
    memset(&fs, 0, sizeof fs);
    /* a node is decoded before it is written: a malformed one never is */
    if (c->codec == IA_CODEC_DAG_PB && e->scope != SCOPE_BLOCK && (st = ia_dagpb_decode(block, n, &pb)) != IA_OK)
        goto done;
    if ((st = emit(e, c, block, n)) != IA_OK || c->codec == IA_CODEC_RAW || e->scope == SCOPE_BLOCK) goto done;
    if (e->scope == SCOPE_ENTITY) {
        if (!pb.has_data || (st = ia_unixfs_decode(pb.data, pb.data_len, &fs)) != IA_OK) {
            if (st == IA_OK) st = ia_error(IA_ERR_FORMAT, "CAR export: a dag-pb node without UnixFS data");
            goto done;
        }
        /* a directory is its node; a HAMT its shard nodes; a symlink its block */
        if (fs.type == IA_UNIXFS_DIRECTORY || fs.type == IA_UNIXFS_SYMLINK) descend = 0;
        if (fs.type == IA_UNIXFS_HAMT_SHARD) hamt = 1;
    }
    if (!descend) goto done;
    /* a file node's own bytes come before its children's */
    offset = fs.data_len;
    e->depth++;
    for (size_t i = 0; i < pb.n_links && st == IA_OK; i++) {
        ia_cid child;
        uint64_t size = UINT64_MAX;
        if ((st = ia_cid_from_bytes(pb.links[i].hash, pb.links[i].hash_len, &child)) != IA_OK) break;
        if (hamt) {
            /* a link named by its slot alone (two hex digits at fanout 256)
             * is a shard; longer names are the directory's entries */
            if (pb.links[i].name_len > 2) continue;
        } else if (e->scope == SCOPE_ENTITY && fs.type != IA_UNIXFS_RAW && fs.type != IA_UNIXFS_FILE) {
            continue;
        } else if (e->scope == SCOPE_ENTITY) {
            if (i >= fs.n_blocksizes) {
                st = ia_error(IA_ERR_FORMAT, "CAR export: a file node with %zu links and %zu blocksizes", pb.n_links,
                              fs.n_blocksizes);
                break;
            }
            size = fs.blocksizes[i];
            if (offset > to || (size && offset + size - 1 < from) || (!size && offset < from)) {
                offset += size;
                continue; /* outside the range asked for */
            }
        }
        st = visit(e, &child, from > offset ? from - offset : 0,
                   to == UINT64_MAX ? UINT64_MAX : (to >= offset ? to - offset : 0));
        if (size != UINT64_MAX) offset += size;
    }
    e->depth--;
done:
    ia_unixfs_data_free(&fs);
    ia_dagpb_node_free(&pb);
    free(block);
    return st;
}

/* entity-bytes "from:to", to a number or "*"; negative (from the end)
 * offsets are refused rather than guessed. */
static ia_status parse_range(const char *s, uint64_t *from, uint64_t *to) {
    const char *given = s;
    char *end;
    if (!s) {
        *from = 0, *to = UINT64_MAX;
        return IA_OK;
    }
    if (*s < '0' || *s > '9') goto bad;
    *from = strtoull(s, &end, 10);
    if (*end != ':') goto bad;
    s = end + 1;
    if (strcmp(s, "*") == 0) {
        *to = UINT64_MAX;
        return IA_OK;
    }
    if (*s < '0' || *s > '9') goto bad;
    *to = strtoull(s, &end, 10);
    if (*end || *to < *from) goto bad;
    return IA_OK;
bad:
    return ia_error(IA_ERR_INVALID_ARG, "entity-bytes '%.40s': from:to or from:* with 0 <= from <= to "
                    "(offsets from the end are not supported)", given);
}

ia_status ia_car_export_scope(ia_blockstore *bs, const char *cid, const char *dag_scope, const char *entity_bytes,
                              ia_write_fn fn, void *ctx) {
    uint8_t header[256];
    scoped e;
    ia_cid root;
    uint64_t from = 0, to = UINT64_MAX;
    size_t h;
    ia_status st;
    if (!bs || !cid || !fn) return ia_error(IA_ERR_INVALID_ARG, "ia_car_export_scope: no store, CID or write function");
    memset(&e, 0, sizeof e);
    if (!dag_scope || strcmp(dag_scope, "all") == 0) e.scope = SCOPE_ALL;
    else if (strcmp(dag_scope, "entity") == 0) e.scope = SCOPE_ENTITY;
    else if (strcmp(dag_scope, "block") == 0) e.scope = SCOPE_BLOCK;
    else return ia_error(IA_ERR_INVALID_ARG, "dag-scope '%.40s': all, entity or block", dag_scope);
    if (entity_bytes && e.scope != SCOPE_ENTITY)
        return ia_error(IA_ERR_INVALID_ARG, "entity-bytes goes with dag-scope=entity");
    if ((st = parse_range(entity_bytes, &from, &to)) != IA_OK) return st;
    if ((st = ia_cid_parse(cid, &root)) != IA_OK) return st;
    if (!(h = ia_car_header_encode(&root, 1, header, sizeof header))) return ia_error(IA_ERR_INTERNAL, "CAR export: header");
    e.bs = bs, e.fn = fn, e.ctx = ctx;
    if ((st = fn(ctx, header, h)) == IA_OK) st = visit(&e, &root, from, to);
    ia_cid_map_free(&e.seen);
    return st;
}

ia_status ia_car_export(ia_blockstore *bs, const char *cid, ia_write_fn fn, void *ctx) {
    return ia_car_export_scope(bs, cid, NULL, NULL, fn, ctx);
}
