/*
 * metrics.h — the server's counters and histograms, written as Prometheus
 * text by GET /metrics. Names follow Text Embeddings Inference's (te_*)
 * where TEI has one, so its dashboards read ours; the generation and HTTP
 * figures are ours (ia_*).
 */
#ifndef IA_SERVE_METRICS_H
#define IA_SERVE_METRICS_H

#include <pthread.h>

#include "serve/sbuf.h"

#define SERVE_HIST_BUCKETS 14
#define SERVE_MAX_STATUS_ROWS 64

typedef struct serve_hist {
    const char *name, *help;
    int n;                                          /* bounds used */
    double le[SERVE_HIST_BUCKETS];                  /* upper bounds, ascending */
    unsigned long long count[SERVE_HIST_BUCKETS + 1]; /* per bucket, + the +Inf one */
    double sum;
} serve_hist;

typedef struct serve_status_row {
    const char *route;
    int status;
    unsigned long long count;
} serve_status_row;

typedef struct serve_metrics {
    pthread_mutex_t mu;
    serve_hist request_duration, queue_duration, tokenization_duration, inference_duration;
    serve_hist batch_size, batch_tokens, gen_step_size;
    unsigned long long embed_requests, embed_inputs, prompt_tokens, generated_tokens;
    serve_status_row rows[SERVE_MAX_STATUS_ROWS];
    int n_rows;
} serve_metrics;

void serve_metrics_init(serve_metrics *m);
void serve_metrics_destroy(serve_metrics *m);
void serve_metrics_observe(serve_metrics *m, serve_hist *h, double v);
void serve_metrics_add(serve_metrics *m, unsigned long long *counter, unsigned long long v);
/* One response of route (a static string) with status. */
void serve_metrics_response(serve_metrics *m, const char *route, int status);
/* Writes everything in Prometheus text format 0.0.4. */
void serve_metrics_write(serve_metrics *m, sbuf *out);

#endif
