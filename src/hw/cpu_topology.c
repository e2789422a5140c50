/*
 * cpu_topology.c — how many sockets, cores, NUMA nodes and how much cache
 * and memory this machine has, read from Linux sysfs and procfs.
 *
 * These files are the kernel's view (after hotplug, cgroups do not change
 * them), and they are plain text, so every read is one bounded fgets of a
 * small file; a file that is missing or malformed leaves its field 0
 * ("unknown") rather than failing the whole report — containers and
 * non-Linux targets (wasm32) often lack /sys.
 */
#include "hw/cpu_info_impl.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/error.h"

#define SYS_CPU "/sys/devices/system/cpu"
#define SYS_NODE "/sys/devices/system/node"

/* Reads the first line of a small file into buf (newline stripped).
 * Returns 0 on success, -1 if it cannot be opened or is empty. */
static int read_line(const char *path, char *buf, size_t cap) {
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char *got = fgets(buf, (int)cap, f);
    fclose(f);
    if (!got) return -1;
    buf[strcspn(buf, "\n")] = '\0';
    return 0;
}

/* Reads a non-negative decimal integer file; -1 if unreadable. */
static long long read_int(const char *path) {
    char buf[64], *end;
    if (read_line(path, buf, sizeof buf) != 0) return -1;
    long long v = strtoll(buf, &end, 10);
    if (end == buf || v < 0) return -1;
    return v;
}

/* "cpu12" -> 1 when name is "<prefix><digits>" and nothing else. */
static int is_numbered(const char *name, const char *prefix) {
    size_t n = strlen(prefix);
    if (strncmp(name, prefix, n) != 0 || !name[n]) return 0;
    for (const char *p = name + n; *p; p++)
        if (!isdigit((unsigned char)*p)) return 0;
    return 1;
}

typedef struct core_id {
    long long package, core;
} core_id;

/* Counts distinct (package, core) pairs and distinct packages over the
 * online CPUs. A CPU without a readable topology directory is skipped. */
static ia_status count_cores(ia_hw_cpu *cpu) {
    ia_status st = IA_OK;
    core_id *ids = NULL;
    size_t n = 0, cap = 0;
    int sockets = 0;
    char path[512]; /* d_name is at most 255 bytes */
    struct dirent *e;
    DIR *dir = opendir(SYS_CPU);
    if (!dir) return IA_OK;

    while ((e = readdir(dir)) != NULL) {
        if (!is_numbered(e->d_name, "cpu")) continue;
        /* cpu0 often has no "online" file: it cannot be unplugged. */
        snprintf(path, sizeof path, SYS_CPU "/%s/online", e->d_name);
        if (read_int(path) == 0) continue;
        snprintf(path, sizeof path, SYS_CPU "/%s/topology/physical_package_id", e->d_name);
        long long pkg = read_int(path);
        snprintf(path, sizeof path, SYS_CPU "/%s/topology/core_id", e->d_name);
        long long core = read_int(path);
        if (pkg < 0 || core < 0) continue;

        int seen_core = 0, seen_pkg = 0;
        for (size_t i = 0; i < n; i++) {
            if (ids[i].package == pkg) {
                seen_pkg = 1;
                if (ids[i].core == core) seen_core = 1;
            }
        }
        if (seen_core) continue;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            core_id *grown = realloc(ids, ncap * sizeof *grown);
            if (!grown) {
                st = ia_error(IA_ERR_NOMEM, "cpu topology: %zu cores", ncap);
                goto fail;
            }
            ids = grown;
            cap = ncap;
        }
        ids[n].package = pkg;
        ids[n].core = core;
        n++;
        if (!seen_pkg) sockets++;
    }
    cpu->cores = (int)n;
    cpu->sockets = sockets;
fail:
    free(ids);
    closedir(dir);
    return st;
}

static int count_numa_nodes(void) {
    int n = 0;
    struct dirent *e;
    DIR *dir = opendir(SYS_NODE);
    if (!dir) return 0;
    while ((e = readdir(dir)) != NULL)
        if (is_numbered(e->d_name, "node")) n++;
    closedir(dir);
    return n;
}

/* Parses sysfs cache sizes: "48K", "2048K", "300M" -> bytes; -1 if bad. */
static long long parse_size(const char *s) {
    char *end;
    long long v = strtoll(s, &end, 10);
    if (end == s || v < 0) return -1;
    switch (*end) {
    case 'K': return v << 10;
    case 'M': return v << 20;
    case 'G': return v << 30;
    case '\0': return v;
    default: return -1;
    }
}

/* cpu0's cache hierarchy: index0..N each describe one cache (level, type,
 * size of one instance). Only data and unified caches count. */
static void read_caches(ia_hw_cpu *cpu) {
    char path[300], type[32], size[32];
    for (int i = 0; i < 16; i++) {
        snprintf(path, sizeof path, SYS_CPU "/cpu0/cache/index%d/level", i);
        long long level = read_int(path);
        if (level < 0) break;
        snprintf(path, sizeof path, SYS_CPU "/cpu0/cache/index%d/type", i);
        if (read_line(path, type, sizeof type) != 0) continue;
        if (strcmp(type, "Data") != 0 && strcmp(type, "Unified") != 0) continue;
        snprintf(path, sizeof path, SYS_CPU "/cpu0/cache/index%d/size", i);
        if (read_line(path, size, sizeof size) != 0) continue;
        long long bytes = parse_size(size);
        if (bytes <= 0) continue;
        if (level == 1) cpu->l1d_bytes = bytes;
        else if (level == 2) cpu->l2_bytes = bytes;
        else if (level == 3) cpu->l3_bytes = bytes;
    }
}

ia_status ia_hw_cpu_detect_topology(ia_hw_cpu *cpu) {
    read_caches(cpu);
    cpu->numa_nodes = count_numa_nodes();
    return count_cores(cpu);
}

void ia_hw_cpu_detect_memory(ia_hw_cpu *cpu) {
    char line[256];
    long long kb;
    FILE *f = fopen("/proc/meminfo", "r");
    if (f) {
        while (fgets(line, sizeof line, f)) {
            if (sscanf(line, "MemTotal: %lld kB", &kb) == 1 && kb > 0)
                cpu->mem_total_bytes = kb * 1024;
            else if (sscanf(line, "MemAvailable: %lld kB", &kb) == 1 && kb >= 0)
                cpu->mem_available_bytes = kb * 1024;
        }
        fclose(f);
    }
    /* No procfs (non-Linux): the libc's page counts, where it has them.
     * _SC_AVPHYS_PAGES is free memory, a lower bound of "available". */
#if defined(_SC_PHYS_PAGES) && defined(_SC_PAGESIZE)
    if (cpu->mem_total_bytes == 0) {
        long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
        if (pages > 0 && page > 0) cpu->mem_total_bytes = (long long)pages * page;
#if defined(_SC_AVPHYS_PAGES)
        long avail = sysconf(_SC_AVPHYS_PAGES);
        if (avail > 0 && page > 0) cpu->mem_available_bytes = (long long)avail * page;
#endif
    }
#endif
    if (cpu->mem_available_bytes > cpu->mem_total_bytes)
        cpu->mem_available_bytes = cpu->mem_total_bytes;
}
