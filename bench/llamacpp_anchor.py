"""llamacpp_anchor.py — builds bench/llamacpp_eval.c against the static
llama.cpp that scripts/setup_llamacpp.sh builds (build-anchors/llama.cpp),
for bench/llm_agreement and bench/llm_vs_llamacpp."""
import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LCPP = os.path.join(ROOT, "build-anchors", "llama.cpp")
LSRC = os.path.join(ROOT, "build-anchors", "llama.cpp-src")


def build_anchor():
    exe = os.path.join(LCPP, "bin", "llamacpp_eval")
    src = os.path.join(ROOT, "bench", "llamacpp_eval.c")
    header = os.path.join(ROOT, "bench", "llm_eval_common.h")
    if os.path.exists(exe) and os.path.getmtime(exe) > max(os.path.getmtime(src), os.path.getmtime(header)):
        return exe
    # llama.cpp is built static (scripts/setup_llamacpp.sh): link its
    # archives, with the C++ runtime and OpenMP that ggml-cpu uses.
    obj = exe + ".o"
    subprocess.run(["cc", "-O2", "-std=c11", "-D_POSIX_C_SOURCE=200809L", "-c", src, "-o", obj, "-I", os.path.join(LSRC, "include"),
                    "-I", os.path.join(LSRC, "ggml", "include")], check=True)
    libs = [os.path.join(LCPP, p) for p in ("src/libllama.a", "ggml/src/libggml.a", "ggml/src/libggml-cpu.a",
                                             "ggml/src/libggml-base.a")]
    cmd = ["c++", obj, "-o", exe, "-Wl,--start-group", *libs, "-Wl,--end-group", "-fopenmp", "-lpthread", "-lm"]
    subprocess.run(cmd, check=True)
    return exe
