/*
 * protobuf.c — protobuf wire-format writers and the bounded field reader
 * (see protobuf.h).
 */
#include "formats/protobuf.h"

#include <string.h>

size_t ia_pb_put_varint_field(uint8_t *out, int field, uint64_t v) {
    size_t n = ia_pb_put_tag(out, field, IA_PB_VARINT);
    return n + ia_varint_put(out + n, v);
}

size_t ia_pb_put_len_prefix(uint8_t *out, int field, size_t len) {
    size_t n = ia_pb_put_tag(out, field, IA_PB_LEN);
    return n + ia_varint_put(out + n, len);
}

size_t ia_pb_put_bytes_field(uint8_t *out, int field, const void *data, size_t len) {
    size_t n = ia_pb_put_len_prefix(out, field, len);
    if (len) memcpy(out + n, data, len);
    return n + len;
}

int ia_pb_next(const uint8_t *p, size_t n, size_t *pos, ia_pb_field *f) {
    size_t i = *pos, used;
    uint64_t key, len;
    if (i >= n || !(used = ia_pb_varint_get(p + i, n - i, &key))) return -1;
    i += used;
    /* field numbers are 29 bits; 0 is not a field */
    if ((key >> 3) == 0 || (key >> 3) > 0x1fffffff) return -1;
    f->number = (int)(key >> 3);
    f->wire = (int)(key & 7);
    f->data = NULL;
    f->len = 0;
    f->v = 0;
    switch (f->wire) {
    case IA_PB_VARINT:
        if (!(used = ia_pb_varint_get(p + i, n - i, &f->v))) return -1;
        i += used;
        break;
    case IA_PB_LEN:
        if (!(used = ia_pb_varint_get(p + i, n - i, &len))) return -1;
        i += used;
        if (len > n - i) return -1;
        f->data = p + i;
        f->len = (size_t)len;
        i += (size_t)len;
        break;
    case IA_PB_I64:
    case IA_PB_I32: {
        size_t w = f->wire == IA_PB_I64 ? 8 : 4;
        if (w > n - i) return -1;
        for (size_t k = 0; k < w; k++) f->v |= (uint64_t)p[i + k] << (8 * k);
        i += w;
        break;
    }
    default:
        return -1;
    }
    *pos = i;
    return 0;
}
