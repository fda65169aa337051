#!/usr/bin/env bash
# A strongSwan peer with the Linux kernel's own ESP (XFRM), in a small virtual machine.
#
# This machine's kernel has no ESP, so the namespace peers (strongswan.sh) use kernel-libipsec, which refuses some
# features (ESN among them). This script boots Debian's cloud kernel under qemu with an initramfs holding the host's
# charon and swanctl, so that those features are tested against the kernel's ESP, the one real deployments use.
#
#   kernel-peer.sh build                 fetch the kernel, build the initramfs (cached; prints the cache dir)
#   kernel-peer.sh start NS DIR          boot the VM inside namespace NS, its NIC a tap "kpeer0" there.
#                                        DIR holds swanctl.conf and net.conf (VM_ADDR, VM_GW, VM_LAN: see below);
#                                        the console goes to DIR/console.log, qemu's pid to DIR/qemu.pid.
#   kernel-peer.sh stop DIR              stop the VM started with DIR
#
# net.conf: VM_ADDR=10.241.0.2/24 (eth0), VM_GW=10.241.0.1 (default route), VM_LAN="10.242.0.1/32 ..." (on lo:
# the traffic selectors' hosts). Inside the VM, /init loads the XFRM and virtio modules, starts charon with the
# kernel-netlink backend, loads swanctl.conf and prints `ip -s xfrm state` and `swanctl --list-sas` between
# "@@STATE <n>" / "@@END" markers every 2 s, which is how tests read the VM's state.
# Runs under software emulation (TCG): nested KVM is not dependable on CI machines.
set -euo pipefail

CACHE=${STRAIT_KERNEL_PEER_CACHE:-$HOME/.cache/strait-kernel-peer}
KPKG=${STRAIT_KERNEL_PEER_PACKAGE:-linux-image-cloud-amd64}
PLUGINS="random nonce openssl pem pkcs1 pkcs8 x509 pubkey aes sha1 sha2 hmac gcm kdf curve25519 kernel-netlink
 socket-default vici updown"

log() { printf '[kernel-peer.sh] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}" >&2; exit 2; }

# The versioned image package the meta package points at, e.g. linux-image-6.1.0-57-cloud-amd64.
kernel_package() {
    apt-cache depends "$KPKG" 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9].*\)$/\1/p' | head -1
}

copy_with_libs() {   # copy_with_libs ROOT FILE...: FILE and every shared library it needs, same paths
    local root=$1 f lib
    shift
    for f in "$@"; do
        mkdir -p "$root$(dirname "$f")"
        cp -aL "$f" "$root$f"
        for lib in $(ldd "$f" 2>/dev/null | grep -o '/[^ ]*' | sort -u); do
            [ -e "$root$lib" ] && continue
            mkdir -p "$root$(dirname "$lib")"
            cp -aL "$lib" "$root$lib"
        done
    done
}

