/*
 * blockstore.h — the local block store inside the library: blocks as
 * files named by their multihash, every block hashed before it is kept
 * (and, by default, when it is read), writes atomic. The public calls
 * (ia_blockstore_*) take CID text; these take parsed CIDs, for the DAG
 * reader, CAR import/export and the model resolver.
 *
 * Layout under the store's directory (docs/store.md):
 *   <XX>/<KEY>.data   a block; KEY = base32 (RFC 4648, upper case, no
 *                     padding) of the multihash, XX = KEY's next-to-last
 *                     two characters (kubo flatfs's "next-to-last/2": the
 *                     first characters of a sha2-256 key are all "CIQ")
 *   .tmp/             temporary files of puts in progress
 *   .staging/<id>/    a CAR import's verified blocks until it commits
 *   SHARDING          the layout's name, written once
 */
#ifndef IA_STORE_BLOCKSTORE_H
#define IA_STORE_BLOCKSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "formats/cid.h"
#include "ipfs_accelerate.h"
#include "store/fsutil.h"

struct ia_blockstore {
    char *dir;
    int verify_on_get;
    int fsync;
};

/* Hashes block[0..n) and compares it with c's multihash: IA_ERR_FORMAT
 * naming the CID when they differ, IA_ERR_UNSUPPORTED for a hash function
 * other than sha2-256 and identity (what cannot be checked is not
 * trusted). */
ia_status ia_bs_verify(const ia_cid *c, const uint8_t *block, size_t n);

/* The block file's path for c. */
ia_status ia_bs_path(const ia_blockstore *bs, const ia_cid *c, char *out, size_t cap);

ia_status ia_bs_has(ia_blockstore *bs, const ia_cid *c, int *has);

/* The block of c (malloc'd; caller frees with free()). verify: hash it
 * whatever the store's option says. A block that is not there is
 * IA_ERR_NOT_FOUND naming the CID and saying how to get it. */
ia_status ia_bs_get(ia_blockstore *bs, const ia_cid *c, int verify, uint8_t **data, size_t *n);

/* Verifies and stores (a block already there is left as it is). */
ia_status ia_bs_put(ia_blockstore *bs, const ia_cid *c, const uint8_t *block, size_t n);

/* A CAR import's staging area: verified blocks go to .staging/<id>/, and
 * only commit moves them into the store. */
typedef struct ia_bs_stage {
    ia_blockstore *bs;
    char dir[IA_FS_PATH_MAX];
    uint64_t staged;
} ia_bs_stage;

ia_status ia_bs_stage_begin(ia_blockstore *bs, ia_bs_stage *s);

/* Verifies the block and stages it unless the store or the stage already
 * holds it; *is_new says whether it was staged. */
ia_status ia_bs_stage_put(ia_bs_stage *s, const ia_cid *c, const uint8_t *block, size_t n, int *is_new);

/* Renames every staged block into the store, then removes the stage. */
ia_status ia_bs_stage_commit(ia_bs_stage *s);

/* Removes the stage and everything in it (NULL-safe, idempotent). */
void ia_bs_stage_abort(ia_bs_stage *s);

/* The message for a block that is missing: "<cid>: block not in the
 * store <dir> (get it with ...)". Sets the error and returns
 * IA_ERR_NOT_FOUND. */
ia_status ia_bs_missing(const ia_blockstore *bs, const ia_cid *c);

#endif
