/*
 * test_gguf.c — the GGUF reader and writer: writer -> reader round trips,
 * a file written by gguf-py (test/fixtures/gguf_pywritten.hex, made by
 * scripts/check_gguf_interop.py), and hostile files built byte by byte
 * below, each of which must fail with IA_ERR_FORMAT and a message naming
 * the problem (never crash or leak: run under ASan too).
 *
 * Interop hooks for scripts/check_gguf_interop.py: IA_GGUF_INTEROP_IN
 * replaces the fixture path (a fresh gguf-py file), IA_GGUF_INTEROP_OUT
 * keeps the file our writer makes from it (gguf-py then reads it back).
 */
#define _POSIX_C_SOURCE 200809L /* mkstemp, mkdtemp, close */

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats/gguf.h"
#include "harness.h"
#include "tensor/fp16.h"
#include "util/error.h"

/* ------------------------------------------------------- byte builder */

typedef struct {
    uint8_t *p;
    size_t n, cap;
} bb;

static void bb_put(bb *b, const void *src, size_t n) {
    if (b->n + n > b->cap) {
        size_t cap = (b->n + n) * 2 + 64;
        uint8_t *p = realloc(b->p, cap);
        if (!p) {
            fputs("test_gguf: out of memory\n", stderr);
            exit(2);
        }
        b->p = p;
        b->cap = cap;
    }
    if (n) memcpy(b->p + b->n, src, n);
    b->n += n;
}

static void bb_le(bb *b, uint64_t v, int n) {
    uint8_t x[8];
    for (int i = 0; i < n; i++) x[i] = (uint8_t)(v >> (8 * i));
    bb_put(b, x, (size_t)n);
}

static void bb_zero(bb *b, size_t n) {
    while (n--) bb_le(b, 0, 1);
}

static void bb_strn(bb *b, const char *s, size_t n) {
    bb_le(b, n, 8);
    bb_put(b, s, n);
}

static void bb_str(bb *b, const char *s) { bb_strn(b, s, strlen(s)); }

static void bb_hdr(bb *b, uint32_t version, uint64_t n_tensors, uint64_t n_kv) {
    bb_put(b, "GGUF", 4);
    bb_le(b, version, 4);
    bb_le(b, n_tensors, 8);
    bb_le(b, n_kv, 8);
}

static void bb_kv_u32(bb *b, const char *key, uint32_t v) {
    bb_str(b, key);
    bb_le(b, IA_GGUF_U32, 4);
    bb_le(b, v, 4);
}

static void bb_kv_str(bb *b, const char *key, const char *v) {
    bb_str(b, key);
    bb_le(b, IA_GGUF_STRING, 4);
    bb_str(b, v);
}

/* A tensor info; dims are as the file stores them, innermost first. */
static void bb_ti(bb *b, const char *name, uint32_t ndim, const uint64_t *dims,
                  uint32_t type, uint64_t offset) {
    bb_str(b, name);
    bb_le(b, ndim, 4);
    for (uint32_t i = 0; i < ndim; i++) bb_le(b, dims[i], 8);
    bb_le(b, type, 4);
    bb_le(b, offset, 8);
}

/* Zero padding to `align`, then n bytes of (i * 7 + 1). */
static void bb_data(bb *b, size_t align, size_t n) {
    static const uint8_t zero[256];
    bb_put(b, zero, (align - b->n % align) % align);
    for (size_t i = 0; i < n; i++) bb_le(b, (uint8_t)(i * 7 + 1), 1);
}

/* A valid file of two keys and two tensors whose last byte is the last
 * tensor's (no trailing padding), so every proper prefix is invalid:
 * "a" F32 [8] at 0, "b" Q8_0 [32] at 32. */
static void bb_valid(bb *b) {
    static const char *const toks[] = {"x", "yz"};
    bb_hdr(b, 3, 2, 2);
    bb_kv_str(b, "general.name", "tiny");
    bb_str(b, "tok");
    bb_le(b, IA_GGUF_ARRAY, 4);
    bb_le(b, IA_GGUF_STRING, 4);
    bb_le(b, 2, 8);
    for (int i = 0; i < 2; i++) bb_str(b, toks[i]);
    bb_ti(b, "a", 1, (const uint64_t[]){8}, IA_GGML_F32, 0);
    bb_ti(b, "b", 1, (const uint64_t[]){32}, IA_GGML_Q8_0, 32);
    bb_data(b, 32, 32 + 34);
}

/* ---------------------------------------------------------- file helpers */

/* Writes n bytes to a fresh temporary file; path into buf (capacity 64). */
static int write_temp(char *buf, const void *p, size_t n) {
    FILE *fp;
    int fd;
    strcpy(buf, "/tmp/ia_test_gguf_XXXXXX");
    if ((fd = mkstemp(buf)) < 0) return 0;
    close(fd);
    if (!(fp = fopen(buf, "wb"))) return 0;
    if (n && fwrite(p, 1, n, fp) != n) {
        fclose(fp);
        return 0;
    }
    return fclose(fp) == 0;
}

/* Opens bytes p[0..n) through a temporary file. */
static ia_status open_bytes(const void *p, size_t n, ia_gguf **out) {
    char path[64];
    ia_status st;
    if (!write_temp(path, p, n)) return IA_ERR_INTERNAL;
    st = ia_gguf_open(path, out);
    remove(path);
    return st;
}

/* The image must fail to open with IA_ERR_FORMAT, *out NULL and a message
 * containing needle. Prints why not and returns 0 otherwise. */
