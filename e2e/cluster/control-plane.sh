# shellcheck shell=bash
# The control plane of the local cluster, in the root network namespace on the bridge address: etcd,
# kube-apiserver (token auth, Node+RBAC), kube-controller-manager and kube-scheduler. Sourced by cluster.sh.

bridge_up() {
    ip link show "$BRIDGE" >/dev/null 2>&1 && return 0
    ip link add "$BRIDGE" type bridge
    ip addr add "$BRIDGE_IP/24" dev "$BRIDGE"
    ip link set "$BRIDGE" up
}

token() { od -An -N16 -tx1 /dev/urandom | tr -d ' \n'; }

# kubeconfig FILE TOKEN
kubeconfig() {
    cat >"$1" <<EOK
apiVersion: v1
kind: Config
clusters:
- name: strait-local
  cluster: {server: "https://$BRIDGE_IP:$APISERVER_PORT", certificate-authority-data: $(base64 -w0 <"$CP/ca.crt")}
users:
- name: user
  user: {token: $2}
contexts:
- name: strait-local
  context: {cluster: strait-local, user: user}
current-context: strait-local
EOK
    chmod 600 "$1"
}

control_plane_up() {
    local n admin
    mkdir -p "$CP"
    bridge_up
    [ -f "$CP/sa.key" ] || openssl genrsa -out "$CP/sa.key" 2048 2>/dev/null
    openssl rsa -in "$CP/sa.key" -pubout -out "$CP/sa.pub" 2>/dev/null
    admin=$(token)
    {
        echo "$admin,admin,admin,system:masters"
        for n in $(seq "$STRAIT_CLUSTER_NODES"); do echo "$(token),system:node:$(node_ns "$n"),node-$n,system:nodes"; done
    } >"$CP/tokens.csv"
    chmod 600 "$CP/tokens.csv"
    rm -rf "$CP/etcd-data" "$CP/certs"
    launch etcd "$CP" /usr/bin/etcd --name strait --data-dir "$CP/etcd-data" \
        --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
        --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
        --initial-cluster "strait=http://127.0.0.1:$ETCD_PEER_PORT"
    wait_for 60 etcd url_says "http://127.0.0.1:$ETCD_PORT/health" '*"health":"true"*' || { tail "$CP/etcd.log" >&2; die "etcd"; }
    launch kube-apiserver "$CP" "$K8S_BIN_DIR/kube-apiserver" \
        --etcd-servers="http://127.0.0.1:$ETCD_PORT" --bind-address="$BRIDGE_IP" --advertise-address="$BRIDGE_IP" \
        --secure-port="$APISERVER_PORT" --cert-dir="$CP/certs" --service-cluster-ip-range="$SERVICE_CIDR" \
        --service-account-issuer=https://kubernetes.default.svc --service-account-key-file="$CP/sa.pub" \
        --service-account-signing-key-file="$CP/sa.key" --token-auth-file="$CP/tokens.csv" \
        --authorization-mode=Node,RBAC --allow-privileged=true --enable-admission-plugins=NodeRestriction \
        --kubelet-preferred-address-types=InternalIP --kubelet-timeout=30s
    wait_for 120 kube-apiserver url_says "https://$BRIDGE_IP:$APISERVER_PORT/readyz" ok ||
        { tail "$CP/kube-apiserver.log" >&2; die "kube-apiserver did not become ready"; }
    # the self-signed serving certificate is its own CA
    awk '/-BEGIN CERTIFICATE-/ {pem=""} {pem=pem $0 "\n"} /-END CERTIFICATE-/ {last=pem} END {printf "%s", last}' \
        "$CP/certs/apiserver.crt" >"$CP/ca.crt"
    kubeconfig "$S/kubeconfig" "$admin"
    for n in $(seq "$STRAIT_CLUSTER_NODES"); do
        kubeconfig "$CP/node-$n.kubeconfig" "$(awk -F, -v u="system:node:$(node_ns "$n")" '$2 == u {print $1}' "$CP/tokens.csv")"
    done
    launch kube-controller-manager "$CP" "$K8S_BIN_DIR/kube-controller-manager" --kubeconfig="$S/kubeconfig" \
        --leader-elect=false --service-account-private-key-file="$CP/sa.key" --root-ca-file="$CP/ca.crt" \
        --bind-address=127.0.0.1 --secure-port="$KCM_PORT" --port=0 --use-service-account-credentials=false
    launch kube-scheduler "$CP" "$K8S_BIN_DIR/kube-scheduler" --kubeconfig="$S/kubeconfig" --leader-elect=false \
        --bind-address=127.0.0.1 --secure-port="$SCHEDULER_PORT" --port=0
    wait_for 90 kube-controller-manager url_says "https://127.0.0.1:$KCM_PORT/healthz" ok || die "kube-controller-manager"
    wait_for 90 kube-scheduler url_says "https://127.0.0.1:$SCHEDULER_PORT/healthz" ok || die "kube-scheduler"
    log "control plane up: https://$BRIDGE_IP:$APISERVER_PORT (KUBECONFIG=$S/kubeconfig)"
}

control_plane_down() {
    local p
    for p in kube-scheduler kube-controller-manager kube-apiserver etcd; do
        alive "$CP/$p.pid" && kill "$(cat "$CP/$p.pid")"
        rm -f "$CP/$p.pid"
    done
    ip link del "$BRIDGE" 2>/dev/null || true
}
