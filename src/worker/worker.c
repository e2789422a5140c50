/*
 * worker.c — the seed's Worker: the hwtest map, one endpoint handler per
 * model × device, and get_optimal_hardware.
 *
 * Endpoints of one model share its weights mapping (ia_model_open_shared),
 * so adding a device for a model costs its activations, not another copy
 * of the weights.
 *
 * A device may also be a remote embedding server, "http://host:port[/prefix]"
 * or "https://...": its endpoint embeds over HTTP (remote_endpoint.c) and
 * has no local model. Native builds only; the wasm32 builds, which leave
 * remote_endpoint.c out, refuse such a device with IA_ERR_UNSUPPORTED.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hw/hw.h"
#include "quant/model_open.h"
#include "util/error.h"
#include "worker/remote_endpoint.h"

struct ia_endpoint {
    char *model;
    char *device; /* "cpu", "cuda:1" (index 0 is written without ":0"), or a URL */
    ia_model *m;  /* NULL for a remote endpoint */
    ia_remote *remote;
};

/* The longest remote URL a device may name. */
#define MAX_URL 1024

/* Endpoints are allocated one by one so that pointers handed out stay
 * valid while the array of them grows. */
struct ia_worker {
    ia_endpoint **eps;
    size_t n, cap;
};

static void endpoint_free(ia_endpoint *e) {
    if (!e) return;
    ia_model_free(e->m);
#if IA_HAVE_REMOTE_ENDPOINT
    ia_remote_free(e->remote);
#endif
    free(e->model);
    free(e->device);
    free(e);
}

ia_status ia_worker_create(ia_worker **out) {
    if (!out) return ia_error(IA_ERR_INVALID_ARG, "ia_worker_create: out is NULL");
    *out = calloc(1, sizeof **out);
    return *out ? IA_OK : ia_error(IA_ERR_NOMEM, "worker");
}

void ia_worker_free(ia_worker *w) {
    if (!w) return;
    for (size_t i = 0; i < w->n; i++) endpoint_free(w->eps[i]);
    free(w->eps);
    free(w);
}

ia_status ia_worker_init_hardware(ia_worker *w, char **hwtest_json) {
    char *report = NULL;
    cJSON *r, *map, *b;
    ia_status st;
    if (!w || !hwtest_json) return ia_error(IA_ERR_INVALID_ARG, "ia_worker_init_hardware: NULL argument");
    *hwtest_json = NULL;
    if ((st = ia_hw_report_json(IA_HW_NO_BENCH, 0, &report)) != IA_OK) return st;
    r = cJSON_Parse(report);
    ia_free(report);
    map = cJSON_CreateObject();
    if (!r || !map) {
        cJSON_Delete(r);
        cJSON_Delete(map);
        return ia_error(IA_ERR_NOMEM, "hwtest map");
    }
    cJSON_ArrayForEach(b, cJSON_GetObjectItem(r, "backends")) {
        cJSON *e = cJSON_AddObjectToObject(map, cJSON_GetObjectItem(b, "name")->valuestring);
        cJSON_AddBoolToObject(e, "available", cJSON_IsTrue(cJSON_GetObjectItem(b, "available")));
        cJSON_AddStringToObject(e, "reason", cJSON_GetObjectItem(b, "reason")->valuestring);
        cJSON_AddItemToObject(e, "devices", cJSON_Duplicate(cJSON_GetObjectItem(b, "devices"), 1));
    }
    cJSON_Delete(r);
    *hwtest_json = cJSON_PrintUnformatted(map);
    cJSON_Delete(map);
    return *hwtest_json ? IA_OK : ia_error(IA_ERR_NOMEM, "hwtest map");
}

/* 1 when the device names a remote endpoint: "http://..." or "https://...". */
static int is_url(const char *dev) { return strncasecmp(dev, "http://", 7) == 0 || strncasecmp(dev, "https://", 8) == 0; }

/* A remote device's canonical spelling: the URL as given, without trailing
 * slashes; it must have a host and no spaces or control bytes. */
