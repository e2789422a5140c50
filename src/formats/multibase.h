/*
 * multibase.h — the two text encodings CIDs are written in, with
 * multibase's one-character prefix:
 *   'z' base58btc (Bitcoin's alphabet; CIDv0 is base58btc *without* the
 *       prefix, and that is how kubo prints it: "Qm...")
 *   'b' base32, RFC 4648 alphabet in lower case, no padding (how kubo
 *       prints CIDv1: "bafy...", "bafk...")
 * Decoders treat their input as hostile: bounded lengths, every character
 * checked, no output past cap.
 */
#ifndef IA_FORMATS_MULTIBASE_H
#define IA_FORMATS_MULTIBASE_H

#include <stddef.h>
#include <stdint.h>

#include "ipfs_accelerate.h"

/* Longest text a decoder accepts (base58 decoding is quadratic in it;
 * the longest CID we read is far shorter). */
#define IA_MULTIBASE_MAX_TEXT 1024

/* base58btc of in[0..n) into out (cap bytes, NUL-terminated). Returns the
 * length without the NUL, or 0 when cap is too small (n = 0 gives ""). */
size_t ia_base58btc_encode(const uint8_t *in, size_t n, char *out, size_t cap);

/* base58btc text s[0..len) into out (cap bytes); *out_n the byte count.
 * IA_ERR_FORMAT for a character outside the alphabet or text over
 * IA_MULTIBASE_MAX_TEXT, IA_ERR_INVALID_ARG when cap is too small. */
ia_status ia_base58btc_decode(const char *s, size_t len, uint8_t *out, size_t cap, size_t *out_n);

/* base32 lower-case, no padding. Same contracts as the base58 pair; the
 * decoder also rejects upper case, padding and non-zero trailing bits
 * (which would give one byte string two spellings). */
size_t ia_base32_encode(const uint8_t *in, size_t n, char *out, size_t cap);
ia_status ia_base32_decode(const char *s, size_t len, uint8_t *out, size_t cap, size_t *out_n);

/* Multibase text (prefix + body) into bytes; *base gets the prefix. Only
 * 'z' and 'b' are known; another prefix is IA_ERR_UNSUPPORTED. */
ia_status ia_multibase_decode(const char *s, uint8_t *out, size_t cap, size_t *out_n, char *base);

#endif
