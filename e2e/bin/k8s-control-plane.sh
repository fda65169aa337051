#!/usr/bin/env bash
# Run a throwaway Kubernetes 1.20.2 control plane on 127.0.0.1 for tests:
# etcd (Debian's etcd-server), kube-apiserver and, if asked for,
# kube-controller-manager, the last two built by k8s-apiserver.sh (which
# runs first if they are missing). There is no kubelet and no scheduler:
# objects are validated, stored and watched, but no pod ever runs.
#
# Usage: k8s-control-plane.sh start STATE_DIR [--with-controller-manager]
#        control-plane.sh stop STATE_DIR
#        control-plane.sh status STATE_DIR
#
#   start   starts the processes in the background, waits until the API server
#           answers /readyz (and the controller manager /healthz), writes
#           STATE_DIR/kubeconfig (cluster-admin through a token, CA included)
#           and prints its path on stdout. Every start after a stop begins
#           with an empty etcd. On a running control plane, start only adds
#           the controller manager if it is asked for and not running.
#   stop    stops the processes that start recorded in STATE_DIR, and no
#           others; STATE_DIR and the logs in it are kept.
#   status  one line per process; exit status 0 if every process that was
#           started runs and the API server is ready, 3 otherwise.
#
# Environment:
#   CP_APISERVER_PORT, CP_ETCD_PORT, CP_ETCD_PEER_PORT, CP_KCM_PORT
#                     ports to listen on, all on 127.0.0.1 (default: a free
#                     port each, from 20000-31999)
#   CP_START_TIMEOUT  seconds to wait for each process to be ready (default 90)
#   K8S_BIN_DIR       kube-apiserver and kube-controller-manager
#                     (default ${XDG_CACHE_HOME:-$HOME/.cache}/strait-k8s/1.20.2)
# Files in STATE_DIR: kubeconfig, ca.crt, ports.env, <process>.pid,
# <process>.log, etcd-data/, certs/, sa.key, sa.pub, tokens.csv.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# settings and helpers shared by the Kubernetes scripts
. "$HERE/k8s-common.sh"

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}" >&2; exit 2; }

[ $# -ge 2 ] || usage
CMD=$1
STATE=$(realpath -m "$2")
shift 2
WITH_KCM=no
for a in "$@"; do
    case "$a" in
        --with-controller-manager) WITH_KCM=yes ;;
        *) usage ;;
    esac
done
: "${CP_START_TIMEOUT:=90}"
ETCD=/usr/bin/etcd
KUBECONFIG_FILE=$STATE/kubeconfig

# pid_of NAME : print the recorded pid of NAME if that process still runs and
# is the one started for this STATE_DIR (its command line names STATE_DIR)
pid_of() {
    local pid
    pid=$(cat "$STATE/$1.pid" 2>/dev/null) || return 1
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    tr '\0' '\n' 2>/dev/null < "/proc/$pid/cmdline" | grep -qF -- "$STATE/" || return 1
    echo "$pid"
}

# port_in_use PORT : some TCP socket (IPv4 or IPv6) has local port PORT
port_in_use() {
    local f files=()
    for f in /proc/net/tcp /proc/net/tcp6; do [ -r "$f" ] && files+=("$f"); done
    [ "${#files[@]}" -gt 0 ] || return 1
    awk -v p="$(printf ':%04X' "$1")" \
        'FNR > 1 && substr($2, length($2) - 4) == p { found = 1 } END { exit !found }' "${files[@]}"
}

# assign_port VAR REQUESTED : set VAR to REQUESTED, or to a free port if empty
PICKED=()
assign_port() {
    local var=$1 p=$2
    if [ -n "$p" ]; then
        [[ "$p" =~ ^[1-9][0-9]{0,4}$ && "$p" -le 65535 ]] || die "bad port '$p' for $var"
        if port_in_use "$p" || [[ " ${PICKED[*]} " == *" $p "* ]]; then
            die "port $p for $var is already in use"
        fi
    else
        for _ in $(seq 100); do
            p=$((20000 + RANDOM % 12000))
            port_in_use "$p" || [[ " ${PICKED[*]} " == *" $p "* ]] || break
            p=""
        done
        [ -n "$p" ] || die "no free port found for $var"
    fi
    PICKED+=("$p")
    printf -v "$var" '%s' "$p"
}

# launch NAME COMMAND... : start COMMAND detached, log to NAME.log, pid to NAME.pid
launch() {
    local name=$1
    shift
    (
        # etcd refuses to start when an ETCD_* variable shadows one of its flags
        while read -r v; do unset "$v"; done < <(compgen -e | grep '^ETCD_' || true)
        exec setsid "$@" < /dev/null > "$STATE/$name.log" 2>&1
    ) &
    echo $! > "$STATE/$name.pid"
}

