/*
 * test_bench_api.c — the public benchmark API end to end: run → store →
 * query → export → report, with the stored percentiles checked against
 * DuckDB's own quantile_cont over the stored per-iteration rows (computed
 * independently of our stats code).
 */
#include <cjson/cJSON.h>
#include <duckdb.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "ipfs_accelerate.h"
#include "bench/store_internal.h"
#include "util/mapped_file.h"

/* A config filled the way callers must: INIT, then the fields. */
static ia_benchmark_config config(const char *const *models, size_t n_models, const char *const *backends,
                                  size_t n_backends, const int *batches, size_t n_batches, const int *seqs,
                                  int iterations, int warmup, int threads, int store_iterations) {
    ia_benchmark_config c;
    IA_BENCHMARK_CONFIG_INIT(&c);
    c.models = models, c.n_models = n_models;
    c.backends = backends, c.n_backends = n_backends;
    c.batches = batches, c.n_batches = n_batches;
    c.seq_lens = seqs, c.n_seq_lens = 1;
    c.iterations = iterations, c.warmup = warmup, c.threads = threads, c.store_iterations = store_iterations;
    return c;
}

static int lines_in(const char *path) {
    char *t = NULL;
    size_t len;
    int n = 0;
    if (ia_read_text_file(path, 1 << 24, &t, &len) != IA_OK) return -1;
    for (size_t i = 0; i < len; i++) n += t[i] == '\n';
    free(t);
    return n;
}

IA_TEST(bench_api_round_trip) {
    static const char *const models[] = {"all-MiniLM-L6-v2"}, *const backends[] = {"cpu", "cuda"};
    static const int batches[] = {1, 3}, seqs[] = {16};
    ia_benchmark_config cfg = config(models, 1, backends, 2, batches, 2, seqs, 7, 1, 1, 1);
    char dir[] = "/tmp/ia_bench_XXXXXX", db[256], csv[256], js[256], html[256], *rows = NULL, *q = NULL;
    int64_t run_id = 0;
    cJSON *arr;
    const long long cmp[2] = {1, 2};
    duckdb_database ddb;
    duckdb_connection con;
    duckdb_result res;
    REQUIRE(mkdtemp(dir) != NULL);
    snprintf(db, sizeof db, "%s/b.duckdb", dir);
    snprintf(csv, sizeof csv, "%s/r.csv", dir);
    snprintf(js, sizeof js, "%s/r.json", dir);
    snprintf(html, sizeof html, "%s/r.html", dir);

    CHECK_STATUS(ia_benchmark_run(&cfg, db, NULL, NULL, &run_id, &rows), IA_OK);
    CHECK(run_id == 1);
    ia_free(rows);
    CHECK_STATUS(ia_benchmark_run(&cfg, db, NULL, NULL, &run_id, &rows), IA_OK);
    CHECK(run_id == 2);
    ia_free(rows);

    CHECK_STATUS(ia_benchmark_query(db, models, 1, backends, 1, NULL, 0, NULL, &q), IA_OK);
    arr = q ? cJSON_Parse(q) : NULL;
    CHECK_MSG(cJSON_GetArraySize(arr) == 4, "cpu rows over two runs: %d", cJSON_GetArraySize(arr));
    cJSON_Delete(arr);
    ia_free(q);

    CHECK_STATUS(ia_benchmark_export(db, csv, "csv"), IA_OK);
    CHECK_MSG(lines_in(csv) == 1 + 8, "csv lines %d (header + 8 rows)", lines_in(csv));
    CHECK_STATUS(ia_benchmark_export(db, js, "json"), IA_OK);
    CHECK(lines_in(js) >= 8);
    CHECK_STATUS(ia_benchmark_report(db, cmp, html), IA_OK);
    CHECK(access(html, R_OK) == 0);

    /* Percentiles, independently: DuckDB's quantile_cont (linear
     * interpolation) over the stored iteration rows. */
    REQUIRE(duckdb_open(db, &ddb) == DuckDBSuccess);
    REQUIRE(duckdb_connect(ddb, &con) == DuckDBSuccess);
    REQUIRE(duckdb_query(con,
                         "SELECT r.latency_ms_p50, quantile_cont(i.latency_ms, 0.5), r.latency_ms_p90, "
                         "quantile_cont(i.latency_ms, 0.9), r.latency_ms_p99, quantile_cont(i.latency_ms, 0.99), "
                         "r.latency_ms_mean, avg(i.latency_ms), count(*) "
                         "FROM results r JOIN iterations i ON i.result_id = r.id GROUP BY ALL",
                         &res) == DuckDBSuccess);
    CHECK_MSG(duckdb_row_count(&res) == 4, "results with iterations: %llu", (unsigned long long)duckdb_row_count(&res));
    for (idx_t r = 0; r < duckdb_row_count(&res); r++) {
        CHECK(duckdb_value_int64(&res, 8, r) == 7);
        for (idx_t c = 0; c < 8; c += 2) {
            double ours = duckdb_value_double(&res, c, r), sql = duckdb_value_double(&res, c + 1, r);
            CHECK_MSG(fabs(ours - sql) <= 1e-9 * (1 + fabs(sql)), "row %llu col %llu: %.9f vs %.9f",
                      (unsigned long long)r, (unsigned long long)c, ours, sql);
        }
    }
    duckdb_destroy_result(&res);
    duckdb_disconnect(&con);
    duckdb_close(&ddb);
    unlink(csv), unlink(js), unlink(html), unlink(db);
    {
        char wal[300];
        snprintf(wal, sizeof wal, "%s.wal", db);
        unlink(wal);
    }
    rmdir(dir);
}

