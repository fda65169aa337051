package dev.strait.gateway.kube;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Builds the gateway's API client: an explicit kubeconfig file, else KUBECONFIG/~/.kube/config, else the pod's service account. */
public final class KubeClients {
    private KubeClients() {
    }

    public static KubernetesClient create(Path kubeconfig) throws IOException {
        Config config = kubeconfig != null ? Config.fromKubeconfig(Files.readString(kubeconfig)) : Config.autoConfigure(null);
        return new KubernetesClientBuilder().withConfig(failFast(config)).build();
    }

    /**
     * The lease must notice an unreachable API server within its renew deadline: fabric8's default of 10 retries
     * with exponential back-off would hold one renewal for minutes while a standby has already taken over.
     */
    public static Config failFast(Config config) {
        config.setRequestRetryBackoffLimit(0);
        config.setRequestTimeout(5_000);
        config.setConnectionTimeout(5_000);
        return config;
    }

    /** The pod name (Downward API POD_NAME) in a cluster; elsewhere host name and pid, unique on one machine. */
    public static String identity() {
        String pod = System.getenv("POD_NAME");
        if (pod != null && !pod.isBlank()) {
            return pod;
        }
        String host = System.getenv("HOSTNAME");
        return (host == null || host.isBlank() ? "gateway" : host) + "-" + ProcessHandle.current().pid();
    }
}
