/*
 * test_safetensors.c — the safetensors reader on valid images (round trip
 * of names, shapes and bytes), on hostile ones (each must fail with the
 * right status and a message naming the tensor or offset, never crash or
 * leak: run under ASan) and on the real all-MiniLM-L6-v2 checkpoint.
 *
 * Images are built in memory by img()/img_raw() below from a JSON header
 * string, so each hostile case reads as the bytes it feeds the reader.
 */
#define _POSIX_C_SOURCE 200809L /* mkstemp, close: the path tests */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "formats/safetensors.h"
#include "harness.h"
#include "util/error.h"

/* ------------------------------------------------------------ the writer */

/* An image whose length field says hlen (verbatim, for hostile cases),
 * followed by json as is and data_len pattern bytes (i * 7 + 1).
 * Caller frees. Exits on allocation failure (a test-only helper). */
static uint8_t *img_raw(uint64_t hlen, const char *json, size_t json_len,
                        size_t data_len, size_t *size) {
    uint8_t *p = malloc(8 + json_len + data_len + 1);
    if (!p) {
        fputs("test_safetensors: out of memory\n", stderr);
        exit(2);
    }
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(hlen >> (8 * i));
    memcpy(p + 8, json, json_len);
    for (size_t i = 0; i < data_len; i++) p[8 + json_len + i] = (uint8_t)(i * 7 + 1);
    *size = 8 + json_len + data_len;
    return p;
}

/* A well-formed image: header padded with spaces to a multiple of 8 (as the
 * real writers do, so the data area is 8-aligned in a malloc'd buffer). */
static uint8_t *img(const char *json, size_t data_len, size_t *size) {
    size_t n = strlen(json), padded = (n + 7) / 8 * 8;
    char *h = malloc(padded + 1);
    uint8_t *p;
    if (!h) {
        fputs("test_safetensors: out of memory\n", stderr);
        exit(2);
    }
    memcpy(h, json, n);
    memset(h + n, ' ', padded - n);
    p = img_raw(padded, h, padded, data_len, size);
    free(h);
    return p;
}

/* Opens an image that must fail with want and a message containing needle.
 * Returns 1 on success of the check; prints why not otherwise. */
static int fails_with(const uint8_t *p, size_t size, ia_status want,
                      const char *needle, int line) {
    ia_safetensors *st = (ia_safetensors *)p; /* poison: must be reset */
    ia_status got;
    ia_error_clear();
    got = ia_safetensors_open_memory(p, size, &st);
    if (got == IA_OK) ia_safetensors_free(st);
    if (got != want || st != NULL || !strstr(ia_last_error(), needle)) {
        fprintf(stderr, "  %s:%d: got %s \"%s\" (out %s), want %s with \"%s\"\n",
                __FILE__, line, ia_status_str(got), ia_last_error(),
                st ? "set" : "NULL", ia_status_str(want), needle);
        return 0;
    }
    return 1;
}

static int json_fails_with(const char *json, size_t data_len, ia_status want,
                           const char *needle, int line) {
    size_t size;
    uint8_t *p = img(json, data_len, &size);
    int ok = fails_with(p, size, want, needle, line);
    free(p);
    return ok;
}

/* The hostile-header idiom: JSON header, data area size, status, needle. */
#define BAD(json, data_len, want, needle)                                   \
    do {                                                                    \
        if (!json_fails_with(json, data_len, want, needle, __LINE__))       \
            *ia_failed_ = 1;                                                \
    } while (0)

/* A one-tensor header around a tensor entry body. */
#define ONE(entry) "{\"t\":{" entry "}}"

/* ------------------------------------------------------------ round trip */

