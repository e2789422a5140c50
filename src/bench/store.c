/*
 * store.c — the benchmark store's handle and its writes: open (with schema
 * check and migration, store_schema.c), close, begin_run, add_result.
 *
 * Why DuckDB: an embedded, single-file, transactional database with a
 * write-ahead log, so a benchmark killed mid-run (SIGKILL, OOM killer) loses
 * only its open transaction; and analytic SQL plus COPY for the query and
 * export side (store_query.c). Every write is one explicit transaction with
 * prepared statements (values are bound, never spliced into SQL).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "bench/import_rows.h"
#include "bench/store_internal.h"
#include "util/error.h"

ia_status ia_store_exec(ia_bench_store *s, const char *what, const char *sql)
{
    duckdb_result res;
    ia_status st = IA_OK;
    if (duckdb_query(s->con, sql, &res) != DuckDBSuccess)
        st = ia_error(IA_ERR_IO, "%s: %s: %s", s->path, what, duckdb_result_error(&res));
    duckdb_destroy_result(&res);
    return st;
}

/* Read-only opens do not migrate: the schema must already be this
 * build's version. */
static ia_status check_version_readonly(ia_bench_store *s)
{
    duckdb_result res;
    int64_t v = -1;
    if (duckdb_query(s->con, "SELECT max(version) FROM ia_schema", &res) != DuckDBSuccess) {
        duckdb_destroy_result(&res);
        return ia_error(IA_ERR_FORMAT, "%s: not an ipfs_accelerate benchmark database (no ia_schema table)", s->path);
    }
    if (duckdb_row_count(&res) == 1) v = duckdb_value_int64(&res, 0, 0);
    duckdb_destroy_result(&res);
    if (v != IA_BENCH_SCHEMA_VERSION)
        return ia_error(IA_ERR_FORMAT, "%s: benchmark database schema version %lld, this build reads %d "
                        "(a write, e.g. ipfs-accelerate bench, migrates older ones)", s->path, (long long)v,
                        IA_BENCH_SCHEMA_VERSION);
    return IA_OK;
}

static ia_status open_store(const char *path, int read_only, int target, ia_bench_store **out)
{
    ia_bench_store *s = NULL;
    char *err = NULL;
    int have_db = 0, have_con = 0;
    ia_status st;
    struct stat sb;
    duckdb_config cfg = NULL;

    if (out) *out = NULL;
    if (!path || !*path || !out) return ia_error(IA_ERR_INVALID_ARG, "bench store: path and out are required");
    s = calloc(1, sizeof *s);
    if (!s) { st = ia_error(IA_ERR_NOMEM, "bench store: out of memory"); goto fail; }
    s->path = strdup(path);
    if (!s->path) { st = ia_error(IA_ERR_NOMEM, "bench store: out of memory"); goto fail; }
    if (read_only && (duckdb_create_config(&cfg) != DuckDBSuccess ||
                      duckdb_set_config(cfg, "access_mode", "READ_ONLY") != DuckDBSuccess)) {
        st = ia_error(IA_ERR_INTERNAL, "bench store: cannot configure read-only access");
        goto fail;
    }
    if (duckdb_open_ext(path, &s->db, cfg, &err) != DuckDBSuccess) {
        /* A file that exists but does not open is not a DuckDB database (or
         * not one this version reads); anything else is an i/o problem. */
        int exists = strcmp(path, ":memory:") != 0 && stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
        st = ia_error(exists ? IA_ERR_FORMAT : IA_ERR_IO, "%s: cannot open as a DuckDB database: %s", path,
                      err ? err : "unknown DuckDB error");
        goto fail;
    }
    have_db = 1;
    if (duckdb_connect(s->db, &s->con) != DuckDBSuccess) {
        st = ia_error(IA_ERR_IO, "%s: cannot connect to the DuckDB database", path);
        goto fail;
    }
    have_con = 1;
    st = read_only ? check_version_readonly(s) : ia_store_migrate_to(s, target);
    if (st != IA_OK) goto fail;
    if (err) duckdb_free(err);
    if (cfg) duckdb_destroy_config(&cfg);
    *out = s;
    return IA_OK;

fail:
    if (err) duckdb_free(err);
    if (cfg) duckdb_destroy_config(&cfg);
    if (s) {
        if (have_con) duckdb_disconnect(&s->con);
        if (have_db) duckdb_close(&s->db);
        free(s->path);
        free(s);
    }
    return st;
}

