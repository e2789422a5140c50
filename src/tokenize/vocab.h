/*
 * vocab.h — the WordPiece vocabulary: token text (UTF-8 bytes) -> id, as an
 * open-addressing hash table over one string pool.
 *
 * Lookups take the key in two parts (prefix + slice) so WordPiece can ask
 * for "##" + a piece of a word without building the string. Read-only after
 * loading, so concurrent lookups are safe.
 */
#ifndef IA_TOKENIZE_VOCAB_H
#define IA_TOKENIZE_VOCAB_H

#include <stddef.h>
#include <stdint.h>

#include "ipfs_accelerate.h"

typedef struct ia_vocab_slot {
    uint32_t off, len; /* key bytes are pool[off .. off+len) */
    int32_t id;        /* -1: empty slot */
} ia_vocab_slot;

typedef struct ia_vocab {
    char *pool;
    size_t pool_len, pool_cap;
    ia_vocab_slot *slots;
    size_t n, cap;  /* entries, slots (a power of two, or 0) */
    size_t max_len; /* longest key, in bytes */
} ia_vocab;

/* Sets key -> id (id >= 0); a key already present takes the new id, as
 * serde's HashMap does with a duplicate JSON key. Copies the key.
 * IA_OK, IA_ERR_NOMEM, or IA_ERR_FORMAT past 4 GiB of keys. */
ia_status ia_vocab_put(ia_vocab *v, const char *key, size_t len, int32_t id);

/* Looks up the key pre[0..plen) + s[0..len). Returns 1 and sets *id if
 * present, else 0. */
int ia_vocab_find(const ia_vocab *v, const char *pre, size_t plen,
                  const char *s, size_t len, int32_t *id);

/* NULL-safe; leaves *v empty. */
void ia_vocab_free(ia_vocab *v);

#endif