IA_TEST(st_round_trip) {
    static const char *json =
        "{\"__metadata__\":{\"format\":\"pt\"},"
        "\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
        "\"ids\":{\"dtype\":\"I64\",\"shape\":[4],\"data_offsets\":[24,56]},"
        "\"empty\":{\"dtype\":\"U8\",\"shape\":[0,7],\"data_offsets\":[56,56]},"
        "\"h\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[56,62]},"
        "\"s\":{\"dtype\":\"BF16\",\"shape\":[],\"data_offsets\":[62,64]},"
        "\"b\":{\"dtype\":\"I8\",\"shape\":[2],\"data_offsets\":[64,66]},"
        "\"i\":{\"dtype\":\"I32\",\"shape\":[1,1],\"data_offsets\":[68,72],"
        "\"extra\":\"ignored\"}}";
    static const struct {
        const char *name;
        ia_dtype dtype;
        int ndim;
        int64_t shape[2];
        size_t begin, nbytes;
    } want[] = {
        {"w", IA_DTYPE_F32, 2, {2, 3}, 0, 24},    {"ids", IA_DTYPE_I64, 1, {4, 0}, 24, 32},
        {"empty", IA_DTYPE_U8, 2, {0, 7}, 56, 0}, {"h", IA_DTYPE_F16, 1, {3, 0}, 56, 6},
        {"s", IA_DTYPE_BF16, 0, {0, 0}, 62, 2},   {"b", IA_DTYPE_I8, 1, {2, 0}, 64, 2},
        {"i", IA_DTYPE_I32, 2, {1, 1}, 68, 4},
    };
    const size_t n = sizeof want / sizeof want[0];
    size_t size;
    uint8_t *p = img(json, 72, &size);
    uint8_t *area = p + size - 72;
    const float wf[6] = {1.0f, -2.5f, 3.25f, 0.0f, 1e-3f, 65504.0f};
    const int64_t ids[4] = {101, 2023, 2003, 102};
    ia_safetensors *st = NULL;

    memcpy(area, wf, sizeof wf);
    memcpy(area + 24, ids, sizeof ids);
    CHECK_STATUS(ia_safetensors_open_memory(p, size, &st), IA_OK);
    if (!st) {
        free(p);
        REQUIRE(st);
    }
    CHECK(ia_safetensors_count(st) == n);
    for (size_t i = 0; i < n; i++) {
        const ia_st_tensor *t = ia_safetensors_at(st, i); /* header order */
        REQUIRE(t);
        CHECK_MSG(strcmp(t->name, want[i].name) == 0, "at(%zu) = %s", i, t->name);
        CHECK(ia_safetensors_find(st, want[i].name) == t);
        CHECK(t->dtype == want[i].dtype);
        CHECK(t->ndim == want[i].ndim);
        for (int d = 0; d < t->ndim; d++) CHECK(t->shape[d] == want[i].shape[d]);
        CHECK(t->nbytes == want[i].nbytes);
        CHECK((const uint8_t *)t->data == area + want[i].begin);
    }
    CHECK(ia_safetensors_at(st, n) == NULL);
    CHECK(ia_safetensors_find(st, "__metadata__") == NULL);
    CHECK(ia_safetensors_find(st, "missing") == NULL);
    CHECK(ia_safetensors_find(st, "") == NULL);
    {
        const ia_st_tensor *w = ia_safetensors_find(st, "w");
        const ia_st_tensor *t = ia_safetensors_find(st, "ids");
        REQUIRE(w && t);
        CHECK(memcmp(w->data, wf, sizeof wf) == 0);
        CHECK(memcmp(t->data, ids, sizeof ids) == 0);
        CHECK(((const float *)w->data)[5] == 65504.0f);
    }
    ia_safetensors_free(st);
    free(p);
}

/* find() over hundreds of names inserted in reverse order. */
IA_TEST(st_find_many) {
    enum { N = 300 };
    char *json = malloc(N * 96 + 8);
    size_t len = 0, size;
    uint8_t *p;
    ia_safetensors *st = NULL;
    REQUIRE(json);
    json[len++] = '{';
    for (int i = N - 1; i >= 0; i--)
        len += (size_t)sprintf(json + len,
                               "%s\"layer.%d.w\":{\"dtype\":\"F32\",\"shape\":[2],"
                               "\"data_offsets\":[%d,%d]}",
                               i == N - 1 ? "" : ",", i, i * 8, i * 8 + 8);
    json[len++] = '}';
    json[len] = '\0';
    p = img(json, N * 8, &size);
    CHECK_STATUS(ia_safetensors_open_memory(p, size, &st), IA_OK);
    CHECK(ia_safetensors_count(st) == N);
    for (int i = 0; st && i < N; i++) {
        char name[32];
        const ia_st_tensor *t;
        snprintf(name, sizeof name, "layer.%d.w", i);
        t = ia_safetensors_find(st, name);
        CHECK_MSG(t && strcmp(t->name, name) == 0, "find(%s)", name);
        CHECK(t && (const uint8_t *)t->data == p + size - N * 8 + (size_t)i * 8);
        snprintf(name, sizeof name, "layer.%d.x", i);
        CHECK(ia_safetensors_find(st, name) == NULL);
    }
    ia_safetensors_free(st);
    free(p);
    free(json);
}

