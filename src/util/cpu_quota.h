/*
 * cpu_quota.h — how many CPUs this process may really use: the affinity
 * mask, capped by a cgroup CPU quota (containers, systemd CPUQuota=).
 *
 * sysconf(_SC_NPROCESSORS_ONLN) counts the machine's CPUs; a process pinned
 * to 4 of them, or a container given "2 CPUs" by a quota, that starts one
 * thread per online CPU oversubscribes what it has, and a quota makes it
 * worse: the kernel throttles the whole cgroup for the rest of each period.
 *
 * The parsing is pure functions over file contents (tested on synthetic
 * text); ia_cgroup_cpu_limit() reads the files under a root directory that
 * tests point at a synthetic tree. ia_cpu_available() itself is declared
 * in util/threadpool.h.
 */
#ifndef IA_UTIL_CPU_QUOTA_H
#define IA_UTIL_CPU_QUOTA_H

#include <stddef.h>

/* cgroup v2 cpu.max text: "QUOTA PERIOD" (µs) → QUOTA/PERIOD CPUs (> 0);
 * "max PERIOD" → 0 (no limit); anything else → -1 (malformed). */
double ia_cgroup_v2_limit(const char *cpu_max);

/* cgroup v1 cpu.cfs_quota_us and cpu.cfs_period_us texts → quota/period
 * CPUs (> 0); quota "-1" → 0 (no limit); malformed → -1. */
double ia_cgroup_v1_limit(const char *quota_us, const char *period_us);

/* Finds this process's cgroup in the text of /proc/self/cgroup: version 2
 * takes the "0::PATH" line, version 1 the "N:CONTROLLERS:PATH" line whose
 * comma-separated controller list holds "cpu" (not "cpuacct", "cpuset").
 * Writes PATH to path[path_cap] and, for version 1, the controller list to
 * ctrl[ctrl_cap] ("cpu,cpuacct": the usual mount directory name; ctrl may
 * be NULL). Returns 1 if found, 0 if not (or if it does not fit). */
int ia_cgroup_entry(const char *proc_cgroup, int version, char *path, size_t path_cap,
                    char *ctrl, size_t ctrl_cap);

/* The tightest CPU limit (in CPUs, 0 = none found) over this process's
 * cgroup and all its ancestors, v2 and v1: root is where cgroupfs is
 * mounted ("/sys/fs/cgroup"; v1 controllers in root/cpu, root/cpu,cpuacct
 * or root/<list from the file>), proc_cgroup the text of /proc/self/cgroup.
 * Walking up covers nested quotas (a parent's limit binds its children) and
 * containers without a cgroup namespace, whose path (/docker/ID) is not
 * visible under their own mount: the walk ends at the mount root, which is
 * the container's cgroup. Unreadable or malformed files are skipped. */
double ia_cgroup_cpu_limit(const char *root, const char *proc_cgroup);

/* ceil(limit) capped at affinity, at least 1; limit <= 0 means none. */
int ia_cpu_limit_apply(int affinity, double limit);

#endif