ia_status ia_bench_store_open(const char *path, ia_bench_store **out)
{
    return open_store(path, 0, IA_BENCH_SCHEMA_VERSION, out);
}

ia_status ia_bench_store_create_version(const char *path, int version)
{
    ia_bench_store *s = NULL;
    ia_status st = open_store(path, 0, version, &s);
    ia_bench_store_close(s);
    return st;
}

ia_status ia_bench_store_open_readonly(const char *path, ia_bench_store **out)
{
    return open_store(path, 1, IA_BENCH_SCHEMA_VERSION, out);
}

void ia_bench_store_close(ia_bench_store *s)
{
    if (!s) return;
    duckdb_disconnect(&s->con);
    duckdb_close(&s->db); /* checkpoints the WAL into the file */
    free(s->path);
    free(s);
}

/* ---- binding helpers: NULL strings and NaN doubles bind as SQL NULL ---- */

static duckdb_state bind_str(duckdb_prepared_statement p, idx_t i, const char *v)
{
    return v ? duckdb_bind_varchar(p, i, v) : duckdb_bind_null(p, i);
}

static duckdb_state bind_dbl(duckdb_prepared_statement p, idx_t i, double v)
{
    return isnan(v) ? duckdb_bind_null(p, i) : duckdb_bind_double(p, i, v);
}

/* Prepares sql; on failure reports DuckDB's message. */
static ia_status prepare(ia_bench_store *s, const char *sql, duckdb_prepared_statement *p)
{
    if (duckdb_prepare(s->con, sql, p) != DuckDBSuccess) {
        ia_status st = ia_error(IA_ERR_INTERNAL, "%s: preparing a statement: %s", s->path, duckdb_prepare_error(*p));
        duckdb_destroy_prepare(p);
        return st;
    }
    return IA_OK;
}

/* Executes a bound statement; *id (may be NULL) receives column 0 of the
 * first row (the RETURNING id). */
static ia_status execute(ia_bench_store *s, duckdb_prepared_statement p, const char *what, int64_t *id)
{
    duckdb_result res;
    ia_status st = IA_OK;
    if (duckdb_execute_prepared(p, &res) != DuckDBSuccess) {
        st = ia_error(IA_ERR_IO, "%s: %s: %s", s->path, what, duckdb_result_error(&res));
    } else if (id) {
        if (duckdb_row_count(&res) < 1)
            st = ia_error(IA_ERR_INTERNAL, "%s: %s: no id returned", s->path, what);
        else
            *id = duckdb_value_int64(&res, 0, 0);
    }
    duckdb_destroy_result(&res);
    return st;
}

static void rollback(ia_bench_store *s)
{
    duckdb_result res;
    duckdb_query(s->con, "ROLLBACK", &res); /* best effort: the first error is the one reported */
    duckdb_destroy_result(&res);
}

