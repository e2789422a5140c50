/*
 * test_store.c — the DuckDB benchmark store: round trip (run, results,
 * iterations, query, export), NaN as NULL, SIGKILL mid-transaction, and
 * hostile files (random bytes, a foreign DuckDB file, a newer schema).
 */
#include <duckdb.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/store_internal.h"
#include "bench/db_count.h"
#include "harness.h"

/* A fresh temp dir per test; paths inside it; removal of what we made. */
typedef struct tmpdir { char root[64]; char path[160]; } tmpdir;

static int tmp_make(tmpdir *t)
{
    strcpy(t->root, "/tmp/ia_store_XXXXXX");
    return mkdtemp(t->root) != NULL;
}
static const char *tmp_path(tmpdir *t, const char *name)
{
    snprintf(t->path, sizeof t->path, "%s/%s", t->root, name);
    return t->path;
}
static void tmp_remove(tmpdir *t)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", t->root); /* root is our own mkdtemp name */
    if (system(cmd) != 0) fprintf(stderr, "  could not remove %s\n", t->root);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;
    if (!f) return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)n + 1)) != NULL) {
        if (fread(buf, 1, (size_t)n, f) != (size_t)n) { free(buf); buf = NULL; }
        else buf[n] = 0;
    }
    fclose(f);
    return buf;
}

static size_t count_str(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle)) n++;
    return n;
}

static ia_bench_result sample_result(const char *model, const char *backend, int batch, double mean)
{
    ia_bench_result r = {0};
    r.model = model;
    r.backend = backend;
    r.precision = "fp32";
    r.batch = batch;
    r.seq_len = 128;
    r.iterations = 3;
    r.warmup = 1;
    r.latency_ms_mean = mean;
    r.latency_ms_stddev = 0.5;
    r.latency_ms_p50 = mean;
    r.latency_ms_p90 = mean + 1;
    r.latency_ms_p99 = mean + 2;
    r.items_per_s = 1000.0 * batch / mean;
    r.tokens_per_s = r.items_per_s * 128;
    r.rss_delta_bytes = 1024;
    r.model_bytes = 90e6;
    r.energy_j = 2.5;
    r.power_w = 25;
    return r;
}

static const ia_bench_run_info RUN = {
    .hw_json = "{\"cpu\":\"test\"}", .version = "0.1.0", .git_commit = "abc123", .threads = 4,
    .config_json = "{\"iterations\":3}",
};

static int raw_exec(const char *path, const char *sql)
{
    duckdb_database db;
    duckdb_connection con;
    duckdb_result res;
    int ok = 0;
    if (duckdb_open(path, &db) != DuckDBSuccess) return 0;
    if (duckdb_connect(db, &con) == DuckDBSuccess) {
        ok = duckdb_query(con, sql, &res) == DuckDBSuccess;
        duckdb_destroy_result(&res);
        duckdb_disconnect(&con);
    }
    duckdb_close(&db);
    return ok;
}

IA_TEST(store_close_null_and_bad_args)
{
    ia_bench_store *s = (ia_bench_store *)1;
    ia_bench_store_close(NULL);
    CHECK_STATUS(ia_bench_store_open(NULL, &s), IA_ERR_INVALID_ARG);
    CHECK(s == NULL);
    CHECK_STATUS(ia_bench_store_open(":memory:", NULL), IA_ERR_INVALID_ARG);
}

