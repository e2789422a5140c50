/*
 * cid.h — content identifiers (multiformats CID), the names UnixFS blocks
 * go by.
 *
 *   CIDv0: the bare multihash of a dag-pb block, sha2-256 only: the 34
 *          bytes 0x12 0x20 <digest>, written base58btc without a prefix
 *          ("Qm..."), as kubo's `ipfs add` prints by default.
 *   CIDv1: varint version (1), varint codec (0x70 dag-pb, 0x55 raw, ...),
 *          then the multihash (varint hash code, varint digest length,
 *          digest), written in multibase, base32 ('b') by default.
 *
 * Parsing treats bytes and text as hostile: every varint bounded and
 * minimal, the digest length checked against the bytes there, trailing
 * bytes rejected, CIDv0's fixed shape enforced.
 */
#ifndef IA_FORMATS_CID_H
#define IA_FORMATS_CID_H

#include <stddef.h>
#include <stdint.h>

#include "ipfs_accelerate.h"

#define IA_CODEC_RAW 0x55
#define IA_CODEC_DAG_PB 0x70
#define IA_MH_IDENTITY 0x00
#define IA_MH_SHA2_256 0x12

#define IA_CID_MAX_DIGEST 64  /* sha2-512's; longer digests are refused */
#define IA_CID_MAX_BYTES 96   /* 3 varints of <= 9 bytes + the digest */
#define IA_CID_MAX_TEXT 160   /* multibase text of IA_CID_MAX_BYTES, + NUL */

typedef struct ia_cid {
    int version;          /* 0 or 1 */
    uint64_t codec;       /* IA_CODEC_*; dag-pb for every CIDv0 */
    uint64_t hash;        /* multihash code, IA_MH_* */
    size_t digest_len;
    uint8_t digest[IA_CID_MAX_DIGEST];
} ia_cid;

/* The CID of a sha2-256 digest. version 0 needs codec dag-pb
 * (IA_ERR_INVALID_ARG otherwise). */
ia_status ia_cid_sha256(int version, uint64_t codec, const uint8_t digest[32], ia_cid *out);

/* Hashes block[0..n) with sha2-256 and names it: the CID a block store
 * files that block under. */
ia_status ia_cid_of_block(int version, uint64_t codec, const void *block, size_t n, ia_cid *out);

/* Binary form into out (IA_CID_MAX_BYTES is always enough); the length,
 * or 0 when cap is too small. */
size_t ia_cid_to_bytes(const ia_cid *c, uint8_t *out, size_t cap);

/* Reads a binary CID at the start of p[0..n) (a CAR section, a dag-pb
 * link); *used gets its length. IA_ERR_FORMAT for anything malformed. */
ia_status ia_cid_read(const uint8_t *p, size_t n, ia_cid *out, size_t *used);

/* A binary CID that is exactly p[0..n) (trailing bytes are an error). */
ia_status ia_cid_from_bytes(const uint8_t *p, size_t n, ia_cid *out);

/* Text as kubo writes it: CIDv0 base58btc, CIDv1 base32 lower case
 * ('b' prefix). Returns the length, or 0 when cap is too small
 * (IA_CID_MAX_TEXT always fits). */
size_t ia_cid_to_string(const ia_cid *c, char *out, size_t cap);

/* Parses text: "Qm..." (46 chars) as CIDv0, else multibase ('b' or 'z')
 * holding a CIDv1. A CIDv1 whose bytes have CIDv0's shape is still v1. */
ia_status ia_cid_parse(const char *s, ia_cid *out);

/* 1 when a and b name the same block (version, codec and multihash). */
int ia_cid_equal(const ia_cid *a, const ia_cid *b);

#endif
