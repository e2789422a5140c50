/*
 * test_import.c — ia_benchmark_import: what ia_benchmark_export (CSV, JSON
 * lines) and `results --format json` (ia_benchmark_query's array) wrote
 * comes back as the same rows with fresh ids; malformed files are refused
 * naming the line and the field, and leave the database as it was (or
 * uncreated); a failure inside the transaction rolls everything back.
 */
#include <duckdb.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/import_rows.h"
#include "bench/store_internal.h"
#include "harness.h"

typedef struct tdir { char root[64]; } tdir;

static int td_make(tdir *t) {
    strcpy(t->root, "/tmp/ia_import_XXXXXX");
    return mkdtemp(t->root) != NULL;
}
/* A path inside the dir; four rotating buffers so a call can take several
 * (tests run one at a time). */
static const char *td(const tdir *t, const char *name) {
    static char paths[4][160];
    static int k;
    char *p = paths[k++ % 4];
    snprintf(p, sizeof paths[0], "%s/%s", t->root, name);
    return p;
}
static void td_remove(tdir *t) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", t->root); /* our own mkdtemp name */
    if (system(cmd) != 0) fprintf(stderr, "  could not remove %s\n", t->root);
}

static int write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    int ok = f && fputs(text, f) >= 0;
    if (f && fclose(f) != 0) ok = 0;
    return ok;
}

/* Result rows in a database (-1 when it cannot be read). */
static long rows_in(const char *db) {
    char *json = NULL;
    long n = 0;
    if (ia_benchmark_query(db, NULL, 0, NULL, 0, NULL, 0, NULL, &json) != IA_OK) return -1;
    for (const char *p = json; (p = strstr(p, "\"id\":")) != NULL; p++) n++;
    ia_free(json);
    return n;
}

/* Two runs in a fresh database: embedding rows (one skipped, text with a
 * comma, quotes, a newline, '#', and an empty string; a value that %.15g
 * cannot hold) and a text generation row with every v5 figure. */
static int make_db(const char *path) {
    ia_bench_store *s = NULL;
    ia_bench_run_info run = {.hw_json = "{}", .version = "0.1.0", .git_commit = "", .threads = 2,
                             .config_json = "{}"};
    int64_t r1 = 0, r2 = 0;
    ia_bench_result a = {0}, b, g;
    double its[3] = {1.0, 2.0, 3.0};
    int ok = ia_bench_store_open(path, &s) == IA_OK;
    ok = ok && ia_bench_store_begin_run(s, &run, &r1) == IA_OK;
    a.model = "minilm, \"quoted\"\nsecond line #1";
    a.backend = "cpu";
    a.precision = "fp32";
    a.batch = 4, a.seq_len = 16, a.iterations = 3, a.warmup = 1;
    a.latency_ms_mean = 1.0 / 3.0, a.latency_ms_stddev = 0.1, a.latency_ms_p50 = 2.5e-7;
    a.latency_ms_p90 = 1e16, a.latency_ms_p99 = 123456789.125;
    a.items_per_s = 1000, a.tokens_per_s = 16000, a.rss_delta_bytes = -4096, a.model_bytes = 90868376;
    a.energy_j = a.power_w = NAN;
    a.power_reason = "";
    a.machine_id = "m1";
    a.threads_used = 2;
    ok = ok && ia_bench_store_add_result(s, r1, &a, its, 3, NULL) == IA_OK;
    b = a;
    b.model = "minilm";
    b.backend = "cuda";
    b.latency_ms_mean = b.latency_ms_stddev = b.latency_ms_p50 = b.latency_ms_p90 = b.latency_ms_p99 = NAN;
    b.items_per_s = b.tokens_per_s = b.rss_delta_bytes = b.model_bytes = NAN;
    b.skipped_reason = "libcuda.so.1 not found";
    b.threads_used = 0;
    ok = ok && ia_bench_store_add_result(s, r1, &b, NULL, 0, NULL) == IA_OK;
    ok = ok && ia_bench_store_finish_run(s, r1, "complete") == IA_OK;
    run.git_commit = "abc123";
    run.threads = 0;
    ok = ok && ia_bench_store_begin_run(s, &run, &r2) == IA_OK;
    g = a;
    g.model = "smollm2";
    g.kind = "generate";
    g.precision = "int4+int8";
    g.batch = 1, g.seq_len = 512, g.gen_tokens = 128, g.n_ctx = 641;
    g.items_per_s = g.tokens_per_s = NAN;
    g.prompt_tokens_per_s = 900.5, g.prompt_tokens_per_s_stddev = 12.25;
    g.gen_tokens_per_s = 70.1, g.gen_tokens_per_s_stddev = 1.5;
    g.ttft_ms = 570.25, g.ttft_ms_stddev = 8.5, g.kv_cache_bytes = 29532160;
    g.model_fingerprint = "f00d";
    ok = ok && ia_bench_store_add_result(s, r2, &g, NULL, 0, NULL) == IA_OK;
    /* run 2 stays "running", as a run killed midway would */
    ia_bench_store_close(s);
    return ok;
}