IA_TEST(store_memory_round_trip)
{
    ia_bench_store *s = NULL;
    int64_t run = 0, r1 = 0, r2 = 0, r3 = 0;
    char *json = NULL;
    double its[3] = {10.0, 11.0, 12.0};

    CHECK_STATUS(ia_bench_store_open(":memory:", &s), IA_OK);
    REQUIRE(s);
    CHECK_STATUS(ia_bench_store_begin_run(s, &RUN, &run), IA_OK);
    CHECK(run >= 1);
    ia_bench_result a = sample_result("minilm", "cpu", 1, 10.0);
    ia_bench_result b = sample_result("minilm", "cpu", 8, 40.0);
    ia_bench_result c = sample_result("bert-base", "cuda", 1, 20.0);
    CHECK_STATUS(ia_bench_store_add_result(s, run, &a, its, 3, &r1), IA_OK);
    CHECK_STATUS(ia_bench_store_add_result(s, run, &b, its, 3, &r2), IA_OK);
    CHECK_STATUS(ia_bench_store_add_result(s, run, &c, NULL, 0, &r3), IA_OK);
    CHECK(r1 >= 1 && r2 == r1 + 1 && r3 == r2 + 1);

    /* everything */
    CHECK_STATUS(ia_bench_store_query_json(s, NULL, 0, NULL, 0, NULL, 0, NULL, &json), IA_OK);
    REQUIRE(json);
    CHECK_MSG(count_str(json, "\"model\":") == 3, "%s", json);
    CHECK(strstr(json, "\"git_commit\":\"abc123\"") != NULL);
    CHECK(strstr(json, "\"latency_ms_mean\":40") != NULL);
    free(json);
    json = NULL;

    /* filter by model and backend, choose metrics */
    const char *models[] = {"minilm"};
    const char *backends[] = {"cpu"};
    const char *metrics[] = {"latency_ms_p90", "items_per_s"};
    CHECK_STATUS(ia_bench_store_query_json(s, models, 1, backends, 1, metrics, 2, NULL, &json), IA_OK);
    REQUIRE(json);
    CHECK_MSG(count_str(json, "\"model\":\"minilm\"") == 2 && !strstr(json, "bert-base"), "%s", json);
    CHECK_MSG(strstr(json, "\"latency_ms_p90\":41") && !strstr(json, "latency_ms_mean"), "%s", json);
    free(json);
    json = NULL;

    const char *cuda[] = {"cuda"};
    CHECK_STATUS(ia_bench_store_query_json(s, NULL, 0, cuda, 1, NULL, 0, NULL, &json), IA_OK);
    REQUIRE(json);
    CHECK_MSG(count_str(json, "\"model\":") == 1 && strstr(json, "bert-base"), "%s", json);
    free(json);
    json = NULL;

    /* group by model: minilm mean of 10 and 40 = 25, count 2 */
    const char *mean[] = {"latency_ms_mean"};
    CHECK_STATUS(ia_bench_store_query_json(s, NULL, 0, NULL, 0, mean, 1, "model", &json), IA_OK);
    REQUIRE(json);
    CHECK_MSG(strstr(json, "{\"model\":\"minilm\",\"count\":2,\"latency_ms_mean\":25}") != NULL, "%s", json);
    CHECK_MSG(strstr(json, "{\"model\":\"bert-base\",\"count\":1,\"latency_ms_mean\":20}") != NULL, "%s", json);
    free(json);
    json = NULL;

    CHECK_STATUS(ia_bench_store_query_json(s, NULL, 0, NULL, 0, NULL, 0, "batch", &json), IA_OK);
    REQUIRE(json);
    CHECK_MSG(count_str(json, "\"batch\":") == 2, "%s", json);
    free(json);
    json = NULL;

    /* hostile names are refused, not spliced */
    const char *evil[] = {"latency_ms_mean; DROP TABLE results"};
    CHECK_STATUS(ia_bench_store_query_json(s, NULL, 0, NULL, 0, evil, 1, NULL, &json), IA_ERR_INVALID_ARG);
    CHECK_STATUS(ia_bench_store_query_json(s, NULL, 0, NULL, 0, NULL, 0, "id", &json), IA_ERR_INVALID_ARG);
    const char *quote_model[] = {"x' OR '1'='1"};
    CHECK_STATUS(ia_bench_store_query_json(s, quote_model, 1, NULL, 0, NULL, 0, NULL, &json), IA_OK);
    CHECK_MSG(json && strcmp(json, "[]") == 0, "%s", json ? json : "(null)");
    free(json);
    json = NULL;

    /* a result for a run that does not exist fails and leaves nothing */
    CHECK(ia_bench_store_add_result(s, run + 100, &a, its, 3, NULL) != IA_OK);
    CHECK_STATUS(ia_bench_store_query_json(s, NULL, 0, NULL, 0, NULL, 0, NULL, &json), IA_OK);
    CHECK(json && count_str(json, "\"model\":") == 3);
    free(json);
    ia_bench_store_close(s);
}

