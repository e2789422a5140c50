/*
 * sha256.c — SHA-256 after FIPS 180-4 (section 6.2): the padding and the
 * buffering here, the compression function chosen once per process.
 *
 * The portable compression below is written for clarity; it was enough
 * while the inputs were a few hundred KiB (configs, file headers). UnixFS
 * CIDs (store/) hash every byte of a file, so on x86-64 CPUs with the SHA
 * extensions the compression runs in sha256_shani.c instead, picked by
 * cpuid at the first use (sha256_blocks.h).
 */
#include "util/sha256.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "util/cpuid.h"
#include "util/sha256_blocks.h"

const uint32_t ia_sha256_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t ror(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

static void compress(uint32_t h[8], const uint8_t *p) {
    const uint32_t *K = ia_sha256_k;
    uint32_t w[64], a, b, c, d, e, f, g, k;
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = k + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
        uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        k = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += k;
}

void ia_sha256_blocks_portable(uint32_t h[8], const uint8_t *p, size_t n) {
    for (; n; n--, p += 64) compress(h, p);
}

int ia_sha256_shani_usable(void) {
#if defined(IA_SHA256_HAVE_SHANI)
    ia_cpuid_regs r;
    ia_cpu_flags f;
    ia_cpuid_read(&r);
    f = ia_cpuid_decode(&r);
    return ia_cpu_flags_has(f, IA_CPU_SHA_NI) && ia_cpu_flags_has(f, IA_CPU_SSSE3) &&
           ia_cpu_flags_has(f, IA_CPU_SSE4_1);
#else
    return 0;
#endif
}

typedef void (*blocks_fn)(uint32_t h[8], const uint8_t *p, size_t n);

/* 0 = not chosen yet, 1 = portable, 2 = SHA-NI. Two threads may both
 * choose at once; they choose the same, so the race is harmless. Chosen
 * once because cpuid traps to the hypervisor in a VM (microseconds). */
static atomic_int chosen;

static int choose(void) {
    int c = atomic_load_explicit(&chosen, memory_order_relaxed);
    if (c) return c;
    {
        const char *force = getenv("IA_SHA256");
        c = (force && strcmp(force, "portable") == 0) || !ia_sha256_shani_usable() ? 1 : 2;
    }
    atomic_store_explicit(&chosen, c, memory_order_relaxed);
    return c;
}

static void blocks(uint32_t h[8], const uint8_t *p, size_t n) {
#if defined(IA_SHA256_HAVE_SHANI)
    if (choose() == 2) {
        ia_sha256_blocks_shani(h, p, n);
        return;
    }
#endif
    ia_sha256_blocks_portable(h, p, n);
}

const char *ia_sha256_impl(void) { return choose() == 2 ? "sha-ni" : "portable"; }

void ia_sha256_init(ia_sha256 *s) {
    static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(s->h, h0, sizeof h0);
    s->bytes = 0;
}

void ia_sha256_update(ia_sha256 *s, const void *data, size_t n) {
    const uint8_t *p = data;
    size_t have = (size_t)(s->bytes % 64);
    s->bytes += n;
    if (have) {
        size_t take = 64 - have < n ? 64 - have : n;
        memcpy(s->block + have, p, take);
        p += take, n -= take, have += take;
        if (have < 64) return;
        blocks(s->h, s->block, 1);
    }
    if (n >= 64) {
        blocks(s->h, p, n / 64);
        p += n / 64 * 64, n %= 64;
    }
    if (n) memcpy(s->block, p, n);
}

void ia_sha256_final(ia_sha256 *s, uint8_t digest[32]) {
    uint64_t bits = s->bytes * 8;
    uint8_t pad[72] = {0x80};
    size_t have = (size_t)(s->bytes % 64), padn = have < 56 ? 56 - have : 120 - have;
    for (int i = 0; i < 8; i++) pad[padn + (size_t)i] = (uint8_t)(bits >> (56 - 8 * i));
    ia_sha256_update(s, pad, padn + 8);
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 4; j++) digest[4 * i + j] = (uint8_t)(s->h[i] >> (24 - 8 * j));
}

void ia_sha256_hex(const uint8_t digest[32], size_t n_bytes, char *out) {
    static const char hex[] = "0123456789abcdef";
    if (n_bytes > 32) n_bytes = 32;
    for (size_t i = 0; i < n_bytes; i++) {
        out[2 * i] = hex[digest[i] >> 4];
        out[2 * i + 1] = hex[digest[i] & 15];
    }
    out[2 * n_bytes] = '\0';
}
