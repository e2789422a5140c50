/*
 * test_multibase.c — base58btc and base32 against known encodings
 * (Bitcoin's and RFC 4648's), round trips, and hostile text.
 */
#include <stdint.h>
#include <string.h>

#include "formats/multibase.h"
#include "harness.h"

IA_TEST(multibase_known_encodings) {
    char out[256];
    uint8_t back[128];
    size_t n;
    /* RFC 4648 section 10, lower case and unpadded */
    static const struct { const char *in, *b32; } rfc[] = {
        {"", ""}, {"f", "my"}, {"fo", "mzxq"}, {"foo", "mzxw6"}, {"foob", "mzxw6yq"}, {"fooba", "mzxw6ytb"},
        {"foobar", "mzxw6ytboi"},
    };
    for (size_t i = 0; i < sizeof rfc / sizeof *rfc; i++) {
        size_t len = strlen(rfc[i].in);
        CHECK(ia_base32_encode((const uint8_t *)rfc[i].in, len, out, sizeof out) == strlen(rfc[i].b32) || len == 0);
        CHECK_MSG(strcmp(out, rfc[i].b32) == 0, "base32(%s) = %s", rfc[i].in, out);
        CHECK(ia_base32_decode(rfc[i].b32, strlen(rfc[i].b32), back, sizeof back, &n) == IA_OK && n == len &&
              memcmp(back, rfc[i].in, len) == 0);
    }
    /* base58btc: "hello world" as the multibase spec's examples write it */
    CHECK(ia_base58btc_encode((const uint8_t *)"hello world", 11, out, sizeof out) == 15);
    CHECK_MSG(strcmp(out, "StV1DL6CwTryKyV") == 0, "%s", out);
    {
        static const uint8_t z[] = {0, 0, 1};
        ia_base58btc_encode(z, 3, out, sizeof out);
        CHECK(strcmp(out, "112") == 0); /* leading zero bytes are '1's */
        CHECK(ia_base58btc_decode("112", 3, back, sizeof back, &n) == IA_OK && n == 3 && memcmp(back, z, 3) == 0);
    }
    {
        char base;
        CHECK(ia_multibase_decode("zStV1DL6CwTryKyV", back, sizeof back, &n, &base) == IA_OK && base == 'z' &&
              n == 11 && memcmp(back, "hello world", 11) == 0);
        CHECK(ia_multibase_decode("bnbswy3dpeb3w64tmmq", back, sizeof back, &n, &base) == IA_OK && base == 'b' &&
              n == 11 && memcmp(back, "hello world", 11) == 0);
    }
}

IA_TEST(multibase_round_trips_every_length) {
    uint8_t in[80], back[128];
    char out[256];
    for (size_t len = 0; len < sizeof in; len++) {
        size_t n;
        /* len % 4 leading zero bytes: base58 writes each as a leading 1 */
        for (size_t i = 0; i < len; i++) in[i] = i < len % 4 ? 0 : (uint8_t)(i * 37 + len * 11 + 1);
        CHECK(ia_base58btc_encode(in, len, out, sizeof out) == strlen(out));
        CHECK(ia_base58btc_decode(out, strlen(out), back, sizeof back, &n) == IA_OK && n == len && memcmp(in, back, len) == 0);
        CHECK(ia_base32_encode(in, len, out, sizeof out) == strlen(out));
        CHECK(ia_base32_decode(out, strlen(out), back, sizeof back, &n) == IA_OK && n == len && memcmp(in, back, len) == 0);
    }
}

IA_TEST(multibase_rejects_hostile_text) {
    uint8_t back[64];
    char big[IA_MULTIBASE_MAX_TEXT + 2];
    size_t n;
    char base;
    CHECK(ia_base58btc_decode("0OIl", 4, back, sizeof back, &n) == IA_ERR_FORMAT); /* not in the alphabet */
    CHECK(ia_base58btc_decode("ab\0c", 4, back, sizeof back, &n) == IA_ERR_FORMAT);
    CHECK(ia_base32_decode("MZXW6", 5, back, sizeof back, &n) == IA_ERR_FORMAT);  /* upper case */
    CHECK(ia_base32_decode("mzxw6===", 8, back, sizeof back, &n) == IA_ERR_FORMAT); /* padding */
    CHECK(ia_base32_decode("mz", 2, back, sizeof back, &n) == IA_ERR_FORMAT);   /* trailing bits set */
    CHECK(ia_base32_decode("m", 1, back, sizeof back, &n) == IA_ERR_FORMAT);    /* no byte length */
    CHECK(ia_base32_decode("mzxw6ytboi", 10, back, 3, &n) == IA_ERR_INVALID_ARG); /* cap */
    memset(big, 'z', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    CHECK(ia_base58btc_decode(big, strlen(big), back, sizeof back, &n) == IA_ERR_FORMAT);
    CHECK(ia_multibase_decode("", back, sizeof back, &n, &base) == IA_ERR_FORMAT);
    CHECK(ia_multibase_decode("fabcd", back, sizeof back, &n, &base) == IA_ERR_UNSUPPORTED);
    {
        uint8_t z[40] = {0};
        CHECK(ia_base58btc_encode(z, sizeof z, (char *)back, 8) == 0); /* cap too small */
    }
}
