/*
 * cmd_compare.c — `ipfs-accelerate compare`: the seed's
 * benchmark_comparison (latency, memory, accuracy of quantised variants
 * next to their fp32 model), stored in the benchmark database.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "ipfs_accelerate.h"

#ifndef IA_DEFAULT_STSB
#define IA_DEFAULT_STSB "../shared/data/stsb-en-dev.csv"
#endif

static void usage(FILE *f) {
    fprintf(f,
            "usage: ipfs-accelerate compare --quantized DIR [--quantized DIR ...] [options]\n"
            "\n"
            "Measures the fp32 model and each quantised variant: throughput and latency\n"
            "(benchmark runner, synthetic texts of --seq-len tokens), weight bytes, and\n"
            "accuracy on the STS-B sentences (Spearman x100, its relative loss, mean and\n"
            "minimum cosine of each variant's embeddings to the fp32 ones). Rows go to\n"
            "the benchmark database (results + accuracy tables).\n"
            "\n"
            "options:\n"
            "  --model M        the fp32 reference (default " IA_DEFAULT_MODEL ")\n"
            "  --quantized DIR  a quantised model (ipfs-accelerate quantize); repeatable\n"
            "  --data F         STS-B CSV (default: $IA_STSB_CSV, else\n"
            "                   " IA_DEFAULT_STSB ")\n"
            "  --batch N        texts per call when timing (default 32)\n"
            "  --seq-len N      tokens per text when timing (default 128)\n"
            "  --iterations N   timed calls per model (default 10)\n"
            "  --threads N      worker threads (default: one per CPU)\n"
            "  --db PATH        database (default $IA_BENCH_DB, else\n"
            "                   ~/.cache/ipfs_accelerate/benchmark_db.duckdb)\n"
            "  --no-store       store nothing\n"
            "  --json           print the rows as JSON\n"
            "  -h, --help       this help\n");
}

static void on_progress(void *ctx, int done, int total, const char *what) {
    (void)ctx;
    if (isatty(2)) fprintf(stderr, "\r\033[K%s %d/%d", what, done + 1, total);
}

int ia_cmd_compare(int argc, char **argv) {
    ia_quant_compare_config cfg;
    const char **variants = NULL, *db = NULL;
    char dbbuf[4096];
    char *json = NULL;
    int64_t run_id = 0;
    int as_json = 0, rc = 1, no_store = 0;
    IA_QUANT_COMPARE_CONFIG_INIT(&cfg);
    cfg.reference = IA_DEFAULT_MODEL;
    cfg.stsb_csv = getenv("IA_STSB_CSV") && *getenv("IA_STSB_CSV") ? getenv("IA_STSB_CSV") : IA_DEFAULT_STSB;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        int *num = NULL, lo = 1;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            free(variants);
            return 0;
        } else if (strcmp(a, "--json") == 0) {
            as_json = 1;
            continue;
        } else if (strcmp(a, "--no-store") == 0) {
            no_store = 1;
            continue;
        } else if (!val) {
            fprintf(stderr, "ipfs-accelerate: compare: %s needs a value (or is unknown; see --help)\n", a);
            goto bad_usage;
        }
        i++;
        if (strcmp(a, "--model") == 0) cfg.reference = val;
        else if (strcmp(a, "--data") == 0) cfg.stsb_csv = val;
        else if (strcmp(a, "--db") == 0) db = val;
        else if (strcmp(a, "--quantized") == 0) {
            const char **v = realloc(variants, (cfg.n_variants + 1) * sizeof *v);
            if (!v) goto done;
            variants = v;
            variants[cfg.n_variants++] = val;
        } else if (strcmp(a, "--batch") == 0) num = &cfg.batch;
        else if (strcmp(a, "--seq-len") == 0) num = &cfg.seq_len, lo = 2;
        else if (strcmp(a, "--iterations") == 0) num = &cfg.iterations;
        else if (strcmp(a, "--threads") == 0) num = &cfg.threads, lo = 0;
        else {
            fprintf(stderr, "ipfs-accelerate: compare: unknown option %s (see --help)\n", a);
            goto bad_usage;
        }
        if (num && (*num = ia_cli_parse_int(a, val, lo, 1 << 20)) < 0) goto bad_usage;
    }
    if (!cfg.n_variants) {
        fprintf(stderr, "ipfs-accelerate: compare: at least one --quantized DIR is required\n");
        goto bad_usage;
    }
    cfg.variants = variants;
    if (!no_store && !db) {
        if (ia_benchmark_default_db(dbbuf, sizeof dbbuf) != IA_OK) {
            rc = ia_cli_fail("compare");
            goto done;
        }
        db = dbbuf;
    }
    if (ia_quant_compare(&cfg, no_store ? NULL : db, on_progress, NULL, &run_id, &json) != IA_OK) {
        if (isatty(2)) fputc('\n', stderr);
        rc = ia_cli_fail("compare");
        goto done;
    }
    if (isatty(2)) fputc('\n', stderr);
    if (as_json) {
        puts(json);
    } else {
        cJSON *arr = cJSON_Parse(json), *o;
        printf("%-36s %-10s %12s %10s %8s %9s %8s %9s %9s\n", "model", "precision", "bytes", "items/s", "speedup",
               "stsb", "loss %", "cos mean", "cos min");
        cJSON_ArrayForEach(o, arr) {
            printf("%-36s %-10s %12.0f %10.1f %8.2f %9.2f %8.3f %9.6f %9.6f\n",
                   cJSON_GetObjectItem(o, "model")->valuestring, cJSON_GetObjectItem(o, "precision")->valuestring,
                   cJSON_GetObjectItem(o, "model_bytes")->valuedouble, cJSON_GetObjectItem(o, "items_per_s")->valuedouble,
                   cJSON_GetObjectItem(o, "speedup")->valuedouble, cJSON_GetObjectItem(o, "stsb_spearman")->valuedouble,
                   100.0 * cJSON_GetObjectItem(o, "stsb_relative_loss")->valuedouble,
                   cJSON_GetObjectItem(o, "cosine_to_reference_mean")->valuedouble,
                   cJSON_GetObjectItem(o, "cosine_to_reference_min")->valuedouble);
        }
        cJSON_Delete(arr);
        if (!no_store) printf("stored as run %lld in %s\n", (long long)run_id, db);
    }
    rc = 0;
    goto done;
bad_usage:
    rc = 2;
done:
    ia_free(json);
    free(variants);
    return rc;
}
