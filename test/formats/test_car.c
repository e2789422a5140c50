/*
 * test_car.c — the CAR v1 header (strict dag-cbor) and the section reader:
 * kubo's bytes, round trips, and hostile input (bad varints, huge lengths,
 * truncation, non-canonical CBOR, CARv2).
 */
#include <stdlib.h>
#include <string.h>

#include "formats/car.h"
#include "formats/varint.h"
#include "harness.h"

/* The header kubo v0.43.1's `ipfs dag export` wrote for the root
 * QmRs5LCFuyqUXRsbxdULeWEQCG1PufVRsXtpXT3JUtLTc4 (a small tree added with
 * `ipfs add -r`): varint 0x38, then {"roots": [tag 42 (0x00 + CIDv0)],
 * "version": 1}. */
static const char kubo_header_hex[] =
    "38a265726f6f747381d82a5823001220345e53524cfdbcf73b2727de556dbfc5115ffdd617cb253503df22029c3ec9e1"
    "6776657273696f6e01";

static size_t unhex(const char *h, uint8_t *out) {
    size_t n = 0;
    for (; h[0] && h[1]; h += 2) {
        unsigned v;
        sscanf(h, "%2x", &v);
        out[n++] = (uint8_t)v;
    }
    return n;
}

IA_TEST(car_header_as_kubo_writes_it) {
    uint8_t want[128], got[256];
    size_t wn = unhex(kubo_header_hex, want), gn, n_roots = 0;
    ia_cid root, back[4];
    CHECK_STATUS(ia_cid_parse("QmRs5LCFuyqUXRsbxdULeWEQCG1PufVRsXtpXT3JUtLTc4", &root), IA_OK);
    gn = ia_car_header_encode(&root, 1, got, sizeof got);
    CHECK(gn == wn && gn == ia_car_header_size(&root, 1));
    CHECK(memcmp(got, want, wn) == 0);
    CHECK(ia_car_header_encode(&root, 1, got, wn - 1) == 0); /* too small */
    CHECK_STATUS(ia_car_header_decode(want + 1, wn - 1, back, 4, &n_roots), IA_OK);
    CHECK(n_roots == 1 && ia_cid_equal(&back[0], &root));
}

IA_TEST(car_header_round_trips_cidv1_and_many_roots) {
    ia_cid roots[30], back[30];
    uint8_t buf[4096];
    uint64_t len;
    size_t n, v, n_roots;
    for (int i = 0; i < 30; i++) {
        uint8_t block[1] = {(uint8_t)i};
        CHECK_STATUS(ia_cid_of_block(1, i % 2 ? IA_CODEC_RAW : IA_CODEC_DAG_PB, block, 1, &roots[i]), IA_OK);
    }
    n = ia_car_header_encode(roots, 30, buf, sizeof buf);
    REQUIRE(n > 0);
    v = ia_uvarint_get(buf, n, &len);
    CHECK(v > 0 && v + len == n);
    /* 30 roots: the array head takes one extra byte (0x98 0x1e) */
    CHECK(memcmp(buf + v, "\xa2\x65roots\x98\x1e", 9) == 0);
    CHECK_STATUS(ia_car_header_decode(buf + v, (size_t)len, back, 30, &n_roots), IA_OK);
    CHECK(n_roots == 30);
    for (int i = 0; i < 30; i++) CHECK(ia_cid_equal(&roots[i], &back[i]));
    CHECK_STATUS(ia_car_header_decode(buf + v, (size_t)len, back, 29, &n_roots), IA_ERR_FORMAT); /* over cap */
}

/* A header from hex (after the varint), decoded: its status. */
static ia_status decode_hex(const char *hex) {
    uint8_t b[512];
    ia_cid roots[4];
    size_t n = unhex(hex, b), n_roots;
    return ia_car_header_decode(b, n, roots, 4, &n_roots);
}

