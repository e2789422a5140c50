/*
 * cmd_store.c — the block store on the command line:
 *   ipfs-accelerate get CID [-o PATH]      a DAG materialised at PATH (./CID)
 *   ipfs-accelerate cat CID                a file's bytes on stdout
 *   ipfs-accelerate car export CID [-o F]  a CAR v1 of the DAG (stdout or F)
 *   ipfs-accelerate car import FILE...     CAR v1 files into the store
 * Every block is hashed against its CID on the way in and on the way out.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "ipfs_accelerate.h"

static const char max_bytes_help[] =
    "  --max-bytes N       refuse a DAG holding more than N bytes of files (get:\n"
    "                      default the free space where it writes; cat: 1 TiB)\n";

static const char block_dir_help[] =
    "  --block-dir DIR     the block store (default $IA_BLOCK_DIR, else \"blocks\"\n"
    "                      beside the model cache: ~/.cache/ipfs_accelerate/blocks)\n";

/* Opens the store: dir NULL = the default. Reports failures. */
static ia_blockstore *open_store(const char *cmd, const char *dir) {
    ia_blockstore_options o;
    ia_blockstore *bs = NULL;
    IA_BLOCKSTORE_OPTIONS_INIT(&o);
    o.dir = dir;
    if (ia_blockstore_open(&o, &bs) != IA_OK) {
        ia_cli_fail(cmd);
        return NULL;
    }
    return bs;
}

static ia_status write_file(void *ctx, const void *p, size_t n) {
    FILE *f = ctx;
    if (fwrite(p, 1, n, f) != n) return IA_ERR_IO;
    return IA_OK;
}

/* ------------------------------------------------------------- get, cat */

static void get_usage(FILE *f) {
    fprintf(f,
            "usage: ipfs-accelerate get CID [-o PATH] [--max-bytes N] [--block-dir DIR]\n"
            "\n"
            "Writes the file, directory tree or symlink of CID from the local block store\n"
            "to PATH (default ./CID), as `ipfs get` does. Every block is hashed against its\n"
            "CID and every node checked against its parent; the tree is built under a\n"
            "temporary name beside PATH and renamed into place, so PATH appears complete\n"
            "or not at all. PATH must not exist. A missing block is an error naming it.\n"
            "The DAG is measured first (entries, bytes; each distinct block once), so one\n"
            "that would not fit is refused before anything is written.\n"
            "\n"
            "options:\n"
            "  -o, --output PATH   where to write (default ./CID)\n"
            "%s%s"
            "  -h, --help          this help\n",
            max_bytes_help, block_dir_help);
}

static void cat_usage(FILE *f) {
    fprintf(f,
            "usage: ipfs-accelerate cat CID [--max-bytes N] [--block-dir DIR]\n"
            "\n"
            "Writes the bytes of the file CID from the local block store to stdout, each\n"
            "block hashed against its CID before its bytes are written. A failure part way\n"
            "leaves what was already written (exit status 1). The file's size is checked\n"
            "against the limit before its first byte is written.\n"
            "\n"
            "options:\n"
            "%s%s"
            "  -h, --help          this help\n",
            max_bytes_help, block_dir_help);
}

int ia_cmd_get(int argc, char **argv) {
    const char *cid = NULL, *out = NULL, *dir = NULL;
    int cat = strcmp(argv[0], "cat") == 0, rc = 0;
    ia_unixfs_get_options go;
    ia_blockstore *bs;
    ia_status st;
    IA_UNIXFS_GET_OPTIONS_INIT(&go);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            (cat ? cat_usage : get_usage)(stdout);
            return 0;
        } else if ((strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) && !cat) {
            if (i + 1 >= argc) {
                fprintf(stderr, "ipfs-accelerate: get: %s needs a path\n", a);
                return 2;
            }
            out = argv[++i];
        } else if (strcmp(a, "--block-dir") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "ipfs-accelerate: %s: --block-dir needs a directory\n", argv[0]);
                return 2;
            }
            dir = argv[++i];
        } else if (strcmp(a, "--max-bytes") == 0) {
            char *end;
            const char *v = i + 1 < argc ? argv[++i] : "";
            errno = 0;
            go.max_bytes = strtoull(v, &end, 10);
            if (!*v || *end || errno || go.max_bytes == 0 || v[0] == '-') {
                fprintf(stderr, "ipfs-accelerate: %s: --max-bytes takes a positive integer, not '%s'\n", argv[0], v);
                return 2;
            }
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "ipfs-accelerate: %s: unknown option %s (see --help)\n", argv[0], a);
            return 2;
        } else if (cid) {
            fprintf(stderr, "ipfs-accelerate: %s: one CID at a time\n", argv[0]);
            return 2;
        } else {
            cid = a;
        }
    }
    if (!cid) {
        fprintf(stderr, "ipfs-accelerate: %s: no CID (see --help)\n", argv[0]);
        return 2;
    }
    if (!(bs = open_store(argv[0], dir))) return 1;
    if (cat) {
        st = ia_unixfs_cat(bs, cid, &go, write_file, stdout);
        if (fflush(stdout) != 0 && st == IA_OK) {
            fprintf(stderr, "ipfs-accelerate: cat: stdout: %s\n", strerror(errno));
            rc = 1;
        }
    } else {
        st = ia_unixfs_get(bs, cid, out ? out : cid, &go);
        if (st == IA_OK) printf("saved %s to %s\n", cid, out ? out : cid);
    }
    if (st != IA_OK) rc = ia_cli_fail(argv[0]);
    ia_blockstore_close(bs);
    return rc;
}

