/*
 * ia_js.c — the C side of the JavaScript SDK: a handful of functions with
 * flat arguments (pointers, ints, JSON text) over the public API, so the
 * worker can call them with emscripten's ccall without knowing a struct
 * layout. Only ipfs_accelerate.h is used: the SDK is a front end, like the
 * CLI and the Python package.
 *
 * Every function returns 0/NULL on failure with the library's message in
 * ia_last_error(); strings returned are malloc'd JSON the worker frees with
 * ia_free().
 *
 * Generation streams through iajs_on_token, a JavaScript function the
 * worker installs on the module (EM_JS below); its return value cancels.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <emscripten.h>

#include "ipfs_accelerate.h"

#define IAJS_EXPORT EMSCRIPTEN_KEEPALIVE

/* Calls Module.iajsOnToken(piece, token) in the thread that runs the
 * generation (the worker's own: the pool's threads never call back). */
EM_JS(int, iajs_emit_token, (const char *piece, int len, int token), {
    var cb = Module["iajsOnToken"];
    if (!cb) return 0;
    return cb(UTF8ToString(piece, len), token) ? 1 : 0;
});

static char *json_take(cJSON *o) {
    char *s = o ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    return s;
}

IAJS_EXPORT const char *iajs_last_error(void) { return ia_last_error(); }
IAJS_EXPORT const char *iajs_version(void) { return ia_version(); }
IAJS_EXPORT void iajs_free(void *p) { ia_free(p); }

/* Opens the model directory at path (in the module's file system) with
 * `threads` threads (0 = all the module may use). */
IAJS_EXPORT ia_model *iajs_model_open(const char *path, int threads) {
    ia_model_options o;
    ia_model *m = NULL;
    IA_MODEL_OPTIONS_INIT(&o);
    o.threads = threads;
    o.device = "cpu";
    return ia_model_open(path, &o, &m) == IA_OK ? m : NULL;
}

IAJS_EXPORT void iajs_model_free(ia_model *m) { ia_model_free(m); }

/* {"name","family","dim","kernel","threads","max_tokens","vocab_size",
 *  "precision","weight_bytes","device"} */
IAJS_EXPORT char *iajs_model_info(ia_model *m) {
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    cJSON_AddStringToObject(o, "name", ia_model_name(m));
    cJSON_AddStringToObject(o, "family", ia_model_family(m));
    cJSON_AddNumberToObject(o, "dim", ia_model_dim(m));
    cJSON_AddStringToObject(o, "device", ia_model_device(m));
    cJSON_AddStringToObject(o, "kernel", ia_model_kernel(m));
    cJSON_AddNumberToObject(o, "threads", ia_model_threads(m));
    cJSON_AddNumberToObject(o, "max_tokens", ia_model_max_tokens(m));
    cJSON_AddNumberToObject(o, "vocab_size", ia_model_vocab_size(m));
    cJSON_AddStringToObject(o, "precision", ia_model_precision(m));
    cJSON_AddNumberToObject(o, "weight_bytes", (double)ia_model_weight_bytes(m));
    return json_take(o);
}

/* texts: n NUL-terminated UTF-8 strings one after another; out: n * dim
 * floats. Returns 1 on success. */
IAJS_EXPORT int iajs_embed(ia_model *m, const char *texts, int n, float *out) {
    const char **v;
    int ok;
    if (n <= 0) return 1;
    if (!(v = malloc((size_t)n * sizeof *v))) return 0;
    for (int i = 0; i < n; i++) {
        v[i] = texts;
        texts += strlen(texts) + 1;
    }
    ok = ia_model_embed(m, v, (size_t)n, out) == IA_OK;
    free(v);
    return ok;
}

IAJS_EXPORT ia_session *iajs_session_create(ia_model *m, int n_ctx) {
    ia_session_options o;
    ia_session *s = NULL;
    IA_SESSION_OPTIONS_INIT(&o);
    o.n_ctx = n_ctx;
    return ia_session_create(m, &o, &s) == IA_OK ? s : NULL;
}

IAJS_EXPORT void iajs_session_free(ia_session *s) { ia_session_free(s); }
IAJS_EXPORT void iajs_session_reset(ia_session *s) { ia_session_reset(s); }

/* Appends n tokens to the session's sequence; the next-token logits
 * (vocab_size floats) go to logits. Returns 1 on success. */
IAJS_EXPORT int iajs_decode(ia_session *s, const int32_t *tokens, int n, float *logits) {
    return n > 0 && ia_session_decode(s, tokens, (size_t)n, logits) == IA_OK;
}

static int on_token(const char *piece, size_t len, int32_t token, void *user) {
    (void)user;
    return iajs_emit_token(piece, (int)len, (int)token);
}

static double num_or(const cJSON *o, const char *key, double dflt) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

/* Generates from prompt with options (JSON: max_tokens, temperature,
 * top_k, top_p, min_p, repeat_penalty, presence_penalty,
 * frequency_penalty, seed, stop: [..], ignore_eos, stream). Returns the
 * result as JSON {"text","prompt_tokens","cached_tokens",
 * "generated_tokens","prompt_ms","generate_ms","first_token_ms",
 * "finish_reason"} or NULL. */
