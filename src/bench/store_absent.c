/*
 * store_absent.c — the benchmark store in builds without DuckDB (the
 * WebAssembly core of the JavaScript SDK: libduckdb is a native library).
 *
 * Every function fails with IA_ERR_UNSUPPORTED saying so, so that the code
 * above (the runner, device choice from measured rows) links unchanged and
 * tells the caller the truth; device choice then falls back to its
 * heuristic, which says it is one. The JavaScript SDK keeps its benchmark
 * rows in IndexedDB instead (ipfs_accelerate_js/utils/results_store.js).
 * Only scripts/build_js.sh compiles this file; native builds use store.c.
 */
#include "bench/store.h"

#include "util/error.h"

static ia_status absent(void) {
    return ia_error(IA_ERR_UNSUPPORTED, "the benchmark store (DuckDB) is not part of this build");
}

ia_status ia_bench_store_open(const char *path, ia_bench_store **out) {
    (void)path;
    *out = NULL;
    return absent();
}

ia_status ia_bench_store_open_readonly(const char *path, ia_bench_store **out) {
    (void)path;
    *out = NULL;
    return absent();
}

void ia_bench_store_close(ia_bench_store *s) { (void)s; }

ia_status ia_bench_store_begin_run(ia_bench_store *s, const ia_bench_run_info *info, int64_t *run_id) {
    (void)s, (void)info, (void)run_id;
    return absent();
}

ia_status ia_bench_store_finish_run(ia_bench_store *s, int64_t run_id, const char *status) {
    (void)s, (void)run_id, (void)status;
    return absent();
}

ia_status ia_bench_store_add_result(ia_bench_store *s, int64_t run_id, const ia_bench_result *r,
                                    const double *iteration_ms, size_t n_iterations, int64_t *result_id) {
    (void)s, (void)run_id, (void)r, (void)iteration_ms, (void)n_iterations, (void)result_id;
    return absent();
}

ia_status ia_bench_store_add_accuracy(ia_bench_store *s, int64_t result_id, const char *metric, double value,
                                      const char *reference_model, const char *dataset) {
    (void)s, (void)result_id, (void)metric, (void)value, (void)reference_model, (void)dataset;
    return absent();
}

ia_status ia_bench_store_query_json(ia_bench_store *s, const char *const *models, size_t n_models,
                                    const char *const *backends, size_t n_backends,
                                    const char *const *metrics, size_t n_metrics, const char *group_by,
                                    char **json) {
    (void)s, (void)models, (void)n_models, (void)backends, (void)n_backends;
    (void)metrics, (void)n_metrics, (void)group_by;
    *json = NULL;
    return absent();
}

ia_status ia_bench_store_export(ia_bench_store *s, const char *path, const char *format) {
    (void)s, (void)path, (void)format;
    return absent();
}

ia_status ia_bench_store_import(ia_bench_store *s, const struct ia_import_rows *rows, const char *source,
                                size_t *n_runs) {
    (void)s, (void)rows, (void)source;
    if (n_runs) *n_runs = 0;
    return absent();
}
