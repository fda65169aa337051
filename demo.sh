#!/usr/bin/env bash
# Strait in two minutes: two sites in network namespaces, a Strait gateway in each, an IKEv2/ESP tunnel between
# them, then ping and a short iperf3 run across the tunnel, both gateways' /status and a few metrics.
# Everything (namespaces, gateways, temp files) is removed on exit, Ctrl-C or SIGTERM.
#
#   sudo ./demo.sh            (builds the gateway jar first when it is missing)
#   sudo ./demo.sh --cluster  the product on a local two-node Kubernetes cluster: helm install, an IPsecTunnel to a
#                             strongSwan remote site, Established on the resource, traffic, metrics [--keep]
#
# Environment: DEMO_A_NS / DEMO_B_NS (namespace names, default strait-demo-a / strait-demo-b), IPERF_SECONDS (5).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# The same on a real Kubernetes cluster (kubelet + containerd nodes on this machine): see e2e/bin/demo-cluster.sh.
[ "${1:-}" = --cluster ] && { shift; exec bash "$REPO/e2e/bin/demo-cluster.sh" "$@"; }
BIN=$REPO/e2e/bin
JAR=$REPO/gateway/target/strait-gateway.jar
export SITE_A_NS=${DEMO_A_NS:-strait-demo-a}
export SITE_B_NS=${DEMO_B_NS:-strait-demo-b}
export SITE_A_TRANSIT=198.18.0.1 SITE_B_TRANSIT=198.18.0.2
export SITE_A_LAN=10.10.0.1/24 SITE_B_LAN=10.20.0.1/24
IPERF_SECONDS=${IPERF_SECONDS:-5}
PSK="demo-$RANDOM$RANDOM-not-secret"
WORK=$(mktemp -d /tmp/strait-demo.XXXXXX)
PIDS=()

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
die() { printf 'demo.sh: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root: sudo ./demo.sh (namespaces and TUN devices need CAP_NET_ADMIN)"

if [ -z "${JAVA_HOME:-}" ] && [ -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/java ]; then
    export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
fi
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java

cleanup() {
    local rc=$? pid
    trap - EXIT INT TERM
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    "$BIN/sites.sh" down >/dev/null 2>&1 || true
    rm -rf "$WORK"
    printf '\ndemo.sh: cleaned up (namespaces %s and %s removed)\n' "$SITE_A_NS" "$SITE_B_NS"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ ! -f "$JAR" ]; then
    say "Building the gateway (jar missing)"
    (cd "$REPO" && ./mvnw -B -ntp -q -pl gateway -am -DskipTests package)
fi
command -v iperf3 >/dev/null && command -v curl >/dev/null || bash "$BIN/install-deps.sh"

say "Two sites: $SITE_A_NS (LAN $SITE_A_LAN) and $SITE_B_NS (LAN $SITE_B_LAN), joined by a veth 'internet'"
"$BIN/sites.sh" down >/dev/null 2>&1 || true
"$BIN/sites.sh" up

# shellcheck source=e2e/bin/gateway-up.sh
. "$BIN/gateway-up.sh"
gateway() {   # gateway NS LOCAL PEER LOCAL_ID PEER_ID LOCAL_NET REMOTE_NET INITIATION
    gateway_up PIDS "to-$5" "$@"
    echo "gateway in $1 ready (admin http://$2:9090)"
}

say "Starting a Strait gateway in each site (B waits, A initiates)"
gateway "$SITE_B_NS" 198.18.0.2 198.18.0.1 site-b site-a 10.20.0.0/24 10.10.0.0/24 Passive
gateway "$SITE_A_NS" 198.18.0.1 198.18.0.2 site-a site-b 10.10.0.0/24 10.20.0.0/24 Start

say "Ping from site A's LAN (10.10.0.1) to site B's LAN (10.20.0.1) through the tunnel"
for _ in $(seq 1 40); do
    ip netns exec "$SITE_A_NS" ping -n -q -c1 -W1 -I 10.10.0.1 10.20.0.1 >/dev/null 2>&1 && break
    sleep 0.5
done
ip netns exec "$SITE_A_NS" ping -n -c 4 -i 0.3 -I 10.10.0.1 10.20.0.1

say "iperf3 TCP for ${IPERF_SECONDS} s, site A -> site B, through the tunnel"
ip netns exec "$SITE_B_NS" iperf3 -s -1 -B 10.20.0.1 >/dev/null 2>&1 &
PIDS+=("$!")
sleep 0.3
ip netns exec "$SITE_A_NS" iperf3 -c 10.20.0.1 -B 10.10.0.1 -t "$IPERF_SECONDS" -f m | tail -n 4

say "What the wire sees: ESP in UDP 4500 (3 packets captured on the veth)"
ip netns exec "$SITE_B_NS" timeout 5 tcpdump -n -c 3 -i veth-b udp port 4500 2>/dev/null &
sleep 0.5
ip netns exec "$SITE_A_NS" ping -n -q -c 3 -i 0.2 -I 10.10.0.1 10.20.0.1 >/dev/null || true
wait "$!" 2>/dev/null || true

pretty() { if command -v python3 >/dev/null; then python3 -m json.tool; else cat; fi; }
for side in "$SITE_A_NS 198.18.0.1" "$SITE_B_NS 198.18.0.2"; do
    read -r ns addr <<<"$side"
    say "/status of the gateway in $ns"
    ip netns exec "$ns" curl -s "http://$addr:9090/status" | pretty
    say "a few metrics of the gateway in $ns"
    ip netns exec "$ns" curl -s "http://$addr:9090/metrics" \
        | grep -E '^strait_(tunnel_up|ike_sa_established_total|esp_(rx|tx)_(bytes|packets)_total|esp_drops_total\{[^}]*reason="(auth|replay|no_sa)")' \
        | grep -v 'tunnel=""' || true
done

say "Done; cleaning up"
