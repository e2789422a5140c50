/*
 * gen_loop.h — continuous batching for one decoder model: requests queue
 * for one of `parallel` slots (a session each); one thread admits them
 * (prefill), then decodes one token of every running generation per step
 * (ia_generation_step), so the weights are read once per step for all of
 * them. A request's text reaches its connection piece by piece.
 */
#ifndef IA_SERVE_GEN_LOOP_H
#define IA_SERVE_GEN_LOOP_H

#include <pthread.h>
#include <stddef.h>

#include "ipfs_accelerate.h"
#include "serve/sbuf.h"

struct serve_metrics;

#define GEN_MAX_STOP 4

typedef struct gen_request {
    /* set by the route before gen_loop_submit, read-only afterwards */
    char *prompt;
    ia_generate_options gen;
    ia_sampling_options sampling;
    char *stop[GEN_MAX_STOP];
    /* shared with the loop (mu) */
    pthread_mutex_t mu;
    pthread_cond_t cond;
    sbuf pending;            /* text generated and not yet taken */
    int finished, cancelled, refs;
    ia_status st;
    char err[256];
    ia_generate_result result; /* once finished (text: ia_free) */
    double t_queued;
} gen_request;

typedef struct gen_loop gen_loop;

typedef struct gen_loop_options {
    int parallel, n_ctx, max_queued, queue_timeout_ms;
    int prompt_cache;        /* reuse the prefix a slot's session holds */
} gen_loop_options;

ia_status gen_loop_create(ia_model *m, const gen_loop_options *o, struct serve_metrics *metrics, gen_loop **out);
void gen_loop_free(gen_loop *l); /* ends what runs, joins; NULL-safe */

gen_request *gen_request_new(void);
/* Drops one reference (the route's or the loop's); the last frees. */
void gen_request_release(gen_request *r);

/* Queues r (the loop takes a reference): 0, or -1 when the queue is full,
 * -2 when the loop is stopping. */
int gen_loop_submit(gen_loop *l, gen_request *r);

/* Waits at most timeout_ms for text or the end; moves the pending text to
 * out. 1 once finished (and all its text taken), else 0. */
int gen_request_wait(gen_request *r, sbuf *out, int timeout_ms);

/* The client went away: the loop ends the generation at its next step. */
void gen_request_cancel(gen_request *r);

/* Requests queued or running. */
int gen_loop_load(gen_loop *l);

#endif
