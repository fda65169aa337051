package dev.strait.e2e.support;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The Kubernetes cluster the real-cluster tests run on: the user's own when KUBECONFIG names one, else the local
 * cluster of {@code e2e/bin/cluster.sh} (kubelet + containerd nodes in network namespaces, the project's images built
 * from its Dockerfiles), brought up once per JVM and taken down at exit unless STRAIT_CLUSTER_KEEP=1.
 *
 * <p>In CI (CI=true) nothing here skips: a cluster that cannot be had fails the tests.
 */
public final class LocalCluster {
    public static final String GATEWAY_IMAGE = "strait.local/strait-gateway:dev";
    public static final String OPERATOR_IMAGE = "strait.local/strait-operator:dev";
    public static final String TOOLS_IMAGE = "strait.local/debian:bookworm-tools";
    /** The remote site of cluster.sh: strongSwan's namespace and address on the cluster bridge, and its LAN host. */
    public static final String REMOTE_NS = "strait-remote";
    public static final String REMOTE_IP = "10.210.0.100";
    public static final String LANHOST_NS = "strait-lanhost";
    public static final String LANHOST_IP = "10.30.0.10";
    public static final String POD_CIDR = "10.244.0.0/16";
    private static final Path STATE = Path.of(env("STRAIT_CLUSTER_DIR", "/var/tmp/strait-cluster"));

    private static LocalCluster instance;
    private static String unavailable;

    private final Path kubeconfig;
    private final boolean embedded;
    private final KubernetesClient client;

    private LocalCluster(Path kubeconfig, boolean embedded) {
        this.kubeconfig = kubeconfig;
        this.embedded = embedded;
        Config config = Config.fromKubeconfig(read(kubeconfig));
        config.setRequestTimeout(30_000);
        this.client = new KubernetesClientBuilder().withConfig(config).build();
    }

    /** The cluster, or null with {@link #unavailable()} saying why (never null in CI). */
    public static synchronized LocalCluster get() {
        if (instance != null || unavailable != null) {
            return instance;
        }
        String kc = System.getenv("KUBECONFIG");
        if (kc != null && !kc.isBlank()) {
            instance = new LocalCluster(Path.of(kc.split(":")[0]), false);
            return instance;
        }
        boolean root = "0".equals(Commands.run(Duration.ofSeconds(5), List.of("id", "-u")).stdout().strip());
        if (!root) {
            unavailable = "KUBECONFIG is not set and the local cluster (e2e/bin/cluster.sh) needs root";
            if (ci()) {
                throw new IllegalStateException(unavailable);
            }
            return null;
        }
        long start = System.nanoTime();
        ExecResult up = Commands.run(Duration.ofMinutes(40), List.of(script().toString(), "up"));
        if (!up.ok()) {
            throw new IllegalStateException("e2e/bin/cluster.sh up failed\n" + up.describe());
        }
        System.out.printf("local cluster up in %.0f s%n", (System.nanoTime() - start) / 1e9);
        instance = new LocalCluster(STATE.resolve("kubeconfig"), true);
        if (!"1".equals(System.getenv("STRAIT_CLUSTER_KEEP"))) {
            Runtime.getRuntime().addShutdownHook(new Thread(() ->
                    Commands.run(Duration.ofMinutes(3), List.of(script().toString(), "down")), "cluster-down"));
        }
        return instance;
    }

    public static String unavailable() {
        return unavailable;
    }

    public static boolean ci() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    private static Path script() {
        return E2eDirs.bin().resolve("cluster.sh");
    }

    /** The local cluster (with its remote site and node namespaces), not a user's own. */
    public boolean embedded() {
        return embedded;
    }

    public KubernetesClient client() {
        return client;
    }

    public Path kubeconfig() {
        return kubeconfig;
    }

