#!/usr/bin/env bash
# Strait on a real Kubernetes cluster, on this machine: `sudo ./demo.sh --cluster`.
# Brings up the local two-node cluster (e2e/bin/cluster.sh: kubelet + containerd per node), installs the chart
# with helm, starts a strongSwan "remote site" with a LAN behind it on the cluster network, applies an
# IPsecGateway and an IPsecTunnel, and shows the tunnel Established, traffic through it and a few metrics. Then
# it removes everything, also on Ctrl-C. The first run builds Kubernetes and the images (about 12 minutes);
# later runs reuse the cache (2-3 minutes). --keep leaves the cluster up (KUBECONFIG=/var/tmp/strait-cluster/kubeconfig).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
KEEP=0
[ "${1:-}" = --keep ] && KEEP=1
export KUBECONFIG=/var/tmp/strait-cluster/kubeconfig
KUBECTL=${STRAIT_K8S_CACHE:-$HOME/.cache/strait-k8s}/1.20.2/kubectl
NS=demo
PSK="demo-$RANDOM$RANDOM-not-secret"
WORK=$(mktemp -d /tmp/strait-demo-cluster.XXXXXX)
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
k() { "$KUBECTL" "$@"; }

[ "$(id -u)" -eq 0 ] || { echo "run as root: sudo ./demo.sh --cluster" >&2; exit 1; }
cleanup() {
    trap - EXIT INT TERM
    bash "$HERE/strongswan.sh" stop strait-remote >/dev/null 2>&1 || true
    if [ "$KEEP" = 1 ]; then
        printf '\ndemo: cluster kept; KUBECONFIG=%s; `e2e/bin/cluster.sh down` removes it\n' "$KUBECONFIG"
    else
        bash "$HERE/cluster.sh" down >/dev/null 2>&1 || true
        printf '\ndemo: cleaned up (cluster, namespaces, bridge, remote site removed)\n'
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "Local cluster: two kubelet + containerd nodes (first run builds Kubernetes 1.20.2 and the images)"
start=$SECONDS
bash "$HERE/cluster.sh" up >/dev/null
echo "cluster up in $((SECONDS - start)) s; steps (s):"
sed 's/^/  /' /var/tmp/strait-cluster/times
k get nodes -o wide

say "helm install strait (operator, CRDs, RBAC) with the locally built images"
bash "$HERE/cluster.sh" install-chart >/dev/null
k -n strait-system get pods

say "Remote site: strongSwan at 10.210.0.100, LAN 10.30.0.0/24 with a host at 10.30.0.10"
bash "$HERE/cluster.sh" site up
mkdir -p "$WORK/swan/strongswan.d"
cat >"$WORK/swan/strongswan.d/extra.conf" <<'EOC'
charon {
  plugins {
    # the gateway pod's address lies in the tunnel's subnets: keep strongSwan's own packets out of the tunnel
    kernel-libipsec { allow_peer_ts = yes }
    kernel-netlink { fwmark = !0x5a }
    socket-default { fwmark = 0x5a }
  }
}
EOC
cat >"$WORK/swan/swanctl.conf" <<EOC
connections {
  cluster {
    version = 2
    local_addrs = 10.210.0.100
    proposals = aes256gcm16-prfsha384-x25519
    local { auth = psk
            id = remote.example.com }
    remote { auth = psk
             id = cluster.example.com }
    children { cluster { local_ts = 10.30.0.0/24
                         remote_ts = 10.244.0.0/16
                         esp_proposals = aes256gcm16 } }
  }
}
secrets { ike-cluster { id-remote = cluster.example.com
                        secret = "$PSK" } }
EOC
chmod 600 "$WORK/swan/swanctl.conf"
bash "$HERE/strongswan.sh" start strait-remote "$WORK/swan" >/dev/null

say "kubectl apply: an IPsecGateway and an IPsecTunnel (local.subnets: the pod CIDR)"
k create namespace "$NS" >/dev/null
k -n "$NS" create secret generic remote-psk --from-literal=psk="$PSK" >/dev/null
applied=$SECONDS
k -n "$NS" apply -f - <<EOY
apiVersion: strait.dev/v1alpha1
kind: IPsecGateway
metadata: {name: edge}
spec:
  replicas: 1
  service: {type: None}
---
apiVersion: strait.dev/v1alpha1
kind: IPsecTunnel
metadata: {name: remote-site}
spec:
  gatewayRef: {name: edge}
  peer: {address: 10.210.0.100, id: remote.example.com}
  local: {id: cluster.example.com, subnets: [10.244.0.0/16]}
  remote: {subnets: [10.30.0.0/24]}
  auth: {psk: {secretRef: {name: remote-psk, key: psk}}}
  ike: {proposals: [aes256gcm16-prfsha384-x25519]}
  esp: {proposals: [aes256gcm16]}
EOY
until [ "$(k -n "$NS" get ipsectunnel remote-site -o jsonpath='{.status.phase}' 2>/dev/null)" = Established ]; do
    [ $((SECONDS - applied)) -lt 300 ] || { k -n "$NS" get ipsectunnel -o yaml; k -n "$NS" logs deploy/edge --tail 30 || true; exit 1; }
    sleep 1
done
echo "Established $((SECONDS - applied)) s after kubectl apply (gateway pod start included)"
k -n "$NS" get ipsectunnel -o wide

say "Traffic: from the gateway pod through the tunnel to the LAN host"
pod=$(k -n "$NS" get pod -l strait.dev/gateway=edge -o jsonpath='{.items[0].metadata.name}')
node=$(k -n "$NS" get pod "$pod" -o jsonpath='{.spec.nodeName}')
cid=$(k -n "$NS" get pod "$pod" -o jsonpath='{.status.containerStatuses[0].containerID}')
sock=/var/tmp/strait-cluster/n${node#strait-n}/containerd/containerd.sock
pid=$(ctr --address "$sock" -n k8s.io tasks ls | awk -v c="${cid#containerd://}" '$1 == c {print $2}')
nsenter -t "$pid" -n ping -c 3 -W 2 10.30.0.10
ip netns exec strait-lanhost iperf3 -s -1 -D >/dev/null 2>&1
sleep 0.5
nsenter -t "$pid" -n iperf3 -c 10.30.0.10 -t 3 | tail -n 4

say "Metrics of the gateway pod (admin port 9090)"
ip=$(k -n "$NS" get pod "$pod" -o jsonpath='{.status.podIP}')
curl -s "http://$ip:9090/metrics" | grep -E '^strait_(tunnel_up|ike_sa_established_total|ike_handshake_duration_seconds_(sum|count)|esp_[rt]x_(bytes|packets)_total)' | head -n 10
say "Status on the resource"
k -n "$NS" get ipsectunnel remote-site -o jsonpath='{.status.ike}{"\n"}{.status.children[0]}{"\n"}'
