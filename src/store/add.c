/*
 * add.c — the public UnixFS add (ia_unixfs_add_path, ia_unixfs_add_bytes):
 * options resolved into parameters, a walk or one buffer, the root's CID
 * as text.
 */
#include <string.h>

#include "store/walk.h"
#include "util/error.h"
#include "util/sha256_blocks.h"

static ia_status start(ia_walk *w, const ia_unixfs_options *opt, char *cid_out, size_t cap) {
    ia_unixfs_options o;
    ia_status st;
    memset(w, 0, sizeof *w);
    if (!cid_out || cap == 0) return ia_error(IA_ERR_INVALID_ARG, "unixfs: no room for the CID");
    cid_out[0] = '\0';
    if ((st = ia_unixfs_params_resolve(opt, &w->p, &o)) != IA_OK) return st;
    w->sink.fn = o.on_block, w->sink.ctx = o.block_ctx;
    w->on_entry = o.on_entry, w->entry_ctx = o.entry_ctx;
    return ia_file_importer_init(&w->fi, &w->p, &w->sink, o.on_progress, o.progress_ctx);
}

ia_status ia_unixfs_add_path(const char *path, const ia_unixfs_options *opt, char *cid_out, size_t cap) {
    ia_walk w;
    ia_block_ref root;
    ia_status st;
    if (!path) return ia_error(IA_ERR_INVALID_ARG, "unixfs: no path");
    if ((st = start(&w, opt, cid_out, cap)) == IA_OK && (st = ia_walk_add(&w, path, &root)) == IA_OK)
        st = ia_block_ref_string(&root, cid_out, cap);
    ia_walk_free(&w);
    return st;
}

typedef struct {
    const uint8_t *p;
    size_t left;
} mem_reader;

static ia_status read_mem(void *ctx, uint8_t *buf, size_t want, size_t *got) {
    mem_reader *r = ctx;
    size_t n = want < r->left ? want : r->left;
    if (n) memcpy(buf, r->p, n);
    r->p += n, r->left -= n;
    *got = n;
    return IA_OK;
}

ia_status ia_unixfs_add_bytes(const void *data, size_t n, const ia_unixfs_options *opt, char *cid_out, size_t cap) {
    ia_walk w;
    ia_dag_link root;
    mem_reader r = {data, n};
    ia_status st;
    if (!data && n) return ia_error(IA_ERR_INVALID_ARG, "unixfs: no data");
    if ((st = start(&w, opt, cid_out, cap)) == IA_OK && (st = ia_file_import(&w.fi, read_mem, &r, n, "", &root)) == IA_OK &&
        (st = ia_block_ref_string(&root.ref, cid_out, cap)) == IA_OK && w.on_entry)
        st = w.on_entry(w.entry_ctx, "", cid_out, root.ref.tsize);
    ia_walk_free(&w);
    return st;
}

const char *ia_sha256_implementation(void) { return ia_sha256_impl(); }
