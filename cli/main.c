/*
 * main.c — the ipfs-accelerate command: dispatches to subcommands.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ipfs_accelerate.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: ipfs-accelerate <command> [options]\n"
            "\n"
            "commands:\n"
            "  embed     embed texts with a sentence-embedding model (bert family)\n"
            "  generate  continue a prompt with an LLM (llama family, GGUF), streaming\n"
            "  chat      talk with a chat model interactively\n"
            "  serve     serve models over HTTP (TEI- and OpenAI-compatible routes)\n"
            "  hw        detect and measure the hardware; list every backend\n"
            "  bench     benchmark models on devices into a DuckDB database\n"
            "  results   show stored benchmark results (table, csv, json)\n"
            "  report    write an HTML report with charts from the database\n"
            "  quantize  write an 8, 4 or 2-bit version of a model (GGUF)\n"
            "  eval      measure a model's accuracy (STS Benchmark Spearman)\n"
            "  compare   quantised variants vs fp32: speed, size, accuracy (stored)\n"
            "  add       a file or directory into the block store, with `ipfs add`'s CIDs\n"
            "  registry  the model registry: register, search, info, recommend (measured)\n"
            "  get       a file or directory by CID from the block store, verified\n"
            "  cat       a file's bytes by CID from the block store, verified\n"
            "  car       CAR v1 files: car export CID, car import FILE (every block verified)\n"
            "  fetch     a model's blocks by CID from trustless gateways, each verified\n"
            "\n"
            "ipfs-accelerate <command> --help shows the command's options.\n"
            "ipfs-accelerate --version prints the library version.\n");
}

int ia_cli_fail(const char *what) {
    fprintf(stderr, "ipfs-accelerate: %s: %s\n", what, ia_last_error());
    return 1;
}

int ia_cli_parse_int(const char *opt, const char *val, int lo, int hi) {
    char *end;
    long v;
    if (!val) {
        fprintf(stderr, "ipfs-accelerate: %s needs a value\n", opt);
        return -1;
    }
    v = strtol(val, &end, 10);
    if (*val == '\0' || *end != '\0' || v < lo || v > hi) {
        fprintf(stderr, "ipfs-accelerate: %s must be an integer in [%d, %d], not '%s'\n", opt, lo, hi, val);
        return -1;
    }
    return (int)v;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("ipfs-accelerate %s\n", ia_version());
        return 0;
    }
    if (strcmp(argv[1], "embed") == 0) return ia_cmd_embed(argc - 1, argv + 1);
    if (strcmp(argv[1], "hw") == 0) return ia_cmd_hw(argc - 1, argv + 1);
    if (strcmp(argv[1], "bench") == 0) return ia_cmd_bench(argc - 1, argv + 1);
    if (strcmp(argv[1], "results") == 0) return ia_cmd_results(argc - 1, argv + 1);
    if (strcmp(argv[1], "report") == 0) return ia_cmd_report(argc - 1, argv + 1);
    if (strcmp(argv[1], "quantize") == 0) return ia_cmd_quantize(argc - 1, argv + 1);
    if (strcmp(argv[1], "eval") == 0) return ia_cmd_eval(argc - 1, argv + 1);
    if (strcmp(argv[1], "compare") == 0) return ia_cmd_compare(argc - 1, argv + 1);
    if (strcmp(argv[1], "generate") == 0) return ia_cmd_generate(argc - 1, argv + 1);
    if (strcmp(argv[1], "chat") == 0) return ia_cmd_chat(argc - 1, argv + 1);
    if (strcmp(argv[1], "serve") == 0) return ia_cmd_serve(argc - 1, argv + 1);
    if (strcmp(argv[1], "add") == 0) return ia_cmd_add(argc - 1, argv + 1);
    if (strcmp(argv[1], "registry") == 0) return ia_cmd_registry(argc - 1, argv + 1);
    if (strcmp(argv[1], "get") == 0 || strcmp(argv[1], "cat") == 0) return ia_cmd_get(argc - 1, argv + 1);
    if (strcmp(argv[1], "car") == 0) return ia_cmd_car(argc - 1, argv + 1);
    if (strcmp(argv[1], "fetch") == 0) return ia_cmd_fetch(argc - 1, argv + 1);
    fprintf(stderr, "ipfs-accelerate: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
