/*
 * cmd_fetch.c — `ipfs-accelerate fetch CID --gateway URL...`: a DAG from
 * trustless gateways into the local block store, every block verified
 * (ia_gateway_fetch). Then `--model CID` opens it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "ipfs_accelerate.h"

#define MAX_GATEWAYS 16

static void usage(FILE *f) {
    fprintf(f,
            "usage: ipfs-accelerate fetch CID --gateway URL [--gateway URL]... [options]\n"
            "\n"
            "Fetches the DAG of CID (a model directory or file, as `add` names it) from\n"
            "trustless HTTP gateways into the local block store: every block not already\n"
            "there is asked of the gateways in the order given (GET /ipfs/{cid}?format=raw)\n"
            "and hashed before it is kept. A gateway that answers bytes that do not hash to\n"
            "their CID is dropped for the rest of the fetch; one that lacks a block or fails\n"
            "is passed over for the next. Blocks already stored are not fetched again, so an\n"
            "interrupted fetch resumes. `ipfs-accelerate serve --gateway` is such a gateway.\n"
            "Then `--model CID` opens the model anywhere a model name is taken.\n"
            "\n"
            "options:\n"
            "  --gateway URL      a gateway's base URL, e.g. http://127.0.0.1:8080 (repeat:\n"
            "                     tried in order; at most %d)\n"
            "  --block-dir DIR    the block store (default $IA_BLOCK_DIR, else\n"
            "                     ~/.cache/ipfs_accelerate/blocks)\n"
            "  --car              first ask for the whole DAG as one CAR (format=car), each\n"
            "                     block hashed and kept as it streams in; then ask block by\n"
            "                     block for whatever the CAR did not bring (a broken or\n"
            "                     lying stream)\n"
            "  --parallel N       blocks in flight (default 8; 1..64)\n"
            "  --timeout-ms N     per request (default 30000)\n"
            "  --json             the figures as JSON on stdout\n"
            "  -h, --help         this help\n",
            MAX_GATEWAYS);
}

static void progress(void *ctx, uint64_t blocks, uint64_t bytes) {
    (void)ctx;
    fprintf(stderr, "\rfetch: %llu blocks, %.1f MB", (unsigned long long)blocks, (double)bytes / 1e6);
}

int ia_cmd_fetch(int argc, char **argv) {
    const char *gateways[MAX_GATEWAYS], *cid = NULL;
    ia_gateway_fetch_options o;
    ia_gateway_fetch_stats st;
    ia_blockstore_options bo;
    ia_blockstore *bs = NULL;
    ia_status rc;
    size_t n = 0;
    int json = 0, v;
    IA_GATEWAY_FETCH_OPTIONS_INIT(&o);
    IA_BLOCKSTORE_OPTIONS_INIT(&bo);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(a, "--json") == 0) {
            json = 1;
            continue;
        }
        if (strcmp(a, "--car") == 0) {
            o.car = 1;
            continue;
        }
        if (a[0] != '-') {
            if (cid) {
                fprintf(stderr, "ipfs-accelerate: fetch: one CID at a time (%s, then %s)\n", cid, a);
                return 2;
            }
            cid = a;
            continue;
        }
        if (!val) {
            fprintf(stderr, "ipfs-accelerate: fetch: unknown option or missing value: %s (see --help)\n", a);
            return 2;
        }
        i++;
        if (strcmp(a, "--gateway") == 0) {
            if (n == MAX_GATEWAYS) {
                fprintf(stderr, "ipfs-accelerate: fetch: at most %d gateways\n", MAX_GATEWAYS);
                return 2;
            }
            gateways[n++] = val;
        } else if (strcmp(a, "--block-dir") == 0) {
            bo.dir = val;
        } else if (strcmp(a, "--parallel") == 0) {
            if ((v = ia_cli_parse_int(a, val, 1, 64)) < 0) return 2;
            o.parallel = v;
        } else if (strcmp(a, "--timeout-ms") == 0) {
            if ((v = ia_cli_parse_int(a, val, 1, 3600000)) < 0) return 2;
            o.timeout_ms = v;
        } else {
            fprintf(stderr, "ipfs-accelerate: fetch: unknown option '%s' (see --help)\n", a);
            return 2;
        }
    }
    if (!cid || !n) {
        fprintf(stderr, "ipfs-accelerate: fetch: needs a CID and at least one --gateway (see --help)\n");
        return 2;
    }
    o.gateways = gateways;
    o.n_gateways = n;
    if (isatty(2)) o.on_progress = progress;
    if (ia_blockstore_open(&bo, &bs) != IA_OK) return ia_cli_fail("fetch");
    memset(&st, 0, sizeof st);
    st.struct_size = sizeof st;
    rc = ia_gateway_fetch(bs, cid, &o, &st);
    if (o.on_progress) fputc('\n', stderr);
    if (rc != IA_OK) {
        fprintf(stderr, "ipfs-accelerate: %s\n", ia_last_error()); /* the message says "fetch: ..." */
        if (st.blocks_fetched)
            fprintf(stderr, "fetch: %llu blocks (%.1f MB) were fetched, verified and kept before it stopped: fetch "
                            "again to resume\n", (unsigned long long)st.blocks_fetched, (double)st.bytes_fetched / 1e6);
        ia_blockstore_close(bs);
        return 1;
    }
    if (json)
        printf("{\"cid\":\"%s\",\"blocks_fetched\":%llu,\"bytes_fetched\":%llu,\"blocks_present\":%llu,"
               "\"bytes_present\":%llu,\"rejected_blocks\":%llu,\"liars\":%d,\"seconds\":%.4f,\"store\":\"%s\"}\n",
               cid, (unsigned long long)st.blocks_fetched, (unsigned long long)st.bytes_fetched,
               (unsigned long long)st.blocks_present, (unsigned long long)st.bytes_present,
               (unsigned long long)st.rejected_blocks, st.liars, st.seconds, ia_blockstore_dir(bs));
    else
        printf("fetched %s: %llu blocks (%.1f MB) in %.2f s (%.1f MB/s), %llu already here%s\n", cid,
               (unsigned long long)st.blocks_fetched, (double)st.bytes_fetched / 1e6, st.seconds,
               st.seconds > 0 ? (double)st.bytes_fetched / 1e6 / st.seconds : 0.0,
               (unsigned long long)st.blocks_present,
               st.liars ? "; a gateway answered bytes that did not hash to their CID and was dropped" : "");
    ia_blockstore_close(bs);
    return 0;
}
