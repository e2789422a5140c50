/*
 * gateway_fetch.c — fetching a DAG from trustless HTTP gateways into the
 * block store (ia_gateway_fetch in include/ipfs_accelerate.h), over
 * libcurl's multi interface.
 *
 * The protocol is the trustless gateway's block form: GET
 * /ipfs/{cid}?format=raw with Accept: application/vnd.ipld.raw answers one
 * block's bytes, which are hashed here before anything else looks at
 * them. The walk starts at the root: a block already in the store is read
 * from there (it was hashed when it was put), a missing one is asked of
 * the gateways in the order given, several blocks at once; a dag-pb
 * block's links are walked in turn, raw blocks have none. So an
 * interrupted fetch resumes where it stopped — what it stored is kept — and
 * a gateway that answers bytes that do not hash to the CID asked for is a
 * liar: it is dropped for the rest of the fetch, and the block is asked of
 * the next gateway.
 *
 * Durability: one fsync per block made a loopback fetch of 380 blocks take
 * 1.6 s instead of 0.4 s, so blocks are written (temporary file, rename)
 * without it and the store's file system is synced once at the end. A
 * block torn by a crash before that sync is found when the next fetch
 * walks the store — blocks already there are hashed again — and fetched
 * anew.
 *
 * Why blocks and not ?format=car: a CAR of the whole DAG cannot resume
 * part-way (a gateway makes it afresh each time) and one bad block spoils
 * all of it; blocks can be asked of several gateways at once, and each
 * stands or falls alone. `serve` answers both forms.
 */
#define _GNU_SOURCE /* syncfs */
#include <curl/curl.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "formats/car.h"
#include "formats/cid.h"
#include "formats/dagpb.h"
#include "store/blockstore.h"
#include "store/cid_map.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/struct_size.h"

#define DEFAULT_TIMEOUT_MS 30000L
#define DEFAULT_PARALLEL 8
#define MAX_PARALLEL 64
#define MAX_GATEWAYS 16
#define MAX_DOWN 3            /* failures in a row before a gateway is left out */
#define MAX_BLOCKS 10000000u  /* a hostile DAG cannot make the walk endless */

void ia_gateway_fetch_options_init(ia_gateway_fetch_options *o, size_t struct_size) {
    ia_gateway_fetch_options d;
    memset(&d, 0, sizeof d);
    d.struct_size = sizeof d;
    d.timeout_ms = DEFAULT_TIMEOUT_MS;
    d.parallel = DEFAULT_PARALLEL;
    ia_struct_export(o, struct_size, &d, sizeof d);
}

/* One block being asked for: its CID, which gateway, the bytes so far. */
typedef struct transfer {
    CURL *curl;
    int busy;
    ia_cid cid;
    int gateway, attempts;
    uint8_t *buf;
    size_t len, cap;
    int too_large;
    char errbuf[CURL_ERROR_SIZE];
} transfer;

typedef struct fetch {
    ia_blockstore *bs;         /* reads, and the caller's fsync option */
    ia_blockstore writer;      /* the same store, writing without fsync */
    const ia_gateway_fetch_options *o;
    struct curl_slist *headers;
    ia_cid *todo; /* CIDs not yet looked at (a stack: depth first) */
    size_t n_todo, cap_todo;
    uint64_t seen;
    int liar[MAX_GATEWAYS]; /* answered bytes that did not hash to their CID */
    int down[MAX_GATEWAYS]; /* failures in a row: no answer, 5xx, 429 */
    char why[MAX_GATEWAYS][256];
    ia_gateway_fetch_stats st;
    ia_cid_map from_car;    /* blocks the CAR brought: fetched, not "present" */
} fetch;

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_code;
static void curl_init(void) { curl_init_code = curl_global_init(CURL_GLOBAL_DEFAULT); }

static size_t on_body(char *p, size_t size, size_t n, void *ctx) {
    transfer *t = ctx;
    size_t add = size * n;
    if (t->len + add > IA_DAGPB_MAX_BLOCK) { /* no block is larger: stop reading */
        t->too_large = 1;
        return 0;
    }
    if (t->len + add > t->cap) {
        size_t cap = t->cap ? t->cap : 65536;
        uint8_t *b;
        while (cap < t->len + add) cap *= 2;
        if (!(b = realloc(t->buf, cap))) return 0;
        t->buf = b, t->cap = cap;
    }
    memcpy(t->buf + t->len, p, add);
    t->len += add;
    return add;
}

