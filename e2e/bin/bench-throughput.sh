#!/usr/bin/env bash
# Side-by-side iperf3 TCP throughput over the two-site topology of sites.sh (one run, same machine, same links):
#
#   raw veth          no tunnel: site A transit -> site B transit
#   swan<->swan       strongSwan (kernel-libipsec) in both namespaces, LAN A -> LAN B
#   strait<->swan     Strait gateway in A, strongSwan in B
#   strait<->strait   Strait gateway in both namespaces
#   strait-swan-ikeflood  Strait -> strongSwan while site B floods the gateway's UDP 4500 with IKE_SA_INITs (behind
#                     the non-ESP marker, from the peer's own address) at IKE_FLOOD_RATE datagrams/s (0: as fast as
#                     the generator goes); also prints the flood rate sent and what the kernel dropped for a full
#                     receive buffer on site A (so the datagrams/s the gateway took). IKE_FLOOD_KIND=natt-garbage
#                     sends 1-27 random bytes behind the marker instead (the same cheap drop before and after a change)
#
# Needs root and the gateway jar (./mvnw -B -ntp -q -pl gateway -am -DskipTests package); strongSwan and iperf3
# come from e2e/bin/install-deps.sh. Each measurement is one iperf3 TCP stream for BENCH_SECONDS (default 10).
#
#   sudo e2e/bin/bench-throughput.sh [raw|swan|strait-swan|strait ...]   (default: all four)
#
# Namespaces default to strait-bench-a / strait-bench-b (SITE_A_NS / SITE_B_NS override) and are removed on exit.
# GATEWAY_JAVA_OPTS is passed to the gateway JVMs (e.g. -XX:StartFlightRecording=filename=/tmp/gw.jfr).
# For rows with Strait gateways, "gw CPU s/GB" is the CPU time (user + system, both gateway JVMs, all threads,
# including the kernel work done in their syscalls) per GB moved: unlike Gbit/s it hardly depends on what else
# the machine runs, so it is the figure to compare builds on a busy machine.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
export SITE_A_NS=${SITE_A_NS:-strait-bench-a}
export SITE_B_NS=${SITE_B_NS:-strait-bench-b}
export SITE_A_TRANSIT=${SITE_A_TRANSIT:-198.18.0.1}
export SITE_B_TRANSIT=${SITE_B_TRANSIT:-198.18.0.2}
export SITE_A_LAN=${SITE_A_LAN:-10.10.0.1/24}
export SITE_B_LAN=${SITE_B_LAN:-10.20.0.1/24}
export STRAIT_E2E_RUN=${STRAIT_E2E_RUN:-/run/strait-bench}
SECONDS_PER_RUN=${BENCH_SECONDS:-10}
JAR=${STRAIT_GATEWAY_JAR:-$REPO/gateway/target/strait-gateway.jar}
if [ -z "${JAVA_HOME:-}" ] && [ -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/java ]; then
    JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
fi
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java
PSK="bench-psk-$$-not-secret"
WORK=$(mktemp -d /tmp/strait-bench.XXXXXX)
LAN_A=${SITE_A_LAN%/*}
LAN_B=${SITE_B_LAN%/*}

log() { printf '[bench] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root"
[ -f "$JAR" ] || die "gateway jar $JAR missing: ./mvnw -B -ntp -q -pl gateway -am -DskipTests package"
command -v iperf3 >/dev/null || bash "$HERE/install-deps.sh"

net_of() {   # 10.10.0.1/24 -> 10.10.0.0/24 (only /8, /16, /24 prefixes are needed here)
    local ip=${1%/*} len=${1#*/} IFS=.
    read -r a b c d <<<"$ip"
    case "$len" in
        24) echo "$a.$b.$c.0/24" ;; 16) echo "$a.$b.0.0/16" ;; 8) echo "$a.0.0.0/8" ;; *) die "prefix /$len" ;;
    esac
}
NET_A=$(net_of "$SITE_A_LAN")
NET_B=$(net_of "$SITE_B_LAN")

