/*
 * test_cid.c — CIDs: the spec's and kubo's known CIDs parsed and written
 * back, binary round trips, and malformed CIDs refused.
 */
#include <string.h>

#include "formats/cid.h"
#include "harness.h"

IA_TEST(cid_known_cids_round_trip) {
    static const struct {
        const char *text;
        int version;
        unsigned codec;
    } known[] = {
        /* kubo: `echo -n "hello world" | ipfs add` (v0) and --cid-version 1 (raw) */
        {"Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD", 0, IA_CODEC_DAG_PB},
        {"bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e", 1, IA_CODEC_RAW},
        /* the dag-pb spec's zero-length block, both versions; the empty directory */
        {"QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n", 0, IA_CODEC_DAG_PB},
        {"bafybeihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku", 1, IA_CODEC_DAG_PB},
        {"QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn", 0, IA_CODEC_DAG_PB},
    };
    for (size_t i = 0; i < sizeof known / sizeof *known; i++) {
        ia_cid c, c2;
        char out[IA_CID_MAX_TEXT];
        uint8_t b[IA_CID_MAX_BYTES];
        size_t n;
        CHECK_STATUS(ia_cid_parse(known[i].text, &c), IA_OK);
        CHECK(c.version == known[i].version && c.codec == known[i].codec && c.hash == IA_MH_SHA2_256 && c.digest_len == 32);
        CHECK(ia_cid_to_string(&c, out, sizeof out) == strlen(known[i].text));
        CHECK_MSG(strcmp(out, known[i].text) == 0, "%s written back as %s", known[i].text, out);
        n = ia_cid_to_bytes(&c, b, sizeof b);
        CHECK(n == (c.version ? 36u : 34u));
        CHECK_STATUS(ia_cid_from_bytes(b, n, &c2), IA_OK);
        CHECK(ia_cid_equal(&c, &c2));
    }
    {
        /* the digest behind the raw "hello world" CID is sha2-256("hello world") */
        ia_cid c, h;
        ia_cid_parse("bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e", &c);
        CHECK_STATUS(ia_cid_of_block(1, IA_CODEC_RAW, "hello world", 11, &h), IA_OK);
        CHECK(ia_cid_equal(&c, &h));
        /* the empty dag-pb block */
        ia_cid_parse("QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n", &c);
        CHECK_STATUS(ia_cid_of_block(0, IA_CODEC_DAG_PB, "", 0, &h), IA_OK);
        CHECK(ia_cid_equal(&c, &h));
        CHECK(ia_cid_of_block(0, IA_CODEC_RAW, "", 0, &h) == IA_ERR_INVALID_ARG); /* v0 is dag-pb only */
    }
}

IA_TEST(cid_rejects_malformed) {
    ia_cid c;
    uint8_t b[IA_CID_MAX_BYTES];
    size_t n;
    ia_cid_parse("bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e", &c);
    n = ia_cid_to_bytes(&c, b, sizeof b);
    for (size_t k = 0; k < n; k++) CHECK_MSG(ia_cid_from_bytes(b, k, &c) == IA_ERR_FORMAT, "prefix of %zu bytes", k);
    b[n] = 0;
    CHECK(ia_cid_from_bytes(b, n + 1, &c) == IA_ERR_FORMAT); /* trailing byte */
    {
        static const uint8_t v2[] = {0x02, 0x55, 0x12, 0x20};
        static const uint8_t v0_short[] = {0x12, 0x20, 1, 2, 3};
        static const uint8_t sha_wrong_len[] = {0x01, 0x55, 0x12, 0x10, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
        static const uint8_t huge_digest[] = {0x01, 0x55, 0x00, 0x80, 0x01};
        static const uint8_t non_minimal[] = {0x81, 0x00, 0x55, 0x00, 0x00};
        static const uint8_t identity_ok[] = {0x01, 0x55, 0x00, 0x03, 'a', 'b', 'c'};
        CHECK(ia_cid_from_bytes(v2, sizeof v2, &c) == IA_ERR_FORMAT);
        CHECK(ia_cid_from_bytes(v0_short, sizeof v0_short, &c) == IA_ERR_FORMAT);
        CHECK(ia_cid_from_bytes(sha_wrong_len, sizeof sha_wrong_len, &c) == IA_ERR_FORMAT);
        CHECK(ia_cid_from_bytes(huge_digest, sizeof huge_digest, &c) == IA_ERR_FORMAT);
        CHECK(ia_cid_from_bytes(non_minimal, sizeof non_minimal, &c) == IA_ERR_FORMAT);
        CHECK_STATUS(ia_cid_from_bytes(identity_ok, sizeof identity_ok, &c), IA_OK);
        CHECK(c.hash == IA_MH_IDENTITY && c.digest_len == 3);
    }
    CHECK(ia_cid_parse("", &c) == IA_ERR_FORMAT);
    CHECK(ia_cid_parse("Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyf0", &c) == IA_ERR_FORMAT); /* '0' */
    CHECK(ia_cid_parse("Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyf", &c) != IA_OK);         /* 45 chars */
    CHECK(ia_cid_parse("BAFKREIFZJUT3TE2NHYEKKLSS27NH3K72YSCO7Y32KOAO5EEI66WOF36N5E", &c) == IA_ERR_UNSUPPORTED);
    CHECK(ia_cid_parse("bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5f", &c) == IA_ERR_FORMAT);
    CHECK(ia_cid_parse("zQmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD", &c) == IA_ERR_FORMAT); /* v0 in multibase */
}
