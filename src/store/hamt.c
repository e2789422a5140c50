/*
 * hamt.c — building a HAMT-sharded directory from its entries (see hamt.h).
 *
 * The entries are sorted by their 64-bit hash once; then the entries of any
 * shard are a contiguous run, and within it the entries of each slot are a
 * contiguous run too (they share the hash bytes above), so the tree is
 * built by recursion over runs with no other bookkeeping.
 */
#include "store/hamt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/dagpb.h"
#include "formats/unixfs_pb.h"
#include "formats/varint.h"
#include "util/error.h"
#include "util/murmur3.h"

typedef struct {
    uint64_t hash;
    const ia_dir_entry *e;
} hashed;

static int by_hash(const void *a, const void *b) {
    const hashed *x = a, *y = b;
    if (x->hash != y->hash) return x->hash < y->hash ? -1 : 1;
    return strcmp(x->e->name, y->e->name);
}

/* byte `depth` of the big-endian hash: the slot at that level */
static unsigned slot_of(uint64_t h, int depth) { return (unsigned)(h >> (56 - 8 * depth)) & 0xff; }

static ia_status build(const hashed *h, size_t n, int depth, const ia_unixfs_params *p, const ia_block_sink *sink,
                       ia_block_ref *out) {
    /* on the heap: 40 KB a level would be a lot for a small thread stack */
    ia_block_ref *child = NULL;
    ia_dagpb_link *links = NULL;
    uint8_t bitfield[IA_HAMT_FANOUT / 8] = {0};
    char *names = NULL, *np;
    size_t n_links = 0, names_len = 0, first_byte = 0, data_len, size;
    uint64_t tsizes = 0;
    uint8_t *buf = NULL;
    ia_unixfs_data u;
    ia_status st = IA_OK;
    if (depth >= 8)
        return ia_error(IA_ERR_UNSUPPORTED, "unixfs: names '%s' and '%s' share all 64 hash bits (sharded directory too deep)",
                        h[0].e->name, h[1].e->name);
    for (size_t i = 0; i < n; i++) names_len += 2 + h[i].e->name_len;
    names = malloc(names_len + 1);
    child = malloc(IA_HAMT_FANOUT * sizeof *child);
    links = malloc(IA_HAMT_FANOUT * sizeof *links);
    if (!names || !child || !links) {
        st = ia_error(IA_ERR_NOMEM, "unixfs: HAMT shard of %zu entries", n);
        goto done;
    }
    np = names;
    for (size_t i = 0, j; i < n; i = j) {
        unsigned slot = slot_of(h[i].hash, depth);
        ia_dagpb_link *l = &links[n_links];
        for (j = i + 1; j < n && slot_of(h[j].hash, depth) == slot; j++) {}
        memset(l, 0, sizeof *l);
        snprintf(np, 3, "%02X", slot);
        l->name = (const uint8_t *)np, l->has_name = 1, l->has_tsize = 1;
        if (j - i == 1) { /* one entry: linked under slot + name */
            memcpy(np + 2, h[i].e->name, h[i].e->name_len);
            l->name_len = 2 + h[i].e->name_len;
            l->hash = h[i].e->ref.cid, l->hash_len = h[i].e->ref.cid_len;
            l->tsize = h[i].e->ref.tsize;
        } else { /* a shared slot: a child shard, linked under the slot alone */
            if ((st = build(h + i, j - i, depth + 1, p, sink, &child[n_links])) != IA_OK) goto done;
            l->name_len = 2;
            l->hash = child[n_links].cid, l->hash_len = child[n_links].cid_len;
            l->tsize = child[n_links].tsize;
        }
        np += l->name_len;
        tsizes += l->tsize;
        /* go-bitfield: bit i lives in byte len - 1 - i / 8, bit i % 8 */
        bitfield[sizeof bitfield - 1 - slot / 8] |= (uint8_t)(1u << (slot % 8));
        n_links++;
    }
    while (first_byte < sizeof bitfield && bitfield[first_byte] == 0) first_byte++;
    memset(&u, 0, sizeof u);
    u.type = IA_UNIXFS_HAMT_SHARD;
    u.data = bitfield + first_byte, u.data_len = sizeof bitfield - first_byte, u.has_data = 1;
    u.hash_type = IA_HAMT_HASH_MURMUR3, u.has_hash_type = 1;
    u.fanout = IA_HAMT_FANOUT, u.has_fanout = 1;
    data_len = ia_unixfs_size(&u);
    size = ia_dagpb_size(links, n_links, data_len, 1);
    if (!(buf = malloc(size))) {
        st = ia_error(IA_ERR_NOMEM, "unixfs: HAMT shard of %zu bytes", size);
        goto done;
    }
    {
        size_t o = ia_dagpb_encode(links, n_links, NULL, 0, 0, buf);
        uint8_t *data = buf + o + 1 + ia_varint_len(data_len);
        ia_unixfs_encode(&u, data);
        /* the Data field: its tag and length, then the message just written */
        buf[o] = 0x0a;
        ia_varint_put(buf + o + 1, data_len);
    }
    st = ia_block_put(sink, p->cid_version, IA_CODEC_DAG_PB, buf, size, out);
    out->tsize += tsizes;
done:
    free(buf);
    free(names);
    free(child);
    free(links);
    return st;
}

uint64_t ia_hamt_hash(const char *name, size_t len) { return ia_murmur3_x64_64(name, len, 0); }

ia_status ia_hamt_build(const ia_dir_entry *e, size_t n, const ia_unixfs_params *p, const ia_block_sink *sink,
                        ia_block_ref *out) {
    hashed *h = malloc(n * sizeof *h);
    ia_status st;
    if (!h) return ia_error(IA_ERR_NOMEM, "unixfs: HAMT of %zu entries", n);
    for (size_t i = 0; i < n; i++) {
        h[i].hash = ia_hamt_hash(e[i].name, e[i].name_len);
        h[i].e = &e[i];
    }
    qsort(h, n, sizeof *h, by_hash);
    st = build(h, n, 0, p, sink, out);
    free(h);
    return st;
}
