/*
 * cmd_embed.c — `ipfs-accelerate embed`: texts in, embeddings out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli.h"
#include "ipfs_accelerate.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: ipfs-accelerate embed [options] (--file F | TEXT...)\n"
            "\n"
            "Embeds each text with a sentence-embedding model and prints the vectors.\n"
            "\n"
            "options:\n"
            "  --model M      model directory, cached name (default " IA_DEFAULT_MODEL ")\n"
            "                 or BERT .gguf file (llama.cpp's convert_hf_to_gguf.py);\n"
            "                 names are looked up in $IA_MODEL_DIR, default\n"
            "                 ~/.cache/ipfs_accelerate/models/<name>; or a CID (Qm...,\n"
            "                 bafy...) of a model in the block store (docs/store.md)\n"
            "  --device D     auto (default: chosen from the detected hardware, and the\n"
            "                 reason printed) or cpu; absent devices are refused.\n"
            "                 Or a remote server, http://HOST:PORT[/PREFIX] or https://...:\n"
            "                 the texts are embedded there (OpenAI's POST /v1/embeddings\n"
            "                 with --model's name as given, else TEI's POST /embed),\n"
            "                 32 a request; same output. $IA_REMOTE_API_KEY (else\n"
            "                 $OPENAI_API_KEY) is sent as a bearer token;\n"
            "                 docs/remote_endpoints.md. --precision, --memory-limit,\n"
            "                 --optimization-level and --threads are the server's\n"
            "                 business there and refused\n"
            "  --precision P  fp32 (default), or int8 / int4 / int2: quantise the linear\n"
            "                 layers at load (symmetric, groups of 128 at 8 bits and\n"
            "                 of 32 below); a quantised model directory\n"
            "                 (ipfs-accelerate quantize) runs at its stored widths\n"
            "  --memory-limit SIZE  refuse models whose weights exceed SIZE (e.g. 4GB;\n"
            "                 0 = no limit)\n"
            "  --optimization-level L  0 portable kernels, 1 at most AVX2, 2 (default) best\n"
            "  --threads N    worker threads (default: one per CPU)\n"
            "  --batch N      texts per batch (default 32)\n"
            "  --json         print one JSON object {model, device, dim, embeddings}\n"
            "  --file F       read one text per line from F ('-' = stdin)\n"
            "  -h, --help     this help\n");
}

static int is_url(const char *s) { return strncasecmp(s, "http://", 7) == 0 || strncasecmp(s, "https://", 8) == 0; }

static double now_sec(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void json_string(const char *s) {
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') printf("\\%c", *p);
        else if (*p < 0x20) printf("\\u%04x", *p);
        else putchar(*p);
    }
    putchar('"');
}

/* Bytes of the preview shown beside each vector in the human output. */
#define PREVIEW_BYTES 60

/* Length of the longest prefix of s that is at most max bytes and does not
 * end inside a UTF-8 sequence: the cut backs off over continuation bytes
 * (10xxxxxx), at most 3 of them (the longest tail of a valid sequence), so
 * that printing the prefix never splits a character. */
static size_t preview_len(const char *s, size_t max) {
    size_t n = strlen(s), cut;
    if (n <= max) return n;
    cut = max;
    for (int back = 0; back < 3 && cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80; back++) cut--;
    return cut;
}

