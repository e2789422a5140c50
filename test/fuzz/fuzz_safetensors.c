/*
 * fuzz_safetensors.c — libFuzzer target for the safetensors reader.
 *
 * Feeds arbitrary bytes to ia_safetensors_open_memory(). A successful open
 * must only hand out ranges inside the input, so every byte of every tensor
 * is read (ASan flags any range that escapes), and find() must return the
 * same entry as at() for every name. Build and run: scripts/fuzz_safetensors.sh.
 * Not part of ia_tests (CMake excludes test/fuzz/).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ia_safetensors *st = NULL;
    volatile uint8_t sink = 0;

    if (ia_safetensors_open_memory(data, size, &st) != IA_OK) {
        if (st) abort(); /* a failed open must leave *out NULL */
        return 0;
    }
    for (size_t i = 0; i < ia_safetensors_count(st); i++) {
        const ia_st_tensor *t = ia_safetensors_at(st, i);
        const uint8_t *d = t->data;
        if (!t->name || t->ndim < 0 || t->ndim > IA_ST_MAX_DIMS) abort();
        if (t->nbytes && (d < data || d + t->nbytes > data + size)) abort();
        for (size_t b = 0; b < t->nbytes; b++) sink ^= d[b];
        if (ia_safetensors_find(st, t->name) != t) abort();
    }
    (void)sink;
    ia_safetensors_free(st);
    return 0;
}
