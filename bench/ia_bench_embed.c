/*
 * ia_bench_embed — embedding throughput of the ipfs_accelerate core, over
 * the public API only (include/ipfs_accelerate.h).
 *
 *   ia_bench_embed --file texts.txt [--model M] [--threads N] [--batch B]
 *                  [--iters I] [--warmup W] [--limit K] [--precision P]
 *                  [--out-embeddings PATH]
 *
 * Reads one text per line (the line break is dropped; a trailing "\r" too),
 * then runs W warm-up passes and I timed passes; a pass embeds every text
 * once, in batches of B (the last batch may be smaller), each batch one call
 * of ia_model_embed() — which includes tokenization, pooling and
 * normalisation. Prints one JSON line on stdout:
 *
 *   sentences_per_s      texts / median pass time
 *   sentences_per_s_best texts / fastest pass time
 *   batch_ms_p50/p90     latency of one ia_model_embed() call, over every
 *                        batch of every timed pass
 *
 * --out-embeddings PATH writes the vectors of the first pass (all texts,
 * float32, native byte order, row-major texts x dim) so a caller can check
 * them against another implementation.
 * Exit status: 0 ok, 1 runtime failure, 2 usage error.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ipfs_accelerate.h"

typedef struct texts {
    char **items;
    size_t n;
} texts;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Percentile (0..100) of a sorted array, linear interpolation. */
static double percentile(const double *sorted, size_t n, double p) {
    if (n == 0) return 0.0;
    double pos = p / 100.0 * (double)(n - 1);
    size_t lo = (size_t)pos;
    size_t hi = lo + 1 < n ? lo + 1 : lo;
    double frac = pos - (double)lo;
    return sorted[lo] + (sorted[hi] - sorted[lo]) * frac;
}

static void texts_free(texts *t) {
    for (size_t i = 0; i < t->n; i++) free(t->items[i]);
    free(t->items);
    t->items = NULL;
    t->n = 0;
}

/* Reads one text per line; returns 0 on success. */
static int read_lines(const char *path, size_t limit, texts *out) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "ia_bench_embed: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t cap = 0;
    char *line = NULL;
    size_t line_cap = 0;
    ssize_t len;
    out->items = NULL;
    out->n = 0;
    while ((limit == 0 || out->n < limit) && (len = getline(&line, &line_cap, f)) >= 0) {
        if (len > 0 && line[len - 1] == '\n') line[--len] = '\0';
        if (len > 0 && line[len - 1] == '\r') line[--len] = '\0';
        if (out->n == cap) {
            size_t ncap = cap ? cap * 2 : 256;
            char **grown = realloc(out->items, ncap * sizeof *grown);
            if (!grown) goto nomem;
            out->items = grown;
            cap = ncap;
        }
        char *copy = malloc((size_t)len + 1);
        if (!copy) goto nomem;
        memcpy(copy, line, (size_t)len + 1);
        out->items[out->n++] = copy;
    }
    free(line);
    fclose(f);
    return 0;
nomem:
    fprintf(stderr, "ia_bench_embed: out of memory reading %s\n", path);
    free(line);
    fclose(f);
    texts_free(out);
    return -1;
}

/* Writes s as a JSON string (the model name and path only). */
static void json_str(FILE *f, const char *s) {
    fputc('"', f);
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
        else if (c < 0x20) fprintf(f, "\\u%04x", c);
        else fputc(c, f);
    }
    fputc('"', f);
}

static void usage(FILE *f) {
    fprintf(f,
            "usage: ia_bench_embed --file texts.txt [--model M] [--threads N] [--batch B]\n"
            "                      [--iters I] [--warmup W] [--limit K] [--out-embeddings PATH]\n"
            "                      [--precision fp32|int8|int4|int2]\n"
            "  --model M           model directory or cached name (default all-MiniLM-L6-v2)\n"
            "  --threads N         worker threads, 0 = all CPUs (default 0)\n"
            "  --batch B           texts per ia_model_embed() call (default 1)\n"
            "  --iters I           timed passes over all texts (default 5)\n"
            "  --warmup W          untimed passes first (default 1)\n"
            "  --limit K           use only the first K lines (default all)\n"
            "  --precision P       fp32 (default); int8/int4/int2 quantise an fp32 model at load\n"
            "  --out-embeddings P  write the first pass's vectors (float32) to P\n");
}

static int parse_long(const char *s, long min, long *out) {
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || !end || *end || end == s || v < min) return -1;
    *out = v;
    return 0;
}

