/*
 * test_cpu_quota.c — CPUs the process may use: cgroup v2/v1 quota parsing,
 * /proc/self/cgroup parsing, the walk over a synthetic cgroup tree (nested
 * quotas, containers without a cgroup namespace), rounding and capping, and
 * ia_cpu_available() against a narrowed affinity mask.
 */
#define _GNU_SOURCE /* sched_setaffinity, CPU_SET */
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "util/cpu_quota.h"
#include "util/threadpool.h"

static int near(double a, double b) { return fabs(a - b) < 1e-9; }

IA_TEST(cpu_quota_v2_parse) {
    CHECK(near(ia_cgroup_v2_limit("50000 100000\n"), 0.5));
    CHECK(near(ia_cgroup_v2_limit("200000 100000\n"), 2.0));
    CHECK(near(ia_cgroup_v2_limit("150000 100000"), 1.5));
    CHECK(near(ia_cgroup_v2_limit("1600000 100000\n"), 16.0));
    CHECK(ia_cgroup_v2_limit("max 100000\n") == 0.0);
    CHECK(ia_cgroup_v2_limit("max 100000 \r\n") == 0.0);
    /* malformed */
    CHECK(ia_cgroup_v2_limit("") < 0);
    CHECK(ia_cgroup_v2_limit("\n") < 0);
    CHECK(ia_cgroup_v2_limit("max") < 0);
    CHECK(ia_cgroup_v2_limit("100000") < 0);
    CHECK(ia_cgroup_v2_limit("100000\n") < 0);
    CHECK(ia_cgroup_v2_limit("-5 100000") < 0);
    CHECK(ia_cgroup_v2_limit("0 100000") < 0);
    CHECK(ia_cgroup_v2_limit("100000 0") < 0);
    CHECK(ia_cgroup_v2_limit("abc 100000") < 0);
    CHECK(ia_cgroup_v2_limit("maximum 100000") < 0);
    CHECK(ia_cgroup_v2_limit("100000 100000 7") < 0);
    CHECK(ia_cgroup_v2_limit("1e5 100000") < 0);
    CHECK(ia_cgroup_v2_limit("99999999999999999999999 100000") < 0);
    CHECK(ia_cgroup_v2_limit(NULL) < 0);
}

IA_TEST(cpu_quota_v1_parse) {
    CHECK(ia_cgroup_v1_limit("-1\n", "100000\n") == 0.0);
    CHECK(near(ia_cgroup_v1_limit("50000\n", "100000\n"), 0.5));
    CHECK(near(ia_cgroup_v1_limit("400000\n", "100000\n"), 4.0));
    CHECK(near(ia_cgroup_v1_limit("25000", "10000"), 2.5));
    CHECK(ia_cgroup_v1_limit("-2\n", "100000\n") < 0);
    CHECK(ia_cgroup_v1_limit("-1x\n", "100000\n") < 0);
    CHECK(ia_cgroup_v1_limit("", "100000\n") < 0);
    CHECK(ia_cgroup_v1_limit("50000\n", "0\n") < 0);
    CHECK(ia_cgroup_v1_limit("50000\n", "") < 0);
    CHECK(ia_cgroup_v1_limit("50000\n", "abc") < 0);
    CHECK(ia_cgroup_v1_limit("0\n", "100000") < 0);
    CHECK(ia_cgroup_v1_limit(NULL, "100000") < 0);
}

