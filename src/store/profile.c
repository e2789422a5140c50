/*
 * profile.c — IPIP-0499's import profiles and kubo's rules for combining
 * them with --cid-version (see params.h).
 *
 * The numbers are kubo v0.43's (config/profile.go applyUnixFSv02015 and
 * applyUnixFSv12025; config/import.go for the defaults). One rule needs
 * care: kubo turns raw leaves on for CIDv1 only when nothing set raw
 * leaves — its defaults leave it unset, a profile sets it. So the default
 * (no profile) with cid_version 1 gives raw leaves, while an explicit
 * "unixfs-v0-2015" with cid_version 1 keeps dag-pb leaves, as kubo does
 * after `ipfs config profile apply unixfs-v0-2015`.
 */
#include <string.h>

#include "store/params.h"
#include "util/error.h"
#include "util/struct_size.h"

void ia_unixfs_options_init(ia_unixfs_options *o, size_t struct_size) {
    ia_unixfs_options d;
    memset(&d, 0, sizeof d);
    d.struct_size = sizeof d;
    d.cid_version = -1;
    d.raw_leaves = -1;
    ia_struct_export(o, struct_size, &d, sizeof d);
}

ia_status ia_unixfs_params_resolve(const ia_unixfs_options *opt, ia_unixfs_params *p, ia_unixfs_options *full) {
    ia_unixfs_options o;
    int raw_set;
    ia_unixfs_options_init(&o, sizeof o);
    if (opt) {
        ia_status st = ia_struct_import(&o, sizeof o, opt, "IA_UNIXFS_OPTIONS_INIT");
        if (st != IA_OK) return st;
    }
    if (full) *full = o;
    memset(p, 0, sizeof *p);
    p->hamt_threshold = 256 * 1024;
    if (!o.profile || strcmp(o.profile, "unixfs-v0-2015") == 0 || strcmp(o.profile, "legacy-cid-v0") == 0) {
        p->cid_version = 0;
        p->raw_leaves = 0;
        p->chunk_size = 256 * 1024;
        p->max_links = 174;
        p->hamt_block_estimate = 0;
        raw_set = o.profile != NULL; /* kubo's defaults leave raw leaves unset */
    } else if (strcmp(o.profile, "unixfs-v1-2025") == 0) {
        p->cid_version = 1;
        p->raw_leaves = 1;
        p->chunk_size = 1024 * 1024;
        p->max_links = 1024;
        p->hamt_block_estimate = 1;
        raw_set = 1;
    } else {
        char shown[64];
        return ia_error(IA_ERR_INVALID_ARG, "unknown UnixFS profile '%s' (unixfs-v0-2015, unixfs-v1-2025)",
                        ia_shown_name(o.profile, shown, sizeof shown));
    }
    if (o.cid_version != -1) {
        if (o.cid_version != 0 && o.cid_version != 1)
            return ia_error(IA_ERR_INVALID_ARG, "cid_version %d (0 or 1)", o.cid_version);
        p->cid_version = o.cid_version;
    }
    if (o.raw_leaves != -1) {
        if (o.raw_leaves != 0 && o.raw_leaves != 1) return ia_error(IA_ERR_INVALID_ARG, "raw_leaves %d (-1, 0 or 1)", o.raw_leaves);
        p->raw_leaves = o.raw_leaves;
    } else if (p->cid_version == 1 && !raw_set) {
        p->raw_leaves = 1;
    }
    if (o.chunk_size) {
        if (o.chunk_size > IA_UNIXFS_MAX_CHUNK)
            return ia_error(IA_ERR_INVALID_ARG, "chunk_size %zu is over kubo's limit of %u", o.chunk_size, IA_UNIXFS_MAX_CHUNK);
        p->chunk_size = o.chunk_size;
    }
    if (o.max_links) {
        /* one link a node would never finish a level; 16384 links of ~44
         * bytes keep a node well inside the 2 MiB block limit */
        if (o.max_links < 2 || o.max_links > 16384)
            return ia_error(IA_ERR_INVALID_ARG, "max_links %d (2..16384)", o.max_links);
        p->max_links = o.max_links;
    }
    if (o.hamt_threshold) p->hamt_threshold = o.hamt_threshold;
    p->hidden = o.hidden != 0;
    return IA_OK;
}
