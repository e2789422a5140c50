/*
 * test_runner.c — src/bench/runner.c on all-MiniLM-L6-v2 (cached model):
 * cpu rows measured with consistent figures, cuda rows skipped with a
 * reason on a machine without CUDA (measured where CUDA runs), the
 * progress callback once per configuration, the synthetic text's token
 * count checked independently with the tokenizer, and the run recorded in
 * an in-memory store.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "bench/runner.h"
#include "bench/store.h"
#include "harness.h"

typedef struct {
    int calls, last_done, last_total, in_order;
} progress_log;

static void on_progress(void *ctx, int done, int total, const char *what) {
    progress_log *p = ctx;
    if (done != p->last_done + 1 || !what || !*what) p->in_order = 0;
    p->calls++;
    p->last_done = done;
    p->last_total = total;
}

static const char *const backends[] = {"cpu", "cuda"};
static const int batches[] = {1, 2};
static const int seq_lens[] = {16};

static ia_bench_config small_config(const char *const *models) {
    ia_bench_config c = {
        .models = models, .n_models = 1,
        .backends = backends, .n_backends = 2,
        .batches = batches, .n_batches = 2,
        .seq_lens = seq_lens, .n_seq_lens = 1,
        .iterations = 3, .warmup = 1, .threads = 1,
        .store_iterations = 1,
    };
    return c;
}

static void check_results(int *ia_failed_, const ia_bench_result *res, size_t n) {
    REQUIRE(n == 4);
    for (size_t i = 0; i < n; i++) {
        const ia_bench_result *r = &res[i];
        /* Order: backends outer, batches inner. */
        CHECK(!strcmp(r->backend, i < 2 ? "cpu" : "cuda"));
        CHECK(r->batch == batches[i % 2] && r->seq_len == 16);
        CHECK(!strcmp(r->precision, "fp32") && r->iterations == 3 && r->warmup == 1);
        CHECK(strstr(r->model, "all-MiniLM-L6-v2") != NULL);
        if (!strcmp(r->backend, "cuda") && r->skipped_reason) {
            CHECK_MSG(strstr(r->skipped_reason, "cuda") || strstr(r->skipped_reason, "CUDA"),
                      "cuda skipped_reason '%s'", r->skipped_reason);
            CHECK(isnan(r->latency_ms_p50) && isnan(r->items_per_s));
            continue;
        }
        CHECK_MSG(!r->skipped_reason, "%s skipped: %s", r->backend, r->skipped_reason);
        if (r->skipped_reason) continue;
        CHECK_MSG(r->latency_ms_p50 > 0, "p50 %g", r->latency_ms_p50);
        CHECK(r->latency_ms_mean > 0 && r->latency_ms_stddev >= 0);
        CHECK(r->latency_ms_p50 <= r->latency_ms_p90 && r->latency_ms_p90 <= r->latency_ms_p99);
        double want = r->batch / (r->latency_ms_mean * 1e-3);
        CHECK_MSG(fabs(r->items_per_s - want) <= 0.2 * want, "items/s %g want %g", r->items_per_s, want);
        CHECK_MSG(fabs(r->tokens_per_s - r->items_per_s * 16) <= 1e-9 * r->tokens_per_s,
                  "tokens/s %g items/s %g", r->tokens_per_s, r->items_per_s);
        /* all-MiniLM-L6-v2 safetensors: ~90 MB of fp32 weights. */
        CHECK_MSG(r->model_bytes > 80e6 && r->model_bytes < 100e6, "model bytes %g", r->model_bytes);
        CHECK(!isnan(r->rss_delta_bytes));
        if (isnan(r->energy_j))
            CHECK_MSG(r->power_reason && strlen(r->power_reason) > 10, "no energy and no reason");
        else
            CHECK(r->energy_j >= 0 && !r->power_reason);
    }
}

