/*
 * cmd_hw.c — `ipfs-accelerate hw`: what this machine has, with measured
 * figures, and every backend with the reason it is absent.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "ipfs_accelerate.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: ipfs-accelerate hw [--json] [--bench | --no-bench] [--threads N]\n"
            "\n"
            "Detects the CPU, memory and accelerators and measures the CPU.\n"
            "\n"
            "options:\n"
            "  --json        print the report as one JSON object\n"
            "  --bench       full measurement (several seconds, 1 and N threads)\n"
            "  --no-bench    detection only, no measured figures\n"
            "                (default: quick measurement, under 2 s)\n"
            "  --threads N   threads for the CPU measurement (default: all CPUs)\n"
            "  -h, --help    this help\n");
}

static const char *str(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static double num(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : 0.0;
}

static void print_human(const cJSON *r) {
    const cJSON *cpu = cJSON_GetObjectItem(r, "cpu"), *mem = cJSON_GetObjectItem(r, "memory");
    const cJSON *caches = cJSON_GetObjectItem(cpu, "caches"), *b, *f;
    printf("cpu      %s (%s, %s)\n", str(cpu, "model"), str(cpu, "vendor"), str(cpu, "arch"));
    printf("         %.0f socket(s), %.0f cores, %.0f threads, %.0f NUMA node(s)\n", num(cpu, "sockets"),
           num(cpu, "cores"), num(cpu, "threads"), num(cpu, "numa_nodes"));
    printf("         caches: L1d %.0f KiB, L2 %.0f KiB, L3 %.0f MiB\n", num(caches, "l1d_bytes") / 1024,
           num(caches, "l2_bytes") / 1024, num(caches, "l3_bytes") / 1048576);
    printf("         flags:");
    cJSON_ArrayForEach(f, cJSON_GetObjectItem(cpu, "flags")) printf(" %s", f->valuestring);
    printf("\nmemory   %.1f GiB total, %.1f GiB available\n", num(mem, "total_bytes") / 1073741824.0,
           num(mem, "available_bytes") / 1073741824.0);
    printf("\nbackend    available  figures / reason\n");
    cJSON_ArrayForEach(b, cJSON_GetObjectItem(r, "backends")) {
        int avail = cJSON_IsTrue(cJSON_GetObjectItem(b, "available"));
        printf("%-10s %-10s ", str(b, "name"), avail ? "yes" : "no");
        if (avail && num(b, "gflops") > 0)
            printf("%.1f GFLOP/s fp32 GEMM, %.1f GB/s memory\n", num(b, "gflops"), num(b, "gbps"));
        else if (avail)
            printf("(not measured: run without --no-bench)\n");
        else
            printf("%s\n", str(b, "reason"));
    }
}

int ia_cmd_hw(int argc, char **argv) {
    int json = 0, level = IA_HW_QUICK_BENCH, threads = 0;
    char *report = NULL;
    cJSON *parsed;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (strcmp(argv[i], "--bench") == 0) {
            level = IA_HW_FULL_BENCH;
        } else if (strcmp(argv[i], "--no-bench") == 0) {
            level = IA_HW_NO_BENCH;
        } else if (strcmp(argv[i], "--threads") == 0) {
            if ((threads = ia_cli_parse_int(argv[i], i + 1 < argc ? argv[i + 1] : NULL, 0, 1024)) < 0) return 2;
            i++;
        } else {
            fprintf(stderr, "ipfs-accelerate: hw: unknown option %s\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (ia_hw_report_json(level, threads, &report) != IA_OK) return ia_cli_fail("hw");
    if (json) {
        printf("%s\n", report);
    } else if ((parsed = cJSON_Parse(report)) != NULL) {
        print_human(parsed);
        cJSON_Delete(parsed);
    }
    ia_free(report);
    return 0;
}
