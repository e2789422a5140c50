#!/usr/bin/env python3
"""thread_scaling.py — how embedding throughput and every op's time scale
with threads (the issue's numbers: >= 6x from 2 to 16 threads, and no op
slower with more threads).

  python3 bench/thread_scaling.py --bench build/ia_bench_embed --file texts.txt
        [--model M] [--threads 1,2,4,8,16] [--precision fp32,int8]
        [--batch 32] [--runs 3] [--iters 3] [--out bench/out/thread_scaling.json]

For each precision and thread count, runs ia_bench_embed --runs times (each
its own process, IA_PROFILE=1) and keeps the median sentences/s and, per op,
the median milliseconds per pass (the profile's total over warm-up and timed
passes, divided by their count). Prints a table and writes JSON. Python
standard library only, so it runs on a machine with nothing installed.
Exit 0; the table marks ops whose time grows with more threads.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys

PROFILE_LINE = re.compile(r"^\s+(\w+)\s+(\d+) calls\s+([\d.]+) ms")


def run_once(bench, model, file, threads, batch, iters, precision, precision_flag=True):
    env = dict(os.environ, IA_PROFILE="1")
    cmd = [bench, "--file", file, "--model", model, "--threads", str(threads), "--batch", str(batch),
           "--iters", str(iters), "--warmup", "1"]
    if precision_flag:  # builds before core v2 had no --precision (fp32 only)
        cmd += ["--precision", precision]
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1800)
    if p.returncode != 0:
        sys.exit(f"thread_scaling: {' '.join(cmd)} failed ({p.returncode}): {p.stderr[-2000:]}")
    res = json.loads(p.stdout.strip().splitlines()[-1])
    passes = iters + 1
    ops = {}
    for line in p.stderr.splitlines():
        m = PROFILE_LINE.match(line)
        if m:
            ops[m.group(1)] = ops.get(m.group(1), 0.0) + float(m.group(3)) / passes
    return res["sentences_per_s"], ops


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bench", default="build/ia_bench_embed")
    ap.add_argument("--file", required=True)
    ap.add_argument("--model", default="all-MiniLM-L6-v2")
    ap.add_argument("--threads", default="1,2,4,8,16")
    ap.add_argument("--precision", default="fp32,int8")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--iters", type=int, default=3)
    ap.add_argument("--out", default="bench/out/thread_scaling.json")
    ap.add_argument("--no-precision-flag", action="store_true",
                    help="the bench binary predates --precision (fp32 only)")
    a = ap.parse_args()
    threads = [int(t) for t in a.threads.split(",")]
    out = {"batch": a.batch, "runs": a.runs, "model": a.model, "cpu": cpu_name(), "results": {}}
    for prec in a.precision.split(","):
        rows = []
        for t in threads:
            runs = [run_once(a.bench, a.model, a.file, t, a.batch, a.iters, prec, not a.no_precision_flag)
                    for _ in range(a.runs)]
            ips = statistics.median(r[0] for r in runs)
            names = sorted({k for r in runs for k in r[1]})
            ops = {k: statistics.median(r[1].get(k, 0.0) for r in runs) for k in names}
            rows.append({"threads": t, "sentences_per_s": ips, "runs": [r[0] for r in runs], "op_ms_per_pass": ops})
            print(f"{prec} {t:>3} threads: {ips:8.1f} sentences/s  (runs {', '.join(f'{r[0]:.1f}' for r in runs)})",
                  flush=True)
        out["results"][prec] = rows
        base = {r["threads"]: r["sentences_per_s"] for r in rows}
        if 2 in base and max(threads) in base:
            out.setdefault("speedup_2_to_max", {})[prec] = base[max(threads)] / base[2]
            print(f"{prec}: {max(threads)} vs 2 threads: {base[max(threads)] / base[2]:.2f}x")
        ops = sorted({k for r in rows for k in r["op_ms_per_pass"]})
        print(f"{prec}: ms per pass by op (* = slower than with fewer threads)")
        print("  " + f"{'op':<14}" + "".join(f"{r['threads']:>10}" for r in rows))
        for op in ops:
            line, prev = f"  {op:<14}", None
            for r in rows:
                v = r["op_ms_per_pass"].get(op, 0.0)
                mark = "*" if prev is not None and v > prev * 1.05 else " "
                line += f"{v:9.2f}{mark}"
                prev = v
            print(line)
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, "w") as f:
        json.dump(out, f, indent=1)
    print(f"thread_scaling: wrote {a.out}")


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for ln in f:
                if ln.startswith("model name"):
                    return ln.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


if __name__ == "__main__":
    main()
