/*
 * llm_tokenizer.c — encoding and decoding with an LLM tokenizer (byte-level
 * BPE or SentencePiece BPE): ia_tokenizer_tokenize, ia_tokenizer_piece, the
 * special ids, and the streaming detokenizer.
 *
 * Encoding follows llama_vocab::impl::tokenize (llama.cpp):
 *   text --special-token partition--> fragments
 *     raw fragment, BPE: code points --pre-tokenizer--> pieces --merges--> ids
 *     raw fragment, SPM: [" " +] text, spaces as U+2581 --merges--> ids
 *   [BOS] ids [EOS] when add_special and the metadata asks for them.
 * Every call owns its working memory; the tokenizer is only read, so
 * concurrent calls are safe.
 */
#include <stdlib.h>
#include <string.h>

#include "tokenize/bpe.h"
#include "tokenize/byte_unicode.h"
#include "tokenize/special_tokens.h"
#include "tokenize/spm.h"
#include "tokenize/tokenizer.h"
#include "tokenize/tokenizer_impl.h"
#include "tokenize/utf8.h"
#include "util/error.h"

#define SPACE_MARK "\xe2\x96\x81" /* U+2581, SentencePiece's space */

typedef struct llm_enc {
    ia_frags frags, ftmp;
    ia_cpbuf cps;
    ia_lens pieces, ptmp;
    ia_merge_work mw;
    char *buf; /* BPE: byte-encoded piece; SPM: escaped fragment */
    size_t buf_cap;
} llm_enc;

static void llm_enc_free(llm_enc *e) {
    ia_frags_free(&e->frags);
    ia_frags_free(&e->ftmp);
    ia_cpbuf_free(&e->cps);
    ia_lens_free(&e->pieces);
    ia_lens_free(&e->ptmp);
    ia_merge_work_free(&e->mw);
    free(e->buf);
}

static ia_status bpe_fragment(const ia_llm_tok *t, llm_enc *e, const char *s, size_t n,
                              ia_idbuf *out) {
    ia_status st;
    e->cps.n = 0;
    if ((st = ia_utf8_decode(s, n, &e->cps)) != IA_OK) return st;
    if (t->raw_bpe) /* gemma4 escapes white space as SentencePiece does */
        for (size_t i = 0; i < e->cps.n; i++)
            if (e->cps.v[i] == ' ') e->cps.v[i] = 0x2581;
    if ((st = ia_pretok_split(t->pre, e->cps.v, e->cps.n, &e->pieces, &e->ptmp)) != IA_OK)
        return st;
    size_t at = 0;
    for (size_t i = 0; i < e->pieces.n; i++) {
        size_t k = e->pieces.v[i];
        if ((st = ia_bpe_piece(t, e->cps.v + at, k, &e->mw, &e->buf, &e->buf_cap, out)) != IA_OK)
            return st;
        at += k;
    }
    return IA_OK;
}

/* SPM: [" " +] fragment with every space written as U+2581. */
static ia_status spm_fragment(const ia_llm_tok *t, llm_enc *e, const char *s, size_t n,
                              int space_prefix, ia_idbuf *out) {
    size_t spaces = space_prefix, len = 0;
    ia_status st;
    for (size_t i = 0; i < n; i++) spaces += s[i] == ' ';
    if (n > SIZE_MAX - 1 - 2 * spaces) return ia_error(IA_ERR_NOMEM, "tokenizer: text too long");
    if ((st = ia_mw_grow((void **)&e->buf, &e->buf_cap, n + 2 * spaces + 1, 1)) != IA_OK)
        return st;
    if (space_prefix) {
        memcpy(e->buf, SPACE_MARK, 3);
        len = 3;
    }
    for (size_t i = 0; i < n; i++) {
        if (s[i] == ' ') {
            memcpy(e->buf + len, SPACE_MARK, 3);
            len += 3;
        } else {
            e->buf[len++] = s[i];
        }
    }
    return ia_spm_encode(t, e->buf, len, &e->mw, out);
}

