/*
 * walk.c — the recursive add of a path in kubo's order (see walk.h).
 *
 * Files are read with read() in chunk-sized pieces (file_import.c), so a
 * file of any size costs one chunk of memory. A directory keeps only its
 * own entries (name, CID, size) until it is written; the recursion is as
 * deep as the tree, and every path is checked against IA_WALK_MAX_PATH.
 */
#include "store/walk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats/dagpb.h"
#include "formats/protobuf.h"
#include "formats/unixfs_pb.h"
#include "store/dir.h"
#include "store/hamt.h"
#include "util/error.h"

#define IA_WALK_MAX_PATH 4096

struct ia_walk_dir_event {
    char *path;
    ia_block_ref ref;
};

typedef struct {
    int fd;
    const char *path;
} fd_reader;

static ia_status read_fd(void *ctx, uint8_t *buf, size_t want, size_t *got) {
    fd_reader *r = ctx;
    for (;;) {
        ssize_t n = read(r->fd, buf, want);
        if (n >= 0) {
            *got = (size_t)n;
            return IA_OK;
        }
        if (errno != EINTR) return ia_error(IA_ERR_IO, "%s: read: %s", r->path, strerror(errno));
    }
}

static ia_status report(ia_walk *w, const char *path, const ia_block_ref *ref) {
    char cid[IA_CID_TEXT_MAX];
    ia_status st;
    if (!w->on_entry) return IA_OK;
    if ((st = ia_block_ref_string(ref, cid, sizeof cid)) != IA_OK) return st;
    return w->on_entry(w->entry_ctx, path, cid, ref->tsize);
}

static ia_status add_file(ia_walk *w, const char *fs_path, const char *shown, uint64_t size, ia_block_ref *out) {
    fd_reader r = {-1, fs_path};
    ia_dag_link root;
    ia_status st;
    if ((r.fd = open(fs_path, O_RDONLY)) < 0) return ia_error(IA_ERR_IO, "%s: %s", fs_path, strerror(errno));
#if defined(POSIX_FADV_SEQUENTIAL) && !defined(__wasi__)
    posix_fadvise(r.fd, 0, 0, POSIX_FADV_SEQUENTIAL); /* a hint: read ahead, the file is read once */
#endif
    st = ia_file_import(&w->fi, read_fd, &r, size, shown, &root);
    close(r.fd);
    if (st != IA_OK) return st;
    *out = root.ref;
    return report(w, shown, out);
}

/* UnixFS symlink: PBNode { Data = UnixFS { Type Symlink, Data = target } }
 * (boxo unixfs.SymlinkData: no filesize). */
static ia_status add_symlink(ia_walk *w, const char *fs_path, const char *shown, ia_block_ref *out) {
    char target[IA_WALK_MAX_PATH];
    uint8_t block[IA_WALK_MAX_PATH + 32];
    ia_unixfs_data u;
    size_t inner, n = 0;
    ssize_t len = readlink(fs_path, target, sizeof target);
    ia_status st;
    if (len < 0) return ia_error(IA_ERR_IO, "%s: readlink: %s", fs_path, strerror(errno));
    if ((size_t)len >= sizeof target) return ia_error(IA_ERR_UNSUPPORTED, "%s: symlink target over %d bytes", fs_path, IA_WALK_MAX_PATH);
    memset(&u, 0, sizeof u);
    u.type = IA_UNIXFS_SYMLINK;
    u.data = (const uint8_t *)target, u.data_len = (size_t)len, u.has_data = 1;
    inner = ia_unixfs_size(&u);
    n += ia_pb_put_len_prefix(block, 1, inner);
    n += ia_unixfs_encode(&u, block + n);
    if ((st = ia_block_put(&w->sink, w->p.cid_version, IA_CODEC_DAG_PB, block, n, out)) != IA_OK) return st;
    return report(w, shown, out);
}

