/*
 * test_dagpb.c — dag-pb and the UnixFS Data message: the encodings kubo
 * writes (byte for byte where the spec or kubo fixes them), round trips,
 * and the decoders on hostile blocks.
 */
#include <stdlib.h>
#include <string.h>

#include "formats/cid.h"
#include "formats/dagpb.h"
#include "formats/unixfs_pb.h"
#include "harness.h"

static int hex_eq(const uint8_t *b, size_t n, const char *hex) {
    static const char digits[] = "0123456789abcdef";
    if (strlen(hex) != 2 * n) return 0;
    for (size_t i = 0; i < n; i++)
        if (hex[2 * i] != digits[b[i] >> 4] || hex[2 * i + 1] != digits[b[i] & 15]) return 0;
    return 1;
}

/* kubo's empty directory: 0a 02 08 01, CID QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn. */
IA_TEST(dagpb_empty_directory_is_kubos) {
    uint8_t inner[8], block[16];
    ia_unixfs_data u;
    ia_cid c;
    char text[IA_CID_MAX_TEXT];
    size_t n, m;
    memset(&u, 0, sizeof u);
    u.type = IA_UNIXFS_DIRECTORY;
    n = ia_unixfs_encode(&u, inner);
    CHECK(n == ia_unixfs_size(&u));
    m = ia_dagpb_encode(NULL, 0, inner, n, 1, block);
    CHECK(m == ia_dagpb_size(NULL, 0, n, 1));
    CHECK(hex_eq(block, m, "0a020801"));
    ia_cid_of_block(0, IA_CODEC_DAG_PB, block, m, &c);
    ia_cid_to_string(&c, text, sizeof text);
    CHECK_MSG(strcmp(text, "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn") == 0, "%s", text);
}

/* Links are written before Data, link fields in number order, every
 * field of a file node kubo writes; decode gives back what went in. */
IA_TEST(dagpb_links_before_data_and_round_trip) {
    ia_cid c1, c2;
    uint8_t h1[IA_CID_MAX_BYTES], h2[IA_CID_MAX_BYTES], inner[64], block[256];
    uint64_t bs[2] = {262144, 5};
    ia_dagpb_link links[2];
    ia_unixfs_data u, back;
    ia_dagpb_node node;
    size_t n, m;
    ia_cid_of_block(1, IA_CODEC_RAW, "a", 1, &c1);
    ia_cid_of_block(1, IA_CODEC_RAW, "b", 1, &c2);
    memset(links, 0, sizeof links);
    links[0].hash = h1, links[0].hash_len = ia_cid_to_bytes(&c1, h1, sizeof h1);
    links[0].name = (const uint8_t *)"", links[0].has_name = 1, links[0].tsize = 262144, links[0].has_tsize = 1;
    links[1].hash = h2, links[1].hash_len = ia_cid_to_bytes(&c2, h2, sizeof h2);
    links[1].name = (const uint8_t *)"", links[1].has_name = 1, links[1].tsize = 5, links[1].has_tsize = 1;
    memset(&u, 0, sizeof u);
    u.type = IA_UNIXFS_FILE, u.filesize = 262149, u.has_filesize = 1, u.blocksizes = bs, u.n_blocksizes = 2;
    n = ia_unixfs_encode(&u, inner);
    /* Type 2, filesize 262149, blocksizes not packed: a tag per value */
    CHECK(hex_eq(inner, n, "0802" "18858010" "20808010" "2005"));
    m = ia_dagpb_encode(links, 2, inner, n, 1, block);
    CHECK(m == ia_dagpb_size(links, 2, n, 1));
    CHECK(block[0] == 0x12);          /* a Link first */
    CHECK(block[2] == 0x0a);          /* its Hash first */
    CHECK(block[m - n - 2] == 0x0a);  /* Data last */
    CHECK_STATUS(ia_dagpb_decode(block, m, &node), IA_OK);
    REQUIRE(node.n_links == 2 && node.has_data && node.data_len == n);
    CHECK(node.links[0].hash_len == links[0].hash_len && memcmp(node.links[0].hash, h1, links[0].hash_len) == 0);
    CHECK(node.links[1].has_name && node.links[1].name_len == 0 && node.links[1].tsize == 5);
    CHECK_STATUS(ia_unixfs_decode(node.data, node.data_len, &back), IA_OK);
    CHECK(back.type == IA_UNIXFS_FILE && back.filesize == 262149 && back.n_blocksizes == 2 && back.blocksizes[0] == 262144 &&
          back.blocksizes[1] == 5 && !back.has_data);
    ia_unixfs_data_free(&back);
    ia_dagpb_node_free(&node);
    /* Data before Links is decoded too (the spec: both orders exist) */
    {
        uint8_t rev[256];
        size_t d = 1 + 1 + n;
        memcpy(rev, block + m - d, d);
        memcpy(rev + d, block, m - d);
        CHECK_STATUS(ia_dagpb_decode(rev, m, &node), IA_OK);
        CHECK(node.n_links == 2 && node.has_data);
        ia_dagpb_node_free(&node);
    }
}

