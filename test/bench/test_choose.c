/*
 * test_choose.c — ia_select_device trusts only rows of this model (by
 * content) on this machine, that ran, on a device kind that runs here and
 * is not the ref oracle; the database is $IA_BENCH_DB or the user cache,
 * never the working directory; rows a v3 file brought have no identity
 * and are not trusted. Rows are written with the store's own API, with
 * made-up figures that make a wrongly trusted row win.
 */
#include <duckdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/store_internal.h"
#include "formats/model_id.h"
#include "harness.h"
#include "hw/hw.h"

typedef struct env {
    char root[64], db[128], fp[IA_MODEL_FINGERPRINT_LEN + 1], machine[IA_MACHINE_ID_LEN + 1];
    char *old_db, *old_home, model[4096];
} env;

static char *dup_env(const char *k) { return getenv(k) ? strdup(getenv(k)) : NULL; }

static int env_begin(env *e) {
    const char *dir = ia_test_model_dir();
    memset(e, 0, sizeof *e);
    strcpy(e->root, "/tmp/ia_choose_XXXXXX");
    if (!dir || !mkdtemp(e->root)) return 0;
    snprintf(e->model, sizeof e->model, "%s", dir);
    snprintf(e->db, sizeof e->db, "%s/b.duckdb", e->root);
    e->old_db = dup_env("IA_BENCH_DB");
    e->old_home = dup_env("HOME");
    setenv("IA_BENCH_DB", e->db, 1);
    return ia_model_fingerprint(dir, e->fp) == IA_OK && ia_hw_machine_id(e->machine, NULL, 0) == IA_OK;
}

static void env_end(env *e) {
    char cmd[128];
    if (e->old_db) setenv("IA_BENCH_DB", e->old_db, 1);
    else unsetenv("IA_BENCH_DB");
    if (e->old_home) setenv("HOME", e->old_home, 1);
    free(e->old_db);
    free(e->old_home);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", e->root);
    if (system(cmd) != 0) fprintf(stderr, "  could not remove %s\n", e->root);
}

/* Appends rows (backend, batch, items/s, fingerprint, machine, skipped)
 * as one run of the store at path. */
typedef struct row {
    const char *backend;
    int batch;
    double items_per_s;
    const char *fp, *machine, *skipped;
} row;

static int add_rows(const char *path, const row *rows, int n) {
    static const ia_bench_run_info info = {"{}", "0.1.0", "", 1, "{}"};
    ia_bench_store *s = NULL;
    int64_t run = 0;
    int ok = ia_bench_store_open(path, &s) == IA_OK && ia_bench_store_begin_run(s, &info, &run) == IA_OK;
    for (int i = 0; ok && i < n; i++) {
        ia_bench_result r;
        memset(&r, 0, sizeof r);
        r.model = "all-MiniLM-L6-v2";
        r.backend = rows[i].backend;
        r.precision = "fp32";
        r.batch = rows[i].batch;
        r.seq_len = 128;
        r.iterations = 1;
        r.latency_ms_mean = r.latency_ms_stddev = r.latency_ms_p50 = r.latency_ms_p90 = r.latency_ms_p99 = 1.0;
        r.items_per_s = rows[i].items_per_s;
        r.tokens_per_s = r.rss_delta_bytes = r.model_bytes = r.energy_j = r.power_w = 1.0;
        r.model_fingerprint = rows[i].fp;
        r.machine_id = rows[i].machine;
        r.skipped_reason = rows[i].skipped;
        ok = ia_bench_store_add_result(s, run, &r, NULL, 0, NULL) == IA_OK;
    }
    ok = ok && ia_bench_store_finish_run(s, run, "complete") == IA_OK;
    ia_bench_store_close(s);
    return ok;
}

static int choose(const char *model, int batch, char *device, char *why) {
    return ia_select_device(model, "embedding", batch, device, 32, why, 1024) == IA_OK;
}

