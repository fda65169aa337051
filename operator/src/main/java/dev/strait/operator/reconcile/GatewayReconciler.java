package dev.strait.operator.reconcile;

import dev.strait.api.v1alpha1.GatewayConfig;
import dev.strait.api.v1alpha1.GatewaySpec;
import dev.strait.api.v1alpha1.GatewayStatus;
import dev.strait.api.v1alpha1.TunnelConfig;
import dev.strait.api.v1alpha1.TunnelStatus;
import dev.strait.operator.OperatorMetrics;
import dev.strait.operator.config.ConfigRenderer;
import dev.strait.operator.config.Reason;
import dev.strait.operator.config.TunnelValidator;
import dev.strait.operator.config.Verdict;
import dev.strait.operator.crd.IPsecGateway;
import dev.strait.operator.crd.IPsecTunnel;
import dev.strait.operator.resources.GatewayResources;
import dev.strait.operator.routing.RouteAgentCondition;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.Mappers;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reconciles an IPsecGateway into its Deployment, Service, RBAC and config Secret. The config Secret has this one
 * writer: every tunnel event, PSK Secret change or gateway change re-renders it from the caches, so concurrent
 * edits can never interleave into a half-applied config.
 */
@ControllerConfiguration(name = GatewayReconciler.NAME)
public class GatewayReconciler implements Reconciler<IPsecGateway> {
    public static final String NAME = "ipsecgateway";
    public static final String FIELD_MANAGER = "strait-operator";
    private static final int STATUS_WRITES_IN_FLIGHT = 16;
    private static final Logger LOG = LoggerFactory.getLogger(GatewayReconciler.class);

    private final String defaultImage;
    private final String routeAgentNamespace;
    private final List<String> fallbackPodCidrs;
    private final OperatorMetrics metrics;
    private volatile InformerEventSource<IPsecTunnel, IPsecGateway> tunnels;
    private volatile InformerEventSource<Secret, IPsecGateway> secrets;
    private volatile InformerEventSource<Service, IPsecGateway> services;
    private volatile InformerEventSource<Node, IPsecGateway> nodes;
    private volatile InformerEventSource<Pod, IPsecGateway> routeAgents;
    private volatile InformerEventSource<io.fabric8.kubernetes.api.model.coordination.v1.Lease, IPsecGateway> leases;

    /**
     * @param routeAgentNamespace where the route agent pods run (the chart's release namespace), or null when the
     *                            route agent is disabled: then RoutesReady is Unknown and no pod or node is watched
     */
    public GatewayReconciler(String defaultImage, String routeAgentNamespace, OperatorMetrics metrics) {
        this(defaultImage, routeAgentNamespace, List.of(), metrics);
    }

    /**
     * @param fallbackPodCidrs the cluster's pod CIDRs as configured (chart value clusterPodCidrs): local.subnets of
     *                         tunnels that leave them out, when no Node has a podCIDR
     */
    public GatewayReconciler(String defaultImage, String routeAgentNamespace, List<String> fallbackPodCidrs,
            OperatorMetrics metrics) {
        this.defaultImage = defaultImage;
        this.routeAgentNamespace = routeAgentNamespace;
        this.fallbackPodCidrs = List.copyOf(fallbackPodCidrs);
        this.metrics = metrics;
    }

    /** All tunnels this controller sees, for the tunnels-by-phase gauge. */
    public Stream<IPsecTunnel> knownTunnels() {
        var t = tunnels;
        return t == null ? Stream.empty() : t.list(x -> true);
    }

