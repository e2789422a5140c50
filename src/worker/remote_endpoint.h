/*
 * remote_endpoint.h — a remote embedding server as a Worker device: an
 * OpenAI-compatible POST {url}/v1/embeddings, or Text Embeddings Inference's
 * POST {url}/embed when the first answers 404 with no OpenAI error object.
 *
 * Native builds only (libcurl): IA_HAVE_REMOTE_ENDPOINT is 1 where
 * remote_endpoint.c is compiled; the wasm32 builds leave the file out
 * (scripts/wasm32_core.sh) and the Worker answers a URL device with
 * IA_ERR_UNSUPPORTED there.
 *
 * Environment, read when an endpoint is opened:
 *   IA_REMOTE_API_KEY (else OPENAI_API_KEY)  sent as "Authorization: Bearer"
 *   IA_REMOTE_TIMEOUT_MS  whole-request limit, default 120000 (connecting:
 *                         5000, or this when smaller)
 *   IA_REMOTE_RETRIES     retries after the first try, default 4 (5 tries):
 *                         on 429, 503 and failures to connect, with waits
 *                         of 100 ms doubling, or the server's Retry-After
 *                         (at most 10 s) when it sends one
 */
#ifndef IA_WORKER_REMOTE_ENDPOINT_H
#define IA_WORKER_REMOTE_ENDPOINT_H

#include <stddef.h>

#include "ipfs_accelerate.h"

#if !defined(__wasm__) && !defined(IA_NO_REMOTE_ENDPOINT)
#define IA_HAVE_REMOTE_ENDPOINT 1
#else
#define IA_HAVE_REMOTE_ENDPOINT 0
#endif

/* Texts per request: TEI's default --max-client-batch-size. */
#define IA_REMOTE_MAX_BATCH 32

typedef struct ia_remote ia_remote;

/* Opens the endpoint at url (canonical) for model (sent as given) and sends
 * a one-text probe to learn the vector width: fails with a message naming
 * the endpoint and the model when the server cannot embed. */
ia_status ia_remote_open(const char *url, const char *model, ia_remote **out);

/* Embeds n texts into out[n * dim], in requests of at most
 * IA_REMOTE_MAX_BATCH texts. Errors name the endpoint and the reason. */
ia_status ia_remote_embed(ia_remote *r, const char *const *texts, size_t n, float *out);

int ia_remote_dim(const ia_remote *r);
const char *ia_remote_url(const ia_remote *r);
/* "openai" (POST /v1/embeddings) or "tei" (POST /embed). */
const char *ia_remote_protocol(const ia_remote *r);
/* Tries made again (after a 429, a 503 or a failed connection) by every
 * endpoint of this process so far: for tests. */
unsigned long ia_remote_retries_total(void);

void ia_remote_free(ia_remote *r); /* NULL-safe */

#endif
