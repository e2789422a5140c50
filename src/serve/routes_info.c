/*
 * routes_info.c — GET /health, /info (Text Embeddings Inference's fields,
 * for the first model, and every model under "models"), /v1/models
 * (OpenAI's) and /metrics (Prometheus text).
 */
#include <string.h>

#include "serve/server_internal.h"

int serve_route_health(serve_request *r) {
    sbuf b = {0};
    if (r->srv->stopping) return serve_send_error(r, 503, 0, "unhealthy", "the server is stopping");
    if (r->srv->ready < 0) return serve_send_error(r, 503, 0, "unhealthy", "a model failed to load: %s", r->srv->load_error);
    if (r->srv->ready == 0) return serve_send_error(r, 503, 0, "unhealthy", "loading");
    return serve_send(r, 200, "text/plain", &b);
}

static void model_json(sbuf *b, const ia_server *srv, const serve_model *sm) {
    sbuf_puts(b, "{\"model_id\":");
    sbuf_json_str(b, sm->id, strlen(sm->id));
    sbuf_puts(b, ",\"model_path\":");
    sbuf_json_str(b, sm->ref, strlen(sm->ref));
    if (srv->ready != 1 || !sm->model) {
        sbuf_puts(b, ",\"loaded\":false}");
        return;
    }
    sbuf_printf(b, ",\"loaded\":true,\"family\":\"%s\",\"model_dtype\":\"%s\",\"device\":\"%s\",\"threads\":%d,",
                ia_model_family(sm->model), ia_model_precision(sm->model), ia_model_device(sm->model),
                ia_model_threads(sm->model));
    if (sm->kind == SERVE_EMBED)
        sbuf_printf(b, "\"model_type\":{\"embedding\":{\"dim\":%d}},\"max_input_length\":%d}", ia_model_dim(sm->model),
                    ia_model_max_tokens(sm->model));
    else
        sbuf_printf(b, "\"model_type\":{\"generation\":{\"vocab_size\":%d,\"parallel\":%d}},\"max_input_length\":%d}",
                    ia_model_vocab_size(sm->model), srv->o.parallel, srv->o.n_ctx);
}

int serve_route_info(serve_request *r) {
    const ia_server *srv = r->srv;
    sbuf b = {0};
    sbuf_puts(&b, "{\"model_id\":");
    sbuf_json_str(&b, srv->models[0].id, strlen(srv->models[0].id));
    sbuf_printf(&b,
                ",\"model_sha\":null,\"version\":\"%s\",\"sha\":null,\"docker_label\":null,"
                "\"max_concurrent_requests\":%d,\"max_batch_tokens\":%d,\"max_batch_requests\":",
                ia_version(), srv->o.max_concurrent_requests, srv->o.max_batch_tokens);
    if (srv->o.max_batch_requests) sbuf_printf(&b, "%d", srv->o.max_batch_requests);
    else sbuf_puts(&b, "null");
    sbuf_printf(&b, ",\"max_client_batch_size\":%d,\"max_body_bytes\":%zu,\"ready\":%s,\"models\":[",
                srv->o.max_client_batch_size, srv->o.max_body_bytes, srv->ready == 1 ? "true" : "false");
    for (size_t i = 0; i < srv->n_models; i++) {
        if (i) sbuf_puts(&b, ",");
        model_json(&b, srv, &srv->models[i]);
    }
    sbuf_puts(&b, "]}");
    return serve_send(r, 200, "application/json", &b);
}

int serve_route_models(serve_request *r) {
    const ia_server *srv = r->srv;
    sbuf b = {0};
    sbuf_puts(&b, "{\"object\":\"list\",\"data\":[");
    for (size_t i = 0; i < srv->n_models; i++) {
        sbuf_puts(&b, i ? ",{\"id\":" : "{\"id\":");
        sbuf_json_str(&b, srv->models[i].id, strlen(srv->models[i].id));
        sbuf_printf(&b, ",\"object\":\"model\",\"created\":%lld,\"owned_by\":\"ipfs_accelerate\"}", srv->started_unix);
    }
    sbuf_puts(&b, "]}");
    return serve_send(r, 200, "application/json", &b);
}

int serve_route_metrics(serve_request *r) {
    ia_server *srv = r->srv;
    sbuf b = {0};
    int queued = 0;
    for (size_t i = 0; i < srv->n_models && srv->ready == 1; i++) {
        if (srv->models[i].batcher) queued += embed_batcher_load(srv->models[i].batcher);
        if (srv->models[i].loop) queued += gen_loop_load(srv->models[i].loop);
    }
    serve_metrics_write(&srv->metrics, &b);
    sbuf_printf(&b, "# HELP te_queue_size Requests queued or running\n# TYPE te_queue_size gauge\nte_queue_size %d\n",
                queued);
    sbuf_printf(&b, "# HELP ia_in_flight_requests HTTP requests received and not yet completed\n"
                    "# TYPE ia_in_flight_requests gauge\nia_in_flight_requests %d\n",
                (int)srv->in_flight);
    return serve_send(r, 200, "text/plain; version=0.0.4", &b);
}