IA_TEST(store_nan_is_null_with_reason)
{
    ia_bench_store *s = NULL;
    int64_t run = 0;
    char *json = NULL;
    CHECK_STATUS(ia_bench_store_open(":memory:", &s), IA_OK);
    REQUIRE(s);
    CHECK_STATUS(ia_bench_store_begin_run(s, &RUN, &run), IA_OK);
    ia_bench_result r = sample_result("minilm", "cpu", 1, 10.0);
    r.energy_j = NAN;
    r.power_w = NAN;
    r.power_reason = "RAPL not readable: /sys/class/powercap missing";
    CHECK_STATUS(ia_bench_store_add_result(s, run, &r, NULL, 0, NULL), IA_OK);
    ia_bench_result sk = sample_result("minilm", "cuda", 1, NAN);
    sk.items_per_s = sk.tokens_per_s = NAN;
    sk.skipped_reason = "libcuda.so.1 not found";
    CHECK_STATUS(ia_bench_store_add_result(s, run, &sk, NULL, 0, NULL), IA_OK);
    CHECK_STATUS(ia_bench_store_query_json(s, NULL, 0, NULL, 0, NULL, 0, NULL, &json), IA_OK);
    REQUIRE(json);
    CHECK_MSG(count_str(json, "\"energy_j\":null") == 1 && count_str(json, "\"power_w\":null") == 1, "%s", json);
    CHECK(strstr(json, "\"power_reason\":\"RAPL not readable") != NULL);
    CHECK(strstr(json, "\"latency_ms_mean\":null") != NULL);
    CHECK(strstr(json, "\"skipped_reason\":\"libcuda.so.1 not found\"") != NULL);
    CHECK(!strstr(json, "NaN") && !strstr(json, "nan"));
    free(json);
    ia_bench_store_close(s);
}

