package dev.strait.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strait.api.v1alpha1.GatewaySpec;
import dev.strait.api.v1alpha1.TunnelSpec;
import dev.strait.api.v1alpha1.TunnelStatus;
import dev.strait.e2e.support.Commands;
import dev.strait.e2e.support.E2eDirs;
import dev.strait.e2e.support.ExecResult;
import dev.strait.e2e.support.SwanctlConf;
import dev.strait.operator.crd.IPsecGateway;
import dev.strait.operator.crd.IPsecTunnel;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The product on a real cluster: installs the chart (helm/strait), runs strongSwan as a pod, and brings an
 * IPsecTunnel up to it. Runs only where a cluster is reachable through KUBECONFIG (or ~/.kube/config) and helm is
 * installed; elsewhere it is skipped with the reason. (A k3s Testcontainer would need a container engine; where
 * `docker info` fails that route is out too, and the skip message says so.)
 *
 * <p>Images: STRAIT_OPERATOR_IMAGE / STRAIT_GATEWAY_IMAGE (repository:tag, default: the chart's), and
 * STRAIT_E2E_STRONGSWAN_IMAGE (default strongx509/strongswan:5.9.14, which runs charon with swanctl).
 */
@Timeout(600)
class RealClusterIT {
    private static final String RELEASE = "strait-e2e";
    private static final String SYSTEM_NS = "strait-e2e-system";
    private static final String NS = "strait-e2e-tunnels";
    private static final String PSK = "real-cluster-psk-not-secret";

    static KubernetesClient client;
    static boolean installed;

    static String skipReason;

    @BeforeAll
    static void lookForACluster() {
        skipReason = clusterUnavailable();
        if (skipReason == null && !succeeds("helm", "version", "--short")) {
            skipReason = "a cluster is reachable but `helm` is not installed";
        }
        if (skipReason == null && !Files.isDirectory(chart())) {
            skipReason = "no chart at " + chart();
        }
        if (skipReason != null) {
            System.out.println("RealClusterIT skipped: " + skipReason);
        }
    }

    /** Per test, not in @BeforeAll: a class-level abort reaches the failsafe report as "0 tests", without the reason. */
    @BeforeEach
    void needACluster() {
        Assumptions.assumeTrue(skipReason == null, () -> "RealClusterIT skipped: " + skipReason);
    }

    /** Null when a cluster answers; otherwise why not (every route that was tried). */
    static String clusterUnavailable() {
        String kubeconfig = System.getenv("KUBECONFIG");
        Path home = Path.of(System.getProperty("user.home"), ".kube", "config");
        if ((kubeconfig == null || kubeconfig.isBlank()) && !Files.isRegularFile(home)) {
            return "no cluster reachable (KUBECONFIG is not set and there is no ~/.kube/config) and "
                    + containerEngine() + "; point KUBECONFIG at a cluster to run it";
        }
        try {
            Config config = Config.autoConfigure(null);
            config.setRequestRetryBackoffLimit(0);
            config.setConnectionTimeout(5_000);
            config.setRequestTimeout(5_000);
            KubernetesClient c = new KubernetesClientBuilder().withConfig(config).build();
            String version = c.getKubernetesVersion().getGitVersion();
            System.out.println("RealClusterIT: cluster " + config.getMasterUrl() + " runs " + version);
            client = c;
            return null;
        } catch (RuntimeException e) {
            return "no cluster reachable through " + (kubeconfig != null ? "KUBECONFIG=" + kubeconfig : home)
                    + " (" + rootCause(e) + ") and " + containerEngine();
        }
    }

    private static String rootCause(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.toString();
    }

    private static String containerEngine() {
        return succeeds("docker", "info") ? "a container engine answers `docker info`, but the k3s Testcontainer route is not used "
                + "(the gateway image would have to be built and loaded into it first)"
                : "no container engine for a k3s Testcontainer (`docker info` failed)";
    }

    /** Runs a probe command; a missing binary counts as failure. */
    private static boolean succeeds(String... command) {
        try {
            return Commands.run(Duration.ofSeconds(15), List.of(command)).ok();
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static Path chart() {
        return E2eDirs.module().resolve("..").resolve("helm").resolve("strait").normalize();
    }

    @AfterAll
    static void uninstall() {
        if (client == null || !installed) {
            if (client != null) {
                client.close();
            }
            return;
        }
        client.namespaces().withName(NS).delete();
        Commands.run(Duration.ofMinutes(2), List.of("helm", "uninstall", RELEASE, "-n", SYSTEM_NS, "--wait"));
        client.namespaces().withName(SYSTEM_NS).delete();
        client.close();
    }

    @Test
    void tunnelToAStrongSwanPodBecomesEstablished() throws Exception {
        List<String> install = new ArrayList<>(List.of("helm", "upgrade", "--install", RELEASE, chart().toString(),
                "-n", SYSTEM_NS, "--create-namespace", "--wait", "--timeout", "5m"));
        image("STRAIT_OPERATOR_IMAGE", "image", install);
        image("STRAIT_GATEWAY_IMAGE", "gateway.image", install);
        installed = true;
        ExecResult helm = Commands.run(Duration.ofMinutes(6), install);
        assertEquals(0, helm.exitCode(), helm.describe());

        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build())
                .serverSideApply();
        // strongSwan as the responder; it accepts the gateway from any address (pod IPs are not known upfront).
        String swanctl = SwanctlConf.builder().name("gw").role(SwanctlConf.Role.RESPONDER)
                .startAction(SwanctlConf.StartAction.NONE)
                .local("%any", "peer.strait.test").remote(null, "cluster.strait.test").psk(PSK)
                .ikeProposals("aes256gcm16-prfsha384-ecp384").espProposals("aes256gcm16")
                .localTs("10.99.0.0/24").remoteTs("10.98.0.0/24").build().render();
        client.resource(new ConfigMapBuilder().withNewMetadata().withName("strongswan").withNamespace(NS).endMetadata()
                .withData(Map.of("swanctl.conf", swanctl)).build()).serverSideApply();
        String swanImage = env("STRAIT_E2E_STRONGSWAN_IMAGE", "strongx509/strongswan:5.9.14");
        Pod swan = client.resource(new PodBuilder().withNewMetadata().withName("strongswan").withNamespace(NS)
                        .endMetadata()
                .withNewSpec()
                .addNewContainer().withName("charon").withImage(swanImage)
                .withCommand("/bin/sh", "-c", "(charon || /usr/libexec/ipsec/charon) & sleep 3; "
                        + "swanctl --load-all --file /etc/swanctl/e2e/swanctl.conf; wait")
                .withNewSecurityContext().withNewCapabilities().addToAdd("NET_ADMIN").endCapabilities()
                .endSecurityContext()
                .addNewVolumeMount().withName("conf").withMountPath("/etc/swanctl/e2e").endVolumeMount()
                .endContainer()
                .addNewVolume().withName("conf").withNewConfigMap().withName("strongswan").endConfigMap().endVolume()
                .endSpec().build()).serverSideApply();
        swan = client.pods().inNamespace(NS).withName(swan.getMetadata().getName())
                .waitUntilCondition(p -> p.getStatus() != null && p.getStatus().getPodIP() != null
                        && "Running".equals(p.getStatus().getPhase()), 3, TimeUnit.MINUTES);

        client.resource(new SecretBuilder().withNewMetadata().withName("peer-psk").withNamespace(NS).endMetadata()
                .withData(Map.of("psk", Base64.getEncoder().encodeToString(PSK.getBytes(StandardCharsets.UTF_8))))
                .build()).serverSideApply();
        IPsecGateway gw = new IPsecGateway();
        gw.setMetadata(new ObjectMetaBuilder().withName("edge").withNamespace(NS).build());
        gw.setSpec(new GatewaySpec());
        gw.getSpec().replicas = 2;
        gw.getSpec().service.type = GatewaySpec.ServiceType.None;
        client.resource(gw).serverSideApply();
        TunnelSpec spec = new TunnelSpec();
        spec.gatewayRef = new TunnelSpec.GatewayRef();
        spec.gatewayRef.name = "edge";
        spec.peer.address = swan.getStatus().getPodIP();
        spec.peer.id = "peer.strait.test";
        spec.local.id = "cluster.strait.test";
        spec.local.subnets = List.of("10.98.0.0/24");
        spec.remote.subnets = List.of("10.99.0.0/24");
        spec.auth.psk = new TunnelSpec.Psk();
        spec.auth.psk.secretRef = new TunnelSpec.SecretKeyRef();
        spec.auth.psk.secretRef.name = "peer-psk";
        spec.auth.psk.secretRef.key = "psk";
        spec.ike.proposals = List.of("aes256gcm16-prfsha384-ecp384");
        spec.esp.proposals = List.of("aes256gcm16");
        IPsecTunnel t = new IPsecTunnel();
        t.setMetadata(new ObjectMetaBuilder().withName("to-peer").withNamespace(NS).build());
        t.setSpec(spec);
        client.resource(t).serverSideApply();

        IPsecTunnel up = client.resources(IPsecTunnel.class).inNamespace(NS).withName("to-peer")
                .waitUntilCondition(x -> x != null && x.getStatus() != null
                        && "Established".equals(x.getStatus().phase), 5, TimeUnit.MINUTES);
        TunnelStatus s = up.getStatus();
        assertTrue(s.conditions.stream().anyMatch(c -> "Ready".equals(c.type) && "True".equals(c.status)));
        assertTrue(s.conditions.stream().anyMatch(c -> "ConfigValid".equals(c.type) && "True".equals(c.status)));
        assertEquals(swan.getStatus().getPodIP(), s.ike.remoteAddress.replaceFirst(":\\d+$", ""));
    }

    private static void image(String envName, String valuePrefix, List<String> helmArgs) {
        String image = System.getenv(envName);
        if (image == null || image.isBlank()) {
            return;
        }
        int colon = image.lastIndexOf(':');
        boolean tagged = colon > image.lastIndexOf('/');
        helmArgs.addAll(List.of("--set", valuePrefix + ".repository=" + (tagged ? image.substring(0, colon) : image)));
        if (tagged) {
            helmArgs.addAll(List.of("--set", valuePrefix + ".tag=" + image.substring(colon + 1)));
        }
    }

    private static String env(String name, String fallback) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? fallback : v;
    }
}
