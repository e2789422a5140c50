/*
 * model_cid.h — models by CID: what ia_model_resolve (src/models/) calls
 * when a model reference is a CID.
 *
 * The DAG is read from the default block store (ia_blockstore_default_dir),
 * every block verified, and materialised once under the model cache:
 *   <model_cache>/by-cid/<cidv1>/        a directory
 *   <model_cache>/by-cid/<cidv1>.gguf    a single file that starts "GGUF"
 * (the CIDv1 names both spellings of a dag-pb root: Qm... and bafy... are
 * one model). A later resolve finds that path and uses it as it is, like
 * any model directory; materialisation is atomic (temporary name, then
 * rename), so a path that exists is complete.
 */
#ifndef IA_STORE_MODEL_CID_H
#define IA_STORE_MODEL_CID_H

#include <stddef.h>

#include "ipfs_accelerate.h"

/* The CID text inside ref — "Qm...", "bafy...", "/ipfs/<cid>" or
 * "ipfs://<cid>" — or NULL when ref is not a CID. Borrowed from ref. */
const char *ia_store_cid_ref(const char *ref);

/* The materialised model for the CID ref (see above) into buf. Blocks
 * missing from the store are IA_ERR_NOT_FOUND naming the first one and
 * how to get it; a root that is neither a directory nor a GGUF file is
 * IA_ERR_UNSUPPORTED. */
ia_status ia_store_model_path(const char *ref, const char *model_cache, char *buf, size_t cap);

#endif
