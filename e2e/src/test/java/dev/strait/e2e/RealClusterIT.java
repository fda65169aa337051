package dev.strait.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strait.api.v1alpha1.GatewaySpec;
import dev.strait.api.v1alpha1.TunnelSpec;
import dev.strait.e2e.support.Await;
import dev.strait.e2e.support.ClusterPods;
import dev.strait.e2e.support.Commands;
import dev.strait.e2e.support.E2eDirs;
import dev.strait.e2e.support.ExecResult;
import dev.strait.e2e.support.IkeSa;
import dev.strait.e2e.support.LocalCluster;
import dev.strait.e2e.support.Sites;
import dev.strait.e2e.support.StrongSwan;
import dev.strait.e2e.support.SwanctlConf;
import dev.strait.operator.crd.IPsecGateway;
import dev.strait.operator.crd.IPsecTunnel;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * The product as a platform team runs it, on a real cluster (kubelet + containerd, {@link LocalCluster}): the chart
 * installed with helm, an IPsecGateway and IPsecTunnels to a strongSwan remote site on the cluster network, config
 * changes delivered to the running gateway, the operator and the gateway pod replaced, metrics scraped, the images
 * checked as images. The tests build on each other in order, as an operator's day would.
 *
 * <p>On a user's own cluster (KUBECONFIG) only the chart, operator and image checks run: the remote site lives in
 * network namespaces of the local cluster.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class RealClusterIT {
    private static final String RELEASE = "strait";
    private static final String SYSTEM_NS = "strait-system";
    private static final String NS = "strait-e2e";
    private static final String GATEWAY = "edge";
    private static final String REMOTE_ID = "remote.strait.test";
    private static final Duration ESTABLISH = Duration.ofMinutes(3);
    /** Tunnels to the remote site: u stays untouched, a is edited, b's PSK rotated, c added later. */
    private static final Map<String, String> REMOTE_LAN = Map.of("u", "10.30.0.0/24", "a", "10.30.1.0/24",
            "b", "10.30.2.0/24", "c", "10.30.3.0/24");

    static LocalCluster cluster;
    static KubernetesClient client;
    static StrongSwan remote;
    static ClusterPods pods;
    static final Map<String, String> psks = new LinkedHashMap<>();
    static final Map<String, Object> measured = new LinkedHashMap<>();

    @BeforeAll
    static void cluster() {
        cluster = LocalCluster.get();
        if (cluster != null) {
            client = cluster.client();
            pods = new ClusterPods(cluster);
        }
    }

    @BeforeEach
    void needACluster() {
        Assumptions.assumeTrue(cluster != null, () -> "RealClusterIT skipped: " + LocalCluster.unavailable());
    }

    @AfterAll
    static void cleanUp() throws IOException {
        if (!measured.isEmpty()) {
            Path out = E2eDirs.work("real-cluster").resolve("measured.txt");
            StringBuilder s = new StringBuilder();
            measured.forEach((k, v) -> s.append(k).append(' ').append(v).append('\n'));
            Files.writeString(out, s);
            System.out.print("RealClusterIT measured:\n" + s);
        }
        if (client != null && cluster.embedded()) {
            client.namespaces().withName(NS).delete(); // its gateway would keep calling the next test's remote site
        }
        if (remote != null) {
            remote.stop();
        }
        if (cluster != null && cluster.embedded()) {
            cluster.remoteSiteDown();
        }
    }

    private static void needTheRemoteSite() {
        Assumptions.assumeTrue(cluster.embedded(),
                "needs the remote site of the local cluster (e2e/bin/cluster.sh), not a cluster from KUBECONFIG");
        Assumptions.assumeTrue(remote != null, "the remote site did not come up in the first test");
    }

    @Test
    @Order(1)
    void helmInstallsTheOperatorAndATunnelToTheRemoteSiteComesUp() throws Exception {
        List<String> install = new ArrayList<>(List.of("upgrade", "--install", RELEASE,
                E2eDirs.module().resolveSibling("helm").resolve("strait").toString(),
                "-n", SYSTEM_NS, "--create-namespace", "--wait", "--timeout", "5m"));
        images(install);
        long start = System.nanoTime();
        ExecResult helm = cluster.helm(Duration.ofMinutes(6), install.toArray(String[]::new));
        assertEquals(0, helm.exitCode(), helm.describe());
        measured.put("helm-install-to-operator-ready-s", seconds(start));
        Pod operator = operatorPod();
        assertTrue(ClusterPods.ready(operator), "operator pod Ready after helm --wait");

        Assumptions.assumeTrue(cluster.embedded(), "the remote site exists only on the local cluster");
        cluster.remoteSiteUp();
        remote = new StrongSwan(Sites.fromEnvironment(), LocalCluster.REMOTE_NS);
        for (String t : List.of("u", "a", "b", "c")) {
            psks.put(t, "psk-" + t + "-" + Long.toHexString(System.nanoTime()));
        }
        remote.start(connections(), REMOTE_STRONGSWAN_CONF);

        if (client.namespaces().withName(NS).get() != null) { // left by an earlier run on a kept cluster
            client.namespaces().withName(NS).delete();
            Await.await(() -> client.namespaces().withName(NS).get() == null ? true : null, Duration.ofMinutes(2),
                    "namespace " + NS + " of an earlier run gone");
        }
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build())
                .serverSideApply();
        IPsecGateway gw = new IPsecGateway();
        gw.setMetadata(new ObjectMetaBuilder().withName(GATEWAY).withNamespace(NS).build());
        gw.setSpec(new GatewaySpec());
        gw.getSpec().replicas = 1;
        gw.getSpec().service.type = GatewaySpec.ServiceType.None;
        client.resource(gw).serverSideApply();
        for (String t : List.of("u", "a", "b")) {
            pskSecret(t, psks.get(t));
        }
        start = System.nanoTime();
        for (String t : List.of("u", "a", "b")) {
            client.resource(tunnel(t, "aes256gcm16")).serverSideApply();
        }
        for (String t : List.of("u", "a", "b")) {
            awaitEstablished(t);
        }
        measured.put("first-tunnels-apply-to-established-s (gateway pod start included)", seconds(start));
        IPsecTunnel u = client.resources(IPsecTunnel.class).inNamespace(NS).withName("u").get();
        assertTrue(u.getStatus().conditions.stream().anyMatch(c -> "Ready".equals(c.type) && "True".equals(c.status)),
                () -> "Ready condition: " + u.getStatus().conditions);
        assertEquals(gatewayPod().getStatus().getPodIP(), u.getStatus().ike.localAddress.replaceFirst(":\\d+$", ""),
                "the gateway pod's own address, no node SNAT in between");

        // Traffic: from the gateway pod, through ESP, to the LAN host behind strongSwan, and back.
        ExecResult ping = cluster.inPodNetwork(gatewayPod(), Duration.ofSeconds(30),
                "ping", "-c", "3", "-W", "2", LocalCluster.LANHOST_IP);
        assertTrue(ping.ok(), ping.describe());
        assertTrue(remote.listSas().stream().filter(s -> s.name().equals("u")).findFirst().orElseThrow()
                .child("u").packetsIn() >= 3, "the pings crossed strongSwan's Child SA");
    }

    @Test
    @Order(2)
    void theImagesRunTheirEntrypointsAndHoldOnlyWhatTheyNeed() {
        Pod operator = operatorPod();
        var operatorContainer = operator.getSpec().getContainers().getFirst();
        assertTrue(operatorContainer.getCommand() == null || operatorContainer.getCommand().isEmpty(),
                "the operator runs its image's ENTRYPOINT");
        assertEquals("65532", pods.exec(operator, "id", "-u").stdout().strip(), "the operator is not root");
        assertTrue(pods.exec(operator, "cat", "/proc/1/cmdline").stdout().contains("/opt/strait/strait-operator.jar"));
        Assumptions.assumeTrue(remote != null, "no gateway pod without the remote site");
        Pod gateway = gatewayPod();
        var gatewayContainer = gateway.getSpec().getContainers().getFirst();
        assertTrue(gatewayContainer.getCommand() == null || gatewayContainer.getCommand().isEmpty(),
                "the gateway runs its image's ENTRYPOINT (the operator sets only args)");
        assertTrue(pods.exec(gateway, "cat", "/proc/1/cmdline").stdout().contains("/opt/strait/strait-gateway.jar"));
        for (Pod p : List.of(operator, gateway)) {
            // a jlinked runtime: no compiler, no JDK tools, no build tree or Maven cache in the runtime image (the
            // local build mounts the host's Maven cache into RUN steps, which leaves an empty mount point)
            ExecResult absent = pods.exec(p, "sh", "-c", "for f in /opt/java/bin/javac /opt/java/bin/jlink /opt/java/jmods "
                    + "/src /usr/bin/mvn /opt/java/openjdk; do [ -e $f ] && echo $f; done; "
                    + "[ -n \"$(ls -A /root/.m2 2>/dev/null)\" ] && echo /root/.m2; true");
            assertEquals("", absent.stdout().strip(), "build-only files in the image of " + p.getMetadata().getName());
        }
        if (cluster.embedded()) {
            for (String image : List.of(LocalCluster.GATEWAY_IMAGE, LocalCluster.OPERATOR_IMAGE)) {
                String size = cluster.buildah(Duration.ofSeconds(30), "images", "--format", "{{.Size}}", image)
                        .orThrow().stdout().strip();
                measured.put("image-size " + image, size);
            }
        }
    }

    @Test
    @Order(3)
    void prometheusScrapesTheGatewayAndTheOperatorAndTheChartsRulesEvaluate() throws Exception {
        needTheRemoteSite();
        Pod tools = pods.tools(NS, "tools", null);
        String gatewayMetrics = pods.exec(tools, "curl", "-sf", "--max-time", "10",
                "http://" + gatewayPod().getStatus().getPodIP() + ":9090/metrics").stdout();
        assertTrue(gatewayMetrics.contains("strait_tunnel_up{"), "gateway metrics scraped on the PodMonitor's admin port");
        String serviceIp = client.services().inNamespace(SYSTEM_NS).list().getItems().stream()
                .filter(s -> s.getSpec().getPorts().stream().anyMatch(p -> "metrics".equals(p.getName())))
                .findFirst().orElseThrow(() -> new AssertionError("no operator metrics Service")).getSpec().getClusterIP();
        String operatorMetrics = pods.exec(tools, "curl", "-sf", "--max-time", "10",
                "http://" + serviceIp + ":8080/metrics").stdout();
        assertTrue(operatorMetrics.contains("strait_tunnels{"), "operator metrics through its Service (kube-proxy)");

        PromRules rules = PromRules.fromChart(cluster);
        Path dir = E2eDirs.work("real-cluster");
        // As scraped: every rule evaluates, and no alert fires on a healthy gateway with its tunnels up.
        ExecResult healthy = rules.test(dir.resolve("healthy"), gatewayMetrics + operatorMetrics, List.of());
        assertTrue(healthy.ok(), healthy.describe());
        // The same scrape with tunnel u down for 10 minutes: the tunnel-down alert fires for u alone.
        String down = gatewayMetrics.replaceAll("(?m)^(strait_tunnel_up\\{[^}]*tunnel=\"u\"[^}]*\\}) 1(\\.0)?$", "$1 0");
        assertNotEquals(gatewayMetrics, down, "strait_tunnel_up for tunnel u in the scrape");
        ExecResult fired = rules.test(dir.resolve("u-down"), down + operatorMetrics, List.of("u"));
        assertTrue(fired.ok(), fired.describe());
    }

    @Test
    @Order(4)
    void tunnelChangesAndPskRotationReachTheRunningGatewayWithoutARestart() throws Exception {
        needTheRemoteSite();
        Pod before = gatewayPod();
        IkeSa u = sa("u");
        IkeSa b = sa("b");
        ClusterPods.Ping ping = pods.ping(before, LocalCluster.LANHOST_IP);

        long start = System.nanoTime();
        pskSecret("c", psks.get("c"));
        client.resource(tunnel("c", "aes256gcm16")).serverSideApply();
        awaitEstablished("c");
        measured.put("added-tunnel-apply-to-established-s", seconds(start));

        start = System.nanoTime();
        client.resource(tunnel("a", "aes128gcm16")).serverSideApply();
        Await.await(() -> {
            IkeSa a = sa("a");
            return a != null && a.established() && a.child("a").installed()
                    && a.child("a").encrKeySize() == 128 ? a : null;
        }, ESTABLISH, "tunnel a re-established with its new ESP proposal (AES-GCM-128)");
        measured.put("edited-tunnel-apply-to-reestablished-s", seconds(start));

        psks.put("b", "psk-b-rotated-" + Long.toHexString(System.nanoTime()));
        remote.start(connections(), REMOTE_STRONGSWAN_CONF); // the remote site knows only the new key now
        start = System.nanoTime();
        pskSecret("b", psks.get("b"));
        IkeSa rotated = Await.await(() -> {
            IkeSa x = sa("b");
            return x != null && x.established() && !x.initiatorSpi().equals(b.initiatorSpi()) ? x : null;
        }, ESTABLISH, "tunnel b re-established with the rotated PSK");
        measured.put("psk-rotation-to-reestablished-s", seconds(start));
        assertTrue(rotated.child("b").installed());
        awaitEstablished("b");

        Thread.sleep(5_000); // the untouched tunnel's ping also runs for a while after the last change
        ClusterPods.Result pinged = ping.stop();
        Pod after = gatewayPod();
        assertEquals(before.getMetadata().getUid(), after.getMetadata().getUid(), "the gateway pod was not replaced");
        assertEquals(0, after.getStatus().getContainerStatuses().getFirst().getRestartCount(), "nor restarted");
        IkeSa uAfter = sa("u");
        assertEquals(u.initiatorSpi(), uAfter.initiatorSpi(), "the untouched tunnel kept its IKE SA");
        assertEquals(u.child("u").spiIn(), uAfter.child("u").spiIn(), "and its Child SA");
        measured.put("untouched-tunnel-pings-sent/lost", pinged.sent() + "/" + pinged.lost());
        assertTrue(pinged.sent() >= 50, "the ping ran through the changes: " + pinged.sent() + " sent");
        assertEquals(0, pinged.lost(), "the untouched tunnel lost no ping during the changes");
    }

    @Test
    @Order(5)
    void deletingATunnelRemovesItsSaOnTheRemoteSite() {
        needTheRemoteSite();
        client.resources(IPsecTunnel.class).inNamespace(NS).withName("c").delete();
        Await.await(() -> sa("c") == null ? true : null, Duration.ofMinutes(1), "strongSwan has no IKE SA of tunnel c");
        assertTrue(sa("u").established(), "the others stay");
    }

    @Test
    @Order(6)
    void restartingTheOperatorChangesNothingThatWorks() {
        needTheRemoteSite();
        Pod gateway = gatewayPod();
        Map<String, String> spis = spis();
        Pod operator = operatorPod();
        client.pods().inNamespace(SYSTEM_NS).withName(operator.getMetadata().getName()).delete();
        Pod next = Await.await(() -> {
            Pod p = operatorPod();
            return p != null && !p.getMetadata().getUid().equals(operator.getMetadata().getUid()) && ClusterPods.ready(p) ? p : null;
        }, Duration.ofMinutes(3), "a new operator pod Ready");
        assertNotEquals(operator.getMetadata().getUid(), next.getMetadata().getUid());
        // The new operator has reconciled once it reports its reconciles; give it that, then compare.
        Await.await(() -> pods.exec(next, "bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080; "
                + "printf 'GET /metrics HTTP/1.0\\r\\n\\r\\n' >&3; cat <&3").stdout()
                .matches("(?s).*strait_reconcile_duration_seconds_count\\{[^}]*controller=\"ipsecgateway\"[^}]*\\} [1-9].*")
                ? true : null, Duration.ofMinutes(2), "the new operator reconciled the gateway");
        assertEquals(gateway.getMetadata().getUid(), gatewayPod().getMetadata().getUid(), "same gateway pod");
        assertEquals(spis, spis(), "every tunnel kept its SAs");
    }

    @Test
    @Order(7)
    void deletingTheGatewayPodBringsTheTunnelsBack() {
        needTheRemoteSite();
        Pod gateway = gatewayPod();
        Map<String, String> spis = spis();
        long start = System.nanoTime();
        client.pods().inNamespace(NS).withName(gateway.getMetadata().getName()).delete();
        Pod next = Await.await(() -> {
            Pod p = gatewayPod();
            return p != null && !p.getMetadata().getUid().equals(gateway.getMetadata().getUid()) && ClusterPods.ready(p) ? p : null;
        }, ESTABLISH, "a new gateway pod Ready");
        for (String t : List.of("u", "a", "b")) {
            Await.await(() -> {
                IkeSa s = sa(t);
                return s != null && s.established() && !s.initiatorSpi().equals(spis.get(t)) ? s : null;
            }, ESTABLISH, "tunnel " + t + " back with new SAs");
        }
        measured.put("gateway-pod-deleted-to-tunnels-back-s", seconds(start));
        ExecResult ping = cluster.inPodNetwork(next, Duration.ofSeconds(30), "ping", "-c", "3", "-W", "2",
                LocalCluster.LANHOST_IP);
        assertTrue(ping.ok(), ping.describe());
    }

    // ---------------------------------------------------------------------------------------------------------

    /** strongSwan as the remote site's responder: one connection per tunnel, told apart by the gateway's identity. */
    private static List<SwanctlConf> connections() {
        return List.of("u", "a", "b", "c").stream().map(t -> SwanctlConf.builder().name(t).child(t)
                .role(SwanctlConf.Role.RESPONDER).startAction(SwanctlConf.StartAction.NONE)
                .local(LocalCluster.REMOTE_IP, REMOTE_ID).remote("%any", t + ".cluster.strait.test").psk(psks.get(t))
                .ikeProposals("aes256gcm16-prfsha384-x25519").espProposals("aes256gcm16", "aes128gcm16")
                .localTs(REMOTE_LAN.get(t)).remoteTs(LocalCluster.POD_CIDR).build()).toList();
    }

    /**
     * The gateway pod's address lies inside the tunnels' local subnets (the pod CIDR). kernel-libipsec would route
     * strongSwan's own IKE and ESP packets to it into the tunnel; its IKE socket marks them instead, and the
     * tunnel routes (table 220) apply only to unmarked packets.
     */
    private static final String REMOTE_STRONGSWAN_CONF = """
            charon {
              plugins {
                kernel-libipsec { allow_peer_ts = yes }
                kernel-netlink { fwmark = !0x5a }
                socket-default { fwmark = 0x5a }
              }
            }
            """;

    private static IPsecTunnel tunnel(String name, String esp) {
        TunnelSpec spec = new TunnelSpec();
        spec.gatewayRef = new TunnelSpec.GatewayRef();
        spec.gatewayRef.name = GATEWAY;
        spec.peer.address = LocalCluster.REMOTE_IP;
        spec.peer.id = REMOTE_ID;
        spec.local.id = name + ".cluster.strait.test";
        spec.local.subnets = List.of(LocalCluster.POD_CIDR);
        spec.remote.subnets = List.of(REMOTE_LAN.get(name));
        spec.auth.psk = new TunnelSpec.Psk();
        spec.auth.psk.secretRef = new TunnelSpec.SecretKeyRef();
        spec.auth.psk.secretRef.name = "psk-" + name;
        spec.auth.psk.secretRef.key = "psk";
        spec.ike.proposals = List.of("aes256gcm16-prfsha384-x25519");
        spec.esp.proposals = List.of(esp);
        IPsecTunnel t = new IPsecTunnel();
        t.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(NS).build());
        t.setSpec(spec);
        return t;
    }

    private static void pskSecret(String tunnel, String psk) {
        client.resource(new SecretBuilder().withNewMetadata().withName("psk-" + tunnel).withNamespace(NS).endMetadata()
                .withData(Map.of("psk", Base64.getEncoder().encodeToString(psk.getBytes(StandardCharsets.UTF_8))))
                .build()).serverSideApply();
    }

    private static void awaitEstablished(String tunnel) {
        Await.await(() -> {
            IPsecTunnel t = client.resources(IPsecTunnel.class).inNamespace(NS).withName(tunnel).get();
            return t != null && t.getStatus() != null && "Established".equals(t.getStatus().phase) ? t : null;
        }, ESTABLISH, "IPsecTunnel " + tunnel + " Established");
        Await.await(() -> {
            IkeSa s = sa(tunnel);
            return s != null && s.established() && !s.children().isEmpty() && s.child(tunnel).installed() ? s : null;
        }, Duration.ofSeconds(30), "strongSwan has tunnel " + tunnel + "'s IKE and Child SA");
    }

    /** strongSwan's established IKE SA of a tunnel, or null. */
    private static IkeSa sa(String tunnel) {
        return remote.listSas().stream().filter(s -> s.name().equals(tunnel) && s.established()).findFirst().orElse(null);
    }

    private static Map<String, String> spis() {
        Map<String, String> m = new LinkedHashMap<>();
        for (IkeSa s : remote.listSas()) {
            m.put(s.name(), s.initiatorSpi() + "/" + s.children().stream().map(c -> c.spiIn()).toList());
        }
        return m;
    }

    private static Pod gatewayPod() {
        List<Pod> running = client.pods().inNamespace(NS).withLabel("strait.dev/gateway", GATEWAY).list().getItems()
                .stream().filter(p -> p.getMetadata().getDeletionTimestamp() == null).toList();
        return running.isEmpty() ? null : running.getFirst();
    }

    private static Pod operatorPod() {
        return client.pods().inNamespace(SYSTEM_NS).withLabel("app.kubernetes.io/name", "strait")
                .withLabel("app.kubernetes.io/component", "operator").list().getItems()
                .stream().filter(p -> p.getMetadata().getDeletionTimestamp() == null).findFirst().orElse(null);
    }

    private static void images(List<String> helmArgs) {
        String operator = cluster.embedded() ? LocalCluster.OPERATOR_IMAGE : System.getenv("STRAIT_OPERATOR_IMAGE");
        String gateway = cluster.embedded() ? LocalCluster.GATEWAY_IMAGE : System.getenv("STRAIT_GATEWAY_IMAGE");
        image(operator, "image", helmArgs);
        image(gateway, "gateway.image", helmArgs);
        if (cluster.embedded()) {
            helmArgs.addAll(List.of("--set", "image.pullPolicy=Never"));
        }
    }

    private static void image(String image, String valuePrefix, List<String> helmArgs) {
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

    private static String seconds(long startNanos) {
        return String.format(java.util.Locale.ROOT, "%.1f", (System.nanoTime() - startNanos) / 1e9);
    }
}
