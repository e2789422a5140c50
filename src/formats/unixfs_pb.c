/*
 * unixfs_pb.c — the UnixFS Data message, written as kubo writes it and read
 * as hostile input (see unixfs_pb.h).
 */
#include "formats/unixfs_pb.h"

#include <stdlib.h>
#include <string.h>

#include "formats/protobuf.h"
#include "util/error.h"

enum { F_TYPE = 1, F_DATA, F_FILESIZE, F_BLOCKSIZES, F_HASHTYPE, F_FANOUT, F_MODE, F_MTIME };
enum { T_SECONDS = 1, T_NANOS = 2 };

static size_t mtime_body_size(const ia_unixfs_data *d) {
    /* int64 is written as its two's-complement uint64: 10 bytes if negative */
    size_t n = ia_pb_varint_field_size((uint64_t)d->mtime_sec);
    if (d->has_mtime_nsec) n += 1 + 4;
    return n;
}

size_t ia_unixfs_size(const ia_unixfs_data *d) {
    size_t n = ia_pb_varint_field_size((uint64_t)d->type);
    if (d->has_data) n += ia_pb_bytes_field_size(d->data_len);
    if (d->has_filesize) n += ia_pb_varint_field_size(d->filesize);
    for (size_t i = 0; i < d->n_blocksizes; i++) n += ia_pb_varint_field_size(d->blocksizes[i]);
    if (d->has_hash_type) n += ia_pb_varint_field_size(d->hash_type);
    if (d->has_fanout) n += ia_pb_varint_field_size(d->fanout);
    if (d->has_mode) n += ia_pb_varint_field_size(d->mode);
    if (d->has_mtime) n += ia_pb_bytes_field_size(mtime_body_size(d));
    return n;
}

size_t ia_unixfs_encode(const ia_unixfs_data *d, uint8_t *out) {
    size_t o = ia_pb_put_varint_field(out, F_TYPE, (uint64_t)d->type);
    if (d->has_data) o += ia_pb_put_bytes_field(out + o, F_DATA, d->data, d->data_len);
    if (d->has_filesize) o += ia_pb_put_varint_field(out + o, F_FILESIZE, d->filesize);
    for (size_t i = 0; i < d->n_blocksizes; i++) o += ia_pb_put_varint_field(out + o, F_BLOCKSIZES, d->blocksizes[i]);
    if (d->has_hash_type) o += ia_pb_put_varint_field(out + o, F_HASHTYPE, d->hash_type);
    if (d->has_fanout) o += ia_pb_put_varint_field(out + o, F_FANOUT, d->fanout);
    if (d->has_mode) o += ia_pb_put_varint_field(out + o, F_MODE, d->mode);
    if (d->has_mtime) {
        o += ia_pb_put_len_prefix(out + o, F_MTIME, mtime_body_size(d));
        o += ia_pb_put_varint_field(out + o, T_SECONDS, (uint64_t)d->mtime_sec);
        if (d->has_mtime_nsec) {
            o += ia_pb_put_tag(out + o, T_NANOS, IA_PB_I32);
            for (int k = 0; k < 4; k++) out[o++] = (uint8_t)(d->mtime_nsec >> (8 * k));
        }
    }
    return o;
}

static ia_status decode_mtime(const uint8_t *p, size_t n, ia_unixfs_data *d) {
    size_t pos = 0;
    int have_sec = 0;
    ia_pb_field f;
    while (pos < n) {
        if (ia_pb_next(p, n, &pos, &f) != 0) return ia_error(IA_ERR_FORMAT, "unixfs: mtime: malformed field");
        if (f.number == T_SECONDS && f.wire == IA_PB_VARINT && !have_sec) {
            d->mtime_sec = (int64_t)f.v, have_sec = 1;
        } else if (f.number == T_NANOS && f.wire == IA_PB_I32 && !d->has_mtime_nsec) {
            /* the spec's range: a zero fraction is written by leaving it out */
            if (f.v < 1 || f.v > 999999999)
                return ia_error(IA_ERR_FORMAT, "unixfs: mtime nanoseconds %llu outside [1, 999999999]", (unsigned long long)f.v);
            d->mtime_nsec = (uint32_t)f.v, d->has_mtime_nsec = 1;
        } else if (f.number == T_SECONDS || f.number == T_NANOS) {
            return ia_error(IA_ERR_FORMAT, "unixfs: mtime field %d repeated or of wire type %d", f.number, f.wire);
        }
    }
    if (!have_sec) return ia_error(IA_ERR_FORMAT, "unixfs: mtime without Seconds");
    d->has_mtime = 1;
    return IA_OK;
}

