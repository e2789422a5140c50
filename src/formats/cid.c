/*
 * cid.c — CIDv0/CIDv1 in bytes and text (see cid.h).
 */
#include "formats/cid.h"

#include <string.h>

#include "formats/multibase.h"
#include "formats/varint.h"
#include "util/error.h"
#include "util/sha256.h"

ia_status ia_cid_sha256(int version, uint64_t codec, const uint8_t digest[32], ia_cid *out) {
    if (version != 0 && version != 1) return ia_error(IA_ERR_INVALID_ARG, "CID version %d (0 or 1)", version);
    if (version == 0 && codec != IA_CODEC_DAG_PB)
        return ia_error(IA_ERR_INVALID_ARG, "CIDv0 names dag-pb blocks only (codec 0x%llx)", (unsigned long long)codec);
    memset(out, 0, sizeof *out);
    out->version = version;
    out->codec = codec;
    out->hash = IA_MH_SHA2_256;
    out->digest_len = 32;
    memcpy(out->digest, digest, 32);
    return IA_OK;
}

ia_status ia_cid_of_block(int version, uint64_t codec, const void *block, size_t n, ia_cid *out) {
    ia_sha256 s;
    uint8_t d[32];
    ia_sha256_init(&s);
    ia_sha256_update(&s, block, n);
    ia_sha256_final(&s, d);
    return ia_cid_sha256(version, codec, d, out);
}

size_t ia_cid_to_bytes(const ia_cid *c, uint8_t *out, size_t cap) {
    uint8_t tmp[IA_CID_MAX_BYTES];
    size_t n = 0;
    if (c->digest_len > IA_CID_MAX_DIGEST) return 0;
    if (c->version == 1) {
        n += ia_varint_put(tmp + n, 1);
        n += ia_varint_put(tmp + n, c->codec);
    }
    n += ia_varint_put(tmp + n, c->hash);
    n += ia_varint_put(tmp + n, c->digest_len);
    memcpy(tmp + n, c->digest, c->digest_len);
    n += c->digest_len;
    if (n > cap) return 0;
    memcpy(out, tmp, n);
    return n;
}

/* The multihash at p[0..n): code, length, digest. */
static ia_status read_multihash(const uint8_t *p, size_t n, ia_cid *out, size_t *used) {
    uint64_t code, len;
    size_t a, b;
    if (!(a = ia_uvarint_get(p, n, &code))) return ia_error(IA_ERR_FORMAT, "CID: malformed multihash code");
    if (!(b = ia_uvarint_get(p + a, n - a, &len))) return ia_error(IA_ERR_FORMAT, "CID: malformed digest length");
    if (len > IA_CID_MAX_DIGEST)
        return ia_error(IA_ERR_FORMAT, "CID: digest of %llu bytes (at most %d)", (unsigned long long)len, IA_CID_MAX_DIGEST);
    if (len > n - a - b)
        return ia_error(IA_ERR_FORMAT, "CID: digest of %llu bytes but %zu left", (unsigned long long)len, n - a - b);
    if (code == IA_MH_SHA2_256 && len != 32)
        return ia_error(IA_ERR_FORMAT, "CID: sha2-256 digest of %llu bytes (32)", (unsigned long long)len);
    out->hash = code;
    out->digest_len = (size_t)len;
    memcpy(out->digest, p + a + b, (size_t)len);
    *used = a + b + (size_t)len;
    return IA_OK;
}

ia_status ia_cid_read(const uint8_t *p, size_t n, ia_cid *out, size_t *used) {
    uint64_t version, codec;
    size_t a, b, m = 0;
    ia_status st;
    memset(out, 0, sizeof *out);
    /* CIDv0 is a bare sha2-256 multihash: it starts 0x12 0x20, which as a
     * varint version would read 18, no CID version. */
    if (n >= 2 && p[0] == IA_MH_SHA2_256 && p[1] == 32) {
        if (n < 34) return ia_error(IA_ERR_FORMAT, "CIDv0: %zu bytes (34)", n);
        out->version = 0;
        out->codec = IA_CODEC_DAG_PB;
        out->hash = IA_MH_SHA2_256;
        out->digest_len = 32;
        memcpy(out->digest, p + 2, 32);
        *used = 34;
        return IA_OK;
    }
    if (!(a = ia_uvarint_get(p, n, &version))) return ia_error(IA_ERR_FORMAT, "CID: malformed version");
    if (version != 1) return ia_error(IA_ERR_FORMAT, "CID: version %llu (1 in binary CIDv1)", (unsigned long long)version);
    if (!(b = ia_uvarint_get(p + a, n - a, &codec))) return ia_error(IA_ERR_FORMAT, "CID: malformed codec");
    if ((st = read_multihash(p + a + b, n - a - b, out, &m)) != IA_OK) return st;
    out->version = 1;
    out->codec = codec;
    *used = a + b + m;
    return IA_OK;
}

ia_status ia_cid_from_bytes(const uint8_t *p, size_t n, ia_cid *out) {
    size_t used = 0;
    ia_status st = ia_cid_read(p, n, out, &used);
    if (st != IA_OK) return st;
    if (used != n) return ia_error(IA_ERR_FORMAT, "CID: %zu bytes after the CID", n - used);
    return IA_OK;
}

size_t ia_cid_to_string(const ia_cid *c, char *out, size_t cap) {
    uint8_t b[IA_CID_MAX_BYTES];
    size_t n = ia_cid_to_bytes(c, b, sizeof b), len;
    if (!n) return 0;
    if (c->version == 0) return ia_base58btc_encode(b, n, out, cap);
    if (cap < 2) return 0;
    len = ia_base32_encode(b, n, out + 1, cap - 1);
    if (!len) return 0;
    out[0] = 'b';
    return len + 1;
}

ia_status ia_cid_parse(const char *s, ia_cid *out) {
    uint8_t b[IA_CID_MAX_TEXT];
    size_t n, len = strnlen(s, IA_CID_MAX_TEXT + 1);
    char base;
    ia_status st;
    if (len > IA_CID_MAX_TEXT) return ia_error(IA_ERR_FORMAT, "CID text longer than %d chars", IA_CID_MAX_TEXT);
    if (len == 46 && s[0] == 'Q' && s[1] == 'm') {
        if ((st = ia_base58btc_decode(s, len, b, sizeof b, &n)) != IA_OK) return ia_error_prefix(st, "CIDv0");
        if (n != 34 || b[0] != IA_MH_SHA2_256 || b[1] != 32) return ia_error(IA_ERR_FORMAT, "CIDv0: not a sha2-256 multihash");
        return ia_cid_from_bytes(b, n, out);
    }
    if ((st = ia_multibase_decode(s, b, sizeof b, &n, &base)) != IA_OK) return ia_error_prefix(st, "CID");
    /* text other than "Qm..." is CIDv1: a v0-shaped byte string there is an
     * error, not a second spelling of the v0 CID */
    if (n >= 2 && b[0] == IA_MH_SHA2_256 && b[1] == 32)
        return ia_error(IA_ERR_FORMAT, "CID: multibase text holding a CIDv0 (write CIDv0 as bare base58btc)");
    return ia_cid_from_bytes(b, n, out);
}

int ia_cid_equal(const ia_cid *a, const ia_cid *b) {
    return a->version == b->version && a->codec == b->codec && a->hash == b->hash && a->digest_len == b->digest_len &&
           memcmp(a->digest, b->digest, a->digest_len) == 0;
}
