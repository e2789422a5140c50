/*
 * get.c — the public DAG readers: ia_unixfs_get (materialise at a path,
 * atomically) and ia_unixfs_cat (a file's bytes through a callback); and
 * models by CID (model_cid.h): a DAG materialised once under the model
 * cache.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/dag_read.h"
#include "store/model_cid.h"
#include "util/error.h"
#include "util/struct_size.h"

void ia_unixfs_get_options_init(ia_unixfs_get_options *o, size_t struct_size) {
    ia_unixfs_get_options d;
    memset(&d, 0, sizeof d);
    d.struct_size = sizeof d;
    ia_struct_export(o, struct_size, &d, sizeof d);
}

static ia_status limits_from(const ia_unixfs_get_options *opt, ia_dag_limits *lim) {
    ia_unixfs_get_options o;
    ia_status st;
    IA_UNIXFS_GET_OPTIONS_INIT(&o);
    if (opt && (st = ia_struct_import(&o, sizeof o, opt, "IA_UNIXFS_GET_OPTIONS_INIT")) != IA_OK) return st;
    if (o.max_depth < 0) return ia_error(IA_ERR_INVALID_ARG, "max_depth must be >= 0");
    memset(lim, 0, sizeof *lim);
    lim->max_bytes = o.max_bytes;
    lim->max_entries = o.max_entries;
    lim->max_blocks = o.max_blocks;
    lim->max_depth = o.max_depth;
    return IA_OK;
}

/* The directory part of path ("." when there is none). */
static void parent_of(const char *path, char *out, size_t cap) {
    const char *slash = strrchr(path, '/');
    if (!slash) snprintf(out, cap, ".");
    else if (slash == path) snprintf(out, cap, "/");
    else snprintf(out, cap, "%.*s", (int)(slash - path), path);
}

/* Materialises c beside final (in final's directory, which is created),
 * then renames it to final. *kind gets the root's kind. On a lost race
 * (final appeared meanwhile as a directory) the result is final as found. */
static ia_status materialize_at(ia_blockstore *bs, const ia_cid *c, const char *final, ia_dag_limits lim, int *kind) {
    char parent[IA_FS_PATH_MAX], tmp[IA_FS_PATH_MAX];
    ia_dag_walk w;
    ia_status st;
    parent_of(final, parent, sizeof parent);
    if ((st = ia_fs_mkdirs(parent)) != IA_OK) return st;
    if (!lim.max_bytes) lim.max_bytes = ia_fs_free_bytes(parent);
    if ((st = ia_dag_walk_init(&w, bs, &lim)) != IA_OK) return st;
    st = ia_dag_materialize(&w, c, parent, "ia-get-", tmp, sizeof tmp, kind);
    ia_dag_walk_free(&w);
    if (st != IA_OK) return st;
    if (rename(tmp, final) != 0) {
        int e = errno;
        struct stat sb;
        ia_fs_remove_tree(tmp);
        if ((e == EEXIST || e == ENOTEMPTY) && stat(final, &sb) == 0 && S_ISDIR(sb.st_mode)) return IA_OK;
        return ia_error(IA_ERR_IO, "%s: rename: %s", final, strerror(e));
    }
    return ia_fs_fsync_dir(parent);
}

ia_status ia_unixfs_get(ia_blockstore *bs, const char *cid, const char *dest, const ia_unixfs_get_options *o) {
    char path[IA_FS_PATH_MAX];
    ia_dag_limits lim;
    ia_cid c;
    size_t len;
    int kind;
    ia_status st;
    if (!bs || !cid || !dest || !*dest) return ia_error(IA_ERR_INVALID_ARG, "ia_unixfs_get: no store, CID or destination");
    if ((st = ia_cid_parse(cid, &c)) != IA_OK) return st;
    if ((st = limits_from(o, &lim)) != IA_OK) return st;
    if ((len = strlen(dest)) >= sizeof path - 64) return ia_error(IA_ERR_INVALID_ARG, "%s: path too long", dest);
    memcpy(path, dest, len + 1);
    while (len > 1 && path[len - 1] == '/') path[--len] = '\0';
    if (ia_fs_exists(path)) return ia_error(IA_ERR_INVALID_ARG, "%s exists (get writes a new path only)", path);
    return materialize_at(bs, &c, path, lim, &kind);
}

ia_status ia_unixfs_cat(ia_blockstore *bs, const char *cid, const ia_unixfs_get_options *o, ia_write_fn fn,
                        void *ctx) {
    ia_dag_limits lim;
    ia_dag_walk w;
    ia_unode n;
    ia_cid c;
    ia_status st;
    if (!bs || !cid || !fn) return ia_error(IA_ERR_INVALID_ARG, "ia_unixfs_cat: no store, CID or write function");
    if ((st = ia_cid_parse(cid, &c)) != IA_OK) return st;
    if ((st = limits_from(o, &lim)) != IA_OK) return st;
    if ((st = ia_dag_walk_init(&w, bs, &lim)) != IA_OK) return st;
    if ((st = ia_dag_push(&w, &c)) == IA_OK && (st = ia_dag_load(&w, &c, &n)) == IA_OK) {
        st = n.kind == IA_UNODE_FILE ? ia_dag_read_file(&w, &n, fn, ctx)
                                     : ia_error(IA_ERR_INVALID_ARG, "%s is a %s, not a file (use get)", cid,
                                                n.kind == IA_UNODE_SYMLINK ? "symlink" : "directory");
        ia_unode_free(&n);
    }
    ia_dag_walk_free(&w);
    return st;
}

