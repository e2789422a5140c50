/*
 * embed_batcher.h — merges the embedding requests of many connections into
 * batches for one model: a bounded queue that connection threads add to
 * and wait on, and one thread that takes from its head as many requests
 * as the batch limits allow and embeds them in one call.
 */
#ifndef IA_SERVE_EMBED_BATCHER_H
#define IA_SERVE_EMBED_BATCHER_H

#include <pthread.h>
#include <stddef.h>

#include "ipfs_accelerate.h"

struct serve_metrics;

typedef struct embed_job {
    const char *const *texts;
    size_t n;
    size_t tokens;           /* of all its texts, for the batch budget */
    float *out;              /* n * dim floats */
    ia_status st;
    char err[256];
    /* set by the batcher */
    int state;               /* 0 queued, 1 running, 2 done */
    double t_queued, t_started, t_done;
    size_t batch_inputs;     /* inputs of the batch that ran it */
    pthread_cond_t done;
    struct embed_job *next;
} embed_job;

typedef struct embed_batcher embed_batcher;

typedef struct embed_batcher_options {
    int max_batch_tokens;
    int max_batch_requests;  /* 0 = no limit */
    int max_queued;          /* requests queued or running */
    int batch_wait_us;
} embed_batcher_options;

ia_status embed_batcher_create(ia_model *m, const embed_batcher_options *o, struct serve_metrics *metrics,
                               embed_batcher **out);

typedef enum embed_wait { EMBED_DONE = 0, EMBED_QUEUE_FULL, EMBED_TIMED_OUT, EMBED_STOPPED } embed_wait;

/* Queues job and waits until it ran (job->st says how). Waiting in the
 * queue longer than timeout_ms takes it out again (EMBED_TIMED_OUT); once
 * running it always finishes. */
embed_wait embed_batcher_run(embed_batcher *b, embed_job *job, int timeout_ms);

/* Requests queued or running. */
int embed_batcher_load(embed_batcher *b);

/* Finishes what is queued, stops the thread, frees. NULL-safe. */
void embed_batcher_free(embed_batcher *b);

#endif
