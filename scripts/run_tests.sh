#!/usr/bin/env bash
# run_tests.sh BUILD ASAN_BUILD [TSAN_BUILD] — runs every test suite and prints
# "N passed, N failed" last (the sum over the suites).
#   1. C tests (build/ia_tests)
#   2. the same C tests under AddressSanitizer + UndefinedBehaviorSanitizer
#   2a. the thread pool and the tests that run pools of 2+ threads under
#       ThreadSanitizer (any report fails the suite)
#   3. the model tests again with IA_KERNEL=avx2 and IA_KERNEL=generic
#   3a. quantised models with each lower kernel family forced
#   3b. command-line tests (test/cli/test_cli.sh, test_results_import.sh, test_registry.sh)
#   3b'. `add` on the command line (test/cli/test_add.sh), the block store
#       and CAR files (test/cli/test_car.sh, kubo as oracle when built), the UnixFS
#       CIDs of `add --only-hash` against js-ipfs-unixfs's importer and kubo
#       (test/unixfs_oracle/check.mjs)
#   3c. GGUF interop with gguf-py (scripts/check_gguf_interop.py)
#   3d. the layer table of ../shared/DESIGN.md (../shared/tools/check_layers.py)
#   3e. deploy/: Kubernetes manifests (kubeconform -strict, offline schemas),
#       their cross-references, the Dockerfile (scripts/check_deploy.sh)
#   4. the portable core as a wasm32-wasi module: compiled, linked, run under
#      node's WASI against the native CLI (scripts/check_wasm32.sh)
#   5. JavaScript tests (node --test ipfs_accelerate_js/test/), if any
#   6. Python tests (pytest test/python), if any
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
asan=${2:-build-asan}
tsan=${3:-build-tsan}
passed=0
failed=0

# Adds the "N passed, N failed" line of a suite's output to the totals; a
# suite that crashed before printing it counts as one failure.
tally() {
  local name=$1 out=$2 rc=$3 line
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -n 1)
  if [ -z "$line" ]; then
    echo "== $name: no summary (exit $rc) — counted as 1 failure"
    tail -n 20 "$out"
    failed=$((failed + 1))
    return
  fi
  local p f
  p=$(echo "$line" | awk '{print $1}')
  f=$(echo "$line" | awk '{print $3}')
  [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
  echo "== $name: $line"
  passed=$((passed + p))
  failed=$((failed + f))
}

run_suite() {
  local name=$1; shift
  local out
  out=$(mktemp)
  echo "== $name"
  "$@" 2>&1 | tee "$out"
  tally "$name" "$out" "${PIPESTATUS[0]}"
  rm -f "$out"
}

run_suite "C tests" "$build/ia_tests"
# ASan: leaks are errors too; UBSan aborts on the first finding (-fno-sanitize-recover).
# Whole-model tests (full STS-B passes, end-to-end quantisations) run in the
# Release pass only: under ASan they took 2.5 of its 3.5 minutes.
IA_TEST_SKIP_HEAVY=1 ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
  run_suite "C tests (ASan+UBSan)" "$asan/ia_tests"
# TSan exits 66 after a report: the suite then counts as failed.
TSAN_OPTIONS=halt_on_error=0 run_suite "threaded C tests (TSan)" "$tsan/ia_tests" threadpool cpu_quota \
  gemm_edge_shapes gemm_random_shapes gemm_epilogue qgemm_shapes_vs_reference worker_hwtest \
  sessions_embed_in_parallel llama_split_across probe_cache_is_thread_safe llm_encode_in_parallel
# The model against the reference with each lower kernel family forced.
IA_KERNEL=avx2 run_suite "model tests, AVX2 kernels" "$build/ia_tests" bert_minilm
IA_KERNEL=generic run_suite "model tests, portable kernels" "$build/ia_tests" bert_minilm
IA_KERNEL=avx2 run_suite "quantised model, AVX2 kernels" "$build/ia_tests" quant_model_precision
IA_KERNEL=generic run_suite "quantised model, portable kernels" "$build/ia_tests" quant_model_precision
run_suite "CLI tests" test/cli/test_cli.sh "$build/ipfs-accelerate"
run_suite "CLI tests (results --import)" test/cli/test_results_import.sh "$build/ipfs-accelerate"
run_suite "CLI tests (add)" test/cli/test_add.sh "$build/ipfs-accelerate"
# The block store: get, cat, CAR export/import, hostile CARs, models by CID
# (embed, generate), and kubo's dag export/import as the oracle when built.
run_suite "CLI tests (block store, CAR, models by CID)" test/cli/test_car.sh "$build/ipfs-accelerate"
# UnixFS CIDs: add --only-hash against js-ipfs-unixfs's importer (and kubo
# when scripts/setup_kubo.sh has built it) on generated files, HAMT
# directories, the model cache's MiniLM directory and SmolLM2 file.
run_suite "UnixFS CIDs vs js-ipfs-unixfs (and kubo)" node test/unixfs_oracle/check.mjs "$build/ipfs-accelerate"
run_suite "CLI tests (registry)" test/cli/test_registry.sh "$build/ipfs-accelerate"
# Every include of src/ against DESIGN.md's layer table (a layer uses only
# the layers listed above it); fails on one that points down.
layers() {
  if [ ! -f ../shared/tools/check_layers.py ] || [ ! -f ../shared/DESIGN.md ]; then
    echo "layer check: ../shared/tools/check_layers.py and ../shared/DESIGN.md are needed beside the checkout"
    echo "0 passed, 1 failed"; return 1
  fi
  python3 ../shared/tools/check_layers.py . ../shared/DESIGN.md && echo "1 passed, 0 failed"
}
run_suite "layer check (DESIGN.md)" layers
run_suite "deploy/ (kubeconform, hadolint)" scripts/check_deploy.sh
interop() { .venv/bin/python scripts/check_gguf_interop.py --ia-tests "$build/ia_tests" && echo "1 passed, 0 failed"; }
run_suite "GGUF interop (gguf-py)" interop
run_suite "wasm32 module" scripts/check_wasm32.sh "$build/ipfs-accelerate"
# JavaScript package: node --test's TAP summary as "N passed, N failed".
js_tests() {
  local out
  out=$(mktemp)
  node --test ipfs_accelerate_js/test/ >"$out" 2>&1
  local rc=$?
  cat "$out"
  local p f
  p=$(grep -E '^# pass [0-9]+$' "$out" | awk '{print $3}')
  f=$(grep -E '^# fail [0-9]+$' "$out" | awk '{print $3}')
  rm -f "$out"
  echo "${p:-0} passed, ${f:-1} failed"
  return $rc
}
if ls ipfs_accelerate_js/test/*.test.mjs >/dev/null 2>&1; then
  IA_CLI="$build/ipfs-accelerate" run_suite "JavaScript tests (node --test)" js_tests
fi
if ls test/python/test_*.py >/dev/null 2>&1; then
  out=$(mktemp)
  echo "== Python tests"
  .venv/bin/python -m pytest -q test/python 2>&1 | tee "$out"
  rc=${PIPESTATUS[0]}
  p=$(grep -oE '[0-9]+ passed' "$out" | tail -n1 | awk '{print $1}')
  f=$(grep -oE '[0-9]+ (failed|error)' "$out" | awk '{s+=$1} END {print s+0}')
  p=${p:-0}
  [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
  echo "== Python tests: $p passed, $f failed"
  passed=$((passed + p)); failed=$((failed + f))
  rm -f "$out"
fi

echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
