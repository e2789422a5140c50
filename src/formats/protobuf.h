/*
 * protobuf.h — the few protobuf wire-format pieces dag-pb and UnixFS are
 * made of: a tag (field number << 3 | wire type), varints (wire type 0)
 * and length-delimited bytes (wire type 2). Writers append into a caller
 * buffer whose size the caller computed with the *_size helpers; the
 * reader walks a bounded buffer and stops at the first malformed byte.
 *
 * Both messages are small and fixed (proto2, field numbers < 16, so every
 * tag is one byte), which is why this is a dozen lines and not a library.
 */
#ifndef IA_FORMATS_PROTOBUF_H
#define IA_FORMATS_PROTOBUF_H

#include <stddef.h>
#include <stdint.h>

#include "formats/varint.h"

enum { IA_PB_VARINT = 0, IA_PB_I64 = 1, IA_PB_LEN = 2, IA_PB_I32 = 5 };

/* Encoded size of a varint field and of a bytes field (tag included). */
static inline size_t ia_pb_varint_field_size(uint64_t v) { return 1 + ia_varint_len(v); }
static inline size_t ia_pb_bytes_field_size(size_t n) { return 1 + ia_varint_len(n) + n; }

/* Writers: return the bytes written at out. */
static inline size_t ia_pb_put_tag(uint8_t *out, int field, int wire) {
    out[0] = (uint8_t)(field << 3 | wire);
    return 1;
}
size_t ia_pb_put_varint_field(uint8_t *out, int field, uint64_t v);
/* Tag and length only: the n bytes of the value follow (written by the
 * caller, which may already hold them in place). */
size_t ia_pb_put_len_prefix(uint8_t *out, int field, size_t n);
size_t ia_pb_put_bytes_field(uint8_t *out, int field, const void *data, size_t n);

/* One field read off p[*pos..n). On success *pos moves past it; for a
 * varint field *v holds the value, for a length-delimited one *data and
 * *len point into p. Fixed-width fields (wire types 1 and 5) are returned
 * with *v = their bits, so a caller can reject or use them. Returns 0 on
 * success, -1 for a malformed tag, varint, length past the end, a field
 * number of 0 or a wire type protobuf does not have (3, 4 — groups — and
 * 6, 7 are refused, never skipped). */
typedef struct ia_pb_field {
    int number, wire;
    uint64_t v;
    const uint8_t *data;
    size_t len;
} ia_pb_field;

int ia_pb_next(const uint8_t *p, size_t n, size_t *pos, ia_pb_field *f);

#endif
