/*
 * api.c — the public benchmark API (ia_benchmark_*) over the runner, the
 * DuckDB store and the HTML report. The store is opened per call: the CLI
 * and the front ends hand in a path, and DuckDB's own file lock keeps two
 * writers apart.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench/import_rows.h"
#include "bench/report_html.h"
#include "bench/runner.h"
#include "bench/store.h"
#include "util/error.h"
#include "util/struct_size.h"

static void add_num(cJSON *o, const char *k, double v) {
    if (isfinite(v)) cJSON_AddNumberToObject(o, k, v);
    else cJSON_AddNullToObject(o, k);
}

/* The run's rows in the same shape as ia_bench_store_query_json gives. */
static char *results_json(int64_t run_id, const ia_bench_result *r, size_t n) {
    cJSON *arr = cJSON_CreateArray();
    char *s;
    for (size_t i = 0; arr && i < n; i++) {
        cJSON *o = cJSON_CreateObject();
        if (!o) { /* never a partial answer */
            cJSON_Delete(arr);
            return NULL;
        }
        cJSON_AddNumberToObject(o, "run_id", (double)run_id);
        cJSON_AddStringToObject(o, "model", r[i].model);
        cJSON_AddStringToObject(o, "backend", r[i].backend);
        cJSON_AddStringToObject(o, "precision", r[i].precision ? r[i].precision : "fp32");
        cJSON_AddNumberToObject(o, "batch", r[i].batch);
        cJSON_AddNumberToObject(o, "seq_len", r[i].seq_len);
        cJSON_AddNumberToObject(o, "iterations", r[i].iterations);
        add_num(o, "latency_ms_mean", r[i].latency_ms_mean);
        add_num(o, "latency_ms_stddev", r[i].latency_ms_stddev);
        add_num(o, "latency_ms_p50", r[i].latency_ms_p50);
        add_num(o, "latency_ms_p90", r[i].latency_ms_p90);
        add_num(o, "latency_ms_p99", r[i].latency_ms_p99);
        add_num(o, "items_per_s", r[i].items_per_s);
        add_num(o, "tokens_per_s", r[i].tokens_per_s);
        add_num(o, "rss_delta_bytes", r[i].rss_delta_bytes);
        add_num(o, "model_bytes", r[i].model_bytes);
        add_num(o, "energy_j", r[i].energy_j);
        add_num(o, "power_w", r[i].power_w);
        if (r[i].power_reason) cJSON_AddStringToObject(o, "power_reason", r[i].power_reason);
        if (r[i].skipped_reason) cJSON_AddStringToObject(o, "skipped_reason", r[i].skipped_reason);
        if (r[i].model_fingerprint) cJSON_AddStringToObject(o, "model_fingerprint", r[i].model_fingerprint);
        else cJSON_AddNullToObject(o, "model_fingerprint");
        if (r[i].machine_id) cJSON_AddStringToObject(o, "machine_id", r[i].machine_id);
        cJSON_AddStringToObject(o, "kind", r[i].kind ? r[i].kind : "embed");
        if (r[i].threads_used > 0) cJSON_AddNumberToObject(o, "threads_used", r[i].threads_used);
        else cJSON_AddNullToObject(o, "threads_used");
        if (r[i].kind && strcmp(r[i].kind, "embed")) { /* as the store keeps them: only on generate and serve rows */
            cJSON_AddNumberToObject(o, "gen_tokens", r[i].gen_tokens);
            if (r[i].n_ctx > 0) cJSON_AddNumberToObject(o, "n_ctx", r[i].n_ctx);
            else cJSON_AddNullToObject(o, "n_ctx");
            add_num(o, "prompt_tokens_per_s", r[i].prompt_tokens_per_s);
            add_num(o, "prompt_tokens_per_s_stddev", r[i].prompt_tokens_per_s_stddev);
            add_num(o, "gen_tokens_per_s", r[i].gen_tokens_per_s);
            add_num(o, "gen_tokens_per_s_stddev", r[i].gen_tokens_per_s_stddev);
            add_num(o, "ttft_ms", r[i].ttft_ms);
            add_num(o, "ttft_ms_stddev", r[i].ttft_ms_stddev);
            add_num(o, "kv_cache_bytes", r[i].kv_cache_bytes);
        }
        cJSON_AddItemToArray(arr, o);
    }
    s = arr ? cJSON_PrintUnformatted(arr) : NULL;
    cJSON_Delete(arr);
    return s;
}

