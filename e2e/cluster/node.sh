# shellcheck shell=bash
# Node N of the local cluster: network namespace strait-nN on the bridge, a private mount namespace, and in it
# containerd (own root, state and socket), kubelet and kube-proxy (iptables mode). Sourced by cluster.sh.
#
# Why a mount namespace: kubelet 1.20 writes to hard-coded paths (/var/log/pods, /var/lib/kubelet/device-plugins,
# which it wipes at start) and sets global sysctls (kernel.panic_on_oops=1 would turn any oops on a shared machine
# into a reboot). Each node bind-mounts its own directories and shadows those sysctl files; every mount goes away
# with the node's last process.

node_up() {
    local n=$1 ns ip d c
    ns=$(node_ns "$n") ip=$(node_ip "$n") d=$(node_dir "$n")
    mkdir -p "$d"/{run,varlog,varlibcni,device-plugins,sysctl,cni/net.d,cni-ipam,containerd,kubelet/pki,kubelet-plugins,runc}
    # network: veth strait-nNh (root namespace, on the bridge) <-> eth0 (node namespace)
    ip netns add "$ns"
    ip link add "${ns}h" type veth peer name eth0 netns "$ns"
    ip link set "${ns}h" master "$BRIDGE" up
    ip -n "$ns" addr add "$ip/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" link set lo up
    ip -n "$ns" route add default via "$BRIDGE_IP"
    # control-plane replies to pod addresses stay on the bridge instead of taking the root namespace's default route
    ip route replace "$(pod_cidr "$n")" via "$ip" dev "$BRIDGE"
    local m
    for m in $(seq "$STRAIT_CLUSTER_NODES"); do
        [ "$m" = "$n" ] || ip -n "$ns" route replace "$(pod_cidr "$m")" via "$(node_ip "$m")"
    done
    ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1
    # kubelet's cgroup root must exist in every v1 hierarchy before it starts (cgroupfs driver)
    for c in /sys/fs/cgroup/*/; do
        case $c in */unified/ | */systemd/) continue ;; esac
        mkdir -p "$c$ns"
        if [ -f "${c}cpuset.cpus" ]; then
            cat "${c}cpuset.cpus" >"$c$ns/cpuset.cpus"
            cat "${c}cpuset.mems" >"$c$ns/cpuset.mems"
        fi
    done
    mkdir -p /sys/fs/cgroup/systemd/"$ns" 2>/dev/null || true
    containerd_config "$n" >"$d/containerd/config.toml"
    cat >"$d/cni/net.d/10-strait.conflist" <<EOC
{ "cniVersion": "0.4.0", "name": "strait-$ns",
  "plugins": [
    { "type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": false, "hairpinMode": true,
      "ipam": { "type": "host-local", "dataDir": "$d/cni-ipam",
                "ranges": [[{ "subnet": "$(pod_cidr "$n")" }]], "routes": [{ "dst": "0.0.0.0/0" }] } },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ] }
EOC
    printf '1\n' >"$d/sysctl/overcommit_memory"
    printf '0\n' >"$d/sysctl/panic_on_oom"
    printf '10\n' >"$d/sysctl/panic"
    printf '1\n' >"$d/sysctl/panic_on_oops"
    cat >"$d/enter.sh" <<EOI