IA_TEST(runner_minilm_cpu_and_cuda) {
    const char *dir = ia_test_model_dir();
    REQUIRE(dir);
    const char *models[] = {dir};
    ia_bench_config cfg = small_config(models);
    progress_log pl = {0, 0, 0, 1};
    ia_bench_result *res = NULL;
    size_t n = 0;
    int64_t run_id = -1;
    CHECK_STATUS(ia_bench_run(&cfg, NULL, on_progress, &pl, &run_id, &res, &n), IA_OK);
    REQUIRE(res);
    check_results(ia_failed_, res, n);
    CHECK(run_id == 0);
    CHECK_MSG(pl.calls == 4 && pl.last_total == 4 && pl.in_order, "progress calls %d total %d",
              pl.calls, pl.last_total);
    ia_bench_results_free(res, n);
}

/* The runner's claim that the synthetic text is seq_len tokens, checked
 * with the tokenizer directly. */
IA_TEST(runner_synthetic_text_token_count) {
    const char *dir = ia_test_model_dir();
    REQUIRE(dir);
    char path[4200], text[256] = "";
    ia_tokenizer *tok = NULL;
    snprintf(path, sizeof path, "%s/tokenizer.json", dir);
    CHECK_STATUS(ia_tokenizer_open(path, &tok), IA_OK);
    REQUIRE(tok);
    for (int i = 0; i < 14; i++) strcat(text, i ? " hello" : "hello");
    int32_t ids[32];
    size_t n = 0;
    CHECK_STATUS(ia_tokenizer_encode(tok, text, 0, ids, 32, &n), IA_OK);
    CHECK_MSG(n == 16, "%zu tokens", n);
    ia_tokenizer_free(tok);
}

IA_TEST(runner_rejects_bad_config) {
    const char *models[] = {"all-MiniLM-L6-v2"};
    ia_bench_config cfg = small_config(models);
    ia_bench_result *res = (ia_bench_result *)&cfg; /* must be reset to NULL */
    size_t n = 7;
    cfg.iterations = 0;
    CHECK_STATUS(ia_bench_run(&cfg, NULL, NULL, NULL, NULL, &res, &n), IA_ERR_INVALID_ARG);
    CHECK(res == NULL && n == 0);
    cfg = small_config(models);
    static const int bad_seq[] = {1};
    cfg.seq_lens = bad_seq;
    CHECK_STATUS(ia_bench_run(&cfg, NULL, NULL, NULL, NULL, &res, &n), IA_ERR_INVALID_ARG);
    cfg = small_config(models);
    cfg.n_models = 0;
    CHECK_STATUS(ia_bench_run(&cfg, NULL, NULL, NULL, NULL, &res, &n), IA_ERR_INVALID_ARG);
    CHECK_STATUS(ia_bench_run(NULL, NULL, NULL, NULL, NULL, &res, &n), IA_ERR_INVALID_ARG);
    cfg = small_config(models);
    static const char *const empty[] = {""};
    cfg.models = empty;
    CHECK_STATUS(ia_bench_run(&cfg, NULL, NULL, NULL, NULL, &res, &n), IA_ERR_INVALID_ARG);
}

/* A model that is not here is a fact about this machine, as absent
 * hardware is: its rows are skipped with the open's reason (naming the
 * model) and have no fingerprint; the run goes on with the next model. */
IA_TEST(runner_records_a_missing_model_as_skipped) {
    const char *models[] = {"/nonexistent/model/dir", "no-such-cached-model", "all-MiniLM-L6-v2"};
    ia_bench_config cfg = small_config(models);
    ia_bench_result *res = NULL;
    size_t n = 0;
    static const int one[] = {1};
    cfg.n_models = 3;
    cfg.n_backends = 1;
    cfg.batches = one;
    cfg.n_batches = 1;
    cfg.iterations = 1;
    cfg.warmup = 0;
    CHECK_STATUS(ia_bench_run(&cfg, NULL, NULL, NULL, NULL, &res, &n), IA_OK);
    REQUIRE(res && n == 3);
    for (int i = 0; i < 2; i++) {
        CHECK_MSG(res[i].skipped_reason && strstr(res[i].skipped_reason, models[i]), "%s: %s", models[i],
                  res[i].skipped_reason ? res[i].skipped_reason : "(measured)");
        CHECK(res[i].model_fingerprint == NULL && isnan(res[i].items_per_s));
        CHECK(res[i].machine_id && strlen(res[i].machine_id) == 16);
    }
    CHECK(!res[2].skipped_reason && res[2].items_per_s > 0);
    CHECK(res[2].model_fingerprint && strlen(res[2].model_fingerprint) == 64);
    ia_bench_results_free(res, n);
}

