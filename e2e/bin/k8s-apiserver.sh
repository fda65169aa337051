#!/usr/bin/env bash
# Gives the operator's API-level tests a real Kubernetes API server (v1.20.2) without downloads
# from outside the Debian archive, and prints a KUBE_API_TEST_DIR for fabric8 kube-api-test.
#
# Usage: e2e/bin/k8s-apiserver.sh [KUBE_API_TEST_DIR]
#   1. if ${STRAIT_K8S_CACHE:-$HOME/.cache/strait-k8s}/1.20.2 lacks a binary, builds kube-apiserver,
#      kube-controller-manager, kube-scheduler, kubelet, kube-proxy and kubectl from Debian bookworm's
#      "kubernetes" source package with Debian's Go 1.19: 5-9 minutes, 2 GB of memory, 3 GB free in
#      $TMPDIR (the node binaries serve the real-cluster harness, e2e/bin/cluster.sh);
#   2. lays out KUBE_API_TEST_DIR/k8s/1.20.2-linux-amd64/{kube-apiserver,etcd,kubectl} as symlinks
#      (default KUBE_API_TEST_DIR: $STRAIT_K8S_CACHE/kube-api-test) and prints its path on stdout.
# Progress goes to stderr. Root is needed only to install missing Debian packages.
#
# Example: export KUBE_API_TEST_DIR=$(e2e/bin/k8s-apiserver.sh)
set -euo pipefail

K8S_VERSION=1.20.2
UPSTREAM_VERSION=1.20.5+really1.20.2     # Debian's version string for the v1.20.2 tree
ORIG=kubernetes_${UPSTREAM_VERSION}.orig.tar.gz
ORIG_SHA256=b83c0780efb182d928dc63d46488a847f161f04e40a94b96bf5247dd671ecdfc
GO_PKG=golang-1.19-go
GO_BIN=/usr/lib/go-1.19/bin
# The vendored reflect2 v1.0.1 breaks with Go >= 1.18 (SIGSEGV in runtime.mapiterinit when a custom
# resource is decoded): swap it and json-iterator for Debian's newer copies. "module-suffix package"
SWAPS=("modern-go/reflect2 golang-github-modern-go-reflect2-dev"
       "json-iterator/go golang-github-json-iterator-go-dev")

CACHE=${STRAIT_K8S_CACHE:-$HOME/.cache/strait-k8s}
BIN_DIR=$CACHE/$K8S_VERSION
TEST_DIR=$(realpath -m "${1:-$CACHE/kube-api-test}")

log() { printf '[k8s-apiserver] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
case "${1:-}" in -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;; esac

need_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || die "install as root: ${missing[*]}"
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}" >&2 || {
    apt-get -o DPkg::Lock::Timeout=600 update -qq >&2
    apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}" >&2
  }
}

# Control plane for the API tests, plus the node binaries for the real-cluster harness (e2e/bin/cluster.sh).
BINARIES=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl)
built() { local b; for b in "${BINARIES[@]}"; do [ -x "$BIN_DIR/$b" ] || return 1; done; }