IA_TEST(select_device_ignores_other_machines_and_other_models) {
    env e;
    char device[32], why[1024], other[160], cmd[2048];
    REQUIRE(env_begin(&e));
    /* Another machine's rows, and another model's under the same base name. */
    row rows[] = {{"cpu", 8, 500.0, e.fp, "ffffffffffffffff", NULL}, {"cpu", 8, 400.0, "0000", e.machine, NULL}};
    REQUIRE(add_rows(e.db, rows, 2));
    REQUIRE(choose("all-MiniLM-L6-v2", 8, device, why));
    CHECK_MSG(strncmp(why, "heuristic", 9) == 0 && strstr(why, "no measured rows of this model on this machine"),
              "%s", why);

    /* A model with the same base name and one config byte more: its rows,
     * written by the runner itself, do not count for the real one. */
    snprintf(other, sizeof other, "%s/x/all-MiniLM-L6-v2", e.root);
    snprintf(cmd, sizeof cmd, "mkdir -p '%s' && for f in '%s'/*; do ln -s \"$f\" '%s/'; done && rm '%s/config.json' && "
             "sed 's/}$/, \"edited\": 1}/' '%s/config.json' > '%s/config.json'", other, ia_test_model_dir(), other,
             other, ia_test_model_dir(), other);
    REQUIRE(system(cmd) == 0);
    {
        char fp2[IA_MODEL_FINGERPRINT_LEN + 1];
        REQUIRE(ia_model_fingerprint(other, fp2) == IA_OK);
        CHECK(strcmp(fp2, e.fp) != 0);
        row theirs[] = {{"cpu", 8, 300.0, fp2, e.machine, NULL}};
        REQUIRE(add_rows(e.db, theirs, 1));
        REQUIRE(choose(other, 8, device, why));
        CHECK_MSG(strncmp(why, "measured: cpu gave 300.0", 24) == 0, "the edited model's own row: %s", why);
    }
    REQUIRE(choose("all-MiniLM-L6-v2", 8, device, why));
    CHECK_MSG(strncmp(why, "heuristic", 9) == 0, "%s", why);

    /* This model's row on this machine decides — also for a copy of the
     * model under another name (content, not name). */
    row ours[] = {{"cpu", 8, 123.0, e.fp, e.machine, NULL}};
    REQUIRE(add_rows(e.db, ours, 1));
    REQUIRE(choose("all-MiniLM-L6-v2", 8, device, why));
    CHECK_MSG(!strcmp(device, "cpu") && strncmp(why, "measured: cpu gave 123.0 items/s", 32) == 0, "%s", why);
    snprintf(other, sizeof other, "%s/renamed-copy", e.root);
    snprintf(cmd, sizeof cmd, "mkdir -p '%s' && for f in '%s'/*; do ln -s \"$f\" '%s/'; done", other,
             ia_test_model_dir(), other);
    REQUIRE(system(cmd) == 0);
    REQUIRE(choose(other, 8, device, why));
    CHECK_MSG(strncmp(why, "measured: cpu gave 123.0 items/s", 32) == 0, "renamed copy: %s", why);
    env_end(&e);
}

/* Rows on a device that does not run here, on the ref oracle, or that were
 * skipped, never decide — even with the highest items/s. */
IA_TEST(select_device_ignores_absent_oracle_and_skipped_rows) {
    env e;
    char device[32], why[1024];
    REQUIRE(env_begin(&e));
    row rows[] = {
        {"cuda", 8, 1e9, e.fp, e.machine, NULL},   /* no cuda kind here */
        {"cpu:3", 8, 1e8, e.fp, e.machine, NULL},  /* no fourth cpu device */
        {"ref", 8, 1e7, e.fp, e.machine, NULL},    /* the oracle */
        {"cpu", 8, 1e6, e.fp, e.machine, "skipped for a reason"},
        {"cpu", 8, 42.0, e.fp, e.machine, NULL},
    };
    REQUIRE(add_rows(e.db, rows, 5));
    REQUIRE(choose("all-MiniLM-L6-v2", 8, device, why));
    CHECK_MSG(!strcmp(device, "cpu") && strncmp(why, "measured: cpu gave 42.0 items/s", 31) == 0, "%s: %s", device,
              why);
    env_end(&e);
}

