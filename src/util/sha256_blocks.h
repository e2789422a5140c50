/*
 * sha256_blocks.h — the SHA-256 compression functions behind sha256.c, for
 * the dispatch there and for the test that holds them equal.
 *
 * Each one runs the compression function over n whole 64-byte blocks,
 * updating h in place. The portable one is always there; the SHA-NI one
 * (x86 SHA extensions) only in x86-64 builds, and may only be called when
 * ia_sha256_shani_usable() says the CPU has the instructions.
 */
#ifndef IA_UTIL_SHA256_BLOCKS_H
#define IA_UTIL_SHA256_BLOCKS_H

#include <stddef.h>
#include <stdint.h>

extern const uint32_t ia_sha256_k[64]; /* FIPS 180-4, 4.2.2 */

void ia_sha256_blocks_portable(uint32_t h[8], const uint8_t *p, size_t n);

#if defined(__x86_64__)
#define IA_SHA256_HAVE_SHANI 1
void ia_sha256_blocks_shani(uint32_t h[8], const uint8_t *p, size_t n);
#endif

/* 1 when this CPU (and build) can run ia_sha256_blocks_shani: sha_ni,
 * ssse3 and sse4_1 (the byte shuffles and blends around the rounds). */
int ia_sha256_shani_usable(void);

/* The compression in use: "sha-ni" or "portable". IA_SHA256=portable in
 * the environment forces the portable one (benchmarks, tests). */
const char *ia_sha256_impl(void);

#endif
