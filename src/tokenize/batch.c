/*
 * batch.c — padded batch encoding with an attention mask, the tensors
 * Hugging Face tokenizers hands to a PyTorch/ONNX model.
 */
#include <string.h>

#include "tokenize/tokenizer.h"
#include "util/error.h"

ia_status ia_tokenizer_encode_batch(ia_tokenizer *tok, const char *const *texts, size_t n,
                                    size_t max_tokens, int32_t *ids, int32_t *mask,
                                    size_t *seq_len) {
    size_t longest = 0;
    int32_t pad = ia_tokenizer_pad_id(tok);
    if (!tok || (n && (!texts || !ids || !mask)) || !seq_len || max_tokens == 0)
        return ia_error(IA_ERR_INVALID_ARG, "ia_tokenizer_encode_batch: NULL argument or max_tokens 0");
    *seq_len = 0;
    /* First pass: encode each text into row i with stride max_tokens. */
    for (size_t i = 0; i < n; i++) {
        size_t got = 0;
        ia_status st;
        if (!texts[i]) return ia_error(IA_ERR_INVALID_ARG, "text %zu is NULL", i);
        st = ia_tokenizer_encode(tok, texts[i], max_tokens, ids + i * max_tokens, max_tokens, &got);
        if (st != IA_OK) return ia_error_prefix(st, "text %zu", i);
        mask[i] = (int32_t)got; /* lengths, until the second pass */
        longest = got > longest ? got : longest;
    }
    /* Second pass: compact rows to stride `longest` (rows only move to lower
     * addresses, in order, so memmove never overwrites an unread row), then
     * pad and fill the mask from the back so lengths are read first. */
    for (size_t i = 0; i < n; i++) memmove(ids + i * longest, ids + i * max_tokens, (size_t)mask[i] * sizeof *ids);
    for (size_t i = n; i-- > 0;) {
        size_t len = (size_t)mask[i];
        for (size_t t = len; t < longest; t++) ids[i * longest + t] = pad;
        for (size_t t = 0; t < longest; t++) mask[i * longest + t] = t < len;
    }
    *seq_len = longest;
    return IA_OK;
}
