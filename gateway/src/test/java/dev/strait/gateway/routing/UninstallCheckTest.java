package dev.strait.gateway.routing;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strait.gateway.kube.KubeClients;
import dev.strait.gateway.testing.TestApiServer;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.DaemonSetBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/** The agent removes its routes on SIGTERM only when its release is being uninstalled, never on a restart. */
@Tag("apiserver") // a separate, later surefire run: CI builds kube-apiserver meanwhile (gateway/pom.xml)
class UninstallCheckTest {
    private static final String NS = "strait-system";
    private static TestApiServer api;

    @BeforeAll
    static void up() {
        api = TestApiServer.start();
        api.createNamespace(NS);
    }

    @AfterAll
    static void down() {
        if (api != null) {
            api.close();
        }
    }

    @Test
    void aPresentDaemonSetMeansRestartAGoneOneOrARevokedTokenMeansUninstall() {
        KubernetesClient admin = api.client();
        assertTrue(UninstallCheck.uninstalling(admin, NS, "strait-route-agent"), "no DaemonSet: uninstalled");
        admin.resource(daemonSet()).create();
        assertFalse(UninstallCheck.uninstalling(admin, NS, "strait-route-agent"), "DaemonSet present: a restart");
        assertFalse(UninstallCheck.uninstalling(admin, NS, null), "not started by the chart: never");

        // helm uninstall also deletes the agent's ServiceAccount and Role: its requests are then refused.
        Config refused = new ConfigBuilder(admin.getConfiguration()).withOauthToken("revoked").withClientCertData(null)
                .withClientKeyData(null).withClientCertFile(null).withClientKeyFile(null).build();
        try (KubernetesClient gone = new KubernetesClientBuilder().withConfig(KubeClients.failFast(refused)).build()) {
            assertTrue(UninstallCheck.uninstalling(gone, NS, "strait-route-agent"), "refused token: uninstalled");
        }
        // An API server that cannot be reached is a hiccup, not an uninstall: the routes stay.
        Config down = new ConfigBuilder(admin.getConfiguration()).withMasterUrl("https://127.0.0.1:1").build();
        try (KubernetesClient unreachable = new KubernetesClientBuilder().withConfig(KubeClients.failFast(down)).build()) {
            assertFalse(UninstallCheck.uninstalling(unreachable, NS, "strait-route-agent"));
        }
    }

    private static DaemonSet daemonSet() {
        Map<String, String> labels = Map.of("app.kubernetes.io/component", "route-agent");
        return new DaemonSetBuilder().withNewMetadata().withName("strait-route-agent").withNamespace(NS).endMetadata()
                .withNewSpec().withNewSelector().withMatchLabels(labels).endSelector()
                .withNewTemplate().withNewMetadata().withLabels(labels).endMetadata()
                .withNewSpec().addNewContainer().withName("route-agent").withImage("strait-gateway").endContainer()
                .endSpec().endTemplate().endSpec().build();
    }
}