    /** kubectl with this cluster's kubeconfig; the 1.20.2 build in the cache when there is one. */
    public ExecResult kubectl(Duration timeout, String... args) {
        Path cached = Path.of(System.getProperty("user.home"), ".cache", "strait-k8s", "1.20.2", "kubectl");
        List<String> cmd = new ArrayList<>(List.of(Files.isExecutable(cached) ? cached.toString() : "kubectl",
                "--kubeconfig", kubeconfig.toString()));
        cmd.addAll(List.of(args));
        return Commands.run(timeout, cmd);
    }

    public ExecResult helm(Duration timeout, String... args) {
        List<String> cmd = new ArrayList<>(List.of(E2eDirs.bin().resolve("helm.sh").toString(),
                "--kubeconfig", kubeconfig.toString()));
        cmd.addAll(List.of(args));
        return Commands.run(timeout, cmd);
    }

    /** {@code cluster.sh site up}: the remote site's namespaces, fresh. */
    public void remoteSiteUp() {
        requireEmbedded();
        Commands.run(Duration.ofMinutes(1), List.of(script().toString(), "site", "up")).orThrow();
    }

    public void remoteSiteDown() {
        Commands.run(Duration.ofMinutes(1), List.of(script().toString(), "site", "down"));
    }

    /**
     * Runs a command of this machine in a pod's network namespace (through the pid of its first container's task in
     * the node's containerd): the gateway image carries no ping, and should not.
     */
    public ExecResult inPodNetwork(Pod pod, Duration timeout, String... command) {
        List<String> cmd = new ArrayList<>(List.of("nsenter", "-t", Long.toString(podPid(pod)), "-n", "--"));
        cmd.addAll(List.of(command));
        return Commands.run(timeout, cmd);
    }

    /** The host pid of the pod's first container, from the containerd of the node it runs on. */
    public long podPid(Pod pod) {
        requireEmbedded();
        String node = pod.getSpec().getNodeName();
        String containerId = pod.getStatus().getContainerStatuses().getFirst().getContainerID()
                .replaceFirst("^containerd://", "");
        Path socket = STATE.resolve("n" + node.replaceFirst("^strait-n", "")).resolve("containerd/containerd.sock");
        String tasks = Commands.run(Duration.ofSeconds(20), List.of("ctr", "--address", socket.toString(),
                "-n", "k8s.io", "tasks", "ls")).orThrow().stdout();
        for (String line : tasks.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 2 && f[0].equals(containerId)) {
                return Long.parseLong(f[1]);
            }
        }
        throw new IllegalStateException("no task " + containerId + " on " + node + ":\n" + tasks);
    }

    /**
     * Freezes kube-apiserver (SIGSTOP) for the given time, then lets it go on (SIGCONT): an API server that answers
     * nothing, as during an upgrade or a network blip, without losing any state.
     */
    public void pauseApiServer(Duration pause) throws Exception {
        requireEmbedded();
        String pid = Files.readString(STATE.resolve("control-plane/kube-apiserver.pid")).strip();
        Commands.run(Duration.ofSeconds(5), List.of("kill", "-STOP", pid)).orThrow();
        try {
            Thread.sleep(pause);
        } finally {
            Commands.run(Duration.ofSeconds(5), List.of("kill", "-CONT", pid)).orThrow();
        }
    }

    /** Images as they were built for this cluster: buildah's view, for sizes and contents. */
    public ExecResult buildah(Duration timeout, String... args) {
        requireEmbedded();
        Path cache = Path.of(env("STRAIT_CLUSTER_CACHE", System.getProperty("user.home") + "/.cache/strait-cluster"));
        List<String> cmd = new ArrayList<>(List.of("buildah", "--root", cache.resolve("buildah/root").toString(),
                "--runroot", STATE.resolve("buildah-run").toString(), "--storage-driver", "overlay"));
        cmd.addAll(List.of(args));
        return Commands.run(timeout, cmd, Map.of("TMPDIR", cache.resolve("buildah/tmp").toString()));
    }

    private void requireEmbedded() {
        if (!embedded) {
            throw new IllegalStateException("needs the local cluster of e2e/bin/cluster.sh, not KUBECONFIG=" + kubeconfig);
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String env(String name, String fallback) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? fallback : v;
    }
}
