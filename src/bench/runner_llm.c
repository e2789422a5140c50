/*
 * runner_llm.c — the benchmark runner for decoders: prompt processing and
 * generation speed, time to first token and the KV cache, one row of kind
 * "generate" per model x hardware entry.
 *
 * What is measured is what llama-bench measures, through what a user
 * calls: each repetition resets the session (nothing of the prompt is
 * cached) and runs ia_session_generate on a prompt of exactly
 * prompt_tokens tokens with max_tokens = gen_tokens + 1 and EOS ignored,
 * so the prefill is pp tokens and exactly gen_tokens single-token decodes
 * follow the first sampled token:
 *   prompt tokens/s    = prompt_tokens / prompt_ms          (llama-bench pp)
 *   generated tokens/s = gen_tokens / generate_ms           (llama-bench tg;
 *                        here with greedy sampling and detokenizing of each
 *                        token included, as a user's generation has them)
 *   time to first token = first_token_ms (tokenizing + prefill + the first
 *                        sample)
 *   latency            = the whole call, per repetition (the iterations rows)
 * Each figure is the median over the repetitions with its sample stddev.
 * The session's context is prompt + gen + 1 tokens (llama-bench's n_ctx is
 * n_prompt + n_gen; one more because generate samples a token after the
 * last decode), and kv_cache_bytes is what that context's cache holds.
 *
 * The prompt is synthetic: "hello" then " hello" repeated, a word that a
 * byte-level BPE vocabulary holds as one token with and without its
 * leading space. Its length is fixed by asking the model: a first call
 * with max_tokens 1 (which doubles as a warm-up of the prefill) reports
 * prompt_tokens, and the word count is corrected by the difference (a
 * BOS token, a tokenizer that merges differently) until it is exact — or
 * the row is skipped saying so, never measured at another length.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/power.h"
#include "bench/runner_internal.h"
#include "bench/stats.h"
#include "util/clock.h"

#define SYNTH_FIRST "hello"
#define SYNTH_NEXT " hello"
#define CALIBRATION_TRIES 4

/* "hello" + (words - 1) x " hello"; NULL when out of memory. */
static char *prompt_text(int words) {
    size_t n = strlen(SYNTH_FIRST) + (size_t)(words - 1) * strlen(SYNTH_NEXT);
    char *t = malloc(n + 1), *p = t;
    if (!t) return NULL;
    memcpy(p, SYNTH_FIRST, strlen(SYNTH_FIRST));
    p += strlen(SYNTH_FIRST);
    for (int i = 1; i < words; i++, p += strlen(SYNTH_NEXT)) memcpy(p, SYNTH_NEXT, strlen(SYNTH_NEXT));
    *p = '\0';
    return t;
}

/* One generation from an empty sequence; res->text is freed here. */
static ia_status run_once(ia_session *s, const char *prompt, ia_generate_options *o, int max_tokens,
                          ia_generate_result *res) {
    ia_status st;
    ia_session_reset(s);
    o->max_tokens = max_tokens;
    IA_GENERATE_RESULT_INIT(res);
    st = ia_session_generate(s, prompt, o, res);
    ia_free(res->text);
    res->text = NULL;
    return st;
}

static void say(const ia_bench_progress *p, const char *what) {
    if (p && p->fn) p->fn(p->ctx, p->done, p->total, what);
}

/* Median (p50) and sample stddev of n values into *med, *sd. */
static ia_status summarise(const double *v, size_t n, double *med, double *sd) {
    ia_bench_stats s;
    ia_status st = ia_bench_stats_compute(v, n, &s);
    if (st != IA_OK) return st;
    *med = s.p50;
    *sd = s.stddev;
    return IA_OK;
}

