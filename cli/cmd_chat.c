/*
 * cmd_chat.c — `ipfs-accelerate chat`: an interactive conversation with a
 * chat model. Each turn renders the whole history with the model's chat
 * template; the session keeps the tokens of the previous turns in its KV
 * cache, so a turn costs only its new tokens. Ctrl-C ends the reply being
 * written (the program goes on); at the prompt it discards the line.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "llm_options.h"

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig) {
    (void)sig;
    interrupted = 1;
}

static void usage(FILE *f) {
    fprintf(f,
            "usage: ipfs-accelerate chat [options]\n"
            "\n"
            "Talks with a chat model: type a message, the reply streams back. The history\n"
            "is kept (and its tokens stay cached) until /reset.\n"
            "\n"
            "commands at the prompt:\n"
            "  /reset             forget the conversation (the system message stays)\n"
            "  /exit              leave (so does Ctrl-D)\n"
            "  /help              this list\n"
            "Ctrl-C ends the reply being written; at the prompt it discards the line.\n"
            "\n"
            "  --system S         system message (default: the template's own, if any)\n"
            "  --timings          print prompt/generation speed after each reply\n"
            "  -h, --help         this help\n");
    ia_llm_cli_usage(f);
}

static int stream_piece(const char *piece, size_t len, int32_t token, void *ud) {
    (void)token, (void)ud;
    fwrite(piece, 1, len, stdout);
    fflush(stdout);
    return interrupted;
}

typedef struct history {
    ia_chat_message *msgs;
    char **owned; /* contents this history allocated, parallel to msgs */
    size_t n, cap;
} history;

static int history_add(history *h, const char *role, const char *content) {
    if (h->n == h->cap) {
        size_t cap = h->cap ? 2 * h->cap : 16;
        ia_chat_message *m = realloc(h->msgs, cap * sizeof *m);
        char **o = m ? realloc(h->owned, cap * sizeof *o) : NULL;
        if (m) h->msgs = m;
        if (!o) return -1;
        h->owned = o;
        h->cap = cap;
    }
    if (!(h->owned[h->n] = strdup(content))) return -1;
    h->msgs[h->n] = (ia_chat_message){role, h->owned[h->n]};
    h->n++;
    return 0;
}

static void history_truncate(history *h, size_t n) {
    while (h->n > n) free(h->owned[--h->n]);
}

int ia_cmd_chat(int argc, char **argv) {
    ia_llm_cli o;
    ia_model *m = NULL;
    ia_session *s = NULL;
    history h = {0};
    char *line = NULL;
    size_t line_cap = 0;
    int tty = isatty(STDIN_FILENO), rc = 1;
    size_t keep = 0; /* messages /reset keeps: the system message */
    ia_llm_cli_init(&o, "chat");
    o.quiet = 1; /* timings only on request */
    for (int i = 1; i < argc; i++) {
        int took;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        }
        if ((took = ia_llm_cli_parse(&o, argc, argv, &i)) < 0) return 2;
        if (took) continue;
        if (strcmp(argv[i], "--system") == 0 && i + 1 < argc) {
            o.system = argv[++i];
        } else if (strcmp(argv[i], "--timings") == 0) {
            o.quiet = 0;
        } else {
            fprintf(stderr, "ipfs-accelerate chat: unknown argument '%s' (see --help)\n", argv[i]);
            return 2;
        }
    }
    if (ia_llm_cli_open(&o, "chat", &m, &s)) return 1;
    if (o.system) {
        if (history_add(&h, "system", o.system)) goto oom;
        keep = 1;
    }
    {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_sigint; /* no SA_RESTART: Ctrl-C interrupts the read */
        sigaction(SIGINT, &sa, NULL);
    }
    if (tty) fprintf(stderr, "chat with %s (/help for commands, Ctrl-D to leave)\n", ia_model_name(m));
    for (;;) {
        ssize_t got;
        char *rendered = NULL;
        ia_generate_result r;
        if (tty) fputs("> ", stdout), fflush(stdout);
        interrupted = 0;
        errno = 0;
        got = getline(&line, &line_cap, stdin);
        if (got < 0) {
            if (errno == EINTR || interrupted) { /* Ctrl-C at the prompt */
                clearerr(stdin);
                if (tty) putchar('\n');
                continue;
            }
            if (tty) putchar('\n');
            break; /* EOF */
        }
        while (got > 0 && (line[got - 1] == '\n' || line[got - 1] == '\r')) line[--got] = '\0';
        if (got == 0) continue;
        if (strcmp(line, "/exit") == 0 || strcmp(line, "/quit") == 0) break;
        if (strcmp(line, "/help") == 0) {
            printf("/reset forgets the conversation, /exit leaves; Ctrl-C ends a reply\n");
            continue;
        }
        if (strcmp(line, "/reset") == 0) {
            history_truncate(&h, keep);
            ia_session_reset(s);
            if (tty) printf("(conversation forgotten)\n");
            continue;
        }
        if (history_add(&h, "user", line)) goto oom;
        if (ia_model_apply_chat_template(m, h.msgs, h.n, 1, &rendered) != IA_OK) {
            ia_cli_fail("chat");
            history_truncate(&h, h.n - 1);
            if (!tty) goto done;
            continue;
        }
        o.gen.on_token = stream_piece;
        IA_GENERATE_RESULT_INIT(&r);
        interrupted = 0;
        if (ia_session_generate(s, rendered, &o.gen, &r) != IA_OK) {
            ia_free(rendered);
            ia_cli_fail("chat");
            history_truncate(&h, h.n - 1);
            if (!tty) goto done;
            continue;
        }
        ia_free(rendered);
        putchar('\n');
        if (strcmp(r.finish_reason, "cancelled") == 0 && tty) printf("(reply stopped)\n");
        fflush(stdout);
        ia_llm_cli_timings(&o, s, &r);
        if (history_add(&h, "assistant", r.text)) {
            ia_free(r.text);
            goto oom;
        }
        ia_free(r.text);
    }
    rc = 0;
    goto done;
oom:
    fprintf(stderr, "ipfs-accelerate chat: out of memory\n");
done:
    history_truncate(&h, 0);
    free(h.msgs);
    free(h.owned);
    free(line);
    ia_session_free(s);
    ia_model_free(m);
    return rc;
}
