/*
 * dag_write.c — a UnixFS DAG from the block store into the file system,
 * under a temporary name the caller then renames (see dag_read.h,
 * ia_dag_materialize).
 *
 * Everything is created inside a directory this walk made, with O_EXCL /
 * mkdir / symlink, which fail on a name that exists: a directory holding
 * one name twice is refused rather than overwritten, and nothing is ever
 * written through a symlink (names are single components and symlinks are
 * created, never followed). Symlink targets are written as they are, as
 * `ipfs get` does: they are data, not paths this code resolves.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/dag_read.h"
#include "util/error.h"

typedef struct {
    int fd;
    const char *path;
} fd_out;

static ia_status write_fd(void *ctx, const void *p, size_t n) {
    fd_out *o = ctx;
    return ia_fs_write_all(o->fd, p, n, o->path);
}

static ia_status exists_error(const char *path) {
    return ia_error(IA_ERR_FORMAT, "%s: a directory with this name twice (refused)", path);
}

/* The file node n into the open fd (path for messages), fsynced where
 * there is no syncfs (ia_dag_materialize syncs the whole tree at once). */
static ia_status write_file(ia_dag_walk *w, const ia_unode *n, int fd, const char *path) {
    fd_out o = {fd, path};
    ia_status st = ia_dag_read_file(w, n, write_fd, &o);
    if (st == IA_OK && !IA_FS_HAVE_SYNCFS) st = ia_fs_fsync(fd, path);
    return st;
}

static ia_status write_symlink(const ia_unode *n, const char *path) {
    char target[IA_FS_PATH_MAX];
    if (!n->u.has_data || n->u.data_len == 0 || n->u.data_len >= sizeof target || memchr(n->u.data, 0, n->u.data_len)) {
        char text[IA_CID_MAX_TEXT];
        if (!ia_cid_to_string(&n->cid, text, sizeof text)) text[0] = '\0';
        return ia_error(IA_ERR_FORMAT, "%s: a symlink whose target is empty, over %d bytes or holds a NUL", text,
                        IA_FS_PATH_MAX - 1);
    }
    memcpy(target, n->u.data, n->u.data_len);
    target[n->u.data_len] = '\0';
    if (symlink(target, path) != 0)
        return errno == EEXIST ? exists_error(path) : ia_error(IA_ERR_IO, "%s: symlink: %s", path, strerror(errno));
    return IA_OK;
}

typedef struct {
    ia_dag_walk *w;
    char *path; /* IA_FS_PATH_MAX bytes; the directory's path, extended per entry */
    size_t len;
} dir_ctx;

static ia_status write_dir_entries(ia_dag_walk *w, const ia_unode *n, char *path, size_t len);

/* One entry at path (which does not exist yet). */
static ia_status write_entry(ia_dag_walk *w, char *path, size_t len, const ia_cid *c) {
    ia_unode n;
    ia_status st;
    if (++w->entries > w->lim.max_entries)
        return ia_error(IA_ERR_UNSUPPORTED, "%s: more than %llu files, directories and symlinks (the limit)", path,
                        (unsigned long long)w->lim.max_entries);
    if ((st = ia_dag_push(w, c)) != IA_OK) return st;
    if ((st = ia_dag_load(w, c, &n)) != IA_OK) {
        ia_dag_pop(w);
        return st;
    }
    if (n.kind == IA_UNODE_FILE) {
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0644);
        if (fd < 0) {
            st = errno == EEXIST ? exists_error(path) : ia_error(IA_ERR_IO, "%s: %s", path, strerror(errno));
        } else {
            st = write_file(w, &n, fd, path);
            if (close(fd) != 0 && st == IA_OK) st = ia_error(IA_ERR_IO, "%s: close: %s", path, strerror(errno));
        }
    } else if (n.kind == IA_UNODE_SYMLINK) {
        st = write_symlink(&n, path);
    } else if (mkdir(path, 0755) != 0) {
        st = errno == EEXIST ? exists_error(path) : ia_error(IA_ERR_IO, "%s: mkdir: %s", path, strerror(errno));
    } else {
        st = write_dir_entries(w, &n, path, len);
    }
    ia_unode_free(&n);
    ia_dag_pop(w);
    return st;
}

