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

    /**
     * @param leaseNamespace namespace of the leader lease, or null to run without leader election
     */
    public StraitOperator(KubernetesClient client, String defaultGatewayImage, String leaseNamespace,
                          OperatorMetrics metrics) {
        this.metrics = metrics;
        this.operator = new Operator(o -> {
            o.withKubernetesClient(client)
                    .withCloseClientOnStop(false)
                    .withMetrics(MicrometerMetrics.withoutPerResourceMetrics(metrics.registry()));
            if (leaseNamespace != null) {
                o.withLeaderElectionConfiguration(new LeaderElectionConfiguration(LEASE_NAME, leaseNamespace));
            }
        });
        GatewayReconciler gateways = new GatewayReconciler(defaultGatewayImage, metrics);
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
