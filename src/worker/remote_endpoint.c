/*
 * remote_endpoint.c — a remote embedding server as a Worker device, over
 * libcurl: OpenAI's POST /v1/embeddings (base64 vectors asked for, float
 * arrays accepted), else TEI's POST /embed. See remote_endpoint.h.
 *
 * The server's answers are treated as hostile: the body is size-limited,
 * every vector must have the width the probe learned, every index must be
 * in range and appear once, and the server's error text is clipped and
 * cleaned before it goes into a message.
 */
#include "worker/remote_endpoint.h"

#include <ctype.h>
#include <curl/curl.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "util/error.h"

#define MAX_RESPONSE_BYTES ((size_t)64 << 20) /* 32 vectors of 8192 floats as JSON: ~6 MB */
#define MAX_DIM 65536
#define DEFAULT_TIMEOUT_MS 120000L
#define CONNECT_TIMEOUT_MS 5000L
#define DEFAULT_RETRIES 4
#define FIRST_WAIT_MS 100L
#define MAX_RETRY_AFTER_MS 10000L

struct ia_remote {
    char *url;   /* canonical: no trailing slash */
    char *model; /* sent as given */
    CURL *curl;  /* one handle per endpoint: its connection is kept alive */
    struct curl_slist *headers;
    long timeout_ms, connect_timeout_ms;
    int tries;
    int tei; /* 1: POST /embed (the server has no /v1/embeddings) */
    int dim;
};

/* One answer: status and body, or the transport failure. */
typedef struct {
    long status;           /* 0: no HTTP answer (see curl_code) */
    CURLcode curl_code;
    char *body;
    size_t len;
    int too_large;
    long retry_after_ms;   /* -1: none sent */
    char errbuf[CURL_ERROR_SIZE];
} response;

static atomic_ulong retries_total;

unsigned long ia_remote_retries_total(void) { return atomic_load(&retries_total); }

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_code;
static void curl_init(void) { curl_init_code = curl_global_init(CURL_GLOBAL_DEFAULT); }

static long env_long(const char *name, long dflt, long lo, long hi) {
    const char *v = getenv(name);
    char *end;
    long x;
    if (!v || !*v) return dflt;
    errno = 0;
    x = strtol(v, &end, 10);
    if (errno || *end || x < lo || x > hi) return dflt;
    return x;
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* Up to a quarter more: clients that were refused together do not all come
 * back at the same instant. */
static long jitter(long ms) {
    static _Thread_local uint32_t s;
    if (!s) s = (uint32_t)time(NULL) ^ (uint32_t)(uintptr_t)&s ^ 0x9E3779B9u;
    s ^= s << 13, s ^= s >> 17, s ^= s << 5;
    return ms + (long)((uint64_t)(ms / 4) * (s & 0xFFFF) / 0x10000);
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *user) {
    response *rs = user;
    size_t n = size * nmemb;
    char *grown;
    if (rs->len + n > MAX_RESPONSE_BYTES) {
        rs->too_large = 1;
        return 0; /* curl stops with CURLE_WRITE_ERROR */
    }
    if (!(grown = realloc(rs->body, rs->len + n + 1))) return 0;
    rs->body = grown;
    memcpy(rs->body + rs->len, data, n);
    rs->len += n;
    rs->body[rs->len] = '\0';
    return n;
}

/* Retry-After: seconds, or an HTTP date. */
static size_t on_header(char *data, size_t size, size_t nmemb, void *user) {
    response *rs = user;
    size_t n = size * nmemb;
    static const char name[] = "retry-after:";
    if (n > sizeof name - 1 && n < 256 && strncasecmp(data, name, sizeof name - 1) == 0) {
        char v[256];
        char *p = v, *end;
        long secs;
        memcpy(v, data + sizeof name - 1, n - (sizeof name - 1));
        v[n - (sizeof name - 1)] = '\0';
        while (*p == ' ' || *p == '\t') p++;
        for (char *e = p + strlen(p); e > p && isspace((unsigned char)e[-1]);) *--e = '\0';
        secs = strtol(p, &end, 10);
        if (end != p && *end == '\0' && secs >= 0) {
            rs->retry_after_ms = secs > MAX_RETRY_AFTER_MS / 1000 ? MAX_RETRY_AFTER_MS : secs * 1000;
        } else {
            time_t when = curl_getdate(p, NULL), now = time(NULL);
            if (when != (time_t)-1)
                rs->retry_after_ms = when <= now ? 0 : (when - now > MAX_RETRY_AFTER_MS / 1000 ? MAX_RETRY_AFTER_MS
                                                                                          : (long)(when - now) * 1000);
        }
    }
    return n;
}

static void response_reset(response *rs) {
    free(rs->body);
    memset(rs, 0, sizeof *rs);
    rs->retry_after_ms = -1;
}

/* A transport failure that another try may not meet: the server was not
 * reached, or closed the connection without an answer. */
static int retryable_transport(CURL *c, CURLcode code) {
    switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
        return 1;
    case CURLE_OPERATION_TIMEDOUT: {
        curl_off_t connected = 0; /* a connect that timed out; not a slow answer */
        curl_easy_getinfo(c, CURLINFO_CONNECT_TIME_T, &connected);
        return connected == 0;
    }
    default:
        return 0;
    }
}

