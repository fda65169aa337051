package dev.strait.operator.it;

import io.fabric8.kubeapitest.KubeAPIServer;
import io.fabric8.kubeapitest.KubeAPIServerConfigBuilder;
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
 * A real kube-apiserver 1.20.2 + etcd (fabric8 kube-api-test) for one test class. The binaries come from
 * KUBE_API_TEST_DIR, or the default cache dir that e2e/bin/k8s-apiserver.sh lays out.
 */
public final class ApiServer implements AutoCloseable {
    public static final String VERSION = "1.20.2";
    private static final String SCRIPT = "e2e/bin/k8s-apiserver.sh";

    private final KubeAPIServer server;
    private final KubernetesClient client;

    private ApiServer(KubeAPIServer server, KubernetesClient client) {
        this.server = server;
        this.client = client;
    }

    /** Starts the server, or skips the class (fails it when CI=true) if the binaries are not laid out. */
    public static ApiServer start() {
        Path dir = testDir();
        Path apiserver = dir.resolve("k8s").resolve(VERSION + "-linux-amd64").resolve("kube-apiserver");
        if (!Files.isExecutable(apiserver)) {
            String msg = "no kube-apiserver " + VERSION + " at " + apiserver + "; run `export KUBE_API_TEST_DIR=$("
                    + SCRIPT + ")` first";
            if ("true".equals(System.getenv("CI"))) {
                Assertions.fail(msg);
            }
            Assumptions.abort(msg);
        }
        // Never via the KUBE_API_TEST_* env flags for booleans/ints: 7.5.2 casts their strings and fails.
        KubeAPIServer server = new KubeAPIServer(KubeAPIServerConfigBuilder.anAPIServerConfig()
                .withTestDir(dir.toString())
                .withApiServerVersion(VERSION)
                .withUpdateKubeConfig(false)
                .build());
        server.start();
        KubernetesClient client = new KubernetesClientBuilder()
                .withConfig(Config.fromKubeconfig(server.getKubeConfigYaml())).build();
        return new ApiServer(server, client);
    }

    static Path testDir() {
        String env = System.getenv("KUBE_API_TEST_DIR");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        String cache = System.getenv("STRAIT_K8S_CACHE");
        Path base = cache != null && !cache.isBlank() ? Path.of(cache)
                : Path.of(System.getProperty("user.home"), ".cache", "strait-k8s");
        return base.resolve("kube-api-test");
    }

    public KubernetesClient client() {
        return client;
    }

    /** Creates the operator's CRDs as the build generated them and waits until they are served. */
    public void installCrds() throws IOException {
        for (String name : new String[] {"ipsectunnels.strait.dev-v1.yml", "ipsecgateways.strait.dev-v1.yml"}) {
            try (InputStream in = ApiServer.class.getResourceAsStream("/META-INF/fabric8/" + name)) {
                Assertions.assertNotNull(in, "generated CRD " + name + " missing from the classpath");
                CustomResourceDefinition crd = client.apiextensions().v1().customResourceDefinitions().load(in).item();
                client.resource(crd).create();
                client.apiextensions().v1().customResourceDefinitions().withName(crd.getMetadata().getName())
                        .waitUntilCondition(c -> c.getStatus() != null && c.getStatus().getConditions() != null
                                && c.getStatus().getConditions().stream().anyMatch(
                                        x -> "Established".equals(x.getType()) && "True".equals(x.getStatus())),
                                30, TimeUnit.SECONDS);
            }
        }
    }

    @Override
    public void close() {
        client.close();
        server.stop();
    }
}
