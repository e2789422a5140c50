/*
 * test_cpu_info.c — ia_hw_cpu_detect against what the kernel says, read
 * here independently (own /proc parsers, no code shared with src/hw):
 * flags against /proc/cpuinfo, threads against sysconf, memory against
 * /proc/meminfo, vendor/model against /proc/cpuinfo, and the JSON shape.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backends/cpu/cpu_features.h"
#include "harness.h"
#include "hw/hw.h"

/* Every flag name we may report; each is also a /proc/cpuinfo name. */
static const char *const known_x86[] = {
    "sse2",        "ssse3",        "sse4_1",        "sse4_2",           "avx",
    "avx2",        "fma",          "f16c",          "avx512f",          "avx512bw",
    "avx512vl",    "avx512dq",     "avx512ifma",    "avx512cd",         "avx512vbmi",
    "avx512_vbmi2", "avx512_vnni", "avx512_bitalg", "avx512_vpopcntdq", "avx_vnni",
    "avx512_bf16", "avx512_fp16",  "amx_tile",      "amx_int8",         "amx_bf16",
    "sha_ni",
    NULL};
static const char *const known_arm[] = {"asimd", "asimddp", "sve", "i8mm", NULL};

/* Value of the first "key<ws>: value" line of /proc/cpuinfo, trimmed, in
 * buf; 0 if found. */
static int cpuinfo_value(const char *key, char *buf, size_t cap) {
    static char line[8192];
    FILE *f = fopen("/proc/cpuinfo", "r");
    int found = -1;
    if (!f) return -1;
    size_t klen = strlen(key);
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, key, klen) != 0) continue;
        char *p = line + klen;
        while (*p == ' ' || *p == '\t') p++;
        if (*p != ':') continue;
        p++;
        while (*p == ' ' || *p == '\t') p++;
        size_t n = strlen(p);
        while (n > 0 && (p[n - 1] == '\n' || p[n - 1] == ' ' || p[n - 1] == '\t')) n--;
        if (n >= cap) n = cap - 1;
        memcpy(buf, p, n);
        buf[n] = '\0';
        found = 0;
        break;
    }
    fclose(f);
    return found;
}

/* 1 if word appears as a whole space-separated token of list. */
static int has_word(const char *list, const char *word) {
    size_t n = strlen(word);
    for (const char *p = list; (p = strstr(p, word)) != NULL; p += n) {
        int start = p == list || p[-1] == ' ';
        int end = p[n] == '\0' || p[n] == ' ';
        if (start && end) return 1;
    }
    return 0;
}

static int cpu_has(const ia_hw_cpu *cpu, const char *name) {
    for (int i = 0; i < cpu->n_flags; i++)
        if (strcmp(cpu->flags[i], name) == 0) return 1;
    return 0;
}

IA_TEST(cpu_info_flags_match_proc_cpuinfo) {
    static char flags[8192];
    ia_hw_cpu cpu;
    CHECK_STATUS(ia_hw_cpu_detect(&cpu), IA_OK);
    REQUIRE(cpu.n_flags >= 0 && cpu.n_flags < 48 && cpu.flags[cpu.n_flags] == NULL);

    const char *const *known = NULL;
    if (cpuinfo_value("flags", flags, sizeof flags) == 0) known = known_x86;
    else if (cpuinfo_value("Features", flags, sizeof flags) == 0) known = known_arm;
    REQUIRE(known != NULL); /* this test machine is Linux with /proc */

    for (int i = 0; known[i]; i++)
        CHECK_MSG(cpu_has(&cpu, known[i]) == has_word(flags, known[i]),
                  "flag %s: ours %d, /proc/cpuinfo %d", known[i],
                  cpu_has(&cpu, known[i]), has_word(flags, known[i]));
    /* Nothing outside the list, no duplicates. */
    for (int i = 0; i < cpu.n_flags; i++) {
        int in_list = 0;
        for (int k = 0; known[k]; k++) in_list |= strcmp(known[k], cpu.flags[i]) == 0;
        CHECK_MSG(in_list, "unexpected flag %s", cpu.flags[i]);
        for (int j = i + 1; j < cpu.n_flags; j++)
            CHECK_MSG(strcmp(cpu.flags[i], cpu.flags[j]) != 0, "dup %s", cpu.flags[i]);
    }
}

/* The GEMM dispatch and the report decode the same registers with the same
 * decoder (util/cpuid.h), so they must agree. */
IA_TEST(cpu_info_flags_match_gemm_dispatch) {
    ia_hw_cpu cpu;
    CHECK_STATUS(ia_hw_cpu_detect(&cpu), IA_OK);
    ia_cpu_features f = ia_cpu_features_get();
    CHECK(f.avx2 == cpu_has(&cpu, "avx2"));
    CHECK(f.fma == cpu_has(&cpu, "fma"));
    CHECK(f.f16c == cpu_has(&cpu, "f16c"));
    CHECK(f.avx512f == cpu_has(&cpu, "avx512f"));
    CHECK(f.avx512bw == cpu_has(&cpu, "avx512bw"));
    CHECK(f.avx512vl == cpu_has(&cpu, "avx512vl"));
    CHECK(f.avx512dq == cpu_has(&cpu, "avx512dq"));
    CHECK(f.avx512vnni == cpu_has(&cpu, "avx512_vnni"));
}