/* ------------------------------------------------------------ models */

const char *ia_store_cid_ref(const char *ref) {
    ia_cid c;
    const char *s = ref;
    if (!ref) return NULL;
    if (strncmp(s, "/ipfs/", 6) == 0) s += 6;
    else if (strncmp(s, "ipfs://", 7) == 0) s += 7;
    if (!*s || strchr(s, '/')) return NULL;
    if (ia_cid_parse(s, &c) != IA_OK) {
        ia_error_clear();
        return NULL;
    }
    return s;
}

/* Collects a file's first bytes, then stops the read (the sentinel
 * status tells the caller it was this, not a failure). */
typedef struct {
    uint8_t head[4];
    size_t n;
} head_ctx;

static ia_status collect_head(void *ctx, const void *p, size_t n) {
    head_ctx *h = ctx;
    size_t k = n < sizeof h->head - h->n ? n : sizeof h->head - h->n;
    memcpy(h->head + h->n, p, k);
    h->n += k;
    return h->n == sizeof h->head ? IA_ERR_INTERNAL : IA_OK;
}

/* The root's kind and, for a file, whether it starts with "GGUF" — read
 * through the first leaf only. */
static ia_status peek_root(ia_blockstore *bs, const ia_cid *c, int *kind, int *gguf) {
    ia_dag_limits lim;
    ia_dag_walk w;
    ia_unode n;
    head_ctx h;
    ia_status st;
    memset(&lim, 0, sizeof lim);
    memset(&h, 0, sizeof h);
    *gguf = 0;
    if ((st = ia_dag_walk_init(&w, bs, &lim)) != IA_OK) return st;
    if ((st = ia_dag_push(&w, c)) == IA_OK && (st = ia_dag_load(&w, c, &n)) == IA_OK) {
        *kind = n.kind;
        if (n.kind == IA_UNODE_FILE) {
            st = ia_dag_read_file(&w, &n, collect_head, &h);
            if (h.n == sizeof h.head && st == IA_ERR_INTERNAL) st = IA_OK, ia_error_clear();
            *gguf = st == IA_OK && h.n == 4 && memcmp(h.head, "GGUF", 4) == 0;
        }
        ia_unode_free(&n);
    }
    ia_dag_walk_free(&w);
    return st;
}

ia_status ia_store_model_path(const char *ref, const char *model_cache, char *buf, size_t cap) {
    char v1[IA_CID_MAX_TEXT], final[IA_FS_PATH_MAX], by[IA_FS_PATH_MAX];
    const char *text = ia_store_cid_ref(ref);
    ia_blockstore *bs = NULL;
    ia_dag_limits lim;
    ia_cid c;
    struct stat sb;
    int kind = 0, gguf = 0, n;
    ia_status st;
    if (!text || ia_cid_parse(text, &c) != IA_OK) return ia_error(IA_ERR_INVALID_ARG, "model %s: not a CID", ref);
    /* one name per DAG: the CIDv1 (a v0 CID is the same dag-pb block) */
    c.version = 1;
    if (!ia_cid_to_string(&c, v1, sizeof v1)) return ia_error(IA_ERR_INVALID_ARG, "model %s: CID text", ref);
    snprintf(by, sizeof by, "%s/by-cid", model_cache);
    /* materialised before: verified then, used as it is */
    if ((n = snprintf(final, sizeof final, "%s/%s", by, v1)) > 0 && (size_t)n < sizeof final && stat(final, &sb) == 0 &&
        S_ISDIR(sb.st_mode))
        goto found;
    if ((n = snprintf(final, sizeof final, "%s/%s.gguf", by, v1)) > 0 && (size_t)n < sizeof final &&
        stat(final, &sb) == 0 && S_ISREG(sb.st_mode))
        goto found;
    if ((size_t)n >= sizeof final) return ia_error(IA_ERR_INVALID_ARG, "model cache path too long");
    if ((st = ia_blockstore_open(NULL, &bs)) != IA_OK) return ia_error_prefix(st, "model %s", ref);
    if ((st = peek_root(bs, &c, &kind, &gguf)) != IA_OK) goto fail;
    if (kind == IA_UNODE_SYMLINK || (kind == IA_UNODE_FILE && !gguf)) {
        st = ia_error(IA_ERR_UNSUPPORTED, "%s a %s: a model by CID is a directory (config.json, the weights, "
                      "tokenizer.json) or a GGUF file", text, kind == IA_UNODE_SYMLINK ? "is a symlink, not" :
                      "is a file that is not GGUF, not");
        goto fail;
    }
    snprintf(final, sizeof final, kind == IA_UNODE_FILE ? "%s/%s.gguf" : "%s/%s", by, v1);
    memset(&lim, 0, sizeof lim);
    if ((st = materialize_at(bs, &c, final, lim, &kind)) != IA_OK) goto fail;
    ia_blockstore_close(bs);
found:
    if ((n = snprintf(buf, cap, "%s", final)) < 0 || (size_t)n >= cap)
        return ia_error(IA_ERR_INVALID_ARG, "model path too long");
    return IA_OK;
fail:
    ia_blockstore_close(bs);
    return ia_error_prefix(st, "model %s", ref);
}
