/*
 * routes_embed.c — POST /embed (Text Embeddings Inference) and POST
 * /v1/embeddings (OpenAI): inputs checked and counted on the connection's
 * thread, embedded by the model's batcher together with other requests.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "serve/server_internal.h"
#include "util/clock.h"

typedef struct embed_input {
    const char **texts;
    size_t n;
    int truncate, normalize, base64;
    const char *model;
} embed_input;

/* inputs: a string or an array of strings; 0 and an error sent when not. */
static int read_texts(serve_request *r, const cJSON *v, const char *field, int openai, embed_input *in) {
    size_t n, i = 0;
    const cJSON *it;
    if (!v) return serve_send_error(r, 422, openai, "validation", "`%s` is missing", field), 0;
    if (cJSON_IsString(v)) {
        if (!(in->texts = malloc(sizeof *in->texts))) return serve_send_error(r, 500, openai, "backend", "out of memory"), 0;
        in->texts[0] = v->valuestring;
        in->n = 1;
        return 1;
    }
    if (!cJSON_IsArray(v))
        return serve_send_error(r, 422, openai, "validation", "`%s` must be a string or an array of strings", field), 0;
    n = (size_t)cJSON_GetArraySize(v);
    if (n == 0) return serve_send_error(r, 422, openai, "validation", "`%s` cannot be empty", field), 0;
    if (n > (size_t)r->srv->o.max_client_batch_size)
        return serve_send_error(r, 422, openai, "validation", "batch size %zu > maximum allowed batch size %d", n,
                                r->srv->o.max_client_batch_size),
               0;
    if (!(in->texts = malloc(n * sizeof *in->texts))) return serve_send_error(r, 500, openai, "backend", "out of memory"), 0;
    cJSON_ArrayForEach(it, v) {
        if (!cJSON_IsString(it))
            return serve_send_error(r, 422, openai, "validation",
                                    cJSON_IsNumber(it) || cJSON_IsArray(it)
                                        ? "`%s`[%zu]: token ids as input are not supported; send text"
                                        : "`%s`[%zu] must be a string",
                                    field, i),
                   0;
        in->texts[i++] = it->valuestring;
    }
    in->n = n;
    return 1;
}

static int read_flag(serve_request *r, const cJSON *root, const char *name, int dflt, int openai, int *out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, name);
    if (!v || cJSON_IsNull(v)) return *out = dflt, 1;
    if (!cJSON_IsBool(v)) return serve_send_error(r, 422, openai, "validation", "`%s` must be true or false", name), 0;
    return *out = cJSON_IsTrue(v), 1;
}

static void normalize_rows(float *v, size_t n, int dim) {
    for (size_t i = 0; i < n; i++, v += dim) {
        double ss = 0;
        for (int j = 0; j < dim; j++) ss += (double)v[j] * v[j];
        if (ss > 0) {
            float s = (float)(1.0 / sqrt(ss));
            for (int j = 0; j < dim; j++) v[j] *= s;
        }
    }
}

/* Runs the request through the batcher and answers it. */
static int embed_and_answer(serve_request *r, serve_model *sm, embed_input *in, int openai) {
    ia_server *srv = r->srv;
    int dim = ia_model_dim(sm->model), max_tok = ia_model_max_tokens(sm->model);
    size_t tokens = 0;
    double t0 = ia_now_sec();
    embed_job job;
    embed_wait w;
    sbuf b = {0};
    for (size_t i = 0; i < in->n; i++) {
        size_t t;
        if (ia_model_count_tokens(sm->model, in->texts[i], &t) != IA_OK)
            return serve_send_error(r, 422, openai, "tokenizer", "input %zu: %s", i, ia_last_error());
        if (max_tok > 0 && t > (size_t)max_tok) {
            if (!in->truncate)
                return serve_send_error(r, 422, openai, "validation",
                                        "`inputs` must have less than %d tokens. Given: %zu (input %zu; set "
                                        "\"truncate\": true to cut it)",
                                        max_tok + 1, t, i);
            t = (size_t)max_tok;
        }
        tokens += t;
    }
    serve_metrics_observe(&srv->metrics, &srv->metrics.tokenization_duration, ia_now_sec() - t0);
    memset(&job, 0, sizeof job);
    job.texts = in->texts;
    job.n = in->n;
    job.tokens = tokens;
    if (!(job.out = malloc(in->n * (size_t)dim * sizeof *job.out)))
        return serve_send_error(r, 500, openai, "backend", "out of memory");
    w = embed_batcher_run(sm->batcher, &job, srv->o.request_timeout_ms);
    if (w != EMBED_DONE) {
        free(job.out);
        if (w == EMBED_QUEUE_FULL) return serve_send_error(r, 429, openai, "overloaded", "Model is overloaded");
        if (w == EMBED_TIMED_OUT)
            return serve_send_error(r, 503, openai, "overloaded", "waited longer than %d ms in the queue",
                                    srv->o.request_timeout_ms);
        return serve_send_error(r, 503, openai, "unhealthy", "the server is stopping");
    }
    serve_metrics_observe(&srv->metrics, &srv->metrics.queue_duration, job.t_started - job.t_queued);
    serve_metrics_observe(&srv->metrics, &srv->metrics.inference_duration, job.t_done - job.t_started);
    if (job.st != IA_OK) {
        int rc = serve_send_error(r, 500, openai, "backend", "%s", job.err);
        free(job.out);
        return rc;
    }
    if (in->normalize) normalize_rows(job.out, in->n, dim);
    if (openai) {
        sbuf_puts(&b, "{\"object\":\"list\",\"data\":[");
        for (size_t i = 0; i < in->n; i++) {
            const float *v = job.out + i * (size_t)dim;
            sbuf_printf(&b, "%s{\"object\":\"embedding\",\"index\":%zu,\"embedding\":", i ? "," : "", i);
            if (in->base64) {
                sbuf_puts(&b, "\"");
                sbuf_base64(&b, v, (size_t)dim * sizeof *v); /* little-endian float32, as OpenAI's */
                sbuf_puts(&b, "\"}");
            } else {
                sbuf_puts(&b, "[");
                for (int j = 0; j < dim; j++) {
                    if (j) sbuf_put(&b, ",", 1);
                    sbuf_float(&b, v[j]);
                }
                sbuf_puts(&b, "]}");
            }
        }
        sbuf_puts(&b, "],\"model\":");
        sbuf_json_str(&b, sm->id, strlen(sm->id));
        sbuf_printf(&b, ",\"usage\":{\"prompt_tokens\":%zu,\"total_tokens\":%zu}}", tokens, tokens);
    } else {
        sbuf_puts(&b, "[");
        for (size_t i = 0; i < in->n; i++) {
            const float *v = job.out + i * (size_t)dim;
            sbuf_puts(&b, i ? ",[" : "[");
            for (int j = 0; j < dim; j++) {
                if (j) sbuf_put(&b, ",", 1);
                sbuf_float(&b, v[j]);
            }
            sbuf_puts(&b, "]");
        }
        sbuf_puts(&b, "]");
    }
    free(job.out);
    return serve_send(r, 200, "application/json", &b);
}

