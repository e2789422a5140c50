/*
 * fuzz_chat_template.c — libFuzzer target for the chat-template
 * interpreter: arbitrary bytes as template source (unclosed tags, stray
 * brackets, deep nesting, huge literals, runaway loops), parsed and, when
 * that succeeds, rendered over a fixed conversation with and without the
 * generation prompt. A failure must come back as a status with no output, a
 * success as a NUL-terminated string; nothing may crash, leak or hang past
 * the interpreter's limits.
 *
 * Built and run by scripts/fuzz_chat_template.sh (seeds: the templates and
 * snippets of test/fixtures/chat_template_reference.json).
 */
#include <stdlib.h>
#include <string.h>

#include "ipfs_accelerate.h"
#include "tokenize/chat_template.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    static const ia_chat_message msgs[] = {
        {"system", "Be brief."}, {"user", "Hi {{ x }} \"q\" caf\xc3\xa9"}, {"assistant", "<think>\nok\n</think>\n\nHello"},
        {"user", NULL}, {NULL, "orphan"}, {"tool", "{\"temp\": 21}"}};
    char *src = malloc(size + 1);
    ia_chat_template *t = NULL;
    if (!src) return 0;
    memcpy(src, data, size);
    src[size] = 0; /* an embedded NUL ends the template, as a C caller would pass it */
    ia_status st = ia_chat_template_parse(src, &t);
    if ((st == IA_OK) != (t != NULL)) abort();
    for (int agp = 0; t && agp < 2; agp++) {
        char *out = (char *)1;
        st = ia_chat_template_render(t, msgs, sizeof msgs / sizeof *msgs, agp, agp ? "<s>" : NULL, "</s>", &out);
        if (st == IA_OK ? out == NULL : out != NULL) abort();
        if (out) {
            volatile size_t n = strlen(out); /* ASan: NUL-terminated within its block */
            (void)n;
        }
        free(out);
    }
    ia_chat_template_free(t);
    free(src);
    return 0;
}
