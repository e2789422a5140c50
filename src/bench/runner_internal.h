/*
 * runner_internal.h — what the benchmark runner's files share: the
 * embedding runner (runner.c) and the text generation runner
 * (runner_llm.c) open a model and fill a result row the same way.
 * Private to src/bench/runner*.c.
 */
#ifndef IA_BENCH_RUNNER_INTERNAL_H
#define IA_BENCH_RUNNER_INTERNAL_H

#include "bench/runner.h"
#include "util/error.h"

/* printf into a new string (caller frees with free()); NULL when out of
 * memory. */
char *ia_bench_dup_printf(const char *fmt, ...) IA_PRINTF(1, 2);

/* Replaces *field (owned by the row) with a copy of value; IA_ERR_NOMEM on
 * failure. */
ia_status ia_bench_set_str(const char **field, const char *value);

/* Opens model_ref under prof for row r: on success *out is the model (free
 * with ia_model_free) and r has its weight bytes, threads, the precision
 * that runs and the device "auto" resolved to. What this machine cannot
 * run (IA_ERR_UNAVAILABLE, IA_ERR_UNSUPPORTED, IA_ERR_NOT_FOUND) is IA_OK
 * with *out NULL and r->skipped_reason set; anything else is the error. */
ia_status ia_bench_open_model(const char *model_ref, const ia_hardware_profile *prof, ia_bench_result *r,
                              ia_model **out);

/* Where a long configuration reports its repetitions (runner.h's
 * progress contract): done configurations so far, of total. */
typedef struct ia_bench_progress {
    ia_bench_progress_fn fn; /* may be NULL */
    void *ctx;
    int done, total;
} ia_bench_progress;

/* Measures text generation of a decoder into r (initialised, kind
 * "generate"), as runner_llm.c describes. iter_ms has room for
 * cfg->gen_iterations (resolved: > 0) latencies. A configuration that
 * cannot run here sets r->skipped_reason and returns IA_OK. */
ia_status ia_bench_measure_generate(const ia_bench_config *cfg, const char *model_ref, const ia_hardware_profile *hw,
                                    ia_bench_result *r, double *iter_ms, const ia_bench_progress *progress);

#endif