/* ia_select_device prefers measured rows from the store and says so; with
 * no database it falls back to the heuristic and says that. */
IA_TEST(select_device_prefers_measured_rows) {
    static const char *const models[] = {"all-MiniLM-L6-v2"}, *const backends[] = {"cpu"};
    static const int batches[] = {2, 8}, seqs[] = {16};
    ia_benchmark_config cfg = config(models, 1, backends, 1, batches, 2, seqs, 2, 0, 1, 0);
    char dir[] = "/tmp/ia_choose_XXXXXX", db[256], *rows = NULL, device[32], why[512], wal[300];
    const char *old = getenv("IA_BENCH_DB");
    char *saved = old ? strdup(old) : NULL;
    REQUIRE(mkdtemp(dir) != NULL);
    snprintf(db, sizeof db, "%s/b.duckdb", dir);
    setenv("IA_BENCH_DB", db, 1);
    CHECK_STATUS(ia_select_device("all-MiniLM-L6-v2", "embedding", 8, device, sizeof device, why, sizeof why), IA_OK);
    CHECK_MSG(strncmp(why, "heuristic", 9) == 0, "no database: %s", why);
    CHECK_STATUS(ia_benchmark_run(&cfg, db, NULL, NULL, NULL, &rows), IA_OK);
    ia_free(rows);
    CHECK_STATUS(ia_select_device("all-MiniLM-L6-v2", "embedding", 8, device, sizeof device, why, sizeof why), IA_OK);
    CHECK(strcmp(device, "cpu") == 0);
    CHECK_MSG(strncmp(why, "measured: cpu", 13) == 0 && strstr(why, "batch 8") != NULL, "%s", why);
    /* the nearest batch decides: 3 is nearer to 2 than to 8 */
    CHECK_STATUS(ia_select_device(ia_test_model_dir(), "embedding", 3, device, sizeof device, why, sizeof why), IA_OK);
    CHECK_MSG(strstr(why, "batch 2") != NULL, "%s", why);
    if (saved) setenv("IA_BENCH_DB", saved, 1);
    else unsetenv("IA_BENCH_DB");
    free(saved);
    unlink(db);
    snprintf(wal, sizeof wal, "%s.wal", db);
    unlink(wal);
    rmdir(dir);
}

