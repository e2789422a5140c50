/*
 * sha256.h — SHA-256 (FIPS 180-4), incremental. Used where the core needs
 * a content identity that is cheap to compute and stable everywhere: the
 * model fingerprint (formats/model_id.c) and the machine id
 * (hw/machine_id.c), and every block of a UnixFS import (store/). Portable
 * C, no library: the wasm32 build has it too; x86-64 CPUs with the SHA
 * extensions run the rounds in hardware (sha256_blocks.h).
 */
#ifndef IA_UTIL_SHA256_H
#define IA_UTIL_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct ia_sha256 {
    uint32_t h[8];
    uint64_t bytes;     /* message length so far */
    uint8_t block[64];  /* pending bytes: bytes % 64 of them */
} ia_sha256;

void ia_sha256_init(ia_sha256 *s);
void ia_sha256_update(ia_sha256 *s, const void *data, size_t n);
/* Writes the 32-byte digest; s must be re-initialised before reuse. */
void ia_sha256_final(ia_sha256 *s, uint8_t digest[32]);

/* Lower-case hex of the first n_bytes (<= 32) of a digest into out, which
 * holds 2 * n_bytes + 1 chars. */
void ia_sha256_hex(const uint8_t digest[32], size_t n_bytes, char *out);

#endif
