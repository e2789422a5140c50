#!/usr/bin/env bash
# fetch_cjson_src.sh — places the source of cJSON (cJSON.c, cJSON.h) in
# third_party/cjson-src, for builds that cannot link Debian's libcjson:
# the wasm32 module of scripts/check_wasm32.sh compiles it itself.
#
# The source is Debian's own source package of the libcjson-dev the native
# build links (same upstream release, with Debian's security patches
# applied), fetched with `apt-get source` — apt checks the signed Release
# file and the .dsc's checksums. The deb-src entries live in a private apt
# state under third_party/.apt-src, so the machine's apt sources are left
# as they are. Idempotent: a complete copy (marker .complete) is kept.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=third_party/cjson-src
if [ -f "$dest/.complete" ] && [ -f "$dest/cJSON.c" ] && [ -f "$dest/cJSON.h" ]; then
  exit 0
fi
command -v dpkg-source >/dev/null || {
  echo "fetch_cjson_src: dpkg-source (package dpkg-dev) is needed to unpack the source" >&2; exit 1; }
# The suite this machine installs from (bookworm, trixie, ...), so that the
# source matches the installed library.
. /etc/os-release
suite=${VERSION_CODENAME:?fetch_cjson_src: /etc/os-release names no release}
state=$PWD/third_party/.apt-src
rm -rf "$state" "$dest"
mkdir -p "$state/lists/partial" "$state/cache/archives/partial" "$state/src"
cat >"$state/sources.list" <<EOF
deb-src http://deb.debian.org/debian $suite main
deb-src http://deb.debian.org/debian-security $suite-security main
EOF
apt_opts=(-o "Dir::Etc::SourceList=$state/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
          -o "Dir::State::Lists=$state/lists" -o "Dir::Cache=$state/cache"
          -o "APT::Sandbox::User=root")
echo "fetch_cjson_src: apt-get source cjson ($suite)"
apt-get "${apt_opts[@]}" -qq update
# The version of the installed libcjson-dev when there is one, else the newest.
want=cjson
ver=$(dpkg-query -W -f='${Version}' libcjson-dev 2>/dev/null || true)
[ -n "$ver" ] && apt-cache "${apt_opts[@]}" showsrc "cjson=$ver" >/dev/null 2>&1 && want="cjson=$ver"
(cd "$state/src" && apt-get "${apt_opts[@]}" -qq source "$want" >/dev/null)
tree=$(find "$state/src" -maxdepth 1 -mindepth 1 -type d -name 'cjson-*' | head -n 1)
[ -f "$tree/cJSON.c" ] || { echo "fetch_cjson_src: no cJSON.c in the source package" >&2; exit 1; }
mkdir -p "$dest"
cp "$tree/cJSON.c" "$tree/cJSON.h" "$tree/LICENSE" "$dest/"
ls "$state/src"/*.dsc | sed 's|.*/||' >"$dest/SOURCE"
rm -rf "$state"
touch "$dest/.complete"
echo "fetch_cjson_src: $(cat "$dest/SOURCE") -> $dest"
