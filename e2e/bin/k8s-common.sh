# shellcheck shell=bash
# Settings and helpers for helm.sh and k8s-control-plane.sh. Sourced, not executed; expects $HERE
# (the directory of the sourcing script, e2e/bin).
K8S_VERSION=1.20.2

# Everything these scripts build or download lives under one cache directory.
: "${STRAIT_K8S_CACHE:=${XDG_CACHE_HOME:-$HOME/.cache}/strait-k8s}"
# kube-apiserver + kube-controller-manager built by k8s-apiserver.sh
: "${K8S_BIN_DIR:=$STRAIT_K8S_CACHE/$K8S_VERSION}"
K8S_BIN_DIR=$(realpath -m "$K8S_BIN_DIR")

log() { printf '[%s] %s\n' "${0##*/}" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ensure_packages PKG... : install the Debian packages that are missing.
# Runs apt-get only when at least one package is not installed yet, and waits
# for the dpkg lock if another apt run (a parallel job, unattended upgrades)
# holds it.
ensure_packages() {
    local missing=() p
    for p in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
            missing+=("$p")
        fi
    done
    [ "${#missing[@]}" -eq 0 ] && return 0
    command -v apt-get >/dev/null || die "missing Debian packages ${missing[*]} and no apt-get"
    [ "$(id -u)" -eq 0 ] || die "missing Debian packages ${missing[*]}; install them as root"
    log "installing missing packages: ${missing[*]}"
    local apt_opts=(-o DPkg::Lock::Timeout=600 -o Dpkg::Use-Pty=0)
    if ! DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" install -y \
            --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
        DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" update -qq >/dev/null \
            || die "apt-get update failed"
        DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" install -y -q \
            --no-install-recommends "${missing[@]}" >&2 \
            || die "apt-get install ${missing[*]} failed"
    fi
}

# have_k8s_bins DIR : DIR holds both binaries built by k8s-apiserver.sh
have_k8s_bins() {
    [ -x "$1/kube-apiserver" ] && [ -x "$1/kube-controller-manager" ]
}

# ensure_k8s_bins : build the binaries into $K8S_BIN_DIR unless they are there (k8s-apiserver.sh builds both)
ensure_k8s_bins() {
    have_k8s_bins "$K8S_BIN_DIR" && return 0
    log "no kube-apiserver in $K8S_BIN_DIR yet; building it (4 to 8 minutes on 2 cores)"
    STRAIT_K8S_CACHE="$STRAIT_K8S_CACHE" bash "$HERE/k8s-apiserver.sh" >/dev/null
}
