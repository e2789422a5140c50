#!/usr/bin/env bash
# fetch_duckdb.sh — puts DuckDB's C API (include/duckdb.h + lib/libduckdb.so)
# into the git-ignored third_party/duckdb/, for the benchmark store
# (src/bench/store.c). Both come from DuckDB's official npm packages, fetched
# with `npm pack` (no install, no scripts run): duckdb@VER carries the header,
# @duckdb/node-bindings-linux-x64@VER-r.N the shared library built from the
# same DuckDB version. Idempotent: skips when the files and version match.
set -euo pipefail
cd "$(dirname "$0")/.."
DUCKDB_VERSION=1.4.4
BINDINGS_VERSION=1.4.4-r.4
want="duckdb $DUCKDB_VERSION bindings $BINDINGS_VERSION"
dest=third_party/duckdb
if [ -f "$dest/include/duckdb.h" ] && [ -f "$dest/lib/libduckdb.so" ] &&
   [ "$(cat "$dest/VERSION" 2>/dev/null)" = "$want" ]; then
  echo "fetch_duckdb: $want already in $dest"
  exit 0
fi
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) pkg=@duckdb/node-bindings-linux-x64 ;;
  Linux-aarch64) pkg=@duckdb/node-bindings-linux-arm64 ;;
  *) echo "fetch_duckdb: no prebuilt libduckdb for $(uname -s)-$(uname -m)" >&2; exit 1 ;;
esac
command -v npm >/dev/null || { echo "fetch_duckdb: npm is required" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "fetch_duckdb: npm pack duckdb@$DUCKDB_VERSION $pkg@$BINDINGS_VERSION"
(cd "$tmp" && npm pack --silent "duckdb@$DUCKDB_VERSION" "$pkg@$BINDINGS_VERSION" >/dev/null)
mkdir -p "$tmp/h" "$tmp/so"
tar -xzf "$tmp"/duckdb-"$DUCKDB_VERSION".tgz -C "$tmp/h" package/src/duckdb/src/include/duckdb.h
tar -xzf "$tmp"/duckdb-node-bindings-*-"$BINDINGS_VERSION".tgz -C "$tmp/so" package/libduckdb.so
rm -rf "$dest"
mkdir -p "$dest/include" "$dest/lib"
cp "$tmp/h/package/src/duckdb/src/include/duckdb.h" "$dest/include/duckdb.h"
cp "$tmp/so/package/libduckdb.so" "$dest/lib/libduckdb.so"
echo "$want" > "$dest/VERSION"
echo "fetch_duckdb: installed $want into $dest (include/duckdb.h, lib/libduckdb.so)"