static ia_status on_entry(void *ctx, const char *name, size_t nlen, const ia_cid *c) {
    dir_ctx *d = ctx;
    ia_status st;
    if (d->len + 1 + nlen >= IA_FS_PATH_MAX)
        return ia_error(IA_ERR_UNSUPPORTED, "%s/%.*s: path longer than %d bytes", d->path, (int)nlen, name,
                        IA_FS_PATH_MAX - 1);
    d->path[d->len] = '/';
    memcpy(d->path + d->len + 1, name, nlen);
    d->path[d->len + 1 + nlen] = '\0';
    st = write_entry(d->w, d->path, d->len + 1 + nlen, c);
    d->path[d->len] = '\0';
    return st;
}

/* The entries of directory n into the existing directory path, which is
 * then fsynced where there is no syncfs (its entries' names are durable
 * before the final rename). */
static ia_status write_dir_entries(ia_dag_walk *w, const ia_unode *n, char *path, size_t len) {
    dir_ctx d = {w, path, len};
    ia_status st = ia_dag_list_dir(w, n, on_entry, &d);
    if (st == IA_OK && !IA_FS_HAVE_SYNCFS) st = ia_fs_fsync_dir(path);
    return st;
}

ia_status ia_dag_materialize(ia_dag_walk *w, const ia_cid *c, const char *parent_dir, const char *prefix,
                             char *tmp_out, size_t cap, int *kind) {
    char prefix_dot[128], path[IA_FS_PATH_MAX];
    ia_unode n;
    int fd = -1;
    ia_status st;
    uint64_t entries = 0, bytes = 0;
    tmp_out[0] = '\0';
    snprintf(prefix_dot, sizeof prefix_dot, ".%s", prefix);
    /* the whole DAG within the limits before the first byte is written */
    if ((st = ia_dag_measure(w, c, &entries, &bytes)) != IA_OK) return st;
    if ((st = ia_dag_push(w, c)) != IA_OK) return st;
    if ((st = ia_dag_load(w, c, &n)) != IA_OK) {
        ia_dag_pop(w);
        return st;
    }
    w->entries++;
    *kind = n.kind;
    if ((st = ia_fs_temp(parent_dir, prefix_dot, n.kind == IA_UNODE_DIR || n.kind == IA_UNODE_HAMT, path,
                         sizeof path, &fd)) != IA_OK)
        goto done;
    if (n.kind == IA_UNODE_FILE) {
        st = write_file(w, &n, fd, path);
        if (close(fd) != 0 && st == IA_OK) st = ia_error(IA_ERR_IO, "%s: close: %s", path, strerror(errno));
    } else if (n.kind == IA_UNODE_SYMLINK) {
        /* the name was reserved as a file: the symlink takes its place */
        close(fd);
        unlink(path);
        st = write_symlink(&n, path);
    } else {
        st = write_dir_entries(w, &n, path, strlen(path));
    }
    if (st == IA_OK && IA_FS_HAVE_SYNCFS) { /* every file and name written, durable in one call */
        int done;
        st = ia_fs_syncfs(path, &done);
    }
    if (st != IA_OK) {
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", ia_last_error());
        ia_fs_remove_tree(path);
        (void)ia_error(st, "%s", msg);
        goto done;
    }
    if (snprintf(tmp_out, cap, "%s", path) >= (int)cap) {
        ia_fs_remove_tree(path);
        st = ia_error(IA_ERR_INVALID_ARG, "%s: path too long", path);
    }
done:
    ia_unode_free(&n);
    ia_dag_pop(w);
    return st;
}
