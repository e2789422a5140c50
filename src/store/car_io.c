/*
 * car_io.c — CAR v1 files into the block store: ia_car_import (every
 * block verified and staged; committed only when the whole file passed).
 * Export, the DAG out as a CAR, is car_scope.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "formats/car.h"
#include "store/blockstore.h"
#include "util/error.h"
#include "util/struct_size.h"

/* ---------------------------------------------------------------- import */

void ia_car_import_result_init(ia_car_import_result *r, size_t struct_size) {
    ia_car_import_result d;
    memset(&d, 0, sizeof d);
    d.struct_size = sizeof d;
    ia_struct_export(r, struct_size, &d, sizeof d);
}

typedef struct {
    int fd;
    const char *name;
} fd_in;

static ia_status read_fd(void *ctx, uint8_t *buf, size_t want, size_t *got) {
    fd_in *in = ctx;
    for (;;) {
        ssize_t n = read(in->fd, buf, want);
        if (n >= 0) {
            *got = (size_t)n;
            return IA_OK;
        }
        if (errno != EINTR) return ia_error(IA_ERR_IO, "%s: read: %s", in->name, strerror(errno));
    }
}

/* Reads in 1 MiB pieces: the section reader asks for its varints a byte
 * at a time. */
typedef struct {
    fd_in in;
    uint8_t *buf;
    size_t pos, len;
} buffered_in;

static ia_status read_buffered(void *ctx, uint8_t *out, size_t want, size_t *got) {
    buffered_in *b = ctx;
    ia_status st;
    if (b->pos == b->len) {
        /* a large read goes straight to the caller */
        if (want >= (1u << 20)) return read_fd(&b->in, out, want, got);
        b->pos = b->len = 0;
        if ((st = read_fd(&b->in, b->buf, 1u << 20, &b->len)) != IA_OK) return st;
    }
    *got = want < b->len - b->pos ? want : b->len - b->pos;
    memcpy(out, b->buf + b->pos, *got);
    b->pos += *got;
    return IA_OK;
}

/* The roots as "cid\n" lines (malloc'd). */
static ia_status roots_text(const ia_car_reader *rd, char **out) {
    size_t cap = rd->n_roots * IA_CID_MAX_TEXT + 1, len = 0;
    char *s = malloc(cap);
    if (!s) return ia_error(IA_ERR_NOMEM, "CAR roots");
    s[0] = '\0';
    for (size_t i = 0; i < rd->n_roots; i++) {
        size_t k = ia_cid_to_string(&rd->roots[i], s + len, cap - len - 1);
        if (!k) {
            free(s);
            return ia_error(IA_ERR_FORMAT, "CAR root %zu has no text form", i);
        }
        len += k;
        s[len++] = '\n';
        s[len] = '\0';
    }
    *out = s;
    return IA_OK;
}

ia_status ia_car_import(ia_blockstore *bs, const char *path, ia_car_import_result *result) {
    ia_car_import_result r;
    buffered_in in;
    ia_car_reader rd;
    ia_bs_stage stage;
    int stdin_ = path && strcmp(path, "-") == 0;
    ia_status st;
    memset(&rd, 0, sizeof rd);
    memset(&stage, 0, sizeof stage);
    memset(&in, 0, sizeof in);
    IA_CAR_IMPORT_RESULT_INIT(&r);
    if (!bs || !path) return ia_error(IA_ERR_INVALID_ARG, "ia_car_import: no store or path");
    if (result && (st = ia_struct_import(&r, sizeof r, result, "IA_CAR_IMPORT_RESULT_INIT")) != IA_OK) return st;
    r.blocks = r.new_blocks = r.bytes = 0, r.roots = NULL;
    in.in.name = stdin_ ? "standard input" : path;
    in.in.fd = stdin_ ? 0 : open(path, O_RDONLY);
    if (in.in.fd < 0) return ia_error(errno == ENOENT ? IA_ERR_NOT_FOUND : IA_ERR_IO, "%s: %s", path, strerror(errno));
    if (!(in.buf = malloc(1u << 20))) {
        st = ia_error(IA_ERR_NOMEM, "CAR import buffer");
        goto done;
    }
    if ((st = ia_car_reader_open(&rd, read_buffered, &in)) != IA_OK) goto done;
    if ((st = ia_bs_stage_begin(bs, &stage)) != IA_OK) goto done;
    for (;;) {
        const uint8_t *block;
        size_t len;
        uint64_t at;
        ia_cid c;
        int is_new;
        if ((st = ia_car_reader_next(&rd, &c, &block, &len, &at)) != IA_OK) goto done;
        if (!block) break;
        if ((st = ia_bs_stage_put(&stage, &c, block, len, &is_new)) != IA_OK) {
            ia_error_prefix(st, "CAR: the section at byte %llu", (unsigned long long)at);
            goto done;
        }
        r.blocks++, r.new_blocks += (uint64_t)is_new, r.bytes += len;
    }
    if ((st = ia_bs_stage_commit(&stage)) != IA_OK) goto done;
    if (result) {
        if (result->struct_size >= offsetof(ia_car_import_result, roots) + sizeof r.roots &&
            (st = roots_text(&rd, &r.roots)) != IA_OK)
            goto done;
        ia_struct_export(result, result->struct_size, &r, sizeof r);
    }
done:
    if (st != IA_OK) {
        ia_error_prefix(st, "%s", in.in.name);
        ia_bs_stage_abort(&stage);
    }
    ia_car_reader_free(&rd);
    free(in.buf);
    if (!stdin_) close(in.in.fd);
    return st;
}
