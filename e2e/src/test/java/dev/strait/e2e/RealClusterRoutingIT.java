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
import dev.strait.e2e.support.FailoverTrace;
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
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Cluster routing on the real cluster ({@link LocalCluster}): two gateway replicas in the nodes' network namespaces
 * (hostNetwork, one Lease), the chart's route agent on every node, a strongSwan remote site with a LAN host. Pods on
 * the gateway's node and on the other node reach the remote LAN with their own addresses and back; the active
 * gateway is killed and the standby takes over; an uninstall leaves nothing of Strait's on the nodes.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class RealClusterRoutingIT {
    private static final String NS = "strait-routing";
    private static final String GATEWAY = "hub";
    private static final String PSK = "routing-psk-" + Long.toHexString(System.nanoTime());
    private static final Duration ESTABLISH = Duration.ofMinutes(3);
    private static final Pattern IPERF_RECEIVER = Pattern.compile("([\\d.]+) ([KMG])bits/sec\\s+receiver");

    static LocalCluster cluster;
    static KubernetesClient client;
    static ClusterPods pods;
    static StrongSwan remote;
    static final Map<String, Object> measured = new LinkedHashMap<>();

    @BeforeAll
    static void setUp() {
        cluster = LocalCluster.get();
        Assumptions.assumeTrue(cluster != null, () -> "skipped: " + LocalCluster.unavailable());
        Assumptions.assumeTrue(cluster.embedded(), "needs the remote site and node namespaces of the local cluster");
        client = cluster.client();
        pods = new ClusterPods(cluster);
    }

    @AfterAll
    static void tearDown() throws IOException {
        if (!measured.isEmpty()) {
            StringBuilder s = new StringBuilder();
            measured.forEach((k, v) -> s.append(k).append(' ').append(v).append('\n'));
            Files.writeString(E2eDirs.work("real-cluster").resolve("routing-measured.txt"), s);
            System.out.print("RealClusterRoutingIT measured:\n" + s);
        }
        if (client != null) {
            client.namespaces().withName(NS).delete();
        }
        if (remote != null) {
            remote.stop();
        }
        if (cluster != null && cluster.embedded()) {
            cluster.remoteSiteDown();
        }
    }

    @Test
    @Order(1)
    void podsOnEveryNodeReachTheRemoteLanWithTheirOwnAddressesAndBack() throws Exception {
        installChart();
        cluster.remoteSiteUp();
        remote = new StrongSwan(Sites.fromEnvironment(), LocalCluster.REMOTE_NS);
        remote.start(List.of(SwanctlConf.builder().name("r").child("r").role(SwanctlConf.Role.RESPONDER)
                .startAction(SwanctlConf.StartAction.NONE).local(LocalCluster.REMOTE_IP, "remote.strait.test")
                // Either gateway node may carry the tunnel: both addresses, the identity pinned.
                .remote(String.join(",", nodeAddresses()), "routing.cluster.strait.test").psk(PSK)
                .ikeProposals("aes256gcm16-prfsha384-x25519").espProposals("aes256gcm16")
                .localTs("10.30.0.0/24").remoteTs(LocalCluster.POD_CIDR).build()), null);

        if (client.namespaces().withName(NS).get() != null) {
            client.namespaces().withName(NS).delete();
            Await.await(() -> client.namespaces().withName(NS).get() == null ? true : null, Duration.ofMinutes(2),
                    "namespace " + NS + " of an earlier run gone");
        }
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build())
                .serverSideApply();
        client.resource(new SecretBuilder().withNewMetadata().withName("psk").withNamespace(NS).endMetadata()
                .withData(Map.of("psk", Base64.getEncoder().encodeToString(PSK.getBytes(StandardCharsets.UTF_8))))
                .build()).serverSideApply();
        IPsecGateway gw = new IPsecGateway();
        gw.setMetadata(new ObjectMetaBuilder().withName(GATEWAY).withNamespace(NS).build());
        gw.setSpec(new GatewaySpec());
        gw.getSpec().replicas = 2;
        gw.getSpec().hostNetwork = true;
        gw.getSpec().service.type = GatewaySpec.ServiceType.None;
        client.resource(gw).serverSideApply();
        client.resource(tunnel()).serverSideApply();
        long start = System.nanoTime();
        awaitEstablished();
        measured.put("apply-to-established-s", seconds(start));

        Pod onGatewayNode = pods.tools(NS, "pod-n1", "strait-n1");
        Pod onOtherNode = pods.tools(NS, "pod-n2", "strait-n2");
        String active = activeNode();
        if (!active.equals("strait-n1")) {
            Pod t = onGatewayNode;
            onGatewayNode = onOtherNode;
            onOtherNode = t;
        }
        // The other node's routes must have converged before the first packet: the agent's route is the path.
        Pod other = onOtherNode;
        start = System.nanoTime();
        Await.await(() -> pods.tryExec(other, "ping", "-c", "1", "-W", "1", LocalCluster.LANHOST_IP).ok() ? true : null,
                Duration.ofMinutes(1), "a pod on the node without the gateway reaches the remote LAN");
        measured.put("route-agents-converged-after-established-s", seconds(start));

        Commands.run(Duration.ofSeconds(10), List.of("ip", "netns", "exec", LocalCluster.LANHOST_NS,
                "iperf3", "-s", "-D", "-p", "5201")).orThrow();
        try {
            for (Pod pod : List.of(onOtherNode, onGatewayNode)) {
                String where = pod == onOtherNode ? "other-node" : "gateway-node";
                String ip = pod.getStatus().getPodIP();
                ExecResult ping = pods.exec(pod, "ping", "-c", "3", "-W", "2", LocalCluster.LANHOST_IP);
                assertTrue(ping.stdout().contains("3 received"), ping.describe());
                ExecResult iperf = pods.exec(pod, "iperf3", "-c", LocalCluster.LANHOST_IP, "-t", "10", "-p", "5201");
                measured.put("tcp-to-remote-lan-" + where + "-Mbit/s", mbits(iperf.stdout()));

                // The remote LAN host reaches the pod by its pod IP, and sees the pod's own address.
                CompletableFuture<ExecResult> capture = CompletableFuture.supplyAsync(() -> Commands.run(Duration.ofSeconds(20),
                        List.of("ip", "netns", "exec", LocalCluster.LANHOST_NS, "timeout", "15", "tcpdump", "-ni", "eth0",
                                "-c", "2", "icmp and src host " + ip)));
                Thread.sleep(1_000); // tcpdump attaches
                ExecResult back = Commands.run(Duration.ofSeconds(20), List.of("ip", "netns", "exec",
                        LocalCluster.LANHOST_NS, "ping", "-c", "3", "-W", "2", ip));
                assertTrue(back.ok(), "the remote LAN host pings the " + where + " pod: " + back.describe());
                ExecResult seen = capture.get(30, TimeUnit.SECONDS);
                assertTrue(seen.stdout().contains(ip + " > " + LocalCluster.LANHOST_IP) || seen.stderr().contains("2 packets captured"),
                        "the remote side sees the pod's own address, no node SNAT: " + seen.describe());

                pods.exec(pod, "sh", "-c", "(echo from-" + where + " | timeout 20 nc -l -p 7000 >/dev/null 2>&1 &)");
                ExecResult tcp = Await.await(() -> {
                    ExecResult r = Commands.run(Duration.ofSeconds(10), List.of("ip", "netns", "exec",
                            LocalCluster.LANHOST_NS, "timeout", "5", "bash", "-c", "cat </dev/tcp/" + ip + "/7000"));
                    return r.stdout().contains("from-" + where) ? r : null;
                }, Duration.ofSeconds(20), "a TCP connection from the remote LAN host to the " + where + " pod");
                assertTrue(tcp.stdout().contains("from-" + where), tcp.describe()); // nc keeps it open: timeout ends it
            }
        } finally {
            Commands.run(Duration.ofSeconds(10), List.of("ip", "netns", "exec", LocalCluster.LANHOST_NS,
                    "pkill", "-f", "iperf3 -s"));
        }
    }

    @Test
    @Order(2)
    void theStandbyTakesOverWhenTheActiveGatewayIsKilledOrDeleted() throws Exception {
        Assumptions.assumeTrue(remote != null, "the first test set the tunnel up");
        Pod observer = client.pods().inNamespace(NS).withName("pod-n2").get();
        int transitionsBefore = leaseTransitions();
        for (String how : List.of("sigkill", "pod-deleted")) {
            String holder = leaseHolder();
            awaitStandby(holder);
            Pod active = client.pods().inNamespace(NS).withName(holder).get();
            List<Pod> involved = gatewayAndAgentPods();
            ClusterPods.Ping ping = pods.ping(observer, LocalCluster.LANHOST_IP);
            try (FailoverTrace trace = new FailoverTrace(client, NS, GATEWAY + "-leader")) {
                Thread.sleep(2_000);
                double killedAt = System.currentTimeMillis() / 1000.0;
                long start = System.nanoTime();
                trace.event(how + " of " + holder + " on " + active.getSpec().getNodeName());
                if (how.equals("sigkill")) {
                    // The process dies without a word; kubelet reports the container dead and the standby takes over.
                    Commands.run(Duration.ofSeconds(5), List.of("kill", "-KILL", Long.toString(cluster.podPid(active)))).orThrow();
                } else {
                    client.pods().inNamespace(NS).withName(holder).delete(); // SIGTERM: the lease is handed over
                    Await.await(() -> holder.equals(leaseHolder()) ? null : true, Duration.ofMinutes(1),
                            "another replica holds the lease");
                }
                Await.await(() -> pods.tryExec(observer, "ping", "-c", "1", "-W", "1", LocalCluster.LANHOST_IP).ok() ? true : null,
                        Duration.ofMinutes(1), "the pod reaches the remote LAN again");
                measured.put("failover-" + how + "-to-first-ping-s (upper bound)", seconds(start));
                Thread.sleep(2_000);
                ClusterPods.Result r = ping.stop();
                double first = r.firstReplyAfter(killedAt);
                trace.event(String.format(java.util.Locale.ROOT, "first ping answered %.2f s after the %s", first, how));
                measured.put("failover-" + how + "-first-reply-after-kill-s", String.format(java.util.Locale.ROOT, "%.2f", first));
                measured.put("failover-" + how + "-longest-gap-s", String.format(java.util.Locale.ROOT, "%.1f", r.longestGapSeconds()));
                measured.put("failover-" + how + "-new-holder", leaseHolder().equals(holder) ? "same pod (restarted)" : "standby");
                trace.write(E2eDirs.work("real-cluster").resolve("failover-" + how + ".log"), involved);
                assertTrue(r.received() > 0, "pings answered after the failover");
                if (how.equals("pod-deleted")) {
                    assertNotEquals(holder, leaseHolder(), "the deleted replica gave the lease up");
                }
                assertFailoverShown(how);
            }
            // The replaced replica comes back as the new standby.
            Await.await(() -> client.pods().inNamespace(NS).withLabel("strait.dev/gateway", GATEWAY).list().getItems()
                    .stream().filter(p -> p.getMetadata().getDeletionTimestamp() == null
                            && p.getStatus().getContainerStatuses().stream().allMatch(c -> c.getState().getRunning() != null))
                    .count() == 2 ? true : null, Duration.ofMinutes(2), "two gateway replicas running again");
        }
        assertTrue(leaseTransitions() >= transitionsBefore + 2, "each failover moved the lease");
    }

    /**
     * The active gateway's node loses its network (its veth to the cluster bridge goes down: API server, other node
     * and remote site all gone). The active replica cannot renew and stops; the standby takes the lease once it
     * expires and a pod on the other node reaches the remote LAN again. The network comes back afterwards.
     */
    @Test
    @Order(4)
    void theStandbyTakesOverWhenTheActiveGatewaysNodeIsCutOff() throws Exception {
        Assumptions.assumeTrue(remote != null, "the first test set the tunnel up");
        String cutNode = activeNode();
        String holder = leaseHolder();
        // It takes over a lease-duration after the last renewal it saw.
        awaitStandby(holder);
        Pod observer = client.pods().inNamespace(NS).withName(cutNode.equals("strait-n1") ? "pod-n2" : "pod-n1").get();
        Await.await(() -> pods.tryExec(observer, "ping", "-c", "1", "-W", "1", LocalCluster.LANHOST_IP).ok() ? true : null,
                Duration.ofMinutes(1), "the tunnel carries traffic before the cut");
        List<Pod> involved = gatewayAndAgentPods();
        String link = cutNode + "h"; // the node namespace's veth on the bridge (e2e/cluster/node.sh)
        ClusterPods.Ping ping = pods.ping(observer, LocalCluster.LANHOST_IP);
        try (FailoverTrace trace = new FailoverTrace(client, NS, GATEWAY + "-leader")) {
            Thread.sleep(2_000);
            double cutAt = System.currentTimeMillis() / 1000.0;
            trace.event("link " + link + " down: " + cutNode + " (" + holder + ") cut off");
            Commands.run(Duration.ofSeconds(5), List.of("ip", "link", "set", link, "down")).orThrow();
            try {
                Await.await(() -> holder.equals(leaseHolder()) ? null : true, Duration.ofMinutes(1),
                        "the standby takes the lease of the cut-off replica");
                Await.await(() -> pods.tryExec(observer, "ping", "-c", "1", "-W", "1", LocalCluster.LANHOST_IP).ok() ? true : null,
                        Duration.ofMinutes(1), "the pod on the other node reaches the remote LAN again");
                Thread.sleep(1_000);
            } finally {
                Commands.run(Duration.ofSeconds(5), List.of("ip", "link", "set", link, "up")).orThrow();
                trace.event("link " + link + " up again");
            }
            ClusterPods.Result r = ping.stop();
            double first = r.firstReplyAfter(cutAt);
            measured.put("failover-node-cut-first-reply-after-cut-s", String.format(java.util.Locale.ROOT, "%.2f", first));
            measured.put("failover-node-cut-longest-gap-s", String.format(java.util.Locale.ROOT, "%.1f", r.longestGapSeconds()));
            Thread.sleep(3_000); // the cut node's kubelet and gateway catch up before their logs are read
            trace.write(E2eDirs.work("real-cluster").resolve("failover-node-cut.log"), involved);
            assertTrue(r.received() > 0, "pings answered after the failover");
        }
        // Back on the network, the cut-off replica stands by: one active replica, the tunnel still carries traffic.
        Thread.sleep(5_000);
        assertNotEquals(holder, leaseHolder(), "the replica that was cut off did not take the lease back");
        Await.await(() -> pods.tryExec(observer, "ping", "-c", "1", "-W", "1", LocalCluster.LANHOST_IP).ok() ? true : null,
                Duration.ofMinutes(1), "the tunnel carries traffic after the network is back");
        assertFailoverShown("node-cut");
    }

    /** The IPsecGateway's status and the new active replica's metrics tell of the failover that just happened. */
    private static void assertFailoverShown(String how) {
        String holder = leaseHolder();
        Pod active = client.pods().inNamespace(NS).withName(holder).get();
        IPsecGateway gw = Await.await(() -> {
            IPsecGateway g = client.resources(IPsecGateway.class).inNamespace(NS).withName(GATEWAY).get();
            var st = g == null ? null : g.getStatus();
            return st != null && st.active != null && holder.equals(st.active.pod) && st.lastFailover != null
                    && holder.equals(st.lastFailover.to) && st.failovers != null && st.failovers == leaseTransitions() ? g : null;
        }, Duration.ofSeconds(60), "the IPsecGateway status shows " + holder + " active and the failover to it");
        assertEquals(active.getSpec().getNodeName(), gw.getStatus().active.node);
        assertTrue(gw.getStatus().lastFailover.seconds > 0, "a failover time: " + gw.getStatus().lastFailover.seconds);
        measured.put("failover-" + how + "-status-lastFailover", gw.getStatus().lastFailover.seconds + " s, "
                + gw.getStatus().lastFailover.reason + ", failovers " + gw.getStatus().failovers);
        String metrics = cluster.inPodNetwork(active, Duration.ofSeconds(10), "curl", "-s",
                "http://127.0.0.1:" + 9090 + "/metrics").orThrow().stdout();
        Matcher on = Pattern.compile("strait_gateway_active\\{[^}]*\\} ([0-9.]+)").matcher(metrics);
        assertTrue(on.find() && Double.parseDouble(on.group(1)) == 1, "the active replica says so:\n" + metrics);
        Matcher last = Pattern.compile("strait_gateway_last_failover_seconds\\{[^}]*\\} ([0-9.]+)").matcher(metrics);
        assertTrue(last.find(), "the active replica measured its take-over:\n" + metrics);
        Matcher count = Pattern.compile("strait_gateway_failovers_total\\{[^}]*\\} ([0-9.]+)").matcher(metrics);
        assertTrue(count.find() && Double.parseDouble(count.group(1)) >= 1, metrics);
        measured.put("failover-" + how + "-metric-last-failover-s", last.group(1));
    }

    /**
     * Waits until the other replica's process watches the lease as standby: a replica replaced by the failover before
     * may have a running container whose JVM has not joined yet, and a failover then measures its start-up.
     */
    private static void awaitStandby(String holder) throws InterruptedException {
        Pod standby = client.pods().inNamespace(NS).withLabel("strait.dev/gateway", GATEWAY).list().getItems().stream()
                .filter(p -> !p.getMetadata().getName().equals(holder) && p.getMetadata().getDeletionTimestamp() == null)
                .findFirst().orElseThrow();
        String name = standby.getMetadata().getName();
        Await.await(() -> {
            String log = client.pods().inNamespace(NS).withName(name).getLog();
            return log != null && log.contains(holder + "; " + name + " stands by") ? true : null;
        }, Duration.ofMinutes(2), name + " watches the lease as standby");
        Thread.sleep(2_000);
    }

    private static List<String> nodeAddresses() {
        return client.nodes().list().getItems().stream().flatMap(n -> n.getStatus().getAddresses().stream())
                .filter(a -> "InternalIP".equals(a.getType())).map(a -> a.getAddress()).sorted().toList();
    }

    private static List<Pod> gatewayAndAgentPods() {
        List<Pod> all = new java.util.ArrayList<>(client.pods().inNamespace(NS).withLabel("strait.dev/gateway", GATEWAY)
                .list().getItems());
        all.addAll(client.pods().inNamespace("strait-system").withLabel("app.kubernetes.io/component", "route-agent")
                .list().getItems());
        return all;
    }

    private static int leaseTransitions() {
        var lease = client.leases().inNamespace(NS).withName(GATEWAY + "-leader").get();
        return lease == null || lease.getSpec().getLeaseTransitions() == null ? 0 : lease.getSpec().getLeaseTransitions();
    }

    @Test
    @Order(3)
    void anApiServerHiccupShorterThanTheLeaseLeavesTheTunnelAlone() throws Exception {
        Assumptions.assumeTrue(remote != null, "the first test set the tunnel up");
        Pod observer = client.pods().inNamespace(NS).withName("pod-n2").get();
        Await.await(() -> pods.tryExec(observer, "ping", "-c", "1", "-W", "1", LocalCluster.LANHOST_IP).ok() ? true : null,
                Duration.ofMinutes(1), "the tunnel carries traffic before the hiccup");
        String holder = leaseHolder();
        var before = remote.listSas().stream().filter(s -> s.name().equals("r")).findFirst().orElseThrow();
        ClusterPods.Ping ping = pods.ping(observer, LocalCluster.LANHOST_IP);
        // 6 s: longer than several lease retries (1 s), shorter than the renew deadline (8 s) and the lease (10 s)
        cluster.pauseApiServer(Duration.ofSeconds(6));
        Thread.sleep(4_000); // renewals resume
        ClusterPods.Result r = ping.stop();
        measured.put("api-hiccup-6s-pings-sent/lost", r.sent() + "/" + r.lost());
        assertEquals(holder, leaseHolder(), "the same replica stays active");
        var after = remote.listSas().stream().filter(s -> s.name().equals("r")).findFirst().orElseThrow();
        assertEquals(before.initiatorSpi(), after.initiatorSpi(), "the IKE SA was not torn down");
        assertEquals(0, r.lost(), "no ping lost while the API server did not answer");
    }

    @Test
    @Order(5)
    void uninstallLeavesNothingOfStraitsOnTheNodes() {
        Assumptions.assumeTrue(remote != null, "the first test set the tunnel up");
        client.namespaces().withName(NS).delete();
        Await.await(() -> client.namespaces().withName(NS).get() == null ? true : null, Duration.ofMinutes(2),
                "namespace " + NS + " gone");
        cluster.helm(Duration.ofMinutes(3), "uninstall", "strait", "-n", "strait-system", "--wait").orThrow();
        Await.await(() -> client.pods().inNamespace("strait-system").list().getItems().isEmpty() ? true : null,
                Duration.ofMinutes(2), "the route agents gone");
        for (String node : List.of("strait-n1", "strait-n2")) {
            String left = Await.await(() -> {
                String l = straitState(node);
                return l.isBlank() ? l : null;
            }, Duration.ofSeconds(30), "nothing of Strait's on " + node + ":\n" + straitState(node));
            assertEquals("", left);
        }
    }

    /** Routes, rules, links and iptables entries of Strait's in a node's namespace; empty when there are none. */
    private static String straitState(String node) {
        String script = "ip route show table all | grep -E 'proto 83|dev strait' ; ip rule | grep -E 'lookup 83|proto 83' ; "
                + "ip -o link | grep -E 'strait-vx|strait0' ; "
                + "for t in iptables-save iptables-legacy-save iptables-nft-save; do command -v $t >/dev/null && $t 2>/dev/null | grep -i strait; done; true";
        return Commands.run(Duration.ofSeconds(20), List.of("ip", "netns", "exec", node, "sh", "-c", script)).stdout().strip();
    }

    private static void installChart() {
        cluster.helm(Duration.ofMinutes(6), "upgrade", "--install", "strait",
                E2eDirs.module().resolveSibling("helm").resolve("strait").toString(), "-n", "strait-system",
                "--create-namespace", "--wait", "--timeout", "5m",
                "--set", "image.repository=" + repo(LocalCluster.OPERATOR_IMAGE), "--set", "image.tag=dev",
                "--set", "image.pullPolicy=Never",
                "--set", "gateway.image.repository=" + repo(LocalCluster.GATEWAY_IMAGE), "--set", "gateway.image.tag=dev")
                .orThrow();
    }

    private static String repo(String image) {
        return image.substring(0, image.lastIndexOf(':'));
    }

    private static IPsecTunnel tunnel() {
        TunnelSpec spec = new TunnelSpec();
        spec.gatewayRef = new TunnelSpec.GatewayRef();
        spec.gatewayRef.name = GATEWAY;
        spec.peer.address = LocalCluster.REMOTE_IP;
        spec.peer.id = "remote.strait.test";
        spec.local.id = "routing.cluster.strait.test";
        spec.local.subnets = List.of(LocalCluster.POD_CIDR);
        spec.remote.subnets = List.of("10.30.0.0/24");
        spec.auth.psk = new TunnelSpec.Psk();
        spec.auth.psk.secretRef = new TunnelSpec.SecretKeyRef();
        spec.auth.psk.secretRef.name = "psk";
        spec.auth.psk.secretRef.key = "psk";
        spec.ike.proposals = List.of("aes256gcm16-prfsha384-x25519");
        spec.esp.proposals = List.of("aes256gcm16");
        IPsecTunnel t = new IPsecTunnel();
        t.setMetadata(new ObjectMetaBuilder().withName("remote").withNamespace(NS).build());
        t.setSpec(spec);
        return t;
    }

    private static void awaitEstablished() {
        Await.await(() -> {
            IPsecTunnel t = client.resources(IPsecTunnel.class).inNamespace(NS).withName("remote").get();
            return t != null && t.getStatus() != null && "Established".equals(t.getStatus().phase) ? t : null;
        }, ESTABLISH, "IPsecTunnel remote Established");
    }

    private static String leaseHolder() {
        return Await.await(() -> {
            var lease = client.leases().inNamespace(NS).withName(GATEWAY + "-leader").get();
            return lease == null ? null : lease.getSpec().getHolderIdentity();
        }, Duration.ofMinutes(1), "a gateway replica holds the lease");
    }

    /** The node of the gateway replica that holds the Lease. */
    private static String activeNode() {
        return Await.await(RealClusterRoutingIT::activeNodeOrNull, Duration.ofMinutes(1), "a gateway replica holds the lease");
    }

    private static String activeNodeOrNull() {
        var lease = client.leases().inNamespace(NS).withName(GATEWAY + "-leader").get();
        if (lease == null || lease.getSpec().getHolderIdentity() == null) {
            return null;
        }
        Pod holder = client.pods().inNamespace(NS).withName(lease.getSpec().getHolderIdentity()).get();
        return holder == null || holder.getMetadata().getDeletionTimestamp() != null ? null : holder.getSpec().getNodeName();
    }

    private static String mbits(String iperf) {
        Matcher m = IPERF_RECEIVER.matcher(iperf);
        assertTrue(m.find(), iperf);
        double v = Double.parseDouble(m.group(1)) * switch (m.group(2)) {
            case "K" -> 0.001;
            case "G" -> 1000;
            default -> 1;
        };
        assertNotEquals(0.0, v, "TCP data crossed the tunnel");
        return String.format(java.util.Locale.ROOT, "%.0f", v);
    }

    private static String seconds(long startNanos) {
        return String.format(java.util.Locale.ROOT, "%.1f", (System.nanoTime() - startNanos) / 1e9);
    }
}