static ia_status canonical_url(const char *dev, char *buf, size_t cap) {
    const char *host = strstr(dev, "://") + 3;
    size_t len = strlen(dev);
    while (len > (size_t)(host - dev) && dev[len - 1] == '/') len--;
    if (len >= cap) return ia_error(IA_ERR_INVALID_ARG, "device URL is longer than %zu bytes", cap - 1);
    if (*host == '\0' || *host == '/' || *host == '?' || *host == '#')
        return ia_error(IA_ERR_INVALID_ARG, "device '%s' names no host (want http://host:port[/prefix])", dev);
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)dev[i] <= ' ' || dev[i] == 0x7f)
            return ia_error(IA_ERR_INVALID_ARG, "device URL has a space or control byte at %zu", i);
    memcpy(buf, dev, len);
    buf[len] = '\0';
    return IA_OK;
}

/* "cuda:1" -> backend "cuda", index 1; "cpu" -> "cpu", 0. */
static ia_status parse_device(const char *dev, char *backend, size_t cap, int *index) {
    const char *colon = strchr(dev, ':');
    char *end;
    size_t len = colon ? (size_t)(colon - dev) : strlen(dev);
    long idx = 0;
    if (len == 0 || len >= cap) return ia_error(IA_ERR_INVALID_ARG, "device '%s' is not NAME or NAME:INDEX", dev);
    memcpy(backend, dev, len);
    backend[len] = '\0';
    if (colon) {
        idx = strtol(colon + 1, &end, 10);
        if (colon[1] == '\0' || *end != '\0' || idx < 0 || idx > 1024)
            return ia_error(IA_ERR_INVALID_ARG, "device '%s' is not NAME or NAME:INDEX", dev);
    }
    *index = (int)idx;
    return IA_OK;
}

/* "cpu:0" and "cpu" name the same device: compare in the short form. */
static void canonical_device(const char *backend, int index, char *buf, size_t cap) {
    if (index == 0) snprintf(buf, cap, "%s", backend);
    else snprintf(buf, cap, "%s:%d", backend, index);
}

static ia_endpoint *find_endpoint(ia_worker *w, const char *model, const char *canon) {
    for (size_t i = 0; i < w->n; i++)
        if (strcmp(w->eps[i]->model, model) == 0 && strcmp(w->eps[i]->device, canon) == 0) return w->eps[i];
    return NULL;
}

ia_endpoint *ia_worker_endpoint(ia_worker *w, const char *model, const char *device) {
    char backend[32], canon[48];
    int index = 0;
    if (!w || !model || !device) return NULL;
    if (is_url(device)) {
        char url[MAX_URL];
        if (canonical_url(device, url, sizeof url) != IA_OK) {
            ia_error_clear();
            return NULL;
        }
        return find_endpoint(w, model, url);
    }
    if (parse_device(device, backend, sizeof backend, &index) != IA_OK) {
        ia_error_clear();
        return NULL;
    }
    canonical_device(backend, index, canon, sizeof canon);
    return find_endpoint(w, model, canon);
}

/* Any local endpoint of `model`, to share its weights mapping. */
static ia_model *model_endpoint(ia_worker *w, const char *model) {
    for (size_t i = 0; i < w->n; i++)
        if (w->eps[i]->m && strcmp(w->eps[i]->model, model) == 0) return w->eps[i]->m;
    return NULL;
}

/* Room for one more endpoint. */
static ia_status grow(ia_worker *w) {
    if (w->n == w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 4;
        ia_endpoint **eps = realloc(w->eps, cap * sizeof *eps);
        if (!eps) return ia_error(IA_ERR_NOMEM, "worker endpoints");
        w->eps = eps;
        w->cap = cap;
    }
    return IA_OK;
}

/* The endpoint of model on the remote device (a URL), created with a probe
 * that learns its width. */
static ia_status add_remote(ia_worker *w, const char *model, const char *device) {
    char url[MAX_URL];
    ia_endpoint *e;
    ia_status st;
    if ((st = canonical_url(device, url, sizeof url)) != IA_OK) return st;
    if (find_endpoint(w, model, url)) return IA_OK; /* already there */
#if IA_HAVE_REMOTE_ENDPOINT
    if ((st = grow(w)) != IA_OK) return st;
    e = calloc(1, sizeof *e);
    if (!e || !(e->model = strdup(model)) || !(e->device = strdup(url))) {
        endpoint_free(e);
        return ia_error(IA_ERR_NOMEM, "worker endpoints");
    }
    if ((st = ia_remote_open(url, model, &e->remote)) != IA_OK) { /* the message names model and URL */
        endpoint_free(e);
        return st;
    }
    w->eps[w->n++] = e;
    return IA_OK;
#else
    (void)e;
    return ia_error(IA_ERR_UNSUPPORTED, "endpoint %s on %s: remote endpoints need the native library (libcurl); "
                                        "this build (WebAssembly) has none", model, url);
#endif
}

