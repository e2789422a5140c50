/*
 * store.h — the benchmark store: an embedded DuckDB database (C API,
 * libduckdb) with a versioned schema of runs, hardware, results and
 * per-iteration rows. Writes are transactional: a process killed with
 * SIGKILL mid-run leaves every committed row intact and the file openable.
 */
#ifndef IA_BENCH_STORE_H
#define IA_BENCH_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "ipfs_accelerate.h"

typedef struct ia_bench_store ia_bench_store;

/* Schema version written by this build; older versions are migrated on
 * open, newer ones refused with a clear error. */
#define IA_BENCH_SCHEMA_VERSION 6

/* Opens or creates the database at path (":memory:" allowed) and migrates
 * it. A file that is not a DuckDB database, or one whose schema is newer
 * than this build or not ours, is IA_ERR_FORMAT naming the path and what
 * was found. Free with ia_bench_store_close(). */
ia_status ia_bench_store_open(const char *path, ia_bench_store **out);
void ia_bench_store_close(ia_bench_store *s); /* NULL-safe */

/* Opens an existing database for reading only: nothing is created or
 * migrated (queries, exports, reports, device choice). The schema must be
 * this build's version; anything else is IA_ERR_FORMAT saying why. */
ia_status ia_bench_store_open_readonly(const char *path, ia_bench_store **out);

/* The context of one benchmark run. */
typedef struct ia_bench_run_info {
    const char *hw_json;      /* ia_hw_report_json output */
    const char *version;      /* library version */
    const char *git_commit;   /* may be "" */
    int threads;
    const char *config_json;  /* the BenchmarkConfig as JSON */
} ia_bench_run_info;

/* Inserts a run row (and its hardware row) in its own transaction;
 * *run_id receives the new id. */
ia_status ia_bench_store_begin_run(ia_bench_store *s, const ia_bench_run_info *info, int64_t *run_id);

/* Marks a run "complete" or "failed" (begin_run writes "running"; a run
 * killed midway stays "running"). */
ia_status ia_bench_store_finish_run(ia_bench_store *s, int64_t run_id, const char *status);

/* One measured configuration. NaN in a double = not measured (stored as
 * NULL), with *_reason saying why.
 *
 * kind "embed" (NULL means it too): an embedding batch; latency is per
 * ia_model_embed call. kind "generate" (schema v5): a decoder measured as
 * llama-bench does, batch 1, seq_len = the prompt's tokens (pp), gen_tokens
 * tokens generated (tg) per repetition, latency per ia_session_generate
 * call, items_per_s and tokens_per_s NaN (the prompt and generation rates
 * below say it; device choice reads items_per_s and so never mixes the
 * two kinds). The generation figures are stored only for kind "generate"
 * (NULL on embedding rows, whatever the struct holds). */
typedef struct ia_bench_result {
    const char *model;
    const char *backend;      /* "cpu" */
    const char *precision;    /* "fp32" */
    int batch, seq_len, iterations, warmup;
    double latency_ms_mean, latency_ms_stddev, latency_ms_p50, latency_ms_p90, latency_ms_p99;
    double items_per_s, tokens_per_s;
    double rss_delta_bytes, model_bytes;
    double energy_j, power_w;
    const char *power_reason; /* when energy/power are NaN */
    const char *skipped_reason; /* non-NULL: the configuration did not run (absent hardware) */
    int64_t id;               /* row id once stored (the runner fills it), else 0 */
    const char *model_fingerprint; /* formats/model_id.h; NULL = unknown (model not found) */
    const char *machine_id;        /* hw/machine_id.c; NULL = unknown */
    /* schema v5 */
    const char *kind;              /* "embed" (NULL = "embed") or "generate" */
    int threads_used;              /* threads the model ran with; 0 = unknown (NULL) */
    int gen_tokens;                /* generate: tokens generated per repetition */
    int n_ctx;                     /* generate: the session's context in tokens */
    double prompt_tokens_per_s, prompt_tokens_per_s_stddev; /* generate: median, sample stddev */
    double gen_tokens_per_s, gen_tokens_per_s_stddev;       /* generate: median, sample stddev */
    double ttft_ms, ttft_ms_stddev;                         /* generate: time to first token */
    double kv_cache_bytes;                                  /* generate: the session's KV cache */
} ia_bench_result;

/* Inserts one result and its per-iteration latencies (may be NULL/0) in one
 * transaction; *result_id (may be NULL) receives the id. */
ia_status ia_bench_store_add_result(ia_bench_store *s, int64_t run_id, const ia_bench_result *r,
                                    const double *iteration_ms, size_t n_iterations, int64_t *result_id);

/* One accuracy figure of a stored result (schema v3): metric name, value
 * (NaN = NULL), the reference model and the dataset it was measured on. */
ia_status ia_bench_store_add_accuracy(ia_bench_store *s, int64_t result_id, const char *metric, double value,
                                      const char *reference_model, const char *dataset);

/* Results as a JSON array of objects (one per result row, joined with its
 * run), filtered by models/backends (NULL or n = 0: all) and reduced to the
 * named metrics (NULL: all columns). group_by (NULL: none) is one of
 * "model", "backend", "batch", "kind" and then rows are aggregated (mean of each
 * metric, count). Caller frees *json with free(). */
ia_status ia_bench_store_query_json(ia_bench_store *s, const char *const *models, size_t n_models,
                                    const char *const *backends, size_t n_backends,
                                    const char *const *metrics, size_t n_metrics, const char *group_by,
                                    char **json);

/* The benchmark database device choice reads and the front ends default
 * to: $IA_BENCH_DB, else ~/.cache/ipfs_accelerate/benchmark_db.duckdb —
 * never the working directory, whose contents a process does not choose.
 * create_dirs: also create the default's missing parent directories (for
 * a write). api.c. */
ia_status ia_bench_db_path(char *buf, size_t cap, int create_dirs);

/* Exports the results (joined with runs) to path as "csv" or "json"
 * (DuckDB COPY). */
ia_status ia_bench_store_export(ia_bench_store *s, const char *path, const char *format);

/* Appends rows read back from an export (import_rows.h) in one
 * transaction: each run of the file becomes a new run with a fresh id (its
 * start time, version, commit, threads and status kept), each row a result
 * with a fresh id under it. Rows of one run that disagree on the run's
 * columns, a result without model/backend/precision, an unknown kind or
 * status are IA_ERR_FORMAT naming source's line and field, checked before
 * anything is written; any failure rolls the whole import back. *n_runs
 * (may be NULL) receives the number of runs added. store_import.c. */
struct ia_import_rows;
ia_status ia_bench_store_import(ia_bench_store *s, const struct ia_import_rows *rows, const char *source,
                                size_t *n_runs);

#endif
