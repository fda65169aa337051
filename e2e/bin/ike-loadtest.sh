#!/usr/bin/env bash
# IKE SA setup rate of a responder, measured with strongSwan's load-tester plugin as initiator (PSK, bounded count).
#
# Debian does not package the load-tester plugin, so the first run builds strongSwan 5.9.8 (the Debian version)
# from the Debian source package with only the plugins needed here, into $LOADTEST_PREFIX (a few minutes on two
# busy cores). The initiator runs in site A, the responder under test in site B of e2e/bin/sites.sh:
#   java        our gateway jar (IKE only: datapath mode None) with one tunnel for the initiator's identity
#   strongswan  the Debian charon via e2e/bin/strongswan.sh with the equivalent swanctl.conf
#   both        one after the other (default), for a side-by-side figure
#
# Usage: ike-loadtest.sh [options]
#   --target T        java | strongswan | both (default both)
#   --count N         IKE SAs to establish (default 1000, at most 20000)
#   --group G         key exchange group of the IKE proposal (default ecp256)
#   --threads N       initiator threads (default 2)
#   --delay MS        the load-tester's delay: each initiator thread sleeps MS ms after each initiation and between
#                     checks of the half-open limit (default 0, as ../shared's script). With 0 a thread waiting for
#                     the half-open count to drop spins without sleeping, and on a two-core machine that spin takes
#                     CPU from the responder under test; 1 with --threads 4 or more removes the spin without capping
#                     the rate below about 900 IKE SAs/s per thread
#   --init-limit N    concurrent half-open IKE SAs on the initiator (default 32, as ../shared's script). All initiator
#                     SAs come from one address, so both responders lift their DoS limits (cookies, half-open caps)
#                     the same way: strongSwan as in a load-test responder (dos_protection = no, thresholds 1,000,000),
#                     ours with ike.dos in the gateway YAML
#   --timeout S       give up after S seconds per target (default 180)
#   --jar PATH        gateway jar (default gateway/target/strait-gateway.jar)
#   --warmup N        java only: IKE SAs set up (and deleted) before the measured run, so the figure is the JIT-compiled
#                     steady state rather than the JIT compiler's work (default the larger of 2000 and a tenth of --count)
#   --rounds N        measured runs per target, one result line each (default 1); later rounds of the JVM show the
#                     steady state once C2 has compiled the once-per-IKE-SA methods (they need ~10,000 calls)
#   --keep            memory instead of rate: keep every IKE SA (and its Child SA) up; once all are established,
#                     report the responder's live heap (java: GC.class_histogram total after a full GC, before and
#                     after) or resident set size (strongswan) per IKE SA, then stop. No warm-up in this mode.
#   --build-only      only make sure the load-tester build exists
# Without --keep each IKE SA is deleted right after it is established, so the responder stays small. Exit status 0 only if every
# target established all IKE SAs. Sends only to addresses inside the two namespaces.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
: "${SITE_A_NS:=strait-a}" "${SITE_B_NS:=strait-b}"
: "${SITE_A_TRANSIT:=198.18.0.1}" "${SITE_B_TRANSIT:=198.18.0.2}"
: "${SITE_A_LAN:=10.10.0.1/24}" "${SITE_B_LAN:=10.20.0.1/24}"
: "${LOADTEST_PREFIX:=/opt/strait-loadtest}"
: "${STRAIT_E2E_RUN:=/run/strait-e2e}"
export SITE_A_NS SITE_B_NS SITE_A_TRANSIT SITE_B_TRANSIT SITE_A_LAN SITE_B_LAN STRAIT_E2E_RUN
SS_VERSION=5.9.8
# The load-tester initiators' inner addresses (TSi); each of our tunnels takes one /32 of it.
LOADTEST_TSI=100.64.0.0/10
PSK="ike-loadtest-psk-not-secret"

