/*
 * car.h — CAR v1, the Content Addressable aRchive (ipld.io/specs/transport/car/carv1):
 * a header naming the root CIDs, then every block as a section.
 *
 *   header   = varint(len) + dag-cbor {"roots": [CID...], "version": 1}
 *              (keys in dag-cbor's canonical order: "roots" is shorter)
 *   CID      = CBOR tag 42 over a byte string holding 0x00 (the identity
 *              multibase prefix) followed by the binary CID
 *   section  = varint(len(CID bytes) + len(block)) + CID bytes + block
 *
 * The dag-cbor here is exactly that one map: a strict, minimal encoder and
 * decoder, not a CBOR library. The decoder takes hostile input: shortest
 * encodings only (dag-cbor's rule), no indefinite lengths, keys in
 * canonical order, nothing unknown, nothing trailing; CARv2's pragma
 * ({"version": 2}) is recognised and refused as unsupported.
 *
 * The section reader streams (a 100 MB CAR never sits in memory): each
 * section's length is checked against IA_CAR_MAX_SECTION before anything
 * is allocated, and every error names the byte offset it was found at. It
 * checks the shape of each CID, not the hash: the block store hashes every
 * block before it keeps it (store/car_io.c).
 */
#ifndef IA_FORMATS_CAR_H
#define IA_FORMATS_CAR_H

#include <stddef.h>
#include <stdint.h>

#include "formats/cid.h"
#include "formats/dagpb.h"
#include "ipfs_accelerate.h"

/* Largest header read: 1024 roots of the longest CID fit in ~100 KB, and
 * go-car's own reader stops at 32 MiB; a header is never large. */
#define IA_CAR_MAX_HEADER (1u << 20)
#define IA_CAR_MAX_ROOTS 1024
/* Largest block: the dag-pb decoder's limit (4 MiB, twice Bitswap's 2 MiB
 * block limit), so every block a CAR may hold can be decoded. */
#define IA_CAR_MAX_BLOCK IA_DAGPB_MAX_BLOCK
#define IA_CAR_MAX_SECTION (IA_CAR_MAX_BLOCK + IA_CID_MAX_BYTES)

/* The whole header (its varint length included) for roots[0..n) (n >= 1)
 * into out. Returns the length, or 0 when cap is too small or a root does
 * not encode. ia_car_header_size gives the length first. */
size_t ia_car_header_size(const ia_cid *roots, size_t n);
size_t ia_car_header_encode(const ia_cid *roots, size_t n, uint8_t *out, size_t cap);

/* Decodes a header's dag-cbor (p[0..n): the bytes after the varint
 * length). roots (cap_roots entries) receives the roots, *n_roots their
 * count. IA_ERR_FORMAT naming the problem; IA_ERR_UNSUPPORTED for a CARv2
 * pragma or another version. */
ia_status ia_car_header_decode(const uint8_t *p, size_t n, ia_cid *roots, size_t cap_roots, size_t *n_roots);

/* A section's head (varint length, CID bytes) for a block of block_len
 * bytes; the block's bytes follow it. Returns the length (at most
 * IA_VARINT_MAX + IA_CID_MAX_BYTES), or 0 when cap is too small. */
size_t ia_car_section_head(const ia_cid *cid, size_t block_len, uint8_t *out, size_t cap);

/* Reads up to want bytes into buf; *got < want only at the end of the
 * input (0 when nothing is left). */
typedef ia_status (*ia_car_read_fn)(void *ctx, uint8_t *buf, size_t want, size_t *got);

typedef struct ia_car_reader {
    ia_car_read_fn read;
    void *ctx;
    uint64_t offset;   /* bytes consumed so far */
    ia_cid *roots;     /* owned */
    size_t n_roots;
    uint8_t *buf;      /* one section; grows up to IA_CAR_MAX_SECTION */
    size_t cap;
} ia_car_reader;

/* Reads and checks the header. On failure the reader is freed. */
ia_status ia_car_reader_open(ia_car_reader *r, ia_car_read_fn fn, void *ctx);

/* The next section: its CID, its block (borrowed; valid until the next
 * call) and the offset of its first byte (*at). At the clean end of the
 * input *block is NULL and IA_OK is returned; a file that ends inside a
 * section is IA_ERR_FORMAT ("truncated"). */
ia_status ia_car_reader_next(ia_car_reader *r, ia_cid *cid, const uint8_t **block, size_t *len, uint64_t *at);

/* NULL-safe. */
void ia_car_reader_free(ia_car_reader *r);

#endif