static ia_status push(fetch *f, const ia_cid *c) {
    if (f->n_todo == f->cap_todo) {
        size_t cap = f->cap_todo ? 2 * f->cap_todo : 256;
        ia_cid *t = realloc(f->todo, cap * sizeof *t);
        if (!t) return ia_error(IA_ERR_NOMEM, "fetch");
        f->todo = t, f->cap_todo = cap;
    }
    f->todo[f->n_todo++] = *c;
    return IA_OK;
}

/* Puts the links of a verified block on the to-do list. */
static ia_status walk_links(fetch *f, const ia_cid *c, const uint8_t *block, size_t n) {
    ia_dagpb_node node;
    ia_status st = IA_OK;
    char text[IA_CID_MAX_TEXT];
    if (c->codec != IA_CODEC_DAG_PB) return IA_OK; /* raw leaves link nowhere */
    if ((st = ia_dagpb_decode(block, n, &node)) != IA_OK) {
        ia_cid_to_string(c, text, sizeof text);
        return ia_error_prefix(st, "fetch: block %s", text);
    }
    for (size_t i = 0; st == IA_OK && i < node.n_links; i++) {
        ia_cid child;
        if ((st = ia_cid_from_bytes(node.links[i].hash, node.links[i].hash_len, &child)) == IA_OK) st = push(f, &child);
    }
    ia_dagpb_node_free(&node);
    return st;
}

/* The first usable gateway at or after `from` (wrapping once); -1 when
 * every one lied or is down. */
static int next_gateway(const fetch *f, int from) {
    int n = (int)f->o->n_gateways;
    for (int k = 0; k < n; k++) {
        int g = (from + k) % n;
        if (!f->liar[g] && f->down[g] < MAX_DOWN) return g;
    }
    return -1;
}

/* {gateway}/ipfs/{cid}?{query} (the gateway's trailing slashes dropped);
 * IA_ERR_INVALID_ARG when it does not fit. */
static ia_status gateway_url(const fetch *f, int g, const ia_cid *c, const char *query, char *url, size_t cap) {
    char text[IA_CID_MAX_TEXT];
    const char *base = f->o->gateways[g];
    size_t bl = strlen(base);
    while (bl && base[bl - 1] == '/') bl--;
    ia_cid_to_string(c, text, sizeof text);
    if (snprintf(url, cap, "%.*s/ipfs/%s?%s", (int)bl, base, text, query) >= (int)cap)
        return ia_error(IA_ERR_INVALID_ARG, "fetch: gateway URL %.80s... is too long", base);
    return IA_OK;
}