static int embed_route(serve_request *r, int openai) {
    cJSON *root;
    embed_input in;
    serve_model *sm;
    int rc;
    memset(&in, 0, sizeof in);
    if (r->srv->ready != 1)
        return serve_send_error(r, 503, openai, "unhealthy", r->srv->ready < 0 ? "a model failed to load: %s" : "%s",
                                r->srv->ready < 0 ? r->srv->load_error : "the model is loading");
    if (!(root = cJSON_ParseWithLength(r->body, r->body_len)))
        return serve_send_error(r, 400, openai, "validation", "the body is not valid JSON");
    if (!cJSON_IsObject(root)) {
        rc = serve_send_error(r, 422, openai, "validation", "the body must be a JSON object");
        goto done;
    }
    if (openai) {
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(root, "model"), *f;
        if (m && !cJSON_IsNull(m) && !cJSON_IsString(m)) {
            rc = serve_send_error(r, 422, openai, "validation", "`model` must be a string");
            goto done;
        }
        in.model = cJSON_IsString(m) ? m->valuestring : NULL;
        f = cJSON_GetObjectItemCaseSensitive(root, "encoding_format");
        if (f && !cJSON_IsNull(f)) {
            if (!cJSON_IsString(f) || (strcmp(f->valuestring, "float") != 0 && strcmp(f->valuestring, "base64") != 0)) {
                rc = serve_send_error(r, 422, openai, "validation", "`encoding_format` must be \"float\" or \"base64\"");
                goto done;
            }
            in.base64 = strcmp(f->valuestring, "base64") == 0;
        }
    }
    sm = serve_find_model(r->srv, in.model, SERVE_EMBED);
    if (!sm) {
        rc = serve_send_error(r, 404, openai, "validation", "no model '%s' is served here", in.model ? in.model : "");
        goto done;
    }
    if (sm->kind != SERVE_EMBED) {
        rc = serve_send_error(r, 422, openai, "validation", "%s is not an embedding model", sm->id);
        goto done;
    }
    {
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(root, "dimensions");
        if (openai && d && !cJSON_IsNull(d) && (!cJSON_IsNumber(d) || d->valuedouble != ia_model_dim(sm->model))) {
            rc = serve_send_error(r, 422, openai, "validation", "`dimensions`: %s gives vectors of %d, not shortened ones",
                                  sm->id, ia_model_dim(sm->model));
            goto done;
        }
    }
    if (!read_texts(r, cJSON_GetObjectItemCaseSensitive(root, openai ? "input" : "inputs"), openai ? "input" : "inputs",
                    openai, &in) ||
        !read_flag(r, root, "truncate", 0, openai, &in.truncate) ||
        !read_flag(r, root, "normalize", 1, openai, &in.normalize)) {
        rc = SERVE_SENT;
        goto done;
    }
    rc = embed_and_answer(r, sm, &in, openai);
done:
    free(in.texts);
    cJSON_Delete(root);
    return rc;
}

int serve_route_embed(serve_request *r) { return embed_route(r, 0); }
int serve_route_embeddings(serve_request *r) { return embed_route(r, 1); }