/* Profiles are hardware entries: an int8 profile quantises the fp32 model
 * at load and the row says int8; an absent device and a precision the cpu
 * cannot run are skipped rows with the reason; an "auto" profile's row
 * names the device it ran on. Names first, then profiles. */
IA_TEST(runner_profiles_are_checked_when_their_rows_run) {
    const char *models[] = {"all-MiniLM-L6-v2"};
    static const char *const names[] = {"cpu"};
    static const int one[] = {2};
    ia_hardware_profile p[4];
    ia_bench_config cfg = small_config(models);
    ia_bench_result *res = NULL;
    size_t n = 0;
    for (int i = 0; i < 4; i++) IA_HARDWARE_PROFILE_INIT(&p[i]);
    p[0].backend = "cpu", p[0].precision = IA_PRECISION_INT8;
    p[1].backend = "cuda", p[1].precision = IA_PRECISION_FP16;
    p[2].backend = "cpu", p[2].precision = IA_PRECISION_FP16;
    p[3].backend = "auto", p[3].optimization_level = 0;
    cfg.backends = names, cfg.n_backends = 1;
    cfg.profiles = p, cfg.n_profiles = 4;
    cfg.batches = one, cfg.n_batches = 1;
    cfg.iterations = 1, cfg.warmup = 0;
    CHECK_STATUS(ia_bench_run(&cfg, NULL, NULL, NULL, NULL, &res, &n), IA_OK);
    REQUIRE(res && n == 5);
    CHECK(!strcmp(res[0].backend, "cpu") && !strcmp(res[0].precision, "fp32") && res[0].items_per_s > 0);
    CHECK_MSG(!strcmp(res[1].backend, "cpu") && !strcmp(res[1].precision, "int8") && !res[1].skipped_reason &&
                  res[1].items_per_s > 0, "%s %s %s", res[1].backend, res[1].precision,
              res[1].skipped_reason ? res[1].skipped_reason : "");
    CHECK(!strcmp(res[2].backend, "cuda") && !strcmp(res[2].precision, "fp16"));
    CHECK_MSG(res[2].skipped_reason && strstr(res[2].skipped_reason, "cuda"), "%s",
              res[2].skipped_reason ? res[2].skipped_reason : "(ran)");
    CHECK_MSG(res[3].skipped_reason && strstr(res[3].skipped_reason, "fp16"), "%s",
              res[3].skipped_reason ? res[3].skipped_reason : "(ran)");
    CHECK(!strcmp(res[3].precision, "fp16"));
    CHECK_MSG(!strcmp(res[4].backend, "cpu") && !res[4].skipped_reason, "auto ran on %s", res[4].backend);
    ia_bench_results_free(res, n);
    /* a profile no machine could honour is a bad config */
    p[0].optimization_level = 7;
    CHECK_STATUS(ia_bench_run(&cfg, NULL, NULL, NULL, NULL, &res, &n), IA_ERR_INVALID_ARG);
}

/* No backends and no profiles: every device kind that runs here, never
 * the ref oracle. */