int ia_cmd_embed(int argc, char **argv) {
    ia_hardware_profile opts;
    const char *model_ref = IA_DEFAULT_MODEL, *file = NULL;
    int batch = 32, json = 0, rc = 1, dim;
    char **file_lines = NULL;
    const char **texts = NULL;
    size_t n = 0;
    IA_HARDWARE_PROFILE_INIT(&opts);
    float *vecs = NULL;
    ia_model *model = NULL;
    double t0, t_load, t_embed;
    int first_text = argc;
    char chosen[32] = "", why[512] = "";
    ia_worker *worker = NULL;
    ia_endpoint *ep = NULL;
    int local_only = 0; /* an option that only a local model takes */
    const char *name, *device;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--model") == 0 && val) {
            model_ref = val, i++;
        } else if (strcmp(a, "--device") == 0 && val) {
            opts.backend = val, i++;
        } else if (strcmp(a, "--precision") == 0 && val) {
            local_only = 1;
            if (ia_precision_parse(val, &opts.precision) != IA_OK) {
                fprintf(stderr, "ipfs-accelerate: embed: %s\n", ia_last_error());
                return 2;
            }
            i++;
        } else if (strcmp(a, "--memory-limit") == 0 && val) {
            local_only = 1;
            if (ia_parse_memory_size(val, &opts.memory_limit_bytes) != IA_OK) {
                fprintf(stderr, "ipfs-accelerate: embed: %s\n", ia_last_error());
                return 2;
            }
            i++;
        } else if (strcmp(a, "--threads") == 0) {
            if ((opts.threads = ia_cli_parse_int(a, val, 0, 1024)) < 0) return 2;
            local_only = 1;
            i++;
        } else if (strcmp(a, "--batch") == 0) {
            if ((batch = ia_cli_parse_int(a, val, 1, 1 << 16)) < 0) return 2;
            i++;
        } else if (strcmp(a, "--optimization-level") == 0) {
            if ((opts.optimization_level = ia_cli_parse_int(a, val, 0, 3)) < 0) return 2;
            local_only = 1;
            i++;
        } else if (strcmp(a, "--json") == 0) {
            json = 1;
        } else if (strcmp(a, "--file") == 0 && val) {
            file = val, i++;
        } else if (a[0] == '-' && a[1] == '-') {
            fprintf(stderr, "ipfs-accelerate: embed: unknown option or missing value: %s\n", a);
            usage(stderr);
            return 2;
        } else {
            first_text = i; /* the texts are the rest of the arguments */
            break;
        }
    }
    if (file) {
        if (ia_cli_read_lines("embed", file, &file_lines, &n)) return 1;
        texts = (const char **)file_lines;
    } else {
        if (first_text >= argc) {
            fprintf(stderr, "ipfs-accelerate: embed: no texts (give TEXT... or --file F)\n");
            usage(stderr);
            return 2;
        }
        texts = (const char **)(argv + first_text);
        n = (size_t)(argc - first_text);
    }

    if (opts.backend && is_url(opts.backend) && local_only) {
        fprintf(stderr, "ipfs-accelerate: embed: --precision, --memory-limit, --optimization-level and --threads "
                        "set up a local model; %s is a remote server\n",
                opts.backend);
        return 2;
    }

    /* "auto": measured results from the benchmark database first, then the
     * heuristic; the sentence is printed with the device. */
    if (!opts.backend || strcmp(opts.backend, "auto") == 0) {
        if (ia_select_device(model_ref, "embedding", batch, chosen, sizeof chosen, why, sizeof why) != IA_OK) {
            rc = ia_cli_fail("embed");
            goto done;
        }
        opts.backend = chosen;
    }
    t0 = now_sec();
    if (is_url(opts.backend)) {
        /* a remote server, through the Worker: init probes it */
        const char *models[1] = {model_ref}, *devices[1] = {opts.backend};
        if (ia_worker_create(&worker) != IA_OK || ia_worker_init(worker, models, 1, devices, 1) != IA_OK ||
            !(ep = ia_worker_endpoint(worker, model_ref, opts.backend))) {
            rc = ia_cli_fail("embed");
            goto done;
        }
        name = model_ref;
        device = ia_endpoint_device(ep);
    } else {
        if (ia_model_open_profile(model_ref, &opts, &model) != IA_OK) {
            rc = ia_cli_fail("embed");
            goto done;
        }
        name = ia_model_name(model);
        device = ia_model_device(model);
    }
    t_load = now_sec() - t0;
    dim = ep ? ia_endpoint_dim(ep) : ia_model_dim(model);
    vecs = malloc((n ? n : 1) * (size_t)dim * sizeof *vecs);
    if (!vecs) {
        fprintf(stderr, "ipfs-accelerate: embed: out of memory\n");
        goto done;
    }
    t0 = now_sec();
    for (size_t i = 0; i < n; i += (size_t)batch) {
        size_t b = n - i < (size_t)batch ? n - i : (size_t)batch;
        if ((ep ? ia_endpoint_embed(ep, texts + i, b, vecs + i * (size_t)dim)
                : ia_model_embed(model, texts + i, b, vecs + i * (size_t)dim)) != IA_OK) {
            rc = ia_cli_fail("embed");
            goto done;
        }
    }
    t_embed = now_sec() - t0;

    if (json) {
        printf("{\"model\":");
        json_string(name);
        printf(",\"device\":");
        json_string(device);
        printf(",\"dim\":%d,\"embeddings\":[", dim);
        for (size_t i = 0; i < n; i++) {
            printf(i ? ",[" : "[");
            for (int j = 0; j < dim; j++) printf(j ? ",%.9g" : "%.9g", vecs[i * (size_t)dim + (size_t)j]);
            putchar(']');
        }
        printf("]}\n");
    } else {
        if (ep) {
            printf("model %s on %s (remote endpoint), dim %d\n", name, device, dim);
            printf("device %s: given with --device\n", device);
        } else {
            printf("model %s on %s (%s kernels, %d threads), dim %d\n", name, device, ia_model_kernel(model),
                   ia_model_threads(model), dim);
            printf("device %s: %s\n", device, why[0] ? why : ia_model_device_reason(model));
        }
        printf("%s in %.1f ms; embedded %zu text%s in %.1f ms (%.1f texts/s)\n", ep ? "connected" : "loaded",
               1e3 * t_load, n,
               n == 1 ? "" : "s", 1e3 * t_embed, t_embed > 0 ? (double)n / t_embed : 0.0);
        for (size_t i = 0; i < n; i++) {
            size_t shown = preview_len(texts[i], PREVIEW_BYTES);
            printf("[%zu] [", i);
            for (int j = 0; j < 5 && j < dim; j++) printf(j ? ", %.5f" : "%.5f", vecs[i * (size_t)dim + (size_t)j]);
            printf(", ...]  %.*s%s\n", (int)shown, texts[i], texts[i][shown] ? "..." : "");
        }
    }
    rc = 0;
done:
    ia_model_free(model);
    ia_worker_free(worker);
    free(vecs);
    if (file_lines) {
        for (size_t i = 0; i < n; i++) free(file_lines[i]);
        free(file_lines);
    }
    return rc;
}