static ia_status start(fetch *f, CURLM *multi, transfer *t, int gateway) {
    char url[4096];
    ia_status st;
    if ((st = gateway_url(f, gateway, &t->cid, "format=raw", url, sizeof url)) != IA_OK) return st;
    t->gateway = gateway;
    t->attempts++;
    t->len = 0;
    t->too_large = 0;
    t->errbuf[0] = '\0';
    if (!t->curl && !(t->curl = curl_easy_init())) return ia_error(IA_ERR_NOMEM, "fetch: curl");
    curl_easy_setopt(t->curl, CURLOPT_URL, url);
    curl_easy_setopt(t->curl, CURLOPT_HTTPHEADER, f->headers);
    curl_easy_setopt(t->curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(t->curl, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(t->curl, CURLOPT_PRIVATE, t);
    curl_easy_setopt(t->curl, CURLOPT_ERRORBUFFER, t->errbuf);
    curl_easy_setopt(t->curl, CURLOPT_TIMEOUT_MS, f->o->timeout_ms);
    curl_easy_setopt(t->curl, CURLOPT_CONNECTTIMEOUT_MS, f->o->timeout_ms < 5000 ? f->o->timeout_ms : 5000L);
    curl_easy_setopt(t->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(t->curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(t->curl, CURLOPT_FOLLOWLOCATION, 0L); /* a gateway answers or fails: no detours */
    if (curl_multi_add_handle(multi, t->curl) != CURLM_OK) return ia_error(IA_ERR_INTERNAL, "fetch: curl multi");
    t->busy = 1;
    return IA_OK;
}

/* The message when no gateway gave a block: each gateway's last failure. */
static ia_status no_gateway_left(fetch *f, const ia_cid *c) {
    char text[IA_CID_MAX_TEXT], msg[2048];
    size_t used = 0;
    ia_cid_to_string(c, text, sizeof text);
    for (size_t g = 0; g < f->o->n_gateways && used < sizeof msg; g++)
        used += (size_t)snprintf(msg + used, sizeof msg - used, "%s%s: %s", g ? "; " : "", f->o->gateways[g],
                                 f->why[g][0] ? f->why[g] : "not asked");
    return ia_error(IA_ERR_NOT_FOUND, "fetch: no gateway gave block %s (%s)", text, msg);
}

/* A transfer ended: store a verified block, or ask the next gateway. */
static ia_status finished(fetch *f, CURLM *multi, transfer *t, CURLcode code) {
    long status = 0;
    int g = t->gateway, next;
    char text[IA_CID_MAX_TEXT];
    ia_status st;
    curl_multi_remove_handle(multi, t->curl);
    t->busy = 0;
    curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
    ia_cid_to_string(&t->cid, text, sizeof text);
    if (code == CURLE_OK && status == 200) {
        /* the store hashes what it is given (once: IA_ERR_FORMAT when the
         * bytes are not the CID's) before anything else reads them */
        st = ia_bs_put(&f->writer, &t->cid, t->buf, t->len);
        if (st == IA_ERR_FORMAT || st == IA_ERR_INVALID_ARG) { /* other bytes, or more than a block holds */
            f->liar[g] = 1;
            f->st.rejected_blocks++;
            snprintf(f->why[g], sizeof f->why[g], "answered %zu bytes for %s that do not hash to it: not asked again",
                     t->len, text);
        } else {
            if (st != IA_OK) return st;
            f->down[g] = 0;
            f->st.blocks_fetched++;
            f->st.bytes_fetched += t->len;
            if (f->o->on_progress) f->o->on_progress(f->o->progress_ctx, f->st.blocks_fetched, f->st.bytes_fetched);
            return walk_links(f, &t->cid, t->buf, t->len);
        }
    } else if (code == CURLE_OK && (status == 404 || status == 410 || status == 400)) {
        snprintf(f->why[g], sizeof f->why[g], "HTTP %ld for %s", status, text); /* it lacks the block: not down */
    } else {
        f->down[g]++;
        if (code != CURLE_OK)
            snprintf(f->why[g], sizeof f->why[g], "%s", t->too_large ? "answered more than a block can hold"
                                                                       : t->errbuf[0] ? t->errbuf : curl_easy_strerror(code));
        else
            snprintf(f->why[g], sizeof f->why[g], "HTTP %ld for %s", status, text);
        if (t->too_large) f->liar[g] = 1;
    }
    /* ask the next gateway; each one at most twice for one block */
    next = next_gateway(f, g + 1);
    if (next < 0 || t->attempts >= 2 * (int)f->o->n_gateways) return no_gateway_left(f, &t->cid);
    return start(f, multi, t, next);
}

/* Takes CIDs off the list until a transfer has to be started (into a
 * free slot) or the list is empty. Blocks in the store are walked here. */
static ia_status take(fetch *f, CURLM *multi, transfer *slots, int n_slots) {
    while (f->n_todo) {
        transfer *t = NULL;
        ia_cid c;
        int g;
        ia_status st;
        for (int i = 0; i < n_slots && !t; i++)
            if (!slots[i].busy) t = &slots[i];
        if (!t) return IA_OK;
        c = f->todo[--f->n_todo];
        if (++f->seen > MAX_BLOCKS) return ia_error(IA_ERR_FORMAT, "fetch: the DAG has over %u blocks", MAX_BLOCKS);
        if (c.hash == IA_MH_IDENTITY) { /* the bytes are the CID's own */
            if ((st = walk_links(f, &c, c.digest, c.digest_len)) != IA_OK) return st;
            continue;
        }
        {
            uint8_t *data = NULL;
            size_t n = 0;
            char path[IA_FS_PATH_MAX];
            st = ia_bs_get(f->bs, &c, 1, &data, &n);
            if (st == IA_OK) {
                if (!ia_cid_map_find(&f->from_car, &c)) {
                    f->st.blocks_present++;
                    f->st.bytes_present += n;
                }
                st = walk_links(f, &c, data, n);
                free(data);
                if (st != IA_OK) return st;
                continue;
            }
            /* not there: fetched. Bytes that no longer hash to their CID
             * (torn by a crash, or damaged): dropped, and fetched too */
            if (st != IA_ERR_NOT_FOUND &&
                (st != IA_ERR_FORMAT || ia_bs_path(f->bs, &c, path, sizeof path) != IA_OK || unlink(path) != 0))
                return st;
        }
        if ((g = next_gateway(f, 0)) < 0) return no_gateway_left(f, &c);
        t->cid = c;
        t->attempts = 0;
        if ((st = start(f, multi, t, g)) != IA_OK) return st;
    }
    return IA_OK;
}

/* ---- CAR first (o.car): one request for the whole DAG ----
 *
 * GET {gateway}/ipfs/{root}?format=car&dag-scope=all streamed through the
 * CAR reader: curl writes into a pipe on a thread of its own, the reader
 * pulls from the other end, and every section's block is hashed (by the
 * store's put) and kept as it arrives. A block that does not hash to its
 * CID, or a section that is not the CAR's, marks the gateway a liar and
 * stops the stream; a stream that breaks just stops. Either way the walk
 * that follows asks, block by block, only for what is still missing — a
 * CAR cannot be resumed part way, blocks can. */

typedef struct car_stream {
    CURL *curl;
    int fd;            /* the pipe's write end (curl's thread writes there) */
    CURLcode code;
    long status;
    char errbuf[CURL_ERROR_SIZE];
} car_stream;

static size_t car_to_pipe(char *p, size_t size, size_t n, void *ctx) {
    car_stream *cs = ctx;
    size_t left = size * n;
    while (left) {
        ssize_t w = write(cs->fd, p, left);
        if (w <= 0) return 0; /* the reader stopped: end the transfer */
        p += w, left -= (size_t)w;
    }
    return size * n;
}

static void *car_thread(void *arg) {
    car_stream *cs = arg;
    cs->code = curl_easy_perform(cs->curl);
    curl_easy_getinfo(cs->curl, CURLINFO_RESPONSE_CODE, &cs->status);
    close(cs->fd); /* the reader sees the end */
    return NULL;
}

static ia_status car_from_pipe(void *ctx, uint8_t *buf, size_t want, size_t *got) {
    int fd = *(int *)ctx;
    size_t have = 0;
    while (have < want) {
        ssize_t r = read(fd, buf + have, want - have);
        if (r < 0) return ia_error(IA_ERR_IO, "fetch: reading the CAR stream");
        if (r == 0) break;
        have += (size_t)r;
    }
    *got = have;
    return IA_OK;
}

/* Streams gateway g's CAR of root into the store. Never fails the fetch:
 * what it could not get, the walk asks for. */
static void car_first(fetch *f, int g, const ia_cid *root) {
    car_stream cs;
    ia_car_reader rd;
    pthread_t th;
    int fds[2];
    char text[IA_CID_MAX_TEXT], url[4096];
    ia_status st;
    if (gateway_url(f, g, root, "format=car&dag-scope=all", url, sizeof url) != IA_OK) return;
    ia_cid_to_string(root, text, sizeof text);
    memset(&cs, 0, sizeof cs);
    if (pipe(fds) != 0) return;
    if (!(cs.curl = curl_easy_init())) {
        close(fds[0]), close(fds[1]);
        return;
    }
    {
        struct curl_slist *hdr = curl_slist_append(NULL, "Accept: application/vnd.ipld.car");
        cs.fd = fds[1];
        curl_easy_setopt(cs.curl, CURLOPT_URL, url);
        curl_easy_setopt(cs.curl, CURLOPT_HTTPHEADER, hdr);
        curl_easy_setopt(cs.curl, CURLOPT_WRITEFUNCTION, car_to_pipe);
        curl_easy_setopt(cs.curl, CURLOPT_WRITEDATA, &cs);
        curl_easy_setopt(cs.curl, CURLOPT_ERRORBUFFER, cs.errbuf);
        curl_easy_setopt(cs.curl, CURLOPT_FAILONERROR, 1L); /* a 404's body is not a CAR */
        curl_easy_setopt(cs.curl, CURLOPT_CONNECTTIMEOUT_MS, f->o->timeout_ms < 5000 ? f->o->timeout_ms : 5000L);
        curl_easy_setopt(cs.curl, CURLOPT_LOW_SPEED_LIMIT, 1L); /* stalled for timeout_ms: give up */
        curl_easy_setopt(cs.curl, CURLOPT_LOW_SPEED_TIME, (f->o->timeout_ms + 999) / 1000);
        curl_easy_setopt(cs.curl, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(cs.curl, CURLOPT_PROTOCOLS_STR, "http,https");
        if (pthread_create(&th, NULL, car_thread, &cs) != 0) {
            curl_slist_free_all(hdr);
            curl_easy_cleanup(cs.curl);
            close(fds[0]), close(fds[1]);
            return;
        }
        st = ia_car_reader_open(&rd, car_from_pipe, &fds[0]);
        if (st == IA_OK && (rd.n_roots != 1 || !ia_cid_equal(&rd.roots[0], root))) {
            st = ia_error(IA_ERR_FORMAT, "a CAR whose root is not %s", text);
            ia_car_reader_free(&rd);
        }
        if (st == IA_OK) {
            for (;;) {
                ia_cid c;
                const uint8_t *block;
                size_t n;
                uint64_t at;
                if ((st = ia_car_reader_next(&rd, &c, &block, &n, &at)) != IA_OK || !block) break;
                st = ia_bs_put(&f->writer, &c, block, n);
                if (st == IA_ERR_FORMAT || st == IA_ERR_INVALID_ARG) {
                    f->liar[g] = 1;
                    f->st.rejected_blocks++;
                    snprintf(f->why[g], sizeof f->why[g], "its CAR held a block that does not hash to its CID: "
                             "not asked again");
                    break;
                }
                if (st != IA_OK) break;
                {
                    ia_cid_map_entry *e;
                    int added;
                    if (ia_cid_map_add(&f->from_car, &c, &e, &added) != IA_OK) break;
                    if (!added) continue; /* dups=n promised none; counted once anyway */
                }
                f->st.blocks_fetched++;
                f->st.bytes_fetched += n;
                if (f->o->on_progress) f->o->on_progress(f->o->progress_ctx, f->st.blocks_fetched, f->st.bytes_fetched);
            }
            ia_car_reader_free(&rd);
        }
        close(fds[0]); /* a writer still sending fails, and the transfer ends */
        pthread_join(th, NULL);
        if (cs.code != CURLE_OK && !f->liar[g])
            snprintf(f->why[g], sizeof f->why[g], "CAR: %.200s", cs.errbuf[0] ? cs.errbuf : curl_easy_strerror(cs.code));
        curl_slist_free_all(hdr);
        curl_easy_cleanup(cs.curl);
    }
}

static ia_status check_options(const ia_gateway_fetch_options *o) {
    if (!o->gateways || o->n_gateways == 0) return ia_error(IA_ERR_INVALID_ARG, "fetch: no gateway given");
    if (o->n_gateways > MAX_GATEWAYS) return ia_error(IA_ERR_INVALID_ARG, "fetch: at most %d gateways", MAX_GATEWAYS);
    for (size_t g = 0; g < o->n_gateways; g++)
        if (!o->gateways[g] || (strncmp(o->gateways[g], "http://", 7) && strncmp(o->gateways[g], "https://", 8)))
            return ia_error(IA_ERR_INVALID_ARG, "fetch: gateway '%.80s' is not an http:// or https:// URL",
                            o->gateways[g] ? o->gateways[g] : "(null)");
    if (o->parallel < 1 || o->parallel > MAX_PARALLEL)
        return ia_error(IA_ERR_INVALID_ARG, "fetch: parallel %d (1..%d)", o->parallel, MAX_PARALLEL);
    if (o->timeout_ms < 1) return ia_error(IA_ERR_INVALID_ARG, "fetch: timeout_ms %ld", o->timeout_ms);
    return IA_OK;
}

ia_status ia_gateway_fetch(ia_blockstore *bs, const char *cid, const ia_gateway_fetch_options *opt,
                           ia_gateway_fetch_stats *stats) {
    ia_gateway_fetch_options o;
    fetch f;
    transfer slots[MAX_PARALLEL];
    CURLM *multi = NULL;
    ia_cid root;
    ia_status st;
    double t0 = ia_now_sec();
    int running = 0;

    if (!bs || !cid || !opt) return ia_error(IA_ERR_INVALID_ARG, "fetch: needs a store, a CID and options");
    IA_GATEWAY_FETCH_OPTIONS_INIT(&o);
    if ((st = ia_struct_import(&o, sizeof o, opt, "IA_GATEWAY_FETCH_OPTIONS_INIT")) != IA_OK ||
        (st = check_options(&o)) != IA_OK)
        return st;
    if ((st = ia_cid_parse(cid, &root)) != IA_OK) return ia_error_prefix(st, "fetch: '%.80s'", cid);
    pthread_once(&curl_once, curl_init);
    if (o.car) signal(SIGPIPE, SIG_IGN); /* the CAR pipe's reader may stop first: an error, not the end of us */
    if (curl_init_code != CURLE_OK) return ia_error(IA_ERR_UNAVAILABLE, "fetch: libcurl did not start");
    memset(&f, 0, sizeof f);
    memset(slots, 0, sizeof slots);
    f.bs = bs;
    f.writer = *bs;
    f.writer.fsync = 0;
    f.o = &o;
    f.st.struct_size = sizeof f.st;
    if (!(f.headers = curl_slist_append(NULL, "Accept: application/vnd.ipld.raw")) || !(multi = curl_multi_init())) {
        st = ia_error(IA_ERR_NOMEM, "fetch: curl");
        goto done;
    }
    curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)o.parallel);
    if (o.car) { /* one CAR from the first gateway that gives one; the walk fills what is missing */
        int have = 0;
        ia_bs_has(bs, &root, &have);
        for (size_t g = 0; !have && g < o.n_gateways; g++) {
            car_first(&f, (int)g, &root);
            if (ia_bs_has(bs, &root, &have) != IA_OK) have = 0;
        }
    }
    if ((st = push(&f, &root)) != IA_OK) goto done;
    for (;;) {
        CURLMsg *m;
        int left, busy = 0, done_now;
        if ((st = take(&f, multi, slots, o.parallel)) != IA_OK) goto done;
        for (int i = 0; i < o.parallel; i++) busy += slots[i].busy;
        if (!busy && !f.n_todo) break;
        if (curl_multi_perform(multi, &running) != CURLM_OK) {
            st = ia_error(IA_ERR_IO, "fetch: curl multi failed");
            goto done;
        }
        done_now = 0;
        while ((m = curl_multi_info_read(multi, &left))) {
            transfer *t = NULL;
            if (m->msg != CURLMSG_DONE) continue;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&t);
            if ((st = finished(&f, multi, t, m->data.result)) != IA_OK) goto done;
            done_now++;
        }
        /* a transfer ended: its slot takes the next block at once; else
         * wait for the sockets (a handle just added is driven by the next
         * perform, so the wait never outlasts a short timeout) */
        if (!done_now && curl_multi_poll(multi, NULL, 0, 100, NULL) != CURLM_OK) {
            st = ia_error(IA_ERR_IO, "fetch: curl multi failed");
            goto done;
        }
    }
    st = IA_OK;
done:
    for (int i = 0; i < MAX_PARALLEL; i++) {
        if (slots[i].busy) curl_multi_remove_handle(multi, slots[i].curl);
        if (slots[i].curl) curl_easy_cleanup(slots[i].curl);
        free(slots[i].buf);
    }
    if (multi) curl_multi_cleanup(multi);
    curl_slist_free_all(f.headers);
    ia_cid_map_free(&f.from_car);
    free(f.todo);
    if (f.st.blocks_fetched && bs->fsync) { /* what was stored, durable at once (see the top) */
        int fd = open(bs->dir, O_RDONLY | O_DIRECTORY);
        if (fd < 0 || syncfs(fd) != 0) sync();
        if (fd >= 0) close(fd);
    }
    for (size_t g = 0; g < o.n_gateways && g < MAX_GATEWAYS; g++) f.st.liars += f.liar[g];
    f.st.seconds = ia_now_sec() - t0;
    if (stats && stats->struct_size >= sizeof(size_t) && stats->struct_size <= IA_STRUCT_SIZE_MAX)
        ia_struct_export(stats, stats->struct_size, &f.st, sizeof f.st);
    return st;
}
