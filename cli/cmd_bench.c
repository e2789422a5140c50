/*
 * cmd_bench.c — `ipfs-accelerate bench | results | report`: run benchmarks
 * into the DuckDB store, read them back, draw the HTML report.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "ipfs_accelerate.h"

#define MAX_LIST 32

/* --db's default: $IA_BENCH_DB, else ~/.cache/ipfs_accelerate/benchmark_db.duckdb
 * (what device choice reads). NULL after reporting when neither can be had. */
static const char *default_db(char *buf, size_t cap) {
    if (ia_benchmark_default_db(buf, cap) != IA_OK) {
        ia_cli_fail("benchmark database");
        return NULL;
    }
    return buf;
}

/* The devices the hardware report says can run models ("cpu", ...): the
 * public API's view of the default device list. Returns the count. */
static size_t available_devices(char names[][32], size_t cap) {
    char *report = NULL;
    cJSON *r, *b;
    size_t n = 0;
    if (ia_hw_report_json(IA_HW_NO_BENCH, 0, &report) != IA_OK) return 0;
    r = cJSON_Parse(report);
    ia_free(report);
    cJSON_ArrayForEach(b, cJSON_GetObjectItem(r, "backends")) {
        const cJSON *name = cJSON_GetObjectItem(b, "name");
        /* "gpu" is an alias of the first accelerator, not a device */
        if (n < cap && cJSON_IsTrue(cJSON_GetObjectItem(b, "available")) && cJSON_IsString(name) &&
            strcmp(name->valuestring, "gpu") != 0)
            snprintf(names[n++], 32, "%s", name->valuestring);
    }
    cJSON_Delete(r);
    return n;
}

/* Splits "a,b,c" in place into at most MAX_LIST items; returns the count,
 * or 0 (after saying so) when there are more. */
static size_t split(char *s, const char **out) {
    size_t n = 0;
    for (char *tok = strtok(s, ","); tok; tok = strtok(NULL, ",")) {
        if (n == MAX_LIST) {
            fprintf(stderr, "ipfs-accelerate: at most %d comma-separated values per option\n", MAX_LIST);
            return 0;
        }
        out[n++] = tok;
    }
    return n;
}

static int parse_ints(const char *opt, char *s, int *out, size_t *n) {
    const char *items[MAX_LIST];
    *n = split(s, items);
    for (size_t i = 0; i < *n; i++)
        if ((out[i] = ia_cli_parse_int(opt, items[i], 1, 1 << 16)) < 0) return -1;
    return *n ? 0 : -1;
}

static void progress_bar(void *ctx, int done, int total, const char *what) {
    (void)ctx;
    if (isatty(2)) {
        int w = 30, fill = total ? w * done / total : w;
        fprintf(stderr, "\r[%.*s%*s] %d/%d %-40.40s", fill, "==============================", w - fill, "", done,
                total, what);
        if (done == total) fputc('\n', stderr);
    } else if (what && *what) {
        fprintf(stderr, "bench: %d/%d %s\n", done, total, what);
    }
}

