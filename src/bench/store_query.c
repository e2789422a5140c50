/*
 * store_query.c — reading the benchmark store back: results as JSON
 * (filtered, reduced to some metrics, optionally grouped) and export to a
 * CSV or JSON file through DuckDB's COPY.
 *
 * SQL is assembled from fixed pieces only: metric and group names must be in
 * the allow-lists below (anything else is IA_ERR_INVALID_ARG), filter values
 * are bound as parameters, and the export path — the one string COPY cannot
 * take as a parameter — is quoted with single quotes doubled.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/store_internal.h"
#include "util/error.h"

static const char *const METRICS[] = {
    "latency_ms_mean", "latency_ms_stddev", "latency_ms_p50", "latency_ms_p90", "latency_ms_p99",
    "items_per_s",     "tokens_per_s",      "rss_delta_bytes", "model_bytes",   "energy_j",
    "power_w",
    /* schema v5: text generation rows (kind = 'generate') */
    "prompt_tokens_per_s", "prompt_tokens_per_s_stddev", "gen_tokens_per_s", "gen_tokens_per_s_stddev",
    "ttft_ms", "ttft_ms_stddev", "kv_cache_bytes",
};
#define N_METRICS (sizeof METRICS / sizeof METRICS[0])

static const char *const GROUPS[] = {"model", "backend", "batch", "kind"};

/* Every column of a result row joined with its run (export and the
 * unfiltered query). */
static const char ALL_COLUMNS[] =
    "r.id, r.run_id, u.started_at, u.version, u.git_commit, u.threads,"
    " r.model, r.backend, r.precision, r.batch, r.seq_len, r.iterations, r.warmup,"
    " r.latency_ms_mean, r.latency_ms_stddev, r.latency_ms_p50, r.latency_ms_p90, r.latency_ms_p99,"
    " r.items_per_s, r.tokens_per_s, r.rss_delta_bytes, r.model_bytes, r.energy_j, r.power_w,"
    " r.power_reason, r.skipped_reason, u.status AS run_status, r.model_fingerprint, r.machine_id,"
    " r.kind, r.threads_used, r.gen_tokens, r.n_ctx, r.prompt_tokens_per_s, r.prompt_tokens_per_s_stddev,"
    " r.gen_tokens_per_s, r.gen_tokens_per_s_stddev, r.ttft_ms, r.ttft_ms_stddev, r.kv_cache_bytes";
static const char FROM[] = " FROM results r JOIN runs u ON r.run_id = u.id";

/* A growable string; on allocation failure it stays failed (oom = 1). */
typedef struct sbuf { char *p; size_t n, cap; int oom; } sbuf;

static void sb_add(sbuf *b, const char *s)
{
    size_t k = strlen(s);
    if (b->oom) return;
    if (b->n + k + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + k + 1) cap *= 2;
        char *q = realloc(b->p, cap);
        if (!q) { b->oom = 1; return; }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, k + 1);
    b->n += k;
}

static int in_list(const char *name, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(name, list[i]) == 0) return 1;
    return 0;
}

/* " AND r.col IN (?, ?, ...)" for n > 0 values. */
static void add_in(sbuf *b, const char *col, size_t n)
{
    if (n == 0) return;
    sb_add(b, " AND r.");
    sb_add(b, col);
    sb_add(b, " IN (");
    for (size_t i = 0; i < n; i++) sb_add(b, i ? ", ?" : "?");
    sb_add(b, ")");
}

/* Converts a materialized result into a JSON array of objects. Numbers stay
 * numbers, NULL stays null, everything else is its text form. */
