/*
 * cmd_serve.c — `ipfs-accelerate serve`: the HTTP server (ia_server_*)
 * until SIGTERM or Ctrl-C, then a graceful stop and exit 0.
 *
 * The signals are blocked before the server's threads start (they inherit
 * the mask) and taken with sigwait on this thread: no handler runs inside
 * a library call.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "ipfs_accelerate.h"

#define MAX_MODELS 16

static void usage(FILE *f) {
    fprintf(f,
            "usage: ipfs-accelerate serve [options]\n"
            "\n"
            "Serves models over HTTP until SIGTERM or Ctrl-C (then stops accepting, lets the\n"
            "requests already received finish, and exits 0). Encoder models answer Text\n"
            "Embeddings Inference's POST /embed and OpenAI's POST /v1/embeddings; decoder\n"
            "models OpenAI's POST /v1/chat/completions and /v1/completions (\"stream\": true\n"
            "for server-sent events). GET /health (503 until loaded), /info, /v1/models,\n"
            "/metrics (Prometheus). docs/serving.md has the details.\n"
            "\n"
            "options:\n"
            "  --model M          a model to serve (repeat for several; default " IA_DEFAULT_MODEL ");\n"
            "                     clients name it by its last path part, without .gguf\n"
            "  --host H           address to bind (default 127.0.0.1: loopback only;\n"
            "                     0.0.0.0 for every interface)\n"
            "  --port P           port (default 8080; 0 = any free port, printed)\n"
            "  --device D         auto (default) or cpu; absent devices are refused\n"
            "  --precision P      fp32 (default), int8, int4, int2 (quantised at load)\n"
            "  --threads N        threads per model (default: one per CPU)\n"
            "  --max-batch-tokens N     tokens of one embedding batch (default 16384)\n"
            "  --max-batch-requests N   requests merged into one batch (default: no limit)\n"
            "  --max-client-batch-size N  inputs of one embedding request (default 32; more: 422)\n"
            "  --max-concurrent-requests N  queued or running per model (default 512; more: 429)\n"
            "  --batch-wait-us N  how long a batch waits to fill (default 0: under load the\n"
            "                     queue fills batches while the previous one runs)\n"
            "  --max-body SIZE    largest request body (default 2MiB; more: 413)\n"
            "  --timeout-ms N     to receive a body, and to wait in a queue (default 60000)\n"
            "  --parallel N       sequences a decoder generates at once (default 8)\n"
            "  --ctx N            context of each of them in tokens (default 2048)\n"
            "  --max-connections N  (default 1024)\n"
            "  --drain-ms N       on SIGTERM, how long to let running requests finish\n"
            "                     (default 30000; 0 = as long as they take)\n"
            "  --prompt-cache     a sequence slot reuses the prompt prefix it holds (faster\n"
            "                     multi-turn chats; off by default because the numbers of a\n"
            "                     split prefill differ slightly, so a seeded request could\n"
            "                     sample other tokens than `generate` does)\n"
            "  --gateway          also answer GET /ipfs/{cid}?format=raw|car from the local\n"
            "                     block store, as a trustless gateway (docs/store.md); with\n"
            "                     --gateway and no --model, no model is served\n"
            "  --block-dir DIR    the gateway's block store (implies --gateway; default\n"
            "                     $IA_BLOCK_DIR, else ~/.cache/ipfs_accelerate/blocks)\n"
            "  --quiet            no line per request on stderr\n"
            "  -h, --help         this help\n");
}

int ia_cmd_serve(int argc, char **argv) {
    ia_server_options o;
    ia_hardware_profile prof;
    ia_server *srv = NULL;
    const char *models[MAX_MODELS];
    size_t n_models = 0;
    int drain_ms = 30000, sig = 0, last_ready = 0;
    sigset_t set;
    IA_SERVER_OPTIONS_INIT(&o);
    IA_HARDWARE_PROFILE_INIT(&prof);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        int *iopt = NULL, lo = 1, hi = 1 << 30;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(a, "--quiet") == 0 || strcmp(a, "--prompt-cache") == 0) {
            *(a[2] == 'q' ? &o.quiet : &o.prompt_cache) = 1;
            continue;
        }
        if (strcmp(a, "--gateway") == 0) {
            if (!o.gateway_dir) o.gateway_dir = "";
            continue;
        }
        if (!val) {
            fprintf(stderr, "ipfs-accelerate: serve: unknown option or missing value: %s (see --help)\n", a);
            return 2;
        }
        i++;
        if (strcmp(a, "--model") == 0 || strcmp(a, "-m") == 0) {
            if (n_models == MAX_MODELS) {
                fprintf(stderr, "ipfs-accelerate: serve: at most %d models\n", MAX_MODELS);
                return 2;
            }
            models[n_models++] = val;
        } else if (strcmp(a, "--block-dir") == 0) {
            o.gateway_dir = val;
        } else if (strcmp(a, "--host") == 0) {
            o.host = val;
        } else if (strcmp(a, "--device") == 0) {
            prof.backend = val;
        } else if (strcmp(a, "--precision") == 0) {
            if (ia_precision_parse(val, &prof.precision) != IA_OK) return fprintf(stderr, "ipfs-accelerate: serve: %s\n", ia_last_error()), 2;
        } else if (strcmp(a, "--max-body") == 0) {
            int64_t b;
            if (ia_parse_memory_size(val, &b) != IA_OK || b < 64) {
                fprintf(stderr, "ipfs-accelerate: serve: --max-body must be a size of at least 64 bytes, not '%s'\n", val);
                return 2;
            }
            o.max_body_bytes = (size_t)b;
        } else {
            if (strcmp(a, "--port") == 0) iopt = &o.port, lo = 0, hi = 65535;
            else if (strcmp(a, "--threads") == 0) iopt = &prof.threads, lo = 0, hi = 1024;
            else if (strcmp(a, "--max-batch-tokens") == 0) iopt = &o.max_batch_tokens;
            else if (strcmp(a, "--max-batch-requests") == 0) iopt = &o.max_batch_requests, lo = 0;
            else if (strcmp(a, "--max-client-batch-size") == 0) iopt = &o.max_client_batch_size;
            else if (strcmp(a, "--max-concurrent-requests") == 0) iopt = &o.max_concurrent_requests;
            else if (strcmp(a, "--batch-wait-us") == 0) iopt = &o.batch_wait_us, lo = 0, hi = 1000000;
            else if (strcmp(a, "--timeout-ms") == 0) iopt = &o.request_timeout_ms;
            else if (strcmp(a, "--parallel") == 0) iopt = &o.parallel, hi = 256;
            else if (strcmp(a, "--ctx") == 0) iopt = &o.n_ctx, lo = 16, hi = 1 << 22;
            else if (strcmp(a, "--max-connections") == 0) iopt = &o.max_connections, hi = 65536;
            else if (strcmp(a, "--drain-ms") == 0) iopt = &drain_ms, lo = 0;
            if (!iopt) {
                fprintf(stderr, "ipfs-accelerate: serve: unknown option '%s' (see --help)\n", a);
                return 2;
            }
            if ((*iopt = ia_cli_parse_int(a, val, lo, hi)) < 0 && lo >= 0) return 2;
        }
    }
    if (!n_models && !o.gateway_dir) models[n_models++] = IA_DEFAULT_MODEL;
    o.models = models;
    o.n_models = n_models;
    o.profile = &prof;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN); /* a client that leaves is an error on its socket, not the end of the server */
    if (ia_server_start(&o, &srv) != IA_OK) return ia_cli_fail("serve");
    fprintf(stderr, "serve: listening on http://%s:%d (loading %zu model%s)\n", o.host, ia_server_port(srv), n_models,
            n_models == 1 ? "" : "s");
    /* wait for a signal; say once when the models are ready or failed */
    for (;;) {
        struct timespec tick = {0, 50 * 1000 * 1000};
        int ready = ia_server_ready(srv);
        if (ready != last_ready) {
            if (ready > 0) fprintf(stderr, "serve: ready\n");
            else fprintf(stderr, "serve: not ready: %s (GET /health answers 503)\n", ia_server_load_error(srv));
            last_ready = ready;
        }
        sig = sigtimedwait(&set, NULL, &tick);
        if (sig == SIGTERM || sig == SIGINT) break;
    }
    fprintf(stderr, "serve: %s: stopping (finishing the requests received)\n", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    ia_server_shutdown(srv, drain_ms);
    fprintf(stderr, "serve: stopped\n");
    return 0;
}
