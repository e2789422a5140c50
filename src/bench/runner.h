/*
 * runner.h — the benchmark runner (the seed's BenchmarkConfig and
 * BenchmarkRunner): measures embedding latency, throughput, memory and
 * energy for every model x backend x batch x seq_len, and records the run
 * in the benchmark store when one is given.
 *
 * Why through the public API only (ia_model_open_profile, ia_model_embed):
 * the figures must be what a user of the library gets, including the
 * profile checks, not what an internal shortcut would get.
 */
#ifndef IA_BENCH_RUNNER_H
#define IA_BENCH_RUNNER_H

#include <stddef.h>
#include <stdint.h>

#include "bench/store.h"
#include "ipfs_accelerate.h"

/* What to measure. Arrays are borrowed for the duration of ia_bench_run. */
typedef struct ia_bench_config {
    const char *const *models;   /* directories or cached names */
    size_t n_models;
    const char *const *backends; /* "cpu", "cuda", ... */
    size_t n_backends;
    const int *batches;          /* texts per ia_model_embed call, >= 1 */
    size_t n_batches;
    const int *seq_lens;         /* tokens per text incl. [CLS]/[SEP], >= 2 */
    size_t n_seq_lens;
    int iterations;              /* timed calls per configuration, >= 1 */
    int warmup;                  /* untimed calls before them, >= 0 */
    int threads;                 /* profile.threads; 0 = one per CPU */
    int store_iterations;        /* nonzero: store every iteration's latency */
    int verbose;                 /* nonzero: one line per configuration on stderr */
    const ia_hardware_profile *profiles; /* more hardware entries, full-size structs */
    size_t n_profiles;
    /* Decoders (a model whose family generates text: llama) run one
     * configuration per hardware entry instead of batches x seq_lens, as
     * llama-bench's pp/tg (runner_llm.c). 0 = the default in brackets. */
    int prompt_tokens;           /* tokens of the prompt, pp [512] */
    int gen_tokens;              /* tokens generated after it, tg [128] */
    int gen_iterations;          /* timed repetitions [5, llama-bench's -r] */
    int gen_warmup;              /* untimed full repetitions first (0 = none; the
                                    prompt calibration still warms the prefill) */
} ia_bench_config;

#define IA_BENCH_DEFAULT_PROMPT 512
#define IA_BENCH_DEFAULT_GEN 128
#define IA_BENCH_DEFAULT_GEN_ITERATIONS 5

/* Progress callback: called once per configuration after it is measured
 * (or skipped), done = 1..total, what = "model device precision batch=B
 * seq=S" (embedding) or "model device precision pp=P tg=G" (generation)
 * (borrowed for the call). A generation configuration, which takes
 * seconds to minutes, also calls it before each of its warm-up and timed
 * repetitions with done = the configurations finished so far and what
 * naming the repetition ("repetition 2/5: model device pp=P tg=G"). */
typedef void (*ia_bench_progress_fn)(void *ctx, int done, int total, const char *what);

/* The hardware entries of a run: every backend name (its default profile
 * with cfg->threads), then every profile; with neither, every device kind
 * that runs here except the ref oracle (hw/hw.h ia_hw_usable_kinds).
 *
 * Runs every configuration in the order models, hardware entries,
 * batches, seq_lens (outermost first) and returns one result per
 * configuration.
 *
 * Each configuration opens the model with ia_model_open_profile under the
 * entry's profile (threads 0 = cfg->threads; a profile asking int8, int4
 * or int2 of an fp32 model quantises it at load), records the precision
 * the model really runs at and the device it really runs on ("auto"
 * resolved), embeds a batch of synthetic texts of exactly seq_len
 * tokens (see runner.c), runs warmup then iterations timed calls
 * (CLOCK_MONOTONIC), and fills latency stats (stats.h: numpy "linear"
 * percentiles), items/s = batch / mean latency, tokens/s = batch * seq_len
 * / mean latency, the peak-RSS growth across load + run, the weight bytes,
 * and RAPL energy/power or power_reason (power.h). Every row carries the
 * model's fingerprint (formats/model_id.h) and this machine's id
 * (hw/hw.h), which is what device choice matches rows by.
 *
 * A model whose family is a decoder (models/model.h: ia_model_peek_family,
 * read from its config before it is opened) is measured by
 * ia_bench_measure_generate instead: one row of kind "generate" per
 * hardware entry (batches and seq_lens do not apply).
 *
 * What this machine cannot run is a result with skipped_reason = the
 * library's message, not an error of the run: a device the profile asks
 * for that is absent (IA_ERR_UNAVAILABLE), a precision or model family it
 * cannot run (IA_ERR_UNSUPPORTED), a model that is not here
 * (IA_ERR_NOT_FOUND: not in the cache, no such directory), a seq_len the
 * model cannot take. Any other failure (a malformed model, embed failing)
 * ends the run with that status and frees what it made.
 *
 * store (may be NULL): a run row is begun first (hardware report, version,
 * $IA_GIT_COMMIT or "", threads, the config as JSON) and each result is
 * added as it is measured (with per-iteration latencies when
 * cfg->store_iterations), so a run killed midway keeps what it measured;
 * *run_id (may be NULL) receives the run's id, 0 without a store.
 *
 * progress (may be NULL) with ctx.
 * *results: caller frees with ia_bench_results_free(*results, *n_results);
 * its strings are owned by the array. On failure *results = NULL, 0. */
ia_status ia_bench_run(const ia_bench_config *cfg, ia_bench_store *store, ia_bench_progress_fn progress,
                       void *ctx, int64_t *run_id, ia_bench_result **results, size_t *n_results);

/* Frees results of ia_bench_run and the strings in them. NULL-safe. */
void ia_bench_results_free(ia_bench_result *results, size_t n);

/* Validates a configuration (what ia_bench_run checks first). */
ia_status ia_bench_check_config(const ia_bench_config *cfg);

/* The config as a JSON object (what the store records). Caller frees with
 * free(); NULL when out of memory. */
char *ia_bench_config_json(const ia_bench_config *cfg);

#endif