/* The export's header is import_rows.c's column list, in order. */
IA_TEST(import_columns_are_the_exports) {
    tdir t;
    char *csv = NULL, expect[2048] = "";
    REQUIRE(td_make(&t));
    REQUIRE(make_db(td(&t, "a.duckdb")));
    CHECK_STATUS(ia_benchmark_export(td(&t, "a.duckdb"), td(&t, "a.csv"), "csv"), IA_OK);
    csv = ia_test_read_file(td(&t, "a.csv"), NULL);
    REQUIRE(csv);
    for (size_t c = 0; c < ia_n_export_columns; c++) {
        strcat(expect, c ? "," : "");
        strcat(expect, ia_export_columns[c].name);
    }
    strcat(expect, "\n");
    CHECK_MSG(!strncmp(csv, expect, strlen(expect)), "export header:\n%.*s\nimport columns:\n%s",
              (int)(strchr(csv, '\n') - csv), csv, expect);
    free(csv);
    td_remove(&t);
}

/* export -> import into a fresh database -> export gives the same bytes
 * (a fresh database hands out the same ids, in the same order), for CSV,
 * JSON lines and the query's JSON array; importing again appends the rows
 * under new runs with new ids. */
IA_TEST(import_round_trips_every_export_format) {
    static const char *const fmts[][2] = {{"csv", "x.csv"}, {"json", "x.json"}};
    tdir t;
    char *a = NULL, *b = NULL, *q1 = NULL, *q2 = NULL;
    REQUIRE(td_make(&t));
    REQUIRE(make_db(td(&t, "a.duckdb")));
    for (int f = 0; f < 2; f++) {
        char src[64], dst[64], db[64];
        snprintf(src, sizeof src, "a_%s", fmts[f][1]);
        snprintf(dst, sizeof dst, "b_%s", fmts[f][1]);
        snprintf(db, sizeof db, "b_%s.duckdb", fmts[f][0]);
        CHECK_STATUS(ia_benchmark_export(td(&t, "a.duckdb"), td(&t, src), fmts[f][0]), IA_OK);
        CHECK_STATUS(ia_benchmark_import(td(&t, db), td(&t, src)), IA_OK);
        CHECK_STATUS(ia_benchmark_export(td(&t, db), td(&t, dst), fmts[f][0]), IA_OK);
        a = ia_test_read_file(td(&t, src), NULL);
        b = ia_test_read_file(td(&t, dst), NULL);
        REQUIRE(a && b);
        CHECK_MSG(!strcmp(a, b), "%s export after import differs:\n%s\n---\n%s", fmts[f][0], a, b);
        free(a);
        free(b);
        a = b = NULL;
    }
    /* the CLI's JSON (ia_benchmark_query): %.15g numbers, an array */
    CHECK_STATUS(ia_benchmark_query(td(&t, "a.duckdb"), NULL, 0, NULL, 0, NULL, 0, NULL, &q1), IA_OK);
    REQUIRE(q1 && write_file(td(&t, "q.json"), q1));
    CHECK_STATUS(ia_benchmark_import(td(&t, "q.duckdb"), td(&t, "q.json")), IA_OK);
    CHECK_STATUS(ia_benchmark_query(td(&t, "q.duckdb"), NULL, 0, NULL, 0, NULL, 0, NULL, &q2), IA_OK);
    REQUIRE(q2);
    CHECK_MSG(!strcmp(q1, q2), "query JSON after import differs:\n%s\n---\n%s", q1, q2);
    CHECK(strstr(q1, "\"run_status\":\"running\"") && strstr(q1, "\"git_commit\":\"\""));
    ia_free(q2);
    q2 = NULL;

    /* again into the same database: three more rows, runs 3 and 4 */
    CHECK_STATUS(ia_benchmark_import(td(&t, "q.duckdb"), td(&t, "a_x.csv")), IA_OK);
    CHECK(rows_in(td(&t, "q.duckdb")) == 6);
    CHECK_STATUS(ia_benchmark_query(td(&t, "q.duckdb"), NULL, 0, NULL, 0, NULL, 0, NULL, &q2), IA_OK);
    REQUIRE(q2);
    CHECK_MSG(strstr(q2, "{\"id\":6,\"run_id\":4,") != NULL, "%s", q2);
    ia_free(q1);
    ia_free(q2);

    /* an empty JSON export (no rows) imports as nothing; a CSV of only the
     * header too */
    REQUIRE(write_file(td(&t, "empty.json"), ""));
    CHECK_STATUS(ia_benchmark_import(td(&t, "q.duckdb"), td(&t, "empty.json")), IA_OK);
    REQUIRE(write_file(td(&t, "head.csv"), "model,backend,precision\n"));
    CHECK_STATUS(ia_benchmark_import(td(&t, "q.duckdb"), td(&t, "head.csv")), IA_OK);
    CHECK(rows_in(td(&t, "q.duckdb")) == 6);
    /* a minimal file: missing columns are NULL, kind embed, status unknown */
    REQUIRE(write_file(td(&t, "min.csv"), "model,backend,precision,latency_ms_p50\r\nm,cpu,fp32,1.5\r\n"));
    CHECK_STATUS(ia_benchmark_import(td(&t, "m.duckdb"), td(&t, "min.csv")), IA_OK);
    CHECK_STATUS(ia_benchmark_query(td(&t, "m.duckdb"), NULL, 0, NULL, 0, NULL, 0, NULL, &q1), IA_OK);
    REQUIRE(q1);
    CHECK_MSG(strstr(q1, "\"run_status\":\"unknown\"") && strstr(q1, "\"kind\":\"embed\"") &&
                  strstr(q1, "\"latency_ms_p50\":1.5") && strstr(q1, "\"batch\":null"), "%s", q1);
    ia_free(q1);
    td_remove(&t);
}

