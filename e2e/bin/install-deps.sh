#!/usr/bin/env bash
# Installs the Debian packages the test suite uses (strongSwan peer, tshark, iperf3, etcd, kubectl, promtool, and
# containerd, runc, CNI plugins, buildah and debootstrap for the local cluster of e2e/bin/cluster.sh, qemu for the
# kernel-ESP peer of e2e/bin/kernel-peer.sh), and unpacks Libreswan for the second test peer.
# Idempotent: apt-get runs only when something is missing.
set -euo pipefail
pkgs=(charon-systemd strongswan-swanctl libcharon-extra-plugins libstrongswan-standard-plugins
      libstrongswan-extra-plugins strongswan-pki iproute2 tcpdump iputils-ping iperf3 tshark
      etcd-server procps psmisc curl unzip prometheus
      containerd runc containernetworking-plugins buildah debootstrap iptables gcc libc6-dev openssl
      qemu-system-x86 kmod cpio)
# kubectl: Debian's kubernetes-client only when no kubectl is on PATH (another package may ship one).
command -v kubectl >/dev/null 2>&1 || pkgs+=(kubernetes-client)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}" >&2
fi
# Debian enables a system strongSwan and etcd on install; the tests run their own instances.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  systemctl disable --now strongswan strongswan-starter etcd prometheus containerd >/dev/null 2>&1 || true
fi

# Libreswan 4.10 (LibreswanInteropIT): downloaded and unpacked into ~/.cache/strait-libreswan, never apt-installed
# (it conflicts with strongSwan's packages); its library dependencies are installed.
bash "$(dirname "$0")/libreswan.sh" install

# Kubernetes 1.20.2 (kube-apiserver for the operator's API tests, and the node binaries for the local cluster):
# built once from Debian's source package into ~/.cache/strait-k8s (5-9 minutes), then reused.
# STRAIT_K8S_BUILD=later leaves it to the caller (.ci/run starts it in the background; the tests wait for it).
if [ "${STRAIT_K8S_BUILD:-}" != later ]; then
  bash "$(dirname "$0")/k8s-apiserver.sh" >/dev/null
fi

# The kernel-ESP peer's VM (Debian's cloud kernel + an initramfs with the host's charon), cached in ~/.cache.
bash "$(dirname "$0")/kernel-peer.sh" build >/dev/null
