package dev.strait.gateway.routing;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.List;
import java.util.function.Predicate;

/**
 * The agent's only contact with the API: informers on Nodes, IPsecTunnels, gateway pods and leader Leases, all
 * read-only. Every relevant change calls onChange; {@link #view} reads the caches. While the API server is
 * unreachable the caches keep their last content, so an API hiccup changes no route.
 */
public final class ClusterWatch implements AutoCloseable {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ClusterWatch.class);
    static final ResourceDefinitionContext TUNNELS = new ResourceDefinitionContext.Builder()
            .withGroup("strait.dev").withVersion("v1alpha1").withPlural("ipsectunnels").withKind("IPsecTunnel")
            .withNamespaced(true).build();
    private static final long RESYNC_MS = 0; // the agent runs its own periodic pass

    private final SharedIndexInformer<Node> nodes;
    private final SharedIndexInformer<GenericKubernetesResource> tunnels;
    private final SharedIndexInformer<Pod> pods;
    private final SharedIndexInformer<Lease> leases;

    private final List<dev.strait.api.net.Cidr> fallbackPodCidrs;

    public ClusterWatch(KubernetesClient client, Runnable onChange) {
        this(client, onChange, List.of());
    }

    /** @param fallbackPodCidrs the cluster's pod CIDRs when no Node has a podCIDR (see ClusterViews) */
    public ClusterWatch(KubernetesClient client, Runnable onChange, List<dev.strait.api.net.Cidr> fallbackPodCidrs) {
        this.fallbackPodCidrs = List.copyOf(fallbackPodCidrs);
        // Node status changes every few seconds (heartbeats, conditions): only the address and pod CIDRs matter.
        nodes = start(client.nodes().runnableInformer(RESYNC_MS),
                handler(onChange, n -> true, (a, b) -> ClusterViews.node(a).equals(ClusterViews.node(b))));
        tunnels = start(client.genericKubernetesResources(TUNNELS).inAnyNamespace().runnableInformer(RESYNC_MS),
                handler(onChange, t -> true, (a, b) -> a.getMetadata().getGeneration() != null
                        && a.getMetadata().getGeneration().equals(b.getMetadata().getGeneration())));
        pods = start(client.pods().inAnyNamespace().withLabel(ClusterViews.GATEWAY_LABEL).runnableInformer(RESYNC_MS),
                handler(onChange, p -> true, (a, b) -> false));
        // kube-node-lease renews a lease per node every 10 s: only gateway leases count, and only a new holder.
        leases = start(client.leases().inAnyNamespace().runnableInformer(RESYNC_MS), handler(onChange,
                l -> l.getMetadata().getName().endsWith(ClusterViews.LEASE_SUFFIX),
                (a, b) -> java.util.Objects.equals(holder(a), holder(b))));
    }

    /**
     * Starts without waiting, and keeps retrying whatever fails: an API server that is down when the agent starts
     * (or a CRD not installed yet) must leave the agent waiting, not crash-looping. fabric8's default gives up on a
     * failed initial list.
     */
    private static <T extends HasMetadata> SharedIndexInformer<T> start(SharedIndexInformer<T> informer,
            ResourceEventHandler<T> handler) {
        informer.addEventHandler(handler);
        informer.exceptionHandler((started, t) -> {
            LOG.warn("watch of {} failed, retrying: {}", informer.getApiTypeClass().getSimpleName(), t.getMessage());
            return true;
        });
        informer.start();
        return informer;
    }

    public boolean synced() {
        return nodes.hasSynced() && tunnels.hasSynced() && pods.hasSynced() && leases.hasSynced();
    }

    public ClusterView view(String localNode) {
        return ClusterViews.from(localNode, nodes.getStore().list(), tunnels.getStore().list(),
                leases.getStore().list(), pods.getStore().list(), fallbackPodCidrs);
    }

    private static String holder(Lease l) {
        return l.getSpec() == null ? null : l.getSpec().getHolderIdentity();
    }

    private interface Same<T> {
        boolean test(T before, T after);
    }

    private static <T extends HasMetadata> ResourceEventHandler<T> handler(Runnable onChange, Predicate<T> relevant,
            Same<T> same) {
        return new ResourceEventHandler<>() {
            @Override
            public void onAdd(T obj) {
                if (relevant.test(obj)) {
                    onChange.run();
                }
            }

            @Override
            public void onUpdate(T oldObj, T newObj) {
                if (relevant.test(newObj) && !same.test(oldObj, newObj)) {
                    onChange.run();
                }
            }

            @Override
            public void onDelete(T obj, boolean deletedFinalStateUnknown) {
                if (relevant.test(obj)) {
                    onChange.run();
                }
            }
        };
    }

    @Override
    public void close() {
        for (SharedIndexInformer<?> i : List.of(nodes, tunnels, pods, leases)) {
            i.close();
        }
    }
}
