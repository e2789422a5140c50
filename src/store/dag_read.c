/*
 * dag_read.c — UnixFS nodes out of the block store: loading and checking,
 * file bytes, directory and HAMT listings (see dag_read.h). The writer
 * that turns them into files is dag_write.c.
 */
#include "store/dag_read.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/hamt.h"
#include "util/error.h"

static void cid_text(const ia_cid *c, char *out, size_t cap) {
    if (!ia_cid_to_string(c, out, cap)) snprintf(out, cap, "(unprintable CID)");
}

/* An error about node c: "<cid>: <message>". */
#define NODE_ERR(c, status, ...)                                                \
    (ia_error((status), __VA_ARGS__), node_prefix((c), (status)))

static ia_status node_prefix(const ia_cid *c, ia_status st) {
    char text[IA_CID_MAX_TEXT];
    cid_text(c, text, sizeof text);
    return ia_error_prefix(st, "%s", text);
}

ia_status ia_dag_walk_init(ia_dag_walk *w, ia_blockstore *bs, const ia_dag_limits *lim) {
    memset(w, 0, sizeof *w);
    w->bs = bs;
    w->lim = *lim;
    if (!w->lim.max_entries) w->lim.max_entries = IA_DAG_DEFAULT_ENTRIES;
    if (!w->lim.max_blocks) w->lim.max_blocks = IA_DAG_DEFAULT_BLOCKS;
    if (w->lim.max_depth <= 0) w->lim.max_depth = IA_DAG_DEFAULT_DEPTH;
    if (!w->lim.max_bytes) w->lim.max_bytes = IA_DAG_DEFAULT_CAT_BYTES;
    if (!(w->stack = malloc((size_t)w->lim.max_depth * sizeof *w->stack))) return ia_error(IA_ERR_NOMEM, "DAG walk");
    return IA_OK;
}

void ia_dag_walk_free(ia_dag_walk *w) {
    if (!w) return;
    free(w->stack);
    w->stack = NULL;
    ia_cid_map_free(&w->sizes);
}

static int same_block(const ia_cid *a, const ia_cid *b) {
    return a->hash == b->hash && a->digest_len == b->digest_len && memcmp(a->digest, b->digest, a->digest_len) == 0;
}

ia_status ia_dag_push(ia_dag_walk *w, const ia_cid *c) {
    if (w->depth >= w->lim.max_depth)
        return NODE_ERR(c, IA_ERR_UNSUPPORTED, "deeper than %d levels (the DAG's depth limit)", w->lim.max_depth);
    for (int i = 0; i < w->depth; i++)
        if (same_block(&w->stack[i], c)) return NODE_ERR(c, IA_ERR_FORMAT, "a cycle: the block links to itself "
                                                         "through %d level(s)", w->depth - i);
    w->stack[w->depth++] = *c;
    return IA_OK;
}

void ia_dag_pop(ia_dag_walk *w) {
    if (w->depth > 0) w->depth--;
}

void ia_unode_free(ia_unode *n) {
    if (!n) return;
    ia_dagpb_node_free(&n->pb);
    ia_unixfs_data_free(&n->u);
    free(n->block);
    memset(n, 0, sizeof *n);
}

