# shellcheck shell=bash
# Settings and helpers of the local cluster (e2e/bin/cluster.sh). Sourced; expects $HERE = e2e/bin.
#
# Layout: a Linux bridge in the root namespace is the cluster network. The control plane (etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler) runs in the root namespace on the bridge address. Each node is a network
# namespace hanging off the bridge with its own mount namespace, containerd, kubelet and kube-proxy. The root
# namespace never forwards (ip_forward stays as it is): nothing from a pod leaves the machine.
. "$HERE/k8s-common.sh"

: "${STRAIT_CLUSTER_DIR:=/var/tmp/strait-cluster}"          # state: pids, logs, node roots (gone after down)
: "${STRAIT_CLUSTER_CACHE:=${XDG_CACHE_HOME:-$HOME/.cache}/strait-cluster}"   # base images, buildah storage
: "${STRAIT_CLUSTER_NODES:=2}"
S=$STRAIT_CLUSTER_DIR
C=$STRAIT_CLUSTER_CACHE
CP=$S/control-plane
IMAGES=$S/images                                   # image archives that nodes import

BRIDGE=strait-k8s0
BRIDGE_IP=10.210.0.1
NET_PREFIX=10.210.0                                # node N: .1N, remote sites: .100 and up
SERVICE_CIDR=10.96.0.0/24
CLUSTER_CIDR=10.244.0.0/16
APISERVER_PORT=6443
ETCD_PORT=22379
ETCD_PEER_PORT=22380
KCM_PORT=10457
SCHEDULER_PORT=10459

# Image names: no registry is reachable, so everything is built here and imported with pullPolicy Never.
IMG_DEBIAN=strait.local/debian:bookworm-slim
IMG_TOOLS=strait.local/debian:bookworm-tools
IMG_JDK=strait.local/temurin:25-jdk
IMG_PAUSE=strait.local/pause:3.2
IMG_GATEWAY=strait.local/strait-gateway:dev
IMG_OPERATOR=strait.local/strait-operator:dev

node_ns() { echo "strait-n$1"; }
node_ip() { echo "$NET_PREFIX.1$1"; }
pod_cidr() { echo "10.244.$1.0/24"; }
node_dir() { echo "$S/n$1"; }

# buildah with storage in the cache: layers survive between runs, the system's /var/lib/containers stays untouched
bah() {
    mkdir -p "$C/buildah/tmp"
    TMPDIR=$C/buildah/tmp buildah --root "$C/buildah/root" --runroot "$S/buildah-run" --storage-driver overlay "$@"
}

kubectl_() { "$K8S_BIN_DIR/kubectl" --kubeconfig "$S/kubeconfig" "$@"; }

# launch NAME DIR CMD... : a detached process with its log and pid file in DIR
launch() {
    local name=$1 dir=$2
    shift 2
    (exec setsid "$@" </dev/null >"$dir/$name.log" 2>&1 8>&-) &   # 8: the lock of cluster.sh
    echo $! >"$dir/$name.pid"
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# wait_for SECONDS WHAT CMD... : poll CMD until it succeeds
wait_for() {
    local end=$((SECONDS + $1)) what=$2
    shift 2
    until "$@" >/dev/null 2>&1; do
        [ $SECONDS -lt $end ] || { log "timed out waiting for $what"; return 1; }
        sleep 0.5
    done
}

url_says() { [[ "$(curl -skf --max-time 2 "$1" 2>/dev/null)" == $2 ]]; }