log() { printf '[ike-loadtest] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}" >&2; exit 2; }

ROUNDS=1 TARGET=both COUNT=1000 GROUP=ecp256 THREADS=2 DELAY=0 INIT_LIMIT=32 TIMEOUT=180 BUILD_ONLY=no KEEP=no WARMUP=""
JAR=$ROOT/gateway/target/strait-gateway.jar
while [ $# -gt 0 ]; do
    case "$1" in
        --target) TARGET=$2; shift 2 ;;
        --count) COUNT=$2; shift 2 ;;
        --group) GROUP=$2; shift 2 ;;
        --threads) THREADS=$2; shift 2 ;;
        --init-limit) INIT_LIMIT=$2; shift 2 ;;
        --delay) DELAY=$2; shift 2 ;;
        --timeout) TIMEOUT=$2; shift 2 ;;
        --jar) JAR=$2; shift 2 ;;
        --build-only) BUILD_ONLY=yes; shift ;;
        --keep) KEEP=yes; shift ;;
        --rounds) ROUNDS=$2; shift 2 ;;
        --warmup) WARMUP=$2; shift 2 ;;
        -h|--help) usage ;;
        *) log "unknown option: $1"; usage ;;
    esac
done
[[ "$COUNT" =~ ^[0-9]+$ && "$COUNT" -ge 1 && "$COUNT" -le 20000 ]] || die "--count must be 1..20000"
[[ -z "$WARMUP" || "$WARMUP" =~ ^[0-9]+$ && "$WARMUP" -le 20000 ]] || die "--warmup must be 0..20000"
[[ "$ROUNDS" =~ ^[0-9]+$ && "$ROUNDS" -ge 1 && "$ROUNDS" -le 10 ]] || die "--rounds must be 1..10"
[[ "$THREADS" =~ ^[0-9]+$ && "$THREADS" -ge 1 && "$THREADS" -le 16 ]] || die "--threads must be 1..16"
[[ "$DELAY" =~ ^[0-9]+$ && "$DELAY" -le 1000 ]] || die "--delay must be 0..1000 (ms)"
case "$TARGET" in java|strongswan|both) ;; *) die "--target must be java, strongswan or both" ;; esac
[ -n "$WARMUP" ] || WARMUP=$(( COUNT / 10 > 2000 ? COUNT / 10 : 2000 ))
PROPOSAL="aes256gcm16-prfsha384-$GROUP"
CHARON_LT=$LOADTEST_PREFIX/libexec/ipsec/charon
net_of() { python3 -c 'import ipaddress,sys; print(ipaddress.ip_interface(sys.argv[1]).network)' "$1"; }

# ------------------------------------------------------------------ build