static int fails_with(const bb *b, const char *needle, int line) {
    ia_gguf *g = (ia_gguf *)b; /* poison: must be reset to NULL */
    ia_status got;
    ia_error_clear();
    got = open_bytes(b->p, b->n, &g);
    if (got == IA_OK) ia_gguf_free(g);
    if (got != IA_ERR_FORMAT || g != NULL || !strstr(ia_last_error(), needle)) {
        fprintf(stderr, "  %s:%d: got %s \"%s\" (out %s), want format error with \"%s\"\n",
                __FILE__, line, ia_status_str(got), ia_last_error(), g ? "set" : "NULL",
                needle);
        return 0;
    }
    return 1;
}

#define FAILS(b, needle) CHECK(fails_with(&(b), needle, __LINE__))

/* First occurrence of needle[0..m) in hay[0..n) (memmem is a GNU extension). */
static const uint8_t *find_bytes(const uint8_t *hay, size_t n, const void *needle, size_t m) {
    for (size_t i = 0; i + m <= n; i++)
        if (memcmp(hay + i, needle, m) == 0) return hay + i;
    return NULL;
}

static uint64_t fnv1a64(const void *p, size_t n) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) h = (h ^ ((const uint8_t *)p)[i]) * 0x100000001b3ull;
    return h;
}

/* ------------------------------------------------- writer -> reader */

/* One tensor of every type, shapes of 1 to 4 dims. */
typedef struct {
    const char *name;
    ia_ggml_type type;
    int ndim;
    int64_t shape[4];
} spec;

static const spec SPECS[] = {
    {"w.f32", IA_GGML_F32, 3, {2, 3, 4}},    {"w.f16", IA_GGML_F16, 2, {5, 2}},
    {"w.q8_0", IA_GGML_Q8_0, 2, {3, 64}},    {"w.q4_0", IA_GGML_Q4_0, 1, {32}},
    {"w.q4_1", IA_GGML_Q4_1, 4, {1, 1, 2, 32}}, {"w.i8", IA_GGML_I8, 1, {7}},
    {"w.i32", IA_GGML_I32, 2, {2, 2}},
};
#define N_SPECS (sizeof SPECS / sizeof SPECS[0])

static size_t spec_nbytes(const spec *s) {
    int64_t n = 1;
    for (int d = 0; d < s->ndim; d++) n *= s->shape[d];
    return ia_ggml_nbytes(s->type, s->shape[s->ndim - 1], n);
}

static void fill(uint8_t *p, size_t n, unsigned seed) {
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)(i * 13 + seed * 29 + 5);
}

static const char *const TOKENS[] = {"[CLS]", "h\xc3\xa9llo", "", "a b"};

/* A writer holding SPECS and one key of every kind; NULL on failure. */
static ia_gguf_writer *full_writer(void) {
    ia_gguf_writer *w = NULL;
    uint8_t buf[512];
    if (ia_gguf_writer_create(&w) != IA_OK) return NULL;
    if (ia_gguf_writer_set_str(w, "general.name", "round trip") ||
        ia_gguf_writer_set_u32(w, "test.u32", 4000000000u) ||
        ia_gguf_writer_set_i64(w, "test.i64", -1234567890123ll) ||
        ia_gguf_writer_set_f32(w, "test.f32", -0.375f) ||
        ia_gguf_writer_set_str_array(w, "test.tokens", TOKENS, 4) ||
        ia_gguf_writer_set_str_array(w, "test.empty", NULL, 0)) {
        ia_gguf_writer_free(w);
        return NULL;
    }
    for (size_t i = 0; i < N_SPECS; i++) {
        size_t n = spec_nbytes(&SPECS[i]);
        fill(buf, n, (unsigned)i);
        if (n == 0 || n > sizeof buf ||
            ia_gguf_writer_add_tensor(w, SPECS[i].name, SPECS[i].type, SPECS[i].ndim,
                                      SPECS[i].shape, buf, n) != IA_OK) {
            ia_gguf_writer_free(w);
            return NULL;
        }
    }
    return w;
}

IA_TEST(gguf_nbytes_and_names) {
    CHECK(ia_ggml_nbytes(IA_GGML_F32, 3, 6) == 24);
    CHECK(ia_ggml_nbytes(IA_GGML_F16, 3, 6) == 12);
    CHECK(ia_ggml_nbytes(IA_GGML_Q8_0, 64, 128) == 4 * 34);
    CHECK(ia_ggml_nbytes(IA_GGML_Q4_0, 32, 32) == 18);
    CHECK(ia_ggml_nbytes(IA_GGML_Q4_1, 32, 64) == 40);
    CHECK(ia_ggml_nbytes(IA_GGML_I8, 5, 5) == 5);
    CHECK(ia_ggml_nbytes(IA_GGML_I32, 1, 3) == 12);
    CHECK(ia_ggml_nbytes(IA_GGML_Q8_0, 48, 96) == 0); /* row not a block multiple */
    CHECK(ia_ggml_nbytes((ia_ggml_type)12, 32, 32) == 0);
    CHECK(ia_ggml_nbytes(IA_GGML_F32, 0, 0) == 0);
    CHECK(strcmp(ia_ggml_type_name(IA_GGML_Q4_1), "Q4_1") == 0);
    CHECK(strcmp(ia_ggml_type_name((ia_ggml_type)99), "unknown") == 0);
}

