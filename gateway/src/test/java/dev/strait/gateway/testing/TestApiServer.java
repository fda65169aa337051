package dev.strait.gateway.testing;

import io.fabric8.kubeapitest.KubeAPIServer;
import io.fabric8.kubeapitest.KubeAPIServerConfigBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * A real kube-apiserver 1.20.2 + etcd (fabric8 kube-api-test) for one test class, shared by the gateway, operator
 * and e2e tests through the gateway's test-jar. The binaries come from KUBE_API_TEST_DIR, or the cache that
 * e2e/bin/k8s-apiserver.sh lays out; when they are missing the class is skipped (with CI=true, the script is run:
 * it builds them or waits for the build already going on, and the class fails if they are still missing).
 * Ports (etcd's two, the API server's) are chosen by kube-api-test at random from 49152-65535 and probed free.
 */
public final class TestApiServer implements AutoCloseable {
    public static final String VERSION = "1.20.2";
    public static final String TUNNEL_CRD = "ipsectunnels.strait.dev-v1.yml";
    public static final String GATEWAY_CRD = "ipsecgateways.strait.dev-v1.yml";
    private static final String SCRIPT = "e2e/bin/k8s-apiserver.sh";

    private final KubeAPIServer server;
    private final KubernetesClient client;
    private final Path dir;

    private TestApiServer(KubeAPIServer server, KubernetesClient client, Path dir) {
        this.server = server;
        this.client = client;
        this.dir = dir;
    }

    /** Starts the server, or skips the class (fails it when CI=true) if the binaries are not laid out. */
    public static TestApiServer start() {
        Path apiserver = binary("kube-apiserver");
        boolean ci = "true".equals(System.getenv("CI"));
        if (!Files.isExecutable(apiserver) && ci) {
            buildOrAwaitBinaries(); // CI builds them in the background while the first tests run
        }
        if (!Files.isExecutable(apiserver)) {
            String msg = "no kube-apiserver " + VERSION + " at " + apiserver + "; run `export KUBE_API_TEST_DIR=$("
                    + SCRIPT + ")` first";
            if (ci) {
                Assertions.fail(msg);
            }
            Assumptions.abort(msg);
        }
        // Never via the KUBE_API_TEST_* env flags for booleans/ints: 7.5.2 casts their strings and fails.
        Path dir = ownDir();
        KubeAPIServer server = new KubeAPIServer(KubeAPIServerConfigBuilder.anAPIServerConfig()
                .withTestDir(dir.toString())
                .withApiServerVersion(VERSION)
                .withUpdateKubeConfig(false)
                .build());
        try {
            server.start();
        } catch (RuntimeException e) {
            deleteDir(dir);
            throw e;
        }
        return new TestApiServer(server, newClient(server.getKubeConfigYaml()), dir);
    }

    /**
     * A directory for this server alone, its k8s/ a link to the shared binaries. kube-api-test keeps its certificates
     * in its directory, creates them when they are missing (locked within one JVM only) and reuses them after: on a
     * shared one, two test runs starting at once on a fresh cache both write the same files, and a server can end up
     * with one run's client CA and the other run's client.
     */
    private static Path ownDir() {
        try {
            Path dir = Files.createTempDirectory("strait-kube-api-test-");
            Files.createSymbolicLink(dir.resolve("k8s"), testDir().resolve("k8s").toAbsolutePath());
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteDir(Path dir) {
        try {
            TempDirs.delete(dir); // the k8s/ link goes, the binaries stay
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Runs {@link #SCRIPT}, which builds the binaries, or waits on its lock while another run (CI's background
     * build) finishes them; its output goes to the test's stderr.
     */
    private static void buildOrAwaitBinaries() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isRegularFile(dir.resolve(SCRIPT))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            return;
        }
        try {
            Process p = new ProcessBuilder("bash", dir.resolve(SCRIPT).toString())
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            if (!p.waitFor(20, java.util.concurrent.TimeUnit.MINUTES)) {
                p.destroyForcibly();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** kube-api-test's directory: KUBE_API_TEST_DIR, else STRAIT_K8S_CACHE (default ~/.cache/strait-k8s)/kube-api-test. */
    public static Path testDir() {
        String env = System.getenv("KUBE_API_TEST_DIR");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        String cache = System.getenv("STRAIT_K8S_CACHE");
        Path base = cache != null && !cache.isBlank() ? Path.of(cache)
                : Path.of(System.getProperty("user.home"), ".cache", "strait-k8s");
        return base.resolve("kube-api-test");
    }

    /** One of the laid-out binaries of {@link #VERSION}: kube-apiserver, etcd, kubectl. */
    public static Path binary(String name) {
        return testDir().resolve("k8s").resolve(VERSION + "-linux-amd64").resolve(name);
    }

    public static KubernetesClient newClient(String kubeconfigYaml) {
        return new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeconfigYaml)).build();
    }

    public KubernetesClient client() {
        return client;
    }

    public String kubeconfig() {
        return server.getKubeConfigYaml();
    }

    public void createNamespace(String ns) {
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build()).create();
    }

    /** CRD files from {@code dir}, e.g. the committed crds/ at the repository root, so the schema prunes as the real one. */
    public void installCrds(Path dir, String... names) throws IOException {
        for (String name : names) {
            try (InputStream in = Files.newInputStream(dir.resolve(name))) {
                installCrd(in);
            }
        }
    }

    /** CRDs as the operator build generated them (META-INF/fabric8/ on the test classpath). */
    public void installGeneratedCrds(String... names) throws IOException {
        for (String name : names) {
            try (InputStream in = TestApiServer.class.getResourceAsStream("/META-INF/fabric8/" + name)) {
                Assertions.assertNotNull(in, "generated CRD " + name + " missing from the classpath");
                installCrd(in);
            }
        }
    }

    /** Creates one CRD and waits until the API server serves it. */
    public void installCrd(InputStream yaml) {
        CustomResourceDefinition crd = client.apiextensions().v1().customResourceDefinitions().load(yaml).item();
        client.resource(crd).create();
        client.apiextensions().v1().customResourceDefinitions().withName(crd.getMetadata().getName())
                .waitUntilCondition(c -> c.getStatus() != null && c.getStatus().getConditions() != null
                        && c.getStatus().getConditions().stream().anyMatch(
                                x -> "Established".equals(x.getType()) && "True".equals(x.getStatus())),
                        30, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        client.close();
        server.stop();
        deleteDir(dir);
    }
}
