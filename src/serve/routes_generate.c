/*
 * routes_generate.c — POST /v1/completions and /v1/chat/completions
 * (OpenAI's JSON; "stream": true answers with server-sent events). The
 * request's options become an ia_generate_options; the model's generation
 * loop decodes it together with the other running requests.
 */
#include <cjson/cJSON.h>
#include <microhttpd.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "serve/server_internal.h"

/* A field's number in [lo, hi]; 0 and an error sent when it is not. */
static int num_field(serve_request *r, const cJSON *root, const char *name, double lo, double hi, double *out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, name);
    if (!v || cJSON_IsNull(v)) return 1;
    if (!cJSON_IsNumber(v) || v->valuedouble < lo || v->valuedouble > hi)
        return serve_send_error(r, 422, 1, "invalid_request_error", "`%s` must be a number in [%g, %g]", name, lo, hi), 0;
    *out = v->valuedouble;
    return 1;
}

static int int_field(serve_request *r, const cJSON *root, const char *name, double lo, double hi, int *out) {
    double d = *out;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, name);
    if (!num_field(r, root, name, lo, hi, &d)) return 0;
    if (v && cJSON_IsNumber(v) && d != (double)(long long)d)
        return serve_send_error(r, 422, 1, "invalid_request_error", "`%s` must be an integer", name), 0;
    *out = (int)d;
    return 1;
}

static int bool_field(serve_request *r, const cJSON *root, const char *name, int *out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, name);
    if (!v || cJSON_IsNull(v)) return 1;
    if (!cJSON_IsBool(v)) return serve_send_error(r, 422, 1, "invalid_request_error", "`%s` must be true or false", name), 0;
    *out = cJSON_IsTrue(v);
    return 1;
}

/* The sampling and stopping options of the request into q. */
static int read_options(serve_request *r, const cJSON *root, int chat, gen_request *q, int *stream, int *usage) {
    ia_sampling_options *so = &q->sampling;
    double t = so->temperature, p = so->top_p, mp = so->min_p, pp = 0, fp = 0, rp = so->repeat_penalty, seed = -1;
    int max_tokens = chat ? 0 : 16, n = 1, logprobs = 0, ignore_eos = 0;
    const cJSON *stop = cJSON_GetObjectItemCaseSensitive(root, "stop"), *sopt;
    if (!num_field(r, root, "temperature", 0, 2, &t) || !num_field(r, root, "top_p", 1e-6, 1, &p) ||
        !num_field(r, root, "min_p", 0, 1, &mp) || !num_field(r, root, "presence_penalty", -2, 2, &pp) ||
        !num_field(r, root, "frequency_penalty", -2, 2, &fp) || !num_field(r, root, "repeat_penalty", 1e-3, 100, &rp) ||
        !int_field(r, root, "top_k", 0, 1 << 30, &so->top_k) || !int_field(r, root, "n", 1, 128, &n) ||
        !int_field(r, root, "max_tokens", 0, 1 << 22, &max_tokens) ||
        !int_field(r, root, "max_completion_tokens", 0, 1 << 22, &max_tokens) ||
        !num_field(r, root, "seed", -9.2e18, 9.2e18, &seed) || !bool_field(r, root, "stream", stream) ||
        !bool_field(r, root, "logprobs", &logprobs) || !bool_field(r, root, "ignore_eos", &ignore_eos))
        return 0;
    if (n != 1) return serve_send_error(r, 422, 1, "invalid_request_error", "`n` > 1 is not supported; send %d requests", n), 0;
    if (logprobs) return serve_send_error(r, 422, 1, "invalid_request_error", "`logprobs` is not supported"), 0;
    if (!chat && cJSON_GetObjectItemCaseSensitive(root, "echo") && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "echo")))
        return serve_send_error(r, 422, 1, "invalid_request_error", "`echo` is not supported"), 0;
    so->temperature = (float)t, so->top_p = (float)p, so->min_p = (float)mp, so->repeat_penalty = (float)rp;
    so->presence_penalty = (float)pp, so->frequency_penalty = (float)fp;
    if (seed >= 0) so->seed = (uint64_t)seed;
    q->gen.max_tokens = max_tokens;
    q->gen.ignore_eos = ignore_eos;
    if (stop && !cJSON_IsNull(stop)) {
        const cJSON *it;
        int k = 0;
        if (cJSON_IsString(stop)) {
            if (stop->valuestring[0]) q->stop[k++] = strdup(stop->valuestring);
        } else if (cJSON_IsArray(stop) && cJSON_GetArraySize(stop) <= GEN_MAX_STOP) {
            cJSON_ArrayForEach(it, stop) {
                if (!cJSON_IsString(it)) return serve_send_error(r, 422, 1, "invalid_request_error", "`stop` must hold strings"), 0;
                if (it->valuestring[0]) q->stop[k++] = strdup(it->valuestring);
            }
        } else {
            return serve_send_error(r, 422, 1, "invalid_request_error", "`stop` must be a string or up to %d strings",
                                    GEN_MAX_STOP), 0;
        }
        for (int i = 0; i < k; i++)
            if (!q->stop[i]) return serve_send_error(r, 500, 1, "server_error", "out of memory"), 0;
        q->gen.stop = (const char *const *)q->stop;
        q->gen.n_stop = (size_t)k;
    }
    sopt = cJSON_GetObjectItemCaseSensitive(root, "stream_options");
    if (cJSON_IsObject(sopt)) *usage = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(sopt, "include_usage"));
    return 1;
}