IA_TEST(runner_defaults_to_every_usable_kind) {
    const char *models[] = {"all-MiniLM-L6-v2"};
    static const int one[] = {1};
    ia_bench_config cfg = small_config(models);
    ia_bench_result *res = NULL;
    size_t n = 0;
    cfg.n_backends = 0, cfg.backends = NULL;
    cfg.batches = one, cfg.n_batches = 1;
    cfg.iterations = 1, cfg.warmup = 0;
    CHECK_STATUS(ia_bench_run(&cfg, NULL, NULL, NULL, NULL, &res, &n), IA_OK);
    REQUIRE(res && n >= 1);
    for (size_t i = 0; i < n; i++) CHECK_MSG(strcmp(res[i].backend, "ref") != 0, "ref is a default device");
    CHECK(!strcmp(res[0].backend, "cpu") && res[0].items_per_s > 0);
    ia_bench_results_free(res, n);
}

IA_TEST(runner_config_json) {
    const char *models[] = {"m1"};
    ia_bench_config cfg = small_config(models);
    char *j = ia_bench_config_json(&cfg);
    REQUIRE(j);
    cJSON *o = cJSON_Parse(j);
    CHECK(o);
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(o, "backends")) == 2);
    CHECK(cJSON_GetObjectItem(o, "iterations")->valueint == 3);
    CHECK(cJSON_IsTrue(cJSON_GetObjectItem(o, "store_iterations")));
    cJSON_Delete(o);
    free(j);
}

IA_TEST(runner_records_in_store) {
    const char *dir = ia_test_model_dir();
    REQUIRE(dir);
    const char *models[] = {dir};
    ia_bench_config cfg = small_config(models);
    static const int one_batch[] = {1};
    cfg.batches = one_batch;
    cfg.n_batches = 1;
    ia_bench_store *store = NULL;
    ia_bench_result *res = NULL;
    size_t n = 0;
    int64_t run_id = 0;
    char *json = NULL;
    CHECK_STATUS(ia_bench_store_open(":memory:", &store), IA_OK);
    REQUIRE(store);
    CHECK_STATUS(ia_bench_run(&cfg, store, NULL, NULL, &run_id, &res, &n), IA_OK);
    CHECK(n == 2 && run_id > 0);
    CHECK_STATUS(ia_bench_store_query_json(store, NULL, 0, NULL, 0, NULL, 0, NULL, &json), IA_OK);
    if (json) {
        cJSON *rows = cJSON_Parse(json);
        CHECK_MSG(cJSON_IsArray(rows) && cJSON_GetArraySize(rows) == 2, "rows: %.300s", json);
        int cpu_rows = 0;
        cJSON *row;
        cJSON_ArrayForEach(row, rows) {
            cJSON *b = cJSON_GetObjectItem(row, "backend");
            if (cJSON_IsString(b) && !strcmp(b->valuestring, "cpu")) {
                cpu_rows++;
                cJSON *p50 = cJSON_GetObjectItem(row, "latency_ms_p50");
                CHECK_MSG(cJSON_IsNumber(p50) && fabs(p50->valuedouble - res[0].latency_ms_p50) < 1e-6,
                          "stored p50 vs %g", res[0].latency_ms_p50);
            }
        }
        CHECK(cpu_rows == 1);
        cJSON_Delete(rows);
    }
    free(json);
    ia_bench_results_free(res, n);
    ia_bench_store_close(store);
}

/* Progress of a generation configuration: repetitions with done held,
 * then the configuration itself. */
typedef struct {
    int reps, rows, last_done;
} gen_progress;

static void on_gen_progress(void *ctx, int done, int total, const char *what) {
    gen_progress *p = ctx;
    (void)total;
    if (strstr(what, "repetition")) p->reps += done == 0;
    else if (!strstr(what, "warm-up") && !strstr(what, "prompt")) p->rows++;
    p->last_done = done;
}

/* A decoder (SmolLM2, found by its family, not by a flag) gets one
 * "generate" row per hardware entry whatever the batches and seq_lens:
 * the prompt exactly prompt_tokens, the figures consistent with each
 * other, the KV cache what the context holds, and the row stored with its
 * repetitions. */
