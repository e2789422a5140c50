/*
 * gen_loop.c — continuous batching of generations (gen_loop.h).
 *
 * Admission prefills a new request's prompt whole, between two steps of
 * the others: a long prompt delays their next token by its prefill time
 * (chunked prefill interleaved with the steps is not done).
 */
#include "serve/gen_loop.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "serve/metrics.h"
#include "util/clock.h"

typedef struct slot {
    ia_session *s;
    gen_request *req;        /* NULL when free */
    ia_generation *g;
} slot;

struct gen_loop {
    ia_model *model;
    slot *slots;
    int parallel, max_queued, queue_timeout_ms, prompt_cache;
    struct serve_metrics *metrics;
    pthread_mutex_t mu;
    pthread_cond_t work;
    gen_request **queue;     /* FIFO ring of max_queued */
    int q_head, q_len, running;
    int stop;
    pthread_t thread;
    ia_generation **step;    /* the generations of one step */
};

gen_request *gen_request_new(void) {
    gen_request *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    pthread_mutex_init(&r->mu, NULL);
    {
        pthread_condattr_t a;
        pthread_condattr_init(&a);
        pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
        pthread_cond_init(&r->cond, &a);
        pthread_condattr_destroy(&a);
    }
    r->refs = 1;
    IA_GENERATE_OPTIONS_INIT(&r->gen);
    IA_SAMPLING_OPTIONS_INIT(&r->sampling);
    IA_GENERATE_RESULT_INIT(&r->result);
    return r;
}

void gen_request_release(gen_request *r) {
    int left;
    if (!r) return;
    pthread_mutex_lock(&r->mu);
    left = --r->refs;
    pthread_mutex_unlock(&r->mu);
    if (left) return;
    free(r->prompt);
    for (int i = 0; i < GEN_MAX_STOP; i++) free(r->stop[i]);
    sbuf_free(&r->pending);
    ia_free(r->result.text);
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cond);
    free(r);
}

/* on_token: runs on the loop's thread. */
static int on_piece(const char *piece, size_t len, int32_t token, void *ud) {
    gen_request *r = ud;
    int cancel;
    (void)token;
    pthread_mutex_lock(&r->mu);
    sbuf_put(&r->pending, piece, len);
    cancel = r->cancelled;
    pthread_cond_signal(&r->cond);
    pthread_mutex_unlock(&r->mu);
    return cancel;
}

/* Ends r with st (and its error message when not IA_OK). */
static void finish(gen_request *r, ia_status st, const char *err, ia_generate_result *res) {
    pthread_mutex_lock(&r->mu);
    r->st = st;
    snprintf(r->err, sizeof r->err, "%s", st == IA_OK ? "" : err);
    if (res) r->result = *res;
    r->finished = 1;
    pthread_cond_broadcast(&r->cond);
    pthread_mutex_unlock(&r->mu);
    gen_request_release(r);
}

static int is_cancelled(gen_request *r) {
    int c;
    pthread_mutex_lock(&r->mu);
    c = r->cancelled;
    pthread_mutex_unlock(&r->mu);
    return c;
}

/* Starts the generation of r in slot sl (mu not held). */
static void admit(gen_loop *l, slot *sl, gen_request *r) {
    ia_status st;
    if (is_cancelled(r)) {
        finish(r, IA_ERR_INVALID_ARG, "cancelled by the client", NULL);
        return;
    }
    if (ia_now_sec() - r->t_queued > l->queue_timeout_ms / 1000.0) {
        finish(r, IA_ERR_IO, "timed out waiting for a free sequence slot", NULL);
        return;
    }
    if (!l->prompt_cache) ia_session_reset(sl->s);
    r->gen.sampling = &r->sampling;
    r->gen.on_token = on_piece;
    r->gen.user_data = r;
    st = ia_generation_start(sl->s, r->prompt, &r->gen, &sl->g);
    if (st != IA_OK) {
        finish(r, st, ia_last_error(), NULL);
        return;
    }
    sl->req = r;
}

/* Ends the slot's generation when it finished or its client left. */
static void retire(gen_loop *l, slot *sl) {
    ia_generate_result res;
    ia_status st;
    if (!sl->req) return;
    if (!ia_generation_finished(sl->g) && !is_cancelled(sl->req)) return;
    IA_GENERATE_RESULT_INIT(&res);
    st = ia_generation_end(sl->g, &res);
    sl->g = NULL;
    if (st == IA_OK) {
        serve_metrics_add(l->metrics, &l->metrics->prompt_tokens, (unsigned long long)res.prompt_tokens);
        serve_metrics_add(l->metrics, &l->metrics->generated_tokens, (unsigned long long)res.generated_tokens);
    }
    finish(sl->req, st, ia_last_error(), st == IA_OK ? &res : NULL);
    sl->req = NULL;
    pthread_mutex_lock(&l->mu);
    l->running--;
    pthread_mutex_unlock(&l->mu);
}