/* The transport failure in words: "connection refused", "could not
 * resolve host: x", ... */
static void transport_reason(CURL *c, const response *rs, char *buf, size_t cap) {
    long os_errno = 0;
    curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &os_errno);
    if (rs->too_large)
        snprintf(buf, cap, "the answer is larger than %zu bytes", MAX_RESPONSE_BYTES);
    else if (rs->curl_code == CURLE_COULDNT_CONNECT && os_errno)
        snprintf(buf, cap, "%s", strerror((int)os_errno));
    else
        snprintf(buf, cap, "%s", rs->errbuf[0] ? rs->errbuf : curl_easy_strerror(rs->curl_code));
    if (islower((unsigned char)buf[1])) buf[0] = (char)tolower((unsigned char)buf[0]); /* not "OpenSSL" */
}

/* POSTs body to url + path, trying again on 429, 503 and failures to
 * connect. On return rs holds the last answer (status 0: none). *tries
 * gets the number of tries made. */
static void post(ia_remote *r, const char *path, const char *body, response *rs, int *tries) {
    char url[2048];
    long wait_ms = FIRST_WAIT_MS;
    snprintf(url, sizeof url, "%s%s", r->url, path);
    curl_easy_setopt(r->curl, CURLOPT_URL, url);
    curl_easy_setopt(r->curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(r->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
    curl_easy_setopt(r->curl, CURLOPT_WRITEDATA, rs);
    curl_easy_setopt(r->curl, CURLOPT_HEADERDATA, rs);
    for (int t = 1;; t++) {
        int again;
        response_reset(rs);
        curl_easy_setopt(r->curl, CURLOPT_ERRORBUFFER, rs->errbuf);
        rs->curl_code = curl_easy_perform(r->curl);
        if (rs->curl_code == CURLE_OK) curl_easy_getinfo(r->curl, CURLINFO_RESPONSE_CODE, &rs->status);
        *tries = t;
        again = rs->curl_code == CURLE_OK ? (rs->status == 429 || rs->status == 503)
                                          : !rs->too_large && retryable_transport(r->curl, rs->curl_code);
        if (!again || t >= r->tries) break;
        atomic_fetch_add(&retries_total, 1);
        sleep_ms(jitter(rs->retry_after_ms >= 0 ? rs->retry_after_ms : wait_ms));
        if (wait_ms < MAX_RETRY_AFTER_MS) wait_ms *= 2;
    }
    curl_easy_setopt(r->curl, CURLOPT_ERRORBUFFER, NULL);
}

/* The server's own words from an error body: OpenAI's error.message, TEI's
 * error, FastAPI's detail, else the body; clipped, control bytes as '?'. */
static void server_message(const response *rs, char *buf, size_t cap) {
    cJSON *root = rs->body ? cJSON_ParseWithLength(rs->body, rs->len) : NULL;
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error"), *m = NULL;
    char raw[512];
    if (cJSON_IsObject(e)) m = cJSON_GetObjectItemCaseSensitive(e, "message");
    else if (cJSON_IsString(e)) m = e;
    if (!cJSON_IsString(m)) m = cJSON_GetObjectItemCaseSensitive(root, "message");
    if (!cJSON_IsString(m)) m = cJSON_GetObjectItemCaseSensitive(root, "detail");
    if (cJSON_IsString(m)) {
        ia_shown_name(m->valuestring, buf, cap);
    } else if (rs->body && rs->len) {
        size_t n = rs->len < sizeof raw - 1 ? rs->len : sizeof raw - 1;
        memcpy(raw, rs->body, n);
        raw[n] = '\0';
        for (size_t i = 0; i < n; i++)
            if (raw[i] == '\n' || raw[i] == '\r' || raw[i] == '\t') raw[i] = ' ';
        ia_shown_name(raw, buf, cap);
    } else {
        snprintf(buf, cap, "(no body)");
    }
    cJSON_Delete(root);
}

/* The status an HTTP error becomes. */
static ia_status http_status_code(long status) {
    switch (status) {
    case 400:
    case 413:
    case 422:
        return IA_ERR_INVALID_ARG;
    case 404:
        return IA_ERR_NOT_FOUND;
    case 401:
    case 403:
    case 429:
    case 502:
    case 503:
    case 504:
        return IA_ERR_UNAVAILABLE;
    default:
        return IA_ERR_IO;
    }
}

/* A failed exchange in words, as ia_error(): "<what>: <reason>". */
static ia_status fail(ia_remote *r, const char *what, const response *rs, int tries) {
    char why[600], msg[560];
    const char *after = tries > 1 ? " after " : "";
    char n_tries[32] = "";
    if (tries > 1) snprintf(n_tries, sizeof n_tries, "%d tries", tries);
    if (rs->status == 0) {
        transport_reason(r->curl, rs, why, sizeof why);
        return ia_error(IA_ERR_UNAVAILABLE, "%s: %s%s%s", what, why, after, n_tries);
    }
    server_message(rs, msg, sizeof msg);
    if ((rs->status == 401 || rs->status == 403) && !getenv("IA_REMOTE_API_KEY") && !getenv("OPENAI_API_KEY"))
        return ia_error(IA_ERR_UNAVAILABLE, "%s: HTTP %ld: %s (no key sent: set IA_REMOTE_API_KEY)", what, rs->status,
                        msg);
    return ia_error(http_status_code(rs->status), "%s: HTTP %ld: %s%s%s", what, rs->status, msg, after, n_tries);
}

/* ---------------------------------------------------------------- bodies */

static char *request_body(const ia_remote *r, const char *const *texts, size_t n) {
    cJSON *root = cJSON_CreateObject(), *input;
    char *out = NULL;
    if (!root) return NULL;
    if (!r->tei) cJSON_AddStringToObject(root, "model", r->model);
    input = cJSON_AddArrayToObject(root, r->tei ? "inputs" : "input");
    for (size_t i = 0; input && i < n; i++) {
        cJSON *s = cJSON_CreateString(texts[i]);
        if (!s || !cJSON_AddItemToArray(input, s)) {
            cJSON_Delete(s);
            input = NULL;
        }
    }
    if (input && (r->tei || cJSON_AddStringToObject(root, "encoding_format", "base64")))
        out = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return out;
}

static int b64_value(unsigned char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
}

/* Decodes base64 (padding optional) into out[cap]; the byte count, or -1
 * when the text is not base64 or decodes to more than cap bytes. */
static long b64_decode(const char *s, unsigned char *out, size_t cap) {
    size_t n = 0, len = strlen(s);
    uint32_t acc = 0;
    int bits = 0;
    while (len && s[len - 1] == '=') len--;
    for (size_t i = 0; i < len; i++) {
        int v = b64_value((unsigned char)s[i]);
        if (v < 0) return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (n == cap) return -1;
            out[n++] = (unsigned char)(acc >> bits);
        }
    }
    return (long)n;
}

/* One vector: a JSON array of numbers, or base64 of little-endian float32.
 * *dim: the width it must have, or 0 to take this vector's (then set).
 * dst: where it goes (NULL: only measure). 0 on success. */
static int read_vector(const cJSON *v, int *dim, float *dst, char *why, size_t cap) {
    int n;
    if (cJSON_IsArray(v)) {
        const cJSON *x;
        int i = 0;
        n = cJSON_GetArraySize(v);
        if (n < 1 || n > MAX_DIM || (*dim && n != *dim))
            return snprintf(why, cap, "a vector of %d numbers (want %d)", n, *dim ? *dim : 1), -1;
        cJSON_ArrayForEach(x, v) {
            if (!cJSON_IsNumber(x)) return snprintf(why, cap, "a vector holds something other than numbers"), -1;
            if (dst) dst[i] = (float)x->valuedouble;
            i++;
        }
    } else if (cJSON_IsString(v)) {
        size_t len = strlen(v->valuestring);
        unsigned char *bytes;
        long got;
        if (len / 4 * 3 > (size_t)MAX_DIM * 4 + 3) return snprintf(why, cap, "a base64 vector is too long"), -1;
        if (!(bytes = malloc(len / 4 * 3 + 3))) return snprintf(why, cap, "out of memory"), -1;
        got = b64_decode(v->valuestring, bytes, len / 4 * 3 + 3);
        if (got <= 0 || got % 4 || got / 4 > MAX_DIM || (*dim && got / 4 != *dim)) {
            free(bytes);
            return snprintf(why, cap, "a base64 vector of %ld bytes (want %d float32)", got, *dim), -1;
        }
        n = (int)(got / 4);
        for (int i = 0; dst && i < n; i++) {
            uint32_t u = (uint32_t)bytes[4 * i] | (uint32_t)bytes[4 * i + 1] << 8 | (uint32_t)bytes[4 * i + 2] << 16 |
                         (uint32_t)bytes[4 * i + 3] << 24;
            memcpy(&dst[i], &u, sizeof u);
        }
        free(bytes);
    } else {
        return snprintf(why, cap, "an embedding that is neither an array nor base64"), -1;
    }
    *dim = n;
    return 0;
}

/* The n vectors of an answer, in input order, into *out (allocated here:
 * n * *dim floats). *dim: the width they must have, 0 to learn it. */
static int read_answer(const ia_remote *r, const response *rs, size_t n, int *dim, float **out, char *why,
                       size_t cap) {
    cJSON *root = cJSON_ParseWithLength(rs->body ? rs->body : "", rs->len);
    const cJSON *list = r->tei ? root : cJSON_GetObjectItemCaseSensitive(root, "data"), *item;
    unsigned char *seen = NULL;
    size_t i = 0;
    int rc = -1;
    *out = NULL;
    if (!root) {
        snprintf(why, cap, "the answer is not JSON");
        goto done;
    }
    if (!cJSON_IsArray(list) || (size_t)cJSON_GetArraySize(list) != n) {
        snprintf(why, cap, "the answer holds %d vectors for %zu texts", cJSON_IsArray(list) ? cJSON_GetArraySize(list) : 0,
                 n);
        goto done;
    }
    /* the first vector sets the width */
    item = cJSON_GetArrayItem(list, 0);
    if (read_vector(r->tei ? item : cJSON_GetObjectItemCaseSensitive(item, "embedding"), dim, NULL, why, cap)) goto done;
    if (!(*out = malloc(n * (size_t)*dim * sizeof **out)) || !(seen = calloc(n, 1))) {
        snprintf(why, cap, "out of memory");
        goto done;
    }
    cJSON_ArrayForEach(item, list) {
        size_t at = i;
        if (!r->tei) {
            const cJSON *idx = cJSON_GetObjectItemCaseSensitive(item, "index");
            if (idx) {
                if (!cJSON_IsNumber(idx) || idx->valuedouble < 0 || idx->valuedouble >= (double)n ||
                    idx->valuedouble != (double)(size_t)idx->valuedouble) {
                    snprintf(why, cap, "data[%zu].index is not an index of the %zu texts", i, n);
                    goto done;
                }
                at = (size_t)idx->valuedouble;
            }
            if (seen[at]) {
                snprintf(why, cap, "data[%zu].index %zu appears twice", i, at);
                goto done;
            }
        }
        seen[at] = 1;
        if (read_vector(r->tei ? item : cJSON_GetObjectItemCaseSensitive(item, "embedding"), dim,
                        *out + at * (size_t)*dim, why, cap))
            goto done;
        i++;
    }
    rc = 0;
done:
    if (rc) {
        free(*out);
        *out = NULL;
    }
    free(seen);
    cJSON_Delete(root);
    return rc;
}

/* One request of at most IA_REMOTE_MAX_BATCH texts. *dim 0: learn it (the
 * probe, which also learns the protocol). prefix: what the error names. */
static ia_status embed_once(ia_remote *r, const char *const *texts, size_t n, int *dim, float **vecs,
                            const char *prefix) {
    response rs;
    char *body, why[256];
    int tries = 0;
    ia_status st = IA_OK;
    memset(&rs, 0, sizeof rs);
    if (!(body = request_body(r, texts, n))) return ia_error(IA_ERR_NOMEM, "%s: request body", prefix);
    post(r, r->tei ? "/embed" : "/v1/embeddings", body, &rs, &tries);
    if (!r->tei && *dim == 0 && rs.status == 404) {
        /* No /v1/embeddings route (not an OpenAI error about the model):
         * a Text Embeddings Inference server, or nothing that embeds. */
        cJSON *root = rs.body ? cJSON_ParseWithLength(rs.body, rs.len) : NULL;
        int openai_error = cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(root, "error"));
        cJSON_Delete(root);
        if (!openai_error) {
            r->tei = 1;
            free(body);
            if (!(body = request_body(r, texts, n))) {
                free(rs.body);
                return ia_error(IA_ERR_NOMEM, "%s: request body", prefix);
            }
            post(r, "/embed", body, &rs, &tries);
            if (rs.status == 404) {
                char msg[300];
                r->tei = 0;
                server_message(&rs, msg, sizeof msg);
                st = ia_error(IA_ERR_NOT_FOUND, "%s: HTTP 404 on POST /v1/embeddings and on POST /embed: %s", prefix,
                              msg);
                goto done;
            }
        }
    }
    if (rs.status != 200) {
        st = fail(r, prefix, &rs, tries);
        goto done;
    }
    if (read_answer(r, &rs, n, dim, vecs, why, sizeof why)) {
        st = ia_error(IA_ERR_FORMAT, "%s: POST %s: %s", prefix, r->tei ? "/embed" : "/v1/embeddings", why);
        goto done;
    }
done:
    free(body);
    free(rs.body);
    return st;
}

