/*
 * tokenizer.c — encoding text to ids: the pipeline of Hugging Face
 * `tokenizers` for one sequence, and ia_tokenizer_encode.
 *
 *   bytes --UTF-8 (lossy)--> code points
 *     --split on added tokens (raw)--> pieces
 *     --BertNormalizer--> --split on added tokens (normalized)-->
 *     --BertPreTokenizer--> words --WordPiece--> ids
 *     --truncate, add [CLS]/[SEP] (post-processor)--> output
 *
 * Right truncation stops tokenizing once the content is full: words are
 * independent, so the ids kept are the ones `tokenizers` keeps after doing
 * all the work. Every call owns its working buffers; the tokenizer is only
 * read, so concurrent calls are safe.
 */
#include <stdlib.h>
#include <string.h>

#include "tokenize/bert_pretokenizer.h"
#include "tokenize/tokenizer.h"
#include "tokenize/tokenizer_impl.h"
#include "tokenize/unicode.h"
#include "tokenize/utf8.h"
#include "util/error.h"

typedef struct enc {
    const ia_tokenizer *tok;
    ia_cpbuf raw, norm, scratch;
    ia_idbuf ids;  /* content ids, without the post-processor's */
    char *word;    /* UTF-8 of the current word */
    size_t word_cap;
    size_t limit;  /* stop once ids.n reaches this (right truncation) */
} enc;

static int full(const enc *e) { return e->ids.n >= e->limit; }

/* Pre-tokenizes the normalized text s[0..n) and runs WordPiece per word. */
static ia_status encode_words(enc *e, const uint32_t *s, size_t n) {
    size_t pos = 0, a, b;
    ia_status st;
    while (!full(e)) {
        if (e->tok->bert_pretok) {
            if (!ia_bert_pretok_next(s, n, &pos, &a, &b)) break;
        } else { /* no pre-tokenizer: the piece is one word */
            if (pos >= n) break;
            a = 0;
            b = pos = n;
        }
        size_t nchars = b - a;
        if (nchars > SIZE_MAX / 4) return ia_error(IA_ERR_NOMEM, "tokenizer: word too long");
        if (nchars * 4 > e->word_cap) {
            char *p = realloc(e->word, nchars * 4);
            if (!p) return ia_error(IA_ERR_NOMEM, "tokenizer: out of memory");
            e->word = p;
            e->word_cap = nchars * 4;
        }
        size_t len = 0;
        for (size_t i = a; i < b; i++) len += ia_utf8_put(s[i], e->word + len);
        if ((st = ia_wordpiece_encode(&e->tok->wp, e->word, len, nchars, &e->ids)) != IA_OK)
            return st;
    }
    return IA_OK;
}

typedef ia_status (*piece_fn)(enc *e, const uint32_t *s, size_t n);

/* Splits s[0..n) on the added tokens of `set` as AddedVocabulary's
 * find_matches: matched tokens become their id, the text between goes to
 * `piece`. lstrip/rstrip widen a match over White_Space, never back into
 * the previous match. After an rstrip the search resumes past the swallowed
 * spaces (`tokenizers` resumes right after the token and could then produce
 * overlapping pieces, for a pattern that starts with White_Space; we do not
 * copy that). */
static ia_status split_added(enc *e, const ia_added_set *set, const uint32_t *s,
                             size_t n, piece_fn piece) {
    size_t done = 0, ms, me;
    const ia_added_token *t;
    ia_status st;
    while (!full(e) && ia_added_find(set, s, n, done, &ms, &me, &t)) {
        size_t start = ms, stop = me;
        if (t->lstrip)
            while (start > done && (ia_uc_flags(s[start - 1]) & IA_UC_WS)) start--;
        if (t->rstrip)
            while (stop < n && (ia_uc_flags(s[stop]) & IA_UC_WS)) stop++;
        if (start > done && (st = piece(e, s + done, start - done)) != IA_OK) return st;
        if (full(e)) return IA_OK;
        if ((st = ia_idbuf_push(&e->ids, t->id)) != IA_OK) return st;
        done = stop;
    }
    if (done < n && !full(e)) return piece(e, s + done, n - done);
    return IA_OK;
}

/* A normalized piece: split on the normalized added tokens, then words. */
static ia_status normalized_piece(enc *e, const uint32_t *s, size_t n) {
    return split_added(e, &e->tok->norm_tokens, s, n, encode_words);
}

/* Code points per normalizer call when a piece may be cut (see raw_piece);
 * small enough to stay in cache, large enough that the calls are rare. */
#define CHUNK 512

/* 1 if no word can continue past cp, whatever follows it: ASCII space, tab,
 * CR, LF and ASCII punctuation come out of every normalizer step unchanged
 * (White_Space or punctuation, a starter), and so does a CJK ideograph,
 * spaced out when handle_chinese_chars is on. */
static int safe_end(const ia_tokenizer *tok, uint32_t cp) {
    if (cp < 128)
        return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' ||
               (ia_uc_flags(cp) & IA_UC_PUNCT);
    return tok->norm.handle_chinese_chars && ia_bert_is_chinese(cp);
}

/* A raw piece between raw added tokens: normalize it, then go on.
 * The normalizer is char-local except for reordering combining marks, which
 * never crosses a starter, and no word crosses a safe_end() char: so the
 * piece can be normalized in chunks ending just after such a char, and
 * right truncation then stops a long document after its first words instead
 * of normalizing all of it. Not done with no pre-tokenizer (the piece is
 * one word) or with normalized added tokens (a pattern could span a chunk
 * end). */
