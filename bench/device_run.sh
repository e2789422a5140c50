#!/usr/bin/env bash
# device_run.sh DIR OUT — the checks that need the device machine (16-core
# Sapphire Rapids host, NVIDIA H200), in one run, from binaries built on the
# development machine and carried in DIR (no compiler needed there):
#   DIR/ia_bench_embed, DIR/ia_bench_embed_old (the commit before core v2),
#   DIR/libcjson.so.1, DIR/minilm (all-MiniLM-L6-v2 in F16: the weights are
#   widened to F32 at load, so the fp32 path runs), DIR/texts128.txt.
# Writes OUT/thread_scaling.json, OUT/thread_scaling_old.json, OUT/machine.txt.
set -uo pipefail
dir=$1; out=$2
export LD_LIBRARY_PATH="$dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
{
  echo "nproc: $(nproc)"; lscpu | grep -E "Model name|^CPU\(s\)|Thread|Core|Socket|NUMA|L2|L3" ; 
  nvidia-smi -L 2>&1 | head -3
} > "$out/machine.txt" 2>&1
cat "$out/machine.txt"
py=$(command -v python3)
"$py" bench/thread_scaling.py --bench "$dir/ia_bench_embed" --model "$dir/minilm" --file "$dir/texts128.txt" \
  --threads ${IA_THREAD_LIST:-1,2,4,8,16} --precision fp32,int8 --batch 32 --runs 3 --iters 2 --out "$out/thread_scaling.json"
"$py" bench/thread_scaling.py --bench "$dir/ia_bench_embed_old" --model "$dir/minilm" --file "$dir/texts128.txt" \
  --threads ${IA_OLD_THREAD_LIST:-2,8,16} --precision fp32 --batch 32 --runs 3 --iters 2 --out "$out/thread_scaling_old.json" --no-precision-flag