static double num(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static const char *str(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* A number column: "-" where the value was not measured. */
static void col(double v, int width, int prec) {
    if (isfinite(v)) printf(" %*.*f", width, prec, v);
    else printf(" %*s", width, "-");
}

static int is_generate(const cJSON *r) { return !strcmp(str(r, "kind"), "generate"); }

/* Embedding rows, then text generation rows (each table only when it has
 * rows; the embedding header also when there are none at all). */
static void print_table(const char *json) {
    cJSON *rows = cJSON_Parse(json);
    const cJSON *r;
    int n_gen = 0, n_embed = 0;
    cJSON_ArrayForEach(r, rows) {
        if (is_generate(r)) n_gen++;
        else n_embed++;
    }
    if (n_embed || !n_gen)
        printf("%4s  %-20s %-7s %-9s %5s %5s %9s %9s %9s %10s %11s  %s\n", "run", "model", "backend", "precision",
               "batch", "seq", "p50 ms", "p90 ms", "p99 ms", "items/s", "tokens/s", "note");
    cJSON_ArrayForEach(r, rows) {
        if (is_generate(r)) continue;
        printf("%4.0f  %-20.20s %-7.7s %-9.9s %5.0f %5.0f", num(r, "run_id"), str(r, "model"), str(r, "backend"),
               str(r, "precision"), num(r, "batch"), num(r, "seq_len"));
        col(num(r, "latency_ms_p50"), 9, 3);
        col(num(r, "latency_ms_p90"), 9, 3);
        col(num(r, "latency_ms_p99"), 9, 3);
        col(num(r, "items_per_s"), 10, 1);
        col(num(r, "tokens_per_s"), 11, 1);
        printf("  %s\n", str(r, "skipped_reason"));
    }
    if (!n_gen) goto done;
    if (n_embed) printf("\n");
    /* text generation: medians over the repetitions, +- their stddev */
    printf("%4s  %-20s %-7s %-9s %3s %5s %5s %5s %17s %15s %9s %9s  %s\n", "run", "model", "backend", "weights", "thr",
           "pp", "tg", "ctx", "prompt tok/s", "gen tok/s", "TTFT ms", "KV MiB", "note");
    cJSON_ArrayForEach(r, rows) {
        char pp[32], tg[32];
        if (!is_generate(r)) continue;
        printf("%4.0f  %-20.20s %-7.7s %-9.9s", num(r, "run_id"), str(r, "model"), str(r, "backend"),
               str(r, "precision"));
        col(num(r, "threads_used"), 3, 0);
        col(num(r, "seq_len"), 5, 0);
        col(num(r, "gen_tokens"), 5, 0);
        col(num(r, "n_ctx"), 5, 0);
        if (isfinite(num(r, "prompt_tokens_per_s")))
            snprintf(pp, sizeof pp, "%.1f +- %.1f", num(r, "prompt_tokens_per_s"), num(r, "prompt_tokens_per_s_stddev"));
        else
            snprintf(pp, sizeof pp, "-");
        if (isfinite(num(r, "gen_tokens_per_s")))
            snprintf(tg, sizeof tg, "%.1f +- %.1f", num(r, "gen_tokens_per_s"), num(r, "gen_tokens_per_s_stddev"));
        else
            snprintf(tg, sizeof tg, "-");
        printf(" %17s %15s", pp, tg);
        col(num(r, "ttft_ms"), 9, 1);
        col(num(r, "kv_cache_bytes") / (1024.0 * 1024.0), 9, 1);
        printf("  %s\n", str(r, "skipped_reason"));
    }
done:
    cJSON_Delete(rows);
}

static void bench_usage(FILE *f) {
    fprintf(f,
            "usage: ipfs-accelerate bench [options]\n"
            "\n"
            "Benchmarks models on devices and stores the results in DuckDB.\n"
            "\n"
            "An embedding model (bert) is timed over batch x seq; a model that generates\n"
            "text (llama, e.g. --model smollm2) is measured as llama-bench's pp/tg instead:\n"
            "each repetition generates --gen tokens after a --prompt-token prompt from an\n"
            "empty cache, and the row holds the median +- stddev of prompt tokens/s,\n"
            "generated tokens/s and time to first token, the context and KV-cache bytes.\n"
            "\n"
            "  --model M[,M...]     models (default " IA_DEFAULT_MODEL ")\n"
            "  --device D[,D...]    devices (default: every one that runs models here; absent\n"
            "                       ones are recorded as skipped, with the reason)\n"
            "  --precision P[,P...] fp32, int8, int4, int2, fp16, bf16 (default: as stored); each\n"
            "                       device runs each precision (int widths quantise at load;\n"
            "                       what a device cannot run is recorded as skipped)\n"
            "  --batch N[,N...]     embedding models: batch sizes (default 1,8,32)\n"
            "  --seq N[,N...]       embedding models: tokens per text (default 128)\n"
            "  --prompt N           LLMs: prompt tokens (default 512, as pp512)\n"
            "  --gen N              LLMs: generated tokens (default 128, as tg128)\n"
            "  --iterations N       timed passes per configuration (default 10; LLMs 5)\n"
            "  --warmup N           untimed passes first (default 2; LLMs 1)\n"
            "  --threads N          threads (default: one per CPU)\n"
            "  --db PATH            database (default $IA_BENCH_DB, else\n"
            "                       ~/.cache/ipfs_accelerate/benchmark_db.duckdb); --no-store: keep nothing\n"
            "  --json               print the result rows as JSON\n");
}

int ia_cmd_bench(int argc, char **argv) {
    const char *models[MAX_LIST] = {IA_DEFAULT_MODEL}, *backends[MAX_LIST], *precisions[MAX_LIST], *db = NULL;
    int batches[MAX_LIST] = {1, 8, 32}, seqs[MAX_LIST] = {128}, json = 0, no_store = 0;
    size_t n_precisions = 0;
    ia_hardware_profile profiles[MAX_LIST * 8];
    char dbbuf[4096], found[16][32];
    ia_benchmark_config cfg;
    int64_t run_id = 0;
    char *rows = NULL;
    IA_BENCHMARK_CONFIG_INIT(&cfg);
    cfg.models = models, cfg.n_models = 1;
    cfg.backends = backends, cfg.n_backends = 0; /* 0: every device that runs here */
    cfg.batches = batches, cfg.n_batches = 3;
    cfg.seq_lens = seqs, cfg.n_seq_lens = 1;
    cfg.iterations = 10, cfg.warmup = 2, cfg.threads = 0, cfg.store_iterations = 1;
    /* prompt_tokens, gen_tokens, gen_iterations, gen_warmup: init's
     * defaults (512, 128, 5, 1) unless given */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            bench_usage(stdout);
            return 0;
        } else if (!strcmp(a, "--json")) {
            json = 1;
        } else if (!strcmp(a, "--no-store")) {
            no_store = 1;
        } else if (!val) {
            fprintf(stderr, "ipfs-accelerate: bench: %s needs a value (or is unknown)\n", a);
            return 2;
        } else if (!strcmp(a, "--model")) {
            if (!(cfg.n_models = split(val, models))) return 2;
            i++;
        } else if (!strcmp(a, "--device")) {
            if (!(cfg.n_backends = split(val, backends))) return 2;
            i++;
        } else if (!strcmp(a, "--precision")) {
            if (!(n_precisions = split(val, precisions))) return 2;
            i++;
        } else if (!strcmp(a, "--batch")) {
            if (parse_ints(a, val, batches, &cfg.n_batches)) return 2;
            i++;
        } else if (!strcmp(a, "--seq")) {
            if (parse_ints(a, val, seqs, &cfg.n_seq_lens)) return 2;
            i++;
        } else if (!strcmp(a, "--iterations")) {
            if ((cfg.iterations = ia_cli_parse_int(a, val, 1, 1000000)) < 0) return 2;
            cfg.gen_iterations = cfg.iterations, i++;
        } else if (!strcmp(a, "--warmup")) {
            if ((cfg.warmup = ia_cli_parse_int(a, val, 0, 1000000)) < 0) return 2;
            cfg.gen_warmup = cfg.warmup, i++;
        } else if (!strcmp(a, "--prompt")) {
            if ((cfg.prompt_tokens = ia_cli_parse_int(a, val, 1, 1 << 20)) < 0) return 2;
            i++;
        } else if (!strcmp(a, "--gen")) {
            if ((cfg.gen_tokens = ia_cli_parse_int(a, val, 1, 1 << 20)) < 0) return 2;
            i++;
        } else if (!strcmp(a, "--threads")) {
            if ((cfg.threads = ia_cli_parse_int(a, val, 0, 1024)) < 0) return 2;
            i++;
        } else if (!strcmp(a, "--db")) {
            db = val, i++;
        } else {
            fprintf(stderr, "ipfs-accelerate: bench: unknown option %s\n", a);
            bench_usage(stderr);
            return 2;
        }
    }
    if (n_precisions) { /* devices x precisions as profiles */
        size_t n_dev = cfg.n_backends, k = 0;
        if (!n_dev) {
            n_dev = available_devices(found, 16);
            for (size_t d = 0; d < n_dev; d++) backends[d] = found[d];
        }
        for (size_t d = 0; d < n_dev; d++)
            for (size_t q = 0; q < n_precisions; q++, k++) {
                IA_HARDWARE_PROFILE_INIT(&profiles[k]);
                profiles[k].backend = backends[d];
                if (ia_precision_parse(precisions[q], &profiles[k].precision) != IA_OK) {
                    ia_cli_fail("bench");
                    return 2;
                }
            }
        cfg.n_backends = 0;
        cfg.profiles = profiles, cfg.n_profiles = k;
    }
    if (!no_store && !db && !(db = default_db(dbbuf, sizeof dbbuf))) return 1;
    if (no_store) db = NULL;
    if (ia_benchmark_run(&cfg, db, progress_bar, NULL, &run_id, &rows) != IA_OK) return ia_cli_fail("bench");
    if (json) {
        printf("%s\n", rows);
    } else {
        if (db) printf("run %lld stored in %s\n", (long long)run_id, db);
        print_table(rows);
    }
    ia_free(rows);
    return 0;
}