IA_TEST(runner_measures_a_decoder_as_pp_tg) {
    const char *models[] = {"smollm2"};
    static const char *const cpu[] = {"cpu", "cuda"};
    ia_bench_config cfg = small_config(models);
    ia_bench_store *store = NULL;
    ia_bench_result *res = NULL;
    gen_progress gp = {0, 0, -1};
    size_t n = 0;
    int64_t run_id = 0;
    char *json = NULL;
    char dir[4096];
    if (ia_model_resolve("smollm2", dir, sizeof dir) != IA_OK) SKIP("smollm2 is not in the model cache (scripts/setup.sh)");
    cfg.backends = cpu, cfg.n_backends = 2;
    cfg.threads = 2;
    cfg.prompt_tokens = 24, cfg.gen_tokens = 6, cfg.gen_iterations = 3, cfg.gen_warmup = 1;
    CHECK_STATUS(ia_bench_store_open(":memory:", &store), IA_OK);
    REQUIRE(store);
    CHECK_STATUS(ia_bench_run(&cfg, store, on_gen_progress, &gp, &run_id, &res, &n), IA_OK);
    REQUIRE(res && n == 2); /* one row per device, not batches x seq_lens */
    const ia_bench_result *r = &res[0];
    CHECK(!strcmp(r->kind, "generate") && !strcmp(r->backend, "cpu"));
    CHECK_MSG(!r->skipped_reason, "skipped: %s", r->skipped_reason);
    CHECK(r->batch == 1 && r->seq_len == 24 && r->gen_tokens == 6 && r->iterations == 3 && r->warmup == 1);
    CHECK(r->n_ctx == 24 + 6 + 1 && r->threads_used == 2);
    CHECK_MSG(r->prompt_tokens_per_s > 0 && r->gen_tokens_per_s > 0 && r->ttft_ms > 0, "pp %g tg %g ttft %g",
              r->prompt_tokens_per_s, r->gen_tokens_per_s, r->ttft_ms);
    CHECK(r->prompt_tokens_per_s_stddev >= 0 && r->gen_tokens_per_s_stddev >= 0 && r->ttft_ms_stddev >= 0);
    /* the first token comes after the prompt: TTFT >= the prefill time */
    CHECK_MSG(r->ttft_ms >= 0.5 * 1e3 * 24 / r->prompt_tokens_per_s, "ttft %g pp %g", r->ttft_ms,
              r->prompt_tokens_per_s);
    /* a whole call holds the prefill and the tg decodes */
    CHECK_MSG(r->latency_ms_p50 >= 0.5 * 1e3 * 6 / r->gen_tokens_per_s, "p50 %g tg %g", r->latency_ms_p50,
              r->gen_tokens_per_s);
    /* SmolLM2-135M: 30 layers, 3 KV heads x 64, K and V in f32, 31 positions */
    CHECK_MSG(r->kv_cache_bytes == 30.0 * 31 * 2 * 3 * 64 * 4, "kv %g", r->kv_cache_bytes);
    CHECK(isnan(r->items_per_s) && strcmp(r->precision, "fp32") != 0);
    CHECK(r->model_fingerprint && strlen(r->model_fingerprint) == 64);
    CHECK(!strcmp(res[1].backend, "cuda") && (res[1].skipped_reason || res[1].gen_tokens_per_s > 0));
    CHECK_MSG(gp.reps == 3 && gp.rows == 2 && gp.last_done == 2, "reps %d rows %d done %d", gp.reps, gp.rows,
              gp.last_done);
    CHECK_STATUS(ia_bench_store_query_json(store, NULL, 0, NULL, 0, NULL, 0, NULL, &json), IA_OK);
    CHECK_MSG(json && strstr(json, "\"kind\":\"generate\"") && strstr(json, "\"gen_tokens\":6"), "%.400s",
              json ? json : "(null)");
    free(json);
    ia_bench_results_free(res, n);
    ia_bench_store_close(store);
}
