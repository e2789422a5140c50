/*
 * embed_batcher.c — embedding batches across requests (embed_batcher.h).
 *
 * The batcher does not wait for a batch to fill by default: while one
 * batch runs, the requests that arrive queue up and form the next one, so
 * under load the batches grow by themselves and an idle server answers a
 * lone request at once (Text Embeddings Inference does the same).
 */
#include "serve/embed_batcher.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "serve/metrics.h"
#include "util/clock.h"

struct embed_batcher {
    ia_model *model;
    ia_session *session;
    embed_batcher_options o;
    struct serve_metrics *metrics;
    int dim;
    pthread_mutex_t mu;
    pthread_cond_t work;     /* the batcher waits here for jobs */
    embed_job *head, *tail;
    int load;                /* queued + running */
    int stop;
    pthread_t thread;
    /* the batch being built, reused */
    const char **texts;
    size_t texts_cap;
    float *out;
    size_t out_cap;
};

static void deadline_after(struct timespec *ts, long long us) {
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += (time_t)(us / 1000000);
    ts->tv_nsec += (long)(us % 1000000) * 1000;
    if (ts->tv_nsec >= 1000000000L) ts->tv_sec++, ts->tv_nsec -= 1000000000L;
}

static void cond_init_monotonic(pthread_cond_t *c) {
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(c, &a);
    pthread_condattr_destroy(&a);
}

/* Takes from the head of the queue the jobs of the next batch (mu held):
 * at least one, then more while the token and request limits allow. */
static embed_job *take_batch(embed_batcher *b, size_t *n_texts, size_t *n_tokens) {
    embed_job *first = b->head, *last = first;
    size_t texts = first->n, tokens = first->tokens;
    int jobs = 1;
    while (last->next) {
        embed_job *j = last->next;
        if (tokens + j->tokens > (size_t)b->o.max_batch_tokens) break;
        if (b->o.max_batch_requests && jobs + 1 > b->o.max_batch_requests) break;
        texts += j->n, tokens += j->tokens, jobs++;
        last = j;
    }
    b->head = last->next;
    if (!b->head) b->tail = NULL;
    last->next = NULL;
    *n_texts = texts;
    *n_tokens = tokens;
    return first;
}

/* Room for the batch's text pointers and vectors. */
static int reserve(embed_batcher *b, size_t n) {
    if (n > b->texts_cap) {
        const char **t = realloc(b->texts, n * sizeof *t);
        if (!t) return 0;
        b->texts = t, b->texts_cap = n;
    }
    if (n * (size_t)b->dim > b->out_cap) {
        float *o = realloc(b->out, n * (size_t)b->dim * sizeof *o);
        if (!o) return 0;
        b->out = o, b->out_cap = n * (size_t)b->dim;
    }
    return 1;
}

static void run_batch(embed_batcher *b, embed_job *jobs, size_t n_texts, size_t n_tokens) {
    ia_status st = IA_ERR_NOMEM;
    const char *err = "out of memory for the batch";
    size_t k = 0;
    double t0 = ia_now_sec(), t1;
    if (reserve(b, n_texts)) {
        for (embed_job *j = jobs; j; j = j->next)
            for (size_t i = 0; i < j->n; i++) b->texts[k++] = j->texts[i];
        st = ia_session_embed(b->session, b->texts, n_texts, b->out);
        err = st == IA_OK ? "" : ia_last_error();
    }
    t1 = ia_now_sec();
    serve_metrics_observe(b->metrics, &b->metrics->batch_size, (double)n_texts);
    serve_metrics_observe(b->metrics, &b->metrics->batch_tokens, (double)n_tokens);
    serve_metrics_add(b->metrics, &b->metrics->embed_inputs, st == IA_OK ? n_texts : 0);
    pthread_mutex_lock(&b->mu);
    k = 0;
    for (embed_job *j = jobs, *next; j; j = next) {
        next = j->next;
        j->st = st;
        snprintf(j->err, sizeof j->err, "%s", err);
        if (st == IA_OK) memcpy(j->out, b->out + k * (size_t)b->dim, j->n * (size_t)b->dim * sizeof *j->out);
        k += j->n;
        j->t_started = t0;
        j->t_done = t1;
        j->batch_inputs = n_texts;
        j->state = 2;
        b->load--;
        pthread_cond_signal(&j->done);
    }
    pthread_mutex_unlock(&b->mu);
}

static size_t queued_tokens(const embed_batcher *b) {
    size_t t = 0;
    for (const embed_job *j = b->head; j; j = j->next) t += j->tokens;
    return t;
}

