/*
 * cmd_add.c — `ipfs-accelerate add`: a file or directory into the local
 * block store, with the CIDs kubo's `ipfs add -r` computes, printed as it
 * prints them ("added <cid> <path>", the root last; -Q only the root).
 * With --only-hash nothing is stored.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "ipfs_accelerate.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: ipfs-accelerate add PATH [options]\n"
            "\n"
            "Adds a file, or a directory and everything in it, to the local block store,\n"
            "with the content identifiers (CIDs) kubo's `ipfs add -r` computes, and prints\n"
            "what it prints: \"added <cid> <path>\" for each file, symlink and directory,\n"
            "the root last. Hidden names (starting with '.') are skipped, symlinks are\n"
            "stored as symlinks, empty directories are kept: kubo's defaults. Each block\n"
            "is hashed and written atomically (temporary file, fsync, rename). Then\n"
            "`--model <root CID>`, `get`, `cat` and `car export` read it back.\n"
            "\n"
            "options:\n"
            "  -n, --only-hash     compute the CIDs only: store nothing\n"
            "  --block-dir DIR     the block store (default $IA_BLOCK_DIR, else \"blocks\"\n"
            "                      beside the model cache: ~/.cache/ipfs_accelerate/blocks)\n"
            "  --profile P         IPIP-0499 import profile:\n"
            "                        unixfs-v0-2015 (default; kubo's `ipfs add`): CIDv0,\n"
            "                          262144-byte chunks, 174 links per node, dag-pb leaves\n"
            "                        unixfs-v1-2025: CIDv1, raw leaves, 1 MiB chunks,\n"
            "                          1024 links, HAMT threshold from exact block sizes\n"
            "  --cid-version N     0 or 1. Without --profile, 1 is kubo's `--cid-version 1`\n"
            "                      (raw leaves, otherwise the defaults); with an explicit\n"
            "                      profile its leaves stay as the profile says (as kubo)\n"
            "  --chunker size-N    fixed-size chunks of N bytes (kubo's flag; 1..2096896)\n"
            "  --max-file-links N  links per file node (kubo's flag; 2..16384)\n"
            "  -H, --hidden        include names that start with '.'\n"
            "  -q, --quiet         print only the CIDs\n"
            "  -Q, --quieter       print only the root CID\n"
            "  -r, --recursive     accepted for kubo's command lines (directories are\n"
            "                      always added recursively)\n"
            "  -h, --help          this help\n"
            "\n"
            "While stderr is a terminal, the bytes of the current file are shown there.\n");
}

typedef struct {
    int quiet, quieter;
    int tty;             /* progress on stderr */
    int progress_shown;  /* a progress line is on the terminal */
    double last;         /* when it was last drawn */
    char root[IA_CID_TEXT_MAX];
} add_state;

static double now_sec(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* A name as kubo prints it (cmdenv.EscNonPrint): as is, unless it holds a
 * backslash or a character Go's strconv.IsPrint calls unprintable (ASCII
 * and C1 controls; a byte of invalid UTF-8 reads as U+FFFD, printable);
 * then as Go's strconv.Quote writes it, without the quotes. Unprintable
 * characters past U+009F (rare format characters) are printed as is. */
static size_t utf8_len(const unsigned char *p) {
    size_t len = p[0] < 0x80 ? 1 : (p[0] >> 5) == 6 ? 2 : (p[0] >> 4) == 14 ? 3 : (p[0] >> 3) == 30 ? 4 : 0;
    for (size_t k = 1; k < len; k++)
        if ((p[k] & 0xc0) != 0x80) return 0;
    return len;
}

static int c1_control(const unsigned char *p) { return p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f; }

static void print_name(const char *s) {
    const unsigned char *p = (const unsigned char *)s;
    int escape = 0;
    for (const unsigned char *q = p; *q; q++)
        if (*q < 0x20 || *q == 0x7f || *q == '\\' || c1_control(q)) escape = 1;
    if (!escape) {
        fputs(s, stdout);
        return;
    }
    while (*p) {
        unsigned c = *p;
        size_t len = utf8_len(p);
        if (len > 1 && c1_control(p)) {
            printf("\\u%04x", (unsigned)p[1]);
            p += 2;
            continue;
        }
        if (len > 1) { /* printable UTF-8: as is */
            fwrite(p, 1, len, stdout);
            p += len;
            continue;
        }
        switch (c) {
        case '\\': fputs("\\\\", stdout); break;
        case '\a': fputs("\\a", stdout); break;
        case '\b': fputs("\\b", stdout); break;
        case '\f': fputs("\\f", stdout); break;
        case '\n': fputs("\\n", stdout); break;
        case '\r': fputs("\\r", stdout); break;
        case '\t': fputs("\\t", stdout); break;
        case '\v': fputs("\\v", stdout); break;
        default:
            if (c < 0x20 || c == 0x7f || c >= 0x80) printf("\\x%02x", c);
            else putchar((int)c);
        }
        p++;
    }
}

static void clear_progress(add_state *s) {
    if (s->progress_shown) fputs("\033[2K\r", stderr);
    s->progress_shown = 0;
}