set -e
mount --bind $d/run /run
mount --bind $d/varlog /var/log
mkdir -p /var/lib/cni /var/lib/kubelet/device-plugins
mount --bind $d/varlibcni /var/lib/cni
mount --bind $d/device-plugins /var/lib/kubelet/device-plugins
mount --bind $d/sysctl/overcommit_memory /proc/sys/vm/overcommit_memory
mount --bind $d/sysctl/panic_on_oom /proc/sys/vm/panic_on_oom
mount --bind $d/sysctl/panic /proc/sys/kernel/panic
mount --bind $d/sysctl/panic_on_oops /proc/sys/kernel/panic_on_oops
exec containerd --config $d/containerd/config.toml
EOI
    # nsenter, not "ip netns exec": that remounts /sys and would hide the cgroup mounts kubelet needs
    launch containerd "$d" unshare --mount --propagation private nsenter --net="/run/netns/$ns" bash "$d/enter.sh"
    wait_for 30 "containerd of $ns" ctr --address "$d/containerd/containerd.sock" version ||
        { tail "$d/containerd.log" >&2; die "containerd of $ns did not start"; }
    local f
    for f in "$IMAGES"/*.tar; do
        ctr --address "$d/containerd/containerd.sock" -n k8s.io images import "$f" >>"$d/images.log" 2>&1 ||
            die "importing $f into $ns failed (log: $d/images.log)"
    done
    local pid
    pid=$(cat "$d/containerd.pid")
    launch kubelet "$d" nsenter -t "$pid" -m -n -- "$K8S_BIN_DIR/kubelet" \
        --kubeconfig="$CP/node-$n.kubeconfig" --root-dir="$d/kubelet" --cert-dir="$d/kubelet/pki" \
        --container-runtime=remote --container-runtime-endpoint="unix://$d/containerd/containerd.sock" \
        --image-service-endpoint="unix://$d/containerd/containerd.sock" --runtime-request-timeout=10m \
        --cgroup-driver=cgroupfs --cgroup-root="/$ns" --cgroups-per-qos=true \
        --fail-swap-on=false --hostname-override="$ns" --node-ip="$ip" \
        --address="$ip" --port=10250 --read-only-port=0 --healthz-bind-address=127.0.0.1 --healthz-port=10248 \
        --pod-infra-container-image="$IMG_PAUSE" --volume-plugin-dir="$d/kubelet-plugins" \
        --eviction-hard='memory.available<100Mi,nodefs.available<1%,imagefs.available<1%,nodefs.inodesFree<1%' \
        --image-gc-high-threshold=100 --image-gc-low-threshold=99 --max-pods=50 --v=1
    launch kube-proxy "$d" nsenter -t "$pid" -m -n -- "$K8S_BIN_DIR/kube-proxy" \
        --kubeconfig="$S/kubeconfig" --hostname-override="$ns" --bind-address="$ip" \
        --cluster-cidr="$CLUSTER_CIDR" --proxy-mode=iptables --masquerade-all=false \
        --conntrack-max-per-core=0 --conntrack-tcp-timeout-established=0 --conntrack-tcp-timeout-close-wait=0 \
        --healthz-bind-address=127.0.0.1:10256 --metrics-bind-address=127.0.0.1:10249 --v=1
}

containerd_config() {
    local d
    d=$(node_dir "$1")
    cat <<EOC
version = 2
root = "$d/containerd/root"
state = "$d/containerd/state"
[grpc]
  address = "$d/containerd/containerd.sock"
[ttrpc]
  address = "$d/containerd/containerd.sock.ttrpc"
[debug]
  address = "$d/containerd/debug.sock"
[plugins."io.containerd.internal.v1.opt"]
  path = "$d/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$IMG_PAUSE"
  netns_mounts_under_state_dir = true
  # without CAP_SYS_RESOURCE (this kind of VM), runc cannot set an oom_score_adj below containerd's own
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$d/cni/net.d"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "/usr/bin/runc"
        Root = "$d/runc"
        SystemdCgroup = false
EOC
}

node_down() {
    local n=$1 ns d sock t pid c
    ns=$(node_ns "$n") d=$(node_dir "$n")
    sock=$d/containerd/containerd.sock
    for p in kubelet kube-proxy; do alive "$d/$p.pid" && kill "$(cat "$d/$p.pid")"; done
    if alive "$d/containerd.pid"; then
        for t in $(ctr --address "$sock" -n k8s.io tasks ls -q 2>/dev/null); do
            ctr --address "$sock" -n k8s.io tasks kill -s KILL "$t" >/dev/null 2>&1
        done
        sleep 1
        pid=$(cat "$d/containerd.pid")
        kill "$pid"
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    fi
    # shims re-parent to init; only this node's
    for pid in $(pgrep -f "containerd-shim-runc-v2 .*-address $sock" || true); do kill -9 "$pid" 2>/dev/null; done
    for pid in $(pgrep -f "$d/" || true); do kill -9 "$pid" 2>/dev/null; done
    sleep 0.5
    for c in /sys/fs/cgroup/*/"$ns"; do
        [ -d "$c" ] && find "$c" -depth -type d -exec rmdir {} + 2>/dev/null
    done
    ip route del "$(pod_cidr "$n")" 2>/dev/null
    ip netns del "$ns" 2>/dev/null
    for _ in $(seq 50); do ip link show "${ns}h" >/dev/null 2>&1 || break; sleep 0.2; done
    return 0
}
