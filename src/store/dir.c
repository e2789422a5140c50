/*
 * dir.c — basic UnixFS directories and the switch to a HAMT (see dir.h).
 *
 * A basic directory is PBNode { Links sorted by name bytes (each Hash,
 * Name, Tsize), Data = UnixFS { Type Directory } = 08 01 }.
 */
#include "store/dir.h"

#include <stdlib.h>
#include <string.h>

#include "formats/dagpb.h"
#include "formats/unixfs_pb.h"
#include "store/hamt.h"
#include "util/error.h"

ia_status ia_dir_add(ia_dir *d, const char *name, const ia_block_ref *ref) {
    ia_dir_entry *e;
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 16;
        ia_dir_entry *ne = realloc(d->e, cap * sizeof *ne);
        if (!ne) return ia_error(IA_ERR_NOMEM, "unixfs: directory of %zu entries", cap);
        d->e = ne, d->cap = cap;
    }
    e = &d->e[d->n];
    e->name_len = strlen(name);
    if (!(e->name = malloc(e->name_len + 1))) return ia_error(IA_ERR_NOMEM, "unixfs: entry name");
    memcpy(e->name, name, e->name_len + 1);
    e->ref = *ref;
    d->n++;
    return IA_OK;
}

void ia_dir_free(ia_dir *d) {
    if (!d) return;
    for (size_t i = 0; i < d->n; i++) free(d->e[i].name);
    free(d->e);
    memset(d, 0, sizeof *d);
}

/* dag-pb's link order: by name bytes, a prefix first (memcmp, then length). */
static int by_name(const void *a, const void *b) {
    const ia_dir_entry *x = a, *y = b;
    size_t m = x->name_len < y->name_len ? x->name_len : y->name_len;
    int c = memcmp(x->name, y->name, m);
    return c ? c : (x->name_len > y->name_len) - (x->name_len < y->name_len);
}

ia_status ia_dir_finish(ia_dir *d, const ia_unixfs_params *p, const ia_block_sink *sink, ia_block_ref *out,
                        int *sharded) {
    static const uint8_t dir_data[] = {0x08, IA_UNIXFS_DIRECTORY};
    ia_dagpb_link *links = NULL;
    uint8_t *buf = NULL;
    size_t size, estimate = 0;
    uint64_t tsizes = 0;
    ia_status st;
    if (sharded) *sharded = 0;
    if (d->n) qsort(d->e, d->n, sizeof *d->e, by_name);
    if (d->n && !(links = calloc(d->n, sizeof *links))) return ia_error(IA_ERR_NOMEM, "unixfs: directory links");
    for (size_t i = 0; i < d->n; i++) {
        links[i].hash = d->e[i].ref.cid, links[i].hash_len = d->e[i].ref.cid_len;
        links[i].name = (const uint8_t *)d->e[i].name, links[i].name_len = d->e[i].name_len, links[i].has_name = 1;
        links[i].tsize = d->e[i].ref.tsize, links[i].has_tsize = 1;
        estimate += d->e[i].name_len + d->e[i].ref.cid_len; /* links-bytes */
        tsizes += d->e[i].ref.tsize;
    }
    size = ia_dagpb_size(links, d->n, sizeof dir_data, 1);
    if (p->hamt_block_estimate) estimate = size;
    if (estimate > p->hamt_threshold) {
        free(links);
        if (sharded) *sharded = 1;
        return ia_hamt_build(d->e, d->n, p, sink, out);
    }
    if (!(buf = malloc(size))) {
        free(links);
        return ia_error(IA_ERR_NOMEM, "unixfs: directory node of %zu bytes", size);
    }
    ia_dagpb_encode(links, d->n, dir_data, sizeof dir_data, 1, buf);
    st = ia_block_put(sink, p->cid_version, IA_CODEC_DAG_PB, buf, size, out);
    out->tsize += tsizes;
    free(buf);
    free(links);
    return st;
}
