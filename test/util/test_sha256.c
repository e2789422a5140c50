/*
 * test_sha256.c — SHA-256 against the FIPS 180-4 / NIST example vectors,
 * incremental updates in odd chunks equal to one call, and the SHA-NI
 * rounds equal to the portable ones.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "util/sha256.h"
#include "util/sha256_blocks.h"

static void hex_of(const void *data, size_t n, char out[65]) {
    ia_sha256 s;
    uint8_t d[32];
    ia_sha256_init(&s);
    ia_sha256_update(&s, data, n);
    ia_sha256_final(&s, d);
    ia_sha256_hex(d, 32, out);
}

IA_TEST(sha256_nist_vectors) {
    static const struct {
        const char *msg, *hex;
    } v[] = {
        {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
        {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
    };
    char got[65];
    for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
        hex_of(v[i].msg, strlen(v[i].msg), got);
        CHECK_MSG(strcmp(got, v[i].hex) == 0, "sha256(\"%s\") = %s", v[i].msg, got);
    }
}

IA_TEST(sha256_million_a_in_odd_chunks) {
    static char buf[1000];
    ia_sha256 s;
    uint8_t d[32];
    char got[65], short_hex[9];
    size_t done = 0, step = 1;
    memset(buf, 'a', sizeof buf);
    ia_sha256_init(&s);
    /* chunks of 1, 2, 3, ... bytes cross every block boundary offset */
    while (done < 1000000) {
        size_t n = step < 1000000 - done ? step : 1000000 - done;
        if (n > sizeof buf) n = sizeof buf;
        ia_sha256_update(&s, buf, n);
        done += n;
        step = step % 997 + 1;
    }
    ia_sha256_final(&s, d);
    ia_sha256_hex(d, 32, got);
    CHECK_MSG(strcmp(got, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0") == 0, "%s", got);
    ia_sha256_hex(d, 4, short_hex);
    CHECK(strcmp(short_hex, "cdc76e5c") == 0);
}

/* The whole SHA-256 of data with a given compression (the padding of
 * FIPS 180-4 5.1.1 written out again here, apart from sha256.c's). */
static void digest_with(void (*fn)(uint32_t *, const uint8_t *, size_t), const uint8_t *data, size_t n,
                        uint8_t out[32]) {
    uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                     0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    uint8_t tail[128] = {0};
    size_t full = n / 64 * 64, rest = n - full, tail_len = rest < 56 ? 64 : 128;
    uint64_t bits = (uint64_t)n * 8;
    fn(h, data, n / 64);
    memcpy(tail, data + full, rest);
    tail[rest] = 0x80;
    for (int i = 0; i < 8; i++) tail[tail_len - 1 - (size_t)i] = (uint8_t)(bits >> (8 * i));
    fn(h, tail, tail_len / 64);
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 4; j++) out[4 * i + j] = (uint8_t)(h[i] >> (24 - 8 * j));
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint8_t rnd_byte(void) {
    rng_state ^= rng_state << 13, rng_state ^= rng_state >> 7, rng_state ^= rng_state << 17;
    return (uint8_t)(rng_state >> 24);
}

/* The portable rounds through the written-out padding equal the library's
 * incremental API (whatever it dispatched to) on every length 0..1100 and
 * on a few large ones; then the SHA-NI rounds, when this CPU has them,
 * equal the portable ones on the same inputs and on random states. */
IA_TEST(sha256_shani_equals_portable) {
    enum { BIG = (1 << 20) + 4099 };
    uint8_t *buf = malloc(BIG);
    uint8_t a[32], b[32];
    static const size_t big[] = {4096, 65535, 65536, 262144, 262158, 1 << 20, BIG};
    size_t lens[1101 + sizeof big / sizeof *big], n_lens = 0;
    int have = ia_sha256_shani_usable();
    REQUIRE(buf != NULL);
    for (size_t i = 0; i < BIG; i++) buf[i] = rnd_byte();
    for (size_t n = 0; n <= 1100; n++) lens[n_lens++] = n;
    for (size_t i = 0; i < sizeof big / sizeof *big; i++) lens[n_lens++] = big[i];
    for (size_t i = 0; i < n_lens; i++) {
        ia_sha256 s;
        digest_with(ia_sha256_blocks_portable, buf, lens[i], a);
        ia_sha256_init(&s);
        ia_sha256_update(&s, buf, lens[i] / 3);
        ia_sha256_update(&s, buf + lens[i] / 3, lens[i] - lens[i] / 3);
        ia_sha256_final(&s, b);
        CHECK_MSG(memcmp(a, b, 32) == 0, "length %zu: portable != library (%s)", lens[i], ia_sha256_impl());
#if defined(IA_SHA256_HAVE_SHANI)
        if (have) {
            digest_with(ia_sha256_blocks_shani, buf, lens[i], b);
            CHECK_MSG(memcmp(a, b, 32) == 0, "length %zu: sha-ni != portable", lens[i]);
        }
#endif
    }
#if defined(IA_SHA256_HAVE_SHANI)
    /* arbitrary chaining values, 1..9 blocks at odd offsets */
    for (int t = 0; have && t < 200; t++) {
        uint32_t h1[8], h2[8];
        size_t nb = 1 + (size_t)t % 9, off = (size_t)rnd_byte();
        for (int i = 0; i < 8; i++) h1[i] = h2[i] = (uint32_t)rnd_byte() << 24 | (uint32_t)rnd_byte() << 8 | rnd_byte();
        ia_sha256_blocks_portable(h1, buf + off, nb);
        ia_sha256_blocks_shani(h2, buf + off, nb);
        CHECK_MSG(memcmp(h1, h2, sizeof h1) == 0, "random state %d: sha-ni != portable", t);
    }
#endif
    free(buf);
    if (!have) SKIP("this CPU (or build) has no SHA extensions: only the portable path was checked");
    CHECK(strcmp(ia_sha256_impl(), getenv("IA_SHA256") && strcmp(getenv("IA_SHA256"), "portable") == 0
                                       ? "portable" : "sha-ni") == 0);
}
