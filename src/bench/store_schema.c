/*
 * store_schema.c — the benchmark store's schema and its migrations.
 *
 * The schema is a list of steps: steps[i] takes a database from version i to
 * version i + 1 (step 0 creates everything from nothing). A new version
 * appends one step and bumps IA_BENCH_SCHEMA_VERSION; old steps never
 * change, so any older file replays exactly the steps it lacks. The version
 * lives in ia_schema(version), one row, rewritten by every step inside the
 * same transaction as the step's DDL, so a crash mid-migration leaves the
 * old version intact.
 */
#include <stdio.h>
#include <string.h>

#include "bench/store_internal.h"
#include "util/error.h"

/* v0 -> v1: the initial schema. Ids come from sequences (not max(id) + 1,
 * which two writers could race on). */
static const char STEP_V1[] =
    "CREATE TABLE ia_schema(version INTEGER NOT NULL);"
    "CREATE SEQUENCE ia_runs_seq START 1;"
    "CREATE SEQUENCE ia_results_seq START 1;"
    "CREATE TABLE runs("
    " id BIGINT PRIMARY KEY,"
    " started_at TIMESTAMP NOT NULL,"
    " version VARCHAR,"
    " git_commit VARCHAR,"
    " threads INTEGER,"
    " config VARCHAR);" /* JSON text */
    "CREATE TABLE hardware("
    " run_id BIGINT NOT NULL REFERENCES runs(id),"
    " report VARCHAR);" /* JSON text */
    "CREATE TABLE results("
    " id BIGINT PRIMARY KEY,"
    " run_id BIGINT NOT NULL REFERENCES runs(id),"
    " model VARCHAR NOT NULL, backend VARCHAR NOT NULL, precision VARCHAR NOT NULL,"
    " batch INTEGER, seq_len INTEGER, iterations INTEGER, warmup INTEGER,"
    " latency_ms_mean DOUBLE, latency_ms_stddev DOUBLE, latency_ms_p50 DOUBLE,"
    " latency_ms_p90 DOUBLE, latency_ms_p99 DOUBLE,"
    " items_per_s DOUBLE, tokens_per_s DOUBLE,"
    " rss_delta_bytes DOUBLE, model_bytes DOUBLE,"
    " energy_j DOUBLE, power_w DOUBLE,"
    " power_reason VARCHAR, skipped_reason VARCHAR);"
    "CREATE TABLE iterations("
    " result_id BIGINT NOT NULL REFERENCES results(id),"
    " iteration INTEGER NOT NULL,"
    " latency_ms DOUBLE);";

/* v1 -> v2: a run's status, so a run that failed or was killed midway is
 * not taken for a complete one. Runs written by v1 are marked 'unknown'. */
static const char STEP_V2[] =
    "ALTER TABLE runs ADD COLUMN status VARCHAR DEFAULT 'unknown';";

/* v2 -> v3: accuracy of a result against a reference model (the
 * quantisation engine's benchmark_comparison): one row per metric. */
static const char STEP_V3[] =
    "CREATE TABLE accuracy("
    " result_id BIGINT NOT NULL REFERENCES results(id),"
    " metric VARCHAR NOT NULL,"      /* stsb_spearman, cosine_to_reference_mean, ... */
    " value DOUBLE,"
    " reference_model VARCHAR,"      /* what cosines and relative losses compare with */
    " dataset VARCHAR);";            /* the texts or task file measured on */

/* v3 -> v4: which model and which machine a result belongs to, so device
 * choice uses only rows of this model on this machine. model_fingerprint
 * is formats/model_id.h's content hash (not the name the model was opened
 * by); machine_id is hw/machine_id.c's. Rows written before v4 keep NULL
 * in both: they still show in queries and reports, but no device choice
 * trusts them, since nothing says which model or machine they measured. */
static const char STEP_V4[] =
    "ALTER TABLE results ADD COLUMN model_fingerprint VARCHAR;"
    "ALTER TABLE results ADD COLUMN machine_id VARCHAR;";

/* v4 -> v5: text generation rows (issue 11) beside the embedding rows, in
 * the same table so every query, export and report reads both kinds.
 * kind tells them apart ('embed' for every older row); threads_used is
 * what the model really ran with (runs.threads is what was asked, 0 = all).
 * For kind 'generate': seq_len is the prompt's tokens, gen_tokens the
 * tokens generated per repetition, n_ctx the session's context, the rates
 * are medians over the repetitions with their sample stddev (llama-bench
 * reports mean +- stddev; a median is steadier on a shared machine),
 * ttft_ms the time from the call to the first token, kv_cache_bytes what
 * the session's KV cache holds (ia_session_cache_bytes). NULL elsewhere. */
static const char STEP_V5[] =
    "ALTER TABLE results ADD COLUMN kind VARCHAR DEFAULT 'embed';"
    "ALTER TABLE results ADD COLUMN threads_used INTEGER;"
    "ALTER TABLE results ADD COLUMN gen_tokens INTEGER;"
    "ALTER TABLE results ADD COLUMN n_ctx INTEGER;"
    "ALTER TABLE results ADD COLUMN prompt_tokens_per_s DOUBLE;"
    "ALTER TABLE results ADD COLUMN prompt_tokens_per_s_stddev DOUBLE;"
    "ALTER TABLE results ADD COLUMN gen_tokens_per_s DOUBLE;"
    "ALTER TABLE results ADD COLUMN gen_tokens_per_s_stddev DOUBLE;"
    "ALTER TABLE results ADD COLUMN ttft_ms DOUBLE;"
    "ALTER TABLE results ADD COLUMN ttft_ms_stddev DOUBLE;"
    "ALTER TABLE results ADD COLUMN kv_cache_bytes DOUBLE;";

