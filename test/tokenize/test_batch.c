/*
 * test_batch.c — padded batch encoding equals the reference ids (fixture
 * from scripts/make_reference.py) padded to the longest with [PAD] = 0,
 * with a mask of 1s over the real tokens.
 */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "ipfs_accelerate.h"
#include "util/mapped_file.h"

IA_TEST(tokenizer_batch_pads_like_hf) {
    char *text = NULL, path[4200];
    size_t len, seq = 0, longest = 0;
    cJSON *root, *texts, *ref;
    ia_tokenizer *tok = NULL;
    const char **tx;
    int32_t *ids, *mask;
    int n, bad = 0;
    const char *dir = ia_test_model_dir();
    REQUIRE(dir);
    snprintf(path, sizeof path, "%s/tokenizer.json", dir);
    CHECK_STATUS(ia_tokenizer_open(path, &tok), IA_OK);
    REQUIRE(tok);
    REQUIRE(ia_read_text_file(ia_test_source_path("test/fixtures/minilm_reference.json"), 64u << 20, &text, &len) == IA_OK);
    root = cJSON_ParseWithLength(text, len);
    free(text);
    REQUIRE(root);
    texts = cJSON_GetObjectItem(root, "texts");
    ref = cJSON_GetObjectItem(root, "ids");
    n = cJSON_GetArraySize(texts);
    tx = calloc((size_t)n, sizeof *tx);
    ids = calloc((size_t)n * 256, sizeof *ids);
    mask = calloc((size_t)n * 256, sizeof *mask);
    for (int i = 0; i < n; i++) {
        size_t l = (size_t)cJSON_GetArraySize(cJSON_GetArrayItem(ref, i));
        tx[i] = cJSON_GetArrayItem(texts, i)->valuestring;
        longest = l > longest ? l : longest;
    }
    CHECK_STATUS(ia_tokenizer_encode_batch(tok, tx, (size_t)n, 256, ids, mask, &seq), IA_OK);
    CHECK(seq == longest);
    for (int i = 0; i < n && !bad; i++) {
        cJSON *row = cJSON_GetArrayItem(ref, i);
        int l = cJSON_GetArraySize(row);
        for (size_t t = 0; t < seq; t++) {
            int32_t want = (int)t < l ? cJSON_GetArrayItem(row, (int)t)->valueint : 0;
            if (ids[(size_t)i * seq + t] != want || mask[(size_t)i * seq + t] != ((int)t < l)) {
                CHECK_MSG(0, "text %d position %zu: id %d mask %d, want %d %d", i, t, ids[(size_t)i * seq + t],
                          mask[(size_t)i * seq + t], want, (int)t < l);
                bad = 1;
                break;
            }
        }
    }
    /* a short batch: stride is its own longest, not 256 */
    CHECK_STATUS(ia_tokenizer_encode_batch(tok, tx + 1, 2, 256, ids, mask, &seq), IA_OK);
    CHECK(seq <= 256 && seq >= 2);
    CHECK_STATUS(ia_tokenizer_encode_batch(tok, tx, 1, 0, ids, mask, &seq), IA_ERR_INVALID_ARG);
    free(tx);
    free(ids);
    free(mask);
    cJSON_Delete(root);
    ia_tokenizer_free(tok);
}