IA_TEST(cpu_quota_proc_cgroup_entry) {
    char path[256], ctrl[64];
    /* cgroup v2 only */
    CHECK(ia_cgroup_entry("0::/user.slice/user-1000.slice/session-2.scope\n", 2, path, sizeof path,
                          NULL, 0) == 1);
    CHECK(strcmp(path, "/user.slice/user-1000.slice/session-2.scope") == 0);
    CHECK(ia_cgroup_entry("0::/\n", 2, path, sizeof path, NULL, 0) == 1 && strcmp(path, "/") == 0);
    CHECK(ia_cgroup_entry("0::/\n", 1, path, sizeof path, ctrl, sizeof ctrl) == 0);
    /* hybrid, as on this machine: v1 controllers first, the v2 line last */
    {
        const char *hybrid = "9:name=systemd:/\n8:pids:/\n5:cpuacct:/x\n3:cpuset:/y\n"
                             "2:cpu,cpuacct:/docker/abc\n0::/\n";
        CHECK(ia_cgroup_entry(hybrid, 1, path, sizeof path, ctrl, sizeof ctrl) == 1);
        CHECK(strcmp(path, "/docker/abc") == 0 && strcmp(ctrl, "cpu,cpuacct") == 0);
        CHECK(ia_cgroup_entry(hybrid, 2, path, sizeof path, NULL, 0) == 1 && strcmp(path, "/") == 0);
    }
    /* "cpuacct" and "cpuset" are not "cpu"; a path may hold ':' */
    CHECK(ia_cgroup_entry("4:cpuacct:/a\n3:cpuset:/b\n", 1, path, sizeof path, ctrl, sizeof ctrl) == 0);
    CHECK(ia_cgroup_entry("1:cpuacct,cpu:/a:b\n", 1, path, sizeof path, ctrl, sizeof ctrl) == 1);
    CHECK(strcmp(path, "/a:b") == 0 && strcmp(ctrl, "cpuacct,cpu") == 0);
    /* no trailing newline, CRLF */
    CHECK(ia_cgroup_entry("0::/k", 2, path, sizeof path, NULL, 0) == 1 && strcmp(path, "/k") == 0);
    CHECK(ia_cgroup_entry("0::/k\r\n", 2, path, sizeof path, NULL, 0) == 1 && strcmp(path, "/k") == 0);
    /* malformed or absent */
    CHECK(ia_cgroup_entry("", 2, path, sizeof path, NULL, 0) == 0);
    CHECK(ia_cgroup_entry("garbage\n", 2, path, sizeof path, NULL, 0) == 0);
    CHECK(ia_cgroup_entry("0::\n", 2, path, sizeof path, NULL, 0) == 0);
    CHECK(ia_cgroup_entry("0::relative\n", 2, path, sizeof path, NULL, 0) == 0);
    CHECK(ia_cgroup_entry("1::/not-v2\n", 2, path, sizeof path, NULL, 0) == 0);
    CHECK(ia_cgroup_entry("0::/a/very/long/path\n", 2, path, 8, NULL, 0) == 0); /* does not fit */
    CHECK(ia_cgroup_entry(NULL, 2, path, sizeof path, NULL, 0) == 0);
}

IA_TEST(cpu_quota_apply_rounds_up_and_caps) {
    CHECK(ia_cpu_limit_apply(8, 0.5) == 1);   /* quota below one CPU: still one thread */
    CHECK(ia_cpu_limit_apply(8, 2.0) == 2);   /* quota smaller than affinity */
    CHECK(ia_cpu_limit_apply(8, 1.5) == 2);   /* rounded up */
    CHECK(ia_cpu_limit_apply(8, 2.0000000001) == 2); /* float noise does not add one */
    CHECK(ia_cpu_limit_apply(8, 16.0) == 8);  /* quota larger than affinity */
    CHECK(ia_cpu_limit_apply(8, 0.0) == 8);   /* no quota */
    CHECK(ia_cpu_limit_apply(8, -1.0) == 8);  /* malformed: ignored */
    CHECK(ia_cpu_limit_apply(0, 0.0) == 1);
    CHECK(ia_cpu_limit_apply(-3, 4.0) == 1);
}

/* ---- a synthetic cgroup tree in a temporary directory ---- */

static int write_file(const char *dir, const char *name, const char *text) {
    char file[1200]; /* dir < 1024 + a short name */
    FILE *f;
    snprintf(file, sizeof file, "%s/%s", dir, name);
    if (!(f = fopen(file, "w"))) return 0;
    fputs(text, f);
    return fclose(f) == 0;
}

static int make_dir(const char *root, const char *rel, char *out, size_t cap) {
    snprintf(out, cap, "%s%s", root, rel);
    return mkdir(out, 0700) == 0;
}

static void remove_tree(const char *root) {
    char cmd[1100];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0) fprintf(stderr, "  could not remove %s\n", root);
}