/* v5 -> v6: the model registry (src/registry/, issue 14) in the same file,
 * so that what a model is and what was measured of it are one join apart
 * (models.model_fingerprint = results.model_fingerprint). models holds one
 * row per registered model: family, parameters, precision, bytes and
 * model_fingerprint as read from the model at registration (inspected =
 * TRUE; NULL/FALSE for an entry registered without a model), the rest as
 * declared. model_hardware_declared holds hardware compatibility as the
 * user declared it (the seed's hardware_compatibility): figures nobody
 * measured, kept apart from results, which hold what was. No foreign key:
 * DuckDB checks one against rows deleted earlier in the same transaction,
 * which replacing an entry does. */
static const char STEP_V6[] =
    "CREATE TABLE models("
    " model_id VARCHAR PRIMARY KEY,"
    " cid VARCHAR,"                  /* IPFS CID text, as given */
    " family VARCHAR, task VARCHAR, parameters BIGINT, precision VARCHAR,"
    " licence VARCHAR, source VARCHAR, description VARCHAR,"
    " registered_at TIMESTAMP NOT NULL,"
    " bytes BIGINT,"                 /* the weights file */
    " metadata VARCHAR,"             /* JSON object text */
    " model_fingerprint VARCHAR,"
    " inspected BOOLEAN NOT NULL);"
    "CREATE TABLE model_hardware_declared("
    " model_id VARCHAR NOT NULL,"
    " hardware VARCHAR NOT NULL,"    /* a device kind: cpu, cuda, qualcomm, ... */
    " supported BOOLEAN, performance_score DOUBLE,"
    " recommended_batch_size INTEGER, recommended_precision VARCHAR,"
    " PRIMARY KEY (model_id, hardware));";

static const char *const STEPS[] = {STEP_V1, STEP_V2, STEP_V3, STEP_V4, STEP_V5, STEP_V6};
#define N_STEPS ((int)(sizeof STEPS / sizeof STEPS[0]))
_Static_assert(sizeof STEPS / sizeof STEPS[0] == IA_BENCH_SCHEMA_VERSION,
               "one migration step per schema version");

/* Reads one BIGINT from a single-row query; *found = 0 on no row / NULL. */
static ia_status query_int(ia_bench_store *s, const char *sql, int64_t *v, int *found)
{
    duckdb_result res;
    ia_status st = IA_OK;
    *found = 0;
    if (duckdb_query(s->con, sql, &res) != DuckDBSuccess) {
        st = ia_error(IA_ERR_IO, "%s: reading the schema: %s", s->path, duckdb_result_error(&res));
        goto fail;
    }
    if (duckdb_row_count(&res) > 0 && duckdb_column_count(&res) > 0 && !duckdb_value_is_null(&res, 0, 0)) {
        *v = duckdb_value_int64(&res, 0, 0);
        *found = 1;
    }
fail:
    duckdb_destroy_result(&res);
    return st;
}

ia_status ia_store_migrate(ia_bench_store *s)
{
    return ia_store_migrate_to(s, IA_BENCH_SCHEMA_VERSION);
}

ia_status ia_store_migrate_to(ia_bench_store *s, int target)
{
    int64_t n_ours = 0, n_tables = 0, version = 0;
    int found = 0, in_tx = 0;
    ia_status st;
    char sql[96];

    st = query_int(s, "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database()"
                      " AND schema_name = 'main' AND table_name = 'ia_schema'", &n_ours, &found);
    if (st != IA_OK) goto fail;
    st = query_int(s, "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database()",
                   &n_tables, &found);
    if (st != IA_OK) goto fail;
    if (n_ours == 0 && n_tables > 0) {
        st = ia_error(IA_ERR_FORMAT, "%s: not an ipfs_accelerate benchmark database"
                      " (DuckDB file with %lld table(s) but no ia_schema table)", s->path, (long long)n_tables);
        goto fail;
    }
    if (n_ours > 0) {
        st = query_int(s, "SELECT max(version) FROM ia_schema", &version, &found);
        if (st != IA_OK) goto fail;
        if (!found || version < 1) {
            st = ia_error(IA_ERR_FORMAT, "%s: not an ipfs_accelerate benchmark database"
                          " (ia_schema holds no valid version)", s->path);
            goto fail;
        }
        if (version > IA_BENCH_SCHEMA_VERSION) {
            st = ia_error(IA_ERR_FORMAT, "%s: benchmark database schema version %lld is newer than this build's %d",
                          s->path, (long long)version, IA_BENCH_SCHEMA_VERSION);
            goto fail;
        }
    }
    if (version >= target) return IA_OK;

    st = ia_store_exec(s, "migrating", "BEGIN TRANSACTION");
    if (st != IA_OK) goto fail;
    in_tx = 1;
    for (int v = (int)version; v < target && v < N_STEPS; v++) {
        st = ia_store_exec(s, "migrating", STEPS[v]);
        if (st != IA_OK) goto fail;
        snprintf(sql, sizeof sql, "DELETE FROM ia_schema; INSERT INTO ia_schema VALUES (%d)", v + 1);
        st = ia_store_exec(s, "migrating", sql);
        if (st != IA_OK) goto fail;
    }
    st = ia_store_exec(s, "migrating", "COMMIT");
    if (st != IA_OK) goto fail;
    return IA_OK;

fail:
    if (in_tx) {
        duckdb_result res;
        duckdb_query(s->con, "ROLLBACK", &res); /* best effort; the error above is the one to report */
        duckdb_destroy_result(&res);
    }
    return st;
}