ia_status ia_llm_encode(const ia_llm_tok *t, const char *text, size_t len, int add_special,
                        int parse_special, ia_idbuf *out) {
    llm_enc e = {0};
    ia_status st;
    int prev_special = 1; /* SPM: a space prefix goes before the first fragment */
    if (add_special && t->add_bos && t->bos >= 0 && (st = ia_idbuf_push(out, t->bos)) != IA_OK)
        goto done;
    if ((st = ia_special_partition(t, text, len, parse_special, &e.frags, &e.ftmp)) != IA_OK)
        goto done;
    for (size_t i = 0; i < e.frags.n; i++) {
        const ia_frag *f = &e.frags.v[i];
        if (f->id >= 0) {
            if ((st = ia_idbuf_push(out, f->id)) != IA_OK) goto done;
            prev_special = 1;
            continue;
        }
        if (t->model == IA_LLM_SPM) {
            int prefix = t->add_space_prefix;
            if (t->prefix_scheme == IA_PREFIX_AFTER_SPECIAL) prefix = prefix && prev_special;
            else prefix = prefix && text[f->off] != ' ' &&
                          (t->prefix_scheme == IA_PREFIX_METASPACE_ALWAYS || f->off == 0);
            st = spm_fragment(t, &e, text + f->off, f->len, prefix, out);
        }
        else
            st = bpe_fragment(t, &e, text + f->off, f->len, out);
        if (st != IA_OK) goto done;
        prev_special = 0;
    }
    if (add_special && t->add_eos && t->eos >= 0) st = ia_idbuf_push(out, t->eos);
done:
    llm_enc_free(&e);
    return st;
}

/* ------------------------------------------------------------- public API */

static const ia_llm_tok *llm_of(const ia_tokenizer *tok) {
    return tok && tok->kind == IA_TOK_LLM ? &tok->llm : NULL;
}

ia_status ia_tokenizer_tokenize(const ia_tokenizer *tok, const char *text, size_t len,
                                int add_special, int parse_special, int32_t *ids, size_t cap,
                                size_t *n_out) {
    const ia_llm_tok *t = llm_of(tok);
    ia_idbuf out = {0};
    ia_status st;
    if (!tok || (!text && len) || !n_out || (!ids && cap))
        return ia_error(IA_ERR_INVALID_ARG, "ia_tokenizer_tokenize: NULL argument");
    *n_out = 0;
    if (!t)
        return ia_error(IA_ERR_UNSUPPORTED, "ia_tokenizer_tokenize: a WordPiece tokenizer "
                        "encodes with ia_tokenizer_encode");
    if ((st = ia_llm_encode(t, text, len, add_special, parse_special, &out)) == IA_OK) {
        if (out.n && cap) memcpy(ids, out.v, (out.n < cap ? out.n : cap) * sizeof *ids);
        *n_out = out.n;
    }
    ia_idbuf_free(&out);
    return st;
}

/* Writes src[0..n) into buf as far as cap allows; *len += n. */
static void put(char *buf, size_t cap, size_t *len, const char *src, size_t n) {
    if (*len < cap) memcpy(buf + *len, src, n < cap - *len ? n : cap - *len);
    *len += n;
}

/* "<0xNN>" -> NN, or -1. */
static int hex_byte(const char *s, size_t n) {
    int v = 0;
    if (n != 6 || memcmp(s, "<0x", 3) != 0 || s[5] != '>') return -1;
    for (int i = 3; i < 5; i++) {
        char c = s[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10
              : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0) return -1;
        v = v * 16 + d;
    }
    return v;
}

/* As llama.cpp's token_to_piece: control and unknown tokens only with
 * `special`; user-defined ones as their text; normal ones decoded
 * (byte-level: each character back to its byte; SPM: U+2581 to space);
 * byte tokens as their byte; unused and undefined ones as nothing. */