# deb-src lines derived from the Debian entries apt already uses, in a private list (system apt config untouched)
write_src_lists() {   # write_src_lists DIR
    local dir=$1 f
    : > "$dir/sources.list"
    mkdir -p "$dir/parts"
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk 'BEGIN { RS = ""; ORS = "\n\n" }
             /(^|\n)Types:[^\n]*deb/ && /(^|\n)URIs:[^\n]*debian/ && !/(^|\n)Enabled: *no/ {
                 n = split($0, L, "\n"); out = ""
                 for (i = 1; i <= n; i++) {
                     if (L[i] ~ /^#/) continue
                     if (L[i] ~ /^Types:/) L[i] = "Types: deb-src"
                     out = out L[i] "\n"
                 }
                 print out
             }' "$f" >> "$dir/parts/debian-src.sources"
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        sed -n -E 's/^[[:space:]]*deb[[:space:]]+(.*debian.*)$/deb-src \1/p' "$f" >> "$dir/sources.list"
    done
}

build_loadtest() {
    if [ -x "$CHARON_LT" ] && [ -f "$LOADTEST_PREFIX/lib/ipsec/plugins/libstrongswan-load-tester.so" ]; then
        return 0
    fi
    log "building strongSwan $SS_VERSION with the load-tester plugin into $LOADTEST_PREFIX"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq build-essential pkg-config libssl-dev libgmp-dev dpkg-dev \
        bzip2 xz-utils >/dev/null
    local tmp v got=""
    tmp=$(mktemp -d /tmp/strait-loadtest-build.XXXXXX)
    # shellcheck disable=SC2064
    trap "rm -rf '$tmp'" EXIT
    mkdir -p "$tmp/lists/partial"
    write_src_lists "$tmp"
    local apt_o=(-o "Dir::Etc::SourceList=$tmp/sources.list" -o "Dir::Etc::SourceParts=$tmp/parts"
                 -o "Dir::State::Lists=$tmp/lists" -o DPkg::Lock::Timeout=600)
    apt-get "${apt_o[@]}" update -qq >/dev/null 2>&1 || log "apt-get update of the source lists reported errors; trying anyway"
    for v in $(apt-cache "${apt_o[@]}" showsrc strongswan 2>/dev/null | sed -n 's/^Version: //p' | grep "^$SS_VERSION-" | sort -ruV); do
        if (cd "$tmp" && apt-get "${apt_o[@]}" source --download-only "strongswan=$v" >/dev/null 2>&1); then
            got=$v
            break
        fi
    done
    [ -n "$got" ] || die "could not download the strongswan $SS_VERSION source package"
    (cd "$tmp" && dpkg-source -x --no-check "strongswan_${got}.dsc" src >/dev/null)
    log "configuring strongswan $got (only the plugins the load test needs)"
    (cd "$tmp/src" && ./configure --prefix="$LOADTEST_PREFIX" --sysconfdir="$LOADTEST_PREFIX/etc" \
        --with-piddir="$LOADTEST_PREFIX/run" --disable-defaults --enable-charon --enable-ikev2 --enable-load-tester \
        --enable-openssl --enable-random --enable-nonce --enable-kernel-netlink --enable-socket-default \
        --enable-pem --enable-pkcs1 --enable-pkcs8 --enable-x509 --enable-pubkey --enable-constraints \
        --enable-sha1 --enable-sha2 --enable-hmac --enable-aes --enable-gcm --enable-kdf --enable-curve25519 \
        --disable-static > "$tmp/configure.log" 2>&1) || { tail -n 30 "$tmp/configure.log" >&2; die "configure failed"; }
    log "compiling (make -j$(nproc))"
    (cd "$tmp/src" && make -j"$(nproc)" > "$tmp/make.log" 2>&1 && make install > "$tmp/install.log" 2>&1) ||
        { tail -n 30 "$tmp/make.log" >&2; die "build failed"; }
    mkdir -p "$LOADTEST_PREFIX/run"
    echo "$got" > "$LOADTEST_PREFIX/SOURCE_VERSION"
    rm -rf "$tmp"
    trap - EXIT
    log "installed $CHARON_LT"
}

# ------------------------------------------------------------------ responders

STATE=$STRAIT_E2E_RUN/ike-loadtest
RESP_PID=""

start_java() {
    [ -f "$JAR" ] || die "gateway jar $JAR not found (./mvnw -pl gateway -am package)"
    local yaml=$STATE/gateway.yaml
    umask 077
    # The load-tester gives every IKE SA its own identity (c<N>-r1.strongswan.org) so charon does not reuse IKE SAs;
    # our tunnels name their peer exactly, so there is one tunnel per identity.
    local ids=$COUNT n lb la total
    [ "$KEEP" = yes ] || [ "$WARMUP" -le "$COUNT" ] || ids=$WARMUP   # the warm-up's identities need tunnels too
    total=$(( (ids + THREADS - 1) / THREADS * THREADS ))
    lb=$(net_of "$SITE_B_LAN")
    {
        echo "listen: {address: $SITE_B_TRANSIT}"
        echo "admin: {address: $SITE_B_TRANSIT, port: 9090}"
        echo "datapath: {mode: None}"
        echo "ike: {dos: {cookieThreshold: 1000000, maxHalfOpen: 1000000, maxHalfOpenPerSource: 1000000}}"
        echo "tunnels:"
        # one short flow mapping per tunnel (ESP proposals and IKE rekey time are the defaults, which cover the
        # load-tester's offer and outlast the run): 10,000 tunnels must stay under the config loader's 3 MiB limit
        # Each tunnel its own remote /32 out of the load-tester's TSi (LOADTEST_TSI): a gateway refuses remote subnets
        # that overlap another tunnel's, so the responder narrows the offered 100.64.0.0/10 to the tunnel's address.
        for n in $(seq 1 "$total"); do
            la="100.$((64 + n / 65536)).$((n / 256 % 256)).$((n % 256))/32"
            echo "- {name: lt$n, peer: {address: $SITE_A_TRANSIT, id: c$n-r1.strongswan.org}, local: {id: site-b.test, subnets: [$lb]}, remote: {subnets: [$la]}, auth: {psk: {value: \"$PSK\"}}, ike: {proposals: [$PROPOSAL]}, initiation: Passive}"
        done
    } > "$yaml"
    # shellcheck disable=SC2086  # GATEWAY_JAVA_OPTS: extra JVM flags, e.g. a JFR recording for profiling
    ip netns exec "$SITE_B_NS" java --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC ${GATEWAY_JAVA_OPTS:-} -jar "$JAR" run --config "$yaml" \
        > "$STATE/gateway.log" 2>&1 &
    RESP_PID=$!
    local _
    for _ in $(seq 1 900); do   # a few minutes for configs with thousands of tunnels
        if ip netns exec "$SITE_B_NS" curl -sf -o /dev/null --max-time 1 "http://$SITE_B_TRANSIT:9090/readyz"; then
            return 0
        fi
        kill -0 "$RESP_PID" 2>/dev/null || break
        sleep 0.2
    done
    tail -n 30 "$STATE/gateway.log" >&2
    die "the gateway did not become ready"
}

stop_java() {
    [ -n "$RESP_PID" ] || return 0
    kill -TERM "$RESP_PID" 2>/dev/null || true
    wait "$RESP_PID" 2>/dev/null || true
    RESP_PID=""
}

start_strongswan() {
    local dir=$STATE/swanctl
    mkdir -p "$dir/strongswan.d"
    # DoS limits lifted as for our responder: all initiator SAs come from one address
    printf 'charon {\n    dos_protection = no\n    block_threshold = 1000000\n    cookie_threshold = 1000000\n    init_limit_half_open = 0\n}\n' \
        > "$dir/strongswan.d/loadtest.conf"
    cat > "$dir/swanctl.conf" <<EOF
connections {
  loadtest {
    version = 2
    local_addrs = $SITE_B_TRANSIT
    proposals = $PROPOSAL
    encap = no
    mobike = no
    local { auth = psk
            id = site-b.test }
    remote { auth = psk
             id = %any }
    children { lan { local_ts = $(net_of "$SITE_B_LAN")
                     remote_ts = $LOADTEST_TSI
                     esp_proposals = aes256gcm16 } }
  }
}
secrets { ike-loadtest { id-local = site-b.test
                         secret = "$PSK" } }
EOF
    # log level 0 (like our INFO lines: a few per IKE SA), not the harness's debug levels
    CHARON_LOG="default=0 dmn=0 mgr=0 ike=0 chd=0 job=0 cfg=0 knl=0 net=0 enc=0 lib=0 esp=0" \
        "$HERE/strongswan.sh" start "$SITE_B_NS" "$dir" >/dev/null 2>&1
    RESP_PID=$(cat "$STRAIT_E2E_RUN/$SITE_B_NS/charon.pid")
}

stop_strongswan() {
    "$HERE/strongswan.sh" stop "$SITE_B_NS" >/dev/null || true
    RESP_PID=""
}

# ------------------------------------------------------------------ the measurement

# live heap after a full GC (the class histogram forces one) for java; resident set size for strongswan
responder_memory() {   # responder_memory TARGET -> bytes
    if [ "$1" = java ]; then
        jcmd "$RESP_PID" GC.class_histogram 2>/dev/null | awk '$1 == "Total" { print $3 }'
    else
        awk '/^VmRSS:/ { print $2 * 1024 }' "/proc/$RESP_PID/status"
    fi
}

# CPU of the JVM's JIT compiler threads (C1, C2): reported apart, it is start-up work that a long-running gateway
# amortises, and it varies with how much of the compilation the warm-up left over
jit_ticks() {
    local f t=0 v
    for f in /proc/"$1"/task/*; do
        case "$(cat "$f/comm" 2>/dev/null)" in
            C1\ Compiler*|C2\ Compiler*) v=$(sed -E 's/^.*\) //' "$f/stat" | awk '{print $12 + $13}'); t=$((t + ${v:-0})) ;;
        esac
    done
    echo "$t"
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
# CPU of this shell's finished children (the initiator charon, once it has exited)
child_ticks() { sed -E 's/^.*\) //' "/proc/$$/stat" | awk '{print $14 + $15}'; }
# total CPU of a process and its threads (the JVM's GC and JIT included)

run_initiator() {   # run_initiator TARGET -> prints one result line
    local target=$1 sd=$STATE/initiator iters total conf rc=0 r0 r1 j0 j1
    mkdir -p "$sd"
    iters=$(( (COUNT + THREADS - 1) / THREADS ))
    total=$(( iters * THREADS ))
    conf=$sd/strongswan.conf
    cat > "$conf" <<EOF
charon {
    load_modular = no
    # load-tester before kernel-netlink, so its fake kernel interface wins
    load = random nonce openssl pem pkcs1 pkcs8 x509 pubkey constraints aes sha1 sha2 hmac gcm kdf curve25519 load-tester kernel-netlink socket-default
    install_routes = no
    retransmit_timeout = 2.0
    retransmit_tries = 3
    filelog {
        lt {
            path = $sd/charon.log
            time_format = %H:%M:%S
            time_add_ms = yes
            append = no
            default = 0
            dmn = 1
        }
    }
    plugins {
        load-tester {
            enable = yes
            version = 2
            initiators = $THREADS
            iterations = $iters
            delay = $DELAY
            init_limit = $INIT_LIMIT
            initiator = $SITE_A_TRANSIT
            responder = $SITE_B_TRANSIT
            proposal = $PROPOSAL
            esp = aes256gcm16
            initiator_auth = psk
            responder_auth = psk
            responder_id = site-b.test
            preshared_key = $PSK
            initiator_tsi = $LOADTEST_TSI
            initiator_tsr = $(net_of "$SITE_B_LAN")
            fake_kernel = yes
            shutdown_when_complete = $([ "$KEEP" = yes ] && echo no || echo yes)
            delete_after_established = $([ "$KEEP" = yes ] && echo no || echo yes)
            ike_rekey = 0
            child_rekey = 0
        }
    }
}
EOF
    r0=$(cpu_ticks "$RESP_PID")
    j0=$(jit_ticks "$RESP_PID")
    if [ "$KEEP" = yes ]; then
        local m0 m1 ipid n=0 waited=0
        m0=$(responder_memory "$target")
        : > "$sd/charon.log"
        ip netns exec "$SITE_A_NS" env STRONGSWAN_CONF="$conf" timeout --signal=TERM --kill-after=10 "$TIMEOUT" \
            "$CHARON_LT" > "$sd/charon.stdout" 2>&1 &
        ipid=$!
        while kill -0 "$ipid" 2>/dev/null && [ "$n" -lt "$total" ]; do
            sleep 1
            n=$(grep -c 'IKE_SA load-test\[[0-9]*\] established' "$sd/charon.log" || true)
            waited=$((waited + 1))
            [ $((waited % 30)) -eq 0 ] && log "$target: $n of $total IKE SAs up"
        done
        r1=$(cpu_ticks "$RESP_PID")
        sleep 2   # let the last IKE_AUTH responses settle on the responder
        m1=$(responder_memory "$target")
        log "$target: responder memory $m0 bytes before, $m1 bytes with $n IKE SAs up"
        awk -v t="$target" -v n="$n" -v a="$m0" -v b="$m1" -v g="$PROPOSAL" 'BEGIN {
            if (n > 0) printf "%-10s %6d IKE SAs + Child SAs kept (%s): %s %.0f MiB -> %.0f MiB = %.1f KiB per IKE SA + Child SA\n",
                t, n, g, (t == "java" ? "live heap" : "RSS"), a / 1048576, b / 1048576, (b - a) / 1024 / n }'
        kill -TERM "$ipid" 2>/dev/null || true
        wait "$ipid" 2>/dev/null || true
        [ "$n" -ge "$total" ] || { log "$target: only $n of $total IKE SAs established; see $sd/charon.log"; return 1; }
        return 0
    fi
    local i0 i1
    i0=$(child_ticks)
    ip netns exec "$SITE_A_NS" env STRONGSWAN_CONF="$conf" timeout --signal=TERM --kill-after=10 "$TIMEOUT" \
        "$CHARON_LT" > "$sd/charon.stdout" 2>&1 || rc=$?
    i1=$(child_ticks)
    r1=$(cpu_ticks "$RESP_PID")
    j1=$(jit_ticks "$RESP_PID")
    local established first last
    established=$(grep -c 'IKE_SA load-test\[[0-9]*\] established' "$sd/charon.log" || true)
    first=$(grep -m1 'initiating IKE_SA' "$sd/charon.log" | awk '{print $1}')
    last=$(grep 'IKE_SA load-test\[[0-9]*\] established' "$sd/charon.log" | tail -n1 | awk '{print $1}')
    if [ "$established" -lt "$total" ] || [ -z "$first" ] || [ -z "$last" ]; then
        log "$target: only $established of $total IKE SAs established (rc $rc); see $sd/charon.log"
        return 1
    fi
    awk -v t="$target" -v a="$first" -v b="$last" -v n="$established" -v g="$PROPOSAL" -v rt="$(( r1 - r0 ))" -v jt="$(( j1 - j0 ))" -v it="$(( i1 - i0 ))" \
        -v hz="$(getconf CLK_TCK)" '
        function sec(x,  p) { split(x, p, ":"); return p[1] * 3600 + p[2] * 60 + p[3] }
        BEGIN {
            d = sec(b) - sec(a); if (d < 0) d += 86400; if (d <= 0) d = 0.001
            printf "%-10s %6d IKE SAs in %6.2f s: %6.0f IKE SA/s (%s); responder CPU %.2f s = %.2f ms per IKE SA",
                   t, n, d, n / d, g, rt / hz, 1000 * rt / hz / n
            if (t == "java") printf " (JIT compiler %.2f ms, the rest %.2f ms)", 1000 * jt / hz / n, 1000 * (rt - jt) / hz / n
            printf "; initiator CPU %.2f ms per IKE SA\n", 1000 * it / hz / n
        }'
}

main() {
    [ "$(id -u)" -eq 0 ] || die "needs root (namespaces)"
    build_loadtest
    [ "$BUILD_ONLY" = yes ] && return 0
    ip netns list | awk '{print $1}' | grep -qx "$SITE_A_NS" || "$HERE/sites.sh" up
    for ns in "$SITE_A_NS" "$SITE_B_NS"; do
        if ip netns exec "$ns" ss -Hlun | awk '{print $4}' | grep -Eq ':(500|4500)$'; then
            die "UDP 500/4500 already in use in $ns; stop the IKE daemon there first"
        fi
    done
    mkdir -p "$STATE"
    local ok=0 targets
    if [ "$TARGET" = both ]; then targets="java strongswan"; else targets=$TARGET; fi
    log "$COUNT IKE SAs per target, $THREADS initiator threads (delay $DELAY ms), $INIT_LIMIT half-open, $PROPOSAL; $(nproc) cores"
    for t in $targets; do
        "start_$t"
        trap 'stop_java; stop_strongswan' EXIT
        if [ "$t" = java ] && [ "$KEEP" = no ]; then
            # warm-up so the figure is not the JIT's (C1/C2 took about half the responder's CPU with a warm-up of
            # 100 IKE SAs before a run of 1000), not reported
            local saved=$COUNT
            COUNT=$(( WARMUP > THREADS ? WARMUP : THREADS ))
            [ "$WARMUP" -eq 0 ] || run_initiator "warm-up" > /dev/null || true
            COUNT=$saved
        fi
        local round
        for round in $(seq 1 "$([ "$KEEP" = yes ] && echo 1 || echo "$ROUNDS")"); do
            run_initiator "$t" || ok=1
        done
        "stop_$t"
    done
    trap - EXIT
    return $ok
}

main
