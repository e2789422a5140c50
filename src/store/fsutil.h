/*
 * fsutil.h — the file-system steps the block store and the DAG writer are
 * made of: whole writes, temporary names that never collide, fsync of a
 * file and of a directory (so a rename that made it visible survives a
 * crash), mkdir -p, and removing a tree without following symlinks.
 *
 * Temporary names are made here rather than by mkstemp/mkdtemp because
 * WASI has neither (the portable core compiles for wasm32-wasi): a name
 * from the clock, the process, a counter and an address, opened with
 * O_EXCL and tried again on EEXIST.
 */
#ifndef IA_STORE_FSUTIL_H
#define IA_STORE_FSUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ipfs_accelerate.h"

/* Paths the store builds stay under this (a block's path is ~80 bytes
 * past the store's directory). */
#define IA_FS_PATH_MAX 4096

/* snprintf into a char array, true when the text did not fit (or failed):
 * `if (IA_FS_TRUNCATED(path, "%s/%s", dir, name)) return ...`. */
#define IA_FS_TRUNCATED(buf, ...)                                              \
    ((size_t)snprintf((buf), sizeof(buf), __VA_ARGS__) >= sizeof(buf))

/* write() until all n bytes are written (EINTR retried). what names the
 * file in the error. */
ia_status ia_fs_write_all(int fd, const void *p, size_t n, const char *what);

/* fsync of an open file; of a directory by its path (a no-op where the
 * platform cannot open directories for it). */
ia_status ia_fs_fsync(int fd, const char *what);
ia_status ia_fs_fsync_dir(const char *path);

/* Linux's syncfs(): everything written to path's file system made durable
 * in one call, instead of an fsync per file — what the DAG writer and a
 * CAR import's commit use for thousands of small files. *done = 0 where
 * the platform has no syncfs (then the caller fsyncs each file). */
ia_status ia_fs_syncfs(const char *path, int *done);
#if defined(__linux__)
#define IA_FS_HAVE_SYNCFS 1
#else
#define IA_FS_HAVE_SYNCFS 0
#endif

/* mkdir -p path (mode 0755); existing directories are fine. */
ia_status ia_fs_mkdirs(const char *path);

/* A new name "<dir>/<prefix><unique>" into out (cap bytes). With
 * make_dir, a directory is created there; else a file opened O_RDWR |
 * O_CREAT | O_EXCL (mode 0644) and its descriptor in *fd. */
ia_status ia_fs_temp(const char *dir, const char *prefix, int make_dir, char *out, size_t cap, int *fd);

/* rm -rf path: symlinks are removed, never followed. A path that does not
 * exist is fine. Best effort: the first error is returned, the rest of the
 * tree still removed. */
ia_status ia_fs_remove_tree(const char *path);

/* 1 when path exists (lstat: a dangling symlink exists). */
int ia_fs_exists(const char *path);

/* Bytes free for this user on path's file system; 0 when the platform
 * cannot say (wasm32), which callers read as "no limit known". */
uint64_t ia_fs_free_bytes(const char *path);

#endif
