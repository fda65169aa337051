package dev.strait.gateway.routing;

import dev.strait.api.net.Cidr;
import dev.strait.api.v1alpha1.TunnelSpec;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeAddress;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a {@link ClusterView} out of API objects (as the agent's informers cache them). Pure: no API calls.
 *
 * <p>The active replica of a gateway is the pod named by its Lease {@code <gateway>-leader} (two replicas), or else
 * its one running pod. Its node is the pod's spec.nodeName; the gateway pod must run with hostNetwork, so that the
 * TUN device and the routes to the remote subnets are in that node's namespace (a gateway without has no active node).
 */
public final class ClusterViews {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterViews.class);
    /** As the operator labels gateway pods (GatewayResources.GATEWAY_LABEL) and names the lease (LEADER_LEASE_SUFFIX). */
    public static final String GATEWAY_LABEL = "strait.dev/gateway";
    public static final String LEASE_SUFFIX = "-leader";
    private static final Set<String> WARNED = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private ClusterViews() {
    }

    public static ClusterView from(String localNode, List<Node> nodes, List<GenericKubernetesResource> tunnels,
            List<Lease> leases, List<Pod> gatewayPods) {
        return from(localNode, nodes, tunnels, leases, gatewayPods, List.of());
    }

    /**
     * @param fallbackPodCidrs the cluster's pod CIDRs as configured (chart value clusterPodCidrs), used for tunnels
     *                         without local.subnets when no Node has a podCIDR (a CNI with its own IPAM)
     */
    public static ClusterView from(String localNode, List<Node> nodes, List<GenericKubernetesResource> tunnels,
            List<Lease> leases, List<Pod> gatewayPods, List<Cidr> fallbackPodCidrs) {
        Map<String, ClusterView.Node> byName = new LinkedHashMap<>();
        for (Node n : nodes) {
            node(n).ifPresent(v -> byName.put(v.name(), v));
        }
        List<Cidr> fromNodes = byName.values().stream().flatMap(n -> n.podCidrs().stream()).distinct().toList();
        List<Cidr> clusterPods = fromNodes.isEmpty() ? fallbackPodCidrs : fromNodes;
        Map<String, Set<Cidr>> remote = new LinkedHashMap<>();
        Map<String, Set<Cidr>> local = new LinkedHashMap<>();
        for (GenericKubernetesResource t : tunnels) {
            TunnelSpec spec;
            try {
                spec = Serialization.jsonMapper().convertValue(t.getAdditionalProperties().get("spec"),
                        TunnelSpec.class);
            } catch (IllegalArgumentException e) {
                LOG.warn("IPsecTunnel {}/{}: unreadable spec, skipped", t.getMetadata().getNamespace(),
                        t.getMetadata().getName());
                continue;
            }
            if (spec == null || spec.gatewayRef == null || spec.gatewayRef.name == null) {
                continue;
            }
            String key = t.getMetadata().getNamespace() + "/" + spec.gatewayRef.name;
            remote.computeIfAbsent(key, k -> new LinkedHashSet<>()).addAll(cidrs(t, spec.remote.subnets));
            List<Cidr> l = spec.local == null ? List.of() : cidrs(t, spec.local.subnets);
            // local.subnets may be left out: the operator then uses the cluster's pod CIDRs, and so do we
            local.computeIfAbsent(key, k -> new LinkedHashSet<>()).addAll(l.isEmpty() ? clusterPods : l);
        }
        List<ClusterView.GatewayPath> gateways = new ArrayList<>();
        for (String key : remote.keySet()) {
            gateways.add(new ClusterView.GatewayPath(key, activeNode(key, leases, gatewayPods).orElse(null),
                    List.copyOf(remote.get(key)), List.copyOf(local.get(key))));
        }
        return new ClusterView(localNode, byName, gateways);
    }

    static Optional<ClusterView.Node> node(Node n) {
        String name = n.getMetadata().getName();
        String ip = n.getStatus() == null || n.getStatus().getAddresses() == null ? null
                : n.getStatus().getAddresses().stream().filter(a -> "InternalIP".equals(a.getType()))
                        .map(NodeAddress::getAddress).filter(a -> a.indexOf(':') < 0).findFirst().orElse(null);
        if (ip == null) {
            return Optional.empty();
        }
        List<String> cidrs = new ArrayList<>();
        if (n.getSpec() != null && n.getSpec().getPodCIDRs() != null && !n.getSpec().getPodCIDRs().isEmpty()) {
            cidrs.addAll(n.getSpec().getPodCIDRs());
        } else if (n.getSpec() != null && n.getSpec().getPodCIDR() != null) {
            cidrs.add(n.getSpec().getPodCIDR());
        }
        List<Cidr> parsed = new ArrayList<>();
        for (String c : cidrs) {
            try {
                parsed.add(Cidr.parse(c));
            } catch (IllegalArgumentException e) {
                LOG.warn("node {}: pod CIDR {} {}", name, c, e.getMessage());
            }
        }
        return Optional.of(new ClusterView.Node(name, ip, parsed));
    }

    private static Optional<String> activeNode(String key, List<Lease> leases, List<Pod> pods) {
        Optional<Pod> active = activePod(key, leases, pods);
        if (active.isPresent() && !Boolean.TRUE.equals(active.get().getSpec().getHostNetwork())) {
            // Its TUN device and routes are in the pod's own namespace: routing to its node would send the traffic
            // out of that node's default route, unencrypted. Cluster routing needs spec.hostNetwork on the gateway.
            if (WARNED.add(key)) {
                LOG.warn("gateway {} does not run with hostNetwork: no cluster routing to it", key);
            }
            return Optional.empty();
        }
        return active.map(p -> p.getSpec().getNodeName());
    }

    private static Optional<Pod> activePod(String key, List<Lease> leases, List<Pod> pods) {
        String ns = key.substring(0, key.indexOf('/'));
        String gw = key.substring(key.indexOf('/') + 1);
        List<Pod> mine = pods.stream().filter(p -> ns.equals(p.getMetadata().getNamespace())
                && gw.equals(p.getMetadata().getLabels() == null ? null : p.getMetadata().getLabels().get(GATEWAY_LABEL)))
                .sorted(Comparator.comparing(p -> p.getMetadata().getName())).toList();
        Optional<Lease> lease = leases.stream().filter(l -> ns.equals(l.getMetadata().getNamespace())
                && (gw + LEASE_SUFFIX).equals(l.getMetadata().getName())).findFirst();
        if (lease.isPresent()) {
            // Two replicas: only the holder carries the tunnels. A holder whose pod is gone means no path until the
            // standby takes the lease; an API hiccup changes nothing here (the informer keeps the last lease).
            String holder = lease.get().getSpec() == null ? null : lease.get().getSpec().getHolderIdentity();
            return mine.stream().filter(p -> p.getMetadata().getName().equals(holder))
                    .filter(p -> p.getSpec().getNodeName() != null).findFirst();
        }
        // One replica (no election): its running pod, a Ready one first.
        return mine.stream().filter(p -> p.getMetadata().getDeletionTimestamp() == null && p.getStatus() != null
                        && "Running".equals(p.getStatus().getPhase()) && p.getSpec().getNodeName() != null)
                .min(Comparator.comparing(p -> ready(p) ? 0 : 1));
    }

    private static boolean ready(Pod p) {
        List<PodCondition> c = p.getStatus().getConditions();
        return c != null && c.stream().anyMatch(x -> "Ready".equals(x.getType()) && "True".equals(x.getStatus()));
    }

    private static List<Cidr> cidrs(GenericKubernetesResource t, List<String> texts) {
        List<Cidr> out = new ArrayList<>();
        for (String s : texts == null ? List.<String>of() : texts) {
            try {
                out.add(Cidr.parse(s));
            } catch (IllegalArgumentException e) {
                LOG.warn("IPsecTunnel {}/{}: subnet {}, skipped", t.getMetadata().getNamespace(),
                        t.getMetadata().getName(), e.getMessage());
            }
        }
        return out;
    }
}