/* The database is $IA_BENCH_DB, else ~/.cache/ipfs_accelerate (created
 * for writes); a benchmark_db.duckdb in the working directory is not read. */
IA_TEST(select_device_reads_the_user_cache_not_the_working_directory) {
    env e;
    char device[32], why[1024], path[256], cwd_db[160], cwd[4096];
    REQUIRE(env_begin(&e));
    REQUIRE(getcwd(cwd, sizeof cwd));
    row rows[] = {{"cpu", 8, 77.0, e.fp, e.machine, NULL}};
    snprintf(cwd_db, sizeof cwd_db, "%s/benchmark_db.duckdb", e.root);
    REQUIRE(add_rows(cwd_db, rows, 1));
    unsetenv("IA_BENCH_DB");
    setenv("HOME", e.root, 1);
    REQUIRE(chdir(e.root) == 0);
    CHECK_STATUS(ia_benchmark_default_db(path, sizeof path), IA_OK);
    {
        char want[256];
        snprintf(want, sizeof want, "%s/.cache/ipfs_accelerate/benchmark_db.duckdb", e.root);
        CHECK_MSG(!strcmp(path, want), "%s", path);
        snprintf(want, sizeof want, "%s/.cache/ipfs_accelerate", e.root);
        CHECK_MSG(access(want, W_OK) == 0, "%s was not created", want);
    }
    REQUIRE(choose(e.model, 8, device, why));
    CHECK_MSG(strncmp(why, "heuristic", 9) == 0, "read the working directory's database: %s", why);
    REQUIRE(add_rows(path, rows, 1));
    REQUIRE(choose(e.model, 8, device, why));
    CHECK_MSG(strncmp(why, "measured: cpu gave 77.0", 23) == 0 && strstr(why, path), "%s", why);
    setenv("IA_BENCH_DB", "/elsewhere/b.duckdb", 1);
    CHECK_STATUS(ia_benchmark_default_db(path, sizeof path), IA_OK);
    CHECK(!strcmp(path, "/elsewhere/b.duckdb"));
    REQUIRE(chdir(cwd) == 0);
    env_end(&e);
}

/* A v3 database (rows with no identity) migrated to v4: its rows stay,
 * but they no longer pick a device. */
IA_TEST(select_device_does_not_trust_rows_without_identity) {
    env e;
    char device[32], why[1024];
    duckdb_database db;
    duckdb_connection con;
    REQUIRE(env_begin(&e));
    REQUIRE(ia_bench_store_create_version(e.db, 3) == IA_OK);
    REQUIRE(duckdb_open(e.db, &db) == DuckDBSuccess && duckdb_connect(db, &con) == DuckDBSuccess);
    CHECK(duckdb_query(con, "INSERT INTO runs VALUES (nextval('ia_runs_seq'), now()::TIMESTAMP, '0.1.0', '', 1, '{}',"
                            " 'complete'); INSERT INTO results VALUES (nextval('ia_results_seq'), 1, "
                            "'all-MiniLM-L6-v2', 'cpu', 'fp32', 8, 128, 1, 0, 1, 0, 1, 1, 1, 999, 1, 1, 1, 1, 1, NULL,"
                            " NULL)", NULL) == DuckDBSuccess);
    duckdb_disconnect(&con);
    duckdb_close(&db);
    REQUIRE(add_rows(e.db, NULL, 0)); /* a write: migrates to v4 */
    REQUIRE(choose("all-MiniLM-L6-v2", 8, device, why));
    CHECK_MSG(strncmp(why, "heuristic", 9) == 0, "a v3 row decided: %s", why);
    env_end(&e);
}
