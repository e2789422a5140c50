# Two commands for a fresh machine:
#   make run   — set up, build, embed a few sentences with all-MiniLM-L6-v2
#   make test  — set up, build (also with ASan+UBSan, and the tests with
#                ThreadSanitizer), run every test
# Setup is idempotent: scripts/setup.sh installs what running needs (build
# tools, libcjson, DuckDB, the model); scripts/setup_test.sh adds what only
# the tests need (clang + wasm32 toolchain, node, chromium, pytest, ...).

BUILD ?= build
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
CMAKE_GEN := $(shell command -v ninja >/dev/null 2>&1 && echo "-G Ninja")

.PHONY: all setup setup-test build build-asan build-tsan build-js run test bench clean

all: build

setup:
	@scripts/setup.sh

setup-test: setup
	@scripts/setup_test.sh

build: setup
	@cmake -S . -B $(BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(BUILD)

build-asan: setup
	@cmake -S . -B $(ASAN_BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DIA_SANITIZE=ON >/dev/null
	@cmake --build $(ASAN_BUILD)

# ThreadSanitizer: only the test binary (run_tests.sh runs the threaded tests).
build-tsan: setup
	@cmake -S . -B $(TSAN_BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DIA_TSAN=ON >/dev/null
	@cmake --build $(TSAN_BUILD) --target ia_tests

run: build
	$(BUILD)/ipfs-accelerate embed --device cpu \
	  "The quick brown fox jumps over the lazy dog." \
	  "A fast auburn fox leaps above a sleepy hound." \
	  "Quantum chromodynamics describes the strong interaction."

# The C core in WebAssembly for the JavaScript SDK (emscripten; incremental).
build-js: setup-test
	@scripts/build_js.sh

test: setup-test build build-asan build-tsan build-js
	@scripts/run_tests.sh $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD)

# Anchor comparisons (installs torch, sentence-transformers, onnxruntime;
# builds llama.cpp's tools and kubo, about 5-20 minutes once).
bench: build
	@scripts/setup_anchors.sh
	@scripts/setup_llamacpp.sh
	@.venv/bin/python bench/embed_vs_anchors
	@.venv/bin/python bench/llm_vs_llamacpp
	@.venv/bin/python bench/llm_agreement
	@.venv/bin/python bench/serve_load
	@.venv/bin/python bench/fetch_loopback
	@scripts/setup_kubo.sh
	@bench/add_vs_kubo

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD) build-js ipfs_accelerate_js/worker/wasm/dist