IA_TEST(store_file_export_and_reopen)
{
    tmpdir t;
    ia_bench_store *s = NULL;
    int64_t run = 0;
    double its[4] = {9.5, 10.0, 10.5, 11.0};
    char db[160], csv[160], js[160], *text = NULL;
    REQUIRE(tmp_make(&t));
    snprintf(db, sizeof db, "%s", tmp_path(&t, "bench.duckdb"));
    snprintf(csv, sizeof csv, "%s", tmp_path(&t, "it's.csv")); /* a quote in the path */
    snprintf(js, sizeof js, "%s", tmp_path(&t, "out.json"));

    CHECK_STATUS(ia_bench_store_open(db, &s), IA_OK);
    REQUIRE(s);
    CHECK_STATUS(ia_bench_store_begin_run(s, &RUN, &run), IA_OK);
    ia_bench_result a = sample_result("minilm", "cpu", 1, 10.25);
    ia_bench_result b = sample_result("bert-base", "cpu", 4, 30.5);
    b.energy_j = NAN;
    b.power_reason = "no RAPL";
    CHECK_STATUS(ia_bench_store_add_result(s, run, &a, its, 4, NULL), IA_OK);
    CHECK_STATUS(ia_bench_store_add_result(s, run, &b, its, 4, NULL), IA_OK);
    CHECK_STATUS(ia_bench_store_export(s, csv, "csv"), IA_OK);
    CHECK_STATUS(ia_bench_store_export(s, js, "json"), IA_OK);
    CHECK_STATUS(ia_bench_store_export(s, js, "xml"), IA_ERR_INVALID_ARG);
    ia_bench_store_close(s);
    s = NULL;

    text = slurp(csv);
    REQUIRE(text);
    CHECK_MSG(strncmp(text, "id,run_id,started_at,version,git_commit,threads,model,backend,", 62) == 0, "%s", text);
    CHECK(count_str(text, "\n") == 3); /* header + 2 rows */
    CHECK(strstr(text, ",minilm,cpu,fp32,1,128,3,1,10.25,") != NULL);
    CHECK(strstr(text, ",bert-base,cpu,fp32,4,128,3,1,30.5,") != NULL);
    CHECK(strstr(text, ",no RAPL,") != NULL);
    free(text);
    text = slurp(js);
    REQUIRE(text);
    CHECK_MSG(count_str(text, "\"model\":") == 2, "%s", text);
    CHECK(strstr(text, "\"latency_ms_mean\":10.25") != NULL);
    CHECK(strstr(text, "\"energy_j\":null") != NULL);
    free(text);

    /* persisted: the iterations are in the file, and reopening works */
    CHECK(ia_test_db_count(db, "SELECT count(*) FROM iterations") == 8);
    CHECK(ia_test_db_count(db, "SELECT count(*) FROM hardware") == 1);
    CHECK(ia_test_db_count(db, "SELECT max(version) FROM ia_schema") == IA_BENCH_SCHEMA_VERSION);
    CHECK_STATUS(ia_bench_store_open(db, &s), IA_OK);
    int64_t run2 = 0;
    CHECK_STATUS(ia_bench_store_begin_run(s, &RUN, &run2), IA_OK);
    CHECK(run2 == run + 1);
    ia_bench_store_close(s);
    tmp_remove(&t);
}

IA_TEST(store_sigkill_keeps_committed_rows)
{
    enum { N = 20, ITS = 5 };
    tmpdir t;
    char db[160];
    int fd[2];
    REQUIRE(tmp_make(&t));
    snprintf(db, sizeof db, "%s", tmp_path(&t, "kill.duckdb"));
    REQUIRE(pipe(fd) == 0);
    fflush(NULL);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        /* child: N committed results, then one huge uncommitted one */
        ia_bench_store *s = NULL;
        int64_t run = 0;
        double its[ITS] = {1, 2, 3, 4, 5};
        size_t big = 4u * 1000 * 1000;
        double *many = malloc(big * sizeof *many);
        close(fd[0]);
        if (!many || ia_bench_store_open(db, &s) != IA_OK || ia_bench_store_begin_run(s, &RUN, &run) != IA_OK) _exit(2);
        for (size_t i = 0; i < big; i++) many[i] = 1.0;
        for (int i = 0; i < N; i++) {
            ia_bench_result r = sample_result("minilm", "cpu", i + 1, 10.0 + i);
            if (ia_bench_store_add_result(s, run, &r, its, ITS, NULL) != IA_OK) _exit(3);
        }
        if (write(fd[1], "k", 1) != 1) _exit(4);
        ia_bench_result r = sample_result("uncommitted", "cpu", 1, 1.0);
        ia_bench_store_add_result(s, run, &r, many, big, NULL); /* killed in here */
        _exit(5);
    }
    close(fd[1]);
    char c = 0;
    ssize_t got = read(fd[0], &c, 1);
    close(fd[0]);
    usleep(300 * 1000); /* let the big transaction get going */
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    REQUIRE(got == 1 && c == 'k');
    CHECK_MSG(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "child status %d", status);

    ia_bench_store *s = NULL;
    char *json = NULL;
    CHECK_STATUS(ia_bench_store_open(db, &s), IA_OK);
    REQUIRE(s);
    CHECK_STATUS(ia_bench_store_query_json(s, NULL, 0, NULL, 0, NULL, 0, NULL, &json), IA_OK);
    REQUIRE(json);
    CHECK_MSG(count_str(json, "\"model\":\"minilm\"") == N, "%zu results", count_str(json, "\"model\":"));
    CHECK(!strstr(json, "uncommitted"));
    free(json);
    json = NULL;
    /* still usable */
    int64_t run = 0;
    ia_bench_result r = sample_result("after", "cpu", 1, 1.0);
    CHECK_STATUS(ia_bench_store_begin_run(s, &RUN, &run), IA_OK);
    CHECK_STATUS(ia_bench_store_add_result(s, run, &r, NULL, 0, NULL), IA_OK);
    ia_bench_store_close(s);
    CHECK(ia_test_db_count(db, "SELECT count(*) FROM results") == N + 1);
    CHECK_MSG(ia_test_db_count(db, "SELECT count(*) FROM iterations") == N * ITS, "%lld iteration rows",
              (long long)ia_test_db_count(db, "SELECT count(*) FROM iterations"));
    tmp_remove(&t);
}