static int by_strcmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The names in dir, sorted by byte (Go's os.ReadDir order), without "."
 * and "..", and without hidden names unless asked. Caller frees. */
static ia_status list_dir(const char *path, int hidden, char ***out, size_t *n_out) {
    DIR *d = opendir(path);
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    if (!d) return ia_error(IA_ERR_IO, "%s: %s", path, strerror(errno));
    errno = 0;
    while ((de = readdir(d)) != NULL) {
        const char *nm = de->d_name;
        if (strcmp(nm, ".") == 0 || strcmp(nm, "..") == 0) continue;
        if (nm[0] == '.' && !hidden) continue; /* boxo files.isHidden */
        if (n == cap) {
            char **nn = realloc(names, (cap = cap ? cap * 2 : 32) * sizeof *nn);
            if (!nn) goto nomem;
            names = nn;
        }
        if (!(names[n] = strdup(nm))) goto nomem;
        n++;
        errno = 0;
    }
    if (errno) {
        ia_status st = ia_error(IA_ERR_IO, "%s: readdir: %s", path, strerror(errno));
        closedir(d);
        for (size_t i = 0; i < n; i++) free(names[i]);
        free(names);
        return st;
    }
    closedir(d);
    if (n) qsort(names, n, sizeof *names, by_strcmp);
    *out = names, *n_out = n;
    return IA_OK;
nomem:
    closedir(d);
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    return ia_error(IA_ERR_NOMEM, "%s: listing", path);
}

static ia_status add_any(ia_walk *w, const char *fs_path, const char *shown, ia_block_ref *out);

typedef struct {
    uint64_t hash;
    size_t child;
} hash_order;

static int by_hash_order(const void *a, const void *b) {
    const hash_order *x = a, *y = b;
    return x->hash < y->hash ? -1 : x->hash > y->hash;
}

/* Kubo lists a HAMT directory's children in the shard's order (hash
 * order), not by name, when it reports the directories under it: the
 * events of child i, w->dirs[start[i] .. start[i + 1]), are put in the
 * order of the children's hashes. */
static ia_status hamt_order_events(ia_walk *w, char **names, size_t n, const size_t *start) {
    size_t total = start[n] - start[0], o = 0;
    hash_order *ord;
    struct ia_walk_dir_event *tmp;
    if (total < 2) return IA_OK;
    ord = malloc(n * sizeof *ord);
    tmp = malloc(total * sizeof *tmp);
    if (!ord || !tmp) {
        free(ord);
        free(tmp);
        return ia_error(IA_ERR_NOMEM, "unixfs: directory events");
    }
    for (size_t i = 0; i < n; i++) ord[i].hash = ia_hamt_hash(names[i], strlen(names[i])), ord[i].child = i;
    qsort(ord, n, sizeof *ord, by_hash_order);
    for (size_t k = 0; k < n; k++) {
        size_t i = ord[k].child, m = start[i + 1] - start[i];
        memcpy(tmp + o, w->dirs + start[i], m * sizeof *tmp);
        o += m;
    }
    memcpy(w->dirs + start[0], tmp, total * sizeof *tmp);
    free(ord);
    free(tmp);
    return IA_OK;
}

static ia_status add_dir(ia_walk *w, const char *fs_path, const char *shown, ia_block_ref *out) {
    char **names = NULL;
    size_t n = 0, fs_len = strlen(fs_path), sh_len = strlen(shown);
    char *child_fs = NULL, *child_shown = NULL;
    size_t *start = NULL; /* where each child's directory events begin */
    ia_dir dir = {0};
    int sharded = 0;
    ia_status st;
    if ((st = list_dir(fs_path, w->p.hidden, &names, &n)) != IA_OK) return st;
    child_fs = malloc(IA_WALK_MAX_PATH);
    child_shown = malloc(IA_WALK_MAX_PATH);
    start = malloc((n + 1) * sizeof *start);
    if (!child_fs || !child_shown || !start) {
        st = ia_error(IA_ERR_NOMEM, "%s: paths", fs_path);
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        ia_block_ref ref;
        size_t nl = strlen(names[i]);
        if (fs_len + 1 + nl >= IA_WALK_MAX_PATH || sh_len + 1 + nl >= IA_WALK_MAX_PATH) {
            st = ia_error(IA_ERR_UNSUPPORTED, "%s/%s: path longer than %d bytes", fs_path, names[i], IA_WALK_MAX_PATH);
            goto done;
        }
        memcpy(child_fs, fs_path, fs_len);
        child_fs[fs_len] = '/';
        memcpy(child_fs + fs_len + 1, names[i], nl + 1);
        memcpy(child_shown, shown, sh_len);
        child_shown[sh_len] = '/';
        memcpy(child_shown + sh_len + 1, names[i], nl + 1);
        start[i] = w->n_dirs;
        if ((st = add_any(w, child_fs, child_shown, &ref)) != IA_OK) goto done;
        if ((st = ia_dir_add(&dir, names[i], &ref)) != IA_OK) goto done;
    }
    start[n] = w->n_dirs;
    if ((st = ia_dir_finish(&dir, &w->p, &w->sink, out, &sharded)) != IA_OK) goto done;
    if (sharded && (st = hamt_order_events(w, names, n, start)) != IA_OK) goto done;
    /* reported after the whole walk, in the order directories finish */
    if (w->n_dirs == w->cap_dirs) {
        size_t cap = w->cap_dirs ? w->cap_dirs * 2 : 16;
        struct ia_walk_dir_event *nd = realloc(w->dirs, cap * sizeof *nd);
        if (!nd) {
            st = ia_error(IA_ERR_NOMEM, "%s: directory list", fs_path);
            goto done;
        }
        w->dirs = nd, w->cap_dirs = cap;
    }
    if (!(w->dirs[w->n_dirs].path = strdup(shown))) {
        st = ia_error(IA_ERR_NOMEM, "%s: directory list", fs_path);
        goto done;
    }
    w->dirs[w->n_dirs++].ref = *out;
done:
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    free(child_fs);
    free(child_shown);
    free(start);
    ia_dir_free(&dir);
    return st;
}

static ia_status add_any(ia_walk *w, const char *fs_path, const char *shown, ia_block_ref *out) {
    struct stat sb;
    if (lstat(fs_path, &sb) != 0)
        return ia_error(errno == ENOENT ? IA_ERR_NOT_FOUND : IA_ERR_IO, "%s: %s", fs_path, strerror(errno));
    if (S_ISREG(sb.st_mode)) return add_file(w, fs_path, shown, (uint64_t)sb.st_size, out);
    if (S_ISDIR(sb.st_mode)) return add_dir(w, fs_path, shown, out);
    if (S_ISLNK(sb.st_mode)) return add_symlink(w, fs_path, shown, out);
    return ia_error(IA_ERR_UNSUPPORTED, "%s: not a file, directory or symlink (a device, socket or FIFO)", fs_path);
}

ia_status ia_walk_add(ia_walk *w, const char *path, ia_block_ref *root) {
    char shown[IA_WALK_MAX_PATH], fs[IA_WALK_MAX_PATH];
    size_t len = strlen(path);
    const char *base;
    ia_status st;
    if (len == 0) return ia_error(IA_ERR_INVALID_ARG, "unixfs: empty path");
    if (len >= sizeof fs) return ia_error(IA_ERR_UNSUPPORTED, "unixfs: path longer than %d bytes", IA_WALK_MAX_PATH);
    /* trailing slashes go ("dir/" is "dir"), but "/" stays "/" */
    memcpy(fs, path, len + 1);
    while (len > 1 && fs[len - 1] == '/') fs[--len] = '\0';
    /* shown as its last component, as `ipfs add` names what it adds */
    base = strrchr(fs, '/');
    base = base && base[1] ? base + 1 : fs;
    memcpy(shown, base, strlen(base) + 1);
    if ((st = add_any(w, fs, shown, root)) != IA_OK) return st;
    for (size_t i = 0; i < w->n_dirs; i++)
        if ((st = report(w, w->dirs[i].path, &w->dirs[i].ref)) != IA_OK) return st;
    return IA_OK;
}

void ia_walk_free(ia_walk *w) {
    if (!w) return;
    for (size_t i = 0; i < w->n_dirs; i++) free(w->dirs[i].path);
    free(w->dirs);
    w->dirs = NULL;
    w->n_dirs = w->cap_dirs = 0;
    ia_file_importer_free(&w->fi);
}
