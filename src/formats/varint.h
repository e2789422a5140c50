/*
 * varint.h — unsigned LEB128 varints: seven bits a byte, low bits first,
 * the top bit set on every byte but the last.
 *
 * Two readers, because two specifications use the same bytes with
 * different rules:
 *   - multiformats' unsigned-varint (CIDs, multihashes, multicodecs): at
 *     most 9 bytes (63 bits) and minimally encoded — a trailing 0x00 byte
 *     would give one value two spellings, and a CID must have one;
 *   - protobuf (dag-pb, UnixFS): at most 10 bytes, the value must fit in
 *     64 bits; protobuf readers accept a non-minimal spelling, so we do.
 * Both read from a bounded buffer and never past its end: input is hostile.
 */
#ifndef IA_FORMATS_VARINT_H
#define IA_FORMATS_VARINT_H

#include <stddef.h>
#include <stdint.h>

#define IA_VARINT_MAX 10      /* bytes of the longest uint64 */
#define IA_UVARINT_MF_MAX 9   /* multiformats' limit (63 bits) */

/* Bytes v takes (1..10). */
size_t ia_varint_len(uint64_t v);

/* Writes v at out (room for ia_varint_len(v) bytes); returns the count. */
size_t ia_varint_put(uint8_t *out, uint64_t v);

/* Multiformats unsigned-varint at p[0..n): *v and the bytes used, or 0
 * when it is truncated, longer than 9 bytes or not minimal. */
size_t ia_uvarint_get(const uint8_t *p, size_t n, uint64_t *v);

/* Protobuf varint at p[0..n): *v and the bytes used, or 0 when it is
 * truncated, longer than 10 bytes or over 64 bits. */
size_t ia_pb_varint_get(const uint8_t *p, size_t n, uint64_t *v);

#endif
