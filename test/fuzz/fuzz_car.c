/*
 * fuzz_car.c — libFuzzer target for the CAR v1 reader (formats/car.c): the
 * strict dag-cbor header and the streaming section reader, fed from
 * memory in pieces of varying size (as a file or a pipe gives them).
 *
 * Beyond "no crash, no read outside the input" (ASan): a header the reader
 * accepted is encoded again byte for byte (dag-cbor and the varints admit
 * one spelling, so anything else means the decoder took a second one);
 * every section's CID re-encodes to the bytes it was read from; the block
 * lies inside the section; offsets only grow and end at the input's size
 * when the reader reports a clean end. Build and run: scripts/fuzz_car.sh.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/car.h"
#include "formats/varint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct {
    const uint8_t *p;
    size_t n, pos;
    unsigned step; /* bytes per read: 1..64, from the input's first byte */
} src;

static ia_status read_src(void *ctx, uint8_t *buf, size_t want, size_t *got) {
    src *s = ctx;
    size_t k = want < s->step ? want : s->step;
    if (k > s->n - s->pos) k = s->n - s->pos;
    memcpy(buf, s->p + s->pos, k);
    s->pos += k;
    *got = k;
    return IA_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ia_car_reader r;
    src s;
    uint8_t *hdr;
    size_t hn;
    uint64_t last = 0;
    if (size < 1) return 0;
    s.p = data + 1, s.n = size - 1, s.pos = 0, s.step = 1 + data[0] % 64;
    if (ia_car_reader_open(&r, read_src, &s) != IA_OK) return 0;
    /* the accepted header is the one canonical spelling of its roots */
    if (!r.n_roots) abort();
    hn = ia_car_header_size(r.roots, r.n_roots);
    if (!(hdr = malloc(hn))) abort();
    if (ia_car_header_encode(r.roots, r.n_roots, hdr, hn) != hn || hn != r.offset || memcmp(hdr, s.p, hn) != 0) abort();
    free(hdr);
    for (;;) {
        const uint8_t *block;
        size_t len, clen;
        uint64_t at, sec;
        uint8_t cid[IA_CID_MAX_BYTES];
        ia_cid c;
        if (ia_car_reader_next(&r, &c, &block, &len, &at) != IA_OK) break;
        if (at < last || at > s.n) abort();
        if (!block) {
            if (at != s.n || r.offset != s.n) abort(); /* the clean end is the input's end */
            break;
        }
        /* the section: varint, CID bytes, block — all inside the input */
        if (!ia_uvarint_get(s.p + at, s.n - at, &sec)) abort();
        clen = ia_cid_to_bytes(&c, cid, sizeof cid);
        if (!clen || clen + len != sec || r.offset != at + ia_varint_len(sec) + sec) abort();
        if (memcmp(s.p + at + ia_varint_len(sec), cid, clen) != 0) abort();
        if (len && memcmp(block, s.p + r.offset - len, len) != 0) abort();
        last = r.offset;
    }
    ia_car_reader_free(&r);
    return 0;
}
