#!/usr/bin/env bash
# Libreswan's IKE daemon (pluto, Debian bookworm's libreswan 4.10) as a test peer in a network namespace.
# The package conflicts with strongSwan's (Conflicts: strongswan-libcharon, strongswan-starter, ike-server), so it
# is never apt-installed: "install" fetches the .deb with "apt-get download" and unpacks it with "dpkg-deb -x" into
# a cache directory. pluto execs /usr/libexec/ipsec/addconn from that fixed path, so "start" runs it in a private
# mount namespace where the unpacked usr/libexec/ipsec is bound there (read-only, on a tmpfs over /usr/libexec):
# the host's file system is never changed and the mounts go away with pluto.
#
#   libreswan.sh install                 fetch and unpack libreswan, install its library dependencies (idempotent)
#   libreswan.sh start  NS CONFDIR       start pluto in NS with CONFDIR/ipsec.conf and CONFDIR/ipsec.secrets and
#                                        load every conn with auto=add|start|ondemand
#   libreswan.sh stop   NS CONFDIR       SIGTERM (pluto sends Delete for its SAs), SIGKILL after 10 s
#   libreswan.sh whack  NS CONFDIR ARGS  whack against that pluto, e.g. --initiate --name NAME, --rekey-ike --name
#                                        NAME, --terminate --name NAME, --impair omit-v2-ike-auth-child, --showstates
#
# CONFDIR receives the instance's state: nss/ (NSS database, created when missing), run/ (pluto.pid, pluto.ctl),
# pluto.log (the previous run's in pluto.log.prev), pluto.stdout. Paths from ipsec.conf's "config setup" are
# overridden on the command line.
#
#   LIBRESWAN_ROOT  where the .deb is unpacked (default ~/.cache/strait-libreswan/root; delete it to fetch again)
#   PLUTO_DEBUG     debug classes at start, e.g. "base"; "crypt private" logs key material (tests only)
#   PLUTO_IMPAIR    impairments at start, before any conn is loaded, e.g. "omit-v2-ike-auth-child revival"
set -euo pipefail

: "${LIBRESWAN_ROOT:=${XDG_CACHE_HOME:-$HOME/.cache}/strait-libreswan/root}"
LIBEXEC=usr/libexec/ipsec   # inside LIBRESWAN_ROOT
WANT_VERSION=4.10           # what the tests and docs/interop.md describe