/* The text of a message's content: a string, or the "text" parts of an
 * array; NULL (error sent) otherwise. The result is malloc'd. */
static char *content_text(serve_request *r, const cJSON *c, size_t i) {
    sbuf b = {0};
    const cJSON *part;
    if (cJSON_IsString(c)) return strdup(c->valuestring);
    if (!cJSON_IsArray(c)) {
        serve_send_error(r, 422, 1, "invalid_request_error", "messages[%zu].content must be a string or an array of text parts", i);
        return NULL;
    }
    cJSON_ArrayForEach(part, c) {
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(part, "type"), *text = cJSON_GetObjectItemCaseSensitive(part, "text");
        if (!cJSON_IsString(type) || strcmp(type->valuestring, "text") != 0 || !cJSON_IsString(text)) {
            sbuf_free(&b);
            serve_send_error(r, 422, 1, "invalid_request_error", "messages[%zu]: only text parts are supported", i);
            return NULL;
        }
        sbuf_puts(&b, text->valuestring);
    }
    if (!b.data) sbuf_puts(&b, "");
    return b.data;
}

/* The prompt: the chat template over messages, or the completion's
 * prompt. NULL when an error was sent. */
static char *read_prompt(serve_request *r, const cJSON *root, serve_model *sm, int chat) {
    if (!chat) {
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(root, "prompt");
        if (cJSON_IsArray(p) && cJSON_GetArraySize(p) == 1) p = cJSON_GetArrayItem(p, 0);
        if (!cJSON_IsString(p)) {
            serve_send_error(r, 422, 1, "invalid_request_error", "`prompt` must be a string (or an array of one)");
            return NULL;
        }
        return strdup(p->valuestring);
    }
    {
        const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(root, "messages"), *m;
        size_t n, i = 0;
        ia_chat_message *cm;
        char **texts, *out = NULL;
        if (!cJSON_IsArray(msgs) || (n = (size_t)cJSON_GetArraySize(msgs)) == 0) {
            serve_send_error(r, 422, 1, "invalid_request_error", "`messages` must be a non-empty array");
            return NULL;
        }
        cm = calloc(n, sizeof *cm);
        texts = calloc(n, sizeof *texts);
        if (!cm || !texts) {
            serve_send_error(r, 500, 1, "server_error", "out of memory");
            goto done;
        }
        cJSON_ArrayForEach(m, msgs) {
            const cJSON *role = cJSON_GetObjectItemCaseSensitive(m, "role");
            if (!cJSON_IsString(role)) {
                serve_send_error(r, 422, 1, "invalid_request_error", "messages[%zu].role must be a string", i);
                goto done;
            }
            if (!(texts[i] = content_text(r, cJSON_GetObjectItemCaseSensitive(m, "content"), i))) goto done;
            cm[i].role = role->valuestring;
            cm[i].content = texts[i];
            i++;
        }
        if (ia_model_apply_chat_template(sm->model, cm, n, 1, &out) != IA_OK) {
            serve_send_error(r, 422, 1, "invalid_request_error", "chat template: %s", ia_last_error());
            out = NULL;
        } else {
            char *copy = strdup(out);
            ia_free(out);
            out = copy;
            if (!out) serve_send_error(r, 500, 1, "server_error", "out of memory");
        }
    done:
        for (size_t k = 0; texts && k < n; k++) free(texts[k]);
        free(texts);
        free(cm);
        return out;
    }
}

static atomic_ullong next_id;

typedef struct stream_state {
    gen_request *q;
    sbuf out;                /* events not yet written */
    size_t off;
    int chat, usage, done;
    char id[48], model[256];
    long long created;
} stream_state;