/* DuckDB's COPY reopens its target, so COPY TO /dev/stdout would truncate
 * a file stdout is redirected to: export to a temporary file, then copy. */
static int csv_to_stdout(const char *db) {
    char tmp[] = "/tmp/ia_results_XXXXXX", buf[65536];
    int fd = mkstemp(tmp), rc = 0;
    FILE *f;
    size_t n;
    if (fd < 0) {
        fprintf(stderr, "ipfs-accelerate: results: cannot create a temporary file\n");
        return 1;
    }
    close(fd);
    if (ia_benchmark_export(db, tmp, "csv") != IA_OK) {
        rc = ia_cli_fail("results");
    } else if ((f = fopen(tmp, "rb")) != NULL) {
        while ((n = fread(buf, 1, sizeof buf, f)) > 0) fwrite(buf, 1, n, stdout);
        fclose(f);
    } else {
        rc = 1;
    }
    unlink(tmp);
    return rc;
}

/* The number of result rows in db (0 when it does not exist yet), or -1
 * after reporting why it cannot be read. */
static long long count_rows(const char *db) {
    char *rows = NULL;
    cJSON *arr;
    long long n;
    if (access(db, F_OK) != 0) return 0;
    if (ia_benchmark_query(db, NULL, 0, NULL, 0, NULL, 0, NULL, &rows) != IA_OK) {
        ia_cli_fail("results --import");
        return -1;
    }
    arr = cJSON_Parse(rows);
    ia_free(rows);
    n = cJSON_IsArray(arr) ? cJSON_GetArraySize(arr) : -1;
    cJSON_Delete(arr);
    return n;
}