/* ------------------------------------------------------------------ car */

static void car_usage(FILE *f) {
    fprintf(f,
            "usage: ipfs-accelerate car export CID [-o FILE] [--block-dir DIR]\n"
            "       ipfs-accelerate car import FILE... [--block-dir DIR]\n"
            "\n"
            "CAR v1 files (Content Addressable aRchives), as kubo's `ipfs dag export` and\n"
            "`ipfs dag import` read and write them.\n"
            "\n"
            "export  writes the DAG under CID from the block store: the header (root CID),\n"
            "        then every block once, depth first, a node before its children, as\n"
            "        `ipfs dag export` orders them; each block is hashed as it is read. To\n"
            "        stdout, or with -o to FILE (written under a temporary name, renamed\n"
            "        when complete).\n"
            "import  reads CAR v1 files (FILE '-' is stdin) into the block store: every\n"
            "        block is hashed against its CID and staged; only a file that was read\n"
            "        whole and verified is committed. A tampered block, a truncated file,\n"
            "        a bad varint or header, an oversized section is refused with its CID\n"
            "        and byte offset, and nothing of that file is kept. Prints each root.\n"
            "\n"
            "options:\n"
            "  -o, --output FILE   export: write to FILE instead of stdout\n"
            "%s"
            "  -h, --help          this help\n",
            block_dir_help);
}

static int car_export(const char *cid, const char *out, const char *dir) {
    char tmp[4200];
    FILE *f = stdout;
    ia_blockstore *bs;
    ia_status st;
    int rc = 0;
    if (!(bs = open_store("car export", dir))) return 1;
    if (out) {
        snprintf(tmp, sizeof tmp, "%s.tmp-%ld", out, (long)getpid());
        if (!(f = fopen(tmp, "wb"))) {
            fprintf(stderr, "ipfs-accelerate: car export: %s: %s\n", tmp, strerror(errno));
            ia_blockstore_close(bs);
            return 1;
        }
    }
    st = ia_car_export(bs, cid, write_file, f);
    if (st != IA_OK) {
        rc = ia_cli_fail("car export");
    } else if (fflush(f) != 0 || ferror(f)) {
        fprintf(stderr, "ipfs-accelerate: car export: %s: %s\n", out ? tmp : "stdout", strerror(errno));
        rc = 1;
    }
    if (out) {
        if (fclose(f) != 0 && rc == 0) {
            fprintf(stderr, "ipfs-accelerate: car export: %s: %s\n", tmp, strerror(errno));
            rc = 1;
        }
        if (rc == 0 && rename(tmp, out) != 0) {
            fprintf(stderr, "ipfs-accelerate: car export: %s: %s\n", out, strerror(errno));
            rc = 1;
        }
        if (rc) remove(tmp);
    }
    ia_blockstore_close(bs);
    return rc;
}

static int car_import(char **files, int n, const char *dir) {
    ia_blockstore *bs;
    int rc = 0;
    if (!(bs = open_store("car import", dir))) return 1;
    for (int i = 0; i < n; i++) {
        ia_car_import_result r;
        IA_CAR_IMPORT_RESULT_INIT(&r);
        if (ia_car_import(bs, files[i], &r) != IA_OK) {
            rc = ia_cli_fail("car import");
            continue;
        }
        for (char *line = r.roots, *nl; line && *line; line = nl + 1) {
            if (!(nl = strchr(line, '\n'))) break;
            printf("root %.*s\n", (int)(nl - line), line);
        }
        printf("imported %llu blocks (%llu new, %llu bytes) from %s\n", (unsigned long long)r.blocks,
               (unsigned long long)r.new_blocks, (unsigned long long)r.bytes, files[i]);
        ia_free(r.roots);
    }
    ia_blockstore_close(bs);
    return rc;
}

int ia_cmd_car(int argc, char **argv) {
    const char *out = NULL, *dir = NULL, *verb = NULL;
    char **args = calloc((size_t)argc + 1, sizeof *args);
    int n = 0, rc;
    if (!args) return 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            car_usage(stdout);
            free(args);
            return 0;
        } else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0 || strcmp(a, "--block-dir") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "ipfs-accelerate: car: %s needs a value\n", a);
                free(args);
                return 2;
            }
            if (strcmp(a, "--block-dir") == 0) dir = argv[++i];
            else out = argv[++i];
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "ipfs-accelerate: car: unknown option %s (see --help)\n", a);
            free(args);
            return 2;
        } else if (!verb) {
            verb = a;
        } else {
            args[n++] = argv[i];
        }
    }
    if (verb && strcmp(verb, "export") == 0 && n == 1) {
        rc = car_export(args[0], out, dir);
    } else if (verb && strcmp(verb, "import") == 0 && n >= 1 && !out) {
        rc = car_import(args, n, dir);
    } else {
        fprintf(stderr, "ipfs-accelerate: car: expected `car export CID [-o FILE]` or `car import FILE...` "
                        "(see --help)\n");
        rc = 2;
    }
    free(args);
    return rc;
}
