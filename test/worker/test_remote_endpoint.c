/*
 * test_remote_endpoint.c — a remote embedding server as a Worker device:
 * the library's own server (ia_server_start, in this process, on a free
 * port) behind "http://127.0.0.1:PORT" gives the local model's vectors,
 * 40 texts go as two requests, an address where nothing listens and a
 * refused input fail with messages that name the endpoint, and concurrent
 * workers against a server that takes one request at a time all succeed
 * (their 429s are tried again).
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "ipfs_accelerate.h"
#include "worker/remote_endpoint.h"

#define MODEL "all-MiniLM-L6-v2"

static const char *const texts[] = {
    "A remote server is one more device of the Worker.",
    "Its vectors must equal the local model's.",
    "A third sentence, to make a batch of three.",
};

/* The library's server on 127.0.0.1, any free port, once the model is
 * loaded; NULL (and the reason printed) when it does not start. */
static ia_server *start_server(int max_concurrent, int batch_wait_us) {
    static const char *const models[] = {MODEL};
    ia_server_options o;
    ia_server *srv = NULL;
    IA_SERVER_OPTIONS_INIT(&o);
    o.port = 0;
    o.models = models;
    o.n_models = 1;
    o.quiet = 1;
    if (max_concurrent) o.max_concurrent_requests = max_concurrent;
    o.batch_wait_us = batch_wait_us;
    if (ia_server_start(&o, &srv) != IA_OK) {
        fprintf(stderr, "  ia_server_start: %s\n", ia_last_error());
        return NULL;
    }
    for (int i = 0; i < 6000 && ia_server_ready(srv) == 0; i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    if (ia_server_ready(srv) != 1) {
        fprintf(stderr, "  server not ready: %s\n", ia_server_load_error(srv));
        ia_server_shutdown(srv, 0);
        return NULL;
    }
    return srv;
}

static size_t collect(char *data, size_t size, size_t nmemb, void *user) {
    char *buf = user;
    size_t have = strlen(buf), n = size * nmemb, room = 65536 - 1 - have;
    memcpy(buf + have, data, n < room ? n : room);
    buf[have + (n < room ? n : room)] = '\0';
    return n;
}

/* ia_http_requests_total{route="embeddings",code="<code>"} from /metrics;
 * -1 when /metrics cannot be read. */
static long embeddings_answered(int port, int code) {
    static char body[65536];
    char url[64], key[96];
    const char *at;
    CURL *c = curl_easy_init();
    long n = 0;
    if (!c) return -1;
    body[0] = '\0';
    snprintf(url, sizeof url, "http://127.0.0.1:%d/metrics", port);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (curl_easy_perform(c) != CURLE_OK) n = -1;
    curl_easy_cleanup(c);
    snprintf(key, sizeof key, "ia_http_requests_total{route=\"embeddings\",code=\"%d\"} ", code);
    if (n == 0 && (at = strstr(body, key)) != NULL) n = strtol(at + strlen(key), NULL, 10);
    return n;
}

static float max_abs_diff(const float *a, const float *b, size_t n) {
    float m = 0;
    for (size_t i = 0; i < n; i++) {
        float d = a[i] > b[i] ? a[i] - b[i] : b[i] - a[i];
        if (d > m) m = d;
    }
    return m;
}

/* The local model's vectors for texts[0..n). */
static float *local_vectors(const char *const *t, size_t n) {
    ia_model_options o;
    ia_model *m = NULL;
    float *v = malloc(n * 384 * sizeof *v);
    IA_MODEL_OPTIONS_INIT(&o);
    if (!v || ia_model_open(MODEL, &o, &m) != IA_OK || ia_model_embed(m, t, n, v) != IA_OK) {
        fprintf(stderr, "  local model: %s\n", ia_last_error());
        free(v);
        v = NULL;
    }
    ia_model_free(m);
    return v;
}

IA_TEST(remote_endpoint_equals_local) {
    ia_server *srv = start_server(0, 0);
    ia_worker *w = NULL;
    ia_endpoint *e;
    char given[80], canon[64];
    const char *devices[1] = {given};
    static const char *const models[] = {MODEL};
    const char *many[40];
    char many_text[40][64];
    float got[40 * 384], *want = NULL, *want_many = NULL;
    long before, after;
    REQUIRE(srv);
    snprintf(canon, sizeof canon, "http://127.0.0.1:%d", ia_server_port(srv));
    snprintf(given, sizeof given, "%s/", canon); /* kept without its trailing slash */
    CHECK_STATUS(ia_worker_create(&w), IA_OK);
    CHECK_STATUS(ia_worker_init(w, models, 1, devices, 1), IA_OK);
    e = ia_worker_endpoint(w, MODEL, canon);
    CHECK(e && e == ia_worker_endpoint(w, MODEL, given));
    if (!e) goto done;
    CHECK(ia_endpoint_model(e) == NULL);
    CHECK(ia_endpoint_dim(e) == 384);
    CHECK(ia_endpoint_device(e) && strcmp(ia_endpoint_device(e), canon) == 0);
    /* the same URL again adds nothing */
    CHECK_STATUS(ia_worker_init(w, models, 1, devices, 1), IA_OK);

    want = local_vectors(texts, 3);
    REQUIRE(want);
    CHECK_STATUS(ia_endpoint_embed(e, texts, 3, got), IA_OK);
    CHECK_MSG(max_abs_diff(got, want, 3 * 384) <= 1e-6f, "max |remote - local| = %g", max_abs_diff(got, want, 3 * 384));

    /* 40 texts: two requests (32 + 8), in order */
    for (int i = 0; i < 40; i++) {
        snprintf(many_text[i], sizeof many_text[i], "sentence number %d of a batch of forty", i);
        many[i] = many_text[i];
    }
    want_many = local_vectors(many, 40);
    REQUIRE(want_many);
    before = embeddings_answered(ia_server_port(srv), 200);
    CHECK_STATUS(ia_endpoint_embed(e, many, 40, got), IA_OK);
    after = embeddings_answered(ia_server_port(srv), 200);
    CHECK_MSG(before >= 0 && after - before == 2, "requests for 40 texts: %ld", after - before);
    CHECK_MSG(max_abs_diff(got, want_many, 40 * 384) <= 1e-6f, "max |remote - local| = %g",
              max_abs_diff(got, want_many, 40 * 384));
    CHECK_STATUS(ia_endpoint_embed(e, texts, 0, got), IA_OK);

    /* an input the server refuses: HTTP 422 and the server's words */
    {
        size_t len = 600 * 6 + 1;
        char *long_text = malloc(len);
        const char *one[1];
        REQUIRE(long_text);
        long_text[0] = '\0';
        for (int i = 0; i < 600; i++) strcat(long_text, "word ");
        one[0] = long_text;
        CHECK_STATUS(ia_endpoint_embed(e, one, 1, got), IA_ERR_INVALID_ARG);
        CHECK_MSG(strstr(ia_last_error(), canon) && strstr(ia_last_error(), "HTTP 422") &&
                      strstr(ia_last_error(), "tokens"),
                  "%s", ia_last_error());
        free(long_text);
    }
done:
    free(want);
    free(want_many);
    ia_worker_free(w);
    ia_server_shutdown(srv, 0);
}

IA_TEST(remote_endpoint_unreachable) {
    /* a bound socket that does not listen: connecting to it is refused */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    socklen_t alen = sizeof a;
    char url[64], bad_host[] = "http:///v1";
    const char *devices[1] = {url};
    static const char *const models[] = {MODEL};
    const char *old = getenv("IA_REMOTE_RETRIES");
    char *saved = old ? strdup(old) : NULL;
    ia_worker *w = NULL;
    REQUIRE(fd >= 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && getsockname(fd, (struct sockaddr *)&a, &alen) == 0);
    snprintf(url, sizeof url, "http://127.0.0.1:%d", ntohs(a.sin_port));
    CHECK_STATUS(ia_worker_create(&w), IA_OK);

    setenv("IA_REMOTE_RETRIES", "2", 1); /* 3 tries: 100 + 200 ms of waiting */
    CHECK_STATUS(ia_worker_init(w, models, 1, devices, 1), IA_ERR_UNAVAILABLE);
    CHECK_MSG(strstr(ia_last_error(), url) && strstr(ia_last_error(), MODEL) &&
                  strstr(ia_last_error(), "connection refused after 3 tries"),
              "%s", ia_last_error());
    CHECK(ia_worker_endpoint(w, MODEL, url) == NULL);
    if (saved) setenv("IA_REMOTE_RETRIES", saved, 1);
    else unsetenv("IA_REMOTE_RETRIES");
    free(saved);

    devices[0] = bad_host;
    CHECK_STATUS(ia_worker_init(w, models, 1, devices, 1), IA_ERR_INVALID_ARG);
    CHECK_MSG(strstr(ia_last_error(), "no host"), "%s", ia_last_error());
    ia_worker_free(w);
    close(fd);
}

/* ---- concurrent workers against a server that takes one request at a time */

#define N_THREADS 3

typedef struct {
    const char *url;
    const float *want;
    pthread_barrier_t *start;
    ia_status init_st, embed_st;
    char err[512];
    float diff;
} job;

static void *run_job(void *arg) {
    job *j = arg;
    static const char *const models[] = {MODEL};
    const char *devices[1] = {j->url};
    ia_worker *w = NULL;
    float got[3 * 384];
    j->diff = 1;
    pthread_barrier_wait(j->start);
    if ((j->init_st = ia_worker_create(&w)) == IA_OK) j->init_st = ia_worker_init(w, models, 1, devices, 1);
    j->embed_st = j->init_st == IA_OK ? ia_endpoint_embed(ia_worker_endpoint(w, MODEL, j->url), texts, 3, got)
                                      : j->init_st;
    if (j->embed_st == IA_OK) j->diff = max_abs_diff(got, j->want, 3 * 384);
    else snprintf(j->err, sizeof j->err, "%s", ia_last_error());
    ia_worker_free(w);
    return NULL;
}

IA_TEST(remote_endpoint_retries_429) {
    /* one request at a time, each held 50 ms waiting for a batch: the
     * others, sent at the same instant, are answered 429 */
    ia_server *srv = start_server(1, 50 * 1000);
    pthread_t th[N_THREADS];
    job jobs[N_THREADS];
    pthread_barrier_t start;
    char url[64];
    float *want = local_vectors(texts, 3);
    unsigned long retries0 = ia_remote_retries_total();
    long refused;
    REQUIRE(srv && want);
    snprintf(url, sizeof url, "http://127.0.0.1:%d", ia_server_port(srv));
    pthread_barrier_init(&start, NULL, N_THREADS);
    for (int i = 0; i < N_THREADS; i++) {
        jobs[i] = (job){.url = url, .want = want, .start = &start};
        pthread_create(&th[i], NULL, run_job, &jobs[i]);
    }
    for (int i = 0; i < N_THREADS; i++) pthread_join(th[i], NULL);
    pthread_barrier_destroy(&start);
    for (int i = 0; i < N_THREADS; i++) {
        CHECK_MSG(jobs[i].init_st == IA_OK && jobs[i].embed_st == IA_OK, "worker %d: %s", i, jobs[i].err);
        CHECK_MSG(jobs[i].diff <= 1e-6f, "worker %d: max |remote - local| = %g", i, jobs[i].diff);
    }
    refused = embeddings_answered(ia_server_port(srv), 429);
    CHECK_MSG(refused > 0, "the server answered 429 %ld times", refused);
    CHECK_MSG(ia_remote_retries_total() - retries0 == (unsigned long)refused, "%lu retries for %ld 429s",
              ia_remote_retries_total() - retries0, refused);
    free(want);
    ia_server_shutdown(srv, 0);
}