/* results --import FILE: a file another machine (or the JavaScript
 * package) exported, appended as new runs. */
static int import_file(const char *db, const char *file) {
    long long before = count_rows(db), after;
    if (before < 0) return 1;
    if (ia_benchmark_import(db, file) != IA_OK) return ia_cli_fail("results --import");
    if ((after = count_rows(db)) < 0) return 1;
    printf("imported %lld result rows from %s into %s\n", after - before, file, db);
    return 0;
}

int ia_cmd_results(int argc, char **argv) {
    const char *db = NULL, *format = "table", *models[MAX_LIST], *backends[MAX_LIST], *import = NULL;
    char dbbuf[4096];
    size_t n_models = 0, n_backends = 0;
    char *rows = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            printf("usage: ipfs-accelerate results [--db PATH] [--format table|csv|json] [--model M,...] "
                   "[--backend B,...]\n"
                   "       ipfs-accelerate results --import FILE.csv|FILE.json [--db PATH]\n"
                   "  --db PATH      default $IA_BENCH_DB, else ~/.cache/ipfs_accelerate/benchmark_db.duckdb\n"
                   "  --import FILE  append the rows of a file that results --format csv|json wrote (here,\n"
                   "                 on another machine or by the JavaScript package) as new runs with\n"
                   "                 fresh ids; a malformed file is refused, naming its line and field,\n"
                   "                 and nothing is written\n");
            return 0;
        } else if (!val) {
            fprintf(stderr, "ipfs-accelerate: results: %s needs a value (or is unknown)\n", a);
            return 2;
        } else if (!strcmp(a, "--db")) {
            db = val, i++;
        } else if (!strcmp(a, "--format")) {
            format = val, i++;
        } else if (!strcmp(a, "--model")) {
            if (!(n_models = split(val, models))) return 2;
            i++;
        } else if (!strcmp(a, "--backend")) {
            if (!(n_backends = split(val, backends))) return 2;
            i++;
        } else if (!strcmp(a, "--import")) {
            import = val, i++;
        } else {
            fprintf(stderr, "ipfs-accelerate: results: unknown option %s\n", a);
            return 2;
        }
    }
    if (import && (n_models || n_backends || strcmp(format, "table"))) {
        fprintf(stderr, "ipfs-accelerate: results: --import takes only --db\n");
        return 2;
    }
    if (!db && !(db = default_db(dbbuf, sizeof dbbuf))) return 1;
    if (import) return import_file(db, import);
    if (strcmp(format, "table") && strcmp(format, "csv") && strcmp(format, "json")) {
        fprintf(stderr, "ipfs-accelerate: results: --format must be table, csv or json\n");
        return 2;
    }
    if (access(db, F_OK) != 0) {
        fprintf(stderr, "ipfs-accelerate: results: %s does not exist (run ipfs-accelerate bench first)\n", db);
        return 1;
    }
    if (!strcmp(format, "csv")) {
        if (n_models || n_backends) {
            fprintf(stderr, "ipfs-accelerate: results: --format csv exports every row; filter with json or table\n");
            return 2;
        }
        return csv_to_stdout(db);
    }
    if (ia_benchmark_query(db, models, n_models, backends, n_backends, NULL, 0, NULL, &rows) != IA_OK)
        return ia_cli_fail("results");
    if (!strcmp(format, "json")) printf("%s\n", rows);
    else print_table(rows);
    ia_free(rows);
    return 0;
}