static void *loop_main(void *arg) {
    gen_loop *l = arg;
    for (;;) {
        int n = 0;
        pthread_mutex_lock(&l->mu);
        while (!l->running && !l->q_len && !l->stop) pthread_cond_wait(&l->work, &l->mu);
        if (l->stop && !l->running && !l->q_len) {
            pthread_mutex_unlock(&l->mu);
            break;
        }
        if (l->stop) /* what still runs when the server stops is cancelled */
            for (int i = 0; i < l->parallel; i++)
                if (l->slots[i].req) gen_request_cancel(l->slots[i].req);
        /* admit queued requests into free slots */
        for (int i = 0; i < l->parallel && l->q_len; i++) {
            gen_request *r;
            if (l->slots[i].req) continue;
            r = l->queue[l->q_head];
            l->q_head = (l->q_head + 1) % l->max_queued;
            l->q_len--;
            l->running++;
            pthread_mutex_unlock(&l->mu);
            admit(l, &l->slots[i], r);
            pthread_mutex_lock(&l->mu);
            if (!l->slots[i].req) l->running--;
        }
        pthread_mutex_unlock(&l->mu);
        for (int i = 0; i < l->parallel; i++) retire(l, &l->slots[i]);
        for (int i = 0; i < l->parallel; i++)
            if (l->slots[i].req) l->step[n++] = l->slots[i].g;
        if (n) {
            serve_metrics_observe(l->metrics, &l->metrics->gen_step_size, (double)n);
            ia_generation_step(l->step, (size_t)n); /* an error ends the generations; retire reports it */
        }
        for (int i = 0; i < l->parallel; i++) retire(l, &l->slots[i]);
    }
    return NULL;
}

ia_status gen_loop_create(ia_model *m, const gen_loop_options *o, struct serve_metrics *metrics, gen_loop **out) {
    gen_loop *l;
    ia_session_options so;
    ia_status st = IA_ERR_NOMEM;
    int parallel = o->parallel, max_queued = o->max_queued, n_ctx = o->n_ctx;
    *out = NULL;
    if (!(l = calloc(1, sizeof *l))) return IA_ERR_NOMEM;
    l->model = m;
    l->parallel = parallel;
    l->max_queued = max_queued;
    l->queue_timeout_ms = o->queue_timeout_ms;
    l->prompt_cache = o->prompt_cache;
    l->metrics = metrics;
    l->slots = calloc((size_t)parallel, sizeof *l->slots);
    l->queue = calloc((size_t)max_queued, sizeof *l->queue);
    l->step = calloc((size_t)parallel, sizeof *l->step);
    if (!l->slots || !l->queue || !l->step) goto fail;
    IA_SESSION_OPTIONS_INIT(&so);
    so.n_ctx = n_ctx;
    for (int i = 0; i < parallel; i++)
        if ((st = ia_session_create(m, &so, &l->slots[i].s)) != IA_OK) goto fail;
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->work, NULL);
    if (pthread_create(&l->thread, NULL, loop_main, l) != 0) {
        pthread_mutex_destroy(&l->mu);
        pthread_cond_destroy(&l->work);
        st = IA_ERR_INTERNAL;
        goto fail;
    }
    *out = l;
    return IA_OK;
fail:
    if (l->slots)
        for (int i = 0; i < parallel; i++) ia_session_free(l->slots[i].s);
    free(l->slots);
    free(l->queue);
    free(l->step);
    free(l);
    return st;
}

int gen_loop_submit(gen_loop *l, gen_request *r) {
    int rc = 0;
    r->t_queued = ia_now_sec();
    pthread_mutex_lock(&l->mu);
    if (l->stop) rc = -2;
    else if (l->q_len >= l->max_queued) rc = -1;
    else {
        pthread_mutex_lock(&r->mu);
        r->refs++;
        pthread_mutex_unlock(&r->mu);
        l->queue[(l->q_head + l->q_len) % l->max_queued] = r;
        l->q_len++;
        pthread_cond_signal(&l->work);
    }
    pthread_mutex_unlock(&l->mu);
    return rc;
}

int gen_request_wait(gen_request *r, sbuf *out, int timeout_ms) {
    struct timespec until;
    int done;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) until.tv_sec++, until.tv_nsec -= 1000000000L;
    pthread_mutex_lock(&r->mu);
    while (!r->finished && r->pending.len == 0)
        if (pthread_cond_timedwait(&r->cond, &r->mu, &until) == ETIMEDOUT) break;
    if (r->pending.len) {
        sbuf_put(out, r->pending.data, r->pending.len);
        r->pending.len = 0;
    }
    done = r->finished;
    pthread_mutex_unlock(&r->mu);
    return done;
}

void gen_request_cancel(gen_request *r) {
    pthread_mutex_lock(&r->mu);
    r->cancelled = 1;
    pthread_mutex_unlock(&r->mu);
}

int gen_loop_load(gen_loop *l) {
    int n;
    pthread_mutex_lock(&l->mu);
    n = l->q_len + l->running;
    pthread_mutex_unlock(&l->mu);
    return n;
}

void gen_loop_free(gen_loop *l) {
    if (!l) return;
    pthread_mutex_lock(&l->mu);
    l->stop = 1;
    /* what is still queued is refused; what runs is cancelled */
    while (l->q_len) {
        gen_request *r = l->queue[l->q_head];
        l->q_head = (l->q_head + 1) % l->max_queued;
        l->q_len--;
        finish(r, IA_ERR_IO, "the server is stopping", NULL);
    }
    pthread_cond_broadcast(&l->work);
    pthread_mutex_unlock(&l->mu);
    pthread_join(l->thread, NULL);
    for (int i = 0; i < l->parallel; i++) ia_session_free(l->slots[i].s);
    pthread_mutex_destroy(&l->mu);
    pthread_cond_destroy(&l->work);
    free(l->slots);
    free(l->queue);
    free(l->step);
    free(l);
}