# wait_ready NAME URL PATTERN : until URL answers with a body matching PATTERN
wait_ready() {
    local name=$1 url=$2 pattern=$3 deadline=$((SECONDS + CP_START_TIMEOUT)) body
    while :; do
        body=$(curl -skf --max-time 2 "$url" 2>/dev/null || true)
        # shellcheck disable=SC2053  # PATTERN is a glob
        [[ "$body" == $pattern ]] && return 0
        # /proc/PID/cmdline is briefly empty while the launcher execs the binary: only a process that is still
        # missing half a second later has really exited.
        if ! pid_of "$name" >/dev/null && ! { sleep 0.5; pid_of "$name" >/dev/null; }; then
            tail -n 20 "$STATE/$name.log" >&2
            die "$name exited during start-up; log: $STATE/$name.log"
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            tail -n 20 "$STATE/$name.log" >&2
            die "$name not ready after $CP_START_TIMEOUT s; log: $STATE/$name.log"
        fi
        sleep 0.5
    done
}

write_kubeconfig() {
    local token=$1
    # kube-apiserver generated a self-signed CA and a serving certificate for
    # 127.0.0.1; certs/apiserver.crt holds the serving certificate, then the CA.
    awk '/-BEGIN CERTIFICATE-/ { pem = "" } { pem = pem $0 "\n" }
         /-END CERTIFICATE-/ { last = pem } END { printf "%s", last }' \
        "$STATE/certs/apiserver.crt" > "$STATE/ca.crt"
    (
        umask 077
        cat > "$KUBECONFIG_FILE.new" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority-data: $(base64 -w0 < "$STATE/ca.crt")
users:
- name: admin
  user:
    token: $token
contexts:
- name: local
  context:
    cluster: local
    user: admin
current-context: local
EOF
    )
    mv -f "$KUBECONFIG_FILE.new" "$KUBECONFIG_FILE"
    # the CA, the token and the admin rights all work; the API server creates the "default" namespace shortly
    # after /readyz turns ok, so give it a few seconds before calling the credentials wrong
    local tries
    for tries in $(seq 20); do
        curl -sf --max-time 5 --cacert "$STATE/ca.crt" -H @- \
            "https://127.0.0.1:$APISERVER_PORT/api/v1/namespaces/default" \
            <<< "Authorization: Bearer $token" > /dev/null && return 0
        sleep 0.5
    done
    die "the API server does not accept the credentials in $KUBECONFIG_FILE"
}

start_kcm() {
    log "starting kube-controller-manager (secure port $KCM_PORT)"
    launch kube-controller-manager "$K8S_BIN_DIR/kube-controller-manager" \
        --kubeconfig="$KUBECONFIG_FILE" --leader-elect=false \
        --service-account-private-key-file="$STATE/sa.key" --root-ca-file="$STATE/ca.crt" \
        --bind-address=127.0.0.1 --secure-port="$KCM_PORT" --port=0
    wait_ready kube-controller-manager "https://127.0.0.1:$KCM_PORT/healthz" ok
}