IA_TEST(cpu_info_vendor_model) {
    char vendor[256], model[256];
    ia_hw_cpu cpu;
    CHECK_STATUS(ia_hw_cpu_detect(&cpu), IA_OK);
#if defined(__x86_64__)
    CHECK(strcmp(cpu.arch, "x86_64") == 0);
#endif
    if (cpuinfo_value("vendor_id", vendor, sizeof vendor) == 0)
        CHECK_MSG(strcmp(cpu.vendor, vendor) == 0, "'%s' vs '%s'", cpu.vendor, vendor);
    if (cpuinfo_value("model name", model, sizeof model) == 0)
        CHECK_MSG(strcmp(cpu.model, model) == 0, "'%s' vs '%s'", cpu.model, model);
}

IA_TEST(cpu_info_topology) {
    ia_hw_cpu cpu;
    CHECK_STATUS(ia_hw_cpu_detect(&cpu), IA_OK);
    long online = sysconf(_SC_NPROCESSORS_ONLN); /* what nproc prints, sans affinity */
    CHECK_MSG(cpu.threads == online, "threads %d, online %ld", cpu.threads, online);
    CHECK_MSG(cpu.cores >= 1 && cpu.cores <= cpu.threads, "cores %d threads %d",
              cpu.cores, cpu.threads);
    CHECK(cpu.sockets >= 1 && cpu.sockets <= cpu.cores);
    CHECK(cpu.numa_nodes >= 1);
    CHECK(cpu.l1d_bytes > 0 && cpu.l2_bytes > 0 && cpu.l3_bytes > 0);
    CHECK(cpu.l1d_bytes <= cpu.l2_bytes && cpu.l2_bytes <= cpu.l3_bytes);
}

IA_TEST(cpu_info_memory_matches_meminfo) {
    char line[256];
    long long kb = -1, total = -1;
    ia_hw_cpu cpu;
    CHECK_STATUS(ia_hw_cpu_detect(&cpu), IA_OK);
    FILE *f = fopen("/proc/meminfo", "r");
    REQUIRE(f != NULL);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "MemTotal:", 9) == 0) kb = strtoll(line + 9, NULL, 10);
    fclose(f);
    REQUIRE(kb > 0);
    total = kb * 1024;
    long long diff = cpu.mem_total_bytes - total;
    if (diff < 0) diff = -diff;
    CHECK_MSG(diff * 100 <= total, "total %lld vs %lld", cpu.mem_total_bytes, total);
    CHECK(cpu.mem_available_bytes > 0);
    CHECK(cpu.mem_available_bytes <= cpu.mem_total_bytes);
}

IA_TEST(cpu_info_json_shape) {
    ia_hw_cpu cpu;
    CHECK_STATUS(ia_hw_cpu_detect(&cpu), IA_OK);
    cJSON *o = ia_hw_cpu_json(&cpu), *m = ia_hw_memory_json(&cpu);
    REQUIRE(o != NULL && m != NULL);
    static const char *const strs[] = {"arch", "vendor", "model", NULL};
    static const char *const nums[] = {"sockets", "cores", "threads", "numa_nodes", NULL};
    static const char *const cache[] = {"l1d_bytes", "l2_bytes", "l3_bytes", NULL};
    for (int i = 0; strs[i]; i++)
        CHECK_MSG(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(o, strs[i])), "%s", strs[i]);
    for (int i = 0; nums[i]; i++)
        CHECK_MSG(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(o, nums[i])), "%s", nums[i]);
    cJSON *c = cJSON_GetObjectItemCaseSensitive(o, "caches");
    CHECK(cJSON_IsObject(c));
    for (int i = 0; cache[i]; i++)
        CHECK_MSG(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(c, cache[i])), "%s", cache[i]);
    cJSON *l3 = cJSON_GetObjectItemCaseSensitive(c, "l3_bytes");
    CHECK(l3 && (long long)l3->valuedouble == cpu.l3_bytes);
    cJSON *fl = cJSON_GetObjectItemCaseSensitive(o, "flags");
    CHECK(cJSON_IsArray(fl) && cJSON_GetArraySize(fl) == cpu.n_flags);
    for (int i = 0; fl && i < cJSON_GetArraySize(fl); i++)
        CHECK(cJSON_IsString(cJSON_GetArrayItem(fl, i)));
    cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "threads");
    CHECK(t && t->valueint == cpu.threads);

    cJSON *tot = cJSON_GetObjectItemCaseSensitive(m, "total_bytes");
    cJSON *av = cJSON_GetObjectItemCaseSensitive(m, "available_bytes");
    CHECK(cJSON_IsNumber(tot) && (long long)tot->valuedouble == cpu.mem_total_bytes);
    CHECK(cJSON_IsNumber(av) && (long long)av->valuedouble == cpu.mem_available_bytes);
    cJSON_Delete(o);
    cJSON_Delete(m);
    CHECK(ia_hw_cpu_json(NULL) == NULL);
    CHECK_STATUS(ia_hw_cpu_detect(NULL), IA_ERR_INVALID_ARG);
}