IA_TEST(store_rejects_foreign_files)
{
    tmpdir t;
    char path[160];
    ia_bench_store *s = NULL;
    REQUIRE(tmp_make(&t));

    /* random bytes */
    snprintf(path, sizeof path, "%s", tmp_path(&t, "random.duckdb"));
    FILE *f = fopen(path, "wb");
    REQUIRE(f);
    srand(42);
    for (int i = 0; i < 64 * 1024; i++) fputc(rand() & 0xff, f);
    fclose(f);
    CHECK_STATUS(ia_bench_store_open(path, &s), IA_ERR_FORMAT);
    CHECK(s == NULL);
    CHECK_MSG(strstr(ia_last_error(), path) && strstr(ia_last_error(), "DuckDB"), "%s", ia_last_error());

    /* a DuckDB file with someone else's tables */
    snprintf(path, sizeof path, "%s", tmp_path(&t, "other.duckdb"));
    REQUIRE(raw_exec(path, "CREATE TABLE customers(id INTEGER, name VARCHAR)"));
    CHECK_STATUS(ia_bench_store_open(path, &s), IA_ERR_FORMAT);
    CHECK_MSG(strstr(ia_last_error(), "not an ipfs_accelerate benchmark database") &&
              strstr(ia_last_error(), path), "%s", ia_last_error());
    CHECK(ia_test_db_count(path, "SELECT count(*) FROM duckdb_tables()") == 1); /* untouched */

    /* ours, but from a newer build */
    snprintf(path, sizeof path, "%s", tmp_path(&t, "newer.duckdb"));
    CHECK_STATUS(ia_bench_store_open(path, &s), IA_OK);
    ia_bench_store_close(s);
    s = NULL;
    REQUIRE(raw_exec(path, "UPDATE ia_schema SET version = 7"));
    CHECK_STATUS(ia_bench_store_open(path, &s), IA_ERR_FORMAT);
    {
        char want[96];
        snprintf(want, sizeof want, "schema version 7 is newer than this build's %d", IA_BENCH_SCHEMA_VERSION);
        CHECK_MSG(strstr(ia_last_error(), want), "%s", ia_last_error());
    }

    /* a directory that does not exist is i/o, not format */
    CHECK(ia_bench_store_open("/nonexistent-dir-ia/x.duckdb", &s) == IA_ERR_IO);
    tmp_remove(&t);
}

/* A file schema v3 wrote (by v3's own steps), with a result row in v3's
 * columns: a reader refuses it, a writer migrates it to v4 in place; the
 * old row keeps its figures and gets no model or machine identity (NULL),
 * new rows carry both. */