/* ---------------------------------------------------------------- public */

ia_status ia_remote_open(const char *url, const char *model, ia_remote **out) {
    ia_remote *r;
    const char *key = getenv("IA_REMOTE_API_KEY");
    char prefix[1200], ua[64];
    static const char *const probe[] = {"probe"};
    float *vecs = NULL;
    int dim = 0;
    ia_status st;
    if (!url || !model || !out) return ia_error(IA_ERR_INVALID_ARG, "ia_remote_open: NULL argument");
    *out = NULL;
    pthread_once(&curl_once, curl_init);
    if (curl_init_code != CURLE_OK)
        return ia_error(IA_ERR_UNAVAILABLE, "%s: libcurl: %s", url, curl_easy_strerror(curl_init_code));
    if (!(r = calloc(1, sizeof *r)) || !(r->url = strdup(url)) || !(r->model = strdup(model)) ||
        !(r->curl = curl_easy_init())) {
        ia_remote_free(r);
        return ia_error(IA_ERR_NOMEM, "%s: endpoint", url);
    }
    if (!key || !*key) key = getenv("OPENAI_API_KEY");
    r->timeout_ms = env_long("IA_REMOTE_TIMEOUT_MS", DEFAULT_TIMEOUT_MS, 1, 24L * 3600 * 1000);
    r->connect_timeout_ms = r->timeout_ms < CONNECT_TIMEOUT_MS ? r->timeout_ms : CONNECT_TIMEOUT_MS;
    r->tries = 1 + (int)env_long("IA_REMOTE_RETRIES", DEFAULT_RETRIES, 0, 100);
    {
        const char *lines[] = {"Content-Type: application/json", "Accept: application/json", "Expect:"};
        char *auth = NULL;
        int ok = 1;
        if (key && *key) {
            size_t len = strlen(key) + 32;
            if ((auth = malloc(len))) snprintf(auth, len, "Authorization: Bearer %s", key);
            ok = auth != NULL;
        }
        for (size_t i = 0; ok && i < sizeof lines / sizeof *lines + (auth != NULL); i++) {
            struct curl_slist *next = curl_slist_append(r->headers, i < sizeof lines / sizeof *lines ? lines[i] : auth);
            if (next) r->headers = next;
            else ok = 0;
        }
        if (auth) {
            memset(auth, 0, strlen(auth)); /* the list holds the copy that is sent */
            free(auth);
        }
        if (!ok) {
            ia_remote_free(r);
            return ia_error(IA_ERR_NOMEM, "%s: headers", url);
        }
    }
    snprintf(ua, sizeof ua, "ipfs-accelerate/%s", ia_version());
    curl_easy_setopt(r->curl, CURLOPT_HTTPHEADER, r->headers);
    curl_easy_setopt(r->curl, CURLOPT_USERAGENT, ua);
    curl_easy_setopt(r->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(r->curl, CURLOPT_TIMEOUT_MS, r->timeout_ms);
    curl_easy_setopt(r->curl, CURLOPT_CONNECTTIMEOUT_MS, r->connect_timeout_ms);
    curl_easy_setopt(r->curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(r->curl, CURLOPT_HEADERFUNCTION, on_header);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(r->curl, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(r->curl, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    curl_easy_setopt(r->curl, CURLOPT_ACCEPT_ENCODING, ""); /* whatever this libcurl decodes */
    curl_easy_setopt(r->curl, CURLOPT_TCP_KEEPALIVE, 1L);

    snprintf(prefix, sizeof prefix, "endpoint %s on %s", model, url);
    if ((st = embed_once(r, probe, 1, &dim, &vecs, prefix)) != IA_OK) {
        ia_remote_free(r);
        return st;
    }
    free(vecs);
    r->dim = dim;
    *out = r;
    return IA_OK;
}

ia_status ia_remote_embed(ia_remote *r, const char *const *texts, size_t n, float *out) {
    if (!r || (n && (!texts || !out))) return ia_error(IA_ERR_INVALID_ARG, "ia_remote_embed: NULL argument");
    for (size_t i = 0; i < n; i++)
        if (!texts[i]) return ia_error(IA_ERR_INVALID_ARG, "%s: text %zu is NULL", r->url, i);
    for (size_t i = 0; i < n; i += IA_REMOTE_MAX_BATCH) {
        size_t b = n - i < IA_REMOTE_MAX_BATCH ? n - i : IA_REMOTE_MAX_BATCH;
        int dim = r->dim;
        float *vecs = NULL;
        ia_status st = embed_once(r, texts + i, b, &dim, &vecs, r->url);
        if (st != IA_OK) return st;
        memcpy(out + i * (size_t)r->dim, vecs, b * (size_t)r->dim * sizeof *out);
        free(vecs);
    }
    return IA_OK;
}

int ia_remote_dim(const ia_remote *r) { return r ? r->dim : 0; }
const char *ia_remote_url(const ia_remote *r) { return r ? r->url : NULL; }
const char *ia_remote_protocol(const ia_remote *r) { return r ? (r->tei ? "tei" : "openai") : NULL; }

void ia_remote_free(ia_remote *r) {
    if (!r) return;
    if (r->curl) curl_easy_cleanup(r->curl);
    curl_slist_free_all(r->headers);
    free(r->url);
    free(r->model);
    free(r);
}
