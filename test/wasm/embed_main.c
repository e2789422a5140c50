/*
 * embed_main.c — the wasm32 check's driver: a program over the public API
 * only (ipfs_accelerate.h), linked with the portable core into one
 * wasm32-wasi module by scripts/check_wasm32.sh and run there under a WASI
 * runtime (node's node:wasi, test/wasm/run_wasi.mjs).
 *
 *   embed_main MODEL_DIR TEXT...
 *
 * Opens the model directory, embeds the texts in one batch and prints
 * {"model":…, "dim":…, "kernel":…, "embeddings":[[…],…]} on stdout (the
 * shape of `ipfs-accelerate embed --json`, which the check compares it
 * with), and the open and embed times on stderr. Exit 1 with the library's
 * message on any failure, 2 on a usage error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "ipfs_accelerate.h"

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return 1e3 * (double)ts.tv_sec + 1e-6 * (double)ts.tv_nsec;
}

int main(int argc, char **argv) {
    ia_model_options opts;
    ia_model *model = NULL;
    float *vecs = NULL;
    size_t n;
    int dim, rc = 1;
    double t0, t_open, t_embed;

    if (argc < 3) {
        fprintf(stderr, "usage: embed_main MODEL_DIR TEXT...\n");
        return 2;
    }
    n = (size_t)(argc - 2);
    IA_MODEL_OPTIONS_INIT(&opts);
    opts.threads = 1;
    t0 = now_ms();
    if (ia_model_open(argv[1], &opts, &model) != IA_OK) {
        fprintf(stderr, "embed_main: open %s: %s\n", argv[1], ia_last_error());
        goto done;
    }
    t_open = now_ms() - t0;
    dim = ia_model_dim(model);
    if (!(vecs = malloc(n * (size_t)dim * sizeof *vecs))) {
        fprintf(stderr, "embed_main: out of memory\n");
        goto done;
    }
    t0 = now_ms();
    if (ia_model_embed(model, (const char *const *)(argv + 2), n, vecs) != IA_OK) {
        fprintf(stderr, "embed_main: embed: %s\n", ia_last_error());
        goto done;
    }
    t_embed = now_ms() - t0;
    printf("{\"model\":\"%s\",\"dim\":%d,\"kernel\":\"%s\",\"embeddings\":[", ia_model_name(model), dim,
           ia_model_kernel(model));
    for (size_t i = 0; i < n; i++) {
        printf(i ? ",[" : "[");
        for (int j = 0; j < dim; j++) printf(j ? ",%.9g" : "%.9g", vecs[i * (size_t)dim + (size_t)j]);
        putchar(']');
    }
    printf("]}\n");
    fprintf(stderr, "embed_main: opened in %.1f ms, embedded %zu texts in %.1f ms (%s kernels)\n", t_open, n,
            t_embed, ia_model_kernel(model));
    rc = 0;
done:
    ia_model_free(model);
    free(vecs);
    return rc;
}