IA_TEST(store_migrates_v3_rows_to_v4)
{
    tmpdir t;
    char path[160];
    ia_bench_store *s = NULL;
    int64_t run = 0, rid = 0;
    ia_bench_result r;
    REQUIRE(tmp_make(&t));
    snprintf(path, sizeof path, "%s", tmp_path(&t, "v3.duckdb"));
    CHECK_STATUS(ia_bench_store_create_version(path, 3), IA_OK);
    CHECK(ia_test_db_count(path, "SELECT max(version) FROM ia_schema") == 3);
    CHECK(ia_test_db_count(path, "SELECT count(*) FROM duckdb_columns() WHERE table_name = 'results'") == 22);
    REQUIRE(raw_exec(path, "INSERT INTO runs VALUES (nextval('ia_runs_seq'), now()::TIMESTAMP, '0.1.0', 'abc', 2, "
                           "'{}', 'complete');"
                           "INSERT INTO results VALUES (nextval('ia_results_seq'), 1, 'all-MiniLM-L6-v2', 'cpu', 'fp32',"
                           " 8, 128, 10, 2, 5, 0.1, 5, 5.5, 6, 1600, 204800, 1e6, 9e7, NULL, NULL, 'no RAPL', NULL);"
                           "INSERT INTO accuracy VALUES (1, 'stsb_spearman', 86.7, NULL, 'stsb')"));
    CHECK_STATUS(ia_bench_store_open_readonly(path, &s), IA_ERR_FORMAT);
    CHECK_MSG(strstr(ia_last_error(), "schema version 3"), "%s", ia_last_error());

    CHECK_STATUS(ia_bench_store_open(path, &s), IA_OK);
    REQUIRE(s);
    r = sample_result("all-MiniLM-L6-v2", "cpu", 8, 4.0);
    r.model_fingerprint = "f00d";
    r.machine_id = "0123456789abcdef";
    CHECK_STATUS(ia_bench_store_begin_run(s, &RUN, &run), IA_OK);
    CHECK_STATUS(ia_bench_store_add_result(s, run, &r, NULL, 0, &rid), IA_OK);
    CHECK(run == 2 && rid == 2);
    ia_bench_store_close(s);

    CHECK(ia_test_db_count(path, "SELECT max(version) FROM ia_schema") == IA_BENCH_SCHEMA_VERSION);
    CHECK(ia_test_db_count(path, "SELECT count(*) FROM results WHERE id = 1 AND items_per_s = 1600 AND "
                          "model_fingerprint IS NULL AND machine_id IS NULL") == 1);
    CHECK(ia_test_db_count(path, "SELECT count(*) FROM results WHERE id = 2 AND model_fingerprint = 'f00d' AND "
                          "machine_id = '0123456789abcdef'") == 1);
    CHECK(ia_test_db_count(path, "SELECT count(*) FROM accuracy WHERE result_id = 1") == 1);
    /* the query shows both columns, NULL for the old row */
    CHECK_STATUS(ia_bench_store_open_readonly(path, &s), IA_OK);
    {
        char *json = NULL;
        CHECK_STATUS(ia_bench_store_query_json(s, NULL, 0, NULL, 0, NULL, 0, NULL, &json), IA_OK);
        CHECK_MSG(json && strstr(json, "\"model_fingerprint\":null") && strstr(json, "\"machine_id\":\"0123456789abcdef\""),
                  "%.400s", json ? json : "(null)");
        free(json);
    }
    ia_bench_store_close(s);
    tmp_remove(&t);
}

/* A text generation row beside an embedding row: the generation columns
 * come back on the "generate" row (medians, stddevs, TTFT, KV cache,
 * context, threads), are NULL on the embedding row even though its
 * struct holds zeros there, and reach the filtered query, the grouped
 * query and the CSV export. */