IA_TEST(unixfs_every_field_round_trips) {
    uint8_t buf[128];
    uint64_t bs[3] = {1, 300, 1u << 20};
    ia_unixfs_data u, back;
    size_t n;
    memset(&u, 0, sizeof u);
    u.type = IA_UNIXFS_HAMT_SHARD;
    u.data = (const uint8_t *)"\x01\x80", u.data_len = 2, u.has_data = 1;
    u.filesize = 7, u.has_filesize = 1, u.blocksizes = bs, u.n_blocksizes = 3;
    u.hash_type = 0x22, u.has_hash_type = 1, u.fanout = 256, u.has_fanout = 1;
    u.mode = 0755, u.has_mode = 1, u.mtime_sec = -5, u.has_mtime = 1, u.mtime_nsec = 999999999, u.has_mtime_nsec = 1;
    n = ia_unixfs_encode(&u, buf);
    CHECK(n == ia_unixfs_size(&u));
    CHECK_STATUS(ia_unixfs_decode(buf, n, &back), IA_OK);
    CHECK(back.type == u.type && back.data_len == 2 && memcmp(back.data, "\x01\x80", 2) == 0 && back.filesize == 7);
    CHECK(back.n_blocksizes == 3 && back.blocksizes[2] == 1u << 20 && back.hash_type == 0x22 && back.fanout == 256);
    CHECK(back.mode == 0755 && back.mtime_sec == -5 && back.mtime_nsec == 999999999);
    ia_unixfs_data_free(&back);
    {
        /* packed blocksizes (some protobuf writers) read the same */
        static const uint8_t packed[] = {0x08, 0x02, 0x22, 0x03, 0x01, 0xac, 0x02};
        CHECK_STATUS(ia_unixfs_decode(packed, sizeof packed, &back), IA_OK);
        CHECK(back.n_blocksizes == 2 && back.blocksizes[0] == 1 && back.blocksizes[1] == 300);
        ia_unixfs_data_free(&back);
    }
}

IA_TEST(dagpb_rejects_hostile_blocks) {
    ia_dagpb_node node;
    uint8_t hash[IA_CID_MAX_BYTES], b[128];
    ia_cid c;
    size_t hl;
    ia_cid_of_block(0, IA_CODEC_DAG_PB, "", 0, &c);
    hl = ia_cid_to_bytes(&c, hash, sizeof hash);
    static const uint8_t unknown_field[] = {0x1a, 0x00};                 /* field 3 */
    static const uint8_t varint_data[] = {0x08, 0x01};                   /* Data as a varint */
    static const uint8_t data_twice[] = {0x0a, 0x00, 0x0a, 0x00};
    static const uint8_t past_end[] = {0x0a, 0x05, 0x00};
    static const uint8_t link_no_hash[] = {0x12, 0x02, 0x18, 0x01};
    static const uint8_t link_bad_cid[] = {0x12, 0x04, 0x0a, 0x02, 0x12, 0x20};
    static const uint8_t group[] = {0x0b};                               /* wire type 3 */
    CHECK(ia_dagpb_decode(unknown_field, sizeof unknown_field, &node) == IA_ERR_FORMAT);
    CHECK(ia_dagpb_decode(varint_data, sizeof varint_data, &node) == IA_ERR_FORMAT);
    CHECK(ia_dagpb_decode(data_twice, sizeof data_twice, &node) == IA_ERR_FORMAT);
    CHECK(ia_dagpb_decode(past_end, sizeof past_end, &node) == IA_ERR_FORMAT);
    CHECK(ia_dagpb_decode(link_no_hash, sizeof link_no_hash, &node) == IA_ERR_FORMAT);
    CHECK(ia_dagpb_decode(link_bad_cid, sizeof link_bad_cid, &node) == IA_ERR_FORMAT);
    CHECK(ia_dagpb_decode(group, sizeof group, &node) == IA_ERR_FORMAT);
    CHECK(node.links == NULL && node.n_links == 0); /* zeroed on failure */
    {
        /* a link's fields out of order: Name before Hash */
        size_t n = 0, body = 2 + 2 + hl;
        b[n++] = 0x12, b[n++] = (uint8_t)body;
        b[n++] = 0x12, b[n++] = 0x00;
        b[n++] = 0x0a, b[n++] = (uint8_t)hl;
        memcpy(b + n, hash, hl), n += hl;
        CHECK(ia_dagpb_decode(b, n, &node) == IA_ERR_FORMAT);
        /* in order it decodes; then Links, Data, Links is refused */
        n = 0;
        b[n++] = 0x12, b[n++] = (uint8_t)(2 + hl);
        b[n++] = 0x0a, b[n++] = (uint8_t)hl;
        memcpy(b + n, hash, hl), n += hl;
        CHECK_STATUS(ia_dagpb_decode(b, n, &node), IA_OK);
        ia_dagpb_node_free(&node);
        memcpy(b + n, "\x0a\x00", 2);
        memcpy(b + n + 2, b, n);
        CHECK(ia_dagpb_decode(b, 2 * n + 2, &node) == IA_ERR_FORMAT);
        /* the empty block is valid: no Data, no links */
        CHECK_STATUS(ia_dagpb_decode(b, 0, &node), IA_OK);
        CHECK(!node.has_data && node.n_links == 0);
    }
    {
        /* over the size limit, whatever it holds */
        uint8_t *big = calloc(IA_DAGPB_MAX_BLOCK + 1, 1);
        REQUIRE(big != NULL);
        CHECK(ia_dagpb_decode(big, IA_DAGPB_MAX_BLOCK + 1, &node) == IA_ERR_FORMAT);
        free(big);
    }
}

