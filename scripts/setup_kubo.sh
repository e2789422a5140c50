#!/usr/bin/env bash
# setup_kubo.sh — builds kubo v0.43.1's `ipfs` into .tools/bin (git-ignored)
# for bench/add_vs_kubo and as a second oracle of test/unixfs_oracle/check.mjs.
# Not part of `make test`: it takes ~10 minutes of CPU once. Idempotent.
#
# Why not `go install github.com/ipfs/kubo/cmd/ipfs@v0.43.1`: kubo's go.mod
# carries a replace directive (go-libp2p => a fork, lidel/go-libp2p), which
# `go install pkg@version` refuses, and the fork's pseudo-version is not on
# the Go module proxy. So the module is downloaded from the proxy and built
# in a copy with the replace dropped: upstream go-libp2p v0.49.0 instead,
# with quic-go v0.60.0 and webtransport-go v0.11.1 (the versions go-libp2p
# v0.49.0 was released against; kubo's newer ones need the fork). Only the
# networking stack differs from the release binary; the UnixFS importer
# (boxo v0.43.0), chunker and CID code are kubo's own, which is all
# `ipfs add --only-hash` runs.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=v0.43.1
BIN=${KUBO_BIN:-$PWD/.tools/bin/ipfs}   # KUBO_BIN: build elsewhere (to try this script)
GO=$(command -v go || echo /usr/local/go/bin/go)
if [ -x "$BIN" ] && "$BIN" version 2>/dev/null | grep -q "ipfs version ${VERSION#v}"; then
  echo "setup_kubo: $BIN is kubo $VERSION"
  exit 0
fi
echo "setup_kubo: building kubo $VERSION into $BIN (about 10 minutes)"
src=$("$GO" mod download -json "github.com/ipfs/kubo@$VERSION" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')
work=$(mktemp -d)
trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
cp -r "$src/." "$work/"
chmod -R u+w "$work"
mkdir -p "$(dirname "$BIN")"
(
  cd "$work"
  "$GO" mod edit -dropreplace github.com/libp2p/go-libp2p \
    -replace github.com/quic-go/quic-go=github.com/quic-go/quic-go@v0.60.0 \
    -replace github.com/quic-go/webtransport-go=github.com/quic-go/webtransport-go@v0.11.1
  # -p 1 and nice: the machine keeps a core for everything else
  nice -n 19 "$GO" build -mod=mod -p 1 -o "$BIN" ./cmd/ipfs
)
"$BIN" version
