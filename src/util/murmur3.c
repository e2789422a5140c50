/*
 * murmur3.c — MurmurHash3_x64_128's first half (see murmur3.h). Blocks are
 * read byte by byte as little-endian words, so the result does not depend
 * on the host's byte order or alignment.
 */
#include "util/murmur3.h"

static uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

static uint64_t le64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

static uint64_t fmix(uint64_t k) {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdull;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ull;
    k ^= k >> 33;
    return k;
}

uint64_t ia_murmur3_x64_64(const void *key, size_t len, uint32_t seed) {
    const uint8_t *p = key, *tail;
    const uint64_t c1 = 0x87c37b91114253d5ull, c2 = 0x4cf5ad432745937full;
    uint64_t h1 = seed, h2 = seed, k1 = 0, k2 = 0;
    size_t nblocks = len / 16;
    for (size_t i = 0; i < nblocks; i++) {
        k1 = le64(p + 16 * i);
        k2 = le64(p + 16 * i + 8);
        k1 *= c1, k1 = rotl(k1, 31), k1 *= c2, h1 ^= k1;
        h1 = rotl(h1, 27), h1 += h2, h1 = h1 * 5 + 0x52dce729;
        k2 *= c2, k2 = rotl(k2, 33), k2 *= c1, h2 ^= k2;
        h2 = rotl(h2, 31), h2 += h1, h2 = h2 * 5 + 0x38495ab5;
    }
    tail = p + 16 * nblocks;
    k1 = k2 = 0;
    /* the reference's fall-through switch, as two loops */
    for (size_t i = len & 15; i > 8; i--) k2 ^= (uint64_t)tail[i - 1] << (8 * (i - 9));
    if ((len & 15) > 8) k2 *= c2, k2 = rotl(k2, 33), k2 *= c1, h2 ^= k2;
    for (size_t i = (len & 15) < 8 ? (len & 15) : 8; i > 0; i--) k1 ^= (uint64_t)tail[i - 1] << (8 * (i - 1));
    if (len & 15) k1 *= c1, k1 = rotl(k1, 31), k1 *= c2, h1 ^= k1;
    h1 ^= (uint64_t)len, h2 ^= (uint64_t)len;
    h1 += h2, h2 += h1;
    h1 = fmix(h1), h2 = fmix(h2);
    h1 += h2;
    return h1;
}
