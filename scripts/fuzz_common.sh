# fuzz_common.sh — sourced by scripts/fuzz_*.sh: the toolchain and the
# flags every libFuzzer target of the project is built with.
#
#   fuzz_init NAME   cd to the repository root; FUZZ_OUT (build-fuzz) and its
#                    artifacts/ folder; clang and the compiler-rt libFuzzer
#                    runtime installed with apt-get if missing (idempotent)
#   FUZZ_CFLAGS      clang flags: C11, -O1 -g, libFuzzer + ASan + UBSan (UBSan
#                    aborts on the first finding), -Werror, the include paths
#   fuzz_library     builds the whole core as build-fuzz/lib/libipfs_accelerate.a
#                    with the same sanitizers (CMake, so the SIMD kernel files
#                    get their ISA flags) and -DIA_NO_MMAP (files are read into
#                    heap blocks of their exact size, so ASan sees a read past
#                    a file's end); FUZZ_LIBS: what a target links with
#
# Not executable on its own.

fuzz_as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
        echo "$FUZZ_NAME: need root to run: $*" >&2; return 1; fi
}

fuzz_init() {
    FUZZ_NAME=$1
    cd "$(dirname "${BASH_SOURCE[0]}")/.."
    FUZZ_OUT=build-fuzz
    mkdir -p "$FUZZ_OUT/artifacts"
    export LC_ALL=C # ${#s} counts bytes in the seed writers

    if ! command -v clang >/dev/null; then
        echo "$FUZZ_NAME: installing clang"
        fuzz_as_root apt-get update -qq
        fuzz_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang >/dev/null
    fi
    local probe
    probe=$(mktemp -d)
    echo 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }' \
        >"$probe/p.c"
    if ! clang -fsanitize=fuzzer "$probe/p.c" -o "$probe/p" 2>/dev/null; then
        local major
        major=$(clang -dumpversion | cut -d. -f1)
        echo "$FUZZ_NAME: installing libclang-rt-$major-dev (libFuzzer runtime)"
        fuzz_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "libclang-rt-$major-dev" >/dev/null
    fi
    rm -rf "$probe"
}

FUZZ_CFLAGS=(-std=c11 -g -O1 -fno-omit-frame-pointer
             -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
             -Wall -Wextra -Werror -Iinclude -Isrc -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L
             -DIA_VERSION_STRING='"fuzz"')

fuzz_library() {
    local dir=$FUZZ_OUT/lib
    # fuzzer-no-link: coverage for libFuzzer, its runtime linked by the target.
    # IA_WERROR off: the project's -Werror is kept for gcc, this is clang.
    cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang \
        -DIA_SANITIZE=ON -DIA_WERROR=OFF -DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link -DIA_NO_MMAP" >/dev/null
    cmake --build "$dir" --target ipfs_accelerate_static >/dev/null
    FUZZ_LIBS=("$dir/libipfs_accelerate.a" -lcjson third_party/duckdb/lib/libduckdb.so
               -Wl,-rpath,"$PWD/third_party/duckdb/lib" -lpthread -lm)
}