ia_status ia_worker_init(ia_worker *w, const char *const *models, size_t n_models, const char *const *devices,
                         size_t n_devices) {
    const char *usable[32];
    char names[32][48];
    size_t first = w ? w->n : 0;
    ia_status st = IA_OK;
    if (!w || (n_models && !models)) return ia_error(IA_ERR_INVALID_ARG, "ia_worker_init: NULL argument");
    if (!devices || n_devices == 0) {
        /* Every device of every kind that runs models here (not the ref
         * oracle): "cpu", "cuda", "cuda:1", ... */
        const ia_backend_ops *kinds[16];
        int n = ia_hw_usable_kinds(kinds, 16);
        n_devices = 0;
        for (int k = 0; k < n; k++)
            for (int d = 0; d < kinds[k]->device_count() && n_devices < sizeof usable / sizeof *usable; d++) {
                canonical_device(kinds[k]->name, d, names[n_devices], sizeof names[n_devices]);
                usable[n_devices] = names[n_devices];
                n_devices++;
            }
        devices = usable;
    }
    for (size_t i = 0; i < n_models && st == IA_OK; i++) {
        for (size_t d = 0; d < n_devices && st == IA_OK; d++) {
            ia_hardware_profile p;
            char backend[32], canon[48];
            ia_endpoint *e;
            IA_HARDWARE_PROFILE_INIT(&p);
            if (!models[i] || !devices[d]) {
                st = ia_error(IA_ERR_INVALID_ARG, "ia_worker_init: NULL model or device");
                break;
            }
            if (is_url(devices[d])) {
                st = add_remote(w, models[i], devices[d]);
                continue;
            }
            if ((st = parse_device(devices[d], backend, sizeof backend, &p.device_index)) != IA_OK) break;
            canonical_device(backend, p.device_index, canon, sizeof canon);
            if (find_endpoint(w, models[i], canon)) continue; /* already there */
            p.backend = backend;
            if ((st = grow(w)) != IA_OK) break;
            e = calloc(1, sizeof *e);
            if (!e || !(e->model = strdup(models[i])) || !(e->device = strdup(canon))) {
                endpoint_free(e);
                st = ia_error(IA_ERR_NOMEM, "worker endpoints");
                break;
            }
            if ((st = ia_model_open_shared(models[i], &p, model_endpoint(w, models[i]), &e->m)) != IA_OK) {
                endpoint_free(e);
                ia_error_prefix(st, "endpoint %s on %s", models[i], devices[d]);
                break;
            }
            w->eps[w->n++] = e;
        }
    }
    if (st != IA_OK) /* all or nothing: drop what this call created */
        while (w->n > first) endpoint_free(w->eps[--w->n]);
    return st;
}

ia_status ia_endpoint_embed(ia_endpoint *e, const char *const *texts, size_t n, float *out) {
    if (!e) return ia_error(IA_ERR_INVALID_ARG, "ia_endpoint_embed: endpoint is NULL");
#if IA_HAVE_REMOTE_ENDPOINT
    if (e->remote) return ia_remote_embed(e->remote, texts, n, out);
#endif
    return ia_model_embed(e->m, texts, n, out);
}

ia_model *ia_endpoint_model(ia_endpoint *e) { return e ? e->m : NULL; }

int ia_endpoint_dim(ia_endpoint *e) {
    if (!e) return 0;
#if IA_HAVE_REMOTE_ENDPOINT
    if (e->remote) return ia_remote_dim(e->remote);
#endif
    return ia_model_dim(e->m);
}

const char *ia_endpoint_device(ia_endpoint *e) { return e ? e->device : NULL; }

ia_status ia_worker_optimal_hardware(ia_worker *w, const char *model, const char *task, int batch, char *device,
                                     size_t device_cap, char *why, size_t why_cap) {
    if (!w) return ia_error(IA_ERR_INVALID_ARG, "ia_worker_optimal_hardware: worker is NULL");
    return ia_select_device(model, task, batch, device, device_cap, why, why_cap);
}
