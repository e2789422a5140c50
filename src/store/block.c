/*
 * block.c — hashing, naming and handing on one block (see block.h).
 */
#include "store/block.h"

#include "util/error.h"

ia_status ia_block_put(const ia_block_sink *sink, int version, uint64_t codec, const uint8_t *block, size_t n,
                       ia_block_ref *ref) {
    ia_cid cid;
    ia_status st = ia_cid_of_block(version, codec, block, n, &cid);
    if (st != IA_OK) return st;
    ref->cid_len = ia_cid_to_bytes(&cid, ref->cid, sizeof ref->cid);
    ref->tsize = n;
    if (sink && sink->fn) return sink->fn(sink->ctx, ref->cid, ref->cid_len, block, n);
    return IA_OK;
}

ia_status ia_block_ref_string(const ia_block_ref *ref, char *out, size_t cap) {
    ia_cid cid;
    ia_status st = ia_cid_from_bytes(ref->cid, ref->cid_len, &cid);
    if (st != IA_OK) return st;
    if (!ia_cid_to_string(&cid, out, cap)) return ia_error(IA_ERR_INVALID_ARG, "CID text does not fit in %zu bytes", cap);
    return IA_OK;
}