    @Override
    public List<EventSource<?, IPsecGateway>> prepareEventSources(EventSourceContext<IPsecGateway> context) {
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
                .withName("secrets")
                .withSecondaryToPrimaryMapper(this::gatewaysUsing)
                .build(), context);
        var deployments = new InformerEventSource<>(InformerEventSourceConfiguration.from(Deployment.class, IPsecGateway.class)
                .withName("deployments")
                .withSecondaryToPrimaryMapper(Mappers.fromOwnerReferences(IPsecGateway.class))
                .build(), context);
        services = new InformerEventSource<>(InformerEventSourceConfiguration.from(Service.class, IPsecGateway.class)
                .withName("services")
                .withSecondaryToPrimaryMapper(Mappers.fromOwnerReferences(IPsecGateway.class))
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
        leases = new InformerEventSource<>(InformerEventSourceConfiguration
                .from(io.fabric8.kubernetes.api.model.coordination.v1.Lease.class, IPsecGateway.class)
                .withName("leases")
                .withSecondaryToPrimaryMapper(l -> l.getMetadata().getName().endsWith(ConfigRenderer.LEADER_LEASE_SUFFIX)
                        ? Set.of(new ResourceID(l.getMetadata().getName().substring(0, l.getMetadata().getName().length()
                                - ConfigRenderer.LEADER_LEASE_SUFFIX.length()), l.getMetadata().getNamespace()))
                        : Set.of())
                .withOnAddFilter(l -> l.getMetadata().getName().endsWith(ConfigRenderer.LEADER_LEASE_SUFFIX))
                .withOnUpdateFilter((n, o) -> n.getMetadata().getName().endsWith(ConfigRenderer.LEADER_LEASE_SUFFIX)
                        && !LeaseStatus.sameShown(n, o))
                .build(), context);
        if (routeAgentNamespace == null) {
            return List.of(tunnels, secrets, deployments, services, nodes, leases);
        }
        routeAgents = new InformerEventSource<>(InformerEventSourceConfiguration.from(Pod.class, IPsecGateway.class)
                .withName("route-agents")
                .withNamespaces(Set.of(routeAgentNamespace))
                .withFollowControllerNamespacesChanges(false)
                .withLabelSelector(RouteAgentCondition.COMPONENT_LABEL + "=" + RouteAgentCondition.COMPONENT)
                .withSecondaryToPrimaryMapper(p -> allGateways(primaries))
                .withOnUpdateFilter((n, o) -> !RouteAgentCondition.sameRoutingState(n, o))
                .build(), context);
        return List.of(tunnels, secrets, deployments, services, nodes, routeAgents, leases);
    }