IAJS_EXPORT char *iajs_generate(ia_session *s, const char *prompt, const char *options_json) {
    ia_sampling_options so;
    ia_generate_options go;
    ia_generate_result r;
    cJSON *opt = cJSON_Parse(options_json ? options_json : "{}"), *out = NULL;
    const cJSON *stop, *it;
    const char **stops = NULL;
    size_t n_stop = 0;
    char *json = NULL;

    if (!opt || !cJSON_IsObject(opt)) {
        cJSON_Delete(opt);
        fprintf(stderr, "iajs_generate: options are not a JSON object\n");
        return NULL;
    }
    IA_SAMPLING_OPTIONS_INIT(&so);
    IA_GENERATE_OPTIONS_INIT(&go);
    IA_GENERATE_RESULT_INIT(&r);
    so.temperature = (float)num_or(opt, "temperature", so.temperature);
    so.top_k = (int)num_or(opt, "top_k", so.top_k);
    so.top_p = (float)num_or(opt, "top_p", so.top_p);
    so.min_p = (float)num_or(opt, "min_p", so.min_p);
    so.repeat_penalty = (float)num_or(opt, "repeat_penalty", so.repeat_penalty);
    so.presence_penalty = (float)num_or(opt, "presence_penalty", so.presence_penalty);
    so.frequency_penalty = (float)num_or(opt, "frequency_penalty", so.frequency_penalty);
    so.penalty_last_n = (int)num_or(opt, "penalty_last_n", so.penalty_last_n);
    if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(opt, "seed")))
        so.seed = (uint64_t)num_or(opt, "seed", 0);
    go.max_tokens = (int)num_or(opt, "max_tokens", go.max_tokens);
    go.ignore_eos = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(opt, "ignore_eos"));
    go.sampling = &so;
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(opt, "stream"))) go.on_token = on_token;
    stop = cJSON_GetObjectItemCaseSensitive(opt, "stop");
    if (cJSON_IsArray(stop) && cJSON_GetArraySize(stop) > 0) {
        stops = calloc((size_t)cJSON_GetArraySize(stop), sizeof *stops);
        if (!stops) goto done;
        cJSON_ArrayForEach(it, stop) if (cJSON_IsString(it)) stops[n_stop++] = it->valuestring;
        go.stop = stops;
        go.n_stop = n_stop;
    }
    if (ia_session_generate(s, prompt, &go, &r) != IA_OK) goto done;
    if ((out = cJSON_CreateObject())) {
        cJSON_AddStringToObject(out, "text", r.text ? r.text : "");
        cJSON_AddNumberToObject(out, "prompt_tokens", r.prompt_tokens);
        cJSON_AddNumberToObject(out, "cached_tokens", r.cached_tokens);
        cJSON_AddNumberToObject(out, "generated_tokens", r.generated_tokens);
        cJSON_AddNumberToObject(out, "prompt_ms", r.prompt_ms);
        cJSON_AddNumberToObject(out, "generate_ms", r.generate_ms);
        cJSON_AddNumberToObject(out, "first_token_ms", r.first_token_ms);
        cJSON_AddStringToObject(out, "finish_reason", r.finish_reason);
    }
    ia_free(r.text);
    json = json_take(out);
done:
    free(stops);
    cJSON_Delete(opt);
    return json;
}

/* messages_json: [{"role","content"},...] → the rendered prompt, or NULL. */
IAJS_EXPORT char *iajs_chat_template(ia_model *m, const char *messages_json, int add_generation_prompt) {
    cJSON *arr = cJSON_Parse(messages_json);
    ia_chat_message *msgs = NULL;
    char *out = NULL;
    int n, i = 0;
    const cJSON *it;
    if (!cJSON_IsArray(arr)) {
        cJSON_Delete(arr);
        return NULL;
    }
    n = cJSON_GetArraySize(arr);
    if (n > 0 && !(msgs = calloc((size_t)n, sizeof *msgs))) goto done;
    cJSON_ArrayForEach(it, arr) {
        const cJSON *role = cJSON_GetObjectItemCaseSensitive(it, "role");
        const cJSON *content = cJSON_GetObjectItemCaseSensitive(it, "content");
        if (!cJSON_IsString(role) || !cJSON_IsString(content)) goto done;
        msgs[i].role = role->valuestring;
        msgs[i].content = content->valuestring;
        i++;
    }
    if (ia_model_apply_chat_template(m, msgs, (size_t)n, add_generation_prompt, &out) != IA_OK) out = NULL;
done:
    free(msgs);
    cJSON_Delete(arr);
    return out;
}

/* The core's hardware report (ia_hw_report_json) at bench_level. */
IAJS_EXPORT char *iajs_hw_report(int bench_level, int threads) {
    char *json = NULL;
    return ia_hw_report_json(bench_level, threads, &json) == IA_OK ? json : NULL;
}
