/*
 * server.c — the server's life: options, binding, loading the models on a
 * thread of their own (the port answers /health with 503 meanwhile), and
 * the graceful stop (stop accepting, let what was received finish, free).
 */
#include <microhttpd.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "serve/server_internal.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/struct_size.h"

/* libmicrohttpd's callbacks (http.c) */
enum MHD_Result serve_on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                 const char *version, const char *upload, size_t *upload_size, void **con_cls);
void serve_on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode why);

void ia_server_options_init(ia_server_options *o, size_t struct_size) {
    ia_server_options d;
    memset(&d, 0, sizeof d);
    d.struct_size = sizeof d;
    d.host = "127.0.0.1";
    d.port = 8080;
    d.max_batch_tokens = 16384;
    d.max_client_batch_size = 32;
    d.max_concurrent_requests = 512;
    d.max_body_bytes = 2u << 20;
    d.request_timeout_ms = 60000;
    d.parallel = 8;
    d.n_ctx = 2048;
    d.max_connections = 1024;
    ia_struct_export(o, struct_size, &d, sizeof d);
}

static ia_status check_options(const ia_server_options *o) {
    if ((!o->n_models || !o->models) && !o->gateway_dir)
        return ia_error(IA_ERR_INVALID_ARG, "serve: no model (and no gateway)");
    if (o->n_models && !o->models) return ia_error(IA_ERR_INVALID_ARG, "serve: n_models without models");
    for (size_t i = 0; i < o->n_models; i++)
        if (!o->models[i] || !o->models[i][0]) return ia_error(IA_ERR_INVALID_ARG, "serve: model %zu is empty", i);
    if (!o->host || strlen(o->host) >= 64) return ia_error(IA_ERR_INVALID_ARG, "serve: bad host");
    if (o->port < 0 || o->port > 65535) return ia_error(IA_ERR_INVALID_ARG, "serve: port %d is not in [0, 65535]", o->port);
    if (o->max_batch_tokens < 1 || o->max_client_batch_size < 1 || o->max_concurrent_requests < 1 ||
        o->max_batch_requests < 0 || o->batch_wait_us < 0 || o->batch_wait_us > 1000000 || o->max_body_bytes < 64 ||
        o->request_timeout_ms < 1 || o->parallel < 1 || o->parallel > 256 || o->n_ctx < 16 || o->max_connections < 1)
        return ia_error(IA_ERR_INVALID_ARG, "serve: a limit is out of range");
    return IA_OK;
}

/* The id clients name a model by: the last part of its reference without
 * an extension ("/x/all-MiniLM-L6-v2" -> "all-MiniLM-L6-v2"). */
static char *model_id(const char *ref) {
    const char *base = strrchr(ref, '/');
    size_t n;
    char *id;
    base = base && base[1] ? base + 1 : ref;
    n = strlen(base);
    if (n > 5 && strcmp(base + n - 5, ".gguf") == 0) n -= 5;
    if ((id = malloc(n + 1))) memcpy(id, base, n), id[n] = '\0';
    return id;
}

/* Whether the model generates text: its sessions have a context (a KV
 * cache); an encoder's have none. */
static int decodes(ia_model *m) {
    ia_session_options so;
    ia_session *s = NULL;
    int ctx;
    IA_SESSION_OPTIONS_INIT(&so);
    so.n_ctx = 16;
    if (ia_session_create(m, &so, &s) != IA_OK) return 0;
    ctx = ia_session_context(s);
    ia_session_free(s);
    return ctx > 0;
}

static void *load_models(void *arg) {
    ia_server *srv = arg;
    embed_batcher_options bo = {srv->o.max_batch_tokens, srv->o.max_batch_requests, srv->o.max_concurrent_requests,
                                srv->o.batch_wait_us};
    for (size_t i = 0; i < srv->n_models && !srv->stopping; i++) {
        serve_model *sm = &srv->models[i];
        ia_status st;
        double t0 = ia_now_sec();
        if ((st = ia_model_open_profile(sm->ref, &srv->profile, &sm->model)) != IA_OK) goto fail;
        if (decodes(sm->model)) {
            sm->kind = SERVE_GENERATE;
            gen_loop_options go = {srv->o.parallel, srv->o.n_ctx, srv->o.max_concurrent_requests,
                                   srv->o.request_timeout_ms, srv->o.prompt_cache};
            st = gen_loop_create(sm->model, &go, &srv->metrics, &sm->loop);
        } else {
            sm->kind = SERVE_EMBED;
            st = embed_batcher_create(sm->model, &bo, &srv->metrics, &sm->batcher);
        }
        if (st != IA_OK) goto fail;
        if (!srv->o.quiet)
            fprintf(stderr, "serve: %s loaded (%s, %s on %s) in %.2f s\n", sm->id, ia_model_family(sm->model),
                    sm->kind == SERVE_EMBED ? "embeddings" : "generation", ia_model_device(sm->model),
                    ia_now_sec() - t0);
        continue;
    fail:
        snprintf(srv->load_error, sizeof srv->load_error, "%s: %s", sm->ref, ia_last_error());
        fprintf(stderr, "serve: cannot load %s\n", srv->load_error);
        srv->ready = -1;
        return NULL;
    }
    if (!srv->stopping) srv->ready = 1;
    return NULL;
}

