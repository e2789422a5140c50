/*
 * metrics.c — counters and histograms for GET /metrics (metrics.h).
 */
#include "serve/metrics.h"

#include <string.h>

static const double seconds_le[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
static const double size_le[] = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};
static const double token_le[] = {16, 64, 256, 1024, 2048, 4096, 8192, 16384, 32768};

static void hist_init(serve_hist *h, const char *name, const char *help, const double *le, int n) {
    memset(h, 0, sizeof *h);
    h->name = name;
    h->help = help;
    h->n = n;
    memcpy(h->le, le, (size_t)n * sizeof *le);
}

#define HIST(h, name, help, le) hist_init(h, name, help, le, (int)(sizeof le / sizeof le[0]))

void serve_metrics_init(serve_metrics *m) {
    memset(m, 0, sizeof *m);
    pthread_mutex_init(&m->mu, NULL);
    HIST(&m->request_duration, "te_request_duration", "Duration of a request, seconds", seconds_le);
    HIST(&m->queue_duration, "te_request_queue_duration", "Time a request waited in its queue, seconds",
         seconds_le);
    HIST(&m->tokenization_duration, "te_request_tokenization_duration",
         "Time to tokenize (count and check) a request's inputs, seconds", seconds_le);
    HIST(&m->inference_duration, "te_request_inference_duration", "Time of the batch that ran a request, seconds",
         seconds_le);
    HIST(&m->batch_size, "te_batch_next_size", "Inputs per embedding batch", size_le);
    HIST(&m->batch_tokens, "te_batch_next_tokens", "Tokens per embedding batch", token_le);
    HIST(&m->gen_step_size, "ia_generation_step_sequences", "Sequences decoded together per generation step",
         size_le);
}

void serve_metrics_destroy(serve_metrics *m) { pthread_mutex_destroy(&m->mu); }

void serve_metrics_observe(serve_metrics *m, serve_hist *h, double v) {
    int i = 0;
    pthread_mutex_lock(&m->mu);
    while (i < h->n && v > h->le[i]) i++;
    h->count[i]++;
    h->sum += v;
    pthread_mutex_unlock(&m->mu);
}

void serve_metrics_add(serve_metrics *m, unsigned long long *counter, unsigned long long v) {
    pthread_mutex_lock(&m->mu);
    *counter += v;
    pthread_mutex_unlock(&m->mu);
}

void serve_metrics_response(serve_metrics *m, const char *route, int status) {
    int i;
    pthread_mutex_lock(&m->mu);
    for (i = 0; i < m->n_rows; i++)
        if (m->rows[i].status == status && strcmp(m->rows[i].route, route) == 0) break;
    if (i == m->n_rows && m->n_rows < SERVE_MAX_STATUS_ROWS) m->rows[m->n_rows++] = (serve_status_row){route, status, 0};
    if (i < m->n_rows) m->rows[i].count++;
    pthread_mutex_unlock(&m->mu);
}

static void write_hist(sbuf *o, const serve_hist *h) {
    unsigned long long cum = 0;
    sbuf_printf(o, "# HELP %s %s\n# TYPE %s histogram\n", h->name, h->help, h->name);
    for (int i = 0; i < h->n; i++) {
        cum += h->count[i];
        sbuf_printf(o, "%s_bucket{le=\"%g\"} %llu\n", h->name, h->le[i], cum);
    }
    cum += h->count[h->n];
    sbuf_printf(o, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.9g\n%s_count %llu\n", h->name, cum, h->name, h->sum,
                h->name, cum);
}

static void write_counter(sbuf *o, const char *name, const char *help, unsigned long long v) {
    sbuf_printf(o, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", name, help, name, name, v);
}

void serve_metrics_write(serve_metrics *m, sbuf *o) {
    unsigned long long ok = 0, failed = 0;
    pthread_mutex_lock(&m->mu);
    sbuf_puts(o, "# HELP ia_http_requests_total Responses by route and status code\n"
                 "# TYPE ia_http_requests_total counter\n");
    for (int i = 0; i < m->n_rows; i++) {
        sbuf_printf(o, "ia_http_requests_total{route=\"%s\",code=\"%d\"} %llu\n", m->rows[i].route,
                    m->rows[i].status, m->rows[i].count);
        if (strcmp(m->rows[i].route, "embed") == 0 || strcmp(m->rows[i].route, "embeddings") == 0) {
            if (m->rows[i].status < 400) ok += m->rows[i].count;
            else failed += m->rows[i].count;
        }
    }
    write_counter(o, "te_request_count", "Embedding requests received", ok + failed);
    write_counter(o, "te_request_success", "Embedding requests answered with success", ok);
    write_counter(o, "te_request_failure", "Embedding requests answered with an error", failed);
    write_counter(o, "te_embed_inputs_total", "Inputs embedded", m->embed_inputs);
    write_counter(o, "ia_prompt_tokens_total", "Prompt tokens of generation requests", m->prompt_tokens);
    write_counter(o, "ia_generated_tokens_total", "Tokens generated", m->generated_tokens);
    write_hist(o, &m->request_duration);
    write_hist(o, &m->queue_duration);
    write_hist(o, &m->tokenization_duration);
    write_hist(o, &m->inference_duration);
    write_hist(o, &m->batch_size);
    write_hist(o, &m->batch_tokens);
    write_hist(o, &m->gen_step_size);
    pthread_mutex_unlock(&m->mu);
}