int main(int argc, char **argv) {
    const char *model_ref = "all-MiniLM-L6-v2";
    const char *file = NULL;
    const char *emb_path = NULL, *precision = "fp32";
    long threads = 0, batch = 1, iters = 5, warmup = 1, limit = 0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "ia_bench_embed: %s needs a value\n", a);
            usage(stderr);
            return 2;
        }
        const char *v = argv[++i];
        int bad = 0;
        if (!strcmp(a, "--model")) model_ref = v;
        else if (!strcmp(a, "--file")) file = v;
        else if (!strcmp(a, "--out-embeddings")) emb_path = v;
        else if (!strcmp(a, "--precision")) precision = v;
        else if (!strcmp(a, "--threads")) bad = parse_long(v, 0, &threads);
        else if (!strcmp(a, "--batch")) bad = parse_long(v, 1, &batch);
        else if (!strcmp(a, "--iters")) bad = parse_long(v, 1, &iters);
        else if (!strcmp(a, "--warmup")) bad = parse_long(v, 0, &warmup);
        else if (!strcmp(a, "--limit")) bad = parse_long(v, 0, &limit);
        else {
            fprintf(stderr, "ia_bench_embed: unknown option %s\n", a);
            usage(stderr);
            return 2;
        }
        if (bad) {
            fprintf(stderr, "ia_bench_embed: bad value for %s: %s\n", a, v);
            return 2;
        }
    }
    if (!file) {
        fprintf(stderr, "ia_bench_embed: --file is required\n");
        usage(stderr);
        return 2;
    }

    texts t;
    if (read_lines(file, (size_t)limit, &t) != 0) return 1;
    if (t.n == 0) {
        fprintf(stderr, "ia_bench_embed: %s has no lines\n", file);
        texts_free(&t);
        return 1;
    }

    ia_hardware_profile prof;
    IA_HARDWARE_PROFILE_INIT(&prof);
    prof.backend = "cpu";
    prof.threads = (int)threads;
    if (ia_precision_parse(precision, &prof.precision) != IA_OK) {
        fprintf(stderr, "ia_bench_embed: %s\n", ia_last_error());
        texts_free(&t);
        return 2;
    }
    ia_model *model = NULL;
    double t_open = now_s();
    ia_status st = ia_model_open_profile(model_ref, &prof, &model);
    t_open = now_s() - t_open;
    if (st != IA_OK) {
        fprintf(stderr, "ia_bench_embed: ia_model_open(%s): %s: %s\n", model_ref,
                ia_status_str(st), ia_last_error());
        texts_free(&t);
        return 1;
    }
    const int dim = ia_model_dim(model);
    const size_t b = (size_t)batch;
    const size_t batches_per_pass = (t.n + b - 1) / b;
    const size_t n_lat = batches_per_pass * (size_t)iters;

    int rc = 1;
    float *out = malloc(b * (size_t)(dim > 0 ? dim : 1) * sizeof *out);
    float *all = emb_path ? malloc(t.n * (size_t)dim * sizeof *all) : NULL;
    double *lat = malloc(n_lat * sizeof *lat);
    double *pass = malloc((size_t)iters * sizeof *pass);
    if (dim <= 0 || !out || !lat || !pass || (emb_path && !all)) {
        fprintf(stderr, "ia_bench_embed: %s\n", dim <= 0 ? "model has no dimension" : "out of memory");
        goto done;
    }

    size_t k = 0;
    for (long it = 0; it < warmup + iters; it++) {
        const int timed = it >= warmup;
        double p0 = now_s();
        for (size_t s = 0; s < t.n; s += b) {
            size_t m = t.n - s < b ? t.n - s : b;
            double b0 = now_s();
            st = ia_model_embed(model, (const char *const *)(t.items + s), m, out);
            double dt = now_s() - b0;
            if (st != IA_OK) {
                fprintf(stderr, "ia_bench_embed: ia_model_embed(texts %zu..%zu): %s: %s\n", s,
                        s + m - 1, ia_status_str(st), ia_last_error());
                goto done;
            }
            if (timed) lat[k++] = dt;
            if (it == 0 && all) memcpy(all + s * (size_t)dim, out, m * (size_t)dim * sizeof *out);
        }
        if (timed) pass[it - warmup] = now_s() - p0;
    }

    if (all) {
        FILE *f = fopen(emb_path, "wb");
        if (!f || fwrite(all, sizeof *all, t.n * (size_t)dim, f) != t.n * (size_t)dim) {
            fprintf(stderr, "ia_bench_embed: cannot write %s\n", emb_path);
            if (f) fclose(f);
            goto done;
        }
        if (fclose(f) != 0) {
            fprintf(stderr, "ia_bench_embed: cannot write %s\n", emb_path);
            goto done;
        }
    }

    qsort(lat, k, sizeof *lat, cmp_double);
    qsort(pass, (size_t)iters, sizeof *pass, cmp_double);
    double pass_med = percentile(pass, (size_t)iters, 50.0);
    printf("{\"bench\":\"ia_bench_embed\",\"impl\":\"ipfs_accelerate\",\"version\":");
    json_str(stdout, ia_version());
    printf(",\"model\":");
    json_str(stdout, ia_model_name(model));
    printf(",\"kernel\":");
    json_str(stdout, ia_model_kernel(model));
    printf(",\"precision\":");
    json_str(stdout, ia_model_precision(model));
    printf(",\"dim\":%d,\"max_tokens\":%d,\"threads\":%ld,\"batch\":%ld,\"texts\":%zu,"
           "\"iters\":%ld,\"warmup\":%ld,\"tokenization_included\":true,"
           "\"open_s\":%.4f,\"pass_s_median\":%.6f,\"pass_s_min\":%.6f,"
           "\"sentences_per_s\":%.3f,\"sentences_per_s_best\":%.3f,"
           "\"batch_ms_p50\":%.4f,\"batch_ms_p90\":%.4f}\n",
           dim, ia_model_max_tokens(model), threads, batch, t.n, iters, warmup, t_open, pass_med,
           pass[0], (double)t.n / pass_med, (double)t.n / pass[0],
           percentile(lat, k, 50.0) * 1e3, percentile(lat, k, 90.0) * 1e3);
    fflush(stdout);
    rc = 0;

done:
    free(out);
    free(all);
    free(lat);
    free(pass);
    ia_model_free(model);
    texts_free(&t);
    return rc;
}
