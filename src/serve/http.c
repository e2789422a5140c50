/*
 * http.c — one connection's request through libmicrohttpd: the body
 * gathered within its size and time limits, the route chosen, the
 * response and its status counted and logged.
 *
 * libmicrohttpd calls the handler once when the headers are in, once per
 * piece of the body, and once more when the body is complete; only then
 * does the route run (on this connection's own thread, where it may
 * block).
 */
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/server_internal.h"
#include "util/clock.h"

int serve_send(serve_request *r, int status, const char *content_type, sbuf *body) {
    struct MHD_Response *resp;
    enum MHD_Result ok;
    if (body->oom) {
        sbuf_free(body);
        body->data = strdup("{\"error\":\"out of memory\",\"error_type\":\"backend\"}");
        body->len = body->data ? strlen(body->data) : 0;
        status = 500;
    }
    resp = MHD_create_response_from_buffer(body->len, body->data ? body->data : (char *)"", body->data ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!resp) {
        sbuf_free(body);
        return MHD_NO;
    }
    memset(body, 0, sizeof *body); /* the response owns the bytes now */
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    if (status == 429 || status == 503) MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "1");
    ok = MHD_queue_response(r->conn, (unsigned)status, resp);
    MHD_destroy_response(resp);
    r->status = status;
    return ok;
}

int serve_send_error(serve_request *r, int status, int openai, const char *type, const char *fmt, ...) {
    char msg[1024];
    sbuf b = {0};
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (openai) {
        sbuf_puts(&b, "{\"error\":{\"message\":");
        sbuf_json_str(&b, msg, strlen(msg));
        sbuf_printf(&b, ",\"type\":\"%s\",\"param\":null,\"code\":%d}}", type, status);
    } else {
        sbuf_puts(&b, "{\"error\":");
        sbuf_json_str(&b, msg, strlen(msg));
        sbuf_printf(&b, ",\"error_type\":\"%s\"}", type);
    }
    return serve_send(r, status, "application/json", &b);
}

typedef struct route {
    const char *method, *path, *name;
    int (*fn)(serve_request *r);
} route;

static int route_chat(serve_request *r) { return serve_route_completion(r, 1); }
static int route_completions(serve_request *r) { return serve_route_completion(r, 0); }

static const route routes[] = {
    {"POST", "/embed", "embed", serve_route_embed},
    {"POST", "/v1/embeddings", "embeddings", serve_route_embeddings},
    {"POST", "/embeddings", "embeddings", serve_route_embeddings},
    {"POST", "/v1/chat/completions", "chat", route_chat},
    {"POST", "/v1/completions", "completions", route_completions},
    {"GET", "/health", "health", serve_route_health},
    {"GET", "/info", "info", serve_route_info},
    {"GET", "/v1/models", "models", serve_route_models},
    {"GET", "/metrics", "metrics", serve_route_metrics},
};

static int dispatch(serve_request *r) {
    int path_known = 0;
    if (strncmp(r->url, "/ipfs/", 6) == 0 && r->srv->blocks) {
        r->route = "ipfs";
        if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0)
            return serve_send_error(r, 405, 0, "validation", "%s is not allowed on /ipfs/", r->method);
        return serve_route_ipfs(r);
    }
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        if (strcmp(r->url, routes[i].path) != 0) continue;
        path_known = 1;
        if (strcmp(r->method, routes[i].method) != 0) continue;
        r->route = routes[i].name;
        return routes[i].fn(r);
    }
    r->route = "unknown";
    if (path_known) return serve_send_error(r, 405, 0, "validation", "%s is not allowed on %s", r->method, r->url);
    return serve_send_error(r, 404, 0, "validation", "no route %s %s", r->method, r->url);
}

enum MHD_Result serve_on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                 const char *version, const char *upload, size_t *upload_size, void **con_cls) {
    ia_server *srv = cls;
    serve_request *r = *con_cls;
    (void)version;
    if (!r) {
        const char *len_hdr;
        if (!(r = calloc(1, sizeof *r))) return MHD_NO;
        r->srv = srv;
        r->conn = c;
        r->url = url;
        r->method = method;
        r->t_start = ia_now_sec();
        r->route = "unknown";
        *con_cls = r;
        srv->in_flight++;
        /* A declared length over the limit is answered 413 once the body
         * has been read and dropped (within the request timeout): a
         * response sent while the client still sends would reach it as a
         * reset connection, not as the 413. */
        len_hdr = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (len_hdr && strtoull(len_hdr, NULL, 10) > srv->o.max_body_bytes) r->too_large = 1;
        return MHD_YES;
    }
    if (*upload_size) {
        size_t n = *upload_size;
        *upload_size = 0;
        if (r->status) return MHD_YES; /* already answered: the rest is dropped */
        /* a body slower than the request timeout: libmicrohttpd cannot
         * answer while the upload goes on, so the connection is closed
         * (logged as 408, which is what it would have said) */
        if ((ia_now_sec() - r->t_start) * 1000.0 > srv->o.request_timeout_ms) {
            r->status = 408;
            r->route = "timeout";
            return MHD_NO;
        }
        if (r->too_large || r->body_len + n > srv->o.max_body_bytes) {
            r->too_large = 1;
            return MHD_YES;
        }
        if (r->body_len + n + 1 > r->body_cap) {
            size_t cap = (r->body_len + n + 1) * 2;
            char *b;
            if (cap > srv->o.max_body_bytes + 1) cap = srv->o.max_body_bytes + 1;
            if (!(b = realloc(r->body, cap))) return MHD_NO;
            r->body = b, r->body_cap = cap;
        }
        memcpy(r->body + r->body_len, upload, n);
        r->body_len += n;
        r->body[r->body_len] = '\0';
        return MHD_YES;
    }
    if (r->status) return MHD_YES; /* answered while the body came */
    if (r->too_large)
        return (enum MHD_Result)serve_send_error(r, 413, 0, "validation", "the body is larger than the limit of %zu bytes",
                                                 srv->o.max_body_bytes);
    if (!r->body) {
        r->body = calloc(1, 1);
        if (!r->body) return MHD_NO;
    }
    return (enum MHD_Result)dispatch(r);
}

void serve_on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode why) {
    ia_server *srv = cls;
    serve_request *r = *con_cls;
    double dt;
    (void)c;
    if (!r) return;
    dt = ia_now_sec() - r->t_start;
    if (r->status) {
        serve_metrics_response(&srv->metrics, r->route, r->status);
        if (strcmp(r->route, "embed") == 0 || strcmp(r->route, "embeddings") == 0)
            serve_metrics_observe(&srv->metrics, &srv->metrics.request_duration, dt);
    }
    if (!srv->o.quiet && strcmp(r->route, "health") != 0 && strcmp(r->route, "metrics") != 0)
        fprintf(stderr, "serve: %s %s %d %.1f ms%s\n", r->method, r->url, r->status, dt * 1000.0,
                why == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (connection closed early)");
    free(r->body);
    free(r);
    *con_cls = NULL;
    srv->in_flight--;
}
