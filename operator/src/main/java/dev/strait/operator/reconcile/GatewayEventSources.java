package dev.strait.operator.reconcile;

import dev.strait.api.v1alpha1.TunnelSpec;
import dev.strait.api.v1alpha1.TunnelStatus;
import dev.strait.operator.config.ConfigRenderer;
import dev.strait.operator.config.Reason;
import dev.strait.operator.crd.IPsecGateway;
import dev.strait.operator.crd.IPsecTunnel;
import dev.strait.operator.routing.RouteAgentCondition;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.IndexerResourceCache;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.Mappers;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * What a gateway reads besides the objects it owns (those are its dependent resources' informers): its tunnels, the
 * Secrets they take keys from (the same informer serves the config Secret dependent), the Nodes' pod CIDRs and the
 * route agent pods. Each informer maps its events to the gateways they concern.
 */
final class GatewayEventSources {
    /** The name the config Secret dependent finds this informer by. */
    static final String SECRETS = "secrets";

    private final String routeAgentNamespace;
    private final List<String> fallbackPodCidrs;
    private volatile InformerEventSource<IPsecTunnel, IPsecGateway> tunnels;
    private volatile InformerEventSource<Lease, IPsecGateway> leases;
    private volatile InformerEventSource<Secret, IPsecGateway> secrets;
    private volatile InformerEventSource<Node, IPsecGateway> nodes;
    private volatile InformerEventSource<Pod, IPsecGateway> routeAgents;

    /**
     * @param routeAgentNamespace where the route agent pods run, or null when the route agent is disabled
     * @param fallbackPodCidrs    the cluster's pod CIDRs as configured (chart value clusterPodCidrs), used when no
     *                            Node has a podCIDR
     */
    GatewayEventSources(String routeAgentNamespace, List<String> fallbackPodCidrs) {
        this.routeAgentNamespace = routeAgentNamespace;
        this.fallbackPodCidrs = List.copyOf(fallbackPodCidrs);
    }

    List<EventSource<?, IPsecGateway>> prepare(EventSourceContext<IPsecGateway> context) {
        tunnels = new InformerEventSource<>(InformerEventSourceConfiguration.from(IPsecTunnel.class, IPsecGateway.class)
                .withName("tunnels")
                .withSecondaryToPrimaryMapper(this::gatewaysOf)
                // Status writes (ours and the gateway's counters) must not re-render configs; a GatewayNotFound written
                // by the tunnel controller from a cache that had not yet seen this gateway must be corrected, though.
                .withOnUpdateFilter((n, o) -> !Objects.equals(n.getMetadata().getGeneration(), o.getMetadata().getGeneration())
                        || !Objects.equals(n.getMetadata().getDeletionTimestamp(), o.getMetadata().getDeletionTimestamp())
                        || TunnelStatusWriter.hasReason(n, Reason.GatewayNotFound.name()))
                .build(), context);
        secrets = new InformerEventSource<>(InformerEventSourceConfiguration.from(Secret.class, IPsecGateway.class)
                .withName(SECRETS)
                .withSecondaryToPrimaryMapper(this::gatewaysUsing)
                .build(), context);
        // RoutesReady and the cluster's pod CIDR are the same for every gateway: a node change re-evaluates them all.
        var primaries = context.getPrimaryCache();
        nodes = new InformerEventSource<>(InformerEventSourceConfiguration.from(Node.class, IPsecGateway.class)
                .withName("nodes")
                .withSecondaryToPrimaryMapper(n -> allGateways(primaries))
                // Only names and pod CIDRs matter; the nodes' frequent status updates must not reconcile every gateway.
                .withOnUpdateFilter((n, o) -> !podCidrs(n).equals(podCidrs(o)))
                .build(), context);
        // The gateways' leases (<gateway>-leader): active replica, failovers. Renewals (every second) are filtered out.
        leases = new InformerEventSource<>(InformerEventSourceConfiguration.from(Lease.class, IPsecGateway.class)
                .withName("leases")
                .withSecondaryToPrimaryMapper(l -> isLeaderLease(l) ? Set.of(new ResourceID(l.getMetadata().getName()
                        .substring(0, l.getMetadata().getName().length() - ConfigRenderer.LEADER_LEASE_SUFFIX.length()),
                        l.getMetadata().getNamespace())) : Set.of())
                .withOnAddFilter(GatewayEventSources::isLeaderLease)
                .withOnUpdateFilter((n, o) -> isLeaderLease(n) && !LeaseStatus.sameShown(n, o))
                .build(), context);
        if (routeAgentNamespace == null) {
            return List.of(tunnels, secrets, nodes, leases);
        }
        routeAgents = new InformerEventSource<>(InformerEventSourceConfiguration.from(Pod.class, IPsecGateway.class)
                .withName("route-agents")
                .withNamespaces(Set.of(routeAgentNamespace))
                .withFollowControllerNamespacesChanges(false)
                .withLabelSelector(RouteAgentCondition.COMPONENT_LABEL + "=" + RouteAgentCondition.COMPONENT)
                .withSecondaryToPrimaryMapper(p -> allGateways(primaries))
                .withOnUpdateFilter((n, o) -> !RouteAgentCondition.sameRoutingState(n, o))
                .build(), context);
        return List.of(tunnels, secrets, nodes, routeAgents, leases);
    }

    private static boolean isLeaderLease(Lease l) {
        return l.getMetadata().getName().endsWith(ConfigRenderer.LEADER_LEASE_SUFFIX);
    }

    /** The gateway's leader Lease, or null (one replica, or not taken yet). */
    Lease leaseOf(IPsecGateway gw) {
        var l = leases;
        return l == null ? null : l.get(new ResourceID(gw.getMetadata().getName() + ConfigRenderer.LEADER_LEASE_SUFFIX,
                gw.getMetadata().getNamespace())).orElse(null);
    }

    /** All tunnels this controller sees, for the tunnels-by-phase gauge. */
    Stream<IPsecTunnel> knownTunnels() {
        var t = tunnels;
        return t == null ? Stream.empty() : t.list(x -> true);
    }

    /** The tunnels whose gatewayRef names this gateway, those being deleted included. */
    List<IPsecTunnel> tunnelsOf(IPsecGateway gw) {
        ResourceID me = ResourceID.fromResource(gw);
        return tunnels.list(gw.getMetadata().getNamespace(), t -> gatewayOf(t).filter(me::equals).isPresent()).toList();
    }

    /** A Secret of the namespace by name, or null. */
    Secret secret(String namespace, String name) {
        return secrets.get(new ResourceID(name, namespace)).orElse(null);
    }

    /**
     * The union of the Nodes' pod CIDRs, or the configured ones when no Node has any: local.subnets of tunnels that
     * leave them out (the route agent agrees).
     */
    List<String> clusterPodCidrs() {
        return clusterPodCidrs(nodes.list(n -> true).toList(), fallbackPodCidrs);
    }

    static List<String> clusterPodCidrs(List<Node> nodes, List<String> fallback) {
        List<String> fromNodes = nodes.stream().flatMap(n -> podCidrs(n).stream()).distinct().sorted().toList();
        return fromNodes.isEmpty() ? fallback : fromNodes;
    }

    TunnelStatus.Condition routesReady() {
        if (routeAgentNamespace == null) {
            return RouteAgentCondition.disabled();
        }
        return RouteAgentCondition.of(nodes.list(n -> true).toList(), routeAgents.list(p -> true).toList());
    }

    static Optional<ResourceID> gatewayOf(IPsecTunnel t) {
        if (t.getSpec() == null || t.getSpec().gatewayRef == null || t.getSpec().gatewayRef.name == null) {
            return Optional.empty();
        }
        return Optional.of(new ResourceID(t.getSpec().gatewayRef.name, t.getMetadata().getNamespace()));
    }

    /**
     * The tunnel's gateway, plus any gateway whose config still carries it: when gatewayRef moves from A to B,
     * A must re-render too, and the update event only shows B.
     */
    private Set<ResourceID> gatewaysOf(IPsecTunnel t) {
        Set<ResourceID> out = new HashSet<>();
        gatewayOf(t).ifPresent(out::add);
        var s = secrets;
        if (s != null) {
            s.list(t.getMetadata().getNamespace(), x -> x.getMetadata().getName().endsWith("-config")
                            && TunnelReconciler.carries(x, t.getMetadata().getName()))
                    .forEach(x -> out.addAll(Mappers.<Secret>fromOwnerReferences(IPsecGateway.class).toPrimaryResourceIDs(x)));
        }
        return out;
    }

    /** A Secret matters to a gateway when it owns it (its config) or one of its tunnels takes a key from it. */
    private Set<ResourceID> gatewaysUsing(Secret s) {
        Set<ResourceID> out = new HashSet<>(Mappers.<Secret>fromOwnerReferences(IPsecGateway.class).toPrimaryResourceIDs(s));
        var t = tunnels;
        if (t != null) {
            t.list(s.getMetadata().getNamespace(), x -> x.getSpec() != null && x.getSpec().auth != null
                            && usesSecret(x.getSpec().auth, s.getMetadata().getName()))
                    .forEach(x -> gatewayOf(x).ifPresent(out::add));
        }
        return out;
    }

    /** The tunnel takes its PSK, certificate or CA from the named Secret. */
    static boolean usesSecret(TunnelSpec.Auth auth, String secret) {
        var psk = auth.psk;
        var cert = auth.certificate;
        return psk != null && psk.secretRef != null && secret.equals(psk.secretRef.name)
                || cert != null && cert.secretRef != null && secret.equals(cert.secretRef.name)
                || cert != null && cert.caSecretRef != null && secret.equals(cert.caSecretRef.name);
    }

    private static Set<ResourceID> allGateways(IndexerResourceCache<IPsecGateway> primaries) {
        return primaries.list().map(ResourceID::fromResource).collect(Collectors.toSet());
    }

    private static List<String> podCidrs(Node n) {
        var spec = n.getSpec();
        if (spec == null) {
            return List.of();
        }
        if (spec.getPodCIDRs() != null && !spec.getPodCIDRs().isEmpty()) {
            return spec.getPodCIDRs();
        }
        return spec.getPodCIDR() == null ? List.of() : List.of(spec.getPodCIDR());
    }
}