void ia_benchmark_config_init(ia_benchmark_config *c, size_t struct_size) {
    ia_benchmark_config d;
    memset(&d, 0, sizeof d);
    d.struct_size = sizeof d;
    d.iterations = 10;
    d.warmup = 2;
    d.prompt_tokens = IA_BENCH_DEFAULT_PROMPT;
    d.gen_tokens = IA_BENCH_DEFAULT_GEN;
    d.gen_iterations = IA_BENCH_DEFAULT_GEN_ITERATIONS;
    d.gen_warmup = 1;
    ia_struct_export(c, struct_size, &d, sizeof d);
}

/* The caller's profiles as full-size structs: the array's stride is the
 * caller's sizeof(ia_hardware_profile), which its first element's
 * struct_size says (every element was filled by the same INIT macro). */
static ia_status import_profiles(const ia_benchmark_config *cfg, ia_hardware_profile **out) {
    size_t stride;
    ia_hardware_profile *p;
    *out = NULL;
    if (!cfg->n_profiles) return IA_OK;
    if (!cfg->profiles) return ia_error(IA_ERR_INVALID_ARG, "ia_benchmark_run: n_profiles without profiles");
    if (cfg->n_profiles > 4096) return ia_error(IA_ERR_INVALID_ARG, "ia_benchmark_run: %zu profiles", cfg->n_profiles);
    memcpy(&stride, cfg->profiles, sizeof stride);
    if (stride < sizeof(size_t) || stride > IA_STRUCT_SIZE_MAX)
        return ia_error(IA_ERR_INVALID_ARG, "profile 0: struct_size is %zu: fill the struct with "
                        "IA_HARDWARE_PROFILE_INIT first", stride);
    if (!(p = calloc(cfg->n_profiles, sizeof *p))) return ia_error(IA_ERR_NOMEM, "benchmark profiles");
    for (size_t i = 0; i < cfg->n_profiles; i++) {
        const char *src = (const char *)cfg->profiles + i * stride;
        size_t size;
        ia_status st;
        memcpy(&size, src, sizeof size);
        IA_HARDWARE_PROFILE_INIT(&p[i]);
        if (size != stride)
            st = ia_error(IA_ERR_INVALID_ARG, "profile %zu: struct_size %zu, profile 0's is %zu: fill every "
                          "profile with IA_HARDWARE_PROFILE_INIT", i, size, stride);
        else
            st = ia_struct_import(&p[i], sizeof p[i], src, "IA_HARDWARE_PROFILE_INIT");
        if (st != IA_OK) {
            free(p);
            return st;
        }
    }
    *out = p;
    return IA_OK;
}

ia_status ia_benchmark_run(const ia_benchmark_config *cfg, const char *db_path, ia_progress_fn progress, void *ctx,
                           int64_t *run_id, char **out_json) {
    ia_bench_config c;
    ia_bench_store *store = NULL;
    ia_bench_result *res = NULL;
    ia_hardware_profile *profiles = NULL;
    size_t n = 0;
    int64_t id = 0;
    ia_status st;
    ia_benchmark_config full;
    if (!cfg || !out_json) return ia_error(IA_ERR_INVALID_ARG, "ia_benchmark_run: NULL argument");
    *out_json = NULL;
    IA_BENCHMARK_CONFIG_INIT(&full);
    if ((st = ia_struct_import(&full, sizeof full, cfg, "IA_BENCHMARK_CONFIG_INIT")) != IA_OK) return st;
    cfg = &full;
    if ((st = import_profiles(cfg, &profiles)) != IA_OK) return st;
    c = (ia_bench_config){cfg->models,   cfg->n_models,   cfg->backends,  cfg->n_backends,
                          cfg->batches,  cfg->n_batches,  cfg->seq_lens,  cfg->n_seq_lens,
                          cfg->iterations, cfg->warmup, cfg->threads, cfg->store_iterations, 0,
                          profiles, cfg->n_profiles, cfg->prompt_tokens, cfg->gen_tokens,
                          cfg->gen_iterations, cfg->gen_warmup};
    /* Public 0 is not "default" (init fills the defaults): refuse it. */
    if (cfg->prompt_tokens < 1 || cfg->gen_tokens < 1 || cfg->gen_iterations < 1) {
        st = ia_error(IA_ERR_INVALID_ARG, "ia_benchmark_run: prompt_tokens %d, gen_tokens %d and gen_iterations %d "
                      "must be >= 1", cfg->prompt_tokens, cfg->gen_tokens, cfg->gen_iterations);
        goto done;
    }
    /* Check the configuration before the store is opened, so a bad one
     * leaves no database file behind. */
    if ((st = ia_bench_check_config(&c)) != IA_OK) goto done;
    if (db_path && (st = ia_bench_store_open(db_path, &store)) != IA_OK) goto done;
    st = ia_bench_run(&c, store, progress, ctx, &id, &res, &n);
    ia_bench_store_close(store);
    if (st != IA_OK) goto done;
    *out_json = results_json(id, res, n);
    ia_bench_results_free(res, n);
    if (run_id) *run_id = id;
    st = *out_json ? IA_OK : ia_error(IA_ERR_NOMEM, "benchmark results");
done:
    free(profiles);
    return st;
}