    private static Set<ResourceID> allGateways(
            io.javaoperatorsdk.operator.processing.event.source.IndexerResourceCache<IPsecGateway> primaries) {
        return primaries.list().map(ResourceID::fromResource).collect(java.util.stream.Collectors.toSet());
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

    /**
     * The union of the Nodes' pod CIDRs, or the configured ones when no Node has any: local.subnets of tunnels that
     * leave them out (the route agent agrees).
     */
    private List<String> clusterPodCidrs() {
        return clusterPodCidrs(nodes.list(n -> true).toList(), fallbackPodCidrs);
    }

    static List<String> clusterPodCidrs(List<Node> nodes, List<String> fallback) {
        List<String> fromNodes = nodes.stream().flatMap(n -> podCidrs(n).stream()).distinct().sorted().toList();
        return fromNodes.isEmpty() ? fallback : fromNodes;
    }

    private TunnelStatus.Condition routesReady() {
        if (routeAgentNamespace == null) {
            return RouteAgentCondition.disabled();
        }
        return RouteAgentCondition.of(nodes.list(n -> true).toList(), routeAgents.list(p -> true).toList());
    }

    static java.util.Optional<ResourceID> gatewayOf(IPsecTunnel t) {
        if (t.getSpec() == null || t.getSpec().gatewayRef == null || t.getSpec().gatewayRef.name == null) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(new ResourceID(t.getSpec().gatewayRef.name, t.getMetadata().getNamespace()));
    }

    /**
     * The tunnel's gateway, plus any gateway whose config still carries it: when gatewayRef moves from A to B,
     * A must re-render too, and the update event only shows B.
     */
    private Set<ResourceID> gatewaysOf(IPsecTunnel t) {
        Set<ResourceID> out = new java.util.HashSet<>();
        gatewayOf(t).ifPresent(out::add);
        var s = secrets;
        if (s != null) {
            s.list(t.getMetadata().getNamespace(), x -> x.getMetadata().getName().endsWith("-config")
                            && TunnelReconciler.carries(x, t.getMetadata().getName()))
                    .forEach(x -> out.addAll(Mappers.<Secret>fromOwnerReferences(IPsecGateway.class).toPrimaryResourceIDs(x)));
        }
        return out;
    }

    /** A Secret matters to a gateway when it owns it (its config) or one of its tunnels takes a PSK from it. */
    private Set<ResourceID> gatewaysUsing(Secret s) {
        String ns = s.getMetadata().getNamespace();
        Set<ResourceID> out = new java.util.HashSet<>(Mappers.<Secret>fromOwnerReferences(IPsecGateway.class)
                .toPrimaryResourceIDs(s));
        var t = tunnels;
        if (t != null) {
            t.list(ns, x -> x.getSpec() != null && x.getSpec().auth != null && usesSecret(x.getSpec().auth, s.getMetadata().getName()))
                    .forEach(x -> gatewayOf(x).ifPresent(out::add));
        }
        return out;
    }

    /** The tunnel takes its PSK, certificate or CA from the named Secret. */
    static boolean usesSecret(dev.strait.api.v1alpha1.TunnelSpec.Auth auth, String secret) {
        var psk = auth.psk;
        var cert = auth.certificate;
        return psk != null && psk.secretRef != null && secret.equals(psk.secretRef.name)
                || cert != null && cert.secretRef != null && secret.equals(cert.secretRef.name)
                || cert != null && cert.caSecretRef != null && secret.equals(cert.caSecretRef.name);
    }

    @Override
    public UpdateControl<IPsecGateway> reconcile(IPsecGateway gw, Context<IPsecGateway> context) {
        return metrics.timeReconcile(NAME, () -> doReconcile(gw, context.getClient()));
    }

    private UpdateControl<IPsecGateway> doReconcile(IPsecGateway gw, KubernetesClient client) {
        String ns = gw.getMetadata().getNamespace();
        String name = gw.getMetadata().getName();
        ResourceID me = new ResourceID(name, ns);
        List<IPsecTunnel> mine = tunnels.list(ns, t -> gatewayOf(t).filter(me::equals).isPresent()).toList();
        List<IPsecTunnel> active = mine.stream().filter(t -> t.getMetadata().getDeletionTimestamp() == null).toList();
        String specError = specError(gw);
        if (specError != null) {
            // Nothing is rendered: the running gateway keeps its last good config until the spec is fixed.
            LOG.info("gateway {}/{} spec refused: {}", ns, name, specError);
            return gatewayStatus(gw, null, configRendered("False", "InvalidSpec", specError));
        }

        List<String> clusterPodCidrs = clusterPodCidrs();
        Map<String, Verdict> verdicts = TunnelValidator.check(active,
                secretName -> secrets.get(new ResourceID(secretName, ns)).orElse(null), clusterPodCidrs);
        List<TunnelConfig> accepted = new ArrayList<>();
        Map<String, String> files = new java.util.TreeMap<>();
        verdicts.values().forEach(v -> {
            if (v instanceof Verdict.Accepted a) {
                accepted.add(a.config());
                files.putAll(a.files());
            }
        });
        GatewayConfig config = ConfigRenderer.config(gw, accepted);
        String yaml = ConfigRenderer.yaml(config);
        List<String> names = config.tunnels.stream().map(t -> t.name).toList();

        Secret configSecret = applySecretIfChanged(client, GatewayResources.configSecret(gw, yaml, names, files), ns);
        String hash = GatewayResources.configHash(configSecret.getMetadata().getUid(),
                ConfigRenderer.startSettingsYaml(gw));
        apply(client, GatewayResources.serviceAccount(gw));
        apply(client, GatewayResources.role(gw));
        apply(client, GatewayResources.roleBinding(gw));
        apply(client, GatewayResources.deployment(gw, defaultImage, hash));
        Service service = GatewayResources.service(gw);
        if (service != null) {
            apply(client, service);
        } else {
            // type None: remove the Service we made earlier, never someone else's of the same name
            services.get(me).filter(svc -> svc.getMetadata().getOwnerReferences().stream()
                            .anyMatch(o -> o.getUid().equals(gw.getMetadata().getUid())))
                    .ifPresent(svc -> client.resource(svc).delete());
        }

        List<Runnable> statusWrites = new ArrayList<>();
        for (IPsecTunnel t : active) {
            Verdict v = verdicts.get(t.getMetadata().getName());
            if (v instanceof Verdict.Refused r) {
                if (!TunnelStatusWriter.upToDate(t, false, r.reason().name(), r.message())) {
                    // The message names fields and Secrets, never their contents.
                    LOG.info("tunnel {}/{} refused: {} {}", ns, t.getMetadata().getName(), r.reason(), r.message());
                    statusWrites.add(() -> TunnelStatusWriter.write(client, t, false, r.reason().name(), r.message()));
                }
            } else {
                String msg = "rendered into the config of gateway '" + name + "'"
                        + (TunnelValidator.usesClusterPodCidrs(t.getSpec())
                        ? "; local.subnets: " + String.join(", ", clusterPodCidrs) + " (the cluster's pod CIDR)" : "");
                if (!TunnelStatusWriter.upToDate(t, true, "Valid", msg)) {
                    statusWrites.add(() -> TunnelStatusWriter.write(client, t, true, "Valid", msg));
                }
            }
        }
        runConcurrently(statusWrites);
        return gatewayStatus(gw, accepted.size(), configRendered("True",
                accepted.size() == active.size() ? "AllTunnelsValid" : "SomeTunnelsInvalid",
                accepted.size() + " of " + active.size() + " tunnels in the config"));
    }

    /** What is wrong with the gateway's own spec (fields named spec.*), or null. */
    private static String specError(IPsecGateway gw) {
        GatewaySpec spec = gw.getSpec();
        if (spec == null || spec.ike == null || spec.ike.dos == null) {
            return null;
        }
        try {
            dev.strait.gateway.config.ConfigValidator.dos(spec.ike.dos);
            return null;
        } catch (dev.strait.gateway.config.ConfigException e) {
            return "spec." + e.getMessage();
        }
    }

    private static TunnelStatus.Condition configRendered(String status, String reason, String message) {
        TunnelStatus.Condition c = new TunnelStatus.Condition();
        c.type = "ConfigRendered";
        c.status = status;
        c.reason = reason;
        c.message = message;
        return c;
    }

    /**
     * The status with ConfigRendered first, then RoutesReady. Nothing is written when every condition already
     * reads the same; a condition keeps its lastTransitionTime while its status stays.
     */
    private UpdateControl<IPsecGateway> gatewayStatus(IPsecGateway gw, Integer accepted,
                                                      TunnelStatus.Condition configRendered) {
        GatewayStatus desired = new GatewayStatus();
        desired.tunnels = accepted != null ? accepted : gw.getStatus() == null ? null : gw.getStatus().tunnels;
        desired.observedGeneration = gw.getMetadata().getGeneration();
        desired.conditions = new ArrayList<>(List.of(configRendered, routesReady()));
        var l = leases;
        LeaseStatus.fill(desired, l == null ? null : l.get(new ResourceID(gw.getMetadata().getName()
                + ConfigRenderer.LEADER_LEASE_SUFFIX, gw.getMetadata().getNamespace())).orElse(null));
        GatewayStatus current = gw.getStatus();
        List<TunnelStatus.Condition> now = current == null || current.conditions == null ? List.of() : current.conditions;
        String time = java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
        boolean same = current != null && Objects.equals(current.tunnels, desired.tunnels)
                && Objects.equals(current.observedGeneration, desired.observedGeneration)
                && LeaseStatus.same(current, desired)
                && now.size() == desired.conditions.size();
        for (TunnelStatus.Condition c : desired.conditions) {
            c.observedGeneration = gw.getMetadata().getGeneration();
            TunnelStatus.Condition old = now.stream().filter(x -> Objects.equals(x.type, c.type)).findFirst().orElse(null);
            same &= old != null && Objects.equals(old.status, c.status) && Objects.equals(old.reason, c.reason)
                    && Objects.equals(old.message, c.message);
            c.lastTransitionTime = old != null && Objects.equals(old.status, c.status) && old.lastTransitionTime != null
                    ? old.lastTransitionTime : time;
        }
        if (same) {
            return UpdateControl.noUpdate();
        }
        IPsecGateway patch = new IPsecGateway();
        patch.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName(gw.getMetadata().getName())
                .withNamespace(gw.getMetadata().getNamespace()).build());
        patch.setStatus(desired);
        return UpdateControl.patchStatus(patch);
    }