ia_status ia_bench_store_begin_run(ia_bench_store *s, const ia_bench_run_info *info, int64_t *run_id)
{
    duckdb_prepared_statement p = NULL;
    int in_tx = 0, ok = 1;
    int64_t id = 0;
    ia_status st;
    struct timespec now;
    duckdb_timestamp ts;

    if (!s || !info || !run_id) return ia_error(IA_ERR_INVALID_ARG, "bench store: begin_run needs s, info, run_id");
    clock_gettime(CLOCK_REALTIME, &now);
    ts.micros = (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;

    st = ia_store_exec(s, "begin_run", "BEGIN TRANSACTION");
    if (st != IA_OK) goto fail;
    in_tx = 1;
    st = prepare(s, "INSERT INTO runs (id, started_at, version, git_commit, threads, config, status) "
                    "VALUES (nextval('ia_runs_seq'), ?, ?, ?, ?, ?, 'running') RETURNING id", &p);
    if (st != IA_OK) goto fail;
    ok &= duckdb_bind_timestamp(p, 1, ts) == DuckDBSuccess;
    ok &= bind_str(p, 2, info->version) == DuckDBSuccess;
    ok &= bind_str(p, 3, info->git_commit) == DuckDBSuccess;
    ok &= duckdb_bind_int32(p, 4, info->threads) == DuckDBSuccess;
    ok &= bind_str(p, 5, info->config_json) == DuckDBSuccess;
    if (!ok) { st = ia_error(IA_ERR_INTERNAL, "%s: begin_run: binding failed", s->path); goto fail; }
    st = execute(s, p, "inserting the run", &id);
    if (st != IA_OK) goto fail;
    duckdb_destroy_prepare(&p);

    st = prepare(s, "INSERT INTO hardware VALUES (?, ?)", &p);
    if (st != IA_OK) goto fail;
    ok &= duckdb_bind_int64(p, 1, id) == DuckDBSuccess;
    ok &= bind_str(p, 2, info->hw_json) == DuckDBSuccess;
    if (!ok) { st = ia_error(IA_ERR_INTERNAL, "%s: begin_run: binding failed", s->path); goto fail; }
    st = execute(s, p, "inserting the hardware report", NULL);
    if (st != IA_OK) goto fail;
    duckdb_destroy_prepare(&p);

    st = ia_store_exec(s, "begin_run", "COMMIT");
    if (st != IA_OK) goto fail;
    *run_id = id;
    return IA_OK;

fail:
    if (p) duckdb_destroy_prepare(&p);
    if (in_tx) rollback(s);
    return st;
}

/* The columns add_result writes, named (not positional): the table's
 * order is that of the migrations that made it. */
static const char INSERT_RESULT[] =
    "INSERT INTO results (id, run_id, model, backend, precision, batch, seq_len, iterations, warmup,"
    " latency_ms_mean, latency_ms_stddev, latency_ms_p50, latency_ms_p90, latency_ms_p99,"
    " items_per_s, tokens_per_s, rss_delta_bytes, model_bytes, energy_j, power_w,"
    " power_reason, skipped_reason, model_fingerprint, machine_id,"
    " kind, threads_used, gen_tokens, n_ctx, prompt_tokens_per_s, prompt_tokens_per_s_stddev,"
    " gen_tokens_per_s, gen_tokens_per_s_stddev, ttft_ms, ttft_ms_stddev, kv_cache_bytes)"
    " VALUES (nextval('ia_results_seq'), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
    " ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id";

/* An int that 0 means "unknown" for binds as NULL. */
static duckdb_state bind_pos_int(duckdb_prepared_statement p, idx_t i, int v)
{
    return v > 0 ? duckdb_bind_int32(p, i, v) : duckdb_bind_null(p, i);
}

/* Binds INSERT_RESULT's 34 parameters. The generation figures bind only
 * for kinds "generate" and "serve" (NULL otherwise: an embedding row made
 * with memset or = {0} does not claim a rate of 0). */
static int bind_result(duckdb_prepared_statement p, int64_t run_id, const ia_bench_result *r)
{
    int ok = 1, gen = r->kind && strcmp(r->kind, "embed") != 0;
    ok &= duckdb_bind_int64(p, 1, run_id) == DuckDBSuccess;
    ok &= bind_str(p, 2, r->model) == DuckDBSuccess;
    ok &= bind_str(p, 3, r->backend) == DuckDBSuccess;
    ok &= bind_str(p, 4, r->precision) == DuckDBSuccess;
    ok &= duckdb_bind_int32(p, 5, r->batch) == DuckDBSuccess;
    ok &= duckdb_bind_int32(p, 6, r->seq_len) == DuckDBSuccess;
    ok &= duckdb_bind_int32(p, 7, r->iterations) == DuckDBSuccess;
    ok &= duckdb_bind_int32(p, 8, r->warmup) == DuckDBSuccess;
    ok &= bind_dbl(p, 9, r->latency_ms_mean) == DuckDBSuccess;
    ok &= bind_dbl(p, 10, r->latency_ms_stddev) == DuckDBSuccess;
    ok &= bind_dbl(p, 11, r->latency_ms_p50) == DuckDBSuccess;
    ok &= bind_dbl(p, 12, r->latency_ms_p90) == DuckDBSuccess;
    ok &= bind_dbl(p, 13, r->latency_ms_p99) == DuckDBSuccess;
    ok &= bind_dbl(p, 14, r->items_per_s) == DuckDBSuccess;
    ok &= bind_dbl(p, 15, r->tokens_per_s) == DuckDBSuccess;
    ok &= bind_dbl(p, 16, r->rss_delta_bytes) == DuckDBSuccess;
    ok &= bind_dbl(p, 17, r->model_bytes) == DuckDBSuccess;
    ok &= bind_dbl(p, 18, r->energy_j) == DuckDBSuccess;
    ok &= bind_dbl(p, 19, r->power_w) == DuckDBSuccess;
    ok &= bind_str(p, 20, r->power_reason) == DuckDBSuccess;
    ok &= bind_str(p, 21, r->skipped_reason) == DuckDBSuccess;
    ok &= bind_str(p, 22, r->model_fingerprint) == DuckDBSuccess;
    ok &= bind_str(p, 23, r->machine_id) == DuckDBSuccess;
    ok &= bind_str(p, 24, gen ? r->kind : "embed") == DuckDBSuccess;
    ok &= bind_pos_int(p, 25, r->threads_used) == DuckDBSuccess;
    ok &= bind_pos_int(p, 26, gen ? r->gen_tokens : 0) == DuckDBSuccess;
    ok &= bind_pos_int(p, 27, gen ? r->n_ctx : 0) == DuckDBSuccess;
    ok &= bind_dbl(p, 28, gen ? r->prompt_tokens_per_s : NAN) == DuckDBSuccess;
    ok &= bind_dbl(p, 29, gen ? r->prompt_tokens_per_s_stddev : NAN) == DuckDBSuccess;
    ok &= bind_dbl(p, 30, gen ? r->gen_tokens_per_s : NAN) == DuckDBSuccess;
    ok &= bind_dbl(p, 31, gen ? r->gen_tokens_per_s_stddev : NAN) == DuckDBSuccess;
    ok &= bind_dbl(p, 32, gen ? r->ttft_ms : NAN) == DuckDBSuccess;
    ok &= bind_dbl(p, 33, gen ? r->ttft_ms_stddev : NAN) == DuckDBSuccess;
    ok &= bind_dbl(p, 34, gen ? r->kv_cache_bytes : NAN) == DuckDBSuccess;
    return ok;
}

ia_status ia_bench_store_add_result(ia_bench_store *s, int64_t run_id, const ia_bench_result *r,
                                    const double *iteration_ms, size_t n_iterations, int64_t *result_id)
{
    duckdb_prepared_statement p = NULL;
    int in_tx = 0;
    int64_t id = 0;
    ia_status st;

    if (!s || !r) return ia_error(IA_ERR_INVALID_ARG, "bench store: add_result needs s and r");
    if (!r->model || !r->backend || !r->precision)
        return ia_error(IA_ERR_INVALID_ARG, "bench store: a result needs model, backend and precision");
    if (r->kind && !ia_bench_kind_known(r->kind))
        return ia_error(IA_ERR_INVALID_ARG, "bench store: result kind \"%s\" (embed, generate or serve)", r->kind);
    if (n_iterations > 0 && !iteration_ms)
        return ia_error(IA_ERR_INVALID_ARG, "bench store: %zu iterations but no latencies", n_iterations);
    if (n_iterations > INT32_MAX)
        return ia_error(IA_ERR_INVALID_ARG, "bench store: %zu iterations is too many", n_iterations);

    st = ia_store_exec(s, "add_result", "BEGIN TRANSACTION");
    if (st != IA_OK) goto fail;
    in_tx = 1;
    st = prepare(s, INSERT_RESULT, &p);
    if (st != IA_OK) goto fail;
    if (!bind_result(p, run_id, r)) { st = ia_error(IA_ERR_INTERNAL, "%s: add_result: binding failed", s->path); goto fail; }
    st = execute(s, p, "inserting the result", &id);
    if (st != IA_OK) goto fail;
    duckdb_destroy_prepare(&p);

    if (n_iterations > 0) {
        st = prepare(s, "INSERT INTO iterations VALUES (?, ?, ?)", &p);
        if (st != IA_OK) goto fail;
        for (size_t i = 0; i < n_iterations; i++) {
            if (duckdb_bind_int64(p, 1, id) != DuckDBSuccess || duckdb_bind_int32(p, 2, (int32_t)i) != DuckDBSuccess ||
                bind_dbl(p, 3, iteration_ms[i]) != DuckDBSuccess) {
                st = ia_error(IA_ERR_INTERNAL, "%s: add_result: binding failed", s->path);
                goto fail;
            }
            st = execute(s, p, "inserting an iteration", NULL);
            if (st != IA_OK) goto fail;
        }
        duckdb_destroy_prepare(&p);
    }

    st = ia_store_exec(s, "add_result", "COMMIT");
    if (st != IA_OK) goto fail;
    if (result_id) *result_id = id;
    return IA_OK;

fail:
    if (p) duckdb_destroy_prepare(&p);
    if (in_tx) rollback(s);
    return st;
}

ia_status ia_bench_store_add_accuracy(ia_bench_store *s, int64_t result_id, const char *metric, double value,
                                      const char *reference_model, const char *dataset)
{
    duckdb_prepared_statement p = NULL;
    ia_status st;
    if (!s || !metric) return ia_error(IA_ERR_INVALID_ARG, "bench store: add_accuracy needs s and a metric");
    if ((st = prepare(s, "INSERT INTO accuracy VALUES (?, ?, ?, ?, ?)", &p)) != IA_OK) return st;
    if (duckdb_bind_int64(p, 1, result_id) != DuckDBSuccess || bind_str(p, 2, metric) != DuckDBSuccess ||
        bind_dbl(p, 3, value) != DuckDBSuccess || bind_str(p, 4, reference_model) != DuckDBSuccess ||
        bind_str(p, 5, dataset) != DuckDBSuccess) {
        duckdb_destroy_prepare(&p);
        return ia_error(IA_ERR_INTERNAL, "%s: add_accuracy: binding failed", s->path);
    }
    st = execute(s, p, "inserting an accuracy row", NULL);
    duckdb_destroy_prepare(&p);
    return st;
}

ia_status ia_bench_store_finish_run(ia_bench_store *s, int64_t run_id, const char *status)
{
    duckdb_prepared_statement p = NULL;
    duckdb_result res;
    ia_status st = IA_OK;
    if (!s || !status || (strcmp(status, "complete") != 0 && strcmp(status, "failed") != 0))
        return ia_error(IA_ERR_INVALID_ARG, "bench store: a run finishes as complete or failed");
    if (duckdb_prepare(s->con, "UPDATE runs SET status = ? WHERE id = ?", &p) != DuckDBSuccess ||
        duckdb_bind_varchar(p, 1, status) != DuckDBSuccess || duckdb_bind_int64(p, 2, run_id) != DuckDBSuccess) {
        st = ia_error(IA_ERR_IO, "%s: marking run %lld %s: %s", s->path, (long long)run_id, status,
                      duckdb_prepare_error(p));
        duckdb_destroy_prepare(&p);
        return st;
    }
    if (duckdb_execute_prepared(p, &res) != DuckDBSuccess)
        st = ia_error(IA_ERR_IO, "%s: marking run %lld %s: %s", s->path, (long long)run_id, status,
                      duckdb_result_error(&res));
    duckdb_destroy_result(&res);
    duckdb_destroy_prepare(&p);
    return st;
}