IA_TEST(st_accepts_edge_cases) {
    size_t size;
    uint8_t *p;
    ia_safetensors *st = NULL;
    /* Empty header object, gaps between tensors, trailing data bytes,
     * zero-size tensors with huge other dims, a zero-size tensor inside
     * another's range (it owns no bytes), exponent-written integers. */
    static const char *ok_headers[] = {
        "{}",
        "{\"__metadata__\":{}}",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]},"
        "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[32,36]}}",
        ONE("\"dtype\":\"F32\",\"shape\":[4503599627370496,4503599627370496,0],"
            "\"data_offsets\":[0,0]"),
        "{\"a\":{\"dtype\":\"U8\",\"shape\":[16],\"data_offsets\":[0,16]},"
        "\"z\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[3,3]}}",
        ONE("\"dtype\":\"U8\",\"shape\":[1e1],\"data_offsets\":[0,10]"),
        ONE("\"data_offsets\":[0,64],\"shape\":[8],\"dtype\":\"I64\""),
        ONE("\"dtype\":\"U8\",\"shape\":[64],\"data_offsets\":[0,64]"),
    };
    for (size_t i = 0; i < sizeof ok_headers / sizeof ok_headers[0]; i++) {
        p = img(ok_headers[i], 64, &size);
        st = NULL;
        CHECK_STATUS(ia_safetensors_open_memory(p, size, &st), IA_OK);
        CHECK_MSG(st != NULL, "header %zu", i);
        ia_safetensors_free(st);
        free(p);
    }
    /* Whitespace around the object (the writers' padding) but no bytes of
     * other kinds. */
    p = img_raw(11, " {} \n\t\r    ", 11, 0, &size);
    st = NULL;
    CHECK_STATUS(ia_safetensors_open_memory(p, size, &st), IA_OK);
    CHECK(ia_safetensors_count(st) == 0);
    ia_safetensors_free(st);
    free(p);
}

/* ----------------------------------------------------- hostile: framing */

IA_TEST(st_truncated) {
    static const char *json =
        "{\"t.weight\":{\"dtype\":\"F32\",\"shape\":[4,4],\"data_offsets\":[0,64]}}";
    size_t size;
    uint8_t *p = img(json, 64, &size);
    size_t hend = size - 64;
    /* Cut inside the length field, inside the header, at its end, inside the
     * data area and one byte short. */
    const size_t cuts[] = {0, 1, 7, 8, 9, hend / 2, hend - 1, hend, hend + 1,
                           hend + 32, size - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        const char *needle = cuts[i] < 8      ? "shorter than the 8-byte"
                             : cuts[i] < hend ? "past the end of the file"
                                              : "'t.weight': data_offsets [0, 64] past";
        /* A copy of exactly cuts[i] bytes, so ASan sees any over-read. */
        uint8_t *q = malloc(cuts[i] ? cuts[i] : 1);
        REQUIRE(q);
        memcpy(q, p, cuts[i]);
        if (!fails_with(q, cuts[i], IA_ERR_FORMAT, needle, __LINE__)) {
            fprintf(stderr, "    (cut at %zu of %zu)\n", cuts[i], size);
            *ia_failed_ = 1;
        }
        free(q);
    }
    CHECK(fails_with(NULL, 0, IA_ERR_FORMAT, "0 bytes", __LINE__));
    free(p);
}

IA_TEST(st_header_length_hostile) {
    size_t size;
    uint8_t *p;
    p = img_raw(1000, "{}", 2, 40, &size);
    CHECK(fails_with(p, size, IA_ERR_FORMAT, "header length 1000 at offset 0 runs past",
                     __LINE__));
    free(p);
    p = img_raw(UINT64_C(1) << 63, "{}", 2, 40, &size);
    CHECK(fails_with(p, size, IA_ERR_FORMAT, "9223372036854775808", __LINE__));
    free(p);
    p = img_raw(UINT64_MAX, "{}", 2, 40, &size);
    CHECK(fails_with(p, size, IA_ERR_FORMAT, "18446744073709551615", __LINE__));
    free(p);
    p = img_raw(100000001, "{}", 2, 40, &size);
    CHECK(fails_with(p, size, IA_ERR_FORMAT, "100000000-byte limit", __LINE__));
    free(p);
    p = img_raw(0, "", 0, 40, &size);
    CHECK(fails_with(p, size, IA_ERR_FORMAT, "not valid JSON", __LINE__));
    free(p);
}

IA_TEST(st_header_not_json_object) {
    size_t size;
    uint8_t *p;
    BAD("hello", 0, IA_ERR_FORMAT, "not valid JSON");
    BAD("{\"t\":", 0, IA_ERR_FORMAT, "not valid JSON");
    BAD("{\"t\":{\"dtype\":\"F32\"", 0, IA_ERR_FORMAT, "not valid JSON");
    BAD("[1,2]", 0, IA_ERR_FORMAT, "not an object");
    BAD("\"str\"", 0, IA_ERR_FORMAT, "not an object");
    BAD("null", 0, IA_ERR_FORMAT, "not an object");
    BAD("{} x", 0, IA_ERR_FORMAT, "trailing bytes after the JSON object at offset 11");
    BAD("{}{}", 0, IA_ERR_FORMAT, "trailing bytes");
    /* A NUL byte inside the header, after the object: not whitespace. */
    p = img_raw(4, "{}\0 ", 4, 0, &size);
    CHECK(fails_with(p, size, IA_ERR_FORMAT, "trailing bytes", __LINE__));
    free(p);
    /* Deep nesting: cJSON's nesting limit, not our stack, must stop it. */
    {
        enum { DEPTH = 5000 };
        char *deep = malloc(2 * DEPTH + 16);
        REQUIRE(deep);
        strcpy(deep, "{\"t\":");
        memset(deep + 5, '[', DEPTH);
        memset(deep + 5 + DEPTH, ']', DEPTH);
        strcpy(deep + 5 + 2 * DEPTH, "}");
        BAD(deep, 0, IA_ERR_FORMAT, "not valid JSON");
        free(deep);
    }
    /* A header that would cost gigabytes of cJSON nodes is refused before
     * parsing (5M values in 10 MB). */
    {
        enum { VALUES = 5000000 };
        char *wide = malloc(2 * (size_t)VALUES + 32);
        size_t len;
        REQUIRE(wide);
        strcpy(wide, "{\"t\":[");
        len = strlen(wide);
        for (size_t i = 0; i < VALUES; i++) {
            wide[len++] = '0';
            wide[len++] = ',';
        }
        strcpy(wide + len - 1, "]}");
        BAD(wide, 0, IA_ERR_FORMAT, "more than 4194304 JSON values");
        free(wide);
    }
}