GW_PIDS=()
cleanup() {
    local pid
    for pid in "${GW_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${GW_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    "$HERE/strongswan.sh" stop "$SITE_A_NS" >/dev/null 2>&1 || true
    "$HERE/strongswan.sh" stop "$SITE_B_NS" >/dev/null 2>&1 || true
    "$HERE/sites.sh" down >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# shellcheck source=e2e/bin/gateway-up.sh
. "$HERE/gateway-up.sh"
gateway_start() {   # gateway_start NS LOCAL PEER LOCAL_ID PEER_ID LOCAL_NET REMOTE_NET INITIATION
    gateway_up GW_PIDS bench "$@"
}

gateways_stop() {
    local pid
    for pid in "${GW_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${GW_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    GW_PIDS=()
}

swan_start() {   # swan_start NS LOCAL PEER LOCAL_ID PEER_ID LOCAL_NET REMOTE_NET
    local dir="$WORK/swan-$1"
    mkdir -p "$dir"
    umask 077
    cat >"$dir/swanctl.conf" <<EOF
connections {
  bench {
    version = 2
    local_addrs = $2
    remote_addrs = $3
    proposals = aes256gcm16-prfsha384-x25519
    encap = yes
    mobike = no
    dpd_delay = 0s
    local { auth = psk
      id = $4 }
    remote { auth = psk
      id = $5 }
    children { lan-lan {
      mode = tunnel
      local_ts = $6
      remote_ts = $7
      esp_proposals = aes256gcm16
      start_action = none
    } }
  }
}
secrets { ike-bench { id-local = $4
  id-remote = $5
  secret = "$PSK" } }
EOF
    "$HERE/strongswan.sh" start "$1" "$dir" 2>/dev/null
}

await_tunnel() {   # ping LAN A -> LAN B until it answers
    local _
    for _ in $(seq 1 60); do
        ip netns exec "$SITE_A_NS" ping -n -q -c1 -W1 -I "$LAN_A" "$LAN_B" >/dev/null 2>&1 && return 0
        sleep 0.5
    done
    die "no ping through the tunnel $LAN_A -> $LAN_B (logs in $WORK)"
}

gateway_cpu_ticks() {   # user + system clock ticks of all running gateway JVMs
    local pid total=0
    for pid in "${GW_PIDS[@]}"; do
        [ -r "/proc/$pid/stat" ] || continue
        total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
    done
    echo "$total"
}

RESULTS=()
iperf() {   # iperf LABEL SRC DST: one TCP stream A -> B, appends "label|Gbit/s|retransmits|load|s/GB" to RESULTS
    local label=$1 src=$2 dst=$3 out rate retr load cpu0 cpu1 bytes per_gb=-
    # 2 s warm-up (not counted): JIT compilation of the packet path, TCP window growth
    ip netns exec "$SITE_B_NS" iperf3 -s -1 -B "$dst" >/dev/null 2>&1 &
    sleep 0.3
    ip netns exec "$SITE_A_NS" iperf3 -c "$dst" -B "$src" -t 2 >/dev/null 2>&1 || true
    wait "$!" 2>/dev/null || true
    ip netns exec "$SITE_B_NS" iperf3 -s -1 -B "$dst" >/dev/null 2>&1 &
    local server=$!
    sleep 0.3
    load=$(cut -d' ' -f1 /proc/loadavg)
    cpu0=$(gateway_cpu_ticks)
    out=$(ip netns exec "$SITE_A_NS" iperf3 -c "$dst" -B "$src" -t "$SECONDS_PER_RUN" -f g 2>&1) || {
        kill "$server" 2>/dev/null || true; log "$label: iperf3 failed: $out"; RESULTS+=("$label|failed|-|$load|-"); return 0; }
    cpu1=$(gateway_cpu_ticks)
    wait "$server" 2>/dev/null || true
    retr=$(awk '/sender$/ {print $(NF-1)}' <<<"$out" | tail -n1)
    rate=$(awk '/receiver$/ {for (i = 1; i <= NF; i++) if ($i == "Gbits/sec") print $(i-1)}' <<<"$out" | tail -n1)
    bytes=$(awk '/receiver$/ {for (i = 1; i <= NF; i++) if ($i == "GBytes" || $i == "MBytes") print $(i-1), $i}' <<<"$out" | tail -n1)
    if [ ${#GW_PIDS[@]} -gt 0 ] && [ -n "$bytes" ]; then
        per_gb=$(awk -v t=$((cpu1 - cpu0)) -v hz="$(getconf CLK_TCK)" -v b="$bytes" 'BEGIN {
            split(b, x, " "); gb = x[2] == "GBytes" ? x[1] * 1.073741824 : x[1] * 0.001048576;
            if (gb > 0) printf "%.2f", t / hz / gb; else printf "-" }')
    fi
    RESULTS+=("$label|${rate:-?}|${retr:-?}|$load|$per_gb")
    log "$label: ${rate:-?} Gbit/s (retransmits ${retr:-?}, load $load, gateway CPU $per_gb s/GB)"
}

run_raw() {
    iperf "raw veth (no tunnel)" "$SITE_A_TRANSIT" "$SITE_B_TRANSIT"
}

run_swan() {
    swan_start "$SITE_B_NS" "$SITE_B_TRANSIT" "%any" site-b.test site-a.test "$NET_B" "$NET_A"
    swan_start "$SITE_A_NS" "$SITE_A_TRANSIT" "$SITE_B_TRANSIT" site-a.test site-b.test "$NET_A" "$NET_B"
    "$HERE/strongswan.sh" swanctl "$SITE_A_NS" --initiate --child lan-lan --timeout 20 >/dev/null
    await_tunnel
    iperf "strongSwan <-> strongSwan (kernel-libipsec)" "$LAN_A" "$LAN_B"
    "$HERE/strongswan.sh" stop "$SITE_A_NS"
    "$HERE/strongswan.sh" stop "$SITE_B_NS"
}

run_strait_swan() {
    swan_start "$SITE_B_NS" "$SITE_B_TRANSIT" "%any" site-b.test site-a.test "$NET_B" "$NET_A"
    gateway_start "$SITE_A_NS" "$SITE_A_TRANSIT" "$SITE_B_TRANSIT" site-a.test site-b.test "$NET_A" "$NET_B" Start
    await_tunnel
    iperf "Strait -> strongSwan" "$LAN_A" "$LAN_B"
    gateways_stop
    "$HERE/strongswan.sh" stop "$SITE_B_NS"
}

udp_rcvbuf_errors() {   # udp_rcvbuf_errors NS: UDP datagrams the kernel of NS dropped for a full socket buffer
    ip netns exec "$1" awk '/^Udp:/ { if (!n) { for (i = 1; i <= NF; i++) if ($i == "RcvbufErrors") c = i; n = 1 } else print $c }' /proc/net/snmp
}

run_strait_swan_ikeflood() {
    local rate=${IKE_FLOOD_RATE:-0} flood e0 e1 sent secs
    swan_start "$SITE_B_NS" "$SITE_B_TRANSIT" "%any" site-b.test site-a.test "$NET_B" "$NET_A"
    gateway_start "$SITE_A_NS" "$SITE_A_TRANSIT" "$SITE_B_TRANSIT" site-a.test site-b.test "$NET_A" "$NET_B" Start
    await_tunnel
    e0=$(udp_rcvbuf_errors "$SITE_A_NS")
    local kind=${IKE_FLOOD_KIND:-natt} template=x25519
    [ "$kind" = natt ] || template=-
    ip netns exec "$SITE_B_NS" python3 "$REPO/e2e/src/test/resources/ike-flood.py" "$kind" "$template" "$SITE_A_TRANSIT" \
        "$SITE_B_TRANSIT" 1000000000 "$rate" $((SECONDS_PER_RUN + 3)) >"$WORK/flood.out" &
    flood=$!
    sleep 0.5
    iperf "Strait -> strongSwan, IKE flood on 4500" "$LAN_A" "$LAN_B"
    wait "$flood" || true
    e1=$(udp_rcvbuf_errors "$SITE_A_NS")
    read -r sent secs _ <"$WORK/flood.out"
    log "IKE flood: $sent datagrams in $secs s ($(awk -v n="$sent" -v t="$secs" 'BEGIN {printf "%.0f", n / t}')/s sent)," \
        "$((e1 - e0)) dropped by site A's kernel (receive buffer full): the gateway took" \
        "$(awk -v n="$sent" -v d=$((e1 - e0)) -v t="$secs" 'BEGIN {printf "%.0f", (n - d) / t}')/s"
    ip netns exec "$SITE_A_NS" curl -s "http://$SITE_A_TRANSIT:9090/metrics" | grep -E '^strait_ike_(dropped|rejected|cookies|half)' | grep -v ' 0.0$' >&2 || true
    gateways_stop
    "$HERE/strongswan.sh" stop "$SITE_B_NS"
}

run_strait() {
    gateway_start "$SITE_B_NS" "$SITE_B_TRANSIT" "$SITE_A_TRANSIT" site-b.test site-a.test "$NET_B" "$NET_A" Passive
    gateway_start "$SITE_A_NS" "$SITE_A_TRANSIT" "$SITE_B_TRANSIT" site-a.test site-b.test "$NET_A" "$NET_B" Start
    await_tunnel
    iperf "Strait <-> Strait" "$LAN_A" "$LAN_B"
    gateways_stop
}

"$HERE/sites.sh" down >/dev/null 2>&1 || true
"$HERE/sites.sh" up
cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=(raw swan strait-swan strait)
for c in "${cases[@]}"; do
    case "$c" in
        raw) run_raw ;; swan) run_swan ;; strait-swan) run_strait_swan ;; strait) run_strait ;;
        strait-swan-ikeflood) run_strait_swan_ikeflood ;;
        *) die "unknown case $c (raw, swan, strait-swan, strait, strait-swan-ikeflood)" ;;
    esac
done

echo
echo "machine: $(nproc) CPUs, $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
echo "iperf3 TCP, 1 stream, ${SECONDS_PER_RUN} s each, $(date -u +%Y-%m-%dT%H:%MZ)"
printf '%-45s | %10s | %8s | %12s | %s\n' "path" "Gbit/s" "retrans" "load (1 min)" "gw CPU s/GB"
printf '%-45s-|-%10s-|-%8s-|-%12s-|-%s\n' "---------------------------------------------" "----------" "--------" \
    "------------" "-----------"
for r in "${RESULTS[@]}"; do
    IFS='|' read -r l g t ld c <<<"$r"
    printf '%-45s | %10s | %8s | %12s | %s\n' "$l" "$g" "$t" "$ld" "$c"
done
