#!/usr/bin/env bash
# A real Kubernetes 1.20.2 cluster on this machine for the real-cluster tests and `demo.sh --cluster`: two (or
# STRAIT_CLUSTER_NODES) nodes, each a kubelet with its own containerd in its own network and mount namespace,
# kube-proxy in iptables mode, the bridge CNI plugin, and the control plane in the root namespace. No registry:
# base images come from debootstrap, the project's images from its Dockerfiles built with buildah.
#
# Usage: e2e/bin/cluster.sh up|prepare|down|status|images|install-chart [RELEASE NAMESPACE]|site up|down
#   up             installs Debian packages, builds what is missing (Kubernetes binaries into ~/.cache/strait-k8s,
#                  base images into ~/.cache/strait-cluster), builds the Strait images from the working tree, starts
#                  the control plane and the nodes, waits until every node is Ready, prints the kubeconfig path.
#                  First run on a bare machine: about 12 minutes; later runs: 2-3 minutes.
#   prepare        only what `up` builds once: packages, Kubernetes binaries, base images (CI runs it in the
#                  background while the unit tests run; `up` waits for it on the same lock).
#   down           stops everything `up` started and removes its namespaces, links, routes, cgroups and mounts.
#   status         exit 0 when the API server answers and every node is Ready.
#   images         (re)builds the Strait images and imports them into the running nodes.
#   install-chart  helm install of helm/strait with the local images (default release strait, namespace
#                  strait-system), waits for the operator.
#   site up|down   the remote site: namespace strait-remote on the bridge (10.210.0.100, for a strongSwan peer)
#                  with LANs 10.30.K.0/24 and a LAN host strait-lanhost (10.30.0.10) behind it.
# Root only. State lives in /var/tmp/strait-cluster (STRAIT_CLUSTER_DIR); the kubeconfig is
# /var/tmp/strait-cluster/kubeconfig. Nodes: 10.210.0.1N on bridge strait-k8s0, pods 10.244.N.0/24.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../cluster/env.sh"
. "$HERE/../cluster/images.sh"
. "$HERE/../cluster/control-plane.sh"
. "$HERE/../cluster/node.sh"
. "$HERE/../cluster/remote-site.sh"

case "${1:-}" in -h | --help | "") sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;; esac
[ "$(id -u)" -eq 0 ] || die "run as root (network and mount namespaces, containerd)"
REPO=$(cd "$HERE/../.." && pwd)
mkdir -p "$S" "$C"
exec 8>"$S.lock"
flock 8

timed() { # NAME CMD... : runs a step and records how long it took
    local name=$1 start=$SECONDS
    shift
    "$@"
    echo "$name $((SECONDS - start))" >>"$S/times"
    log "$name: $((SECONDS - start)) s"
}

prerequisites() {
    ensure_packages containerd runc containernetworking-plugins buildah debootstrap iptables etcd-server openssl \
        curl gcc libc6-dev
    [ -e /dev/net/tun ] || modprobe tun || die "no /dev/net/tun: the gateway pods need the tun module"
    STRAIT_K8S_CACHE=$STRAIT_K8S_CACHE bash "$HERE/k8s-apiserver.sh" >/dev/null
    bash "$HERE/helm.sh" version --short >/dev/null
}

nodes_ready() {
    local ready
    ready=$(kubectl_ get nodes --no-headers 2>/dev/null | awk '$2 == "Ready"' | wc -l)
    [ "$ready" -ge "$STRAIT_CLUSTER_NODES" ]
}

up() {
    if alive "$CP/kube-apiserver.pid" && nodes_ready; then
        log "already up"
        echo "$S/kubeconfig"
        return 0
    fi
    down_quietly
    : >"$S/times"
    local total=$SECONDS n
    timed prerequisites prerequisites
    timed base-images base_images
    timed strait-images strait_images
    timed export-images export_images
    timed control-plane control_plane_up
    for n in $(seq "$STRAIT_CLUSTER_NODES"); do timed "node-$n" node_up "$n"; done
    timed nodes-ready wait_for 180 "nodes Ready" nodes_ready || { kubectl_ get nodes >&2 || true; die "nodes not Ready"; }
    # pods get a service account only once the controller manager has made the default one
    wait_for 60 "default service account" kubectl_ get serviceaccount default
    echo "up $((SECONDS - total))" >>"$S/times"
    log "cluster up in $((SECONDS - total)) s: $(kubectl_ get nodes --no-headers | awk '{print $1}' | tr '\n' ' ')"
    echo "$S/kubeconfig"
}

images() {
    local n
    strait_images
    export_images
    for n in $(seq "$STRAIT_CLUSTER_NODES"); do
        alive "$(node_dir "$n")/containerd.pid" || continue
        for f in "$IMAGES"/strait-*.tar; do
            ctr --address "$(node_dir "$n")/containerd/containerd.sock" -n k8s.io images import "$f" >/dev/null
        done
    done
}

install_chart() {
    local release=${1:-strait} ns=${2:-strait-system}
    bash "$HERE/helm.sh" upgrade --install "$release" "$REPO/helm/strait" --kubeconfig "$S/kubeconfig" \
        -n "$ns" --create-namespace --wait --timeout 5m \
        --set image.repository="${IMG_OPERATOR%:*}" --set image.tag="${IMG_OPERATOR##*:}" --set image.pullPolicy=Never \
        --set gateway.image.repository="${IMG_GATEWAY%:*}" --set gateway.image.tag="${IMG_GATEWAY##*:}"
}

down_quietly() {
    local n
    site_down
    for n in $(seq 9); do [ -d "$(node_dir "$n")" ] || ip netns list | grep -qw "$(node_ns "$n")" && node_down "$n"; done
    control_plane_down
    sleep 1
    # mounts a node namespace leaked to the root namespace (none normally: they die with the namespace)
    grep -F " $S/" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
    bah rm --all >/dev/null 2>&1 || true
    rm -rf "${S:?}"/n[0-9] "$S/images" "$CP/etcd-data"
}

status() {
    alive "$CP/kube-apiserver.pid" || { echo "down"; return 3; }
    kubectl_ get nodes -o wide
    nodes_ready
}

case "$1" in
up) up ;;
prepare) prerequisites; base_images; log "prepared: Kubernetes binaries and base images are cached" ;;
down) down_quietly; log "down" ;;
status) status ;;
images) images ;;
install-chart) shift; install_chart "$@" ;;
site) case "${2:-}" in up) bridge_up; site_up ;; down) site_down ;; *) die "site up|down" ;; esac ;;
*) die "unknown command $1 (up|prepare|down|status|images|install-chart|site)" ;;
esac
