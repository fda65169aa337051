package dev.strait.operator;

import dev.strait.operator.reconcile.GatewayReconciler;
import dev.strait.operator.reconcile.TunnelReconciler;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;

/** Both controllers wired into one JOSDK Operator; used by OperatorMain and, in-process, by the tests. */
public final class StraitOperator implements AutoCloseable {
    public static final String LEASE_NAME = "strait-operator-leader";

    private final Operator operator;
    private final OperatorMetrics metrics;

    /** In-process use (tests): losing or giving up the lease stops the controllers but not the JVM. */
    public StraitOperator(KubernetesClient client, String defaultGatewayImage, String leaseNamespace,
                          OperatorMetrics metrics) {
        this(client, defaultGatewayImage, leaseNamespace, false, null, metrics);
    }

    /**
     * @param leaseNamespace namespace of the leader lease, or null to run without leader election
     * @param exitOnLostLease exit the JVM when leadership is lost, so the pod restarts as a clean follower
     * @param routeAgentNamespace namespace of the route agent pods, or null when the route agent is disabled
     */
    public StraitOperator(KubernetesClient client, String defaultGatewayImage, String leaseNamespace,
                          boolean exitOnLostLease, String routeAgentNamespace, OperatorMetrics metrics) {
        this(client, defaultGatewayImage, leaseNamespace, exitOnLostLease, routeAgentNamespace, java.util.List.of(),
                metrics);
    }

    /** @param clusterPodCidrs the cluster's pod CIDRs for when no Node has a podCIDR (empty: the Nodes' only) */
    public StraitOperator(KubernetesClient client, String defaultGatewayImage, String leaseNamespace,
                          boolean exitOnLostLease, String routeAgentNamespace, java.util.List<String> clusterPodCidrs,
                          OperatorMetrics metrics) {
        this.metrics = metrics;
        this.operator = new Operator(o -> {
            o.withKubernetesClient(client)
                    .withCloseClientOnStop(false)
                    // The gateway's objects carry exactly the manifests GatewayResources renders: no JOSDK annotation.
                    .withPreviousAnnotationForDependentResources(false)
                    .withMetrics(MicrometerMetrics.withoutPerResourceMetrics(metrics.registry()));
            if (leaseNamespace != null) {
                o.withLeaderElectionConfiguration(new LeaderElectionConfiguration(LEASE_NAME, leaseNamespace,
                        LeaderElectionConfiguration.LEASE_DURATION_DEFAULT_VALUE,
                        LeaderElectionConfiguration.RENEW_DEADLINE_DEFAULT_VALUE,
                        LeaderElectionConfiguration.RETRY_PERIOD_DEFAULT_VALUE, null, null, exitOnLostLease));
            }
        });
        GatewayReconciler gateways = new GatewayReconciler(defaultGatewayImage, routeAgentNamespace, clusterPodCidrs,
                metrics);
        operator.register(gateways);
        operator.register(new TunnelReconciler(metrics));
        metrics.countTunnelsFrom(gateways::knownTunnels);
    }

    public StraitOperator start() {
        operator.start();
        return this;
    }

    public boolean isStarted() {
        return operator.getRuntimeInfo().isStarted();
    }

    public boolean isHealthy() {
        return operator.getRuntimeInfo().allEventSourcesAreHealthy();
    }

    public OperatorMetrics metrics() {
        return metrics;
    }

    @Override
    public void close() {
        operator.stop();
    }
}
