/*
 * cpu_quota.c — CPUs this process may use: sched_getaffinity's count capped
 * by the cgroup CPU quota (v2 cpu.max, v1 cpu.cfs_quota_us/cfs_period_us),
 * rounded up. Without threads (wasm32, IA_NO_THREADS) the answer is 1; the
 * parsers still compile there.
 */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT_S */
#endif
#include "util/cpu_quota.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/threadpool.h"

#include "util/threads.h"
#if defined(IA_HAVE_PTHREADS)
#define IA_HAVE_THREADS 1
#include <unistd.h>
#ifdef __linux__
#include <sched.h>
#endif
#endif

/* Paths: cgroup paths are short, but a hostile or odd tree must neither
 * overflow nor truncate silently: snprintf results are checked. */
#define IA_PATH_CAP 4096

/* Parses one non-negative decimal integer at *s (leading blanks skipped),
 * advancing *s past it. Returns -1 if there is none or it overflows. */
static long long parse_count(const char **s) {
    const char *p = *s;
    long long v = 0;
    while (*p == ' ' || *p == '\t') p++;
    if (*p < '0' || *p > '9') return -1;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (v > (LLONG_MAX - 9) / 10) return -1;
        v = v * 10 + (*p - '0');
    }
    *s = p;
    return v;
}

/* True if only blanks and line ends remain at s. */
static int only_space(const char *s) {
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') s++;
    return *s == '\0';
}

double ia_cgroup_v2_limit(const char *cpu_max) {
    const char *s = cpu_max;
    long long quota = -1, period;
    int unlimited = 0;
    if (!s) return -1;
    while (*s == ' ' || *s == '\t') s++;
    if (strncmp(s, "max", 3) == 0) {
        unlimited = 1;
        s += 3;
    } else if ((quota = parse_count(&s)) <= 0) {
        return -1;
    }
    if (*s != ' ' && *s != '\t') return -1; /* the period is required */
    if ((period = parse_count(&s)) <= 0 || !only_space(s)) return -1;
    return unlimited ? 0.0 : (double)quota / (double)period;
}

double ia_cgroup_v1_limit(const char *quota_us, const char *period_us) {
    const char *q = quota_us, *p = period_us;
    long long quota, period;
    if (!q || !p) return -1;
    while (*q == ' ' || *q == '\t') q++;
    if (strncmp(q, "-1", 2) == 0 && only_space(q + 2)) return 0.0; /* no quota */
    if ((quota = parse_count(&q)) <= 0 || !only_space(q)) return -1;
    if ((period = parse_count(&p)) <= 0 || !only_space(p)) return -1;
    return (double)quota / (double)period;
}

/* True if the comma-separated list [list, end) holds the name exactly. */
static int list_has(const char *list, const char *end, const char *name) {
    size_t n = strlen(name);
    while (list < end) {
        const char *comma = memchr(list, ',', (size_t)(end - list));
        const char *stop = comma ? comma : end;
        if ((size_t)(stop - list) == n && memcmp(list, name, n) == 0) return 1;
        list = stop + 1;
    }
    return 0;
}

int ia_cgroup_entry(const char *proc_cgroup, int version, char *path, size_t path_cap,
                    char *ctrl, size_t ctrl_cap) {
    const char *line = proc_cgroup;
    if (!line || path_cap == 0) return 0;
    while (*line) {
        const char *eol = strchr(line, '\n'), *c1, *c2;
        if (!eol) eol = line + strlen(line);
        /* "hierarchy-ID:controller-list:cgroup-path"; the path may hold ':' */
        c1 = memchr(line, ':', (size_t)(eol - line));
        c2 = c1 ? memchr(c1 + 1, ':', (size_t)(eol - c1 - 1)) : NULL;
        if (c2) {
            int v2 = c1 - line == 1 && line[0] == '0' && c2 == c1 + 1;
            int match = version == 2 ? v2 : !v2 && list_has(c1 + 1, c2, "cpu");
            size_t plen = (size_t)(eol - c2 - 1), clen = (size_t)(c2 - c1 - 1);
            if (plen > 0 && c2[plen] == '\r') plen--;
            if (match && plen > 0 && c2[1] == '/') {
                if (plen >= path_cap || (ctrl && clen >= ctrl_cap)) return 0;
                memcpy(path, c2 + 1, plen);
                path[plen] = '\0';
                if (ctrl) {
                    memcpy(ctrl, c1 + 1, clen);
                    ctrl[clen] = '\0';
                }
                return 1;
            }
        }
        line = *eol ? eol + 1 : eol;
    }
    return 0;
}

/* Reads a small file into buf[cap] (NUL-terminated); 0 if unreadable. */
static int read_text(const char *file, char *buf, size_t cap) {
    FILE *f = fopen(file, "r");
    size_t n;
    if (!f) return 0;
    n = fread(buf, 1, cap - 1, f);
    fclose(f);
    buf[n] = '\0';
    return n > 0;
}

/* min over positive limits (0 = none yet). */
static double tighter(double a, double b) {
    if (b <= 0) return a;
    return a <= 0 || b < a ? b : a;
}

