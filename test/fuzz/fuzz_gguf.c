/*
 * fuzz_gguf.c — libFuzzer target for the GGUF reader.
 *
 * gguf.h opens files only, so this target supplies its own
 * ia_mapped_file_open() (util/mapped_file.c is not linked): "mapping" any
 * path yields a malloc'd copy of exactly the current input. No file I/O per
 * input, and ASan sees the true end of the buffer (an mmap'd file would
 * hide small overreads inside its last page).
 *
 * A successful open must only hand out ranges inside the input, so every
 * byte of every tensor is read and its range checked; shapes, types and
 * sizes must agree with ia_ggml_nbytes(); find() must return at()'s entry;
 * the getters must not crash on whatever keys exist. Build and run:
 * scripts/fuzz_gguf.sh. Not part of ia_tests (CMake excludes test/fuzz/).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/gguf.h"
#include "util/mapped_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t *cur_data;
static size_t cur_size;
static const uint8_t *mapped; /* the copy the open under test holds */

ia_status ia_mapped_file_open(const char *path, ia_mapped_file *out) {
    uint8_t *p = malloc(cur_size ? cur_size : 1);
    (void)path;
    memset(out, 0, sizeof *out);
    if (!p) abort();
    if (cur_size) memcpy(p, cur_data, cur_size);
    out->data = cur_size ? p : NULL;
    out->size = cur_size;
    if (!cur_size) free(p);
    mapped = out->data;
    return IA_OK;
}

void ia_mapped_file_close(ia_mapped_file *f) {
    if (!f) return;
    free((void *)f->data);
    memset(f, 0, sizeof *f);
}

/* Reads a few well-known keys with every getter: types must be checked. */
static void poke_keys(const ia_gguf *g) {
    static const char *const keys[] = {"general.alignment", "general.architecture",
                                       "general.name", "tokenizer.ggml.tokens", "a", ""};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const char *s;
        const char *const *items;
        size_t n;
        int64_t v;
        float f;
        if (ia_gguf_get_str(g, keys[i], &s) == IA_OK && strlen(s) > cur_size) abort();
        (void)ia_gguf_get_i64(g, keys[i], &v);
        (void)ia_gguf_get_f32(g, keys[i], &f);
        if (ia_gguf_get_str_array(g, keys[i], &n, &items) == IA_OK)
            for (size_t j = 0; j < n; j++)
                if (strlen(items[j]) > cur_size) abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ia_gguf *g = NULL;
    volatile uint8_t sink = 0;

    cur_data = data;
    cur_size = size;
    if (ia_gguf_open("fuzz.gguf", &g) != IA_OK) {
        if (g) abort(); /* a failed open must leave *out NULL */
        return 0;
    }
    for (size_t i = 0; i < ia_gguf_tensor_count(g); i++) {
        const ia_gguf_tensor *t = ia_gguf_tensor_at(g, i);
        const uint8_t *d = t->data;
        int64_t nelem = 1;
        if (!t->name || t->ndim < 1 || t->ndim > IA_GGUF_MAX_DIMS) abort();
        for (int k = 0; k < t->ndim; k++) {
            if (t->shape[k] < 1 || nelem > INT64_MAX / t->shape[k]) abort();
            nelem *= t->shape[k];
        }
        if (t->nbytes == 0 || t->nbytes != ia_ggml_nbytes(t->type, t->shape[t->ndim - 1], nelem))
            abort();
        if (d < mapped || t->nbytes > size || (size_t)(d - mapped) > size - t->nbytes) abort();
        for (size_t b = 0; b < t->nbytes; b++) sink ^= d[b];
        if (ia_gguf_find(g, t->name) != t) abort();
    }
    poke_keys(g);
    (void)sink;
    ia_gguf_free(g);
    return 0;
}