static void *batcher_main(void *arg) {
    embed_batcher *b = arg;
    pthread_mutex_lock(&b->mu);
    for (;;) {
        embed_job *jobs;
        size_t n_texts, n_tokens;
        while (!b->head && !b->stop) pthread_cond_wait(&b->work, &b->mu);
        if (!b->head) break; /* stopping and nothing left */
        if (b->o.batch_wait_us > 0) {
            /* wait for the batch to fill: until its token budget is
             * queued, at most batch_wait_us */
            struct timespec until;
            deadline_after(&until, b->o.batch_wait_us);
            while (!b->stop && queued_tokens(b) < (size_t)b->o.max_batch_tokens &&
                   pthread_cond_timedwait(&b->work, &b->mu, &until) != ETIMEDOUT) {
            }
            if (!b->head) continue;
        }
        jobs = take_batch(b, &n_texts, &n_tokens);
        for (embed_job *j = jobs; j; j = j->next) j->state = 1;
        pthread_mutex_unlock(&b->mu);
        run_batch(b, jobs, n_texts, n_tokens);
        pthread_mutex_lock(&b->mu);
    }
    pthread_mutex_unlock(&b->mu);
    return NULL;
}

ia_status embed_batcher_create(ia_model *m, const embed_batcher_options *o, struct serve_metrics *metrics,
                               embed_batcher **out) {
    embed_batcher *b;
    ia_status st;
    *out = NULL;
    if (!(b = calloc(1, sizeof *b))) return IA_ERR_NOMEM;
    b->model = m;
    b->o = *o;
    b->metrics = metrics;
    b->dim = ia_model_dim(m);
    if ((st = ia_session_create(m, NULL, &b->session)) != IA_OK) {
        free(b);
        return st;
    }
    pthread_mutex_init(&b->mu, NULL);
    cond_init_monotonic(&b->work);
    if (pthread_create(&b->thread, NULL, batcher_main, b) != 0) {
        ia_session_free(b->session);
        pthread_mutex_destroy(&b->mu);
        pthread_cond_destroy(&b->work);
        free(b);
        return IA_ERR_INTERNAL;
    }
    *out = b;
    return IA_OK;
}

embed_wait embed_batcher_run(embed_batcher *b, embed_job *job, int timeout_ms) {
    struct timespec until;
    embed_wait w = EMBED_DONE;
    cond_init_monotonic(&job->done);
    job->state = 0;
    job->next = NULL;
    job->t_queued = ia_now_sec();
    deadline_after(&until, (long long)timeout_ms * 1000);
    pthread_mutex_lock(&b->mu);
    if (b->stop) w = EMBED_STOPPED;
    else if (b->load >= b->o.max_queued) w = EMBED_QUEUE_FULL;
    if (w != EMBED_DONE) {
        pthread_mutex_unlock(&b->mu);
        pthread_cond_destroy(&job->done);
        return w;
    }
    b->load++;
    if (b->tail) b->tail->next = job;
    else b->head = job;
    b->tail = job;
    pthread_cond_signal(&b->work);
    while (job->state != 2) {
        if (job->state == 0 && pthread_cond_timedwait(&job->done, &b->mu, &until) == ETIMEDOUT && job->state == 0) {
            /* still queued: take it out */
            embed_job **pp = &b->head, *prev = NULL;
            while (*pp != job) prev = *pp, pp = &(*pp)->next;
            *pp = job->next;
            if (b->tail == job) b->tail = prev;
            b->load--;
            w = EMBED_TIMED_OUT;
            break;
        }
        if (job->state == 1) pthread_cond_wait(&job->done, &b->mu);
    }
    pthread_mutex_unlock(&b->mu);
    pthread_cond_destroy(&job->done);
    return w;
}

int embed_batcher_load(embed_batcher *b) {
    int n;
    pthread_mutex_lock(&b->mu);
    n = b->load;
    pthread_mutex_unlock(&b->mu);
    return n;
}

void embed_batcher_free(embed_batcher *b) {
    if (!b) return;
    pthread_mutex_lock(&b->mu);
    b->stop = 1;
    pthread_cond_broadcast(&b->work);
    pthread_mutex_unlock(&b->mu);
    pthread_join(b->thread, NULL);
    ia_session_free(b->session);
    pthread_mutex_destroy(&b->mu);
    pthread_cond_destroy(&b->work);
    free(b->texts);
    free(b->out);
    free(b);
}