IA_TEST(car_header_hostile) {
    /* the valid body, for reference */
    static const char ok[] = "a265726f6f747381d82a5823001220345e53524cfdbcf73b2727de556dbfc5115ffdd617cb253503df"
                             "22029c3ec9e16776657273696f6e01";
    char h[512];
    CHECK_STATUS(decode_hex(ok), IA_OK);
    /* CARv2's pragma {"version": 2} */
    CHECK_STATUS(decode_hex("a16776657273696f6e02"), IA_ERR_UNSUPPORTED);
    /* version 2 in a CARv1-shaped header */
    snprintf(h, sizeof h, "%.*s02", (int)strlen(ok) - 2, ok);
    CHECK_STATUS(decode_hex(h), IA_ERR_UNSUPPORTED);
    /* version as a non-shortest integer (0x18 0x01) */
    snprintf(h, sizeof h, "%.*s1801", (int)strlen(ok) - 2, ok);
    CHECK_STATUS(decode_hex(h), IA_ERR_FORMAT);
    /* keys in the wrong order */
    CHECK_STATUS(decode_hex("a26776657273696f6e0165726f6f747381d82a5823001220345e53524cfdbcf73b2727de556dbfc5115f"
                            "fdd617cb253503df22029c3ec9e1"), IA_ERR_FORMAT);
    /* trailing byte */
    snprintf(h, sizeof h, "%s00", ok);
    CHECK_STATUS(decode_hex(h), IA_ERR_FORMAT);
    /* truncated anywhere */
    for (size_t cut = 0; cut < strlen(ok); cut += 2) {
        snprintf(h, sizeof h, "%.*s", (int)cut, ok);
        CHECK_STATUS(decode_hex(h), IA_ERR_FORMAT);
    }
    /* no roots */
    CHECK_STATUS(decode_hex("a265726f6f7473806776657273696f6e01"), IA_ERR_FORMAT);
    /* an indefinite-length array */
    CHECK_STATUS(decode_hex("a265726f6f74739fd82a5823001220345e53524cfdbcf73b2727de556dbfc5115ffdd617cb253503df22"
                            "029c3ec9e1ff6776657273696f6e01"), IA_ERR_FORMAT);
    /* the CID's byte string without the 0x00 prefix */
    CHECK_STATUS(decode_hex("a265726f6f747381d82a58221220345e53524cfdbcf73b2727de556dbfc5115ffdd617cb253503df2202"
                            "9c3ec9e16776657273696f6e01"), IA_ERR_FORMAT);
    /* another tag (43) */
    CHECK_STATUS(decode_hex("a265726f6f747381d82b5823001220345e53524cfdbcf73b2727de556dbfc5115ffdd617cb253503df22"
                            "029c3ec9e16776657273696f6e01"), IA_ERR_FORMAT);
    /* a byte string longer than the header */
    CHECK_STATUS(decode_hex("a265726f6f747381d82a5bffffffffffffffff00"), IA_ERR_FORMAT);
    /* a map of three */
    CHECK_STATUS(decode_hex("a365726f6f7473"), IA_ERR_FORMAT);
    /* not a map */
    CHECK_STATUS(decode_hex("80"), IA_ERR_FORMAT);
    CHECK_STATUS(decode_hex(""), IA_ERR_FORMAT);
}

/* ------------------------------------------------------------- reader */

typedef struct {
    const uint8_t *p;
    size_t n, pos;
} mem_src;

static ia_status mem_read(void *ctx, uint8_t *buf, size_t want, size_t *got) {
    mem_src *m = ctx;
    size_t k = want < m->n - m->pos ? want : m->n - m->pos;
    memcpy(buf, m->p + m->pos, k);
    m->pos += k;
    *got = k;
    return IA_OK;
}

/* A CAR of the root and three blocks ("a", "", "hello") as raw CIDv1s. */
static size_t make_car(uint8_t *out, size_t cap, ia_cid *cids) {
    static const char *blocks[] = {"a", "", "hello"};
    size_t n;
    for (int i = 0; i < 3; i++)
        ia_cid_of_block(1, IA_CODEC_RAW, blocks[i], strlen(blocks[i]), &cids[i]);
    n = ia_car_header_encode(&cids[0], 1, out, cap);
    for (int i = 0; i < 3; i++) {
        n += ia_car_section_head(&cids[i], strlen(blocks[i]), out + n, cap - n);
        memcpy(out + n, blocks[i], strlen(blocks[i]));
        n += strlen(blocks[i]);
    }
    return n;
}

/* Reads every section of p[0..n): the status of the first failure (or of
 * the end), the sections read. */
static ia_status read_all(const uint8_t *p, size_t n, int *sections) {
    mem_src m = {p, n, 0};
    ia_car_reader r;
    ia_status st;
    *sections = 0;
    if ((st = ia_car_reader_open(&r, mem_read, &m)) != IA_OK) return st;
    for (;;) {
        const uint8_t *block;
        size_t len;
        uint64_t at;
        ia_cid c;
        if ((st = ia_car_reader_next(&r, &c, &block, &len, &at)) != IA_OK || !block) break;
        (*sections)++;
    }
    ia_car_reader_free(&r);
    return st;
}