static ia_status on_entry(void *ctx, const char *path, const char *cid, uint64_t size) {
    add_state *s = ctx;
    snprintf(s->root, sizeof s->root, "%s", cid);
    if (s->quieter) return IA_OK;
    clear_progress(s);
    if (s->quiet) {
        printf("%s\n", cid);
    } else {
        printf("added %s ", cid);
        print_name(path);
        putchar('\n');
    }
    return IA_OK;
}

static void on_progress(void *ctx, const char *path, uint64_t done, uint64_t total) {
    add_state *s = ctx;
    double t = now_sec();
    if (!s->tty || total < (8u << 20)) return; /* small files finish before a line would help */
    if (done < total && t - s->last < 0.1) return;
    s->last = t;
    fprintf(stderr, "\033[2K\r%s  %.1f / %.1f MiB  %3.0f%%", path, (double)done / 1048576.0, (double)total / 1048576.0,
            total ? 100.0 * (double)done / (double)total : 100.0);
    s->progress_shown = 1;
}

int ia_cmd_add(int argc, char **argv) {
    ia_unixfs_options o;
    add_state s;
    const char *path = NULL, *block_dir = NULL;
    char cid[IA_CID_TEXT_MAX];
    ia_blockstore *bs = NULL;
    ia_status st;
    int only_hash = 0;
    IA_UNIXFS_OPTIONS_INIT(&o);
    memset(&s, 0, sizeof s);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "-n") == 0 || strcmp(a, "--only-hash") == 0) {
            only_hash = 1;
        } else if (strcmp(a, "-Q") == 0 || strcmp(a, "--quieter") == 0) {
            s.quieter = 1;
        } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
            s.quiet = 1;
        } else if (strcmp(a, "-H") == 0 || strcmp(a, "--hidden") == 0) {
            o.hidden = 1;
        } else if (strcmp(a, "-r") == 0 || strcmp(a, "--recursive") == 0) {
            /* always recursive */
        } else if (strcmp(a, "--block-dir") == 0) {
            if (!val) {
                fprintf(stderr, "ipfs-accelerate: add: --block-dir needs a directory\n");
                return 2;
            }
            block_dir = argv[++i];
        } else if (strcmp(a, "--profile") == 0 || strcmp(a, "--cid-version") == 0 || strcmp(a, "--chunker") == 0 ||
                   strcmp(a, "--max-file-links") == 0) {
            if (!val) {
                fprintf(stderr, "ipfs-accelerate: add: %s needs a value\n", a);
                return 2;
            }
            i++;
            if (strcmp(a, "--profile") == 0) {
                if (strcmp(val, "unixfs-v0-2015") != 0 && strcmp(val, "unixfs-v1-2025") != 0) {
                    fprintf(stderr, "ipfs-accelerate: add: unknown profile '%s' (unixfs-v0-2015, unixfs-v1-2025)\n", val);
                    return 2;
                }
                o.profile = val;
            } else if (strcmp(a, "--cid-version") == 0) {
                if ((o.cid_version = ia_cli_parse_int("--cid-version", val, 0, 1)) < 0) return 2;
            } else if (strcmp(a, "--max-file-links") == 0) {
                if ((o.max_links = ia_cli_parse_int("--max-file-links", val, 2, 16384)) < 0) return 2;
            } else {
                int n = strncmp(val, "size-", 5) == 0 ? ia_cli_parse_int("--chunker size-N", val + 5, 1, 2096896) : -2;
                if (n == -2) fprintf(stderr, "ipfs-accelerate: add: --chunker takes size-N (the only chunker here), not '%s'\n", val);
                if (n < 0) return 2;
                o.chunk_size = (size_t)n;
            }
        } else if (a[0] == '-' && a[1] && a[1] != '-' && a[2] && strspn(a + 1, "nQqHr") == strlen(a + 1)) {
            /* bundled short flags, as kubo takes them: -rnQ */
            only_hash |= strchr(a, 'n') != NULL;
            s.quieter |= strchr(a, 'Q') != NULL;
            s.quiet |= strchr(a, 'q') != NULL;
            o.hidden |= strchr(a, 'H') != NULL;
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "ipfs-accelerate: add: unknown option %s (see --help)\n", a);
            return 2;
        } else if (path) {
            fprintf(stderr, "ipfs-accelerate: add: one PATH at a time ('%s' and '%s')\n", path, a);
            return 2;
        } else {
            path = a;
        }
    }
    if (!path) {
        fprintf(stderr, "ipfs-accelerate: add: no PATH (see --help)\n");
        return 2;
    }
    if (!only_hash) {
        ia_blockstore_options bo;
        IA_BLOCKSTORE_OPTIONS_INIT(&bo);
        bo.dir = block_dir;
        if (ia_blockstore_open(&bo, &bs) != IA_OK) return ia_cli_fail("add");
        o.on_block = ia_blockstore_put_block, o.block_ctx = bs;
    }
    s.tty = isatty(2);
    o.on_entry = on_entry, o.entry_ctx = &s;
    o.on_progress = on_progress, o.progress_ctx = &s;
    st = ia_unixfs_add_path(path, &o, cid, sizeof cid);
    ia_blockstore_close(bs);
    if (st != IA_OK) {
        clear_progress(&s);
        fflush(stdout);
        return ia_cli_fail("add");
    }
    clear_progress(&s);
    if (s.quieter) printf("%s\n", cid);
    return 0;
}