static void event_head(sbuf *b, const stream_state *s) {
    sbuf_printf(b, "data: {\"id\":\"%s\",\"object\":\"%s\",\"created\":%lld,\"model\":", s->id,
                s->chat ? "chat.completion.chunk" : "text_completion", s->created);
    sbuf_json_str(b, s->model, strlen(s->model));
}

static void event_text(stream_state *s, const char *text, size_t n, const char *finish) {
    event_head(&s->out, s);
    if (s->chat) {
        sbuf_puts(&s->out, ",\"choices\":[{\"index\":0,\"delta\":");
        if (finish) sbuf_puts(&s->out, "{}");
        else {
            sbuf_puts(&s->out, "{\"content\":");
            sbuf_json_str(&s->out, text, n);
            sbuf_puts(&s->out, "}");
        }
    } else {
        sbuf_puts(&s->out, ",\"choices\":[{\"index\":0,\"text\":");
        sbuf_json_str(&s->out, text, n);
    }
    if (finish) sbuf_printf(&s->out, ",\"logprobs\":null,\"finish_reason\":\"%s\"}]}\n\n", finish);
    else sbuf_puts(&s->out, ",\"logprobs\":null,\"finish_reason\":null}]}\n\n");
}

static const char *finish_reason(const ia_generate_result *res) {
    return strcmp(res->finish_reason, "length") == 0 ? "length" : "stop";
}

static void usage_json(sbuf *b, const ia_generate_result *res) {
    sbuf_printf(b, "\"usage\":{\"prompt_tokens\":%d,\"completion_tokens\":%d,\"total_tokens\":%d}", res->prompt_tokens,
                res->generated_tokens, res->prompt_tokens + res->generated_tokens);
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max) {
    stream_state *s = cls;
    (void)pos;
    for (;;) {
        sbuf text = {0};
        int finished;
        if (s->off < s->out.len) {
            size_t n = s->out.len - s->off < max ? s->out.len - s->off : max;
            memcpy(buf, s->out.data + s->off, n);
            s->off += n;
            if (s->off == s->out.len) s->off = s->out.len = 0;
            return (ssize_t)n;
        }
        if (s->done) return MHD_CONTENT_READER_END_OF_STREAM;
        if (s->out.oom) return MHD_CONTENT_READER_END_WITH_ERROR;
        finished = gen_request_wait(s->q, &text, 1000);
        if (text.len) event_text(s, text.data, text.len, NULL);
        sbuf_free(&text);
        if (!finished) continue;
        if (s->q->st != IA_OK) {
            sbuf_puts(&s->out, "data: {\"error\":{\"message\":");
            sbuf_json_str(&s->out, s->q->err, strlen(s->q->err));
            sbuf_puts(&s->out, ",\"type\":\"server_error\",\"param\":null,\"code\":500}}\n\n");
        } else {
            event_text(s, "", 0, finish_reason(&s->q->result));
            if (s->usage) {
                event_head(&s->out, s);
                sbuf_puts(&s->out, ",\"choices\":[],");
                usage_json(&s->out, &s->q->result);
                sbuf_puts(&s->out, "}\n\n");
            }
        }
        sbuf_puts(&s->out, "data: [DONE]\n\n");
        s->done = 1;
    }
}

static void stream_free(void *cls) {
    stream_state *s = cls;
    gen_request_cancel(s->q); /* the client left or the stream ended: either way nothing more is read */
    gen_request_release(s->q);
    sbuf_free(&s->out);
    free(s);
}

static int answer_stream(serve_request *r, gen_request *q, serve_model *sm, int chat, int usage, const char *id) {
    stream_state *s = calloc(1, sizeof *s);
    struct MHD_Response *resp;
    enum MHD_Result ok;
    if (!s) return serve_send_error(r, 500, 1, "server_error", "out of memory");
    s->q = q;
    s->chat = chat;
    s->usage = usage;
    s->created = (long long)time(NULL);
    snprintf(s->id, sizeof s->id, "%s", id);
    snprintf(s->model, sizeof s->model, "%s", sm->id);
    if (chat) { /* OpenAI's first chunk names the role */
        event_head(&s->out, s);
        sbuf_puts(&s->out, ",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"
                           "\"logprobs\":null,\"finish_reason\":null}]}\n\n");
    }
    resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, stream_read, s, stream_free);
    if (!resp) {
        sbuf_free(&s->out);
        free(s);
        gen_request_cancel(q);
        gen_request_release(q);
        return serve_send_error(r, 500, 1, "server_error", "out of memory");
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    ok = MHD_queue_response(r->conn, 200, resp);
    MHD_destroy_response(resp);
    r->status = 200;
    return ok;
}

