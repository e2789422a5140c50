/*
 * cmd_eval.c — `ipfs-accelerate eval`: a model's accuracy on a task.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "ipfs_accelerate.h"

#ifndef IA_DEFAULT_STSB
#define IA_DEFAULT_STSB "../shared/data/stsb-en-dev.csv"
#endif

static void usage(FILE *f) {
    fprintf(f,
            "usage: ipfs-accelerate eval --task stsb [options]\n"
            "\n"
            "Measures a sentence-embedding model on the STS Benchmark: the Spearman\n"
            "correlation (x100) between the cosine of each pair's embeddings and the gold\n"
            "similarity, as sentence-transformers' EmbeddingSimilarityEvaluator reports it.\n"
            "\n"
            "options:\n"
            "  --model M      model directory or cached name (default " IA_DEFAULT_MODEL "),\n"
            "                 fp32 or quantised (ipfs-accelerate quantize)\n"
            "  --task T       stsb (the only task so far)\n"
            "  --data F       CSV of sentence1,sentence2,score rows without header\n"
            "                 (default: $IA_STSB_CSV, else\n"
            "                 " IA_DEFAULT_STSB ")\n"
            "  --precision P  fp32 (default), int8, int4, int2 (quantise at load)\n"
            "  --threads N    worker threads (default: one per CPU)\n"
            "  --json         print {model, task, pairs, spearman, seconds}\n"
            "  -h, --help     this help\n");
}

static double now_sec(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int ia_cmd_eval(int argc, char **argv) {
    ia_hardware_profile prof;
    const char *model = IA_DEFAULT_MODEL, *task = NULL, *data = getenv("IA_STSB_CSV");
    ia_model *m = NULL;
    double rho = 0, t0;
    size_t pairs = 0;
    IA_HARDWARE_PROFILE_INIT(&prof);
    int json = 0;
    prof.backend = "cpu";
    if (!data || !*data) data = IA_DEFAULT_STSB;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--json") == 0) {
            json = 1;
        } else if (!val) {
            fprintf(stderr, "ipfs-accelerate: eval: %s needs a value (or is unknown; see --help)\n", a);
            return 2;
        } else if (strcmp(a, "--model") == 0) {
            model = val, i++;
        } else if (strcmp(a, "--task") == 0) {
            task = val, i++;
        } else if (strcmp(a, "--data") == 0) {
            data = val, i++;
        } else if (strcmp(a, "--precision") == 0) {
            if (ia_precision_parse(val, &prof.precision) != IA_OK) {
                ia_cli_fail("eval");
                return 2;
            }
            i++;
        } else if (strcmp(a, "--threads") == 0) {
            if ((prof.threads = ia_cli_parse_int("--threads", val, 0, 1024)) < 0) return 2;
            i++;
        } else {
            fprintf(stderr, "ipfs-accelerate: eval: unknown option %s (see --help)\n", a);
            return 2;
        }
    }
    if (!task) {
        fprintf(stderr, "ipfs-accelerate: eval: --task is required (stsb)\n");
        return 2;
    }
    if (strcmp(task, "stsb") != 0) {
        fprintf(stderr, "ipfs-accelerate: eval: unknown task '%s' (tasks: stsb)\n", task);
        return 2;
    }
    if (ia_model_open_profile(model, &prof, &m) != IA_OK) return ia_cli_fail("eval");
    t0 = now_sec();
    if (ia_eval_stsb(m, data, &rho, &pairs) != IA_OK) {
        ia_model_free(m);
        return ia_cli_fail("eval");
    }
    if (json) {
        fputs("{\"model\": \"", stdout);
        for (const unsigned char *p = (const unsigned char *)ia_model_name(m); *p; p++) {
            if (*p == '"' || *p == '\\') printf("\\%c", *p);
            else if (*p < 0x20) printf("\\u%04x", *p);
            else putchar(*p);
        }
        printf("\", \"task\": \"stsb\", \"pairs\": %zu, \"spearman\": %.6f, \"seconds\": %.3f}\n", pairs,
               rho * 100.0, now_sec() - t0);
    }
    else
        printf("stsb spearman x100: %.2f (%zu pairs, %s, %.1f s)\n", rho * 100.0, pairs, ia_model_name(m),
               now_sec() - t0);
    ia_model_free(m);
    return 0;
}