ia_status ia_bench_measure_generate(const ia_bench_config *cfg, const char *model_ref, const ia_hardware_profile *hw,
                                    ia_bench_result *r, double *iter_ms, const ia_bench_progress *progress) {
    int pp = cfg->prompt_tokens, tg = cfg->gen_tokens, reps = cfg->gen_iterations, words = pp;
    ia_hardware_profile prof = *hw;
    ia_model *model = NULL;
    ia_session *sess = NULL;
    ia_session_options so;
    ia_sampling_options sampling;
    ia_generate_options go;
    ia_generate_result res;
    ia_bench_power pw;
    ia_bench_stats lat;
    double *pp_rate = NULL, *tg_rate = NULL, *ttft = NULL;
    char *text = NULL, what[512];
    int64_t rss0 = -1, rss1 = -1, hwm1 = -1;
    ia_status st;
    int peak_reset;

    if (!prof.threads) prof.threads = cfg->threads;
    peak_reset = ia_bench_rss_reset_peak() == 0;
    if (ia_bench_rss(&rss0, NULL) != IA_OK) rss0 = -1;
    if ((st = ia_bench_open_model(model_ref, &prof, r, &model)) != IA_OK || !model) goto done;
    if (pp + tg + 1 > ia_model_max_tokens(model)) {
        r->skipped_reason = ia_bench_dup_printf("prompt %d + %d generated tokens exceed the %d-token context %s "
                                                "takes", pp, tg, ia_model_max_tokens(model), ia_model_name(model));
        st = r->skipped_reason ? IA_OK : ia_error(IA_ERR_NOMEM, "bench: skip reason");
        goto done;
    }
    IA_SESSION_OPTIONS_INIT(&so);
    so.n_ctx = pp + tg + 1;
    if ((st = ia_session_create(model, &so, &sess)) != IA_OK) {
        st = ia_error_prefix(st, "bench %s on %s", model_ref, r->backend);
        goto done;
    }
    IA_SAMPLING_OPTIONS_INIT(&sampling);
    sampling.temperature = 0.0f; /* greedy: the cheapest choice, the same tokens every repetition */
    sampling.seed = 1;
    IA_GENERATE_OPTIONS_INIT(&go);
    go.ignore_eos = 1;    /* exactly gen_tokens decodes, whatever the model says */
    go.parse_special = 0; /* the prompt is plain text */
    go.sampling = &sampling;

    /* Calibrate the prompt to exactly pp tokens (file comment). */
    snprintf(what, sizeof what, "sizing the prompt: %s %s pp=%d tg=%d", model_ref, r->backend, pp, tg);
    say(progress, what);
    for (int tries = 0;; tries++) {
        free(text);
        if (!(text = prompt_text(words))) {
            st = ia_error(IA_ERR_NOMEM, "bench: prompt of %d words", words);
            goto done;
        }
        if ((st = run_once(sess, text, &go, 1, &res)) != IA_OK) goto gen_failed;
        if (res.prompt_tokens == pp) break;
        words += pp - res.prompt_tokens;
        if (tries + 1 == CALIBRATION_TRIES || words < 1) {
            r->skipped_reason = ia_bench_dup_printf("no synthetic prompt of exactly %d tokens with this model's "
                                                    "tokenizer (the last try was %d tokens)", pp, res.prompt_tokens);
            st = r->skipped_reason ? IA_OK : ia_error(IA_ERR_NOMEM, "bench: skip reason");
            goto done;
        }
    }

    for (int i = 0; i < cfg->gen_warmup; i++) {
        snprintf(what, sizeof what, "warm-up %d/%d: %s %s pp=%d tg=%d", i + 1, cfg->gen_warmup, model_ref,
                 r->backend, pp, tg);
        say(progress, what);
        if ((st = run_once(sess, text, &go, tg + 1, &res)) != IA_OK) goto gen_failed;
    }

    pp_rate = malloc((size_t)reps * sizeof *pp_rate);
    tg_rate = malloc((size_t)reps * sizeof *tg_rate);
    ttft = malloc((size_t)reps * sizeof *ttft);
    if (!pp_rate || !tg_rate || !ttft) {
        st = ia_error(IA_ERR_NOMEM, "bench: %d repetitions", reps);
        goto done;
    }
    ia_bench_power_start(&pw);
    for (int i = 0; i < reps; i++) {
        double t0;
        /* the count first: a terminal's progress line may cut the end */
        snprintf(what, sizeof what, "repetition %d/%d: %s %s pp=%d tg=%d", i + 1, reps, model_ref, r->backend, pp, tg);
        say(progress, what);
        t0 = ia_now_sec();
        if ((st = run_once(sess, text, &go, tg + 1, &res)) != IA_OK) goto gen_failed;
        iter_ms[i] = 1e3 * (ia_now_sec() - t0);
        /* The figures mean what the file comment says only if the call did
         * what was asked: a full prefill, then every token. */
        if (res.prompt_tokens != pp || res.cached_tokens != 0 || res.generated_tokens != tg + 1 ||
            !(res.prompt_ms > 0) || !(res.generate_ms > 0)) {
            st = ia_error(IA_ERR_INTERNAL, "bench %s: repetition %d prefilled %d of %d tokens (%d cached) and "
                          "generated %d of %d", model_ref, i + 1, res.prompt_tokens - res.cached_tokens, pp,
                          res.cached_tokens, res.generated_tokens, tg + 1);
            goto done;
        }
        pp_rate[i] = (double)pp / (res.prompt_ms * 1e-3);
        tg_rate[i] = (double)tg / (res.generate_ms * 1e-3);
        ttft[i] = res.first_token_ms;
    }
    if (ia_bench_power_stop(&pw, &r->energy_j, &r->power_w) != IA_OK && !(r->power_reason = strdup(pw.reason))) {
        st = ia_error(IA_ERR_NOMEM, "bench: power reason");
        goto done;
    }

    if ((st = ia_bench_stats_compute(iter_ms, (size_t)reps, &lat)) != IA_OK) goto done;
    r->latency_ms_mean = lat.mean;
    r->latency_ms_stddev = lat.stddev;
    r->latency_ms_p50 = lat.p50;
    r->latency_ms_p90 = lat.p90;
    r->latency_ms_p99 = lat.p99;
    if ((st = summarise(pp_rate, (size_t)reps, &r->prompt_tokens_per_s, &r->prompt_tokens_per_s_stddev)) != IA_OK ||
        (st = summarise(tg_rate, (size_t)reps, &r->gen_tokens_per_s, &r->gen_tokens_per_s_stddev)) != IA_OK ||
        (st = summarise(ttft, (size_t)reps, &r->ttft_ms, &r->ttft_ms_stddev)) != IA_OK)
        goto done;
    r->n_ctx = ia_session_context(sess);
    r->kv_cache_bytes = (double)ia_session_cache_bytes(sess);
    if (rss0 >= 0 && ia_bench_rss(&rss1, &hwm1) == IA_OK)
        r->rss_delta_bytes = (double)((peak_reset ? hwm1 : rss1) - rss0);
    st = IA_OK;
    goto done;

gen_failed:
    st = ia_error_prefix(st, "bench %s on %s pp=%d tg=%d", model_ref, r->backend, pp, tg);
done:
    ia_session_free(sess);
    ia_model_free(model);
    free(text);
    free(pp_rate);
    free(tg_rate);
    free(ttft);
    return st;
}