static ia_status bind_daemon(ia_server *srv) {
    struct addrinfo hints, *ai = NULL;
    char port[16];
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC;
    const union MHD_DaemonInfo *info;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    snprintf(port, sizeof port, "%d", srv->o.port);
    if (getaddrinfo(srv->host, port, &hints, &ai) != 0 || !ai)
        return ia_error(IA_ERR_INVALID_ARG, "serve: cannot resolve host '%s'", srv->host);
    if (ai->ai_family == AF_INET6) flags |= MHD_USE_IPv6;
    srv->daemon = MHD_start_daemon(
        flags, (uint16_t)srv->o.port, NULL, NULL, serve_on_request, srv, MHD_OPTION_SOCK_ADDR, ai->ai_addr,
        MHD_OPTION_NOTIFY_COMPLETED, serve_on_completed, srv, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)srv->o.max_connections, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
        MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1, MHD_OPTION_END);
    freeaddrinfo(ai);
    if (!srv->daemon) return ia_error(IA_ERR_IO, "serve: cannot listen on %s:%d (in use, or not an address here)", srv->host, srv->o.port);
    info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info ? info->port : srv->o.port;
    return IA_OK;
}

ia_status ia_server_start(const ia_server_options *opts, ia_server **out) {
    ia_server *srv;
    ia_status st;
    if (!out) return ia_error(IA_ERR_INVALID_ARG, "serve: out is NULL");
    *out = NULL;
    if (!(srv = calloc(1, sizeof *srv))) return ia_error(IA_ERR_NOMEM, "server");
    IA_SERVER_OPTIONS_INIT(&srv->o);
    if (opts && (st = ia_struct_import(&srv->o, sizeof srv->o, opts, "IA_SERVER_OPTIONS_INIT")) != IA_OK) goto fail;
    if ((st = check_options(&srv->o)) != IA_OK) goto fail;
    snprintf(srv->host, sizeof srv->host, "%s", srv->o.host);
    srv->o.host = srv->host;
    IA_HARDWARE_PROFILE_INIT(&srv->profile);
    if (srv->o.profile && (st = ia_struct_import(&srv->profile, sizeof srv->profile, srv->o.profile,
                                                 "IA_HARDWARE_PROFILE_INIT")) != IA_OK)
        goto fail;
    srv->o.profile = NULL;
    srv->o.models = NULL; /* copied below */
    if (srv->o.gateway_dir) {
        ia_blockstore_options bo;
        IA_BLOCKSTORE_OPTIONS_INIT(&bo);
        bo.dir = srv->o.gateway_dir[0] ? srv->o.gateway_dir : NULL;
        if ((st = ia_blockstore_open(&bo, &srv->blocks)) != IA_OK) goto fail;
        srv->o.gateway_dir = NULL; /* the caller's string is not kept */
    }
    if (!(srv->models = calloc(opts->n_models ? opts->n_models : 1, sizeof *srv->models))) {
        st = ia_error(IA_ERR_NOMEM, "server");
        goto fail;
    }
    srv->n_models = opts->n_models;
    for (size_t i = 0; i < srv->n_models; i++) {
        srv->models[i].ref = strdup(opts->models[i]);
        srv->models[i].id = model_id(opts->models[i]);
        if (!srv->models[i].ref || !srv->models[i].id) {
            st = ia_error(IA_ERR_NOMEM, "server");
            goto fail;
        }
    }
    serve_metrics_init(&srv->metrics);
    srv->started_unix = (long long)time(NULL);
    if ((st = bind_daemon(srv)) != IA_OK) {
        serve_metrics_destroy(&srv->metrics);
        goto fail;
    }
    if (pthread_create(&srv->loader, NULL, load_models, srv) != 0) {
        MHD_stop_daemon(srv->daemon);
        serve_metrics_destroy(&srv->metrics);
        st = ia_error(IA_ERR_INTERNAL, "serve: cannot start the loading thread");
        goto fail;
    }
    srv->loader_started = 1;
    *out = srv;
    return IA_OK;
fail:
    for (size_t i = 0; srv->models && i < srv->n_models; i++) free(srv->models[i].ref), free(srv->models[i].id);
    free(srv->models);
    ia_blockstore_close(srv->blocks);
    free(srv);
    return st;
}

int ia_server_port(const ia_server *srv) { return srv ? srv->port : 0; }
int ia_server_ready(const ia_server *srv) { return srv ? srv->ready : 0; }
const char *ia_server_load_error(const ia_server *srv) { return srv ? srv->load_error : ""; }

serve_model *serve_find_model(ia_server *srv, const char *id, serve_kind kind) {
    if (srv->ready != 1) return NULL;
    for (size_t i = 0; i < srv->n_models; i++) {
        serve_model *sm = &srv->models[i];
        if (id && id[0]) {
            if (strcmp(sm->id, id) == 0 || strcmp(sm->ref, id) == 0) return sm;
        } else if (sm->kind == kind) {
            return sm;
        }
    }
    return NULL;
}

void ia_server_shutdown(ia_server *srv, int drain_ms) {
    MHD_socket fd;
    double t0 = ia_now_sec();
    if (!srv) return;
    srv->stopping = 1;
    /* no new connections; the ones open finish what they received */
    fd = MHD_quiesce_daemon(srv->daemon);
    if (fd != MHD_INVALID_SOCKET) close(fd);
    while (srv->in_flight > 0 && (drain_ms <= 0 || (ia_now_sec() - t0) * 1000.0 < drain_ms)) usleep(10000);
    if (srv->loader_started) pthread_join(srv->loader, NULL);
    /* the loops first: a stream still open ends when its generation does */
    for (size_t i = 0; i < srv->n_models; i++) {
        gen_loop_free(srv->models[i].loop);
        srv->models[i].loop = NULL;
    }
    MHD_stop_daemon(srv->daemon);
    for (size_t i = 0; i < srv->n_models; i++) {
        embed_batcher_free(srv->models[i].batcher);
        ia_model_free(srv->models[i].model);
        free(srv->models[i].ref);
        free(srv->models[i].id);
    }
    free(srv->models);
    ia_blockstore_close(srv->blocks);
    serve_metrics_destroy(&srv->metrics);
    free(srv);
}