/* --------------------------------------------------- hostile: one tensor */

IA_TEST(st_bad_offsets) {
    BAD(ONE("\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]"), 16,
        IA_ERR_FORMAT, "tensor 't': data_offsets [8, 0] reversed");
    BAD("{\"encoder.layer.0.attention.self.query.weight\":{\"dtype\":\"F32\","
        "\"shape\":[1000],\"data_offsets\":[0,4000]}}",
        16, IA_ERR_FORMAT,
        "tensor 'encoder.layer.0.attention.self.query.weight': data_offsets [0, 4000] "
        "past the end of the data area (16 bytes)");
    BAD(ONE("\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[17,17]"), 16,
        IA_ERR_FORMAT, "[17, 17] past the end");
    BAD(ONE("\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-8,0]"), 16,
        IA_ERR_FORMAT, "tensor 't': data_offsets are not integers");
    BAD(ONE("\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8.5]"), 16,
        IA_ERR_FORMAT, "tensor 't': data_offsets are not integers");
    BAD(ONE("\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,1e30]"), 16,
        IA_ERR_FORMAT, "tensor 't': data_offsets are not integers");
    BAD(ONE("\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,1e400]"), 16,
        IA_ERR_FORMAT, "tensor 't': data_offsets are not integers");
    BAD(ONE("\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,\"8\"]"), 16,
        IA_ERR_FORMAT, "tensor 't': data_offsets are not integers");
    BAD(ONE("\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0]"), 16,
        IA_ERR_FORMAT, "tensor 't': data_offsets must be [begin, end]");
    BAD(ONE("\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8,8]"), 16,
        IA_ERR_FORMAT, "tensor 't': data_offsets must be [begin, end]");
    BAD(ONE("\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":{\"a\":0}"), 16,
        IA_ERR_FORMAT, "tensor 't': \"data_offsets\" is not an array");
}

IA_TEST(st_size_mismatch) {
    BAD(ONE("\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,12]"), 16,
        IA_ERR_FORMAT, "tensor 't': data_offsets [0, 12] hold 12 bytes but F32 shape "
                       "needs 16");
    BAD(ONE("\"dtype\":\"BF16\",\"shape\":[],\"data_offsets\":[0,4]"), 16,
        IA_ERR_FORMAT, "hold 4 bytes but BF16 shape needs 2");
    BAD(ONE("\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,1]"), 16,
        IA_ERR_FORMAT, "needs 0");
}

IA_TEST(st_bad_dtype) {
    BAD(ONE("\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,16]"), 16,
        IA_ERR_UNSUPPORTED, "tensor 't': dtype F64 is not supported");
    BAD(ONE("\"dtype\":\"BOOL\",\"shape\":[2],\"data_offsets\":[0,2]"), 16,
        IA_ERR_UNSUPPORTED, "tensor 't': dtype BOOL is not supported");
    BAD(ONE("\"dtype\":\"I16\",\"shape\":[2],\"data_offsets\":[0,4]"), 16,
        IA_ERR_UNSUPPORTED, "dtype I16");
    BAD(ONE("\"dtype\":\"FLOAT32\",\"shape\":[2],\"data_offsets\":[0,8]"), 16,
        IA_ERR_FORMAT, "tensor 't': unknown dtype 'FLOAT32'");
    BAD(ONE("\"dtype\":\"f32\",\"shape\":[2],\"data_offsets\":[0,8]"), 16,
        IA_ERR_FORMAT, "unknown dtype 'f32'");
    BAD(ONE("\"dtype\":\"\",\"shape\":[2],\"data_offsets\":[0,8]"), 16,
        IA_ERR_FORMAT, "unknown dtype ''");
    BAD(ONE("\"dtype\":4,\"shape\":[2],\"data_offsets\":[0,8]"), 16,
        IA_ERR_FORMAT, "tensor 't': \"dtype\" is not a string");
}

/* Internal block types (ia_dtype Q8_0, Q4_0, QA8, ...: element size 0; QMAT
 * in an earlier core) are not safetensors dtypes. They used to be accepted
 * by name and then divided by their element size of 0 (SIGFPE) or, with an
 * empty shape, handed out as 0-byte tensors of a type no safetensors file
 * can hold. */
IA_TEST(st_internal_dtypes_refused) {
    BAD(ONE("\"dtype\":\"Q8_0\",\"shape\":[2,32],\"data_offsets\":[0,68]"), 72,
        IA_ERR_FORMAT, "tensor 't': unknown dtype 'Q8_0'");
    BAD(ONE("\"dtype\":\"Q8_0\",\"shape\":[0,32],\"data_offsets\":[0,0]"), 8,
        IA_ERR_FORMAT, "tensor 't': unknown dtype 'Q8_0'");
    BAD(ONE("\"dtype\":\"QMAT\",\"shape\":[4],\"data_offsets\":[0,8]"), 8,
        IA_ERR_FORMAT, "tensor 't': unknown dtype 'QMAT'");
    BAD(ONE("\"dtype\":\"QMAT\",\"shape\":[],\"data_offsets\":[0,0]"), 8,
        IA_ERR_FORMAT, "unknown dtype 'QMAT'");
    BAD(ONE("\"dtype\":\"QA4\",\"shape\":[4],\"data_offsets\":[0,8]"), 8,
        IA_ERR_FORMAT, "tensor 't': unknown dtype 'QA4'");
}

/* Every ia_dtype the core knows, spelled as a header dtype: only the seven
 * safetensors types the core maps may open, each with its element size;
 * any other (today's block types, and any appended to ia_dtype later)
 * must be refused, whatever its element size. */
IA_TEST(st_only_safetensors_dtypes_map) {
    static const struct { const char *name; size_t size; } ok[] = {
        {"F32", 4}, {"F16", 2}, {"BF16", 2}, {"I64", 8}, {"I32", 4}, {"I8", 1}, {"U8", 1}};
    for (int t = 0; t < IA_DTYPE_COUNT; t++) {
        const char *name = ia_dtype_name((ia_dtype)t);
        size_t want = 0;
        for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
            if (strcmp(name, ok[i].name) == 0) want = ok[i].size;
        /* two elements, and none: an empty tensor must not slip through */
        for (int empty = 0; empty < 2; empty++) {
            char json[256], unknown[64], unsupported[64];
            size_t size, nbytes = empty ? 0 : 2 * (want ? want : 4);
            uint8_t *p;
            ia_safetensors *st = NULL;
            ia_status got;
            snprintf(json, sizeof json,
                     "{\"t\":{\"dtype\":\"%s\",\"shape\":[%s],\"data_offsets\":[0,%zu]}}", name,
                     empty ? "0" : "2", nbytes);
            p = img(json, 16, &size);
            got = ia_safetensors_open_memory(p, size, &st);
            if (want) {
                const ia_st_tensor *x = got == IA_OK ? ia_safetensors_find(st, "t") : NULL;
                CHECK_MSG(got == IA_OK, "dtype %s: %s", name, ia_last_error());
                CHECK_MSG(x && x->dtype == (ia_dtype)t && x->nbytes == nbytes, "dtype %s", name);
            } else {
                snprintf(unknown, sizeof unknown, "tensor 't': unknown dtype '%s'", name);
                snprintf(unsupported, sizeof unsupported, "tensor 't': dtype %s is not supported", name);
                CHECK_MSG(st == NULL && ((got == IA_ERR_FORMAT && strstr(ia_last_error(), unknown)) ||
                                         (got == IA_ERR_UNSUPPORTED && strstr(ia_last_error(), unsupported))),
                          "internal dtype %s (%s): %s \"%s\"", name, empty ? "empty" : "2 elements",
                          ia_status_str(got), ia_last_error());
            }
            ia_safetensors_free(st);
            free(p);
        }
    }
}

/* Every dtype of the format is recognised: refused as unsupported (with
 * the tensor and the dtype named), never as an unknown string. */
IA_TEST(st_spec_dtypes_known) {
    static const char *const spec[] = {"F64", "I16", "U16", "U32", "U64", "BOOL", "F8_E4M3",
                                       "F8_E5M2", "F8_E8M0", "F6_E2M3", "F6_E3M2", "F4", "C64"};
    for (size_t i = 0; i < sizeof spec / sizeof spec[0]; i++) {
        char json[256], needle[64];
        snprintf(json, sizeof json,
                 "{\"w\":{\"dtype\":\"%s\",\"shape\":[1],\"data_offsets\":[0,8]}}", spec[i]);
        snprintf(needle, sizeof needle, "tensor 'w': dtype %s is not supported", spec[i]);
        BAD(json, 8, IA_ERR_UNSUPPORTED, needle);
    }
}

IA_TEST(st_bad_shape) {
    BAD(ONE("\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]"), 16,
        IA_ERR_FORMAT, "tensor 't': shape[0] is not an integer");
    BAD(ONE("\"dtype\":\"F32\",\"shape\":[2,1.5],\"data_offsets\":[0,12]"), 16,
        IA_ERR_FORMAT, "tensor 't': shape[1] is not an integer");
    BAD(ONE("\"dtype\":\"F32\",\"shape\":[1e30],\"data_offsets\":[0,4]"), 16,
        IA_ERR_FORMAT, "shape[0] is not an integer");
    BAD(ONE("\"dtype\":\"F32\",\"shape\":[9007199254740992],\"data_offsets\":[0,4]"),
        16, IA_ERR_FORMAT, "shape[0] is not an integer");
    BAD(ONE("\"dtype\":\"F32\",\"shape\":[\"3\"],\"data_offsets\":[0,12]"), 16,
        IA_ERR_FORMAT, "shape[0] is not an integer");
    BAD(ONE("\"dtype\":\"F32\",\"shape\":[null],\"data_offsets\":[0,4]"), 16,
        IA_ERR_FORMAT, "shape[0] is not an integer");
    BAD(ONE("\"dtype\":\"F32\",\"shape\":3,\"data_offsets\":[0,12]"), 16,
        IA_ERR_FORMAT, "tensor 't': \"shape\" is not an array");
    /* Each dim is exact but the product (2^65 elements) overflows; so does
     * 2^62 elements times 4 bytes. */
    BAD(ONE("\"dtype\":\"U8\",\"shape\":[2147483648,2147483648,8],"
            "\"data_offsets\":[0,0]"),
        16, IA_ERR_FORMAT, "tensor 't': shape's byte size overflows");
    BAD(ONE("\"dtype\":\"F32\",\"shape\":[2147483648,2147483648],"
            "\"data_offsets\":[0,0]"),
        16, IA_ERR_FORMAT, "tensor 't': shape's byte size overflows");
    /* 4 * (2^20 + 1) * (2^40 - 2^20 + 1) = 2^62 + 4 elements: times 4 bytes
     * it wraps to exactly 16 in unchecked 64-bit arithmetic. */
    BAD(ONE("\"dtype\":\"F32\",\"shape\":[4,1048577,1099510579201],"
            "\"data_offsets\":[0,16]"),
        16, IA_ERR_FORMAT, "tensor 't': shape's byte size overflows");
    BAD(ONE("\"dtype\":\"U8\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,1]"),
        16, IA_ERR_FORMAT, "tensor 't': shape has more than 8 dims");
}

IA_TEST(st_missing_fields) {
    BAD(ONE("\"shape\":[2],\"data_offsets\":[0,8]"), 16, IA_ERR_FORMAT,
        "tensor 't': missing \"dtype\"");
    BAD(ONE("\"dtype\":\"F32\",\"data_offsets\":[0,8]"), 16, IA_ERR_FORMAT,
        "tensor 't': missing \"shape\"");
    BAD(ONE("\"dtype\":\"F32\",\"shape\":[2]"), 16, IA_ERR_FORMAT,
        "tensor 't': missing \"data_offsets\"");
    BAD("{\"t\":[1,2,3]}", 16, IA_ERR_FORMAT, "tensor 't': entry is not a JSON object");
    BAD("{\"t\":\"F32\"}", 16, IA_ERR_FORMAT, "tensor 't': entry is not a JSON object");
    BAD("{\"t\":{}}", 16, IA_ERR_FORMAT, "missing \"dtype\"");
    /* Case matters: "DType" is an unknown (ignored) key. */
    BAD(ONE("\"DType\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]"), 16,
        IA_ERR_FORMAT, "missing \"dtype\"");
}

/* ---------------------------------------------------- hostile: the set */

IA_TEST(st_overlap) {
    BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
        "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
        16, IA_ERR_FORMAT, "tensor 'b' at data offset 4 overlaps tensor 'a' "
                           "(data offsets [0, 8])");
    /* Listed in the other order; and one range inside another. */
    BAD("{\"big\":{\"dtype\":\"U8\",\"shape\":[16],\"data_offsets\":[0,16]},"
        "\"small\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[8,10]}}",
        16, IA_ERR_FORMAT, "'small' at data offset 8 overlaps tensor 'big'");
    BAD("{\"x\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[4,8]},"
        "\"y\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[4,8]}}",
        16, IA_ERR_FORMAT, "overlaps");
}

