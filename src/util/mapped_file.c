/*
 * mapped_file.c — mmap a file read-only, with a read() fallback.
 *
 * The fallback is the only path on wasm32, and on any build with
 * -DIA_NO_MMAP: the fuzz targets use that, so that a file's bytes end where
 * the heap block ends and ASan sees a read one byte past them (a mapping
 * hides reads up to the end of its last page).
 */
#include "util/mapped_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

#if defined(__unix__) || defined(__APPLE__)
#if !defined(__wasm__) && !defined(IA_NO_MMAP)
#define IA_HAVE_MMAP 1
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#endif
#endif

static ia_status read_whole(const char *path, size_t max_bytes, uint8_t **out,
                            size_t *len_out, int add_nul) {
    FILE *fp = fopen(path, "rb");
    uint8_t *buf = NULL;
    long len;
    if (!fp)
        return ia_error(errno == ENOENT ? IA_ERR_NOT_FOUND : IA_ERR_IO,
                        "%s: %s", path, strerror(errno));
    if (fseek(fp, 0, SEEK_END) != 0 || (len = ftell(fp)) < 0 ||
        fseek(fp, 0, SEEK_SET) != 0) {
        fclose(fp);
        return ia_error(IA_ERR_IO, "%s: cannot determine size", path);
    }
    if ((size_t)len > max_bytes) {
        fclose(fp);
        return ia_error(IA_ERR_FORMAT, "%s: %ld bytes, more than the %zu allowed",
                        path, len, max_bytes);
    }
    /* Exactly the file (and the NUL): ASan then sees a read past its end. */
    buf = malloc((size_t)len + (add_nul ? 1 : 0) ? (size_t)len + (add_nul ? 1 : 0) : 1);
    if (!buf) {
        fclose(fp);
        return ia_error(IA_ERR_NOMEM, "%s: cannot allocate %ld bytes", path, len);
    }
    if (len > 0 && fread(buf, 1, (size_t)len, fp) != (size_t)len) {
        free(buf);
        fclose(fp);
        return ia_error(IA_ERR_IO, "%s: short read", path);
    }
    fclose(fp);
    if (add_nul) buf[len] = 0;
    *out = buf;
    *len_out = (size_t)len;
    return IA_OK;
}

ia_status ia_mapped_file_open(const char *path, ia_mapped_file *out) {
    memset(out, 0, sizeof *out);
#ifdef IA_HAVE_MMAP
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    void *p;
    if (fd < 0)
        return ia_error(errno == ENOENT ? IA_ERR_NOT_FOUND : IA_ERR_IO,
                        "%s: %s", path, strerror(errno));
    if (fstat(fd, &st) != 0) {
        close(fd);
        return ia_error(IA_ERR_IO, "%s: %s", path, strerror(errno));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return ia_error(IA_ERR_IO, "%s: not a regular file", path);
    }
    if (st.st_size == 0) { /* mmap of length 0 fails; an empty view is valid */
        close(fd);
        return IA_OK;
    }
    p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (p == MAP_FAILED)
        return ia_error(IA_ERR_IO, "%s: mmap: %s", path, strerror(errno));
    out->data = p;
    out->size = (size_t)st.st_size;
    out->is_mmap = 1;
    return IA_OK;
#else
    uint8_t *buf;
    size_t len;
    ia_status st = read_whole(path, SIZE_MAX - 2, &buf, &len, 0);
    if (st != IA_OK) return st;
    out->data = buf;
    out->size = len;
    return IA_OK;
#endif
}

void ia_mapped_file_close(ia_mapped_file *f) {
    if (!f || !f->data) return;
#ifdef IA_HAVE_MMAP
    if (f->is_mmap)
        munmap((void *)f->data, f->size);
    else
#endif
        free((void *)f->data);
    memset(f, 0, sizeof *f);
}

ia_status ia_read_text_file(const char *path, size_t max_bytes, char **out,
                            size_t *len_out) {
    size_t len = 0;
    uint8_t *buf = NULL;
    ia_status st = read_whole(path, max_bytes, &buf, &len, 1);
    if (st != IA_OK) return st;
    *out = (char *)buf;
    if (len_out) *len_out = len;
    return IA_OK;
}

void ia_mapped_file_release(const ia_mapped_file *f, const void *ptr, size_t len) {
#ifdef IA_HAVE_MMAP
    uintptr_t lo = (uintptr_t)ptr, hi = lo + len, page = (uintptr_t)sysconf(_SC_PAGESIZE);
    if (!f || !f->is_mmap || !f->data || lo < (uintptr_t)f->data || hi > (uintptr_t)f->data + f->size || hi < lo) return;
    lo = (lo + page - 1) / page * page; /* whole pages inside: neighbours keep theirs */
    hi = hi / page * page;
    if (hi > lo) madvise((void *)lo, hi - lo, MADV_DONTNEED);
#else
    (void)f, (void)ptr, (void)len;
#endif
}