ia_status ia_dag_load(ia_dag_walk *w, const ia_cid *c, ia_unode *n) {
    ia_status st;
    memset(n, 0, sizeof *n);
    n->cid = *c;
    if (++w->blocks > w->lim.max_blocks)
        return NODE_ERR(c, IA_ERR_UNSUPPORTED, "more than %llu block reads (the DAG's limit)",
                        (unsigned long long)w->lim.max_blocks);
    if ((st = ia_bs_get(w->bs, c, 1, &n->block, &n->len)) != IA_OK) return st;
    if (c->codec == IA_CODEC_RAW) {
        n->kind = IA_UNODE_FILE, n->raw = 1;
        return IA_OK;
    }
    if (c->codec != IA_CODEC_DAG_PB) {
        st = NODE_ERR(c, IA_ERR_UNSUPPORTED, "codec 0x%llx (UnixFS is dag-pb and raw)", (unsigned long long)c->codec);
        goto fail;
    }
    if ((st = ia_dagpb_decode(n->block, n->len, &n->pb)) != IA_OK) goto fail_prefix;
    if (!n->pb.has_data) {
        st = NODE_ERR(c, IA_ERR_FORMAT, "a dag-pb node without UnixFS Data");
        goto fail;
    }
    if ((st = ia_unixfs_decode(n->pb.data, n->pb.data_len, &n->u)) != IA_OK) goto fail_prefix;
    switch (n->u.type) {
    case IA_UNIXFS_RAW:
    case IA_UNIXFS_FILE: n->kind = IA_UNODE_FILE; break;
    case IA_UNIXFS_DIRECTORY: n->kind = IA_UNODE_DIR; break;
    case IA_UNIXFS_HAMT_SHARD: n->kind = IA_UNODE_HAMT; break;
    case IA_UNIXFS_SYMLINK: n->kind = IA_UNODE_SYMLINK; break;
    default:
        st = NODE_ERR(c, IA_ERR_UNSUPPORTED, "UnixFS type %d (Metadata nodes are not read)", n->u.type);
        goto fail;
    }
    if (n->kind == IA_UNODE_SYMLINK && n->pb.n_links) {
        st = NODE_ERR(c, IA_ERR_FORMAT, "a symlink with links");
        goto fail;
    }
    return IA_OK;
fail_prefix:
    node_prefix(c, st);
fail:
    ia_unode_free(n);
    return st;
}

uint64_t ia_unode_file_size(const ia_unode *n) {
    uint64_t total;
    if (n->raw) return n->len;
    total = n->u.has_data ? n->u.data_len : 0;
    for (size_t i = 0; i < n->u.n_blocksizes; i++) total += n->u.blocksizes[i];
    return total;
}

/* The sizes a file node declares, checked for consistency: links =
 * blocksizes, no overflow, no empty child, filesize agreeing. */
static ia_status check_file_node(const ia_unode *n, uint64_t *total) {
    uint64_t t = n->u.has_data ? n->u.data_len : 0;
    if (n->pb.n_links != n->u.n_blocksizes)
        return NODE_ERR(&n->cid, IA_ERR_FORMAT, "a file node with %zu links but %zu blocksizes", n->pb.n_links,
                        n->u.n_blocksizes);
    for (size_t i = 0; i < n->u.n_blocksizes; i++) {
        if (n->u.blocksizes[i] == 0) return NODE_ERR(&n->cid, IA_ERR_FORMAT, "link %zu is to 0 bytes of file", i);
        if (n->u.blocksizes[i] > UINT64_MAX - t) return NODE_ERR(&n->cid, IA_ERR_FORMAT, "blocksizes overflow 64 bits");
        t += n->u.blocksizes[i];
    }
    if (n->u.has_filesize && n->u.filesize != t)
        return NODE_ERR(&n->cid, IA_ERR_FORMAT, "filesize %llu but Data and blocksizes hold %llu bytes",
                        (unsigned long long)n->u.filesize, (unsigned long long)t);
    *total = t;
    return IA_OK;
}

static ia_status emit(ia_dag_walk *w, const ia_cid *c, const uint8_t *p, size_t len, ia_write_fn fn, void *ctx) {
    if (len > w->lim.max_bytes - w->bytes)
        return NODE_ERR(c, IA_ERR_UNSUPPORTED, "more than %llu bytes of files (the limit)",
                        (unsigned long long)w->lim.max_bytes);
    w->bytes += len;
    return len ? fn(ctx, p, len) : IA_OK;
}