IA_TEST(store_generate_rows_round_trip)
{
    tmpdir t;
    ia_bench_store *s = NULL;
    int64_t run = 0, re = 0, rg = 0;
    char *json = NULL, *csv = NULL;
    double its[2] = {2000.0, 2100.0};
    REQUIRE(tmp_make(&t));
    CHECK_STATUS(ia_bench_store_open(tmp_path(&t, "gen.duckdb"), &s), IA_OK);
    REQUIRE(s);
    CHECK_STATUS(ia_bench_store_begin_run(s, &RUN, &run), IA_OK);
    ia_bench_result e = sample_result("minilm", "cpu", 1, 10.0); /* = {0}: kind NULL, zeros */
    ia_bench_result g = sample_result("smollm2", "cpu", 1, 2050.0);
    g.kind = "generate";
    g.precision = "int4+int8";
    g.seq_len = 512;
    g.gen_tokens = 128;
    g.n_ctx = 641;
    g.threads_used = 2;
    g.items_per_s = g.tokens_per_s = NAN;
    g.prompt_tokens_per_s = 900.5;
    g.prompt_tokens_per_s_stddev = 12.25;
    g.gen_tokens_per_s = 70.5;
    g.gen_tokens_per_s_stddev = 1.5;
    g.ttft_ms = 570.25;
    g.ttft_ms_stddev = 8.5;
    g.kv_cache_bytes = 29532160;
    CHECK_STATUS(ia_bench_store_add_result(s, run, &e, its, 2, &re), IA_OK);
    CHECK_STATUS(ia_bench_store_add_result(s, run, &g, its, 2, &rg), IA_OK);
    ia_bench_result bad = g;
    bad.kind = "train";
    CHECK_STATUS(ia_bench_store_add_result(s, run, &bad, NULL, 0, NULL), IA_ERR_INVALID_ARG);

    CHECK_STATUS(ia_bench_store_query_json(s, NULL, 0, NULL, 0, NULL, 0, NULL, &json), IA_OK);
    REQUIRE(json);
    CHECK_MSG(strstr(json, "\"kind\":\"embed\"") && strstr(json, "\"kind\":\"generate\""), "%s", json);
    CHECK_MSG(strstr(json, "\"prompt_tokens_per_s\":900.5,\"prompt_tokens_per_s_stddev\":12.25,"
                           "\"gen_tokens_per_s\":70.5,\"gen_tokens_per_s_stddev\":1.5,\"ttft_ms\":570.25,"
                           "\"ttft_ms_stddev\":8.5,\"kv_cache_bytes\":29532160"), "%s", json);
    CHECK_MSG(strstr(json, "\"threads_used\":2,\"gen_tokens\":128,\"n_ctx\":641"), "%s", json);
    /* the embedding row: generation columns NULL, not the struct's zeros */
    CHECK_MSG(strstr(json, "\"kind\":\"embed\",\"threads_used\":null,\"gen_tokens\":null,\"n_ctx\":null,"
                           "\"prompt_tokens_per_s\":null"), "%s", json);
    free(json);
    json = NULL;

    const char *models[] = {"smollm2"};
    const char *metrics[] = {"gen_tokens_per_s", "ttft_ms", "kv_cache_bytes"};
    CHECK_STATUS(ia_bench_store_query_json(s, models, 1, NULL, 0, metrics, 3, NULL, &json), IA_OK);
    REQUIRE(json);
    CHECK_MSG(count_str(json, "\"model\":") == 1 && strstr(json, "\"kind\":\"generate\"") &&
                  strstr(json, "\"gen_tokens_per_s\":70.5,\"ttft_ms\":570.25") && !strstr(json, "latency_ms_p50"),
              "%s", json);
    free(json);
    json = NULL;

    const char *gm[] = {"gen_tokens_per_s"};
    CHECK_STATUS(ia_bench_store_query_json(s, NULL, 0, NULL, 0, gm, 1, "kind", &json), IA_OK);
    REQUIRE(json);
    CHECK_MSG(strstr(json, "{\"kind\":\"embed\",\"count\":1,\"gen_tokens_per_s\":null}") &&
                  strstr(json, "{\"kind\":\"generate\",\"count\":1,\"gen_tokens_per_s\":70.5}"), "%s", json);
    free(json);
    json = NULL;

    CHECK_STATUS(ia_bench_store_export(s, tmp_path(&t, "out.csv"), "csv"), IA_OK);
    csv = slurp(tmp_path(&t, "out.csv"));
    REQUIRE(csv);
    CHECK_MSG(strstr(csv, ",kind,threads_used,gen_tokens,n_ctx,prompt_tokens_per_s,prompt_tokens_per_s_stddev,"
                          "gen_tokens_per_s,gen_tokens_per_s_stddev,ttft_ms,ttft_ms_stddev,kv_cache_bytes\n"), "%.600s", csv);
    CHECK_MSG(strstr(csv, ",generate,2,128,641,900.5,12.25,70.5,1.5,570.25,8.5,29532160"), "%s", csv);
    CHECK(!strstr(csv, "threads_1")); /* no column name appears twice */
    free(csv);
    ia_bench_store_close(s);
    CHECK(ia_test_db_count(tmp_path(&t, "gen.duckdb"), "SELECT count(*) FROM iterations") == 4);
    tmp_remove(&t);
}

