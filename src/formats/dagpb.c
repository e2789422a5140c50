/*
 * dagpb.c — dag-pb encoding in kubo's canonical order and its strict,
 * bounded decoder (see dagpb.h).
 */
#include "formats/dagpb.h"

#include <stdlib.h>
#include <string.h>

#include "formats/cid.h"
#include "formats/protobuf.h"
#include "util/error.h"

enum { NODE_DATA = 1, NODE_LINKS = 2, LINK_HASH = 1, LINK_NAME = 2, LINK_TSIZE = 3 };

static size_t link_body_size(const ia_dagpb_link *l) {
    size_t n = ia_pb_bytes_field_size(l->hash_len);
    if (l->has_name) n += ia_pb_bytes_field_size(l->name_len);
    if (l->has_tsize) n += ia_pb_varint_field_size(l->tsize);
    return n;
}

size_t ia_dagpb_link_size(const ia_dagpb_link *l) { return ia_pb_bytes_field_size(link_body_size(l)); }

size_t ia_dagpb_size(const ia_dagpb_link *links, size_t n_links, size_t data_len, int has_data) {
    size_t n = has_data ? ia_pb_bytes_field_size(data_len) : 0;
    for (size_t i = 0; i < n_links; i++) n += ia_dagpb_link_size(&links[i]);
    return n;
}

size_t ia_dagpb_encode(const ia_dagpb_link *links, size_t n_links, const uint8_t *data, size_t data_len,
                       int has_data, uint8_t *out) {
    size_t o = 0;
    for (size_t i = 0; i < n_links; i++) {
        const ia_dagpb_link *l = &links[i];
        o += ia_pb_put_len_prefix(out + o, NODE_LINKS, link_body_size(l));
        o += ia_pb_put_bytes_field(out + o, LINK_HASH, l->hash, l->hash_len);
        if (l->has_name) o += ia_pb_put_bytes_field(out + o, LINK_NAME, l->name, l->name_len);
        if (l->has_tsize) o += ia_pb_put_varint_field(out + o, LINK_TSIZE, l->tsize);
    }
    if (has_data) o += ia_pb_put_bytes_field(out + o, NODE_DATA, data, data_len);
    return o;
}

/* One PBLink message: fields 1, 2, 3 each at most once and in that order,
 * Hash present and a CID. */
static ia_status decode_link(const uint8_t *p, size_t n, size_t index, ia_dagpb_link *l) {
    size_t pos = 0;
    int last = 0;
    ia_pb_field f;
    ia_cid cid;
    memset(l, 0, sizeof *l);
    while (pos < n) {
        if (ia_pb_next(p, n, &pos, &f) != 0) return ia_error(IA_ERR_FORMAT, "dag-pb: link %zu: malformed field", index);
        if (f.number <= last)
            return ia_error(IA_ERR_FORMAT, "dag-pb: link %zu: field %d out of order or repeated", index, f.number);
        last = f.number;
        if (f.number == LINK_HASH && f.wire == IA_PB_LEN) {
            l->hash = f.data, l->hash_len = f.len;
        } else if (f.number == LINK_NAME && f.wire == IA_PB_LEN) {
            l->name = f.data, l->name_len = f.len, l->has_name = 1;
        } else if (f.number == LINK_TSIZE && f.wire == IA_PB_VARINT) {
            l->tsize = f.v, l->has_tsize = 1;
        } else {
            return ia_error(IA_ERR_FORMAT, "dag-pb: link %zu: unknown field %d (wire type %d)", index, f.number, f.wire);
        }
    }
    if (!l->hash) return ia_error(IA_ERR_FORMAT, "dag-pb: link %zu has no Hash", index);
    if (ia_cid_from_bytes(l->hash, l->hash_len, &cid) != IA_OK)
        return ia_error_prefix(IA_ERR_FORMAT, "dag-pb: link %zu: Hash is not a CID", index);
    return IA_OK;
}

/* Walks the node, validating every link; with out->links == NULL only
 * counts them (so the array is allocated once, at its exact size, and
 * only for links that are valid: >= 8 bytes each, the shortest CID being
 * 4, so a hostile 4 MiB block asks for at most ~30 MB). */
static ia_status walk(const uint8_t *p, size_t n, ia_dagpb_node *out, size_t *n_links) {
    size_t pos = 0, count = 0;
    int have_data = 0, links_done = 0, in_links = 0;
    ia_pb_field f;
    while (pos < n) {
        if (ia_pb_next(p, n, &pos, &f) != 0 || f.wire != IA_PB_LEN)
            return ia_error(IA_ERR_FORMAT, "dag-pb: malformed or unknown field at byte %zu", pos);
        if (f.number == NODE_LINKS) {
            if (links_done) return ia_error(IA_ERR_FORMAT, "dag-pb: Links on both sides of Data");
            in_links = 1;
            {
                ia_dagpb_link tmp;
                ia_status st = decode_link(f.data, f.len, count, out->links ? &out->links[count] : &tmp);
                if (st != IA_OK) return st;
            }
            count++;
        } else if (f.number == NODE_DATA) {
            if (have_data) return ia_error(IA_ERR_FORMAT, "dag-pb: Data repeated");
            have_data = 1;
            if (in_links) links_done = 1;
            out->data = f.data, out->data_len = f.len, out->has_data = 1;
        } else {
            return ia_error(IA_ERR_FORMAT, "dag-pb: unknown field %d", f.number);
        }
    }
    *n_links = count;
    return IA_OK;
}

ia_status ia_dagpb_decode(const uint8_t *block, size_t n, ia_dagpb_node *out) {
    size_t count = 0, again = 0;
    ia_status st;
    memset(out, 0, sizeof *out);
    if (n > IA_DAGPB_MAX_BLOCK) return ia_error(IA_ERR_FORMAT, "dag-pb: block of %zu bytes (at most %u)", n, IA_DAGPB_MAX_BLOCK);
    if ((st = walk(block, n, out, &count)) != IA_OK) goto fail;
    if (count) {
        out->links = calloc(count, sizeof *out->links);
        if (!out->links) {
            st = ia_error(IA_ERR_NOMEM, "dag-pb: %zu links", count);
            goto fail;
        }
        if ((st = walk(block, n, out, &again)) != IA_OK) goto fail;
    }
    out->n_links = count;
    return IA_OK;
fail:
    ia_dagpb_node_free(out);
    return st;
}

void ia_dagpb_node_free(ia_dagpb_node *node) {
    if (!node) return;
    free(node->links);
    memset(node, 0, sizeof *node);
}
