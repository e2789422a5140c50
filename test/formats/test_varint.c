/*
 * test_varint.c — unsigned LEB128: round trips at every length, and the
 * two readers' rules on hostile bytes (truncated, overlong, non-minimal,
 * past 64 bits).
 */
#include <string.h>

#include "formats/varint.h"
#include "harness.h"

IA_TEST(varint_round_trips) {
    static const uint64_t v[] = {0, 1, 127, 128, 255, 300, 16383, 16384, 262144, 1048576, 0x7fffffffffffffffull,
                                 0xffffffffffffffffull};
    for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
        uint8_t b[IA_VARINT_MAX + 2];
        uint64_t back = 0;
        size_t n = ia_varint_put(b, v[i]);
        CHECK(n == ia_varint_len(v[i]));
        CHECK(ia_pb_varint_get(b, n, &back) == n && back == v[i]);
        if (v[i] <= 0x7fffffffffffffffull) CHECK(ia_uvarint_get(b, n, &back) == n && back == v[i]);
        else CHECK(ia_uvarint_get(b, n, &back) == 0); /* 10 bytes: over multiformats' 9 */
        /* every proper prefix is truncated */
        for (size_t k = 0; k < n; k++) CHECK(ia_pb_varint_get(b, k, &back) == 0);
    }
    {
        uint8_t b[2] = {0xac, 0x02}; /* 300, the protobuf docs' example */
        uint64_t x;
        CHECK(ia_uvarint_get(b, 2, &x) == 2 && x == 300);
    }
}

IA_TEST(varint_rejects_hostile_bytes) {
    uint64_t x;
    static const uint8_t non_minimal[] = {0x81, 0x00};            /* 1, spelled long */
    static const uint8_t eleven[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    static const uint8_t over64[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02};
    static const uint8_t ten_mf[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01};
    static const uint8_t unterminated[] = {0x80, 0x80, 0x80};
    CHECK(ia_uvarint_get(non_minimal, 2, &x) == 0);
    CHECK(ia_pb_varint_get(non_minimal, 2, &x) == 2 && x == 1); /* protobuf accepts it */
    CHECK(ia_pb_varint_get(eleven, sizeof eleven, &x) == 0);
    CHECK(ia_pb_varint_get(over64, sizeof over64, &x) == 0);
    CHECK(ia_uvarint_get(ten_mf, sizeof ten_mf, &x) == 0);
    CHECK(ia_pb_varint_get(unterminated, sizeof unterminated, &x) == 0);
    CHECK(ia_uvarint_get(unterminated, 0, &x) == 0);
}