int ia_cmd_report(int argc, char **argv) {
    const char *db = NULL, *out = NULL;
    char dbbuf[4096];
    long long cmp[2];
    int have_cmp = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            printf("usage: ipfs-accelerate report [--db PATH] --out report.html [--compare ID,ID]\n"
                   "  --db PATH  default $IA_BENCH_DB, else ~/.cache/ipfs_accelerate/benchmark_db.duckdb\n");
            return 0;
        } else if (!val) {
            fprintf(stderr, "ipfs-accelerate: report: %s needs a value (or is unknown)\n", a);
            return 2;
        } else if (!strcmp(a, "--db")) {
            db = val, i++;
        } else if (!strcmp(a, "--out")) {
            out = val, i++;
        } else if (!strcmp(a, "--compare")) {
            if (sscanf(val, "%lld,%lld", &cmp[0], &cmp[1]) != 2) {
                fprintf(stderr, "ipfs-accelerate: report: --compare takes two run ids, e.g. 1,2\n");
                return 2;
            }
            have_cmp = 1, i++;
        } else {
            fprintf(stderr, "ipfs-accelerate: report: unknown option %s\n", a);
            return 2;
        }
    }
    if (!out) {
        fprintf(stderr, "ipfs-accelerate: report: --out FILE is required\n");
        return 2;
    }
    if (!db && !(db = default_db(dbbuf, sizeof dbbuf))) return 1;
    if (access(db, F_OK) != 0) {
        fprintf(stderr, "ipfs-accelerate: report: %s does not exist (run ipfs-accelerate bench first)\n", db);
        return 1;
    }
    if (ia_benchmark_report(db, have_cmp ? cmp : NULL, out) != IA_OK) return ia_cli_fail("report");
    printf("wrote %s\n", out);
    return 0;
}