log() { printf '[libreswan.sh] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}" >&2; exit 2; }

ns_exists() { ip netns list 2>/dev/null | awk '{print $1}' | grep -qx -- "$1"; }
bin()       { printf '%s/%s/%s\n' "$LIBRESWAN_ROOT" "$LIBEXEC" "$1"; }
unpacked()  { [ -x "$(bin pluto)" ] && [ -x "$(bin whack)" ] && [ -x "$(bin addconn)" ] && [ -f "$LIBRESWAN_ROOT/.deb" ]; }
apt_get()   { DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -o Dpkg::Use-Pty=0 "$@"; }

# ---------------------------------------------------------------------------------------------------- install

# The library packages among the .deb's Depends (first alternative, no version). libnss3-tools brings certutil,
# which creates the NSS database. The rest (dns-root-data, host, iptables, iproute2) pluto does not need here.
lib_depends() {
    dpkg-deb -f "$1" Depends | tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/:any//; s/[[:space:]]//g' | grep '^lib' | sort -u
}

fetch() {
    local parent tmp deb
    parent=$(dirname "$LIBRESWAN_ROOT")
    mkdir -p "$parent"
    tmp=$(mktemp -d "$parent/.fetch.XXXXXX")
    # shellcheck disable=SC2064 # expand now
    trap "rm -rf '$tmp'" EXIT
    if id _apt >/dev/null 2>&1; then chown _apt "$tmp"; fi   # apt downloads as _apt
    if ! (cd "$tmp" && apt_get -q download libreswan >/dev/null 2>&1); then
        apt_get -qq update >/dev/null || die "apt-get update failed"
        (cd "$tmp" && apt_get -q download libreswan >/dev/null) || die "apt-get download libreswan failed"
    fi
    deb=$(find "$tmp" -maxdepth 1 -name 'libreswan_*.deb' | head -n 1)
    [ -n "$deb" ] || die "apt-get download left no libreswan_*.deb"
    dpkg-deb -x "$deb" "$tmp/root" || die "dpkg-deb -x $deb failed"
    cp "$deb" "$tmp/root/.deb"   # kept for its control fields (Version, Depends)
    rm -rf "$LIBRESWAN_ROOT"
    mv "$tmp/root" "$LIBRESWAN_ROOT"
    rm -rf "$tmp"
    trap - EXIT
    unpacked || die "the package has no $LIBEXEC/{pluto,whack,addconn}"
    log "unpacked libreswan $(dpkg-deb -f "$LIBRESWAN_ROOT/.deb" Version) into $LIBRESWAN_ROOT"
}

cmd_install() {
    local missing=() p unresolved version
    unpacked || fetch
    version=$(dpkg-deb -f "$LIBRESWAN_ROOT/.deb" Version)
    [[ $version == "$WANT_VERSION"* ]] || log "WARNING: libreswan $version, the tests expect $WANT_VERSION"
    for p in $(lib_depends "$LIBRESWAN_ROOT/.deb"); do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        log "installing libreswan's libraries: ${missing[*]}"
        if ! apt_get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
            apt_get -qq update >/dev/null || die "apt-get update failed"
            apt_get install -y -q --no-install-recommends "${missing[@]}" >&2 || die "apt-get install ${missing[*]} failed"
        fi
    fi
    unresolved=$(for p in pluto whack addconn; do ldd "$(bin "$p")" 2>&1 | grep 'not found' || true; done | sort -u)
    [ -z "$unresolved" ] || die "unresolved libraries: $(echo "$unresolved" | tr -s ' \t\n' ' ')"
    command -v certutil >/dev/null || die "certutil (libnss3-tools) is missing"
}

# ---------------------------------------------------------------------------------------------------- instance

resolve() {   # resolve NS CONFDIR: sets CONF (absolute), RUN, CTL, PIDF
    { [ -n "${1:-}" ] && [ -n "${2:-}" ]; } || usage
    [ -d "$2" ] || die "no such directory: $2"
    CONF=$(cd "$2" && pwd)
    RUN=$CONF/run
    CTL=$RUN/pluto.ctl
    PIDF=$RUN/pluto.pid
}

running_pid() {   # pid of the pluto that CONFDIR's pid file names, if it still runs with this run dir; else empty
    local pid
    [ -f "$PIDF" ] || return 0
    pid=$(tr -dc '0-9' < "$PIDF")
    [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = pluto ] || return 0
    tr '\0' '\n' < "/proc/$pid/cmdline" 2>/dev/null | grep -qxF -- "$RUN" || return 0
    echo "$pid"
}

whack_ns() { local ns=$1; shift; ip netns exec "$ns" "$(bin whack)" --ctlsocket "$CTL" "$@"; }

pids_in_mntns() {   # pids_in_mntns LINK: the processes in that mount namespace
    local p
    for p in /proc/[0-9]*; do
        [ "$(readlink "$p/ns/mnt" 2>/dev/null)" = "$1" ] && echo "${p#/proc/}"
    done
    return 0
}

wanted_conns() {
    "$(bin addconn)" --config "$CONF/ipsec.conf" --listadd --listroute --liststart 2>/dev/null |
        tr ' ' '\n' | sed '/^$/d' | sort -u
}

loaded_conns() { whack_ns "$1" --status 2>/dev/null | sed -n 's/^[0-9]* *"\([^"]*\)":.*/\1/p' | sort -u; }

# pluto runs "addconn --autoall" itself when it starts: wait for that helper (the only other process in pluto's
# mount namespace) to end, then add what is missing, and fail if a conn still is.
load_conns() {   # load_conns NS PID
    local ns=$1 mntns c missing=() _
    mntns=$(readlink "/proc/$2/ns/mnt")
    for _ in $(seq 1 100); do
        [ "$(pids_in_mntns "$mntns" | grep -cvx -- "$2")" -eq 0 ] && break
        sleep 0.1
    done
    mapfile -t missing < <(comm -23 <(wanted_conns) <(loaded_conns "$ns"))
    for c in "${missing[@]}"; do
        ip netns exec "$ns" "$(bin addconn)" --config "$CONF/ipsec.conf" --ctlsocket "$CTL" "$c" >&2 ||
            die "addconn $c failed (see $CONF/pluto.log)"
    done
    mapfile -t missing < <(comm -23 <(wanted_conns) <(loaded_conns "$ns"))
    [ "${#missing[@]}" -eq 0 ] || die "conns not loaded: ${missing[*]} (see $CONF/pluto.log)"
}

# Runs inside "unshare --mount": the unpacked tree at the path pluto execs its helpers from, then pluto.
# shellcheck disable=SC2016 # expanded by the inner shell
MOUNT_AND_EXEC='set -e
root=$1; shift
mount -t tmpfs -o mode=0755,size=1m strait-libreswan /usr/libexec
mkdir /usr/libexec/ipsec
mount --bind "$root/usr/libexec/ipsec" /usr/libexec/ipsec
mount -o remount,bind,ro /usr/libexec/ipsec
exec /usr/libexec/ipsec/pluto "$@"'

cmd_start() {
    [ $# -eq 2 ] || usage
    local ns=$1 pid out w _ args=()
    resolve "$@"
    ns_exists "$ns" || die "network namespace $ns does not exist"
    unpacked || die "libreswan is not unpacked in $LIBRESWAN_ROOT (run: libreswan.sh install)"
    command -v certutil >/dev/null || die "certutil is missing (run: libreswan.sh install)"
    [ -f "$CONF/ipsec.conf" ] && [ -f "$CONF/ipsec.secrets" ] || die "$CONF needs ipsec.conf and ipsec.secrets"
    [ "${#CTL}" -lt 100 ] || die "control socket path too long for a unix socket: $CTL"
    out=$("$(bin addconn)" --config "$CONF/ipsec.conf" --checkconfig 2>&1) ||
        die "$CONF/ipsec.conf: $(printf '%s' "$out" | tr '\n' ' ')"
    pid=$(running_pid)
    if [ -n "$pid" ]; then
        [ "$(ip netns identify "$pid" 2>/dev/null)" = "$ns" ] || die "pluto for $CONF (pid $pid) runs in another namespace"
        log "pluto already runs in $ns (pid $pid); loading missing conns"
        load_conns "$ns" "$pid"
        return 0
    fi
    out=$(ip netns exec "$ns" ss -Hulnp 'sport = :500' 2>/dev/null || true)
    [ -z "$out" ] || die "UDP port 500 is taken in $ns: $(printf '%s' "$out" | tr -s ' \n' ' ')"

    mkdir -p "$RUN"
    chmod 700 "$RUN"
    rm -f "$PIDF" "$CTL"
    if [ -f "$CONF/pluto.log" ]; then mv -f "$CONF/pluto.log" "$CONF/pluto.log.prev"; fi
    if [ ! -f "$CONF/nss/cert9.db" ]; then
        mkdir -p "$CONF/nss"
        certutil -N -d "sql:$CONF/nss" --empty-password >/dev/null 2>&1 || die "certutil could not create $CONF/nss"
    fi
    args=(--config "$CONF/ipsec.conf" --rundir "$RUN" --dumpdir "$RUN" --ipsecdir "$CONF" --nssdir "$CONF/nss"
          --secretsfile "$CONF/ipsec.secrets" --logfile "$CONF/pluto.log" --no-dnssec)
    for w in ${PLUTO_DEBUG:-}; do args+=(--debug "$w"); done
    for w in ${PLUTO_IMPAIR:-}; do args+=(--impair "$w"); done
    # pluto forks into the background and writes run/pluto.pid
    ip netns exec "$ns" unshare --mount --propagation private -- \
        /bin/sh -c "$MOUNT_AND_EXEC" strait-libreswan "$LIBRESWAN_ROOT" "${args[@]}" \
        </dev/null >"$CONF/pluto.stdout" 2>&1 || die "pluto did not start: $(tail -n 3 "$CONF/pluto.stdout" | tr '\n' ' ')"
    pid=""
    for _ in $(seq 1 100); do   # up to 10 s for the pid file and the control socket
        pid=$(running_pid)
        if [ -n "$pid" ] && [ -S "$CTL" ] && whack_ns "$ns" --status >/dev/null 2>&1; then break; fi
        pid=""
        grep -q 'FATAL ERROR' "$CONF/pluto.log" 2>/dev/null && break
        sleep 0.1
    done
    if [ -z "$pid" ]; then
        pid=$(running_pid)
        if [ -n "$pid" ]; then kill -KILL "$pid" 2>/dev/null || true; fi
        die "pluto did not come up in $ns: $(grep -v ': | ' "$CONF/pluto.log" 2>/dev/null | tail -n 3 | tr '\n' ' ')"
    fi
    load_conns "$ns" "$pid"
    log "pluto runs in $ns (pid $pid), conns: $(loaded_conns "$ns" | tr '\n' ' ')log $CONF/pluto.log"
}

cmd_whack() {
    [ $# -ge 3 ] || usage
    local ns=$1
    resolve "$1" "$2"
    shift 2
    [ -n "$(running_pid)" ] || die "no pluto runs in $ns for $CONF"
    whack_ns "$ns" "$@"
}

cmd_stop() {
    [ $# -eq 2 ] || usage
    local pid mntns left _
    resolve "$@"
    pid=$(running_pid)
    if [ -n "$pid" ]; then
        mntns=$(readlink "/proc/$pid/ns/mnt")
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        if kill -0 "$pid" 2>/dev/null; then
            log "pluto (pid $pid) ignored SIGTERM for 10 s; killing it"
            kill -KILL "$pid" 2>/dev/null || true
            for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        fi
        # helpers pluto started (addconn, _updown) share its mount namespace
        left=$(pids_in_mntns "$mntns")
        # shellcheck disable=SC2086 # a list of pids
        if [ -n "$left" ]; then kill -KILL $left 2>/dev/null || true; fi
    fi
    rm -f "$PIDF" "$CTL"
}

cmd=${1:-}
[ $# -gt 0 ] && shift
[ "$(id -u)" -eq 0 ] || die "must run as root"
case "$cmd" in
    install) [ $# -eq 0 ] || usage; cmd_install ;;
    start)   cmd_start "$@" ;;
    stop)    cmd_stop "$@" ;;
    whack)   cmd_whack "$@" ;;
    *)       usage ;;
esac
