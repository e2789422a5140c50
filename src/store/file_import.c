/*
 * file_import.c — chunks to leaves to a balanced DAG (see file_import.h).
 *
 * A dag-pb leaf (profiles without raw leaves) is what boxo's NewLeafNode
 * commits: PBNode { Data = UnixFS { Type File, Data = the chunk,
 * filesize = its length } }, no links. The chunk is read straight into
 * its place inside the block, with room before it for the few header
 * bytes (whose length depends on the chunk's) and after it for the
 * filesize field, so a leaf is hashed as one contiguous block and never
 * copied. The empty file is one leaf with the Data field left out
 * (kubo: Layout on no data calls NewLeafNode(nil)): 0a 04 08 02 18 00.
 */
#include "store/file_import.h"

#include <stdlib.h>
#include <string.h>

#include "formats/protobuf.h"
#include "formats/unixfs_pb.h"
#include "util/error.h"

/* Header: PBNode.Data tag + length (<= 1 + 4), UnixFS Type (2),
 * UnixFS.Data tag + length (<= 1 + 3) for chunks below 2 MiB; trailer:
 * filesize tag + varint (<= 1 + 3). 16 each leaves slack. */
#define HEAD 16
#define TAIL 16

ia_status ia_file_importer_init(ia_file_importer *fi, const ia_unixfs_params *p, const ia_block_sink *sink,
                                ia_unixfs_progress_fn progress, void *progress_ctx) {
    memset(fi, 0, sizeof *fi);
    fi->p = p;
    fi->sink = sink;
    fi->progress = progress;
    fi->progress_ctx = progress_ctx;
    if (!(fi->buf = malloc(HEAD + p->chunk_size + TAIL)))
        return ia_error(IA_ERR_NOMEM, "unixfs: chunk buffer of %zu bytes", p->chunk_size);
    return IA_OK;
}

void ia_file_importer_free(ia_file_importer *fi) {
    if (!fi) return;
    free(fi->buf);
    memset(fi, 0, sizeof *fi);
}

/* Reads until want bytes or the end. */
static ia_status fill(ia_read_fn rd, void *rctx, uint8_t *buf, size_t want, size_t *got) {
    size_t have = 0;
    while (have < want) {
        size_t n = 0;
        ia_status st = rd(rctx, buf + have, want - have, &n);
        if (st != IA_OK) return st;
        if (n == 0) break;
        have += n;
    }
    *got = have;
    return IA_OK;
}

/* The leaf over the n bytes at fi->buf + HEAD. */
static ia_status make_leaf(ia_file_importer *fi, size_t n, ia_dag_link *leaf) {
    uint8_t *data = fi->buf + HEAD, head[HEAD];
    size_t inner, h = 0, t = 0;
    leaf->filesize = n;
    if (fi->p->raw_leaves) return ia_block_put(fi->sink, 1, IA_CODEC_RAW, data, n, &leaf->ref);
    if (n == 0) {
        static const uint8_t empty[] = {0x0a, 0x04, 0x08, IA_UNIXFS_FILE, 0x18, 0x00};
        return ia_block_put(fi->sink, fi->p->cid_version, IA_CODEC_DAG_PB, empty, sizeof empty, &leaf->ref);
    }
    inner = ia_pb_varint_field_size(IA_UNIXFS_FILE) + ia_pb_bytes_field_size(n) + ia_pb_varint_field_size(n);
    h += ia_pb_put_len_prefix(head + h, 1, inner);         /* PBNode.Data */
    h += ia_pb_put_varint_field(head + h, 1, IA_UNIXFS_FILE); /* UnixFS.Type */
    h += ia_pb_put_len_prefix(head + h, 2, n);             /* UnixFS.Data */
    memcpy(data - h, head, h);
    t += ia_pb_put_varint_field(data + n, 3, n);           /* UnixFS.filesize */
    return ia_block_put(fi->sink, fi->p->cid_version, IA_CODEC_DAG_PB, data - h, h + n + t, &leaf->ref);
}

ia_status ia_file_import(ia_file_importer *fi, ia_read_fn rd, void *rctx, uint64_t total, const char *path,
                         ia_dag_link *root) {
    ia_file_dag dag;
    uint64_t done = 0;
    ia_status st;
    ia_file_dag_init(&dag, fi->p, fi->sink);
    for (int first = 1;; first = 0) {
        ia_dag_link leaf;
        size_t n;
        if ((st = fill(rd, rctx, fi->buf + HEAD, fi->p->chunk_size, &n)) != IA_OK) goto done;
        /* the empty file is one empty leaf; otherwise no empty leaves */
        if (n == 0 && !first) break;
        if ((st = make_leaf(fi, n, &leaf)) != IA_OK) goto done;
        if ((st = ia_file_dag_add(&dag, &leaf)) != IA_OK) goto done;
        done += n;
        if (fi->progress) fi->progress(fi->progress_ctx, path, done, total);
        if (n < fi->p->chunk_size) break;
    }
    st = ia_file_dag_finish(&dag, root);
done:
    ia_file_dag_free(&dag);
    return st;
}