build() {
    command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing (e2e/bin/install-deps.sh installs it)"
    [ -x /usr/sbin/charon-systemd ] || [ -x /usr/lib/ipsec/charon ] || die "strongSwan missing (install-deps.sh)"
    local pkg dir
    pkg=$(kernel_package)
    if [ -z "$pkg" ]; then   # apt's lists may be missing on a machine that had every package already
        apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null 2>&1 || true
        pkg=$(kernel_package)
    fi
    [ -n "$pkg" ] || die "no package behind $KPKG in apt's lists (apt-get update failed?)"
    dir=$CACHE/$pkg
    if [ -s "$dir/initrd.cpio.gz" ] && [ -s "$dir/vmlinuz" ] && [ "$dir/initrd.cpio.gz" -nt "${BASH_SOURCE[0]}" ]; then
        echo "$dir"; return
    fi
    log "building $dir (kernel $pkg, initramfs with the host's charon)"
    rm -rf "$dir.tmp" && mkdir -p "$dir.tmp" && cd "$dir.tmp"
    apt-get download "$pkg" >/dev/null 2>&1 || die "apt-get download $pkg failed"
    dpkg-deb -x "$pkg"_*.deb k
    local kver root=$dir.tmp/root
    kver=$(ls k/lib/modules)
    cp k/boot/vmlinuz-* vmlinuz
    mkdir -p "$root"/{proc,sys,dev,run,tmp,etc,config,var} "$root/lib/modules/$kver/kernel/drivers"
    ln -s /run "$root/var/run"
    # Only what ESP over UDP and a virtio NIC need; modprobe finds the rest through modules.dep.
    cp -a k/lib/modules/"$kver"/modules.* "$root/lib/modules/$kver/"
    cp -a k/lib/modules/"$kver"/kernel/{crypto,net,lib,arch} "$root/lib/modules/$kver/kernel/"
    cp -a k/lib/modules/"$kver"/kernel/drivers/{virtio,net} "$root/lib/modules/$kver/kernel/drivers/"
    depmod -b "$root" "$kver"   # the package ships no modules.dep: dpkg's hook makes it at install
    local charon=/usr/sbin/charon-systemd
    [ -x "$charon" ] || charon=/usr/lib/ipsec/charon
    copy_with_libs "$root" /bin/bash /usr/bin/{sleep,cat,mkdir,date,seq,grep} /usr/bin/mount /usr/sbin/ip /usr/bin/kmod \
        /usr/sbin/swanctl "$charon" /usr/bin/ping
    for p in $PLUGINS; do copy_with_libs "$root" "/usr/lib/ipsec/plugins/libstrongswan-$p.so"; done
    copy_with_libs "$root" /usr/lib/x86_64-linux-gnu/libgcc_s.so.1   # dlopen()ed by pthread_cancel
    mkdir -p "$root/sbin" && ln -sf /usr/bin/kmod "$root/sbin/modprobe"
    ln -sf "$charon" "$root/charon"
    mkdir -p "$root/etc/strongswan.d" "$root/etc/swanctl"
    cat > "$root/etc/strongswan.conf" <<EOF
charon {
    load_modular = no
    load = $(echo $PLUGINS)
    install_routes = yes
    filelog { console { path = /dev/console  default = 1  ike = 2  chd = 2  knl = 1  time_format = %T } }
}
swanctl { load = pem pkcs1 x509 pubkey aes sha1 sha2 hmac }
EOF
    cat > "$root/init" <<'EOF'
#!/bin/bash
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev; mount -t tmpfs run /run
for m in virtio_pci virtio_net xfrm_user esp4 esp4_offload authenc authencesn gcm ghash_generic chacha20poly1305 \
         seqiv echainiv cbc sha256_generic sha512_generic hmac; do
    modprobe -q "$m" || echo "@@WARN modprobe $m failed"
done
. /config/net.conf
ip link set lo up
for a in $VM_LAN; do ip addr add "$a" dev lo; done
ip link set eth0 up
ip addr add "$VM_ADDR" dev eth0
ip route add default via "$VM_GW"
/charon &
for _ in $(seq 1 100); do [ -S /var/run/charon.vici ] && break; sleep 0.1; done
swanctl --load-all --file /config/swanctl.conf && echo "@@LOADED"
n=0
while true; do
    n=$((n + 1))
    # the key lines (aead, enc, auth...) stay out of the console log: tests read SPIs and flags only
    { echo "@@STATE $n"; ip -s xfrm state | grep -vE '^[[:space:]]+(aead|enc|auth|auth-trunc|comp) '
      swanctl --list-sas; echo "@@END"; } > /dev/console 2>&1
    sleep 2
done
EOF
    chmod +x "$root/init"
    (cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > initrd.cpio.gz
    rm -rf k "$root" ./*.deb
    rm -rf "$dir" && mv "$dir.tmp" "$dir"
    echo "$dir"
}

start() {
    local ns=$1 dir img
    dir=$(cd "$2" && pwd)
    [ -f "$dir/swanctl.conf" ] && [ -f "$dir/net.conf" ] || die "$dir needs swanctl.conf and net.conf"
    img=$(build)
    # The per-run config rides in a second (gzipped) cpio archive appended to the initramfs (the kernel unpacks both).
    rm -rf "$dir/cfgroot" && mkdir -p "$dir/cfgroot/config"
    cp "$dir/swanctl.conf" "$dir/net.conf" "$dir/cfgroot/config/"
    chmod 600 "$dir/cfgroot/config/swanctl.conf"
    (cd "$dir/cfgroot" && find . | cpio -o -H newc --quiet | gzip -1) | cat "$img/initrd.cpio.gz" - > "$dir/initrd"
    rm -rf "$dir/cfgroot"
    : > "$dir/console.log"
    ip netns exec "$ns" qemu-system-x86_64 -accel tcg -cpu max -m 384 -smp 1 -nodefaults -display none \
        -no-reboot -daemonize -pidfile "$dir/qemu.pid" \
        -serial "file:$dir/console.log" \
        -kernel "$img/vmlinuz" -initrd "$dir/initrd" \
        -append "console=ttyS0 panic=-1 quiet loglevel=3 rdinit=/init" \
        -netdev tap,id=n0,ifname=kpeer0,script=no,downscript=no -device virtio-net-pci,netdev=n0 8>&-
    log "VM started in $ns (console: $dir/console.log)"
}

stop() {
    local dir=$1 pid
    pid=$(cat "$dir/qemu.pid" 2>/dev/null || true)
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    rm -f "$dir/qemu.pid" "$dir/initrd"
}

case "${1:-}" in
    build) build ;;
    start) [ $# -eq 3 ] || usage; start "$2" "$3" ;;
    stop) [ $# -eq 2 ] || usage; stop "$2" ;;
    *) usage ;;
esac
