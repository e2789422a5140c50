/*
 * routes_ipfs.c — GET/HEAD /ipfs/{cid}: the server's block store answered
 * as a trustless gateway (the IPFS "Trustless Gateway" specification), so
 * one instance fetches models from another (ia_gateway_fetch), and any
 * client that verifies what it gets (kubo, Helia) can too.
 *
 *   ?format=raw, or Accept: application/vnd.ipld.raw   the block's bytes
 *   ?format=car, or Accept: application/vnd.ipld.car   a CAR v1 of the DAG:
 *       dag-scope=all (the default): every block under the CID, in the
 *       order `ipfs dag export` writes them; dag-scope=block: the block
 *       alone; dag-scope=entity: the entity the CID names (a file's
 *       blocks, entity-bytes=from:to narrowing them to a range; a
 *       directory's node), see ia_car_export_scope.
 *
 * Anything else (a path after the CID, no format) is 400: a trustless
 * gateway serves verifiable bytes only, never a rendered file. The store
 * hashes every block it reads, so a block that rotted on disk is a 500,
 * not bytes that a client would reject.
 */
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "formats/cid.h"
#include "serve/server_internal.h"
#include "util/error.h"

#define CAR_TYPE "application/vnd.ipld.car; version=1; order=dfs; dups=n"
#define RAW_TYPE "application/vnd.ipld.raw"

static void common_headers(struct MHD_Response *resp, const char *cid, const char *suffix) {
    char etag[IA_CID_MAX_TEXT + 16];
    snprintf(etag, sizeof etag, "\"%s.%s\"", cid, suffix);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "public, max-age=29030400, immutable");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "X-Ipfs-Roots", cid);
}

static int queue(serve_request *r, struct MHD_Response *resp, int status) {
    enum MHD_Result ok;
    if (!resp) return MHD_NO;
    ok = MHD_queue_response(r->conn, (unsigned)status, resp);
    MHD_destroy_response(resp);
    r->status = status;
    return ok;
}

static int send_raw(serve_request *r, const char *cid) {
    uint8_t *data = NULL;
    size_t n = 0;
    ia_status st = ia_blockstore_get(r->srv->blocks, cid, &data, &n);
    struct MHD_Response *resp;
    if (st == IA_ERR_NOT_FOUND) return serve_send_error(r, 404, 0, "not_found", "%s is not in this store", cid);
    if (st != IA_OK) return serve_send_error(r, 500, 0, "store", "%s", ia_last_error());
    resp = MHD_create_response_from_buffer(n, data, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        ia_free(data);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, RAW_TYPE);
    common_headers(resp, cid, "raw");
    return queue(r, resp, 200);
}

static ia_status to_file(void *ctx, const void *data, size_t n) {
    return fwrite(data, 1, n, ctx) == n ? IA_OK : ia_error(IA_ERR_IO, "gateway: writing the CAR");
}

/* The CAR is written to an unlinked temporary file first, so a missing or
 * rotten block becomes an error status instead of a CAR cut short after a
 * 200; libmicrohttpd then sends the file from its descriptor. */
static int send_car(serve_request *r, const char *cid, const char *scope, const char *range) {
    FILE *f = tmpfile();
    ia_status st;
    long size;
    int fd;
    struct MHD_Response *resp;
    if (!f) return serve_send_error(r, 500, 0, "store", "gateway: no temporary file for the CAR");
    st = ia_car_export_scope(r->srv->blocks, cid, scope, range, to_file, f);
    if (st == IA_OK && fflush(f) != 0) st = ia_error(IA_ERR_IO, "gateway: writing the CAR");
    if (st != IA_OK) {
        fclose(f);
        return serve_send_error(r, st == IA_ERR_NOT_FOUND ? 404 : st == IA_ERR_INVALID_ARG ? 400 : 500, 0,
                                st == IA_ERR_NOT_FOUND ? "not_found" : st == IA_ERR_INVALID_ARG ? "validation" : "store",
                                "%s", ia_last_error());
    }
    size = ftell(f);
    fd = dup(fileno(f));
    fclose(f);
    if (size < 0 || fd < 0) {
        if (fd >= 0) close(fd);
        return serve_send_error(r, 500, 0, "store", "gateway: the CAR's temporary file");
    }
    if (!(resp = MHD_create_response_from_fd_at_offset64((uint64_t)size, fd, 0))) {
        close(fd);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, CAR_TYPE);
    common_headers(resp, cid, "car");
    return queue(r, resp, 200);
}

int serve_route_ipfs(serve_request *r) {
    const char *rest = r->url + 6, *slash = strchr(rest, '/');
    const char *format = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "format");
    const char *accept = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
    const char *scope = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "dag-scope");
    char cid[IA_CID_MAX_TEXT];
    size_t n = slash ? (size_t)(slash - rest) : strlen(rest);
    ia_cid c;
    int raw, car;
    if (n == 0 || n >= sizeof cid) return serve_send_error(r, 400, 0, "validation", "no CID after /ipfs/");
    memcpy(cid, rest, n);
    cid[n] = '\0';
    if (ia_cid_parse(cid, &c) != IA_OK) return serve_send_error(r, 400, 0, "validation", "%s", ia_last_error());
    if (slash && slash[1])
        return serve_send_error(r, 400, 0, "validation", "this gateway answers /ipfs/{cid} without a path");
    raw = format ? strcmp(format, "raw") == 0 : accept && strstr(accept, RAW_TYPE) != NULL;
    car = format ? strcmp(format, "car") == 0 : accept && strstr(accept, "application/vnd.ipld.car") != NULL;
    if (!raw && !car)
        return serve_send_error(r, format ? 400 : 406, 0, "validation",
                                "a trustless gateway: ask with ?format=raw or ?format=car (or their Accept types)");
    if (raw) return send_raw(r, cid);
    return send_car(r, cid, scope, MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "entity-bytes"));
}