/* The bytes of n, which its parent says are `expect` bytes. */
static ia_status read_node(ia_dag_walk *w, const ia_unode *n, uint64_t expect, ia_write_fn fn, void *ctx) {
    uint64_t total;
    ia_status st;
    if (n->kind != IA_UNODE_FILE)
        return NODE_ERR(&n->cid, IA_ERR_FORMAT, "a file links to a node that is not a file");
    if (n->raw) {
        if (n->len != expect)
            return NODE_ERR(&n->cid, IA_ERR_FORMAT, "%zu bytes where the parent says %llu", n->len,
                            (unsigned long long)expect);
        return emit(w, &n->cid, n->block, n->len, fn, ctx);
    }
    if ((st = check_file_node(n, &total)) != IA_OK) return st;
    if (total != expect)
        return NODE_ERR(&n->cid, IA_ERR_FORMAT, "%llu bytes where the parent says %llu", (unsigned long long)total,
                        (unsigned long long)expect);
    if (n->u.has_data && (st = emit(w, &n->cid, n->u.data, n->u.data_len, fn, ctx)) != IA_OK) return st;
    for (size_t i = 0; i < n->pb.n_links; i++) {
        ia_cid c;
        ia_unode child;
        /* the link's CID was checked by the dag-pb decoder */
        if ((st = ia_cid_from_bytes(n->pb.links[i].hash, n->pb.links[i].hash_len, &c)) != IA_OK) return st;
        if ((st = ia_dag_push(w, &c)) != IA_OK) return st;
        if ((st = ia_dag_load(w, &c, &child)) == IA_OK) {
            st = read_node(w, &child, n->u.blocksizes[i], fn, ctx);
            ia_unode_free(&child);
        }
        ia_dag_pop(w);
        if (st != IA_OK) return st;
    }
    return IA_OK;
}

ia_status ia_dag_read_file(ia_dag_walk *w, const ia_unode *n, ia_write_fn fn, void *ctx) {
    uint64_t total = n->raw ? n->len : 0;
    ia_status st;
    if (n->kind != IA_UNODE_FILE) return NODE_ERR(&n->cid, IA_ERR_INVALID_ARG, "not a file");
    if (!n->raw && (st = check_file_node(n, &total)) != IA_OK) return st;
    if (total > w->lim.max_bytes - w->bytes)
        return NODE_ERR(&n->cid, IA_ERR_UNSUPPORTED, "a file of %llu bytes, over the limit of %llu",
                        (unsigned long long)total, (unsigned long long)(w->lim.max_bytes - w->bytes));
    return read_node(w, n, total, fn, ctx);
}

/* ------------------------------------------------------------ directories */