static ia_status raw_piece(enc *e, const uint32_t *s, size_t n) {
    const ia_tokenizer *tok = e->tok;
    ia_status st;
    if (!tok->has_normalizer) return normalized_piece(e, s, n);
    int chunked = tok->bert_pretok && tok->norm_tokens.n == 0;
    size_t a = 0;
    while (a < n && !full(e)) {
        size_t b = n;
        if (chunked && n - a > CHUNK) {
            b = a + CHUNK;
            while (b < n && !safe_end(tok, s[b - 1])) b++;
        }
        e->norm.n = 0;
        if ((st = ia_bert_normalize(&tok->norm, s + a, b - a, &e->scratch, &e->norm)) != IA_OK ||
            (st = normalized_piece(e, e->norm.v, e->norm.n)) != IA_OK)
            return st;
        a = b;
    }
    return IA_OK;
}

/* ia_tokenizer_encode for an LLM tokenizer: special tokens added as the
 * tokenizer.json post-processor (or GGUF metadata) says, special texts
 * matched (as `tokenizers` always matches added tokens), then cut to
 * max_tokens (or the tokenizer's truncation) keeping the start, with the
 * EOS kept last when one was added. */
static ia_status llm_encode(const ia_tokenizer *tok, const char *text, size_t len,
                            size_t max_tokens, int32_t *ids, size_t cap, size_t *n_out) {
    ia_idbuf out = {0};
    ia_status st = ia_llm_encode(&tok->llm, text, len, 1, 1, &out);
    size_t max = max_tokens ? max_tokens : tok->trunc_max;
    if (st == IA_OK) {
        size_t n = out.n;
        if (max && n > max) {
            int eos_last = tok->llm.add_eos && tok->llm.eos >= 0;
            if (eos_last) out.v[max - 1] = tok->llm.eos;
            n = max;
        }
        if (n && cap) memcpy(ids, out.v, (n < cap ? n : cap) * sizeof *ids);
        *n_out = n;
    }
    ia_idbuf_free(&out);
    return st;
}

ia_status ia_tokenizer_encode_bytes(const ia_tokenizer *tok, const char *text,
                                    size_t len, size_t max_tokens, int32_t *ids,
                                    size_t cap, size_t *n_out) {
    ia_status st;
    enc e = {0};
    if (!tok || (!text && len) || !n_out || (!ids && cap))
        return ia_error(IA_ERR_INVALID_ARG, "tokenizer: NULL argument");
    *n_out = 0;
    if (tok->kind == IA_TOK_LLM) return llm_encode(tok, text, len, max_tokens, ids, cap, n_out);
    size_t n_special = tok->n_before + tok->n_after;
    size_t max = max_tokens ? max_tokens : tok->trunc_max;
    int left = max_tokens ? 0 : tok->trunc_left; /* an explicit limit cuts right */
    size_t keep = SIZE_MAX; /* content ids kept */
    if (max) {
        if (max < n_special)
            return ia_error(IA_ERR_INVALID_ARG, "tokenizer: max_tokens %zu leaves "
                            "no room for the %zu special tokens", max, n_special);
        keep = max - n_special;
    }
    e.tok = tok;
    e.limit = left ? SIZE_MAX : keep;
    if (tok->has_sequence) {
        if ((st = ia_utf8_decode(text, len, &e.raw)) != IA_OK) goto fail;
        if ((st = split_added(&e, &tok->raw_tokens, e.raw.v, e.raw.n, raw_piece)) != IA_OK)
            goto fail;
    }
    size_t first = 0, n_content = e.ids.n;
    if (n_content > keep) {
        if (left) first = n_content - keep;
        n_content = keep;
    }
    size_t total = n_special + n_content, k = 0;
    /* Writes one id if it fits; the count goes on regardless. */
#define EMIT(id) do { if (k < cap) ids[k] = (id); k++; } while (0)
    for (size_t i = 0; i < tok->n_before; i++) EMIT(tok->special_ids[i]);
    for (size_t i = 0; i < n_content; i++) EMIT(e.ids.v[first + i]);
    for (size_t i = 0; i < tok->n_after; i++) EMIT(tok->special_ids[tok->n_before + i]);
#undef EMIT
    *n_out = total;
    st = IA_OK;
fail:
    ia_cpbuf_free(&e.raw);
    ia_cpbuf_free(&e.norm);
    ia_cpbuf_free(&e.scratch);
    ia_idbuf_free(&e.ids);
    free(e.word);
    return st;
}

ia_status ia_tokenizer_encode(ia_tokenizer *tok, const char *text, size_t max_tokens,
                              int32_t *ids, size_t cap, size_t *n_out) {
    if (!text) return ia_error(IA_ERR_INVALID_ARG, "tokenizer: NULL text");
    return ia_tokenizer_encode_bytes(tok, text, strlen(text), max_tokens, ids, cap, n_out);
}

ia_status ia_tokenizer_count(const ia_tokenizer *tok, const char *text, size_t len, size_t *n_out) {
    /* SIZE_MAX: encoding stops early at a limit, counting must not */
    return ia_tokenizer_encode_bytes(tok, text, len, SIZE_MAX, NULL, 0, n_out);
}