IA_TEST(st_duplicates) {
    BAD("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
        "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}",
        16, IA_ERR_FORMAT, "tensor 'a' is defined twice");
    /* \u0000 cuts the C string: both names read as "a". */
    BAD("{\"a\\u0000x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
        "\"a\\u0000y\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}",
        16, IA_ERR_FORMAT, "tensor 'a' is defined twice");
    BAD(ONE("\"dtype\":\"F32\",\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,8]"),
        16, IA_ERR_FORMAT, "tensor 't': key \"dtype\" given twice");
    BAD(ONE("\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],"
            "\"data_offsets\":[8,16]"),
        16, IA_ERR_FORMAT, "key \"data_offsets\" given twice");
    BAD("{\"__metadata__\":{},\"__metadata__\":{}}", 0, IA_ERR_FORMAT,
        "\"__metadata__\" is given twice");
}

IA_TEST(st_bad_metadata) {
    BAD("{\"__metadata__\":{\"format\":1}}", 0, IA_ERR_FORMAT,
        "\"__metadata__\" key 'format' is not a string");
    BAD("{\"__metadata__\":[\"pt\"]}", 0, IA_ERR_FORMAT,
        "\"__metadata__\" is not a JSON object");
    BAD("{\"__metadata__\":\"pt\"}", 0, IA_ERR_FORMAT, "is not a JSON object");
}