IA_TEST(car_reader_sections) {
    uint8_t car[512];
    ia_cid cids[3], c;
    size_t n = make_car(car, sizeof car, cids), len;
    mem_src m = {car, n, 0};
    ia_car_reader r;
    const uint8_t *block;
    uint64_t at;
    int sections;
    REQUIRE(ia_car_reader_open(&r, mem_read, &m) == IA_OK);
    CHECK(r.n_roots == 1 && ia_cid_equal(&r.roots[0], &cids[0]));
    CHECK_STATUS(ia_car_reader_next(&r, &c, &block, &len, &at), IA_OK);
    CHECK(block && len == 1 && block[0] == 'a' && ia_cid_equal(&c, &cids[0]));
    CHECK_STATUS(ia_car_reader_next(&r, &c, &block, &len, &at), IA_OK);
    CHECK(block && len == 0 && ia_cid_equal(&c, &cids[1])); /* an empty block is a block */
    CHECK_STATUS(ia_car_reader_next(&r, &c, &block, &len, &at), IA_OK);
    CHECK(block && len == 5 && memcmp(block, "hello", 5) == 0);
    CHECK(at + 1 + 36 + 5 == n);
    CHECK_STATUS(ia_car_reader_next(&r, &c, &block, &len, &at), IA_OK);
    CHECK(block == NULL); /* the clean end */
    ia_car_reader_free(&r);
    /* every truncation but the ones at a section boundary is an error */
    for (size_t cut = 0; cut < n; cut++) {
        ia_status st = read_all(car, cut, &sections);
        size_t h = ia_car_header_size(&cids[0], 1);
        int boundary = cut == h || cut == h + 38 || cut == h + 38 + 37; /* sections of 38, 37, 42 bytes */
        if (boundary) CHECK_MSG(st == IA_OK, "cut at %zu", cut);
        else CHECK_MSG(st == IA_ERR_FORMAT, "cut at %zu: %d %s", cut, st, ia_last_error());
    }
    CHECK_STATUS(read_all(car, n, &sections), IA_OK);
    CHECK(sections == 3);
}

IA_TEST(car_reader_hostile_lengths_and_varints) {
    uint8_t car[512], bad[600];
    ia_cid cids[3];
    size_t n = make_car(car, sizeof car, cids), h = ia_car_header_size(&cids[0], 1);
    int sections;
    /* a section length that is not minimally encoded (0x80 0x00 = 0) */
    memcpy(bad, car, h);
    memcpy(bad + h, "\x80\x00", 2);
    CHECK_STATUS(read_all(bad, h + 2, &sections), IA_ERR_FORMAT);
    CHECK(strstr(ia_last_error(), "minimally") != NULL);
    /* a 10-byte varint */
    memcpy(bad + h, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10);
    CHECK_STATUS(read_all(bad, h + 10, &sections), IA_ERR_FORMAT);
    /* a huge length (2^62): refused before anything is allocated */
    memcpy(bad + h, "\x80\x80\x80\x80\x80\x80\x80\x80\x40", 9);
    CHECK_STATUS(read_all(bad, h + 9, &sections), IA_ERR_FORMAT);
    CHECK(strstr(ia_last_error(), "section of") != NULL);
    /* just over the block limit */
    {
        size_t v = ia_varint_put(bad + h, IA_CAR_MAX_SECTION + 1);
        CHECK_STATUS(read_all(bad, h + v, &sections), IA_ERR_FORMAT);
    }
    /* an empty section */
    bad[h] = 0;
    CHECK_STATUS(read_all(bad, h + 1, &sections), IA_ERR_FORMAT);
    /* a section whose CID is malformed (version 2) */
    memcpy(bad + h, "\x05\x02\x55\x12\x20\x00", 6);
    CHECK_STATUS(read_all(bad, h + 6, &sections), IA_ERR_FORMAT);
    /* a section shorter than its CID */
    memcpy(bad + h, "\x04\x01\x55\x12\x20", 5);
    CHECK_STATUS(read_all(bad, h + 5, &sections), IA_ERR_FORMAT);
    /* the header: length 0, over the limit, or a CARv2 pragma */
    CHECK_STATUS(read_all((const uint8_t *)"\x00", 1, &sections), IA_ERR_FORMAT);
    CHECK_STATUS(read_all((const uint8_t *)"\x80\x80\x80\x01", 4, &sections), IA_ERR_FORMAT);
    CHECK_STATUS(read_all((const uint8_t *)"\x0a\xa1\x67version\x02", 11, &sections), IA_ERR_UNSUPPORTED);
    CHECK_STATUS(read_all((const uint8_t *)"", 0, &sections), IA_ERR_FORMAT);
    (void)n;
}
