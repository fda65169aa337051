# shellcheck shell=bash
# A "remote site" on the cluster network: namespace strait-remote (10.210.0.100 on the bridge, where a strongSwan
# peer runs) with LAN subnets 10.30.K.0/24 (K = 0..REMOTE_LANS-1, gateway address 10.30.K.1), and a LAN host
# namespace strait-lanhost (10.30.0.10) behind it. The remote site routes the pod CIDRs to the nodes, as a
# router on the nodes' network would. Sourced by cluster.sh.
REMOTE_NS=strait-remote
REMOTE_IP=$NET_PREFIX.100
LANHOST_NS=strait-lanhost
LANHOST_IP=10.30.0.10
: "${REMOTE_LANS:=4}"

site_up() {
    local n k
    site_down
    ip netns add "$REMOTE_NS"
    # A fixed MAC, and the nodes forget the one they knew: a kept cluster's nodes would otherwise send to the
    # previous site's MAC (a STALE neighbor entry) until ARP gives up on it, ~15 s in which every IKE message of a
    # gateway that had not talked to the site in this run is lost.
    ip link add strait-remh type veth peer name eth0 netns "$REMOTE_NS" \
        address "$(printf '02:00:%02x:%02x:%02x:%02x' ${REMOTE_IP//./ })"
    for n in $(seq "$STRAIT_CLUSTER_NODES"); do
        ip -n "$(node_ns "$n")" neigh flush to "$REMOTE_IP" 2>/dev/null || true
    done
    ip link set strait-remh master "$BRIDGE" up
    ip -n "$REMOTE_NS" addr add "$REMOTE_IP/24" dev eth0
    ip -n "$REMOTE_NS" link set eth0 up
    ip -n "$REMOTE_NS" link set lo up
    for n in $(seq "$STRAIT_CLUSTER_NODES"); do
        ip -n "$REMOTE_NS" route replace "$(pod_cidr "$n")" via "$(node_ip "$n")"
    done
    ip netns exec "$REMOTE_NS" sysctl -qw net.ipv4.ip_forward=1
    # LAN 0 leads to the LAN host; the others are addresses on a local link, one subnet per tunnel in the tests
    ip netns add "$LANHOST_NS"
    ip -n "$REMOTE_NS" link add lan0 type veth peer name eth0 netns "$LANHOST_NS"
    ip -n "$REMOTE_NS" addr add 10.30.0.1/24 dev lan0
    ip -n "$REMOTE_NS" link set lan0 up
    ip -n "$LANHOST_NS" addr add "$LANHOST_IP/24" dev eth0
    ip -n "$LANHOST_NS" link set eth0 up
    ip -n "$LANHOST_NS" link set lo up
    ip -n "$LANHOST_NS" route add default via 10.30.0.1
    # no dummy module on every kernel: a veth pair whose both ends stay in the namespace holds the addresses
    ip -n "$REMOTE_NS" link add lans type veth peer name lans-peer
    ip -n "$REMOTE_NS" link set lans-peer up
    for k in $(seq 1 $((REMOTE_LANS - 1))); do ip -n "$REMOTE_NS" addr add "10.30.$k.1/24" dev lans; done
    ip -n "$REMOTE_NS" link set lans up
    log "remote site: $REMOTE_NS at $REMOTE_IP, LANs 10.30.0-$((REMOTE_LANS - 1)).0/24, LAN host $LANHOST_IP"
}

site_down() {
    local ns p
    for ns in "$LANHOST_NS" "$REMOTE_NS"; do
        ip netns list | awk '{print $1}' | grep -qx "$ns" || continue
        for p in $(ip netns pids "$ns"); do kill -9 "$p" 2>/dev/null || true; done
        ip netns del "$ns"
    done
    for _ in $(seq 50); do ip link show strait-remh >/dev/null 2>&1 || break; sleep 0.2; done
    return 0
}
