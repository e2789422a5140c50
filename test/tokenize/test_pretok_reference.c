/*
 * test_pretok_reference.c — the hand-written pre-tokenizers against
 * llama.cpp's regexes themselves: test/fixtures/pretok_reference.json
 * (scripts/make_pretok_reference.py) holds, for every tokenizer.ggml.pre
 * name in llama.cpp's llama-vocab.cpp, its pre type, and for each pre type
 * the piece lengths its regex list gives on 59 texts (Python's `regex`
 * module). Every name ia_pre_type_from_name accepts must split every text
 * the same way, and every name of our table must be one llama.cpp knows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "harness.h"
#include "tokenize/pretok_llm.h"
#include "tokenize/utf8.h"

IA_TEST(pretok_reference_llama_regexes) {
    size_t len = 0;
    char *json = ia_test_read_file(ia_test_source_path("test/fixtures/pretok_reference.json"), &len);
    REQUIRE(json);
    cJSON *root = cJSON_ParseWithLength(json, len);
    free(json);
    REQUIRE(root);
    const cJSON *texts = cJSON_GetObjectItemCaseSensitive(root, "texts");
    const cJSON *names = cJSON_GetObjectItemCaseSensitive(root, "names");
    const cJSON *types = cJSON_GetObjectItemCaseSensitive(root, "types");
    const cJSON *nm;
    ia_cpbuf cps = {0};
    ia_lens out = {0}, scratch = {0};
    int supported = 0, bad_names = 0;
    cJSON_ArrayForEach(nm, names) {
        ia_pre_type type;
        int ignore_merges, add_bos, bad = 0, t_index = 0;
        if (!ia_pre_type_from_name(nm->string, &type, &ignore_merges, &add_bos)) continue;
        supported++;
        const cJSON *ty = cJSON_GetObjectItemCaseSensitive(types, nm->valuestring);
        const cJSON *pieces = ty ? cJSON_GetObjectItemCaseSensitive(ty, "pieces") : NULL;
        if (!cJSON_IsArray(pieces)) {
            CHECK_MSG(0, "%s: we accept it but the reference has no pieces for %s", nm->string,
                      nm->valuestring);
            continue;
        }
        const cJSON *text, *want = pieces->child;
        cJSON_ArrayForEach(text, texts) {
            cps.n = 0;
            REQUIRE(ia_utf8_decode(text->valuestring, strlen(text->valuestring), &cps) == IA_OK);
            REQUIRE(ia_pretok_split(type, cps.v, cps.n, &out, &scratch) == IA_OK);
            int same = want && (size_t)cJSON_GetArraySize(want) == out.n;
            const cJSON *w = want ? want->child : NULL;
            for (size_t i = 0; same && i < out.n; i++, w = w->next) same = (size_t)w->valueint == out.v[i];
            if (!same && bad++ < 2) {
                fprintf(stderr, "  %s: text %d \"%.30s\": %zu pieces:", nm->string, t_index,
                        text->valuestring, out.n);
                for (size_t i = 0; i < out.n && i < 16; i++) fprintf(stderr, " %zu", out.v[i]);
                fprintf(stderr, "\n      want %d:", want ? cJSON_GetArraySize(want) : -1);
                for (w = want ? want->child : NULL; w; w = w->next) fprintf(stderr, " %d", w->valueint);
                fputc('\n', stderr);
            }
            want = want ? want->next : NULL;
            t_index++;
        }
        if (bad) bad_names++;
        CHECK_MSG(bad == 0, "%s (%s): %d of %d texts split differently", nm->string,
                  nm->valuestring, bad, t_index);
    }
    /* every name of our table is one of llama.cpp's (so was checked above) */
    for (size_t i = 0; i < ia_pre_type_count(); i++)
        CHECK_MSG(cJSON_GetObjectItemCaseSensitive(names, ia_pre_type_name_at(i)) != NULL,
                  "%s is not a llama.cpp pre name", ia_pre_type_name_at(i));
    CHECK(supported == (int)ia_pre_type_count());
    printf("  %d llama.cpp pre names accepted, %d split differently\n", supported, bad_names);
    ia_cpbuf_free(&cps);
    ia_lens_free(&out);
    ia_lens_free(&scratch);
    cJSON_Delete(root);
}
