/*
 * store_import.c — appending the rows of an exported results file
 * (import_rows.c reads and checks it) to the benchmark store.
 *
 * An export joins each result with its run, so the run's columns repeat on
 * every row of it. Import undoes the join: each run of the file (its
 * run_id, in order of first appearance) becomes one new run with a fresh
 * id and the file's started_at, version, git_commit, threads and status;
 * its rows become results with fresh ids under it. The rows of one run must
 * agree on the run's columns (import_rows.c checks that, and every other
 * rule it can, before a database is opened). Everything goes in one
 * transaction: a row DuckDB still refuses rolls the whole file back, so a
 * failed import writes nothing.
 *
 * An export holds neither the per-iteration latencies, the hardware report
 * nor the run's configuration, so an imported run has no iterations and no
 * hardware row; its config records where it came from
 * ({"imported_from": file, "source_run_id": id}). Rows keep their
 * machine_id and model_fingerprint, so device choice (choose.c), which
 * trusts only rows of this machine, is not misled by another machine's.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/import_rows.h"
#include "bench/store_internal.h"
#include "util/error.h"

/* A results column of the export: neither the result's id nor the run's. */
static int is_result_column(size_t c) {
    return !ia_export_columns[c].of_run && strcmp(ia_export_columns[c].name, "id") != 0;
}

static int col(const char *name) { return ia_export_column_index(name); }

/* Binds a checked text cell as its column's type (NULL as NULL). */
static int bind_cell(duckdb_prepared_statement p, idx_t i, ia_col_type t, const char *v) {
    if (!v) return duckdb_bind_null(p, i) == DuckDBSuccess;
    switch (t) {
    case IA_COL_BIGINT:
    case IA_COL_INTEGER: return duckdb_bind_int64(p, i, strtoll(v, NULL, 10)) == DuckDBSuccess;
    case IA_COL_DOUBLE: return duckdb_bind_double(p, i, strtod(v, NULL)) == DuckDBSuccess;
    default: return duckdb_bind_varchar(p, i, v) == DuckDBSuccess;
    }
}

/* INSERT INTO results (id, run_id, <every result column of the export>)
 * VALUES (nextval, ?, ...) RETURNING id; caller frees. */
static char *results_sql(void) {
    size_t cap = 4096, n = 0;
    char *sql = malloc(cap);
    if (!sql) return NULL;
    n += (size_t)snprintf(sql + n, cap - n, "INSERT INTO results (id, run_id");
    for (size_t c = 0; c < ia_n_export_columns; c++)
        if (is_result_column(c))
            n += (size_t)snprintf(sql + n, cap - n, ", %s", ia_export_columns[c].name);
    n += (size_t)snprintf(sql + n, cap - n, ") VALUES (nextval('ia_results_seq'), ?");
    for (size_t c = 0; c < ia_n_export_columns; c++)
        if (is_result_column(c))
            n += (size_t)snprintf(sql + n, cap - n, ", ?");
    snprintf(sql + n, cap - n, ") RETURNING id");
    return sql;
}

