# shellcheck shell=bash
# Sourced by demo.sh and e2e/bin/bench-throughput.sh: one userspace Strait gateway in a site's namespace.
# Needs JAVA, JAR, WORK, PSK and die() from the caller.
#
# gateway_up PIDS_VAR TUNNEL NS LOCAL PEER LOCAL_ID PEER_ID LOCAL_NET REMOTE_NET INITIATION
#   Writes $WORK/gateway-NS.yaml (mode 600: it holds $PSK) with one tunnel, starts the gateway in NS (log
#   $WORK/gateway-NS.log, extra JVM options from GATEWAY_JAVA_OPTS), adds its pid to the array named PIDS_VAR
#   at once (so the caller's exit trap stops it even when this fails) and waits until its /readyz answers 200.
gateway_up() {
    local -n gateway_pids=$1
    local tunnel=$2 ns=$3 yaml="$WORK/gateway-$3.yaml" log="$WORK/gateway-$3.log" _
    shift 3
    (umask 077; cat >"$yaml" <<YAML
listen: {address: $1}
admin: {address: $1, port: 9090}
datapath: {mode: Userspace, tunName: strait0}
tunnels:
  - name: $tunnel
    peer: {address: $2, id: $4}
    local: {id: $3, subnets: [$5]}
    remote: {subnets: [$6]}
    auth: {psk: {value: "$PSK"}}
    ike: {proposals: [aes256gcm16-prfsha384-x25519]}
    esp: {proposals: [aes256gcm16]}
    encapsulation: Always
    initiation: $7
YAML
    )
    # shellcheck disable=SC2086
    ip netns exec "$ns" "$JAVA" --enable-native-access=ALL-UNNAMED ${GATEWAY_JAVA_OPTS:-} -jar "$JAR" run \
        --config "$yaml" >"$log" 2>&1 &
    gateway_pids+=("$!")
    for _ in $(seq 1 150); do
        kill -0 "${gateway_pids[-1]}" 2>/dev/null || { tail -n 30 "$log" >&2; die "gateway in $ns exited"; }
        [ "$(ip netns exec "$ns" curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://$1:9090/readyz")" = 200 ] \
            && return 0
        sleep 0.2
    done
    die "gateway in $ns not ready"
}
