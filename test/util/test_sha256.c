/*
 * test_sha256.c — SHA-256 against the FIPS 180-4 / NIST example vectors,
 * and incremental updates in odd chunks equal to one call.
 */
#include <string.h>

#include "harness.h"
#include "util/sha256.h"

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