    /** Status writes are independent round trips; a few in flight at once keep a 100-tunnel gateway quick. */
    private static void runConcurrently(List<Runnable> writes) {
        if (writes.size() <= 1) {
            writes.forEach(Runnable::run);
            return;
        }
        java.util.concurrent.Semaphore inFlight = new java.util.concurrent.Semaphore(STATUS_WRITES_IN_FLIGHT);
        try (var exec = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            List<java.util.concurrent.Future<?>> done = new ArrayList<>();
            for (Runnable w : writes) {
                done.add(exec.submit(() -> {
                    inFlight.acquireUninterruptibly();
                    try {
                        w.run();
                    } finally {
                        inFlight.release();
                    }
                }));
            }
            for (var f : done) {
                try {
                    f.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            }
        }
    }

    /** The config Secret is applied only when its bytes change: the informer cache tells us what is there. */
    private Secret applySecretIfChanged(KubernetesClient client, Secret desired, String ns) {
        var cached = secrets.get(new ResourceID(desired.getMetadata().getName(), ns));
        String owner = desired.getMetadata().getOwnerReferences().getFirst().getUid();
        if (cached.isPresent() && cached.get().getMetadata().getOwnerReferences().stream()
                .noneMatch(o -> o.getUid().equals(owner))) {
            // Someone else's Secret (a PSK, say) has the name we need: never merge a config into it.
            throw new IllegalStateException("Secret " + ns + "/" + desired.getMetadata().getName()
                    + " exists and does not belong to this IPsecGateway; rename or remove it");
        }
        if (cached.isPresent() && Objects.equals(cached.get().getData(), desired.getData())
                && cached.get().getMetadata().getAnnotations() != null
                && Objects.equals(cached.get().getMetadata().getAnnotations().get("strait.dev/tunnels"),
                        desired.getMetadata().getAnnotations().get("strait.dev/tunnels"))
                && cached.get().getMetadata().getOwnerReferences() != null
                && cached.get().getMetadata().getOwnerReferences().equals(desired.getMetadata().getOwnerReferences())) {
            return cached.get();
        }
        Secret applied = apply(client, desired);
        // Keeps the next reconcile from re-applying before the informer has seen this write.
        if (cached.isPresent()) {
            secrets.handleRecentResourceUpdate(ResourceID.fromResource(applied), applied, cached.get());
        } else {
            secrets.handleRecentResourceCreate(ResourceID.fromResource(applied), applied);
        }
        return applied;
    }

    /** Server-side apply; forcing takes back fields another manager changed (the operator owns these objects). */
    static <T extends HasMetadata> T apply(KubernetesClient client, T desired) {
        return client.resource(desired).fieldManager(FIELD_MANAGER).forceConflicts().serverSideApply();
    }
}
