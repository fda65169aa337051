#!/usr/bin/env bash
# Two test sites in network namespaces joined by a veth pair; nothing is added to the root namespace.
#
#   sites.sh up      create (idempotent)
#   sites.sh down    end processes left in the namespaces, delete them
#   sites.sh status  addresses and routes
#
#  SITE_A_NS   lan0 SITE_A_LAN (veth, peer lan0p)     SITE_B_NS   lan0 SITE_B_LAN
#              SITE_A_VETH SITE_A_TRANSIT  <-- veth pair -->  SITE_B_VETH SITE_B_TRANSIT
#
# Every name and address comes from the environment, with the defaults below.
set -euo pipefail

: "${SITE_A_NS:=strait-a}"
: "${SITE_B_NS:=strait-b}"
: "${SITE_A_TRANSIT:=198.18.0.1}"   # RFC 2544 benchmark range, only inside the namespaces
: "${SITE_B_TRANSIT:=198.18.0.2}"
: "${TRANSIT_PREFIX:=30}"
: "${SITE_A_LAN:=10.10.0.1/24}"
: "${SITE_B_LAN:=10.20.0.1/24}"
: "${SITE_A_VETH:=veth-a}"
: "${SITE_B_VETH:=veth-b}"
: "${LAN_IF:=lan0}"
: "${TRANSIT_MTU:=1500}"

log() { printf '[sites.sh] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root"

ns_exists() { ip netns list 2>/dev/null | awk '{print $1}' | grep -qx -- "$1"; }

site_up() {   # site_up NS LAN_CIDR
    local ns=$1 lan=$2
    ns_exists "$ns" || ip netns add "$ns"
    ip -n "$ns" link set lo up
    # The LAN is a veth whose peer stays in the same namespace (veth is always built; dummy may not be).
    if ! ip -n "$ns" link show "$LAN_IF" >/dev/null 2>&1; then
        ip -n "$ns" link del "${LAN_IF}p" 2>/dev/null || true
        ip -n "$ns" link add "$LAN_IF" type veth peer name "${LAN_IF}p"
    fi
    ip -n "$ns" addr replace "$lan" dev "$LAN_IF"
    ip -n "$ns" link set "${LAN_IF}p" up
    ip -n "$ns" link set "$LAN_IF" up
    ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1
    # no IPv6 noise (DAD, RAs) on the test links
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 2>/dev/null || true
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1 2>/dev/null || true
}

transit_up() {
    if ! ip -n "$SITE_A_NS" link show "$SITE_A_VETH" >/dev/null 2>&1 ||
       ! ip -n "$SITE_B_NS" link show "$SITE_B_VETH" >/dev/null 2>&1; then
        # half a pair left by an interrupted run: start over
        ip -n "$SITE_A_NS" link del "$SITE_A_VETH" 2>/dev/null || true
        ip -n "$SITE_B_NS" link del "$SITE_B_VETH" 2>/dev/null || true
        ip -n "$SITE_A_NS" link add "$SITE_A_VETH" mtu "$TRANSIT_MTU" type veth \
            peer name "$SITE_B_VETH" netns "$SITE_B_NS"
    fi
    ip -n "$SITE_A_NS" link set "$SITE_A_VETH" mtu "$TRANSIT_MTU" up
    ip -n "$SITE_B_NS" link set "$SITE_B_VETH" mtu "$TRANSIT_MTU" up
    ip -n "$SITE_A_NS" addr replace "$SITE_A_TRANSIT/$TRANSIT_PREFIX" dev "$SITE_A_VETH"
    ip -n "$SITE_B_NS" addr replace "$SITE_B_TRANSIT/$TRANSIT_PREFIX" dev "$SITE_B_VETH"
}

cmd_up() {
    site_up "$SITE_A_NS" "$SITE_A_LAN"
    site_up "$SITE_B_NS" "$SITE_B_LAN"
    transit_up
    local _
    for _ in 1 2 3 4 5; do   # bounded reachability check on the transit link
        if ip netns exec "$SITE_A_NS" ping -c1 -W1 "$SITE_B_TRANSIT" >/dev/null 2>&1; then
            log "up: $SITE_A_NS ($SITE_A_TRANSIT, LAN $SITE_A_LAN) <-> $SITE_B_NS ($SITE_B_TRANSIT, LAN $SITE_B_LAN)"
            return 0
        fi
        sleep 0.3
    done
    die "transit $SITE_A_TRANSIT -> $SITE_B_TRANSIT not reachable"
}

kill_ns_processes() {   # TERM, wait up to 5 s, then KILL
    local ns=$1 pids pid _
    pids=$(ip netns pids "$ns" 2>/dev/null || true)
    [ -z "$pids" ] && return 0
    log "terminating processes left in $ns: ${pids//$'\n'/ }"
    for pid in $pids; do kill -TERM "$pid" 2>/dev/null || true; done
    for _ in $(seq 1 50); do
        pids=$(ip netns pids "$ns" 2>/dev/null || true)
        [ -z "$pids" ] && return 0
        sleep 0.1
    done
    for pid in $pids; do kill -KILL "$pid" 2>/dev/null || true; done
    sleep 0.2
}

cmd_down() {
    local ns
    for ns in "$SITE_A_NS" "$SITE_B_NS"; do
        ns_exists "$ns" || continue
        kill_ns_processes "$ns"
        ip netns del "$ns"
    done
    log "down"
}

cmd_status() {
    local ns
    for ns in "$SITE_A_NS" "$SITE_B_NS"; do
        if ns_exists "$ns"; then
            echo "== $ns"
            ip -n "$ns" -br addr
            ip -n "$ns" route show table all | grep -v '^local\|^broadcast\|^multicast' || true
        else
            echo "== $ns (absent)"
        fi
    done
}

case "${1:-}" in
    up) cmd_up ;;
    down) cmd_down ;;
    status) cmd_status ;;
    *) echo "usage: ${0##*/} up|down|status" >&2; exit 2 ;;
esac
