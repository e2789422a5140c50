/*
 * fuzz_model_dir.c — libFuzzer target over whole model directories, through
 * the public API only: ia_model_open + ia_model_embed of one short text.
 *
 * An input is split on SEP (6 bytes no JSON text holds) into, in order:
 *   config.json, model.safetensors, the text to embed, modules.json,
 *   1_Pooling/config.json, sentence_bert_config.json;
 * each present part is written to its file in a private directory beside a
 * fixed tokenizer.json (the tiny one scripts/make_fuzz_model.py derives from
 * all-MiniLM-L6-v2's, path in $IA_FUZZ_TOKENIZER), an absent one is removed,
 * so the directory holds exactly what the input says. An absent text part is
 * "hello world"; the text is cut at its first NUL and at 4096 bytes.
 *
 * Must never crash, leak or hang (ASan + UBSan + libFuzzer's leak check and
 * -timeout). Also checked: a failed open leaves the handle NULL and sets a
 * message, an opened model has a sane dimension, and a successful embed
 * writes exactly dim floats (the buffer is sized exactly, so ASan sees one
 * more). The core is built with -DIA_NO_MMAP, so the weights file ends where
 * its heap copy ends. Build and run: scripts/fuzz_model_dir.sh. Not part of
 * ia_tests (CMake excludes test/fuzz/).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ipfs_accelerate.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t SEP[6] = {0x00, 0xff, 'I', 'A', 0xff, 0x00};

enum { P_CONFIG, P_WEIGHTS, P_TEXT, P_MODULES, P_POOLING, P_SBERT, N_PARTS };

/* The file of each part, relative to the directory (NULL: not a file). */
static const char *const part_file[N_PARTS] = {"config.json", "model.safetensors", NULL,
                                               "modules.json", "1_Pooling/config.json",
                                               "sentence_bert_config.json"};

#define MAX_TEXT 4096

static char dir[512];

static void path_of(char *buf, size_t cap, const char *rel) { snprintf(buf, cap, "%s/%s", dir, rel); }

/* Writes n bytes to dir/rel, or removes it when p is NULL. Aborts on I/O
 * errors: they are the harness's, not the library's. */
static void put(const char *rel, const uint8_t *p, size_t n) {
    char path[600];
    FILE *f;
    path_of(path, sizeof path, rel);
    if (!p) {
        if (unlink(path) != 0 && errno != ENOENT) abort();
        return;
    }
    if (!(f = fopen(path, "wb"))) abort();
    if (n && fwrite(p, 1, n, f) != n) abort();
    if (fclose(f) != 0) abort();
}

static void cleanup(void) {
    char path[600];
    for (int i = 0; i < N_PARTS; i++)
        if (part_file[i]) put(part_file[i], NULL, 0);
    put("tokenizer.json", NULL, 0);
    path_of(path, sizeof path, "1_Pooling");
    rmdir(path);
    rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    const char *tok = getenv("IA_FUZZ_TOKENIZER"), *tmp = getenv("TMPDIR");
    char path[600];
    static uint8_t buf[1 << 20];
    size_t n;
    FILE *f;
    (void)argc;
    (void)argv;
    if (!tok) tok = "build-fuzz/model_dir/tokenizer.json";
    if (!(f = fopen(tok, "rb"))) {
        fprintf(stderr, "fuzz_model_dir: cannot read %s (set IA_FUZZ_TOKENIZER)\n", tok);
        exit(2);
    }
    n = fread(buf, 1, sizeof buf, f);
    if (n == sizeof buf || ferror(f)) {
        fprintf(stderr, "fuzz_model_dir: %s: not read whole (over 1 MiB?)\n", tok);
        exit(2);
    }
    fclose(f);
    snprintf(dir, sizeof dir, "%s/ia_fuzz_model_XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        perror("fuzz_model_dir: mkdtemp");
        exit(2);
    }
    path_of(path, sizeof path, "1_Pooling");
    if (mkdir(path, 0700) != 0) abort();
    put("tokenizer.json", buf, n);
    atexit(cleanup);
    return 0;
}

/* Finds the next SEP in [p, end); end if none. */
static const uint8_t *next_sep(const uint8_t *p, const uint8_t *end) {
    for (; (size_t)(end - p) >= sizeof SEP; p++)
        if (p[0] == SEP[0] && memcmp(p, SEP, sizeof SEP) == 0) return p;
    return end;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const uint8_t *part[N_PARTS] = {0}, *p = data, *end = data + size;
    size_t len[N_PARTS] = {0};
    char text[MAX_TEXT + 1] = "hello world";
    const char *texts[1] = {text};
    ia_model_options opts;
    ia_model *model = (ia_model *)&opts; /* poison: a failed open must reset it */
    float *vec;
    int dim;
    ia_status st;

    for (int i = 0; i < N_PARTS && (i == 0 || p < end); i++) {
        const uint8_t *q = next_sep(p, end);
        part[i] = p;
        len[i] = (size_t)(q - p);
        p = q == end ? end : q + sizeof SEP;
    }
    for (int i = 0; i < N_PARTS; i++)
        if (part_file[i]) put(part_file[i], part[i], len[i]);
    if (part[P_TEXT]) {
        size_t n = len[P_TEXT] < MAX_TEXT ? len[P_TEXT] : MAX_TEXT;
        memcpy(text, part[P_TEXT], n);
        text[n] = '\0';
    }

    IA_MODEL_OPTIONS_INIT(&opts);
    opts.threads = 1;
    opts.device = "cpu";
    st = ia_model_open(dir, &opts, &model);
    if (st != IA_OK) {
        if (model != NULL || !ia_last_error()[0]) abort();
        if (getenv("IA_FUZZ_VERBOSE")) fprintf(stderr, "fuzz_model_dir: open %s: %s\n", ia_status_str(st),
                                               ia_last_error());
        return 0;
    }
    dim = ia_model_dim(model);
    if (dim < 1 || dim > (1 << 16)) abort();
    if (!(vec = malloc((size_t)dim * sizeof *vec))) abort();
    st = ia_model_embed(model, texts, 1, vec);
    if (st == IA_OK) {
        volatile float sink = 0.0f;
        for (int i = 0; i < dim; i++) sink += vec[i];
        (void)sink;
    } else if (!ia_last_error()[0]) {
        abort();
    }
    if (getenv("IA_FUZZ_VERBOSE"))
        fprintf(stderr, "fuzz_model_dir: opened (dim %d), embed %s%s%s\n", dim, ia_status_str(st),
                st == IA_OK ? "" : ": ", st == IA_OK ? "" : ia_last_error());
    free(vec);
    ia_model_free(model);
    return 0;
}