IA_TEST(unixfs_rejects_hostile_data) {
    ia_unixfs_data d;
    static const uint8_t no_type[] = {0x18, 0x05};
    static const uint8_t bad_type[] = {0x08, 0x06};
    static const uint8_t type_twice[] = {0x08, 0x02, 0x08, 0x02};
    static const uint8_t type_as_bytes[] = {0x0a, 0x00};
    static const uint8_t filesize_fixed[] = {0x08, 0x02, 0x1d, 0, 0, 0, 0};
    static const uint8_t nanos_zero[] = {0x08, 0x02, 0x42, 0x07, 0x08, 0x01, 0x15, 0, 0, 0, 0};
    static const uint8_t nanos_big[] = {0x08, 0x02, 0x42, 0x07, 0x08, 0x01, 0x15, 0x00, 0xca, 0x9a, 0x3b}; /* 1e9 */
    static const uint8_t mtime_no_sec[] = {0x08, 0x02, 0x42, 0x00};
    static const uint8_t mode_big[] = {0x08, 0x02, 0x38, 0x80, 0x80, 0x80, 0x80, 0x10};
    static const uint8_t bad_packed[] = {0x08, 0x02, 0x22, 0x01, 0x80};
    static const uint8_t unknown_ok[] = {0x08, 0x01, 0x78, 0x05}; /* field 15 skipped */
    CHECK(ia_unixfs_decode(no_type, sizeof no_type, &d) == IA_ERR_FORMAT);
    CHECK(ia_unixfs_decode(bad_type, sizeof bad_type, &d) == IA_ERR_FORMAT);
    CHECK(ia_unixfs_decode(type_twice, sizeof type_twice, &d) == IA_ERR_FORMAT);
    CHECK(ia_unixfs_decode(type_as_bytes, sizeof type_as_bytes, &d) == IA_ERR_FORMAT);
    CHECK(ia_unixfs_decode(filesize_fixed, sizeof filesize_fixed, &d) == IA_ERR_FORMAT);
    CHECK(ia_unixfs_decode(nanos_zero, sizeof nanos_zero, &d) == IA_ERR_FORMAT);
    CHECK(ia_unixfs_decode(nanos_big, sizeof nanos_big, &d) == IA_ERR_FORMAT);
    CHECK(ia_unixfs_decode(mtime_no_sec, sizeof mtime_no_sec, &d) == IA_ERR_FORMAT);
    CHECK(ia_unixfs_decode(mode_big, sizeof mode_big, &d) == IA_ERR_FORMAT);
    CHECK(ia_unixfs_decode(bad_packed, sizeof bad_packed, &d) == IA_ERR_FORMAT);
    CHECK_STATUS(ia_unixfs_decode(unknown_ok, sizeof unknown_ok, &d), IA_OK);
    CHECK(d.type == IA_UNIXFS_DIRECTORY);
    ia_unixfs_data_free(&d);
}
