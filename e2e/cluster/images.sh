# shellcheck shell=bash
# Images for the local cluster, built with buildah: no registry is reachable, so the base images come from
# debootstrap (Debian's archive) and the project's images from Dockerfile.gateway / Dockerfile.operator as they
# are, with only BUILD_IMAGE and RUNTIME_IMAGE pointing at the local bases. Sourced by cluster.sh.

debian_mirror() {
    local m
    m=$(awk '/^URIs:/ && /debian\/?$/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
    [ -n "$m" ] || m=$(awk '$1 == "deb" && $2 ~ /debian\/?$/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
    echo "${m:-http://deb.debian.org/debian}"
}

# A minbase rootfs tar (stand-in for debian:bookworm-slim) and a "tools" variant for test pods and the build image.
base_rootfs() {
    local d=$C/base mirror
    [ -s "$d/bookworm-slim.tar" ] && [ -s "$d/bookworm-tools.tar" ] && [ -s "$d/sources.list" ] && return 0
    mirror=$(debian_mirror)
    log "debootstrap --variant=minbase bookworm from $mirror (1-2 minutes, once)"
    rm -rf "$d/rootfs" && mkdir -p "$d"
    debootstrap --variant=minbase bookworm "$d/rootfs" "$mirror" >"$d/debootstrap.log" 2>&1 ||
        { tail -20 "$d/debootstrap.log" >&2; die "debootstrap failed"; }
    slim_down "$d/rootfs"
    tar -C "$d/rootfs" --numeric-owner -cf "$d/bookworm-slim.tar.new" . && mv "$d/bookworm-slim.tar.new" "$d/bookworm-slim.tar"
    mount --bind /proc "$d/rootfs/proc"
    cp /etc/resolv.conf "$d/rootfs/etc/resolv.conf"
    echo "deb $mirror bookworm main" >"$d/sources.list"
    cp "$d/sources.list" "$d/rootfs/etc/apt/sources.list"
    chroot "$d/rootfs" sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends iproute2 iputils-ping procps curl ca-certificates iperf3 tcpdump netcat-openbsd' \
        >>"$d/debootstrap.log" 2>&1 || { umount "$d/rootfs/proc"; tail -20 "$d/debootstrap.log" >&2; die "tools install failed"; }
    umount "$d/rootfs/proc"
    : >"$d/rootfs/etc/resolv.conf"
    slim_down "$d/rootfs"
    tar -C "$d/rootfs" --numeric-owner -cf "$d/bookworm-tools.tar.new" . && mv "$d/bookworm-tools.tar.new" "$d/bookworm-tools.tar"
    rm -rf "$d/rootfs"
}

slim_down() {
    chroot "$1" apt-get clean
    rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin "$1"/var/log/*.log "$1"/usr/share/doc/* "$1"/usr/share/man/*
}

have_image() { bah inspect --type image "$1" >/dev/null 2>&1; }

# from_tar TAR IMAGE : an image whose only layer is TAR
from_tar() {
    local c
    c=$(bah from scratch)
    bah add -q "$c" "$1" /
    bah config --cmd '["bash"]' --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$c"
    bah commit -q "$c" "$2" >/dev/null
    bah rm "$c" >/dev/null
}

base_images() {
    base_rootfs
    have_image "$IMG_DEBIAN" || from_tar "$C/base/bookworm-slim.tar" "$IMG_DEBIAN"
    have_image "$IMG_TOOLS" || from_tar "$C/base/bookworm-tools.tar" "$IMG_TOOLS"
    if ! have_image "$IMG_JDK"; then
        # The build stage's stand-in keeps eclipse-temurin's layout: JDK in /opt/java/openjdk, binutils for jlink.
        local c jdk=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
        [ -x "$jdk/bin/jlink" ] || die "no JDK 25 at $jdk (set JAVA_HOME)"
        c=$(bah from "$IMG_TOOLS")
        bah copy -q "$c" "$(realpath "$jdk")" /opt/java/openjdk
        # Maven Central over TLS: the host's trust stores (the JDK's cacerts may be a link into /etc/ssl)
        bah copy -q "$c" /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
        [ -f /etc/ssl/certs/java/cacerts ] && bah copy -q "$c" /etc/ssl/certs/java/cacerts /etc/ssl/certs/java/cacerts
        bah copy -q "$c" "$C/base/sources.list" /etc/apt/sources.list
        bah run --runtime /usr/bin/runc --network host --isolation oci "$c" -- sh -c 'apt-get update -qq &&
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends binutils >/dev/null &&
            rm -rf /var/lib/apt/lists/*' || die "binutils in the build image failed"
        bah config --env JAVA_HOME=/opt/java/openjdk \
            --env PATH=/opt/java/openjdk/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$c"
        bah commit -q "$c" "$IMG_JDK" >/dev/null
        bah rm "$c" >/dev/null
    fi
    if ! have_image "$IMG_PAUSE"; then
        local c
        gcc -Os -static -o "$C/pause" "$HERE/../cluster/pause.c" && strip "$C/pause"
        c=$(bah from scratch)
        bah copy -q "$c" "$C/pause" /pause
        bah config --entrypoint '["/pause"]' --user 65535:65535 "$c"
        bah commit -q "$c" "$IMG_PAUSE" >/dev/null
        bah rm "$c" >/dev/null
    fi
}

# The project's images from its Dockerfiles (the working tree, so local changes are what runs).
strait_images() {
    local repo comp start args
    repo=$(cd "$HERE/../.." && pwd)
    # runc: buildah prefers crun when installed, and Debian's crun refuses hybrid cgroup layouts.
    # host network: the build stage's mvnw reaches Maven Central; the host's ~/.m2 is mounted copy-on-write.
    args=(--runtime /usr/bin/runc --network host --layers --isolation oci
        --build-arg "BUILD_IMAGE=$IMG_JDK" --build-arg "RUNTIME_IMAGE=$IMG_DEBIAN")
    [ -d "$HOME/.m2/repository" ] && args+=(-v "$HOME/.m2:/root/.m2:O")
    for comp in gateway operator; do
        start=$SECONDS
        bah bud -q "${args[@]}" -f "$repo/Dockerfile.$comp" -t "strait.local/strait-$comp:dev" "$repo" \
            >"$S/build-$comp.log" 2>&1 || { tail -30 "$S/build-$comp.log" >&2; die "building Dockerfile.$comp failed"; }
        log "strait-$comp image built in $((SECONDS - start)) s"
    done
}

# export_images : docker-archive tars that every node's containerd imports
export_images() {
    local img f
    mkdir -p "$IMAGES"
    for img in "$IMG_PAUSE" "$IMG_TOOLS" "$IMG_GATEWAY" "$IMG_OPERATOR"; do
        f=$IMAGES/$(echo "${img#*/}" | tr ':/' '__').tar
        rm -f "$f"
        bah push -q "$img" "docker-archive:$f:$img" >/dev/null
    done
}