ia_status ia_tokenizer_piece(const ia_tokenizer *tok, int32_t id, int special, char *buf,
                             size_t cap, size_t *len) {
    const ia_llm_tok *t = llm_of(tok);
    if (!tok || !len || (!buf && cap))
        return ia_error(IA_ERR_INVALID_ARG, "ia_tokenizer_piece: NULL argument");
    *len = 0;
    if (!t) return ia_error(IA_ERR_UNSUPPORTED, "ia_tokenizer_piece: not an LLM tokenizer");
    if (id < 0 || (size_t)id >= t->n)
        return ia_error(IA_ERR_INVALID_ARG, "ia_tokenizer_piece: id %d out of range (0..%zu)",
                        (int)id, t->n - 1);
    size_t n;
    const char *s = ia_llm_text(t, id, &n);
    switch (t->type[id]) {
    case IA_TT_CONTROL:
    case IA_TT_UNKNOWN:
        if (special) put(buf, cap, len, s, n);
        return IA_OK;
    case IA_TT_USER_DEFINED:
        put(buf, cap, len, s, n);
        return IA_OK;
    case IA_TT_BYTE: {
        int b = hex_byte(s, n);
        if (b >= 0) {
            char c = (char)b;
            put(buf, cap, len, &c, 1);
            return IA_OK;
        }
        break; /* a byte token not written <0xNN>: decode it as normal */
    }
    case IA_TT_NORMAL: break;
    default: return IA_OK;
    }
    if (t->model == IA_LLM_SPM || t->raw_bpe) {
        for (size_t i = 0; i < n;) {
            if (n - i >= 3 && memcmp(s + i, SPACE_MARK, 3) == 0) {
                put(buf, cap, len, " ", 1);
                i += 3;
            } else {
                put(buf, cap, len, s + i, 1);
                i++;
            }
        }
        return IA_OK;
    }
    /* byte-level: each code point of the text is one byte */
    ia_cpbuf cps = {0};
    ia_status st = ia_utf8_decode(s, n, &cps);
    if (st != IA_OK) return st;
    for (size_t i = 0; i < cps.n; i++) {
        int b = ia_cp_to_byte(cps.v[i]);
        if (b >= 0) {
            char c = (char)b;
            put(buf, cap, len, &c, 1);
        } else { /* not in the map (a vocabulary quirk): keep the character */
            char u[4];
            put(buf, cap, len, u, ia_utf8_put(cps.v[i], u));
        }
    }
    ia_cpbuf_free(&cps);
    return IA_OK;
}

int32_t ia_tokenizer_bos_id(const ia_tokenizer *tok) {
    const ia_llm_tok *t = llm_of(tok);
    return t ? t->bos : -1;
}

int32_t ia_tokenizer_eos_id(const ia_tokenizer *tok) {
    const ia_llm_tok *t = llm_of(tok);
    return t ? t->eos : -1;
}

int ia_tokenizer_is_eog(const ia_tokenizer *tok, int32_t id) {
    const ia_llm_tok *t = llm_of(tok);
    return t ? ia_llm_is_eog(t, id) : 0;
}

const char *ia_tokenizer_token_text(const ia_tokenizer *tok, int32_t id) {
    const ia_llm_tok *t = llm_of(tok);
    size_t n;
    if (!t || id < 0 || (size_t)id >= t->n) return NULL;
    return ia_llm_text(t, id, &n);
}

/* ------------------------------------------------------ streaming decode */

void ia_detok_init(ia_detok *d, const ia_tokenizer *tok, int special) {
    memset(d, 0, sizeof *d);
    d->tok = tok;
    d->special = special;
}

/* Bytes of the UTF-8 sequence led by b (0 for a continuation byte or an
 * invalid lead). */
static size_t seq_len(unsigned char b) {
    if (b < 0x80) return 1;
    if (b >= 0xC2 && b <= 0xDF) return 2;
    if (b >= 0xE0 && b <= 0xEF) return 3;
    if (b >= 0xF0 && b <= 0xF4) return 4;
    return 0;
}

