/*
 * fuzz_unixfs.c — libFuzzer target for the decoders UnixFS blocks and CIDs
 * go through: dag-pb, the UnixFS Data message, binary and text CIDs,
 * multibase, varints.
 *
 * Beyond "no crash, no read outside the input" (ASan), each decoder's
 * success is checked for meaning: what a decoder accepted encodes again
 * and decodes to the same thing; a binary CID accepted is exactly its own
 * canonical bytes; a CID's text parses back to the same CID. Build and
 * run: scripts/fuzz_unixfs.sh. Not part of ia_tests (CMake excludes
 * test/fuzz/).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/cid.h"
#include "formats/dagpb.h"
#include "formats/multibase.h"
#include "formats/unixfs_pb.h"
#include "formats/varint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_unixfs(const uint8_t *p, size_t n) {
    ia_unixfs_data u, v;
    uint8_t *buf;
    size_t len;
    if (ia_unixfs_decode(p, n, &u) != IA_OK) return;
    if (u.has_data && (u.data < p || u.data + u.data_len > p + n)) abort();
    len = ia_unixfs_size(&u);
    if (!(buf = malloc(len ? len : 1))) abort();
    if (ia_unixfs_encode(&u, buf) != len) abort();
    if (ia_unixfs_decode(buf, len, &v) != IA_OK) abort();
    if (v.type != u.type || v.has_data != u.has_data || v.data_len != u.data_len ||
        (u.data_len && memcmp(v.data, u.data, u.data_len) != 0) || v.filesize != u.filesize ||
        v.n_blocksizes != u.n_blocksizes || v.fanout != u.fanout || v.hash_type != u.hash_type || v.mode != u.mode ||
        v.has_mtime != u.has_mtime || v.mtime_sec != u.mtime_sec || v.mtime_nsec != u.mtime_nsec)
        abort();
    for (size_t i = 0; i < u.n_blocksizes; i++)
        if (u.blocksizes[i] != v.blocksizes[i]) abort();
    ia_unixfs_data_free(&v);
    ia_unixfs_data_free(&u);
    free(buf);
}

static void check_dagpb(const uint8_t *p, size_t n) {
    ia_dagpb_node a, b;
    uint8_t *buf;
    size_t len;
    if (ia_dagpb_decode(p, n, &a) != IA_OK) {
        if (a.links || a.n_links) abort(); /* zeroed on failure */
        return;
    }
    for (size_t i = 0; i < a.n_links; i++) {
        const ia_dagpb_link *l = &a.links[i];
        if (l->hash < p || l->hash + l->hash_len > p + n) abort();
        if (l->has_name && l->name_len && (l->name < p || l->name + l->name_len > p + n)) abort();
    }
    len = ia_dagpb_size(a.links, a.n_links, a.data_len, a.has_data);
    if (!(buf = malloc(len ? len : 1))) abort();
    if (ia_dagpb_encode(a.links, a.n_links, a.data, a.data_len, a.has_data, buf) != len) abort();
    if (ia_dagpb_decode(buf, len, &b) != IA_OK) abort();
    if (b.n_links != a.n_links || b.has_data != a.has_data || b.data_len != a.data_len) abort();
    for (size_t i = 0; i < a.n_links; i++)
        if (b.links[i].hash_len != a.links[i].hash_len || memcmp(b.links[i].hash, a.links[i].hash, a.links[i].hash_len) ||
            b.links[i].tsize != a.links[i].tsize || b.links[i].name_len != a.links[i].name_len)
            abort();
    if (a.has_data) check_unixfs(a.data, a.data_len);
    ia_dagpb_node_free(&b);
    ia_dagpb_node_free(&a);
    free(buf);
}

static void check_cid_text(const ia_cid *c) {
    char text[IA_CID_MAX_TEXT];
    ia_cid back;
    if (!ia_cid_to_string(c, text, sizeof text)) abort();
    if (ia_cid_parse(text, &back) != IA_OK || !ia_cid_equal(c, &back)) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ia_cid c;
    uint64_t v;
    char *s;
    check_dagpb(data, size);
    check_unixfs(data, size);
    if (ia_cid_from_bytes(data, size, &c) == IA_OK) {
        uint8_t b[IA_CID_MAX_BYTES];
        size_t n = ia_cid_to_bytes(&c, b, sizeof b);
        if (n != size || memcmp(b, data, n) != 0) abort(); /* one spelling per CID */
        check_cid_text(&c);
    }
    if (ia_uvarint_get(data, size, &v)) {
        uint8_t b[IA_VARINT_MAX];
        size_t n = ia_varint_put(b, v);
        if (memcmp(b, data, n) != 0) abort(); /* minimal: the only spelling */
    }
    /* the input as text */
    if (!(s = malloc(size + 1))) abort();
    memcpy(s, data, size);
    s[size] = '\0';
    if (ia_cid_parse(s, &c) == IA_OK) check_cid_text(&c);
    {
        uint8_t out[IA_MULTIBASE_MAX_TEXT];
        size_t n;
        char base;
        (void)ia_multibase_decode(s, out, sizeof out, &n, &base);
    }
    free(s);
    return 0;
}