static ia_status result_to_json(ia_bench_store *s, duckdb_result *res, char **json)
{
    cJSON *arr = cJSON_CreateArray();
    ia_status st = IA_OK;
    idx_t ncol = duckdb_column_count(res), nrow = duckdb_row_count(res);

    if (!arr) goto oom;
    for (idx_t r = 0; r < nrow; r++) {
        cJSON *obj = cJSON_CreateObject();
        if (!obj || !cJSON_AddItemToArray(arr, obj)) { cJSON_Delete(obj); goto oom; }
        for (idx_t c = 0; c < ncol; c++) {
            const char *name = duckdb_column_name(res, c);
            cJSON *item = NULL;
            if (duckdb_value_is_null(res, c, r)) {
                item = cJSON_CreateNull();
            } else {
                switch (duckdb_column_type(res, c)) {
                case DUCKDB_TYPE_TINYINT: case DUCKDB_TYPE_SMALLINT: case DUCKDB_TYPE_INTEGER:
                case DUCKDB_TYPE_BIGINT: case DUCKDB_TYPE_UTINYINT: case DUCKDB_TYPE_USMALLINT:
                case DUCKDB_TYPE_UINTEGER: case DUCKDB_TYPE_UBIGINT: case DUCKDB_TYPE_HUGEINT:
                    item = cJSON_CreateNumber((double)duckdb_value_int64(res, c, r));
                    break;
                case DUCKDB_TYPE_FLOAT: case DUCKDB_TYPE_DOUBLE: case DUCKDB_TYPE_DECIMAL:
                    item = cJSON_CreateNumber(duckdb_value_double(res, c, r));
                    break;
                default: {
                    char *v = duckdb_value_varchar(res, c, r);
                    if (!v) goto oom;
                    item = cJSON_CreateString(v);
                    duckdb_free(v);
                }
                }
            }
            if (!item || !name || !cJSON_AddItemToObject(obj, name, item)) { cJSON_Delete(item); goto oom; }
        }
    }
    *json = cJSON_PrintUnformatted(arr);
    if (!*json) goto oom;
    cJSON_Delete(arr);
    return IA_OK;
oom:
    st = ia_error(IA_ERR_NOMEM, "%s: out of memory building the query's JSON", s->path);
    cJSON_Delete(arr);
    return st;
}