/* Second-byte bounds of a lead (Unicode table 3-7). */
static int second_ok(unsigned char lead, unsigned char b) {
    unsigned char lo = 0x80, hi = 0xBF;
    if (lead == 0xE0) lo = 0xA0;
    else if (lead == 0xED) hi = 0x9F;
    else if (lead == 0xF0) lo = 0x90;
    else if (lead == 0xF4) hi = 0x8F;
    return b >= lo && b <= hi;
}

/* Writes the well-formed prefix of s[0..n) to out (invalid bytes as U+FFFD,
 * one per maximal ill-formed subpart) and returns how many bytes at the end
 * are an incomplete but so far valid sequence, left for later. */
static size_t emit_valid(const unsigned char *s, size_t n, char *out, size_t cap, size_t *len) {
    size_t i = 0;
    while (i < n) {
        size_t k = seq_len(s[i]), j = 1;
        if (k == 0) {
            put(out, cap, len, "\xef\xbf\xbd", 3);
            i++;
            continue;
        }
        while (j < k && i + j < n &&
               (j == 1 ? second_ok(s[i], s[i + 1]) : (s[i + j] & 0xC0) == 0x80))
            j++;
        if (j == k) {
            put(out, cap, len, (const char *)s + i, k);
        } else if (i + j == n) {
            return n - i; /* incomplete at the end: hold it */
        } else {
            put(out, cap, len, "\xef\xbf\xbd", 3);
        }
        i += j;
    }
    return 0;
}

ia_status ia_detok_push(ia_detok *d, int32_t id, char *out, size_t cap, size_t *len) {
    char small[256];
    char *piece = small;
    size_t n = 0;
    ia_status st;
    if (!d || !len || (!out && cap)) return ia_error(IA_ERR_INVALID_ARG, "ia_detok_push: NULL argument");
    *len = 0;
    if ((st = ia_tokenizer_piece(d->tok, id, d->special, small, sizeof small, &n)) != IA_OK)
        return st;
    if (n > sizeof small) {
        if (!(piece = malloc(n))) return ia_error(IA_ERR_NOMEM, "ia_detok_push: out of memory");
        if ((st = ia_tokenizer_piece(d->tok, id, d->special, piece, n, &n)) != IA_OK) goto done;
    }
    const ia_llm_tok *t = llm_of(d->tok);
    size_t skip = 0;
    /* SPM adds a space before the text: the first token after BOS gives it back */
    if (t && t->model == IA_LLM_SPM && t->add_space_prefix && id != t->bos) {
        if (d->n_pushed == 0 && n > 0 && piece[0] == ' ' && t->type[id] == IA_TT_NORMAL) skip = 1;
        d->n_pushed++;
    } else if (id != ia_tokenizer_bos_id(d->tok)) {
        d->n_pushed++;
    }
    unsigned char *all = malloc(d->n_hold + n + 1); /* +1: never malloc(0) */
    if (!all) {
        st = ia_error(IA_ERR_NOMEM, "ia_detok_push: out of memory");
        goto done;
    }
    memcpy(all, d->hold, d->n_hold);
    memcpy(all + d->n_hold, piece + skip, n - skip);
    size_t total = d->n_hold + n - skip;
    size_t held = emit_valid(all, total, out, cap, len);
    memcpy(d->hold, all + total - held, held);
    d->n_hold = held;
    free(all);
    st = IA_OK;
done:
    if (piece != small) free(piece);
    return st;
}

size_t ia_detok_flush(ia_detok *d, char *out, size_t cap) {
    size_t len = 0;
    if (!d) return 0;
    if (d->n_hold && cap >= 3) memcpy(out, "\xef\xbf\xbd", 3);
    if (d->n_hold) len = 3;
    d->n_hold = 0;
    return len;
}
