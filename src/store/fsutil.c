/*
 * fsutil.c — whole writes, fsync, temporary names, mkdir -p, rm -rf (see
 * fsutil.h).
 */
#include "store/fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#if !defined(__wasi__)
#include <sys/statvfs.h>
#endif

#include "util/error.h"

ia_status ia_fs_write_all(int fd, const void *p, size_t n, const char *what) {
    const uint8_t *b = p;
    while (n) {
        ssize_t w = write(fd, b, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return ia_error(IA_ERR_IO, "%s: write: %s", what, strerror(errno));
        }
        b += w, n -= (size_t)w;
    }
    return IA_OK;
}

ia_status ia_fs_fsync(int fd, const char *what) {
    while (fsync(fd) != 0) {
        if (errno == EINTR) continue;
        /* a file system that cannot sync (some FUSE and tmpfs setups) has
         * nothing more durable to offer: not an error */
        if (errno == EINVAL || errno == ENOTSUP) return IA_OK;
        return ia_error(IA_ERR_IO, "%s: fsync: %s", what, strerror(errno));
    }
    return IA_OK;
}

ia_status ia_fs_fsync_dir(const char *path) {
#if defined(__wasi__)
    (void)path;
    return IA_OK;
#else
    ia_status st;
    int fd = open(path, O_RDONLY | O_DIRECTORY);
    if (fd < 0) return ia_error(IA_ERR_IO, "%s: %s", path, strerror(errno));
    st = ia_fs_fsync(fd, path);
    close(fd);
    return st;
#endif
}

#if defined(__linux__)
int syncfs(int fd); /* <unistd.h> declares it for _GNU_SOURCE only; glibc and musl have it */
#endif

ia_status ia_fs_syncfs(const char *path, int *done) {
    *done = 0;
#if defined(__linux__)
    {
        int fd = open(path, O_RDONLY), r;
        if (fd < 0) return ia_error(IA_ERR_IO, "%s: %s", path, strerror(errno));
        r = syncfs(fd);
        close(fd);
        if (r != 0) return ia_error(IA_ERR_IO, "%s: syncfs: %s", path, strerror(errno));
        *done = 1;
    }
#else
    (void)path;
#endif
    return IA_OK;
}

ia_status ia_fs_mkdirs(const char *path) {
    char p[IA_FS_PATH_MAX];
    size_t len = strlen(path);
    struct stat sb;
    if (len == 0 || len >= sizeof p) return ia_error(IA_ERR_INVALID_ARG, "directory path of %zu bytes", len);
    memcpy(p, path, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (p[i] != '/' && p[i] != '\0') continue;
        p[i] = '\0';
        if (mkdir(p, 0755) != 0 && errno != EEXIST) return ia_error(IA_ERR_IO, "%s: mkdir: %s", p, strerror(errno));
        p[i] = i < len ? '/' : '\0';
    }
    if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode)) return ia_error(IA_ERR_IO, "%s: not a directory", path);
    return IA_OK;
}

/* A 64-bit value that differs across calls, processes and runs: the
 * clock, the process id where there is one, an address (ASLR) and a
 * counter, mixed (splitmix64's finaliser). Uniqueness comes from O_EXCL;
 * this only makes collisions rare. */
static uint64_t unique_bits(void) {
    static atomic_uint_fast64_t counter;
    struct timespec ts;
    uint64_t x;
    clock_gettime(CLOCK_REALTIME, &ts);
    x = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    x ^= (uint64_t)(uintptr_t)&ts * 0x9e3779b97f4a7c15u;
    x += atomic_fetch_add(&counter, 1) * 0xbf58476d1ce4e5b9u;
#if !defined(__wasi__)
    x ^= (uint64_t)getpid() << 40;
#endif
    x ^= x >> 30, x *= 0xbf58476d1ce4e5b9u;
    x ^= x >> 27, x *= 0x94d049bb133111ebu;
    return x ^ (x >> 31);
}

ia_status ia_fs_temp(const char *dir, const char *prefix, int make_dir, char *out, size_t cap, int *fd) {
    for (int attempt = 0; attempt < 100; attempt++) {
        int n = snprintf(out, cap, "%s/%s%016llx", dir, prefix, (unsigned long long)unique_bits());
        if (n < 0 || (size_t)n >= cap) return ia_error(IA_ERR_INVALID_ARG, "%s: path too long", dir);
        if (make_dir) {
            if (mkdir(out, 0755) == 0) return IA_OK;
        } else {
            int f = open(out, O_RDWR | O_CREAT | O_EXCL, 0644);
            if (f >= 0) {
                *fd = f;
                return IA_OK;
            }
        }
        if (errno != EEXIST) return ia_error(IA_ERR_IO, "%s: %s", out, strerror(errno));
    }
    return ia_error(IA_ERR_IO, "%s: no free temporary name after 100 tries", dir);
}

int ia_fs_exists(const char *path) {
    struct stat sb;
    return lstat(path, &sb) == 0;
}

ia_status ia_fs_remove_tree(const char *path) {
    struct stat sb;
    ia_status st = IA_OK;
    DIR *d;
    struct dirent *de;
    size_t len = strlen(path);
    char *child;
    if (lstat(path, &sb) != 0) return errno == ENOENT ? IA_OK : ia_error(IA_ERR_IO, "%s: %s", path, strerror(errno));
    if (!S_ISDIR(sb.st_mode)) {
        if (unlink(path) != 0 && errno != ENOENT) return ia_error(IA_ERR_IO, "%s: unlink: %s", path, strerror(errno));
        return IA_OK;
    }
    if (!(d = opendir(path))) return ia_error(IA_ERR_IO, "%s: %s", path, strerror(errno));
    if (!(child = malloc(IA_FS_PATH_MAX))) {
        closedir(d);
        return ia_error(IA_ERR_NOMEM, "%s: removing", path);
    }
    while ((de = readdir(d)) != NULL) {
        ia_status s;
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
        if (len + 1 + strlen(de->d_name) >= IA_FS_PATH_MAX) {
            if (st == IA_OK) st = ia_error(IA_ERR_IO, "%s/%s: path too long to remove", path, de->d_name);
            continue;
        }
        snprintf(child, IA_FS_PATH_MAX, "%s/%s", path, de->d_name);
        if ((s = ia_fs_remove_tree(child)) != IA_OK && st == IA_OK) st = s;
    }
    closedir(d);
    free(child);
    if (rmdir(path) != 0 && st == IA_OK) st = ia_error(IA_ERR_IO, "%s: rmdir: %s", path, strerror(errno));
    return st;
}

uint64_t ia_fs_free_bytes(const char *path) {
#if defined(__wasi__)
    (void)path;
    return 0;
#else
    struct statvfs vs;
    if (statvfs(path, &vs) != 0) return 0;
    return (uint64_t)vs.f_bavail * (uint64_t)vs.f_frsize;
#endif
}