/* Each malformed file: IA_ERR_FORMAT (or INVALID_ARG for the name), the
 * message naming the line and the field, the database untouched, and a
 * database that did not exist still absent. */
IA_TEST(import_refuses_malformed_files) {
    static const struct {
        const char *name, *text, *want1, *want2;
    } bad[] = {
        {"num.csv", "model,backend,precision,latency_ms_p50\nm,cpu,fp32,1.5\nm,cpu,fp32,1.5ms\n", "line 3",
         "field latency_ms_p50: \"1.5ms\" is not a number"},
        {"int.csv", "model,backend,precision,batch\nm,cpu,fp32,99999999999\n", "line 2", "field batch"},
        {"col.csv", "model,backend,precision,flops\n", "line 1", "\"flops\" is not a column"},
        {"twice.csv", "model,backend,model\n", "line 1", "column model appears twice"},
        {"nomodel.csv", "backend,precision\ncpu,fp32\n", "no model column", ""},
        {"fields.csv", "model,backend,precision\nm,cpu\n", "line 2: 2 fields, the header has 3", ""},
        {"quote.csv", "model,backend,precision\n\"m,cpu,fp32\n", "line 2", "field model: a quoted field that never ends"},
        {"stray.csv", "model,backend,precision\nm\"x,cpu,fp32\n", "line 2", "field model: a quote inside"},
        {"after.csv", "model,backend,precision\n\"m\"x,cpu,fp32\n", "line 2", "text after a closing quote"},
        {"date.csv", "model,backend,precision,started_at\nm,cpu,fp32,2024-02-30 10:00:00\n", "line 2",
         "field started_at"},
        {"nullmodel.csv", "model,backend,precision\n,cpu,fp32\n", "line 2", "field model: empty"},
        {"kind.csv", "model,backend,precision,kind\nm,cpu,fp32,train\n", "line 2", "field kind"},
        {"status.csv", "model,backend,precision,run_status\nm,cpu,fp32,done\n", "line 2", "field run_status"},
        {"utf8.csv", "model,backend,precision\nm\xff,cpu,fp32\n", "line 2", "field model"},
        {"run.csv", "run_id,version,model,backend,precision\n7,0.1.0,m,cpu,fp32\n7,0.2.0,m,cpu,fp32\n", "line 3",
         "field version: differs from line 2's"},
        {"empty.csv", "", "empty file", ""},
        {"syntax.json", "[{\"model\":\"m\",\n\"backend\":\"cpu\",\n\"precision\":}]", "line 3", "not valid JSON"},
        {"type.json", "[{\"model\":\"m\",\"backend\":\"cpu\",\"precision\":\"fp32\",\"batch\":\"4\"}]", "line 1",
         "field batch"},
        {"frac.json", "[{\"model\":\"m\",\"backend\":\"cpu\",\"precision\":\"fp32\",\"batch\":1},\n"
                      "{\"model\":\"m\",\"backend\":\"cpu\",\"precision\":\"fp32\",\"batch\":1.5}]",
         "line 2", "field batch: \"1.5\" is not an integer"},
        {"extra.json", "[{\"model\":\"m\",\"backend\":\"cpu\",\"precision\":\"fp32\"},\n"
                       "{\"model\":\"m\",\"backend\":\"cpu\",\"precision\":\"fp32\",\"batch\":1}]",
         "line 2", "field \"batch\" is not in the first row"},
        {"keys.json", "{\"model\":\"m\",\"backend\":\"cpu\",\"precision\":\"fp32\"}\n"
                      "{\"model\":\"m\",\"backend\":\"cpu\"}\n", "line 2", "field precision is missing"},
        {"scalar.json", "[1]", "line 1", "not a JSON object"},
        {"text.json", "hello", "line 1", "not JSON rows"},
        {"nan.json", "{\"model\":\"m\",\"backend\":\"cpu\",\"precision\":\"fp32\",\"power_w\":NaN}\n", "line 1",
         "not valid JSON"},
    };
    tdir t;
    REQUIRE(td_make(&t));
    REQUIRE(make_db(td(&t, "a.duckdb")));
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        const char *file = td(&t, bad[i].name), *msg;
        REQUIRE(write_file(file, bad[i].text));
        CHECK_STATUS(ia_benchmark_import(td(&t, "a.duckdb"), file), IA_ERR_FORMAT);
        msg = ia_last_error();
        CHECK_MSG(strstr(msg, bad[i].name) && strstr(msg, bad[i].want1) && strstr(msg, bad[i].want2),
                  "%s: %s", bad[i].name, msg);
        CHECK_STATUS(ia_benchmark_import(td(&t, "new.duckdb"), file), IA_ERR_FORMAT);
        CHECK_MSG(access(td(&t, "new.duckdb"), F_OK) != 0, "%s created a database", bad[i].name);
    }
    CHECK(rows_in(td(&t, "a.duckdb")) == 3);
    REQUIRE(write_file(td(&t, "rows.txt"), "model\n"));
    CHECK_STATUS(ia_benchmark_import(td(&t, "a.duckdb"), td(&t, "rows.txt")), IA_ERR_INVALID_ARG);
    CHECK_STATUS(ia_benchmark_import(td(&t, "a.duckdb"), td(&t, "missing.csv")), IA_ERR_NOT_FOUND);
    CHECK_STATUS(ia_benchmark_import(NULL, td(&t, "rows.txt")), IA_ERR_INVALID_ARG);
    td_remove(&t);
}