static int answer_whole(serve_request *r, gen_request *q, serve_model *sm, int chat, const char *id) {
    sbuf b = {0}, discard = {0};
    while (!gen_request_wait(q, &discard, 1000)) discard.len = 0;
    sbuf_free(&discard);
    if (q->st != IA_OK)
        return serve_send_error(r, q->st == IA_ERR_INVALID_ARG ? 400 : 500, 1,
                                q->st == IA_ERR_INVALID_ARG ? "invalid_request_error" : "server_error", "%s", q->err);
    sbuf_printf(&b, "{\"id\":\"%s\",\"object\":\"%s\",\"created\":%lld,\"model\":", id,
                chat ? "chat.completion" : "text_completion", (long long)time(NULL));
    sbuf_json_str(&b, sm->id, strlen(sm->id));
    sbuf_puts(&b, ",\"choices\":[{\"index\":0,");
    if (chat) {
        sbuf_puts(&b, "\"message\":{\"role\":\"assistant\",\"content\":");
        sbuf_json_str(&b, q->result.text, strlen(q->result.text));
        sbuf_puts(&b, "}");
    } else {
        sbuf_puts(&b, "\"text\":");
        sbuf_json_str(&b, q->result.text, strlen(q->result.text));
    }
    sbuf_printf(&b, ",\"logprobs\":null,\"finish_reason\":\"%s\"}],", finish_reason(&q->result));
    usage_json(&b, &q->result);
    sbuf_puts(&b, "}");
    return serve_send(r, 200, "application/json", &b);
}

int serve_route_completion(serve_request *r, int chat) {
    cJSON *root = NULL;
    gen_request *q = NULL;
    serve_model *sm;
    const cJSON *mf;
    int stream = 0, usage = 0, rc = SERVE_SENT, sub;
    char id[48];
    size_t ptoks = 0;
    if (r->srv->ready != 1)
        return serve_send_error(r, 503, 1, "unhealthy", "%s",
                                r->srv->ready < 0 ? r->srv->load_error : "the model is loading");
    if (!(root = cJSON_ParseWithLength(r->body, r->body_len)))
        return serve_send_error(r, 400, 1, "invalid_request_error", "the body is not valid JSON");
    if (!cJSON_IsObject(root)) {
        rc = serve_send_error(r, 422, 1, "invalid_request_error", "the body must be a JSON object");
        goto done;
    }
    mf = cJSON_GetObjectItemCaseSensitive(root, "model");
    if (mf && !cJSON_IsNull(mf) && !cJSON_IsString(mf)) {
        rc = serve_send_error(r, 422, 1, "invalid_request_error", "`model` must be a string");
        goto done;
    }
    sm = serve_find_model(r->srv, cJSON_IsString(mf) ? mf->valuestring : NULL, SERVE_GENERATE);
    if (!sm) {
        rc = serve_send_error(r, 404, 1, "invalid_request_error", "no text-generation model '%s' is served here",
                              cJSON_IsString(mf) ? mf->valuestring : "");
        goto done;
    }
    if (sm->kind != SERVE_GENERATE) {
        rc = serve_send_error(r, 422, 1, "invalid_request_error", "%s does not generate text (an embedding model)", sm->id);
        goto done;
    }
    if (!(q = gen_request_new())) {
        rc = serve_send_error(r, 500, 1, "server_error", "out of memory");
        goto done;
    }
    if (!read_options(r, root, chat, q, &stream, &usage) || !(q->prompt = read_prompt(r, root, sm, chat))) goto done;
    if (ia_model_count_tokens(sm->model, q->prompt, &ptoks) == IA_OK && ptoks >= (size_t)r->srv->o.n_ctx) {
        rc = serve_send_error(r, 400, 1, "invalid_request_error",
                              "the prompt has %zu tokens; the context of each sequence holds %d", ptoks, r->srv->o.n_ctx);
        goto done;
    }
    snprintf(id, sizeof id, "%s-%llx%06llx", chat ? "chatcmpl" : "cmpl", (unsigned long long)time(NULL),
             (unsigned long long)atomic_fetch_add(&next_id, 1));
    if ((sub = gen_loop_submit(sm->loop, q)) != 0) {
        rc = sub == -1 ? serve_send_error(r, 429, 1, "overloaded", "Model is overloaded")
                       : serve_send_error(r, 503, 1, "unhealthy", "the server is stopping");
        goto done;
    }
    if (stream) {
        rc = answer_stream(r, q, sm, chat, usage, id);
        q = NULL; /* the stream holds the reference */
    } else {
        rc = answer_whole(r, q, sm, chat, id);
    }
done:
    gen_request_release(q);
    cJSON_Delete(root);
    return rc;
}