/* One pass over the message: with bs == NULL counts the blocksizes, else
 * stores them. Scalars are set on both passes (same values). */
static ia_status walk(const uint8_t *p, size_t n, ia_unixfs_data *d, uint64_t *bs, size_t *n_bs) {
    size_t pos = 0, count = 0;
    int seen[F_MTIME + 1] = {0}, have_type = 0;
    ia_pb_field f;
    ia_status st;
    while (pos < n) {
        if (ia_pb_next(p, n, &pos, &f) != 0) return ia_error(IA_ERR_FORMAT, "unixfs: malformed field at byte %zu", pos);
        if (f.number > F_MTIME) continue; /* unknown field, valid wire type: skipped */
        if (f.number == F_BLOCKSIZES) {
            if (f.wire == IA_PB_VARINT) {
                if (bs) bs[count] = f.v;
                count++;
            } else if (f.wire == IA_PB_LEN) { /* packed */
                size_t q = 0, used;
                uint64_t v;
                while (q < f.len) {
                    if (!(used = ia_pb_varint_get(f.data + q, f.len - q, &v)))
                        return ia_error(IA_ERR_FORMAT, "unixfs: malformed packed blocksizes");
                    if (bs) bs[count] = v;
                    count++, q += used;
                }
            } else {
                return ia_error(IA_ERR_FORMAT, "unixfs: blocksizes of wire type %d", f.wire);
            }
            continue;
        }
        if (seen[f.number]++) return ia_error(IA_ERR_FORMAT, "unixfs: field %d repeated", f.number);
        if ((f.number == F_DATA || f.number == F_MTIME) != (f.wire == IA_PB_LEN) ||
            (f.number != F_DATA && f.number != F_MTIME && f.wire != IA_PB_VARINT))
            return ia_error(IA_ERR_FORMAT, "unixfs: field %d of wire type %d", f.number, f.wire);
        switch (f.number) {
        case F_TYPE:
            if (f.v > IA_UNIXFS_HAMT_SHARD) return ia_error(IA_ERR_FORMAT, "unixfs: unknown Type %llu", (unsigned long long)f.v);
            d->type = (int)f.v, have_type = 1;
            break;
        case F_DATA: d->data = f.data, d->data_len = f.len, d->has_data = 1; break;
        case F_FILESIZE: d->filesize = f.v, d->has_filesize = 1; break;
        case F_HASHTYPE: d->hash_type = f.v, d->has_hash_type = 1; break;
        case F_FANOUT: d->fanout = f.v, d->has_fanout = 1; break;
        case F_MODE:
            if (f.v > UINT32_MAX) return ia_error(IA_ERR_FORMAT, "unixfs: mode %llu is over 32 bits", (unsigned long long)f.v);
            d->mode = (uint32_t)f.v, d->has_mode = 1;
            break;
        case F_MTIME:
            if ((st = decode_mtime(f.data, f.len, d)) != IA_OK) return st;
            break;
        }
    }
    if (!have_type) return ia_error(IA_ERR_FORMAT, "unixfs: no Type");
    *n_bs = count;
    return IA_OK;
}

ia_status ia_unixfs_decode(const uint8_t *p, size_t n, ia_unixfs_data *out) {
    size_t count = 0, again = 0;
    uint64_t *bs = NULL;
    ia_status st;
    memset(out, 0, sizeof *out);
    if ((st = walk(p, n, out, NULL, &count)) != IA_OK) goto fail;
    if (count) {
        /* each value took >= 1 byte of p, so this is bounded by the input */
        if (!(bs = malloc(count * sizeof *bs))) {
            st = ia_error(IA_ERR_NOMEM, "unixfs: %zu blocksizes", count);
            goto fail;
        }
        memset(out, 0, sizeof *out);
        if ((st = walk(p, n, out, bs, &again)) != IA_OK) goto fail;
    }
    out->blocksizes = bs;
    out->n_blocksizes = count;
    return IA_OK;
fail:
    free(bs);
    memset(out, 0, sizeof *out);
    return st;
}

void ia_unixfs_data_free(ia_unixfs_data *d) {
    if (!d) return;
    free((void *)d->blocksizes);
    memset(d, 0, sizeof *d);
}