IA_TEST(cpu_quota_walks_a_cgroup_tree) {
    char root[] = "/tmp/ia_cgroup_XXXXXX", d[1024];
    REQUIRE(mkdtemp(root));
    /* v2: /a (2 CPUs) / b (max) / c (4 CPUs): the parent's 2 binds */
    REQUIRE(make_dir(root, "/a", d, sizeof d) && write_file(d, "cpu.max", "200000 100000\n"));
    REQUIRE(make_dir(root, "/a/b", d, sizeof d) && write_file(d, "cpu.max", "max 100000\n"));
    REQUIRE(make_dir(root, "/a/b/c", d, sizeof d) && write_file(d, "cpu.max", "400000 100000\n"));
    CHECK(near(ia_cgroup_cpu_limit(root, "0::/a/b/c\n"), 2.0));
    CHECK(near(ia_cgroup_cpu_limit(root, "0::/a/b\n"), 2.0));
    CHECK(ia_cgroup_cpu_limit(root, "0::/\n") == 0.0); /* the root has no cpu.max */
    /* a leaf tighter than its parents */
    REQUIRE(make_dir(root, "/a/b/c/d", d, sizeof d) && write_file(d, "cpu.max", "50000 100000\n"));
    CHECK(near(ia_cgroup_cpu_limit(root, "0::/a/b/c/d\n"), 0.5));
    CHECK(ia_cpu_limit_apply(8, ia_cgroup_cpu_limit(root, "0::/a/b/c/d\n")) == 1);
    /* a malformed file is skipped, the rest still count */
    REQUIRE(make_dir(root, "/a/b/c/e", d, sizeof d) && write_file(d, "cpu.max", "garbage\n"));
    CHECK(near(ia_cgroup_cpu_limit(root, "0::/a/b/c/e\n"), 2.0));
    /* a container without a cgroup namespace: its path is not under the
     * mount, whose root is the container's cgroup */
    REQUIRE(write_file(root, "cpu.max", "300000 100000\n"));
    CHECK(near(ia_cgroup_cpu_limit(root, "0::/docker/0123abcd\n"), 3.0));
    CHECK(near(ia_cgroup_cpu_limit(root, "0::/a/b/c\n"), 2.0));
    CHECK(ia_cgroup_cpu_limit(root, "") == 0.0);

    /* a v1 hierarchy that is not mounted: nothing */
    CHECK(ia_cgroup_cpu_limit(root, "2:cpu,cpuacct:/kube/pod\n") == 0.0);

    /* v1 (hybrid layout): root/cpu,cpuacct/<path> with cfs files */
    REQUIRE(make_dir(root, "/cpu,cpuacct", d, sizeof d) && write_file(d, "cpu.cfs_quota_us", "-1\n") &&
            write_file(d, "cpu.cfs_period_us", "100000\n"));
    REQUIRE(make_dir(root, "/cpu,cpuacct/kube", d, sizeof d) &&
            write_file(d, "cpu.cfs_quota_us", "150000\n") && write_file(d, "cpu.cfs_period_us", "100000\n"));
    REQUIRE(make_dir(root, "/cpu,cpuacct/kube/pod", d, sizeof d) &&
            write_file(d, "cpu.cfs_quota_us", "-1\n") && write_file(d, "cpu.cfs_period_us", "100000\n"));
    CHECK(near(ia_cgroup_cpu_limit(root, "4:memory:/kube/pod\n2:cpu,cpuacct:/kube/pod\n"), 1.5));
    CHECK(ia_cpu_limit_apply(8, ia_cgroup_cpu_limit(root, "2:cpu,cpuacct:/kube/pod\n")) == 2);
    CHECK(ia_cgroup_cpu_limit(root, "2:cpu,cpuacct:/\n") == 0.0); /* -1 at the root: none */
    /* v1 and v2 both present: the tighter wins */
    CHECK(near(ia_cgroup_cpu_limit(root, "2:cpu,cpuacct:/kube/pod\n0::/a/b/c/d\n"), 0.5));
    CHECK(near(ia_cgroup_cpu_limit(root, "2:cpu,cpuacct:/kube/pod\n0::/a/b\n"), 1.5));
    /* listed as "cpu" alone, mounted as cpu,cpuacct: still found */
    CHECK(near(ia_cgroup_cpu_limit(root, "2:cpu:/kube/pod\n"), 1.5));
    remove_tree(root);
}

/* ---- affinity ---- */

static void *available_on_one_cpu(void *arg) {
    int *out = arg;
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0) return NULL;
    for (int c = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, &set)) {
            CPU_ZERO(&set);
            CPU_SET(c, &set);
            break;
        }
    if (sched_setaffinity(0, sizeof set, &set) != 0) return NULL;
    out[0] = ia_cpu_available();
    out[1] = ia_cpu_count();
    return NULL;
}

IA_TEST(cpu_quota_available_follows_affinity) {
    cpu_set_t set;
    pthread_t th;
    int narrowed[2] = {-1, -1}, n = ia_cpu_available();
    CPU_ZERO(&set);
    REQUIRE(sched_getaffinity(0, sizeof set, &set) == 0);
    CHECK(n >= 1 && n <= CPU_COUNT(&set));
    CHECK(ia_cpu_count() == n);
    /* on a thread pinned to one CPU (the test's own affinity is untouched) */
    REQUIRE(pthread_create(&th, NULL, available_on_one_cpu, narrowed) == 0);
    pthread_join(th, NULL);
    CHECK_MSG(narrowed[0] == 1 && narrowed[1] == 1, "pinned to one CPU: available %d, count %d",
              narrowed[0], narrowed[1]);
}