/* The import's record of where a run came from, as the run's config. */
static char *run_config(const char *source, const char *source_run_id) {
    cJSON *o = cJSON_CreateObject();
    char *s = NULL;
    if (o && cJSON_AddStringToObject(o, "imported_from", source) &&
        (source_run_id ? cJSON_AddNumberToObject(o, "source_run_id", strtod(source_run_id, NULL))
                       : cJSON_AddNullToObject(o, "source_run_id")))
        s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

static ia_status insert_run(ia_bench_store *s, duckdb_prepared_statement p, const ia_import_rows *r, size_t i,
                            const char *source, const char *now, int64_t *id) {
    const char *started = r->present[col("started_at")] ? ia_import_cell(r, i, col("started_at")) : now;
    const char *status = r->present[col("run_status")] ? ia_import_cell(r, i, col("run_status")) : "unknown";
    char *config = run_config(source, ia_import_cell(r, i, col("run_id")));
    duckdb_result res;
    ia_status st = IA_OK;
    int ok = config != NULL;
    ok = ok && duckdb_bind_varchar(p, 1, started) == DuckDBSuccess;
    ok = ok && bind_cell(p, 2, IA_COL_VARCHAR, ia_import_cell(r, i, col("version")));
    ok = ok && bind_cell(p, 3, IA_COL_VARCHAR, ia_import_cell(r, i, col("git_commit")));
    ok = ok && bind_cell(p, 4, IA_COL_INTEGER, ia_import_cell(r, i, col("threads")));
    ok = ok && duckdb_bind_varchar(p, 5, config) == DuckDBSuccess;
    ok = ok && bind_cell(p, 6, IA_COL_VARCHAR, status);
    free(config);
    if (!ok) return ia_error(IA_ERR_INTERNAL, "%s: line %zu: binding the run failed", source, r->line[i]);
    if (duckdb_execute_prepared(p, &res) != DuckDBSuccess)
        st = ia_error(IA_ERR_IO, "%s: line %zu: inserting the run into %s: %s", source, r->line[i], s->path,
                      duckdb_result_error(&res));
    else
        *id = duckdb_value_int64(&res, 0, 0);
    duckdb_destroy_result(&res);
    return st;
}

static ia_status insert_result(ia_bench_store *s, duckdb_prepared_statement p, const ia_import_rows *r, size_t i,
                               const char *source, int64_t run_id) {
    duckdb_result res;
    ia_status st = IA_OK;
    idx_t k = 1;
    int ok = duckdb_bind_int64(p, k++, run_id) == DuckDBSuccess;
    for (size_t c = 0; ok && c < ia_n_export_columns; c++) {
        const char *v = ia_import_cell(r, i, (int)c);
        if (!is_result_column(c)) continue;
        if (!strcmp(ia_export_columns[c].name, "kind") && !v) v = "embed"; /* as add_result stores a NULL kind */
        ok = bind_cell(p, k++, ia_export_columns[c].type, v);
    }
    if (!ok) return ia_error(IA_ERR_INTERNAL, "%s: line %zu: binding the result failed", source, r->line[i]);
    if (duckdb_execute_prepared(p, &res) != DuckDBSuccess)
        st = ia_error(IA_ERR_IO, "%s: line %zu: inserting the result into %s: %s", source, r->line[i], s->path,
                      duckdb_result_error(&res));
    duckdb_destroy_result(&res);
    return st;
}

ia_status ia_bench_store_import(ia_bench_store *s, const ia_import_rows *r, const char *source, size_t *n_runs) {
    duckdb_prepared_statement run_p = NULL, res_p = NULL;
    size_t runs = 0;
    const size_t *group = r ? r->run_of : NULL;
    int64_t *run_ids = NULL;
    char *sql = NULL, now[32];
    int in_tx = 0;
    ia_status st = IA_OK;
    time_t t = time(NULL);
    struct tm tm;

    if (n_runs) *n_runs = 0;
    if (!s || !r || !source) return ia_error(IA_ERR_INVALID_ARG, "bench store: import needs s, rows and source");
    if (r->n_rows == 0) return IA_OK;
    if (!group) return ia_error(IA_ERR_INVALID_ARG, "bench store: import of rows that ia_import_rows_check has not seen");
    /* a file without started_at: the run starts now (UTC, as begin_run's) */
    gmtime_r(&t, &tm);
    strftime(now, sizeof now, "%Y-%m-%d %H:%M:%S", &tm);

    run_ids = malloc(r->n_rows * sizeof *run_ids);
    sql = results_sql();
    if (!run_ids || !sql) {
        st = ia_error(IA_ERR_NOMEM, "bench store: out of memory importing %s", source);
        goto done;
    }

    if (duckdb_prepare(s->con, "INSERT INTO runs (id, started_at, version, git_commit, threads, config, status) "
                               "VALUES (nextval('ia_runs_seq'), CAST(? AS TIMESTAMP), ?, ?, ?, ?, ?) RETURNING id",
                       &run_p) != DuckDBSuccess ||
        duckdb_prepare(s->con, sql, &res_p) != DuckDBSuccess) {
        st = ia_error(IA_ERR_INTERNAL, "%s: preparing the import of %s: %s", s->path, source,
                      duckdb_prepare_error(res_p ? res_p : run_p));
        goto done;
    }
    if ((st = ia_store_exec(s, "import", "BEGIN TRANSACTION")) != IA_OK) goto done;
    in_tx = 1;
    for (size_t i = 0; i < r->n_rows; i++) {
        if (group[i] == i) {
            if ((st = insert_run(s, run_p, r, i, source, now, &run_ids[i])) != IA_OK) goto done;
            runs++;
        }
        if ((st = insert_result(s, res_p, r, i, source, run_ids[group[i]])) != IA_OK) goto done;
    }
    if ((st = ia_store_exec(s, "import", "COMMIT")) != IA_OK) goto done;
    in_tx = 0;
    if (n_runs) *n_runs = runs;
done:
    if (in_tx) {
        duckdb_result res;
        duckdb_query(s->con, "ROLLBACK", &res); /* best effort: the first error is the one reported */
        duckdb_destroy_result(&res);
    }
    if (run_p) duckdb_destroy_prepare(&run_p);
    if (res_p) duckdb_destroy_prepare(&res_p);
    free(sql);
    free(run_ids);
    return st;
}