/* Limit of one cgroup directory: v2 reads cpu.max, v1 the two cfs files. */
static double dir_limit(const char *dir, int version) {
    char file[IA_PATH_CAP], a[128], b[128];
    if (version == 2) {
        if (snprintf(file, sizeof file, "%s/cpu.max", dir) >= (int)sizeof file ||
            !read_text(file, a, sizeof a))
            return 0;
        return ia_cgroup_v2_limit(a);
    }
    if (snprintf(file, sizeof file, "%s/cpu.cfs_quota_us", dir) >= (int)sizeof file ||
        !read_text(file, a, sizeof a))
        return 0;
    if (snprintf(file, sizeof file, "%s/cpu.cfs_period_us", dir) >= (int)sizeof file ||
        !read_text(file, b, sizeof b))
        return 0;
    return ia_cgroup_v1_limit(a, b);
}

/* Tightest limit from mount/path up to mount itself, one level at a time. */
static double walk_up(const char *mount, const char *path, int version) {
    char rel[IA_PATH_CAP], dir[IA_PATH_CAP];
    double limit = 0;
    size_t n;
    if (snprintf(rel, sizeof rel, "%s", path) >= (int)sizeof rel) return 0;
    for (;;) {
        n = strlen(rel);
        while (n > 0 && rel[n - 1] == '/') rel[--n] = '\0'; /* "/" → "" = the mount */
        if (snprintf(dir, sizeof dir, "%s%s", mount, rel) < (int)sizeof dir)
            limit = tighter(limit, dir_limit(dir, version));
        if (n == 0) return limit;
        while (n > 0 && rel[n - 1] != '/') n--; /* drop the last component */
        rel[n] = '\0';
    }
}

double ia_cgroup_cpu_limit(const char *root, const char *proc_cgroup) {
    char path[IA_PATH_CAP], ctrl[256], mount[IA_PATH_CAP];
    double limit = 0;
    if (!root || !proc_cgroup) return 0;
    if (ia_cgroup_entry(proc_cgroup, 2, path, sizeof path, NULL, 0))
        limit = tighter(limit, walk_up(root, path, 2));
    if (ia_cgroup_entry(proc_cgroup, 1, path, sizeof path, ctrl, sizeof ctrl)) {
        /* The v1 cpu hierarchy is mounted under its controller list's name,
         * often with a "cpu" symlink beside it; the first that has the
         * files is the one. */
        const char *names[] = {ctrl, "cpu", "cpu,cpuacct", "cpuacct,cpu"};
        for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
            char probe[IA_PATH_CAP];
            FILE *f;
            if (snprintf(mount, sizeof mount, "%s/%s", root, names[i]) >= (int)sizeof mount ||
                snprintf(probe, sizeof probe, "%s/cpu.cfs_period_us", mount) >= (int)sizeof probe)
                continue;
            if (!(f = fopen(probe, "r"))) continue;
            fclose(f);
            limit = tighter(limit, walk_up(mount, path, 1));
            break;
        }
    }
    return limit;
}

int ia_cpu_limit_apply(int affinity, double limit) {
    int n = affinity > 0 ? affinity : 1;
    if (limit > 0 && limit < (double)n) {
        /* 1e-9: a quota of exactly k periods gives k, not k + 1 from rounding */
        int q = (int)ceil(limit - 1e-9);
        n = q < 1 ? 1 : q;
    }
    return n;
}

#ifdef IA_HAVE_THREADS
/* CPUs in this process's affinity mask; 0 if it cannot be read. The mask
 * may be wider than cpu_set_t (> 1024 CPUs): grow until the kernel's fits. */
static int affinity_count(void) {
#ifdef __linux__
    for (int ncpu = 1024; ncpu <= (1 << 20); ncpu *= 4) {
        cpu_set_t *set = CPU_ALLOC((size_t)ncpu);
        size_t size = CPU_ALLOC_SIZE((size_t)ncpu);
        int err;
        if (!set) return 0;
        CPU_ZERO_S(size, set);
        if (sched_getaffinity(0, size, set) == 0) {
            int n = CPU_COUNT_S(size, set);
            CPU_FREE(set);
            return n;
        }
        err = errno;
        CPU_FREE(set);
        if (err != EINVAL) return 0;
    }
#endif
    return 0;
}
#endif

int ia_cpu_available(void) {
#ifdef IA_HAVE_THREADS
    /* /proc/self/cgroup is one line per hierarchy: 16 KiB is ample; on the
     * heap, as callers may be threads with small stacks. */
    const size_t cap = 16384;
    char *text = malloc(cap);
    int n = affinity_count();
    double limit = 0;
    if (n <= 0) {
        long online = sysconf(_SC_NPROCESSORS_ONLN);
        n = online > 0 ? (int)online : 1;
    }
    if (text && read_text("/proc/self/cgroup", text, cap))
        limit = ia_cgroup_cpu_limit("/sys/fs/cgroup", text);
    free(text);
    return ia_cpu_limit_apply(n, limit);
#else
    return 1;
#endif
}

int ia_cpu_count(void) { return ia_cpu_available(); }