/* mkdir -p of path's parent directories (not of path itself). */
static ia_status make_parents(const char *path) {
    char dir[4096];
    int n = snprintf(dir, sizeof dir, "%s", path);
    if (n < 0 || (size_t)n >= sizeof dir) return ia_error(IA_ERR_INVALID_ARG, "path too long: %s", path);
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(dir, 0755) != 0 && errno != EEXIST) return ia_error(IA_ERR_IO, "cannot create %s: %s", dir, strerror(errno));
        *p = '/';
    }
    return IA_OK;
}

ia_status ia_bench_db_path(char *buf, size_t cap, int create_dirs) {
    const char *env = getenv("IA_BENCH_DB"), *home = getenv("HOME");
    int n;
    if (!buf || cap == 0) return ia_error(IA_ERR_INVALID_ARG, "benchmark database path: no buffer");
    buf[0] = '\0';
    if (env && *env) {
        n = snprintf(buf, cap, "%s", env);
        if (n < 0 || (size_t)n >= cap) return ia_error(IA_ERR_INVALID_ARG, "$IA_BENCH_DB is too long");
        return IA_OK;
    }
    if (!home || !*home)
        return ia_error(IA_ERR_NOT_FOUND, "no $IA_BENCH_DB and no $HOME for the default benchmark database");
    n = snprintf(buf, cap, "%s/.cache/ipfs_accelerate/benchmark_db.duckdb", home);
    if (n < 0 || (size_t)n >= cap) return ia_error(IA_ERR_INVALID_ARG, "benchmark database path too long");
    return create_dirs ? make_parents(buf) : IA_OK;
}

ia_status ia_benchmark_default_db(char *buf, size_t cap) { return ia_bench_db_path(buf, cap, 1); }

ia_status ia_benchmark_query(const char *db_path, const char *const *models, size_t n_models,
                             const char *const *backends, size_t n_backends, const char *const *metrics,
                             size_t n_metrics, const char *group_by, char **json) {
    ia_bench_store *s = NULL;
    ia_status st;
    if (!db_path || !json) return ia_error(IA_ERR_INVALID_ARG, "ia_benchmark_query: NULL argument");
    if ((st = ia_bench_store_open_readonly(db_path, &s)) != IA_OK) return st;
    st = ia_bench_store_query_json(s, models, n_models, backends, n_backends, metrics, n_metrics, group_by, json);
    ia_bench_store_close(s);
    return st;
}

ia_status ia_benchmark_export(const char *db_path, const char *path, const char *format) {
    ia_bench_store *s = NULL;
    ia_status st;
    if (!db_path || !path || !format) return ia_error(IA_ERR_INVALID_ARG, "ia_benchmark_export: NULL argument");
    if ((st = ia_bench_store_open_readonly(db_path, &s)) != IA_OK) return st;
    st = ia_bench_store_export(s, path, format);
    ia_bench_store_close(s);
    return st;
}

ia_status ia_benchmark_import(const char *db_path, const char *path) {
    ia_import_rows rows;
    ia_bench_store *s = NULL;
    ia_status st;
    if (!db_path || !path) return ia_error(IA_ERR_INVALID_ARG, "ia_benchmark_import: NULL argument");
    /* the file first: a malformed one leaves no database behind */
    if ((st = ia_import_rows_read(path, &rows)) != IA_OK) return st;
    if ((st = ia_bench_store_open(db_path, &s)) == IA_OK) st = ia_bench_store_import(s, &rows, path, NULL);
    ia_bench_store_close(s);
    ia_import_rows_free(&rows);
    return st;
}

ia_status ia_benchmark_report(const char *db_path, const long long *compare, const char *out_path) {
    char *rows = NULL;
    ia_status st;
    if (!db_path || !out_path) return ia_error(IA_ERR_INVALID_ARG, "ia_benchmark_report: NULL argument");
    if ((st = ia_benchmark_query(db_path, NULL, 0, NULL, 0, NULL, 0, NULL, &rows)) != IA_OK) return st;
    st = ia_bench_report_html(rows, compare, out_path);
    free(rows);
    return st;
}