/* A row DuckDB refuses after others went in (here a started_at that only
 * the database checks: rows handed to the store directly, past the
 * reader's checks) rolls the whole import back. */
IA_TEST(import_rolls_back_on_a_database_error) {
    ia_bench_store *s = NULL;
    ia_import_rows rows = {0};
    size_t ncol = ia_n_export_columns, n_runs = 7;
    int present[64] = {0};
    char *cells[2 * 64] = {0};
    size_t lines[2] = {2, 3};
    const char *vals[2][4] = {{"1", "2024-01-01 00:00:00", "m", "cpu"}, {"2", "not a time", "m", "cpu"}};
    REQUIRE(ncol <= 64);
    for (int r = 0; r < 2; r++) {
        cells[r * ncol + (size_t)ia_export_column_index("run_id")] = (char *)vals[r][0];
        cells[r * ncol + (size_t)ia_export_column_index("started_at")] = (char *)vals[r][1];
        cells[r * ncol + (size_t)ia_export_column_index("model")] = (char *)vals[r][2];
        cells[r * ncol + (size_t)ia_export_column_index("backend")] = (char *)vals[r][3];
        cells[r * ncol + (size_t)ia_export_column_index("precision")] = (char *)"fp32";
    }
    present[ia_export_column_index("run_id")] = present[ia_export_column_index("started_at")] = 1;
    present[ia_export_column_index("model")] = present[ia_export_column_index("backend")] = 1;
    present[ia_export_column_index("precision")] = 1;
    rows.n_rows = 2, rows.cells = cells, rows.line = lines, rows.present = present;
    CHECK_STATUS(ia_bench_store_open(":memory:", &s), IA_OK);
    REQUIRE(s);
    CHECK_STATUS(ia_bench_store_import(s, &rows, "hand.csv", &n_runs), IA_ERR_INVALID_ARG); /* unchecked rows */
    CHECK_STATUS(ia_import_rows_check(&rows, "hand.csv"), IA_OK);
    REQUIRE(rows.run_of && rows.run_of[1] == 1);
    CHECK_STATUS(ia_bench_store_import(s, &rows, "hand.csv", &n_runs), IA_ERR_IO);
    CHECK_MSG(strstr(ia_last_error(), "hand.csv: line 3") != NULL, "%s", ia_last_error());
    CHECK(n_runs == 0);
    char *json = NULL;
    CHECK_STATUS(ia_bench_store_query_json(s, NULL, 0, NULL, 0, NULL, 0, NULL, &json), IA_OK);
    CHECK_MSG(json && !strcmp(json, "[]"), "%s", json ? json : "(null)");
    free(json);
    /* the good row alone goes in, as one run */
    rows.n_rows = 1;
    CHECK_STATUS(ia_bench_store_import(s, &rows, "hand.csv", &n_runs), IA_OK);
    CHECK(n_runs == 1);
    ia_bench_store_close(s);
    free(rows.run_of);
}