IA_TEST(gguf_round_trip) {
    char dir[64], path[96];
    ia_gguf_writer *w = full_writer();
    ia_gguf *g = NULL;
    const char *s = NULL;
    const char *const *items = NULL;
    size_t count = 99;
    int64_t i64 = 0;
    float f = 0;
    uint8_t buf[512];

    REQUIRE(w);
    strcpy(dir, "/tmp/ia_test_gguf_XXXXXX");
    REQUIRE(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/m.gguf", dir);
    CHECK_STATUS(ia_gguf_writer_finish(w, path), IA_OK);
    ia_gguf_writer_free(w);
    CHECK_STATUS(ia_gguf_open(path, &g), IA_OK);
    if (!g) goto done;

    REQUIRE(ia_gguf_tensor_count(g) == N_SPECS);
    for (size_t i = 0; i < N_SPECS; i++) {
        const ia_gguf_tensor *t = ia_gguf_tensor_at(g, i);
        size_t n = spec_nbytes(&SPECS[i]);
        CHECK(t && strcmp(t->name, SPECS[i].name) == 0); /* file order kept */
        CHECK(ia_gguf_find(g, SPECS[i].name) == t);
        if (!t) continue;
        CHECK(t->type == SPECS[i].type && t->ndim == SPECS[i].ndim && t->nbytes == n);
        CHECK(memcmp(t->shape, SPECS[i].shape, (size_t)t->ndim * sizeof(int64_t)) == 0);
        fill(buf, n, (unsigned)i);
        CHECK(memcmp(t->data, buf, n) == 0);
        /* The mapping is page-aligned, so this is the file offset's alignment. */
        CHECK_MSG((uintptr_t)t->data % 32 == 0, "%s not 32-aligned", t->name);
    }
    CHECK(ia_gguf_tensor_at(g, N_SPECS) == NULL);
    CHECK(ia_gguf_find(g, "w.missing") == NULL);

    CHECK_STATUS(ia_gguf_get_str(g, "general.name", &s), IA_OK);
    CHECK(s && strcmp(s, "round trip") == 0);
    CHECK_STATUS(ia_gguf_get_i64(g, "test.u32", &i64), IA_OK);
    CHECK(i64 == 4000000000ll);
    CHECK_STATUS(ia_gguf_get_i64(g, "test.i64", &i64), IA_OK);
    CHECK(i64 == -1234567890123ll);
    CHECK_STATUS(ia_gguf_get_i64(g, "general.alignment", &i64), IA_OK);
    CHECK(i64 == 32);
    CHECK_STATUS(ia_gguf_get_f32(g, "test.f32", &f), IA_OK);
    CHECK(f == -0.375f);
    CHECK_STATUS(ia_gguf_get_str_array(g, "test.tokens", &count, &items), IA_OK);
    CHECK(count == 4);
    for (size_t i = 0; i < 4 && count == 4; i++) CHECK(strcmp(items[i], TOKENS[i]) == 0);
    CHECK_STATUS(ia_gguf_get_str_array(g, "test.empty", &count, &items), IA_OK);
    CHECK(count == 0);

    /* Wrong types and absent keys. */
    CHECK_STATUS(ia_gguf_get_f32(g, "general.name", &f), IA_ERR_FORMAT);
    CHECK(strstr(ia_last_error(), "is a string, not a f32"));
    CHECK_STATUS(ia_gguf_get_i64(g, "test.f32", &i64), IA_ERR_FORMAT);
    CHECK_STATUS(ia_gguf_get_str(g, "test.u32", &s), IA_ERR_FORMAT);
    CHECK_STATUS(ia_gguf_get_str_array(g, "general.name", &count, &items), IA_ERR_FORMAT);
    CHECK_STATUS(ia_gguf_get_str(g, "no.such.key", &s), IA_ERR_NOT_FOUND);
    CHECK(strstr(ia_last_error(), "no.such.key"));
    CHECK_STATUS(ia_gguf_get_i64(g, "test.i64", NULL), IA_ERR_INVALID_ARG);
done:
    ia_gguf_free(g);
    remove(path);
    rmdir(dir);
}

/* Reads the written file raw: the header, the dims in the file (innermost
 * first) and the 32-byte layout, independently of our reader. */
IA_TEST(gguf_writer_layout) {
    char path[64];
    ia_gguf_writer *w = full_writer();
    FILE *fp;
    uint8_t file[4096];
    size_t n;
    const uint8_t *p;

    REQUIRE(w);
    REQUIRE(write_temp(path, "", 0));
    CHECK_STATUS(ia_gguf_writer_finish(w, path), IA_OK); /* replaces the file */
    ia_gguf_writer_free(w);
    REQUIRE((fp = fopen(path, "rb")) != NULL);
    n = fread(file, 1, sizeof file, fp);
    fclose(fp);
    remove(path);
    REQUIRE(n > 24 && n < sizeof file);
    CHECK(memcmp(file, "GGUF\3\0\0\0", 8) == 0);
    CHECK(file[8] == N_SPECS && file[16] == 7); /* 6 keys + general.alignment */
    CHECK(n % 32 == 0);                         /* every tensor padded to 32 */

    /* "w.f32" [2, 3, 4] is stored as n_dims 3, dims 4, 3, 2. */
    p = find_bytes(file, n, "\x05\0\0\0\0\0\0\0w.f32", 13);
    REQUIRE(p);
    p += 13;
    CHECK(p[0] == 3 && p[4] == 4 && p[12] == 3 && p[20] == 2);
    CHECK(p[28] == IA_GGML_F32 && p[32] == 0); /* type, offset 0 */
    /* "w.f16" (F32's 96 bytes before it) is at offset 96, a multiple of 32. */
    p = find_bytes(file, n, "w.f16", 5);
    REQUIRE(p);
    p += 5;
    CHECK(p[0] == 2 && p[4] == 2 && p[12] == 5 && p[20] == IA_GGML_F16 && p[24] == 96);
}

IA_TEST(gguf_writer_rejects) {
    ia_gguf_writer *w = NULL;
    uint8_t buf[64] = {0};
    const int64_t row33[] = {33}, row16[] = {1, 16}, zero[] = {0, 4}, ok[] = {8};

    REQUIRE(ia_gguf_writer_create(&w) == IA_OK);
    CHECK_STATUS(ia_gguf_writer_set_str(w, "k", "v"), IA_OK);
    CHECK_STATUS(ia_gguf_writer_set_str(w, "k", "v2"), IA_ERR_INVALID_ARG);
    CHECK(strstr(ia_last_error(), "key 'k' is set twice"));
    CHECK_STATUS(ia_gguf_writer_set_u32(w, "k", 1), IA_ERR_INVALID_ARG); /* any type */
    CHECK_STATUS(ia_gguf_writer_set_u32(w, "general.alignment", 64), IA_ERR_INVALID_ARG);
    CHECK_STATUS(ia_gguf_writer_set_f32(w, "", 1), IA_ERR_INVALID_ARG);
    CHECK_STATUS(ia_gguf_writer_set_str(w, "k2", NULL), IA_ERR_INVALID_ARG);
    CHECK_STATUS(ia_gguf_writer_set_str_array(w, "k3", (const char *const[]){"a", NULL}, 2),
                 IA_ERR_INVALID_ARG);

    CHECK_STATUS(ia_gguf_writer_add_tensor(w, "t", IA_GGML_F32, 1, ok, buf, 32), IA_OK);
    CHECK_STATUS(ia_gguf_writer_add_tensor(w, "t", IA_GGML_F32, 1, ok, buf, 32),
                 IA_ERR_INVALID_ARG);
    CHECK(strstr(ia_last_error(), "tensor 't' is added twice"));
    CHECK_STATUS(ia_gguf_writer_add_tensor(w, "q", IA_GGML_Q8_0, 1, row33, buf, 34),
                 IA_ERR_INVALID_ARG);
    CHECK_STATUS(ia_gguf_writer_add_tensor(w, "q", IA_GGML_Q4_0, 2, row16, buf, 9),
                 IA_ERR_INVALID_ARG);
    CHECK_STATUS(ia_gguf_writer_add_tensor(w, "z", IA_GGML_F32, 2, zero, buf, 0),
                 IA_ERR_INVALID_ARG);
    CHECK_STATUS(ia_gguf_writer_add_tensor(w, "n", IA_GGML_F32, 1, ok, buf, 31),
                 IA_ERR_INVALID_ARG);
    CHECK(strstr(ia_last_error(), "31 bytes given"));
    CHECK_STATUS(ia_gguf_writer_add_tensor(w, "d", IA_GGML_F32, 5, ok, buf, 32),
                 IA_ERR_INVALID_ARG);
    CHECK_STATUS(ia_gguf_writer_add_tensor(w, "u", (ia_ggml_type)12, 1, row16, buf, 9),
                 IA_ERR_INVALID_ARG);
    ia_gguf_writer_free(w);
    ia_gguf_writer_free(NULL);
}

/* Counts entries of dir other than "." and "..". */
static int dir_entries(const char *dir) {
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    if (!d) return -1;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

IA_TEST(gguf_writer_unwritable) {
    char dir[64], target[96];
    struct stat sb;
    ia_gguf_writer *w = full_writer();
    REQUIRE(w);

    /* No such directory: the temporary cannot even be created. */
    CHECK_STATUS(ia_gguf_writer_finish(w, "/nonexistent_ia_dir/m.gguf"), IA_ERR_IO);
    CHECK(strstr(ia_last_error(), "/nonexistent_ia_dir/m.gguf"));
    CHECK(stat("/nonexistent_ia_dir/m.gguf", &sb) != 0);

    /* The path is a directory: the temporary is written, the rename fails,
     * and the temporary must be gone (works as root too, unlike chmod). */
    strcpy(dir, "/tmp/ia_test_gguf_XXXXXX");
    REQUIRE(mkdtemp(dir));
    snprintf(target, sizeof target, "%s/model.gguf", dir);
    REQUIRE(mkdir(target, 0700) == 0);
    CHECK_STATUS(ia_gguf_writer_finish(w, target), IA_ERR_IO);
    CHECK(strstr(ia_last_error(), "model.gguf"));
    CHECK_MSG(dir_entries(dir) == 1, "%d entries left in %s", dir_entries(dir), dir);

    /* The writer is still usable after a failed finish. */
    rmdir(target);
    CHECK_STATUS(ia_gguf_writer_finish(w, target), IA_OK);
    CHECK(dir_entries(dir) == 1);
    remove(target);
    rmdir(dir);
    ia_gguf_writer_free(w);
}

/* ------------------------------------------------- gguf-py's file */

/* What scripts/check_gguf_interop.py wrote (--print-expected): shapes
 * outermost first, FNV-1a 64 of the tensor bytes. */
static const struct {
    const char *name;
    ia_ggml_type type;
    int ndim;
    int64_t shape[4];
    size_t nbytes;
    uint64_t fnv;
} PY_TENSORS[] = {
    {"tok_embd.weight", IA_GGML_F32, 4, {1, 2, 3, 4}, 96, 0xf836379e8eab2100ull},
    {"blk.0.attn_norm.weight", IA_GGML_F16, 3, {2, 1, 4}, 16, 0xa57ba02589a6a7b1ull},
    {"blk.0.ffn_up.weight", IA_GGML_Q8_0, 2, {2, 64}, 136, 0x68c7e52af23e4187ull},
    {"blk.0.ffn_down.weight", IA_GGML_Q4_0, 2, {1, 64}, 36, 0xd2c44368c806bdf5ull},
    {"blk.0.attn_q.weight", IA_GGML_Q4_1, 2, {2, 32}, 40, 0x39bcd523d4bd89c5ull},
    {"blk.0.ids", IA_GGML_I8, 2, {3, 5}, 15, 0x32529fa608f5a65full},
    {"blk.0.pos", IA_GGML_I32, 2, {2, 2}, 16, 0x9764933028ecd6aeull},
};
#define N_PY (sizeof PY_TENSORS / sizeof PY_TENSORS[0])

static const char *const PY_TOKENS[] = {"[PAD]", "hello", "w\xc3\xb6rld", "a b", ""};

/* The fixture is kept as hex text (test/fixtures/gguf_pywritten.hex: no
 * binary model files in git); decoded once into a temporary file. */
static char py_tmp[64];
static void remove_py_tmp(void) { unlink(py_tmp); }

static const char *py_path(void) {
    char *path = py_tmp;
    const char *in = getenv("IA_GGUF_INTEROP_IN");
    FILE *hex, *out;
    int c, hi = -1, fd;
    if (in && *in) return in;
    if (path[0]) return path;
    snprintf(path, sizeof py_tmp, "/tmp/ia_gguf_fixture_XXXXXX");
    if ((fd = mkstemp(path)) < 0) return "";
    close(fd);
    atexit(remove_py_tmp);
    hex = fopen(ia_test_source_path("test/fixtures/gguf_pywritten.hex"), "r");
    out = fopen(path, "wb");
    while (hex && out && (c = fgetc(hex)) != EOF) {
        int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (v < 0) continue; /* line breaks */
        if (hi < 0) {
            hi = v;
        } else {
            fputc(hi << 4 | v, out);
            hi = -1;
        }
    }
    if (hex) fclose(hex);
    if (out) fclose(out);
    return path;
}

static uint16_t rd16(const void *p) {
    const uint8_t *b = p;
    return (uint16_t)(b[0] | b[1] << 8);
}

/* Checks g holds exactly what the script wrote. */
static void check_py_content(const ia_gguf *g, int *ia_failed_) {
    const char *s = NULL;
    const char *const *items = NULL;
    size_t count = 0;
    int64_t v = 0;
    float f = 0;

    CHECK(ia_gguf_tensor_count(g) == N_PY);
    for (size_t i = 0; i < N_PY; i++) {
        const ia_gguf_tensor *t = ia_gguf_tensor_at(g, i);
        CHECK(t && strcmp(t->name, PY_TENSORS[i].name) == 0);
        if (!t) continue;
        CHECK_MSG(t->type == PY_TENSORS[i].type && t->ndim == PY_TENSORS[i].ndim &&
                      memcmp(t->shape, PY_TENSORS[i].shape, (size_t)t->ndim * 8) == 0,
                  "%s: type %s, %d dims", t->name, ia_ggml_type_name(t->type), t->ndim);
        CHECK(t->nbytes == PY_TENSORS[i].nbytes);
        CHECK_MSG(fnv1a64(t->data, t->nbytes) == PY_TENSORS[i].fnv, "%s: bytes differ",
                  t->name);
    }
    /* Values, readable when the hash above fails (see source_tensors()). */
    if (ia_gguf_tensor_count(g) == N_PY) {
        const float *f32 = ia_gguf_tensor_at(g, 0)->data;
        const uint8_t *q8 = ia_gguf_tensor_at(g, 2)->data, *q40 = ia_gguf_tensor_at(g, 3)->data;
        const uint8_t *q41 = ia_gguf_tensor_at(g, 4)->data;
        const int8_t *i8 = ia_gguf_tensor_at(g, 5)->data;
        const int32_t *i32 = ia_gguf_tensor_at(g, 6)->data;
        for (int i = 0; i < 24; i++) CHECK(f32[i] == i * 0.5f - 1);
        for (int i = 0; i < 8; i++)
            CHECK(ia_fp16_to_fp32(rd16((const uint8_t *)ia_gguf_tensor_at(g, 1)->data +
                                       2 * i)) == i * 0.25f - 1);
        CHECK(ia_fp16_to_fp32(rd16(q8)) == 0.5f && (int8_t)q8[2] == 127);
        CHECK(ia_fp16_to_fp32(rd16(q40)) == 0.25f);
        CHECK(ia_fp16_to_fp32(rd16(q41)) == 0.125f && ia_fp16_to_fp32(rd16(q41 + 2)) == -1);
        for (int i = 0; i < 15; i++) CHECK(i8[i] == i - 7);
        CHECK(i32[0] == 1 && i32[1] == -2 && i32[2] == 3 && i32[3] == INT32_MAX);
    }

    CHECK_STATUS(ia_gguf_get_str(g, "general.architecture", &s), IA_OK);
    CHECK(s && strcmp(s, "iatest") == 0);
    CHECK_STATUS(ia_gguf_get_str(g, "iatest.name", &s), IA_OK);
    CHECK(s && strcmp(s, "h\xc3\xa9llo w\xc3\xb6rld") == 0);
    CHECK_STATUS(ia_gguf_get_i64(g, "iatest.count", &v), IA_OK);
    CHECK(v == 42);
    CHECK_STATUS(ia_gguf_get_i64(g, "iatest.offset", &v), IA_OK);
    CHECK(v == -(1ll << 40) - 3);
    CHECK_STATUS(ia_gguf_get_f32(g, "iatest.scale", &f), IA_OK);
    CHECK(f == 0.15625f);
    CHECK_STATUS(ia_gguf_get_str_array(g, "iatest.tokens", &count, &items), IA_OK);
    CHECK(count == 5);
    for (size_t i = 0; i < 5 && count == 5; i++) CHECK(strcmp(items[i], PY_TOKENS[i]) == 0);
}

IA_TEST(gguf_pywritten_fixture) {
    ia_gguf *g = NULL;
    CHECK_STATUS(ia_gguf_open(py_path(), &g), IA_OK);
    if (g) check_py_content(g, ia_failed_);
    ia_gguf_free(g);
}

/* gguf-py's file through our writer: the copy must read back the same
 * (and, kept via IA_GGUF_INTEROP_OUT, gguf-py must read it the same). */
IA_TEST(gguf_pywritten_rewrite) {
    const char *keep = getenv("IA_GGUF_INTEROP_OUT");
    char tmp[64] = "";
    const char *out;
    ia_gguf *g = NULL, *g2 = NULL;
    ia_gguf_writer *w = NULL;
    const char *arch = NULL, *name = NULL;
    const char *const *items = NULL;
    size_t count = 0;
    int64_t n = 0, off = 0;
    float scale = 0;

    CHECK_STATUS(ia_gguf_open(py_path(), &g), IA_OK);
    REQUIRE(g);
    REQUIRE(ia_gguf_writer_create(&w) == IA_OK);
    /* Keys in gguf-py's order and with its types (count is a u32). */
    CHECK(!ia_gguf_get_str(g, "general.architecture", &arch) &&
          !ia_gguf_get_str(g, "iatest.name", &name) &&
          !ia_gguf_get_i64(g, "iatest.count", &n) &&
          !ia_gguf_get_i64(g, "iatest.offset", &off) &&
          !ia_gguf_get_f32(g, "iatest.scale", &scale) &&
          !ia_gguf_get_str_array(g, "iatest.tokens", &count, &items));
    CHECK(!ia_gguf_writer_set_str(w, "general.architecture", arch ? arch : "") &&
          !ia_gguf_writer_set_str(w, "iatest.name", name ? name : "") &&
          !ia_gguf_writer_set_u32(w, "iatest.count", (uint32_t)n) &&
          !ia_gguf_writer_set_i64(w, "iatest.offset", off) &&
          !ia_gguf_writer_set_f32(w, "iatest.scale", scale) &&
          !ia_gguf_writer_set_str_array(w, "iatest.tokens", items, count));
    for (size_t i = 0; i < ia_gguf_tensor_count(g); i++) {
        const ia_gguf_tensor *t = ia_gguf_tensor_at(g, i);
        CHECK_STATUS(ia_gguf_writer_add_tensor(w, t->name, t->type, t->ndim, t->shape,
                                               t->data, t->nbytes),
                     IA_OK);
    }
    if (keep && *keep) {
        out = keep;
    } else {
        REQUIRE(write_temp(tmp, "", 0));
        out = tmp;
    }
    CHECK_STATUS(ia_gguf_writer_finish(w, out), IA_OK);
    CHECK_STATUS(ia_gguf_open(out, &g2), IA_OK);
    if (g2) check_py_content(g2, ia_failed_);
    ia_gguf_free(g2);
    ia_gguf_writer_free(w);
    ia_gguf_free(g);
    if (*tmp) remove(tmp);
}

/* ------------------------------------------------- hostile files */

IA_TEST(gguf_valid_builder_opens) {
    bb b = {0};
    ia_gguf *g = NULL;
    const char *const *items;
    size_t count;
    bb_valid(&b);
    CHECK_STATUS(open_bytes(b.p, b.n, &g), IA_OK);
    if (g) {
        const ia_gguf_tensor *t = ia_gguf_find(g, "b");
        CHECK(t && t->type == IA_GGML_Q8_0 && t->nbytes == 34 &&
              memcmp(t->data, b.p + b.n - 34, 34) == 0);
        CHECK_STATUS(ia_gguf_get_str_array(g, "tok", &count, &items), IA_OK);
    }
    ia_gguf_free(g);
    free(b.p);
}

/* Every proper prefix of a valid file is refused cleanly. */
IA_TEST(gguf_truncated_everywhere) {
    bb b = {0};
    ia_gguf *g;
    bb_valid(&b);
    for (size_t n = 0; n < b.n; n++) {
        ia_status st;
        g = (ia_gguf *)&b;
        ia_error_clear();
        st = open_bytes(b.p, n, &g);
        CHECK_MSG(st == IA_ERR_FORMAT && g == NULL && *ia_last_error(),
                  "prefix of %zu bytes: %s \"%s\"", n, ia_status_str(st), ia_last_error());
        if (st == IA_OK) ia_gguf_free(g);
    }
    free(b.p);
}

IA_TEST(gguf_hostile_header) {
    bb b = {0};
    bb_put(&b, "GGUX\3\0\0\0", 8);
    bb_zero(&b, 16);
    FAILS(b, "bad magic 'GGUX'");
    b.n = 0;
    FAILS(b, "bad magic");
    b.n = 0;
    bb_hdr(&b, 1, 0, 0);
    FAILS(b, "version 1 is not supported");
    b.n = 0;
    bb_hdr(&b, 4, 0, 0);
    FAILS(b, "version 4 is not supported");
    b.n = 0;
    bb_hdr(&b, 0x03000000u, 0, 0);
    FAILS(b, "big-endian");
    b.n = 0;
    bb_hdr(&b, 3, 1ull << 60, 0);
    FAILS(b, "tensor count 1152921504606846976 cannot fit");
    b.n = 0;
    bb_hdr(&b, 3, 0, 1ull << 60);
    FAILS(b, "key/value count 1152921504606846976 cannot fit");
    b.n = 0;
    bb_put(&b, "GGU", 3);
    FAILS(b, "bad magic 'GGU' (want 'GGUF'); 3-byte file");
    b.n = 0;
    bb_hdr(&b, 3, 0, 0);
    b.n = 20;
    FAILS(b, "file is 20 bytes, shorter than the 24-byte header");
    free(b.p);
}

IA_TEST(gguf_hostile_metadata) {
    bb b = {0};
    /* A key whose length runs past the end. */
    bb_hdr(&b, 3, 0, 1);
    bb_le(&b, 1000, 8);
    bb_put(&b, "abcdefgh", 8);
    FAILS(b, "key #0: string length 1000 at offset 24 runs past the end");
    /* A string value past the end. */
    b.n = 0;
    bb_hdr(&b, 3, 0, 1);
    bb_str(&b, "k");
    bb_le(&b, IA_GGUF_STRING, 4);
    bb_le(&b, 1ull << 62, 8);
    bb_put(&b, "abcd", 4);
    FAILS(b, "key 'k': string length 4611686018427387904");
    /* A huge array of u32. */
    b.n = 0;
    bb_hdr(&b, 3, 0, 1);
    bb_str(&b, "arr");
    bb_le(&b, IA_GGUF_ARRAY, 4);
    bb_le(&b, IA_GGUF_U32, 4);
    bb_le(&b, 1ull << 61, 8);
    bb_zero(&b, 16);
    FAILS(b, "key 'arr': array of 2305843009213693952 u32");
    /* A huge array of strings (each string would need 8 bytes). */
    b.n = 0;
    bb_hdr(&b, 3, 0, 1);
    bb_str(&b, "sa");
    bb_le(&b, IA_GGUF_ARRAY, 4);
    bb_le(&b, IA_GGUF_STRING, 4);
    bb_le(&b, UINT64_MAX, 8);
    bb_str(&b, "one");
    FAILS(b, "key 'sa': array of 18446744073709551615 strings");
    /* Unknown value type. */
    b.n = 0;
    bb_hdr(&b, 3, 0, 1);
    bb_str(&b, "k");
    bb_le(&b, 13, 4);
    bb_le(&b, 0, 8);
    FAILS(b, "key 'k': unknown value type 13");
    /* Unknown array element type. */
    b.n = 0;
    bb_hdr(&b, 3, 0, 1);
    bb_str(&b, "k");
    bb_le(&b, IA_GGUF_ARRAY, 4);
    bb_le(&b, 77, 4);
    bb_le(&b, 1, 8);
    bb_le(&b, 0, 8);
    FAILS(b, "unknown array element type 77");
    /* An array of arrays (gguf-py can write one; llama.cpp refuses it). */
    b.n = 0;
    bb_hdr(&b, 3, 0, 1);
    bb_str(&b, "nest");
    bb_le(&b, IA_GGUF_ARRAY, 4);
    bb_le(&b, IA_GGUF_ARRAY, 4);
    bb_le(&b, 1, 8);
    bb_le(&b, IA_GGUF_U8, 4);
    bb_le(&b, 1, 8);
    bb_le(&b, 5, 1);
    FAILS(b, "key 'nest': arrays of arrays are not supported");
    /* Duplicate keys. */
    b.n = 0;
    bb_hdr(&b, 3, 0, 2);
    bb_kv_u32(&b, "dup", 1);
    bb_kv_str(&b, "dup", "x");
    FAILS(b, "key 'dup' is defined twice");
    /* NUL bytes inside a key, a value and an array element. */
    b.n = 0;
    bb_hdr(&b, 3, 0, 1);
    bb_strn(&b, "a\0b", 3);
    bb_le(&b, IA_GGUF_U8, 4);
    bb_le(&b, 1, 1);
    FAILS(b, "key #0: string at offset 24 contains a NUL byte");
    b.n = 0;
    bb_hdr(&b, 3, 0, 1);
    bb_str(&b, "k");
    bb_le(&b, IA_GGUF_STRING, 4);
    bb_strn(&b, "v\0", 2);
    FAILS(b, "key 'k': string at offset 37 contains a NUL byte");
    b.n = 0;
    bb_hdr(&b, 3, 0, 1);
    bb_str(&b, "k");
    bb_le(&b, IA_GGUF_ARRAY, 4);
    bb_le(&b, IA_GGUF_STRING, 4);
    bb_le(&b, 2, 8);
    bb_str(&b, "ok");
    bb_strn(&b, "\0", 1);
    FAILS(b, "contains a NUL byte");
    free(b.p);
}

IA_TEST(gguf_hostile_alignment) {
    bb b = {0};
    ia_gguf *g = NULL;
    bb_hdr(&b, 3, 0, 1);
    bb_kv_u32(&b, "general.alignment", 0);
    FAILS(b, "general.alignment 0 is not a power of two");
    b.n = 0;
    bb_hdr(&b, 3, 0, 1);
    bb_kv_u32(&b, "general.alignment", 24);
    FAILS(b, "general.alignment 24 is not a power of two");
    b.n = 0;
    bb_hdr(&b, 3, 0, 1);
    bb_kv_str(&b, "general.alignment", "32");
    FAILS(b, "general.alignment has type string");

    /* Alignment 1 lets an F32 tensor sit at an odd offset: refused, since
     * kernels read F32 through plain pointers. */
    b.n = 0;
    bb_hdr(&b, 3, 1, 1);
    bb_kv_u32(&b, "general.alignment", 1);
    bb_ti(&b, "t", 1, (const uint64_t[]){1}, IA_GGML_F32, 1);
    bb_data(&b, 4, 5);
    FAILS(b, "not aligned to its 4-byte elements");

    /* Alignment 64 is honoured: the infos end at 90, so the data section
     * starts at 128 (it would be 96 with 32) and offset 64 is byte 192. */
    b.n = 0;
    bb_hdr(&b, 3, 1, 1);
    bb_kv_u32(&b, "general.alignment", 64);
    bb_ti(&b, "t", 1, (const uint64_t[]){16}, IA_GGML_I8, 64);
    REQUIRE(b.n == 90);
    bb_data(&b, 64, 256);
    CHECK_STATUS(open_bytes(b.p, b.n, &g), IA_OK);
    if (g) CHECK(memcmp(ia_gguf_tensor_at(g, 0)->data, b.p + 192, 16) == 0);
    ia_gguf_free(g);
    free(b.p);
}

/* One tensor info with the given raw fields, then 256 data bytes. */
static void one_tensor(bb *b, uint32_t ndim, const uint64_t *dims, uint32_t type,
                       uint64_t offset) {
    b->n = 0;
    bb_hdr(b, 3, 1, 0);
    bb_ti(b, "t", ndim, dims, type, offset);
    bb_data(b, 32, 256);
}

IA_TEST(gguf_hostile_tensors) {
    bb b = {0};
    ia_gguf *g = NULL;
    one_tensor(&b, 1, (const uint64_t[]){4}, 200, 0);
    FAILS(b, "tensor 't': unknown ggml type id 200");
    one_tensor(&b, 1, (const uint64_t[]){256}, 9, 0);
    FAILS(b, "ggml type Q8_1 (9) is not supported");
    one_tensor(&b, 0, NULL, IA_GGML_F32, 0);
    FAILS(b, "tensor 't': 0 dims");
    one_tensor(&b, 5, (const uint64_t[]){1, 1, 1, 1, 1}, IA_GGML_F32, 0);
    FAILS(b, "tensor 't': 5 dims");
    one_tensor(&b, 2, (const uint64_t[]){4, 0}, IA_GGML_F32, 0);
    FAILS(b, "dim 1 is 0");
    one_tensor(&b, 2, (const uint64_t[]){4, (uint64_t)-2}, IA_GGML_F32, 0);
    FAILS(b, "dim 1 is 18446744073709551614, not in [1, 2^63)");
    one_tensor(&b, 3, (const uint64_t[]){1ull << 32, 1ull << 31, 2}, IA_GGML_I8, 0);
    FAILS(b, "element count overflows int64");
    one_tensor(&b, 2, (const uint64_t[]){16, 2}, IA_GGML_Q8_0, 0);
    FAILS(b, "row of 16 elements is not a multiple of the Q8_0 block size 32");
    one_tensor(&b, 2, (const uint64_t[]){128, 2}, IA_GGML_Q4_K, 0); /* k-quants: super-blocks of 256 */
    FAILS(b, "row of 128 elements is not a multiple of the Q4_K block size 256");
    one_tensor(&b, 1, (const uint64_t[]){1ull << 20}, IA_GGML_Q6_K, 0); /* 1 Mi weights: 860 KB past the file */
    FAILS(b, "past the end");
    one_tensor(&b, 1, (const uint64_t[]){4}, IA_GGML_F32, 16);
    FAILS(b, "offset 16 is not a multiple of the alignment 32");
    one_tensor(&b, 1, (const uint64_t[]){65}, IA_GGML_F32, 0);
    FAILS(b, "tensor 't': data [0, +260) past the end of the file");
    one_tensor(&b, 1, (const uint64_t[]){1}, IA_GGML_F32, 1ull << 63);
    FAILS(b, "past the end of the file");
    /* A huge but non-overflowing element count (2^62 I32 = 2^64 bytes). */
    one_tensor(&b, 2, (const uint64_t[]){1ull << 31, 1ull << 31}, IA_GGML_I32, 0);
    FAILS(b, "past the end of the file");
    /* A NUL inside a tensor name. */
    b.n = 0;
    bb_hdr(&b, 3, 1, 0);
    bb_strn(&b, "t\0x", 3);
    bb_zero(&b, 32);
    FAILS(b, "tensor #0: string at offset 24 contains a NUL byte");

    /* Two tensors overlapping, and two with one name. */
    b.n = 0;
    bb_hdr(&b, 3, 2, 0);
    bb_ti(&b, "a", 1, (const uint64_t[]){16}, IA_GGML_F32, 0);
    bb_ti(&b, "b", 1, (const uint64_t[]){16}, IA_GGML_F32, 32);
    bb_data(&b, 32, 128);
    FAILS(b, "tensor 'b' at offset 32 overlaps tensor 'a' (offsets [0, 64))");
    b.n = 0;
    bb_hdr(&b, 3, 2, 0);
    bb_ti(&b, "a", 1, (const uint64_t[]){8}, IA_GGML_F32, 0);
    bb_ti(&b, "a", 1, (const uint64_t[]){8}, IA_GGML_F32, 32);
    bb_data(&b, 32, 64);
    FAILS(b, "tensor 'a' is defined twice");

    /* Adjacent tensors listed out of order and a v2 header are fine. */
    b.n = 0;
    bb_hdr(&b, 2, 2, 0);
    bb_ti(&b, "late", 1, (const uint64_t[]){8}, IA_GGML_F32, 32);
    bb_ti(&b, "early", 1, (const uint64_t[]){8}, IA_GGML_F32, 0);
    bb_data(&b, 32, 64);
    CHECK_STATUS(open_bytes(b.p, b.n, &g), IA_OK);
    ia_gguf_free(g);
    free(b.p);
}

IA_TEST(gguf_open_errors) {
    ia_gguf *g = (ia_gguf *)&g;
    CHECK_STATUS(ia_gguf_open("/nonexistent/dir/m.gguf", &g), IA_ERR_NOT_FOUND);
    CHECK(g == NULL);
    CHECK_STATUS(ia_gguf_open(NULL, &g), IA_ERR_INVALID_ARG);
    CHECK_STATUS(ia_gguf_open("x", NULL), IA_ERR_INVALID_ARG);
    ia_gguf_free(NULL);
    CHECK(ia_gguf_tensor_count(NULL) == 0 && ia_gguf_find(NULL, "a") == NULL);
}
