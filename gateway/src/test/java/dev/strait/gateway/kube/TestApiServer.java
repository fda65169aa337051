package dev.strait.gateway.kube;

import io.fabric8.kubeapitest.KubeAPIServer;
import io.fabric8.kubeapitest.KubeAPIServerConfigBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * A real kube-apiserver 1.20.2 + etcd (fabric8 kube-api-test) for one test class, with the IPsecTunnel CRD from
 * {@code crds/}. Binaries from KUBE_API_TEST_DIR or the cache e2e/bin/k8s-apiserver.sh lays out; skipped (failed
 * when CI=true) when they are missing.
 */
final class TestApiServer implements AutoCloseable {
    static final String VERSION = "1.20.2";

    private final KubeAPIServer server;
    private final KubernetesClient client;

    private TestApiServer(KubeAPIServer server, KubernetesClient client) {
        this.server = server;
        this.client = client;
    }

    static TestApiServer start() {
        Path dir = testDir();
        Path apiserver = dir.resolve("k8s").resolve(VERSION + "-linux-amd64").resolve("kube-apiserver");
        if (!Files.isExecutable(apiserver)) {
            String msg = "no kube-apiserver " + VERSION + " at " + apiserver
                    + "; run `export KUBE_API_TEST_DIR=$(e2e/bin/k8s-apiserver.sh)` first";
            if ("true".equals(System.getenv("CI"))) {
                Assertions.fail(msg);
            }
            Assumptions.abort(msg);
        }
        KubeAPIServer server = new KubeAPIServer(KubeAPIServerConfigBuilder.anAPIServerConfig()
                .withTestDir(dir.toString()).withApiServerVersion(VERSION).withUpdateKubeConfig(false).build());
        server.start();
        return new TestApiServer(server, newClient(server.getKubeConfigYaml()));
    }

    static KubernetesClient newClient(String kubeconfigYaml) {
        return new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeconfigYaml)).build();
    }

    private static Path testDir() {
        String env = System.getenv("KUBE_API_TEST_DIR");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        String cache = System.getenv("STRAIT_K8S_CACHE");
        Path base = cache != null && !cache.isBlank() ? Path.of(cache)
                : Path.of(System.getProperty("user.home"), ".cache", "strait-k8s");
        return base.resolve("kube-api-test");
    }

    KubernetesClient client() {
        return client;
    }

    String kubeconfig() {
        return server.getKubeConfigYaml();
    }

    void createNamespace(String ns) {
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build()).create();
    }

    /** The committed CRD (crds/ at the repository root), so the schema prunes what the real one prunes. */
    void installTunnelCrd() throws IOException {
        Path crd = Path.of("..", "crds", "ipsectunnels.strait.dev-v1.yml");
        try (InputStream in = Files.newInputStream(crd)) {
            CustomResourceDefinition d = client.apiextensions().v1().customResourceDefinitions().load(in).item();
            client.resource(d).create();
            client.apiextensions().v1().customResourceDefinitions().withName(d.getMetadata().getName())
                    .waitUntilCondition(c -> c.getStatus() != null && c.getStatus().getConditions() != null
                            && c.getStatus().getConditions().stream().anyMatch(
                                    x -> "Established".equals(x.getType()) && "True".equals(x.getStatus())),
                            30, TimeUnit.SECONDS);
        }
    }

    @Override
    public void close() {
        client.close();
        server.stop();
    }
}