start() {
    ensure_k8s_bins
    [ -x "$ETCD" ] || ensure_packages etcd-server
    command -v openssl >/dev/null || ensure_packages openssl
    command -v curl >/dev/null || ensure_packages curl
    mkdir -p "$STATE"

    if pid_of etcd >/dev/null && pid_of kube-apiserver >/dev/null; then
        # shellcheck source=/dev/null
        . "$STATE/ports.env"
        log "already running (API server on port $APISERVER_PORT)"
        if [ "$WITH_KCM" = yes ] && ! pid_of kube-controller-manager >/dev/null; then
            trap 'stop_one kube-controller-manager' EXIT   # if it fails to come up
            start_kcm
            trap - EXIT
        fi
        echo "$KUBECONFIG_FILE"
        return 0
    fi
    stop_all   # whatever is left of an earlier, partly failed start

    local started=$SECONDS token
    # a failed start leaves nothing running
    trap 'log "start failed; stopping what was started"; stop_all' EXIT
    rm -rf "$STATE/etcd-data" "$STATE/certs" "$KUBECONFIG_FILE" "$STATE/ca.crt"
    assign_port APISERVER_PORT "${CP_APISERVER_PORT:-}"
    assign_port ETCD_PORT "${CP_ETCD_PORT:-}"
    assign_port ETCD_PEER_PORT "${CP_ETCD_PEER_PORT:-}"
    assign_port KCM_PORT "${CP_KCM_PORT:-}"
    printf 'APISERVER_PORT=%s\nETCD_PORT=%s\nETCD_PEER_PORT=%s\nKCM_PORT=%s\n' \
        "$APISERVER_PORT" "$ETCD_PORT" "$ETCD_PEER_PORT" "$KCM_PORT" > "$STATE/ports.env"
    if [ ! -f "$STATE/sa.key" ]; then
        (umask 077; openssl genrsa -out "$STATE/sa.key" 2048 2>/dev/null)
        openssl rsa -in "$STATE/sa.key" -pubout -out "$STATE/sa.pub" 2>/dev/null
    fi
    token=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
    (umask 077; echo "$token,admin,admin,system:masters" > "$STATE/tokens.csv")

    log "starting etcd (client port $ETCD_PORT, peer port $ETCD_PEER_PORT)"
    launch etcd "$ETCD" --name cp --data-dir "$STATE/etcd-data" \
        --listen-client-urls "http://127.0.0.1:$ETCD_PORT" \
        --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
        --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
        --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
        --initial-cluster "cp=http://127.0.0.1:$ETCD_PEER_PORT"
    wait_ready etcd "http://127.0.0.1:$ETCD_PORT/health" '*"health":"true"*'

    log "starting kube-apiserver (port $APISERVER_PORT)"
    launch kube-apiserver "$K8S_BIN_DIR/kube-apiserver" \
        --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
        --bind-address=127.0.0.1 --advertise-address=127.0.0.1 \
        --secure-port="$APISERVER_PORT" --cert-dir="$STATE/certs" \
        --service-cluster-ip-range=10.0.0.0/24 \
        --service-account-issuer=https://kubernetes.default.svc \
        --service-account-key-file="$STATE/sa.pub" \
        --service-account-signing-key-file="$STATE/sa.key" \
        --token-auth-file="$STATE/tokens.csv" \
        --authorization-mode=RBAC --allow-privileged=true
    wait_ready kube-apiserver "https://127.0.0.1:$APISERVER_PORT/readyz" ok
    write_kubeconfig "$token"

    [ "$WITH_KCM" = no ] || start_kcm
    trap - EXIT
    log "control plane ready in $((SECONDS - started)) s; export KUBECONFIG=$KUBECONFIG_FILE"
    echo "$KUBECONFIG_FILE"
}

stop_one() {
    local name=$1 pid
    if pid=$(pid_of "$name"); then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 150); do
            pid_of "$name" >/dev/null || break
            sleep 0.1
        done
        if pid_of "$name" >/dev/null; then
            kill -KILL "$pid" 2>/dev/null || true
            log "killed $name (pid $pid), it ignored SIGTERM for 15 s"
        else
            log "stopped $name (pid $pid)"
        fi
    fi
    rm -f "$STATE/$name.pid"
}

stop_all() {
    stop_one kube-controller-manager
    stop_one kube-apiserver
    stop_one etcd
}

status() {
    local rc=0 name pid port ready
    APISERVER_PORT="" ETCD_PORT="" KCM_PORT=""
    # shellcheck source=/dev/null
    [ ! -f "$STATE/ports.env" ] || . "$STATE/ports.env"
    for name in etcd kube-apiserver kube-controller-manager; do
        case $name in
            etcd) port=$ETCD_PORT ;;
            kube-apiserver) port=$APISERVER_PORT ;;
            kube-controller-manager) port=$KCM_PORT ;;
        esac
        if pid=$(pid_of "$name"); then
            printf '%-24s running  pid %-7s 127.0.0.1:%s\n' "$name" "$pid" "$port"
        elif [ -f "$STATE/$name.pid" ]; then
            printf '%-24s DEAD     (see %s)\n' "$name" "$STATE/$name.log"
            rc=3
        else
            printf '%-24s not running\n' "$name"
            [ "$name" = kube-controller-manager ] || rc=3
        fi
    done
    if [ -n "$APISERVER_PORT" ] && pid_of kube-apiserver >/dev/null; then
        ready=$(curl -skf --max-time 2 "https://127.0.0.1:$APISERVER_PORT/readyz" 2>/dev/null || echo "not ready")
        printf '%-24s %s\n' readyz "$ready"
        [ "$ready" = ok ] || rc=3
    fi
    [ ! -f "$KUBECONFIG_FILE" ] || printf '%-24s %s\n' kubeconfig "$KUBECONFIG_FILE"
    return "$rc"
}

case "$CMD" in
    start) start ;;
    stop) stop_all ;;
    status) status ;;
    -h|--help) usage ;;
    *) usage ;;
esac
