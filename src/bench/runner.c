/*
 * runner.c — the benchmark runner: one measured (or skipped) result per
 * model x backend x batch x seq_len, optionally recorded in the store.
 *
 * Synthetic input: for a BERT WordPiece model, the text "hello hello ..."
 * with seq_len - 2 words is exactly seq_len tokens: "hello" is one token
 * in the uncased BERT vocabulary that all-MiniLM-L6-v2 uses, and [CLS] +
 * [SEP] add 2. The count is checked with the model's own tokenizer
 * (tokenizer.json) before measuring; a model whose tokenizer splits the
 * word differently gets a skipped result saying so, never a silently
 * different sequence length. Every text of a batch is the same, so the
 * padded batch is exactly batch x seq_len with no padding.
 */
#include "bench/runner.h"
#include "bench/runner_internal.h"
#include "util/clock.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "bench/power.h"
#include "bench/stats.h"
#include "formats/model_id.h"
#include "models/model.h"
#include "hw/hw.h"
#include "util/error.h"

#define SYNTH_WORD "hello"

char *ia_bench_dup_printf(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return NULL;
    char *s = malloc((size_t)n + 1);
    if (!s) return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

/* SYNTH_WORD repeated seq_len - 2 times, space-separated (see the file
 * comment). NULL when out of memory. */
static char *synthetic_text(int seq_len) {
    size_t words = (size_t)(seq_len - 2), wl = strlen(SYNTH_WORD);
    char *t = malloc(words * (wl + 1) + 1), *p = t;
    if (!t) return NULL;
    for (size_t i = 0; i < words; i++) {
        if (i) *p++ = ' ';
        memcpy(p, SYNTH_WORD, wl);
        p += wl;
    }
    *p = 0;
    return t;
}

/* Checks that text is seq_len tokens with the model's tokenizer.json.
 * Returns NULL if so (or if the model has no tokenizer we can read: the
 * count is then unverified), else a reason (caller frees with free()).
 * *nomem is set when an allocation failed. */
static char *token_count_mismatch(const char *model_ref, const char *text, int seq_len, int *nomem) {
    char dir[4096], path[4200];
    ia_tokenizer *tok = NULL;
    char *why = NULL;
    size_t n = 0;
    int32_t ids[8];
    if (ia_model_resolve(model_ref, dir, sizeof dir) != IA_OK) goto fail;
    snprintf(path, sizeof path, "%s/tokenizer.json", dir);
    if (ia_tokenizer_open(path, &tok) != IA_OK) goto fail;
    if (ia_tokenizer_encode(tok, text, 0, ids, sizeof ids / sizeof ids[0], &n) != IA_OK) goto fail;
    if (n != (size_t)seq_len) {
        why = ia_bench_dup_printf("synthetic text of %d x \"" SYNTH_WORD "\" is %zu tokens with this "
                         "model's tokenizer, not seq_len %d (truncation or a different vocabulary)",
                         seq_len - 2, n, seq_len);
        if (!why) *nomem = 1;
    }
fail:
    ia_tokenizer_free(tok);
    return why;
}

/* A result row with every figure NaN ("not measured"). */
static ia_status result_init(ia_bench_result *r, const char *model, const char *backend,
                             const char *precision, int batch, int seq_len, const ia_bench_config *cfg,
                             const char *fingerprint, const char *machine) {
    memset(r, 0, sizeof *r);
    r->model = strdup(model);
    r->backend = strdup(backend);
    r->precision = strdup(precision);
    r->model_fingerprint = fingerprint ? strdup(fingerprint) : NULL;
    r->machine_id = machine ? strdup(machine) : NULL;
    r->batch = batch;
    r->seq_len = seq_len;
    r->iterations = cfg->iterations;
    r->warmup = cfg->warmup;
    r->latency_ms_mean = r->latency_ms_stddev = NAN;
    r->latency_ms_p50 = r->latency_ms_p90 = r->latency_ms_p99 = NAN;
    r->items_per_s = r->tokens_per_s = NAN;
    r->rss_delta_bytes = r->model_bytes = NAN;
    r->energy_j = r->power_w = NAN;
    r->prompt_tokens_per_s = r->prompt_tokens_per_s_stddev = NAN;
    r->gen_tokens_per_s = r->gen_tokens_per_s_stddev = NAN;
    r->ttft_ms = r->ttft_ms_stddev = r->kv_cache_bytes = NAN;
    r->kind = "embed"; /* a constant: result_clear does not free it */
    if (!r->model || !r->backend || !r->precision || (fingerprint && !r->model_fingerprint) ||
        (machine && !r->machine_id))
        return ia_error(IA_ERR_NOMEM, "bench: result strings");
    return IA_OK;
}

static void result_clear(ia_bench_result *r) {
    free((void *)r->model);
    free((void *)r->backend);
    free((void *)r->precision);
    free((void *)r->power_reason);
    free((void *)r->skipped_reason);
    free((void *)r->model_fingerprint);
    free((void *)r->machine_id);
    memset(r, 0, sizeof *r);
}

void ia_bench_results_free(ia_bench_result *results, size_t n) {
    if (!results) return;
    for (size_t i = 0; i < n; i++) result_clear(&results[i]);
    free(results);
}

ia_status ia_bench_set_str(const char **field, const char *value) {
    char *p = strdup(value);
    if (!p) return ia_error(IA_ERR_NOMEM, "bench: result strings");
    free((void *)*field);
    *field = p;
    return IA_OK;
}

ia_status ia_bench_open_model(const char *model_ref, const ia_hardware_profile *prof, ia_bench_result *r,
                              ia_model **out) {
    ia_model *model = NULL;
    ia_status st = ia_model_open_profile(model_ref, prof, &model);
    *out = NULL;
    if (st == IA_ERR_UNAVAILABLE || st == IA_ERR_UNSUPPORTED || st == IA_ERR_NOT_FOUND) {
        /* Absent hardware, a precision or family it cannot run, a model
         * that is not here: recorded facts about this machine. */
        const char *msg = ia_last_error();
        r->skipped_reason = ia_bench_dup_printf("%s", msg && *msg ? msg : ia_status_str(st));
        return r->skipped_reason ? IA_OK : ia_error(IA_ERR_NOMEM, "bench: skip reason");
    }
    if (st != IA_OK) return ia_error_prefix(st, "bench %s on %s", model_ref, r->backend);
    r->model_bytes = (double)ia_model_weight_bytes(model);
    r->threads_used = ia_model_threads(model);
    /* What really ran: the model's widths (a quantised file, or weights
     * quantised at load for an int profile) and the device "auto" chose. */
    if ((st = ia_bench_set_str(&r->precision, ia_model_precision(model))) != IA_OK) goto fail;
    if (strcmp(prof->backend ? prof->backend : "auto", "auto") == 0) {
        char dev[64];
        if (prof->device_index) snprintf(dev, sizeof dev, "%s:%d", ia_model_device(model), prof->device_index);
        else snprintf(dev, sizeof dev, "%s", ia_model_device(model));
        if ((st = ia_bench_set_str(&r->backend, dev)) != IA_OK) goto fail;
    }
    *out = model;
    return IA_OK;
fail:
    ia_model_free(model);
    return st;
}

/* Measures one configuration into r (already initialised). iter_ms has
 * room for cfg->iterations latencies. A configuration that cannot run
 * here sets r->skipped_reason and returns IA_OK. */
static ia_status measure_one(const ia_bench_config *cfg, const char *model_ref, const ia_hardware_profile *hw,
                             int batch, int seq_len, ia_bench_result *r, double *iter_ms) {
    ia_status st = IA_OK;
    ia_model *model = NULL;
    char *text = NULL;
    const char **texts = NULL;
    float *out = NULL;
    int nomem = 0;
    int64_t rss0 = -1, rss1 = -1, hwm1 = -1;

    ia_hardware_profile prof = *hw;
    if (!prof.threads) prof.threads = cfg->threads;

    int peak_reset = ia_bench_rss_reset_peak() == 0;
    if (ia_bench_rss(&rss0, NULL) != IA_OK) rss0 = -1;

    if ((st = ia_bench_open_model(model_ref, &prof, r, &model)) != IA_OK || !model) goto fail;
    if (seq_len > ia_model_max_tokens(model)) {
        r->skipped_reason = ia_bench_dup_printf("seq_len %d exceeds the %d tokens %s takes", seq_len,
                                       ia_model_max_tokens(model), ia_model_name(model));
        st = r->skipped_reason ? IA_OK : ia_error(IA_ERR_NOMEM, "bench: skip reason");
        goto fail;
    }

    text = synthetic_text(seq_len);
    texts = malloc((size_t)batch * sizeof *texts);
    out = malloc((size_t)batch * (size_t)ia_model_dim(model) * sizeof *out);
    if (!text || !texts || !out) {
        st = ia_error(IA_ERR_NOMEM, "bench: batch of %d", batch);
        goto fail;
    }
    for (int i = 0; i < batch; i++) texts[i] = text;
    r->skipped_reason = token_count_mismatch(model_ref, text, seq_len, &nomem);
    if (nomem) {
        st = ia_error(IA_ERR_NOMEM, "bench: skip reason");
        goto fail;
    }
    if (r->skipped_reason) goto fail;

    for (int i = 0; i < cfg->warmup; i++)
        if ((st = ia_model_embed(model, texts, (size_t)batch, out)) != IA_OK) goto embed_failed;

    ia_bench_power pw;
    ia_bench_power_start(&pw);
    for (int i = 0; i < cfg->iterations; i++) {
        double t0 = ia_now_sec();
        if ((st = ia_model_embed(model, texts, (size_t)batch, out)) != IA_OK) goto embed_failed;
        iter_ms[i] = 1e3 * (ia_now_sec() - t0);
    }
    if (ia_bench_power_stop(&pw, &r->energy_j, &r->power_w) != IA_OK &&
        !(r->power_reason = strdup(pw.reason))) {
        st = ia_error(IA_ERR_NOMEM, "bench: power reason");
        goto fail;
    }

    ia_bench_stats s;
    if ((st = ia_bench_stats_compute(iter_ms, (size_t)cfg->iterations, &s)) != IA_OK) goto fail;
    r->latency_ms_mean = s.mean;
    r->latency_ms_stddev = s.stddev;
    r->latency_ms_p50 = s.p50;
    r->latency_ms_p90 = s.p90;
    r->latency_ms_p99 = s.p99;
    /* Totals over the timed iterations: wall = sum of latencies. */
    double wall_s = s.mean * 1e-3 * (double)cfg->iterations;
    r->items_per_s = ia_bench_rate((double)batch * cfg->iterations, wall_s);
    r->tokens_per_s = ia_bench_rate((double)batch * seq_len * cfg->iterations, wall_s);

    /* Peak growth across load + run when the peak could be reset, else the
     * growth still resident at the end. */
    if (rss0 >= 0 && ia_bench_rss(&rss1, &hwm1) == IA_OK)
        r->rss_delta_bytes = (double)((peak_reset ? hwm1 : rss1) - rss0);
    goto fail;

embed_failed:
    st = ia_error_prefix(st, "bench %s on %s batch %d seq_len %d", model_ref, r->backend, batch, seq_len);
fail:
    ia_model_free(model);
    free(out);
    free(texts);
    free(text);
    return st;
}

static int add_int_array(cJSON *o, const char *key, const int *v, size_t n) {
    cJSON *a = cJSON_AddArrayToObject(o, key);
    if (!a) return -1;
    for (size_t i = 0; i < n; i++) {
        cJSON *x = cJSON_CreateNumber(v[i]);
        if (!x || !cJSON_AddItemToArray(a, x)) {
            cJSON_Delete(x);
            return -1;
        }
    }
    return 0;
}

static int add_str_array(cJSON *o, const char *key, const char *const *v, size_t n) {
    cJSON *a = cJSON_AddArrayToObject(o, key);
    if (!a) return -1;
    for (size_t i = 0; i < n; i++) {
        cJSON *x = cJSON_CreateString(v[i] ? v[i] : "");
        if (!x || !cJSON_AddItemToArray(a, x)) {
            cJSON_Delete(x);
            return -1;
        }
    }
    return 0;
}

/* The run's hardware entries (see runner.h): *out (caller frees with
 * free()) holds full profiles whose backend strings are borrowed from cfg
 * or the registry. */
static ia_status hardware_entries(const ia_bench_config *cfg, ia_hardware_profile **out, size_t *n) {
    const ia_backend_ops *usable[16];
    size_t k = 0, total = cfg->n_backends + cfg->n_profiles;
    int n_usable = 0;
    ia_hardware_profile *h;
    if (total == 0) total = (size_t)(n_usable = ia_hw_usable_kinds(usable, 16));
    *out = NULL;
    *n = 0;
    if (total == 0) return ia_error(IA_ERR_UNAVAILABLE, "bench: no device kind runs models here");
    if (!(h = calloc(total, sizeof *h))) return ia_error(IA_ERR_NOMEM, "bench: hardware entries");
    for (size_t i = 0; i < cfg->n_backends; i++, k++) {
        IA_HARDWARE_PROFILE_INIT(&h[k]);
        h[k].backend = cfg->backends[i];
    }
    for (size_t i = 0; i < cfg->n_profiles; i++, k++) h[k] = cfg->profiles[i];
    for (int i = 0; i < n_usable; i++, k++) {
        IA_HARDWARE_PROFILE_INIT(&h[k]);
        h[k].backend = usable[i]->name;
    }
    *out = h;
    *n = k;
    return IA_OK;
}

/* "cuda" for device 0, "cuda:1" otherwise: how rows name the device. */
static void entry_label(const ia_hardware_profile *p, char *buf, size_t cap) {
    const char *b = p->backend ? p->backend : "auto";
    if (p->device_index) snprintf(buf, cap, "%s:%d", b, p->device_index);
    else snprintf(buf, cap, "%s", b);
}

static int add_hardware(cJSON *o, const ia_bench_config *cfg) {
    ia_hardware_profile *h = NULL;
    size_t n = 0;
    cJSON *a;
    int rc = -1;
    if (hardware_entries(cfg, &h, &n) != IA_OK) {
        ia_error_clear();
        return cJSON_AddArrayToObject(o, "hardware") ? 0 : -1;
    }
    if (!(a = cJSON_AddArrayToObject(o, "hardware"))) goto done;
    for (size_t i = 0; i < n; i++) {
        cJSON *e = cJSON_CreateObject();
        if (!e || !cJSON_AddItemToArray(a, e)) {
            cJSON_Delete(e);
            goto done;
        }
        if (!cJSON_AddStringToObject(e, "backend", h[i].backend ? h[i].backend : "auto") ||
            !cJSON_AddNumberToObject(e, "device_index", h[i].device_index) ||
            !cJSON_AddStringToObject(e, "precision", ia_precision_name(h[i].precision)) ||
            !cJSON_AddNumberToObject(e, "memory_limit_bytes", (double)h[i].memory_limit_bytes) ||
            !cJSON_AddNumberToObject(e, "threads", h[i].threads ? h[i].threads : cfg->threads) ||
            !cJSON_AddNumberToObject(e, "optimization_level", h[i].optimization_level))
            goto done;
    }
    rc = 0;
done:
    free(h);
    return rc;
}

char *ia_bench_config_json(const ia_bench_config *cfg) {
    char *json = NULL;
    cJSON *o = cJSON_CreateObject();
    if (!o) goto fail;
    if (add_str_array(o, "models", cfg->models, cfg->n_models) ||
        add_str_array(o, "backends", cfg->backends, cfg->n_backends) ||
        add_hardware(o, cfg) ||
        add_int_array(o, "batches", cfg->batches, cfg->n_batches) ||
        add_int_array(o, "seq_lens", cfg->seq_lens, cfg->n_seq_lens) ||
        !cJSON_AddNumberToObject(o, "iterations", cfg->iterations) ||
        !cJSON_AddNumberToObject(o, "warmup", cfg->warmup) ||
        !cJSON_AddNumberToObject(o, "threads", cfg->threads) ||
        !cJSON_AddBoolToObject(o, "store_iterations", cfg->store_iterations != 0) ||
        !cJSON_AddNumberToObject(o, "prompt_tokens", cfg->prompt_tokens) ||
        !cJSON_AddNumberToObject(o, "gen_tokens", cfg->gen_tokens) ||
        !cJSON_AddNumberToObject(o, "gen_iterations", cfg->gen_iterations) ||
        !cJSON_AddNumberToObject(o, "gen_warmup", cfg->gen_warmup))
        goto fail;
    json = cJSON_PrintUnformatted(o);
    /* cJSON allocates with malloc unless cJSON_InitHooks was called; we
     * never call it, so the caller's free() matches. */
fail:
    cJSON_Delete(o);
    return json;
}

ia_status ia_bench_check_config(const ia_bench_config *cfg) {
    if (!cfg || !cfg->models || !cfg->n_models || (cfg->n_backends && !cfg->backends) ||
        (cfg->n_profiles && !cfg->profiles) || !cfg->batches || !cfg->n_batches || !cfg->seq_lens ||
        !cfg->n_seq_lens)
        return ia_error(IA_ERR_INVALID_ARG, "bench: config needs models, batches and seq_lens (backends and "
                        "profiles may be empty: every device kind that runs here)");
    if (cfg->iterations < 1 || cfg->warmup < 0 || cfg->threads < 0)
        return ia_error(IA_ERR_INVALID_ARG, "bench: iterations %d (>= 1), warmup %d, threads %d (>= 0)",
                        cfg->iterations, cfg->warmup, cfg->threads);
    /* 0 = the default (runner.h); the sum must fit a context */
    if (cfg->prompt_tokens < 0 || cfg->prompt_tokens > (1 << 20) || cfg->gen_tokens < 0 ||
        cfg->gen_tokens > (1 << 20) || cfg->gen_iterations < 0 || cfg->gen_iterations > 1000000 ||
        cfg->gen_warmup < 0 || cfg->gen_warmup > 1000000)
        return ia_error(IA_ERR_INVALID_ARG, "bench: prompt_tokens %d, gen_tokens %d (1..2^20), gen_iterations %d "
                        "(>= 1) or gen_warmup %d (>= 0) out of range", cfg->prompt_tokens, cfg->gen_tokens,
                        cfg->gen_iterations, cfg->gen_warmup);
    for (size_t i = 0; i < cfg->n_models; i++)
        if (!cfg->models[i] || !cfg->models[i][0])
            return ia_error(IA_ERR_INVALID_ARG, "bench: model %zu is NULL or empty", i);
    for (size_t i = 0; i < cfg->n_backends; i++)
        if (!cfg->backends[i]) return ia_error(IA_ERR_INVALID_ARG, "bench: backend %zu is NULL", i);
    /* A profile describes hardware that may be absent (that is a skipped
     * row); only a profile no machine could honour is refused here. */
    for (size_t i = 0; i < cfg->n_profiles; i++) {
        const ia_hardware_profile *p = &cfg->profiles[i];
        if ((unsigned)p->precision > IA_PRECISION_INT2 || p->device_index < 0 || p->device_index > 1024 ||
            p->threads < 0 || p->threads > 1024 || p->optimization_level < 0 || p->optimization_level > 3 ||
            p->memory_limit_bytes < 0)
            return ia_error(IA_ERR_INVALID_ARG, "bench: profile %zu: precision %d, device %d, threads %d, "
                            "optimization_level %d or memory limit %lld out of range", i, (int)p->precision,
                            p->device_index, p->threads, p->optimization_level, (long long)p->memory_limit_bytes);
    }
    for (size_t i = 0; i < cfg->n_batches; i++)
        if (cfg->batches[i] < 1)
            return ia_error(IA_ERR_INVALID_ARG, "bench: batch %d (must be >= 1)", cfg->batches[i]);
    for (size_t i = 0; i < cfg->n_seq_lens; i++)
        if (cfg->seq_lens[i] < 2)
            return ia_error(IA_ERR_INVALID_ARG, "bench: seq_len %d (must be >= 2: [CLS] and [SEP])",
                            cfg->seq_lens[i]);
    /* total configurations must fit the progress callback's int */
    double total = (double)cfg->n_models * (double)(cfg->n_backends + cfg->n_profiles + 16) *
                   (double)cfg->n_batches * (double)cfg->n_seq_lens;
    if (total > 1e6) return ia_error(IA_ERR_INVALID_ARG, "bench: %.0f configurations", total);
    return IA_OK;
}

#ifndef IA_BUILD_COMMIT
#define IA_BUILD_COMMIT "" /* builds outside CMake (the wasm32 check) */
#endif

static ia_status begin_run(const ia_bench_config *cfg, ia_bench_store *store, int64_t *run_id) {
    ia_status st;
    char *hw = NULL, *config = NULL;
    /* The commit the library was built from (CMake records it); the
     * environment may override it for builds outside a git checkout. */
    const char *commit = getenv("IA_GIT_COMMIT") ? getenv("IA_GIT_COMMIT") : IA_BUILD_COMMIT;
    if ((st = ia_hw_report_json(IA_HW_NO_BENCH, cfg->threads, &hw)) != IA_OK) goto fail;
    if (!(config = ia_bench_config_json(cfg))) {
        st = ia_error(IA_ERR_NOMEM, "bench: config JSON");
        goto fail;
    }
    ia_bench_run_info info = {
        .hw_json = hw,
        .version = ia_version(),
        .git_commit = commit ? commit : "",
        .threads = cfg->threads,
        .config_json = config,
    };
    st = ia_bench_store_begin_run(store, &info, run_id);
fail:
    ia_free(hw);
    free(config);
    return st;
}

/* 1 when model_ref's family is a decoder (measured by
 * ia_bench_measure_generate), read from its config; a model that is not
 * here or not readable is 0: the embedding path records why it cannot
 * run. */
static int is_decoder(const char *model_ref) {
    const ia_family *fam = NULL;
    if (ia_model_peek_family(model_ref, &fam) != IA_OK) {
        ia_error_clear();
        return 0;
    }
    return fam && fam->kind == IA_FAMILY_DECODER;
}

/* Stores row r (with its iterations when asked and measured) and reports
 * it. */
static ia_status finish_row(const ia_bench_config *cfg, ia_bench_store *store, int64_t rid, ia_bench_result *r,
                            const double *iter_ms, int n_iter, const char *what) {
    ia_status st;
    if (store) {
        int with_iters = cfg->store_iterations && !r->skipped_reason;
        st = ia_bench_store_add_result(store, rid, r, with_iters ? iter_ms : NULL, with_iters ? (size_t)n_iter : 0,
                                       &r->id);
        if (st != IA_OK) return st;
    }
    if (cfg->verbose) {
        if (r->skipped_reason)
            fprintf(stderr, "bench: %s: skipped: %s\n", what, r->skipped_reason);
        else if (r->kind && !strcmp(r->kind, "generate"))
            fprintf(stderr, "bench: %s: pp %.1f tokens/s, tg %.1f tokens/s, first token %.1f ms\n", what,
                    r->prompt_tokens_per_s, r->gen_tokens_per_s, r->ttft_ms);
        else
            fprintf(stderr, "bench: %s: p50 %.3f ms, %.1f items/s, %.0f tokens/s\n", what, r->latency_ms_p50,
                    r->items_per_s, r->tokens_per_s);
    }
    return IA_OK;
}

ia_status ia_bench_run(const ia_bench_config *cfg_in, ia_bench_store *store, ia_bench_progress_fn progress,
                       void *ctx, int64_t *run_id, ia_bench_result **results, size_t *n_results) {
    ia_status st;
    ia_bench_config c;
    const ia_bench_config *cfg = &c;
    ia_bench_result *res = NULL;
    ia_hardware_profile *hw = NULL;
    double *iter_ms = NULL;
    unsigned char *decoder = NULL;
    size_t total = 0, done = 0, n_hw = 0;
    int64_t rid = 0;
    char what[512], machine[IA_MACHINE_ID_LEN + 1];

    if (results) *results = NULL;
    if (n_results) *n_results = 0;
    if (run_id) *run_id = 0;
    if (!results || !n_results) {
        st = ia_error(IA_ERR_INVALID_ARG, "bench: results and n_results are required");
        goto fail;
    }
    if ((st = ia_bench_check_config(cfg_in)) != IA_OK) goto fail;
    /* The generation defaults resolved once, so the stored config says
     * what ran. */
    c = *cfg_in;
    if (!c.prompt_tokens) c.prompt_tokens = IA_BENCH_DEFAULT_PROMPT;
    if (!c.gen_tokens) c.gen_tokens = IA_BENCH_DEFAULT_GEN;
    if (!c.gen_iterations) c.gen_iterations = IA_BENCH_DEFAULT_GEN_ITERATIONS;
    if ((st = hardware_entries(cfg, &hw, &n_hw)) != IA_OK) goto fail;
    if ((st = ia_hw_machine_id(machine, NULL, 0)) != IA_OK) goto fail;
    if (!(decoder = calloc(cfg->n_models, 1))) {
        st = ia_error(IA_ERR_NOMEM, "bench: %zu models", cfg->n_models);
        goto fail;
    }
    for (size_t m = 0; m < cfg->n_models; m++) {
        decoder[m] = (unsigned char)is_decoder(cfg->models[m]);
        total += decoder[m] ? n_hw : n_hw * cfg->n_batches * cfg->n_seq_lens;
    }
    res = calloc(total, sizeof *res);
    iter_ms = malloc((size_t)(cfg->iterations > cfg->gen_iterations ? cfg->iterations : cfg->gen_iterations) *
                     sizeof *iter_ms);
    if (!res || !iter_ms) {
        st = ia_error(IA_ERR_NOMEM, "bench: %zu results of %d iterations", total, cfg->iterations);
        goto fail;
    }
    if (store && (st = begin_run(cfg, store, &rid)) != IA_OK) goto fail;

    for (size_t m = 0; m < cfg->n_models; m++) {
        /* The model's identity, once per model: what device choice matches
         * rows by. A model that is not here has none (its rows are skipped
         * with the reason the open gives). */
        char dir[4096], fp[IA_MODEL_FINGERPRINT_LEN + 1];
        const char *fingerprint = NULL, *model = cfg->models[m];
        if (ia_model_resolve(model, dir, sizeof dir) == IA_OK && ia_model_fingerprint(dir, fp) == IA_OK)
            fingerprint = fp;
        ia_error_clear();
        for (size_t b = 0; b < n_hw; b++) {
            char label[96];
            entry_label(&hw[b], label, sizeof label);
            if (decoder[m]) {
                ia_bench_result *r = &res[done];
                ia_bench_progress pr = {progress, ctx, (int)done, (int)total};
                done++; /* done counts initialised rows: the cleanup frees them */
                st = result_init(r, model, label, ia_precision_name(hw[b].precision), 1, cfg->prompt_tokens, cfg,
                                 fingerprint, machine);
                if (st != IA_OK) goto fail;
                r->kind = "generate";
                r->gen_tokens = cfg->gen_tokens;
                r->iterations = cfg->gen_iterations;
                r->warmup = cfg->gen_warmup;
                if ((st = ia_bench_measure_generate(cfg, model, &hw[b], r, iter_ms, &pr)) != IA_OK) goto fail;
                snprintf(what, sizeof what, "%s %s %s pp=%d tg=%d", model, r->backend, r->precision,
                         cfg->prompt_tokens, cfg->gen_tokens);
                if ((st = finish_row(cfg, store, rid, r, iter_ms, cfg->gen_iterations, what)) != IA_OK) goto fail;
                if (progress) progress(ctx, (int)done, (int)total, what);
                continue;
            }
            for (size_t k = 0; k < cfg->n_batches; k++)
                for (size_t q = 0; q < cfg->n_seq_lens; q++) {
                    int batch = cfg->batches[k], seq_len = cfg->seq_lens[q];
                    ia_bench_result *r = &res[done];
                    done++;
                    st = result_init(r, model, label, ia_precision_name(hw[b].precision), batch, seq_len, cfg,
                                     fingerprint, machine);
                    if (st == IA_OK) st = measure_one(cfg, model, &hw[b], batch, seq_len, r, iter_ms);
                    if (st != IA_OK) goto fail;
                    snprintf(what, sizeof what, "%s %s %s batch=%d seq=%d", model, r->backend, r->precision, batch,
                             seq_len);
                    if ((st = finish_row(cfg, store, rid, r, iter_ms, cfg->iterations, what)) != IA_OK) goto fail;
                    if (progress) progress(ctx, (int)done, (int)total, what);
                }
        }
    }

    if (store && (st = ia_bench_store_finish_run(store, rid, "complete")) != IA_OK) goto fail;
    *results = res;
    *n_results = total;
    if (run_id) *run_id = rid;
    res = NULL;
fail:
    if (st != IA_OK && store && rid > 0) { /* keep the first error's message */
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", ia_last_error());
        ia_bench_store_finish_run(store, rid, "failed");
        ia_error(st, "%s", msg);
    }
    ia_bench_results_free(res, done);
    free(iter_ms);
    free(hw);
    free(decoder);
    return st;
}
