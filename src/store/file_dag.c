/*
 * file_dag.c — the balanced file layout, level by level (see file_dag.h).
 *
 * An inner node is what boxo's FSNodeOverDag commits: PBNode Links (each
 * Hash, Name "" — written, empty — and Tsize), then Data = UnixFS
 * {Type File, filesize = the sum, blocksizes = each child's file bytes}.
 */
#include "store/file_dag.h"

#include <stdlib.h>
#include <string.h>

#include "formats/dagpb.h"
#include "formats/protobuf.h"
#include "formats/unixfs_pb.h"
#include "util/error.h"

void ia_file_dag_init(ia_file_dag *d, const ia_unixfs_params *p, const ia_block_sink *sink) {
    memset(d, 0, sizeof *d);
    d->p = p;
    d->sink = sink;
}

void ia_file_dag_free(ia_file_dag *d) {
    if (!d) return;
    for (int i = 0; i < IA_FILE_DAG_MAX_LEVELS; i++) free(d->level[i]);
    free(d->blocksizes);
    free(d->buf);
    memset(d, 0, sizeof *d);
}

/* Writes the node over level L's pending links into *out and empties L. */
static ia_status make_node(ia_file_dag *d, int L, ia_dag_link *out) {
    ia_dagpb_link links[64];
    ia_dagpb_link *pl = d->count[L] <= 64 ? links : malloc((size_t)d->count[L] * sizeof *pl);
    ia_unixfs_data u;
    size_t data_len, need, n;
    uint64_t total = 0, tsizes = 0;
    ia_status st;
    if (!pl) return ia_error(IA_ERR_NOMEM, "unixfs: node of %d links", d->count[L]);
    if (!d->blocksizes && !(d->blocksizes = malloc((size_t)d->p->max_links * sizeof *d->blocksizes))) {
        st = ia_error(IA_ERR_NOMEM, "unixfs: blocksizes");
        goto done;
    }
    for (int i = 0; i < d->count[L]; i++) {
        const ia_dag_link *c = &d->level[L][i];
        memset(&pl[i], 0, sizeof pl[i]);
        pl[i].hash = c->ref.cid, pl[i].hash_len = c->ref.cid_len;
        pl[i].name = (const uint8_t *)"", pl[i].has_name = 1;
        pl[i].tsize = c->ref.tsize, pl[i].has_tsize = 1;
        d->blocksizes[i] = c->filesize;
        total += c->filesize;
        tsizes += c->ref.tsize;
    }
    memset(&u, 0, sizeof u);
    u.type = IA_UNIXFS_FILE;
    u.filesize = total, u.has_filesize = 1;
    u.blocksizes = d->blocksizes, u.n_blocksizes = (size_t)d->count[L];
    data_len = ia_unixfs_size(&u);
    need = ia_dagpb_size(pl, (size_t)d->count[L], data_len, 1);
    if (need > d->buf_cap) {
        uint8_t *nb = realloc(d->buf, need);
        if (!nb) {
            st = ia_error(IA_ERR_NOMEM, "unixfs: node of %zu bytes", need);
            goto done;
        }
        d->buf = nb, d->buf_cap = need;
    }
    /* the Data field's value is encoded in place after the links */
    n = ia_dagpb_encode(pl, (size_t)d->count[L], NULL, 0, 0, d->buf);
    n += ia_pb_put_len_prefix(d->buf + n, 1, data_len);
    n += ia_unixfs_encode(&u, d->buf + n);
    st = ia_block_put(d->sink, d->p->cid_version, IA_CODEC_DAG_PB, d->buf, n, &out->ref);
    out->ref.tsize += tsizes;
    out->filesize = total;
    d->count[L] = 0;
done:
    if (pl != links) free(pl);
    return st;
}

static ia_status ensure_level(ia_file_dag *d, int L) {
    if (L >= IA_FILE_DAG_MAX_LEVELS) return ia_error(IA_ERR_INTERNAL, "unixfs: file DAG deeper than %d levels", L);
    if (!d->level[L] && !(d->level[L] = malloc((size_t)d->p->max_links * sizeof *d->level[L])))
        return ia_error(IA_ERR_NOMEM, "unixfs: DAG level %d", L);
    return IA_OK;
}

/* Appends x to level L; a level that fills is written at once and its
 * node goes on to level L + 1 (and so on up). */
static ia_status push(ia_file_dag *d, int L, ia_dag_link x) {
    for (;; L++) {
        ia_status st = ensure_level(d, L);
        if (st != IA_OK) return st;
        d->level[L][d->count[L]++] = x;
        if (d->count[L] < d->p->max_links) return IA_OK;
        if ((st = make_node(d, L, &x)) != IA_OK) return st;
    }
}

ia_status ia_file_dag_add(ia_file_dag *d, const ia_dag_link *leaf) { return push(d, 0, *leaf); }

ia_status ia_file_dag_finish(ia_file_dag *d, ia_dag_link *root) {
    for (int L = 0; L < IA_FILE_DAG_MAX_LEVELS; L++) {
        int above = 0;
        ia_status st;
        for (int k = L + 1; k < IA_FILE_DAG_MAX_LEVELS && !above; k++) above = d->count[k] != 0;
        /* the one link left on the top level is the root: a single leaf
         * stays itself (kubo's and js's reduceSingleLeafToSelf) */
        if (!above && d->count[L] == 1) {
            *root = d->level[L][0];
            d->count[L] = 0;
            return IA_OK;
        }
        if (!above && d->count[L] == 0) return ia_error(IA_ERR_INTERNAL, "unixfs: a file DAG without leaves");
        if (d->count[L]) {
            ia_dag_link node;
            if ((st = make_node(d, L, &node)) != IA_OK) return st;
            if ((st = push(d, L + 1, node)) != IA_OK) return st;
        }
    }
    return ia_error(IA_ERR_INTERNAL, "unixfs: file DAG too deep");
}