/* A configuration that cannot run is refused before the database exists;
 * reading commands never create or migrate one. */
IA_TEST(bench_api_bad_config_creates_nothing) {
    static const char *const models[] = {"all-MiniLM-L6-v2"}, *const backends[] = {"cpu"};
    static const int batches[] = {1}, seqs[] = {16};
    ia_benchmark_config cfg = config(models, 0, backends, 1, batches, 1, seqs, 1, 0, 1, 0);
    char path[] = "/tmp/ia_bad_XXXXXX", db[256], *rows = NULL;
    REQUIRE(mkdtemp(path) != NULL);
    snprintf(db, sizeof db, "%s/b.duckdb", path);
    CHECK(ia_benchmark_run(&cfg, db, NULL, NULL, NULL, &rows) != IA_OK);
    CHECK(access(db, F_OK) != 0);
    CHECK(ia_benchmark_query(db, NULL, 0, NULL, 0, NULL, 0, NULL, &rows) != IA_OK);
    CHECK(access(db, F_OK) != 0);
    rmdir(path);
}

/* Schema v1 files are migrated to v2 on the next write (runs gain a status,
 * 'unknown' for runs v1 wrote); runs finish as 'complete'. */
IA_TEST(bench_store_migrates_v1_and_marks_runs) {
    static const char *const models[] = {"all-MiniLM-L6-v2"}, *const backends[] = {"cpu"};
    static const int batches[] = {1}, seqs[] = {8};
    ia_benchmark_config cfg = config(models, 1, backends, 1, batches, 1, seqs, 1, 0, 1, 0);
    char dir[] = "/tmp/ia_mig_XXXXXX", db[256], wal[300], *rows = NULL;
    duckdb_database ddb;
    duckdb_connection con;
    duckdb_result res;
    REQUIRE(mkdtemp(dir) != NULL);
    snprintf(db, sizeof db, "%s/b.duckdb", dir);
    /* a database as schema v1 left it, with one run */
    CHECK_STATUS(ia_bench_store_create_version(db, 1), IA_OK);
    REQUIRE(duckdb_open(db, &ddb) == DuckDBSuccess && duckdb_connect(ddb, &con) == DuckDBSuccess);
    CHECK(duckdb_query(con, "INSERT INTO runs VALUES (nextval('ia_runs_seq'), now()::TIMESTAMP, '0.0.9', '', 1, '{}')",
                       NULL) == DuckDBSuccess);
    duckdb_disconnect(&con);
    duckdb_close(&ddb);
    /* a reader refuses it (no migration on read); a write migrates it */
    CHECK(ia_benchmark_query(db, NULL, 0, NULL, 0, NULL, 0, NULL, &rows) == IA_ERR_FORMAT);
    CHECK(strstr(ia_last_error(), "schema version 1") != NULL);
    CHECK_STATUS(ia_benchmark_run(&cfg, db, NULL, NULL, NULL, &rows), IA_OK);
    ia_free(rows);
    REQUIRE(duckdb_open(db, &ddb) == DuckDBSuccess && duckdb_connect(ddb, &con) == DuckDBSuccess);
    REQUIRE(duckdb_query(con, "SELECT (SELECT max(version) FROM ia_schema), string_agg(status, ',' ORDER BY id) FROM runs",
                         &res) == DuckDBSuccess);
    CHECK(duckdb_value_int64(&res, 0, 0) == IA_BENCH_SCHEMA_VERSION);
    CHECK_MSG(strcmp(duckdb_value_varchar_internal(&res, 1, 0), "unknown,complete") == 0, "statuses %s",
              duckdb_value_varchar_internal(&res, 1, 0));
    duckdb_destroy_result(&res);
    duckdb_disconnect(&con);
    duckdb_close(&ddb);
    unlink(db);
    snprintf(wal, sizeof wal, "%s.wal", db);
    unlink(wal);
    rmdir(dir);
}