ia_status ia_bench_store_query_json(ia_bench_store *s, const char *const *models, size_t n_models,
                                    const char *const *backends, size_t n_backends,
                                    const char *const *metrics, size_t n_metrics, const char *group_by,
                                    char **json)
{
    sbuf b = {0};
    duckdb_prepared_statement p = NULL;
    duckdb_result res;
    int have_res = 0;
    ia_status st = IA_OK;
    idx_t param = 1;

    if (json) *json = NULL;
    if (!s || !json) return ia_error(IA_ERR_INVALID_ARG, "bench store: query needs s and json");
    if ((n_models && !models) || (n_backends && !backends) || (n_metrics && !metrics))
        return ia_error(IA_ERR_INVALID_ARG, "bench store: a filter count without its list");
    if (!metrics) n_metrics = 0;
    for (size_t i = 0; i < n_metrics; i++)
        if (!metrics[i] || !in_list(metrics[i], METRICS, N_METRICS))
            return ia_error(IA_ERR_INVALID_ARG, "bench store: unknown metric \"%s\"", metrics[i] ? metrics[i] : "(null)");
    for (size_t i = 0; i < n_models; i++)
        if (!models[i]) return ia_error(IA_ERR_INVALID_ARG, "bench store: NULL model filter");
    for (size_t i = 0; i < n_backends; i++)
        if (!backends[i]) return ia_error(IA_ERR_INVALID_ARG, "bench store: NULL backend filter");
    if (group_by && !in_list(group_by, GROUPS, sizeof GROUPS / sizeof GROUPS[0]))
        return ia_error(IA_ERR_INVALID_ARG, "bench store: cannot group by \"%s\" (model, backend, batch or kind)", group_by);

    const char *const *m = n_metrics ? metrics : METRICS;
    size_t nm = n_metrics ? n_metrics : N_METRICS;
    sb_add(&b, "SELECT ");
    if (group_by) {
        /* One row per group: its key, how many results, the mean of each
         * metric (NULLs — unmeasured — are left out of the mean). */
        sb_add(&b, "r.");
        sb_add(&b, group_by);
        sb_add(&b, " AS ");
        sb_add(&b, group_by);
        sb_add(&b, ", count(*) AS count");
        for (size_t i = 0; i < nm; i++) {
            sb_add(&b, ", avg(r.");
            sb_add(&b, m[i]);
            sb_add(&b, ") AS ");
            sb_add(&b, m[i]);
        }
    } else if (n_metrics) {
        sb_add(&b, "r.id, r.run_id, r.model, r.backend, r.precision, r.batch, r.seq_len, r.model_fingerprint,"
                   " r.machine_id, r.kind, r.threads_used, r.gen_tokens, r.n_ctx");
        for (size_t i = 0; i < nm; i++) {
            sb_add(&b, ", r.");
            sb_add(&b, m[i]);
        }
    } else {
        sb_add(&b, ALL_COLUMNS);
    }
    sb_add(&b, FROM);
    sb_add(&b, " WHERE TRUE");
    add_in(&b, "model", n_models);
    add_in(&b, "backend", n_backends);
    if (group_by) {
        sb_add(&b, " GROUP BY r.");
        sb_add(&b, group_by);
        sb_add(&b, " ORDER BY r.");
        sb_add(&b, group_by);
    } else {
        sb_add(&b, " ORDER BY r.id");
    }
    if (b.oom) { st = ia_error(IA_ERR_NOMEM, "bench store: out of memory"); goto fail; }

    if (duckdb_prepare(s->con, b.p, &p) != DuckDBSuccess) {
        st = ia_error(IA_ERR_INTERNAL, "%s: preparing the query: %s", s->path, duckdb_prepare_error(p));
        goto fail;
    }
    for (size_t i = 0; i < n_models; i++)
        if (duckdb_bind_varchar(p, param++, models[i]) != DuckDBSuccess) goto bind_fail;
    for (size_t i = 0; i < n_backends; i++)
        if (duckdb_bind_varchar(p, param++, backends[i]) != DuckDBSuccess) goto bind_fail;
    have_res = 1;
    if (duckdb_execute_prepared(p, &res) != DuckDBSuccess) {
        st = ia_error(IA_ERR_IO, "%s: running the query: %s", s->path, duckdb_result_error(&res));
        goto fail;
    }
    st = result_to_json(s, &res, json);
    goto fail; /* shared cleanup */

bind_fail:
    st = ia_error(IA_ERR_INTERNAL, "%s: binding a query filter failed", s->path);
fail:
    if (have_res) duckdb_destroy_result(&res);
    if (p) duckdb_destroy_prepare(&p);
    free(b.p);
    return st;
}

ia_status ia_bench_store_export(ia_bench_store *s, const char *path, const char *format)
{
    sbuf b = {0};
    ia_status st;
    const char *opts;

    if (!s || !path || !*path || !format) return ia_error(IA_ERR_INVALID_ARG, "bench store: export needs s, path, format");
    if (strcmp(format, "csv") == 0)
        opts = "(FORMAT CSV, HEADER)";
    else if (strcmp(format, "json") == 0)
        opts = "(FORMAT JSON)";
    else
        return ia_error(IA_ERR_INVALID_ARG, "bench store: export format \"%s\" (csv or json)", format);
    for (const char *c = path; *c; c++)
        if ((unsigned char)*c < 0x20) return ia_error(IA_ERR_INVALID_ARG, "bench store: export path has a control character");

    sb_add(&b, "COPY (SELECT ");
    sb_add(&b, ALL_COLUMNS);
    sb_add(&b, FROM);
    sb_add(&b, " ORDER BY r.id) TO '");
    /* The path is a string literal: double every single quote. */
    for (const char *c = path; *c; c++) {
        char one[3] = {*c, *c == '\'' ? '\'' : 0, 0};
        sb_add(&b, one);
    }
    sb_add(&b, "' ");
    sb_add(&b, opts);
    if (b.oom) { st = ia_error(IA_ERR_NOMEM, "bench store: out of memory"); goto fail; }
    st = ia_store_exec(s, "export", b.p);
    if (st != IA_OK) ia_error_prefix(st, "exporting to %s", path);
fail:
    free(b.p);
    return st;
}