/* A file schema v4 wrote: a writer migrates it to v5; its embedding row
 * becomes kind 'embed' with the generation columns NULL, and a generation
 * row can be added beside it. */
IA_TEST(store_migrates_v4_rows_to_v5)
{
    tmpdir t;
    char path[160];
    ia_bench_store *s = NULL;
    int64_t run = 0, rid = 0;
    REQUIRE(tmp_make(&t));
    snprintf(path, sizeof path, "%s", tmp_path(&t, "v4.duckdb"));
    CHECK_STATUS(ia_bench_store_create_version(path, 4), IA_OK);
    CHECK(ia_test_db_count(path, "SELECT max(version) FROM ia_schema") == 4);
    CHECK(ia_test_db_count(path, "SELECT count(*) FROM duckdb_columns() WHERE table_name = 'results'") == 24);
    REQUIRE(raw_exec(path, "INSERT INTO runs VALUES (nextval('ia_runs_seq'), now()::TIMESTAMP, '0.1.0', 'abc', 2, "
                           "'{}', 'complete');"
                           "INSERT INTO results VALUES (nextval('ia_results_seq'), 1, 'all-MiniLM-L6-v2', 'cpu', 'fp32',"
                           " 8, 128, 10, 2, 5, 0.1, 5, 5.5, 6, 1600, 204800, 1e6, 9e7, NULL, NULL, 'no RAPL', NULL,"
                           " 'f00d', '0123456789abcdef')"));
    CHECK_STATUS(ia_bench_store_open_readonly(path, &s), IA_ERR_FORMAT);
    CHECK_MSG(strstr(ia_last_error(), "schema version 4"), "%s", ia_last_error());

    CHECK_STATUS(ia_bench_store_open(path, &s), IA_OK);
    REQUIRE(s);
    ia_bench_result g = sample_result("smollm2", "cpu", 1, 100.0);
    g.kind = "generate";
    g.gen_tokens = 8;
    g.gen_tokens_per_s = 60;
    CHECK_STATUS(ia_bench_store_begin_run(s, &RUN, &run), IA_OK);
    CHECK_STATUS(ia_bench_store_add_result(s, run, &g, NULL, 0, &rid), IA_OK);
    CHECK(run == 2 && rid == 2);
    ia_bench_store_close(s);

    CHECK(ia_test_db_count(path, "SELECT max(version) FROM ia_schema") == IA_BENCH_SCHEMA_VERSION);
    CHECK(ia_test_db_count(path, "SELECT count(*) FROM results WHERE id = 1 AND kind = 'embed' AND items_per_s = 1600 AND "
                          "model_fingerprint = 'f00d' AND threads_used IS NULL AND gen_tokens_per_s IS NULL AND "
                          "kv_cache_bytes IS NULL") == 1);
    CHECK(ia_test_db_count(path, "SELECT count(*) FROM results WHERE id = 2 AND kind = 'generate' AND gen_tokens = 8 AND "
                          "gen_tokens_per_s = 60") == 1);
    CHECK_STATUS(ia_bench_store_open_readonly(path, &s), IA_OK);
    ia_bench_store_close(s);
    tmp_remove(&t);
}