# deb-src entries derived from the Debian "deb" entries apt already uses, in private lists
# (the system's apt configuration and lists stay untouched).
fetch_source() {
  local tmp=$1 list=$1/apt/sources.list parts=$1/apt/parts lists=$1/apt/lists f v
  mkdir -p "$parts" "$lists/partial" "$tmp/src"
  : > "$list"
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk 'BEGIN { RS="" }
         /(^|\n)Types:[^\n]*deb/ && /(^|\n)URIs:[^\n]*debian/ && !/(^|\n)Enabled: *no/ {
           n = split($0, L, "\n"); s = ""
           for (i = 1; i <= n; i++) { if (L[i] ~ /^#/) continue; if (L[i] ~ /^Types:/) L[i] = "Types: deb-src"; s = s L[i] "\n" }
           printf "%s\n", s }' "$f" >> "$parts/debian.sources"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] && sed -n -E 's/^[[:space:]]*deb[[:space:]]+(.*debian.*)$/deb-src \1/p' "$f" >> "$list"
  done
  if [ "$(id -u)" -eq 0 ] && id _apt >/dev/null 2>&1; then
    chmod 755 "$tmp" "$tmp/apt"; chown _apt "$lists/partial" "$tmp/src"
  fi
  local o=(-o "Dir::Etc::SourceList=$list" -o "Dir::Etc::SourceParts=$parts" -o "Dir::State::Lists=$lists" -o Dpkg::Use-Pty=0)
  apt-get "${o[@]}" update >"$tmp/apt.log" 2>&1 || log "apt-get update reported errors; trying anyway"
  for v in $(apt-cache "${o[@]}" showsrc --only-source kubernetes 2>/dev/null | sed -n 's/^Version: //p' |
             grep -F "$UPSTREAM_VERSION-" | sort -ruV); do
    log "downloading source package kubernetes $v"
    (cd "$tmp/src" && apt-get "${o[@]}" source --download-only --only-source "kubernetes=$v") >>"$tmp/apt.log" 2>&1 && return 0
  done
  tail -n 20 "$tmp/apt.log" >&2
  die "cannot download Debian source package kubernetes $UPSTREAM_VERSION-*"
}

swap_vendored() {
  local suffix=$1 pkg=$2 src dst old new
  src=$(dpkg -L "$pkg" | grep -E "^/usr/share/gocode/src/.*/$suffix\$" | head -n 1 || true)
  dst=$(find vendor -type d -path "vendor/*/$suffix" -print -quit)
  [ -d "$src" ] && [ -n "$dst" ] || die "cannot swap vendored $suffix"
  old=$(sed -n -E "s#^\# [^ ]*/$suffix (v[^ ]+).*#\1#p" vendor/modules.txt | head -n 1)
  new=$(dpkg-query -W -f='${Version}' "$pkg"); new=${new#*:}; new=v${new%%-*}
  log "vendor: $suffix $old -> $new"
  rm -rf "$dst"; cp -r "$src" "$dst"; find "$dst" -name '*_test.go' -delete
  sed -i -E "s#(/$suffix) ${old//./\\.}( |\$)#\\1 $new\\2#g" go.mod vendor/modules.txt
}

build() {
  mkdir -p "$BIN_DIR"
  exec 9>"$BIN_DIR/.build.lock"
  flock 9                       # a concurrent build into the same dir finishes first
  built && return 0
  need_packages "$GO_PKG" make rsync gcc libc6-dev "${SWAPS[@]##* }"
  local tmp; tmp=$(mktemp -d "${TMPDIR:-/tmp}/strait-k8s-build.XXXXXX")
  trap 'chmod -R u+w "'"$tmp"'" 2>/dev/null; rm -rf "'"$tmp"'"' EXIT
  fetch_source "$tmp"
  echo "$ORIG_SHA256  $tmp/src/$ORIG" | sha256sum -c --quiet - >/dev/null || die "$ORIG does not match the pinned SHA-256"
  tar -xzf "$tmp/src/$ORIG" -C "$tmp"     # only the upstream tree: Debian's patches touch kubectl only
  cd "$tmp/kubernetes-$K8S_VERSION"
  local s
  for s in "${SWAPS[@]}"; do
    # shellcheck disable=SC2086
    swap_vendored $s
  done
  log "building ${BINARIES[*]} (5-9 minutes; log: $BIN_DIR/build.log)"
  if ! (unset GOFLAGS GOOS GOARCH GOROOT GOBIN
        export PATH="$GO_BIN:$PATH" HOME="$tmp/home" GOPROXY=off KUBE_GIT_VERSION="v$K8S_VERSION" \
               KUBE_GIT_MAJOR=1 KUBE_GIT_MINOR=20 KUBE_GIT_TREE_STATE=archive
        mkdir -p "$HOME"
        make WHAT="${BINARIES[*]/#/cmd/}") >"$BIN_DIR/build.log" 2>&1; then
    tail -n 30 "$BIN_DIR/build.log" >&2
    die "build failed; see $BIN_DIR/build.log"
  fi
  local out=_output/bin
  [ "$("$out/kube-apiserver" --version)" = "Kubernetes v$K8S_VERSION" ] || die "built kube-apiserver reports another version"
  for s in "${BINARIES[@]}"; do
    install -m 0755 "$out/$s" "$BIN_DIR/.$s.new" && mv -f "$BIN_DIR/.$s.new" "$BIN_DIR/$s"
  done
  cd / 
}

built || build
[ -x /usr/bin/etcd ] || need_packages etcd-server
KUBECTL=$(command -v kubectl || true)
if [ -z "$KUBECTL" ]; then need_packages kubernetes-client; KUBECTL=/usr/bin/kubectl; fi

# kube-api-test looks for k8s/<version>-<os>-<arch>/ under KUBE_API_TEST_DIR
LAYOUT=$TEST_DIR/k8s/$K8S_VERSION-linux-amd64
mkdir -p "$LAYOUT"
ln -sfn "$BIN_DIR/kube-apiserver" "$LAYOUT/kube-apiserver"
ln -sfn /usr/bin/etcd "$LAYOUT/etcd"
ln -sfn "$(realpath -s "$KUBECTL")" "$LAYOUT/kubectl"
echo "$TEST_DIR"