IA_TEST(st_misaligned) {
    BAD(ONE("\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[2,6]"), 16,
        IA_ERR_FORMAT, "tensor 't': data at offset 2 of the data area is not aligned "
                       "to 4 bytes");
    BAD(ONE("\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[4,12]"), 16,
        IA_ERR_FORMAT, "not aligned to 8 bytes");
    BAD(ONE("\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[1,3]"), 16,
        IA_ERR_FORMAT, "not aligned to 2 bytes");
    /* A header not padded to 8 puts every F32 tensor off its alignment. */
    {
        static const char h[] = ONE("\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]");
        size_t size, n = sizeof h - 1;
        uint8_t *p = img_raw(n, h, n, 4, &size);
        CHECK(n % 4 != 0); /* 54 bytes: the data area starts at 62 */
        CHECK(fails_with(p, size, IA_ERR_FORMAT, "not aligned", __LINE__));
        free(p);
    }
}

/* Names in messages are clipped and control bytes replaced, so a hostile
 * name cannot push the offsets out of the message or inject escapes. */
IA_TEST(st_hostile_name_in_message) {
    char json[2048];
    char longname[1200];
    memset(longname, 'n', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    snprintf(json, sizeof json,
             "{\"%s\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4000]}}",
             longname);
    BAD(json, 16, IA_ERR_FORMAT, "...': data_offsets [0, 4000] past the end");
    BAD("{\"a\\u001b[31mb\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,40]}}",
        16, IA_ERR_FORMAT, "tensor 'a?[31mb'");
}

/* A small deterministic fuzz in the unit suite: every byte of a valid image
 * set to each of a few JSON-significant values. Whatever opens must hand
 * out ranges inside the image; whatever fails must say why. */
IA_TEST(st_byte_mutations) {
    static const char *json =
        "{\"__metadata__\":{\"k\":\"v\"},"
        "\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},"
        "\"b\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[16,19]}}";
    static const uint8_t vals[] = {0, 0xff, ' ', '"', ',', '-', '.', '0', '9', ':',
                                   '[', ']', '{', '}', 'e', '\\'};
    size_t size, opened = 0;
    uint8_t *p = img(json, 24, &size);
    for (size_t pos = 0; pos < size; pos++) {
        uint8_t orig = p[pos];
        for (size_t v = 0; v < sizeof vals; v++) {
            ia_safetensors *st = NULL;
            ia_status rc;
            p[pos] = vals[v];
            ia_error_clear();
            rc = ia_safetensors_open_memory(p, size, &st);
            if (rc != IA_OK) {
                CHECK_MSG(st == NULL && ia_last_error()[0] != '\0',
                          "byte %zu = 0x%02x: status %d, empty message", pos, vals[v],
                          (int)rc);
                continue;
            }
            opened++;
            for (size_t i = 0; i < ia_safetensors_count(st); i++) {
                const ia_st_tensor *t = ia_safetensors_at(st, i);
                const uint8_t *d = t->data;
                CHECK(d >= p + 8 && d + t->nbytes <= p + size);
                CHECK(ia_safetensors_find(st, t->name) == t);
            }
            ia_safetensors_free(st);
        }
        p[pos] = orig;
    }
    CHECK(opened > 0); /* e.g. changes inside "v" keep the image valid */
    free(p);
}

/* --------------------------------------------------------- API and files */

IA_TEST(st_api_null_safety) {
    ia_safetensors *st = NULL;
    uint8_t one = 0;
    CHECK_STATUS(ia_safetensors_open_memory(&one, 1, NULL), IA_ERR_INVALID_ARG);
    CHECK_STATUS(ia_safetensors_open_memory(NULL, 16, &st), IA_ERR_INVALID_ARG);
    CHECK(st == NULL);
    CHECK_STATUS(ia_safetensors_open(NULL, &st), IA_ERR_INVALID_ARG);
    CHECK_STATUS(ia_safetensors_open("x", NULL), IA_ERR_INVALID_ARG);
    ia_safetensors_free(NULL);
    CHECK(ia_safetensors_count(NULL) == 0);
    CHECK(ia_safetensors_at(NULL, 0) == NULL);
    CHECK(ia_safetensors_find(NULL, "a") == NULL);
}

IA_TEST(st_open_missing_file) {
    ia_safetensors *st = (ia_safetensors *)&st;
    CHECK_STATUS(ia_safetensors_open("/nonexistent/dir/model.safetensors", &st),
                 IA_ERR_NOT_FOUND);
    CHECK(st == NULL);
    CHECK(strstr(ia_last_error(), "/nonexistent/dir/model.safetensors") != NULL);
}

/* Writes bytes to a fresh temporary file; path into buf (capacity 64). */
static int write_temp(char *buf, const uint8_t *p, size_t n) {
    FILE *fp;
    int fd;
    strcpy(buf, "/tmp/ia_test_st_XXXXXX");
    fd = mkstemp(buf);
    if (fd < 0) return 0;
    close(fd);
    fp = fopen(buf, "wb");
    if (!fp) return 0;
    if (n && fwrite(p, 1, n, fp) != n) {
        fclose(fp);
        return 0;
    }
    return fclose(fp) == 0;
}

IA_TEST(st_open_path) {
    char path[64];
    size_t size;
    ia_safetensors *st = NULL;
    uint8_t *p = img(ONE("\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]"), 8,
                     &size);
    REQUIRE(write_temp(path, p, size));
    CHECK_STATUS(ia_safetensors_open(path, &st), IA_OK);
    if (st) {
        const ia_st_tensor *t = ia_safetensors_find(st, "t");
        CHECK(t && t->nbytes == 8 && memcmp(t->data, p + size - 8, 8) == 0);
    }
    ia_safetensors_free(st);
    remove(path);

    /* A bad file: the message starts with the path. */
    REQUIRE(write_temp(path, p, size - 1));
    st = NULL;
    CHECK_STATUS(ia_safetensors_open(path, &st), IA_ERR_FORMAT);
    CHECK(st == NULL);
    CHECK_MSG(strncmp(ia_last_error(), path, strlen(path)) == 0 &&
                  strstr(ia_last_error(), ": tensor 't': data_offsets [0, 8] past"),
              "message: %s", ia_last_error());
    remove(path);

    /* An empty file. */
    REQUIRE(write_temp(path, p, 0));
    CHECK_STATUS(ia_safetensors_open(path, &st), IA_ERR_FORMAT);
    CHECK(strstr(ia_last_error(), "0 bytes") != NULL);
    remove(path);
    free(p);
}

/* The real checkpoint (facts read with Python's json module from its
 * header: 104 tensors, 103 F32 + embeddings.position_ids I64). */
IA_TEST(st_real_model) {
    const char *dir = ia_test_model_dir();
    char path[4200];
    ia_safetensors *st = NULL;
    const ia_st_tensor *t;
    CHECK_MSG(dir != NULL, "all-MiniLM-L6-v2 is not in the model cache: run "
                           "scripts/setup.sh");
    if (!dir) return;
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    CHECK_STATUS(ia_safetensors_open(path, &st), IA_OK);
    REQUIRE(st);
    CHECK_MSG(ia_safetensors_count(st) == 104, "count %zu", ia_safetensors_count(st));

    t = ia_safetensors_find(st, "embeddings.word_embeddings.weight");
    CHECK(t && t->dtype == IA_DTYPE_F32 && t->ndim == 2 && t->shape[0] == 30522 &&
          t->shape[1] == 384 && t->nbytes == (size_t)30522 * 384 * 4);

    t = ia_safetensors_find(st, "embeddings.position_ids");
    CHECK(t && t->dtype == IA_DTYPE_I64 && t->ndim == 2 && t->shape[0] == 1 &&
          t->shape[1] == 512);
    if (t && t->nbytes == 512 * 8) {
        int64_t v[512];
        int ok = 1;
        memcpy(v, t->data, sizeof v);
        for (int i = 0; i < 512; i++) ok &= v[i] == i;
        CHECK(ok);
    }

    t = ia_safetensors_find(st, "embeddings.LayerNorm.weight");
    CHECK(t && t->dtype == IA_DTYPE_F32 && t->ndim == 1 && t->shape[0] == 384);
    if (t) CHECK(fabsf(((const float *)t->data)[0] - 0.5989283f) < 1e-6f);

    CHECK(ia_safetensors_find(st, "encoder.layer.5.output.LayerNorm.bias") != NULL);
    CHECK(ia_safetensors_find(st, "pooler.dense.weight") != NULL);
    CHECK(ia_safetensors_find(st, "encoder.layer.6.output.LayerNorm.bias") == NULL);
    ia_safetensors_free(st);
}
