package dev.strait.gateway.kube;

import dev.strait.api.v1alpha1.GatewayConfig;
import dev.strait.gateway.ike.sa.TunnelSnapshot;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * What the gateway does when its config has a {@code kubernetes} section: reports tunnel status, with a
 * {@code leaseName} takes part in active/standby (without one the replica is always active), and with a
 * {@code configSecret} follows its config through the API.
 */
public final class KubeIntegration implements AutoCloseable {
    private final KubernetesClient client;
    private final TunnelStatusReporter reporter;
    private final ActiveStandby election;
    private final String identity;
    private final ConfigSecretWatch configWatch;
    private final GatewayPods pods;
    private final FailoverRecorder failovers;

    private KubeIntegration(KubernetesClient client, TunnelStatusReporter reporter, ActiveStandby election,
            String identity, ConfigSecretWatch configWatch, GatewayPods pods, FailoverRecorder failovers) {
        this.client = client;
        this.reporter = reporter;
        this.election = election;
        this.identity = identity;
        this.configWatch = configWatch;
        this.pods = pods;
        this.failovers = failovers;
    }

    /**
     * Connects, starts the status reporter and (with a lease) the election. {@code role} is told when this replica
     * becomes active or standby; without a lease it becomes active before this returns. {@code configVersions}
     * gets every new version of the {@code configSecret} (decoded data), when the section names one.
     */
    public static KubeIntegration start(GatewayConfig.Kubernetes k, Path kubeconfig,
            Supplier<List<TunnelSnapshot>> snapshots, TunnelStatusReporter.Settings settings, ActiveStandby.Role role,
            FailoverRecorder.Listener failoverListener, Consumer<Map<String, byte[]>> configVersions) throws IOException {
        Objects.requireNonNull(k.namespace, "kubernetes.namespace");
        KubernetesClient client = KubeClients.create(kubeconfig);
        String identity = KubeClients.identity();
        // Followed whatever the role: a standby must hold the current config when it takes over.
        ConfigSecretWatch configWatch = k.configSecret == null || k.configSecret.isBlank() ? null
                : new ConfigSecretWatch(client, k.namespace, k.configSecret, configVersions);
        TunnelStatusReporter reporter = new TunnelStatusReporter(client, k.namespace, identity, snapshots, settings,
                Clock.systemUTC()).start();
        ActiveStandby.Role both = new ActiveStandby.Role() {
            @Override
            public void becomeActive() {
                role.becomeActive();
                reporter.setActive(true);
            }

            @Override
            public void becomeStandby() {
                reporter.setActive(false);
                role.becomeStandby();
            }
        };
        if (k.leaseName == null || k.leaseName.isBlank()) {
            both.becomeActive();
            return new KubeIntegration(client, reporter, null, identity, configWatch, null, null);
        }
        String node = System.getenv("NODE_NAME");
        ActiveStandby election = new ActiveStandby(client, k.namespace, k.leaseName, identity,
                node == null || node.isBlank() ? null : node, ActiveStandby.Timing.defaults(), both);
        // The other replica's pod tells of its process's death well before its lease expires.
        GatewayPods pods = k.gatewayName == null || k.gatewayName.isBlank() ? null
                : new GatewayPods(client, k.namespace, k.gatewayName, election::holderChanged);
        FailoverRecorder failovers = new FailoverRecorder(client, k.namespace, k.leaseName, identity, snapshots,
                failoverListener);
        election.withHolderCheck(pods == null ? ActiveStandby.HolderCheck.NONE : pods)
                .onTakeover(failovers::tookOver).start();
        return new KubeIntegration(client, reporter, election, identity, configWatch, pods, failovers);
    }

    public boolean isActive() {
        return election == null || election.isActive();
    }

    /** For /status: which replica this is and whether it carries the tunnels. */
    public Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("identity", identity);
        m.put("role", isActive() ? "active" : "standby");
        if (election != null) {
            m.put("leader", election.leader());
        }
        m.put("statusWrites", reporter.writes());
        return m;
    }

    /** Releases the lease (a standby takes over at once), stops the tunnels through the role, stops reporting. */
    @Override
    public void close() {
        if (configWatch != null) {
            configWatch.close();
        }
        if (election != null) {
            election.close();
        }
        if (pods != null) {
            pods.close();
        }
        if (failovers != null) {
            failovers.close();
        }
        reporter.close();
        client.close();
    }
}
