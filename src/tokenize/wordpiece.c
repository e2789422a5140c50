/*
 * wordpiece.c — WordPiece (see wordpiece.h).
 *
 * From each position take the longest vocabulary piece (with the
 * continuing-subword prefix after the first), shrinking one char at a time;
 * if no piece fits, the whole word is unk. Candidates longer than the
 * longest vocabulary key are skipped without a lookup: they cannot match,
 * so the result is the same as `tokenizers`' and a long word costs
 * O(len * longest key) instead of O(len^2).
 */
#include "tokenize/wordpiece.h"

#include <stdlib.h>

static int is_cont(char c) { return ((unsigned char)c & 0xC0) == 0x80; }

ia_status ia_wordpiece_encode(const ia_wordpiece *wp, const char *w, size_t len,
                              size_t nchars, ia_idbuf *out) {
    size_t mark = out->n;
    size_t start = 0;
    ia_status st;
    if (nchars > wp->max_chars) return ia_idbuf_push(out, wp->unk_id);
    while (start < len) {
        const char *pre = start > 0 ? wp->prefix : "";
        size_t plen = start > 0 ? wp->prefix_len : 0;
        size_t end = len;
        if (wp->vocab.max_len < end - start) {
            end = start + wp->vocab.max_len;
            while (end > start && is_cont(w[end])) end--;
        }
        int32_t id = -1;
        while (end > start) {
            if (ia_vocab_find(&wp->vocab, pre, plen, w + start, end - start, &id))
                break;
            end--;
            while (end > start && is_cont(w[end])) end--;
        }
        if (end == start) {
            out->n = mark; /* drop the pieces found so far */
            return ia_idbuf_push(out, wp->unk_id);
        }
        if ((st = ia_idbuf_push(out, id)) != IA_OK) return st;
        start = end;
    }
    return IA_OK;
}

void ia_wordpiece_free(ia_wordpiece *wp) {
    if (!wp) return;
    ia_vocab_free(&wp->vocab);
    free(wp->prefix);
    wp->prefix = NULL;
    wp->prefix_len = 0;
}