static ia_status check_name(const ia_cid *dir, const uint8_t *name, size_t len) {
    char shown[64], tmp[300];
    if (len == 0 || len > 255 || memchr(name, '/', len) || memchr(name, 0, len) ||
        (len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.')) {
        size_t k = len < sizeof tmp - 1 ? len : sizeof tmp - 1;
        memcpy(tmp, name, k);
        tmp[k] = '\0';
        for (size_t i = 0; i < k; i++) if (!tmp[i]) tmp[i] = '?';
        return NODE_ERR(dir, IA_ERR_FORMAT, "an entry named '%s' (%zu bytes: not one path component)",
                        ia_shown_name(tmp, shown, sizeof shown), len);
    }
    return IA_OK;
}

static ia_status list_basic(const ia_unode *dir, ia_dag_entry_fn fn, void *ctx) {
    ia_status st;
    for (size_t i = 0; i < dir->pb.n_links; i++) {
        const ia_dagpb_link *l = &dir->pb.links[i];
        ia_cid c;
        if (!l->has_name) return NODE_ERR(&dir->cid, IA_ERR_FORMAT, "directory link %zu has no name", i);
        if ((st = check_name(&dir->cid, l->name, l->name_len)) != IA_OK) return st;
        if ((st = ia_cid_from_bytes(l->hash, l->hash_len, &c)) != IA_OK) return st;
        if ((st = fn(ctx, (const char *)l->name, l->name_len, &c)) != IA_OK) return st;
    }
    return IA_OK;
}

typedef struct {
    uint64_t fanout;
    int bits, padlen;
    unsigned slots[64]; /* the slot taken at each level above */
} hamt_shape;

static int hexval(uint8_t ch) { return ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1; }

/* The slot at `level` for a name's hash: bits taken from the top (boxo's
 * hashBits, big-endian). */
static unsigned slot_at(uint64_t h, int bits, int level) {
    return (unsigned)((h >> (64 - bits * (level + 1))) & ((1ull << bits) - 1));
}

static ia_status check_shard(const ia_unode *n, hamt_shape *s, int level) {
    if (!n->u.has_hash_type || n->u.hash_type != IA_HAMT_HASH_MURMUR3)
        return NODE_ERR(&n->cid, IA_ERR_UNSUPPORTED, "HAMT hash type 0x%llx (murmur3-x64-64, 0x22, only)",
                        (unsigned long long)n->u.hash_type);
    if (!n->u.has_fanout || n->u.fanout < 2 || n->u.fanout > 4096 || (n->u.fanout & (n->u.fanout - 1)))
        return NODE_ERR(&n->cid, IA_ERR_FORMAT, "HAMT fanout %llu (a power of two, 2..4096)",
                        (unsigned long long)n->u.fanout);
    if (level == 0) {
        s->fanout = n->u.fanout;
        for (s->bits = 0; (1ull << s->bits) < s->fanout; s->bits++) {}
        s->padlen = (s->bits + 3) / 4; /* hex digits of fanout - 1, as boxo's maxpadlen */
    } else if (n->u.fanout != s->fanout) {
        return NODE_ERR(&n->cid, IA_ERR_FORMAT, "HAMT shard of fanout %llu under one of %llu",
                        (unsigned long long)n->u.fanout, (unsigned long long)s->fanout);
    }
    if (s->bits * (level + 1) > 64)
        return NODE_ERR(&n->cid, IA_ERR_FORMAT, "HAMT deeper than the 64 bits of its hash");
    if (!n->u.has_data || n->u.data_len > (s->fanout + 7) / 8)
        return NODE_ERR(&n->cid, IA_ERR_FORMAT, "HAMT bitfield of %zu bytes for fanout %llu", n->u.data_len,
                        (unsigned long long)s->fanout);
    return IA_OK;
}

/* Bit `slot` of the bitfield (go-bitfield's big-endian bytes, leading zero
 * bytes dropped). */
static int bit_set(const ia_unode *n, unsigned slot) {
    size_t from_end = slot / 8;
    if (from_end >= n->u.data_len) return 0;
    return (n->u.data[n->u.data_len - 1 - from_end] >> (slot % 8)) & 1;
}

static ia_status list_hamt(ia_dag_walk *w, const ia_unode *n, hamt_shape *s, int level, ia_dag_entry_fn fn, void *ctx) {
    size_t popcount = 0;
    long last = -1;
    ia_status st;
    if ((st = check_shard(n, s, level)) != IA_OK) return st;
    for (size_t i = 0; i < n->u.data_len; i++)
        for (int b = 0; b < 8; b++) popcount += (n->u.data[i] >> b) & 1;
    if (popcount != n->pb.n_links)
        return NODE_ERR(&n->cid, IA_ERR_FORMAT, "HAMT bitfield with %zu bits set but %zu links", popcount,
                        n->pb.n_links);
    for (size_t i = 0; i < n->pb.n_links; i++) {
        const ia_dagpb_link *l = &n->pb.links[i];
        unsigned slot = 0;
        ia_cid c;
        if (!l->has_name || l->name_len < (size_t)s->padlen)
            return NODE_ERR(&n->cid, IA_ERR_FORMAT, "HAMT link %zu without its slot prefix", i);
        for (int k = 0; k < s->padlen; k++) {
            int v = hexval(l->name[k]);
            if (v < 0) return NODE_ERR(&n->cid, IA_ERR_FORMAT, "HAMT link %zu: slot prefix is not upper-case hex", i);
            slot = slot << 4 | (unsigned)v;
        }
        if (slot >= s->fanout || (long)slot <= last || !bit_set(n, slot))
            return NODE_ERR(&n->cid, IA_ERR_FORMAT, "HAMT link %zu: slot %u out of range, out of order or not in "
                            "the bitfield", i, slot);
        last = (long)slot;
        s->slots[level] = slot;
        if ((st = ia_cid_from_bytes(l->hash, l->hash_len, &c)) != IA_OK) return st;
        if (l->name_len == (size_t)s->padlen) { /* a child shard */
            ia_unode child;
            if ((st = ia_dag_push(w, &c)) != IA_OK) return st;
            if ((st = ia_dag_load(w, &c, &child)) == IA_OK) {
                st = child.kind == IA_UNODE_HAMT ? list_hamt(w, &child, s, level + 1, fn, ctx)
                                                 : NODE_ERR(&c, IA_ERR_FORMAT, "under a HAMT slot, not a HAMT shard");
                ia_unode_free(&child);
            }
            ia_dag_pop(w);
            if (st != IA_OK) return st;
        } else {
            const uint8_t *name = l->name + s->padlen;
            size_t len = l->name_len - (size_t)s->padlen;
            uint64_t h;
            if ((st = check_name(&n->cid, name, len)) != IA_OK) return st;
            h = ia_hamt_hash((const char *)name, len);
            for (int k = 0; k <= level; k++)
                if (slot_at(h, s->bits, k) != s->slots[k])
                    return NODE_ERR(&n->cid, IA_ERR_FORMAT, "HAMT entry %zu is filed under a slot its name does "
                                    "not hash to", i);
            if ((st = fn(ctx, (const char *)name, len, &c)) != IA_OK) return st;
        }
    }
    return IA_OK;
}

ia_status ia_dag_list_dir(ia_dag_walk *w, const ia_unode *dir, ia_dag_entry_fn fn, void *ctx) {
    hamt_shape s;
    if (dir->kind == IA_UNODE_DIR) return list_basic(dir, fn, ctx);
    if (dir->kind != IA_UNODE_HAMT) return NODE_ERR(&dir->cid, IA_ERR_INVALID_ARG, "not a directory");
    memset(&s, 0, sizeof s);
    return list_hamt(w, dir, &s, 0, fn, ctx);
}

/* ------------------------------------------------------------- measuring */

static uint64_t sat_add(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }

typedef struct {
    ia_dag_walk *w;
    uint64_t entries, bytes;
} measure_ctx;

static ia_status measure(ia_dag_walk *w, const ia_cid *c, uint64_t *entries, uint64_t *bytes);

static ia_status measure_entry(void *ctx, const char *name, size_t len, const ia_cid *c) {
    measure_ctx *m = ctx;
    uint64_t e = 0, b = 0;
    ia_status st = measure(m->w, c, &e, &b);
    (void)name, (void)len;
    if (st != IA_OK) return st;
    m->entries = sat_add(m->entries, e);
    m->bytes = sat_add(m->bytes, b);
    if (m->entries > m->w->lim.max_entries)
        return ia_error(IA_ERR_UNSUPPORTED, "the DAG holds more than %llu files, directories and symlinks (the "
                        "limit)", (unsigned long long)m->w->lim.max_entries);
    if (m->bytes > m->w->lim.max_bytes)
        return ia_error(IA_ERR_UNSUPPORTED, "the DAG holds more than %llu bytes of files (the limit)",
                        (unsigned long long)m->w->lim.max_bytes);
    return IA_OK;
}

static ia_status measure(ia_dag_walk *w, const ia_cid *c, uint64_t *entries, uint64_t *bytes) {
    ia_cid_map_entry *e = ia_cid_map_find(&w->sizes, c);
    measure_ctx m = {w, 1, 0};
    ia_unode n;
    int added;
    ia_status st;
    if (e) {
        *entries = e->a, *bytes = e->b;
        return IA_OK;
    }
    if ((st = ia_dag_push(w, c)) != IA_OK) return st;
    if ((st = ia_dag_load(w, c, &n)) == IA_OK) {
        if (n.kind == IA_UNODE_FILE) {
            m.bytes = n.raw ? n.len : 0;
            if (!n.raw) st = check_file_node(&n, &m.bytes);
            if (st == IA_OK && m.bytes > w->lim.max_bytes)
                st = NODE_ERR(c, IA_ERR_UNSUPPORTED, "a file of %llu bytes, over the limit of %llu",
                              (unsigned long long)m.bytes, (unsigned long long)w->lim.max_bytes);
        } else if (n.kind == IA_UNODE_DIR || n.kind == IA_UNODE_HAMT) {
            st = ia_dag_list_dir(w, &n, measure_entry, &m);
        }
        ia_unode_free(&n);
    }
    ia_dag_pop(w);
    if (st != IA_OK) return st;
    if ((st = ia_cid_map_add(&w->sizes, c, &e, &added)) != IA_OK) return st;
    e->a = m.entries, e->b = m.bytes;
    *entries = m.entries, *bytes = m.bytes;
    return IA_OK;
}

ia_status ia_dag_measure(ia_dag_walk *w, const ia_cid *c, uint64_t *entries, uint64_t *bytes) {
    ia_status st = measure(w, c, entries, bytes);
    if (st == IA_OK && *entries > w->lim.max_entries)
        st = ia_error(IA_ERR_UNSUPPORTED, "the DAG holds %llu files, directories and symlinks, over the limit of %llu",
                      (unsigned long long)*entries, (unsigned long long)w->lim.max_entries);
    return st;
}
