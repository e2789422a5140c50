/*
 * server_internal.h — what the files of the HTTP server share: the server,
 * its models (an embedding batcher or a generation loop each), one request
 * as the routes see it, and the response helpers.
 *
 * Threads: libmicrohttpd runs one thread per connection; a route runs on
 * it and may block there (waiting for its batch or for the next tokens).
 * Each embedding model has one batcher thread and each decoder one
 * generation loop thread, the only threads that touch the model.
 */
#ifndef IA_SERVE_SERVER_INTERNAL_H
#define IA_SERVE_SERVER_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#include "ipfs_accelerate.h"
#include "serve/embed_batcher.h"
#include "serve/gen_loop.h"
#include "serve/metrics.h"
#include "serve/sbuf.h"

typedef enum serve_kind { SERVE_EMBED, SERVE_GENERATE } serve_kind;

typedef struct serve_model {
    char *ref;               /* as given on the command line */
    char *id;                /* the name clients use ("model") */
    ia_model *model;
    serve_kind kind;
    embed_batcher *batcher;  /* SERVE_EMBED */
    gen_loop *loop;          /* SERVE_GENERATE */
} serve_model;

struct ia_server {
    ia_server_options o;
    char host[64];
    ia_hardware_profile profile;
    struct MHD_Daemon *daemon;
    int port;
    serve_model *models;
    size_t n_models;
    pthread_t loader;
    int loader_started;
    atomic_int ready;        /* 0 loading, 1 ready, -1 failed */
    char load_error[512];
    atomic_int stopping;
    atomic_int in_flight;    /* requests received and not yet completed */
    long long started_unix;
    serve_metrics metrics;
    ia_blockstore *blocks;   /* the gateway's store; NULL: no /ipfs/ routes */
};

/* One HTTP request, from its first byte to its completion. */
typedef struct serve_request {
    ia_server *srv;
    const char *method, *url;
    struct MHD_Connection *conn;
    char *body;
    size_t body_len, body_cap;
    int too_large;           /* the body passed max_body_bytes (413) */
    double t_start;          /* seconds, ia_now_sec */
    int status;              /* the status code sent, for the log and metrics */
    const char *route;       /* the route that answered, for metrics */
} serve_request;

/* GET/HEAD /ipfs/{cid}: the trustless gateway (routes_ipfs.c). */
int serve_route_ipfs(serve_request *r);

/* ---- responses (http.c) ---- */

/* What a route returns once a response is queued (libmicrohttpd's MHD_YES). */
#define SERVE_SENT 1

/* Sends body (taken: freed by the response) with the status and type. */
int serve_send(serve_request *r, int status, const char *content_type, sbuf *body);

/* Sends a JSON error: OpenAI's shape {"error": {"message", "type", "code"}}
 * when openai is nonzero, else TEI's {"error", "error_type"}. */
int serve_send_error(serve_request *r, int status, int openai, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* The model a request names, of any kind (NULL or "": the first model of
 * that kind); NULL until the server is ready. */
serve_model *serve_find_model(ia_server *srv, const char *id, serve_kind kind);

/* ---- routes ---- */

int serve_route_embed(serve_request *r);       /* POST /embed (TEI) */
int serve_route_embeddings(serve_request *r);  /* POST /v1/embeddings (OpenAI) */
int serve_route_completion(serve_request *r, int chat); /* POST /v1/(chat/)completions */
int serve_route_health(serve_request *r);
int serve_route_info(serve_request *r);
int serve_route_models(serve_request *r);
int serve_route_metrics(serve_request *r);

#endif
