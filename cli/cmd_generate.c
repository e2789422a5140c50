/*
 * cmd_generate.c — `ipfs-accelerate generate`: one prompt in, the model's
 * continuation streamed to stdout as it is generated.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "llm_options.h"

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig) {
    (void)sig;
    interrupted = 1;
}

static void usage(FILE *f) {
    fprintf(f,
            "usage: ipfs-accelerate generate [options] PROMPT...\n"
            "\n"
            "Continues PROMPT (the words joined by spaces; '-' reads it from stdin) with a\n"
            "decoder LLM and streams the text as it is generated. Timings go to stderr.\n"
            "Ctrl-C stops the generation and keeps what was written.\n"
            "\n"
            "  --chat             wrap PROMPT as a user message in the model's chat template\n"
            "                     (with --system S as the system message)\n"
            "  --system S         system message for --chat\n"
            "  --raw              tokenize special-token text in PROMPT as plain text\n"
            "  -h, --help         this help\n");
    ia_llm_cli_usage(f);
}

static int stream_piece(const char *piece, size_t len, int32_t token, void *ud) {
    (void)token, (void)ud;
    fwrite(piece, 1, len, stdout);
    fflush(stdout);
    return interrupted;
}

static char *read_stdin(void) {
    size_t len = 0, cap = 4096;
    char *buf = malloc(cap);
    size_t got;
    if (!buf) return NULL;
    while ((got = fread(buf + len, 1, cap - len - 1, stdin)) > 0) {
        len += got;
        if (cap - len < 2) {
            char *b = realloc(buf, cap *= 2);
            if (!b) return free(buf), NULL;
            buf = b;
        }
    }
    buf[len] = '\0';
    return buf;
}

int ia_cmd_generate(int argc, char **argv) {
    ia_llm_cli o;
    ia_model *m = NULL;
    ia_session *s = NULL;
    ia_generate_result r;
    char *prompt = NULL, *rendered = NULL;
    int chat = 0, rc = 1;
    size_t len = 0;
    ia_llm_cli_init(&o, "generate");
    for (int i = 1; i < argc; i++) {
        int took;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            free(prompt);
            return 0;
        }
        if ((took = ia_llm_cli_parse(&o, argc, argv, &i)) < 0) {
            rc = 2;
            goto done;
        }
        if (took) continue;
        if (strcmp(argv[i], "--chat") == 0) {
            chat = 1;
        } else if (strcmp(argv[i], "--system") == 0 && i + 1 < argc) {
            o.system = argv[++i];
        } else if (strcmp(argv[i], "--raw") == 0) {
            o.gen.parse_special = 0;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "ipfs-accelerate generate: unknown option '%s' (see --help)\n", argv[i]);
            rc = 2;
            goto done;
        } else {
            char *word = strcmp(argv[i], "-") == 0 ? read_stdin() : argv[i];
            size_t wl = word ? strlen(word) : 0;
            char *p = word ? realloc(prompt, len + wl + 2) : NULL;
            if (!p) {
                fprintf(stderr, "ipfs-accelerate generate: out of memory\n");
                if (word != argv[i]) free(word);
                goto done;
            }
            prompt = p;
            if (len) prompt[len++] = ' ';
            memcpy(prompt + len, word, wl + 1);
            len += wl;
            if (word != argv[i]) free(word);
        }
    }
    if (!prompt) {
        fprintf(stderr, "ipfs-accelerate generate: no prompt (see --help)\n");
        rc = 2;
        goto done;
    }
    if (ia_llm_cli_open(&o, "generate", &m, &s)) goto done;
    if (chat) {
        ia_chat_message msgs[2];
        size_t n = 0;
        if (o.system) msgs[n++] = (ia_chat_message){"system", o.system};
        msgs[n++] = (ia_chat_message){"user", prompt};
        if (ia_model_apply_chat_template(m, msgs, n, 1, &rendered) != IA_OK) {
            rc = ia_cli_fail("generate --chat");
            goto done;
        }
    }
    {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_sigint;
        sigaction(SIGINT, &sa, NULL);
    }
    o.gen.on_token = stream_piece;
    IA_GENERATE_RESULT_INIT(&r);
    if (ia_session_generate(s, rendered ? rendered : prompt, &o.gen, &r) != IA_OK) {
        rc = ia_cli_fail("generate");
        goto done;
    }
    if (!o.quiet || (r.text[0] && r.text[strlen(r.text) - 1] != '\n')) putchar('\n');
    ia_llm_cli_timings(&o, s, &r);
    ia_free(r.text);
    rc = 0;
done:
    ia_free(rendered);
    free(prompt);
    ia_session_free(s);
    ia_model_free(m);
    return rc;
}
